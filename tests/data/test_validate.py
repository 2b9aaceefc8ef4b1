"""Every validation error names file, row, column, value and what was expected; all are reported at once."""

import warnings

import pandas as pd
import pytest
from helpers import CODES, DATA, location, problem_keys

from kotaku_decide.data.io import InputFileError, read_table
from kotaku_decide.data.validate import BaselineError, load_baseline, parse_yesno, validate
from kotaku_decide.score.pipeline import score_file
from kotaku_decide.score.scoring import score_table


def problems(path, **kw):
    r = validate(path, **kw)
    return r, [(p.check, p.severity, p.row, p.column) for p in r.problems if p.severity != "info"]


def test_valid_table_has_no_problems(make_csv):
    r, ps = problems(make_csv([location("A"), location("B")]))
    assert ps == [] and r.ok and len(r.data) == 2


def test_missing_required_and_criterion_columns(make_csv):
    row = location("A")
    del row["households"], row["vol_3a"]
    r, ps = problems(make_csv([row]))
    assert ("missing_columns", "error", None, "households") in ps
    assert ("missing_columns", "error", None, "vol_3a") in ps
    msg = str([p for p in r.errors if p.column == "vol_3a"][0])
    assert "pct_3a" in msg and "3a" in msg and "baseline.csv" in msg


def test_non_numeric_cells_name_row_column_and_value(make_csv):
    rows = [location("A"), location("B", buildings="seratus"), location("C", area_ha="12,5")]
    r, ps = problems(make_csv(rows))
    assert ("non_numeric", "error", 3, "buildings") in ps  # header is row 1, so B is row 3
    p = [p for p in r.errors if p.column == "area_ha"][0]
    assert p.row == 4 and p.value == "12,5" and "decimal separator" in p.expected
    assert "row 4" in str(p) and "'area_ha'" in str(p) and "'12,5'" in str(p)


def test_negative_numbers(make_csv):
    r, ps = problems(make_csv([location("A", vol_2a=-5)]))
    assert ("negative", "error", 2, "vol_2a") in ps


def test_volume_larger_than_denominator_and_share_over_100(make_csv):
    row = location("A", vol_5a=101)  # 101 households of 100
    row["pct_6a"] = 100.5
    del row["vol_6a"]
    r, ps = problems(make_csv([row]))
    assert ("share_over_100", "error", 2, "vol_5a") in ps
    assert ("share_over_100", "error", 2, "pct_6a") in ps
    p = [p for p in r.errors if p.column == "vol_5a"][0]
    assert "101.00 %" in p.expected and "households" in p.expected


def test_nonzero_volume_over_zero_denominator(make_csv):
    r, ps = problems(make_csv([location("A", drain_length_ideal_m=0, vol_4b=12, vol_4c=0)]))
    assert ("volume_zero_denominator", "error", 2, "vol_4b") in ps
    assert not any(c == "vol_4c" for _, _, _, c in ps)  # 0 over 0 is fine


def test_duplicate_location_id(make_csv):
    r, ps = problems(make_csv([location("A"), location("B"), location("A")]))
    assert ps == [("duplicate_id", "error", 4, "location_id")]
    assert "rows [2, 4]" in str(r.errors[0])


def test_unknown_criterion_like_column_warns_and_strict_makes_it_an_error(make_csv):
    row = location("A")
    row["vol_8a"] = 3
    path = make_csv([row])
    r, ps = problems(path)
    assert ps == [("unknown_criterion_columns", "warning", None, "vol_8a")] and r.ok
    r, ps = problems(path, strict=True)
    assert ps == [("unknown_criterion_columns", "error", None, "vol_8a")] and not r.ok
    r, _ = problems(path, strict={"unknown_criterion_columns"})
    assert not r.ok


def test_typo_in_criterion_column_suggests_the_right_one(make_csv):
    row = location("A")
    row["vol_5c"] = row.pop("vol_5b")
    r, ps = problems(make_csv([row]))
    assert ("missing_columns", "error", None, "vol_5b") in ps
    warn = [p for p in r.warnings if p.column == "vol_5c"][0]
    assert "did you mean" in warn.expected


def test_vol_and_pct_disagreeing(make_csv):
    ok = location("A", vol_3a=40)
    ok["pct_3a"] = 40.05  # within 0.1 points
    bad = location("B", vol_3a=40)
    bad["pct_3a"] = 45
    r, ps = problems(make_csv([ok, bad]))
    assert ps == [("vol_pct_disagree", "error", 3, "pct_3a")]
    assert "40.00" in r.errors[0].expected


