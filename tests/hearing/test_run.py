"""The hearing run in-process: files, key figures against the allocation's own tables, run.json."""

import json

import pandas as pd
import pytest
from kd_testutil import DATA

from kotaku_decide.hearing.run import refuse_unknown_parameters, run_scenario


@pytest.fixture(scope="module")
def hearing(hearing_full):
    """The embedded city with every piece of evidence (conftest.py: one run for the hearing tests)."""
    hr, out = hearing_full
    return hr, out / "baseline"


def test_files_are_all_written(hearing):
    hr, out = hearing
    for f in ("scores.csv", "ranks.csv", "plan.csv", "before_after.csv", "yearly.csv", "money.csv",
              "solve_report.csv", "consistency.csv", "results.xlsx", "summary.json", "run.json", "report.html",
              "explanations.csv", "cuts.csv", "value_of_optimisation.csv"):
        assert (out / f).exists() and (out / f).stat().st_size > 0, f
    pngs = {p.stem for p in (out / "figures").glob("*.png")}
    assert {"slum_hectares_by_year", "money_by_source", "hectares_by_kecamatan", "rank_intervals", "location_map",
            "plan_map"} <= pngs
    assert not list(out.rglob("*.part"))
    book = pd.read_excel(out / "results.xlsx", sheet_name=None)
    assert list(book)[0] == "summary" and {"plan", "scores", "ranks", "before_after", "money"} <= set(book)


def test_key_figures_match_the_tables_written(hearing):
    hr, out = hearing
    kf = json.loads((out / "summary.json").read_text())
    plan = pd.read_csv(out / "plan.csv")
    yearly = pd.read_csv(out / "yearly.csv")
    money = pd.read_csv(out / "money.csv")
    assert kf["spent_rp"] == pytest.approx(plan["cost_rp"].sum(), rel=1e-9)
    assert kf["funded_locations"] == sorted(plan["location_id"].unique())
    assert kf["slum_ha_baseline"] == pytest.approx(yearly["slum_ha"].iloc[0])
    for y, left in kf["slum_ha_left_by_year"].items():
        assert left == pytest.approx(yearly.loc[yearly["year"] == int(y), "slum_ha"].item())
        assert kf["cleared_ha_by_year"][y] == pytest.approx(kf["slum_ha_baseline"] - left)
    assert kf["budget_rp"] == pytest.approx(money["budget_rp"].sum())
    assert kf["left_rp"] == pytest.approx(kf["budget_rp"] - plan["cost_rp"].sum(), rel=1e-9)
    assert kf["status"] == "optimal" and kf["proven_optimal"] and kf["checks_failed"] == 0
    assert any("SYNTHETIC" in p for p in kf["provenance"])


def test_run_json_records_what_is_needed_to_reproduce(hearing):
    hr, out = hearing
    run = json.loads((out / "run.json").read_text())
    assert run["scenario"]["ranking"]["draws"] == 200 and run["scenario_overrides"]["ranking"]["draws"] == 200
    assert len(run["inputs"]["baseline"]["sha256"]) == 64
    import hashlib

    assert run["inputs"]["baseline"]["sha256"] == hashlib.sha256(
        (DATA / "balikpapan_2016_baseline.csv").read_bytes()).hexdigest()
    assert run["versions"]["pulp"].startswith("3.3") and run["solver_report"]["status"] == "optimal"
    assert run["started"] <= run["finished"] and "allocate" in run["timings_s"]


def test_excel_cells_from_user_text_are_escaped(tmp_path):
    base = pd.read_csv(DATA / "balikpapan_2016_baseline.csv", comment="#", dtype=str)
    base.loc[0, "name"] = "=HYPERLINK(\"http://x\",\"click\")"
    p = tmp_path / "b.csv"
    base.to_csv(p, index=False)
    # explanations and the goal re-solve the plan and have nothing to do with escaping: off (speed)
    run_scenario({"data": {"baseline": str(p)}, "ranking": {"draws": 0}, "report": {"explain": False, "goal": False}},
                 tmp_path / "out", greedy=False)
    sheets = pd.read_excel(tmp_path / "out" / "results.xlsx", sheet_name=None, dtype=object)
    names = pd.concat([sheets[s]["name"] for s in ("scores", "ranks") if "name" in sheets[s]])
    assert names.str.startswith("'=HYPERLINK").any() and not names.str.startswith("=").any()


def test_unknown_notebook_parameters_are_refused():
    ns = {"scenario": {}, "out_dir": "x", "name": None, "lang": None, "scenario_file": None, "scenaro": {}}
    with pytest.raises(ValueError, match="'scenaro' \\(did you mean 'scenario'\\?\\)"):
        refuse_unknown_parameters(ns)
    del ns["scenaro"]
    refuse_unknown_parameters(ns)


def test_a_free_mapping_override_replaces_the_mapping():
    from kotaku_decide.data.scenario import load_scenario

    sc = load_scenario({"funding": {"source_factor": {"csr": 2.0}}})
    assert sc.replace({"funding": {"source_factor": {}}})["funding.source_factor"] == {}
    assert sc.replace({"funding": {"source_factor": {"dak": 1.5}}})["funding.source_factor"] == {"dak": 1.5}
