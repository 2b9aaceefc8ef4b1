"""Integer columns near the priced LP (``lp_task(..., rins_time_s)``), checked on the cities of a mini case.

Each column must be a plan of the city under every rule (the independent checker), re-score to its
value, spend on the envelopes what it reports, keep every work the LP solution fixed (at 0 or 1), and
never beat the priced problem's own optimum (HiGHS's full priced MIP, proven on these small cities)
nor the LP relaxation.
"""

from __future__ import annotations

import numpy as np
import pytest

from kotaku_decide.allocate import prepare
from kotaku_decide.allocate.checker import check_plan
from kotaku_decide.allocate.results import evaluate_plan, works_from_plan
from kotaku_decide.data.scenario import load_scenario
from kotaku_decide.national import work
from kotaku_decide.national.split import split_by_city
from kotaku_decide.national.synthetic import make_mini

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    d = tmp_path_factory.mktemp("mini_rins")
    return split_by_city(prepare(load_scenario(make_mini(d, per_city=8))))


def _plan_usage(plan, sources, years):
    u = np.zeros((len(sources), len(years)))
    for k, s in enumerate(sources):
        for yi, y in enumerate(years):
            u[k, yi] = plan.loc[(plan["source"] == s) & (plan["year"] == y), "cost_rp"].sum() / 1e6
    return u


def test_integer_columns_near_the_lp_are_city_plans_within_the_priced_optimum(split):
    seen_mip = seen_integral = 0
    for c in split.cities[:6]:
        ci = split.city_input(c)
        env = [split.env_source[e] for e in split.city_envs[c]]
        Y = len(split.years)
        for level in (0.0, 0.02, 0.05, 0.1):
            price = np.full((len(env), Y), level)
            token = f"t{level}"
            out = work.lp_task(token, c, ci, env, price, 0.5)
            col = out["int"]
            if col is None:  # no plan in the neighbourhood (rare): nothing to check
                continue
            plan = col["plan"]
            assert check_plan(ci, plan.drop(columns=["option_row"])) == []
            ev = evaluate_plan(ci, works_from_plan(plan))
            assert col["value"] == pytest.approx(ev["hectare_years"], abs=1e-6)
            assert np.allclose(col["usage"], _plan_usage(plan, env, split.years), atol=1e-6)
            priced = col["value"] - float((price * col["usage"]).sum())
            assert col["phi"] == pytest.approx(priced, abs=1e-6)
            assert priced <= out["phi"] + 1e-6 * (1 + abs(out["phi"]))  # the LP relaxation bounds it
            # the priced MIP's proven optimum (whole model, no neighbourhood) is never beaten
            full = work.mip_bound_task(ci, env, price, time_limit_s=60)
            assert full["status"] == "kOptimal"
            assert priced <= full["bound"] + 1e-6 * (1 + abs(full["bound"]))
            # the neighbourhood: every work the LP solution set to 0 or 1 stays so
            ent = work._LP_CACHE[(token, c)]
            model, x = ent["model"], ent["last_x"]
            chosen = set(zip(plan["option_row"].astype(int), plan["year"].astype(int)))
            xv = x[model.xcol]
            for o in range(model.xcol.shape[0]):
                for yi, y in enumerate(split.years):
                    if xv[o, yi] >= 1 - 1e-6:
                        assert (o, y) in chosen
                    elif xv[o, yi] <= 1e-6:
                        assert (o, y) not in chosen
            frac = np.abs(x - np.round(x))[model.col_integer.astype(bool)] > 1e-6
            if frac.any():
                seen_mip += 1
            else:
                seen_integral += 1
                assert col["value"] == pytest.approx(out["value"], abs=1e-6)  # the LP's own (integer) solution
            # the same prices again: the same LP solution, so no new column
            assert work.lp_task(token, c, ci, env, price, 0.5)["int"] is None
    assert seen_mip > 0  # the neighbourhood MIP ran (not only integer LP solutions)


def test_without_rins_the_priced_lp_returns_no_integer_column(split):
    c = split.cities[0]
    env = [split.env_source[e] for e in split.city_envs[c]]
    out = work.lp_task("norins", c, split.city_input(c), env, np.full((len(env), len(split.years)), 0.02))
    assert "int" not in out and np.isfinite(out["phi"])


def test_top_up_fractions_follow_the_lp_shortfall_and_add_up_to_one(split):
    from kotaku_decide.national.solve import _initial_shares, _top_up_fractions

    rng = np.random.default_rng(7)
    E, Y = split.env_budget_m.shape
    part = _initial_shares(split)
    lp_share = {c: rng.uniform(0, 50, (E, Y)) for c in split.cities}
    usage = {c: lp_share[c] + rng.uniform(-20, 20, (E, Y)) for c in split.cities}
    # one envelope-year where every city spends at least its LP share: the step-1 shares decide there
    e0 = split.city_envs[split.cities[0]][0]
    for c in split.cities:
        usage[c][e0, 0] = lp_share[c][e0, 0] + 1.0
    f = _top_up_fractions(split, part, lp_share, usage)
    for e in range(E):
        members = split.env_cities[e]
        for y in range(Y):
            tot = sum(f[c][e, y] for c in split.cities)
            assert tot == pytest.approx(1.0)
            assert all(f[c][e, y] == 0.0 for c in split.cities if c not in members)
            assert all(f[c][e, y] >= 0.0 for c in split.cities)
            short = {c: max(lp_share[c][e, y] - usage[c][e, y], 0.0) for c in members}
            if sum(short.values()) > 0:
                for c in members:
                    assert f[c][e, y] == pytest.approx(short[c] / sum(short.values()))
            else:
                assert (e, y) == (e0, 0)
                ptot = sum(part[c][e, y] for c in members)
                for c in members:
                    assert f[c][e, y] == pytest.approx(part[c][e, y] / ptot)


@pytest.mark.parametrize("carry", [False, True])
def test_top_up_caps_fit_the_envelope_rows_together(split, carry):
    """Whatever the plans use, each city's top-up caps (its use plus its fraction of the money offered) add
    up within every envelope row, the cumulative rows of a carry-over envelope included."""
    import dataclasses

    from kotaku_decide.national.solve import _initial_shares, _own, _Rows, _top_up_fractions

    sp = dataclasses.replace(split, env_carry=np.full(len(split.envelopes), carry))
    rows = _Rows(sp)
    E, Y = sp.env_budget_m.shape
    rng = np.random.default_rng(11)
    part = _initial_shares(sp)
    for trial in range(20):
        # plans that fit: each city uses a random part of its step-1 share
        usage = {c: _own(sp, c, part[c] * rng.uniform(0.2, 1.0, (E, Y))) for c in sp.cities}
        lp_share = {c: _own(sp, c, part[c] * rng.uniform(0.0, 1.2, (E, Y))) for c in sp.cities}
        used = sum(usage.values())
        assert np.all(rows.act(used) <= rows.rhs + 1e-6)
        extra = rows.offer(rows.rhs - rows.act(used))
        f = _top_up_fractions(sp, part, lp_share, usage)
        caps = sum(_own(sp, c, usage[c] + extra * f[c]) for c in sp.cities)
        assert np.all(rows.act(caps) <= rows.rhs + 1e-6 * (1 + np.abs(rows.rhs)))
        # and the offer is worth having: all of the slack of the last row of each envelope is offered
        last = [e * Y + Y - 1 for e in range(E)]
        assert np.allclose(rows.act(caps)[last], rows.rhs[last], atol=1e-6 * (1 + rows.rhs.max()))
