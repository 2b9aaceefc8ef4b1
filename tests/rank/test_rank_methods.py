"""Ranking methods against a published example and hand computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kotaku_decide.rank import RankInputError, official_total, rank_from_scores, rank_table, topsis, vikor, weighted_sum

# --------------------------------------------------------------------------------------------
# Published example: Hwang, C.-L. & Yoon, K. (1981) Multiple Attribute Decision Making, Springer
# LNEMS 186, TOPSIS numerical example "buying a fighter aircraft": 4 aircraft x 6 attributes
# (max speed [Mach], ferry range [NM], max payload [lb], acquisition cost [10^6 $] (cost
# attribute), reliability and maneuverability on the 1-9 interval scale), weights
# (.2, .1, .1, .1, .2, .3). Published relative closeness C* = (.643, .268, .613, .312), order
# A1 > A3 > A4 > A2.
FIGHTER = np.array([
    [2.0, 1500, 20000, 5.5, 5, 9],
    [2.5, 2700, 18000, 6.5, 3, 5],
    [1.8, 2000, 21000, 4.5, 7, 7],
    [2.2, 1800, 20000, 5.0, 5, 5],
])
FIGHTER_W = np.array([0.2, 0.1, 0.1, 0.1, 0.2, 0.3])
FIGHTER_D = np.array([1, 1, 1, -1, 1, 1])


def test_topsis_hwang_yoon_fighter_aircraft():
    res = topsis(FIGHTER, FIGHTER_W, FIGHTER_D)
    np.testing.assert_allclose(res.scores, [0.643, 0.268, 0.613, 0.312], atol=0.0006)
    assert res.ranks.tolist() == [1, 4, 2, 3]


def test_topsis_hand_computation():
    # X = [[2,0],[0,1],[2,1]], w = (.75,.25). Column norms 2*sqrt2 and sqrt2, so with b = 1/sqrt2
    # v = [[.75b, 0], [0, .25b], [.75b, .25b]].
    # Benefit/benefit: A+ = (.75b, .25b), A- = (0, 0):
    #   loc1 D+ = .25b, D- = .75b -> C = .75;  loc2 D+ = .75b, D- = .25b -> C = .25;  loc3 C = 1.
    x = np.array([[2.0, 0], [0, 1], [2, 1]])
    res = topsis(x, [0.75, 0.25])
    np.testing.assert_allclose(res.scores, [0.75, 0.25, 1.0])
    assert res.ranks.tolist() == [2, 3, 1]
    # Criterion 2 with direction -1: A+ = (.75b, 0), A- = (0, .25b):
    #   loc1 = A+ -> C = 1;  loc2 = A- -> C = 0;  loc3 D+ = .25b, D- = .75b -> C = .75
    res = topsis(x, [0.75, 0.25], [1, -1])
    np.testing.assert_allclose(res.scores, [1.0, 0.0, 0.75])


def test_topsis_degenerate_columns():
    x = np.array([[0.0, 5, 1], [0.0, 5, 2], [0.0, 5, 3]])  # an all-zero and a constant criterion
    res = topsis(x, [1, 1, 1])
    assert np.all(np.isfinite(res.scores))
    assert res.ranks.tolist() == [3, 2, 1]
    same = topsis(np.ones((3, 2)), [0.5, 0.5])
    np.testing.assert_allclose(same.scores, 0.5)
    assert same.ranks.tolist() == [1, 2, 3]  # full tie: row order


def test_vikor_hand_computation():
    # Same X, w = (.75, .25), v = .5. f* = (2, 1), f- = (0, 0).
    # gaps w_j (f*_j - x_ij)/(f*_j - f-_j): loc1 (0, .25), loc2 (.75, 0), loc3 (0, 0)
    # S = (.25, .75, 0), R = (.25, .75, 0); S* = R* = 0, S- = R- = .75
    # Q = .5 * S/.75 + .5 * R/.75 = (1/3, 1, 0) -> ranks (2, 3, 1)
    x = np.array([[2.0, 0], [0, 1], [2, 1]])
    res = vikor(x, [0.75, 0.25], v=0.5)
    np.testing.assert_allclose(res.S, [0.25, 0.75, 0.0])
    np.testing.assert_allclose(res.R, [0.25, 0.75, 0.0])
    np.testing.assert_allclose(res.Q, [1 / 3, 1.0, 0.0])
    assert res.ranks.tolist() == [2, 3, 1]
    # DQ = 1/(3-1) = .5; Q(a'') - Q(a') = 1/3 < .5 -> C1 fails; a' (loc3) is first by S -> C2 holds
    # compromise set = {a : Q(a) - Q(a') < .5} = {loc3, loc1}
    assert not res.advantage and res.stability
    assert res.compromise.tolist() == [True, False, True]


def test_vikor_compromise_single_when_both_conditions_hold():
    x = np.array([[10.0, 10], [0, 1], [1, 0]])
    res = vikor(x, [0.5, 0.5])
    # f* = (10, 10), f- = (0, 0): gaps loc1 (0, 0), loc2 (.5, .45), loc3 (.45, .5)
    # S = (0, .95, .95), R = (0, .5, .5), Q = (0, 1, 1): advantage 1 >= DQ = .5, and stable
    assert res.advantage and res.stability
    assert res.compromise.tolist() == [True, False, False]


def test_vikor_degenerate_cases_do_not_divide_by_zero():
    x = np.array([[3.0, 1], [3, 2], [3, 3]])  # criterion 1 constant
    res = vikor(x, [0.5, 0.5])
    np.testing.assert_allclose(res.S, [0.5, 0.25, 0.0])
    assert res.ranks.tolist() == [3, 2, 1]
    flat = vikor(np.ones((4, 3)), [1, 1, 1])
    np.testing.assert_allclose(flat.Q, 0.0)
    assert flat.ranks.tolist() == [1, 2, 3, 4]
    with pytest.raises(RankInputError):
        vikor(x, [1, 1], v=1.5)


def test_vikor_v_extremes_use_only_S_or_R():
    x = np.array([[9.0, 0, 0], [5, 5, 5], [0, 0, 7]])
    w = [1, 1, 1]
    s_only = vikor(x, w, v=1.0)
    r_only = vikor(x, w, v=0.0)
    np.testing.assert_allclose(s_only.Q, (s_only.S - s_only.S.min()) / np.ptp(s_only.S))
    np.testing.assert_allclose(r_only.Q, (r_only.R - r_only.R.min()) / np.ptp(r_only.R))


def test_weighted_sum_by_hand():
    x = np.array([[10.0, 50], [40, 0], [20, 20]])
    res = weighted_sum(x, [3, 1])  # normalised to (.75, .25)
    np.testing.assert_allclose(res.scores, [20.0, 30.0, 20.0])
    assert res.ranks.tolist() == [2, 1, 3]  # tie 1 vs 3 -> row order
    mm = weighted_sum(x, [1, 1], normalisation="minmax")
    # z = [[0, 1], [1, 0], [1/3, .4]] -> (.5, .5, 11/30)
    np.testing.assert_allclose(mm.scores, [0.5, 0.5, 11 / 30])
    cost = weighted_sum(x, [1, 1], [1, -1], normalisation="minmax")
    np.testing.assert_allclose(cost.scores, [0.0, 1.0, (1 / 3 + 0.6) / 2])


def test_official_total_and_ties():
    s = np.array([[5, 3, 0], [3, 5, 0], [0, 0, 1], [5, 5, 5]])
    res = official_total(s)
    np.testing.assert_array_equal(res.scores, [8, 8, 1, 15])
    assert res.ranks.tolist() == [2, 3, 4, 1]
    res = official_total(s, tiebreak=[np.array([0, -1, 0, 0])])
    assert res.ranks.tolist() == [3, 2, 4, 1]


def test_rank_from_scores_rounding_and_keys():
    assert rank_from_scores([1, 2, 2, 0]).tolist() == [3, 1, 2, 4]
    assert rank_from_scores([1, 2, 2, 0], tiebreak=[[0, 5, 1, 0]]).tolist() == [3, 2, 1, 4]
    assert rank_from_scores([1, 2, 2, 0], higher_first=False).tolist() == [2, 3, 4, 1]
    # equal in exact arithmetic, different in floating point: still a tie (row order decides)
    a, b = 0.1 + 0.2, 0.3
    assert a != b
    assert rank_from_scores([a, b]).tolist() == [1, 2]
    assert rank_from_scores([b, a]).tolist() == [1, 2]


def test_input_errors():
    with pytest.raises(RankInputError, match="missing"):
        topsis([[1, np.nan], [2, 3]], [1, 1])
    with pytest.raises(RankInputError, match="2 weights for 3"):
        weighted_sum(np.ones((2, 3)), [1, 1])
    with pytest.raises(RankInputError, match=">= 0"):
        weighted_sum(np.ones((2, 2)), [1, -1])
    with pytest.raises(RankInputError, match="all weights are zero"):
        weighted_sum(np.ones((2, 2)), [0, 0])
    with pytest.raises(RankInputError, match="directions"):
        topsis(np.ones((2, 2)), [1, 1], [1, 0])


def _scored(totals_scores, shares, ids):
    codes = ["1a", "1b"]
    df = pd.DataFrame({"location_id": ids})
    for j, c in enumerate(codes):
        df[f"score_{c}"] = [r[j] for r in totals_scores]
        df[f"pct_{c}"] = [r[j] for r in shares]
    return df, codes


def test_rank_table_official_tiebreak_rule():
    # totals: 6, 6, 6, 2 ; mean shares: 50, 70, 50, 99 ; ids numeric -> "9" before "10"
    df, codes = _scored([(3, 3), (5, 1), (1, 5), (1, 1)], [(40, 60), (70, 70), (50, 50), (99, 99)],
                        ["10", "2", "9", "1"])
    out = rank_table(df, codes, "official")
    assert out["rank"].tolist() == [3, 1, 2, 4]
    assert out["score"].tolist() == [6, 6, 6, 2]


def test_rank_table_text_ids_and_methods():
    df, codes = _scored([(3, 3), (3, 3)], [(50, 50), (50, 50)], ["KEL-B", "KEL-A"])
    assert rank_table(df, codes, "official")["rank"].tolist() == [2, 1]
    for m in ("wsm", "topsis", "vikor"):
        out = rank_table(df, codes, m, basis="shares")
        assert sorted(out["rank"]) == [1, 2]
    with pytest.raises(RankInputError, match="unknown method"):
        rank_table(df, codes, "electre")
    bad = df.copy()
    bad.loc[0, "pct_1a"] = np.nan
    with pytest.raises(RankInputError, match="KEL-B"):
        rank_table(bad, codes, "topsis", basis="shares")
