"""Batch hearing runs: every scenario of a set through the scenario notebook (papermill), in parallel.

``kotaku-decide batch SCENARIOS.yaml [--workers N] [--out reports/NAME]``

What a run guarantees:

* every scenario is resolved and validated **before anything runs**; an unknown or mistyped key stops
  the whole batch with the scenario and the key path named (papermill alone would only warn and run
  the default);
* each scenario runs in a work folder ``OUT/.work/NAME-<random>`` and is moved to ``OUT/NAME`` only when
  its notebook, HTML report (:mod:`kotaku_decide.hearing.page`) and results are all written, so an
  interrupted run never leaves a half-written folder that looks complete; a finished scenario replaces an
  older one atomically;
* a scenario that fails is kept as ``OUT/NAME.FAILED`` with ``error.txt`` (and the notebook as far as
  it ran); the others still finish; a kernel that fails to start is retried once;
* notebook kernels run this very Python (``sys.executable``), so the notebook imports the same
  kotaku_decide as the batch, whatever ``python3`` kernelspec is first on the Jupyter path; they are
  reached over local IPC sockets, not TCP ports (:func:`kernel_manager_class`);
* afterwards every report is rendered again with the comparison against the baseline scenario, and a
  comparison over the scenarios that finished: ``OUT/comparison.{csv,xlsx,html}``,
  ``OUT/scenario_diff.csv`` (locations whose funding changes), ``OUT/funded_everywhere.csv``, and
  ``OUT/batch.json`` listing every scenario with its status, time and error;
* each scenario runs in its own worker process (which starts the notebook's kernel), so a run can be
  stopped: Ctrl-C (SIGINT) or SIGTERM stops the batch within seconds, ends every worker and its kernel,
  keeps the scenarios that finished, removes the unfinished work and marks ``batch.json``
  ``interrupted``; running the same set into the same folder again finishes the rest (a finished
  scenario whose inputs, notebook and package version are unchanged is kept, not rerun);
* a set of more than ``batch.scenarios`` scenarios (bounds table, 200) is refused before anything
  runs unless its limit is lifted (``lift_limits=True``, ``--lift-limits``): a grid multiplies quickly.
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path

from ..data.embedded import SCENARIO_NOTEBOOK

__all__ = ["ScenarioSpec", "BatchResult", "read_scenario_set", "grid", "run_batch", "export_html",
           "SCENARIO_NOTEBOOK", "BatchError", "fingerprint", "resumable"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
_RESERVED = {"comparison.csv", "comparison.xlsx", "comparison.html", "comparison.pdf", "scenario_diff.csv",
             "funded_everywhere.csv",
             "batch.json"}


class BatchError(ValueError):
    """A scenario set that cannot run (nothing was started)."""


@dataclass
class ScenarioSpec:
    """One scenario of a set: its folder name and its overrides (relative paths already absolute)."""

    name: str
    overrides: dict
    title: str = ""  # becomes the scenario's description unless it has one
    expected_s: float | None = None  # a scheduling hint (seconds a run is expected to take); not part of the result


@dataclass
class BatchResult:
    out: Path
    status: dict = field(default_factory=dict)  # name -> "ok" | "failed" | "interrupted" | "not started"
    errors: dict = field(default_factory=dict)  # name -> error text
    seconds: dict = field(default_factory=dict)
    comparison: object = None  # DataFrame
    interrupted: bool = False  # stopped by SIGINT / SIGTERM: unfinished scenarios are marked, a rerun finishes them
    kept: list = field(default_factory=list)  # scenarios kept from an unfinished earlier run (not rerun)

    @property
    def ok(self) -> list[str]:
        return [n for n, s in self.status.items() if s == "ok"]

    @property
    def failed(self) -> list[str]:
        return [n for n, s in self.status.items() if s != "ok"]


# ----------------------------------------------------------------------------------------------
# scenario sets
# ----------------------------------------------------------------------------------------------
def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _set_path(d: dict, dotted: str, value) -> dict:
    out = copy.deepcopy(d)
    cur = out
    parts = dotted.split(".")
    for p in parts[:-1]:
        cur = cur.setdefault(p, {})
        if not isinstance(cur, dict):
            raise BatchError(f"grid key {dotted!r}: {p!r} is not a section")
    cur[parts[-1]] = value
    return out


def _slug(v) -> str:
    s = re.sub(r"[^A-Za-z0-9.]+", "-", str(v)).strip("-")
    return s or "x"


def grid(base: dict, axes: dict, prefix: str = "") -> list[ScenarioSpec]:
    """Every combination of ``axes`` (dotted key path -> list of values) applied to ``base`` overrides.

    >>> [s.name for s in grid({}, {"funding.budget_factor": [0.8, 1.0], "profile": ["permen-14-2018"]})]
    ['budget_factor-0.8_profile-permen-14-2018', 'budget_factor-1.0_profile-permen-14-2018']
    """
    if not axes:
        return []
    keys = list(axes)
    for k in keys:
        if not isinstance(k, str) or not k or any(not p for p in k.split(".")):
            raise BatchError(f"grid key {k!r}: expected a scenario key path such as funding.budget_factor")
        if not isinstance(axes[k], list) or not axes[k]:
            raise BatchError(f"grid key {k!r}: expected a non-empty list of values, got {axes[k]!r}")
    specs = []
    for combo in product(*(axes[k] for k in keys)):
        o = base
        for k, v in zip(keys, combo):
            o = _set_path(o, k, v)
        name = prefix + "_".join(f"{k.split('.')[-1]}-{_slug(v)}" for k, v in zip(keys, combo))
        specs.append(ScenarioSpec(name=name, overrides=o, title=", ".join(f"{k} = {v}" for k, v in zip(keys, combo))))
    return specs


def _absolutise(overrides: dict, folder: Path) -> dict:
    """Make the data paths of a set's overrides absolute (relative to the set file)."""
    out = copy.deepcopy(overrides)
    data = out.get("data")
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(v, str) and k != "level" and not Path(v).is_absolute():
                data[k] = str((folder / v).resolve())
    rk = out.get("ranking")
    if isinstance(rk, dict):
        for k in ("weights",):
            v = rk.get(k)
            if isinstance(v, str) and not Path(v).is_absolute():
                rk[k] = str((folder / v).resolve())
        if isinstance(rk.get("ahp"), list):
            rk["ahp"] = [str((folder / v).resolve()) if isinstance(v, str) and not Path(v).is_absolute() else v
                         for v in rk["ahp"]]
    return out


