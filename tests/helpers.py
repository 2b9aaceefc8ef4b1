"""Shared test helpers, one module for every test folder (tests/ is on sys.path: pytest puts the folder of the
rootdir conftest.py there; the name ``helpers`` is unique among the test modules).

* paths: ``REPO``, ``DATA``;
* one baseline-row builder, ``location``, over round numbers so that hand computations stay trivial, with
  the three sets of defaults the tests are written against (``ROUND_SITE``, ``ALLOC_SITE``, ``EVIDENCE_SITE``);
* writers: ``write_csv`` (any table), ``write_case`` (a whole allocation case: baseline, catalogue, budget and
  funding rules CSVs), ``write_budget``, ``case_files``, and the ``prepare``-ing variants ``prepare_case`` and
  ``prepare_exact`` that go through the real loaders;
* independent checks the package is compared against: ``band_score`` / ``remaining_max`` (the 14/2018 bands
  by hand), ``brute_cheapest`` (every package enumerated), ``fresh_cleared`` (a fresh solve);
* the small progress case (a plan and realised works worked out by hand);
* headless Chromium through Playwright for the page tests.

Nothing here imports the package at module level except the allocation entry points the writers need.
"""

from __future__ import annotations

import itertools
import math
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kotaku_decide.allocate import SolverOptions, allocate, prepare
from kotaku_decide.data.scenario import load_scenario

REPO = Path(__file__).resolve().parent.parent


def screenshot_dir() -> Path:
    """Where the browser tests save their screenshots: the folder named by ``KOTAKU_SCREENSHOTS`` (set it
    to ``docs/screenshots`` to refresh the README's images), else a temporary folder, so that a test
    run never rewrites tracked files."""
    import tempfile

    env = os.environ.get("KOTAKU_SCREENSHOTS")
    return Path(env).resolve() if env else Path(tempfile.gettempdir()) / "kotaku-decide-screenshots"
DATA = REPO / "data"

# ----------------------------------------------------------------------------------------------------------
# Criteria of Permen PUPR 14/2018 (written out here, independent of the profile tables)

#: the 16 criterion codes
CODES = ["1a", "1b", "1c", "2a", "2b", "3a", "3b", "4a", "4b", "4c", "5a", "5b", "6a", "6b", "7a", "7b"]
#: the baseline column each criterion's volume is a share of
DENOMINATOR = {"1a": "buildings", "1b": "area_ha", "1c": "buildings", "2a": "road_length_ideal_m",
               "2b": "road_length_ideal_m", "3a": "households", "3b": "households", "4a": "area_ha",
               "4b": "drain_length_ideal_m", "4c": "drain_length_ideal_m", "5a": "households", "5b": "households",
               "6a": "households", "6b": "households", "7a": "buildings", "7b": "buildings"}
#: catalogue unit of each denominator
UNIT = {"buildings": "buildings", "households": "households", "road_length_ideal_m": "m", "drain_length_ideal_m": "m",
        "area_ha": "ha"}

# ----------------------------------------------------------------------------------------------------------
# One location (one baseline row)

#: scoring and validation tests: 100 of every denominator (buildings, households, metres of ideal road and
#: drain) and 10 ha, so that a volume in counts or metres equals its share [%]; one Balikpapan kelurahan
ROUND_SITE = {"name": "Kampung {id}", "kelurahan": "Manggar", "kecamatan": "Balikpapan Timur", "city": "Balikpapan",
              "area_ha": 10.0, "buildings": 100, "population": 1800, "households": 100, "road_length_ideal_m": 100,
              "drain_length_ideal_m": 100}
#: allocation tests: 100 buildings and households, 1000 m of ideal road and drain, 10 ha, 400 people; every
#: location in kelurahan K1 of kecamatan A unless a test says otherwise
ALLOC_SITE = {"name": "{id}", "kelurahan": "K1", "kecamatan": "A", "city": "Test", "area_ha": 10.0, "buildings": 100,
              "population": 400, "households": 100, "road_length_ideal_m": 1000, "drain_length_ideal_m": 1000}
#: evidence tests: as ``ALLOC_SITE``, but named "Kampung <id>" (the sentences name it) and each location in
#: its own kelurahan "Kel <id>"
EVIDENCE_SITE = {**ALLOC_SITE, "name": "Kampung {id}", "kelurahan": "Kel {id}"}


