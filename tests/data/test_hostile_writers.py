"""What the toolkit writes, against hostile content: spreadsheet formulas, HTML and Markdown links, characters
XML cannot hold, sizes Excel cannot hold, and output paths that cannot be used. Issue 15, class "injection
in what the tool writes" and "tracebacks for ordinary mistakes" (output paths)."""

import os
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from kotaku_decide.data import writers
from kotaku_decide.data.writers import (
    OutputError,
    WriteError,
    atomic_folder,
    check_distinct,
    check_output,
    escape_markdown,
    write_csv,
    write_table,
    write_workbook,
)

HOSTILE = ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\t=1", "\r=1"]


# ------------------------------------------------------------------------------------------------
# spreadsheet formulas: CSV and Excel alike
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", HOSTILE)
def test_csv_text_cells_are_escaped(tmp_path, text):
    p = write_csv(pd.DataFrame({"name": [text], "n": [-5]}), tmp_path / "o.csv")
    back = pd.read_csv(p, dtype={"name": str}, keep_default_na=False)  # an independent reader
    assert back["name"].tolist() == ["'" + text]  # quoted: a spreadsheet shows it as text
    assert back["n"].tolist() == [-5]  # a negative number stays a number


@pytest.mark.parametrize("text", HOSTILE)
def test_excel_text_cells_are_never_formulas(tmp_path, text):
    p = write_workbook({"s": pd.DataFrame({"name": [text], "n": [-5]})}, tmp_path / "o.xlsx")
    ws = openpyxl.load_workbook(p)["s"]
    assert ws["A2"].data_type == "s" and ws["A2"].value.startswith("'")
    assert ws["B2"].value == -5 and ws["B2"].data_type == "n"
    with zipfile.ZipFile(p) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()


def test_headers_and_index_text_are_escaped_too(tmp_path):
    df = pd.DataFrame({"=bad": [1]}, index=pd.Index(["=idx"], name="@name"))
    p = write_workbook({"s": df}, tmp_path / "o.xlsx", index={"s": True})
    ws = openpyxl.load_workbook(p)["s"]
    assert [c.value for c in ws[1]] == ["'@name", "'=bad"] and ws["A2"].value == "'=idx"


def test_csv_equals_pandas_for_ordinary_tables(tmp_path):
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"id": [f"L{k}" for k in range(50)], "x": rng.random(50) * 100, "k": rng.integers(0, 9, 50),
                       "b": rng.random(50) < 0.5, "t": ["a, b", 'say "hi"', "line\nbreak", "", None] * 10,
                       "c": pd.Categorical(["x", "y"] * 25), "nan": [np.nan, 1.5] * 25,
                       "nb": pd.array([True, None] * 25, dtype="boolean"),
                       "ni": pd.array([7, None] * 25, dtype="Int64"),
                       "nf": pd.array([0.25, None] * 25, dtype="Float64"),
                       "neg": [-3, 4] * 25, "big": [10**15, 1] * 25})
    write_csv(df, tmp_path / "ours.csv")
    df.to_csv(tmp_path / "pandas.csv", index=False)
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


def test_adjacent_number_columns_equal_pandas_and_read_back_exactly(tmp_path):
    """Runs of adjacent float64 / int64 columns are formatted as one block: the text must still be pandas'
    (NaN empty, -0.0, int64 extremes), a run holding an infinity included, and every value read back."""
    rng = np.random.default_rng(3)
    n = 500
    f = rng.random((n, 4)) * 1000 - 500
    f[rng.random((n, 4)) < 0.1] = np.nan
    f[0, 0], f[1, 1] = -0.0, 0.0
    g = rng.random((n, 2))
    g[5, 1] = np.inf
    g[6, 0] = -np.inf
    ints = rng.integers(-10**6, 10**6, (n, 3))
    ints[0] = [np.iinfo(np.int64).max, np.iinfo(np.int64).min, 0]
    df = pd.DataFrame({"id": [f"L{k}" for k in range(n)], **{f"f{j}": f[:, j] for j in range(4)},
                       **{f"i{j}": ints[:, j] for j in range(3)}, **{f"g{j}": g[:, j] for j in range(2)},
                       "one": rng.random(n), "t": ["a"] * n, "last_f": f[:, 0], "last_g": g[:, 1]})
    write_csv(df, tmp_path / "ours.csv", chunk_rows=128)
    df.to_csv(tmp_path / "pandas.csv", index=False)
    assert (tmp_path / "ours.csv").read_text() == (tmp_path / "pandas.csv").read_text()
    back = pd.read_csv(tmp_path / "ours.csv")
    pd.testing.assert_frame_equal(back, df, check_exact=True)


