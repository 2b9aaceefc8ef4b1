"""The plan checker (kotaku_decide.allocate.checker): the optimiser's and the greedy rule's plans keep every
rule; broken plans are caught rule by rule."""

from __future__ import annotations

import pytest

from kotaku_decide.allocate import allocate, check_plan, prepare


@pytest.mark.slow
@pytest.mark.parametrize("over", [
    {},
    {"funding": {"swadaya_share": 0.1}},
    {"rules": {"equity_min_share": 0.6}},
    {"rules": {"max_starts_per_year": 6, "max_starts_per_kelurahan": 1}},
    {"objective": {"kind": "households"}},
    {"objective": {"kind": "least_cost", "target_hectares": 200, "target_year": 2018}},
])
def test_milp_and_greedy_respect_every_rule(over):
    over = {**over, "solver": {"time_limit_s": 8, "tie_break_time_s": 0.5}}
    inp = prepare(over)
    m = allocate(inp=inp)
    g = allocate(inp=inp, method="greedy")
    assert m.report.status.has_solution
    assert check_plan(inp, m.plan) == []
    assert check_plan(inp, g.plan) == []
    # money table agrees with the budgets
    assert (m.money["left_rp"] >= -1.0).all() and (g.money["left_rp"] >= -1.0).all()
    kind = inp.scenario["objective.kind"]
    key = {"hectares": "hectare_years", "households": "households", "least_cost": "cost_m"}[kind]
    if m.report.proven_optimal:  # the optimiser is at least as good as the greedy rule
        if kind == "least_cost":
            assert m.evaluation[key] <= g.evaluation[key] + 1e-6 or g.checks
        else:
            assert m.evaluation[key] >= g.evaluation[key] - 1e-6


def test_checker_catches_broken_rules():
    inp = prepare(None)
    res = allocate(inp=inp, method="greedy")
    assert check_plan(inp, res.plan) == []
    p = res.plan.copy()
    p.loc[p.index[0], "cost_rp"] *= 100  # overspend + not paid exactly
    rules = {v.rule for v in check_plan(inp, p)}
    assert "paid_in_full" in rules and "budget" in rules
    p = res.plan.copy()
    road = p["criterion"].isin(["2a", "2b"])
    drains = p["criterion"].isin(["4a", "4b", "4c"]) & p["location_id"].isin(p.loc[road, "location_id"])
    if drains.any():
        assert "precedence" in {v.rule for v in check_plan(inp, p[~drains])}
    p = res.plan.copy()
    p.loc[:, "source"] = "dak"  # DAK may only pay for water and wastewater
    assert "eligibility" in {v.rule for v in check_plan(inp, p)}
