"""Generate the illustrative Balikpapan 2016 baseline (SYNTHETIC volumes), seeded and reproducible.

    python data/make_balikpapan.py            # writes data/balikpapan_2016_baseline.csv

What is real (kotaku-context.md): the 6 kecamatan and 34 kelurahan; the 2014 mayor's decree
SK 188.45-667/2014 with 12 priority kelurahan, ten of them known by name; 282.20 ha for the 12
priority locations; 24 further kelurahan locations; the typologies (over-water and coastal
settlements, riverbank, hillside). What is invented: the two priority kelurahan not known by
name (Klandasan Ilir and Karang Jati, marked ``assumed``), every site's area split, all
denominators, all volumes, other considerations, legality and coordinates. The volumes are drawn
from typology-specific Beta distributions so that over-water and coastal sites are worse on water,
wastewater and fire protection, and hillside sites worse on roads and drainage.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 2016
CODES = ["1a", "1b", "1c", "2a", "2b", "3a", "3b", "4a", "4b", "4c", "5a", "5b", "6a", "6b", "7a", "7b"]
DENOM = {"1a": "buildings", "1b": "area_ha", "1c": "buildings", "2a": "road_length_ideal_m",
         "2b": "road_length_ideal_m", "3a": "households", "3b": "households", "4a": "area_ha",
         "4b": "drain_length_ideal_m", "4c": "drain_length_ideal_m", "5a": "households", "5b": "households",
         "6a": "households", "6b": "households", "7a": "buildings", "7b": "buildings"}
#: mean share affected per criterion, by typology (order of CODES)
TYPOLOGY_MEAN = {
    "atas_air":        [.60, .40, .55, .35, .45, .62, .50, .20, .55, .45, .80, .75, .60, .55, .75, .72],
    "pesisir":         [.45, .30, .45, .30, .40, .52, .42, .30, .40, .38, .62, .58, .50, .45, .62, .58],
    "bantaran_sungai": [.45, .30, .40, .38, .42, .38, .32, .52, .48, .45, .52, .48, .45, .42, .45, .45],
    "perbukitan":      [.30, .15, .35, .55, .60, .30, .35, .38, .58, .52, .35, .35, .35, .35, .45, .40],
    "dataran_rendah":  [.25, .15, .25, .25, .30, .20, .20, .30, .30, .30, .30, .30, .30, .30, .30, .30],
}
KECAMATAN_CENTRE = {"Balikpapan Barat": (-1.235, 116.805), "Balikpapan Kota": (-1.268, 116.830),
                    "Balikpapan Selatan": (-1.262, 116.870), "Balikpapan Tengah": (-1.245, 116.838),
                    "Balikpapan Timur": (-1.215, 116.960), "Balikpapan Utara": (-1.205, 116.850)}
DECREE = "SK 188.45-667/2014"
# (kelurahan, kecamatan, typology, area_ha, kelurahan status) for the 12 decree locations; areas sum to 282.20 ha
PRIORITY = [
    ("Manggar", "Balikpapan Timur", "pesisir", 45.60, "known"),
    ("Manggar Baru", "Balikpapan Timur", "pesisir", 18.40, "known"),
    ("Sepinggan", "Balikpapan Selatan", "pesisir", 32.75, "known"),
    ("Baru Ulu", "Balikpapan Barat", "atas_air", 21.30, "known"),
    ("Baru Tengah", "Balikpapan Barat", "atas_air", 24.85, "known"),
    ("Baru Ilir", "Balikpapan Barat", "atas_air", 19.60, "known"),
    ("Muara Rapak", "Balikpapan Utara", "bantaran_sungai", 26.40, "known"),
    ("Margasari", "Balikpapan Barat", "atas_air", 23.15, "known"),
    ("Teritip", "Balikpapan Timur", "pesisir", 17.90, "known"),
    ("Damai", "Balikpapan Kota", "bantaran_sungai", 14.25, "known"),
    ("Klandasan Ilir", "Balikpapan Kota", "atas_air", 16.80, "assumed"),
    ("Karang Jati", "Balikpapan Tengah", "bantaran_sungai", 21.20, "assumed"),
]
OTHERS = [
    ("Kariangau", "Balikpapan Barat", "pesisir"), ("Margo Mulyo", "Balikpapan Barat", "perbukitan"),
    ("Klandasan Ulu", "Balikpapan Kota", "perbukitan"), ("Prapatan", "Balikpapan Kota", "pesisir"),
    ("Telaga Sari", "Balikpapan Kota", "dataran_rendah"), ("Damai Bahagia", "Balikpapan Selatan", "dataran_rendah"),
    ("Damai Baru", "Balikpapan Selatan", "dataran_rendah"), ("Gunung Bahagia", "Balikpapan Selatan", "perbukitan"),
    ("Sepinggan Baru", "Balikpapan Selatan", "dataran_rendah"), ("Sepinggan Raya", "Balikpapan Selatan", "pesisir"),
    ("Sungai Nangka", "Balikpapan Selatan", "bantaran_sungai"), ("Gunung Sari Ilir", "Balikpapan Tengah", "perbukitan"),
    ("Gunung Sari Ulu", "Balikpapan Tengah", "bantaran_sungai"), ("Gunung Sari Ulu", "Balikpapan Tengah", "perbukitan"),
    ("Karang Rejo", "Balikpapan Tengah", "perbukitan"), ("Mekar Sari", "Balikpapan Tengah", "dataran_rendah"),
    ("Sumber Rejo", "Balikpapan Tengah", "perbukitan"), ("Lamaru", "Balikpapan Timur", "pesisir"),
    ("Batu Ampar", "Balikpapan Utara", "perbukitan"), ("Graha Indah", "Balikpapan Utara", "dataran_rendah"),
    ("Gunung Samarinda", "Balikpapan Utara", "perbukitan"), ("Gunung Samarinda Baru", "Balikpapan Utara", "perbukitan"),
    ("Karang Joang", "Balikpapan Utara", "perbukitan"), ("Karang Joang", "Balikpapan Utara", "dataran_rendah"),
]
TYPO_NAME = {"atas_air": "Kampung Atas Air", "pesisir": "Pesisir", "bantaran_sungai": "Bantaran Sungai",
             "perbukitan": "Perbukitan", "dataran_rendah": "Permukiman"}
PROVENANCE = ("SYNTHETIC (illustrative): volumes, denominators, site areas and attributes generated by "
              f"data/make_balikpapan.py seed {SEED}; only the decree, the kelurahan and the 282.20 ha total "
              "of the 12 priority locations follow the 2016 Balikpapan workshop")
HEADER = [
    "SYNTHETIC ILLUSTRATIVE DATA - not Balikpapan's measured baseline.",
    f"Generated by data/make_balikpapan.py (seed {SEED}); see data/README.md for what is real and what is invented.",
    "12 priority locations of SK 188.45-667/2014 (282.20 ha; Klandasan Ilir and Karang Jati are assumed)"
    " + 24 other locations.",
]


def generate(seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    sites = [(k, kc, t, a, st, True) for k, kc, t, a, st in PRIORITY]
    other_areas = np.round(rng.uniform(2.0, 12.0, len(OTHERS)), 2)
    sites += [(k, kc, t, float(a), "known", False) for (k, kc, t), a in zip(OTHERS, other_areas)]
    seen: dict[str, int] = {}
    for n, (kel, kec, typo, area, status, listed) in enumerate(sites):
        seen[kel] = seen.get(kel, 0) + 1
        dens_b = rng.uniform(55, 85) if typo in ("atas_air", "pesisir") else rng.uniform(30, 65)
        buildings = int(round(area * dens_b))
        population = int(round(buildings * rng.uniform(4.2, 5.2)))
        households = int(round(population / rng.uniform(3.6, 4.2)))
        road = float(round(area * rng.uniform(180, 260)))
        drain = float(round(road * rng.uniform(1.6, 2.0)))
        den = {"area_ha": area, "buildings": buildings, "households": households,
               "road_length_ideal_m": road, "drain_length_ideal_m": drain}
        mult = rng.uniform(1.05, 1.4) if listed else rng.uniform(0.55, 1.05)
        mean = np.clip(np.array(TYPOLOGY_MEAN[typo]) * mult, 0.02, 0.95)
        conc = 10.0
        share = rng.beta(mean * conc, (1 - mean) * conc)
        row = {
            "location_id": f"BPN-{'P' if listed else 'O'}{(n + 1) if listed else (n - 11):02d}",
            "name": f"{TYPO_NAME[typo]} {kel}" + (f" {seen[kel]}" if seen[kel] > 1 else ""),
            "kelurahan": kel, "kecamatan": kec, "city": "Balikpapan",
            "kawasan": f"{TYPO_NAME[typo]} {kel}" + (f" {seen[kel]}" if seen[kel] > 1 else ""),
            "typology": typo,
            "decree": DECREE if listed else "",
            "decree_listed": "yes" if listed else "no",
            "kelurahan_status": status,
            "provenance": PROVENANCE,
        }
        lat0, lon0 = KECAMATAN_CENTRE[kec]
        row["lat"] = round(lat0 + rng.normal(0, 0.008), 5)
        row["lon"] = round(lon0 + rng.normal(0, 0.008), 5)
        row.update(area_ha=area, buildings=buildings, population=population, households=households,
                   road_length_ideal_m=road, drain_length_ideal_m=drain)
        for code, s in zip(CODES, share):
            d = den[DENOM[code]]
            v = s * d
            row[f"vol_{code}"] = round(v, 2) if DENOM[code] == "area_ha" else int(round(v))
        # 02/2016-only parameters (drains not connected / not maintained, waste facilities not maintained)
        row["vol_drain_unconnected"] = int(round(min(1.0, share[8] * rng.uniform(0.6, 1.1)) * drain))
        row["vol_drain_unmaintained"] = int(round(min(1.0, share[9] * rng.uniform(0.8, 1.2)) * drain))
        row["vol_waste_unmaintained"] = int(round(min(1.0, share[12] * rng.uniform(0.7, 1.1)) * households))
        row["strategic_location"] = "yes" if rng.random() < (0.6 if listed else 0.35) else "no"
        row["socioeconomic_potential"] = "yes" if rng.random() < 0.5 else "no"
        p_tenure = 0.45 if typo == "atas_air" else 0.9
        row["land_tenure_clear"] = "yes" if rng.random() < p_tenure else "no"
        row["spatial_plan_conform"] = "yes" if rng.random() < (0.6 if typo == "atas_air" else 0.92) else "no"
        rows.append(row)
    df = pd.DataFrame(rows)
    total = round(df.loc[df["decree_listed"] == "yes", "area_ha"].sum(), 2)
    assert total == 282.20, total
    assert len(df) == 36 and (df["decree_listed"] == "yes").sum() == 12
    return df


def write(path: Path, df: pd.DataFrame) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        for line in HEADER:
            fh.write(f"# {line}\n")
        df.to_csv(fh, index=False, lineterminator="\n")
    tmp.replace(path)


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Write the SYNTHETIC Balikpapan 2016 baseline (seed 2016).")
    ap.add_argument("out", nargs="?", type=Path, default=Path(__file__).parent / "balikpapan_2016_baseline.csv",
                    help="output CSV (default: the embedded baseline beside this script)")
    out = ap.parse_args().out
    write(out, generate())
    print(f"wrote {out}")
