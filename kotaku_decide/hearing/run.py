"""One scenario end to end for a budget hearing, and the comparison over several scenarios.

:func:`run_scenario` is what the scenario notebook (``notebooks/02_scenario.ipynb``) calls: score ->
rank (with robustness) -> allocate (optimiser and greedy baseline) -> explanations (when the evidence
step is available) -> figures -> files. It writes, into one folder:

* ``scores.csv``, ``ranks.csv``, ``plan.csv``, ``before_after.csv``, ``yearly.csv``, ``money.csv``,
  ``solve_report.csv``, ``consistency.csv`` (and ``explanations.csv``);
* ``results.xlsx``: a summary sheet first, then the same tables (text cells escaped against formula
  injection);
* ``figures/*.png``;
* ``summary.json`` (the key figures the comparison reads) and ``run.json`` (the resolved scenario,
  hashes of every input file, package versions, the solver report, the git commit, start and end times).

Every file is written atomically; a batch moves the folder into place only when all are written.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import platform
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from .._version import __version__
from ..data.embedded import git_commit
from ..data.labels import label
from ..data.writers import atomic_path, write_workbook
from .tables import format_number, provenance_lines, source_labels, summary_by_level, value_label

__all__ = ["HearingResult", "run_scenario", "refuse_unknown_parameters", "NOTEBOOK_PARAMETERS", "key_figures",
           "data_status"]

#: the parameters the scenario notebook accepts (papermill itself would only warn about others)
NOTEBOOK_PARAMETERS = ("scenario", "scenario_file", "out_dir", "name", "lang")


def refuse_unknown_parameters(namespace: dict, allowed=NOTEBOOK_PARAMETERS) -> None:
    """Raise ValueError naming any notebook parameter that is not one of ``allowed``.

    Call it in the cell after the ``parameters`` cell with ``globals()``: papermill injects every
    parameter it is given as a variable, and only warns about names the notebook does not declare.
    """
    import builtins

    skip = set(dir(builtins)) | {"In", "Out", "get_ipython", "exit", "quit", "open"}
    unknown = sorted(k for k in namespace if not k.startswith("_") and k not in skip and k not in allowed
                     and not callable(namespace[k]) and not _is_module(namespace[k]))
    if unknown:
        hints = []
        for k in unknown:
            close = difflib.get_close_matches(k, allowed, n=1)
            hints.append(f"{k!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ValueError(f"unknown notebook parameter(s) {', '.join(hints)}; expected {', '.join(allowed)}. "
                         "Nothing was run.")


def _is_module(v) -> bool:
    import types

    return isinstance(v, types.ModuleType)


@dataclass
class HearingResult:
    name: str
    lang: str
    scenario: object
    scored: pd.DataFrame
    consistency: pd.DataFrame
    ranks: pd.DataFrame
    rank_notes: list
    allocation: object
    greedy: object | None
    explanations: pd.DataFrame | None
    key_figures: dict
    provenance: list
    figures: dict = field(default_factory=dict)
    files: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    cuts: pd.DataFrame | None = None  #: plans under proportional budget cuts (with the explanations)
    boundaries: object = None  #: delineation polygons (GeoDataFrame) or None: maps draw circles
    value: object = None  #: :class:`~kotaku_decide.evidence.value.ValueOfOptimisation` or None
    goal: dict | None = None  #: least cost to no slum hectares by the last year (``report.goal``)


class _quiet_native_output:
    """Silence what native code (the HiGHS banner) writes to file descriptors 1 and 2 meanwhile.

    ``msg=False`` does not silence HiGHS's banner (design.md); in a hearing report it is noise.
    """

    def __init__(self, active: bool = True):
        self.active = active

    def __enter__(self):
        import os
        import sys

        if not self.active:
            return self
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (AttributeError, ValueError):
                pass
        self.saved = [os.dup(1), os.dup(2)]
        self.null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(self.null, 1)
        os.dup2(self.null, 2)
        return self

    def __exit__(self, *exc):
        import os

        if not self.active:
            return False
        os.dup2(self.saved[0], 1)
        os.dup2(self.saved[1], 2)
        for fd in (*self.saved, self.null):
            os.close(fd)
        return False


def _sha256(path) -> str | None:
    try:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()
    except OSError:
        return None


def _versions() -> dict:
    import importlib.metadata as md

    out = {"kotaku-decide": __version__, "python": platform.python_version()}
    for p in ("numpy", "pandas", "scipy", "pulp", "highspy", "matplotlib", "seaborn", "papermill", "openpyxl"):
        try:
            out[p] = md.version(p)
        except md.PackageNotFoundError:
            out[p] = None
    return out


def key_figures(name: str, scenario, scored: pd.DataFrame, alloc, greedy=None) -> dict:
    """The numbers a hearing compares across scenarios (JSON-ready)."""
    ev = alloc.evaluation or {}
    rep = alloc.report
    yearly = alloc.yearly
    hh = float(scored["households"].sum()) if "households" in scored else float("nan")
    base = yearly.iloc[0]
    end = yearly.iloc[-1]
    money = alloc.money
    funded = sorted(set(alloc.plan["location_id"])) if len(alloc.plan) else []
    ba = alloc.before_after
    cleared = sorted(ba.loc[ba["cleared_year"].notna(), "location_id"]) if "cleared_year" in ba else []
    kf = {
        "name": name,
        "description": scenario["description"],
        "profile": scenario["profile"],
        "objective": scenario["objective.kind"],
        "years": [int(y) for y in yearly["year"].iloc[1:]],
        "status": getattr(rep.status, "value", str(rep.status)),
        "proven_optimal": bool(rep.proven_optimal),
        "gap": None if rep.gap is None else float(rep.gap),
        "objective_value": None if rep.objective is None else float(rep.objective),
        "best_bound": None if rep.best_bound is None else float(rep.best_bound),
        "slum_ha_baseline": float(base["slum_ha"]),
        "slum_locations_baseline": int(base["slum_locations"]),
        "slum_ha_left_by_year": {int(r.year): float(r.slum_ha) for r in yearly.iloc[1:].itertuples()},
        "cleared_ha_by_year": {int(k): float(v) for k, v in (ev.get("cleared_by_year") or {}).items()},
        "water_share_pct": {"baseline": float(base["water_share_pct"]), "end": float(end["water_share_pct"])},
        "sanitation_share_pct": {"baseline": float(base["sanitation_share_pct"]),
                                 "end": float(end["sanitation_share_pct"])},
        "households_water_served": round((end["water_share_pct"] - base["water_share_pct"]) / 100 * hh, 1),
        "households_sanitation_served": round((end["sanitation_share_pct"] - base["sanitation_share_pct"]) / 100 * hh,
                                              1),
        "budget_rp": float(money["budget_rp"].sum()),
        "spent_rp": float(money["used_rp"].sum()),
        # money left unspent over the horizon (carry-over moves money between years, it never spends it)
        "left_rp": float(money["budget_rp"].sum() - money["used_rp"].sum()),
        "funded_locations": funded,
        "cleared_locations": cleared,
        "checks_failed": len(alloc.checks or []),
    }
    if greedy is not None and greedy.evaluation:
        g = greedy.evaluation
        kf["greedy_cleared_ha"] = float(g.get("cleared_ha", float("nan")))
        key = {"hectares": "hectare_years", "households": "households",
               "least_cost": "cost_rp"}[scenario["objective.kind"]]
        opt = ev.get(key)
        kf["greedy_vs_optimiser"] = (float(g[key]) / opt) if opt else None
    return kf


def _first_comment(path) -> str:
    """The first ``#`` comment line of a CSV (a data file's status note), or ''."""
    try:
        with open(path, encoding="utf-8") as fh:
            line = fh.readline()
    except (OSError, TypeError):
        return ""
    return line.lstrip("#").strip() if line.startswith("#") else ""


