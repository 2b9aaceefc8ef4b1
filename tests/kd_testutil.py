"""Shared test helpers: small baseline rows and CSV files, paths to the repository and its data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

CODES_14 = ["1a", "1b", "1c", "2a", "2b", "3a", "3b", "4a", "4b", "4c", "5a", "5b", "6a", "6b", "7a", "7b"]
DENOM_14 = {"1a": "buildings", "1b": "area_ha", "1c": "buildings", "2a": "road_length_ideal_m",
            "2b": "road_length_ideal_m", "3a": "households", "3b": "households", "4a": "area_ha",
            "4b": "drain_length_ideal_m", "4c": "drain_length_ideal_m", "5a": "households", "5b": "households",
            "6a": "households", "6b": "households", "7a": "buildings", "7b": "buildings"}
REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"


def location(location_id="L1", shares=None, **overrides) -> dict:
    """One baseline row with round denominators (100 of everything, 10 ha) and the given shares [%].

    Every denominator is 100 units (area 10 ha) unless overridden, so a volume equals its share for
    counts and metres: hand computations stay trivial. Volumes follow overridden denominators.
    """
    row = {"location_id": location_id, "name": f"Kampung {location_id}", "kelurahan": "Manggar",
           "kecamatan": "Balikpapan Timur", "city": "Balikpapan", "area_ha": 10.0, "buildings": 100,
           "population": 1800, "households": 100, "road_length_ideal_m": 100, "drain_length_ideal_m": 100,
           "strategic_location": "no", "socioeconomic_potential": "no", "land_tenure_clear": "yes",
           "spatial_plan_conform": "yes"}
    row.update({k: v for k, v in overrides.items() if not k.startswith("vol_")})
    shares = shares or {}
    for c in CODES_14:
        try:
            den = float(row[DENOM_14[c]])
        except (TypeError, ValueError):  # a deliberately bad denominator: volumes stay 0
            den = 0.0
        row[f"vol_{c}"] = shares.get(c, 0.0) / 100.0 * den
    row.update({k: v for k, v in overrides.items() if k.startswith("vol_")})
    return row


def write_csv(tmp_path: Path, rows: list[dict], name="baseline.csv") -> Path:
    p = tmp_path / name
    pd.DataFrame(rows).to_csv(p, index=False)
    return p

