"""Every command with bad, hostile or careless arguments: each ends in a named message and its exit code (or a
correct result), never a traceback. Issue 15, classes "tracebacks for ordinary mistakes" and "runs that
cannot be bounded".

The big table runs the command line in-process (``kotaku_decide.cli.main.main``, the function the
``kotaku-decide`` script calls) so that 80 cases stay fast; a sample runs as a user would, in a subprocess,
and greps its stderr for a traceback."""

import shutil
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from helpers import DATA, REPO, location

from kotaku_decide.cli.main import main

BASELINE = DATA / "balikpapan_2016_baseline.csv"
SCENARIO = DATA / "scenarios" / "balikpapan.yaml"
AHP = DATA / "ahp" / "workshop_2016_bkm_lkm.csv"
BOMB = "\n".join(["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
                 + [f"{c}: &{c} [{', '.join(['*' + p] * 9)}]" for p, c in zip("abcdefgh", "bcdefghi")]) + "\n"


def run_main(argv):
    """(exit code, stderr) of the command line called in-process; argparse's own errors exit 2."""
    try:
        return main([str(a) for a in argv])
    except SystemExit as exc:
        return exc.code


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    t = tmp_path_factory.mktemp("hostile")
    f = {"tmp": t, "file": t / "plain.txt", "folder": t / "folder"}
    f["file"].write_text("not a folder")
    f["folder"].mkdir()
    wb = openpyxl.Workbook()
    ws = wb.active
    row = location("A")
    ws.append(list(row))
    ws.append(list(row.values()))
    wb.save(t / "one.xlsx")
    f["xlsx"] = t / "one.xlsx"
    (t / "bomb.yaml").write_text(BOMB)
    f["bomb"] = t / "bomb.yaml"
    (t / "negative.yaml").write_text(f"data:\n  baseline: {BASELINE}\ncosts:\n  location_factor:\n    BPN-01: -1\n")
    f["negative"] = t / "negative.yaml"
    (t / "grid.yaml").write_text(yaml.safe_dump({"grid": {"funding.budget_factor": [0.5 + i / 100 for i in range(10)],
                                                         "costs.price_index": [1 + i / 100 for i in range(10)],
                                                         "ranking.seed": list(range(10)),
                                                         "solver.seed": list(range(10))}}))
    f["grid"] = t / "grid.yaml"
    prof = t / "myprofile"
    shutil.copytree(REPO / "kotaku_decide" / "data" / "profiles" / "permen-14-2018", prof)
    crit = pd.read_csv(prof / "criteria.csv", dtype=str)
    crit.drop(columns=["denominator"]).to_csv(prof / "criteria.csv", index=False)
    f["badprofile"] = prof
    bombprof = t / "bombprofile"
    shutil.copytree(REPO / "kotaku_decide" / "data" / "profiles" / "permen-14-2018", bombprof)
    (bombprof / "profile.yaml").write_text(BOMB)
    f["bombprofile"] = bombprof
    (t / "latin.csv").write_bytes(b"\xff\xfe not utf-8\n")
    (t / "empty.csv").write_text("# only a comment\n")
    data = {"baseline": str(BASELINE), "costs": str(DATA / "costs" / "balikpapan_illustrative.csv"),
            "budget": str(DATA / "funding" / "balikpapan_budget_illustrative.csv"),
            "funding_rules": str(DATA / "funding" / "balikpapan_rules_illustrative.csv")}
    for key, name, bad in (("costs", "costs_latin", "latin.csv"), ("budget", "budget_empty", "empty.csv"),
                           ("funding_rules", "rules_latin", "latin.csv")):
        (t / f"{name}.yaml").write_text(yaml.safe_dump({"data": {**data, key: str(t / bad)}}))
        f[name] = t / f"{name}.yaml"
    (t / "null_name.yaml").write_text("scenarios:\n  - name: null\n")
    f["set_null_name"] = t / "null_name.yaml"
    big = t / "big.csv"
    from kotaku_decide.allocate.synthetic import make_baseline

    make_baseline(11_000).to_csv(big, index=False)
    f["big"] = big
    return f


# (case id, argv with {placeholders} from the fixture, exit code, fragment of stderr)
CASES = [
    ("no-command", [], 2, "required: command"),
    ("unknown-command", ["frobnicate"], 2, "invalid choice"),
    ("validate-missing", ["validate", "{tmp}/nope.csv"], 1, "file not found"),
    ("validate-folder", ["validate", "{folder}"], 1, "is a folder"),
    ("validate-strict-checks", ["validate", BASELINE, "--strict-checks", "bogus"], 2, "unknown check(s) ['bogus']"),
    ("validate-profile-name", ["validate", BASELINE, "--regulation", "permen-99"], 1, "unknown regulation profile"),
    ("validate-profile-broken", ["validate", BASELINE, "--regulation", "{badprofile}"], 1,
     "missing column(s) ['denominator']"),
    ("validate-profile-bomb", ["validate", BASELINE, "--regulation", "{bombprofile}"], 1, "alias bomb"),
    ("validate-sheet-number", ["validate", "{xlsx}", "--sheet", "9"], 1, "no sheet number 9"),
    ("validate-sheet-name", ["validate", "{xlsx}", "--sheet", "nosuch"], 1, "no sheet named 'nosuch'"),
    ("score-onto-itself", ["score", BASELINE, "--out", BASELINE], 2, "is also an input"),
    ("score-out-folder", ["score", BASELINE, "--out", "{folder}"], 2, "is an existing folder"),
    ("score-out-under-file", ["score", BASELINE, "--out", "{file}/x.csv"], 2, "is a file, so no folder"),
    ("score-out-suffix", ["score", BASELINE, "--out", "{tmp}/x.txt"], 2, "expected a file ending in .csv or .xlsx"),
    ("score-summary-is-out", ["score", BASELINE, "--out", "{tmp}/s.csv", "--summary", "{tmp}/s.csv"], 2,
     "--out and --summary both name"),
    ("score-summary-is-input", ["score", BASELINE, "--out", "{tmp}/s.csv", "--summary", BASELINE], 2,
     "balikpapan_2016_baseline.csv: expected a file ending in .md or .markdown or .txt"),
    ("score-level", ["score", BASELINE, "--out", "{tmp}/s.csv", "--level", "province"], 2, "invalid choice"),
    ("check-onto-itself", ["check", BASELINE, "--out", BASELINE], 2, "is also an input"),
    ("check-missing", ["check", "{tmp}/nope.csv"], 1, "file not found"),
    ("profiles-option", ["profiles", "--bogus"], 2, "unrecognized arguments: --bogus"),
    ("validate-sheet-csv-binary", ["validate", "{bomb}"], 1, "unsupported file type '.yaml'"),
    ("ahp-missing", ["ahp", "{tmp}/nope.csv"], 1, "nope.csv: file not found"),
    ("ahp-diagnose", ["ahp", AHP, "--diagnose", "-1"], 2, "--diagnose: -1 is below the bound"),
    ("ahp-out-folder", ["ahp", AHP, "--out", "{folder}"], 2, "is an existing folder"),
    ("rank-draws-negative", ["rank", BASELINE, "--out", "{tmp}/r.csv", "--draws", "-1"], 2, "--draws: -1 is below"),
    ("rank-draws-limit", ["rank", BASELINE, "--out", "{tmp}/r.csv", "--draws", "2000000"], 2,
     "add --lift-limits to the command"),
    ("rank-draw-cells", ["rank", "{big}", "--out", "{tmp}/r.csv", "--draws", "100000"], 2,
     "--draws 100000 over 11,000 locations"),
    ("rank-steps-negative", ["rank", BASELINE, "--out", "{tmp}/r.csv", "--judgement-steps", "-1"], 2,
     "--judgement-steps: -1 is below the bound"),
    ("rank-steps-zero", ["rank", BASELINE, "--out", "{tmp}/r.csv", "--judgement-steps", "0"], 2, "at least 1"),
    ("rank-steps-large", ["rank", BASELINE, "--out", "{tmp}/r.csv", "--judgement-steps", "17"], 2, "at most 16"),
    ("rank-top-k", ["rank", BASELINE, "--out", "{tmp}/r.csv", "--top-k", "0"], 2, "--top-k: 0"),
    ("rank-v", ["rank", BASELINE, "--out", "{tmp}/r.csv", "--method", "vikor", "--v", "2"], 2, "--v: 2.0 is above"),
    ("rank-v-nan", ["rank", BASELINE, "--out", "{tmp}/r.csv", "--v", "nan"], 2, "not a finite number"),
    ("rank-seed", ["rank", BASELINE, "--out", "{tmp}/r.csv", "--draws", "10", "--seed", "-1"], 2, "--seed: -1"),
    ("rank-share-error", ["rank", BASELINE, "--out", "{tmp}/r.csv", "--basis", "shares", "--share-error", "-1"], 2,
     "--share-error: -1.0 is below"),
    ("rank-share-error-basis", ["rank", BASELINE, "--out", "{tmp}/r.csv", "--share-error", "1"], 2,
     "use it with --basis shares"),
    ("rank-onto-itself", ["rank", BASELINE, "--out", BASELINE], 2, "is also an input"),
    ("rank-out-under-file", ["rank", BASELINE, "--out", "{file}/r.csv"], 2, "is a file, so no folder"),
    ("rank-weights-missing", ["rank", BASELINE, "--out", "{tmp}/r.csv", "--method", "wsm", "--weights",
                              "{tmp}/nope.csv"], 1, "nope.csv: file not found"),
    ("rank-method", ["rank", BASELINE, "--out", "{tmp}/r.csv", "--method", "electre"], 2, "invalid choice"),
    ("allocate-out-file", ["allocate", SCENARIO, "--out", "{file}"], 2, "is an existing file; expected a folder"),
    ("allocate-time-zero", ["allocate", SCENARIO, "--out", "{tmp}/a", "--time-limit", "0"], 2,
     "--time-limit: 0.0 is below the bound"),
    ("allocate-time-nan", ["allocate", SCENARIO, "--out", "{tmp}/a", "--time-limit", "nan"], 2, "not a finite"),
    ("allocate-time-limit", ["allocate", SCENARIO, "--out", "{tmp}/a", "--time-limit", "1e6"], 2,
     "above the limit"),
    ("allocate-missing", ["allocate", "{tmp}/nope.yaml", "--out", "{tmp}/a"], 2, "scenario file not found"),
    ("allocate-bomb", ["allocate", "{bomb}", "--out", "{tmp}/a"], 2, "alias bomb is refused"),
    ("allocate-negative-factor", ["allocate", "{negative}", "--out", "{tmp}/a"], 2,
     "costs.location_factor.BPN-01: -1 is below the bound"),
    ("allocate-costs-not-utf8", ["allocate", "{costs_latin}", "--out", "{tmp}/a"], 2,
     "data.costs: {tmp}/latin.csv: not UTF-8 text"),
    ("allocate-budget-empty", ["allocate", "{budget_empty}", "--out", "{tmp}/a"], 2,
     "data.budget: {tmp}/empty.csv: is empty"),
    ("explain-rules-not-utf8", ["explain", "{rules_latin}", "--out", "{tmp}/e"], 2,
     "data.funding_rules: {tmp}/latin.csv: not UTF-8 text"),
    ("explain-processes", ["explain", SCENARIO, "--out", "{tmp}/e", "--processes", "0"], 2, "--processes: 0"),
    ("explain-delta", ["explain", SCENARIO, "--out", "{tmp}/e", "--delta-rp", "-1"], 2, "--delta-rp: -1.0"),
    ("explain-out-file", ["explain", SCENARIO, "--out", "{file}"], 2, "is an existing file"),
    ("sweep-points-zero", ["sweep", SCENARIO, "--out", "{tmp}/s", "--points", "0"], 2, "--points: 0 is below"),
    ("sweep-points-one", ["sweep", SCENARIO, "--out", "{tmp}/s", "--points", "1"], 2, "at least 2"),
    ("sweep-points-limit", ["sweep", SCENARIO, "--out", "{tmp}/s", "--points", "1000"], 2, "--lift-limits"),
    ("sweep-time", ["sweep", SCENARIO, "--out", "{tmp}/s", "--time-limit", "-1"], 2, "--time-limit: -1.0"),
    ("sweep-budgets-text", ["sweep", SCENARIO, "--out", "{tmp}/s", "--budgets", "a,b"], 2,
     "--budgets expects comma-separated numbers"),
    ("sweep-budgets-nan", ["sweep", SCENARIO, "--out", "{tmp}/s", "--budgets", "0.5,nan"], 2, "not a finite"),
    ("sweep-budgets-negative", ["sweep", SCENARIO, "--out", "{tmp}/s", "--budgets", "0.5,-1"], 2,
     "--budgets value -1.0: -1.0 is below"),
    ("sweep-source", ["sweep", SCENARIO, "--out", "{tmp}/s", "--source", "bogus"], 2, "--source 'bogus'"),
    ("robust-draws-zero", ["robust", SCENARIO, "--out", "{tmp}/r", "--draws", "0"], 2, "--draws: 0 is below"),
    ("robust-draws-limit", ["robust", SCENARIO, "--out", "{tmp}/r", "--draws", "1000000"], 2, "--lift-limits"),
    ("robust-spread", ["robust", SCENARIO, "--out", "{tmp}/r", "--cost-spread", "1"], 2, "expected below 1"),
    ("robust-gap", ["robust", SCENARIO, "--out", "{tmp}/r", "--gap", "-0.1"], 2, "--gap: -0.1"),
    ("robust-time", ["robust", SCENARIO, "--out", "{tmp}/r", "--time-limit", "0"], 2, "--time-limit: 0.0"),
    ("robust-seed", ["robust", SCENARIO, "--out", "{tmp}/r", "--seed", "-5"], 2, "--seed: -5"),
    ("batch-workers", ["batch", "{grid}", "--out", "{tmp}/b", "--workers", "0"], 2, "--workers: 0 is below"),
    ("batch-timeout", ["batch", "{grid}", "--out", "{tmp}/b", "--timeout", "0"], 2, "--timeout: 0 is below"),
    ("batch-missing", ["batch", "{tmp}/nope.yaml", "--out", "{tmp}/b"], 1, "file not found"),
    ("batch-bomb", ["batch", "{bomb}", "--out", "{tmp}/b"], 1, "alias bomb is refused"),
    ("batch-grid-10000", ["batch", "{grid}", "--out", "{tmp}/b"], 1, "10,000 scenarios (0 listed + a grid of "
                                                                     "10 x 10 x 10 x 10)"),
    ("batch-null-name", ["batch", "{set_null_name}", "--out", "{tmp}/b"], 1,
     "scenarios[0].name: expected a text (it names a folder), got None"),
    ("batch-out-file", ["batch", "{grid}", "--out", "{file}"], 2, "is an existing file"),
    ("progress-out-file", ["progress", "{tmp}/plan.csv", "--done", "{tmp}/done.csv", "--out", "{file}"], 2,
     "is an existing file; expected a folder"),
    ("progress-as-of", ["progress", "{tmp}/plan.csv", "--done", "{tmp}/done.csv", "--out", "{tmp}/p",
                        "--as-of", "2108"], 2, "--as-of: 2108 is above the bound"),
    ("progress-tolerance", ["progress", "{tmp}/plan.csv", "--done", "{tmp}/done.csv", "--out", "{tmp}/p",
                            "--cost-tolerance", "-1"], 2, "--cost-tolerance: -1.0 is below the bound"),
    ("progress-no-scenario", ["progress", "{tmp}/plan.csv", "--done", "{tmp}/done.csv", "--out", "{tmp}/p"], 2,
     "give the plan's scenario with --scenario"),
    ("replan-out-file", ["replan", "--done", "{tmp}/done.csv", "--from", "2018", "--out", "{file}"], 2,
     "is an existing file; expected a folder"),
    ("replan-from-bound", ["replan", "--done", "{tmp}/done.csv", "--from", "2108", "--out", "{tmp}/r"], 2,
     "--from: 2108 is above the bound"),
    ("replan-from-first-year", ["replan", "--done", "{tmp}/done.csv", "--from", "2017", "--out", "{tmp}/r"], 2,
     "--from 2017: expected a year after the plan's first year 2017 and at most its last year 2019"),
    ("replan-no-done", ["replan", "--done", "{tmp}/missing.csv", "--from", "2018", "--out", "{tmp}/r"], 1,
     "missing.csv: file not found"),
    ("app-port-zero", ["app", "--port", "0"], 2, "--port: 0 is below the bound"),
    ("app-port-high", ["app", "--port", "70000"], 2, "at most 65,535"),
    ("app-sweep-zero", ["app", "--sweep-points", "0"], 2, "--sweep-points: 0 is below"),
    ("app-sweep-limit", ["app", "--sweep-points", "5000"], 2, "add --lift-limits"),
    ("demo-out-file", ["demo", "--out", "{file}"], 2, "is an existing file"),
    ("demo-data", ["demo", "--out", "{tmp}/d", "--data", "{tmp}/nodata"], 2,
     "nodata: expected the folder of the embedded data"),
    ("demo-workers", ["demo", "--out", "{tmp}/d", "--workers", "0"], 2, "--workers: 0"),
]


@pytest.mark.parametrize("case,argv,code,fragment", CASES, ids=[c[0] for c in CASES])
def test_bad_arguments_end_in_a_named_message(files, capsys, case, argv, code, fragment):
    argv = [str(a).format(**files) for a in argv]
    fragment = fragment.format(**files)
    t0 = time.perf_counter()
    rc = run_main(argv)
    err = capsys.readouterr().err
    assert rc == code, err
    assert fragment in err, err
    assert "Traceback" not in err and "unexpected error" not in err
    if code == 2 and case not in ("rank-draw-cells", "sweep-source", "sweep-budgets-text", "sweep-budgets-nan",
                                  "sweep-budgets-negative"):
        assert time.perf_counter() - t0 < 10  # refused before any work
    assert not (files["tmp"] / "a").exists()  # nothing written by a refused allocate


def test_every_command_is_in_the_table_and_every_number_option_has_a_bound():
    """A new command or a new number option cannot slip past the suite: each command has bad-argument cases
    above, and each int/float option a row of the bounds table (so it is checked and listed in
    docs/refusals.md)."""
    from kotaku_decide.cli.main import build_parser
    from kotaku_decide.data.bounds import bound

    commands = build_parser()._subparsers._group_actions[0].choices
    assert set(commands) <= {c[1][0] for c in CASES if c[1]}
    unbounded = [f"{name} --{a.dest}" for name, sp in commands.items() for a in sp._actions
                 if a.type in (int, float) and bound(f"cli.{name}.{a.dest}") is None]
    assert unbounded == []


def test_nothing_is_written_when_the_input_is_refused(files, capsys, make_csv):
    p = make_csv([location("A"), location("B", area_ha=1e308)])
    out = files["tmp"] / "never.xlsx"
    assert run_main(["score", p, "--out", out]) == 1
    err = capsys.readouterr().err
    assert "ERROR [out_of_range]" in err and "nothing was written" in err and not out.exists()


def test_score_into_a_missing_folder_creates_it(files, capsys):
    out = files["tmp"] / "new" / "deeper" / "scores.csv"
    assert run_main(["score", BASELINE, "--out", out, "--summary", out.with_suffix(".md")]) == 0
    assert len(pd.read_csv(out)) == 36 and out.with_suffix(".md").exists()


def test_rank_into_a_missing_folder_and_excel_escaping(files, capsys, make_csv):
    rows = [location(f"L{k}", name=n, shares={"2a": 30 * k}) for k, n in
            enumerate(['=HYPERLINK("http://evil","click")', "+62 811", "@SUM(A1)", "Kampung Baru"])]
    out = files["tmp"] / "ranks" / "r.xlsx"
    assert run_main(["rank", make_csv(rows), "--method", "topsis", "--out", out]) == 0
    ws = openpyxl.load_workbook(out).active
    col = [c.value for c in ws[1]].index("name") + 1
    names = [ws.cell(row=r, column=col).value for r in range(2, ws.max_row + 1)]
    assert sorted(names) == sorted(["'=HYPERLINK(\"http://evil\",\"click\")", "'+62 811", "'@SUM(A1)", "Kampung Baru"])
    csv_out = files["tmp"] / "ranks" / "r.csv"
    assert run_main(["rank", make_csv(rows), "--out", csv_out]) == 0
    assert "'=HYPERLINK" in csv_out.read_text()


def test_allocate_writes_its_folder_whole_and_drops_stale_files(files, capsys):
    out = files["tmp"] / "alloc"
    out.mkdir()
    (out / "notes.txt").write_text("the planner's own file")
    (out / "checker.csv").write_text("broken rules of an earlier run")
    assert run_main(["allocate", SCENARIO, "--out", out, "--method", "greedy"]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"plan.csv", "allocation.xlsx", "scenario_resolved.yaml", "notes.txt"} <= names
    assert "checker.csv" not in names and not any(n.endswith(".part") for n in names)
    assert not [p for p in files["tmp"].iterdir() if p.name.startswith(".alloc.")]


def test_printed_names_cannot_drive_the_terminal(files, capsys, make_csv):
    rows = [location("A", name="\x1b[2J\x1b[31mFAKE: all locations funded", shares={"2a": 80}), location("B")]
    assert run_main(["rank", make_csv(rows), "--out", files["tmp"] / "term.csv"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b[2J" in out  # shown, not executed


def test_lift_limits_on_allocate_also_lifts_the_scenario_key(files, capsys):
    # --time-limit 100000 is above both the option's limit and solver.time_limit_s's: one flag lifts both,
    # and the file's own lift_limits are kept (the greedy method keeps the run short)
    sc = files["tmp"] / "lifted.yaml"
    sc.write_text(f"data:\n  baseline: {BASELINE}\nranking:\n  draws: 30000\nlift_limits: [ranking.draws]\n")
    out = files["tmp"] / "a2"
    assert run_main(["allocate", sc, "--out", out, "--time-limit", "100000", "--method", "greedy"]) == 2
    assert "above the limit" in capsys.readouterr().err and not out.exists()
    assert run_main(["allocate", sc, "--out", out, "--time-limit", "100000", "--method", "greedy",
                     "--lift-limits"]) == 0
    resolved = yaml.safe_load((out / "scenario_resolved.yaml").read_text())
    assert resolved["solver"]["time_limit_s"] == 100000
    assert set(resolved["lift_limits"]) >= {"ranking.draws", "solver.time_limit_s"}


def test_rank_methods_list_matches_the_package():
    from kotaku_decide.cli.rank import METHODS
    from kotaku_decide.rank.methods import METHODS as PACKAGE_METHODS

    assert tuple(METHODS) == tuple(PACKAGE_METHODS)


def test_lift_limits_lets_a_limited_option_through(files, capsys):
    # --points 300 is above the limit of 200; lifted, the command goes on to the next check (an unknown source)
    rc = run_main(["sweep", SCENARIO, "--out", files["tmp"] / "s", "--points", "300", "--lift-limits",
                   "--source", "bogus"])
    err = capsys.readouterr().err
    assert rc == 2 and "--source 'bogus'" in err and "limit" not in err


def test_an_unexpected_error_is_one_line_with_the_details_in_a_file(monkeypatch, capsys):
    import importlib

    cli_main = importlib.import_module("kotaku_decide.cli.main")

    def boom(args):
        raise RuntimeError("something no check names")

    parser = cli_main.build_parser()
    monkeypatch.setattr(cli_main, "build_parser", lambda: parser)
    parser._subparsers._group_actions[0].choices["profiles"].set_defaults(func=boom)
    assert cli_main.main(["profiles"]) == 1
    err = capsys.readouterr().err
    assert "kotaku-decide: unexpected error: RuntimeError: something no check names" in err
    assert "Traceback" not in err
    path = err.split("the details are in ")[1].split(" ")[0]
    assert "Traceback" in Path(path).read_text() and "something no check names" in Path(path).read_text()
    Path(path).unlink()


# ------------------------------------------------------------------------------------------------
# as a user runs it: a subprocess, stderr grepped for tracebacks
# ------------------------------------------------------------------------------------------------
SUBPROCESS = [(["score", BASELINE, "--out", BASELINE], 2), (["rank", BASELINE, "--out", "{tmp}/r.csv", "--draws",
                                                             "-3"], 2),
              (["sweep", SCENARIO, "--out", "{tmp}/s", "--points", "0"], 2),
              (["allocate", "{bomb}", "--out", "{tmp}/a"], 2), (["batch", "{grid}", "--out", "{tmp}/b"], 1),
              (["validate", "{folder}"], 1), (["robust", SCENARIO, "--out", "{file}"], 2)]


@pytest.mark.parametrize("argv,code", SUBPROCESS, ids=[a[0][0] + str(i) for i, a in enumerate(SUBPROCESS)])
def test_the_real_command_line_shows_no_traceback(files, argv, code):
    argv = [str(a).format(**files) for a in argv]
    r = subprocess.run([sys.executable, "-m", "kotaku_decide", *argv], capture_output=True, text=True, cwd=REPO,
                       timeout=120)
    assert r.returncode == code, r.stderr
    assert "Traceback" not in r.stderr and "unexpected error" not in r.stderr and r.stderr.strip()