def data_status(inp, lang: str = "en") -> str:
    """What of an allocation's input is synthetic or illustrative, in the report language.

    The same findings as the allocation's own ``data_status`` (kept in ``run.json``): a baseline whose
    provenance says SYNTHETIC, works in use whose unit cost is illustrative, and the status notes of
    the budget and funding-rules files. A file's note marked ILLUSTRATIVE or SYNTHETIC is said in the
    catalogue's words; any other note is the file's own text and is shown as given.
    """
    L = lambda k: label("data_status", k, lang)  # noqa: E731
    parts = []
    prov = inp.locations.get("provenance")
    if prov is not None and prov.astype(str).str.contains("SYNTHETIC", case=False).any():
        parts.append(L("baseline_synthetic"))
    cat = inp.catalogue
    ill = cat["status"].astype(str).str.contains("illustrative")
    n_ill = int(cat.loc[ill & cat["work_id"].isin(inp.options["work_id"].unique()), "work_id"].nunique())
    if n_ill:
        parts.append(L("costs_illustrative").format(n=n_ill))
    notes = []
    for key, marked in (("budget", "budget_illustrative"), ("funding_rules", "rules_illustrative")):
        note = _first_comment(inp.scenario.data_path(key))
        if note:
            notes.append(L(marked) if any(m in note.upper() for m in ("ILLUSTRATIVE", "SYNTHETIC")) else note)
    if notes:
        parts.append(L("funding").format(text=" ".join(notes)))
    return "; ".join(parts) if parts else L("as_given")


