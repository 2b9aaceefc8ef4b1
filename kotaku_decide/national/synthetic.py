"""Seeded SYNTHETIC national instances: provinces, cities of lognormal sizes, local and shared budgets.

Nothing here is a real place or a real budget. :func:`make_national` writes a baseline (one row per
location with its city and province), a budget table with scopes - APBN for the whole country
(``national``), APBD Provinsi per province, APBD Kota, DAK, CSR and swadaya per city - and the rules
table, and returns scenario overrides that use them with the embedded (ILLUSTRATIVE) cost catalogue.

Shape of the default instance (KOTAKU's national scale, kotaku-context.md: about 11,000 kelurahan in
269 cities and regencies of 34 provinces): 34 provinces, 270 cities with lognormal sizes clipped to
10-300 locations and adjusted to 11,000 locations in all (mean about 41). Local budgets differ by city
(a lognormal factor per city and source), provincial envelopes by province. :func:`make_mini` is the
small case (2 provinces x 6 cities x 40 locations) that the monolithic model can prove, for tests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..allocate.synthetic import make_baseline
from ..data.embedded import EMBEDDED

__all__ = ["city_sizes", "make_national", "make_mini", "NATIONAL_SOURCES"]

#: Share of each source in a city's yearly money (the embedded Balikpapan split, ILLUSTRATIVE).
NATIONAL_SOURCES = {"apbn": 0.25, "apbd_prov": 0.1667, "apbd_kota": 0.3333, "dak": 0.1111, "csr": 0.0833,
                    "swadaya": 0.0444}
_RULES = [
    ("apbn", "APBN (PUPR, incl. community grants BPM/BDI)", "APBN (Kementerian PUPR, termasuk BPM/BDI)",
     "road;water;drainage;wastewater;solid_waste;fire", "all", 1_000_000_000, "no",
     "SYNTHETIC: shared by every city (scope national); community grants capped at Rp 1 bn per kelurahan a year"),
    ("apbd_prov", "APBD Provinsi", "APBD Provinsi", "all", "province;central", "", "no",
     "SYNTHETIC: shared by the cities of one province, for slum areas of 10 ha and more"),
    ("apbd_kota", "APBD Kota/Kabupaten", "APBD Kota/Kabupaten", "all", "city;province;central", "", "yes",
     "SYNTHETIC: the city's own money; unspent money carries over (SiLPA)"),
    ("dak", "DAK (drinking water and sanitation)", "DAK (air minum dan sanitasi)", "water;wastewater", "all", "",
     "no", "SYNTHETIC: per city"),
    ("csr", "CSR (private companies)", "CSR (perusahaan swasta)",
     "building;fire;solid_waste;resettlement;legalisation", "all", "", "yes", "SYNTHETIC: per city"),
    ("swadaya", "Swadaya (community self-help)", "Swadaya (swadaya masyarakat)",
     "road;water;drainage;wastewater;solid_waste;fire", "all", "", "no", "SYNTHETIC: per city"),
]


def city_sizes(n_cities: int = 270, total: int = 11_000, lo: int = 10, hi: int = 300, sigma: float = 0.75,
               seed: int = 2016) -> np.ndarray:
    """Locations per city: lognormal, clipped to ``[lo, hi]`` and adjusted to ``total`` exactly.

    The lognormal's median is chosen so that the clipped mean is ``total / n_cities``; the remainder
    after rounding is spread one location at a time over random cities that stay within the bounds.
    """
    if not lo * n_cities <= total <= hi * n_cities:
        raise ValueError(f"{total} locations cannot be split into {n_cities} cities of {lo}-{hi}")
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(n_cities)
    target = total / n_cities
    a, b = np.log(lo), np.log(hi)
    for _ in range(60):  # bisection on the log-median
        mu = (a + b) / 2
        m = np.clip(np.exp(mu + sigma * z), lo, hi).mean()
        a, b = (mu, b) if m < target else (a, mu)
    size = np.clip(np.round(np.exp(mu + sigma * z)), lo, hi).astype(int)
    diff = total - int(size.sum())
    while diff != 0:
        k = int(rng.integers(n_cities))
        step = 1 if diff > 0 else -1
        if lo <= size[k] + step <= hi:
            size[k] += step
            diff -= step
    return size


def _provinces(n_cities: int, n_provinces: int, rng) -> np.ndarray:
    """Province index of each city: every province at least two cities, the rest at random (uneven)."""
    if n_cities < 2 * n_provinces:
        raise ValueError(f"{n_cities} cities cannot give each of {n_provinces} provinces two cities")
    prov = np.concatenate([np.repeat(np.arange(n_provinces), 2),
                           rng.choice(n_provinces, n_cities - 2 * n_provinces, p=rng.dirichlet(np.ones(n_provinces)))])
    return np.sort(prov)


def make_national(folder, n_provinces: int = 34, n_cities: int = 270, total: int = 11_000, seed: int = 2016,
                  years=(2017, 2018, 2019), budget_per_location_rp: float = 0.12e9, sizes=None,
                  name: str = "national-synthetic", even: bool = False) -> dict:
    """Write a SYNTHETIC national instance to ``folder``; return scenario overrides that use it.

    Parameters
    ----------
    folder : output folder (``baseline.csv``, ``budget.csv``, ``rules.csv``)
    n_provinces, n_cities, total : provinces, cities and locations
    seed : random seed (the same seed writes the same files)
    years : planning years
    budget_per_location_rp : money per location and year over all sources on average [Rp]; each city
        gets ``n_c x`` this x a lognormal factor (sigma 0.5) per source, each province's APBD
        Provinsi a factor of its own
    sizes : locations per city (default :func:`city_sizes`)
    even : the same number of cities in every province (else at least two each, the rest at random)

    Cities are named ``C001``..., provinces ``P01``..., kelurahan ``KEL-00``... (kelurahan names repeat
    across cities, as real ones do); every row's ``provenance`` says SYNTHETIC.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed + 1)
    size = np.asarray(sizes if sizes is not None else city_sizes(n_cities, total, seed=seed), int)
    n_cities, total = len(size), int(size.sum())
    prov_of = np.sort(np.arange(n_cities) % n_provinces) if even else _provinces(n_cities, n_provinces, rng)
    pname = [f"P{p + 1:02d}" for p in range(n_provinces)]
    cname = [f"C{c + 1:03d}" for c in range(n_cities)]
    base = make_baseline(total, seed)
    city = np.repeat(np.arange(n_cities), size)
    k_in_city = np.concatenate([np.arange(s) for s in size])
    base["city"] = np.array(cname, dtype=object)[city]
    base.insert(base.columns.get_loc("city") + 1, "province", np.array(pname, dtype=object)[prov_of[city]])
    base["kelurahan"] = [f"KEL-{k // 3:02d}" for k in k_in_city]  # names repeat across cities, as in reality
    base["kecamatan"] = [f"{cname[c]}-K{k // 30}" for c, k in zip(city, k_in_city)]
    base["location_id"] = [f"{cname[c]}-{k:03d}" for c, k in zip(city, k_in_city)]
    base["name"] = base["location_id"]
    base["provenance"] = "SYNTHETIC"
    for c in base.columns:  # whole numbers written without ".0" (a smaller file)
        if base[c].dtype.kind == "f" and np.all(base[c].to_numpy() == np.round(base[c].to_numpy())) \
                and c not in ("area_ha", "vol_1b", "vol_4a"):
            base[c] = base[c].astype(np.int64)
    with open(folder / "baseline.csv", "w", encoding="utf-8") as fh:
        fh.write(f"# SYNTHETIC national baseline (kotaku_decide.national.synthetic, seed {seed}): no real place\n")
        base.to_csv(fh, index=False)
    rows = []
    prov_factor = rng.lognormal(0.0, 0.4, n_provinces)
    city_factor = {s: rng.lognormal(0.0, 0.5, n_cities) for s in NATIONAL_SOURCES}
    apbn = sum(NATIONAL_SOURCES["apbn"] * budget_per_location_rp * size)
    for y in years:
        rows.append({"source": "apbn", "scope": "national", "year": y, "budget_rp": int(round(float(apbn), -6))})
    for p in range(n_provinces):
        n_p = size[prov_of == p].sum()
        b = NATIONAL_SOURCES["apbd_prov"] * budget_per_location_rp * n_p * prov_factor[p]
        for y in years:
            rows.append({"source": "apbd_prov", "scope": f"province:{pname[p]}", "year": y,
                         "budget_rp": int(round(b, -6))})
    for s in ("apbd_kota", "dak", "csr", "swadaya"):
        for c in range(n_cities):
            b = NATIONAL_SOURCES[s] * budget_per_location_rp * size[c] * city_factor[s][c]
            for y in years:
                rows.append({"source": s, "scope": f"city:{cname[c]}", "year": y, "budget_rp": int(round(b, -6))})
    with open(folder / "budget.csv", "w", encoding="utf-8") as fh:
        fh.write(f"# SYNTHETIC budgets with scopes (kotaku_decide.national.synthetic, seed {seed}): APBN national, "
                 "APBD Provinsi per province, the rest per city; not any government's budget\n")
        pd.DataFrame(rows).to_csv(fh, index=False)
    with open(folder / "rules.csv", "w", encoding="utf-8") as fh:
        fh.write("# SYNTHETIC / ILLUSTRATIVE funding rules for the national synthetic instance "
                 "(the embedded Balikpapan rules with generic labels)\n")
        pd.DataFrame(_RULES, columns=["source", "label", "label_id", "eligible", "authorities", "per_kelurahan_cap_rp",
                                      "carry_over", "provenance"]).to_csv(fh, index=False)
    return {"name": name, "data": {"baseline": str(folder / "baseline.csv"), "budget": str(folder / "budget.csv"),
                                   "costs": str(EMBEDDED["costs"]), "funding_rules": str(folder / "rules.csv")},
            "years": {"start": years[0], "end": years[-1]}}


def make_mini(folder, seed: int = 7, years=(2017, 2018, 2019), budget_per_location_rp: float = 0.12e9,
              per_city: int = 40) -> dict:
    """The mini-national case: 2 provinces x 6 cities x ``per_city`` locations, SYNTHETIC, for tests.

    With 40 locations per city (480) the monolithic model does not prove its optimum in minutes on this
    machine (docs/national.md); the tests use ``per_city=3`` (36 locations), which HiGHS proves in
    seconds, and keep the 12 cities and 3 shared envelopes x 3 years of the full case.
    """
    return make_national(folder, n_provinces=2, n_cities=12, total=12 * per_city, seed=seed, years=years,
                         budget_per_location_rp=budget_per_location_rp, sizes=[per_city] * 12, name="mini-national",
                         even=True)
