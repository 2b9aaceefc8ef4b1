"""The interactive budget explorer behind ``notebooks/04_budget_explorer.ipynb``.

A precomputed budget sweep (:func:`kotaku_decide.evidence.budget_sweep`) answers a slider move at
once: slum hectares cleared, households served and the locations that enter or leave, at the nearest
swept budget. Changing a source's budget for a year, the objective or the regulation and pressing
**Apply** re-solves the full model (a few seconds on the embedded city).
"""

from __future__ import annotations

import html
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.labels import label
from .tables import display_frame, format_number, source_labels, source_short_name, value_label

__all__ = ["BudgetExplorer"]


@dataclass
class BudgetExplorer:
    """Budgets, a precomputed sweep and re-solves for one scenario.

    Parameters
    ----------
    scenario : scenario path / dict / Scenario (default: the embedded Balikpapan example)
    sweep_points : points of the precomputed sweep (0 = none)
    lang : report language
    """

    scenario: object = None
    sweep_points: int = 12
    lang: str = "en"
    sweep: pd.DataFrame | None = field(default=None, init=False)
    result: object = field(default=None, init=False)

    def __post_init__(self):
        from ..allocate import prepare
        from ..data.embedded import DEFAULT_SCENARIO_FILE
        from ..data.scenario import load_scenario

        if self.scenario is None:
            self.scenario = DEFAULT_SCENARIO_FILE
        self.sc = load_scenario(self.scenario) if not hasattr(self.scenario, "values") else self.scenario
        self.inp = prepare(self.sc)
        f = self.inp.funding
        self.budgets = pd.DataFrame(f.budget_rp, index=f.sources, columns=f.years)  # Rp, source x year
        if self.sweep_points:
            from ..evidence import budget_sweep
            from .run import _quiet_native_output

            with _quiet_native_output(not self.sc["solver.msg"]):  # no solver banner in a served app's log
                self.sweep = budget_sweep(self.inp, n_points=self.sweep_points, processes=1)

    # ---- the precomputed answer ----------------------------------------------------------------
    def at_factor(self, factor: float) -> dict:
        """The swept point nearest to ``factor`` x today's budgets (no solve)."""
        if self.sweep is None or not len(self.sweep):
            raise ValueError("no precomputed sweep (sweep_points=0)")
        k = int(np.argmin(np.abs(self.sweep["factor"].to_numpy(float) - factor)))
        r = self.sweep.iloc[k]
        return {"factor": float(r["factor"]), "total_budget_rp": float(r["total_budget_rp"]),
                "cleared_ha": float(r["cleared_ha"]), "households_served": float(r["households_served"]),
                "status": r["status"], "gap": r["gap"], "entered": r.get("entered", ""), "left": r.get("left", "")}

    # ---- a full re-solve ------------------------------------------------------------------------
    def solve(self, budgets: pd.DataFrame | None = None, objective: str | None = None,
              regulation: str | None = None):
        """Re-solve with a source x year budget table [Rp] (default: the current one), an objective
        (``hectares`` / ``households``) and a regulation profile."""
        from ..allocate import allocate

        b = self.budgets if budgets is None else budgets
        bad = [(s, y) for s in b.index for y in b.columns if not np.isfinite(b.at[s, y]) or b.at[s, y] < 0]
        if bad:
            raise ValueError(f"budgets must be numbers >= 0 (Rp); check {bad[:3]}")
        prov = _comment_lines(self.sc.data_path("budget"))
        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / "budget.csv"
            rows = [{"source": s, "year": int(y), "budget_rp": float(b.at[s, y])} for s in b.index for y in b.columns]
            with open(p, "w", encoding="utf-8") as fh:
                for line in prov:
                    fh.write(f"# {line}\n")
                pd.DataFrame(rows).to_csv(fh, index=False)
            over = {"data": {"budget": str(p)}, "funding": {"budget_factor": 1.0, "source_factor": {}}}
            if objective:
                over["objective"] = {"kind": objective}
            if regulation:
                over["profile"] = regulation
            sc = self.sc.replace(over)
            from .run import _quiet_native_output

            with _quiet_native_output(not sc["solver.msg"]):  # no solver banner in a served app's log
                self.result = allocate(sc)
        return self.result

    # ---- what the widget shows ------------------------------------------------------------------
    def point_table(self, factor: float) -> pd.DataFrame:
        """The swept point nearest to ``factor`` as a one-column table for display, in ``lang``."""
        pt = self.at_factor(factor)
        f = lambda x, d: format_number(float(x), d, self.lang) if pd.notna(x) else ""  # noqa: E731
        pt.update(factor=f(pt["factor"], 2), total_budget_rp=f(pt["total_budget_rp"], 0),
                  cleared_ha=f(pt["cleared_ha"], 2), households_served=f(pt["households_served"], 0),
                  gap="" if pd.isna(pt["gap"]) else f"{f(100 * float(pt['gap']), 2)} %")
        p = pd.DataFrame([pt])
        return display_frame(p, self.lang).T.set_axis([label("explorer", "swept_point", self.lang)], axis=1)

    def result_table(self, res=None) -> pd.DataFrame:
        """Key figures of a re-solve (default: the last) for display, in ``lang``: status, slum hectares
        cleared and money spent. The solver's own message, if any, follows in ``res.report.message``."""
        res = self.result if res is None else res
        r, e = res.report, res.evaluation or {}
        H = lambda k: label("hearing", k, self.lang)  # noqa: E731
        rows = [(H("solver_status"), value_label("status", getattr(r.status, "value", str(r.status)), self.lang)),
                (H("proven_optimal"), value_label("boolean", bool(r.proven_optimal), self.lang)),
                (H("objective"), value_label("objective", r.objective_kind, self.lang))]
        if e:
            rows += [(label("explorer", "cleared_ha", self.lang), format_number(e["cleared_ha"], 2, self.lang)),
                     (H("slum_ha_baseline"), format_number(e["slum_ha_before"], 2, self.lang)),
                     (H("spent_rp"), format_number(e["cost_rp"], 0, self.lang))]
        return pd.DataFrame(rows, columns=[H("item"), H("value")]).set_index(H("item"))

    # ---- the widget -----------------------------------------------------------------------------
    def header_html(self) -> str:
        """Title and the data warning (once) for the page: what is synthetic or illustrative."""
        from ..data.labels import label as _label
        from .run import data_status

        title = f"{label('explorer', 'title', self.lang)}: {self.sc['name']}"
        status = data_status(self.inp, self.lang)
        return (f"<h2 class='kd-title'>{html.escape(title)}</h2>"
                f"<div class='kd-warning' style='background:#fff4d6;border-left:6px solid #d49b00;padding:8px 12px;"
                f"margin:6px 0 12px'><b>{html.escape(_label('report', 'about_data', self.lang))}:</b> "
                f"{html.escape(status)}</div>")

    def answer_html(self, res=None, when: str = "") -> str:
        """The last re-solve's answer as HTML (status, hectares, money) with when it was computed."""
        t = self.result_table(res)
        when = label("explorer", "computed_at", self.lang).format(when=when)
        head = f"<p class='kd-when'><i>{html.escape(when)}</i></p>"
        return head + t.to_html(escape=True, border=0)

    def widget(self):
        """Slider (answered from the sweep), budget grid, objective and regulation, Apply button.

        While a re-solve runs, a progress bar and a note show and the Apply button is disabled; the
        last answer stays on screen until the new one replaces it (an error is shown beside it).
        """
        import time

        import ipywidgets as w
        from IPython.display import HTML, display

        L = lambda k: label("explorer", k, self.lang)  # noqa: E731
        H = lambda k: label("hearing", k, self.lang)  # noqa: E731
        fast = w.HTML()
        fast.add_class("kd-sweep-answer")
        answer = w.HTML(f"<p class='kd-when'><i>{html.escape(L('no_answer_yet'))}</i></p>")
        answer.add_class("kd-answer")
        error = w.HTML()
        error.add_class("kd-error")
        out_full = w.Output()  # the yearly table of the last answer
        busy = w.HBox([w.IntProgress(value=1, min=0, max=1, bar_style="info", layout=w.Layout(width="240px")),
                       w.HTML(f"<b>{html.escape(L('solving'))}</b>")], layout=w.Layout(display="none"))
        busy.add_class("kd-busy")
        slider = w.FloatSlider(value=1.0, min=float(self.sweep["factor"].min()) if self.sweep is not None else 0.1,
                               max=float(self.sweep["factor"].max()) if self.sweep is not None else 2.0, step=0.05,
                               description=L("factor"), continuous_update=True, readout_format=".2f",
                               style={"description_width": "initial"}, layout=w.Layout(width="60%"))
        slider.add_class("kd-slider")
        names = source_labels(self.sc.data_path("funding_rules"), self.lang)
        cells = {}
        grid = []
        for s in self.budgets.index:
            row = [w.Label(source_short_name(s, self.lang, names), layout=w.Layout(width="110px"))]
            for y in self.budgets.columns:
                cells[(s, y)] = w.FloatText(value=round(self.budgets.at[s, y] / 1e9, 3), description=str(y),
                                            layout=w.Layout(width="170px"))
                cells[(s, y)].add_class(f"kd-budget-{s}-{y}")
                row.append(cells[(s, y)])
            grid.append(w.HBox(row))
        kinds = ("hectares", "households")
        objective = w.Dropdown(options=[(value_label("objective", k, self.lang), k) for k in kinds],
                               value=self.sc["objective.kind"] if self.sc["objective.kind"] in kinds else "hectares",
                               description=H("objective"))
        regulation = w.Dropdown(options=["permen-14-2018", "permen-02-2016"], value=self.sc["profile"],
                                description=H("regulation"), style={"description_width": "initial"})
        apply = w.Button(description=L("apply"), button_style="primary")
        apply.add_class("kd-apply")

        def on_slide(change):
            if self.sweep is None:
                fast.value = html.escape(L("no_sweep"))
                return
            fast.value = self.point_table(change["new"]).to_html(escape=True, border=0)

        def on_apply(_):
            b = pd.DataFrame({y: {s: cells[(s, y)].value * 1e9 for s in self.budgets.index}
                              for y in self.budgets.columns})
            apply.disabled = True
            busy.layout.display = "flex"  # the progress indicator; the last answer stays below it
            error.value = ""
            try:
                res = self.solve(b, objective.value, regulation.value)
                answer.value = self.answer_html(res, time.strftime("%H:%M:%S"))
                if res.report.message:  # the solver's own diagnosis (English)
                    answer.value += f"<p><i>{html.escape(res.report.message)}</i></p>"
                with out_full:
                    out_full.clear_output(wait=True)
                    y = display_frame(res.yearly, self.lang)
                    display(HTML(y.to_html(index=False, border=0,
                                           float_format=lambda v: format_number(v, 2, self.lang))))
            except ValueError as exc:
                error.value = (f"<p style='color:#a50f15'><b>{html.escape(L('error'))}:</b> "
                               f"{html.escape(str(exc))}</p>")
            finally:
                busy.layout.display = "none"
                apply.disabled = False

        slider.observe(on_slide, names="value")
        apply.on_click(on_apply)
        self._apply = on_apply  # for tests and scripted use
        self._slider = slider
        self._answer = answer
        on_slide({"new": 1.0})
        return w.VBox([w.HTML(self.header_html()), w.HTML(f"<b>{html.escape(L('slider'))}</b>"), slider, fast,
                       w.HTML(f"<b>{html.escape(L('budgets'))}</b>"), *grid,
                       w.HBox([objective, regulation, apply]), busy, error, answer, out_full])


def _comment_lines(path) -> list[str]:
    out = []
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("#"):
                    out.append(line[1:].strip())
                else:
                    break
    except OSError:
        pass
    return out