def test_a_csv_written_by_two_processes_is_the_same_file(tmp_path):
    rng = np.random.default_rng(7)
    n = 45_000
    df = pd.DataFrame({"id": [f"L{k}" for k in range(n)], "x": rng.random(n), "k": rng.integers(-5, 5, n),
                       "t": np.where(rng.random(n) < 0.01, "=evil,\"quoted\"", "plain")})
    write_csv(df, tmp_path / "one.csv", processes=1, chunk_rows=10_000)
    write_csv(df, tmp_path / "two.csv", processes=2, chunk_rows=10_000)
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.csv", "two.csv"]  # no part file left
    back = pd.read_csv(tmp_path / "two.csv")
    assert len(back) == n and back["x"].tolist() == df["x"].tolist()


def test_nullable_columns_in_excel(tmp_path):
    df = pd.DataFrame({"nb": pd.array([True, False, None], dtype="boolean"),
                       "ni": pd.array([7, None, -2], dtype="Int64"),
                       "nf": pd.array([0.25, None, np.inf], dtype="Float64")})
    ws = openpyxl.load_workbook(write_workbook({"s": df}, tmp_path / "o.xlsx"))["s"]
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=2)] == [[True, 7, 0.25], [False, None, None],
                                                                          [None, -2, "inf"]]


def test_special_floats_in_csv_and_excel(tmp_path):
    df = pd.DataFrame({"v": [np.nan, np.inf, -np.inf, 0.1 + 0.2, 1e-7, 1e16]})
    write_csv(df, tmp_path / "o.csv")
    lines = (tmp_path / "o.csv").read_text().splitlines()[1:]
    assert lines[:4] == ["", "inf", "-inf", "0.30000000000000004"]  # empty for NaN, inf as pandas writes it
    assert [float(x) for x in lines[3:]] == [0.1 + 0.2, 1e-7, 1e16]  # shortest text that reads back exactly
    ws = openpyxl.load_workbook(write_workbook({"s": df}, tmp_path / "o.xlsx"))["s"]
    assert [ws.cell(row=r, column=1).value for r in range(2, 8)] == [None, "inf", "-inf", 0.1 + 0.2, 1e-7, 1e16]


# ------------------------------------------------------------------------------------------------
# content Excel cannot hold
# ------------------------------------------------------------------------------------------------
def test_control_characters_and_lone_surrogates_give_a_valid_workbook(tmp_path):
    names = ["Kampung\x07Baru", "A\x00B", "tab\tand\nnewline", "x\ud800y", "_x0041_ literal", "ok & <b>bold</b>"]
    p = write_workbook({"s": pd.DataFrame({"name": names})}, tmp_path / "o.xlsx")
    ws = openpyxl.load_workbook(p)["s"]  # an XML parser accepts the file
    vals = [ws.cell(row=r, column=1).value for r in range(2, 8)]
    assert vals[0].startswith("Kampung") and vals[0].endswith("Baru")
    assert vals[2] == "tab\tand\nnewline" and vals[5] == "ok & <b>bold</b>"
    xml = zipfile.ZipFile(p).read("xl/worksheets/sheet1.xml").decode()
    assert "Kampung_x0007_Baru" in xml and "_x005F_x0041_ literal" in xml  # ECMA-376 escapes, literal kept


def test_sheet_names_are_made_valid_and_unique(tmp_path):
    sheets = {"a/b:c*?[d]": pd.DataFrame({"x": [1]}), "A/B:C*?[D]": pd.DataFrame({"x": [2]}),
              "x" * 40: pd.DataFrame({"x": [3]}), "": pd.DataFrame({"x": [4]})}
    wb = openpyxl.load_workbook(write_workbook(sheets, tmp_path / "o.xlsx"))
    names = wb.sheetnames
    assert len(set(n.lower() for n in names)) == 4 and all(len(n) <= 31 for n in names)
    assert not any(set(n) & set("[]:*?/\\") for n in names)
    assert [wb[n]["A2"].value for n in names] == [1, 2, 3, 4]


def test_too_many_rows_for_excel_is_refused_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(writers, "XLSX_MAX_ROWS", 10)
    with pytest.raises(WriteError, match="sheet 'big' has 10 rows; an Excel sheet holds at most 9"):
        write_workbook({"big": pd.DataFrame({"x": range(10)})}, tmp_path / "o.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_a_text_longer_than_an_excel_cell_is_refused_with_its_place(tmp_path):
    df = pd.DataFrame({"id": ["A", "B"], "name": ["ok", "x" * 32_768]})
    (tmp_path / "o.xlsx").write_bytes(b"old good file")
    with pytest.raises(WriteError, match=r"sheet 's', row 3, column 'name': a text of 32,768 characters"):
        write_workbook({"s": df}, tmp_path / "o.xlsx")
    assert (tmp_path / "o.xlsx").read_bytes() == b"old good file"  # the earlier file survives
    write_table(df, tmp_path / "o.csv")  # CSV holds it
    assert len(pd.read_csv(tmp_path / "o.csv")["name"].iloc[1]) == 32_768


def test_a_200_column_workbook_has_valid_column_letters(tmp_path):
    df = pd.DataFrame([list(range(800))], columns=[f"c{i}" for i in range(800)])
    ws = openpyxl.load_workbook(write_workbook({"s": df}, tmp_path / "o.xlsx"))["s"]
    assert ws.cell(row=2, column=800).value == 799 and ws.cell(row=1, column=703).value == "c702"  # AAA


# ------------------------------------------------------------------------------------------------
# Markdown and HTML: a javascript: link in a title never becomes a link
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["[click](javascript:alert(1))", "<javascript:alert(1)>", "![x](javascript:alert(1))",
                                  "<img src=x onerror=alert(1)>", "*bold* `code` a|b"])
