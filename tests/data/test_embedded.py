"""The embedded data: the synthetic 2016 baseline and the published 2020 decree table."""

import subprocess
import sys

from kd_testutil import DATA, REPO

from kotaku_decide.data.io import read_table
from kotaku_decide.data.validate import load_baseline, validate
from kotaku_decide.score.consistency import consistency_report, decree_totals, published_levels
from kotaku_decide.score.pipeline import score_file

BASE = DATA / "balikpapan_2016_baseline.csv"
DECREE = DATA / "balikpapan_2020_decree.csv"


def test_baseline_matches_what_is_known():
    df = load_baseline(BASE)
    assert len(df) == 36 and df["location_id"].is_unique
    listed = df[df["decree_listed"]]
    assert len(listed) == 12 and round(listed["area_ha"].sum(), 2) == 282.20
    assert set(listed["decree"]) == {"SK 188.45-667/2014"}
    known = {"Manggar", "Manggar Baru", "Sepinggan", "Baru Ulu", "Baru Tengah", "Baru Ilir", "Muara Rapak",
             "Margasari", "Teritip", "Damai"}
    assert known <= set(listed["kelurahan"]) and listed["kelurahan"].is_unique
    assumed = set(listed.loc[listed["kelurahan_status"] == "assumed", "kelurahan"])
    assert assumed == set(listed["kelurahan"]) - known and len(assumed) == 2
    # the 24 others are in kelurahan other than the 12 priority ones; 6 kecamatan
    others = df[~df["decree_listed"]]
    assert len(others) == 24 and not set(others["kelurahan"]) & set(listed["kelurahan"])
    assert df["kecamatan"].nunique() == 6 and df["kelurahan"].nunique() == 34


def test_baseline_is_marked_synthetic_in_the_file():
    raw = read_table(BASE)
    assert any("SYNTHETIC" in c for c in raw.attrs["comments"])
    assert raw["provenance"].str.startswith("SYNTHETIC").all()
    assert "SYNTHETIC" in (DATA / "README.md").read_text()


def test_generator_is_seeded_and_reproduces_the_committed_file(tmp_path):
    out = tmp_path / "b.csv"
    subprocess.run([sys.executable, str(DATA / "make_balikpapan.py"), str(out)], check=True, cwd=REPO)
    assert out.read_bytes() == BASE.read_bytes()


def test_typologies_shape_the_volumes():
    s = score_file(BASE).scored
    by = s.groupby("typology")
    water_sanit_fire = ["pct_3a", "pct_5a", "pct_7a"]
    road_drain = ["pct_2a", "pct_2b", "pct_4b"]
    wet = s[s["typology"].isin(["atas_air", "pesisir"])]
    hill = s[s["typology"] == "perbukitan"]
    assert (wet[water_sanit_fire].mean() > hill[water_sanit_fire].mean()).all()
    # priority sites (mostly over-water) are worse overall, so compare the shape: roads and drains
    # relative to water, sanitation and fire are a bigger part of a hillside site's problems
    def road_vs_wet(d):
        return d[road_drain].to_numpy().mean() / d[water_sanit_fire].to_numpy().mean()
    assert road_vs_wet(hill) > 1.5 * road_vs_wet(s[s["typology"] == "atas_air"])
    assert set(by.groups) == {"atas_air", "pesisir", "bantaran_sungai", "perbukitan", "dataran_rendah"}


def test_baseline_scores_under_both_profiles():
    a = score_file(BASE, "permen-14-2018").scored
    b = score_file(BASE, "permen-02-2016").scored
    assert a["total_score"].between(0, 80).all() and b["total_score"].between(0, 95).all()
    # the decree locations are slum under 14/2018 in this illustrative data
    assert (a.loc[a["decree_listed"], "slum_level"] != "tidak_kumuh").all()


def test_2020_decree_table_published_facts():
    d = load_baseline(DECREE, published_only=True)
    assert len(d) == 14 and d["kelurahan"].nunique() == 6
    assert round(d["area_ha"].sum(), 2) == 153.30
    assert decree_totals(d)["area_ha"].tolist() == [153.30]
    # classes: all C (kumuh ringan) as printed; levels from the published scores
    assert d["published_class"].str.startswith("C").all()
    lv = published_levels(d)
    assert (lv[d["name"] != "Apung"] == "ringan").all() and lv[d["name"] == "Apung"].item() == "tidak_kumuh"


def test_2020_decree_consistency_report_flags_apung_only():
    d = load_baseline(DECREE, published_only=True)
    c = consistency_report(d)
    assert set(c["name"]) == {"Apung"}
    assert set(c["check"]) == {"listed_not_slum", "published_class_letter"}
    msg = c.loc[c["check"] == "listed_not_slum", "message"].item()
    assert "15" in msg and "16" in msg


def test_2020_decree_cannot_be_scored_without_volumes():
    r = validate(DECREE)
    assert not r.ok and {p.check for p in r.errors} == {"missing_columns"}


def test_consistency_report_on_scored_data_compares_published_scores(make_csv):
    from kd_testutil import location

    from kotaku_decide.score.scoring import score_table

    rows = [location("A", {"1a": 30}, decree_listed="ya", decree="SK 1/2020", published_score=18),
            location("B", {c: 60 for c in ["1a", "1b", "1c", "2a", "2b", "3a", "3b", "4a", "4b", "4c", "5a", "5b",
                                           "6a", "6b", "7a", "7b"]}, decree_listed="tidak", published_score=48,
                     published_class="C1")]
    s = score_table(load_baseline(make_csv(rows)))
    c = consistency_report(s)
    got = set(zip(c["location_id"], c["check"]))
    # A: total 1, listed -> listed_not_slum; published 18 != 1. B: total 48 = published (no finding);
    # sedang but class C1 -> letter mismatch; not listed but sedang -> slum_not_listed
    assert got == {("A", "listed_not_slum"), ("A", "published_score_differs"), ("B", "published_class_letter"),
                   ("B", "published_class_differs"), ("B", "slum_not_listed")}
