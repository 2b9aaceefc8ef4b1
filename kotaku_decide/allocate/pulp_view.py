"""The PuLP view of an array-built model: what a notebook sees and may edit.

Built on first use from the arrays (:class:`~.model.AllocationModel`): one ``LpVariable`` per
column, one ``LpConstraint`` per row (grouped by family and key, as ``model.cons``), the main
objective and the tie-break expression. After a solve the variables carry the solution
(``varValue``). When the view exists before a solve, the solver takes the model *from the view*
(the caller may have added or changed constraints), so edits are honoured exactly.
"""

from __future__ import annotations

import numpy as np
import pulp
import scipy.sparse as sp

__all__ = ["PulpView", "arrays_from_pulp"]


class PulpView:
    def __init__(self, model):
        self.model = model
        sense = pulp.LpMaximize if model.sense == "max" else pulp.LpMinimize
        prob = pulp.LpProblem("kotaku_allocation", sense)
        cols = []
        for k, name in enumerate(model.col_names):
            lb = model.col_lb[k]
            ub = model.col_ub[k]
            v = prob.add_variable(name, lowBound=None if lb == -np.inf else float(lb),
                                  upBound=None if ub == np.inf else float(ub),
                                  cat=pulp.LpBinary if (model.col_integer[k] and lb >= 0 and ub <= 1) else
                                  (pulp.LpInteger if model.col_integer[k] else pulp.LpContinuous))
            cols.append(v)
        self.vars = cols
        A = model.A.tocsr()
        row_key = {}
        for fam, d in model.rows.items():
            for key, r in d.items():
                row_key[r] = (fam, key)
        self.cons: dict = {}
        self.row_cons = []
        for r in range(A.shape[0]):
            a, b = A.indptr[r], A.indptr[r + 1]
            e = pulp.LpAffineExpression({cols[j]: float(v) for j, v in zip(A.indices[a:b], A.data[a:b])})
            lo, up = model.row_lo[r], model.row_up[r]
            if lo == up:
                c = pulp.LpConstraint(e, pulp.LpConstraintEQ, rhs=float(lo))
            elif lo == -np.inf:
                c = pulp.LpConstraint(e, pulp.LpConstraintLE, rhs=float(up))
            else:
                c = pulp.LpConstraint(e, pulp.LpConstraintGE, rhs=float(lo))
            fam, key = row_key.get(r, ("row", r))
            prob.addConstraint(c, name=f"r{r}")
            self.cons.setdefault(fam, {})[key] = c
            self.row_cons.append(c)
        prob.setObjective(pulp.LpAffineExpression({cols[j]: float(c) for j, c in enumerate(model.col_cost) if c}))
        self.prob = prob
        self.x = {(o, y): cols[model.xcol[o, y]] for o in range(model.xcol.shape[0]) for y in range(model.xcol.shape[1])}
        self.z = {k: cols[j] for k, j in model.zcol.items()}
        self.m = {k: cols[j] for k, j in model.mcol.items()}
        self.st = {k: cols[j] for k, j in model.stcol.items()}
        self.slack = {fam: {k: cols[j] for k, j in d.items()} for fam, d in model.slackcol.items()}
        self.tie_break = (pulp.LpAffineExpression({cols[j]: float(c) for j, c in enumerate(model.tie_cost) if c})
                          if model.tie_cost is not None else None)
        self.synced_from_arrays_only = False
        if model.values is not None:
            self.assign(model.values)

    def sync_bounds(self) -> None:
        """Copy changed row bounds (``set_budget``) into the constraints."""
        for r, c in enumerate(self.row_cons):
            lo, up = self.model.row_lo[r], self.model.row_up[r]
            c.constant = -float(up if lo == -np.inf else lo)

    def assign(self, values) -> None:
        for v, x in zip(self.vars, values):
            v.varValue = float(x)

    def clear(self) -> None:
        for v in self.prob.variables():
            v.varValue = None


def arrays_from_pulp(prob: pulp.LpProblem, order: list | None = None):
    """(cost, lb, ub, integer, A, lo, up, variables) of a PuLP problem, columns in ``order`` first
    (the view's own variables), then any variable the caller added."""
    variables = list(order or [])
    seen = {id(v) for v in variables}
    for v in prob.variables():
        if id(v) not in seen:
            variables.append(v)
            seen.add(id(v))
    idx = {id(v): k for k, v in enumerate(variables)}
    n = len(variables)
    lb = np.array([-np.inf if v.lowBound is None else v.lowBound for v in variables], float)
    ub = np.array([np.inf if v.upBound is None else v.upBound for v in variables], float)
    integer = np.array([v.cat == pulp.LpInteger for v in variables], bool)
    cost = np.zeros(n)
    for v, c in prob.objective.items():
        cost[idx[id(v)]] += c
    rr, cc, vv, lo, up = [], [], [], [], []
    for r, c in enumerate(prob.constraints()):
        for v, a in c.items():
            if a:
                rr.append(r)
                cc.append(idx[id(v)])
                vv.append(a)
        b = c.getLb()
        lo.append(-np.inf if b is None else b)
        b = c.getUb()
        up.append(np.inf if b is None else b)
    A = sp.csr_matrix((np.asarray(vv, float), (np.asarray(rr, np.int64), np.asarray(cc, np.int64))),
                      shape=(len(lo), n))
    A.sum_duplicates()
    return cost, lb, ub, integer, A, np.asarray(lo, float), np.asarray(up, float), variables
