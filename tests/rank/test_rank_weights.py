"""Weights: equal, per criterion, per aspect, and weights files with clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kotaku_decide.rank import (
    RankInputError,
    aspect_weights,
    criterion_weights,
    equal_weights,
    parse_number,
    read_weights,
)
from kotaku_decide.rank.weights import aspect_matrix

CRIT = pd.DataFrame({
    "code": ["1a", "1b", "1c", "3a", "3b", "7a"],
    "aspect": ["building", "building", "building", "water", "water", "fire"],
})


def test_parse_number_as_planners_write():
    assert parse_number("1/3") == pytest.approx(1 / 3)
    assert parse_number(" 2 / 4 ") == 0.5
    assert parse_number("0,25") == 0.25
    assert parse_number("7") == 7.0
    assert np.isnan(parse_number(""))
    with pytest.raises(ValueError):
        parse_number("tiga")
    with pytest.raises(ValueError):
        parse_number("1/0")
    import datetime
    with pytest.raises(ValueError, match="date"):
        parse_number(datetime.datetime(2016, 3, 1))  # what Excel makes of a typed 1/3


def test_equal_weights():
    w = equal_weights(CRIT)
    assert list(w.index) == CRIT["code"].tolist()
    np.testing.assert_allclose(w, 1 / 6)


def test_aspect_weights_spread_equally_over_criteria():
    # building .3 over 3 criteria -> .1 each; water .6 over 2 -> .3 each; fire .1 -> .1
    w = aspect_weights({"building": 3, "water": 6, "fire": 1}, CRIT)
    np.testing.assert_allclose(w.to_numpy(), [0.1, 0.1, 0.1, 0.3, 0.3, 0.1])
    aspects, m = aspect_matrix(CRIT)
    assert aspects == ("building", "water", "fire")
    np.testing.assert_allclose(m.sum(axis=1), 1.0)


def test_criterion_weights_need_every_code():
    with pytest.raises(RankInputError, match="no weight for criteria"):
        criterion_weights({"1a": 1}, CRIT)
    with pytest.raises(RankInputError, match="unknown criterion"):
        criterion_weights({"9z": 1, **{c: 1 for c in CRIT["code"]}}, CRIT)
    w = criterion_weights({c.upper(): 2 for c in CRIT["code"]}, CRIT)
    np.testing.assert_allclose(w, 1 / 6)


def _write(tmp_path, text, name="w.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_read_aspect_weights_file_normalises_and_says_so(tmp_path):
    p = _write(tmp_path, "aspect,weight\nbuilding,3\nwater,6\nfire,1\n")
    ws = read_weights(p, CRIT)
    assert ws.level == "aspect"
    np.testing.assert_allclose(ws.weights.to_numpy(), [0.1, 0.1, 0.1, 0.3, 0.3, 0.1])
    assert "sum to 10" in ws.note and "normalised" in ws.note


def test_read_criterion_weights_excel_with_fractions(tmp_path):
    p = tmp_path / "w.xlsx"
    pd.DataFrame({"criterion": CRIT["code"], "weight": ["1/6"] * 6, "comment": ["x"] * 6}).to_excel(
        p, index=False)
    ws = read_weights(p, CRIT)
    assert ws.level == "criterion"
    np.testing.assert_allclose(ws.weights, 1 / 6)
    assert "sum to 1" in ws.note


@pytest.mark.parametrize("text, fragments", [
    ("aspect,weight\nbuilding,3\nwatr,6\nfire,1\n", ["row 3", "'aspect'", "unknown aspect 'watr'"]),
    ("aspect,weight\nbuilding,3\nwater,-6\nfire,1\n", ["row 3", "'weight'", "'-6'", ">= 0"]),
    ("aspect,weight\nbuilding,3\nwater,banyak\nfire,1\n", ["row 3", "'banyak'", "not a number"]),
    ("aspect,weight\nbuilding,0\nwater,0\nfire,0\n", ["all weights are zero"]),
    ("aspect,weight\nbuilding,1\nwater,1\n", ["no row for aspect ['fire']"]),
    ("aspect,weight\nbuilding,1\nwater,1\nfire,1\nwater,2\n", ["row 5", "repeats row 3"]),
    ("label,value\nbuilding,1\n", ["expected a header"]),
    ("aspect,weight\nbuilding,1\nwater,\nfire,1\n", ["row 3", "empty"]),
])
def test_weights_file_errors_name_file_row_column_value(tmp_path, text, fragments):
    p = _write(tmp_path, text)
    with pytest.raises(RankInputError) as exc:
        read_weights(p, CRIT)
    msg = str(exc.value)
    assert str(p) in msg
    for f in fragments:
        assert f in msg, (f, msg)


def test_missing_file(tmp_path):
    with pytest.raises(RankInputError, match="file not found"):
        read_weights(tmp_path / "nope.csv", CRIT)
