"""The embedded progress example: the SYNTHETIC realised works are reproducible, valid and show what
they promise (some works late, some over cost, one not in the plan) against the adopted plan."""

import importlib.util

import pytest
from kd_testutil import DATA

from kotaku_decide.progress.api import load_progress_inputs, track_progress

PLAN = DATA / "progress" / "balikpapan_plan_adopted.csv"
REALISED = DATA / "progress" / "balikpapan_realised_synthetic.csv"
SCENARIO = DATA / "scenarios" / "balikpapan.yaml"


def _generator():
    spec = importlib.util.spec_from_file_location("make_progress_balikpapan", DATA / "make_progress_balikpapan.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_generator_rewrites_the_committed_file_byte_for_byte(tmp_path):
    g = _generator()
    out = tmp_path / "realised.csv"
    g.write(g.generate(g._read(g.PLAN), g._read(g.BASELINE)), out)
    assert out.read_bytes() == REALISED.read_bytes()


@pytest.fixture(scope="module")
def progress():
    inp = load_progress_inputs(PLAN, REALISED, SCENARIO)
    return inp, track_progress(inp.baseline, inp.profile, inp.plan, inp.realised, inp.years)


def test_synthetic_file_says_so_and_validates(progress):
    inp, res = progress
    assert inp.realised.attrs["comments"][0].startswith("SYNTHETIC")
    assert inp.realised["provenance"].str.startswith("SYNTHETIC").all()
    assert any("SYNTHETIC" in p for p in res.provenance)
    assert set(inp.realised["year"]) == {2017, 2018} and res.as_of == 2018


def test_some_late_some_over_cost_one_not_in_plan(progress):
    _, res = progress
    st = res.works["status"].value_counts()
    assert st["late"] == 3 and st["behind"] == 3 and st["not_in_plan"] == 1
    cs = res.works["cost_status"].value_counts()
    assert cs["over"] >= 4 and cs["under"] >= 2
    nip = res.works[res.works["status"] == "not_in_plan"].iloc[0]
    assert nip["criterion"] == "1c" and nip["realised_sources"] == "csr"
    # behind plan: realised slum hectares by 2018 above the planned ones, and locations listed
    y = res.yearly.set_index("year")
    assert y.loc[2018, "slum_ha_realised"] > y.loc[2018, "slum_ha_planned"]
    assert len(res.behind) >= 1 and res.behind["behind_plan"].all()
    # every location the plan had cleared by 2018 and the realised works did not is in the behind table
    late = res.locations[(res.locations["planned_cleared_year"] <= 2018) & res.locations["cleared_year"].isna()]
    assert set(late["location_id"]) <= set(res.behind["location_id"])
