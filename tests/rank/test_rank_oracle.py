"""TOPSIS and VIKOR against an independent implementation (pymcdm, test-only dependency)."""

from __future__ import annotations

import numpy as np
import pytest

pymcdm = pytest.importorskip("pymcdm")
from pymcdm.helpers import rankdata  # noqa: E402
from pymcdm.methods import TOPSIS, VIKOR  # noqa: E402
from pymcdm.normalizations import vector_normalization  # noqa: E402

from kotaku_decide.rank import topsis, vikor  # noqa: E402


def _random_problem(seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(3, 60))
    n = int(rng.integers(2, 17))
    x = rng.uniform(0, 100, size=(m, n))
    w = rng.dirichlet(np.ones(n))
    d = rng.choice([-1, 1], size=n)
    return x, w, d


@pytest.mark.parametrize("seed", range(40))
def test_topsis_matches_pymcdm_vector_normalisation(seed):
    x, w, d = _random_problem(seed)
    ours = topsis(x, w, d)
    # pymcdm turns a cost column into 1 - x/||x||; the distances are the same as Hwang & Yoon's
    ref = TOPSIS(normalization_function=vector_normalization)(x, w, d)
    np.testing.assert_allclose(ours.scores, ref, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(ours.ranks, rankdata(ref, reverse=True).astype(int))


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("v", [0.0, 0.5, 0.8])
def test_vikor_matches_pymcdm(seed, v):
    x, w, d = _random_problem(1000 + seed)
    ours = vikor(x, w, d, v=v)
    ref = VIKOR(v=v)(x, w, d)  # pymcdm returns Q; lower is better
    np.testing.assert_allclose(ours.Q, ref, rtol=0, atol=1e-10)
    if v > 0:  # with v = 0 ties in R are broken by S here, by averaging in pymcdm
        np.testing.assert_array_equal(ours.ranks, rankdata(ref).astype(int))
