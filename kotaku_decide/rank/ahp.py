"""Analytic Hierarchy Process: weights from pairwise comparisons (Saaty's 1-9 scale).

Workshop judgements ("how much more important is drinking water than roads?") are written as a
square pairwise matrix ``A`` with ``a_ij`` = importance of row ``i`` over column ``j`` on Saaty's
scale (1 equal, 3 moderate, 5 strong, 7 very strong, 9 extreme; 2, 4, 6, 8 in between;
reciprocals for the reverse) and ``a_ji = 1 / a_ij``.

* Weights: the principal right eigenvector of ``A``, scaled to sum 1.
* Consistency: ``CI = (lambda_max - n) / (n - 1)`` and ``CR = CI / RI_n`` with Saaty's random
  index ``RI_n``; ``CR <= 0.10`` is the customary acceptance rule.
* Diagnosis: for each judgement the ratio ``e_ij = a_ij * w_j / w_i`` (1 when the judgement
  agrees with the weights); the judgements with the largest ``|ln e_ij|`` are the most
  responsible for the inconsistency (Saaty 2003), reported with what the other judgements imply
  for the pair (geometric mean of the indirect comparisons) and the CR if that single judgement
  were revised to the nearest scale value.
* Group AHP: the element-wise (weighted) geometric mean of several stakeholders' matrices, which
  is again reciprocal (Aczél & Saaty 1983; Forman & Peniwati 1998).

References
----------
Saaty, T. L. (1977). A scaling method for priorities in hierarchical structures. Journal of
    Mathematical Psychology, 15(3), 234-281.
Saaty, T. L. (1980). The Analytic Hierarchy Process. McGraw-Hill, New York.
Saaty, T. L. (1987). The analytic hierarchy process - what it is and how it is used.
    Mathematical Modelling, 9(3-5), 161-176.
Saaty, T. L. (2003). Decision-making with the AHP: Why is the principal eigenvector necessary.
    European Journal of Operational Research, 145(1), 85-91.
Aczél, J., & Saaty, T. L. (1983). Procedures for synthesizing ratio judgements. Journal of
    Mathematical Psychology, 27(1), 93-102.
Forman, E., & Peniwati, K. (1998). Aggregating individual judgments and priorities with the
    Analytic Hierarchy Process. European Journal of Operational Research, 108(1), 165-169.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from .weights import RankInputError, parse_number, read_any_table

__all__ = [
    "SAATY_SCALE",
    "SAATY_RANDOM_INDEX",
    "random_index",
    "simulate_random_index",
    "AHPResult",
    "ahp_weights",
    "ahp_weights_batch",
    "principal_eigen",
    "diagnose_inconsistency",
    "GroupAHPResult",
    "group_ahp",
    "validate_pairwise",
    "read_pairwise",
    "read_pairwise_workbook",
    "saaty_position",
    "from_saaty_position",
    "perturb_pairwise",
]

#: Saaty's 17 scale values, ascending: 1/9, 1/8, ..., 1/2, 1, 2, ..., 9.
SAATY_SCALE = np.array([1 / k for k in range(9, 1, -1)] + list(range(1, 10)), dtype=float)

#: Saaty's random consistency index for n = 1..15 (Saaty 1980, The Analytic Hierarchy Process,
#: ch. 1): mean CI of random reciprocal matrices with entries from the 1-9 scale.
SAATY_RANDOM_INDEX = {1: 0.00, 2: 0.00, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41,
                      9: 1.45, 10: 1.49, 11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59}

#: n = 16..20: not in Saaty's table. Estimated here by :func:`simulate_random_index` with
#: 100,000 random matrices each (seed = n), rounded to 2 decimals. The same simulation gives
#: 0.53, 0.88, 1.11, 1.25, 1.34, 1.40, 1.45, 1.49, 1.51, 1.54, 1.55, 1.57, 1.58 for n = 3..15,
#: within 0.06 of Saaty's table.
SIMULATED_RANDOM_INDEX = {16: 1.59, 17: 1.61, 18: 1.62, 19: 1.62, 20: 1.63}

#: Customary acceptance threshold for the consistency ratio (Saaty 1980).
CR_THRESHOLD = 0.10


def simulate_random_index(n: int, n_matrices: int = 20_000, seed: int | None = None) -> float:
    """Estimate the random index RI_n: the mean CI of random reciprocal ``n x n`` matrices whose
    upper-triangle entries are drawn uniformly from the 17 values of Saaty's scale.

    Notes
    -----
    Saaty's published values (n <= 15) come from a simulation of this kind; independent
    re-simulations differ from them by a few hundredths (e.g. n = 3: 0.52-0.53 vs 0.58).
    """
    if n < 3:
        return 0.0
    rng = np.random.default_rng(n if seed is None else seed)
    iu = np.triu_indices(n, 1)
    total, done = 0.0, 0
    while done < n_matrices:
        b = min(5_000, n_matrices - done)
        a = np.ones((b, n, n))
        vals = SAATY_SCALE[rng.integers(0, SAATY_SCALE.size, size=(b, iu[0].size))]
        a[:, iu[0], iu[1]] = vals
        a[:, iu[1], iu[0]] = 1.0 / vals
        lam = np.linalg.eigvals(a).real.max(axis=1)
        total += ((lam - n) / (n - 1)).sum()
        done += b
    return total / n_matrices


@lru_cache(maxsize=None)
def random_index(n: int) -> float:
    """Random index RI_n: Saaty's table for n <= 15, simulated values above (see module data).

    For n > 20 the value is simulated on first use (20,000 matrices, seed n) and cached.
    """
    if n < 1:
        raise RankInputError(f"a pairwise matrix needs at least 1 row; got {n}")
    if n in SAATY_RANDOM_INDEX:
        return SAATY_RANDOM_INDEX[n]
    if n in SIMULATED_RANDOM_INDEX:
        return SIMULATED_RANDOM_INDEX[n]
    return round(simulate_random_index(n), 2)


def random_index_source(n: int) -> str:
    if n in SAATY_RANDOM_INDEX:
        return "Saaty (1980) table"
    return "simulated (Saaty's procedure, see ahp.simulate_random_index)"


# ----------------------------------------------------------------------------------------------
# eigenvector weights
# ----------------------------------------------------------------------------------------------
def principal_eigen(matrices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Principal eigenvalue and eigenvector (scaled to sum 1) of one or a stack of positive matrices.

    Parameters
    ----------
    matrices : ndarray, shape (n, n) or (..., n, n)
        Positive matrices (Perron-Frobenius: the principal eigenvalue is real and simple, its
        eigenvector positive).

    Returns
    -------
    lambda_max : ndarray, shape (...)
    weights : ndarray, shape (..., n)
    """
    a = np.asarray(matrices, dtype=float)
    vals, vecs = np.linalg.eig(a)
    k = np.argmax(vals.real, axis=-1)
    lam = np.take_along_axis(vals.real, k[..., None], axis=-1)[..., 0]
    v = np.take_along_axis(vecs.real, k[..., None, None], axis=-1)[..., 0]
    v = np.abs(v)
    w = v / v.sum(axis=-1, keepdims=True)
    return lam, w


