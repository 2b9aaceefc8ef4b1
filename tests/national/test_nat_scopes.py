"""Scoped budgets: validation with file, row, column and value; budget rows per scope; the checker and the
money table per scope (checked against sums computed here by hand)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "allocate"))

from alloc_cases import location, write_case  # noqa: E402

from kotaku_decide.allocate import build_model, check_plan, money_table, prepare  # noqa: E402
from kotaku_decide.allocate.funding import FundingError  # noqa: E402
from kotaku_decide.allocate.results import _plan_rows  # noqa: E402
from kotaku_decide.data.scenario import load_scenario  # noqa: E402


def _case(tmp_path, budget_rows, cities=("Kota A", "Kota A", "Kota B", "Kota C"),
          provinces=("Prov X", "Prov X", "Prov X", "Prov Y")):
    locs = []
    for k, (c, p) in enumerate(zip(cities, provinces)):
        row = location(f"L{k}", area=5.0, kel="Kel 1", kec=f"Kec {c}", **{"1a": 80, "1c": 80, "6a": 30, "2b": 800})
        row["city"], row["province"] = c, p
        locs.append(row)
    data = write_case(tmp_path, locs, {("apbn", 2017): 1.0})
    pd.DataFrame(budget_rows).to_csv(tmp_path / "budget.csv", index=False)
    return {"data": data, "years": {"start": 2017, "end": 2017}}


def _err(tmp_path, rows, **kw):
    with pytest.raises(FundingError) as e:
        prepare(load_scenario(_case(tmp_path, rows, **kw)))
    return str(e.value)


def test_unknown_scope_named_with_file_row_column_and_a_close_match(tmp_path):
    msg = _err(tmp_path, [{"source": "apbn", "scope": "national", "year": 2017, "budget_rp": 1e9},
                          {"source": "apbn", "scope": "Kota Bb", "year": 2017, "budget_rp": 1e9}])
    assert "budget row 3" in msg and "column scope" in msg and "'Kota Bb'" in msg and "unknown scope" in msg
    assert "did you mean 'Kota B'" in msg and str(tmp_path / "budget.csv") in msg


def test_money_for_a_scope_without_locations(tmp_path):
    msg = _err(tmp_path, [{"source": "apbn", "scope": "province:Prov Z", "year": 2017, "budget_rp": 1e9}])
    assert "budget row 2" in msg and "no location of the baseline is in province 'Prov Z'" in msg


def test_locations_without_a_province_are_named(tmp_path):
    msg = _err(tmp_path, [{"source": "apbn", "scope": "province:Prov X", "year": 2017, "budget_rp": 1e9}],
               provinces=("Prov X", "", "Prov X", "Prov Y"))
    assert "column province" in msg and "row 3 (L1)" in msg and "1 location(s) have no province" in msg


def test_overlapping_pools_of_one_source_are_refused(tmp_path):
    msg = _err(tmp_path, [{"source": "apbn", "scope": "national", "year": 2017, "budget_rp": 1e9},
                          {"source": "apbn", "scope": "city:Kota B", "year": 2017, "budget_rp": 1e9}])
    assert "both cover location L2" in msg and "one level per location" in msg


def test_ambiguous_bare_name_asks_for_a_prefix(tmp_path):
    msg = _err(tmp_path, [{"source": "apbn", "scope": "Same", "year": 2017, "budget_rp": 1e9}],
               cities=("Same", "Same", "Kota B", "Kota C"), provinces=("Same", "Same", "P", "P"))
    assert "both a province and a city" in msg and "province:Same or city:Same" in msg


def test_table_without_scopes_keeps_one_pool_per_source(tmp_path):
    sc = _case(tmp_path, [{"source": "apbn", "year": 2017, "budget_rp": 5e9}])
    inp = prepare(load_scenario(sc))
    assert not inp.funding.scoped and inp.funding.pools == [("apbn", "")]
    m = build_model(inp)
    assert list(m.rows["budget"]) == [("apbn", 2017)]
    assert list(money_table(inp, inp.options.iloc[:0]).columns)[:2] == ["source", "label"]


def test_budget_rows_per_scope_hold_only_their_locations(tmp_path):
    rows = [{"source": "apbn", "scope": "national", "year": 2017, "budget_rp": 50e6},
            {"source": "apbd", "scope": "province:Prov X", "year": 2017, "budget_rp": 30e6},
            {"source": "apbd", "scope": "province:Prov Y", "year": 2017, "budget_rp": 20e6}]
    sc = _case(tmp_path, rows)
    pd.DataFrame([{"source": s, "label": s, "eligible": "all", "authorities": "all", "per_kelurahan_cap_rp": "",
                   "carry_over": "no", "provenance": "test"} for s in ("apbn", "apbd")]).to_csv(
        tmp_path / "rules.csv", index=False)
    inp = prepare(load_scenario(sc))
    f = inp.funding
    assert f.scoped and f.pools == [("apbn", ""), ("apbd", "province:Prov X"), ("apbd", "province:Prov Y")]
    m = build_model(inp)
    keys = set(m.rows["budget"])
    assert keys == {("apbn", 2017), ("apbd", 2017, "province:Prov X"), ("apbd", 2017, "province:Prov Y")}
    city_of_col = {}
    for (i, g, y, s), col in m.mcol.items():
        city_of_col[col] = (inp.locations.at[i, "province"], s)
    for key, r in m.rows["budget"].items():
        cols = m.A.indices[m.A.indptr[r]:m.A.indptr[r + 1]]
        provs = {city_of_col[c][0] for c in cols}
        srcs = {city_of_col[c][1] for c in cols}
        assert srcs == {key[0]}
        if len(key) == 3:
            assert provs == {key[2].split(":", 1)[1]}
        else:
            assert provs == {"Prov X", "Prov Y"}
        assert m.row_up[r] == pytest.approx({"apbn": 50, "apbd": 30 if len(key) == 3 and key[2].endswith("X")
                                             else 20}[key[0]])
    # the kelurahan "Kel 1" repeats in three cities: caps (none here) and keys are per city
    from kotaku_decide.allocate.model import kelurahan_keys
    assert len(set(kelurahan_keys(inp.locations))) == 3


def test_checker_and_money_table_per_scope(tmp_path):
    rows = [{"source": "apbd", "scope": "city:Kota A", "year": 2017, "budget_rp": 100e6},
            {"source": "apbd", "scope": "city:Kota B", "year": 2017, "budget_rp": 10e6},
            {"source": "apbd", "scope": "city:Kota C", "year": 2017, "budget_rp": 1000e6}]
    sc = _case(tmp_path, rows)
    pd.DataFrame([{"source": "apbd", "label": "apbd", "eligible": "all", "authorities": "all",
                   "per_kelurahan_cap_rp": "", "carry_over": "no", "provenance": "test"}]).to_csv(
        tmp_path / "rules.csv", index=False)
    inp = prepare(load_scenario(sc))
    o = inp.options
    # works at L0 and L1 (both Kota A) costing more than Kota A's Rp 100 m, though the total (Rp 1,110 m) would pay
    pick = [o[o["location_id"] == lid]["cost_rp"].idxmax() for lid in ("L0", "L1")]
    raw = pd.DataFrame({"option_row": pick, "year": 2017, "source": "apbd",
                        "cost_rp": o.loc[pick, "cost_rp"].to_numpy()})
    plan = _plan_rows(inp, raw)
    spent_a = float(o.loc[pick, "cost_rp"].sum())
    assert spent_a > 100e6
    v = [x for x in check_plan(inp, plan) if x.rule == "budget"]
    assert len(v) == 1 and v[0].key == "apbd/city:Kota A/2017" and v[0].found == pytest.approx(spent_a)
    mt = money_table(inp, plan)
    assert list(mt["scope"]) == ["city:Kota A", "city:Kota B", "city:Kota C"]
    assert mt["used_rp"].tolist() == pytest.approx([spent_a, 0.0, 0.0])
    assert mt["left_rp"].tolist() == pytest.approx([100e6 - spent_a, 10e6, 1000e6])
    assert np.isclose(mt["budget_rp"].sum(), 1110e6)
