"""Regulation profiles: the official scoring rules as data tables with their sources.

A profile is a folder of CSV tables and a ``profile.yaml``. Tables that both regulations share
(other considerations, legality, priority, class codes, handling pattern, authority) live in
``common/``; a profile folder may override any of them by holding a file of the same name.

Every table row carries ``status`` (confirmed / corroborated / unconfirmed) and ``source``,
so that the reports can say which defaults still need a city's confirmation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["Profile", "ProfileError", "ClearanceRule", "load_profile", "as_profile", "available_profiles",
           "DEFAULT_PROFILE", "SERVICE_BASES"]

_HERE = Path(__file__).parent
DEFAULT_PROFILE = "permen-14-2018"

SLUM_LEVELS = ("berat", "sedang", "ringan", "tidak_kumuh")
OTHER_CLASSES = ("tinggi", "sedang", "rendah")
DENSITY_CLASSES = ("low", "medium", "high")
AUTHORITIES = ("city", "province", "central")
LEGALITY_RULES = ("all", "any", "tenure")
#: how a service level [%] of an aspect is read in a clearance rule: 100 - the aspect's average condition,
#: or 100 - the share of its worst criterion (every criterion must be served)
SERVICE_BASES = ("aspect_average", "each_criterion")


class ProfileError(ValueError):
    """A regulation profile table is missing or inconsistent."""


@dataclass(frozen=True)
class Bands:
    """Ordered lower-bound bands: value ``x`` falls in the band with the largest lower bound below it.

    ``lower`` ascending; ``inclusive[i]`` says whether ``x == lower[i]`` belongs to band ``i``.
    """

    lower: np.ndarray
    inclusive: np.ndarray
    labels: tuple

    def index(self, x: np.ndarray) -> np.ndarray:
        """Band index for each value (``-1`` below the first band). Vectorised."""
        x = np.asarray(x, dtype=float)
        idx = np.full(x.shape, -1, dtype=np.int64)
        for i, (lo, inc) in enumerate(zip(self.lower, self.inclusive)):
            hit = (x >= lo) if inc else (x > lo)
            idx[hit] = i
        return idx

    def classify(self, x: np.ndarray) -> np.ndarray:
        idx = self.index(x)
        labels = np.asarray(self.labels, dtype=object)
        out = np.where(idx >= 0, labels[np.clip(idx, 0, None)], None)
        return out


@dataclass(frozen=True)
class ClearanceRule:
    """What "cleared" (no longer slum) means: one row of a profile's ``clearance.csv``.

    Attributes
    ----------
    name : str
        Rule name (``total_below_threshold``, ``services_80``, or a city's own).
    total_below : int
        A location is cleared only if its total score is below this [points].
    services : tuple of str
        Aspects whose service level must reach ``min_service_pct`` (empty: no service condition).
    min_service_pct : float
        Least service level [%] of each aspect in ``services`` (inclusive).
    service_basis : str
        ``aspect_average`` (service = 100 - the aspect's average condition) or ``each_criterion``
        (service = 100 - the share of each of the aspect's criteria, all must pass).
    label_en, label_id, status, source : str
    default : bool
    """

    name: str
    total_below: int
    services: tuple
    min_service_pct: float
    service_basis: str
    label_en: str
    label_id: str
    status: str
    source: str
    default: bool

    def label(self, lang: str = "en") -> str:
        return self.label_id if lang == "id" else self.label_en


@dataclass(frozen=True)
class Profile:
    """One regulation profile, loaded from its tables. Immutable.

    Attributes
    ----------
    name, title, regulation : str
    criteria : DataFrame
        One row per criterion: ``code, input_key, aspect, aspect_label_id, aspect_label_en,
        label_id, label_en, unit, denominator, status, source``.
    score_min_pct, score_values : ndarray
        Score bands, ascending lower bounds [%] (inclusive, after rounding) and their scores.
    total_bands : DataFrame
        ``slum_level, min_total, max_total``.
    rounding : dict
        ``decimals`` and ``method`` (``half_up`` or ``none``).
    """

    name: str
    title: str
    regulation: str
    criteria: pd.DataFrame
    score_min_pct: np.ndarray
    score_values: np.ndarray
    total_bands: pd.DataFrame
    rounding: dict
    other_points: pd.DataFrame
    density_classes: Bands
    other_classes: Bands
    legality_rule: str
    priority: pd.DataFrame
    priority_class: pd.DataFrame
    handling: pd.DataFrame
    authority: Bands
    tables: dict = field(repr=False)
    meta: dict = field(repr=False)
    clearance: tuple = field(default=(), repr=False)  # ClearanceRule rows of clearance.csv

    # --- convenience views (read once: a profile is immutable, and scoring asks on every call) ---
    @cached_property
    def codes(self) -> tuple:
        return tuple(self.criteria["code"])

    @cached_property
    def input_keys(self) -> tuple:
        return tuple(self.criteria["input_key"])

    @cached_property
    def aspects(self) -> tuple:
        return tuple(dict.fromkeys(self.criteria["aspect"]))

    def aspect_codes(self, aspect: str) -> tuple:
        """Criterion codes of one aspect (``water``, ``wastewater``, ...) in the profile's order."""
        return tuple(self.criteria.loc[self.criteria["aspect"] == aspect, "code"])

    def class_letters(self) -> dict:
        """Slum level -> the letter of its A1-C6 priority classes (from ``priority_class.csv``)."""
        pc = self.priority_class
        out = {}
        for lv, cls in zip(pc["slum_level"], pc["priority_class"]):
            out.setdefault(lv, str(cls)[:1])
        return out

    @property
    def max_total(self) -> int:
        return int(len(self.criteria) * self.score_values.max())

    @property
    def slum_threshold(self) -> int:
        """Lowest total that still counts as slum (kumuh ringan)."""
        return int(self.level_min_totals[SLUM_LEVELS.index("ringan")])

    @cached_property
    def level_min_totals(self) -> np.ndarray:
        """Lowest total [points] of each slum level, in :data:`SLUM_LEVELS` order (from ``total_bands``).

        Read once per profile (a profile is immutable): scoring asks for it on every call, and a
        table lookup there cost more than the scoring itself on small inputs. The array is read-only.
        """
        tb = self.total_bands.set_index("slum_level")
        mins = np.array([tb.loc[lv, "min_total"] for lv in SLUM_LEVELS], dtype=float)
        mins.setflags(write=False)
        return mins

    def clearance_rule(self, name: str | None = None) -> ClearanceRule:
        """The clearance rule ``name`` of this profile (``None``: the profile's default rule).

        Raises
        ------
        ProfileError
            If the profile has no rule of that name (the message lists the rules it has).
        """
        if name is None:
            return next(r for r in self.clearance if r.default)
        for r in self.clearance:
            if r.name == name:
                return r
        raise ProfileError(f"profile {self.name}: no clearance rule {name!r}; expected one of "
                           f"{[r.name for r in self.clearance]} (clearance.csv)")

    def score_edges(self) -> np.ndarray:
        """Lower band edges on the *unrounded* share [%] that reproduce the profile's rounding rule.

        With half-up rounding to ``d`` decimals, ``round(p) >= T`` exactly when ``p >= T - 0.5 x 10^-d``
        (less a 0.5e-6 x 10^-d allowance for binary noise). Comparing raw shares with these edges
        avoids rounding millions of values.
        """
        t = self.score_min_pct.astype(float)
        r = self.rounding
        if r.get("method") == "half_up":
            f = 10.0 ** int(r.get("decimals", 2))
            t = (t * f - 0.5 - 0.5e-6) / f
        return t

    def band_scores(self, pct) -> np.ndarray:
        """Score of each share [%] under this profile's bands and rounding rule (vectorised)."""
        pct = np.asarray(pct, dtype=float)
        idx = np.zeros(pct.shape, dtype=np.int8)
        for e in self.score_edges()[1:]:  # the first band starts at 0 %
            idx += pct >= e
        return self.score_values.astype(np.int8)[idx]

    def level_bands(self) -> Bands:
        tb = self.total_bands.sort_values("min_total")
        return Bands(
            lower=tb["min_total"].to_numpy(float),
            inclusive=np.ones(len(tb), bool),
            labels=tuple(tb["slum_level"]),
        )

    def unconfirmed(self) -> pd.DataFrame:
        """Every table row of this profile whose status is ``unconfirmed``, with its source."""
        rows = []
        for tname, t in self.tables.items():
            if "status" in t.columns:
                for _, r in t[t["status"] == "unconfirmed"].iterrows():
                    key = ", ".join(f"{c}={r[c]}" for c in t.columns[:2])
                    rows.append({"table": tname, "row": key, "source": r.get("source", "")})
        for key in ("rounding",):
            if self.meta.get(key, {}).get("status") == "unconfirmed":
                rows.append({"table": "profile.yaml", "row": key, "source": self.meta[key].get("source", "")})
        return pd.DataFrame(rows, columns=["table", "row", "source"])


def available_profiles() -> list[str]:
    return sorted(p.name for p in _HERE.iterdir() if (p / "profile.yaml").exists())


def _read_table(folder: Path, name: str) -> pd.DataFrame:
    for base in (folder, _HERE / "common"):
        path = base / name
        if path.exists():
            try:
                df = pd.read_csv(path, dtype=str, keep_default_na=False)
            except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
                raise ProfileError(f"{path}: not a readable CSV table ({exc})") from None
            # a city's own table needs the columns of the built-in one it replaces
            builtin = next((b / name for b in (_HERE / DEFAULT_PROFILE, _HERE / "common") if (b / name).exists()), None)
            if builtin is not None and builtin != path:
                need = list(pd.read_csv(builtin, dtype=str, nrows=0).columns)
                missing = [c for c in need if c not in df.columns]
                if missing:
                    raise ProfileError(f"{path}: missing column(s) {missing}; expected the columns of {builtin}: "
                                       f"{need}")
            df.attrs["path"] = str(path)
            return df
    raise ProfileError(f"profile table {name!r} not found in {folder} or {_HERE / 'common'}")


def _read_yaml(folder: Path, name: str) -> dict:
    for base in (folder, _HERE / "common"):
        path = base / name
        if path.exists():
            from ..safeyaml import YamlError, load_yaml

            try:
                doc = load_yaml(path, "profile file")
            except YamlError as exc:
                raise ProfileError(str(exc)) from None
            if doc is not None and not isinstance(doc, dict):
                raise ProfileError(f"{path}: expected a mapping (key: value lines), got {type(doc).__name__}")
            return doc or {}
    raise ProfileError(f"profile file {name!r} not found in {folder} or {_HERE / 'common'}")


def _bool(s: pd.Series, table: str) -> np.ndarray:
    m = {"true": True, "false": False}
    bad = ~s.str.lower().isin(m)
    if bad.any():
        raise ProfileError(f"{table}: expected true/false, got {s[bad].iloc[0]!r}")
    return s.str.lower().map(m).to_numpy(bool)


def _bands(df: pd.DataFrame, label_col: str, lower_col: str, table: str) -> Bands:
    df = df.copy()
    df["_lo"] = df[lower_col].astype(float)
    df = df.sort_values("_lo")
    return Bands(
        lower=df["_lo"].to_numpy(float),
        inclusive=_bool(df["lower_inclusive"], table),
        labels=tuple(df[label_col]),
    )


def as_profile(profile: "Profile | str | Path | None" = None) -> "Profile":
    """A Profile as it is, or loaded by name or folder (None: the default profile)."""
    return profile if isinstance(profile, Profile) else load_profile(profile or DEFAULT_PROFILE)


def load_profile(name: str | Path = DEFAULT_PROFILE) -> Profile:
    """Load a regulation profile by name (``permen-14-2018``, ``permen-02-2016``) or from a folder.

    A folder path lets a city keep its own variant (for instance confirmed density cut-offs): copy a
    profile folder, edit the tables, and pass the folder.
    """
    return _load_profile_cached(str(name))


@lru_cache(maxsize=16)
def _load_profile_cached(name: str) -> Profile:
    try:
        folder = Path(name)
        if not (folder / "profile.yaml").exists():
            folder = _HERE / name
        found = (folder / "profile.yaml").exists()
    except (ValueError, OSError):  # a NUL byte or a name too long for the file system
        found = False
    if not found:
        raise ProfileError(f"unknown regulation profile {name!r}; expected one of {available_profiles()} "
                           "or a folder holding profile.yaml")
    try:
        return _load_profile_folder(folder)
    except ProfileError:
        raise
    except (KeyError, ValueError, TypeError, AttributeError, IndexError) as exc:  # a city's own tables, malformed
        what = f"missing column {exc}" if isinstance(exc, KeyError) else f"{type(exc).__name__}: {exc}"
        raise ProfileError(f"{folder}: the profile's tables cannot be used ({what}); compare them with "
                           f"{_HERE / DEFAULT_PROFILE}") from None


def _load_profile_folder(folder: Path) -> Profile:
    meta = _read_yaml(folder, "profile.yaml")
    tables = {}
    for t in ("criteria", "score_bands", "total_bands", "other_points", "density_classes", "other_classes",
              "priority", "priority_class", "handling", "authority", "clearance"):
        tables[t] = _read_table(folder, f"{t}.csv")
    legality = _read_yaml(folder, "legality.yaml")
    rule = legality.get("rule")
    if rule not in LEGALITY_RULES:
        raise ProfileError(f"legality.yaml: rule must be one of {LEGALITY_RULES}, got {rule!r}")

    crit = tables["criteria"]
    if crit["code"].duplicated().any():
        raise ProfileError(f"criteria.csv: duplicate code {crit.loc[crit['code'].duplicated(), 'code'].iloc[0]!r}")
    sb = tables["score_bands"].copy()
    sb["min_pct"] = sb["min_pct"].astype(float)
    sb["score"] = sb["score"].astype(int)
    sb = sb.sort_values("min_pct")
    if sb["min_pct"].iloc[0] != 0:
        raise ProfileError("score_bands.csv: the lowest band must start at 0 %")
    tb = tables["total_bands"].copy()
    tb["min_total"] = tb["min_total"].astype(float)
    tb["max_total"] = tb["max_total"].astype(float)
    if set(tb["slum_level"]) != set(SLUM_LEVELS):
        raise ProfileError(f"total_bands.csv: levels must be {SLUM_LEVELS}")
    rounding = dict(meta.get("rounding") or {"decimals": 2, "method": "half_up"})
    if rounding.get("method") not in ("half_up", "none"):
        raise ProfileError(f"profile.yaml: rounding.method must be half_up or none, got {rounding.get('method')!r}")

    op = tables["other_points"].copy()
    op["points"] = op["points"].astype(int)
    pr = tables["priority"].copy()
    pr["priority"] = pr["priority"].astype(int)
    pc = tables["priority_class"].copy()
    pc["legal"] = _bool(pc["legal"], "priority_class.csv")
    hd = tables["handling"].copy()
    hd["legal"] = _bool(hd["legal"], "handling.csv")
    for t, col, allowed in (("priority", "slum_level", SLUM_LEVELS),
                            ("priority", "other_considerations", OTHER_CLASSES),
                            ("handling", "slum_level", SLUM_LEVELS)):
        bad = set(tables[t][col]) - set(allowed)
        if bad:
            raise ProfileError(f"{t}.csv: unknown {col} {sorted(bad)}; expected {allowed}")

    clearance = _clearance_rules(tables["clearance"], crit, tb)

    oc = tables["other_classes"].copy()
    oc["lower_inclusive"] = "true"
    meta = dict(meta)
    meta["legality"] = legality
    return Profile(
        name=meta.get("name", folder.name),
        title=meta.get("title", folder.name),
        regulation=meta.get("regulation", ""),
        criteria=crit,
        score_min_pct=sb["min_pct"].to_numpy(float),
        score_values=sb["score"].to_numpy(np.int64),
        total_bands=tb,
        rounding=rounding,
        other_points=op,
        density_classes=_bands(tables["density_classes"], "density_class", "lower_people_per_ha",
                               "density_classes.csv"),
        other_classes=_bands(oc, "other_considerations", "min_points", "other_classes.csv"),
        legality_rule=rule,
        priority=pr,
        priority_class=pc,
        handling=hd,
        authority=_bands(tables["authority"], "authority", "lower_ha", "authority.csv"),
        tables=tables,
        meta=meta,
        clearance=clearance,
    )


def _clearance_rules(t: pd.DataFrame, criteria: pd.DataFrame, total_bands: pd.DataFrame) -> tuple:
    """Parse and check ``clearance.csv``: one rule per row, exactly one default (row numbers: header = 1)."""
    where = t.attrs.get("path", "clearance.csv")
    need = ["rule", "default", "total_below", "services", "min_service_pct", "service_basis", "label_en", "label_id",
            "status", "source"]
    missing = [c for c in need if c not in t.columns]
    if missing:
        raise ProfileError(f"{where}: missing column(s) {missing}; expected {need}")
    aspects = list(dict.fromkeys(criteria["aspect"]))
    threshold = int(total_bands.set_index("slum_level").loc["ringan", "min_total"])
    rules = []
    for k, r in enumerate(t.itertuples(index=False), start=2):
        def bad(col, expected):
            return ProfileError(f"{where}, row {k}, column {col!r}: found {getattr(r, col)!r}; expected {expected}")
        if not r.rule:
            raise bad("rule", "a rule name")
        if r.default.lower() not in ("true", "false"):
            raise bad("default", "true or false")
        if r.total_below == "threshold":
            below = threshold
        else:
            try:
                below = int(r.total_below)
            except ValueError:
                raise bad("total_below", "'threshold' (the lowest kumuh ringan total) or a whole number") from None
        services = tuple(r.services.split())
        unknown = [a for a in services if a not in aspects]
        if unknown:
            raise bad("services", f"aspects of this profile separated by spaces ({' '.join(aspects)})")
        pct, basis = 0.0, ""
        if services:
            try:
                pct = float(r.min_service_pct)
            except ValueError:
                raise bad("min_service_pct", "a service level from 0 to 100 [%]") from None
            if not 0 <= pct <= 100:
                raise bad("min_service_pct", "a service level from 0 to 100 [%]")
            if r.service_basis not in SERVICE_BASES:
                raise bad("service_basis", f"one of {SERVICE_BASES}")
            basis = r.service_basis
        elif r.min_service_pct or r.service_basis:
            raise bad("services", "the aspects that min_service_pct and service_basis apply to")
        rules.append(ClearanceRule(name=r.rule, total_below=below, services=services, min_service_pct=pct,
                                   service_basis=basis, label_en=r.label_en, label_id=r.label_id, status=r.status,
                                   source=r.source, default=r.default.lower() == "true"))
    names = [r.name for r in rules]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ProfileError(f"{where}: rule names must be unique; {dup} appear more than once")
    if sum(r.default for r in rules) != 1:
        raise ProfileError(f"{where}: expected exactly one rule with default true, found "
                           f"{[r.name for r in rules if r.default]}")
    return tuple(rules)