def read_scenario_set(path: str | Path, lift_limits: bool = False) -> list[ScenarioSpec]:
    """Read a scenario set (YAML) and validate every scenario in it; raise :class:`BatchError` if any is bad.

    Format::

        base:                 # overrides shared by every scenario (optional)
          years: {start: 2017, end: 2019}
        scenarios:            # one entry per scenario: a name, an optional title, its overrides
          - name: baseline
            title: Baseline budget
          - name: cut20
            funding: {budget_factor: 0.8}
            expected_s: 45    # optional: seconds a run took (a scheduling hint, see schedule_order)
        grid:                 # optional: every combination, added to the list above
          funding.budget_factor: [0.8, 1.0, 1.2]
          profile: [permen-14-2018, permen-02-2016]

    Paths inside are relative to the set file. The file is read safely (alias bombs, duplicate keys and
    very large files are refused); a set of more scenarios than the bound ``batch.scenarios`` is refused
    before the grid is expanded unless ``lift_limits``.
    """
    from ..allocate import prepare
    from ..data.boundaries import check_boundaries
    from ..data.bounds import bound
    from ..data.safeyaml import YamlError, load_yaml
    from ..data.scenario import ScenarioError, load_scenario
    from .run import boundaries_path

    path = Path(path)
    if not path.exists():
        raise BatchError(f"{path}: file not found")
    try:
        doc = load_yaml(path, "scenario set")
    except YamlError as exc:
        raise BatchError(str(exc)) from None
    doc = {} if doc is None else doc
    if not isinstance(doc, dict):
        raise BatchError(f"{path}: expected a mapping with 'scenarios' (and optional 'base', 'grid')")
    unknown = set(doc) - {"base", "scenarios", "grid", "description"}
    if unknown:
        raise BatchError(f"{path}: unknown top-level key(s) {sorted(unknown)}; "
                         "expected base, scenarios, grid, description")
    base = doc.get("base") or {}
    if not isinstance(base, dict):
        raise BatchError(f"{path}: 'base' must be a mapping of overrides")
    entries = doc.get("scenarios") or []
    axes = doc.get("grid") or {}
    if not isinstance(entries, list):
        raise BatchError(f"{path}: 'scenarios' must be a list of mappings (each with a 'name')")
    if not isinstance(axes, dict):
        raise BatchError(f"{path}: 'grid' must be a mapping of key path -> list of values")
    # the size is known before the grid is expanded or anything is validated
    sizes = [len(v) if isinstance(v, list) else 1 for v in axes.values()]
    n = len(entries) + (math.prod(sizes) if axes else 0)
    msg = bound("batch.scenarios").problem(n, lifted=lift_limits)
    if msg:
        detail = f" ({len(entries)} listed + a grid of {' x '.join(map(str, sizes))})" if axes else ""
        raise BatchError(f"{path}: {n:,} scenarios{detail}: {msg}; nothing was run")
    specs: list[ScenarioSpec] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or "name" not in entry:
            raise BatchError(f"{path}: scenarios[{i}] must be a mapping with a 'name'")
        entry = dict(entry)
        name, title, hint = entry.pop("name"), entry.pop("title", ""), entry.pop("expected_s", None)
        if isinstance(name, bool) or not isinstance(name, (str, int)):
            raise BatchError(f"{path}: scenarios[{i}].name: expected a text (it names a folder), got {name!r}")
        if title is not None and not isinstance(title, (str, int, float)):
            raise BatchError(f"{path}: scenarios[{i}].title: expected a text, got {title!r}")
        if hint is not None and (isinstance(hint, bool) or not isinstance(hint, (int, float))
                                 or not (0 < hint < 1e9)):  # NaN fails both; a huge YAML integer too
            raise BatchError(f"{path}: scenarios[{i}] ({name}).expected_s: expected a number of seconds above 0 "
                             f"(a scheduling hint), got {hint!r}")
        name, title = str(name), str(title or "")
        specs.append(ScenarioSpec(name, _merge(base, entry), title, None if hint is None else float(hint)))
    specs += grid(base, axes)
    if not specs:
        raise BatchError(f"{path}: no scenarios (give 'scenarios' or 'grid')")
    problems = []
    seen = set()
    for s in specs:
        if not _NAME.match(s.name):
            problems.append(f"scenario name {s.name!r}: use letters, digits, '-', '_' or '.' (it names a folder)")
        elif s.name.lower().endswith((".failed", ".previous-run")) or s.name.lower() in _RESERVED:
            problems.append(f"scenario name {s.name!r} is reserved for the batch's own files; choose another")
        if s.name.lower() in seen:
            problems.append(f"scenario name {s.name!r} is used twice")
        seen.add(s.name.lower())
        s.overrides = _absolutise(s.overrides, path.parent)
        s.overrides.setdefault("name", s.name)
        if s.title:
            s.overrides.setdefault("description", s.title)
        try:
            sc = load_scenario(s.overrides)
            inp = prepare(sc)  # data files, costs and funding rules are read and checked too
            bpath = boundaries_path(sc)
            if bpath is not None:  # and the delineation polygons the maps will draw
                rep = check_boundaries(bpath, inp.locations)
                problems += [f"scenario {s.name!r}: {p}" for p in rep.errors]
        except ScenarioError as exc:
            problems += [f"scenario {s.name!r}: {p}" for p in exc.problems]
        except (ValueError, KeyError, TypeError, OSError) as exc:  # BaselineError, CostError, FundingError, ...
            problems.append(f"scenario {s.name!r}: {(str(exc).splitlines() or [type(exc).__name__])[0]}")
    if problems:
        raise BatchError(f"{path}: nothing was run; fix these first:\n  " + "\n  ".join(problems))
    return specs


