"""Official scoring against hand-computed values (slum-scoring.md; Permen PUPR 14/2018 Lampiran I)."""

import numpy as np
import pandas as pd
import pytest
from kd_testutil import CODES_14, location

from kotaku_decide.data.profiles import load_profile
from kotaku_decide.data.validate import load_baseline
from kotaku_decide.score.scoring import (
    ScoringError,
    aggregate,
    contribution_of_handling,
    criterion_scores,
    criterion_shares,
    legality,
    round_half_up,
    score_permen,
    score_table,
    slum_level,
)

P14 = load_profile("permen-14-2018")
P16 = load_profile("permen-02-2016")


@pytest.mark.parametrize("pct,score", [
    (0, 0), (24.99, 0), (24.994, 0), (24.995, 1), (25, 1), (50, 1), (50.5, 1), (50.99, 1), (51, 3),
    (75.5, 3), (75.91, 3), (75.99, 3), (75.995, 5), (76, 5), (100, 5),
])
def test_criterion_band_edges_14_2018(pct, score):
    # rule: round to 2 decimals half up, then >=76 -> 5, >=51 -> 3, >=25 -> 1, else 0
    assert criterion_scores(np.array([pct]), P14)[0] == score


@pytest.mark.parametrize("pct,score", [(0, 0), (24.99, 0), (24.995, 1), (25, 1), (50.5, 1), (51, 3), (75.91, 3),
                                       (76, 5), (100, 5)])
def test_criterion_band_edges_02_2016(pct, score):
    # Lampiran II scores 25-50 % as 1 and gives nothing below 25 %; since issue 14 shares below 25 % score 0
    # (an unconfirmed profile row) so that the programme's "below 19" clearance can be reached
    assert criterion_scores(np.array([pct]), P16)[0] == score


def test_rounding_is_robust_to_binary_representation():
    # 75.995 is stored as 75.99499999999999; naive rounding gives 75.99
    assert round_half_up(np.array([75.995]), 2)[0] == 76.0
    assert round_half_up(np.array([24.994999]), 2)[0] == 24.99
    # a share computed as a quotient: 7599.5 / 100 buildings... 15199 of 20000 = 75.995 %
    pct = criterion_shares(np.array([[15199.0]]), np.array([[20000.0]]))
    assert criterion_scores(pct, P14)[0, 0] == 5


@pytest.mark.parametrize("total,level", [(0, "tidak_kumuh"), (15, "tidak_kumuh"), (16, "ringan"), (37, "ringan"),
                                         (38, "sedang"), (59, "sedang"), (60, "berat"), (80, "berat")])
def test_total_band_edges_14_2018(total, level):
    from kotaku_decide.data.profiles import SLUM_LEVELS
    assert SLUM_LEVELS[slum_level(np.array([total]), P14)[0]] == level


@pytest.mark.parametrize("total,level", [(19, "ringan"), (44, "ringan"), (45, "sedang"), (70, "sedang"),
                                         (71, "berat"), (95, "berat")])
def test_total_band_edges_02_2016(total, level):
    from kotaku_decide.data.profiles import SLUM_LEVELS
    assert SLUM_LEVELS[slum_level(np.array([total]), P16)[0]] == level


def test_shares_zero_denominator_and_bad_input():
    assert criterion_shares(np.array([[0.0]]), np.array([[0.0]]))[0, 0] == 0.0
    with pytest.raises(ScoringError, match="zero denominator"):
        criterion_shares(np.array([[1.0]]), np.array([[0.0]]))
    with pytest.raises(ScoringError, match="above 100"):
        criterion_shares(np.array([[101.0]]), np.array([[100.0]]))


def _score_rows(make_csv, rows, profile="permen-14-2018"):
    return score_table(load_baseline(make_csv(rows), profile), profile)


