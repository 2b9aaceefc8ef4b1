"""Scenario files (kotaku_decide.data.scenario): unknown and mistyped keys refused with their path; paths
relative to the file."""

from __future__ import annotations

import pytest
from helpers import ALLOC_SITE, FIXED_11, location, write_case

from kotaku_decide.data.scenario import ScenarioError, load_scenario


def test_scenario_refuses_unknown_and_mistyped_keys(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("solver:\n  time_limt_s: 5\nobjective:\n  kind: hectare\nyears:\n  start: '2017'\n")
    with pytest.raises(ScenarioError) as e:
        load_scenario(f)
    msg = str(e.value)
    assert "solver.time_limt_s: unknown key; did you mean solver.'time_limit_s'?" in msg
    assert "objective.kind: 'hectare' is not one of" in msg and "did you mean 'hectares'" in msg
    f.write_text("objective:\n  kind: hectare\n")
    with pytest.raises(ScenarioError):
        load_scenario(f)
    f.write_text("years:\n  start: '2017'\n")
    with pytest.raises(ScenarioError, match="years.start: expected integer"):
        load_scenario(f)


def test_scenario_paths_relative_to_file(tmp_path):
    d = write_case(tmp_path, [location("A", site=ALLOC_SITE, vols={**FIXED_11, "2b": 800})], {("city", 2017): 1e8})
    sub = tmp_path / "scen"
    sub.mkdir()
    (sub / "s.yaml").write_text("data:\n  baseline: ../baseline.csv\n  costs: ../costs.csv\n"
                                "  budget: ../budget.csv\n  funding_rules: ../rules.csv\n")
    sc = load_scenario(sub / "s.yaml")
    assert sc["data.baseline"] == d["baseline"]
    assert sc["rules.precedence"][0]["after"] == ["2a", "2b"]  # defaults kept
