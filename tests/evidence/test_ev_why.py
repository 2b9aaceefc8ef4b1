"""Why a location is (not) funded: extra budget to enter, binding rule per family, sentences.

Expected answers come from the construction of each instance (hand-built) or from independent
computation: brute-force cheapest packages and fresh solves through ``allocate`` on newly
written budget files.
"""

import pytest
from helpers import (
    EVIDENCE_SITE,
    EXACT,
    brute_cheapest,
    case_files,
    four,
    fresh_cleared,
    location,
    prepare_exact,
    write_budget,
)

from kotaku_decide.allocate import prepare
from kotaku_decide.data.scenario import load_scenario
from kotaku_decide.evidence import binding_constraint, enter_budget, explain, solve_variant

TOL = 1e6


def _ab(tmp_path, short=10e6):
    """A (10 ha) and B (5 ha), one source, one year, a budget ``short`` below clearing both."""
    locs = [four("A", 10.0), four("B", 5.0, crits=("6a", "6b", "7a", "7b"))]
    inp0 = prepare_exact(tmp_path, locs, {("kota", 2017): 1e9})
    ka, kb = brute_cheapest(inp0, "A"), brute_cheapest(inp0, "B")
    budget = ka + kb - short
    inp = prepare_exact(tmp_path, locs, {("kota", 2017): budget})
    return inp, locs, ka, kb, budget


def test_extra_budget_to_enter_really_brings_it_in(tmp_path):
    inp, locs, ka, kb, budget = _ab(tmp_path, short=10e6)
    base = solve_variant(inp, solver=EXACT)
    assert base.cleared_year == {"A": 2017, "B": None}  # the bigger site wins the money
    e = enter_budget(inp, "B", tol_rp=TOL, solver=EXACT)
    row = e.iloc[0]
    assert row["found"] and row["monotone"] and row["source"] == "kota"
    # hand value: both packages together cost ka + kb, so B needs exactly the 10 M that is short
    assert row["lower_rp"] < 10e6 <= row["extra_rp"] <= 10e6 + TOL
    # the search lowers its upper end to what the entering plan really uses: here exactly the 10 M short
    assert row["extra_rp"] == pytest.approx(10e6, abs=1.0)
    # independent solves from freshly written budget files
    def factory(b):
        write_budget(tmp_path, b)
        return prepare(load_scenario({"data": case_files(tmp_path), "years": {"start": 2017, "end": 2017}}))
    ok_in, res_in = fresh_cleared(factory, {("kota", 2017): budget + row["extra_rp"]}, "B")
    ok_out, res_out = fresh_cleared(factory, {("kota", 2017): budget + row["extra_rp"] - TOL}, "B")
    assert ok_in and not ok_out
    assert res_in.checks == [] and res_out.checks == []


def _family(tmp_path, locs, budgets, expect, frules=None, unit_cost=None, **over):
    inp = prepare_exact(tmp_path, locs, budgets, frules=frules, unit_cost=unit_cost, **over)
    base = solve_variant(inp, solver=EXACT)
    assert base.has_plan
    assert base.cleared_year.get("B") is None, "B must be out of the plan in this hand-built case"
    r = binding_constraint(inp, "B", base, solver=EXACT)
    assert r["binding"] == [expect], r
    return r


def test_binding_budget(tmp_path):
    inp, *_ = _ab(tmp_path)
    base = solve_variant(inp, solver=EXACT)
    r = binding_constraint(inp, "B", base, solver=EXACT)
    assert r["binding"] == ["budget"]
    assert r["displaced"] == ["A"] and r["displaced_ha"] == pytest.approx(10.0)
    assert r["forced_loss"] == pytest.approx(5.0)  # 10 ha out, 5 ha in, one year


def test_binding_source_cap(tmp_path):
    # one source, plenty of money, but a per-kelurahan cap below B's cheapest package (15 M)
    locs = [four("A", 10.0), four("B", 5.0, crits=("6a", "6b", "7a", "7b"))]
    _family(tmp_path, locs, {("grant", 2017): 1e9}, "kelurahan_cap", frules={"grant": {"cap": 12_000_000}},
            unit_cost={c: 700_000 for c in ("3a", "3b", "5a", "5b")})


