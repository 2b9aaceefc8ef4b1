"""Allocation outputs written by the command line (kotaku_decide.cli.allocate)."""

import openpyxl
import pandas as pd
from helpers import DATA

from kotaku_decide.allocate import allocate
from kotaku_decide.cli.allocate import write_outputs
from kotaku_decide.data.scenario import load_scenario


def test_plan_workbook_escapes_text_cells(tmp_path):
    base = pd.read_csv(DATA / "balikpapan_2016_baseline.csv", comment="#", dtype=str)
    base.loc[base["location_id"] == "BPN-P01", "name"] = "=HYPERLINK(\"http://evil\",\"x\")"
    p = tmp_path / "b.csv"
    base.to_csv(p, index=False)
    sc = load_scenario(DATA / "scenarios" / "balikpapan.yaml", data={"baseline": str(p)},
                       solver={"time_limit_s": 30})
    res = allocate(sc)
    write_outputs(res, tmp_path / "out")
    wb = openpyxl.load_workbook(tmp_path / "out" / "allocation.xlsx")
    formulas = [c.coordinate for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    names = [c.value for c in wb["plan"]["B"] if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert names and all(n.startswith("'=") for n in names)
