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

from ..data.labels import catalogue
from ..data.profiles import SLUM_LEVELS, Profile, as_profile
from .scoring import slum_level

__all__ = ["consistency_report", "decree_totals", "published_levels"]

_COLS = ["location_id", "name", "kelurahan", "check", "severity", "message"]


def published_levels(df: pd.DataFrame, profile: Profile | str | None = None) -> pd.Series:
    """Slum level implied by ``published_score`` under the profile's total bands (None where absent)."""
    prof = as_profile(profile)
    s = df["published_score"].to_numpy(float) if "published_score" in df.columns else np.full(len(df), np.nan)
    lv = np.asarray(SLUM_LEVELS, dtype=object)[slum_level(np.nan_to_num(s, nan=0.0), prof)]
    return pd.Series(np.where(np.isnan(s), None, lv), index=df.index, dtype=object)


def _vformat(template: str, index, **fields) -> pd.Series:
    """``template.format(**fields)`` row by row, vectorised: each field is a Series (on ``index``) or a scalar."""
    import string

    out = pd.Series("", index=index, dtype=object)
    for literal, name, spec, conv in string.Formatter().parse(template):
        out = out + literal
        if name is not None:
            v = fields[name]
            out = out + (v.astype(str) if isinstance(v, pd.Series) else str(v))
    return out


def consistency_report(df: pd.DataFrame, profile: Profile | str | None = None, lang: str = "en") -> pd.DataFrame:
    """Report disagreements between computed scores, published scores and decree listings.

    ``df`` is a scored table (:func:`kotaku_decide.score.scoring.score_table`) or a published-only table
    (``published_score`` without volumes). Where no computed ``total_score`` exists, the level is
    taken from ``published_score``. Vectorised: a national table is checked in well under a second.

    Returns
    -------
    DataFrame with ``location_id, name, kelurahan, check, severity, message``; checks:
    ``listed_not_slum``, ``published_score_differs``, ``published_class_letter``,
    ``published_class_differs``, ``slum_not_listed``. The ``message`` is in ``lang`` (templates in
    the ``consistency`` section of the label catalogue); ``check`` and ``severity`` stay codes.
    """
    prof = as_profile(profile)
    threshold = prof.slum_threshold
    n = len(df)
    T = catalogue(lang)["consistency"]
    level_names = catalogue(lang)["slum_level"]

    def col(name, default=None):
        return df[name] if name in df.columns else pd.Series(default, index=df.index, dtype=object)

    pub = pd.to_numeric(col("published_score"), errors="coerce")
    has_pub = pub.notna()
    if "total_score" in df.columns:
        total = df["total_score"].astype(float)
        level = df["slum_level"].astype(object).astype(str)
        basis = pd.Series(T["computed"], index=df.index)
        computed = pd.Series(True, index=df.index)
    else:
        total = pub
        level = published_levels(df, prof)
        basis = pd.Series(T["published"], index=df.index)
        computed = pd.Series(False, index=df.index)
    known = total.notna()
    listed = col("decree_listed").map(lambda v: v if isinstance(v, bool) else None)
    decree = col("decree").where(col("decree").notna(), T["the_decree"]) if "decree" in df.columns else \
        pd.Series(T["the_decree"], index=df.index)
    tot_txt = total.map(lambda v: f"{v:g}" if v == v else "")
    parts = []

    def add(mask, check, severity, message):
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            parts.append(pd.DataFrame({"location_id": col("location_id")[mask], "name": col("name")[mask],
                                       "kelurahan": col("kelurahan")[mask], "check": check,
                                       "severity": severity, "message": message[mask]}))

    level_txt = level.map(lambda v: level_names.get(v, v))
    idx = df.index
    add((listed == True) & known & (level == "tidak_kumuh"), "listed_not_slum", "warning",  # noqa: E712
        _vformat(T["listed_not_slum"], idx, decree=decree.astype(str), basis=basis, total=tot_txt,
                 threshold=threshold, profile=prof.name))
    diff = total - pub
    add(computed & has_pub & (diff != 0), "published_score_differs", "warning",
        _vformat(T["published_score_differs"], idx, total=tot_txt,
                 published=pub.map(lambda v: f"{v:g}" if v == v else ""),
                 diff=diff.map(lambda v: f"{v:+g}" if v == v else "")))
    pc = col("published_class").map(lambda v: v.strip().upper() if isinstance(v, str) and v.strip() else None)
    has_pc = pc.notna() & known
    want = level.map(prof.class_letters())  # A berat, B sedang, C ringan: the profile's class table
    add(has_pc & want.isna(), "published_class_letter", "warning",
        _vformat(T["class_not_slum"], idx, cls=pc.astype(str), basis=basis, total=tot_txt))
    add(has_pc & want.notna() & (pc.str[:1] != want), "published_class_letter", "warning",
        _vformat(T["class_letter"], idx, cls=pc.astype(str), basis=basis, level=level_txt.astype(str),
                 letter=want.astype(str)))
    if "priority_class" in df.columns:
        comp = df["priority_class"].astype(object)
        add(has_pc & comp.notna() & (pc != comp.astype(str)), "published_class_differs", "info",
            _vformat(T["class_differs"], idx, cls=pc.astype(str), computed=comp.astype(str)))
    add((listed == False) & level.isin(["berat", "sedang"]), "slum_not_listed", "info",  # noqa: E712
        _vformat(T["slum_not_listed"], idx, total=tot_txt, level=level_txt.astype(str)))
    if not parts or n == 0:
        return pd.DataFrame(columns=_COLS)
    out = pd.concat(parts)
    order = {c: i for i, c in enumerate(["listed_not_slum", "published_score_differs", "published_class_letter",
                                         "published_class_differs", "slum_not_listed"])}
    out["_pos"] = out.index
    out["_chk"] = out["check"].map(order)
    return out.sort_values(["_pos", "_chk"], kind="stable").drop(columns=["_pos", "_chk"]).reset_index(drop=True)


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