def boundaries_path(sc):
    """The scenario's delineation polygons: ``data.boundaries``; with the embedded baseline (``data.baseline``
    null) the embedded SYNTHETIC polygons; else None (maps draw circles at lat/lon)."""
    from ..data.embedded import EMBEDDED_BOUNDARIES

    d = sc.values["data"]
    if d.get("boundaries"):
        return Path(d["boundaries"])
    if d.get("baseline") is None:
        return EMBEDDED_BOUNDARIES
    return None


def _goal_summary(g: dict) -> dict:
    """The JSON-ready part of :func:`kotaku_decide.evidence.no_slum_goal` shown in the report."""
    def res(r):
        r = r or {}
        return {k: (None if r.get(k) is None else float(r[k]) if k in ("cost_rp", "gap", "time_s") else r.get(k))
                for k in ("status", "cost_rp", "gap", "time_s")}
    return {"year": int(g["year"]), "slum_ha": float(g["slum_ha"]), "reachable_ha": float(g["reachable_ha"]),
            "unreachable": [{"location_id": r.location_id, "name": r.name, "area_ha": float(r.area_ha)}
                            for r in g["unreachable"].itertuples()],
            "via_legalisation": [{"location_id": r.location_id, "name": r.name, "area_ha": float(r.area_ha),
                                  "legalisation_rp": float(r.legalisation_rp)}
                                 for r in g["via_legalisation"].itertuples()],
            "given": res(g.get("given")), "unlimited": res(g.get("unlimited"))}


