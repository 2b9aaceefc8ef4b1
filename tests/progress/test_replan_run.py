"""``kotaku-decide replan``: the years before ``--from`` fixed to the realised works, the rest re-planned.

A small city of four locations (every unit Rp 1 million), 2017-2019, two sources: ``apbn`` (no
carry-over) and ``csr`` (carries over). The original plan is solved (proven optimal); the realised
works are built from its rows, so "nothing went wrong" means exactly the plan's first year.
"""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from helpers import ALLOC_SITE, FIXED_11, location, write_case

from kotaku_decide.allocate import allocate, prepare
from kotaku_decide.cli.main import main
from kotaku_decide.data.scenario import load_scenario
from kotaku_decide.progress.replan import ReplanError, carried_budget, replan

BUDGET = {("apbn", y): 60e6 for y in (2017, 2018, 2019)} | {("csr", y): 25e6 for y in (2017, 2018, 2019)}
RULES = {"apbn": {"carry_over": "no", "eligible": "2b;4b;5a"}, "csr": {"carry_over": "yes", "eligible": "2b;4b;5a"}}


def _locations():
    # 11 fixed points + road 2b at 800 m of 1000 (5) = 16; drainage 4b needs (precedence) at L1 and L3
    spec = [("L1", 6.0, {"2b": 800, "4b": 300, "5a": 60}), ("L2", 4.0, {"2b": 800, "5a": 80}),
            ("L3", 9.0, {"2b": 900, "4b": 600}), ("L4", 3.0, {"2b": 850, "5a": 30})]
    return [location(lid, site=ALLOC_SITE, vols={**FIXED_11, **v}, area_ha=a, kelurahan=f"K{lid}")
            for lid, a, v in spec]


@pytest.fixture
def city(tmp_path):
    data = write_case(tmp_path, _locations(), BUDGET, RULES)
    sc = {"data": data, "years": {"start": 2017, "end": 2019},
          "objective": {"tie_break": False},
          "solver": {"time_limit_s": 60, "mip_rel_gap": 0.0, "subprocess": False, "tie_break_time_s": 0.0}}
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(sc), encoding="utf-8")
    return path


def _realised_from(plan: pd.DataFrame, years, drop=()):
    """Realised works exactly as planned in ``years`` (the work's volume on its first source row)."""
    rows = []
    p = plan[plan["year"].isin(years)].sort_values(["location_id", "criterion", "year", "source"])
    seen = set()
    for r in p.itertuples(index=False):
        key = (r.location_id, r.criterion, r.year)
        if (r.location_id, r.criterion) in drop:
            continue
        rows.append({"location_id": r.location_id, "criterion": r.criterion, "year": int(r.year),
                     "volume": 0.0 if key in seen else float(r.quantity), "cost_rp": float(r.cost_rp),
                     "source": r.source})
        seen.add(key)
    return pd.DataFrame(rows)


def _spend(plan, source, year):
    return float(plan[(plan["source"] == source) & (plan["year"] == year)]["cost_rp"].sum())


def test_replan_of_exactly_the_first_year_keeps_the_rest_optimal(city, tmp_path):
    res0 = allocate(str(city))
    assert res0.report.proven_optimal and res0.checks == []
    plan = res0.plan
    assert (plan["year"] == 2017).any() and (plan["year"] > 2017).any(), "the case must use both parts of the horizon"
    done = _realised_from(plan, [2017])
    r = replan(str(city), done, 2018, tmp_path / "work", plan=plan)
    new = r.result.plan
    # the fixed year is never changed: nothing re-planned before 2018, the past works are the plan's 2017 works
    assert (new["year"] >= 2018).all()
    past = r.fixed.works.set_index(["location_id", "criterion"])["volume"].sort_index()
    planned = plan[plan["year"] == 2017].groupby(["location_id", "criterion"])["quantity"].first().sort_index()
    pd.testing.assert_series_equal(past, planned, check_names=False)
    # the rest is at least as good as the original plan's rest, and here equal (both optimal)
    assert r.result.report.proven_optimal and r.result.checks == []
    assert r.original_rest["feasible"], r.original_rest["violations"]
    assert r.result.evaluation["hectare_years"] == pytest.approx(r.original_rest["hectare_years"], abs=1e-6)
    # money already spent is never spent again: apbn per year; csr (carry-over) cumulatively with 2017
    for y in (2018, 2019):
        assert _spend(new, "apbn", y) <= BUDGET[("apbn", y)] + 1e-6
    spent17 = float(done[done["source"] == "csr"]["cost_rp"].sum())
    assert spent17 + _spend(new, "csr", 2018) <= 50e6 + 1e-6
    assert spent17 + _spend(new, "csr", 2018) + _spend(new, "csr", 2019) <= 75e6 + 1e-6
    # the money table says what was carried: csr's 2017 leftover, nothing for apbn
    m = r.money.set_index("source")
    assert m.loc["csr", "carried_rp"] == pytest.approx(25e6 - spent17)
    assert m.loc["apbn", "carried_rp"] == 0.0


