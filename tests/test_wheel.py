"""The built wheel, installed into a fresh venv with no source tree, runs the toolkit from an empty folder.

What a planner does after ``pip install kotaku-decide``: ``kotaku-decide demo``, ``allocate`` and ``batch``
(the packaged scenario notebook through papermill) and the notebooks, from a folder holding nothing of the
repository, reading the embedded data, profiles, labels and notebooks from the installed package.

Offline: the wheel is built from a copy of the source tree (never in the checkout: no ``build/`` left
behind) with this environment's setuptools (``--no-build-isolation``; the test extras hold the version
that ``[build-system]`` asks for) and installed with ``--no-deps --no-index``. The fresh venv reaches the
dependencies through a ``.pth`` file naming this environment's site-packages folders; ``.pth`` files in
those folders (the editable install's finder of the source tree among them) are not processed, so the
wheel's copy is the only kotaku_decide it can import: checked first.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from helpers import DATA, REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
VERSION = PYPROJECT["project"]["version"]
# what a wheel build does not need; everything else of the checkout is copied
_NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "*.pyc",
                                     ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints", "reports",
                                     "test-artifacts", "tests", "benchmarks")


def _run(argv, *, cwd, env=None, timeout=300) -> subprocess.CompletedProcess:
    r = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"{argv} exited {r.returncode}\nstdout:\n{r.stdout[-3000:]}\nstderr:\n{r.stderr[-3000:]}"
    return r


def _build_backend_is_installed() -> None:
    """``--no-build-isolation`` builds with this environment's backend: it must be the one pyproject asks for."""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import Requirement

    for req in map(Requirement, PYPROJECT["build-system"]["requires"]):
        try:
            have = version(req.name)
        except PackageNotFoundError:
            have = None
        if have is None or not req.specifier.contains(have, prereleases=True):
            pytest.fail(f"building the wheel offline needs {req} in this environment (found {have}); it is in "
                        "the test extras: reinstall with `make test` or `pip install -e '.[test]'`")


def _site_dirs() -> list[str]:
    """This environment's site-packages folders (not the source tree, not the standard library)."""
    out = []
    for p in sys.path:
        if p and Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir() and p not in out:
            out.append(p)
    return out


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """A wheel built from a copy of the source, installed into a fresh venv inside an unrelated git repository."""
    _build_backend_is_installed()
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    shutil.copytree(REPO, src, ignore=_NOT_COPIED)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
          "-w", root / "dist", src], cwd=root)
    wheels = list((root / "dist").glob("kotaku_decide-*.whl"))
    assert len(wheels) == 1, wheels

    # the planner's own project folder, a git repository: its commit is not the toolkit's and must not be
    # reported (an installed package has no commit)
    project = root / "project"
    project.mkdir()
    if shutil.which("git"):
        (project / "notes.txt").write_text("a planner's project, not kotaku-decide\n")
        g = ["git", "-C", project, "-c", "user.name=t", "-c", "user.email=t@example.org"]
        _run([*g, "init", "-q"], cwd=root)
        _run([*g, "add", "notes.txt"], cwd=root)
        _run([*g, "commit", "-q", "-m", "notes"], cwd=root)

    venv = project / ".venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=root)
    py = venv / "bin" / "python"
    # install before the .pth exists: pip then sees no other kotaku-decide to replace
    _run([sys.executable, "-m", "pip", "--python", py, "install", "-q", "--no-deps", "--no-index", wheels[0]],
         cwd=root)
    site = Path(_run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=root)
                .stdout.strip()).resolve()
    (site / "kd_dependencies.pth").write_text("\n".join(_site_dirs()) + "\n")

    # a python3 kernelspec of another environment first on the Jupyter path (this test's own Python, which
    # imports the source tree): the batch must not run its notebook there
    decoy = root / "jupyter" / "kernels" / "python3"
    decoy.mkdir(parents=True)
    (decoy / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "the source tree's Python", "language": "python"}))
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "JUPYTER_PATH")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}", JUPYTER_PATH=str(root / "jupyter"),
               MPLBACKEND="Agg")
    empty = project / "work"
    empty.mkdir()
    return {"wheel": wheels[0], "venv": venv, "py": py, "site": site, "env": env, "empty": empty,
            "cli": venv / "bin" / "kotaku-decide"}