def run_scenario(scenario=None, out_dir=None, *, name: str | None = None, lang: str | None = None,
                 greedy: bool = True, write: bool = True) -> HearingResult:
    """Run one scenario end to end; write its files to ``out_dir`` (if ``write``).

    Parameters
    ----------
    scenario : path to a scenario YAML, dict of overrides, :class:`~kotaku_decide.data.scenario.Scenario` or None
    out_dir : folder for the outputs (created)
    name : the scenario's name in reports (default: the scenario's ``name``)
    lang : ``en`` or ``id`` (default: the scenario's ``report.lang``)
    greedy : also run the greedy baseline and compare
    """
    from ..allocate import allocate, prepare
    from ..data.scenario import Scenario, load_scenario
    from ..rank.api import rank_locations
    from ..score.pipeline import score_file

    started = datetime.now(timezone.utc)
    t = {}
    t0 = time.perf_counter()
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    name = name or sc["name"]
    lang = lang or sc["report.lang"]
    if lang not in ("en", "id"):
        raise ValueError(f"lang must be 'en' or 'id', got {lang!r}")
    if lang != sc["report.lang"]:  # the saved scenario must reproduce this report, language included
        sc = sc.replace({"report": {"lang": lang}})
    t["load"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    res = score_file(sc.data_path("baseline"), regulation=sc["profile"], level=sc["data.level"])
    t["score"] = time.perf_counter() - t0
    bpath = boundaries_path(sc)
    bounds = None
    if bpath is not None:  # a bad boundary file stops the run with every problem named (BoundaryError)
        from ..data.boundaries import read_boundaries

        bounds = read_boundaries(bpath, res.scored)

    t0 = time.perf_counter()
    rk = sc["ranking"]
    ranks, notes = rank_locations(res.scored, res.profile, rk["method"], weights_file=rk["weights"],
                                  ahp_files=rk["ahp"] or None, basis=rk["basis"], draws=rk["draws"],
                                  seed=rk["seed"], top_k=rk["top_k"], quiet=True, lang=lang)
    t["rank"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    import warnings

    from ..data.validate import BaselineWarning

    with warnings.catch_warnings():  # the same baseline was validated above: its warnings are in res.validation
        warnings.simplefilter("ignore", BaselineWarning)
        inp = prepare(sc)
    with _quiet_native_output(not sc["solver.msg"]):
        alloc = allocate(sc, inp=inp)
    t["allocate"] = time.perf_counter() - t0
    g = None
    value = None
    if greedy:
        t0 = time.perf_counter()
        g = allocate(sc, inp=inp, method="greedy")
        t["greedy"] = time.perf_counter() - t0
        if alloc.report.status.has_solution:
            from ..evidence.value import greedy_budget_to_match

            t0 = time.perf_counter()
            value = greedy_budget_to_match(inp, alloc.plan)
            t["value_of_optimisation"] = time.perf_counter() - t0

    expl = None
    if sc["report.explain"] and alloc.report.status.has_solution:
        from ..evidence import explain
        from ..evidence.core import default_solver

        t0 = time.perf_counter()
        tl = float(sc["report.explain_time_limit_s"])
        with _quiet_native_output(not sc["solver.msg"]):
            # every re-solve gets the same limit: the marginal and cut re-solves are warm re-solves of one
            # model, and a re-solve that runs to its end leaves its Lagrangian cuts for the next ones, so
            # shorter limits cost time (measured 30 Nov 2026, baseline: 1 s and 2 s limits 10.4 s with 7
            # re-solves stopped, the explanation limit 7.8 s with none); every explanation row reports the
            # status and gap of the re-solves behind it
            ex = explain(inp, processes=sc["report.processes"],
                         solver=default_solver(time_limit_s=tl, mip_rel_gap=1e-3),
                         cut_time_limit_s=tl, marginal_time_limit_s=tl)
        expl = ex.table.merge(ex.sentences[["location_id", lang]].rename(columns={lang: "why"}), on="location_id",
                              how="left")
        expl = expl[["location_id", "why"] + [c for c in expl.columns if c not in ("location_id", "why")]]
        cuts = ex.cuts.assign(cleared=ex.cuts["cleared"].map(lambda c: " ".join(sorted(c))))
        t["explain"] = time.perf_counter() - t0
    else:
        cuts = None
    goal = None
    if sc["report.goal"] and alloc.report.status.has_solution and sc["objective.kind"] != "least_cost":
        from ..evidence import no_slum_goal

        t0 = time.perf_counter()
        with _quiet_native_output(not sc["solver.msg"]):
            goal = _goal_summary(no_slum_goal(inp, time_limit_s=float(sc["report.goal_time_limit_s"]),
                                              processes=sc["report.processes"]))
        t["goal"] = time.perf_counter() - t0

    prov = provenance_lines(res.scored, lang)
    prov.append(data_status(inp, lang))
    kf = key_figures(name, sc, res.scored, alloc, g)
    kf["provenance"] = prov
    kf["lang"] = lang
    kf["value_of_optimisation"] = None if value is None else value.to_dict()
    kf["goal"] = goal
    hr = HearingResult(name=name, lang=lang, scenario=sc, scored=res.scored, consistency=res.consistency,
                       ranks=ranks, rank_notes=notes, allocation=alloc, greedy=g, explanations=expl,
                       key_figures=kf, provenance=prov, timings=t, cuts=cuts, boundaries=bounds, value=value,
                       goal=goal)
    if write:
        if out_dir is None:
            raise ValueError("out_dir is required when write=True")
        t0 = time.perf_counter()
        _write(hr, Path(out_dir), started, dpi=sc["report.dpi"])
        t["write"] = time.perf_counter() - t0
    return hr


def _figures(hr: HearingResult) -> dict:
    from ..rank.figures import rank_interval_chart
    from . import figures as F
    from . import maps as M

    figs = {"hectares_by_kecamatan": F.hectares_by_kecamatan(hr.scored, hr.lang),
            "score_distribution": F.score_distribution(hr.scored, _profile(hr), hr.lang),
            "slum_hectares_by_year": F.slum_hectares_by_year(hr.allocation.yearly, hr.lang),
            "money_by_source": F.money_by_source(_money_for_display(hr), hr.lang)}
    has_points = {"lat", "lon"} <= set(hr.scored.columns) and hr.scored[["lat", "lon"]].notna().all().all()
    if hr.boundaries is not None or has_points:
        a = hr.allocation
        figs["location_map"] = M.location_map(hr.scored, hr.lang, hr.boundaries)
        figs["plan_map"] = M.plan_map(hr.scored, a.before_after, a.plan, hr.key_figures["years"], hr.lang,
                                      hr.boundaries)
    if "rank_median" in hr.ranks.columns:
        figs["rank_intervals"] = rank_interval_chart(
            hr.ranks, label_col="name", top=30, xlabel=label("hearing", "rank_axis", hr.lang),
            title=label("hearing", "rank_intervals_title", hr.lang),
            median_label=label("hearing", "median_rank", hr.lang),
            interval_label=label("hearing", "rank_interval", hr.lang))
    return figs


def _source_names(hr: HearingResult) -> dict:
    """Display names of the funding sources: the rules file's own labels, else the catalogue's."""
    try:
        return source_labels(hr.scenario.data_path("funding_rules"), hr.lang)
    except (OSError, KeyError, ValueError):
        return {}


def _money_for_display(hr: HearingResult) -> pd.DataFrame:
    """The money table with each source's label in the report language (see :func:`source_labels`)."""
    m = hr.allocation.money.copy()
    names = _source_names(hr)
    if "label" in m.columns:
        m["label"] = [names.get(s, lab) for s, lab in zip(m["source"], m["label"])]
    return m


def _profile(hr: HearingResult):
    from ..data.profiles import load_profile

    return load_profile(hr.scenario["profile"])


def _write(hr: HearingResult, out: Path, started: datetime, dpi: int = 150) -> None:
    from ..data.writers import save_figure, write_table

    out.mkdir(parents=True, exist_ok=True)
    a = hr.allocation
    tables = {"scores": hr.scored, "ranks": hr.ranks, "plan": a.plan, "before_after": a.before_after,
              "yearly": a.yearly, "money": a.money, "solve_report": pd.DataFrame([a.report.to_dict()]),
              "consistency": hr.consistency}
    if hr.explanations is not None:
        tables["explanations"] = hr.explanations
    if hr.cuts is not None:
        tables["cuts"] = hr.cuts
    if hr.value is not None:
        tables["value_of_optimisation"] = hr.value.evaluations
    for k, df in tables.items():
        hr.files.append(write_table(df, out / f"{k}.csv"))
    summary = _summary_sheet(hr)
    sheets = {"summary": summary, **{k: v for k, v in tables.items() if k != "solve_report"},
              "solve_report": tables["solve_report"].T.reset_index().rename(columns={"index": "field", 0: "value"}),
              "by_level": summary_by_level(hr.scored, hr.lang)}
    hr.files.append(write_workbook(sheets, out / "results.xlsx", index={"by_level": True}))
    (out / "figures").mkdir(exist_ok=True)
    for k, fig in _figures(hr).items():
        p = out / "figures" / f"{k}.png"
        save_figure(fig, p, dpi=dpi)
        hr.figures[k] = p
        hr.files.append(p)
    with atomic_path(out / "summary.json") as tmp:
        tmp.write_text(json.dumps(hr.key_figures, indent=2, ensure_ascii=False), encoding="utf-8")
    hr.files.append(out / "summary.json")
    sc = hr.scenario
    inputs = {k: str(sc.data_path(k)) for k in ("baseline", "costs", "budget", "funding_rules")}
    if boundaries_path(sc) is not None:
        inputs["boundaries"] = str(boundaries_path(sc))
    if sc["ranking.weights"]:
        inputs["ranking_weights"] = sc["ranking.weights"]
    for i, p in enumerate(sc["ranking.ahp"]):
        inputs[f"ranking_ahp_{i}"] = p
    run = {
        "name": hr.name, "lang": hr.lang,
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "timings_s": {k: round(v, 3) for k, v in hr.timings.items()},
        "scenario": sc.values, "scenario_overrides": sc.overrides, "scenario_source": sc.source,
        "inputs": {k: {"path": p, "sha256": _sha256(p)} for k, p in inputs.items()},
        "provenance": hr.provenance,
        "solver_report": a.report.to_dict(),
        "greedy_report": None if hr.greedy is None else _as_dict(hr.greedy.report),
        "versions": _versions(), "git_commit": git_commit(), "platform": platform.platform(),
    }
    with atomic_path(out / "run.json") as tmp:
        tmp.write_text(json.dumps(run, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    hr.files.append(out / "run.json")
    from .page import write_report

    hr.files.append(write_report(out))  # re-rendered by a batch once its baseline scenario has finished


def _as_dict(rep) -> dict:
    try:
        return rep.to_dict()
    except AttributeError:
        return {k: str(v) for k, v in vars(rep).items()}


def _rule_text(hr: HearingResult) -> str:
    """The clearance rule the plan counts "cleared" by, in the report's language, with its status."""
    rule = _profile(hr).clearance_rule(hr.scenario["options.clearance_rule"])
    return f"{rule.label(hr.lang)} [{rule.status}]"


def _summary_sheet(hr: HearingResult) -> pd.DataFrame:
    L = lambda k: label("hearing", k, hr.lang)  # noqa: E731
    kf = hr.key_figures
    pct = lambda x, d: f"{format_number(100 * x, d, hr.lang)} %"  # noqa: E731
    num = lambda x, d: format_number(float(x), d, hr.lang)  # noqa: E731
    rows = [(L("scenario"), hr.name), (L("description"), kf["description"] or ""),
            (L("regulation"), kf["profile"]), (L("clearance_rule"), _rule_text(hr)),
            (L("objective"), value_label("objective", kf["objective"], hr.lang)),
            (L("solver_status"), value_label("status", kf["status"], hr.lang)),
            (L("proven_optimal"), value_label("boolean", bool(kf["proven_optimal"]), hr.lang)),
            (L("gap"), "" if kf["gap"] is None else pct(kf["gap"], 4)),
            (L("plan_value"), "" if kf.get("objective_value") is None else num(kf["objective_value"], 2)),
            (L("best_bound"), "" if kf.get("best_bound") is None else num(kf["best_bound"], 2)),
            (L("slum_ha_baseline"), num(kf["slum_ha_baseline"], 2))]
    for y, v in kf["slum_ha_left_by_year"].items():
        rows.append((f"{L('slum_ha_left')} {y}", num(v, 2)))
    # whole households and rupiah with the language's thousands separator (the CSVs keep plain numbers)
    rows += [(L("households_water_served"), num(kf["households_water_served"], 0)),
             (L("households_sanitation_served"), num(kf["households_sanitation_served"], 0)),
             (L("spent_rp"), num(kf["spent_rp"], 0)), (L("left_rp"), num(kf["left_rp"], 0)),
             (L("n_funded"), len(kf["funded_locations"]))]
    if kf.get("greedy_vs_optimiser") is not None:
        rows.append((L("greedy_vs_optimiser"), pct(kf["greedy_vs_optimiser"], 1)))
    rows += [(L("provenance"), p) for p in hr.provenance]
    return pd.DataFrame(rows, columns=[L("item"), L("value")])