def test_bad_yes_no_and_accepted_spellings(make_csv):
    rows = [location("A", strategic_location="Ya"), location("B", strategic_location="TIDAK"),
            location("C", strategic_location="1"), location("D", strategic_location="true"),
            location("E", strategic_location="mungkin"), location("F", land_tenure_clear="+")]
    r, ps = problems(make_csv(rows))
    assert ps == [("yesno", "error", 6, "strategic_location")]
    s, bad = parse_yesno(pd.Series(["ya", "tidak", "Yes", "no", "0", "1", "-", "maybe", None]))
    assert list(s[:7]) == [True, False, True, False, False, True, False] and list(bad) == [False] * 7 + [True, False]


def test_missing_values_in_required_cells(make_csv):
    rows = [location("A", kelurahan=None), location("B", vol_7a=None)]
    r, ps = problems(make_csv(rows))
    assert ("missing_values", "error", 2, "kelurahan") in ps
    assert ("missing_values", "error", 3, "vol_7a") in ps


def test_zero_area_density_class_and_lat_lon(make_csv):
    rows = [location("A", area_ha=0, population=0, vol_1b=0, vol_4a=0), location("B", density_class="very high"),
            location("C", lat=-95, lon=116.8)]
    r, ps = problems(make_csv(rows))
    assert ("zero_area", "error", 2, "area_ha") in ps
    assert ("density_class", "error", 3, "density_class") in ps
    assert ("lat_lon", "error", 4, "lat") in ps


def test_every_problem_is_reported_at_once(make_csv):
    rows = [location("A", buildings="x"), location("A", vol_5a=200), location("C", strategic_location="?")]
    r, ps = problems(make_csv(rows))
    assert {c for c, *_ in ps} == {"non_numeric", "share_over_100", "duplicate_id", "yesno"}
    with pytest.raises(BaselineError) as ei:
        load_baseline(make_csv(rows))
    text = str(ei.value)
    assert text.count("ERROR") == 4 and "4 error(s)" in text


def test_indonesian_headers_through_aliases(make_csv, tmp_path):
    row = location("A", shares={"3a": 60})
    ren = {"location_id": "Kode Lokasi", "name": "Nama Lokasi", "area_ha": "Luas (Ha)", "households": "Jumlah KK",
           "buildings": "Jumlah Bangunan", "population": "Jumlah Penduduk", "kelurahan": "Kelurahan",
           "kecamatan": "Kecamatan", "city": "Kota", "land_tenure_clear": "Kejelasan Status Tanah"}
    df = pd.DataFrame([row]).rename(columns=ren)
    p = tmp_path / "id.csv"
    df.to_csv(p, index=False)
    t = read_table(p)
    assert {"location_id", "area_ha", "households", "buildings", "land_tenure_clear"} <= set(t.columns)
    s = score_table(load_baseline(p))
    assert s.iloc[0]["score_3a"] == 3


def test_duplicate_headers_after_aliases(tmp_path):
    row = location("A")
    df = pd.DataFrame([row])
    df["Luas (Ha)"] = 10
    p = tmp_path / "dup.csv"
    df.to_csv(p, index=False)
    r, ps = problems(p)
    assert ("duplicate_headers", "error", None, "area_ha") in ps


def test_shares_only_score_like_volumes(make_csv):
    shares = {"1a": 76, "2b": 50.5, "3a": 24.99, "4a": 51, "5a": 75.91}
    by_vol = score_table(load_baseline(make_csv([location("A", shares=shares, households=250, area_ha=7.3)], "v.csv")))
    row = location("A", households=250, area_ha=7.3)
    for c in CODES:
        del row[f"vol_{c}"]
        row[f"pct_{c}"] = shares.get(c, 0)
    by_pct = score_table(load_baseline(make_csv([row], "p.csv")))
    cols = [f"score_{c}" for c in CODES] + ["total_score"]
    assert by_vol[cols].equals(by_pct[cols])
    assert by_pct.iloc[0]["score_2b"] == 1 and by_pct.iloc[0]["score_5a"] == 3 and by_pct.iloc[0]["score_3a"] == 0


def test_excel_input_reports_sheet_rows(tmp_path):
    rows = [location("A"), location("B", vol_1a=500)]
    p = tmp_path / "b.xlsx"
    with pd.ExcelWriter(p) as xw:
        pd.DataFrame({"x": [1]}).to_excel(xw, sheet_name="notes", index=False)
        pd.DataFrame(rows).to_excel(xw, sheet_name="baseline", index=False)
    r, ps = problems(p)
    assert ps == [("share_over_100", "error", 3, "vol_1a")]
    assert str(r.errors[0]).startswith(f"ERROR [share_over_100] {p}, row 3")


def test_excel_and_csv_score_the_same(tmp_path, make_csv):
    rows = [location("A", shares={"1a": 80, "3a": 55.5}), location("B", shares={"7b": 30}, strategic_location="ya")]
    pc = make_csv(rows)
    px = tmp_path / "b.xlsx"
    pd.DataFrame(rows).to_excel(px, index=False)
    a = score_table(load_baseline(pc))
    b = score_table(load_baseline(px))
    assert a["total_score"].tolist() == b["total_score"].tolist() == [8, 1]