@pytest.mark.slow
def test_fresh_venv_runs_demo_allocate_batch_and_notebooks_from_an_empty_folder(fresh):
    py, env, empty, cli = fresh["py"], fresh["env"], fresh["empty"], fresh["cli"]

    # 0. the wheel's files: every data file of the source tree, under its package name
    names = set(zipfile.ZipFile(fresh["wheel"]).namelist())
    expected = {f"kotaku_decide/embedded/{p.relative_to(DATA).as_posix()}" for p in DATA.rglob("*")
                if p.is_file() and p.suffix in (".csv", ".yaml", ".md", ".geojson")}
    expected |= {f"kotaku_decide/notebooks/{p.name}" for p in (REPO / "notebooks").glob("*.ipynb")}
    expected |= {p.relative_to(REPO).as_posix() for p in (REPO / "kotaku_decide").rglob("*")
                 if p.is_file() and p.suffix in (".csv", ".yaml")}
    assert {"kotaku_decide/embedded/scenarios/hearing_2016.yaml",
            "kotaku_decide/embedded/boundaries/balikpapan_synthetic.geojson",
            "kotaku_decide/embedded/progress/balikpapan_realised_synthetic.csv",
            "kotaku_decide/data/config/default_scenario.yaml", "kotaku_decide/data/labels/id.yaml",
            "kotaku_decide/data/profiles/permen-02-2016/score_bands.csv",
            "kotaku_decide/notebooks/02_scenario.ipynb"} <= expected
    assert not expected - names, f"missing from the wheel: {sorted(expected - names)}"

    # 1. the fresh venv imports the wheel's copy, nothing of the source tree
    r = _run([py, "-c", "import kotaku_decide as k; from kotaku_decide.data.embedded import git_commit, data_dir; "
              "print(k.__file__); print(k.__version__); print(git_commit()); print(data_dir())"], cwd=empty, env=env)
    file, version, commit, data_dir = r.stdout.split("\n")[:4]
    assert Path(file).resolve().is_relative_to(fresh["site"]) and Path(data_dir).resolve().is_relative_to(fresh["site"])
    assert version == VERSION and commit == "None"

    # 2. demo (scoring under both regulations, the decree check, the progress report) from the empty folder
    _run([cli, "demo", "--out", "X", "--no-hearing"], cwd=empty, env=env)
    baseline = pd.read_csv(DATA / "balikpapan_2016_baseline.csv", comment="#")
    for profile in ("permen-14-2018", "permen-02-2016"):
        scores = pd.read_csv(empty / "X" / "balikpapan_2016" / f"scores_{profile}.csv", comment="#")
        assert len(scores) == 36 and sorted(scores["location_id"]) == sorted(baseline["location_id"])
        assert scores["total_score"].notna().all() and scores["slum_level"].notna().all()
    from kotaku_decide.score.pipeline import score_file

    # the wheel's scores are the source tree's (same data, same profile tables)
    mine = score_file(DATA / "balikpapan_2016_baseline.csv", regulation="permen-14-2018").scored
    theirs = pd.read_csv(empty / "X" / "balikpapan_2016" / "scores_permen-14-2018.csv", comment="#")
    m = mine.set_index("location_id")[["total_score", "slum_level"]].sort_index()
    t = theirs.set_index("location_id")[["total_score", "slum_level"]].sort_index()
    assert (m["total_score"].to_numpy() == t["total_score"].to_numpy()).all()
    assert (m["slum_level"].astype(str).to_numpy() == t["slum_level"].astype(str).to_numpy()).all()
    assert (empty / "X" / "balikpapan_2020_decree" / "consistency.csv").is_file()
    assert "SYNTHETIC" in (empty / "X" / "progress_balikpapan" / "DATA_STATUS.txt").read_text()
    assert (empty / "X" / "progress_balikpapan" / "report_id.html").stat().st_size > 10_000

    # 3. allocate with the embedded default scenario
    _run([cli, "allocate", "--out", "Y", "--quiet"], cwd=empty, env=env)
    rep = pd.read_csv(empty / "Y" / "solve_report.csv").iloc[0]
    assert rep["status"] == "optimal" and bool(rep["proven_optimal"]) and rep["objective"] > 0
    plan = pd.read_csv(empty / "Y" / "plan.csv")
    assert len(plan) > 0 and set(plan["location_id"]) <= set(baseline["location_id"])

    # 4. a one-scenario batch: the packaged notebook through papermill in a kernel of the fresh venv
    (empty / "one.yaml").write_text(textwrap.dedent("""\
        description: one scenario on the embedded (SYNTHETIC) data
        base: {ranking: {draws: 100}}
        scenarios:
          - name: baseline
            title: Baseline
            report: {explain: false, goal: false}
        """))
    _run([cli, "batch", "one.yaml", "--out", "B", "--workers", "1"], cwd=empty, env=env)
    assert json.loads((empty / "B" / "batch.json").read_text())["scenarios"][0]["status"] == "ok"
    report = (empty / "B" / "baseline" / "report.html").read_text(encoding="utf-8")
    assert "SYNTHETIC" in report and len(report) > 50_000
    run = json.loads((empty / "B" / "baseline" / "run.json").read_text())
    assert run["versions"]["kotaku-decide"] == VERSION
    assert run["git_commit"] is None  # installed, and inside someone else's git repository
    # the kernel read the wheel's embedded data: it was the fresh venv's Python, not the decoy kernelspec's
    baseline_read = Path(run["inputs"]["baseline"]["path"]).resolve()
    assert baseline_read.is_relative_to(fresh["site"] / "kotaku_decide" / "embedded")
    assert run["solver_report"]["status"] == "optimal"

    # 5. the other notebooks, read from the package and run in a kernel of the fresh venv
    script = textwrap.dedent("""\
        import sys, papermill
        from kotaku_decide.data.embedded import notebook_dir
        from kotaku_decide.hearing.batch import kernel_manager_class
        for name, params in [("01_explore_baseline.ipynb", {"lang": "id"}),
                             ("03_compare_scenarios.ipynb", {"batch_dir": "B", "lang": "en"})]:
            papermill.execute_notebook(str(notebook_dir() / name), "out_" + name, parameters=params,
                                       kernel_name="python3", kernel_manager_class=kernel_manager_class(),
                                       progress_bar=False)
        """)
    _run([py, "-c", script], cwd=empty, env=env)
    for name, pngs in (("01_explore_baseline.ipynb", 3), ("03_compare_scenarios.ipynb", 1)):
        cells = [c for c in json.loads((empty / f"out_{name}").read_text())["cells"] if c["cell_type"] == "code"]
        outputs = [o for c in cells for o in c["outputs"]]
        assert "error" not in {o["output_type"] for o in outputs}, name
        assert [k for o in outputs for k in o.get("data", {})].count("image/png") >= pngs, name
    assert "DATA SINTETIS" in (empty / "out_01_explore_baseline.ipynb").read_text()


def test_git_commit_is_the_checkouts_when_run_from_one():
    """From the source tree the commit is recorded (``+uncommitted-changes`` when tracked files differ)."""
    from kotaku_decide.data.embedded import git_commit, source_checkout

    if not (REPO / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    assert source_checkout() == REPO
    head = _run(["git", "-C", REPO, "rev-parse", "HEAD"], cwd=REPO).stdout.strip()
    dirty = _run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"], cwd=REPO).stdout.strip()
    assert git_commit() == head + ("+uncommitted-changes" if dirty else "")
