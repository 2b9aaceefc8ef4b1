"""Hostile and careless baseline tables: every case ends in a named problem (check, row, column, value) or a
correct result checked against a hand computation. Issue 15, class "values silently changed on read"."""

import math

import openpyxl
import pandas as pd
import pytest
from helpers import location

from kotaku_decide.data.io import InputFileError, read_table
from kotaku_decide.data.validate import BaselineError, validate
from kotaku_decide.data.writers import write_csv
from kotaku_decide.score.pipeline import score_file
from kotaku_decide.score.scoring import score_table


def problems(report, check):
    return [(p.severity, p.row, p.column) for p in report.problems if p.check == check]


def xlsx(path, rows, formats=None):
    """A workbook with one sheet; ``formats`` maps (row index, column) -> number format."""
    wb = openpyxl.Workbook()
    ws = wb.active
    cols = list(rows[0])
    ws.append(cols)
    for r in rows:
        ws.append([r[c] for c in cols])
    for (i, c), fmt in (formats or {}).items():
        ws.cell(row=i + 2, column=cols.index(c) + 1).number_format = fmt
    wb.save(path)
    return path


def share_rows(values):
    rows = []
    for k, v in enumerate(values):
        r = location(f"L{k}")
        del r["vol_1a"]
        r["pct_1a"] = v
        rows.append(r)
    return rows


# ------------------------------------------------------------------------------------------------
# percent-formatted Excel cells: converted cell by cell
# ------------------------------------------------------------------------------------------------
def test_only_percent_formatted_cells_are_multiplied(tmp_path):
    # L0 shows 80% (stores 0.8); L1 is a plain 1 (1 %); L2 a plain 30 (30 %): hand scores 5, 0, 1
    p = xlsx(tmp_path / "mixed.xlsx", share_rows([0.8, 1, 30]), {(0, "pct_1a"): "0%"})
    r = validate(p)
    assert r.ok
    s = score_table(r.data)
    assert s["pct_1a"].tolist() == [80.0, 1.0, 30.0]
    assert s["score_1a"].tolist() == [5, 0, 1]
    assert ("info", None, "pct_1a") in problems(r, "percent_format")
    assert ("warning", 3, "pct_1a") in problems(r, "share_as_fraction")  # the plain 1 beside a percent cell


def test_whole_percent_formatted_column_reads_as_displayed_without_a_fraction_warning(tmp_path):
    p = xlsx(tmp_path / "all.xlsx", share_rows([0.8, 0.3, 0.0]),
             {(i, "pct_1a"): "0.0%" for i in range(3)})
    r = validate(p)
    assert r.ok and score_table(r.data)["pct_1a"].tolist() == [80.0, 30.0, 0.0]
    assert problems(r, "share_as_fraction") == []
    msg = [str(x) for x in r.problems if x.check == "percent_format"][0]
    assert "rows 2, 3, 4" in msg and "only these cells" in msg


def test_percent_format_outside_pct_columns_keeps_the_stored_fraction_and_warns(tmp_path):
    p = xlsx(tmp_path / "area.xlsx", [location("A", area_ha=0.5)], {(0, "area_ha"): "0%"})
    r = validate(p)
    assert ("warning", None, "area_ha") in problems(r, "percent_format")
    assert r.data["area_ha"].tolist() == [0.5]


# ------------------------------------------------------------------------------------------------
# shares typed as fractions
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("values,warned", [([0.8, 0.35, 0.0], True), ([1, 1, 0], True), ([0.5], True),
                                           ([0, 30, 80], False), ([0.5, 40, 80], False), ([0, 0, 0], False)])
def test_shares_typed_as_fractions_are_warned(make_csv, values, warned):
    r = validate(make_csv(share_rows(values)))
    assert r.ok
    got = problems(r, "share_as_fraction")
    assert (got != []) == warned
    if warned:
        first = next(i for i, v in enumerate(values) if v > 0)
        assert got == [("warning", first + 2, "pct_1a")]
        # read as written: 0.8 is 0.8 %, never silently 80 %
        assert score_table(r.data)["pct_1a"].tolist() == [float(v) for v in values]