def test_a_failed_work_is_re_planned_and_named_as_the_reason(city, tmp_path):
    plan = allocate(str(city)).plan
    first = plan[plan["year"] == 2017]
    lid, crit = first.sort_values("cost_rp").iloc[-1][["location_id", "criterion"]]
    done = _realised_from(plan, [2017], drop={(lid, crit)})
    r = replan(str(city), done, 2018, tmp_path / "work", plan=plan)
    assert r.result.checks == [] and (r.result.plan["year"] >= 2018).all()
    row = r.changes.set_index("location_id").loc[lid]
    assert crit in row["reason"] and "not done" in row["reason"]
    assert row["change"] != "same"


def test_carried_budget_by_hand(city):
    """csr (carries over) overspends 2017 by 20 M: its 2018 money is 25 - 20 = 5 M; apbn (no carry-over)
    overspends by 10 M: a note, and its later budgets stay as they are."""
    inp = prepare(load_scenario(str(city)))
    done = pd.DataFrame([{"location_id": "L1", "criterion": "5a", "year": 2017, "volume": 10.0, "cost_rp": 45e6,
                          "source": "csr"},
                         {"location_id": "L2", "criterion": "5a", "year": 2017, "volume": 10.0, "cost_rp": 70e6,
                          "source": "apbn"}])
    budget, money, notes = carried_budget(inp.funding, done, inp.locations, 2018)
    b = budget.set_index(["source", "year"])["budget_rp"]
    assert b[("csr", 2018)] == pytest.approx(5e6) and b[("csr", 2019)] == pytest.approx(25e6)
    assert b[("apbn", 2018)] == pytest.approx(60e6) and b[("apbn", 2019)] == pytest.approx(60e6)
    assert sorted(set(budget["year"])) == [2018, 2019]
    assert money.set_index("source").loc["csr", "carried_rp"] == pytest.approx(-20e6)
    assert any("apbn" in n and "over its budget" in n for n in notes)
    # an overspend beyond every later budget is carried as far as it goes and named
    done.loc[0, "cost_rp"] = 100e6  # 75 M over 2017's 25 M: 2018 and 2019 (50 M) absorb 50 M
    budget, money, notes = carried_budget(inp.funding, done, inp.locations, 2018)
    b = budget.set_index(["source", "year"])["budget_rp"]
    assert b[("csr", 2018)] == 0.0 and b[("csr", 2019)] == 0.0
    assert money.set_index("source").loc["csr", "debt_left_rp"] == pytest.approx(25e6)
    assert any("csr" in n and "more than every re-planned budget" in n for n in notes)


def test_replan_from_the_first_year_is_refused(city, tmp_path):
    with pytest.raises(ReplanError, match=r"--from 2017: expected a year after the plan's first year 2017"):
        replan(str(city), pd.DataFrame(columns=["location_id", "criterion", "year", "volume", "cost_rp", "source"]),
               2017, tmp_path / "work")


@pytest.mark.slow
def test_cli_replan_writes_a_reproducible_re_plan(city, tmp_path, capsys):
    out0 = tmp_path / "plan0"
    assert main(["allocate", str(city), "--out", str(out0)]) == 0
    plan = pd.read_csv(out0 / "plan.csv", dtype={"location_id": str}, comment="#")
    done = _realised_from(plan, [2017])
    done_csv = tmp_path / "done.csv"
    done.to_csv(done_csv, index=False)
    out = tmp_path / "replan"
    capsys.readouterr()
    assert main(["replan", str(city), "--done", str(done_csv), "--from", "2018", "--out", str(out),
                 "--plan", str(out0 / "plan.csv")]) == 0
    text = capsys.readouterr().out
    assert "original plan's rest on the re-plan's input: keeps every rule" in text
    for f in ("plan.csv", "changes.csv", "past_works.csv", "money_carried.csv", "original_rest.csv",
              "replan_notes.txt", "replan.xlsx", "inputs/scenario.yaml", "inputs/baseline_left.csv",
              "inputs/budget_left.csv"):
        assert (out / f).exists(), f
    # the written inputs reproduce the re-plan with the ordinary allocate command
    out2 = tmp_path / "again"
    assert main(["allocate", str(out / "inputs" / "scenario.yaml"), "--out", str(out2)]) == 0
    a = pd.read_csv(out / "solve_report.csv")["objective"].iloc[0]
    b = pd.read_csv(out2 / "solve_report.csv")["objective"].iloc[0]
    assert a == pytest.approx(b, abs=1e-6)


def test_cli_replan_bad_input_names_it_and_writes_nothing(city, tmp_path, capsys):
    done = pd.DataFrame([{"location_id": "L1", "criterion": "2b", "year": 2017, "volume": 5000.0, "cost_rp": 1e6,
                          "source": "apbn"}])
    done_csv = tmp_path / "done.csv"
    done.to_csv(done_csv, index=False)
    out = tmp_path / "replan"
    assert main(["replan", str(city), "--done", str(done_csv), "--from", "2018", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "row 2" in err and "volume" in err and "nothing was written" in err
    assert not out.exists()
    assert main(["replan", str(city), "--done", str(done_csv), "--from", "2030", "--out", str(out)]) == 2
    assert "--from 2030: expected a year after the plan's first year 2017 and at most its last year 2019" in \
        capsys.readouterr().err
    assert not out.exists()