def _consistency(lam: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    if n <= 2:
        ci = np.zeros_like(lam)
    else:
        ci = np.maximum((lam - n) / (n - 1), 0.0)  # lambda_max >= n in exact arithmetic
    ri = random_index(n)
    cr = ci / ri if ri > 0 else np.zeros_like(ci)
    return ci, cr


@dataclass(frozen=True)
class AHPResult:
    """Weights and consistency of one pairwise matrix.

    Attributes
    ----------
    labels : tuple of str
    matrix : ndarray (n, n)
    weights : ndarray (n,)
        Principal eigenvector, sum 1.
    lambda_max, ci, ri, cr : float
        Principal eigenvalue, consistency index, random index and consistency ratio.
    ri_source : str
    """

    labels: tuple
    matrix: np.ndarray = field(repr=False)
    weights: np.ndarray
    lambda_max: float
    ci: float
    ri: float
    cr: float
    ri_source: str = ""

    @property
    def consistent(self) -> bool:
        """``CR <= 0.10`` (Saaty's acceptance rule)."""
        return self.cr <= CR_THRESHOLD + 1e-12

    def weights_series(self) -> pd.Series:
        return pd.Series(self.weights, index=pd.Index(self.labels, name="label"), name="weight")

    def diagnose(self, top: int | None = 5) -> pd.DataFrame:
        """See :func:`diagnose_inconsistency`."""
        return diagnose_inconsistency(self, top=top)


def _as_matrix(matrix, labels=None) -> tuple[np.ndarray, tuple]:
    if isinstance(matrix, pd.DataFrame):
        labs = tuple(str(x) for x in matrix.index)
        a = matrix.to_numpy(dtype=float)
    else:
        a = np.asarray(matrix, dtype=float)
        labs = tuple(str(x) for x in labels) if labels is not None else tuple(
            f"c{i + 1}" for i in range(a.shape[0]))
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise RankInputError(f"pairwise matrix must be square; got shape {a.shape}")
    if len(labs) != a.shape[0]:
        raise RankInputError(f"{len(labs)} labels for a {a.shape[0]}x{a.shape[0]} matrix")
    return a, labs


def ahp_weights(matrix, labels: Sequence[str] | None = None, *, check: bool = True,
                rtol: float = 0.05) -> AHPResult:
    """Weights and consistency ratio from a pairwise-comparison matrix.

    Parameters
    ----------
    matrix : array-like (n, n) or DataFrame
        ``a_ij`` = importance of ``i`` over ``j`` (Saaty 1-9 scale), ``a_ji = 1/a_ij``. A
        DataFrame supplies the labels from its index.
    labels : sequence of str, optional
    check : bool
        Validate with :func:`validate_pairwise` first (positive, unit diagonal, reciprocal
        within ``rtol``; the entry >= 1 of each pair is kept and its mirror set to the exact
        reciprocal).

    Returns
    -------
    AHPResult

    Notes
    -----
    ``w`` solves ``A w = lambda_max w`` (Saaty 1977, 1980). For n <= 2 every reciprocal matrix
    is consistent (CI = CR = 0). ``RI_n`` is Saaty's (n <= 15) or simulated (n > 15), see
    :func:`random_index`.

    References
    ----------
    Saaty (1977, 1980, 1987); see module docstring.
    """
    a, labs = _as_matrix(matrix, labels)
    if check:
        a = validate_pairwise(pd.DataFrame(a, index=labs, columns=labs), rtol=rtol).to_numpy()
    n = a.shape[0]
    lam, w = principal_eigen(a)
    ci, cr = _consistency(np.asarray(lam), n)
    return AHPResult(labels=labs, matrix=a, weights=np.asarray(w), lambda_max=float(lam),
                     ci=float(ci), ri=random_index(n), cr=float(cr), ri_source=random_index_source(n))


def ahp_weights_batch(matrices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvector weights and CR for a stack of pairwise matrices (no validation).

    Parameters
    ----------
    matrices : ndarray (d, n, n)

    Returns
    -------
    weights : ndarray (d, n)
    cr : ndarray (d,)
    """
    a = np.asarray(matrices, dtype=float)
    lam, w = principal_eigen(a)
    _, cr = _consistency(lam, a.shape[-1])
    return w, cr


def _nearest_scale(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    idx = np.abs(np.log(x)[..., None] - np.log(SAATY_SCALE)).argmin(axis=-1)
    return SAATY_SCALE[idx]


def _fmt_judgement(x: float) -> str:
    if x >= 1:
        return f"{x:.4g}"
    inv = 1 / x
    if abs(inv - round(inv)) < 1e-9:
        return f"1/{int(round(inv))}"
    return f"{x:.4g}"


def diagnose_inconsistency(result: AHPResult, top: int | None = 5) -> pd.DataFrame:
    """Name the judgements most responsible for inconsistency.

    For each judgement ``a_ij`` (i < j) the ratio ``e_ij = a_ij * w_j / w_i`` compares it with the
    ratio the weights imply; ``e_ij = 1`` for all pairs if and only if the matrix is consistent.
    The judgements are listed by ``|ln e_ij|``, largest first (Saaty 2003 suggests revising the
    judgement with the largest ``e_ij`` first).

    Returns
    -------
    DataFrame
        ``row, column, given, implied, indirect, suggested, deviation, cr_if_revised``:
        ``implied`` is ``w_i / w_j``; ``indirect`` the geometric mean of the indirect
        comparisons ``a_ik a_kj`` over the other items ``k`` (what the other judgements say
        about this pair; unlike ``implied`` it is not pulled towards the judgement itself);
        ``suggested`` the Saaty-scale value nearest to ``indirect``; ``deviation`` is ``e_ij``
        written >= 1 (how many times too strong or too weak the judgement is);
        ``cr_if_revised`` the CR when this single judgement (and its reciprocal) is replaced by
        ``suggested``.
    """
    a, w, labs = result.matrix, result.weights, result.labels
    n = a.shape[0]
    if n < 3:
        return pd.DataFrame(columns=["row", "column", "given", "implied", "indirect", "suggested",
                                     "deviation", "cr_if_revised"])
    iu, ju = np.triu_indices(n, 1)
    implied = w[iu] / w[ju]
    e = a[iu, ju] / implied
    dev = np.exp(np.abs(np.log(e)))
    la = np.log(a)
    # sum over k of ln a_ik + ln a_kj, minus the k = i and k = j terms (each ln a_ij)
    path = (la[iu, :] + la[:, ju].T).sum(axis=1) - 2 * la[iu, ju]
    indirect = np.exp(path / (n - 2))
    suggested = _nearest_scale(indirect)
    revised = np.repeat(a[None], iu.size, axis=0)
    k = np.arange(iu.size)
    revised[k, iu, ju] = suggested
    revised[k, ju, iu] = 1.0 / suggested
    _, cr_rev = ahp_weights_batch(revised)
    out = pd.DataFrame({
        "row": [labs[i] for i in iu],
        "column": [labs[j] for j in ju],
        "given": a[iu, ju],
        "implied": implied,
        "indirect": indirect,
        "suggested": suggested,
        "deviation": dev,
        "cr_if_revised": cr_rev,
    })
    out = out.sort_values(["deviation", "row", "column"], ascending=[False, True, True],
                          kind="mergesort").reset_index(drop=True)
    return out.head(top) if top is not None else out


# ----------------------------------------------------------------------------------------------
# group AHP
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GroupAHPResult:
    """Group weights from several stakeholders' matrices.

    Attributes
    ----------
    group : AHPResult
        Of the element-wise weighted geometric mean matrix.
    members : dict of str -> AHPResult
        Each stakeholder's own weights and CR.
    member_weights : Series
        Importance of each stakeholder in the mean (sum 1).
    """

    group: AHPResult
    members: dict
    member_weights: pd.Series

    def weights_table(self) -> pd.DataFrame:
        """Labels x (stakeholders..., ``group``) weights."""
        cols = {name: r.weights for name, r in self.members.items()}
        cols["group"] = self.group.weights
        return pd.DataFrame(cols, index=pd.Index(self.group.labels, name="label"))

    def consistency_table(self) -> pd.DataFrame:
        """One row per stakeholder and ``group``: ``lambda_max, ci, cr, consistent``."""
        rows = [(name, r.lambda_max, r.ci, r.cr, r.consistent) for name, r in self.members.items()]
        g = self.group
        rows.append(("group", g.lambda_max, g.ci, g.cr, g.consistent))
        return pd.DataFrame(rows, columns=["stakeholder", "lambda_max", "ci", "cr", "consistent"])


def group_ahp(matrices: Mapping[str, object], stakeholder_weights: Mapping[str, float] | None = None,
              *, rtol: float = 0.05) -> GroupAHPResult:
    """Combine stakeholders' pairwise matrices by element-wise geometric mean.

    Parameters
    ----------
    matrices : mapping name -> DataFrame (labelled, square)
        All over the same labels (order may differ; the first matrix's order is used).
    stakeholder_weights : mapping name -> float, optional
        Weighted geometric mean ``prod_k A_k ** alpha_k`` with ``alpha`` normalised; default
        equal.

    Returns
    -------
    GroupAHPResult

    Notes
    -----
    The geometric mean is the aggregation of individual judgements (AIJ) that keeps the
    reciprocal property (Aczél & Saaty 1983; Forman & Peniwati 1998). Each stakeholder's own
    weights and CR are kept so that an inconsistent contribution can be seen.
    """
    if not matrices:
        raise RankInputError("group AHP needs at least one pairwise matrix")
    names = list(matrices)
    frames = {}
    labels = None
    for name in names:
        m = matrices[name]
        if not isinstance(m, pd.DataFrame):
            raise RankInputError(f"stakeholder '{name}': give the matrix as a labelled DataFrame")
        m = validate_pairwise(m, source=f"stakeholder '{name}'", rtol=rtol)
        if labels is None:
            labels = list(m.index)
        elif set(m.index) != set(labels):
            extra = sorted(set(m.index) - set(labels))
            lack = sorted(set(labels) - set(m.index))
            raise RankInputError(f"stakeholder '{name}': labels differ from '{names[0]}' "
                                 f"(extra {extra}, missing {lack}); every matrix must compare "
                                 f"the same items")
        frames[name] = m.loc[labels, labels]
    if stakeholder_weights is None:
        alpha = np.full(len(names), 1.0 / len(names))
    else:
        unknown = sorted(set(stakeholder_weights) - set(names))
        if unknown:
            raise RankInputError(f"stakeholder weights name unknown stakeholders {unknown}; "
                                 f"known: {names}")
        from .weights import normalise_weights
        alpha = normalise_weights([stakeholder_weights.get(n, 0.0) for n in names],
                                  what="stakeholder weights")
    logs = np.stack([np.log(frames[n].to_numpy(float)) for n in names])
    g = np.exp(np.tensordot(alpha, logs, axes=1))
    members = {n: ahp_weights(frames[n], check=False) for n in names}
    group = ahp_weights(pd.DataFrame(g, index=labels, columns=labels), check=False)
    return GroupAHPResult(group=group, members=members,
                          member_weights=pd.Series(alpha, index=names, name="stakeholder_weight"))


# ----------------------------------------------------------------------------------------------
# reading and validating
# ----------------------------------------------------------------------------------------------
def validate_pairwise(matrix: pd.DataFrame, *, source: str = "pairwise matrix",
                      known_labels: Sequence[str] | None = None, rtol: float = 0.05,
                      first_row: int = 2, raw: pd.DataFrame | None = None) -> pd.DataFrame:
    """Check and complete a labelled pairwise matrix.

    Rules: square with the same labels on rows and columns (any column order; columns are put
    in row order); labels unique and, if ``known_labels`` is given, among them (case-insensitive);
    entries positive and finite, within Saaty's scale [1/9, 9] (with ``rtol``); diagonal 1;
    ``a_ij * a_ji = 1`` within ``rtol`` (default 5 %, which accepts reciprocals rounded to two
    decimals such as 0.33 or 0.13). An empty cell is filled with the reciprocal of its mirror
    (so the lower triangle may be left empty); an empty diagonal cell is 1. Of each accepted
    pair the entry >= 1 is kept and its mirror set to the exact reciprocal.

    Parameters
    ----------
    matrix : DataFrame
        Entries as numbers or text (``"1/3"``); index and columns are the labels.
    source : str
        Used in messages (file name).
    first_row : int
        Spreadsheet row number of the matrix's first row (for messages).
    raw : DataFrame, optional
        Same shape with the cells as written, for messages.

    Returns
    -------
    DataFrame of float
        Labels as given (matched to ``known_labels`` spelling when given).

    Raises
    ------
    RankInputError
    """
    rows = [str(x).strip() if x is not None else "" for x in matrix.index]
    cols = [str(x).strip() if x is not None else "" for x in matrix.columns]
    if matrix.shape[0] != matrix.shape[1]:
        raise RankInputError(f"{source}: the matrix must be square; found {matrix.shape[0]} rows "
                             f"and {matrix.shape[1]} columns")
    for kind, labs in (("row", rows), ("column", cols)):
        if "" in labs:
            raise RankInputError(f"{source}: a {kind} label is empty; expected one label per {kind}")
        low = [x.lower() for x in labs]
        dup = sorted({x for x in labs if low.count(x.lower()) > 1})
        if dup:
            raise RankInputError(f"{source}: {kind} labels repeat: {dup}")
    if known_labels is not None:
        lookup = {str(k).lower(): str(k) for k in known_labels}
        for kind, labs in (("row", rows), ("column", cols)):
            unknown = [x for x in labs if x.lower() not in lookup]
            if unknown:
                raise RankInputError(f"{source}: unknown {kind} labels {unknown}; expected labels "
                                     f"among {list(lookup.values())}")
        rows = [lookup[x.lower()] for x in rows]
        cols = [lookup[x.lower()] for x in cols]
    if {x.lower() for x in rows} != {x.lower() for x in cols}:
        raise RankInputError(f"{source}: row labels {rows} and column labels {cols} differ; the "
                             f"same items must label rows and columns")
    col_pos = {c.lower(): j for j, c in enumerate(cols)}
    order = [col_pos[r.lower()] for r in rows]
    vals = matrix.to_numpy(dtype=object)[:, order]
    raw_vals = (raw.to_numpy(dtype=object)[:, order] if raw is not None else vals)
    col_names = [cols[j] for j in order]
    n = len(rows)
    a = np.full((n, n), np.nan)

    def where(i, j):
        return f"{source}: row {first_row + i} ('{rows[i]}'), column '{col_names[j]}'"

    for i in range(n):
        for j in range(n):
            try:
                a[i, j] = parse_number(vals[i, j])
            except ValueError as exc:
                raise RankInputError(f"{where(i, j)}: value '{raw_vals[i, j]}' is not a number "
                                     f"({exc}); expected a judgement such as 3 or 1/3") from None
    lo, hi = (1 / 9) / (1 + rtol), 9 * (1 + rtol)
    for i in range(n):
        for j in range(n):
            x = a[i, j]
            if np.isnan(x):
                continue
            if not np.isfinite(x) or x <= 0:
                raise RankInputError(f"{where(i, j)}: value '{raw_vals[i, j]}'; expected a positive "
                                     f"judgement on Saaty's scale 1/9 ... 9")
            if i == j and abs(x - 1) > rtol:
                raise RankInputError(f"{where(i, j)}: value '{raw_vals[i, j]}' on the diagonal; an "
                                     f"item compared with itself must be 1")
            if i != j and not (lo <= x <= hi):
                raise RankInputError(f"{where(i, j)}: value '{raw_vals[i, j]}' is outside Saaty's "
                                     f"scale; expected 1/9 ... 9")
    for i in range(n):
        a[i, i] = 1.0
        for j in range(i + 1, n):
            x, y = a[i, j], a[j, i]
            if np.isnan(x) and np.isnan(y):
                raise RankInputError(f"{where(i, j)}: empty, and so is its mirror (row "
                                     f"'{rows[j]}', column '{col_names[i]}'); expected a judgement "
                                     f"in at least one of the two")
            if np.isnan(x):
                a[i, j] = 1.0 / y
            elif np.isnan(y):
                a[j, i] = 1.0 / x
            else:
                if abs(x * y - 1.0) > rtol:
                    raise RankInputError(
                        f"{where(i, j)}: value '{raw_vals[i, j]}' and its mirror (row '{rows[j]}', "
                        f"column '{col_names[i]}') value '{raw_vals[j, i]}' are not reciprocal "
                        f"(product {x * y:.3g}); expected {_fmt_judgement(1 / x)} there")
                if x >= 1:
                    a[j, i] = 1.0 / x
                else:
                    a[i, j] = 1.0 / y
    return pd.DataFrame(a, index=pd.Index(rows, name="label"), columns=rows)


def _frame_from_sheet(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """First column = row labels, header = column labels (a blank top-left cell is fine)."""
    if df.shape[1] < 2:
        raise RankInputError("expected the first column to hold row labels and the header the "
                             "column labels")
    # drop fully empty rows/columns (spreadsheets often carry trailing blanks)
    df = df.loc[~df.isna().all(axis=1)]
    keep = [c for c in df.columns[1:] if not (str(c).startswith("Unnamed") and df[c].isna().all())]
    body = df[keep].copy()
    body.index = [("" if v is None else str(v).strip()) for v in df.iloc[:, 0]]
    body.columns = [str(c).strip() for c in keep]
    return body, body


def read_pairwise(path: str | Path, *, known_labels: Sequence[str] | None = None,
                  sheet: str | int | None = 0, rtol: float = 0.05) -> pd.DataFrame:
    """Read and validate a pairwise-comparison matrix from CSV or Excel.

    Layout: the header row holds the column labels (the top-left cell may be blank or a title),
    the first column the row labels; cells hold judgements as numbers (``3``, ``0.33``, ``0,5``)
    or fractions (``1/3``). The lower triangle may be left empty. See :func:`validate_pairwise`
    for the rules.

    Raises
    ------
    RankInputError
        Naming file, row, column, value and what was expected.
    """
    path = Path(path)
    df = read_any_table(path, sheet=sheet)
    try:
        body, raw = _frame_from_sheet(df)
    except RankInputError as exc:
        raise RankInputError(f"{path}: {exc}") from None
    return validate_pairwise(body, source=str(path), known_labels=known_labels, rtol=rtol, raw=raw)


def read_pairwise_workbook(path: str | Path, *, known_labels: Sequence[str] | None = None,
                           rtol: float = 0.05) -> dict[str, pd.DataFrame]:
    """Read every sheet of an Excel workbook as one stakeholder's pairwise matrix.

    Returns a dict sheet name -> validated matrix (for :func:`group_ahp`).
    """
    path = Path(path)
    if not path.exists():
        raise RankInputError(f"{path}: file not found")
    try:
        names = pd.ExcelFile(path).sheet_names
    except Exception as exc:
        raise RankInputError(f"{path}: cannot read the workbook ({exc})") from exc
    out = {}
    for name in names:
        df = read_any_table(path, sheet=name)
        if df.dropna(how="all").empty:
            continue
        try:
            body, raw = _frame_from_sheet(df)
        except RankInputError as exc:
            raise RankInputError(f"{path} [sheet {name}]: {exc}") from None
        out[name] = validate_pairwise(body, source=f"{path} [sheet {name}]", known_labels=known_labels,
                                      rtol=rtol, raw=raw)
    if not out:
        raise RankInputError(f"{path}: no sheet holds a pairwise matrix")
    return out


# ----------------------------------------------------------------------------------------------
# perturbing judgements (robustness)
# ----------------------------------------------------------------------------------------------
def saaty_position(a) -> np.ndarray:
    """Map a judgement to its signed position on Saaty's scale.

    ``1 -> 0``, ``k -> k - 1`` and ``1/k -> -(k - 1)`` for ``k = 2..9``, continuous and
    increasing in between (``a >= 1: a - 1``; ``a < 1: 1 - 1/a``), so one step on the scale is
    one unit of position: 3 -> 2, 1/3 -> -2. Positions run from -8 (1/9) to 8 (9).
    """
    a = np.asarray(a, dtype=float)
    return np.where(a >= 1, a - 1.0, 1.0 - 1.0 / np.minimum(a, 1.0))


def from_saaty_position(p) -> np.ndarray:
    """Inverse of :func:`saaty_position`."""
    p = np.asarray(p, dtype=float)
    return np.where(p >= 0, p + 1.0, 1.0 / (1.0 - np.minimum(p, 0.0)))


def perturb_pairwise(matrix, n_draws: int, rng: np.random.Generator, *, max_steps: int = 1,
                     continuous: bool = False) -> np.ndarray:
    """Random variants of a pairwise matrix: each judgement moved by up to ``max_steps`` on the scale.

    Each upper-triangle judgement ``a_ij`` is moved independently by ``s`` steps of Saaty's
    scale (see :func:`saaty_position`), ``s`` uniform on the integers ``-max_steps..max_steps``
    (or, with ``continuous=True``, uniform on ``[-max_steps, max_steps]``), clipped to the
    scale's ends 1/9 and 9; the lower triangle is set to the reciprocals. A judgement of 3 with
    ``max_steps=1`` becomes 2, 3 or 4 with probability 1/3 each; 1 becomes 1/2, 1 or 2. A
    geometric-mean (group) judgement between scale points moves by the same position units.

    Returns
    -------
    ndarray (n_draws, n, n)
    """
    a, _ = _as_matrix(matrix)
    n = a.shape[0]
    iu, ju = np.triu_indices(n, 1)
    pos = saaty_position(a[iu, ju])
    if continuous:
        step = rng.uniform(-max_steps, max_steps, size=(n_draws, iu.size))
    else:
        step = rng.integers(-max_steps, max_steps + 1, size=(n_draws, iu.size)).astype(float)
    vals = from_saaty_position(np.clip(pos + step, -8.0, 8.0))
    out = np.ones((n_draws, n, n))
    out[:, iu, ju] = vals
    out[:, ju, iu] = 1.0 / vals
    return out
