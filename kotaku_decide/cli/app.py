"""``kotaku-decide app [SCENARIO]``: the budget explorer as a web page (see :mod:`kotaku_decide.hearing.app`)."""

from __future__ import annotations

import sys
from pathlib import Path

from ..data.labels import LANGUAGES


def cmd_app(args) -> int:
    from ..hearing.app import serve

    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: serving on {args.host}: anyone who can reach this address can use the explorer "
              "(there is no login)", file=sys.stderr)
    try:
        return serve(args.scenario, lang=args.lang, sweep_points=args.sweep_points, host=args.host, port=args.port,
                     open_browser=args.open, verbose=args.verbose)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def register(subparsers) -> None:
    p = subparsers.add_parser("app", help="serve the budget explorer as a web page (Voila; this machine only)",
                              description="Serve the budget explorer (notebooks/04_budget_explorer.ipynb) as a page "
                                          "without code: a slider answered from a precomputed budget sweep, budgets by "
                                          "source and year with Apply to re-solve.")
    p.add_argument("scenario", nargs="?", type=Path, default=None,
                   help="scenario YAML (default: the embedded Balikpapan example, SYNTHETIC data)")
    p.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the page (en, id)")
    p.add_argument("--port", type=int, default=8866, help="port (default 8866)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--sweep-points", type=int, default=12, help="budget points precomputed for the slider (default 12)")
    p.add_argument("--open", action="store_true", help="open the page in the default browser")
    p.add_argument("--verbose", action="store_true", help="show the server's and the kernels' log")
    p.set_defaults(func=cmd_app)
