"""Batch hearing runs through papermill with a real kernel, and the HTML report in headless Chromium."""

import json
import os
import subprocess

import pandas as pd
import pytest
from helpers import REPO, chromium_path

from kotaku_decide.hearing.batch import SCENARIO_NOTEBOOK, BatchError, read_scenario_set, run_batch

ARTIFACTS = REPO / "test-artifacts"


def _set(tmp_path, scenarios, base=None):
    import yaml

    base = base or {"ranking": {"draws": 100}, "solver": {"time_limit_s": 30}, "report": {"explain": False,
                                                                                          "goal": False}}
    p = tmp_path / "set.yaml"
    p.write_text(yaml.safe_dump({"base": base, "scenarios": scenarios}))
    return p


def test_unknown_scenario_key_is_refused_before_anything_runs(tmp_path):
    p = _set(tmp_path, [{"name": "ok"}, {"name": "typo", "funding": {"budjet_factor": 0.8}}])
    with pytest.raises(BatchError) as ei:
        read_scenario_set(p)
    msg = str(ei.value)
    assert "nothing was run" in msg and "'typo'" in msg and "funding.budjet_factor" in msg
    assert "did you mean" in msg and "budget_factor" in msg


def test_reserved_scenario_names_are_refused(tmp_path):
    with pytest.raises(BatchError, match="reserved"):
        read_scenario_set(_set(tmp_path, [{"name": "comparison.csv"}]))
    with pytest.raises(BatchError, match="reserved"):
        read_scenario_set(_set(tmp_path, [{"name": "x.FAILED"}]))


def test_scenario_names_must_be_unique_and_safe(tmp_path):
    with pytest.raises(BatchError, match="used twice"):
        read_scenario_set(_set(tmp_path, [{"name": "a"}, {"name": "A"}]))
    with pytest.raises(BatchError, match="folder"):
        read_scenario_set(_set(tmp_path, [{"name": "../evil"}]))


def test_expected_seconds_is_a_checked_scheduling_hint_outside_the_result(tmp_path):
    """``expected_s`` is read as a number of seconds, refused with the file, the scenario and the value
    when it is not one, and stays out of the overrides and the fingerprint (it changes no result)."""
    from kotaku_decide.hearing.batch import fingerprint

    specs = read_scenario_set(_set(tmp_path, [{"name": "a", "expected_s": 77}, {"name": "b"}]))
    assert [s.expected_s for s in specs] == [77.0, None]
    assert "expected_s" not in specs[0].overrides
    plain = read_scenario_set(_set(tmp_path, [{"name": "a"}]))[0]
    assert fingerprint(specs[0], SCENARIO_NOTEBOOK, "en") == fingerprint(plain, SCENARIO_NOTEBOOK, "en")
    for bad in (0, -5, "long", True, float("nan")):
        with pytest.raises(BatchError) as ei:
            read_scenario_set(_set(tmp_path, [{"name": "ok"}, {"name": "b", "expected_s": bad}]))
        msg = str(ei.value)
        assert "set.yaml" in msg and "scenarios[1] (b).expected_s" in msg and repr(bad) in msg, msg
        assert "seconds above 0" in msg


def test_a_set_with_every_time_known_starts_in_the_order_that_ends_first():
    """Hand case: 77, 42, 39, 27, 20 and 15 s on two workers. Longest first (LPT) ends at 116 s (by hand,
    each on the first free worker: 77 | 42; 42+39=81; 77+27=104; 81+20=101; 101+15=116); the best split
    of the six over two workers, by enumerating every subset, ends at 112 s (77+20+15 | 42+39+27), and
    the order chosen reaches it. With a time unknown, the known ones keep LPT."""
    from itertools import combinations

    from kotaku_decide.hearing.batch import ScenarioSpec, list_makespan, schedule_order

    times = {"baseline": 20.0, "cut20": 42.0, "csr": 27.0, "no_slum": 15.0, "equity": 39.0, "p02": 77.0}
    specs = [ScenarioSpec(n, {}, "", t) for n, t in times.items()]
    lpt = sorted(times.values(), reverse=True)
    assert list_makespan(lpt, 2) == 116.0
    total = sum(times.values())
    best_split = min(max(sum(c), total - sum(c)) for k in range(7) for c in combinations(times.values(), k))
    assert best_split == 112.0
    order = schedule_order(specs, {}, workers=2)
    assert list_makespan([times[s.name] for s in order], 2) == best_split
    assert order[0].name == "p02"
    assert list_makespan(lpt, 3) == list_makespan([times[s.name] for s in schedule_order(specs, {}, 3)], 3) == 77.0
    unknown = specs + [ScenarioSpec("new", {}, "")]
    assert [s.name for s in schedule_order(unknown, {}, 2)] == ["new", "p02", "cut20", "equity", "csr", "baseline",
                                                                 "no_slum"]


