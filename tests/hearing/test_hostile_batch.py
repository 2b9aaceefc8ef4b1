"""Batches that must stop and be bounded (issue 15): SIGINT stops a batch within 10 s, ends its workers and
their kernels, keeps finished scenarios and marks the run unfinished; a rerun finishes the rest. Grids too
large to run by accident are refused before anything starts.

The stop-and-resume test uses real worker processes, real Jupyter kernels, papermill and a real SIGINT, with a
short notebook standing in for the scenario report (it writes the files a batch expects and, for scenarios
whose description says so, waits) so that it takes seconds; the command-line test interrupts the real scenario
notebook."""

import json
import os
import signal
import subprocess
import sys
import time

import nbformat
import psutil
import pytest
import yaml
from helpers import DATA, REPO

from kotaku_decide.hearing.batch import BatchError, read_scenario_set, run_batch

NOTEBOOK_CODE = '''
import json, time
from pathlib import Path
out = Path(out_dir)
out.mkdir(parents=True, exist_ok=True)
if "wait" in scenario.get("description", ""):
    time.sleep(600)  # a scenario still running when the batch is stopped
summary = {"name": name, "description": scenario.get("description", ""), "profile": "permen-14-2018",
           "objective": "hectares", "status": "optimal", "proven_optimal": True, "gap": 0.0,
           "slum_ha_baseline": 10.0, "cleared_ha_by_year": {"2017": 1.0}, "slum_ha_left_by_year": {"2017": 9.0},
           "households_water_served": 0, "households_sanitation_served": 0, "budget_rp": 1.0, "spent_rp": 1.0,
           "left_rp": 0.0, "funded_locations": ["A"], "cleared_locations": []}
(out / "summary.json").write_text(json.dumps(summary))
(out / "run.json").write_text(json.dumps({"lang": "en"}))
(out / "report.html").write_text("<html><body>short report</body></html>")
'''


def _notebook(path):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('scenario = {}\nout_dir = "x"\nname = None\nlang = None\n')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(NOTEBOOK_CODE)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


def _set(path, scenarios, base=None, grid=None):
    doc = {"base": base or {}, "scenarios": scenarios}
    if grid:
        doc["grid"] = grid
    path.write_text(yaml.safe_dump(doc))
    return path


RUNNER = """
import sys, json
from kotaku_decide.hearing.batch import read_scenario_set, run_batch
specs = read_scenario_set(sys.argv[1])
res = run_batch(specs, sys.argv[2], workers=2, notebook=sys.argv[3], progress=False)
print(json.dumps({"status": res.status, "interrupted": res.interrupted, "kept": res.kept}))
raise SystemExit(130 if res.interrupted else 0)
"""


def _descendants(pid):
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _end(p):
    """After a failed test: end the batch and everything it started (its workers run in their own sessions)."""
    for c in _descendants(p.pid) + [psutil.Process(p.pid)] if p.poll() is None else _descendants(p.pid):
        try:
            c.kill()
        except psutil.NoSuchProcess:
            pass


def _wait_for(cond, timeout):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if cond():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow

def _interrupt_when_kernels_run(p, wait_s: float):
    """Once two notebook kernels run under batch process ``p``, send it SIGINT; return (its descendants before
    the signal, stdout, stderr, seconds it took to stop)."""
    assert _wait_for(lambda: sum("ipykernel" in " ".join(c.cmdline()) for c in _descendants(p.pid)
                                 if c.is_running()) >= 2, wait_s), "the kernels never started"
    workers = _descendants(p.pid)
    t0 = time.perf_counter()
    p.send_signal(signal.SIGINT)
    stdout, stderr = p.communicate(timeout=60)
    return workers, stdout, stderr, time.perf_counter() - t0


