"""Rank agreement against hand-computed Kendall tau and Spearman rho."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kotaku_decide.rank import agreement_matrix, rank_agreement, rank_moves


def test_kendall_and_spearman_by_hand():
    a = [1, 2, 3, 4, 5]
    b = [2, 1, 4, 3, 5]
    # discordant pairs: (1,2) and (3,4) -> D = 2 of 10: tau = 1 - 4*2/(5*4) = 0.6
    # d = (-1, 1, -1, 1, 0): sum d^2 = 4 -> rho = 1 - 6*4/(5*24) = 0.8
    res = rank_agreement(a, b, top=2)
    assert res["kendall_tau"] == pytest.approx(0.6)
    assert res["spearman_rho"] == pytest.approx(0.8)
    assert res["top_overlap"] == 1.0  # {1st, 2nd} are the same two locations
    rev = rank_agreement(a, a[::-1])
    assert rev["kendall_tau"] == pytest.approx(-1.0) and rev["spearman_rho"] == pytest.approx(-1.0)


def test_agreement_matrix_symmetric():
    t = pd.DataFrame({"official": [1, 2, 3, 4], "topsis": [2, 1, 3, 4], "vikor": [4, 3, 2, 1]})
    m = agreement_matrix(t)
    np.testing.assert_allclose(m.to_numpy(), m.to_numpy().T)
    assert m.loc["official", "vikor"] == pytest.approx(-1.0)
    # one discordant pair of 6: tau = 1 - 4/12 = 2/3
    assert m.loc["official", "topsis"] == pytest.approx(2 / 3)


def test_rank_moves():
    t = pd.DataFrame({"official": [1, 2, 3, 4], "topsis": [4, 2, 1, 3], "vikor": [1, 3, 2, 4]},
                     index=["A", "B", "C", "D"])
    moves = rank_moves(t, top=2)
    assert moves.index.tolist() == ["A", "C"]  # spreads 3 and 2
    assert moves["spread"].tolist() == [3, 2]
    pair = rank_moves(t, pair=("official", "topsis"), top=None)
    assert pair.loc["A", "shift"] == 3 and pair.loc["C", "shift"] == -2
    assert pair.index[0] == "A"
