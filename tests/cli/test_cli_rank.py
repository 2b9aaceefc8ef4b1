"""The ahp and rank sub-commands."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kotaku_decide.cli import rank as rank_cli
from kotaku_decide.rank import read_weights

REPO = Path(__file__).resolve().parents[2]
ASPECTS = ["building", "road", "water", "drainage", "wastewater", "solid_waste", "fire"]


def _run(argv):
    ap = argparse.ArgumentParser(prog="kotaku-decide")
    sub = ap.add_subparsers(dest="command", required=True)
    rank_cli.register(sub)
    args = ap.parse_args(argv)
    return args.func(args)


def _pairwise(tmp_path, rows, labels, name="pairwise.csv"):
    df = pd.DataFrame(rows, columns=labels)
    df.insert(0, "", labels)
    p = tmp_path / name
    df.to_csv(p, index=False)
    return p


def _consistent_aspects(w):
    w = np.asarray(w, float)
    a = w[:, None] / w[None, :]
    return [[f"{v:.6f}" if i <= j else "" for j, v in enumerate(row)] for i, row in enumerate(a)]


def test_ahp_prints_weights_cr_and_writes_usable_weights(tmp_path, capsys):
    w = [4, 2, 8, 2, 8, 1, 1]
    p = _pairwise(tmp_path, _consistent_aspects(w), ASPECTS)
    out = tmp_path / "weights.csv"
    assert _run(["ahp", str(p), "--out", str(out)]) == 0
    text = capsys.readouterr()
    assert "CR = 0.0000" in text.out and "acceptable" in text.out
    assert "warning" not in text.err
    from kotaku_decide.data.profiles import load_profile
    ws = read_weights(out, load_profile("permen-14-2018"))
    assert ws.level == "aspect"
    np.testing.assert_allclose(ws.given.to_numpy(), np.array(w) / sum(w), atol=1e-5)


def test_ahp_warns_and_names_judgements_when_inconsistent(tmp_path, capsys):
    labels = ASPECTS
    rows = _consistent_aspects([1] * 7)
    rows[0][2] = "9"  # building 9x water, while everything else says equal
    rows[1][3] = "1/9"
    p = _pairwise(tmp_path, rows, labels)
    assert _run(["ahp", str(p)]) == 0
    text = capsys.readouterr()
    assert "INCONSISTENT" in text.out
    assert "CR =" in text.err and "> 0.10" in text.err
    assert "building vs water" in text.err or "road vs drainage" in text.err


def test_ahp_group_of_files(tmp_path, capsys):
    p1 = _pairwise(tmp_path, _consistent_aspects([1, 1, 4, 2, 4, 1, 1]), ASPECTS, "council.csv")
    p2 = _pairwise(tmp_path, _consistent_aspects([1, 2, 2, 2, 2, 1, 1]), ASPECTS, "community.csv")
    out = tmp_path / "w.csv"
    assert _run(["ahp", str(p1), str(p2), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Group AHP over 2 stakeholders" in text and "council" in text and "community" in text
    df = pd.read_csv(out)
    assert list(df.columns) == ["aspect", "weight", "weight_council", "weight_community"]
    g = np.sqrt(np.array([1, 1, 4, 2, 4, 1, 1]) * np.array([1, 2, 2, 2, 2, 1, 1]))
    np.testing.assert_allclose(df["weight"], g / g.sum(), atol=1e-5)


def test_ahp_bad_label_exit_code_and_message(tmp_path, capsys):
    p = _pairwise(tmp_path, [["1", "3"], ["", "1"]], ["water", "roads"])
    assert _run(["ahp", str(p)]) == 1
    err = capsys.readouterr().err
    assert "unknown" in err and "roads" in err and str(p) in err


# ---- rank with a stub scored table (independent of the baseline loaders) --------------------
CODES = ["1a", "1b", "3a"]


class _Profile:
    criteria = pd.DataFrame({"code": CODES, "aspect": ["building", "building", "water"]})
    codes = tuple(CODES)


@pytest.fixture
def stub(monkeypatch):
    scored = pd.DataFrame({
        "location_id": ["L1", "L2", "L3", "L4"], "name": ["A", "B", "C", "D"],
        "score_1a": [5, 0, 3, 1], "score_1b": [5, 1, 3, 1], "score_3a": [0, 5, 3, 1],
        "pct_1a": [90.0, 5, 60, 30], "pct_1b": [95.0, 30, 55, 30], "pct_3a": [10.0, 99, 60, 30],
    })
    scored["total_score"] = scored[[f"score_{c}" for c in CODES]].sum(axis=1)
    monkeypatch.setattr(rank_cli, "_load_profile", lambda name: _Profile())
    monkeypatch.setattr(rank_cli, "_load_scored", lambda path, prof, sheet=None: scored.copy())
    return scored


def test_rank_official_and_weighted(tmp_path, stub, capsys):
    out = tmp_path / "out.csv"
    assert _run(["rank", "x.csv", "--out", str(out)]) == 0
    df = pd.read_csv(out)
    # totals 10, 6, 9, 3 -> A, C, B, D
    assert df["location_id"].tolist() == ["L1", "L3", "L2", "L4"]
    assert df["rank"].tolist() == [1, 2, 3, 4]
    w = tmp_path / "w.csv"
    w.write_text("aspect,weight\nbuilding,1\nwater,9\n")
    assert _run(["rank", "x.csv", "--method", "wsm", "--weights", str(w), "--out", str(out)]) == 0
    df = pd.read_csv(out)
    # criterion weights (.05, .05, .9) on scores: B = 4.55 first
    assert df["location_id"].iloc[0] == "L2"
    assert df.loc[df["location_id"] == "L2", "rank_change"].item() == 2
    assert "normalised" in capsys.readouterr().out


def test_rank_vikor_and_robustness_xlsx(tmp_path, stub):
    out = tmp_path / "out.xlsx"
    args = ["rank", "x.csv", "--method", "vikor", "--basis", "shares", "--draws", "200", "--seed", "3",
            "--top-k", "2", "--share-error", "5", "--out", str(out)]
    assert _run(args) == 0
    df = pd.read_excel(out)
    for c in ("vikor_S", "vikor_R", "vikor_compromise", "p_first", "p_top_2", "rank_median",
              "rank_p05", "rank_p95"):
        assert c in df.columns
    assert df["p_first"].sum() == pytest.approx(1.0)
    out2 = tmp_path / "out2.xlsx"
    assert _run(args[:-1] + [str(out2)]) == 0
    pd.testing.assert_frame_equal(df, pd.read_excel(out2))  # same seed, same file


def test_rank_with_ahp_weights_and_perturbation(tmp_path, stub, capsys):
    p = _pairwise(tmp_path, [["1", "1/4"], ["", "1"]], ["building", "water"])
    out = tmp_path / "out.csv"
    assert _run(["rank", "x.csv", "--method", "topsis", "--ahp", str(p), "--draws", "100",
                 "--seed", "1", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "weights from AHP (aspect level)" in text and "topsis" in text
    assert "Saaty's scale" in text


@pytest.mark.parametrize("extra, fragment", [
    (["--share-error", "5"], "--basis shares"),
    (["--draws", "-1"], "--draws"),
])
def test_rank_option_errors(tmp_path, stub, capsys, extra, fragment):
    # a command-line mistake: exit 2, as every command (kotaku_decide.cli.main)
    assert _run(["rank", "x.csv", "--out", str(tmp_path / "o.csv")] + extra) == 2
    assert fragment in capsys.readouterr().err


def test_rank_bad_output_suffix(tmp_path, stub, capsys):
    assert _run(["rank", "x.csv", "--out", str(tmp_path / "o.txt")]) == 2
    assert ".csv or .xlsx" in capsys.readouterr().err


# ---- end to end on the shipped synthetic baseline ----------------------------------------------
BASELINE = REPO / "data" / "balikpapan_2016_baseline.csv"


@pytest.mark.slow
@pytest.mark.skipif(not BASELINE.exists(), reason="synthetic baseline not present")
def test_rank_end_to_end_on_synthetic_baseline(tmp_path):
    import warnings
    out = tmp_path / "out.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _run(["rank", str(BASELINE), "--method", "topsis", "--basis", "shares",
                     "--draws", "300", "--seed", "2", "--out", str(out)]) == 0
        df = pd.read_csv(out)
        assert _run(["rank", str(BASELINE), "--out", str(tmp_path / "off.csv")]) == 0
    off = pd.read_csv(tmp_path / "off.csv")
    assert sorted(df["rank"]) == list(range(1, len(df) + 1))
    assert off["total_score"].is_monotonic_decreasing
    assert df["p_first"].sum() == pytest.approx(1.0)