#: allocation tests: 11 points on criteria their funding rules leave alone (1a 80 and 1c 80 buildings of 100:
#: 5 each; 6a 30 households of 100: 1); with 2b at 800 m of 1000 (5) an ALLOC_SITE location scores 16, just slum
FIXED_11 = {"1a": 80, "1c": 80, "6a": 30}


def location(location_id: str = "L1", *, shares: dict | None = None, vols: dict | None = None, legal: bool = True,
             site: dict = ROUND_SITE, **columns) -> dict:
    """One baseline row.

    Parameters
    ----------
    location_id : str
        The row's ``location_id``; ``{id}`` in the site's text columns (name, kelurahan) is replaced by it.
    shares : dict, optional
        Criterion code -> share of its denominator [%]; the volume is share / 100 x denominator (0 if the
        denominator is not a number, for rows with a deliberately bad denominator).
    vols : dict, optional
        Criterion code -> affected volume in the denominator's unit (buildings, households, m, ha). A code
        may be given in ``shares`` or ``vols``, not both.
    legal : bool
        ``land_tenure_clear`` yes / no.
    site : dict
        Default columns (denominators, names, population): ``ROUND_SITE``, ``ALLOC_SITE`` or
        ``EVIDENCE_SITE``.
    **columns
        Any column, overriding the defaults (``area_ha=5``, ``kelurahan=None``, ``buildings="x"``, ...).
        ``vol_<code>`` columns override the volumes computed from ``shares`` / ``vols``.

    Returns
    -------
    dict
        Column -> value, with a ``vol_<code>`` for each of the 16 criteria.
    """
    shares, vols = shares or {}, vols or {}
    both = set(shares) & set(vols)
    if both:
        raise ValueError(f"criteria {sorted(both)} given both as shares and as volumes")
    row = {"location_id": location_id}
    row.update({k: v.replace("{id}", location_id) if isinstance(v, str) else v for k, v in site.items()})
    row.update({"strategic_location": "no", "socioeconomic_potential": "no",
                "land_tenure_clear": "yes" if legal else "no", "spatial_plan_conform": "yes"})
    row.update({k: v for k, v in columns.items() if not k.startswith("vol_")})
    for c in CODES:
        if c in vols:
            row[f"vol_{c}"] = vols[c]
            continue
        try:
            den = float(row[DENOMINATOR[c]])
        except (TypeError, ValueError):  # a deliberately bad denominator: volumes stay 0
            den = 0.0
        row[f"vol_{c}"] = shares.get(c, 0.0) / 100.0 * den
    row.update({k: v for k, v in columns.items() if k.startswith("vol_")})
    return row


def three_random_sites(rng) -> list[dict]:
    """Three ``ALLOC_SITE`` locations L0-L2 (kelurahan K0-K2) for the brute-force tests: 1a 80, and 1c, 2b,
    4b, 5a and the area drawn from ``rng`` in this order (the draws fix the instances of those tests)."""
    locs = []
    for k in range(3):
        vols = {"1a": 80, "1c": int(rng.choice([30, 60, 80]))}
        vols["2b"] = int(rng.choice([600, 800, 900]))
        vols["4b"] = int(rng.choice([0, 600, 850]))
        vols["5a"] = int(rng.choice([55, 80, 95]))
        locs.append(location(f"L{k}", site=ALLOC_SITE, area_ha=float(rng.integers(2, 12)), kelurahan=f"K{k}",
                             vols=vols))
    return locs


def four(location_id: str, area_ha: float, crits=("3a", "3b", "5a", "5b"), **kw) -> dict:
    """An evidence-test slum location (``EVIDENCE_SITE``) with four household criteria at 80 households of 100
    (score 5 each: total 20, five points to lose); ``kw`` as for ``location``."""
    return location(location_id, site=EVIDENCE_SITE, area_ha=area_ha, vols={c: 80 for c in crits}, **kw)


def problem_keys(report, severity: str | None = None) -> set[tuple]:
    """(check, row, column) of every problem of a validation report, or of those of one ``severity``."""
    return {(p.check, p.row, p.column) for p in report.problems if severity is None or p.severity == severity}


# ----------------------------------------------------------------------------------------------------------
# Writers

