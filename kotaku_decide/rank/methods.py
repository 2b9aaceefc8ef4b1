"""Ranking methods over a locations-by-criteria matrix.

Every method is a pure, vectorised function of

* ``matrix`` - ndarray ``(m, n)``: ``m`` locations by ``n`` criteria, e.g. the deficit shares
  ``pct_<code>`` (0-100 %) or the official scores ``score_<code>`` (0/1/3/5);
* ``weights`` - ndarray ``(n,)``, non-negative (normalised to sum 1 inside);
* ``directions`` - ndarray ``(n,)`` of ``+1`` / ``-1``: ``+1`` means a larger value makes the
  location *more urgent* (every KOTAKU deficit share and score), ``-1`` less urgent (e.g. a
  coverage share). Default all ``+1``.

and returns a :class:`MethodResult` with the method's score per location and ranks ``1..m``,
**rank 1 = the location to handle first** (the worst off). In MCDA terms the "ideal" or "best"
alternative is here the most urgent one; ``+1`` criteria are MCDA "benefit" criteria.

Ties
----
Ranks are ordinal (every location gets a distinct rank). Scores are compared after rounding to
``decimals`` (default 10) decimal places, so that sums which are equal in exact arithmetic but
differ in the last floating-point bit tie. Ties are then broken by the ``tiebreak`` keys in
order (each sorted ascending: pass ``-x`` to put large ``x`` first), and finally by row order.
The table-level functions (:func:`rank_table`) use: average share over all criteria
descending, then ``location_id`` ascending (numerically if every id is a number, else as text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from .weights import RankInputError, criteria_frame, equal_weights, normalise_weights

__all__ = [
    "METHODS",
    "MethodResult",
    "VikorResult",
    "rank_from_scores",
    "official_total",
    "weighted_sum",
    "topsis",
    "vikor",
    "tiebreak_keys",
    "decision_matrix",
    "rank_table",
    "rank_all_methods",
]

METHODS = ("official", "wsm", "topsis", "vikor")


@dataclass(frozen=True)
class MethodResult:
    """Scores and ranks of one method.

    Attributes
    ----------
    method : str
    scores : ndarray (m,)
        The method's own score (see each method for its meaning and order).
    ranks : ndarray (m,) of int64
        1 = handle first.
    higher_first : bool
        Whether larger scores rank earlier.
    """

    method: str
    scores: np.ndarray
    ranks: np.ndarray
    higher_first: bool = True
    details: dict = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class VikorResult(MethodResult):
    """VIKOR result: ``scores`` is ``Q`` (lower = earlier), with ``S``, ``R`` and the compromise.

    Attributes
    ----------
    S, R, Q : ndarray (m,)
        Group utility, individual regret and the compromise index.
    compromise : ndarray (m,) of bool
        Locations in the compromise solution set (Opricovic & Tzeng 2004).
    advantage : bool
        Condition C1, "acceptable advantage": ``Q(a'') - Q(a') >= 1/(m-1)``.
    stability : bool
        Condition C2, "acceptable stability in decision making": ``a'`` is also first by
        ``S`` or by ``R``.
    v : float
    """

    S: np.ndarray = None
    R: np.ndarray = None
    Q: np.ndarray = None
    compromise: np.ndarray = None
    advantage: bool = True
    stability: bool = True
    v: float = 0.5


# ----------------------------------------------------------------------------------------------
# input checks
# ----------------------------------------------------------------------------------------------
def _check_inputs(matrix, weights, directions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.asarray(matrix, dtype=float)
    if x.ndim != 2:
        raise RankInputError(f"matrix must be 2-D (locations x criteria); got shape {x.shape}")
    m, n = x.shape
    if n == 0:
        raise RankInputError("matrix has no criteria (0 columns)")
    bad = ~np.isfinite(x)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise RankInputError(f"matrix has {int(bad.sum())} missing or non-finite values (first at "
                             f"row {r}, criterion {c}); rank only complete rows")
    if weights is None:
        w = np.full(n, 1.0 / n)
    else:
        w = np.asarray(weights, dtype=float).ravel()
        if w.size != n:
            raise RankInputError(f"{w.size} weights for {n} criteria")
        w = normalise_weights(w)
    if directions is None:
        d = np.ones(n)
    else:
        d = np.asarray(directions, dtype=float).ravel()
        if d.size != n:
            raise RankInputError(f"{d.size} directions for {n} criteria")
        if not np.isin(d, (-1.0, 1.0)).all():
            raise RankInputError(f"directions must be +1 (larger = more urgent) or -1 (larger = "
                                 f"less urgent); got {np.unique(d).tolist()}")
    return x, w, d


def rank_from_scores(scores, *, higher_first: bool = True, tiebreak: Sequence[np.ndarray] | None = None,
                     decimals: int | None = 10) -> np.ndarray:
    """Ordinal ranks 1..m from scores, ties broken deterministically.

    Parameters
    ----------
    scores : array-like (m,)
    higher_first : bool
        Larger score = rank 1 (True) or smaller score = rank 1 (False).
    tiebreak : sequence of array-like (m,), optional
        Keys applied in order among equal scores, each ascending (smaller first). Row order
        decides last.
    decimals : int or None
        Scores are rounded to this many decimals before comparison (None: exact comparison).

    Returns
    -------
    ndarray (m,) of int64
    """
    s = np.asarray(scores, dtype=float).ravel()
    if np.isnan(s).any():
        raise RankInputError("cannot rank NaN scores")
    key = np.round(s, decimals) if decimals is not None else s.copy()
    if higher_first:
        key = -key
    key = key + 0.0  # turn -0.0 into 0.0
    if tiebreak:
        keys = [np.asarray(k).ravel() for k in tiebreak]
        for k in keys:
            if k.size != s.size:
                raise RankInputError(f"tie-break key has {k.size} values for {s.size} scores")
        order = np.lexsort(tuple(reversed(keys)) + (key,))
    else:
        order = np.argsort(key, kind="stable")
    ranks = np.empty(s.size, dtype=np.int64)
    ranks[order] = np.arange(1, s.size + 1)
    return ranks


# ----------------------------------------------------------------------------------------------
# methods
# ----------------------------------------------------------------------------------------------
def official_total(scores, *, tiebreak: Sequence[np.ndarray] | None = None) -> MethodResult:
    """The official ranking: total of the per-criterion scores, larger first.

    Parameters
    ----------
    scores : ndarray (m, n)
        Official scores 0/1/3/5 per criterion (Permen PUPR 14/2018: 16 criteria, total 0-80).

    Returns
    -------
    MethodResult
        ``scores`` = the total score (points), ``higher_first``.

    Notes
    -----
    All criteria count alike; the regulation gives no tie-break rule. Ties are broken by
    ``tiebreak`` (the table functions use average share descending, then ``location_id``).
    """
    x, _, _ = _check_inputs(scores, None, None)
    total = x.sum(axis=1)
    return MethodResult("official", total, rank_from_scores(total, tiebreak=tiebreak))


def weighted_sum(matrix, weights=None, directions=None, *, normalisation: str = "none",
                 tiebreak: Sequence[np.ndarray] | None = None) -> MethodResult:
    """Weighted sum model (simple additive weighting).

    ``score_i = sum_j w_j * d_j * x_ij`` (``normalisation="none"``) or
    ``score_i = sum_j w_j * z_ij`` with min-max scaled ``z`` (``"minmax"``:
    ``z = (x - min) / (max - min)`` for ``+1`` criteria, ``(max - x) / (max - min)`` for ``-1``;
    a constant criterion gives ``z = 0``). Larger score = handle first.

    Parameters
    ----------
    matrix : ndarray (m, n)
    weights : ndarray (n,), optional
        Normalised to sum 1; default equal.
    directions : ndarray (n,), optional
    normalisation : {"none", "minmax"}
        ``"none"`` suits criteria already on one scale (all shares in %, or all 0/1/3/5
        scores): the score is then the weighted average share (%) or weighted average score.

    Returns
    -------
    MethodResult

    Notes
    -----
    With equal weights and ``"none"`` on the official scores the score is ``total / n``, so the
    order equals the official order (with the same tie-break). ``"minmax"`` depends on the other
    locations in the table (adding a location can change the scale).

    References
    ----------
    Hwang, C.-L., & Yoon, K. (1981). Multiple Attribute Decision Making: Methods and
    Applications. Lecture Notes in Economics and Mathematical Systems 186, Springer (simple
    additive weighting).
    """
    x, w, d = _check_inputs(matrix, weights, directions)
    if normalisation == "none":
        score = x @ (w * d)
    elif normalisation == "minmax":
        lo, hi = x.min(axis=0), x.max(axis=0)
        span = hi - lo
        safe = np.where(span > 0, span, 1.0)
        z = np.where(d > 0, (x - lo) / safe, (hi - x) / safe)
        z[:, span == 0] = 0.0
        score = z @ w
    else:
        raise RankInputError(f"normalisation must be 'none' or 'minmax'; got {normalisation!r}")
    return MethodResult("wsm", score, rank_from_scores(score, tiebreak=tiebreak),
                        details={"normalisation": normalisation})


def topsis(matrix, weights=None, directions=None, *,
           tiebreak: Sequence[np.ndarray] | None = None) -> MethodResult:
    """TOPSIS: relative closeness to the ideal (most urgent) profile.

    Steps (Hwang & Yoon 1981):

    1. vector normalisation ``r_ij = x_ij / sqrt(sum_i x_ij^2)``;
    2. weighting ``v_ij = w_j r_ij``;
    3. ideal ``A+_j = max_i v_ij`` for ``+1`` criteria (``min`` for ``-1``), anti-ideal ``A-``
       the opposite;
    4. Euclidean distances ``D+_i = ||v_i - A+||``, ``D-_i = ||v_i - A-||``;
    5. closeness ``C_i = D-_i / (D+_i + D-_i)`` in [0, 1]; larger = handle first.

    Parameters
    ----------
    matrix : ndarray (m, n)
    weights : ndarray (n,), optional
    directions : ndarray (n,), optional

    Returns
    -------
    MethodResult
        ``scores`` = closeness ``C`` (dimensionless), ``details`` holds ``d_plus``, ``d_minus``.

    Notes
    -----
    * Scaling a criterion by a positive factor does not change ``r``, hence not the result.
    * A criterion that is zero for every location has no norm; its ``r`` is set to 0 (it then
      plays no part).
    * If every location is identical on every weighted criterion, ``D+ = D- = 0`` and
      ``C = 0.5`` for all (a full tie).
    * The result depends on the set of locations (the ideal is the best value present);
      adding or removing locations can reorder the others (rank reversal).
    * Memory: about three arrays of ``m x n`` float64 (1,000,000 x 16: ~400 MB).

    References
    ----------
    Hwang, C.-L., & Yoon, K. (1981). Multiple Attribute Decision Making: Methods and
    Applications. Lecture Notes in Economics and Mathematical Systems 186, Springer, Berlin.
    """
    x, w, d = _check_inputs(matrix, weights, directions)
    norm = np.sqrt(np.einsum("ij,ij->j", x, x))
    # where squaring underflows or overflows (values below ~1e-150 or above ~1e150, subnormal ones included),
    # the column is first divided by its largest value and normalised from there, so that scaling a
    # criterion never moves a score (and 1 / norm never overflows)
    odd = ~np.isfinite(norm) | (norm < 1e-140)
    scale = np.divide(w, norm, out=np.zeros_like(w), where=(norm > 0) & ~odd)
    v = x * scale  # weighted normalised matrix, one new m x n array
    if odd.any():
        cols = np.flatnonzero(odd)
        big = np.abs(x[:, cols]).max(axis=0) if len(x) else np.zeros(len(cols))
        sx = x[:, cols] / np.where(big > 0, big, 1.0)
        sn = np.sqrt(np.einsum("ij,ij->j", sx, sx))
        v[:, cols] = sx * np.divide(w[cols], sn, out=np.zeros(len(cols)), where=sn > 0)
    vmax, vmin = v.max(axis=0), v.min(axis=0)
    a_plus = np.where(d > 0, vmax, vmin)
    a_minus = np.where(d > 0, vmin, vmax)
    tmp = np.subtract(v, a_plus)
    d_plus = np.sqrt(np.einsum("ij,ij->i", tmp, tmp))
    np.subtract(v, a_minus, out=tmp)
    d_minus = np.sqrt(np.einsum("ij,ij->i", tmp, tmp))
    del tmp, v
    denom = d_plus + d_minus
    c = np.divide(d_minus, denom, out=np.full_like(denom, 0.5), where=denom > 0)
    return MethodResult("topsis", c, rank_from_scores(c, tiebreak=tiebreak),
                        details={"d_plus": d_plus, "d_minus": d_minus})


def vikor(matrix, weights=None, directions=None, *, v: float = 0.5,
          tiebreak: Sequence[np.ndarray] | None = None) -> VikorResult:
    """VIKOR compromise ranking.

    With ``f*_j`` the most urgent value of criterion ``j`` (max for ``+1``, min for ``-1``) and
    ``f-_j`` the least urgent:

    * ``S_i = sum_j w_j (f*_j - x_ij) / (f*_j - f-_j)`` (group utility),
    * ``R_i = max_j w_j (f*_j - x_ij) / (f*_j - f-_j)`` (individual regret),
    * ``Q_i = v (S_i - S*) / (S- - S*) + (1 - v) (R_i - R*) / (R- - R*)`` with
      ``S* = min S``, ``S- = max S``, ``R* = min R``, ``R- = max R``.

    Rank by ``Q`` ascending (rank 1 = smallest ``Q``); ties by ``S``, then ``R`` ascending, then
    ``tiebreak``.

    Parameters
    ----------
    matrix : ndarray (m, n)
    weights : ndarray (n,), optional
    directions : ndarray (n,), optional
    v : float in [0, 1], default 0.5
        Weight of the "majority of criteria" strategy (``S``) against the worst single gap
        (``R``); 0.5 is the usual consensus value.

    Returns
    -------
    VikorResult
        ``scores`` = ``Q`` (lower first); the compromise set and conditions C1/C2:
        C1 acceptable advantage ``Q(a'') - Q(a') >= DQ`` with ``DQ = 1/(m - 1)``; C2 acceptable
        stability: ``a'`` is also first by ``S`` or ``R``. The compromise set is ``{a'}`` if both
        hold; ``{a', a''}`` if only C2 fails; ``{a', ..., a^(M)}`` with ``Q(a^(M)) - Q(a') < DQ``
        if C1 fails.

    Notes
    -----
    Degenerate cases (documented choices, no division by zero): a criterion on which all
    locations are equal (``f* = f-``) contributes 0 to ``S`` and ``R``; if all ``S`` are equal
    the ``S`` term of ``Q`` is 0, likewise for ``R``. The conditions are reported, not used
    for the ranks.

    References
    ----------
    Opricovic, S., & Tzeng, G.-H. (2004). Compromise solution by MCDM methods: A comparative
    analysis of VIKOR and TOPSIS. European Journal of Operational Research, 156(2), 445-455.
    """
    if not (0.0 <= float(v) <= 1.0):
        raise RankInputError(f"VIKOR v must be between 0 and 1; got {v}")
    x, w, d = _check_inputs(matrix, weights, directions)
    m = x.shape[0]
    xmax, xmin = x.max(axis=0), x.min(axis=0)
    f_star = np.where(d > 0, xmax, xmin)
    f_minus = np.where(d > 0, xmin, xmax)
    span = f_star - f_minus
    coef = np.divide(w, span, out=np.zeros_like(w), where=span != 0)
    gaps = (f_star - x) * coef  # w_j (f*_j - x_ij) / (f*_j - f-_j), >= 0
    S = gaps.sum(axis=1)
    R = gaps.max(axis=1)
    s_span, r_span = S.max() - S.min(), R.max() - R.min()
    qs = (S - S.min()) / s_span if s_span > 0 else np.zeros(m)
    qr = (R - R.min()) / r_span if r_span > 0 else np.zeros(m)
    Q = v * qs + (1.0 - v) * qr
    keys = [np.round(S, 10), np.round(R, 10)] + list(tiebreak or [])
    ranks = rank_from_scores(Q, higher_first=False, tiebreak=keys)
    order = np.argsort(ranks)
    compromise = np.zeros(m, dtype=bool)
    a1 = order[0]
    if m == 1:
        compromise[a1] = True
        adv = stab = True
    else:
        dq = 1.0 / (m - 1)
        a2 = order[1]
        adv = bool(Q[a2] - Q[a1] >= dq - 1e-12)
        stab = bool(np.isclose(S[a1], S.min(), rtol=0, atol=1e-12) or
                    np.isclose(R[a1], R.min(), rtol=0, atol=1e-12))
        if adv and stab:
            compromise[a1] = True
        elif not adv:
            compromise[Q - Q[a1] < dq - 1e-12] = True
            compromise[a1] = compromise[a2] = True
        else:
            compromise[[a1, a2]] = True
    return VikorResult("vikor", Q, ranks, False, {}, S=S, R=R, Q=Q, compromise=compromise,
                       advantage=adv, stability=stab, v=float(v))


# ----------------------------------------------------------------------------------------------
# table level
# ----------------------------------------------------------------------------------------------
def tiebreak_keys(table: pd.DataFrame, codes: Sequence[str]) -> list[np.ndarray]:
    """The documented tie-break: average share (``pct_<code>``) descending, then ``location_id``.

    ``location_id`` ascends numerically when every id is a number, else as text. Missing
    shares are ignored in the average (a row with none sorts last).
    """
    keys = []
    cols = [f"pct_{c}" for c in codes if f"pct_{c}" in table.columns]
    if cols:
        shares = table[cols].apply(pd.to_numeric, errors="coerce").to_numpy(float)
        with np.errstate(all="ignore"):
            cnt = np.isfinite(shares).sum(axis=1)
            mean = np.where(cnt > 0, np.nansum(shares, axis=1) / np.maximum(cnt, 1), -np.inf)
        keys.append(-mean)
    if "location_id" in table.columns:
        ids = table["location_id"]
        num = pd.to_numeric(ids, errors="coerce")
        if num.notna().all():
            keys.append(num.to_numpy(float))
        else:
            keys.append(pd.factorize(ids.astype(str), sort=True)[0])
    return keys


def decision_matrix(table: pd.DataFrame, codes: Sequence[str], basis: str = "scores") -> np.ndarray:
    """The ``(m, n)`` matrix of ``score_<code>`` (basis ``"scores"``) or ``pct_<code>``
    (``"shares"``) columns, checked for missing values."""
    prefix = {"scores": "score_", "shares": "pct_"}.get(basis)
    if prefix is None:
        raise RankInputError(f"basis must be 'scores' or 'shares'; got {basis!r}")
    cols = [f"{prefix}{c}" for c in codes]
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise RankInputError(f"scored table lacks columns {missing}")
    x = table[cols].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    bad = ~np.isfinite(x)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        ids = (table["location_id"].iloc[rows[:5]].tolist() if "location_id" in table.columns
               else rows[:5].tolist())
        first_col = cols[int(np.flatnonzero(bad[rows[0]])[0])]
        raise RankInputError(f"{rows.size} locations have missing {basis} (first: location "
                             f"{ids[0]}, column {first_col}; locations {ids}); complete the "
                             f"baseline before ranking")
    return x


def _weights_vector(weights, codes) -> np.ndarray:
    if weights is None:
        return equal_weights(codes).to_numpy()
    if isinstance(weights, pd.Series):
        missing = [c for c in codes if c not in weights.index]
        if missing:
            raise RankInputError(f"weights lack criteria {missing}")
        return normalise_weights(weights.loc[list(codes)].to_numpy(float))
    return normalise_weights(weights)


def rank_table(table: pd.DataFrame, criteria, method: str = "official", weights=None, *,
               basis: str = "scores", directions=None, v: float = 0.5,
               normalisation: str = "none") -> pd.DataFrame:
    """Rank the locations of a scored table (from ``kotaku_decide.score.scoring.score_table``).

    Parameters
    ----------
    table : DataFrame
        With ``score_<code>``, ``pct_<code>`` and ideally ``location_id``.
    criteria : Profile, criteria DataFrame or sequence of codes
    method : {"official", "wsm", "topsis", "vikor"}
    weights : Series (by code) or array, optional
        Default equal weights. Ignored by ``"official"``.
    basis : {"scores", "shares"}
        Matrix for wsm/topsis/vikor: the official 0/1/3/5 scores or the shares in %.

    Returns
    -------
    DataFrame
        Same row order as ``table``, columns ``score`` and ``rank`` (plus ``vikor_S``,
        ``vikor_R``, ``vikor_compromise`` for VIKOR). ``attrs`` hold the method, basis and
        weights (dict code -> weight; None for the official ranking).
    """
    codes = criteria_frame(criteria)["code"].tolist()
    keys = tiebreak_keys(table, codes)
    if method == "official":
        res = official_total(decision_matrix(table, codes, "scores"), tiebreak=keys)
        w = None
    elif method in ("wsm", "topsis", "vikor"):
        x = decision_matrix(table, codes, basis)
        w = _weights_vector(weights, codes)
        if method == "wsm":
            res = weighted_sum(x, w, directions, normalisation=normalisation, tiebreak=keys)
        elif method == "topsis":
            res = topsis(x, w, directions, tiebreak=keys)
        else:
            res = vikor(x, w, directions, v=v, tiebreak=keys)
    else:
        raise RankInputError(f"unknown method {method!r}; expected one of {list(METHODS)}")
    out = pd.DataFrame({"score": res.scores, "rank": res.ranks}, index=table.index)
    if isinstance(res, VikorResult):
        out["vikor_S"] = res.S
        out["vikor_R"] = res.R
        out["vikor_compromise"] = res.compromise
        out.attrs["vikor_advantage"] = res.advantage
        out.attrs["vikor_stability"] = res.stability
    out.attrs.update({"method": method, "basis": "scores" if method == "official" else basis,
                      "weights": None if w is None else dict(zip(codes, map(float, w)))})
    return out


def rank_all_methods(table: pd.DataFrame, criteria, weights=None, *, basis: str = "scores",
                     methods: Sequence[str] = METHODS, v: float = 0.5) -> pd.DataFrame:
    """Ranks of every method side by side: columns ``rank_<method>`` (same row order as ``table``)."""
    cols = {}
    for m in methods:
        cols[f"rank_{m}"] = rank_table(table, criteria, m, weights, basis=basis, v=v)["rank"]
    return pd.DataFrame(cols, index=table.index)
