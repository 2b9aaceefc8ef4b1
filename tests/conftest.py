"""Fixtures shared by every test folder; the helpers themselves live in helpers.py (a unique module name,
so that test folders with their own conftest.py do not shadow it)."""

import pytest
from helpers import prepare_case, write_csv


@pytest.fixture
def make_csv(tmp_path):
    """``make_csv(rows, name="baseline.csv")``: the rows written as a CSV in the test's folder."""
    def _make(rows, name="baseline.csv"):
        return write_csv(tmp_path, rows, name)
    return _make


@pytest.fixture
def case(tmp_path):
    """``case(locs, budgets, frules=None, unit_cost=None, years=(2017, 2018), **scenario)``: an allocation
    case written in the test's folder and prepared (``helpers.prepare_case``)."""
    def _make(locs, budgets, frules=None, unit_cost=None, years=(2017, 2018), **over):
        return prepare_case(tmp_path, locs, budgets, frules, unit_cost, years, **over)
    return _make
