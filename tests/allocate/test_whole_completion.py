"""The decomposition's whole completion MIP without the money knapsack rows (Decomposition.whole).

The rows (``decompose._money_knapsacks``) are implied by the model's money rows, so leaving them out
must change no answer: a set of clearings has an integer plan with them exactly when it has one
without them. Checked on random clearings of small synthetic cities at a binding budget (both answers
occur), each plan found re-checked against every row of the model, and again after a warm budget
change (the whole completion must follow the new budgets, as the other HiGHS objects do), against a
decomposition built afresh at that budget.
"""

from __future__ import annotations

import numpy as np
import pytest

from kotaku_decide.allocate import prepare
from kotaku_decide.allocate.decompose import Decomposition
from kotaku_decide.allocate.model import build_model
from kotaku_decide.allocate.status import SolverOptions
from kotaku_decide.allocate.synthetic import make_instance
from kotaku_decide.evidence.core import budget_matrix

OPTS = SolverOptions(time_limit_s=60)


def _random_clearings(model, rng, p_on: float) -> np.ndarray:
    """z over model.zcol: each clearable location cleared with probability p_on, from a random year."""
    Y = model.xcol.shape[1]
    keys = list(model.zcol)
    first = {}
    for i in sorted({i for i, _ in keys}):
        if np.isfinite(model.min_cost.get(i, np.inf)) and rng.random() < p_on:
            first[i] = int(rng.integers(0, Y))
    return np.array([1.0 if i in first and y >= first[i] else 0.0 for i, y in keys])


def _answer(comp, model, zval, allowed=None):
    zc = np.array([model.zcol[k] for k in model.zcol], dtype=np.int64)
    r = comp.solve(zc, zval, list(model.zcol), 60.0, allowed)
    assert r.model_status in ("kOptimal", "kInfeasible"), r.model_status
    if r.values is not None:  # a plan must keep every row of the model (tolerance as HiGHS's)
        act = model.A @ r.values
        tol = 1e-6 * (1.0 + np.abs(act))
        assert np.all(act >= model.row_lo - tol) and np.all(act <= model.row_up + tol)
        assert np.allclose(r.values[zc], zval)
    return r.values is not None


@pytest.mark.parametrize("seed", [4, 5])
def test_same_answers_with_and_without_the_knapsack_rows(tmp_path, seed):
    sc = make_instance(10, tmp_path / "c", seed=seed, budget_per_location_rp=0.06e9)
    model = build_model(prepare(sc))
    eng = Decomposition(model, OPTS)
    assert eng.comp.n_extra > 0 and eng.whole.n_extra == 0  # two different models, not one twice
    rng = np.random.default_rng(seed)
    seen = {True: 0, False: 0}
    for _ in range(14):
        zval = _random_clearings(model, rng, p_on=float(rng.uniform(0.2, 0.9)))
        with_rows, without = _answer(eng.comp, model, zval), _answer(eng.whole, model, zval)
        assert with_rows == without, "leaving out implied rows changed whether the clearings have a plan"
        # as the loop calls it (no equity minimum): only works that can help clear a location by its year
        useful = _answer(eng.whole, model, zval, np.ones(len(model.inp.options), bool))
        assert useful == without, "offering only the useful works changed whether the clearings have a plan"
        seen[without] += 1
    assert seen[True] and seen[False], seen  # both answers occur, else the test would prove nothing


def test_whole_completion_follows_a_warm_budget_change(tmp_path):
    sc = make_instance(10, tmp_path / "c", seed=6, budget_per_location_rp=0.08e9)
    inp = prepare(sc)
    model = build_model(inp)
    eng = Decomposition(model, OPTS)
    whole = eng.whole  # built before the change: it must take the new budgets over
    b0 = budget_matrix(inp)
    rng = np.random.default_rng(6)
    draws = [_random_clearings(model, rng, p_on=float(rng.uniform(0.3, 0.9))) for _ in range(12)]
    before = [_answer(whole, model, z) for z in draws]
    model.set_budgets(b0 * 0.5)
    assert eng.sync_budgets()
    after = [_answer(whole, model, z) for z in draws]
    fresh_model = build_model(prepare(sc))
    fresh_model.set_budgets(b0 * 0.5)
    fresh = Decomposition(fresh_model, OPTS)
    reference = [_answer(fresh.comp, fresh_model, z) for z in draws]
    assert after == reference
    # halving the money took plans away (else the check above would not see a stale budget)
    assert sum(after) < sum(before), (before, after)