def test_markdown_escaping_renders_as_text(text):
    from nbconvert.filters.markdown import markdown2html_mistune as render  # the renderer of the HTML report

    html = render("# Report: " + escape_markdown(text))
    assert 'href="javascript' not in html and 'src="javascript' not in html and "<img" not in html
    assert "<strong>" not in html and "<em>" not in html and "<code>" not in html
    assert "Report:" in html


def test_markdown_escaping_keeps_a_title_on_one_line():
    assert "\n" not in escape_markdown("Title\n# injected heading\n```")


# ------------------------------------------------------------------------------------------------
# outputs: one check before any work
# ------------------------------------------------------------------------------------------------
def test_output_checks(tmp_path):
    f = tmp_path / "a.csv"
    f.write_text("x\n")
    d = tmp_path / "folder"
    d.mkdir()
    with pytest.raises(OutputError, match="is an existing file; expected a folder"):
        check_output(f, folder=True)
    with pytest.raises(OutputError, match="is an existing folder; expected a file"):
        check_output(d, suffixes=(".csv",))
    with pytest.raises(OutputError, match="a.csv is a file, so no folder can be made inside it"):
        check_output(f / "sub" / "out.csv")
    with pytest.raises(OutputError, match="is also an input"):
        check_output(tmp_path / "folder" / ".." / "a.csv", inputs=[f])
    with pytest.raises(OutputError, match="expected a file ending in .csv or .xlsx"):
        check_output(tmp_path / "out.txt", suffixes=(".csv", ".xlsx"))
    with pytest.raises(OutputError, match="NUL"):
        check_output("bad\x00name.csv")
    with pytest.raises(OutputError, match="longer than 255 bytes"):
        check_output(tmp_path / ("x" * 300 + ".csv"))
    with pytest.raises(OutputError, match="--out and --summary both name"):
        check_distinct({"--out": f, "--summary": tmp_path / "." / "a.csv"})
    assert check_output(tmp_path / "new" / "deeper" / "o.csv") == tmp_path / "new" / "deeper" / "o.csv"
    assert check_output(f, suffixes=(".csv",)) == f  # an earlier output is replaced (atomically) by a rerun
    assert check_output(d, folder=True) == d


def test_a_symlink_to_the_input_is_the_input(tmp_path):
    f = tmp_path / "in.csv"
    f.write_text("x\n")
    (tmp_path / "link.csv").symlink_to(f)
    with pytest.raises(OutputError, match="is also an input"):
        check_output(tmp_path / "link.csv", inputs=[f])


def _as_nobody(code: str, cwd) -> subprocess.CompletedProcess:
    """Run Python code as an unprivileged user (root may write anywhere), or as we are when not root."""
    cmd = [sys.executable, "-c", code]
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: a read-only folder cannot be tested")
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)


def test_a_read_only_folder_is_refused_before_work():
    import tempfile

    base = tempfile.mkdtemp(prefix="kd-ro-")  # under /tmp: an unprivileged user can reach it
    try:
        os.chmod(base, 0o755)
        ro = os.path.join(base, "ro")
        os.mkdir(ro, 0o555)
        os.chmod(ro, 0o555)
        code = ("from kotaku_decide.data.writers import check_output, OutputError\n"
                "for path, folder in ((%r, False), (%r, True), (%r, True)):\n"
                "    try:\n        check_output(path, folder=folder)\n        print('accepted')\n"
                "    except OutputError as e:\n        print(e)" % (os.path.join(ro, "o.csv"), ro,
                                                                   os.path.join(ro, "sub")))
        out = _as_nobody(code, base).stdout.splitlines()
        assert len(out) == 3 and all("is not writable" in line for line in out), out
    finally:
        os.chmod(os.path.join(base, "ro"), 0o755)
        shutil.rmtree(base, ignore_errors=True)


def test_atomic_folder_keeps_other_files_and_drops_stale_outputs(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("the planner's own note")
    (out / "checker.csv").write_text("stale violations of an earlier run")
    with atomic_folder(out, owned=["plan.csv", "checker.csv"]) as tmp:
        write_table(pd.DataFrame({"x": [1]}), tmp / "plan.csv")
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt", "plan.csv"]
    with pytest.raises(RuntimeError):
        with atomic_folder(out, owned=["plan.csv"]) as tmp:
            write_table(pd.DataFrame({"x": [2]}), tmp / "plan.csv")
            raise RuntimeError("the solve failed half-way")
    assert pd.read_csv(out / "plan.csv")["x"].tolist() == [1]  # the earlier result is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary folder left