def test_fraction_warning_becomes_an_error_when_strict(make_csv):
    p = make_csv(share_rows([0.8, 0.4]))
    r = validate(p, strict={"share_as_fraction"})
    assert not r.ok and problems(r, "share_as_fraction") == [("error", 2, "pct_1a")]


# ------------------------------------------------------------------------------------------------
# absurd and non-finite numbers
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("column,value", [("area_ha", 1e308), ("area_ha", 2e8), ("population", 1e9),
                                          ("households", 5e8), ("buildings", 1e12),
                                          ("road_length_ideal_m", 1e12), ("drain_length_ideal_m", 2e9)])
def test_numbers_beyond_the_bounds_table_are_refused(make_csv, column, value):
    row = location("A")
    row[column] = value
    r = validate(make_csv([row]))
    assert ("error", 2, column) in problems(r, "out_of_range")
    assert not r.ok


def test_an_area_of_1e308_never_becomes_infinite_hectares(make_csv):
    p = make_csv([location("A"), location("B", area_ha=1e308)])
    with pytest.raises(BaselineError) as ei:
        score_file(p)
    msg = str(ei.value)
    assert "row 3, column 'area_ha': found '1e+308'" in msg and "190,456,900" in msg
    assert "inf" not in msg.replace("info", "")


@pytest.mark.parametrize("text", ["inf", "-inf", "Infinity", "nan", "NaN", "1e400"])
def test_non_finite_text_is_not_a_number(make_csv, text):
    row = location("A")
    row["area_ha"] = text
    r = validate(make_csv([row]))
    assert ("error", 2, "area_ha") in problems(r, "non_numeric")


def test_largest_plausible_values_are_accepted_and_sum_finitely(make_csv):
    rows = [location(f"L{k}", area_ha=190_456_900) for k in range(3)]
    r = validate(make_csv(rows))
    assert r.ok
    s = score_table(r.data)
    assert math.isfinite(s["area_ha"].sum()) and s["area_ha"].sum() == 3 * 190_456_900


# ------------------------------------------------------------------------------------------------
# files that cannot be read at all: named errors
# ------------------------------------------------------------------------------------------------
def test_a_nul_byte_is_refused_with_its_line(tmp_path):
    p = tmp_path / "nul.csv"
    p.write_bytes(b"location_id,name\nA,Kampung\x00 Baru\n")
    with pytest.raises(InputFileError, match="line 2 holds a NUL character"):
        read_table(p)


def test_an_unclosed_quote_is_refused(tmp_path):
    p = tmp_path / "quote.csv"
    p.write_text('location_id,name\nA,"Kampung Baru\nB,Other\n')
    with pytest.raises(InputFileError, match="unbalanced double quote.*row 2"):
        read_table(p)


def test_a_folder_is_not_a_table(tmp_path):
    with pytest.raises(InputFileError, match="is a folder"):
        read_table(tmp_path)


def test_an_excel_file_renamed_csv_is_refused(tmp_path):
    x = xlsx(tmp_path / "real.xlsx", [location("A")])
    p = tmp_path / "renamed.csv"
    p.write_bytes(x.read_bytes())
    with pytest.raises(InputFileError, match="(not UTF-8|NUL character)"):
        read_table(p)


def test_random_bytes_named_xlsx_are_refused(tmp_path):
    p = tmp_path / "junk.xlsx"
    p.write_bytes(b"PK\x03\x04 not really a zip" * 10)
    with pytest.raises(InputFileError, match="cannot be opened as an Excel workbook"):
        read_table(p)


def test_header_only_and_empty_files(tmp_path, make_csv):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputFileError, match="empty"):
        read_table(empty)
    head = tmp_path / "head.csv"
    head.write_text(",".join(location("A")) + "\n")
    assert problems(validate(head), "no_rows") == [("error", None, None)]