def test_unreadable_files(tmp_path):
    with pytest.raises(InputFileError, match="not found"):
        read_table(tmp_path / "nope.csv")
    (tmp_path / "x.txt").write_text("a")
    with pytest.raises(InputFileError, match="unsupported"):
        read_table(tmp_path / "x.txt")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputFileError, match="empty"):
        read_table(tmp_path / "empty.csv")


def test_warnings_do_not_block_and_are_issued(make_csv):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        df = load_baseline(make_csv([location("A", households=5000, population=100)]))
    assert len(df) == 1 and any("households_vs_population" in str(x.message) for x in w)


def test_published_only_table_needs_no_volumes(make_csv):
    rows = [{"location_id": "K1", "name": "Apung", "kelurahan": "Damai", "kecamatan": "Balikpapan Kota",
             "city": "Balikpapan", "area_ha": 8.81, "published_score": 15}]
    r = validate(make_csv(rows), published_only=True)
    assert r.ok
    r = validate(make_csv(rows))
    assert not r.ok


def test_t_is_not_a_yes_no_spelling(make_csv):
    r = validate(make_csv([location("A", strategic_location="T")]))
    assert ("yesno", 2, "strategic_location") in problem_keys(r, "error")


def test_city_profile_criterion_columns_are_validated(tmp_path, make_csv):
    import shutil

    import kotaku_decide.data.profiles as pm

    dst = tmp_path / "cityprof"
    shutil.copytree(pm._HERE / "permen-14-2018", dst)
    crit = pd.read_csv(dst / "criteria.csv", dtype=str, keep_default_na=False)
    crit.loc[crit["code"] == "7b", "input_key"] = "hydrant"
    crit.to_csv(dst / "criteria.csv", index=False)
    rows = [location("A"), location("B"), location("C")]
    for r, v in zip(rows, ["abc", "-5", "150"]):
        r["vol_hydrant"] = v
        del r["vol_7b"]
    r = validate(make_csv(rows), str(dst))
    got = problem_keys(r, "error")
    assert {("non_numeric", 2, "vol_hydrant"), ("negative", 3, "vol_hydrant"),
            ("share_over_100", 4, "vol_hydrant")} <= got
    assert not any(p.check == "unknown_criterion_columns" for p in r.problems)


def test_aggregation_group_columns_are_validated_with_rows(make_csv):
    rows = [location("A", kawasan="K1"), location("B", kawasan="K1"), location("C", kawasan=None)]
    r = validate(make_csv(rows), level="kawasan")
    assert ("missing_values", 4, "kawasan") in problem_keys(r, "error")
    r = validate(make_csv([location("A")]), level="kawasan")
    assert ("missing_columns", None, "kawasan") in problem_keys(r, "error")


def test_scored_output_can_be_read_back_under_both_profiles(tmp_path):
    for reg in ("permen-02-2016", "permen-14-2018"):
        out = tmp_path / f"{reg}.csv"
        score_file(DATA / "balikpapan_2016_baseline.csv", reg).scored.to_csv(out, index=False)
        for again in ("permen-14-2018", "permen-02-2016"):
            r = validate(out, again)
            assert r.ok, (reg, again, r.format(limit=5))
            assert ("scored_output", None, None) in problem_keys(r, "info")
        a = score_file(out, reg).scored["total_score"].tolist()
        b = score_file(DATA / "balikpapan_2016_baseline.csv", reg).scored["total_score"].tolist()
        assert a == b


def test_share_within_tolerance_but_in_another_band_warns(make_csv):
    row = location("A", vol_1a=75.95)
    row["pct_1a"] = 76.0
    r = validate(make_csv([row]))
    assert r.ok and ("vol_pct_score_differs", 2, "pct_1a") in problem_keys(r, "warning")


def test_near_duplicate_ids_counts_and_no_rows(make_csv, tmp_path):
    r = validate(make_csv([location("L0"), location("l0", buildings=10.5, vol_1a=0, vol_1c=0, vol_7a=0, vol_7b=0)]))
    got = problem_keys(r, "warning")
    assert ("near_duplicate_id", 3, "location_id") in got and ("whole_counts", 3, "buildings") in got
    p = tmp_path / "h.csv"
    pd.DataFrame([location("A")]).iloc[0:0].to_csv(p, index=False)
    assert ("no_rows", None, None) in problem_keys(validate(p), "error")


def test_lookalike_criterion_columns_warn(make_csv):
    row = location("A")
    row["vol-1a"] = 3
    row["volume_2b"] = 1
    r = validate(make_csv([row]))
    got = {c for _, _, c in problem_keys(r, "warning")}
    assert {"vol-1a", "volume_2b"} <= got


def test_share_over_100_message_does_not_round_to_100(make_csv):
    r = validate(make_csv([location("A", vol_1a=100.001)]))
    assert "100.0010 % > 100 %" in r.errors[0].expected
