"""Robust funding by the package restriction, checked against the full model and the plan checker."""

import numpy as np
import pandas as pd
import pytest
from helpers import EVIDENCE_SITE, EXACT, brute_cheapest, four, location, prepare_exact

from kotaku_decide.allocate.checker import check_plan
from kotaku_decide.evidence import draw_factors, robust_funding, solve_variant, with_costs
from kotaku_decide.evidence.core import package_input


def _simple(tmp_path, carry_over="yes"):
    # one source whose money carries over: a location is best cleared by its cheapest package bought
    # whole, so the package restriction is exact here (without carry-over it is not: see below)
    locs = [four("A", 10.0), four("B", 6.0, crits=("6a", "6b", "7a", "7b")),
            four("C", 4.5, crits=("1a", "1c", "3a", "3b")), four("D", 3.0)]
    return prepare_exact(tmp_path, locs, {("kota", 2017): 30e6, ("kota", 2018): 25e6},
                         frules={"kota": {"carry_over": carry_over}}, years=(2017, 2018))


def _rules(tmp_path):
    # two sources with different eligibility, a per-kelurahan cap, carry-over on one source, land
    # not legal at D (legalisation needed), locations needing several works
    locs = [location("A", site=EVIDENCE_SITE, area_ha=12.0, kelurahan="K1",
                     vols={"3a": 80, "3b": 80, "5a": 80, "5b": 80, "6a": 60, "6b": 60}),
            location("B", site=EVIDENCE_SITE, area_ha=8.0, kelurahan="K1",
                     vols={"6a": 80, "6b": 80, "7a": 80, "7b": 80, "3a": 40}),
            location("C", site=EVIDENCE_SITE, area_ha=5.0, kelurahan="K2",
                     vols={"1a": 80, "1c": 80, "3a": 80, "3b": 80, "5a": 60}),
            location("D", site=EVIDENCE_SITE, area_ha=4.0, kelurahan="K2", legal=False,
                     vols={"3a": 80, "3b": 80, "5a": 80, "5b": 80})]
    frules = {"kota": {"carry_over": "yes"},
              "bkm": {"eligible": "water;wastewater;solid_waste", "cap": 15_000_000}}
    budgets = {("kota", 2017): 20e6, ("kota", 2018): 15e6, ("bkm", 2017): 12e6, ("bkm", 2018): 12e6}
    return prepare_exact(tmp_path, locs, budgets, frules=frules, years=(2017, 2018))


def test_package_input_keeps_each_cheapest_package(tmp_path):
    inp = _rules(tmp_path)
    sub, groups = package_input(inp)
    ids = sub.options["location_id"].to_numpy()
    slum_ids = set(inp.locations.loc[inp.locations["slum"], "location_id"])
    assert {ids[g[0]] for g in groups} <= slum_ids
    for g in groups:
        lid = ids[g[0]]
        assert set(ids[g]) == {lid}
        # the package is the cheapest clearing set, checked by enumeration
        assert sub.options.loc[g, "cost_rp"].sum() == pytest.approx(brute_cheapest(inp, lid), rel=1e-12)
    assert sorted(x for g in groups for x in g) == list(range(len(sub.options)))


def test_package_plans_keep_every_rule_of_the_full_model(tmp_path):
    inp = _rules(tmp_path)
    seen_plan = 0
    for d in range(6):
        fac, lw = draw_factors(inp, 11, d, 0.3, "simplex")
        v = with_costs(inp, fac)
        sub, groups = package_input(v)
        o = solve_variant(sub, loc_weight=lw, same_year=groups, solver=EXACT, want_plan=True)
        assert o.status == "optimal"
        viol = check_plan(v, o.plan)  # the full draw input: its rules, its costs
        assert viol == [], viol
        full = solve_variant(v, loc_weight=lw, solver=EXACT)
        assert o.objective <= full.objective + 1e-6  # a restriction never beats the full model
        # works of one package are done in one year
        for g in groups:
            yrs = set(o.plan.loc[o.plan["option_row"].isin(g), "year"])
            assert len(yrs) <= 1
        seen_plan += len(o.plan) > 0
    assert seen_plan >= 3