def test_grid_expands_every_combination(tmp_path):
    import yaml

    p = tmp_path / "grid.yaml"
    p.write_text(yaml.safe_dump({"base": {"ranking": {"draws": 0}},
                                 "grid": {"funding.budget_factor": [0.8, 1.0], "costs.price_index": [1.0, 1.2]}}))
    specs = read_scenario_set(p)
    assert len(specs) == 4
    combos = {(s.overrides["funding"]["budget_factor"], s.overrides["costs"]["price_index"]) for s in specs}
    assert combos == {(0.8, 1.0), (0.8, 1.2), (1.0, 1.0), (1.0, 1.2)}
    assert all(s.overrides["ranking"]["draws"] == 0 for s in specs)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Two good scenarios (one hit by a kernel-start failure, retried) and one that fails in the notebook."""
    tmp = tmp_path_factory.mktemp("batch")
    bad_weights = tmp / "bad_weights.csv"
    bad_weights.write_text("aspect,weight\nwatr,1\n")  # exists (passes the upfront check), wrong inside
    p = _set(tmp, [{"name": "base"}, {"name": "cut", "funding": {"budget_factor": 0.8}},
                   {"name": "broken", "ranking": {"weights": str(bad_weights)}}])
    specs = read_scenario_set(p)

    out = tmp / "out"
    (out / "cut").mkdir(parents=True)
    (out / "cut" / "stale.txt").write_text("an older run")  # replaced atomically by the new result
    (out / "base.FAILED").mkdir()  # an older failure of a scenario that now succeeds
    (out / "broken").mkdir()  # an older success of a scenario that now fails
    (out / "broken" / "summary.json").write_text("{}")
    # each scenario runs in a worker process: the replacement for papermill is imported there by name
    res = run_batch(specs, out, workers=2, progress=False, execute="batch_helpers:flaky_execute")
    return res, out


@pytest.mark.slow
def test_failing_scenario_is_reported_and_the_others_finish(batch):
    res, out = batch
    assert res.status == {"base": "ok", "cut": "ok", "broken": "failed"}
    assert "watr" in res.errors["broken"]
    assert (out / "broken.FAILED" / "error.txt").read_text().count("watr") >= 1
    assert not (out / "broken").exists() and (out / "broken.previous-run" / "summary.json").exists()
    assert not (out / "base.FAILED").exists()
    for n in ("base", "cut"):
        for f in ("report.html", "scenario.ipynb", "results.xlsx", "run.json", "summary.json", "plan.csv"):
            assert (out / n / f).exists(), (n, f)
    assert (out / "base" / "retry.txt").exists()  # the kernel-start failure was retried once
    assert not (out / "cut" / "stale.txt").exists()
    assert not (out / ".work").exists() and not list(out.glob(".*old*"))
    manifest = json.loads((out / "batch.json").read_text())
    assert [s["status"] for s in manifest["scenarios"]] == ["ok", "ok", "failed"]


@pytest.mark.slow
def test_comparison_matches_the_per_scenario_results(batch):
    res, out = batch
    comp = pd.read_csv(out / "comparison.csv").set_index("scenario")
    assert list(comp.index) == ["base", "cut"]
    for n in comp.index:
        plan = pd.read_csv(out / n / "plan.csv")
        yearly = pd.read_csv(out / n / "yearly.csv")
        money = pd.read_csv(out / n / "money.csv")
        row = comp.loc[n]
        assert row["spent_rp"] == pytest.approx(plan["cost_rp"].sum(), rel=1e-9)
        assert row["n_funded"] == plan["location_id"].nunique()
        assert row["budget_rp"] == pytest.approx(money["budget_rp"].sum())
        for y in yearly["year"].iloc[1:]:
            left = yearly.loc[yearly["year"] == y, "slum_ha"].item()
            assert row[f"slum_ha_left_{y}"] == pytest.approx(left, abs=0.005)
            assert row[f"cleared_ha_{y}"] == pytest.approx(yearly["slum_ha"].iloc[0] - left, abs=0.01)
        assert row["status"] == json.loads((out / n / "run.json").read_text())["solver_report"]["status"]
    # a 20 % cut never clears more than the baseline budget, and costs no more
    assert comp.loc["cut", "spent_rp"] <= comp.loc["base", "budget_rp"]
    diff = pd.read_csv(out / "scenario_diff.csv")
    everywhere = set(pd.read_csv(out / "funded_everywhere.csv")["location_id"])
    fb = set(pd.read_csv(out / "base" / "plan.csv")["location_id"])
    fc = set(pd.read_csv(out / "cut" / "plan.csv")["location_id"])
    assert everywhere == fb & fc and set(diff["location_id"]) == fb ^ fc
    html = (out / "comparison.html").read_text()
    assert "SYNTHETIC" in html and "base" in html
    # each report was rendered again once the set's baseline (here the first scenario, 'base') had finished
    cut = (out / "cut" / "report.html").read_text()
    assert "Compared with the baseline scenario (base)" in cut
    assert "This is the baseline scenario" in (out / "base" / "report.html").read_text()


@pytest.mark.slow
def test_notebook_refuses_a_misspelled_papermill_parameter(tmp_path):
    import papermill
    from papermill.exceptions import PapermillExecutionError

    with pytest.raises(PapermillExecutionError) as ei:
        papermill.execute_notebook(str(SCENARIO_NOTEBOOK), str(tmp_path / "o.ipynb"),
                                   parameters={"scenaro": {"funding": {"budget_factor": 0.5}},
                                               "out_dir": str(tmp_path / "out")},
                                   kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    assert "scenaro" in str(ei.value) and "did you mean 'scenario'" in str(ei.value)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_html_report_renders_in_headless_chromium(batch, tmp_path):
    res, out = batch
    exe = chromium_path()
    html = out / "base" / "report.html"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,4000"]
    dom = subprocess.run([exe, *flags, "--virtual-time-budget=5000", "--dump-dom", html.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count("<img") >= 4 and dom.stdout.count("<table") >= 5
    assert "data:image/png;base64," in dom.stdout
    assert "Traceback" not in dom.stdout and "Error" not in dom.stdout.split("<body", 1)[-1][:200]
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "hearing_report_base.png"
    r = subprocess.run([exe, *flags, f"--screenshot={shot}", html.as_uri()], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and shot.exists()
    from matplotlib.image import imread

    img = imread(shot)
    assert img.shape[0] >= 1000 and img.shape[1] >= 1000
    assert len({tuple(px) for px in img[::25, ::25, :3].reshape(-1, 3).round(2).tolist()}) > 20  # not blank


@pytest.mark.slow
def test_compare_notebook_runs_on_a_batch_folder(batch, tmp_path):
    import papermill

    res, out = batch
    nb = tmp_path / "cmp.ipynb"
    papermill.execute_notebook(str(REPO / "notebooks" / "03_compare_scenarios.ipynb"), str(nb),
                               parameters={"batch_dir": str(out), "lang": "id"}, kernel_name="python3",
                               progress_bar=False)
    cells = json.loads(nb.read_text())["cells"]
    kinds = [k for c in cells if c["cell_type"] == "code" for o in c["outputs"] for k in o.get("data", {})]
    assert "image/png" in kinds and kinds.count("text/html") >= 4


def test_notebook_kernels_run_without_the_tcp_warning(tmp_path, capfd):
    """Kernels reached over IPC sockets: ipykernel's "running over TCP without encryption" is gone."""
    import nbformat
    import papermill

    from kotaku_decide.hearing.batch import kernel_manager_class

    if os.name != "posix":
        pytest.skip("no IPC sockets on this platform")
    km = kernel_manager_class()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(6 * 7)")]
    nbformat.write(nb, str(tmp_path / "t.ipynb"))
    out = papermill.execute_notebook(str(tmp_path / "t.ipynb"), str(tmp_path / "o.ipynb"), kernel_name="python3",
                                     progress_bar=False, kernel_manager_class=km)
    assert out.cells[0].outputs[0]["text"].strip() == "42"
    err = capfd.readouterr().err
    assert "without encryption" not in err


