"""cleared_years (the re-scored first year a plan clears each location) against re-scoring the whole
table year by year, on random plans of the embedded city, under a points-only rule and a rule with
services."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from kotaku_decide.allocate import prepare
from kotaku_decide.allocate.results import _volumes_after, cleared_years
from kotaku_decide.data.scenario import load_scenario
from kotaku_decide.evidence.core import package_input, works_table
from kotaku_decide.score.clearance import cleared
from kotaku_decide.score.scoring import denominator_matrix, score_permen, volume_matrix

ROOT = Path(__file__).resolve().parents[2]


def _reference(inp, works):
    """Every location re-scored for every year (the plain formulation)."""
    loc, prof = inp.locations, inp.profile
    D = denominator_matrix(loc, prof)
    slum0 = score_permen(volume_matrix(loc, prof), D, prof)["total"] >= inp.threshold
    out = np.full(len(loc), np.nan)
    for y in reversed(inp.years):
        V, res = _volumes_after(inp, works, y)
        out = np.where(cleared(V, D, prof, inp.clearance, res) & slum0, y, out)
    return out


def _random_plans(inp, rng, n, most):
    years = list(inp.years) + [inp.years[0] - 1, inp.years[-1] + 1]  # works outside the horizon too
    for _ in range(n):
        k = int(rng.integers(0, most))
        rows = rng.choice(len(inp.options), size=k, replace=False)
        keys = {(int(r), int(y)) for r, y in zip(rows, rng.choice(years, size=k))}
        if k:  # the same work again in the last year (two works on one location and criterion)
            keys.add((int(rows[0]), inp.years[-1]))
        yield works_table(inp, keys)


@pytest.mark.parametrize("rule, most", [(None, 60), ("services_80", 400)])
def test_cleared_years_equal_rescoring_every_year(rule, most):
    over = {} if rule is None else {"options": {"clearance_rule": rule}}
    inp = prepare(load_scenario(ROOT / "data/scenarios/balikpapan.yaml", **over))
    rng = np.random.default_rng(5)
    seen = set()
    for w in _random_plans(inp, rng, 40, most):
        got = cleared_years(inp, w)
        np.testing.assert_array_equal(got, _reference(inp, w))
        seen |= {int(y) for y in got[~np.isnan(got)]}
    assert seen, "no random plan cleared a location: the comparison would be weak"


def test_cleared_years_follow_the_locations_table():
    # the baseline arrays are kept per locations table: another table (same ids, other volumes) must
    # not be read from the first one's
    inp = prepare(load_scenario(ROOT / "data/scenarios/balikpapan.yaml"))
    sub, groups = package_input(inp)
    rows = [int(sub.options.at[r, "full_row"]) for g in groups[:3] for r in g]  # three cheapest packages
    w = works_table(inp, {(r, inp.years[0]) for r in rows})
    at = sorted({int(i) for i in inp.options.loc[rows, "loc"]})
    loc = inp.locations.copy()
    loc.loc[at, [c for c in loc.columns if c.startswith("vol_")]] = 0.0  # not slum in the other table
    other = dataclasses.replace(inp, locations=loc)
    first = cleared_years(inp, w)
    second = cleared_years(other, w)
    np.testing.assert_array_equal(first, _reference(inp, w))
    np.testing.assert_array_equal(second, _reference(other, w))
    assert (first[at] == inp.years[0]).all() and np.isnan(second[at]).all()
