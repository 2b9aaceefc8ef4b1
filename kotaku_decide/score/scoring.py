"""Official slum scoring (Permen PUPR 14/2018, and 02/2016 as a second profile).

The numeric core works on plain arrays and is vectorised (no per-row Python), so a national
RT-level table scores in well under a second per million rows. :func:`score_table` wraps it for a
validated baseline DataFrame.

References
----------
.. [1] Peraturan Menteri PUPR No. 14/PRT/M/2018, Lampiran I: criteria, score bands 0/1/3/5, total
       bands (60-80 berat, 38-59 sedang, 16-37 ringan, below 16 not slum).
.. [2] Peraturan Menteri PUPR No. 02/PRT/M/2016, Lampiran II: 19 parameters, scores 1/3/5 (0 below 25 % in
       the profile, unconfirmed: see ``profiles/permen-02-2016/score_bands.csv``).
.. [3] Pekalongan "Motor Kawanku" and East Java KAWANKU: rounding to two decimals before banding,
       end condition and contribution of handling (kontribusi penanganan).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.profiles import AUTHORITIES, DENSITY_CLASSES, OTHER_CLASSES, SLUM_LEVELS, Profile, as_profile
from ..data.validate import LEVEL_KEYS

__all__ = [
    "round_half_up",
    "criterion_shares",
    "criterion_scores",
    "slum_level",
    "other_considerations",
    "legality",
    "score_permen",
    "score_table",
    "authority_area",
    "volume_matrix",
    "denominator_matrix",
    "aggregate",
    "contribution_of_handling",
    "ScoringError",
]


class ScoringError(ValueError):
    """Input that cannot be scored (missing columns, shares above 100 %, volume over a zero denominator)."""


# ----------------------------------------------------------------------------------------------
# numeric core
# ----------------------------------------------------------------------------------------------
def round_half_up(x: np.ndarray, decimals: int = 2) -> np.ndarray:
    """Round half away from zero for non-negative values, robust to binary representation.

    ``75.995`` becomes ``76.00`` (a plain ``numpy.round`` may give 75.99 because 75.995 is stored
    as 75.99499999...). The value is first rounded to ``decimals + 6`` places to remove that noise.
    """
    x = np.asarray(x, dtype=float)
    f = 10.0 ** decimals
    y = np.round(x * f, 6)
    return np.floor(y + 0.5) / f


def criterion_shares(volumes: np.ndarray, denominators: np.ndarray) -> np.ndarray:
    """Share of the unit affected per criterion [%] = 100 x volume / denominator.

    A zero denominator with a zero volume gives 0 % (nothing there to be affected). A non-zero
    volume over a zero denominator, or a share above 100 %, raises :class:`ScoringError`: such
    input is never clipped.
    """
    v = np.asarray(volumes, dtype=float)
    d = np.asarray(denominators, dtype=float)
    if np.isnan(v).any() or np.isnan(d).any():
        raise ScoringError("volumes and denominators must not be empty (NaN); validate the baseline first")
    if np.any(v < 0) or np.any(d < 0):
        raise ScoringError("negative volumes or denominators cannot be scored")
    zero = d == 0
    if np.any(zero & (v != 0)):
        raise ScoringError("a non-zero volume over a zero denominator cannot be scored")
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(zero, 0.0, 100.0 * (v / np.where(zero, 1.0, d)))  # divide first: no overflow
    # tolerate float noise at exactly 100 %, never more
    if np.any(pct > 100.0 + 1e-9):
        raise ScoringError("a volume larger than its denominator (share above 100 %) cannot be scored")
    return pct


def score_thresholds(profile: Profile) -> np.ndarray:
    """Lower band edges on the *unrounded* share [%] that reproduce the profile's rounding rule.

    With half-up rounding to ``d`` decimals, ``round(p) >= T`` exactly when ``p >= T - 0.5 x 10^-d``
    (less a 0.5e-6 x 10^-d allowance for binary noise, the same allowance :func:`round_half_up`
    makes). Comparing raw shares with these edges avoids rounding 16 million values. The edges are
    the profile's (:meth:`~kotaku_decide.data.profiles.Profile.score_edges`).
    """
    return profile.score_edges()


def criterion_scores(pct: np.ndarray, profile: Profile) -> np.ndarray:
    """Score per criterion from shares [%] under a profile's bands and rounding rule.

    Notes
    -----
    With the 14/2018 defaults: round to 2 decimals (half up), then 5 if >= 76, 3 if >= 51, 1 if
    >= 25, else 0. So 50.50 % scores 1 and 75.91 % scores 3 (the bands 50-51 and 75-76 are gaps in
    the regulation's table; the rounding rule is the one working implementations use [3]).
    """
    return profile.band_scores(pct)


def slum_level(total: np.ndarray, profile: Profile) -> np.ndarray:
    """Index into :data:`SLUM_LEVELS` (0 berat ... 3 tidak_kumuh) for each total score."""
    mins = profile.level_min_totals  # descending
    total = np.asarray(total, dtype=float)
    out = np.full(total.shape, len(SLUM_LEVELS) - 1, dtype=np.int8)
    for i in range(len(SLUM_LEVELS) - 2, -1, -1):
        out[total >= mins[i]] = i
    return out


def other_considerations(strategic: np.ndarray, density_idx: np.ndarray, socioeconomic: np.ndarray,
                         profile: Profile) -> tuple[np.ndarray, np.ndarray]:
    """Points (3-15) and class index into :data:`OTHER_CLASSES` (0 tinggi, 1 sedang, 2 rendah)."""
    op = profile.other_points.set_index(["factor", "value"])["points"]
    pts = (np.where(strategic, op[("strategic_location", "yes")], op[("strategic_location", "no")])
           + np.array([op[("density_class", c)] for c in DENSITY_CLASSES])[density_idx]
           + np.where(socioeconomic, op[("socioeconomic_potential", "yes")], op[("socioeconomic_potential", "no")]))
    band = profile.other_classes.index(pts)  # ascending bands: rendah, sedang, tinggi
    labels = profile.other_classes.labels
    cls = np.array([OTHER_CLASSES.index(labels[i]) for i in range(len(labels))])[np.clip(band, 0, None)]
    return pts.astype(np.int64), cls.astype(np.int8)


def legality(tenure_clear: np.ndarray, plan_conform: np.ndarray, rule: str) -> np.ndarray:
    """Legal land under the profile's rule: ``all`` (both items +), ``any``, or ``tenure`` only."""
    t = np.asarray(tenure_clear, bool)
    s = np.asarray(plan_conform, bool)
    if rule == "all":
        return t & s
    if rule == "any":
        return t | s
    if rule == "tenure":
        return t
    raise ValueError(f"unknown legality rule {rule!r}")


def contribution_of_handling(avg_before: np.ndarray, avg_after: np.ndarray) -> np.ndarray:
    """Kontribusi penanganan = (average condition before - after) / before, capped at 1 [3].

    Zero where the location had no slum condition to begin with.
    """
    b = np.asarray(avg_before, float)
    a = np.asarray(avg_after, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(b > 0, (b - a) / np.where(b > 0, b, 1.0), 0.0)
    return np.minimum(c, 1.0)


# ----------------------------------------------------------------------------------------------
# table wrappers
# ----------------------------------------------------------------------------------------------
def volume_matrix(df: pd.DataFrame, profile: Profile) -> np.ndarray:
    """Affected volumes (n x criteria) in the profile's order, from ``vol_`` or else ``pct_`` columns."""
    out = np.empty((len(df), len(profile.codes)), order="F")  # column-major: columns are contiguous
    for j, (key, den) in enumerate(zip(profile.criteria["input_key"], profile.criteria["denominator"])):
        if f"vol_{key}" in df.columns:
            out[:, j] = df[f"vol_{key}"].to_numpy(float)
        elif f"pct_{key}" in df.columns:
            out[:, j] = df[f"pct_{key}"].to_numpy(float) / 100.0 * df[den].to_numpy(float)
        else:
            raise ScoringError(f"no column vol_{key} or pct_{key} for {profile.name}")
    return out


def denominator_matrix(df: pd.DataFrame, profile: Profile) -> np.ndarray:
    missing = sorted(set(profile.criteria["denominator"]) - set(df.columns))
    if missing:
        raise ScoringError(f"missing denominator columns {missing}")
    out = np.empty((len(df), len(profile.codes)), order="F")
    cache: dict[str, np.ndarray] = {}
    for j, d in enumerate(profile.criteria["denominator"]):
        out[:, j] = cache.setdefault(d, df[d].to_numpy(float))
    return out


def _density_index(df: pd.DataFrame, profile: Profile) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        dens = df["population"].to_numpy(float) / df["area_ha"].to_numpy(float)
    band = profile.density_classes.index(dens)
    labels = profile.density_classes.labels
    derived = np.array([DENSITY_CLASSES.index(lb) for lb in labels])[np.clip(band, 0, None)]
    if "density_class" in df.columns:
        given = df["density_class"]
        m = {c: i for i, c in enumerate(DENSITY_CLASSES)}
        g = given.map(m)
        return np.where(g.notna(), g.fillna(0).to_numpy(int), derived)
    return derived


def _bool_col(df: pd.DataFrame, col: str) -> np.ndarray:
    s = df[col]
    if s.isna().any():
        raise ScoringError(f"column {col!r} has empty cells; expected yes/no on every row")
    return s.to_numpy(bool)


def score_permen(volumes: np.ndarray, denominators: np.ndarray, profile: Profile) -> dict:
    """Score locations from volumes and denominators (both n x criteria) under a profile.

    Returns a dict of arrays: ``pct`` (n x k, unrounded shares [%]), ``scores`` (n x k),
    ``aspect_avg`` (n x aspects, mean share of each aspect's criteria [%]), ``avg_condition``
    (mean of the aspect averages [%]), ``total`` and ``level`` (index into SLUM_LEVELS).
    """
    pct = criterion_shares(volumes, denominators)
    scores = criterion_scores(pct, profile)
    total = scores.sum(axis=1, dtype=np.int64)
    aspects = profile.criteria["aspect"].to_numpy()
    aspect_avg = np.empty((pct.shape[0], len(profile.aspects)), order="F")
    for k, a in enumerate(profile.aspects):
        cols = np.flatnonzero(aspects == a)
        acc = pct[:, cols[0]].copy()
        for j in cols[1:]:
            acc += pct[:, j]
        aspect_avg[:, k] = acc / len(cols)
    return {
        "pct": pct,
        "scores": scores,
        "aspect_avg": aspect_avg,
        "avg_condition": aspect_avg.mean(axis=1),
        "total": total,
        "level": slum_level(total, profile),
    }


def authority_area(df: pd.DataFrame) -> np.ndarray:
    """The slum area [ha] that decides who is responsible (Law 23/2014 splits authority by area).

    The law speaks of a slum area (kawasan), so rows that name a ``kawasan`` use the summed area of
    their kawasan (same city, kecamatan, kelurahan and kawasan); other rows use their own area.
    Sums are rounded to 6 decimals so that 0.08 + 14.71 + 0.21 is 15 ha, not 15.000000000000002.
    """
    area = df["area_ha"].to_numpy(float)
    keys = ["city", "kecamatan", "kelurahan", "kawasan"]
    if "kawasan" not in df.columns or not set(keys) <= set(df.columns):
        return area
    has = df[keys].notna().all(axis=1).to_numpy()
    if not has.any():
        return area
    summed = df.groupby(keys, dropna=False, sort=False)["area_ha"].transform("sum").to_numpy(float)
    return np.where(has, np.round(summed, 6), area)


def score_table(df: pd.DataFrame, profile: Profile | str | None = None) -> pd.DataFrame:
    """Score every location of a validated baseline (see :func:`kotaku_decide.data.validate.load_baseline`).

    The result keeps the input columns (input ``pct_`` columns are replaced by the computed ones,
    in the profile's own codes), then adds ``pct_<code>``, ``score_<code>``, ``avg_<aspect>``,
    ``avg_condition``, ``total_score``, ``slum_level``, ``density_class``, ``other_points``,
    ``other_considerations``, ``legal``, ``priority``, ``priority_class``, ``handling_pattern``,
    ``authority`` and ``authority_area_ha`` (the area that decided it: the row's kawasan when it
    names one, see :func:`authority_area`). Non-slum rows get no priority, class or authority
    (``<NA>``) and the handling pattern ``pencegahan`` (prevention).
    """
    prof = as_profile(profile)
    n = len(df)
    res = score_permen(volume_matrix(df, prof), denominator_matrix(df, prof), prof)
    level = res["level"]
    dens_idx = _density_index(df, prof)
    pts, other = other_considerations(_bool_col(df, "strategic_location"), dens_idx,
                                      _bool_col(df, "socioeconomic_potential"), prof)
    legal = legality(_bool_col(df, "land_tenure_clear"), _bool_col(df, "spatial_plan_conform"), prof.legality_rule)

    # lookup tables indexed by (level, other, legal)
    n_lev, n_oth = len(SLUM_LEVELS), len(OTHER_CLASSES)
    prio_tab = np.zeros((n_lev, n_oth), dtype=np.int64)
    for r in prof.priority.itertuples(index=False):
        prio_tab[SLUM_LEVELS.index(r.slum_level), OTHER_CLASSES.index(r.other_considerations)] = r.priority
    class_codes = sorted(set(prof.priority_class["priority_class"]))
    class_tab = np.full((n_lev, n_oth, 2), -1, dtype=np.int64)
    for r in prof.priority_class.itertuples(index=False):
        class_tab[SLUM_LEVELS.index(r.slum_level), OTHER_CLASSES.index(r.other_considerations), int(r.legal)] = \
            class_codes.index(r.priority_class)
    patterns = sorted(set(prof.handling["handling_pattern"]))
    hand_tab = np.full((n_lev, 2), -1, dtype=np.int64)
    for r in prof.handling.itertuples(index=False):
        hand_tab[SLUM_LEVELS.index(r.slum_level), int(r.legal)] = patterns.index(r.handling_pattern)
    if (hand_tab < 0).any():
        raise ScoringError(f"{prof.name}: handling.csv does not cover every level and legality")

    legal_i = legal.astype(np.int64)
    prio = prio_tab[level, other]
    cls = class_tab[level, other, legal_i]
    auth_area = authority_area(df)
    auth_band = prof.authority.index(auth_area)
    auth_codes = np.array([AUTHORITIES.index(lb) for lb in prof.authority.labels])[np.clip(auth_band, 0, None)]
    slum = level < SLUM_LEVELS.index("tidak_kumuh")

    out = df.drop(columns=[c for c in df.columns if c.startswith("pct_")]).copy() if n else df.copy()
    # 2-D results become single blocks (a column-major array's transpose is what pandas stores)
    blocks = [pd.DataFrame(res["pct"], columns=[f"pct_{c}" for c in prof.codes], copy=False),
              pd.DataFrame(res["scores"].astype(np.int64, order="F"), columns=[f"score_{c}" for c in prof.codes],
                           copy=False),
              pd.DataFrame(res["aspect_avg"], columns=[f"avg_{a}" for a in prof.aspects], copy=False)]
    new = {}
    new["avg_condition"] = res["avg_condition"]
    new["total_score"] = res["total"]
    new["slum_level"] = pd.Categorical.from_codes(level, categories=list(SLUM_LEVELS))
    new["density_class"] = pd.Categorical.from_codes(dens_idx, categories=list(DENSITY_CLASSES))
    new["other_points"] = pts
    new["other_considerations"] = pd.Categorical.from_codes(other, categories=list(OTHER_CLASSES))
    new["legal"] = legal
    new["priority"] = pd.array(np.where(slum & (prio > 0), prio, 0), dtype="Int64")
    new["priority"][~(slum & (prio > 0))] = pd.NA
    new["priority_class"] = pd.Categorical.from_codes(np.where(slum & (cls >= 0), cls, -1), categories=class_codes)
    new["handling_pattern"] = pd.Categorical.from_codes(hand_tab[level, legal_i], categories=patterns)
    new["authority"] = pd.Categorical.from_codes(np.where(slum, auth_codes, -1), categories=list(AUTHORITIES))
    new["authority_area_ha"] = auth_area
    added = [c for b in blocks for c in b.columns] + list(new)
    out = out.drop(columns=[c for c in added if c in out.columns])
    out = pd.concat([out.reset_index(drop=True), *blocks, pd.DataFrame(new)], axis=1)
    out.attrs.update(df.attrs)
    out.attrs["profile"] = prof.name
    return out


# ----------------------------------------------------------------------------------------------
# aggregation RT -> kawasan -> kelurahan
# ----------------------------------------------------------------------------------------------
def aggregate(df: pd.DataFrame, level: str, profile: Profile | str | None = None) -> pd.DataFrame:
    """Aggregate validated rows to ``kawasan`` or ``kelurahan`` (or ``kecamatan``) before scoring.

    Volumes and denominators are summed and shares re-computed from the sums (scores are never
    averaged; which way the ministry aggregates is unconfirmed, so this is stated in the docs).
    Yes/no fields combine conservatively: ``strategic_location`` and ``socioeconomic_potential``
    are yes if any row is yes; ``land_tenure_clear`` and ``spatial_plan_conform`` are yes only if
    every row is yes (one RT on illegal land makes the aggregate not fully legal). ``density_class``
    is re-derived from summed population and area. ``decree_listed`` is yes if any row is listed.
    Text fields that are the same on every row are kept; others become empty. The new
    ``location_id`` joins the group keys with ``/``; ``n_rows`` counts the rows merged.
    """
    if level in ("rt", None):
        return df
    if level not in LEVEL_KEYS:
        raise ValueError(f"level must be one of {', '.join(LEVEL_KEYS)}; got {level!r}")
    prof = as_profile(profile)
    keys = list(LEVEL_KEYS[level])
    missing = [k for k in keys if k not in df.columns]
    if missing:
        raise ScoringError(f"aggregation to {level} needs the column(s) {missing}")
    empty = df[keys].isna().any(axis=1)
    if empty.any():
        rows = df.loc[empty, "source_row"].tolist()[:10] if "source_row" in df.columns else list(df.index[empty][:10])
        src = df.attrs.get("source", "the table")
        raise ScoringError(f"{src}: aggregation to {level} needs {keys} on every row; rows {rows} have an empty one")
    d = df.copy()
    vols = volume_matrix(d, prof)
    vcols = [f"vol_{k}" for k in prof.input_keys]
    for j, c in enumerate(vcols):
        d[c] = vols[:, j]
    # the profile's denominators (and population) are counts and extents: summed like the volumes
    extents = list(dict.fromkeys(list(prof.criteria["denominator"]) + ["population"]))
    sum_cols = list(dict.fromkeys([c for c in extents if c in d.columns] + vcols
                                  + [c for c in d.columns if c.startswith("vol_") and c not in vcols]))
    g = d.groupby(keys, sort=True, dropna=False)
    out = g[sum_cols].sum(min_count=1).round(9)  # 0.1 + 0.2 sums to 0.3, not 0.30000000000000004
    out["n_rows"] = g.size()
    for c, how in (("strategic_location", "any"), ("socioeconomic_potential", "any"), ("decree_listed", "any"),
                   ("land_tenure_clear", "all"), ("spatial_plan_conform", "all")):
        if c in d.columns:
            out[c] = g[c].agg(how).astype(bool)
    skip = set(sum_cols) | set(keys) | {"location_id", "source_row", "density_class", "lat", "lon", "published_score",
                                        "published_priority", "published_class", "name", "rt"} \
        | {c for c in d.columns if c.startswith("pct_")} | set(out.columns)
    for c in d.columns:
        if c in skip:
            continue
        first = g[c].first()
        same = g[c].nunique(dropna=False) == 1
        out[c] = first.where(same, None)
    if {"lat", "lon"} <= set(d.columns):
        out["lat"] = g["lat"].mean()
        out["lon"] = g["lon"].mean()
    out = out.reset_index()
    out.insert(0, "location_id", out[keys[1:]].astype(str).agg("/".join, axis=1))
    out.insert(1, "name", out[keys[-1]].astype(str))
    out.attrs.update(df.attrs)
    out.attrs["aggregated_to"] = level
    return out
