"""Funding as data: sources, yearly budgets and the rules that bind each source.

Budget table (CSV): ``source, year, budget_rp`` [Rp]. Rules table (CSV): ``source, label,
eligible, authorities, per_kelurahan_cap_rp, carry_over, provenance`` where ``eligible`` lists
criterion codes, aspect names (``road``, ``drainage``, ...), ``resettlement``, ``legalisation``
or ``all`` (separated by ``;``) and ``authorities`` lists ``city``, ``province``, ``central`` or
``all``. ``per_kelurahan_cap_rp`` (empty = none) caps what the source pays in one kelurahan in
one year (the community grant, BPM/BDI, to the kelurahan board). ``carry_over`` (yes/no): unspent
money of a year stays available in the next years.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data.profiles import AUTHORITIES, Profile
from .costing import LOCATION_WORKS

__all__ = ["Funding", "FundingError", "FundingWarning", "load_funding", "authority_of"]

_YES = {"yes": True, "ya": True, "true": True, "1": True, "no": False, "tidak": False, "false": False, "0": False}


class FundingError(ValueError):
    """A funding table that cannot be used."""


class FundingWarning(UserWarning):
    """Budget rows that are not used (years outside the planning horizon)."""


def _warn_outside(outside: list, b: pd.DataFrame, years: list, B: np.ndarray, sources: list) -> None:
    """Say which budget rows lie outside the planning years, and which source-years they leave empty."""
    import warnings

    rows = ", ".join(f"row {r} ({s} {y}: Rp {v:,.0f})" for r, s, y, v in outside[:8])
    more = f" and {len(outside) - 8} more" if len(outside) > 8 else ""
    given = {(s, int(y)) for s, y in zip(b["source"], pd.to_numeric(b["year"], errors="coerce").fillna(-1))}
    empty = [f"{s} {y}" for s in sorted({o[1] for o in outside}) for y in years if (s, y) not in given]
    hint = (f"; these planning years of the same sources have no budget row: {', '.join(empty)} (a mistyped "
            "year?)") if empty else ""
    warnings.warn(f"budget: {len(outside)} row(s) for years outside the planning years {years[0]}-{years[-1]} are "
                  f"not used: {rows}{more}{hint}", FundingWarning, stacklevel=3)


@dataclass
class Funding:
    """Sources, years, budgets [Rp] and rules.

    Attributes
    ----------
    sources : list of source names (sorted as in the rules table)
    years : list of int
    budget_rp : ndarray (sources x years) [Rp]
    eligible : dict source -> frozenset of criterion codes and pseudo-criteria it may pay for
    authorities : dict source -> frozenset of authorities (city / province / central)
    cap_rp : dict source -> per-kelurahan yearly cap [Rp] or None
    carry_over : dict source -> bool
    labels, provenance : dict source -> text
    """

    sources: list
    years: list
    budget_rp: np.ndarray
    eligible: dict
    authorities: dict
    cap_rp: dict
    carry_over: dict
    labels: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)
    data_status: str = ""

    def budget_table(self) -> pd.DataFrame:
        return pd.DataFrame([{"source": s, "year": y, "budget_rp": float(self.budget_rp[i, j])}
                             for i, s in enumerate(self.sources) for j, y in enumerate(self.years)])


def authority_of(area_ha: np.ndarray, profile: Profile, cutoffs: list | None = None) -> np.ndarray:
    """Authority per location from its slum area: city / province / central (Law 23/2014).

    With ``cutoffs = [a, b]``: below ``a`` ha the city, ``a`` to ``b`` ha the province, above ``b``
    the central government (the profile's table: 10 and 15 ha).
    """
    area = np.asarray(area_ha, float)
    if cutoffs is None:
        idx = profile.authority.index(area)
        labels = np.array(profile.authority.labels, dtype=object)
        return labels[np.clip(idx, 0, None)]
    a, b = float(cutoffs[0]), float(cutoffs[1])
    return np.where(area < a, "city", np.where(area <= b, "province", "central")).astype(object)


def _read(path, what) -> pd.DataFrame:
    if isinstance(path, pd.DataFrame):
        return path.astype(str).replace({"nan": ""})
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, comment="#")
    except FileNotFoundError:
        raise FundingError(f"{what} file not found: {path}") from None
    except pd.errors.EmptyDataError:
        raise FundingError(f"{what} file {path} is empty; expected a header row and one row per entry") from None


def _provenance(path) -> str:
    """The leading ``#`` comment lines of a CSV (its data-status note)."""
    if isinstance(path, pd.DataFrame) or path is None:
        return ""
    lines = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            lines.append(line.lstrip("#").strip())
            break  # the first comment line is the data-status note
    return " ".join(lines)


def load_funding(budget, rules, profile: Profile, years: list, *, budget_factor: float = 1.0,
                 carry_over: bool | None = None, swadaya_source: str | None = None,
                 source_factor: dict | None = None) -> Funding:
    """Read and check the budget and rules tables for the given years.

    ``budget_factor`` multiplies every budget; ``source_factor`` (source -> factor) multiplies one
    source's budgets on top of it (a scenario "CSR doubled" is ``{"csr": 2.0}``).

    Raises
    ------
    FundingError listing every problem (unknown source, year outside the horizon, bad number,
    unknown criterion / aspect / authority, a source with a budget but no rule).
    """
    b = _read(budget, "budget")
    r = _read(rules, "funding rules")
    problems = []
    for cols, t, name in ((["source", "year", "budget_rp"], b, "budget"),
                          (["source", "eligible", "authorities", "per_kelurahan_cap_rp", "carry_over"], r, "rules")):
        miss = [c for c in cols if c not in t.columns]
        if miss:
            raise FundingError(f"{name} table: missing column(s) {miss}; expected {cols}")
    if r["source"].duplicated().any():
        problems.append(f"rules: duplicate source {sorted(set(r.loc[r['source'].duplicated(), 'source']))}")
    sources = list(r["source"])
    codes = set(profile.codes) | set(LOCATION_WORKS)
    aspects = {a: set(profile.criteria.loc[profile.criteria["aspect"] == a, "code"]) for a in profile.aspects}
    eligible, auths, caps, carry, labels, prov = {}, {}, {}, {}, {}, {}
    for i, row in r.iterrows():
        s = row["source"]
        el = set()
        for tok in [x.strip() for x in row["eligible"].split(";") if x.strip()]:
            if tok == "all":
                el |= codes
            elif tok in aspects:
                el |= aspects[tok]
            elif tok in codes:
                el.add(tok)
            else:
                problems.append(f"rules row {i + 2} ({s}): eligible {tok!r} is not a criterion, aspect "
                                f"({', '.join(profile.aspects)}), resettlement, legalisation or all")
        eligible[s] = frozenset(el)
        au = set()
        for tok in [x.strip() for x in row["authorities"].split(";") if x.strip()]:
            if tok == "all":
                au |= set(AUTHORITIES)
            elif tok in AUTHORITIES:
                au.add(tok)
            else:
                problems.append(f"rules row {i + 2} ({s}): authority {tok!r} is not one of {AUTHORITIES} or all")
        auths[s] = frozenset(au)
        cap = row["per_kelurahan_cap_rp"].strip()
        try:
            caps[s] = float(cap) if cap else None
            if caps[s] is not None and caps[s] < 0:
                problems.append(f"rules row {i + 2} ({s}): per_kelurahan_cap_rp must be >= 0")
        except ValueError:
            problems.append(f"rules row {i + 2} ({s}): per_kelurahan_cap_rp {cap!r} is not a number")
        co = row["carry_over"].strip().lower()
        if co not in _YES:
            problems.append(f"rules row {i + 2} ({s}): carry_over {row['carry_over']!r} is not yes/no")
        carry[s] = _YES.get(co, False) if carry_over is None else bool(carry_over)
        labels[s] = row.get("label", s)
        prov[s] = row.get("provenance", "")
    B = np.zeros((len(sources), len(years)))
    key = b["source"].str.strip() + "/" + b["year"].str.strip()
    for k in sorted(set(key[key.duplicated()])):
        rows = [int(i) + 2 for i in key.index[key == k]]
        problems.append(f"budget: source/year {k} is given on rows {rows}; give one budget per source and year")
    from ..data.bounds import bound

    outside = []  # (row, source, year, budget) of rows for years outside the horizon
    for name, f in [("funding.budget_factor", budget_factor)] + \
            [(f"funding.source_factor.{k}", v) for k, v in (source_factor or {}).items()]:
        msg = bound(name.rsplit(".", 1)[0] + ".*" if name.startswith("funding.source_factor.") else name).problem(f)
        if msg:
            problems.append(f"{name}: {msg}")
    for i, row in b.iterrows():
        s = row["source"]
        try:
            y = int(row["year"])
            v = float(row["budget_rp"])
        except ValueError:
            problems.append(f"budget row {i + 2}: year {row['year']!r} / budget_rp {row['budget_rp']!r} must be numbers")
            continue
        if s not in sources:
            problems.append(f"budget row {i + 2}: source {s!r} has no row in the rules table ({sources})")
            continue
        if v < 0 or not np.isfinite(v):
            problems.append(f"budget row {i + 2}: budget_rp must be >= 0, got {row['budget_rp']}")
            continue
        for col, val in (("year", y), ("budget_rp", v)):
            msg = bound(f"budget.{col}").problem(val)
            if msg:
                problems.append(f"budget row {i + 2}, column {col!r}: found {row[col]!r}: {msg}")
        if y in years:
            B[sources.index(s), years.index(y)] += v * budget_factor
        else:
            outside.append((i + 2, s, y, v))
    if problems:
        raise FundingError("; ".join(problems))
    for s_, f_ in (source_factor or {}).items():
        if s_ not in sources:
            problems.append(f"funding.source_factor: unknown source {s_!r}; the rules table has {sources}")
        else:
            B[sources.index(s_), :] *= float(f_)
    if outside and len(years):
        _warn_outside(outside, b, years, B, sources)
    if not problems and len(years) and B.sum() <= 0:
        problems.append(f"the budget table has no money in the planning years {years[0]}-{years[-1]} "
                        "(rows for other years are ignored); give budgets for these years")
    if swadaya_source is not None and swadaya_source not in sources:
        problems.append(f"funding.swadaya_source {swadaya_source!r} is not a source in the rules table ({sources})")
    if problems:
        raise FundingError("; ".join(problems))
    status = " ".join(x for x in (_provenance(budget), _provenance(rules)) if x)
    return Funding(sources, list(years), B, eligible, auths, caps, carry, labels, prov, status)