def test_one_location_by_hand(make_csv):
    """Hand computation (denominators 100 units, 10 ha):
    1a 76 %->5, 1b 76 %->5, 1c 51 %->3, 2a 50.5 %->1, 2b 25 %->1, 3a 76 %->5, 3b 51 %->3, 4a 25 %->1,
    4b 76 %->5, 4c 51 %->3, 5a 100 %->5, 5b 100 %->5, 6a 0 %->0, 6b 20 %->0, 7a 100->5, 7b 100->5
    total = 5+5+3+1+1+5+3+1+5+3+5+5+0+0+5+5 = 52 -> kumuh sedang.
    Other considerations: strategic yes 5 + density 180 people/ha medium 3 + socio-economic no 1 = 9 -> sedang.
    Legal (both yes). Priority (sedang, sedang) = 5; class B3 (medium + legal); handling peremajaan;
    10 ha -> province.
    Aspect averages: building (76+76+51)/3 = 67.667; road 37.75; water 63.5; drainage 50.667;
    wastewater 100; waste 10; fire 100; average condition = 429.583/7 = 61.369."""
    shares = {"1a": 76, "1b": 76, "1c": 51, "2a": 50.5, "2b": 25, "3a": 76, "3b": 51, "4a": 25, "4b": 76, "4c": 51,
              "5a": 100, "5b": 100, "6a": 0, "6b": 20, "7a": 100, "7b": 100}
    s = _score_rows(make_csv, [location("A", shares, strategic_location="ya")]).iloc[0]
    expected = [5, 5, 3, 1, 1, 5, 3, 1, 5, 3, 5, 5, 0, 0, 5, 5]
    assert [s[f"score_{c}"] for c in CODES_14] == expected
    assert s["total_score"] == 52 and s["slum_level"] == "sedang"
    assert s["other_points"] == 9 and s["other_considerations"] == "sedang"
    assert s["legal"] and s["priority"] == 5 and s["priority_class"] == "B3"
    assert s["handling_pattern"] == "peremajaan" and s["authority"] == "province"
    assert s["avg_building"] == pytest.approx(203 / 3)
    assert s["avg_road"] == pytest.approx(37.75)
    assert s["avg_condition"] == pytest.approx((203 / 3 + 37.75 + 63.5 + 152 / 3 + 100 + 10 + 100) / 7)


def test_not_slum_location_gets_prevention_and_no_priority(make_csv):
    s = _score_rows(make_csv, [location("A", {"1a": 30})]).iloc[0]
    assert s["total_score"] == 1 and s["slum_level"] == "tidak_kumuh"
    assert pd.isna(s["priority"]) and pd.isna(s["priority_class"]) and pd.isna(s["authority"])
    assert s["handling_pattern"] == "pencegahan"


# every combination of level x other considerations -> the nine-level priority table (slum-scoring.md section 4)
LEVEL_SHARES = {"berat": 80, "sedang": 60, "ringan": 30}  # 16 x 5 = 80, 16 x 3 = 48, 16 x 1 = 16
OTHER_ROW = {  # strategic, density (people per 10 ha), socio -> points -> class
    "tinggi": dict(strategic_location="yes", socioeconomic_potential="yes", population=2500),  # 5+5+5 = 15
    "sedang": dict(strategic_location="yes", socioeconomic_potential="no", population=1000),   # 5+1+1 = 7
    "rendah": dict(strategic_location="no", socioeconomic_potential="no", population=1000),    # 1+1+1 = 3
}
PRIORITY = {("berat", "tinggi"): 1, ("sedang", "tinggi"): 2, ("ringan", "tinggi"): 3, ("berat", "sedang"): 4,
            ("sedang", "sedang"): 5, ("ringan", "sedang"): 6, ("berat", "rendah"): 7, ("sedang", "rendah"): 8,
            ("ringan", "rendah"): 9}
CLASS_NUM = {("tinggi", True): 1, ("tinggi", False): 2, ("sedang", True): 3, ("sedang", False): 4,
             ("rendah", True): 5, ("rendah", False): 6}
