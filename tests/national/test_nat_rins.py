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
from kotaku_decide.national.split import split_by_city, with_budget
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


@pytest.mark.parametrize("works_only", [False, True])
def test_integer_columns_near_the_lp_are_city_plans_within_the_priced_optimum(split, works_only):
    seen_mip = seen_integral = 0
    for c in split.cities[:6]:
        ci = split.city_input(c)
        env = [split.env_source[e] for e in split.city_envs[c]]
        Y = len(split.years)
        for level in (0.0, 0.02, 0.05, 0.1):
            price = np.full((len(env), Y), level)
            token = f"t{level}{works_only}"
            out = work.lp_task(token, c, ci, env, price, 0.5, None, works_only)
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
            assert work.lp_task(token, c, ci, env, price, 0.5, None, works_only)["int"] is None
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


def test_top_up_fractions_among_some_cities_only(split):
    """With ``only``, the money of each envelope and year goes to the chosen cities alone, split among them as
    the whole rule splits it (by the LP shortfall), adding up to one wherever a chosen city is in the envelope."""
    from kotaku_decide.national.solve import _initial_shares, _top_up_fractions

    rng = np.random.default_rng(9)
    E, Y = split.env_budget_m.shape
    part = _initial_shares(split)
    lp_share = {c: rng.uniform(10, 50, (E, Y)) for c in split.cities}
    usage = {c: lp_share[c] - rng.uniform(1, 5, (E, Y)) for c in split.cities}  # every city below its LP share
    chosen = set(split.cities[::3])
    f = _top_up_fractions(split, part, lp_share, usage, chosen)
    for e in range(E):
        members = [c for c in split.env_cities[e] if c in chosen]
        for y in range(Y):
            assert all(f[c][e, y] == 0.0 for c in split.cities if c not in members)
            if members:
                assert sum(f[c][e, y] for c in members) == pytest.approx(1.0)
                short = {c: lp_share[c][e, y] - usage[c][e, y] for c in members}
                for c in members:
                    assert f[c][e, y] == pytest.approx(short[c] / sum(short.values()))


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


def _lp_value(ci) -> float:
    """The LP relaxation's optimum of a city input, built and solved afresh (the oracle)."""
    from kotaku_decide.allocate.highs import new_highs, pass_arrays, run
    from kotaku_decide.allocate.model import build_model

    m = build_model(ci)
    h = new_highs(threads=1)
    pass_arrays(h, m.col_cost, m.col_lb, m.col_ub, m.A, m.row_lo, m.row_up, None, maximize=True)
    r = run(h, mip=False)
    assert r.model_status == "kOptimal"
    return float(r.objective)


@pytest.mark.parametrize("carry", [False, True])
def test_capped_lp_matches_a_city_input_built_with_the_caps(split, carry):
    """``lp_task(caps=...)`` on the city's whole-envelope model equals the LP of the city input built with the caps
    as its envelope budgets; its duals lie between the one-sided slopes of that LP's value in each cap; the model's
    rows come back (the next priced LP is unchanged)."""
    import dataclasses

    from kotaku_decide.national.split import split_by_city as _split

    inp = split.inp
    fund = dataclasses.replace(inp.funding, carry_over={**inp.funding.carry_over, "apbn": carry})
    sp = _split(dataclasses.replace(inp, funding=fund))
    rng = np.random.default_rng(3 + carry)
    E, Y = sp.env_budget_m.shape
    checked_duals = 0
    for c in sp.cities[:4]:
        env = [sp.env_source[e] for e in sp.city_envs[c]]
        ci = sp.city_input(c)
        zero = np.zeros((len(env), Y))
        token = f"cap{carry}"
        before = work.lp_task(token, c, ci, env, zero + 0.01)
        full = np.zeros((E, Y))
        for e in sp.city_envs[c]:
            full[e] = sp.env_budget_m[e] * rng.uniform(0.0, 0.05, Y)
        caps = np.array([full[e] for e in sp.city_envs[c]])
        out = work.lp_task(token, c, ci, env, zero, 0.5, caps=caps)
        assert "int" not in out  # a capped LP gives no integer column
        oracle = _lp_value(sp.city_input(c, full))
        assert out["value"] == pytest.approx(oracle, rel=1e-7, abs=1e-6)
        assert np.all(out["usage"] <= (np.cumsum(caps, 1) if carry else caps) + 1e-6)
        # the dual of each envelope row: between the right and the left slope of the LP value in that cap
        for k, e in enumerate(sp.city_envs[c]):
            for y in range(Y):
                d = max(1e-3 * full[e, y], 1e-3)
                up, dn = full.copy(), full.copy()
                up[e, y] += d
                dn[e, y] = max(dn[e, y] - d, 0.0)
                right = (_lp_value(sp.city_input(c, up)) - oracle) / d
                left = (oracle - _lp_value(sp.city_input(c, dn))) / max(full[e, y] - dn[e, y], 1e-12) \
                    if full[e, y] > 0 else np.inf
                # cumulative rows (carry-over): one more rupiah in year y loosens the rows of y and every later year
                slope = out["dual"][k, y:].sum() if carry else out["dual"][k, y]
                assert right - 1e-6 <= slope <= left + 1e-6
                checked_duals += 1
        after = work.lp_task(token, c, ci, env, zero + 0.01)
        assert after["phi"] == pytest.approx(before["phi"], rel=1e-9, abs=1e-7)
    assert checked_duals > 0



