"""The budget explorer: a precomputed sweep answers at once; Apply re-solves like a scenario would."""

import json

import pytest
from helpers import DATA, REPO

from kotaku_decide.hearing.explorer import BudgetExplorer


@pytest.fixture(scope="module")
def ex():
    return BudgetExplorer(sweep_points=4)


@pytest.mark.slow
def test_slider_reads_the_nearest_swept_point(ex):
    f = ex.sweep["factor"].tolist()
    got = ex.at_factor(f[1] + 0.01)
    assert got["factor"] == f[1] and got["cleared_ha"] == ex.sweep["cleared_ha"].iloc[1]
    cleared = ex.sweep["cleared_ha"].tolist()
    assert cleared == sorted(cleared)  # more money never clears fewer hectares


@pytest.mark.slow
def test_apply_equals_the_same_budget_as_a_scenario(ex, record_property):
    import time

    from kotaku_decide.allocate import allocate
    from kotaku_decide.data.scenario import load_scenario

    t0 = time.perf_counter()
    a = ex.solve(ex.budgets * 0.8)
    # how long Apply takes is reported (pytest -s, or the junit property), not asserted: a timing is no test
    apply_s = time.perf_counter() - t0
    record_property("apply_s", round(apply_s, 3))
    print(f"\n[explorer] Apply at 0.8 of the budgets: {apply_s:.2f} s ({a.report.status.value})")
    b = allocate(load_scenario(DATA / "scenarios" / "balikpapan.yaml", funding={"budget_factor": 0.8}))
    assert a.evaluation["cleared_ha"] == pytest.approx(b.evaluation["cleared_ha"])
    assert a.report.status.value == b.report.status.value == "optimal"
    assert a.report.objective == pytest.approx(b.report.objective, rel=1e-6)
    with pytest.raises(ValueError, match=">= 0"):
        ex.solve(ex.budgets * -1)


@pytest.mark.slow
def test_widget_builds_and_apply_runs(ex):
    w = ex.widget()
    assert len(w.children) >= 5
    ex._slider.value = 0.5  # answered from the sweep, no solve
    ex._apply(None)
    assert ex.result is not None and ex.result.report.status.value == "optimal"


@pytest.mark.slow
def test_explorer_notebook_runs(tmp_path):
    import papermill

    out = tmp_path / "o.ipynb"
    papermill.execute_notebook(str(REPO / "notebooks" / "04_budget_explorer.ipynb"), str(out),
                               parameters={"sweep_points": 3}, kernel_name="python3", progress_bar=False)
    cells = json.loads(out.read_text())["cells"]
    kinds = [k for c in cells if c["cell_type"] == "code" for o in c["outputs"] for k in o.get("data", {})]
    assert "application/vnd.jupyter.widget-view+json" in kinds
