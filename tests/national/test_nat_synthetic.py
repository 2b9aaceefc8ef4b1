"""The SYNTHETIC national generator: shape of the instance, and the committed files it must reproduce."""

from __future__ import annotations

import filecmp

import numpy as np
import pandas as pd
from kd_testutil import REPO

from kotaku_decide.data.scenario import load_scenario
from kotaku_decide.national.synthetic import city_sizes, make_mini, make_national


def test_city_sizes_lognormal_within_bounds_and_exact_total():
    s = city_sizes()
    assert len(s) == 270 and s.sum() == 11_000 and s.min() >= 10 and s.max() <= 300
    assert 40 <= s.mean() <= 42
    # skewed like a lognormal: the mean above the median, a long right tail
    assert s.mean() > np.median(s) and np.percentile(s, 95) > 2 * np.median(s)
    assert (city_sizes(seed=1) != s).any() and (city_sizes() == s).all()


def test_committed_national_files_are_the_generator_output(tmp_path):
    make_national(tmp_path)
    for f in ("baseline.csv", "budget.csv", "rules.csv"):
        assert filecmp.cmp(tmp_path / f, REPO / "data" / "national" / f, shallow=False), f
    total = sum((REPO / "data" / "national" / f).stat().st_size for f in ("baseline.csv", "budget.csv", "rules.csv"))
    assert total < 2_000_000


def test_national_shape_scopes_and_synthetic_labels():
    d = REPO / "data" / "national"
    b = pd.read_csv(d / "baseline.csv", comment="#")
    assert len(b) == 11_000 and b["city"].nunique() == 270 and b["province"].nunique() == 34
    assert (b.groupby("province")["city"].nunique() >= 2).all()
    assert (b.groupby("city")["province"].nunique() == 1).all()
    assert (b["provenance"] == "SYNTHETIC").all()
    assert "SYNTHETIC" in (d / "baseline.csv").read_text().splitlines()[0]
    bud = pd.read_csv(d / "budget.csv", comment="#")
    assert set(bud.loc[bud["source"] == "apbn", "scope"]) == {"national"}
    assert bud.loc[bud["source"] == "apbd_prov", "scope"].str.startswith("province:").all()
    assert bud.loc[bud["source"] == "apbd_prov", "scope"].nunique() == 34
    local = bud[~bud["source"].isin(["apbn", "apbd_prov"])]
    assert local["scope"].str.startswith("city:").all() and local["scope"].nunique() == 270
    # heterogeneous local budgets: per-location APBD Kota differs across cities
    per_loc = (local[(local["source"] == "apbd_kota") & (local["year"] == 2017)].set_index("scope")["budget_rp"]
               / b.groupby("city").size().rename(lambda c: f"city:{c}"))
    assert per_loc.max() / per_loc.min() > 3
    sc = load_scenario(REPO / "data" / "scenarios" / "national_synthetic.yaml")
    assert sc.data_path("baseline") == d / "baseline.csv"


def test_mini_case_is_2_provinces_x_6_cities_x_40(tmp_path):
    make_mini(tmp_path)
    b = pd.read_csv(tmp_path / "baseline.csv", comment="#")
    assert len(b) == 480 and (b.groupby("city").size() == 40).all()
    assert b.groupby("province")["city"].nunique().to_dict() == {"P01": 6, "P02": 6}