@pytest.mark.parametrize("kw", [{"smoothing": 1.5}, {"smoothing": -0.1}, {"quick_priced_cities": -1},
                                {"mix_price_steps": (0.05, -1.0)}, {"mix_price_steps": ("a",)},
                                {"quick_top_up_cities": -3}, {"residual_priced_cities": -1},
                                {"crossover_time_s": -0.3}, {"residual_priced_time_s": float("nan")},
                                {"quick_priced_time_s": "0.25"}])
def test_national_options_refuse_values_out_of_range(kw):
    from kotaku_decide.national.solve import NationalOptions

    name = next(iter(kw))
    with pytest.raises(ValueError, match=f"NationalOptions.{name}: got"):
        NationalOptions(**kw)


def test_a_city_input_with_other_budgets_made_from_the_whole_envelope_input(split):
    """What a worker makes (``with_budget`` of the scattered input with the whole envelopes) is the input the
    driver would build with the caps: same budgets, same greedy plan, same engine plan."""
    from kotaku_decide.national.split import with_budget

    rng = np.random.default_rng(5)
    for c in split.cities[:4]:
        env = [split.env_source[e] for e in split.city_envs[c]]
        caps = split.env_budget_m * rng.uniform(0.05, 0.4, split.env_budget_m.shape)
        built = split.city_input(c, caps)
        full = split.city_input(c)
        made = with_budget(full, split.city_budget(c, caps))
        assert np.array_equal(made.funding.budget_rp, built.funding.budget_rp)
        assert not np.array_equal(full.funding.budget_rp, built.funding.budget_rp)  # the caps do bind the input
        g1, g2 = work.greedy_task(built, env), work.greedy_task(full, env, split.city_budget(c, caps))
        assert g1["works"] == g2["works"] and g1["value"] == pytest.approx(g2["value"], abs=1e-9)
        m1 = work.mip_task(built, env, 5.0, 1e-6)
        m2 = work.mip_task(full, env, 5.0, 1e-6, budget_rp=split.city_budget(c, caps))
        assert m1["value"] == pytest.approx(m2["value"], abs=1e-6)
        assert np.allclose(m2["usage"], _plan_usage(m2["plan"], env, split.years), atol=1e-6)
        assert np.all(m2["usage"] <= np.array([caps[e] for e in split.city_envs[c]]) + 1e-6)  # within the caps
    with pytest.raises(ValueError, match="sources x years"):
        with_budget(split.city_input(split.cities[0]), np.zeros((1, 1)))
    with pytest.raises(ValueError, match="city's input"):
        with_budget(split.inp, split.inp.funding.budget_rp)


def test_remaining_order_puts_the_largest_gap_left_first_and_drops_settled_cities():
    from kotaku_decide.national.solve import _remaining_order

    bound = {"a": 10.0, "b": 5.0, "c": 7.0, "d": 3.0, "e": 4.0}
    best = {"a": 9.0, "b": -np.inf, "c": 7.0, "d": 1.0, "e": 3.0}  # b: no integer column yet; c: settled
    # gaps left: a 1, b inf, c 0, d 2, e 1 (a tie with a: by name)
    assert _remaining_order(["e", "d", "c", "b", "a"], bound, best) == ["b", "d", "a", "e"]
    assert _remaining_order(["c"], bound, best) == []


def test_a_crossover_of_two_plans_keeps_their_common_works_fits_the_mix_and_beats_both_within_the_envelopes(split):
    seen = 0
    for c in split.cities:
        ci = split.city_input(c)
        env = [split.env_source[e] for e in split.city_envs[c]]
        Y = len(split.years)
        # two plans of the city: its integer columns near the priced LP with envelope money free and dear
        cols = [work.lp_task(f"cross{level}", c, ci, env, np.full((len(env), Y), level), 0.5)["int"]
                for level in (0.0, 0.1)]
        if any(col is None for col in cols):
            continue
        wa, wb = [sorted(set(zip(col["plan"]["option_row"].astype(int), col["plan"]["year"].astype(int))))
                  for col in cols]
        if wa == wb:
            continue
        # the envelopes capped at the half-and-half mix of the two plans' money (the city's own pools as they are)
        mix = 0.5 * (cols[0]["usage"] + cols[1]["usage"])
        env_caps = np.zeros(split.env_budget_m.shape)
        for k, e in enumerate(split.city_envs[c]):
            env_caps[e] = mix[k]
        budget = split.city_budget(c, env_caps)
        out = work.crossover_task(ci, env, [wa, wb], 20.0, budget)
        assert out is not None, c  # (the common works alone fit the mix)
        capped = with_budget(ci, budget)
        plan = out["plan"]
        assert check_plan(capped, plan.drop(columns=["option_row"])) == []
        assert out["value"] == pytest.approx(evaluate_plan(capped, works_from_plan(plan))["hectare_years"], abs=1e-6)
        assert np.all(out["usage"] <= mix + 1e-6) and np.allclose(out["usage"], _plan_usage(plan, env, split.years))
        works = set(zip(plan["option_row"].astype(int), plan["year"].astype(int)))
        assert set(wa) & set(wb) <= works <= set(wa) | set(wb)
        # within the whole envelopes both plans are in the neighbourhood: the crossover is at least as good as either
        whole = work.crossover_task(ci, env, [wa, wb], 20.0)
        assert whole["value"] >= max(col["value"] for col in cols) - 1e-6
        seen += 1
    assert seen >= 2
