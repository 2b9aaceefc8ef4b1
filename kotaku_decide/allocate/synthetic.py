"""Seeded synthetic instances for benchmarks (SYNTHETIC: no real place or budget).

:func:`make_instance` writes a baseline, the embedded Balikpapan cost catalogue and rules, and a
budget scaled to the number of locations, and returns scenario overrides that use them. Shares
per criterion are drawn so that about two thirds of the locations are on the slum list; about one
in five is on land that is not legal; kelurahan hold about 3 locations and kecamatan about 10
kelurahan (a national run: 11,000 locations ~ one per kelurahan).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..data.embedded import EMBEDDED

__all__ = ["make_baseline", "make_instance"]

_CODES = ["1a", "1b", "1c", "2a", "2b", "3a", "3b", "4a", "4b", "4c", "5a", "5b", "6a", "6b", "7a", "7b"]
_DEN = {"1a": "buildings", "1b": "area_ha", "1c": "buildings", "2a": "road_length_ideal_m",
        "2b": "road_length_ideal_m", "3a": "households", "3b": "households", "4a": "area_ha",
        "4b": "drain_length_ideal_m", "4c": "drain_length_ideal_m", "5a": "households", "5b": "households",
        "6a": "households", "6b": "households", "7a": "buildings", "7b": "buildings"}


def make_baseline(n: int, seed: int = 2016) -> pd.DataFrame:
    """A synthetic baseline of ``n`` locations (data-contract columns, volumes consistent)."""
    rng = np.random.default_rng(seed)
    area = np.round(rng.lognormal(np.log(6.0), 0.8, n).clip(0.5, 60), 2)
    hh = np.maximum((area * rng.uniform(40, 120, n)).round(), 10)
    df = pd.DataFrame({
        "location_id": [f"SYN-{k:06d}" for k in range(n)],
        "name": [f"Synthetic {k}" for k in range(n)],
        "kelurahan": [f"KEL-{k // 3:05d}" for k in range(n)],
        "kecamatan": [f"KEC-{k // 30:04d}" for k in range(n)],
        "city": [f"CITY-{k // 300:03d}" for k in range(n)],
        "provenance": "SYNTHETIC (kotaku_decide.allocate.synthetic, seed %d)" % seed,
        "area_ha": area, "households": hh, "population": (hh * rng.uniform(3.2, 4.5, n)).round(),
        "buildings": (hh * rng.uniform(0.8, 1.0, n)).round().clip(1),
        "road_length_ideal_m": (area * rng.uniform(150, 300, n)).round(),
        "drain_length_ideal_m": (area * rng.uniform(250, 500, n)).round(),
    })
    sev = rng.beta(3.0, 2.0, n)  # location severity drives all shares
    for c in _CODES:
        den = df[_DEN[c]].to_numpy(float)
        share = np.clip(sev * rng.uniform(0.2, 1.6, n) - rng.uniform(0, 0.25, n), 0, 1)
        share = np.where(rng.random(n) < 0.25, 0.0, share)
        vol = share * den
        vol = np.round(vol, 2) if _DEN[c] == "area_ha" else np.floor(vol)
        df[f"vol_{c}"] = np.minimum(vol, den)
    yes = lambda p: np.where(rng.random(n) < p, "yes", "no")  # noqa: E731
    df["strategic_location"] = yes(0.3)
    df["socioeconomic_potential"] = yes(0.4)
    df["land_tenure_clear"] = yes(0.85)
    df["spatial_plan_conform"] = yes(0.93)
    return df


def make_instance(n: int, folder: str | Path, seed: int = 2016, budget_per_location_rp: float = 0.12e9,
                  years=(2017, 2018, 2019)) -> dict:
    """Write a synthetic instance to ``folder``; return scenario overrides (a dict) using it.

    The yearly budget of each source is the embedded Balikpapan split scaled to
    ``budget_per_location_rp`` x n per year in total.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    make_baseline(n, seed).to_csv(folder / "baseline.csv", index=False)
    bal = pd.read_csv(EMBEDDED["budget"], comment="#")
    bal = bal[bal["year"] == bal["year"].min()].set_index("source")["budget_rp"]
    share = bal / bal.sum()
    rows = [{"source": s, "year": y, "budget_rp": round(float(share[s]) * budget_per_location_rp * n)}
            for s in share.index for y in years]
    with open(folder / "budget.csv", "w") as fh:
        fh.write("# SYNTHETIC budget for a benchmark instance\n")
        pd.DataFrame(rows).to_csv(fh, index=False)
    data = {"baseline": str(folder / "baseline.csv"), "budget": str(folder / "budget.csv"),
            "costs": str(EMBEDDED["costs"]), "funding_rules": str(EMBEDDED["funding_rules"])}
    return {"name": f"synthetic-{n}", "data": data,
            "years": {"start": years[0], "end": years[-1]}}