def test_binding_eligibility(tmp_path):
    # the only source with money may pay for water and sanitation; B needs solid waste and fire works
    locs = [four("A", 10.0), four("B", 5.0, crits=("6a", "6b", "7a", "7b"))]
    _family(tmp_path, locs, {("air", 2017): 1e9}, "eligibility", frules={"air": {"eligible": "water;wastewater"}})


def test_binding_authority(tmp_path):
    # B covers 20 ha (central government's authority); the only source is the city's
    locs = [four("A", 5.0), four("B", 20.0, crits=("6a", "6b", "7a", "7b"))]
    _family(tmp_path, locs, {("kota", 2017): 1e9}, "authority", frules={"kota": {"authorities": "city"}})


def test_binding_legality(tmp_path):
    # B's land is not legal; neither legalisation nor resettlement is on offer
    locs = [four("A", 10.0), four("B", 5.0, legal=False)]
    _family(tmp_path, locs, {("kota", 2017): 1e9}, "legality",
            options={"legalisation": False, "resettlement": False})


def test_binding_precedence(tmp_path):
    # B: roads 80 % (5+5), drains 30 % (1), waste 80 % (5), fire 30 % (1) -> 17, needs 2 points.
    # Roads alone would do (41 m at Rp 1 M), but drainage must come first (51 m at Rp 2 M = 102 M);
    # waste and fire works cost more than all the money. Budget: A's package + 100 M.
    b = location("B", site=EVIDENCE_SITE, area_ha=5.0, vols={"2a": 800, "2b": 800, "4b": 300, "6a": 80, "7a": 30})
    locs = [four("A", 10.0), b]
    uc = {"4b": 2_000_000, "6a": 10**12, "7a": 10**12}
    inp0 = prepare_exact(tmp_path, locs, {("kota", 2017): 1e9}, unit_cost=uc)
    ka = brute_cheapest(inp0, "A")
    _family(tmp_path, locs, {("kota", 2017): ka + 100e6}, "precedence", unit_cost=uc)


def test_binding_capacity(tmp_path):
    # money for both, but only one location may start per year
    locs = [four("A", 10.0), four("B", 5.0, crits=("6a", "6b", "7a", "7b"))]
    inp = prepare_exact(tmp_path, locs, {("kota", 2017): 1e9}, **{"rules": {"max_starts_per_year": 1}})
    base = solve_variant(inp, solver=EXACT)
    assert base.cleared_year == {"A": 2017, "B": None}
    r = binding_constraint(inp, "B", base, solver=EXACT)
    assert r["binding"] == ["capacity"], r
    assert r["displaced"] == ["A"]


def test_binding_equity(tmp_path):
    # kecamatan X: A (10 ha) and B (5 ha), 15 M each; kecamatan Y: C, whose works cost at most 25.6 M in
    # all. With equity share 1 (each of the 2 groups at least half of all spend) X can spend <= 25.6 M.
    locs = [four("A", 10.0, kecamatan="X"), four("B", 5.0, kecamatan="X", crits=("6a", "6b", "7a", "7b")),
            four("C", 3.0, kecamatan="Y", crits=("1a", "1c", "5a", "5b"))]
    uc = {"1a": 80_000, "1c": 80_000, "5a": 80_000, "5b": 80_000}
    inp = prepare_exact(tmp_path, locs, {("kota", 2017): 1e9}, unit_cost=uc,
                        frules={"kota": {}}, **{"rules": {"equity_min_share": 1.0}})
    base = solve_variant(inp, solver=EXACT)
    assert base.cleared_year["A"] == 2017 and base.cleared_year["B"] is None
    r = binding_constraint(inp, "B", base, solver=EXACT)
    assert r["binding"] == ["equity"], r