def write_csv(folder: Path, rows: list[dict], name: str = "baseline.csv") -> Path:
    """Write ``rows`` (dicts) as ``folder/name`` without an index; return the path."""
    p = Path(folder) / name
    pd.DataFrame(rows).to_csv(p, index=False)
    return p


#: catalogue unit costs [Rp per unit] of an allocation case: Rp 1 M per unit of every work and per ha of
#: legalisation, Rp 10 M per household resettled
UNIT_COST = {**{c: 1_000_000 for c in CODES}, "resettlement": 10_000_000, "legalisation": 1_000_000}
#: solver settings of ``prepare_case``
CASE_SOLVER = {"time_limit_s": 30, "tie_break_time_s": 0.5}
#: solver settings of ``prepare_exact``: optimal to the last rupiah, in this process
EXACT_SOLVER = {"time_limit_s": 30, "tie_break_time_s": 0.2, "mip_rel_gap": 0.0, "subprocess": False}
#: solver options for ``allocate(inp=..., solver=EXACT)`` and the evidence functions
EXACT = SolverOptions(time_limit_s=30, mip_rel_gap=0.0, subprocess=False, tie_break_time_s=0.0)


def case_files(folder: Path) -> dict[str, str]:
    """The scenario's ``data`` section for a case written by ``write_case`` into ``folder``."""
    folder = Path(folder)
    return {"baseline": str(folder / "baseline.csv"), "costs": str(folder / "costs.csv"),
            "budget": str(folder / "budget.csv"), "funding_rules": str(folder / "rules.csv")}


def write_budget(folder: Path, budgets: dict, name: str = "budget.csv") -> Path:
    """Write ``{(source, year): budget [Rp]}`` as a budget CSV; return its path."""
    p = Path(folder) / name
    pd.DataFrame([{"source": s, "year": y, "budget_rp": b} for (s, y), b in budgets.items()]).to_csv(p, index=False)
    return p


def write_case(folder: Path, locs: list[dict], budgets: dict, frules: dict | None = None,
               unit_cost: dict | None = None, extra_works=()) -> dict[str, str]:
    """Write a whole allocation case as files: baseline, catalogue, budget and funding rules CSVs.

    Parameters
    ----------
    folder : Path
        Where ``baseline.csv``, ``costs.csv``, ``budget.csv`` and ``rules.csv`` are written.
    locs : list of dict
        Baseline rows (``location``).
    budgets : dict
        ``{(source, year): budget [Rp]}``.
    frules : dict, optional
        Funding rules per source: ``{source: {"eligible", "authorities", "cap" [Rp], "carry_over"}}``; by
        default every source of ``budgets`` with no restriction.
    unit_cost : dict, optional
        Unit costs [Rp per unit] replacing those of ``UNIT_COST`` (keys: criterion codes, "resettlement",
        "legalisation").
    extra_works : iterable of dict
        More catalogue rows.

    Returns
    -------
    dict
        The scenario's ``data`` section (``case_files``).
    """
    folder = Path(folder)
    uc = {**UNIT_COST, **(unit_cost or {})}
    write_csv(folder, locs)
    cat = [{"work_id": f"W{c}", "criterion": c, "work": f"work {c}", "unit": UNIT[DENOMINATOR[c]],
            "unit_cost_rp": uc[c], "source": "test", "status": "test"} for c in CODES]
    cat += [{"work_id": "RES", "criterion": "resettlement", "work": "resettle", "unit": "households",
             "unit_cost_rp": uc["resettlement"], "source": "test", "status": "test"},
            {"work_id": "LEG", "criterion": "legalisation", "work": "legalise", "unit": "ha",
             "unit_cost_rp": uc["legalisation"], "source": "test", "status": "test"}]
    cat += list(extra_works)
    write_csv(folder, cat, "costs.csv")
    write_budget(folder, budgets)
    rl = frules or {s: {} for s in sorted({s for s, _ in budgets})}
    write_csv(folder, [{"source": s, "label": s, "eligible": r.get("eligible", "all"),
                        "authorities": r.get("authorities", "all"), "per_kelurahan_cap_rp": r.get("cap", ""),
                        "carry_over": r.get("carry_over", "no"), "provenance": "test"} for s, r in rl.items()],
              "rules.csv")
    return case_files(folder)