HANDLING = {("berat", True): "peremajaan_atau_pemukiman_kembali",
            ("berat", False): "pemukiman_kembali_atau_legalisasi_peremajaan",
            ("sedang", True): "peremajaan", ("sedang", False): "pemukiman_kembali_atau_legalisasi_peremajaan",
            ("ringan", True): "pemugaran", ("ringan", False): "pemukiman_kembali_atau_legalisasi_pemugaran"}


def test_priority_class_and_handling_tables(make_csv):
    rows, want = [], []
    for lv, pct in LEVEL_SHARES.items():
        for oc, extra in OTHER_ROW.items():
            for legal in (True, False):
                rid = f"{lv}-{oc}-{legal}"
                rows.append(location(rid, {c: pct for c in CODES_14}, land_tenure_clear="yes" if legal else "tidak",
                                     **extra))
                want.append((rid, lv, oc, legal))
    s = _score_rows(make_csv, rows).set_index("location_id")
    for rid, lv, oc, legal in want:
        r = s.loc[rid]
        assert r["slum_level"] == lv and r["other_considerations"] == oc and bool(r["legal"]) == legal, rid
        assert r["priority"] == PRIORITY[(lv, oc)], rid
        assert r["priority_class"] == {"berat": "A", "sedang": "B", "ringan": "C"}[lv] + str(CLASS_NUM[(oc, legal)]), rid
        assert r["handling_pattern"] == HANDLING[(lv, legal)], rid


@pytest.mark.parametrize("area,authority", [(0.5, "city"), (9.99, "city"), (10, "province"), (15, "province"),
                                            (15.01, "central"), (45.6, "central")])
def test_authority_by_area(make_csv, area, authority):
    s = _score_rows(make_csv, [location("A", {c: 30 for c in CODES_14}, area_ha=area, population=100)]).iloc[0]
    assert s["authority"] == authority


@pytest.mark.parametrize("pop,cls", [(1499, "low"), (1500, "medium"), (2000, "medium"), (2001, "high")])
def test_density_class_cut_offs(make_csv, pop, cls):
    # 10 ha: 149.9 / 150 / 200 / 200.1 people per ha
    s = _score_rows(make_csv, [location("A", population=pop)]).iloc[0]
    assert s["density_class"] == cls


def test_given_density_class_wins_over_derived(make_csv):
    with pytest.warns(UserWarning, match="density_class_mismatch"):
        s = _score_rows(make_csv, [location("A", population=100, density_class="tinggi")]).iloc[0]
    assert s["density_class"] == "high" and s["other_points"] == 1 + 5 + 1


def test_legality_rules():
    t = np.array([True, True, False, False])
    s = np.array([True, False, True, False])
    assert list(legality(t, s, "all")) == [True, False, False, False]
    assert list(legality(t, s, "any")) == [True, True, True, False]
    assert list(legality(t, s, "tenure")) == [True, True, False, False]


def test_02_2016_profile_reads_its_own_parameters(make_csv):
    row = location("A", {c: 80 for c in CODES_14})
    row.update(vol_drain_unconnected=10, vol_drain_unmaintained=60, vol_waste_unmaintained=0)
    s = _score_rows(make_csv, [row], "permen-02-2016").iloc[0]
    # 16 shared parameters at 80 % -> 5 each = 80; 4c (10 %) -> 0; 4d (60 %) -> 3; 6c (0 %) -> 0; total 83 -> berat
    assert s["score_4e"] == 5 and s["score_4c"] == 0 and s["score_4d"] == 3 and s["score_6c"] == 0
    assert s["total_score"] == 83 and s["slum_level"] == "berat"


def test_02_2016_requires_its_extra_columns(make_csv):
    from kotaku_decide.data.validate import BaselineError
    with pytest.raises(BaselineError, match="vol_drain_unconnected"):
        load_baseline(make_csv([location("A")]), "permen-02-2016")


