"""SMAA robustness: known probabilities, reproducibility, chunking, quantile definition."""

from __future__ import annotations

import numpy as np
import pytest

from kotaku_decide.rank import AHPSampler, RankInputError, SimplexSampler, smaa
from kotaku_decide.rank.ahp import ahp_weights


def _binom_tol(p, n, z=4.5):
    return z * np.sqrt(p * (1 - p) / n)


def test_first_rank_probabilities_match_the_simplex_geometry():
    # Location i is worst only on criterion i. With w ~ Dirichlet(1,1,1), i ranks first iff w_i is
    # the largest weight: probability 1/3 each by symmetry.
    x = np.eye(3) * 50
    n = 6000
    res = smaa(x, n_draws=n, seed=3)
    np.testing.assert_allclose(res.table["p_first"], 1 / 3, atol=_binom_tol(1 / 3, n))
    assert res.table["p_first"].sum() == pytest.approx(1.0)
    # two criteria: A = (1, 0), B = (0, .5): A first iff w1 > .5 w2 <=> w1 > 1/3 (w1 ~ U(0,1))
    res = smaa(np.array([[1.0, 0.0], [0.0, 0.5]]), n_draws=n, seed=4, top_k=1)
    assert abs(res.table["p_first"].iloc[0] - 2 / 3) < _binom_tol(2 / 3, n)
    assert (res.table["p_top_1"] == res.table["p_first"]).all()


def test_dominating_location_always_first_and_topsis_option():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 50, size=(30, 5))
    x[7] = 60  # worse than everyone on every criterion
    for method in ("wsm", "topsis"):
        t = smaa(x, n_draws=300, seed=1, method=method, top_k=(1, 5, 30)).table
        assert t.loc[7, "p_first"] == 1.0
        assert t.loc[7, "rank_p95"] == 1
        assert (t["p_top_30"] == 1.0).all()
        assert t["p_first"].sum() == pytest.approx(1.0)
        assert t["p_top_5"].sum() == pytest.approx(5.0)


def test_same_seed_same_output_independent_of_chunks_and_threads():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 100, size=(200, 6))
    kw = dict(n_draws=500, seed=42, data_sd=3.0)
    a = smaa(x, chunk_size=7, n_threads=1, **kw).table
    b = smaa(x, chunk_size=128, n_threads=2, **kw).table
    c = smaa(x, **kw).table
    assert a.equals(b) and a.equals(c)
    d = smaa(x, n_draws=500, seed=43, data_sd=3.0).table
    assert not a.equals(d)
    for method in ("wsm", "topsis"):
        e = smaa(x, n_draws=300, seed=5, method=method, chunk_size=11).table
        f = smaa(x, n_draws=300, seed=5, method=method, chunk_size=300, n_threads=1).table
        assert e.equals(f)


def test_quantiles_follow_inverted_cdf_definition():
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 100, size=(40, 4))
    res = smaa(x, n_draws=999, seed=7, keep_ranks=True, top_k=(3,))
    ranks = res.ranks
    assert ranks.shape == (999, 40)
    for q, col in ((0.05, "rank_p05"), (0.5, "rank_median"), (0.95, "rank_p95")):
        expected = np.quantile(ranks, q, axis=0, method="inverted_cdf")
        np.testing.assert_array_equal(res.table[col].to_numpy(), expected)
    np.testing.assert_allclose(res.table["rank_mean"], ranks.mean(axis=0))
    np.testing.assert_allclose(res.table["p_top_3"], (ranks <= 3).mean(axis=0))
    # every draw is a permutation of 1..m
    assert (np.sort(ranks, axis=1) == np.arange(1, 41)).all()


def test_ranks_in_each_draw_match_the_deterministic_method():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 100, size=(25, 4))
    w = rng.dirichlet(np.ones(4), size=20)
    from kotaku_decide.rank import topsis, weighted_sum
    for method, fn in (("wsm", weighted_sum), ("topsis", topsis)):
        res = smaa(x, weights=w, method=method, keep_ranks=True, seed=0)
        for i in range(20):
            np.testing.assert_array_equal(res.ranks[i], fn(x, w[i]).ranks)


def test_data_error_zero_equals_no_error_in_ranks_and_bounds_respected():
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 100, size=(50, 3))
    a = smaa(x, n_draws=200, seed=9).table
    b = smaa(x, n_draws=200, seed=9, data_sd=0.0).table
    assert a.equals(b)
    # a large error on shares at the bounds: perturbed values stay within 0-100 %, so the
    # location at 100 % can only move down and the one at 0 % only up
    y = np.vstack([np.full(3, 100.0), np.zeros(3)])
    t = smaa(y, n_draws=400, seed=1, data_sd=30.0).table
    assert 0.5 < t.loc[0, "p_first"] < 1.0


def test_ahp_sampler_zero_steps_reproduces_ahp_weights_and_expands():
    a = np.array([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]])
    base = ahp_weights(a).weights
    expand = np.array([[0.5, 0.5, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
    w, cr = AHPSampler(a, expand=expand, max_steps=0).sample(np.random.default_rng(0), 10)
    np.testing.assert_allclose(w, np.broadcast_to(base @ expand, (10, 4)))
    w1, cr1 = AHPSampler(a, max_steps=1).sample(np.random.default_rng(0), 500)
    assert w1.shape == (500, 3) and np.allclose(w1.sum(axis=1), 1)
    assert w1.std(axis=0).min() > 0
    assert cr1.shape == (500,)


def test_simplex_sampler_is_uniform_dirichlet():
    w, _ = SimplexSampler(4).sample(np.random.default_rng(0), 20000)
    np.testing.assert_allclose(w.sum(axis=1), 1)
    np.testing.assert_allclose(w.mean(axis=0), 0.25, atol=0.005)
    # marginal of Dirichlet(1,1,1,1) is Beta(1, 3): P(w_1 > 1/2) = (1/2)^3 = 1/8
    assert abs((w[:, 0] > 0.5).mean() - 1 / 8) < _binom_tol(1 / 8, 20000)


def test_tiebreak_orders_identical_locations():
    x = np.array([[10.0, 10.0], [10.0, 10.0], [0, 0]])
    t = smaa(x, n_draws=50, seed=0, tiebreak=[np.array([1, 0, 2])]).table
    assert t.loc[1, "p_first"] == 1.0 and t.loc[0, "rank_median"] == 2


def test_smaa_input_errors():
    x = np.ones((3, 2))
    with pytest.raises(RankInputError):
        smaa(x, method="vikor")
    with pytest.raises(RankInputError):
        smaa(x, weights=np.ones((5, 3)))
    with pytest.raises(RankInputError):
        smaa(x, data_sd=-1)
    with pytest.raises(RankInputError):
        smaa(x, top_k=0)
