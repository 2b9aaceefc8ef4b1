"""Robust funding (seeded, worker-independent), figures and the command line."""

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import EXACT, four, prepare_exact

from kotaku_decide.cli.evidence import main
from kotaku_decide.evidence import draw_factors, robust_funding

LOCS = [four("A", 10.0), four("B", 6.0, crits=("6a", "6b", "7a", "7b")),
        four("C", 4.5, crits=("1a", "1c", "3a", "3b"))]
BUDGET = {("kota", 2017): 30e6, ("kota", 2018): 10e6}


def _inp(tmp_path):
    return prepare_exact(tmp_path, LOCS, BUDGET, years=(2017, 2018))


def test_robust_reproducible_regardless_of_workers(tmp_path):
    inp = _inp(tmp_path)
    a, da = robust_funding(inp, draws=6, seed=7, weights="simplex", time_limit_s=20, mip_rel_gap=0.0, processes=1)
    b, db = robust_funding(inp, draws=6, seed=7, weights="simplex", time_limit_s=20, mip_rel_gap=0.0, processes=2)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(da.drop(columns="time_s"), db.drop(columns="time_s"))
    assert (da["status"] == "optimal").all()
    assert a["p_cleared"].between(0, 1).all()
    assert set(a.loc[a["core"], "location_id"]) == set(a.loc[a["p_cleared"] >= 0.9, "location_id"])


def test_draw_factors_seeded_and_bounded(tmp_path):
    inp = _inp(tmp_path)
    f1, w1 = draw_factors(inp, 5, 3, 0.3, "simplex")
    f2, w2 = draw_factors(inp, 5, 3, 0.3, "simplex")
    f3, _ = draw_factors(inp, 5, 4, 0.3, None)
    assert f1 == f2 and np.array_equal(w1, w2) and f1 != f3
    assert all(0.7 <= v <= 1.3 for v in f1.values())
    assert np.all(w1 > 0)


def test_costs_up_by_half_can_drop_a_location(tmp_path):
    # an independent check of the cost draw: all costs x 1.5 leaves money for fewer locations
    from kotaku_decide.evidence import solve_variant, with_costs

    inp = _inp(tmp_path)
    base = solve_variant(inp, solver=EXACT)
    fac = {w: 1.5 for w in inp.options["work_id"].unique()}
    up = solve_variant(with_costs(inp, fac), solver=EXACT)
    assert up.works["cost_rp"].sum() <= 40e6 + 1e-6
    assert up.objective <= base.objective + 1e-9


def _scenario_file(tmp_path):
    _inp(tmp_path)
    sc = {"data": {"baseline": "baseline.csv", "costs": "costs.csv", "budget": "budget.csv",
                   "funding_rules": "rules.csv"}, "years": {"start": 2017, "end": 2018},
          "solver": {"mip_rel_gap": 0.0}}
    p = tmp_path / "small.yaml"
    p.write_text(yaml.safe_dump(sc))
    return p


def test_cli_explain_sweep_robust(tmp_path, capsys):
    sc = _scenario_file(tmp_path)
    out = tmp_path / "out"
    assert main(["explain", str(sc), "--out", str(out / "ex"), "--processes", "1"]) == 0
    for f in ("why.csv", "sentences.csv", "marginal_value.csv", "explain.xlsx", "why_en.png", "why_id.png",
              "money_waterfall_en.png"):
        assert (out / "ex" / f).exists(), f
    s = pd.read_csv(out / "ex" / "sentences.csv")
    assert s["en"].str.contains("Kampung").all() and s["id"].notna().all()
    assert main(["sweep", str(sc), "--out", str(out / "sw"), "--budgets", "0.5,1,2", "--processes", "1"]) == 0
    sw = pd.read_csv(out / "sw" / "sweep.csv")
    assert list(sw["factor"]) == [0.5, 1.0, 2.0] and (out / "sw" / "frontier_id.png").exists()
    assert main(["robust", str(sc), "--out", str(out / "rb"), "--draws", "3", "--seed", "1", "--processes", "1",
                 "--time-limit", "10"]) == 0
    assert (out / "rb" / "funding_probability.csv").exists() and (out / "rb" / "robust.xlsx").exists()
    rb = pd.read_csv(out / "rb" / "funding_probability.csv")
    assert {"p_cleared_2017", "p_cleared_2018", "p_cleared", "core"} <= set(rb.columns)
    assert main(["robust", str(sc), "--out", str(out / "rbf"), "--draws", "2", "--processes", "1",
                 "--method", "full", "--time-limit", "10", "--gap", "0"]) == 0
    assert set(pd.read_csv(out / "rbf" / "draws.csv")["method"]) == {"full"}


def test_cli_bad_usage(tmp_path):
    sc = _scenario_file(tmp_path)
    assert main(["sweep", str(sc), "--out", str(tmp_path / "x"), "--budgets", "a,b"]) == 2
    assert main(["sweep", str(sc), "--out", str(tmp_path / "x"), "--source", "nope", "--budgets", "1"]) == 2
    assert main(["robust", str(sc), "--out", str(tmp_path / "x"), "--draws", "0"]) == 2
    for bad in (["--cost-spread", "1.5"], ["--gap", "-0.1"], ["--time-limit", "0"]):
        assert main(["robust", str(sc), "--out", str(tmp_path / "x"), "--draws", "2"] + bad) == 2
    assert not (tmp_path / "x").exists()
    assert main(["explain", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "x")]) == 2
    with pytest.raises(SystemExit) as e:
        main(["explain"])
    assert e.value.code == 2
