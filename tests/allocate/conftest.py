"""Fixtures for the allocation tests (helpers live in alloc_cases.py)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from alloc_cases import make_input  # noqa: E402


@pytest.fixture
def case(tmp_path):
    def _make(locs, budgets, frules=None, unit_cost=None, years=(2017, 2018), **over):
        return make_input(tmp_path, locs, budgets, frules, unit_cost, years, **over)
    return _make
