"""Cases from an independent review of the allocation: each failed before its fix."""

import numpy as np
import openpyxl
import pandas as pd
import pytest

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


def test_plan_workbook_escapes_text_cells(tmp_path):
    from pathlib import Path

    from kotaku_decide.allocate import allocate
    from kotaku_decide.cli.allocate import write_outputs
    from kotaku_decide.data.scenario import load_scenario

    data = Path(__file__).resolve().parents[2] / "data"
    base = pd.read_csv(data / "balikpapan_2016_baseline.csv", comment="#", dtype=str)
    base.loc[base["location_id"] == "BPN-P01", "name"] = "=HYPERLINK(\"http://evil\",\"x\")"
    p = tmp_path / "b.csv"
    base.to_csv(p, index=False)
    sc = load_scenario(data / "scenarios" / "balikpapan.yaml", data={"baseline": str(p)},
                       solver={"time_limit_s": 30})
    res = allocate(sc)
    write_outputs(res, tmp_path / "out")
    wb = openpyxl.load_workbook(tmp_path / "out" / "allocation.xlsx")
    formulas = [c.coordinate for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    names = [c.value for c in wb["plan"]["B"] if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert names and all(n.startswith("'=") for n in names)


def test_duplicate_budget_rows_are_refused(tmp_path):
    from kotaku_decide.allocate.funding import FundingError, load_funding

    b = pd.DataFrame({"source": ["apbn", "apbn"], "year": ["2017", "2017"], "budget_rp": ["1e9", "2e9"]})
    r = pd.DataFrame({"source": ["apbn"], "eligible": ["all"], "authorities": ["all"], "per_kelurahan_cap_rp": [""],
                      "carry_over": ["no"]})
    with pytest.raises(FundingError, match="apbn/2017 is given on rows"):
        load_funding(b, r, P, [2017])
