"""Consistency between scored locations, decrees and published scores.

A decree (SK) lists slum locations; a profile prints scores and classes. The checks here report
where the data and the documents disagree, so that a working group can correct one or the other
before a hearing: a decree-listed location that scores as not slum, a computed total that differs
from the published one, a published class whose letter does not match the level of its score, a
slum location missing from the decree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .profiles import SLUM_LEVELS, Profile, load_profile
from .scoring import slum_level

__all__ = ["consistency_report", "decree_totals", "published_levels", "CLASS_LETTER"]

#: Class-code letter of each slum level (A berat, B sedang, C ringan; slum-scoring.md section 4).
CLASS_LETTER = {"berat": "A", "sedang": "B", "ringan": "C"}
_COLS = ["location_id", "name", "kelurahan", "check", "severity", "message"]


def published_levels(df: pd.DataFrame, profile: Profile | str | None = None) -> pd.Series:
    """Slum level implied by ``published_score`` under the profile's total bands (None where absent)."""
    prof = profile if isinstance(profile, Profile) else load_profile(profile or "permen-14-2018")
    s = df["published_score"].to_numpy(float) if "published_score" in df.columns else np.full(len(df), np.nan)
    lv = np.asarray(SLUM_LEVELS, dtype=object)[slum_level(np.nan_to_num(s, nan=0.0), prof)]
    return pd.Series(np.where(np.isnan(s), None, lv), index=df.index, dtype=object)


def _row(r, check, severity, message):
    return {"location_id": r.get("location_id"), "name": r.get("name"), "kelurahan": r.get("kelurahan"),
            "check": check, "severity": severity, "message": message}


def consistency_report(df: pd.DataFrame, profile: Profile | str | None = None) -> pd.DataFrame:
    """Report disagreements between computed scores, published scores and decree listings.

    ``df`` is a scored table (:func:`kotaku_decide.scoring.score_table`) or a published-only table
    (``published_score`` without volumes). Where no computed ``total_score`` exists, the level is
    taken from ``published_score``.

    Returns
    -------
    DataFrame with ``location_id, name, kelurahan, check, severity, message``; checks:
    ``listed_not_slum``, ``published_score_differs``, ``published_class_letter``,
    ``published_class_differs``, ``slum_not_listed``.
    """
    prof = profile if isinstance(profile, Profile) else load_profile(profile or "permen-14-2018")
    threshold = prof.slum_threshold
    computed = "total_score" in df.columns
    pub_level = published_levels(df, prof)
    rows = []
    for i, r in df.iterrows():  # small tables (one row per decree location); clarity over speed
        r = r.to_dict()
        listed = r.get("decree_listed")
        pub = r.get("published_score")
        has_pub = pub is not None and not (isinstance(pub, float) and np.isnan(pub))
        if computed:
            level, total, basis = str(r["slum_level"]), r["total_score"], "computed"
        elif has_pub:
            level, total, basis = pub_level[i], pub, "published"
        else:
            level, total, basis = None, None, None
        decree = r.get("decree") or "the decree"
        if listed is True and level == "tidak_kumuh":
            rows.append(_row(r, "listed_not_slum", "warning",
                             f"listed in {decree} but its {basis} score {total:g} is below the slum threshold "
                             f"of {threshold} under {prof.name}"))
        if computed and has_pub and float(pub) != float(total):
            rows.append(_row(r, "published_score_differs", "warning",
                             f"computed total {total:g} differs from the published score {float(pub):g} "
                             f"({float(total) - float(pub):+g})"))
        pc = r.get("published_class")
        if isinstance(pc, str) and pc.strip() and level is not None:
            want = CLASS_LETTER.get(level)
            if want is None:
                rows.append(_row(r, "published_class_letter", "warning",
                                 f"published class {pc} but the {basis} score {total:g} is not slum (no class)"))
            elif not str(pc).upper().startswith(want):
                rows.append(_row(r, "published_class_letter", "warning",
                                 f"published class {pc} but the {basis} level {level} has letter {want}"))
            if computed and r.get("priority_class") is not None and str(r.get("priority_class")) not in ("nan", "None") \
                    and str(pc).upper() != str(r["priority_class"]):
                rows.append(_row(r, "published_class_differs", "info",
                                 f"published class {pc}, computed {r['priority_class']}"))
        if listed is False and level in ("berat", "sedang"):
            rows.append(_row(r, "slum_not_listed", "info",
                             f"scores {total:g} ({level}) but is not listed in a decree"))
    return pd.DataFrame(rows, columns=_COLS)


def decree_totals(df: pd.DataFrame) -> pd.DataFrame:
    """Locations and hectares per decree (only rows with ``decree_listed`` true, when given)."""
    d = df
    if "decree_listed" in d.columns:
        d = d[d["decree_listed"].fillna(False).astype(bool)]
    key = d["decree"].fillna("(no decree)") if "decree" in d.columns else pd.Series("(no decree)", index=d.index)
    out = d.groupby(key).agg(n_locations=("location_id", "size"), area_ha=("area_ha", "sum")).reset_index()
    out = out.rename(columns={out.columns[0]: "decree"})
    out["area_ha"] = out["area_ha"].round(2)
    return out