def test_notebook_kernel_is_this_python_not_the_first_python3_kernelspec(tmp_path, monkeypatch):
    """A ``python3`` kernelspec of another environment (here one whose Python does not exist) earlier on the
    Jupyter path is not used: the kernel runs the batch's own Python, so it imports the same kotaku_decide."""
    import sys

    import nbformat
    import papermill

    from kotaku_decide.hearing.batch import kernel_manager_class

    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(tmp_path / "elsewhere" / "bin" / "python"), "-m", "ipykernel_launcher", "-f",
                 "{connection_file}"], "display_name": "another environment's Python", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    from jupyter_client.kernelspec import KernelSpecManager

    # the decoy is what a plain lookup finds first
    assert KernelSpecManager().get_kernel_spec("python3").argv[0] == str(tmp_path / "elsewhere" / "bin" / "python")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import sys; print(sys.executable)")]
    nbformat.write(nb, str(tmp_path / "t.ipynb"))
    out = papermill.execute_notebook(str(tmp_path / "t.ipynb"), str(tmp_path / "o.ipynb"), kernel_name="python3",
                                     progress_bar=False, kernel_manager_class=kernel_manager_class())
    assert out.cells[0].outputs[0]["text"].strip() == sys.executable


@pytest.mark.slow
def test_kernels_started_together_have_sockets_of_their_own(tmp_path, monkeypatch):
    """Two scenarios start their kernels at the same moment (--workers 2): each kernel gets its own
    connection file and IPC sockets, outside the working folder, and each notebook gets its own answers."""
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    import nbformat
    import papermill

    from kotaku_decide.hearing.batch import kernel_manager_class

    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    km = kernel_manager_class()
    a, b = km(kernel_name="python3"), km(kernel_name="python3")
    assert a.connection_file != b.connection_file and a.ip != b.ip
    if a.transport == "ipc":
        assert Path(a.ip).is_absolute() and not Path(a.ip).parent.samefile(work)

    for i in range(2):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(f"import time; time.sleep(1); print({i} * 1000 + 7)")]
        nbformat.write(nb, str(tmp_path / f"in{i}.ipynb"))

    def run(i):
        return papermill.execute_notebook(str(tmp_path / f"in{i}.ipynb"), str(tmp_path / f"out{i}.ipynb"),
                                          kernel_name="python3", progress_bar=False, kernel_manager_class=km)

    with ThreadPoolExecutor(2) as pool:
        outs = list(pool.map(run, range(2)))
    assert [o.cells[0].outputs[0]["text"].strip() for o in outs] == ["7", "1007"]
    assert list(work.iterdir()) == []  # no socket or connection files left in the user's folder