def prepare_case(folder: Path, locs: list[dict], budgets: dict, frules: dict | None = None,
                 unit_cost: dict | None = None, years=(2017, 2018), *, extra_works=(), **scenario):
    """Write a case (``write_case``) and return its prepared input through the real loaders.

    ``years``: first and last planning year; ``scenario``: further scenario sections (``rules={...}``,
    ``options={...}``, ``objective={...}``, ``funding={...}``, ``solver={...}``), each merged key by key into
    the defaults (solver: ``CASE_SOLVER``).
    """
    return _prepare(folder, locs, budgets, frules, unit_cost, years, CASE_SOLVER, extra_works, scenario)


def prepare_exact(folder: Path, locs: list[dict], budgets: dict, frules: dict | None = None,
                  unit_cost: dict | None = None, years=(2017,), *, extra_works=(), **scenario):
    """``prepare_case`` as the evidence tests use it: one year by default, exact solver settings
    (``EXACT_SOLVER``) and resettlement at Rp 50 M per household unless ``unit_cost`` says otherwise."""
    uc = {"resettlement": 50_000_000, **(unit_cost or {})}
    return _prepare(folder, locs, budgets, frules, uc, years, EXACT_SOLVER, extra_works, scenario)


def _prepare(folder, locs, budgets, frules, unit_cost, years, solver, extra_works, scenario):
    sc = {"data": write_case(folder, locs, budgets, frules, unit_cost, extra_works),
          "years": {"start": years[0], "end": years[-1]}, "solver": dict(solver)}
    for k, v in scenario.items():
        sc.setdefault(k, {}).update(v)
    return prepare(load_scenario(sc))


# ----------------------------------------------------------------------------------------------------------
# Independent checks

def band_score(pct: float) -> int:
    """Score of a share [%] under the 14/2018 bands (76 / 51 / 25 %), rounded half-up to 2 decimals first;
    written out here, independent of the profile tables."""
    p = math.floor(pct * 100 + 1e-6 + 0.5) / 100  # half-up to 2 decimals
    return 5 if p >= 76 else 3 if p >= 51 else 1 if p >= 25 else 0


def remaining_max(bound: float, den: float) -> int:
    """Largest whole number of units of ``den`` that leaves a share rounding below ``bound`` [%]."""
    r = math.floor((bound - 0.01) / 100 * den + 1e-9)
    while band_score(100 * r / den) >= band_score(bound):
        r -= 1
    return r


def brute_cheapest(inp, lid: str) -> float:
    """Cheapest set of options [Rp] (at most one per criterion) that brings ``lid`` below the threshold,
    by enumerating every combination (independent of the dynamic programme in packages.py)."""
    loc = inp.locations.set_index("location_id").loc[lid]
    need = int(loc["total_score"]) - (inp.threshold - 1)
    opts = pd.concat([inp.options, inp.unaffordable]) if inp.unaffordable is not None else inp.options
    o = opts[opts["location_id"] == lid]
    prec = inp.precedence
    per = [[None] + list(g.itertuples()) for _, g in o[~o["criterion"].isin(["resettlement", "legalisation"])]
           .groupby("criterion")]
    leg = o[o["criterion"] == "legalisation"]
    best = np.inf
    res = o[o["criterion"] == "resettlement"]
    if len(res):
        best = float(res["cost_rp"].min())
    for combo in itertools.product(*per):
        ch = [c for c in combo if c is not None]
        if sum(c.delta_score for c in ch) < need:
            continue
        crits = {c.criterion for c in ch}
        ok = True
        for before, after in prec:
            has_need_before = any(c in set(o["criterion"]) for c in before)
            if has_need_before and crits & set(after) and not crits & set(before):
                ok = False
        if not ok:
            continue
        cost = sum(c.cost_rp for c in ch)
        if not bool(loc["legal_alloc"]) and ch:
            if leg.empty:
                continue
            cost += float(leg["cost_rp"].iloc[0])
        best = min(best, cost)
    return best


def fresh_cleared(inp_factory, budgets: dict, lid: str, year: int | None = None):
    """Independent check: prepare an input from scratch with ``inp_factory(budgets)`` (which writes the
    budgets to a new file), allocate it (exact), and say whether ``lid`` is cleared by the last year (or by
    ``year``); return (cleared, result)."""
    inp = inp_factory(budgets)
    res = allocate(inp=inp, solver=EXACT)
    ba = res.before_after.set_index("location_id")
    cy = ba.loc[lid, "cleared_year"]
    last = year or inp.years[-1]
    return (not pd.isna(cy)) and int(cy) <= last, res