def test_explain_small_instance_sentences(tmp_path):
    inp, *_ = _ab(tmp_path)
    ex = explain(inp, cut_factors=(0.5,), processes=1, solver=EXACT)
    t = ex.table.set_index("location_id")
    assert t.loc["A", "status"] == "cleared" and t.loc["B", "status"] == "not_funded"
    assert t.loc["B", "binding"] == "budget"
    assert t.loc["B", "enter_extra_rp"] == pytest.approx(10e6, abs=TOL)
    s = ex.sentences.set_index("location_id")
    assert "Kampung B" in s.loc["B", "en"] and "not funded" in s.loc["B", "en"]
    assert "tidak didanai" in s.loc["B", "id"]
    assert "Kampung A" in s.loc["B", "en"]  # it would displace A
    # marginal value: +Rp 100 M in the only source-year lets B in too: +5 hectare-years
    m = ex.marginal.set_index(["source", "year"])
    assert m.loc[("kota", 2017), "gain_ha_years"] == pytest.approx(5.0)


def test_best_only_finds_the_same_least_amount_with_fewer_solves(tmp_path):
    """Two sources: kota may pay anything, prov only B's 6a work. B is 10 M short; prov money can pay
    at most B's 6a work (less than 10 M), so only kota brings B in. best_only must give the answer of
    the full search (the least amount and its source) and say of prov only what it checked."""
    locs = [four("A", 10.0), four("B", 5.0, crits=("6a", "6b", "7a", "7b"))]
    inp0 = prepare_exact(tmp_path, locs, {("kota", 2017): 1e9})
    ka, kb = brute_cheapest(inp0, "A"), brute_cheapest(inp0, "B")
    inp = prepare_exact(tmp_path, locs, {("kota", 2017): ka + kb - 10e6, ("prov", 2017): 1.0},
                        frules={"kota": {}, "prov": {"eligible": "6a"}})
    full = enter_budget(inp, "B", tol_rp=TOL, solver=EXACT)
    best = enter_budget(inp, "B", tol_rp=TOL, solver=EXACT, best_only=True)
    assert full.iloc[0]["source"] == best.iloc[0]["source"] == "kota"
    assert best.iloc[0]["extra_rp"] == pytest.approx(full.iloc[0]["extra_rp"])
    assert best.iloc[0]["lower_rp"] < 10e6 <= best.iloc[0]["extra_rp"] <= 10e6 + TOL
    prov = best.set_index("source").loc["prov"]
    assert not prov["found"] and not prov["searched"]
    assert prov["lower_rp"] == pytest.approx(best.iloc[0]["extra_rp"] - TOL)
    assert best["solves"].sum() < full["solves"].sum()


def test_forced_first_step_gives_the_same_verdicts(tmp_path):
    """``enters`` with ``free_lower`` (a free optimum found with less money) asks the forced solve first
    and stops when even it falls short of that value: the verdict must be the one of the plain two-solve
    question, at extras below, at and above the 10 M B is short (an independent evaluation each)."""
    from kotaku_decide.evidence.core import budget_matrix
    from kotaku_decide.evidence.why import enters

    inp, locs, ka, kb, budget = _ab(tmp_path, short=10e6)
    i = list(inp.locations["location_id"]).index("B")
    b0 = budget_matrix(inp)
    low = solve_variant(inp, solver=EXACT).objective  # the free optimum with no extra money
    seen = {True: 0, False: 0}
    for extra in (2e6, 9e6, 10e6, 12e6, 40e6):
        b = b0.copy()
        b[0, 0] += extra
        plain, _ = enters(inp, i, b, EXACT)
        quick, info = enters(inp, i, b, EXACT, free_lower=low)
        assert quick == plain, extra
        assert plain == (extra >= 10e6 - 1.0)
        seen[plain] += 1
        if not plain:
            assert info["solves"] == 1  # the forced plan alone settles it
    assert seen[True] and seen[False]