def test_sigint_stops_within_10s_keeps_finished_and_a_rerun_finishes(tmp_path):
    nb = _notebook(tmp_path / "short.ipynb")
    s = _set(tmp_path / "set.yaml", [{"name": "quick"}, {"name": "held", "title": "wait"},
                                     {"name": "later", "title": "wait too"}])
    out = tmp_path / "out"
    p = subprocess.Popen([sys.executable, "-c", RUNNER, str(s), str(out), str(nb)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert _wait_for(lambda: (out / "quick" / "report.html").exists(), 180), "quick never finished"
        # 'held' and then 'later' run in workers with their kernels (ipykernel) started
        workers, stdout, stderr, stopped = _interrupt_when_kernels_run(p, 120)
    finally:
        if p.poll() is None:
            _end(p)
    assert stopped < 10, f"the batch took {stopped:.1f} s to stop"
    assert p.returncode == 130 and "Traceback" not in stderr, stderr
    _, alive = psutil.wait_procs(workers, timeout=2)
    assert alive == [], f"left running: {[a.cmdline() for a in alive]}"
    res = json.loads(stdout.strip().splitlines()[-1])
    assert res["interrupted"] and res["status"] == {"quick": "ok", "held": "interrupted", "later": "interrupted"}
    manifest = json.loads((out / "batch.json").read_text())
    assert manifest["status"] == "interrupted"
    assert [x["status"] for x in manifest["scenarios"]] == ["ok", "interrupted", "interrupted"]
    assert (out / "quick" / "report.html").exists() and not (out / "held").exists()
    assert not (out / ".work").exists() and not (out / "comparison.csv").exists()
    kept_at = (out / "quick" / "report.html").stat().st_mtime

    # the rerun keeps 'quick' (unchanged) and runs the rest; the waits are taken out of the titles
    _set(tmp_path / "set.yaml", [{"name": "quick"}, {"name": "held", "title": "wait"},
                                 {"name": "later", "title": "wait too"}])
    s2 = _set(tmp_path / "set.yaml", [{"name": "quick"}, {"name": "held", "title": "now"},
                                      {"name": "later", "title": "now too"}])
    r = subprocess.run([sys.executable, "-c", RUNNER, str(s2), str(out), str(nb)], capture_output=True, text=True,
                       cwd=REPO, timeout=300)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res["kept"] == ["quick"] and set(res["status"].values()) == {"ok"}
    assert (out / "quick" / "report.html").stat().st_mtime == kept_at  # not run again
    assert json.loads((out / "batch.json").read_text())["status"] == "finished"
    assert (out / "held" / "report.html").exists() and len((out / "comparison.csv").read_text().splitlines()) == 4


@pytest.mark.slow
def test_ctrl_c_on_the_command_line_ends_the_real_scenario_runs(tmp_path):
    s = _set(tmp_path / "set.yaml", [{"name": "one"}, {"name": "two", "funding": {"budget_factor": 0.8}}],
             base={"data": {k: str(v) for k, v in {
                 "baseline": DATA / "balikpapan_2016_baseline.csv",
                 "costs": DATA / "costs" / "balikpapan_illustrative.csv",
                 "budget": DATA / "funding" / "balikpapan_budget_illustrative.csv",
                 "funding_rules": DATA / "funding" / "balikpapan_rules_illustrative.csv"}.items()}})
    out = tmp_path / "out"
    p = subprocess.Popen([sys.executable, "-m", "kotaku_decide", "batch", str(s), "--out", str(out), "--workers", "2"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        workers, _, stderr, stopped = _interrupt_when_kernels_run(p, 180)
    finally:
        if p.poll() is None:
            _end(p)
    assert stopped < 10 and p.returncode == 130, stderr
    assert "Traceback" not in stderr and "run the same command again to finish them" in stderr
    _, alive = psutil.wait_procs(workers, timeout=2)
    assert alive == []
    assert json.loads((out / "batch.json").read_text())["status"] == "interrupted"
    assert not (out / ".work").exists() and not (out / "one").exists()


def test_what_a_rerun_keeps(tmp_path):
    """After an unfinished run (interrupted, or killed outright while 'running'), a scenario folder with the
    same fingerprint is kept; after a finished run, or with other inputs, the scenario runs again. (The
    stop-and-resume test above runs this for real.)"""
    from kotaku_decide.hearing.batch import FINGERPRINT_FILE, ScenarioSpec, fingerprint, resumable

    nb = _notebook(tmp_path / "short.ipynb")
    specs = [ScenarioSpec("a", {"name": "a"}), ScenarioSpec("b", {"name": "b"})]
    prints = {s.name: fingerprint(s, nb, None) for s in specs}
    out = tmp_path / "out"
    (out / "a").mkdir(parents=True)
    (out / "a" / FINGERPRINT_FILE).write_text(prints["a"])
    (out / "b").mkdir()
    (out / "b" / FINGERPRINT_FILE).write_text("another fingerprint")
    assert resumable(out, prints) == []  # no batch.json: not a batch folder
    for status in ("running (or interrupted)", "interrupted"):
        (out / "batch.json").write_text(json.dumps({"status": status}))
        assert resumable(out, prints) == ["a"]
    (out / "batch.json").write_text(json.dumps({"status": "finished"}))
    assert resumable(out, prints) == []
    (out / "batch.json").write_text("{not json")
    assert resumable(out, prints) == []
    other = ScenarioSpec("a", {"name": "a", "funding": {"budget_factor": 0.9}})
    assert fingerprint(other, nb, None) != prints["a"]
    assert fingerprint(specs[0], nb, "id") != prints["a"]  # another report language
    data = tmp_path / "baseline.csv"
    data.write_bytes((DATA / "balikpapan_2016_baseline.csv").read_bytes())
    with_file = ScenarioSpec("a", {"name": "a", "data": {"baseline": str(data)}})
    before = fingerprint(with_file, nb, None)
    data.write_bytes(data.read_bytes().replace(b"Manggar", b"Mangga_"))  # the data changed: run again
    assert fingerprint(with_file, nb, None) != before


def test_a_10000_scenario_grid_is_refused_before_anything_runs(tmp_path):
    grid = {"funding.budget_factor": [0.5 + i / 100 for i in range(10)], "costs.price_index": [1 + i / 10 for i in
                                                                                               range(10)],
            "ranking.seed": list(range(10)), "solver.seed": list(range(10))}
    p = _set(tmp_path / "grid.yaml", [], grid=grid)
    t0 = time.perf_counter()
    with pytest.raises(BatchError) as ei:
        read_scenario_set(p)
    assert time.perf_counter() - t0 < 5
    msg = str(ei.value)
    assert "10,000 scenarios" in msg and "at most 200" in msg and "--lift-limits" in msg and "nothing was run" in msg


def test_lifting_the_grid_limit_goes_on_to_validate(tmp_path):
    grid = {"funding.budget_factor": [0.5 + i / 100 for i in range(15)], "costs.price_index": [1 + i / 10 for i in
                                                                                               range(15)]}
    p = _set(tmp_path / "grid.yaml", [], base={"funding": {"budjet_factor": 1}}, grid=grid)
    with pytest.raises(BatchError, match="225 scenarios"):
        read_scenario_set(p)
    with pytest.raises(BatchError, match="funding.budjet_factor: unknown key"):
        read_scenario_set(p, lift_limits=True)


@pytest.mark.parametrize("doc,fragment", [
    ({"grid": {1: [1, 2]}}, "grid key 1"),
    ({"grid": {"nosuch": [1, 2]}}, "nosuch: unknown key"),
    ({"grid": {"funding..budget_factor": [1]}}, "grid key"),
    ({"grid": [1, 2]}, "'grid' must be a mapping"),
    ({"scenarios": {"name": "x"}}, "'scenarios' must be a list"),
    ({"scenarios": [{"name": "x", "ranking": {"ahp": [1]}}]}, "ranking.ahp[0]: expected text"),
    ({"scenarios": [{"name": "a"}], "extra": 1}, "unknown top-level key"),
])
def test_malformed_scenario_sets_are_refused_by_name(tmp_path, doc, fragment):
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(doc))
    with pytest.raises(BatchError) as ei:
        read_scenario_set(p)
    assert fragment in str(ei.value)


def test_an_execute_hook_that_cannot_reach_a_worker_is_refused(tmp_path):
    specs = read_scenario_set(_set(tmp_path / "set.yaml", [{"name": "a"}]))

    def local(nb, out, **kw):  # a closure: a worker process cannot import it
        return None

    with pytest.raises(BatchError, match="module-level function"):
        run_batch(specs, tmp_path / "out", execute=local, progress=False)


def test_a_scenario_set_with_an_alias_bomb_is_refused(tmp_path):
    p = tmp_path / "bomb.yaml"
    p.write_text("base:\n" + "".join(f"  x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9 if i else ["1"] * 9) + "]\n"
                                     for i in range(9)))
    t0 = time.perf_counter()
    with pytest.raises(BatchError, match="alias bomb"):
        read_scenario_set(p)
    assert time.perf_counter() - t0 < 5
    assert os.path.getsize(p) < 1024