# ----------------------------------------------------------------------------------------------
# running
# ----------------------------------------------------------------------------------------------
_KERNEL_START_ERRORS = ("Kernel died before replying to kernel_info", "kernel_info", "Kernel didn't respond",
                        "Address already in use", "ZMQError", "Kernel not responding", "Timeout waiting for IOPub")


def _is_kernel_start_failure(exc: BaseException) -> bool:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError) or type(exc).__name__ == "CellTimeoutError":
        return False  # a cell raised or ran out of time: the kernel did start; retrying would fail the same way
    text = f"{type(exc).__name__}: {exc}"
    return isinstance(exc, (TimeoutError,)) or any(m in text for m in _KERNEL_START_ERRORS)


def export_html(notebook: Path, html: Path, title: str | None = None, lang: str | None = None) -> Path:
    """Convert an executed notebook to an HTML report without code (inputs and prompts hidden);
    ``lang`` (the report's language) becomes the page's ``<html lang>``."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook), as_version=4)
    if title:
        nb.metadata["title"] = title
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            **({"language_code": lang} if lang else {}))
    body, _ = exporter.from_notebook_node(nb)
    # the report is opened offline in a hearing room: drop scripts fetched from the internet (MathJax,
    # require.js); tables and figures are plain HTML and inline PNG and need no script
    body = re.sub(r"<script[^>]*\bsrc=[\"']https?://[^>]*>\s*</script>", "", body)
    from ..data.writers import atomic_path

    with atomic_path(html) as tmp:
        tmp.write_text(body, encoding="utf-8")
    return html


def kernel_manager_class():
    """The kernel manager for notebook runs.

    * The ``python3`` kernel is always this Python (``sys.executable -m ipykernel_launcher``), not the
      first ``python3`` kernelspec on the Jupyter path (:mod:`kotaku_decide.hearing.kernels`): a
      user-wide or another environment's kernelspec would otherwise run the notebook with a different
      Python, which imports a different copy of kotaku_decide (or none) than the one running the batch,
      e.g. a source checkout instead of the installed wheel.
    * Kernels are reached over local IPC sockets (files readable by this user only) instead of TCP ports
      on localhost where the platform has them (not Windows): ipykernel warns on every start that a kernel
      "is running over TCP without encryption"; over IPC there is no TCP port to eavesdrop on and no
      warning.
    * Each kernel has a connection file of its own in Jupyter's runtime folder (as Jupyter's server and
      Voila give theirs), and its IPC sockets are named after it. Without one, jupyter_client names the
      sockets ``kernel-ipc-1`` ... ``-5`` in the working folder for every kernel: two scenarios starting
      at the same moment (``--workers 2``) then bind the same sockets, read each other's messages
      ("Invalid Signature") and leave socket files in the user's folder.

    Returns
    -------
    type
        A ``jupyter_client`` ``AsyncKernelManager`` subclass for papermill's ``kernel_manager_class``.
    """
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.paths import jupyter_runtime_dir
    from traitlets import CaselessStrEnum, default

    from .kernels import ThisPythonKernelSpecs

    class NotebookKernelManager(AsyncKernelManager):
        if os.name == "posix":
            transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

        @default("kernel_spec_manager")
        def _this_python_specs(self):
            return ThisPythonKernelSpecs(data_dir=self.data_dir)

        @default("connection_file")
        def _own_connection_file(self):
            runtime = Path(jupyter_runtime_dir())
            runtime.mkdir(parents=True, exist_ok=True, mode=0o700)
            return str(runtime / f"kernel-kd-{uuid.uuid4().hex[:12]}.json")  # short: a socket path has ~100 bytes

    return NotebookKernelManager


def _execute(spec: ScenarioSpec, notebook: Path, work: Path, lang: str | None, timeout: int,
             execute=None, verbose: bool = False) -> None:
    """Run one scenario's notebook into ``work`` (retrying once if the kernel does not start)."""
    import papermill

    params = {"scenario": spec.overrides, "out_dir": str(work), "name": spec.name}
    if lang:
        params["lang"] = lang
    run = execute or papermill.execute_notebook
    extra = {"kernel_manager_class": kernel_manager_class()}
    if verbose:  # what the kernel's cells print (solver banners included) goes to this process's log
        extra["log_output"] = True
    for attempt in (1, 2):
        try:
            # no ``cwd``: papermill changes the working folder of the whole process for it, which
            # races between parallel scenarios; the notebook writes to the absolute out_dir instead
            run(str(notebook), str(work / "scenario.ipynb"), parameters=params, kernel_name="python3",
                progress_bar=False, start_timeout=120, execution_timeout=timeout, **extra)
            return
        except Exception as exc:  # noqa: BLE001 - classified below
            if attempt == 1 and _is_kernel_start_failure(exc):
                (work / "retry.txt").write_text(f"kernel start failed, retried once: {exc}\n")
                time.sleep(1.0)
                continue
            raise