def test_excel_dates_and_booleans_in_number_columns_are_not_numbers(tmp_path):
    import datetime

    row = location("A")
    row["area_ha"] = datetime.date(2016, 5, 1)
    row["buildings"] = True
    r = validate(xlsx(tmp_path / "types.xlsx", [row]))
    assert ("error", 2, "area_ha") in problems(r, "non_numeric")
    assert ("error", 2, "buildings") in problems(r, "non_numeric")


def test_a_share_just_above_100_is_not_rounded_away(make_csv):
    r = validate(make_csv(share_rows([100.0000001])))
    assert ("error", 2, "pct_1a") in problems(r, "share_over_100")


# ------------------------------------------------------------------------------------------------
# text that a spreadsheet would run: kept as text, read back unchanged after our own writer
# ------------------------------------------------------------------------------------------------
def test_formula_text_round_trips_through_the_escaping_writer(tmp_path):
    names = ['=HYPERLINK("http://x","click")', "+62 811", "-", "@SUM(A1)", "Kampung 'Baru'", "'quoted"]
    rows = [location(f"L{k}", name=n) for k, n in enumerate(names)]
    p = tmp_path / "in.csv"
    write_csv(pd.DataFrame(rows), p)
    text = p.read_text()
    assert "'=HYPERLINK" in text and ",'-," in text and ",'+62 811," in text  # escaped in the file
    back = read_table(p)
    assert back["name"].tolist() == names  # and undone on read: nothing changed


def test_cell_text_is_trimmed_and_blank_rows_keep_spreadsheet_numbers(tmp_path):
    p = tmp_path / "ws.csv"
    cols = list(location("A"))
    row = [str(location("A")[c]) for c in cols]
    p.write_text(",".join(cols) + "\n\n" + ",".join(f"  {v} " for v in row) + "\n")
    t = read_table(p)
    assert t.index.tolist() == [1] and t.attrs["first_row"] == 2  # spreadsheet row 3
    assert t.iloc[0]["location_id"] == "A" and t.iloc[0]["area_ha"] == "10.0"


# ------------------------------------------------------------------------------------------------
# optional columns misspelled: said, not silently ignored
# ------------------------------------------------------------------------------------------------
def test_a_misspelled_optional_column_is_warned_with_the_right_name(make_csv):
    row = location("A", population=5000)  # 500 people/ha: the derived class is "high"
    row["density_clas"] = "low"  # meant to give the class; as written it would be ignored
    row["notes"] = "a planner's remark"
    r = validate(make_csv([row]))
    assert ("warning", None, "density_clas") in problems(r, "misspelled_columns")
    assert "did you mean 'density_class'" in str([p for p in r.problems if p.check == "misspelled_columns"][0])
    assert ("info", None, "notes") in problems(r, "unknown_columns")  # an ordinary extra column is only noted
    assert problems(r, "misspelled_columns") == [("warning", None, "density_clas")]


def test_a_share_typed_with_a_percent_sign_gets_a_hint(make_csv):
    r = validate(make_csv(share_rows(["80%"])))
    msg = str([p for p in r.problems if p.check == "non_numeric"][0])
    assert "row 2, column 'pct_1a': found '80%'" in msg and "80, not 80%" in msg


def test_many_names_off_the_official_list_are_reported_quickly(make_csv):
    """Hundreds of city names off the official list (Balikpapn 0, 1, ...): every one still reported at its first row,
    closest names looked up for the first few only, in seconds (it took half a minute on 200,000 rows)."""
    import time

    from kotaku_decide.data import validate as v

    rows = [location(f"L{k}", city=f"Balikpapn {k // 10}", kecamatan=f"KEC-{k}", kelurahan=f"KEL-{k}")
            for k in range(3000)]
    p = make_csv(rows)
    t0 = time.process_time()
    r = validate(p)
    assert time.process_time() - t0 < 20
    found = [x for x in r.problems if x.check == "official_names" and x.column == "city"]
    assert len(found) == 300 and [x.row for x in found[:2]] == [2, 12]
    with_hint = [x for x in found if "closest official name" in x.message]
    assert 0 < len(with_hint) <= v.OFFICIAL_NAME_SUGGESTIONS
    assert r.ok  # warnings, never a change
