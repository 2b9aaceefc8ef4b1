"""Costing options (kotaku_decide.allocate.costing): the quantity of a target is the least whole number of
units that gets a criterion below its band, checked by brute force; a work without a unit cost is refused."""

import numpy as np
import pandas as pd
import pytest
from helpers import ALLOC_SITE, FIXED_11, location, write_case

from kotaku_decide.allocate import CostError, prepare
from kotaku_decide.allocate.costing import _quantities
from kotaku_decide.data.profiles import load_profile
from kotaku_decide.score.scoring import criterion_scores, criterion_shares

P = load_profile("permen-14-2018")


@pytest.mark.parametrize("bound", [25, 51, 76])
def test_quantity_is_the_least_whole_number_that_gets_below_the_band(bound):
    """Brute force: the smallest q in whole units such that the remaining share scores below the band."""
    rng = np.random.default_rng(bound)
    D = rng.integers(50, 5000, 400).astype(float)
    V = np.floor(rng.random(400) * D)
    target = criterion_scores(np.array([bound - 0.01]), P)[0]
    q = _quantities(V, D, bound, np.ones(400), P)
    for v, d, qq in zip(V, D, q):
        best = next(k for k in range(int(v) + 1) if criterion_scores(criterion_shares(np.array([v - k]),
                                                                                      np.array([d])), P)[0] <= target)
        assert qq == best, (v, d, bound, qq, best)


def test_reported_case_bpn_o11_4c():
    # V = 971 m of 3057 m: removing 207 leaves 24.9918 %, which rounds to 24.99 and scores 0
    assert _quantities(np.array([971.0]), np.array([3057.0]), 25, np.ones(1), P)[0] == 207


def test_missing_cost_is_refused_with_the_work_named(tmp_path):
    d = write_case(tmp_path, [location("A", site=ALLOC_SITE, vols={**FIXED_11, "2b": 800})], {("city", 2017): 1e8})
    cat = pd.read_csv(d["costs"])
    cat.loc[cat["criterion"] == "1a", "unit_cost_rp"] = np.nan
    cat.to_csv(d["costs"], index=False)
    with pytest.raises(CostError, match="work W1a .* has no unit cost and is needed at 1 location"):
        prepare({"data": d})
    # the generic catalogue leaves unknown costs empty: using it on the embedded data is refused
    from kotaku_decide.allocate.costing import GENERIC_CATALOGUE
    with pytest.raises(CostError, match="W1a-layout"):
        prepare({"data": {"costs": str(GENERIC_CATALOGUE)}})
