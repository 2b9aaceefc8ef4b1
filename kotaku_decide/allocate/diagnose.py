"""Readable shortfalls for infeasible scenarios (never a bare "infeasible").

Two elastic versions of the model are solved (see :func:`~.model.build_model`):

* ``money``: budgets may be exceeded at 1 per million Rp, requirements only at a prohibitive
  price. Its budget slack is the extra eligible money the requirements need (per source and
  year); requirement slack left over cannot be bought with money at all.
* ``requirements``: budgets hard, requirements (hectares target, locked-in locations, equity
  minimums) priced: tells by how many hectares / which locations the given money falls short.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .inputs import AllocationInput
from .model import build_model
from .solve import SolverOptions, solve_model

__all__ = ["Shortfall", "diagnose"]


@dataclass
class Shortfall:
    """What cannot be met and by how much.

    Attributes
    ----------
    money_short_rp : DataFrame ``source, year, extra_rp`` (extra money that would make it feasible)
    hectares_short : float or None, hectares of the target missed with the given money
    locked_in_not_cleared : list of location ids not cleared with the given money
    equity_short_rp : dict group -> Rp missing from the group's minimum
    structural : list of str, requirements that no amount of money can meet, with reasons
    """

    requirement: str
    money_short_rp: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["source", "year", "extra_rp"]))
    hectares_short: float | None = None
    locked_in_not_cleared: list = field(default_factory=list)
    equity_short_rp: dict = field(default_factory=dict)
    structural: list = field(default_factory=list)
    statuses: dict = field(default_factory=dict)

    def __str__(self) -> str:
        parts = [f"Infeasible: {self.requirement}."]
        if self.hectares_short:
            parts.append(f"With the given money {self.hectares_short:,.2f} ha of the target stay slum.")
        if self.locked_in_not_cleared:
            parts.append("With the given money these locked-in locations cannot be cleared: "
                         + ", ".join(self.locked_in_not_cleared) + ".")
        if self.equity_short_rp:
            parts.append("Equity minimums missed: " + ", ".join(f"{g} by Rp {v / 1e9:,.2f} bn"
                                                                  for g, v in self.equity_short_rp.items()) + ".")
        if len(self.money_short_rp):
            tot = self.money_short_rp["extra_rp"].sum()
            detail = ", ".join(f"{r.source} {r.year}: Rp {r.extra_rp / 1e9:,.2f} bn"
                               for r in self.money_short_rp.itertuples())
            parts.append(f"Short by Rp {tot / 1e9:,.2f} bn of eligible money ({detail}).")
        if self.structural:
            parts.append("No amount of money can meet: " + "; ".join(self.structural) + ".")
        if len(parts) == 1:
            parts.append("the relaxed models found no single requirement to blame; statuses: " + str(self.statuses))
        return " ".join(parts)


def _location_reasons(inp: AllocationInput, lids) -> list[str]:
    opts = inp.options
    loc = inp.locations.set_index("location_id")
    out = []
    thr = inp.threshold
    for lid in lids:
        o = opts[opts["location_id"] == lid]
        need = int(loc.at[lid, "total_score"]) - (thr - 1)
        if loc.at[lid, "locked_out"]:
            out.append(f"{lid} is locked out")
        elif need <= 0:
            out.append(f"{lid} is not on the slum list")
        elif o.empty:
            why = "land not legal and neither resettlement nor legalisation is offered" if not loc.at[lid, "legal_alloc"] \
                else "no costed option with an eligible source"
            out.append(f"{lid}: {why}")
        elif "resettlement" not in set(o["criterion"]):
            best = o[~o["criterion"].isin(["legalisation"])].groupby("criterion")["delta_score"].max().sum()
            if best < need:
                out.append(f"{lid}: the works can lower its score by {int(best)} points, {need} are needed")
            else:
                out.append(f"{lid}: the rules (capacity, precedence, legality, equity, caps) leave no way to clear it in time")
        else:
            out.append(f"{lid}: the rules (capacity, precedence, equity, caps) leave no way to clear it in time")
    return out


def diagnose(inp: AllocationInput, solver: SolverOptions | None = None) -> Shortfall:
    """Explain why a scenario is infeasible (see the module docstring)."""
    th, ty = inp.target()
    reqs = []
    if th is not None:
        reqs.append(f"target of {th:,.2f} ha cleared by {ty}")
    li = list(inp.scenario["rules.locked_in"])
    if li:
        reqs.append(f"locked-in locations {', '.join(li)} cleared by {inp.years[-1]}")
    if inp.scenario["rules.equity_min_share"] > 0:
        reqs.append(f"equity minimum {inp.scenario['rules.equity_min_share']:.0%} of an equal share per "
                    f"{inp.scenario['rules.equity_group']}")
    sf = Shortfall(requirement=" and ".join(reqs) if reqs else "the rules cannot all be met")

    # with the given money: what is missed
    mr = build_model(inp, elastic="requirements")
    rr = solve_model(mr, solver)
    sf.statuses["requirements"] = rr.status.value
    if rr.status.has_solution:
        s = mr.slackcol
        if "target" in s:
            h = sum(mr.value(c) for c in s["target"].values())
            sf.hectares_short = h if h > 1e-6 else None
        sf.locked_in_not_cleared = sorted(k for k, c in s.get("locked_in", {}).items() if mr.value(c) > 1e-6)
        sf.equity_short_rp = {g: mr.value(c) * 1e6 for g, c in s.get("equity", {}).items() if mr.value(c) > 1e-6}

    # with more money: how much, and what money cannot buy
    import dataclasses

    inp_all = inp
    if inp.unaffordable is not None and len(inp.unaffordable):
        allo = pd.concat([inp.options, inp.unaffordable], ignore_index=True)
        allo = allo.sort_values(["loc"], kind="stable").reset_index(drop=True)
        inp_all = dataclasses.replace(inp, options=allo)
    mm = build_model(inp_all, elastic="money")
    rm = solve_model(mm, solver)
    sf.statuses["money"] = rm.status.value
    if rm.status.has_solution:
        s = mm.slackcol
        rows = [(k[0], k[1], mm.value(c) * 1e6) for k, c in sorted(s.get("budget", {}).items())
                if mm.value(c) > 1e-6]
        # carry-over budgets are cumulative: report the increments year on year
        df = pd.DataFrame(rows, columns=["source", "year", "extra_rp"])
        if len(df):
            for src in df["source"].unique():
                if inp.funding.carry_over[src]:
                    sel = df["source"] == src
                    df.loc[sel, "extra_rp"] = df.loc[sel, "extra_rp"].diff().fillna(df.loc[sel, "extra_rp"]).clip(lower=0)
            df = df[df["extra_rp"] > 1.0].reset_index(drop=True)
        sf.money_short_rp = df
        if "target" in s:
            h = sum(mm.value(c) for c in s["target"].values())
            if h > 1e-6:
                cleared_max = th - h
                sf.structural.append(f"the hectares target: at most {cleared_max:,.2f} ha can be cleared by {ty} "
                                     f"under the rules ({h:,.2f} ha short)")
                slum = inp.locations[inp.locations["slum"]]
                yi = inp.years.index(ty)
                z = {i: mm.value(mm.zcol[(i, yi)]) for i in slum.index if (i, yi) in mm.zcol}
                stay = [inp.locations.at[i, "location_id"] for i in slum.index if (z.get(i) or 0) < 0.5]
                sf.structural.extend(_location_reasons(inp, stay)[:20])
        bad_li = sorted(k for k, c in s.get("locked_in", {}).items() if mm.value(c) > 1e-6)
        if bad_li:
            sf.structural.append("locked-in: " + "; ".join(_location_reasons(inp, bad_li)))
        eq = {g: mm.value(c) * 1e6 for g, c in s.get("equity", {}).items() if mm.value(c) > 1e-6}
        if eq:
            sf.structural.append("equity minimum for " + ", ".join(sorted(eq)) + " (too few costed options there)")
    return sf
