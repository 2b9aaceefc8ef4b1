"""Comparing rankings: rank agreement and the locations whose rank moves most.

Kendall's tau-b counts concordant minus discordant pairs of locations (normalised, with a
correction for ties); Spearman's rho is the Pearson correlation of the ranks. Both are 1 for
identical orders and -1 for reversed ones. With ordinal ranks (no ties), for ``m`` locations:
``tau = 1 - 4 D / (m (m - 1))`` with ``D`` discordant pairs, and
``rho = 1 - 6 sum d_i^2 / (m (m^2 - 1))`` with ``d_i`` the rank differences.

References
----------
Kendall, M. G. (1938). A new measure of rank correlation. Biometrika, 30(1/2), 81-93.
Spearman, C. (1904). The proof and measurement of association between two things. American
    Journal of Psychology, 15(1), 72-101.
"""

from __future__ import annotations

from itertools import combinations
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .weights import RankInputError

__all__ = ["rank_agreement", "agreement_matrix", "rank_moves"]


def rank_agreement(ranks_a, ranks_b, *, top: int | None = None) -> dict:
    """Agreement of two rankings of the same locations.

    Parameters
    ----------
    ranks_a, ranks_b : array-like (m,)
        Ranks (1 = first) of the same locations in the same order.
    top : int, optional
        Also report the overlap of the two top-``top`` sets (share of common locations).

    Returns
    -------
    dict
        ``kendall_tau`` (tau-b), ``kendall_p``, ``spearman_rho``, ``spearman_p``, ``n`` and,
        with ``top``, ``top_overlap``.

    Notes
    -----
    p-values are scipy's (exact for small ``m`` without ties, asymptotic otherwise); with
    fewer than 2 locations or a constant ranking the coefficients are NaN.
    """
    a = np.asarray(ranks_a, dtype=float).ravel()
    b = np.asarray(ranks_b, dtype=float).ravel()
    if a.size != b.size:
        raise RankInputError(f"rankings have different lengths ({a.size} and {b.size})")
    out = {"n": int(a.size)}
    if a.size < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        out.update(kendall_tau=np.nan, kendall_p=np.nan, spearman_rho=np.nan, spearman_p=np.nan)
    else:
        kt = stats.kendalltau(a, b)
        sr = stats.spearmanr(a, b)
        out.update(kendall_tau=float(kt.statistic), kendall_p=float(kt.pvalue),
                   spearman_rho=float(sr.statistic), spearman_p=float(sr.pvalue))
    if top is not None:
        in_a, in_b = a <= top, b <= top
        denom = max(min(top, a.size), 1)
        out["top_overlap"] = float((in_a & in_b).sum() / denom)
    return out


def agreement_matrix(rank_table: pd.DataFrame, *, statistic: str = "kendall_tau") -> pd.DataFrame:
    """Pairwise agreement between every two rank columns (methods x methods)."""
    cols = list(rank_table.columns)
    out = pd.DataFrame(np.eye(len(cols)), index=cols, columns=cols)
    for a, b in combinations(cols, 2):
        val = rank_agreement(rank_table[a], rank_table[b])[statistic]
        out.loc[a, b] = out.loc[b, a] = val
    return out


def rank_moves(rank_table: pd.DataFrame, *, top: int | None = 10,
               pair: Sequence[str] | None = None) -> pd.DataFrame:
    """Locations whose rank moves most between methods.

    Parameters
    ----------
    rank_table : DataFrame
        One rank column per method (index = location).
    top : int, optional
        Keep the ``top`` largest movers.
    pair : (str, str), optional
        Compare only these two columns; ``shift = rank[b] - rank[a]`` (positive = later under b).

    Returns
    -------
    DataFrame
        The rank columns plus ``best_rank``, ``worst_rank`` and ``spread`` (worst - best), or
        ``shift`` and ``abs_shift`` for a pair; largest movement first, then index order.
    """
    t = rank_table.copy()
    if pair is not None:
        a, b = pair
        for c in (a, b):
            if c not in t.columns:
                raise RankInputError(f"no rank column '{c}'; have {list(t.columns)}")
        t = t[[a, b]]
        t["shift"] = t[b] - t[a]
        t["abs_shift"] = t["shift"].abs()
        key = "abs_shift"
    else:
        t["best_rank"] = rank_table.min(axis=1)
        t["worst_rank"] = rank_table.max(axis=1)
        t["spread"] = t["worst_rank"] - t["best_rank"]
        key = "spread"
    pos = np.arange(len(t))
    order = np.lexsort((pos, -t[key].to_numpy(float)))
    t = t.iloc[order]
    return t.head(top) if top is not None else t