# ----------------------------------------------------------------------------------------------------------
# The progress case: a two-location city, a plan and realised works, small enough to compute every figure
# by hand. ROUND_SITE denominators (100 of everything), so a volume is its share [%].
# L1: 2b 80 % (score 5), 3a 60 % (3), 5a 90 % (5), 7b 80 % (5): total 18, kumuh ringan (slum from 16).
# L2: 2b 30 % (1): total 1, not slum.

PROGRESS_YEARS = [2017, 2018, 2019]
_PLAN_ROWS = [  # location, criterion, option, quantity, year, source, cost
    ("L1", "2b", "lt25", 60, 2017, "apbn", 100.0),
    ("L1", "3a", "lt25", 40, 2017, "apbd_kota", 40.0),
    ("L1", "5a", "lt51", 40, 2018, "apbn", 30.0),
    ("L1", "5a", "lt51", 40, 2018, "csr", 10.0),
    ("L1", "7b", "lt25", 80, 2019, "apbn", 80.0),
]
_REALISED_ROWS = [  # location, criterion, year, volume, cost, source
    ("L1", "2b", 2017, 60, 100.0, "apbn"),     # done on time and on cost
    ("L1", "3a", 2018, 40, 50.0, "apbd_kota"),  # late (planned 2017), over cost (50 > 40 x 1.05)
    ("L1", "5a", 2018, 20, 10.0, "csr"),        # behind (20 of 40), under cost (10 < 20 x 0.95)
    ("L2", "2b", 2017, 10, 5.0, "csr"),         # not in the plan
]


def progress_baseline(folder: Path) -> pd.DataFrame:
    """The progress case's baseline (L1, L2), written to ``folder/baseline.csv`` and loaded."""
    from kotaku_decide.data.validate import load_baseline

    return load_baseline(write_csv(folder, [location("L1", shares={"2b": 80, "3a": 60, "5a": 90, "7b": 80}),
                                            location("L2", shares={"2b": 30})]))


def progress_plan() -> pd.DataFrame:
    """The adopted plan of the progress case [Rp for ``cost_rp``]."""
    return pd.DataFrame(_PLAN_ROWS, columns=["location_id", "criterion", "option", "quantity", "year", "source",
                                             "cost_rp"])


def progress_realised() -> pd.DataFrame:
    """The realised works of the progress case."""
    return pd.DataFrame(_REALISED_ROWS, columns=["location_id", "criterion", "year", "volume", "cost_rp",
                                                 "source"])


# ----------------------------------------------------------------------------------------------------------
# Headless Chromium for the page tests, driven by Playwright (Debian's chromium, not a downloaded build)

#: JavaScript: elements wider than the viewport, except those inside their own horizontal scroll box
OVERFLOW_JS = """() => {
  const vw = document.documentElement.clientWidth;
  const bad = [];
  const scrolls = el => { for (let p = el.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p).overflowX;
      if ((s === 'auto' || s === 'scroll') && p.getBoundingClientRect().right <= vw + 0.5) return true; }
    return false; };
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if ((r.right > vw + 0.5 || r.left < -0.5) && !scrolls(el))
      bad.push(el.tagName + '.' + el.className + ' ' + Math.round(r.right));
  }
  return {vw: vw, scrollWidth: document.documentElement.scrollWidth, bad: bad.slice(0, 10)};
}"""


def chromium_path() -> str:
    """Path of Debian's chromium; fails under CI and skips elsewhere when it is missing."""
    for c in ("chromium", "chromium-browser"):
        if shutil.which(c):
            return shutil.which(c)
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed; .ci/run installs Debian's chromium package")
    pytest.skip("chromium not installed on this machine")


def launch(p):
    """A headless Chromium from Playwright's ``sync_playwright()`` handle ``p``."""
    return p.chromium.launch(executable_path=chromium_path(), headless=True,
                             args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                   "--disable-component-update", "--no-first-run"])


def playwright_or_fail():
    """Playwright's ``sync_playwright``; fails under CI and skips elsewhere when it is not installed."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright is not installed; .ci/run installs it from PyPI")
        pytest.skip("playwright not installed")
    return sync_playwright
