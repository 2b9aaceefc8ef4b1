"""Realised-works tables: Indonesian headers, typed values and every named error (file, row, column, value)."""

import pandas as pd
import pytest
from kd_testutil import location

from kotaku_decide.data.realised import RealisedError, load_realised, read_realised, validate_realised
from kotaku_decide.data.validate import load_baseline

YEARS = range(2017, 2020)
SOURCES = ["apbn", "apbd_kota", "csr"]


@pytest.fixture
def baseline(make_csv):
    # every denominator 100: L1 has 2b poor road on 60 m, 5a on 40 households; L2 has 2b on 30 m
    rows = [location("L1", {"2b": 60, "5a": 40}), location("L2", {"2b": 30})]
    return load_baseline(make_csv(rows))


def _csv(tmp_path, text, name="realised.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _errors(report):
    return {(p.check, p.row, p.column) for p in report.errors}


def test_indonesian_headers_and_typed_values(tmp_path, baseline):
    p = _csv(tmp_path, "# SYNTHETIC test data\n"
                       "ID Lokasi,Kriteria,Tahun,Volume Realisasi,Biaya (Rp),Sumber Dana,Keterangan\n"
                       "L1,2b,2017,25.5,13770000,apbn,beton\n"
                       "L1,2b,2018,34.5,18630000,csr,\n"
                       "L2,resettlement,2019,100,900000000,apbd_kota,\n")
    df = load_realised(p, baseline, "permen-14-2018", YEARS, SOURCES)
    assert list(df["location_id"]) == ["L1", "L1", "L2"] and list(df["year"]) == [2017, 2018, 2019]
    assert list(df["volume"]) == [25.5, 34.5, 100.0] and df["cost_rp"].sum() == 13770000 + 18630000 + 900000000
    assert list(df["source_row"]) == [3, 4, 5]  # the comment line is row 1, the header row 2
    assert df.attrs["comments"] == ["SYNTHETIC test data"] and list(df["note"])[0] == "beton"


def test_every_problem_is_named(tmp_path, baseline):
    p = _csv(tmp_path, "location_id,criterion,year,volume,cost_rp,source\n"
                       "L3,2b,2017,10,100,apbn\n"          # row 2: unknown location (close to L1/L2)
                       "L1,2x,2017,10,100,apbn\n"          # row 3: unknown criterion
                       "L1,2b,2016,10,100,apbn\n"          # row 4: year before the plan
                       "L1,5a,2017,41,100,apbn\n"          # row 5: 41 households > 40 affected
                       "L1,2b,2018,5,-1,apbn\n"            # row 6: negative cost
                       "L1,2b,2018,5,100,apbm\n"           # row 7: unknown source (did you mean apbn?)
                       "L1,2b,2018,5,\"12,5\",apbn\n"      # row 8: non-numeric cost
                       "L1,2b,2018.5,5,100,apbn\n")        # row 9: not a whole year
    r = validate_realised(read_realised(p), baseline, "permen-14-2018", YEARS, SOURCES)
    assert not r.ok and r.data is None
    assert _errors(r) == {("unknown_location", 2, "location_id"), ("unknown_criterion", 3, "criterion"),
                          ("year_outside_plan", 4, "year"), ("volume_over_affected", 5, "volume"),
                          ("negative_cost", 6, "cost_rp"), ("unknown_source", 7, "source"),
                          ("non_numeric", 8, "cost_rp"), ("year_not_whole", 9, "year")}
    text = {p.check: str(p) for p in r.errors}
    assert "realised.csv, row 5, column 'volume': found '41'; expected at most the affected volume 40 households" \
        in text["volume_over_affected"]
    assert "did you mean 'apbn'?" in text["unknown_source"] and "2017-2019" in text["year_outside_plan"]
    assert "did you mean '2a'?" in text["unknown_criterion"] or "did you mean '2b'?" in text["unknown_criterion"]


def test_volume_summed_over_years_above_affected_names_the_row(tmp_path, baseline):
    # L1 2b: 60 m affected; 30 (2017) + 20 (2018) + 15 (2019) = 65 > 60: the 2019 row (row 4) takes it over
    p = _csv(tmp_path, "location_id,criterion,year,volume,cost_rp,source\n"
                       "L1,2b,2018,20,1,apbn\n"
                       "L1,2b,2017,30,1,apbn\n"
                       "L1,2b,2019,15,1,csr\n"
                       "L2,2b,2017,30,1,apbn\n")  # exactly the 30 m affected: fine
    r = validate_realised(read_realised(p), baseline, "permen-14-2018", YEARS, SOURCES)
    assert _errors(r) == {("volume_over_affected", 4, "volume")}
    msg = str(r.errors[0])
    assert "rows [3, 2, 4] sum to 65 m" in msg and "affected 60 m" in msg
    with pytest.raises(RealisedError, match="row 4"):
        load_realised(p, baseline, "permen-14-2018", YEARS, SOURCES)


def test_missing_and_duplicate_columns(tmp_path, baseline):
    p = _csv(tmp_path, "location_id,criterion,tahun,year,volume,source\nL1,2b,2017,2017,1,apbn\n")
    r = validate_realised(read_realised(p), baseline)
    checks = {(p.check, p.column) for p in r.errors}
    assert ("missing_columns", "cost_rp") in checks and ("duplicate_headers", "year") in checks


def test_duplicates_warn_and_money_without_volume_is_noted(tmp_path, baseline):
    p = _csv(tmp_path, "location_id,criterion,year,volume,cost_rp,source\n"
                       "L2,2b,2017,10,5,apbn\nL2,2b,2017,10,5,apbn\nL1,5a,2018,0,700,csr\n")
    r = validate_realised(read_realised(p), baseline, None, YEARS, SOURCES)
    assert r.ok and [(p.check, p.row) for p in r.warnings] == [("duplicate_row", 3)]
    assert ("money_without_volume", 4) in {(p.check, p.row) for p in r.problems if p.severity == "info"}
    assert isinstance(r.data, pd.DataFrame) and len(r.data) == 3


def test_excel_with_indonesian_headers(tmp_path, baseline):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Kode Lokasi", "Kode Kriteria", "Tahun Anggaran", "Volume", "Nilai (Rp)", "Sumber Pendanaan"])
    ws.append(["L1", "5a", 2018, 40, 80000000, "apbd_kota"])
    ws.append(["L2", "2b", 2019, 12.5, 6750000, "csr"])
    p = tmp_path / "investasi.xlsx"
    wb.save(p)
    df = load_realised(p, baseline, "permen-14-2018", YEARS, SOURCES)
    assert list(df["criterion"]) == ["5a", "2b"] and list(df["volume"]) == [40.0, 12.5]
    assert list(df["cost_rp"]) == [80000000.0, 6750000.0] and list(df["source_row"]) == [2, 3]