def test_score_permen_vectorised_matches_rows():
    rng = np.random.default_rng(1)
    den = rng.integers(1, 500, size=(200, 16)).astype(float)
    vol = np.floor(rng.random((200, 16)) * den)
    res = score_permen(vol, den, P14)
    for i in range(0, 200, 37):
        for j in range(16):
            pct = 100 * vol[i, j] / den[i, j]
            p = np.floor(np.round(pct * 100, 6) + 0.5) / 100
            want = 5 if p >= 76 else 3 if p >= 51 else 1 if p >= 25 else 0
            assert res["scores"][i, j] == want
    assert (res["total"] == res["scores"].sum(axis=1)).all()


def test_contribution_of_handling():
    # before 60 -> after 15: (60 - 15) / 60 = 0.75; no change -> 0; a location already at 0 -> 0
    c = contribution_of_handling(np.array([60.0, 40.0, 0.0]), np.array([15.0, 40.0, 0.0]))
    assert list(c) == [0.75, 0.0, 0.0]


def test_aggregation_sums_volumes_and_recomputes_shares(make_csv):
    """Two RTs of one kawasan: RT1 100 households, 90 without safe water (90 %, score 5);
    RT2 300 households, 30 without (10 %, score 0). Aggregated: 120 / 400 = 30 % -> score 1.
    (Averaging the scores would give 2.5, averaging shares 50 % -> 1 as well but for another reason.)"""
    r1 = location("RT1", {"3a": 90}, kawasan="K1", rt="RT 01", households=100, area_ha=2.0, population=400,
                  land_tenure_clear="yes", strategic_location="no")
    r1["vol_1b"] = 0.0
    r1["vol_4a"] = 0.0
    r2 = location("RT2", {"3a": 10}, kawasan="K1", rt="RT 02", households=300, area_ha=3.0, population=1200,
                  land_tenure_clear="no", strategic_location="yes")
    r2["vol_3a"] = 30
    r2["vol_3b"] = r2["vol_5a"] = r2["vol_5b"] = r2["vol_6a"] = r2["vol_6b"] = 0
    r3 = location("RT3", {"3a": 50}, kawasan="K2", households=100)
    df = load_baseline(make_csv([r1, r2, r3]))
    k = aggregate(df, "kawasan", P14)
    assert len(k) == 2
    k1 = k[k["kawasan"] == "K1"].iloc[0]
    assert k1["households"] == 400 and k1["vol_3a"] == 120 and k1["area_ha"] == 5.0 and k1["n_rows"] == 2
    assert not k1["land_tenure_clear"] and k1["strategic_location"]  # all / any
    s = score_table(k, P14)
    s1 = s[s["kawasan"] == "K1"].iloc[0]
    assert s1["pct_3a"] == pytest.approx(30.0) and s1["score_3a"] == 1
    assert s1["density_class"] == "high"  # (400 + 1200) people / 5 ha = 320 people/ha > 200
    kel = aggregate(df, "kelurahan", P14)
    assert len(kel) == 1 and kel.iloc[0]["households"] == 500 and kel.iloc[0]["vol_3a"] == 170
    assert kel.iloc[0]["location_id"] == "Balikpapan Timur/Manggar"


def test_aggregation_needs_the_group_column(make_csv):
    df = load_baseline(make_csv([location("A")]))
    with pytest.raises(ScoringError, match="kawasan"):
        aggregate(df, "kawasan", P14)


def test_threshold_comparison_equals_explicit_rounding_near_every_edge():
    """criterion_scores compares raw shares with shifted edges; it must agree with rounding first."""
    rng = np.random.default_rng(7)
    edges = np.array([25.0, 51.0, 76.0])
    near = (edges[:, None] + rng.uniform(-0.02, 0.02, (3, 20000))).ravel()
    quotients = 100 * rng.integers(0, 3000, 60000) / rng.integers(3000, 6000, 60000)  # shares as data produce them
    exact = np.concatenate([near, quotients, [24.995, 50.995, 75.995, 24.994999, 75.994999999]])
    r = round_half_up(exact, 2)
    want = np.where(r >= 76, 5, np.where(r >= 51, 3, np.where(r >= 25, 1, 0)))
    assert (criterion_scores(exact, P14) == want).all()
