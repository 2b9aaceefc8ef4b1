"""Realised works: what a city actually built, per location, criterion, year and paying source.

A realised-works table (SIM KOTAKU and Motor Kawanku keep the same facts as "investasi") has one row
per work done, or per part of a work paid by one source:

=============  ==========================================================================  =========
column         meaning                                                                     required
=============  ==========================================================================  =========
location_id    the baseline location (same ids as the baseline, at the plan's level)       yes
criterion      criterion code of the profile (``2b``, ``5a``...), or ``resettlement`` /     yes
               ``legalisation`` for works on the whole location
year           budget year the work was finished                                           yes
volume         volume of the criterion's deficit removed, in the criterion's unit           yes
               (buildings, ha, m, households; households for resettlement, ha for
               legalisation); 0 for money spent on a work not (yet) finished
cost_rp        money spent [Rp]                                                            yes
source         paying source (``apbn``, ``apbd_kota``, ``csr``...; the funding rules' names) yes
option, work, work_id, note, provenance                                                    no
=============  ==========================================================================  =========

Indonesian headers are accepted (``tahun``, ``kriteria``, ``volume realisasi``, ``biaya``,
``sumber dana``, ...: ``schema/realised_aliases.csv``). Validation reports every problem at once,
each naming the file, the spreadsheet row, the column, the value found and what was expected, like
:mod:`.validate` does for a baseline.
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from .io import normalise_header, read_table
from .profiles import Profile, as_profile
from .validate import Problem, ValidationReport

__all__ = ["REALISED_COLUMNS", "REALISED_OPTIONAL", "LOCATION_WORK_UNITS", "RealisedReport", "RealisedError",
           "read_realised", "validate_realised", "load_realised", "affected_volumes"]

REALISED_COLUMNS = ("location_id", "criterion", "year", "volume", "cost_rp", "source")
REALISED_OPTIONAL = ("option", "work", "work_id", "note", "provenance")
#: works on a whole location and the baseline column that bounds their volume (the allocation's
#: location works: resettlement counts households moved, legalisation the hectares legalised)
LOCATION_WORK_UNITS = {"resettlement": ("households", "households"), "legalisation": ("area_ha", "ha")}
_SCHEMA = Path(__file__).parent / "schema"
#: a sum of volumes may exceed the affected volume by this relative amount (float noise), never more
_TOL = 1e-9


class RealisedError(ValueError):
    """The realised-works table has errors; ``.report`` holds every problem."""

    def __init__(self, report: "RealisedReport"):
        self.report = report
        super().__init__(report.format(limit=50))


class RealisedReport(ValidationReport):
    """The realised-works table's problems (the baseline's report, with its own error)."""

    def raise_if_errors(self) -> None:
        if self.errors:
            raise RealisedError(self)


@lru_cache(maxsize=1)
def _aliases() -> dict:
    t = pd.read_csv(_SCHEMA / "realised_aliases.csv", dtype=str, keep_default_na=False)
    return {normalise_header(a): c for a, c in zip(t["alias"], t["column"])}


def read_realised(path: str | Path, sheet=None) -> pd.DataFrame:
    """Read a realised-works table (CSV or Excel) as text, headers mapped to the realised columns.

    Rows keep their spreadsheet position (``index + attrs['first_row']``); ``attrs['comments']``
    holds the file's leading ``#`` lines (where a SYNTHETIC file says so).
    """
    raw = read_table(path, sheet=sheet)
    written = raw.attrs.get("headers", {})
    dups = {c: list(w) for c, w in raw.attrs.get("duplicate_headers", {}).items()}
    names, seen = [], {}
    for c in raw.columns:
        base = c.split("__dup")[0]
        w = written.get(c, c) if "__dup" not in c else c
        new = _aliases().get(normalise_header(w), _aliases().get(normalise_header(base), c))
        if new in seen and "__dup" not in c:
            dups.setdefault(new, [seen[new]]).append(w)
            new = f"{new}__dup{len(dups[new]) - 1}"
        else:
            seen.setdefault(new, w)
        names.append(new)
    out = raw.copy()
    out.columns = names
    out.attrs.update(raw.attrs)
    out.attrs["duplicate_headers"] = dups
    return out


def affected_volumes(baseline: pd.DataFrame, profile: Profile) -> dict[str, pd.Series]:
    """Affected volume per criterion code (and location work) indexed by ``location_id``.

    ``baseline`` is a validated baseline (:func:`~.validate.load_baseline`, optionally aggregated):
    its ``vol_<input_key>`` columns hold the affected volumes in the criterion's unit.
    """
    ids = baseline["location_id"].astype(str)
    out = {}
    for code, key in zip(profile.criteria["code"], profile.criteria["input_key"]):
        out[code] = pd.Series(baseline[f"vol_{key}"].to_numpy(float), index=ids)
    for work, (col, _unit) in LOCATION_WORK_UNITS.items():
        out[work] = pd.Series(baseline[col].to_numpy(float), index=ids)
    return out


def validate_realised(table: pd.DataFrame | str | Path, baseline: pd.DataFrame, profile: Profile | str | None = None,
                      years: Iterable[int] | None = None, sources: Iterable[str] | None = None) -> RealisedReport:
    """Check a realised-works table against the baseline, the profile, the plan's years and the sources.

    Parameters
    ----------
    table : DataFrame from :func:`read_realised`, or a path
    baseline : validated baseline at the level the plan uses (one row per ``location_id``)
    profile : Profile or name (default ``permen-14-2018``): the criterion codes and units
    years : the plan's years (e.g. ``range(2017, 2020)``); None skips the year check
    sources : the funding sources' names; None skips the source check

    Returns
    -------
    RealisedReport
        Every problem (errors block, warnings do not) and, without errors, the typed table:
        ``source_row`` (spreadsheet row), the six required columns typed (``year`` int, ``volume``
        and ``cost_rp`` float) and the optional ones present.
    """
    raw = read_realised(table) if not isinstance(table, pd.DataFrame) else table
    prof = as_profile(profile)
    file = raw.attrs.get("source", "<table>")
    first = int(raw.attrs.get("first_row", 2))
    probs: list[Problem] = []

    def P(check, sev, idx, col, value, expected, message=""):
        probs.append(Problem(check, sev, file, None if idx is None else int(idx) + first, col, value, expected,
                             message))

    if not len(raw):
        P("no_rows", "error", None, None, None, "one row per realised work below the header")
    for c, w in raw.attrs.get("duplicate_headers", {}).items():
        P("duplicate_headers", "error", None, c, " / ".join(repr(x) for x in w), f"the column {c!r} once",
          "these headers all mean the same column")
    missing = [c for c in REALISED_COLUMNS if c not in raw.columns]
    for c in missing:
        P("missing_columns", "error", None, c, None, f"a column {c!r} (see kotaku_decide/data/realised.py)")
    for c in raw.columns:
        if c not in REALISED_COLUMNS and c not in REALISED_OPTIONAL and "__dup" not in c:
            P("unknown_columns", "info", None, c, raw.attrs.get("headers", {}).get(c, c),
              "a realised-works column", "carried through unchanged, not used")
    if missing or not len(raw):
        return RealisedReport(probs)

    for c in REALISED_COLUMNS:
        for idx in raw.index[raw[c].isna()]:
            P("missing_values", "error", idx, c, None, "a value (this column is required)")

    num = {}
    for c in ("year", "volume", "cost_rp"):
        s = raw[c]
        v = pd.to_numeric(s, errors="coerce").astype(float)
        bad = s.notna() & (v.isna() | ~np.isfinite(v))
        for idx in s.index[bad]:
            hint = " (use '.' as the decimal separator and no thousands separator)" if "," in str(s[idx]) else ""
            P("non_numeric", "error", idx, c, s[idx], ("a year such as 2018" if c == "year" else "a number") + hint)
        num[c] = v.where(~bad)
    yr = num["year"]
    for idx in yr.index[yr.notna() & (yr % 1 != 0)]:
        P("year_not_whole", "error", idx, "year", raw.at[idx, "year"], "a whole year such as 2018")
    for c, what in (("volume", "a volume >= 0 in the criterion's unit"), ("cost_rp", "a cost >= 0 [Rp]")):
        for idx in num[c].index[num[c] < 0]:
            P(f"negative_{'cost' if c == 'cost_rp' else 'volume'}", "error", idx, c, raw.at[idx, c], what)

    ids = baseline["location_id"].astype(str)
    known_ids = set(ids)
    loc = raw["location_id"].astype("string").str.strip()
    for idx in loc.index[loc.notna() & ~loc.isin(known_ids)]:
        close = difflib.get_close_matches(loc[idx], sorted(known_ids), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        P("unknown_location", "error", idx, "location_id", raw.at[idx, "location_id"],
          f"a location_id of the baseline ({len(known_ids)} locations){hint}")

    units = dict(zip(prof.criteria["code"], prof.criteria["unit"]))
    units |= {k: u for k, (_, u) in LOCATION_WORK_UNITS.items()}
    crit = raw["criterion"].astype("string").str.strip()
    for idx in crit.index[crit.notna() & ~crit.isin(units)]:
        close = difflib.get_close_matches(crit[idx].lower(), sorted(units), n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        P("unknown_criterion", "error", idx, "criterion", raw.at[idx, "criterion"],
          f"a criterion code of {prof.name} ({', '.join(prof.codes)}) or resettlement / legalisation{hint}")

    if years is not None:
        ys = sorted(set(int(y) for y in years))
        lo, hi = ys[0], ys[-1]
        for idx in yr.index[yr.notna() & ((yr < lo) | (yr > hi))]:
            P("year_outside_plan", "error", idx, "year", raw.at[idx, "year"], f"a year of the plan, {lo}-{hi}")

    if sources is not None:
        known_src = sorted(set(sources))
        src = raw["source"].astype("string").str.strip()
        for idx in src.index[src.notna() & ~src.isin(known_src)]:
            close = difflib.get_close_matches(src[idx].lower(), known_src, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            P("unknown_source", "error", idx, "source", raw.at[idx, "source"],
              f"a funding source ({', '.join(known_src)}){hint}")

    # volume above what was affected: each row, and the sum over the years per location and criterion
    aff = affected_volumes(baseline, prof)
    ok = loc.isin(known_ids) & crit.isin(units) & num["volume"].notna() & (num["volume"] >= 0) & yr.notna()
    rows = pd.DataFrame({"loc": loc, "crit": crit, "vol": num["volume"], "year": yr})[ok]
    input_key = dict(zip(prof.codes, prof.input_keys))
    for (lid, c), g in rows.groupby(["loc", "crit"], sort=False):
        a = float(aff[c][lid])
        aff_name = LOCATION_WORK_UNITS[c][0] if c in LOCATION_WORK_UNITS else f"vol_{input_key[c]}"
        lim = a * (1 + _TOL) + _TOL
        single = g.index[g["vol"] > lim]
        for idx in single:
            P("volume_over_affected", "error", idx, "volume", raw.at[idx, "volume"],
              f"at most the affected volume {a:g} {units[c]} of criterion {c} at {lid} (baseline {aff_name})")
        g = g.sort_values(["year"], kind="stable")
        run = g["vol"].cumsum()
        over = run.index[(run > lim).to_numpy()]
        if len(over) and not len(single):
            idx = over[0]
            srows = [int(i) + first for i in g.index]
            P("volume_over_affected", "error", idx, "volume", raw.at[idx, "volume"],
              f"volumes of criterion {c} at {lid} summing to at most the affected {a:g} {units[c]} "
              f"(baseline {aff_name})",
              f"rows {srows} sum to {float(run.iloc[-1]):g} {units[c]}; this row takes the sum to "
              f"{float(run[idx]):g}")

    key = [c for c in REALISED_COLUMNS if c in raw.columns]
    dup = raw.duplicated(subset=key, keep="first") & raw[key].notna().all(axis=1)
    for idx in raw.index[dup]:
        firsts = raw.index[(raw[key] == raw.loc[idx, key]).all(axis=1)]
        P("duplicate_row", "warning", idx, None, None, "each realised work once",
          f"rows {[int(i) + first for i in firsts]} are identical: entered twice?")
    # money spent on a location, criterion and year with no volume recorded on any of its rows (a work
    # paid by several sources may carry its volume on one row only)
    g = pd.DataFrame({"loc": loc, "crit": crit, "year": yr, "vol": num["volume"], "cost": num["cost_rp"]})
    tot = g.groupby(["loc", "crit", "year"], dropna=False)[["vol", "cost"]].transform("sum")
    zero = (tot["vol"] == 0) & (tot["cost"] > 0) & (num["cost_rp"] > 0)
    for idx in raw.index[zero.fillna(False)]:
        P("money_without_volume", "info", idx, "volume", raw.at[idx, "volume"], "a volume done",
          "money was spent and nothing is recorded as done for this location, criterion and year "
          "(a work not finished, or failed)")

    report = RealisedReport(probs)
    if report.ok:
        df = pd.DataFrame({"source_row": (raw.index + first).astype(np.int64),
                           "location_id": loc.astype(str).to_numpy(), "criterion": crit.astype(str).to_numpy(),
                           "year": yr.astype(np.int64).to_numpy(), "volume": num["volume"].to_numpy(float),
                           "cost_rp": num["cost_rp"].to_numpy(float),
                           "source": raw["source"].astype(str).str.strip().to_numpy()})
        for c in REALISED_OPTIONAL:
            if c in raw.columns:
                df[c] = raw[c].to_numpy(object)
        df.attrs = {k: raw.attrs[k] for k in ("source", "first_row", "comments") if k in raw.attrs}
        df.attrs["profile"] = prof.name
        report.data = df.reset_index(drop=True)
    return report


def load_realised(path: str | Path | pd.DataFrame, baseline: pd.DataFrame, profile: Profile | str | None = None,
                  years: Iterable[int] | None = None, sources: Iterable[str] | None = None,
                  sheet=None) -> pd.DataFrame:
    """Read and validate a realised-works table; raise :class:`RealisedError` listing every error."""
    raw = path if isinstance(path, pd.DataFrame) else read_realised(path, sheet=sheet)
    report = validate_realised(raw, baseline, profile, years, sources)
    if not report.ok:
        raise RealisedError(report)
    report.data.attrs["warnings"] = [str(p) for p in report.warnings]
    return report.data
