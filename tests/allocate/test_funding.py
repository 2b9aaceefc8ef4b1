"""Budgets and funding rules (kotaku_decide.allocate.funding)."""

import pandas as pd
import pytest

from kotaku_decide.allocate.funding import FundingError, load_funding
from kotaku_decide.data.profiles import load_profile

P = load_profile("permen-14-2018")


def test_duplicate_budget_rows_are_refused(tmp_path):
    b = pd.DataFrame({"source": ["apbn", "apbn"], "year": ["2017", "2017"], "budget_rp": ["1e9", "2e9"]})
    r = pd.DataFrame({"source": ["apbn"], "eligible": ["all"], "authorities": ["all"], "per_kelurahan_cap_rp": [""],
                      "carry_over": ["no"]})
    with pytest.raises(FundingError, match="apbn/2017 is given on rows"):
        load_funding(b, r, P, [2017])
