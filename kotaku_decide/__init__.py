"""kotaku-decide: decision support for slum upgrading under Indonesia's KOTAKU programme.

Data flows one way, one layer (subpackage) per step; no layer imports a later one
(``tests/test_layers.py`` checks it)::

    data      read, validate, regulation profiles, scenarios, labels, writers, embedded data
    score     official scoring (Permen PUPR 14/2018, 02/2016), aggregation, consistency
    rank      weighted sum / TOPSIS / VIKOR, AHP, robustness
    allocate  costing, funding rules, the optimisation model, greedy baseline, plan checker
    progress  realised works against the plan: end condition per year, plan against actual, fixed past
    evidence  why funded or not, budget sweeps, least cost to targets, robust funding
    hearing   scenario runs, reports, figures, batches, explorer, demo
    cli       the ``kotaku-decide`` command

The public calls are importable from here::

    from kotaku_decide import score_file, rank_locations, allocate, explain, run_scenario, run_batch
"""

from __future__ import annotations

import importlib

from ._version import __version__

#: public name -> module that defines it (imported on first use, so ``import kotaku_decide`` stays light)
_PUBLIC = {
    "load_baseline": "kotaku_decide.data.validate",
    "validate": "kotaku_decide.data.validate",
    "read_table": "kotaku_decide.data.io",
    "load_profile": "kotaku_decide.data.profiles",
    "load_scenario": "kotaku_decide.data.scenario",
    "score_file": "kotaku_decide.score.pipeline",
    "score_table": "kotaku_decide.score.scoring",
    "consistency_report": "kotaku_decide.score.consistency",
    "rank_locations": "kotaku_decide.rank.api",
    "ahp_weights": "kotaku_decide.rank.ahp",
    "prepare": "kotaku_decide.allocate.inputs",
    "allocate": "kotaku_decide.allocate",  # the package itself is callable: kotaku_decide.allocate(scenario)
    "check_plan": "kotaku_decide.allocate.checker",
    "load_realised": "kotaku_decide.data.realised",
    "cleared": "kotaku_decide.score.clearance",
    "track_progress": "kotaku_decide.progress.api",
    "fixed_past": "kotaku_decide.progress.replan",
    "explain": "kotaku_decide.evidence.why",
    "budget_sweep": "kotaku_decide.evidence.sweep",
    "robust_funding": "kotaku_decide.evidence.robust",
    "least_cost_targets": "kotaku_decide.evidence.targets",
    "run_scenario": "kotaku_decide.hearing.run",
    "read_scenario_set": "kotaku_decide.hearing.batch",
    "run_batch": "kotaku_decide.hearing.batch",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str):
    if name in _PUBLIC:
        mod = importlib.import_module(_PUBLIC[name])
        value = mod if mod.__name__ == f"{__name__}.{name}" else getattr(mod, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kotaku_decide' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
