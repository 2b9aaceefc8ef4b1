"""The interactive budget explorer behind ``notebooks/04_budget_explorer.ipynb``.

A precomputed budget sweep (:func:`kotaku_decide.evidence.budget_sweep`) answers a slider move at
once: slum hectares cleared, households served and the locations that enter or leave, at the nearest
swept budget. Changing a source's budget for a year, the objective or the regulation and pressing
**Apply** re-solves the full model (a few seconds on the embedded city).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .labels import label

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
        from .allocate import prepare
        from .scenario import EMBEDDED, load_scenario

        if self.scenario is None:
            self.scenario = EMBEDDED["baseline"].parent / "scenarios" / "balikpapan.yaml"
        self.sc = load_scenario(self.scenario) if not hasattr(self.scenario, "values") else self.scenario
        self.inp = prepare(self.sc)
        f = self.inp.funding
        self.budgets = pd.DataFrame(f.budget_rp, index=f.sources, columns=f.years)  # Rp, source x year
        if self.sweep_points:
            from .evidence import budget_sweep

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
        from .allocate import allocate

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
            self.result = allocate(sc)
        return self.result

    # ---- the widget -----------------------------------------------------------------------------
    def widget(self):
        """Slider (answered from the sweep), budget grid, objective and regulation, Apply button."""
        import ipywidgets as w
        from IPython.display import display

        L = lambda k: label("evidence", k, self.lang) if k in _EV_KEYS else label("hearing", k, self.lang)  # noqa: E731
        out_fast, out_full = w.Output(), w.Output()
        slider = w.FloatSlider(value=1.0, min=float(self.sweep["factor"].min()) if self.sweep is not None else 0.1,
                               max=float(self.sweep["factor"].max()) if self.sweep is not None else 2.0, step=0.05,
                               description="x budget", continuous_update=True, readout_format=".2f",
                               layout=w.Layout(width="60%"))
        cells = {}
        grid = []
        for s in self.budgets.index:
            row = [w.Label(s, layout=w.Layout(width="110px"))]
            for y in self.budgets.columns:
                cells[(s, y)] = w.FloatText(value=round(self.budgets.at[s, y] / 1e9, 3), description=str(y),
                                            layout=w.Layout(width="170px"))
                row.append(cells[(s, y)])
            grid.append(w.HBox(row))
        objective = w.Dropdown(options=["hectares", "households"], value=self.sc["objective.kind"]
                               if self.sc["objective.kind"] in ("hectares", "households") else "hectares",
                               description="objective")
        regulation = w.Dropdown(options=["permen-14-2018", "permen-02-2016"], value=self.sc["profile"],
                                description="regulation")
        apply = w.Button(description="Apply", button_style="primary")

        def on_slide(change):
            with out_fast:
                out_fast.clear_output(wait=True)
                if self.sweep is not None:
                    display(pd.Series(self.at_factor(change["new"])).to_frame("swept point"))

        def on_apply(_):
            b = pd.DataFrame({y: {s: cells[(s, y)].value * 1e9 for s in self.budgets.index}
                              for y in self.budgets.columns})
            with out_full:
                out_full.clear_output(wait=True)
                try:
                    res = self.solve(b, objective.value, regulation.value)
                    print(res.summary())
                    display(res.yearly)
                except ValueError as exc:
                    print(f"error: {exc}")

        slider.observe(on_slide, names="value")
        apply.on_click(on_apply)
        self._apply = on_apply  # for tests and scripted use
        self._slider = slider
        on_slide({"new": 1.0})
        return w.VBox([w.HTML(f"<b>{label('hearing', 'rp_billion', self.lang)}</b>"), slider, out_fast,
                       *grid, w.HBox([objective, regulation, apply]), out_full])


_EV_KEYS: set = set()


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
