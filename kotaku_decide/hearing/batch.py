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
  ``OUT/batch.json`` listing every scenario with its status, time and error.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import sys
import time
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path

import yaml

from ..data.embedded import SCENARIO_NOTEBOOK

__all__ = ["ScenarioSpec", "BatchResult", "read_scenario_set", "grid", "run_batch", "export_html",
           "SCENARIO_NOTEBOOK", "BatchError"]

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


@dataclass
class BatchResult:
    out: Path
    status: dict = field(default_factory=dict)  # name -> "ok" | "failed"
    errors: dict = field(default_factory=dict)  # name -> error text
    seconds: dict = field(default_factory=dict)
    comparison: object = None  # DataFrame

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
            rk["ahp"] = [str((folder / v).resolve()) if not Path(v).is_absolute() else v for v in rk["ahp"]]
    return out


def read_scenario_set(path: str | Path) -> list[ScenarioSpec]:
    """Read a scenario set (YAML) and validate every scenario in it; raise :class:`BatchError` if any is bad.

    Format::

        base:                 # overrides shared by every scenario (optional)
          years: {start: 2017, end: 2019}
        scenarios:            # one entry per scenario: a name, an optional title, its overrides
          - name: baseline
            title: Baseline budget
          - name: cut20
            funding: {budget_factor: 0.8}
        grid:                 # optional: every combination, added to the list above
          funding.budget_factor: [0.8, 1.0, 1.2]
          profile: [permen-14-2018, permen-02-2016]

    Paths inside are relative to the set file.
    """
    from ..allocate import prepare
    from ..data.boundaries import check_boundaries
    from ..data.scenario import ScenarioError, load_scenario
    from .run import boundaries_path

    path = Path(path)
    if not path.exists():
        raise BatchError(f"{path}: file not found")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise BatchError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(doc, dict):
        raise BatchError(f"{path}: expected a mapping with 'scenarios' (and optional 'base', 'grid')")
    unknown = set(doc) - {"base", "scenarios", "grid", "description"}
    if unknown:
        raise BatchError(f"{path}: unknown top-level key(s) {sorted(unknown)}; "
                         "expected base, scenarios, grid, description")
    base = doc.get("base") or {}
    if not isinstance(base, dict):
        raise BatchError(f"{path}: 'base' must be a mapping of overrides")
    specs: list[ScenarioSpec] = []
    for i, entry in enumerate(doc.get("scenarios") or []):
        if not isinstance(entry, dict) or "name" not in entry:
            raise BatchError(f"{path}: scenarios[{i}] must be a mapping with a 'name'")
        entry = dict(entry)
        name = str(entry.pop("name"))
        title = str(entry.pop("title", "") or "")
        specs.append(ScenarioSpec(name, _merge(base, entry), title))
    specs += grid(base, doc.get("grid") or {})
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
        except ValueError as exc:  # BaselineError, CostError, FundingError, ...
            problems.append(f"scenario {s.name!r}: {str(exc).splitlines()[0]}")
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


def run_batch(specs: list[ScenarioSpec], out: str | Path, workers: int = 2, notebook: Path | None = None,
              lang: str | None = None, timeout: int = 1800, progress: bool = True, execute=None,
              pdf: bool = False, verbose: bool = False) -> BatchResult:
    """Run every scenario through the scenario notebook; write per-scenario folders and a comparison.

    Each scenario's ``report.html`` is written by the notebook's run; once all have finished, every
    report is rendered again with the comparison against the set's baseline scenario
    (:func:`baseline_name`). ``pdf`` also prints each report and the comparison to A4 PDF
    (:func:`kotaku_decide.hearing.pdf.html_to_pdf`). ``verbose`` logs what the notebooks' cells print.
    ``execute`` replaces ``papermill.execute_notebook`` (tests use it to inject a kernel failure).
    """
    notebook = Path(notebook or SCENARIO_NOTEBOOK)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / ".work").mkdir(exist_ok=True)
    res = BatchResult(out=out)
    started = time.time()
    from ..data.writers import atomic_path

    with atomic_path(out / "batch.json") as tmp:  # replaced at the end; a killed run leaves this marker
        tmp.write_text(json.dumps({"status": "running (or interrupted)", "started":
                                   time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
                                   "scenarios": [s.name for s in specs]}, indent=2), encoding="utf-8")

    def one(spec: ScenarioSpec):
        t0 = time.perf_counter()
        work = out / ".work" / f"{spec.name}-{uuid.uuid4().hex[:8]}"
        work.mkdir(parents=True)
        try:
            _execute(spec, notebook, work, lang, timeout, execute, verbose)
            missing = [f for f in ("run.json", "summary.json", "report.html") if not (work / f).exists()]
            if missing:
                raise RuntimeError(f"the notebook finished without writing {missing}")
            _finish(work, out / spec.name)
            shutil.rmtree(out / f"{spec.name}.FAILED", ignore_errors=True)  # an older failure is no longer current
            shutil.rmtree(out / f"{spec.name}.previous-run", ignore_errors=True)
            return spec.name, "ok", "", time.perf_counter() - t0
        except Exception as exc:  # noqa: BLE001 - every failure is reported, the batch goes on
            err = _error_text(exc)
            failed = out / f"{spec.name}.FAILED"
            (work / "error.txt").write_text(err, encoding="utf-8")
            if failed.exists():
                shutil.rmtree(failed, ignore_errors=True)
            os.replace(work, failed)
            if (out / spec.name).exists():  # an older good result is kept but no longer looks current
                prev = out / f"{spec.name}.previous-run"
                shutil.rmtree(prev, ignore_errors=True)
                os.replace(out / spec.name, prev)
            return spec.name, "failed", err, time.perf_counter() - t0

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(specs), desc="scenarios", unit="scenario", file=sys.stderr)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(one, s) for s in specs]
        for fut in as_completed(futures):
            name, status, err, secs = fut.result()
            res.status[name], res.seconds[name] = status, secs
            if err:
                res.errors[name] = err
            if bar is not None:
                bar.set_postfix_str(f"{name}: {status}")
                bar.update(1)
    if bar is not None:
        bar.close()
    shutil.rmtree(out / ".work", ignore_errors=True)
    ordered = [s.name for s in specs]
    res.status = {n: res.status[n] for n in ordered}
    from .comparison import write_comparison

    ok = [n for n in ordered if res.status[n] == "ok"]
    base = baseline_name(ok)
    from .page import write_report

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
    manifest = {"status": "finished",
                "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
                "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "notebook": str(notebook), "workers": workers,
                "scenarios": [{"name": n, "status": res.status[n], "seconds": round(res.seconds.get(n, 0.0), 2),
                               "error": (res.errors.get(n, "").strip().splitlines() or [None])[-1]} for n in ordered]}

    with atomic_path(out / "batch.json") as tmp:
        tmp.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
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