def test_packages_equal_full_model_where_whole_cheapest_packages_are_optimal(tmp_path):
    inp = _simple(tmp_path)
    a, da = robust_funding(inp, draws=8, seed=3, weights="simplex", mip_rel_gap=0.0, processes=1)
    b, db = robust_funding(inp, draws=8, seed=3, weights="simplex", method="full", time_limit_s=30,
                           mip_rel_gap=0.0, processes=1)
    assert (da["method"] == "packages").all() and (db["method"] == "full").all()
    assert (da["status"] == "optimal").all() and (db["status"] == "optimal").all()
    np.testing.assert_allclose(da["objective"], db["objective"], rtol=1e-9)
    cols = [c for c in a.columns if c.startswith("p_cleared")]
    pd.testing.assert_frame_equal(a.sort_values("location_id")[["location_id"] + cols].reset_index(drop=True),
                                  b.sort_values("location_id")[["location_id"] + cols].reset_index(drop=True))


def test_yearly_probabilities_and_settings(tmp_path):
    inp = _rules(tmp_path)
    per, draws = robust_funding(inp, draws=10, seed=5, weights="simplex", processes=2)
    y0, y1 = inp.years
    assert (per[f"p_cleared_{y0}"] <= per[f"p_cleared_{y1}"] + 1e-12).all()
    assert (per["p_cleared"] == per[f"p_cleared_{y1}"]).all()
    assert per.attrs["method"] == "packages" and per.attrs["mip_rel_gap"] == 0.02
    assert (draws["gap"] <= 0.02 + 1e-9).all()
    # the counts behind the probabilities, recomputed from the draws' own numbers
    assert draws["n_cleared"].sum() == pytest.approx(per["p_cleared"].sum() * len(draws))
    with pytest.raises(ValueError, match="method"):
        robust_funding(inp, draws=1, method="exact")
    with pytest.raises(ValueError, match="cost_spread"):
        robust_funding(inp, draws=1, cost_spread=1.2)


def test_restriction_can_lose_when_money_does_not_carry_over(tmp_path):
    # the known limit, kept visible: yearly money that does not carry over can be used better by
    # spreading a location's works over years or by a dearer package; the restriction then trails
    inp = _simple(tmp_path, carry_over="no")
    restricted, full = [], []
    for d in range(8):
        fac, lw = draw_factors(inp, 3, d, 0.3, "simplex")
        v = with_costs(inp, fac)
        sub, groups = package_input(v)
        restricted.append(solve_variant(sub, loc_weight=lw, same_year=groups, solver=EXACT).objective)
        full.append(solve_variant(v, loc_weight=lw, solver=EXACT).objective)
    restricted, full = np.array(restricted), np.array(full)
    assert (restricted <= full + 1e-6).all()
    assert (restricted < full - 1e-3).any()
    # robust_funding never reports less than the restriction; draws where the restriction trails the
    # greedy plan are re-solved with the full model (and say so)
    _, da = robust_funding(inp, draws=8, seed=3, weights="simplex", mip_rel_gap=0.0, time_limit_s=30,
                           processes=1)
    assert (da["objective"].to_numpy() >= restricted - 1e-6).all()
    fell = da["method"] == "full"
    assert (da.loc[fell, "note"] == "restriction below the greedy plan").all()
    assert (da.loc[fell, "objective"].to_numpy() >= restricted[fell.to_numpy()] - 1e-6).all()


def test_equity_rule_uses_the_full_model_and_planless_draws_are_not_counted(tmp_path):
    # (review findings) whole packages rarely meet equity shares: the restriction's optimum was the
    # empty plan, reported as 'optimal'; and draws without a plan were counted as 'not cleared'
    (tmp_path / "eq").mkdir()
    eq = prepare_exact(tmp_path / "eq", [four("A", 10.0, kelurahan="K1", kecamatan="X"),
                                         four("B", 6.0, kelurahan="K2", kecamatan="Y")],
                       {("kota", 2017): 30e6, ("kota", 2018): 25e6}, years=(2017, 2018),
                       rules={"equity_min_share": 0.5, "equity_group": "kecamatan"})
    per, da = robust_funding(eq, draws=3, seed=1, processes=1, time_limit_s=10, mip_rel_gap=0.0)
    assert per.attrs["method"] == "full" and (da["method"] == "full").all()
    assert (per["p_cleared"] == 1.0).all()
    (tmp_path / "inf").mkdir()
    bad = prepare_exact(tmp_path / "inf", [four("A", 10.0)], {("kota", 2017): 1e3}, years=(2017,),
                        rules={"locked_in": ["A"]})
    with pytest.warns(UserWarning, match="3 of 3 draws have no plan"):
        per, da = robust_funding(bad, draws=3, seed=1, processes=1, time_limit_s=5)
    assert per.attrs["draws_without_plan"] == [0, 1, 2] and per["p_cleared"].isna().all()
    assert not da["has_plan"].any()