def test_a_cutoff_answers_whether_a_plan_reaches_it_with_a_valid_bound(tmp_path):
    """``solve_variant(..., cutoff=c)``: with B forced in, the optimum is 5 hectare-years below the free one
    (hand value: A's 10 ha leave, B's 5 ha enter, one year). A cutoff above that optimum is answered "no"
    with a bound that lies between the optimum (found by the solve without a cutoff) and the cutoff; a
    cutoff at or below it changes nothing (the same proven optimum, not cut off)."""
    from kotaku_decide.evidence.why import _stopped

    inp, locs, ka, kb, budget = _ab(tmp_path, short=10e6)
    i = list(inp.locations["location_id"]).index("B")
    free = solve_variant(inp, solver=EXACT).objective
    forced = solve_variant(inp, force_in=[i], solver=EXACT)
    assert forced.status == "optimal" and not forced.cut_off
    assert forced.objective == pytest.approx(free - 5.0)
    for c in (free - 1e-3, free - 2.5, forced.objective + 0.01):
        o = solve_variant(inp, force_in=[i], solver=EXACT, cutoff=c)
        assert o.cut_off, c
        assert not _stopped(o)  # an answer, not a limit stop
        assert forced.objective - 1e-6 <= o.best_bound < c
        assert not o.has_plan or o.objective <= o.best_bound + 1e-9
    for c in (forced.objective - 1e-3, forced.objective - 3.0):
        o = solve_variant(inp, force_in=[i], solver=EXACT, cutoff=c)
        assert not o.cut_off and o.status == "optimal"
        assert o.objective == pytest.approx(forced.objective)


def _fake_ent(threshold, need_of):
    """A monotone ``ent`` for the bisection: enters from ``threshold`` on, its plan using ``need_of(d)``."""
    calls = []

    def ent(d, inside=False):
        calls.append(d)
        ok = d >= threshold
        ent.need = min(d, need_of(d)) if ok else None
        return ok

    ent.need = None
    return ent, calls


@pytest.mark.parametrize("need_of, max_calls", [
    (lambda d: 7.3e8, 2),             # the entering plan uses exactly the threshold: one probe below ends it
    (lambda d: d, 30),                # the plan uses all it is offered: plain halving (2^30 > 1e9 / 1e6)
    (lambda d: 0.5 * (d + 7.3e8), 2 * 30),  # uses more than the threshold: probes alternate with halvings
])
def test_bisection_probe_below_what_the_plan_uses(need_of, max_calls):
    """Hand cases of ``_bisect``: the bracket is always (lo, hi] around the threshold, no wider than the
    tolerance, and probing just below what an entering plan uses never more than doubles the steps."""
    from kotaku_decide.evidence.why import _bisect

    ent, calls = _fake_ent(7.3e8, need_of)
    lo, hi = _bisect(ent, 0.0, 1.5e9, TOL)
    assert lo < 7.3e8 <= hi and hi - lo <= TOL
    assert len(calls) <= max_calls, calls
    if need_of(1e9) == 7.3e8:
        assert hi == 7.3e8 and len(calls) == 2  # the first step enters (snaps to 7.3e8), the probe below does not


def test_plan_value_at_repays_a_known_plan_or_says_it_does_not_fit(tmp_path):
    """A's package alone costs ka (brute force): the plan clearing A keeps its value with any budget of
    at least ka, and does not fit Rp 1 M below it; re-paid, never re-chosen (B stays out with more money)."""
    from kotaku_decide.evidence.core import budget_matrix, plan_value_at

    inp, locs, ka, kb, budget = _ab(tmp_path, short=10e6)
    base = solve_variant(inp, solver=EXACT)
    keys = base.start_keys()
    b0 = budget_matrix(inp)
    assert plan_value_at(inp, b0, keys) == pytest.approx(base.objective)
    assert plan_value_at(inp, b0 * 0 + ka, keys) == pytest.approx(base.objective)
    assert plan_value_at(inp, b0 * 0 + ka - 1e6, keys) is None
    assert plan_value_at(inp, b0 * 0 + ka + kb + 1e9, keys) == pytest.approx(base.objective)