def test_a_rerun_starts_the_longest_scenarios_first(tmp_path):
    """The order a re-run into the same folder starts its scenarios in: the last run's seconds (from its
    batch.json), longest first; scenarios with no time of their own (new, kept, or never started) go
    first in the set's order. Hand-written manifest; the results keep the set's order regardless."""
    import json

    from kotaku_decide.hearing.batch import ScenarioSpec, previous_seconds, schedule_order

    (tmp_path / "batch.json").write_text(json.dumps({"status": "finished", "scenarios": [
        {"name": "baseline", "status": "ok", "seconds": 23.5, "kept_from_earlier_run": False},
        {"name": "cut20", "status": "ok", "seconds": 44.7, "kept_from_earlier_run": False},
        {"name": "kept", "status": "ok", "seconds": 0.0, "kept_from_earlier_run": True},
        {"name": "p02", "status": "ok", "seconds": 75.7, "kept_from_earlier_run": False},
        {"name": "broken", "status": "failed", "seconds": 3.0, "kept_from_earlier_run": False},
        {"name": "later", "status": "not started", "seconds": 0.0, "kept_from_earlier_run": False}]}))
    secs = previous_seconds(tmp_path)
    assert secs == {"baseline": 23.5, "cut20": 44.7, "p02": 75.7, "broken": 3.0}
    specs = [ScenarioSpec(n, {}, n) for n in ("baseline", "cut20", "new", "kept", "p02", "broken", "later")]
    assert [s.name for s in schedule_order(specs, secs)] == ["new", "kept", "later", "p02", "cut20", "baseline",
                                                             "broken"]
    assert previous_seconds(tmp_path / "nothing") == {}
    (tmp_path / "batch.json").write_text("{not json")
    assert previous_seconds(tmp_path) == {}
    assert [s.name for s in schedule_order(specs, {})] == [s.name for s in specs]
    # a fresh run uses the set's expected_s hints; a re-run's own seconds come before them
    hinted = [ScenarioSpec("baseline", {}, "", 20.0), ScenarioSpec("cut20", {}, "", 42.0),
              ScenarioSpec("new", {}, ""), ScenarioSpec("p02", {}, "", 77.0), ScenarioSpec("eq", {}, "", 39.0)]
    assert [s.name for s in schedule_order(hinted, {})] == ["new", "p02", "cut20", "eq", "baseline"]
    assert [s.name for s in schedule_order(hinted, {"baseline": 90.0, "p02": 10.0})] == [
        "new", "baseline", "cut20", "eq", "p02"]