PREC2 = [{"before": ["4a"], "after": ["2a"]}, {"before": ["3a"], "after": ["5a"]}]


def test_two_precedence_rules_are_kept_apart(tmp_path):
    # (review finding) with one merged before/after set, a 3a work counted as the 'before' of a 2a road
    # (rule 1 broken), and a 4a work was demanded for a 5a work (rule 2 does not ask for it): the model's
    # valid inequality then cut off the optimum and the plan cleared nothing
    from kotaku_decide.allocate import allocate

    (tmp_path / "i").mkdir()
    (tmp_path / "ii").mkdir()
    x = prepare_exact(tmp_path / "i", [location("X", site=EVIDENCE_SITE, area_ha=10.0,
                                                vols={"2a": 800, "3a": 80, "4a": 8, "3b": 80, "5b": 80})],
                      {("kota", 2017): 2e9},
                      frules={"kota": {"carry_over": "yes"}},
                      unit_cost={"2a": 10_000, "3a": 100_000, "4a": 50_000_000, "3b": 5_000_000, "5b": 5_000_000},
                      rules={"precedence": PREC2})
    sub, groups = package_input(x)
    assert not ({"2a"} <= set(sub.options["criterion"]) and "4a" not in set(sub.options["criterion"]))
    o = solve_variant(sub, same_year=groups, solver=EXACT, want_plan=True)
    assert o.status == "optimal" and check_plan(x, o.plan) == []
    y = prepare_exact(tmp_path / "ii", [location("Y", site=EVIDENCE_SITE, area_ha=10.0,
                                                 vols={"5a": 80, "4a": 8, "6a": 80, "6b": 80})],
                      {("kota", 2017): 5.8e6},
                      frules={"kota": {"carry_over": "yes"}},
                      unit_cost={"5a": 100_000, "4a": 8_000_000, "6a": 50_000_000, "6b": 50_000_000},
                      rules={"precedence": PREC2})
    res = allocate(inp=y, solver=EXACT)
    assert res.report.proven_optimal and res.report.objective == pytest.approx(10.0)
    assert check_plan(y, res.plan) == []


def test_cheaper_draw_brings_back_unaffordable_options_once(tmp_path):
    # (review finding) an option dropped by prepare as dearer than all its eligible money comes back
    # when a draw makes it affordable; and re-budgeting never adds an option twice
    from kotaku_decide.evidence import with_budget

    inp = prepare_exact(tmp_path, [four("A", 10.0)], {("kota", 2017): 25e6}, years=(2017,),
                        unit_cost={"3a": 1_000_000, "3b": 1_000_000, "5a": 1_000_000, "5b": 1_000_000})
    assert inp.unaffordable is not None and len(inp.unaffordable)
    dear = inp.unaffordable["cost_rp"].min()
    fac = {w: 25e6 / dear * 0.99 for w in inp.unaffordable["work_id"]}
    v = with_costs(inp, fac)
    assert len(v.options) > len(inp.options)
    again = with_budget(v, v.funding.budget_rp * 2)
    assert len(again.options) == len(again.options.drop_duplicates(["loc", "criterion", "option"]))


def test_plan_objective_matches_the_plan_evaluation(tmp_path):
    # the objective used by the greedy guard and the sweep starts, against the allocation module's own
    # evaluation of the same plan (unweighted), and scaled by location weights by hand
    from kotaku_decide.allocate import evaluate_plan, works_from_plan
    from kotaku_decide.allocate.greedy import greedy_plan
    from kotaku_decide.evidence.core import plan_objective

    inp = _rules(tmp_path)
    gp, _ = greedy_plan(inp)
    keys = set(zip(gp["option_row"].astype(int), gp["year"].astype(int)))
    assert keys and plan_objective(inp, keys) == pytest.approx(
        evaluate_plan(inp, works_from_plan(gp))["hectare_years"], rel=1e-12)
    lw = np.full(len(inp.locations), 2.5)
    assert plan_objective(inp, keys, lw) == pytest.approx(2.5 * plan_objective(inp, keys), rel=1e-12)
    assert plan_objective(inp, set()) == 0.0
