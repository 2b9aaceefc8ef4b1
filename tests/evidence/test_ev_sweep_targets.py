"""Budget sweep (monotone, equal to independent solves) and least cost to targets (brute force)."""

import itertools

import numpy as np
import pytest
from helpers import EXACT, brute_cheapest, case_files, four, prepare_exact, write_budget

from kotaku_decide.allocate import allocate, prepare
from kotaku_decide.data.scenario import load_scenario
from kotaku_decide.evidence import budget_sweep, knees, least_cost_targets, no_slum_goal

LOCS = [four("A", 10.0), four("B", 6.0, crits=("6a", "6b", "7a", "7b")),
        four("C", 4.5, crits=("1a", "1c", "3a", "3b")), four("D", 3.0, crits=("3a", "3b", "6a", "6b"))]
UC = {"6a": 2_000_000, "6b": 2_000_000, "7a": 2_000_000, "7b": 2_000_000, "1a": 3_000_000, "1c": 3_000_000,
      "4b": 500_000, "4c": 500_000}


def _scenario(tmp_path, years):
    return {"data": case_files(tmp_path), "years": {"start": years[0], "end": years[-1]}}


def test_sweep_monotone_and_matches_independent_solves(tmp_path):
    years = (2017, 2018)
    budgets = {("kota", 2017): 20e6, ("kota", 2018): 20e6, ("pusat", 2017): 10e6, ("pusat", 2018): 5e6}
    inp = prepare_exact(tmp_path, LOCS, budgets, unit_cost=UC, years=years)
    factors = [0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0]
    sw = budget_sweep(inp, factors, time_limit_s=30, mip_rel_gap=0.0, processes=2)
    assert (sw["status"] == "optimal").all()
    assert np.all(np.diff(sw["objective"].to_numpy(float)) >= -1e-9)  # more money never fewer hectare-years
    assert np.all(np.diff(sw["cleared_ha"].to_numpy(float)) >= -1e-9)
    assert sw["cleared_ha"].iloc[-1] == pytest.approx(23.5)  # everything cleared with enough money
    for k in (1, 3, 5):  # independent solves from freshly written budget files
        write_budget(tmp_path, {key: v * factors[k] for key, v in budgets.items()})
        res = allocate(inp=prepare(load_scenario(_scenario(tmp_path, years))), solver=EXACT)
        assert res.checks == []
        assert res.evaluation["hectare_years"] == pytest.approx(sw["objective"].iloc[k], abs=1e-6)


def test_sweep_one_source(tmp_path):
    budgets = {("kota", 2017): 20e6, ("pusat", 2017): 10e6}
    inp = prepare_exact(tmp_path, LOCS, budgets, unit_cost=UC)
    sw = budget_sweep(inp, [0.0, 1.0, 4.0], source="pusat", time_limit_s=30, mip_rel_gap=0.0, processes=1)
    assert list(sw["source_budget_rp"]) == [0.0, 10e6, 40e6]
    assert np.all(np.diff(sw["objective"].to_numpy(float)) >= -1e-9)
    entered = " ".join(sw["entered"]).split()
    assert len(entered) == len(set(entered))


def test_knees_on_a_known_curve():
    x = np.array([0, 1, 2, 3, 4, 5.0])
    y = np.array([0, 10, 20, 22, 24, 26.0])  # slope 10 then 2: the knee is at x = 2
    mask, main = knees(x, y)
    assert list(np.flatnonzero(mask)) == [2] and main == 2


def _brute_least_cost(inp, target):
    ids = list(inp.locations.loc[inp.locations["slum"], "location_id"])
    area = dict(zip(inp.locations["location_id"], inp.locations["area_ha"]))
    k = {i: brute_cheapest(inp, i) for i in ids}
    best = np.inf
    for r in range(len(ids) + 1):
        for sub in itertools.combinations(ids, r):
            if sum(area[i] for i in sub) >= target - 1e-9:
                best = min(best, sum(k[i] for i in sub))
    return best


def test_least_cost_reaches_target_and_is_cheapest(tmp_path):
    inp = prepare_exact(tmp_path, LOCS + [four("E", 2.0, legal=False)],
                        {("kota", 2017): 1e9}, unit_cost=UC, options={"legalisation": False, "resettlement": False})
    lc = least_cost_targets(inp, shares=(0.25, 0.5, 0.75, 1.0), modes=("given",), mip_rel_gap=0.0, processes=2)
    slum_ha = 25.5
    assert lc.attrs["slum_ha"] == pytest.approx(slum_ha)
    for r in lc.itertuples():
        if r.share == 1.0:
            assert r.status == "unreachable"  # E's land is not legal and nothing else is offered
            continue
        assert r.status == "optimal"
        assert r.cleared_ha >= r.target_ha - 1e-9
        assert r.cost_rp == pytest.approx(_brute_least_cost(inp, r.target_ha), rel=1e-9)
        assert r.works_cost_rp == pytest.approx(r.cost_rp, rel=1e-9)
    goal = no_slum_goal(inp, processes=1)
    assert list(goal["unreachable"]["location_id"]) == ["E"]
    assert goal["reachable_ha"] == pytest.approx(23.5)
    assert goal["given"]["cost_rp"] == pytest.approx(_brute_least_cost(inp, 23.5), rel=1e-6)


def test_least_cost_within_budget_can_be_infeasible(tmp_path):
    inp = prepare_exact(tmp_path, LOCS, {("kota", 2017): 30e6, ("kota", 2018): 30e6}, unit_cost=UC, years=(2017, 2018))
    lc = least_cost_targets(inp, shares=(1.0,), mip_rel_gap=0.0, processes=1)
    st = {(r.year, r.mode): r.status for r in lc.itertuples()}
    total = sum(brute_cheapest(inp, i) for i in "ABCD")
    assert total > 30e6  # not all in the first year's money ...
    assert st[(2017, "given")] == "infeasible" and st[(2017, "unlimited")] == "optimal"
    c = lc.set_index(["year", "mode"])["cost_rp"]
    assert c[(2017, "unlimited")] == pytest.approx(total, rel=1e-9)