def _finish(work: Path, final: Path) -> None:
    """Move a completed work folder into place, replacing an older result atomically."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
        os.replace(final, old)
    os.replace(work, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def baseline_name(names: list[str]) -> str | None:
    """The scenario the others are compared with: the one named ``baseline``, else the first."""
    for n in names:
        if n.lower() == "baseline":
            return n
    return names[0] if names else None


# ----------------------------------------------------------------------------------------------
# one scenario in a worker process
# ----------------------------------------------------------------------------------------------
FINGERPRINT_FILE = ".batch_fingerprint"


def _sha(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fingerprint(spec: ScenarioSpec, notebook: Path, lang: str | None) -> str:
    """What a scenario's result depends on: its overrides and title, the report language, the notebook,
    the package version and every data file it reads (hashed). Equal fingerprints give equal reports."""
    from .._version import __version__
    from ..data.scenario import load_scenario

    sc = load_scenario(spec.overrides)
    files = [sc.data_path(k) for k in ("baseline", "costs", "budget", "funding_rules")]
    files += [p for p in [sc["ranking.weights"], *sc["ranking.ahp"]] if p]
    doc = {"overrides": spec.overrides, "title": spec.title, "lang": lang, "version": __version__,
           "notebook": _sha(notebook), "files": {str(f): _sha(f) for f in files}}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _callable_name(execute) -> str | None:
    """``module:qualname`` of a replacement for papermill.execute_notebook (it runs in the worker)."""
    if execute is None or isinstance(execute, str):
        return execute
    mod, qual = getattr(execute, "__module__", None), getattr(execute, "__qualname__", "")
    if not mod or "<" in qual:
        raise BatchError("execute must be a module-level function (it runs in a worker process)")
    return f"{mod}:{qual}"


def _resolve_callable(name: str | None):
    if not name:
        return None
    mod, _, qual = name.partition(":")
    obj = importlib.import_module(mod)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


def _run_one(job: dict) -> None:
    """Run one scenario in this process (the worker): notebook, checks, HTML report, fingerprint.

    Writes ``error.txt`` into the work folder and raises on failure.
    """
    spec = ScenarioSpec(job["name"], job["overrides"], job["title"])
    work = Path(job["work"])
    try:
        _execute(spec, Path(job["notebook"]), work, job["lang"], job["timeout"], _resolve_callable(job["execute"]),
                 job.get("verbose", False))
        missing = [f for f in ("run.json", "summary.json", "report.html") if not (work / f).exists()]
        if missing:
            raise RuntimeError(f"the notebook finished without writing {missing}")
        (work / FINGERPRINT_FILE).write_text(job["fingerprint"], encoding="utf-8")
    except Exception as exc:  # noqa: BLE001 - reported to the parent through error.txt
        (work / "error.txt").write_text(_error_text(exc), encoding="utf-8")
        raise


def _worker_main(job_file: str | None = None) -> int:
    """Entry point of a worker process: ``python -c "...; _worker_main()" JOB.json``."""
    # papermill imports jsonschema (through nbformat), which builds the grammar of its optional IRI format
    # checker at import when rfc3987-syntax is installed (an extra of jupyter-events): 1.8 s of every
    # worker's start, measured. Notebook validation checks no IRI format, so a worker does without it.
    sys.modules.setdefault("rfc3987_syntax", None)
    job = json.loads(Path(job_file or sys.argv[1]).read_text(encoding="utf-8"))
    try:
        _run_one(job)
    except Exception:  # noqa: BLE001 - the parent reads error.txt
        return 1
    return 0


def _kill_tree(proc: subprocess.Popen, grace_s: float = 3.0) -> None:
    """End a worker and everything it started (its kernel included): terminate, then kill after ``grace_s``."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with ipykernel
        psutil = None
    procs = []
    if psutil is not None:
        try:
            parent = psutil.Process(proc.pid)
            procs = parent.children(recursive=True) + [parent]
        except psutil.NoSuchProcess:
            procs = []
        for p in procs:
            try:
                p.terminate()
            except psutil.NoSuchProcess:
                pass
        _, alive = psutil.wait_procs(procs, timeout=grace_s)
        for p in alive:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(alive, timeout=grace_s)
    else:  # the worker leads its own process group
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()


