"""The per-location (Dantzig-Wolfe) check of a set of clearings (allocate/dwcheck.py).

Its one promise: "infeasible" proves that no integer plan pays the clearings. Checked against the
integer completion (the whole MIP over the works with the clearings fixed, solved by HiGHS) on
random clearings of small synthetic cities, and on the embedded city at a tight budget where the
LP check of the decomposition is fooled and this check is not.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from kotaku_decide.allocate import prepare
from kotaku_decide.allocate.decompose import Decomposition, _cleared_year, _Completion
from kotaku_decide.allocate.dwcheck import DWCheck
from kotaku_decide.allocate.model import build_model
from kotaku_decide.allocate.status import SolverOptions
from kotaku_decide.allocate.synthetic import make_instance
from kotaku_decide.data.embedded import DEFAULT_SCENARIO_FILE
from kotaku_decide.data.scenario import load_scenario
from kotaku_decide.evidence.core import budget_matrix, with_budget

OPTS = SolverOptions(time_limit_s=60)


def _integer_plan_exists(eng: Decomposition, zval: np.ndarray) -> bool:
    """The whole MIP over the works, clearings fixed (no option restriction): the reference."""
    zc = np.array([eng.model.zcol[k] for k in eng.model.zcol], dtype=np.int64)
    r = eng.comp.solve(zc, zval, list(eng.model.zcol), 60.0, None)
    assert r.model_status in ("kOptimal", "kInfeasible"), r.model_status
    return r.values is not None


def _random_clearings(model, rng, p_on: float):
    """z over model.zcol: each slum location cleared with probability p_on, from a random year."""
    Y = model.xcol.shape[1]
    keys = list(model.zcol)
    first = {}
    for i in {i for i, _ in keys}:
        if np.isfinite(model.min_cost.get(i, np.inf)) and rng.random() < p_on:
            first[i] = int(rng.integers(0, Y))
    return np.array([1.0 if i in first and y >= first[i] else 0.0 for i, y in keys])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_infeasible_verdicts_are_proofs_on_random_clearings(tmp_path, seed):
    sc = make_instance(10, tmp_path / "c", seed=seed, budget_per_location_rp=0.06e9)
    model = build_model(prepare(sc))
    eng = Decomposition(model, OPTS)
    assert eng.dw is not None
    rng = np.random.default_rng(seed)
    verdicts = {"feasible": 0, "infeasible": 0, "unknown": 0}
    integer = {True: 0, False: 0}
    for _ in range(12):
        zval = _random_clearings(model, rng, p_on=float(rng.uniform(0.2, 0.8)))
        verdict, u, low = eng.dw.check(_cleared_year(list(model.zcol), zval), 1e-5)
        exists = _integer_plan_exists(eng, zval)
        verdicts[verdict] += 1
        integer[exists] += 1
        if verdict == "infeasible":
            assert not exists, "the DW check refused clearings that an integer plan pays"
            assert low > 1e-5
        if exists:
            assert verdict == "feasible"
    # the draws are not all of one kind (else the test would prove nothing)
    assert integer[True] and integer[False], integer
    assert verdicts["infeasible"], verdicts


def test_refutes_clearings_the_lp_check_accepts():
    """Embedded city at 7.5 % of its budget: the decomposition's first clearings pass the LP check (the
    works taken fractionally fit the money) but have no integer plan; the DW check says so at once."""
    inp = prepare(load_scenario(DEFAULT_SCENARIO_FILE))
    model = build_model(with_budget(inp, budget_matrix(inp) * 0.075))
    eng = Decomposition(model, OPTS)
    master = eng._new_master()
    eng.master = master
    r = master.solve(30.0)
    zval = np.round(r.values)
    lp = eng.check.solve(master.zc, zval)
    assert lp.model_status == "kOptimal" and lp.objective <= 1e-5  # the LP check is fooled
    t = time.perf_counter()
    verdict, u, low = eng.dw.check(_cleared_year(master.keys, zval), 1e-5)
    assert verdict == "infeasible" and low > 1.0 and u is not None and np.all(u >= 0)
    assert time.perf_counter() - t < 30  # a guard against a hang, not a speed claim
    assert not _integer_plan_exists(eng, zval)  # the reference agrees


def test_rows_over_several_locations_count_as_shared(tmp_path):
    sc = make_instance(6, tmp_path / "c", seed=5)
    model = build_model(prepare(sc))
    dw = DWCheck(model, OPTS, np.array([], dtype=np.int64))  # the budgets not declared shared
    assert dw.ok and len(dw.crow) > 0  # found as rows over several locations
    eng = Decomposition(model, OPTS)
    assert eng.dw is not None and len(eng.dw.crow) == len(eng.crow_rows)


def test_a_passed_deadline_answers_unknown_never_a_verdict(tmp_path):
    sc = make_instance(10, tmp_path / "c", seed=1, budget_per_location_rp=0.06e9)
    model = build_model(prepare(sc))
    eng = Decomposition(model, OPTS)
    zval = _random_clearings(model, np.random.default_rng(0), p_on=0.8)
    verdict, u, _ = eng.dw.check(_cleared_year(list(model.zcol), zval), 1e-5, deadline=time.perf_counter() - 1.0)
    assert verdict == "unknown" and u is None


@pytest.mark.parametrize("seed", [4, 5])
def test_proof_mode_of_the_completion_gives_the_same_verdicts(tmp_path, seed):
    """The completions run in proof mode (HiGHS's primal heuristics and restarts off): that changes how
    HiGHS searches, not the answer. On random clearings the verdicts match a completion with HiGHS's
    default options, and the plans found keep every row of the model."""
    sc = make_instance(10, tmp_path / "c", seed=seed, budget_per_location_rp=0.06e9)
    model = build_model(prepare(sc))
    proof = Decomposition(model, OPTS).comp
    normal = _Completion(model, OPTS, proof_mode=False)
    assert proof.h.getOptionValue("mip_heuristic_effort")[1] == 0.0
    assert normal.h.getOptionValue("mip_heuristic_effort")[1] > 0.0
    zc = np.array([model.zcol[k] for k in model.zcol], dtype=np.int64)
    keys = list(model.zcol)
    rng = np.random.default_rng(seed)
    found = {True: 0, False: 0}
    for _ in range(10):
        zval = _random_clearings(model, rng, p_on=float(rng.uniform(0.2, 0.8)))
        a = normal.solve(zc, zval, keys, 60.0, None)
        b = proof.solve(zc, zval, keys, 60.0, None)
        assert (a.values is None) == (b.values is None), (a.model_status, b.model_status)
        found[b.values is not None] += 1
        if b.values is not None:
            act = model.A @ b.values[:model.n_cols]
            assert np.all(act <= model.row_up + 1e-6) and np.all(act >= model.row_lo - 1e-6)
    assert found[True] and found[False], found
