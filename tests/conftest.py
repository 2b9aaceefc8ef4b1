"""Fixtures for the top-level tests; shared helpers live in kd_testutil.py (a unique module name,
so that test folders with their own conftest.py do not shadow it)."""

import pytest
from kd_testutil import write_csv


@pytest.fixture
def make_csv(tmp_path):
    def _make(rows, name="baseline.csv"):
        return write_csv(tmp_path, rows, name)
    return _make
