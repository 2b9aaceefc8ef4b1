"""``kotaku-decide explain | sweep | robust SCENARIO.yaml --out DIR``: evidence for the hearing.

Exit codes: 0 ok; 1 the scenario has no plan or a run failed; 2 bad usage or bad input.
Outputs: CSV tables, one Excel workbook per command (text cells escaped against formulas), PNG
figures in English and Indonesian.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

__all__ = ["register"]


def _load(args):
    from ..allocate import prepare
    from ..data.scenario import load_scenario
    from .allocate import DEFAULT_SCENARIO

    sc = load_scenario(args.scenario or DEFAULT_SCENARIO)
    return prepare(sc)


def _input_errors():
    from ..allocate import CostError, FundingError
    from ..data.scenario import ScenarioError
    from ..data.validate import BaselineError

    return (ScenarioError, CostError, FundingError, BaselineError, FileNotFoundError, KeyError, ValueError)


def _write(out: Path, tables: dict, book: str, figures: dict) -> None:
    """Every file into a temporary folder, moved into ``out`` when all are written (the one writer: CSV and
    Excel text cells escaped against formulas)."""
    from ..data.writers import atomic_folder, save_figure, write_table, write_workbook

    with atomic_folder(out) as tmp:
        for name, t in tables.items():
            write_table(t, tmp / f"{name}.csv")
        write_workbook(tables, tmp / book)
        for name, fig in figures.items():
            save_figure(fig, tmp / f"{name}.png")


def _prep(args):
    from ..data.writers import check_output

    check_output(args.out, folder=True, inputs=[args.scenario])  # before any work (exit 2 in main)
    try:
        return _load(args), None
    except _input_errors() as e:
        print(f"error: {e}", file=sys.stderr)
        return None, 2


def cmd_explain(args) -> int:
    from ..evidence.figures import money_waterfall, why_chart
    from ..evidence.why import explain

    inp, rc = _prep(args)
    if inp is None:
        return rc
    try:
        ex = explain(inp, processes=args.processes, delta_rp=args.delta_rp, tol_rp=args.tol_rp,
                     marginal_time_limit_s=args.marginal_time_limit)
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    out = Path(args.out)
    cuts = ex.cuts.assign(cleared=ex.cuts["cleared"].map(" ".join))
    timings = pd.DataFrame([ex.timings])
    tables = {"why": ex.table, "sentences": ex.sentences, "marginal_value": ex.marginal, "budget_cuts": cuts,
              "timings": timings}
    figs = {}
    for lang in ("en", "id"):
        figs[f"why_{lang}"] = why_chart(ex.table, lang)
        if ex.base.spend is not None and len(ex.base.spend):
            figs[f"money_waterfall_{lang}"] = money_waterfall(ex.base.spend, lang)
    _write(out, tables, "explain.xlsx", figs)
    for s in ex.sentences[args.lang]:
        print(s)
    print(f"explained {len(ex.table)} locations in {ex.timings['total_s']:.1f} s; outputs in {out}")
    return 0


def cmd_sweep(args) -> int:
    from ..evidence.figures import frontier
    from ..evidence.sweep import budget_sweep

    inp, rc = _prep(args)
    if inp is None:
        return rc
    if args.source and args.source not in inp.funding.sources:
        print(f"kotaku-decide: error: --source {args.source!r}: expected one of {inp.funding.sources}", file=sys.stderr)
        return 2
    b0 = inp.funding.budget_rp
    cur = float(b0[inp.funding.sources.index(args.source)].sum()) if args.source else float(b0.sum())
    if args.budgets:
        try:
            vals = [float(v) for v in args.budgets.split(",") if v.strip()]
        except ValueError:
            print("kotaku-decide: error: --budgets expects comma-separated numbers", file=sys.stderr)
            return 2
        from ..data.bounds import bound
        from .common import check_bound

        if not vals:
            print("kotaku-decide: error: --budgets expects comma-separated numbers", file=sys.stderr)
            return 2
        if len(vals) > bound("cli.sweep.points").high:  # one budget is fine; many are as many solves as points
            check_bound("cli.sweep.points", len(vals), args, f"--budgets ({len(vals)} values)")
        for v in vals:
            check_bound("cli.sweep.budgets", v, args, f"--budgets value {v!r}")
        factors = [v / cur for v in vals] if args.absolute else vals
        if args.absolute and cur <= 0:
            print("kotaku-decide: error: the current budget is zero; give factors", file=sys.stderr)
            return 2
    else:
        factors = None
    sw = budget_sweep(inp, factors, source=args.source, n_points=args.points, time_limit_s=args.time_limit,
                      processes=args.processes)
    figs = {f"frontier_{lang}": frontier(sw, lang, cur) for lang in ("en", "id")}
    _write(Path(args.out), {"sweep": sw}, "sweep.xlsx", figs)
    print(sw[["factor", "total_budget_rp", "cleared_ha", "households_served", "status", "gap", "entered",
              "knee"]].to_string(index=False))
    print(f"{len(sw)} points in {sw.attrs['elapsed_s']:.1f} s; outputs in {args.out}")
    return 0


def cmd_robust(args) -> int:
    from ..evidence.figures import probability_bars
    from ..evidence.robust import robust_funding

    inp, rc = _prep(args)
    if inp is None:
        return rc
    # --draws, --cost-spread, --gap, --time-limit, --seed, --processes: checked against the bounds table
    # (kotaku_decide/data/config/bounds.csv) by kotaku-decide before the scenario is read
    per, draws = robust_funding(inp, draws=args.draws, seed=args.seed, cost_spread=args.cost_spread,
                                weights=None if args.weights == "none" else args.weights,
                                method=args.method, time_limit_s=args.time_limit, mip_rel_gap=args.gap,
                                processes=args.processes)
    figs = {f"funding_probability_{lang}": probability_bars(per, lang) for lang in ("en", "id")}
    _write(Path(args.out), {"funding_probability": per, "draws": draws}, "robust.xlsx", figs)
    print(per.to_string(index=False))
    st = draws["status"].value_counts().to_dict()
    print(f"{len(draws)} draws in {per.attrs['elapsed_s']:.1f} s (method {per.attrs['method']}, statuses {st}, "
          f"largest gap {draws['gap'].max():.4f}); robust core: {int(per['core'].sum())} locations")
    return 0 if (draws["status"].isin(["optimal", "feasible_not_proven"])).all() else 1


def register(subparsers) -> None:
    """Add ``explain``, ``sweep`` and ``robust`` to an argparse sub-parser collection (sets ``func``)."""
    def common(p):
        p.add_argument("scenario", nargs="?", default=None, help="scenario YAML (default: embedded Balikpapan)")
        p.add_argument("--out", required=True, help="output folder")
        p.add_argument("--processes", type=int, default=None, help="worker processes (default: all cores)")

    p = subparsers.add_parser("explain", help="why each location is or is not funded (table, sentences, figures)")
    common(p)
    p.add_argument("--lang", choices=["en", "id"], default="en", help="language of the printed sentences")
    p.add_argument("--delta-rp", type=float, default=1e8, help="extra money per source-year for marginal values [Rp]")
    p.add_argument("--tol-rp", type=float, default=1e6, help="tolerance of the extra budget to enter [Rp]")
    p.add_argument("--marginal-time-limit", type=float, default=1.5,
                   help="time limit of each marginal-value re-solve [s]; about 10 proves them on the embedded "
                        "city (the default reports the gain found and an upper bound)")
    p.set_defaults(func=cmd_explain)

    p = subparsers.add_parser("sweep", help="slum hectares cleared against the budget, knees marked")
    common(p)
    p.add_argument("--budgets", default=None,
                   help="comma-separated budget factors (default 20 points up to 1.5); with --absolute, totals in Rp")
    p.add_argument("--absolute", action="store_true", help="--budgets are totals in Rp, not factors")
    p.add_argument("--source", default=None, help="vary only this source's budget (others fixed)")
    p.add_argument("--points", type=int, default=20, help="number of points when --budgets is not given")
    p.add_argument("--time-limit", type=float, default=20.0,
                   help="solver time limit per point [s] (a guard: points are solved exactly)")
    p.set_defaults(func=cmd_sweep)

    p = subparsers.add_parser("robust", help="probability of being funded under uncertain costs and weights")
    common(p)
    p.add_argument("--draws", type=int, default=200)
    p.add_argument("--seed", type=int, default=2016)
    p.add_argument("--cost-spread", type=float, default=0.3, help="unit costs vary by +- this share (default 0.3)")
    p.add_argument("--weights", choices=["none", "simplex"], default="simplex",
                   help="criterion weights drawn on the simplex (priority-weighted hectares) or none")
    p.add_argument("--method", choices=["packages", "full"], default="packages",
                   help="packages: the model restricted to each location's cheapest package, solved to --gap "
                        "(default); full: the whole model under --time-limit")
    p.add_argument("--gap", type=float, default=None,
                   help="relative gap at which a draw's solve stops (default 0.02 packages, 1e-4 full)")
    p.add_argument("--time-limit", type=float, default=None,
                   help="solver time limit per draw [s] (default 30 packages, 0.5 full)")
    p.set_defaults(func=cmd_robust)


def main(argv=None) -> int:  # ``python -m kotaku_decide.cli.evidence explain ...``: the same checks as kotaku-decide
    import argparse

    from .common import add_lift_limits, run

    ap = argparse.ArgumentParser(prog="kotaku-decide")
    sub = ap.add_subparsers(dest="command", required=True)
    register(sub)
    add_lift_limits(sub)
    return run(ap, list(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
