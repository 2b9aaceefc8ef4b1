"""Funding as data: sources, yearly budgets and the rules that bind each source.

Budget table (CSV): ``source, year, budget_rp`` [Rp] and an optional ``scope``: whose money it is.
A scope is ``national`` (or empty: the whole data set), a province (``province:NAME`` or a bare name
found in the baseline's ``province`` column) or a city (``city:NAME`` or a bare name found in its
``city`` column). Each (source, scope) is one *pool* with its own yearly budget, spent only at the
locations in its scope (APBN nationally, APBD Provinsi by the cities of one province, APBD Kota by
one city). A source may have pools at several levels as long as no location falls in two of them.
Rules table (CSV): ``source, label,
eligible, authorities, per_kelurahan_cap_rp, carry_over, provenance`` where ``eligible`` lists
criterion codes, aspect names (``road``, ``drainage``, ...), ``resettlement``, ``legalisation``
or ``all`` (separated by ``;``) and ``authorities`` lists ``city``, ``province``, ``central`` or
``all``. ``per_kelurahan_cap_rp`` (empty = none) caps what the source pays in one kelurahan in
one year (the community grant, BPM/BDI, to the kelurahan board). ``carry_over`` (yes/no): unspent
money of a year stays available in the next years.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data.profiles import AUTHORITIES, Profile
from .costing import LOCATION_WORKS

__all__ = ["Funding", "FundingError", "FundingWarning", "load_funding", "authority_of", "provenance_note"]

_YES = {"yes": True, "ya": True, "true": True, "1": True, "no": False, "tidak": False, "false": False, "0": False}


class FundingError(ValueError):
    """A funding table that cannot be used."""


class FundingWarning(UserWarning):
    """Budget rows that are not used (years outside the planning horizon)."""


def _warn_outside(outside: list, b: pd.DataFrame, years: list) -> None:
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
    pools : list of (source, scope) pairs; scope ``""`` is the whole data set (a table without
        scopes has one pool per source)
    pool_budget_rp : ndarray (pools x years) [Rp]
    pool_kind : list per pool: ``all``, ``province`` or ``city``
    pool_name : list per pool: the province or city name (``""`` for ``all``)
    pool_locs : ndarray (pools x locations) of bool, which locations each pool may pay (None when
        the funding was read without the locations)
    pool_rows : list per pool: the budget-table rows (file row numbers) that gave it
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
    pools: list = field(default_factory=list)
    scoped_budget_rp: np.ndarray | None = None
    pool_kind: list = field(default_factory=list)
    pool_name: list = field(default_factory=list)
    pool_locs: np.ndarray | None = None
    pool_rows: list = field(default_factory=list)

    def __post_init__(self):
        if self.scoped_budget_rp is None:  # without scopes: one pool per source, over the whole data set
            self.pools = [(s, "") for s in self.sources]
            self.pool_kind = ["all"] * len(self.sources)
            self.pool_name = [""] * len(self.sources)
            self.pool_rows = [[] for _ in self.sources]
            self.pool_locs = None

    @property
    def pool_budget_rp(self) -> np.ndarray:
        """Budgets per pool and year [Rp] (without scopes: ``budget_rp`` itself, one pool per source)."""
        return self.budget_rp if self.scoped_budget_rp is None else self.scoped_budget_rp

    @property
    def scoped(self) -> bool:
        """True when any budget belongs to a province or a city (not to the whole data set)."""
        return any(k != "all" for k in self.pool_kind)

    def pool_key(self, p: int, year) -> tuple:
        """Row key of pool ``p`` in ``year``: ``(source, year)`` for the whole data set, else
        ``(source, year, scope)`` with scope ``province:NAME`` / ``city:NAME``."""
        s, scope = self.pools[p]
        return (s, year) if self.pool_kind[p] == "all" else (s, year, scope)

    def pool_label(self, p: int) -> str:
        """``national`` or ``province:NAME`` / ``city:NAME``."""
        return "national" if self.pool_kind[p] == "all" else self.pools[p][1]

    def locations_of(self, p: int, n: int) -> np.ndarray:
        """Bool mask over ``n`` locations of pool ``p`` (every location when read without locations)."""
        if self.pool_locs is None:
            return np.ones(n, bool)
        return self.pool_locs[p]

    def budget_table(self) -> pd.DataFrame:
        if self.scoped:
            return pd.DataFrame([{"source": s, "scope": self.pool_label(p), "year": y,
                                  "budget_rp": float(self.pool_budget_rp[p, j])}
                                 for p, (s, _) in enumerate(self.pools) for j, y in enumerate(self.years)])
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


def provenance_note(path) -> str:
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
                 source_factor: dict | None = None, places: pd.DataFrame | None = None) -> Funding:
    """Read and check the budget and rules tables for the given years.

    ``budget_factor`` multiplies every budget; ``source_factor`` (source -> factor) multiplies one
    source's budgets on top of it (a scenario "CSR doubled" is ``{"csr": 2.0}``).

    ``places`` (one row per location: ``city``, ``province`` if known, optional ``row`` = the
    baseline file's row and ``attrs["source"]`` = its path) resolves the budget table's ``scope``
    column into the locations each pool may pay; without it every pool covers every location.

    Raises
    ------
    FundingError listing every problem (unknown source, year outside the horizon, bad number,
    unknown criterion / aspect / authority, a source with a budget but no rule; an unknown scope,
    money for a scope with no locations, locations without the city or province a scope needs,
    two pools of one source covering the same location).
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
    has_scope = "scope" in b.columns
    scope_col = b["scope"].str.strip() if has_scope else pd.Series("", index=b.index)
    bname = budget if isinstance(budget, (str, bytes)) or hasattr(budget, "__fspath__") else "budget table"
    key = b["source"].str.strip() + "/" + b["year"].str.strip() + "/" + scope_col
    for k in sorted(set(key[key.duplicated()])):
        rows = [int(i) + 2 for i in key.index[key == k]]
        s_, y_, sc_ = k.split("/", 2)
        what = f"source/year {s_}/{y_}" + (f" in scope {sc_!r}" if sc_ else "")
        problems.append(f"budget: {what} is given on rows {rows}; give one budget per source and year"
                        + (" and scope" if has_scope else ""))
    # pools: one per (source, scope) in order of first appearance (sources in rules order)
    pool_of: dict = {}
    pool_rows: dict = {}
    kinds, names = {}, {}
    resolved = {}
    for i, row in b.iterrows():
        raw = scope_col[i]
        if raw not in resolved:
            resolved[raw] = _resolve_scope(raw, places)
        kind, name, err = resolved[raw]
        if err:
            problems.append(f"budget row {i + 2} ({bname}), column scope: {err}")
            continue
        s = row["source"]
        p = (s, "" if kind == "all" else f"{kind}:{name}")
        pool_rows.setdefault(p, []).append(i + 2)
        kinds[p], names[p] = kind, name
    pools = sorted(pool_rows, key=lambda p: (sources.index(p[0]) if p[0] in sources else len(sources),
                                            min(pool_rows[p])))
    pool_of = {p: k for k, p in enumerate(pools)}
    B = np.zeros((len(sources), len(years)))
    PB = np.zeros((len(pools), len(years)))
    from ..data.bounds import bound

    # the factors and every budget row against the bounds table (kotaku_decide/data/config/bounds.csv)
    for name, f in [("funding.budget_factor", budget_factor)] + \
            [(f"funding.source_factor.{k}", v) for k, v in (source_factor or {}).items()]:
        msg = bound("funding.source_factor.*" if name.startswith("funding.source_factor.") else name).problem(f)
        if msg:
            problems.append(f"{name}: {msg}")
    if problems:
        raise FundingError("; ".join(problems))
    outside = []  # (row, source, year, budget) of rows for years outside the horizon: used nowhere, said so
    for i, row in b.iterrows():
        s = row["source"]
        try:
            y = int(row["year"])
            v = float(row["budget_rp"])
        except ValueError:
            problems.append(f"budget row {i + 2}: year {row['year']!r} / budget_rp {row['budget_rp']!r} "
                            "must be numbers")
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
        if y not in years:
            outside.append((i + 2, s, y, v))
        kind, name, err = resolved[scope_col[i]]
        if err:
            continue
        p = (s, "" if kind == "all" else f"{kind}:{name}")
        if y in years:
            B[sources.index(s), years.index(y)] += v * budget_factor
            PB[pool_of[p], years.index(y)] += v * budget_factor
    pool_locs = None
    if places is not None and pools:
        pool_locs = np.zeros((len(pools), len(places)), bool)
        for k, p in enumerate(pools):
            pool_locs[k] = _members(kinds[p], names[p], places)
        problems += _place_problems(pools, kinds, names, pool_rows, pool_locs, places, bname)
    for s_, f_ in (source_factor or {}).items():
        if s_ in sources:
            PB[[k for k, p in enumerate(pools) if p[0] == s_], :] *= float(f_)
    for s_, f_ in (source_factor or {}).items():
        if s_ not in sources:
            problems.append(f"funding.source_factor: unknown source {s_!r}; the rules table has {sources}")
        else:
            B[sources.index(s_), :] *= float(f_)
    if not problems and len(years) and B.sum() <= 0:
        problems.append(f"the budget table has no money in the planning years {years[0]}-{years[-1]} "
                        "(rows for other years are ignored); give budgets for these years")
    if swadaya_source is not None and swadaya_source not in sources:
        problems.append(f"funding.swadaya_source {swadaya_source!r} is not a source in the rules table ({sources})")
    if problems:
        raise FundingError("; ".join(problems))
    if outside and len(years):
        _warn_outside(outside, b, years)
    status = " ".join(x for x in (provenance_note(budget), provenance_note(rules)) if x)
    if not has_scope or all(kinds[p] == "all" for p in pools):
        # no scopes: one pool per source over the whole data set (as before scopes existed)
        return Funding(sources, list(years), B, eligible, auths, caps, carry, labels, prov, status)
    return Funding(sources, list(years), B, eligible, auths, caps, carry, labels, prov, status,
                   pools=[(p[0], p[1]) for p in pools], scoped_budget_rp=PB, pool_kind=[kinds[p] for p in pools],
                   pool_name=[names[p] for p in pools], pool_locs=pool_locs, pool_rows=[pool_rows[p] for p in pools])


def _resolve_scope(raw: str, places: pd.DataFrame | None) -> tuple[str, str, str]:
    """(kind, name, error) of one scope cell: ``all`` for national / empty, else province or city."""
    v = (raw or "").strip()
    if v.casefold() in ("", "national", "nasional", "all"):
        return "all", "", ""
    if places is None:
        return ("province" if v.lower().startswith("province:") else "city"), v.split(":", 1)[-1].strip(), ""
    provs, cities = _names(places, "province"), _names(places, "city")
    low = v.casefold()
    for prefix, kind, known in (("province:", "province", provs), ("provinsi:", "province", provs),
                                ("city:", "city", cities), ("kota:", "city", cities), ("kabupaten:", "city", cities)):
        if low.startswith(prefix):
            name = v[len(prefix):].strip()
            if name.casefold() not in known:
                close = difflib.get_close_matches(name, sorted(known.values()), n=1)
                return kind, name, (f"{v!r}: no location of the baseline is in {kind} {name!r}, so this money has "
                                    f"no locations to pay for" + (f" (did you mean {close[0]!r}?)" if close else ""))
            return kind, known[name.casefold()], ""
    in_p, in_c = low in provs, low in cities
    if in_p and in_c:
        return "", "", (f"{v!r} is both a province and a city of the baseline; write province:{v} or city:{v}")
    if in_p:
        return "province", provs[low], ""
    if in_c:
        return "city", cities[low], ""
    close = difflib.get_close_matches(v, sorted(set(provs.values()) | set(cities.values())), n=1)
    return "", "", (f"unknown scope {v!r}; expected national, a province or a city of the baseline "
                    f"(province:NAME / city:NAME)" + (f"; did you mean {close[0]!r}?" if close else ""))


def _normalised(places: pd.DataFrame, kind: str) -> np.ndarray | None:
    """The ``city`` / ``province`` column stripped and case-folded (computed once per table)."""
    cache = places.attrs.setdefault("_normalised", {})
    if kind not in cache:
        col = places.get(kind)
        cache[kind] = None if col is None else np.array(
            ["" if x is None or (isinstance(x, float) and np.isnan(x)) else str(x).strip().casefold() for x in col],
            dtype=object)
    return cache[kind]


def _names(places: pd.DataFrame, kind: str) -> dict:
    """Case-folded name -> name as written, for the places' ``city`` or ``province`` column."""
    cache = places.attrs.setdefault("_names", {})
    if kind not in cache:
        col = places.get(kind)
        cache[kind] = {} if col is None else {str(x).strip().casefold(): str(x).strip() for x in col.dropna()
                                             if str(x).strip()}
    return cache[kind]


def _members(kind: str, name: str, places: pd.DataFrame) -> np.ndarray:
    if kind == "all":
        return np.ones(len(places), bool)
    col = _normalised(places, kind)
    if col is None:
        return np.zeros(len(places), bool)
    return col == name.casefold()


def _place_problems(pools, kinds, names, pool_rows, pool_locs, places, bname) -> list[str]:
    """Locations a scope cannot place (no city / province) and pools of one source that overlap."""
    out = []
    src = places.attrs.get("source", "the baseline")
    rows = places["row"].to_numpy() if "row" in places else np.arange(len(places)) + 2
    ids = places["location_id"].astype(str).to_numpy() if "location_id" in places else rows.astype(str)
    for kind in ("province", "city"):
        if not any(kinds[p] == kind for p in pools):
            continue
        col = places.get(kind)
        missing = np.ones(len(places), bool) if col is None else \
            col.isna().to_numpy() | (col.astype(str).str.strip().isin(["", "None", "nan"])).to_numpy()
        if missing.any():
            k = np.flatnonzero(missing)
            first = ", ".join(f"row {rows[j]} ({ids[j]})" for j in k[:5])
            out.append(f"{src}, column {kind}: {len(k)} location(s) have no {kind} but the budget table gives money by "
                       f"{kind} ({first}{', ...' if len(k) > 5 else ''}); expected the {kind} name of every location")
    by_src: dict = {}
    for k, p in enumerate(pools):
        by_src.setdefault(p[0], []).append(k)
    for s, ks in by_src.items():
        if len(ks) < 2:
            continue
        cover = pool_locs[ks].sum(axis=0)
        if (cover > 1).any():
            j = int(np.flatnonzero(cover > 1)[0])
            both = [pools[k] for k in ks if pool_locs[k, j]]
            desc = " and ".join(f"scope {p[1] or 'national'!r} (rows {pool_rows[p]})" for p in both)
            out.append(f"{bname}: source {s!r} has money for {desc}, which both cover location {ids[j]} "
                       f"({src} row {rows[j]}); give each source's money at one level per location "
                       f"(e.g. APBN national, APBD Provinsi per province, APBD Kota per city)")
    return out
