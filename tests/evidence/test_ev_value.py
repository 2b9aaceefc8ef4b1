"""The value of optimisation in money, on a hand-built knapsack where greedy's choice is known in advance.

A (10.5 ha) has the best hectares per rupiah, B and C (6 ha each) cost 60 % of A each. With a budget of
exactly B + C, greedy buys A and has too little left for B or C (10.5 ha); the optimum buys B and C
(12 ha). Greedy matches 12 ha only once it can buy A and then B: it needs a budget of cost(A) + cost(B).
The costs are found by enumerating every package (ev_util.brute_cheapest), not by the code under test.
"""

import pytest
from ev_util import EXACT, brute_cheapest, four, write

from kotaku_decide.allocate import allocate
from kotaku_decide.evidence.value import greedy_budget_to_match


def _households(row, hh):
    row = dict(row)
    f = hh / row["households"]
    row["households"] = hh
    for c in ("3a", "3b", "5a", "5b"):
        row[f"vol_{c}"] = row[f"vol_{c}"] * f
    return row


@pytest.fixture(scope="module")
def knapsack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("value")
    locs = [four("A", 10.5), _households(four("B", 6.0), 60), _households(four("C", 6.0), 60)]
    probe = write(tmp, locs, {("apbd", 2017): 1e12})
    cost = {lid: brute_cheapest(probe, lid) for lid in "ABC"}
    assert 10.5 / cost["A"] > 6.0 / cost["B"] and cost["B"] + cost["C"] < cost["A"] + cost["B"]
    budget = cost["B"] + cost["C"]
    inp = write(tmp, locs, {("apbd", 2017): budget})
    return inp, cost, budget


def test_greedy_needs_the_price_of_a_and_b(knapsack):
    inp, cost, budget = knapsack
    opt = allocate(inp=inp, solver=EXACT)
    assert set(opt.plan["location_id"]) == {"B", "C"}  # the optimum, 12 ha
    v = greedy_budget_to_match(inp, opt.plan, tol_rp=1e3)
    assert v.optimised == pytest.approx(12.0) and v.greedy == pytest.approx(10.5)
    assert v.share == pytest.approx(10.5 / 12.0)
    need = cost["A"] + cost["B"]
    assert v.budget_needed_rp == pytest.approx(need, abs=2e3)
    assert v.budget_needed_rp >= need - 1e-6  # the bisection's answer is a budget at which greedy matches
    assert v.extra_rp == pytest.approx(need - budget, abs=2e3)
    assert v.greedy_spent_rp == pytest.approx(need, rel=1e-9)  # it buys A and B, nothing else
    assert v.optimiser_spent_rp == pytest.approx(budget, rel=1e-9)
    assert v.lower_factor * budget < need <= v.factor * budget
    ev = v.evaluations
    assert not ev.loc[ev["factor"] < need / budget - 1e-9, "matches"].any()
    assert ev.loc[ev["factor"] >= need / budget, "matches"].all()


def test_no_gap_means_no_extra_money(knapsack, tmp_path):
    inp, cost, budget = knapsack
    rich = write(tmp_path, [four("A", 10.5), _households(four("B", 6.0), 60)], {("apbd", 2017): 1e12})
    opt = allocate(inp=rich, solver=EXACT)
    v = greedy_budget_to_match(rich, opt.plan)
    assert v.factor == 1.0 and v.extra_rp == 0.0 and v.greedy == pytest.approx(v.optimised)


def test_least_cost_objective_is_not_this_question(knapsack, tmp_path):
    inp, cost, budget = knapsack
    lc = write(tmp_path, [four("A", 10.5)], {("apbd", 2017): 1e12},
               objective={"kind": "least_cost", "target_hectares": 10.5})
    assert greedy_budget_to_match(lc, allocate(inp=lc, solver=EXACT).plan) is None