def previous_seconds(out: Path) -> dict:
    """Seconds each scenario took in the last run into ``out`` (from its ``batch.json``; kept ones excluded)."""
    try:
        previous = json.loads((Path(out) / "batch.json").read_text(encoding="utf-8"))
        rows = previous.get("scenarios", []) if isinstance(previous, dict) else []
        return {r["name"]: float(r["seconds"]) for r in rows
                if isinstance(r, dict) and r.get("status") in ("ok", "failed") and not r.get("kept_from_earlier_run")
                and isinstance(r.get("seconds"), (int, float)) and r["seconds"] > 0}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


#: up to this many scenarios with known times, :func:`schedule_order` tries every order (8! = 40,320)
EXACT_SCHEDULE_MAX = 8


def list_makespan(times, workers: int) -> float:
    """When the last of ``times`` ends if each starts, in this order, on the first of ``workers`` to be free."""
    free = [0.0] * max(1, int(workers))
    for t in times:
        k = min(range(len(free)), key=free.__getitem__)
        free[k] += t
    return max(free)


def schedule_order(specs: list, seconds: dict, workers: int = 2) -> list:
    """The order the scenarios start in. A scenario's time is its previous run's seconds into the same
    folder (``seconds``), else its set's ``expected_s`` hint (a fresh run of a set that carries its
    measured times packs as a re-run does). Those with no time go first, in the set's order; the rest
    longest first (LPT; stable: equal times keep the set's order) - or, when every scenario has a time
    and there are at most :data:`EXACT_SCHEDULE_MAX`, the order whose list schedule on ``workers`` ends
    first (LPT's order unless another ends earlier: LPT can leave a worker idle at the end, e.g. 77, 42,
    39, 27, 20 and 15 s on two workers end at 116 s by LPT and at 112 s started as 77, 42, 39, 20, 27,
    15)."""
    from itertools import permutations

    def t(s):
        return seconds.get(s.name, s.expected_s)

    new = [s for s in specs if t(s) is None]
    known = sorted((s for s in specs if t(s) is not None), key=lambda s: -t(s))
    if not new and 2 < len(known) <= EXACT_SCHEDULE_MAX and 1 < workers < len(known):
        times = [t(s) for s in known]
        best, best_end = tuple(range(len(known))), list_makespan(times, workers)
        for order in permutations(range(len(known))):  # in lexicographic order: LPT's order comes first
            end = list_makespan([times[k] for k in order], workers)
            if end < best_end - 1e-9:
                best, best_end = order, end
        known = [known[k] for k in best]
    return new + known


