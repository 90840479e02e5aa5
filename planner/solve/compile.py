"""The Pyomo model compiled to HiGHS's column-wise arrays, the one place that knows Pyomo's internals.

The model's row families are Pyomo `MatrixConstraint` blocks (CSR), copied with numpy; anything
else, and the objective, goes through Pyomo's linear representation. An objective held by a
defining row (see planner.model.objective) is folded back into the cost vector.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Compiled:
    """The model as HiGHS takes it: columns, rows (by family, as COO and CSC arrays), objective."""

    cols: list[Any]
    lower: np.ndarray
    upper: np.ndarray
    is_int: np.ndarray
    rows: np.ndarray  # COO row of each nonzero (duplicates summed)
    colidx: np.ndarray  # COO column of each nonzero
    vals: np.ndarray
    start: np.ndarray  # CSC column starts (len n + 1), for HiGHS
    row_lo: np.ndarray
    row_hi: np.ndarray
    c: np.ndarray
    offset: float
    blocks: list[tuple[str, Any, int, int]]  # (family name, component, first row, number of rows)
    objective_var: Any = None  # the variable an objective's defining row defines (folded away)
    col_of: dict[int, int] = field(default_factory=dict, repr=False)  # id(Pyomo variable) -> column

    @property
    def n_rows(self) -> int:
        return len(self.row_lo)

    @property
    def nnz(self) -> int:
        return len(self.vals)

    def row_name(self, i: int) -> str:
        for name, comp, first, n in self.blocks:
            if first <= i < first + n:
                keys = getattr(comp, "row_keys", None)
                key = keys[i - first] if keys is not None else list(comp.keys())[i - first]
                return f"{name}[{key}]"
        return f"row {i}"


def compile_model(m: Any) -> Compiled:
    """Compile a linear Pyomo model to HiGHS's arrays without Pyomo's expression visitor where possible.

    Families built as `MatrixConstraint` (CSR) are copied block by block with numpy; any other
    constraint and the objective go through Pyomo's linear representation.
    """
    import pyomo.environ as pyo
    from pyomo.core.base.matrix_constraint import MatrixConstraint
    from pyomo.core.expr.numeric_expr import LinearExpression
    from pyomo.repn.standard_repn import generate_standard_repn

    cols: list[Any] = []
    col_of: dict[int, int] = {}
    for v in m.component_data_objects(pyo.Var, descend_into=True):
        col_of[id(v)] = len(cols)
        cols.append(v)
    n = len(cols)
    lower = np.empty(n)
    upper = np.empty(n)
    is_int = np.zeros(n, dtype=bool)
    for j, v in enumerate(cols):
        if v.fixed:
            lower[j] = upper[j] = v.value
        else:
            lb, ub = v.bounds
            lower[j] = -math.inf if lb is None else lb
            upper[j] = math.inf if ub is None else ub
        is_int[j] = v.is_integer()

    r_parts: list[np.ndarray] = []
    c_parts: list[np.ndarray] = []
    v_parts: list[np.ndarray] = []
    los: list[np.ndarray] = []
    his: list[np.ndarray] = []
    blocks: list[tuple[str, Any, int, int]] = []
    objs = list(m.component_data_objects(pyo.Objective, active=True, descend_into=True))
    if len(objs) != 1:
        raise ValueError(f"the model must have exactly one active objective, not {len(objs)}")
    c = np.zeros(n)
    offset = 0.0
    sign = -1.0 if objs[0].sense == pyo.maximize else 1.0
    expr = objs[0].expr
    # an objective held by a defining row (`v = sum c_j x_j + k`, see planner.model.objective): fold the
    # row into the cost vector, so that HiGHS gets the plain objective and never the dense row
    defining = None
    objective_var = None
    if getattr(expr, "is_variable_type", None) and expr.is_variable_type():
        for comp in m.component_objects(pyo.Constraint, active=True, descend_into=True):
            # only a row that declares itself the definition of this very variable is folded
            if not (isinstance(comp, MatrixConstraint) and getattr(comp, "defines", None) is expr
                    and len(comp) == 1 and comp._lower[0] == comp._upper[0]):
                continue
            xs = comp._x
            j = next((i for i, v in enumerate(xs) if v is expr), None)
            if j is None:
                continue
            data = np.asarray(comp._A_data, dtype=float)
            idx = np.asarray(comp._A_indices, dtype=np.int64)
            hit = np.flatnonzero(idx == j)
            if len(hit) != 1 or data[hit[0]] == 0:
                continue
            a = data[hit[0]]
            cols_k = np.fromiter((col_of[id(v)] for v in xs), dtype=np.int64, count=len(xs))[idx]
            np.add.at(c, cols_k, -data / a)
            c[col_of[id(expr)]] = 0.0
            offset = float(comp._lower[0]) / a
            defining, objective_var = comp, expr
            break

    first = 0
    for comp in m.component_objects(pyo.Constraint, active=True, descend_into=True):
        if comp is defining:
            continue
        if isinstance(comp, MatrixConstraint):
            x_map = np.fromiter((col_of[id(v)] for v in comp._x), dtype=np.int64, count=len(comp._x))
            idx = np.asarray(comp._A_indices, dtype=np.int64)
            indptr = np.asarray(comp._A_indptr, dtype=np.int64)
            nrow = len(comp._lower)
            r_parts.append(first + np.repeat(np.arange(nrow, dtype=np.int64), np.diff(indptr)))
            c_parts.append(x_map[idx] if idx.size else idx)
            v_parts.append(np.asarray(comp._A_data, dtype=float))
            los.append(np.array([-math.inf if v is None else v for v in comp._lower], dtype=float))
            his.append(np.array([math.inf if v is None else v for v in comp._upper], dtype=float))
        else:
            ri: list[int] = []
            cj: list[int] = []
            vals: list[float] = []
            lo_l: list[float] = []
            hi_l: list[float] = []
            for r, con in enumerate(comp.values()):
                repn = generate_standard_repn(con.body, compute_values=True)
                if repn.nonlinear_expr is not None or repn.quadratic_vars:
                    raise ValueError(f"constraint {con.name} is not linear")
                for coef, v in zip(repn.linear_coefs, repn.linear_vars):
                    ri.append(first + r)
                    cj.append(col_of[id(v)])
                    vals.append(float(coef))
                const = float(repn.constant or 0.0)
                lo_l.append(-math.inf if con.lower is None else float(pyo.value(con.lower)) - const)
                hi_l.append(math.inf if con.upper is None else float(pyo.value(con.upper)) - const)
            nrow = len(lo_l)
            r_parts.append(np.asarray(ri, dtype=np.int64))
            c_parts.append(np.asarray(cj, dtype=np.int64))
            v_parts.append(np.asarray(vals, dtype=float))
            los.append(np.asarray(lo_l, dtype=float))
            his.append(np.asarray(hi_l, dtype=float))
        blocks.append((comp.local_name, comp, first, nrow))
        first += nrow

    rows = np.concatenate(r_parts) if r_parts else np.zeros(0, dtype=np.int64)
    colidx = np.concatenate(c_parts) if c_parts else np.zeros(0, dtype=np.int64)
    vals = np.concatenate(v_parts) if v_parts else np.zeros(0)
    # column-wise order, duplicates (same row and column) summed, zeros dropped
    order = np.lexsort((rows, colidx))
    rows, colidx, vals = rows[order], colidx[order], vals[order]
    if rows.size:
        new = np.ones(rows.size, dtype=bool)
        new[1:] = (rows[1:] != rows[:-1]) | (colidx[1:] != colidx[:-1])
        at = np.flatnonzero(new)
        vals = np.add.reduceat(vals, at)
        rows, colidx = rows[at], colidx[at]
        keep = vals != 0.0
        rows, colidx, vals = rows[keep], colidx[keep], vals[keep]
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(colidx, minlength=n), out=start[1:])

    if defining is None:
        if isinstance(expr, LinearExpression):  # fixed variables are columns too (lower = upper)
            idx = np.fromiter((col_of[id(v)] for v in expr.linear_vars), dtype=np.int64,
                              count=len(expr.linear_vars))
            np.add.at(c, idx, np.asarray(expr.linear_coefs, dtype=float))
            offset = float(pyo.value(expr.constant))
        else:
            repn = generate_standard_repn(expr, compute_values=True)
            for coef, v in zip(repn.linear_coefs, repn.linear_vars):
                c[col_of[id(v)]] += float(coef)
            offset = float(repn.constant or 0.0)
    c, offset = sign * c, sign * offset
    return Compiled(cols, lower, upper, is_int, rows, colidx, vals, start,
                    np.concatenate(los) if los else np.zeros(0), np.concatenate(his) if his else np.zeros(0),
                    c, offset, blocks, objective_var, col_of)


SCALE_LIMIT = 1e9  # a span of coefficient magnitudes above which HiGHS's tolerances lose meaning


def scaling_warnings(cm: Compiled) -> list[str]:
    """Plain-words warnings when the model's coefficients span too many orders of magnitude."""
    out = []
    cols, c = cm.cols, cm.c
    mag = np.abs(cm.vals)
    if mag.size:
        i_lo, i_hi = int(np.argmin(mag)), int(np.argmax(mag))
        lo, hi = float(mag[i_lo]), float(mag[i_hi])
        if lo > 0 and hi / lo > SCALE_LIMIT:
            out.append(
                f"badly scaled data: matrix coefficients span {hi / lo:.1e} (from {lo:.3g} in "
                f"{cm.row_name(int(cm.rows[i_lo]))} / {cols[cm.colidx[i_lo]].name} to {hi:.3g} in "
                f"{cm.row_name(int(cm.rows[i_hi]))} / {cols[cm.colidx[i_hi]].name}, internal units kt and $M): "
                "check for a unit mistake (t vs kt, $ vs $M, $/kg vs $/t) in those projects or contracts")
    cost = np.abs(c[c != 0])
    if cost.size and float(cost.max()) / float(cost.min()) > SCALE_LIMIT:
        j_lo, j_hi = int(np.argmin(np.where(c != 0, np.abs(c), np.inf))), int(np.argmax(np.abs(c)))
        out.append(f"badly scaled costs: objective coefficients span {float(cost.max()) / float(cost.min()):.1e} "
                   f"(from {cols[j_lo].name} to {cols[j_hi].name}): check prices and penalties for unit mistakes")
    return out
