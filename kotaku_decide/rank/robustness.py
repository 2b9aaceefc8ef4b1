"""Robustness of a ranking to the weights (and the data): SMAA-style simulation.

Stochastic multicriteria acceptability analysis (SMAA) asks how a location ranks when the
weights are not known exactly: draw many weight vectors, rank the locations for each, and
summarise each location's distribution of ranks.

* Weights uniformly on the simplex (no weight information): Dirichlet(1, ..., 1)
  (:class:`SimplexSampler`).
* Weights around workshop judgements: each AHP judgement moved by up to ``max_steps`` steps of
  Saaty's scale, weights recomputed from the principal eigenvector per draw
  (:class:`AHPSampler`; see :func:`kotaku_decide.rank.ahp.perturb_pairwise`). Aspect-level AHP
  weights are spread over the aspect's criteria.
* Optionally the data: every share gets an independent normal measurement error with standard
  deviation ``data_sd`` (percentage points), clipped to ``data_bounds`` (0-100 %).

The ranking method inside the simulation is the weighted sum (``"wsm"``, default: scores
``X @ w``) or TOPSIS (``"topsis"``). Without data error TOPSIS needs no per-draw
normalisation: with ``r`` the vector-normalised matrix and ideals ``r+``, ``r-`` (which do not
depend on non-negative weights), ``D+^2 = (r - r+)^2 @ w^2`` and ``D-^2 = (r - r-)^2 @ w^2``,
so both methods are matrix products over a chunk of draws.

Outputs per location: probability of rank 1 (SMAA's first-rank acceptability), probability of
being in the top ``k``, mean rank, and the 5 %, 50 % (median) and 95 % rank quantiles (a 90 %
interval). A quantile ``q`` is the smallest rank ``r`` such that at least a share ``q`` of the
draws rank the location ``r`` or better (``numpy.quantile(..., method="inverted_cdf")``); the
median is thus the lower median.

Memory and reproducibility: draws are processed in chunks (the chunk workspace is bounded,
~256 MB by default); every draw's rank vector is kept as ``uint16`` (``uint32`` above 65,535
locations) - ``n_draws x m x 2`` bytes, 220 MB for 10,000 draws over 11,000 locations - and
the statistics are computed from it in blocks of locations. All randomness comes from
``numpy.random.default_rng`` seeded through a ``SeedSequence``: the weights are drawn first in
one stream; the data error of draw ``i`` comes from its own child seed, so the result does not
depend on the chunk size or the number of threads. Same seed, same input -> identical output.

References
----------
Lahdelma, R., Hokkanen, J., & Salminen, P. (1998). SMAA - Stochastic multiobjective
    acceptability analysis. European Journal of Operational Research, 106(1), 137-143.
Lahdelma, R., & Salminen, P. (2001). SMAA-2: Stochastic multicriteria acceptability analysis
    for group decision making. Operations Research, 49(3), 444-454.
Tervonen, T., & Lahdelma, R. (2007). Implementing stochastic multicriteria acceptability
    analysis. European Journal of Operational Research, 178(2), 500-513.
Saaty, T. L. (1980). The Analytic Hierarchy Process. McGraw-Hill (the judgement scale).
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from .ahp import _as_matrix, ahp_weights_batch, perturb_pairwise
from .methods import _check_inputs
from .weights import RankInputError

__all__ = ["SimplexSampler", "AHPSampler", "SMAAResult", "smaa", "rank_quantile_index"]

_CHUNK_BYTES = 256 * 2**20


# ----------------------------------------------------------------------------------------------
# weight samplers
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SimplexSampler:
    """Weights uniformly distributed on the simplex {w >= 0, sum w = 1}: Dirichlet(1, ..., 1)."""

    n_criteria: int

    def sample(self, rng: np.random.Generator, n_draws: int) -> tuple[np.ndarray, None]:
        return rng.dirichlet(np.ones(self.n_criteria), size=n_draws), None

    def describe(self) -> str:
        return f"weights uniform on the simplex (Dirichlet(1,...,1), {self.n_criteria} criteria)"


@dataclass(frozen=True)
class AHPSampler:
    """Weights from perturbed AHP judgements.

    Parameters
    ----------
    pairwise : DataFrame or ndarray (k, k)
        The (group) pairwise matrix.
    expand : ndarray (k, n), optional
        Maps the ``k`` AHP weights to ``n`` criterion weights (``w_criteria = w_ahp @ expand``),
        e.g. :func:`kotaku_decide.rank.weights.aspect_matrix`. Default identity.
    max_steps : int
        Each judgement moves by a uniform integer number of scale steps in
        ``-max_steps..max_steps`` (``continuous``: a uniform real amount).
    """

    pairwise: object
    expand: np.ndarray | None = None
    max_steps: int = 1
    continuous: bool = False
    _chunk: int = field(default=2000, repr=False)

    def sample(self, rng: np.random.Generator, n_draws: int) -> tuple[np.ndarray, np.ndarray]:
        a, _ = _as_matrix(self.pairwise)
        ws, crs = [], []
        for start in range(0, n_draws, self._chunk):
            b = min(self._chunk, n_draws - start)
            mats = perturb_pairwise(a, b, rng, max_steps=self.max_steps, continuous=self.continuous)
            w, cr = ahp_weights_batch(mats)
            ws.append(w)
            crs.append(cr)
        w = np.concatenate(ws) if ws else np.zeros((0, a.shape[0]))
        cr = np.concatenate(crs) if crs else np.zeros(0)
        if self.expand is not None:
            w = w @ np.asarray(self.expand, dtype=float)
        return w, cr

    def describe(self) -> str:
        kind = "uniformly by up to" if self.continuous else "by a uniform whole number of steps up to"
        return (f"weights from the AHP judgements, each judgement moved {kind} "
                f"+/-{self.max_steps} step(s) of Saaty's scale, eigenvector weights per draw")


# ----------------------------------------------------------------------------------------------
# result
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SMAAResult:
    """Outcome of :func:`smaa`.

    Attributes
    ----------
    table : DataFrame
        One row per location (input order): ``p_first``, ``p_top_<k>``..., ``rank_mean``,
        ``rank_p05``, ``rank_median``, ``rank_p95`` (for the default quantiles).
    n_draws : int
    method : str
    seed_entropy : int
        Pass as ``seed`` to reproduce.
    weights_mean : ndarray (n,)
    cr : ndarray (n_draws,) or None
        CR of each perturbed AHP matrix.
    ranks : ndarray (n_draws, m) or None
        Every draw's ranks (``keep_ranks=True``).
    description : str
    """

    table: pd.DataFrame
    n_draws: int
    method: str
    seed_entropy: int
    weights_mean: np.ndarray
    cr: np.ndarray | None = None
    ranks: np.ndarray | None = field(default=None, repr=False)
    description: str = ""


def rank_quantile_index(q: float, n_draws: int) -> int:
    """0-based index into the sorted draws of the inverted-CDF quantile ``q``: ``ceil(q D) - 1``."""
    return int(min(max(math.ceil(q * n_draws - 1e-9) - 1, 0), n_draws - 1))


def _quantile_name(q: float) -> str:
    if abs(q - 0.5) < 1e-12:
        return "rank_median"
    pct = q * 100
    return f"rank_p{int(round(pct)):02d}" if abs(pct - round(pct)) < 1e-9 else f"rank_p{pct:g}"


# ----------------------------------------------------------------------------------------------
# scoring a chunk of draws
# ----------------------------------------------------------------------------------------------
class _Scorer:
    """Scores of all locations for a chunk of weight vectors (rows already in tie-break order)."""

    def __init__(self, x, d, method, normalisation, data_sd, data_bounds):
        self.method = method
        self.normalisation = normalisation
        self.d = d
        self.noise = data_sd is not None and np.any(np.asarray(data_sd) > 0)
        self._tls = threading.local()  # per-thread work buffer for the perturbed data
        if self.noise:
            self.x32 = x.astype(np.float32)
            self.sd = np.broadcast_to(np.asarray(data_sd, dtype=np.float32), (x.shape[1],)).copy()
            lo, hi = data_bounds if data_bounds is not None else (-np.inf, np.inf)
            self.lo = np.float32(-np.inf if lo is None else lo)
            self.hi = np.float32(np.inf if hi is None else hi)
            return
        if method == "wsm":
            if normalisation == "none":
                self.a = x * d
            else:
                self.a = _minmax(x, d)
        else:  # topsis
            norm = np.sqrt((x * x).sum(axis=0))
            r = np.divide(x, norm, out=np.zeros_like(x), where=norm > 0)
            rmax, rmin = r.max(axis=0), r.min(axis=0)
            rp = np.where(d > 0, rmax, rmin)
            rm = np.where(d > 0, rmin, rmax)
            self.p = np.ascontiguousarray(((r - rp) ** 2).T)
            self.n = np.ascontiguousarray(((r - rm) ** 2).T)

    def scores(self, w: np.ndarray, noise_rngs, buf: np.ndarray, buf2: np.ndarray) -> np.ndarray:
        """Scores (c, m); larger = more urgent. ``buf``/``buf2`` are reusable (c, m) float64."""
        if not self.noise:
            if self.method == "wsm":
                return np.matmul(w, self.a.T, out=buf)
            w2 = w * w
            dp = np.matmul(w2, self.p, out=buf)
            dm = np.matmul(w2, self.n, out=buf2)
            np.maximum(dp, 0.0, out=dp)
            np.maximum(dm, 0.0, out=dm)
            np.sqrt(dp, out=dp)
            np.sqrt(dm, out=dm)
            dp += dm  # denominator
            zero = dp <= 0
            np.divide(dm, dp, out=dp, where=~zero)
            dp[zero] = 0.5
            return dp
        c = w.shape[0]
        m, n = self.x32.shape
        xc = getattr(self._tls, "xc", None)
        if xc is None or xc.shape[0] != c:
            xc = self._tls.xc = np.empty((c, m, n), dtype=np.float32)
        for k, g in enumerate(noise_rngs):
            g.standard_normal(out=xc[k], dtype=np.float32)
        xc *= self.sd
        xc += self.x32
        np.clip(xc, self.lo, self.hi, out=xc)
        w32 = w.astype(np.float32)
        d = self.d.astype(np.float32)
        if self.method == "wsm":
            if self.normalisation == "none":
                return np.matmul(xc, (w32 * d)[:, :, None])[:, :, 0]
            lo, hi = xc.min(axis=1, keepdims=True), xc.max(axis=1, keepdims=True)
            span = hi - lo
            safe = np.where(span > 0, span, 1.0).astype(np.float32)
            xc -= lo
            xc /= safe
            flip = d < 0
            if flip.any():
                xc[:, :, flip] = 1.0 - xc[:, :, flip]
            xc *= (span > 0)
            return np.matmul(xc, w32[:, :, None])[:, :, 0]
        # topsis with perturbed data: normalise each draw's matrix
        norm = np.sqrt(np.einsum("cmn,cmn->cn", xc, xc))[:, None, :]
        np.divide(xc, norm, out=xc, where=norm > 0)  # a zero-norm column is all zeros already
        rmax, rmin = xc.max(axis=1, keepdims=True), xc.min(axis=1, keepdims=True)
        rp = np.where(d > 0, rmax, rmin)
        rm = np.where(d > 0, rmin, rmax)
        w2 = (w32 * w32)[:, :, None]
        tmp = xc - rp
        tmp *= tmp
        dp = np.sqrt(np.matmul(tmp, w2)[:, :, 0])
        np.subtract(xc, rm, out=tmp)
        tmp *= tmp
        dm = np.sqrt(np.matmul(tmp, w2)[:, :, 0])
        den = dp + dm
        return np.divide(dm, den, out=np.full_like(den, 0.5), where=den > 0)


def _minmax(x, d):
    lo, hi = x.min(axis=0), x.max(axis=0)
    span = hi - lo
    safe = np.where(span > 0, span, 1.0)
    z = np.where(d > 0, (x - lo) / safe, (hi - x) / safe)
    z[:, span == 0] = 0.0
    return z


# ----------------------------------------------------------------------------------------------
# SMAA
# ----------------------------------------------------------------------------------------------
def smaa(matrix, *, weights="simplex", n_draws: int = 10_000, directions=None, method: str = "wsm",
         normalisation: str = "none", top_k: int | Sequence[int] = 10, data_sd=None,
         data_bounds: tuple[float, float] | None = (0.0, 100.0), seed: int | None = None,
         tiebreak: Sequence[np.ndarray] | None = None, labels: Sequence | None = None,
         quantiles: Sequence[float] = (0.05, 0.5, 0.95), chunk_size: int | None = None,
         n_threads: int | None = None, keep_ranks: bool = False) -> SMAAResult:
    """Rank acceptability analysis under uncertain weights (and optionally uncertain data).

    Parameters
    ----------
    matrix : ndarray (m, n)
        Shares (%) or scores, locations x criteria.
    weights : "simplex", SimplexSampler, AHPSampler or ndarray (n_draws, n)
        How weights are drawn, or the draws themselves (rows are normalised to sum 1).
    n_draws : int
        Number of draws (ignored when ``weights`` is an array).
    directions : ndarray (n,), optional
        ``+1`` larger = more urgent (default), ``-1`` less urgent.
    method : {"wsm", "topsis"}
        Ranking method inside the simulation.
    normalisation : {"none", "minmax"}
        For ``"wsm"`` (see :func:`kotaku_decide.rank.methods.weighted_sum`).
    top_k : int or sequence of int
        Report ``p_top_<k>`` for each.
    data_sd : float or ndarray (n,), optional
        Standard deviation of the measurement error added to every value (same unit as the
        matrix: percentage points for shares). Values are then clipped to ``data_bounds``.
    seed : int, optional
        Seed for ``numpy.random.default_rng``; ``None`` draws fresh entropy (reported in the
        result as ``seed_entropy``).
    tiebreak : sequence of ndarray (m,), optional
        Keys (ascending) ordering equal scores, as in :func:`~kotaku_decide.rank.methods.rank_from_scores`;
        then row order. Scores are compared after rounding to 10 decimals.
    labels : sequence, optional
        Index of the output table.
    quantiles : sequence of float
        Rank quantiles to report (default 5 %, median, 95 %).
    chunk_size : int, optional
        Draws per chunk (default: ~256 MB of workspace per chunk).
    n_threads : int, optional
        Chunks processed in parallel threads (default ``min(2, os.cpu_count())``).
    keep_ranks : bool
        Keep every draw's ranks in the result.

    Returns
    -------
    SMAAResult

    Notes
    -----
    Cost: one ``(chunk x n) @ (n x m)`` product and one sort of ``m`` scores per draw. Memory:
    ``n_draws x m`` ranks (2 bytes each below 65,536 locations) plus the chunk workspace; with
    data error the workspace holds ``chunk x m x n`` float32 values (the chunk is sized to
    ~256 MB). Measured on 2 cores: see ``benchmarks/bench_rank.py``.

    References
    ----------
    Lahdelma, Hokkanen & Salminen (1998); Lahdelma & Salminen (2001); Tervonen & Lahdelma
    (2007). See module docstring.
    """
    x, _, d = _check_inputs(matrix, None, directions)
    m, n = x.shape
    if method not in ("wsm", "topsis"):
        raise RankInputError(f"robustness method must be 'wsm' or 'topsis'; got {method!r}")
    if normalisation not in ("none", "minmax"):
        raise RankInputError(f"normalisation must be 'none' or 'minmax'; got {normalisation!r}")
    ks = (top_k,) if np.isscalar(top_k) else tuple(top_k)
    ks = tuple(int(k) for k in ks)
    if any(k < 1 for k in ks):
        raise RankInputError(f"top_k must be >= 1; got {ks}")
    for q in quantiles:
        if not 0 < q <= 1:
            raise RankInputError(f"quantiles must be in (0, 1]; got {q}")
    if data_sd is not None:
        sd = np.asarray(data_sd, dtype=float)
        if sd.ndim > 1 or (sd.ndim == 1 and sd.size != n) or np.any(~np.isfinite(sd)) or np.any(sd < 0):
            raise RankInputError(f"data_sd must be a number >= 0 or {n} numbers >= 0")

    ss = np.random.SeedSequence(seed)
    ss_w, ss_e = ss.spawn(2)
    rng_w = np.random.default_rng(ss_w)
    cr = None
    description = ""
    if isinstance(weights, str):
        if weights != "simplex":
            raise RankInputError(f"weights must be 'simplex', a sampler or an array; got {weights!r}")
        weights = SimplexSampler(n)
    if hasattr(weights, "sample"):
        if int(n_draws) < 1:
            raise RankInputError(f"n_draws must be >= 1; got {n_draws}")
        w_all, cr = weights.sample(rng_w, int(n_draws))
        description = weights.describe() if hasattr(weights, "describe") else ""
    else:
        w_all = np.asarray(weights, dtype=float)
        description = "given weight draws"
    if w_all.ndim != 2 or w_all.shape[1] != n:
        raise RankInputError(f"weight draws must have shape (draws, {n}); got {w_all.shape}")
    if not np.isfinite(w_all).all() or (w_all < 0).any() or (w_all.sum(axis=1) <= 0).any():
        raise RankInputError("weight draws must be finite, >= 0 and not all zero in any draw")
    w_all = w_all / w_all.sum(axis=1, keepdims=True)
    n_draws = w_all.shape[0]

    # rows in tie-break order: a stable sort of the scores then breaks ties by it
    if tiebreak:
        keys = [np.asarray(k).ravel() for k in tiebreak]
        perm = np.lexsort(tuple(reversed(keys)) + (np.zeros(m),))
    else:
        perm = np.arange(m)
    xp = x[perm]
    scorer = _Scorer(xp, d, method, normalisation, data_sd, data_bounds)
    noise_seeds = ss_e.spawn(n_draws) if scorer.noise else None

    rank_dtype = np.uint16 if m < 2**16 else np.uint32
    ranks = np.empty((n_draws, m), dtype=rank_dtype)
    if chunk_size is None:
        per_draw = m * n * 4 * 4 if scorer.noise else m * 8 * 4
        chunk_size = max(1, min(n_draws, _CHUNK_BYTES // max(per_draw, 1)))
    chunk_size = int(chunk_size)
    starts = list(range(0, n_draws, chunk_size))
    # Ranks per draw: scores are turned into unique int64 keys
    #   key = rint(-score * 1e10) * m + position
    # (equal after rounding to 10 decimals -> equal first part; position = tie-break order), so
    # an in-place integer sort (which releases the GIL, letting threads run in parallel)
    # gives the order deterministically; key mod m recovers the position.
    scale = 1e10
    int_keys = True
    local = threading.local()
    positions = np.arange(m, dtype=np.int64)

    def buffers(c: int):
        if getattr(local, "c", None) != c:
            local.c = c
            local.f1 = np.empty((c, m))
            local.f2 = np.empty((c, m))
            local.key = np.empty((c, m), dtype=np.int64)
            local.row = (np.arange(c, dtype=np.int64) * m)[:, None]
            local.vals = np.broadcast_to(np.arange(1, m + 1, dtype=rank_dtype), (c, m)).ravel().copy()
        return local

    def work(start: int) -> None:
        stop = min(start + chunk_size, n_draws)
        c = stop - start
        b = buffers(c)
        rngs = ([np.random.default_rng(s) for s in noise_seeds[start:stop]]
                if noise_seeds is not None else None)
        sc = scorer.scores(w_all[start:stop], rngs, b.f1, b.f2)
        out = ranks[start:stop]
        bound = float(np.abs(sc).max()) if sc.size else 0.0
        if int_keys and (bound + 1.0) * scale * m < 2.0**62:
            f = b.f1 if sc is not b.f1 else b.f2
            np.multiply(sc, -scale, out=f)
            np.rint(f, out=f)
            key = b.key
            np.copyto(key, f, casting="unsafe")
            key *= m
            key += positions
            key.sort(axis=1)
            np.remainder(key, m, out=key)  # order: positions sorted by score, ties by position
            key += b.row
            out.reshape(-1)[key.reshape(-1)] = b.vals
        else:  # very large scores: exact stable sort instead
            sc = np.round(sc, 10) if sc.dtype == np.float64 else sc
            order = np.argsort(-sc + 0.0, axis=1, kind="stable")
            np.put_along_axis(out, order, np.broadcast_to(b.vals[:m], order.shape), axis=1)

    threads = n_threads if n_threads is not None else min(2, os.cpu_count() or 1)
    if threads > 1 and len(starts) > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(work, starts))
    else:
        for st in starts:
            work(st)

    # statistics per block of locations (columns of `ranks`, in permuted order)
    qidx = [rank_quantile_index(q, n_draws) for q in quantiles]
    kth = sorted(set(qidx))
    stats = {"p_first": np.empty(m)}
    for k in ks:
        stats[f"p_top_{k}"] = np.empty(m)
    stats["rank_mean"] = np.empty(m)
    qnames = [_quantile_name(q) for q in quantiles]
    for name in qnames:
        stats[name] = np.empty(m)
    block = max(1, int(64 * 2**20 // (n_draws * ranks.itemsize)))
    for l0 in range(0, m, block):
        l1 = min(l0 + block, m)
        sub = np.ascontiguousarray(ranks[:, l0:l1].T)  # (b, D)
        stats["p_first"][l0:l1] = (sub == 1).sum(axis=1) / n_draws
        for k in ks:
            stats[f"p_top_{k}"][l0:l1] = (sub <= k).sum(axis=1) / n_draws
        stats["rank_mean"][l0:l1] = sub.sum(axis=1, dtype=np.float64) / n_draws
        part = np.partition(sub, kth, axis=1)
        for name, qi in zip(qnames, qidx):
            stats[name][l0:l1] = part[:, qi]
    inv = np.empty(m, dtype=np.int64)
    inv[perm] = np.arange(m)
    table = pd.DataFrame({k: v[inv] for k, v in stats.items()},
                         index=pd.Index(labels) if labels is not None else None)
    for name in qnames:
        table[name] = table[name].astype(np.int64)
    kept = ranks[:, inv] if keep_ranks else None
    entropy = ss.entropy if isinstance(ss.entropy, int) else int(np.asarray(ss.entropy).ravel()[0])
    return SMAAResult(table=table, n_draws=n_draws, method=method, seed_entropy=entropy,
                      weights_mean=w_all.mean(axis=0), cr=cr, ranks=kept,
                      description=description)