def resumable(out: Path, prints: dict) -> list[str]:
    """Scenarios an earlier, unfinished run into ``out`` finished with the same fingerprint (kept, not rerun).

    Only after an unfinished run (``batch.json`` not ``finished``: interrupted, or killed while running);
    after a finished run every scenario runs again.
    """
    try:
        previous = json.loads((Path(out) / "batch.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(previous, dict) or previous.get("status") == "finished":
        return []
    kept = []
    for name, fp in prints.items():
        f = Path(out) / name / FINGERPRINT_FILE
        if f.is_file() and f.read_text(encoding="utf-8").strip() == fp:
            kept.append(name)
    return kept


class _Stop:
    """Catches SIGINT / SIGTERM during a batch (main thread only) and records that a stop was asked."""

    def __init__(self):
        self.asked = False
        self._old = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handler)
        return self

    def _handler(self, signum, frame):  # noqa: ARG002
        self.asked = True

    def __exit__(self, *exc):
        for sig, h in self._old.items():
            signal.signal(sig, h)
        return False


def run_batch(specs: list[ScenarioSpec], out: str | Path, workers: int = 2, notebook: Path | None = None,
              lang: str | None = None, timeout: int = 1800, progress: bool = True, execute=None,
              resume: bool = True, poll_s: float = 0.2, pdf: bool = False, verbose: bool = False) -> BatchResult:
    """Run every scenario through the scenario notebook; write per-scenario folders and a comparison.

    Each scenario's ``report.html`` is written by the notebook's run; once all have finished, every
    report is rendered again with the comparison against the set's baseline scenario
    (:func:`baseline_name`). ``pdf`` also prints each report and the comparison to A4 PDF
    (:func:`kotaku_decide.hearing.pdf.html_to_pdf`). ``verbose`` logs what the notebooks' cells print.

    Parameters
    ----------
    specs : scenarios from :func:`read_scenario_set`
    out : output folder
    workers : scenarios run at the same time (each in its own worker process with its own kernel)
    timeout : seconds a notebook cell may run
    execute : a module-level function replacing ``papermill.execute_notebook`` in the workers (tests use
        it to inject a kernel-start failure), or its ``"module:name"``
    resume : after an unfinished run (interrupted, or killed), keep the scenarios it finished whose
        fingerprint (:func:`fingerprint`) is unchanged instead of running them again

    Returns
    -------
    BatchResult
        With ``interrupted=True`` when SIGINT or SIGTERM stopped the run: the workers and their kernels
        were ended, finished scenarios kept, ``batch.json`` says ``interrupted``; run again to finish.
    """
    from ..data.writers import atomic_path, check_output

    notebook = Path(notebook or SCENARIO_NOTEBOOK)
    out = check_output(out, folder=True, label="batch output folder")
    out.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(out / ".work", ignore_errors=True)  # unfinished work of a killed earlier run
    (out / ".work").mkdir()
    exec_name = _callable_name(execute)
    res = BatchResult(out=out)
    started = time.time()
    prints = {s.name: fingerprint(s, notebook, lang) for s in specs}
    before = previous_seconds(out)  # read before this run's manifest replaces it
    kept = set(resumable(out, prints)) if resume else set()
    todo = []
    for s in specs:
        if s.name in kept:
            res.status[s.name], res.seconds[s.name] = "ok", 0.0
            res.kept.append(s.name)
        else:
            todo.append(s)

    def manifest(status: str) -> dict:
        ordered = [s.name for s in specs]
        return {"status": status, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
                **({"finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")} if status != "running" else {}),
                "notebook": str(notebook), "workers": workers,
                "scenarios": [{"name": n, "status": res.status.get(n, "not started"),
                               "seconds": round(res.seconds.get(n, 0.0), 2),
                               "kept_from_earlier_run": n in res.kept, "fingerprint": prints[n],
                               "error": (res.errors.get(n, "").strip().splitlines() or [None])[-1]}
                              for n in ordered]}

    def write_manifest(status: str) -> None:
        with atomic_path(out / "batch.json") as tmp:
            tmp.write_text(json.dumps(manifest(status), indent=2), encoding="utf-8")

    write_manifest("running")  # a killed run leaves this marker: the next run resumes
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(specs), initial=len(res.kept), desc="scenarios", unit="scenario", file=sys.stderr)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)  # the worker sees the same modules
    # a re-run into the same folder starts the scenarios that took longest last time first (longest
    # processing time first), so that the slowest is not the last to start; a fresh run uses the set's
    # expected_s hints; scenarios with neither keep the set's order ahead of them. The results and the
    # comparison keep the set's order either way.
    todo = schedule_order(todo, before, workers)
    pending, running = deque(todo), {}

    def start(spec: ScenarioSpec) -> None:
        work = out / ".work" / f"{spec.name}-{uuid.uuid4().hex[:8]}"
        work.mkdir(parents=True)
        job = {"name": spec.name, "overrides": spec.overrides, "title": spec.title, "notebook": str(notebook),
               "work": str(work), "lang": lang, "timeout": timeout, "execute": exec_name,
               "fingerprint": prints[spec.name], "verbose": verbose}
        (work / "job.json").write_text(json.dumps(job, default=str), encoding="utf-8")
        log = open(work / "worker.log", "wb")
        cmd = [sys.executable, "-c", "from kotaku_decide.hearing.batch import _worker_main as m; "
               "raise SystemExit(m())", str(work / "job.json")]
        # a new session: Ctrl-C in the terminal reaches the batch, which ends the workers itself
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                start_new_session=True)
        running[spec.name] = (proc, work, log, time.perf_counter())

    def collect(name: str) -> None:
        proc, work, log, t0 = running.pop(name)
        log.close()
        secs = time.perf_counter() - t0
        if proc.returncode == 0:
            for f in ("job.json", "worker.log"):
                (work / f).unlink(missing_ok=True)
            _finish(work, out / name)
            shutil.rmtree(out / f"{name}.FAILED", ignore_errors=True)  # an older failure is no longer current
            shutil.rmtree(out / f"{name}.previous-run", ignore_errors=True)
            res.status[name] = "ok"
        else:
            err_file = work / "error.txt"
            if err_file.exists():
                err = err_file.read_text(encoding="utf-8")
            else:
                tail = (work / "worker.log").read_text(encoding="utf-8", errors="replace")[-2000:]
                err = f"the worker process ended with exit code {proc.returncode} without a result\n{tail}"
                err_file.write_text(err, encoding="utf-8")
            (work / "job.json").unlink(missing_ok=True)
            failed = out / f"{name}.FAILED"
            shutil.rmtree(failed, ignore_errors=True)
            os.replace(work, failed)
            if (out / name).exists():  # an older good result is kept but no longer looks current
                prev = out / f"{name}.previous-run"
                shutil.rmtree(prev, ignore_errors=True)
                os.replace(out / name, prev)
            res.status[name], res.errors[name] = "failed", err
        res.seconds[name] = secs
        if bar is not None:
            bar.set_postfix_str(f"{name}: {res.status[name]}")
            bar.update(1)

    with _Stop() as stop:
        try:
            while (pending or running) and not stop.asked:
                while pending and len(running) < max(1, workers) and not stop.asked:
                    start(pending.popleft())
                for name in [n for n, (p, *_rest) in running.items() if p.poll() is not None]:
                    collect(name)
                time.sleep(poll_s)
        except KeyboardInterrupt:  # a SIGINT outside the main thread's handler (e.g. no handler installed)
            stop.asked = True
        if stop.asked:
            res.interrupted = True
            for name in [n for n, (p, *_rest) in running.items() if p.poll() is not None]:
                collect(name)  # finished while the stop was asked: keep it
            for name, (proc, work, log, t0) in list(running.items()):
                _kill_tree(proc)
                log.close()
                shutil.rmtree(work, ignore_errors=True)
                res.status[name], res.seconds[name] = "interrupted", time.perf_counter() - t0
                running.pop(name)
            for spec in pending:
                res.status[spec.name] = "not started"
    if bar is not None:
        bar.close()
    shutil.rmtree(out / ".work", ignore_errors=True)
    ordered = [s.name for s in specs]
    res.status = {n: res.status.get(n, "not started") for n in ordered}
    if res.interrupted:
        for f in ("comparison.csv", "comparison.xlsx", "comparison.html", "comparison.pdf", "scenario_diff.csv",
                  "funded_everywhere.csv"):
            (out / f).unlink(missing_ok=True)  # an older comparison must not look current
        write_manifest("interrupted")
        return res
    from .comparison import write_comparison
    from .page import write_report

    ok = [n for n in ordered if res.status[n] == "ok"]
    base = baseline_name(ok)
    for n in ok:  # now that the baseline has finished, each report says how it differs from it
        try:
            write_report(out / n, out / base)
        except Exception as exc:  # noqa: BLE001 - the report from the run stays; the batch goes on
            res.errors[n] = f"report not re-rendered with the baseline: {exc}"
    res.comparison = write_comparison(out, ok, lang=lang or _report_lang(out, ok))
    if pdf and ok:
        from .pdf import html_to_pdf

        for f in [out / n / "report.html" for n in ok] + [out / "comparison.html"]:
            if f.exists():
                html_to_pdf(f)
    write_manifest("finished")
    return res


def _report_lang(out: Path, names: list[str]) -> str:
    """The language the scenarios' reports were written in (the comparison page follows it)."""
    for n in names:
        try:
            return json.loads((out / n / "summary.json").read_text(encoding="utf-8")).get("lang") or "en"
        except (OSError, ValueError):
            continue
    return "en"


def _error_text(exc: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return f"cell {exc.exec_count} raised {exc.ename}: {exc.evalue}\n"
    return "".join(traceback.format_exception_only(type(exc), exc))
