"""Files shipped with the package: the embedded Balikpapan data and the notebooks.

In a source checkout they are the repository's top-level ``data/`` and ``notebooks/`` folders; an
installed wheel carries the same files as the package data ``kotaku_decide.embedded`` and
``kotaku_decide.notebooks`` (``pyproject.toml`` maps the folders to these names). Both are found
through :mod:`importlib.resources`, so the same code works from a checkout and from a wheel.

The embedded baseline is SYNTHETIC, illustrative data (see ``data/README.md``).
"""

from __future__ import annotations

import subprocess
from importlib.resources import files
from pathlib import Path

__all__ = ["data_dir", "notebook_dir", "embedded_file", "EMBEDDED", "EMBEDDED_BOUNDARIES", "DEFAULT_SCENARIO_FILE",
           "HEARING_SET",
           "SCENARIO_NOTEBOOK", "source_checkout", "git_commit"]


def _folder(package: str) -> Path:
    p = Path(str(files(package)))
    if not p.is_dir():  # e.g. a zip import: the toolkit needs real files (papermill, pandas)
        raise RuntimeError(f"{package} is not a folder on disk ({p}); install kotaku-decide as a regular package")
    return p


def data_dir() -> Path:
    """Folder of the embedded data (``data/`` in a checkout)."""
    return _folder("kotaku_decide.embedded")


def notebook_dir() -> Path:
    """Folder of the notebooks (``notebooks/`` in a checkout)."""
    return _folder("kotaku_decide.notebooks")


def embedded_file(relative: str) -> Path:
    """Path of an embedded data file, e.g. ``embedded_file("scenarios/hearing_2016.yaml")``."""
    p = data_dir() / relative
    if not p.exists():
        raise FileNotFoundError(f"no embedded file {relative!r} in {data_dir()}")
    return p


_DATA = data_dir()
#: Embedded Balikpapan files used when a scenario's ``data`` path is null (synthetic / illustrative, labelled so).
EMBEDDED = {
    "baseline": _DATA / "balikpapan_2016_baseline.csv",
    "costs": _DATA / "costs" / "balikpapan_illustrative.csv",
    "budget": _DATA / "funding" / "balikpapan_budget_illustrative.csv",
    "funding_rules": _DATA / "funding" / "balikpapan_rules_illustrative.csv",
}
#: SYNTHETIC delineation polygons of the embedded locations (``data/make_boundaries.py``); maps use them
#: when a scenario's baseline is the embedded one and it names no boundary file.
EMBEDDED_BOUNDARIES = _DATA / "boundaries" / "balikpapan_synthetic.geojson"
#: The embedded city's scenario (the default of ``allocate``, ``explain``, ``sweep``, ``robust``, the explorer).
DEFAULT_SCENARIO_FILE = _DATA / "scenarios" / "balikpapan.yaml"
#: The six-scenario hearing set of ``kotaku-decide demo``.
HEARING_SET = _DATA / "scenarios" / "hearing_2016.yaml"
#: The parameterised scenario notebook that papermill runs in a batch.
SCENARIO_NOTEBOOK = notebook_dir() / "02_scenario.ipynb"


def source_checkout() -> Path | None:
    """The repository folder when the package runs from a kotaku-decide source checkout, else None.

    An installed package never reports a commit, even when its environment sits inside some other
    git repository.
    """
    root = Path(__file__).resolve().parents[2]
    py = root / "pyproject.toml"
    try:
        if (root / ".git").exists() and 'name = "kotaku-decide"' in py.read_text(encoding="utf-8"):
            return root
    except OSError:
        pass
    return None


def git_commit() -> str | None:
    """The checkout's commit (``+uncommitted-changes`` when tracked files differ), or None."""
    root = source_checkout()
    if root is None:
        return None
    try:
        r = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        if r.returncode == 0:
            dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                                   capture_output=True, text=True, timeout=5).stdout.strip()
            return r.stdout.strip() + ("+uncommitted-changes" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return None
