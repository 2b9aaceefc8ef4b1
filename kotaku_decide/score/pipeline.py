"""The scoring step as one call: load -> validate -> (aggregate) -> score -> consistency.

Notebooks and the command line use these; each step stays usable on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..data.profiles import Profile, load_profile
from ..data.validate import validate
from .consistency import consistency_report
from .scoring import aggregate, score_table

__all__ = ["ScoredResult", "score_file"]


@dataclass
class ScoredResult:
    scored: pd.DataFrame
    profile: Profile
    consistency: pd.DataFrame
    validation: pd.DataFrame  # warnings and notes that did not block scoring


def score_file(path: str | Path | pd.DataFrame, regulation: str = "permen-14-2018", level: str = "rt",
               strict=False, sheet=None) -> ScoredResult:
    """Score a baseline file under a regulation profile, optionally aggregated to kawasan / kelurahan.

    Raises :class:`kotaku_decide.data.validate.BaselineError` (every problem listed) on invalid input.
    """
    prof = load_profile(regulation)
    if not isinstance(path, pd.DataFrame):
        from ..data.io import read_table

        path = read_table(path, sheet=sheet)
    report = validate(path, prof, strict=strict, level=level)
    report.raise_if_errors()
    validation = report.to_frame()
    df = aggregate(report.data, level, prof)
    scored = score_table(df, prof)
    return ScoredResult(scored, prof, consistency_report(scored, prof), validation)
