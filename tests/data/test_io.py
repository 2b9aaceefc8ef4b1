"""Reading tables (kotaku_decide.data.io): Excel cells as displayed, blank rows and lines, delimiters,
encodings, duplicate headers and comment lines; row numbers are the spreadsheet's."""

import numpy as np
import openpyxl
import pandas as pd
import pytest
from helpers import location, problem_keys

from kotaku_decide.data.io import InputFileError, read_table
from kotaku_decide.data.validate import validate
from kotaku_decide.score.scoring import score_table


def _xlsx(path, rows, formats=None):
    df = pd.DataFrame(rows)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(df.columns))
    for r in df.itertuples(index=False):
        ws.append([None if (isinstance(v, float) and np.isnan(v)) else v for v in r])
    for col, fmt in (formats or {}).items():
        j = list(df.columns).index(col) + 1
        for i in range(2, len(df) + 2):
            ws.cell(i, j).number_format = fmt
    wb.save(path)
    return path


def test_empty_excel_cells_are_empty_not_nan_text(tmp_path):
    rows = [location("A"), location("B", kelurahan=None, name=None), location("C", density_class=None, lat=None)]
    rows[0]["density_class"] = "low"
    rows[0]["lat"] = -1.2
    r = validate(_xlsx(tmp_path / "e.xlsx", rows))
    assert problem_keys(r, "error") == {("missing_values", 3, "kelurahan"), ("missing_values", 3, "name")}
    assert "'nan'" not in r.format()


def test_excel_rows_mixing_vol_and_pct_and_a_blank_middle_row(tmp_path):
    a = location("A", shares={"1a": 80})
    a["pct_1a"] = None
    b = location("B")
    b["vol_1a"] = None
    b["pct_1a"] = 80.0
    p = tmp_path / "m.xlsx"
    _xlsx(p, [a, b])
    wb = openpyxl.load_workbook(p)
    wb.active.insert_rows(3)  # a blank row between A and B
    wb.save(p)
    r = validate(p)
    assert r.ok, r.format()
    s = score_table(r.data)
    assert s["score_1a"].tolist() == [5, 5] and s["source_row"].tolist() == [2, 4]


def test_percent_formatted_excel_cells_read_as_displayed(tmp_path):
    row = location("A")
    del row["vol_1a"]
    row["pct_1a"] = 0.8  # shown as 80%
    r = validate(_xlsx(tmp_path / "p.xlsx", [row], {"pct_1a": "0%"}))
    assert r.ok and ("percent_format", None, "pct_1a") in problem_keys(r, "info")
    assert score_table(r.data).iloc[0]["score_1a"] == 5
    other = location("B")
    r = validate(_xlsx(tmp_path / "q.xlsx", [other], {"area_ha": "0%"}))
    assert ("percent_format", None, "area_ha") in problem_keys(r, "warning")


def test_exact_duplicate_headers(tmp_path):
    p = tmp_path / "d.csv"
    df = pd.DataFrame([location("A")])
    text = df.to_csv(index=False).splitlines()
    text[0] += ",area_ha"
    text[1] += ",7"
    p.write_text("\n".join(text) + "\n")
    r = validate(p)
    assert ("duplicate_headers", None, "area_ha") in problem_keys(r, "error")


def test_row_numbers_count_blank_lines(tmp_path):
    df = pd.DataFrame([location("A"), location("B"), location("C", buildings="x")])
    lines = df.to_csv(index=False).splitlines()
    p = tmp_path / "b.csv"
    p.write_text("\n".join(lines[:2] + ["", ""] + lines[2:]) + "\n")  # two blank lines before B
    r = validate(p)
    assert ("non_numeric", 6, "buildings") in problem_keys(r, "error")


def test_unreadable_inputs_give_clear_errors(tmp_path):
    p = tmp_path / "latin1.csv"
    p.write_bytes("location_id,name\nA,Kampung Baru \xe9\n".encode("latin-1"))
    with pytest.raises(InputFileError, match="not UTF-8"):
        read_table(p)
    p = tmp_path / "extra.csv"
    p.write_text("location_id,name\nL0,A,extra\n")
    with pytest.raises(InputFileError, match="row 2 has 3 cells"):
        read_table(p)


def test_semicolon_csv_as_written_by_excel_in_an_indonesian_locale(tmp_path):
    df = pd.DataFrame([location("A", shares={"3a": 60})])
    p = tmp_path / "semi.csv"
    df.to_csv(p, index=False, sep=";")
    r = validate(p)
    assert r.ok and ("delimiter", None, None) in problem_keys(r, "info")
    assert score_table(r.data).iloc[0]["score_3a"] == 3


def test_header_with_hash_first_column_is_not_a_comment(tmp_path):
    df = pd.DataFrame([location("A")])
    df.insert(0, "#", [1])
    p = tmp_path / "h.csv"
    df.to_csv(p, index=False)
    t = read_table(p)
    assert "location_id" in t.columns and t.attrs["comments"] == []
