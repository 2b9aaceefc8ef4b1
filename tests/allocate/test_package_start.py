"""The least-cost model's MIP start from the cheapest clearing packages (allocate/solve.py: _package_start).

The start is a restriction of the model, so it must keep every row; the solve that uses it must end at
the optimum the whole MIP reaches without it (HiGHS on the same arrays, no start, run to a proof on
small SYNTHETIC cities: the oracle), and the plan's cost re-summed from its works must equal the
reported objective.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kotaku_decide.allocate import prepare
from kotaku_decide.allocate.highs import new_highs, pass_arrays, run
from kotaku_decide.allocate.model import build_model
from kotaku_decide.allocate.solve import _package_start, solve_model
from kotaku_decide.allocate.status import SolverOptions
from kotaku_decide.allocate.synthetic import make_instance
from kotaku_decide.data.embedded import DEFAULT_SCENARIO_FILE
from kotaku_decide.data.scenario import load_scenario
from kotaku_decide.evidence.core import _scenario_with
from kotaku_decide.evidence.targets import reachability

pytestmark = pytest.mark.filterwarnings("ignore")


def _least_cost(inp, share: float):
    reach = reachability(inp)
    ha = share * float(reach.loc[reach["reachable"], "area_ha"].sum())
    sc = _scenario_with(inp.scenario, {"objective.kind": "least_cost", "objective.target_hectares": ha,
                                       "objective.target_year": int(inp.years[-1])})
    return dataclasses.replace(inp, scenario=sc)


def _keeps_every_row(model, vals) -> bool:
    act = model.A @ vals
    tol = 1e-6 * (1 + np.abs(act))
    return bool(np.all(act >= model.row_lo - tol) and np.all(act <= model.row_up + tol)
                and np.all(vals >= model.col_lb - 1e-9) and np.all(vals <= model.col_ub + 1e-9))


def _oracle(model) -> float:
    h = new_highs(threads=1, seed=1, time_limit=120, mip_rel_gap=1e-9)
    pass_arrays(h, model.col_cost, model.col_lb, model.col_ub, model.A, model.row_lo, model.row_up,
                model.col_integer, maximize=False)
    r = run(h, mip=True)
    assert r.model_status == "kOptimal"
    return float(r.objective)


@pytest.mark.parametrize("seed,share,per_loc", [(7, 0.75, 0.12e9), (7, 1.0, 0.3e9), (11, 0.75, 0.06e9),
                                                (11, 0.5, 0.12e9)])
def test_started_least_cost_solve_ends_at_the_whole_mips_optimum(tmp_path, seed, share, per_loc):
    inp = _least_cost(prepare(load_scenario(make_instance(10, tmp_path / "c", seed=seed,
                                                          budget_per_location_rp=per_loc))), share)
    model = build_model(inp)
    st = _package_start(model, SolverOptions(), deadline=float("inf"))
    if st is not None:
        assert _keeps_every_row(model, np.array([st[k] for k in range(model.n_cols)]))
    rep = solve_model(model, SolverOptions(time_limit_s=120, mip_rel_gap=1e-9, tie_break_time_s=0))
    assert rep.proven_optimal, rep.message
    opt = _oracle(build_model(inp))
    assert rep.objective == pytest.approx(opt, rel=1e-7, abs=1e-6)
    # the plan's cost from its works (million Rp), independent of the objective row
    x = np.round(model.values[model.xcol])
    assert float((x.sum(axis=1) * inp.options["cost_m"].to_numpy(float)).sum()) == pytest.approx(rep.objective,
                                                                                                rel=1e-9)


def test_a_target_out_of_reach_stays_infeasible(tmp_path):
    inp = _least_cost(prepare(load_scenario(make_instance(10, tmp_path / "c", seed=3))), 0.5)
    model = build_model(inp)
    assert _package_start(model, SolverOptions(), deadline=float("inf")) is None
    rep = solve_model(model, SolverOptions(time_limit_s=60, tie_break_time_s=0))
    assert rep.status.value == "infeasible"
    h = new_highs(threads=1, time_limit=60)
    pass_arrays(h, model.col_cost, model.col_lb, model.col_ub, model.A, model.row_lo, model.row_up,
                model.col_integer, maximize=False)
    assert run(h, mip=True).model_status == "kInfeasible"


def test_embedded_no_slum_goal_is_proven_at_the_sum_of_cheapest_packages():
    inp = _least_cost(prepare(load_scenario(DEFAULT_SCENARIO_FILE)), 1.0)
    model = build_model(inp)
    st = _package_start(model, SolverOptions(), deadline=float("inf"))
    assert st is not None
    vals = np.array([st[k] for k in range(model.n_cols)])
    assert _keeps_every_row(model, vals)
    reach = reachability(inp).set_index("location_id")["reachable"]
    ids = inp.locations["location_id"].to_numpy()
    lower = sum(c for i, c in model.min_cost.items() if np.isfinite(c) and reach[ids[i]])
    # every reachable location must be cleared, each at least at its cheapest package: a lower bound,
    # and the start reaches it, so the solve is proven at once
    assert float(model.col_cost @ vals) == pytest.approx(lower, rel=1e-9)
    rep = solve_model(model, SolverOptions(time_limit_s=30, tie_break_time_s=0))
    assert rep.proven_optimal and rep.objective == pytest.approx(lower, rel=1e-9)


def test_no_start_for_the_hectares_objective():
    model = build_model(prepare(load_scenario(DEFAULT_SCENARIO_FILE)))
    assert _package_start(model, SolverOptions(), deadline=float("inf")) is None


@pytest.mark.parametrize("seed,share,per_loc,equity", [(7, 0.75, 0.12e9, 0.0), (7, 1.0, 0.3e9, 0.5),
                                                       (11, 0.75, 0.06e9, 0.5), (11, 0.5, 0.12e9, 0.0),
                                                       (3, 0.75, 0.09e9, 0.5)])
def test_least_cost_within_the_budgets_after_the_unlimited_one_is_the_whole_mips_optimum(tmp_path, seed, share,
                                                                                           per_loc, equity):
    """evidence.targets solves the least cost without money limits first, seeks the cost within the budgets
    among that plan's works (years free) and calls it proven when it is within mip_rel_gap of the unlimited
    bound. Its answer must be the whole MIP's optimum within the budgets (HiGHS, no start, to proof), or
    infeasible exactly when that MIP is; with an equity minimum too (money must go where it is dearer)."""
    from kotaku_decide.evidence.targets import least_cost_targets

    over = make_instance(10, tmp_path / "c", seed=seed, budget_per_location_rp=per_loc)
    over["rules"] = {"equity_min_share": equity}
    base = prepare(load_scenario(over))
    lc = least_cost_targets(base, shares=(share,), years=(base.years[-1],), mip_rel_gap=1e-9, processes=1)
    got = lc.set_index("mode").loc["given"]
    sc = _scenario_with(base.scenario, {"objective.kind": "least_cost", "objective.target_hectares": got["target_ha"],
                                        "objective.target_year": int(base.years[-1])})
    inp = dataclasses.replace(base, scenario=sc)
    h = new_highs(threads=1, seed=1, time_limit=120, mip_rel_gap=1e-9)
    model = build_model(inp)
    pass_arrays(h, model.col_cost, model.col_lb, model.col_ub, model.A, model.row_lo, model.row_up,
                model.col_integer, maximize=False)
    r = run(h, mip=True)
    if r.model_status == "kInfeasible":
        assert got["status"] == "infeasible"
        return
    assert r.model_status == "kOptimal"
    assert got["status"] == "optimal"
    assert got["cost_rp"] / 1e6 == pytest.approx(float(r.objective), rel=1e-7, abs=1e-6)
    assert got["works_cost_rp"] == pytest.approx(got["cost_rp"], rel=1e-9)
