"""The only code that talks to HiGHS.

The Pyomo model is compiled to HiGHS's column-wise arrays (`compile_model`: the model's row
families are Pyomo `MatrixConstraint` blocks, copied with numpy; anything else goes through
Pyomo's linear representation) and handed to HiGHS in memory (highspy `passModel`), never through
files. HiGHS runs in a worker thread while the caller's progress function is polled; every option
is set explicitly on every run. Duals of a MILP come from the LP with the integer columns fixed at
the incumbent, in the same HiGHS object (integrality and bounds changed on the HiGHS side, no
Pyomo rebuild). Primal values are loaded back into the Pyomo variables; row duals are returned
per family in `SolveReport.row_duals`.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

_BANNER_SHOWN = False
_BANNER_LOCK = threading.Lock()


def new_highs() -> Any:
    """A silent `highspy.Highs` (the first one per process would print a banner to stdout)."""
    global _BANNER_SHOWN
    import highspy

    with _BANNER_LOCK:
        if _BANNER_SHOWN:
            h = highspy.Highs()
        else:
            sys.stdout.flush()
            saved = os.dup(1)
            try:
                with open(os.devnull, "w") as null:
                    os.dup2(null.fileno(), 1)
                    h = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _BANNER_SHOWN = True
    h.setOptionValue("output_flag", False)
    return h


@dataclass(frozen=True)
class Progress:
    """What the live line shows while HiGHS runs (objective and bound in model units)."""

    elapsed: float
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    nodes: int | None = None


@dataclass(frozen=True)
class SolveReport:
    termination: str  # optimal | time_limit | interrupted | infeasible | unbounded | error | other
    has_solution: bool
    objective: float | None  # model units
    bound: float | None
    gap: float | None  # relative, as HiGHS reports it
    wall_time: float  # seconds, compile to loaded solution
    highs_time: float  # HiGHS's own run time (MILP + dual re-solve)
    model_status: str
    n_cols: int
    n_rows: int
    n_int: int
    nnz: int
    options: dict[str, Any]
    duals: str  # how the duals were obtained, or why they are missing
    dual_objective: float | None = None  # objective of the fixed-integer LP
    timings: dict[str, float] = field(default_factory=dict)
    message: str = ""
    warnings: tuple[str, ...] = ()  # numerics, in plain words
    row_duals: dict[str, Any] = field(default_factory=dict, repr=False)  # family -> dual per row (model units)

    @property
    def proven_optimal(self) -> bool:
        return self.termination == "optimal"

    @property
    def status_text(self) -> str:
        if self.termination == "optimal":
            return "optimal"
        if self.has_solution:
            from planner.results.labels import gap_text  # the one rounding rule for gaps

            gap = gap_text(self.gap)
            why = {"time_limit": ", time limit reached", "interrupted": ", interrupted"}.get(self.termination, "")
            return f"feasible, not proven optimal (gap {gap}{why})"
        return {"infeasible": "infeasible", "unbounded": "unbounded", "interrupted": "interrupted, no plan found",
                "time_limit": "time limit reached, no plan found"}.get(self.termination, "no plan found")


class Interrupt:
    """Set `requested` (e.g. from a Ctrl-C) to make HiGHS stop at its next callback."""

    def __init__(self) -> None:
        self.requested = False


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
                    c, offset, blocks, objective_var)


def solve(
    m: Any,
    options: dict[str, Any],
    *,
    on_progress: Callable[[Progress], None] | None = None,
    stream_log: bool = False,
    want_duals: bool = True,
    interrupt: Interrupt | None = None,
    poll: float = 0.2,
    relax_integrality: bool = False,
    write_mps: str | None = None,
) -> SolveReport:
    """Solve Pyomo model `m` with HiGHS; load the solution and (for balance rows) the duals."""
    import highspy
    import pyomo.environ as pyo

    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    cm = compile_model(m)
    timings["compile"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    cols, is_int, c = cm.cols, cm.is_int, cm.c
    n = len(cols)
    warnings = list(scaling_warnings(cm))
    h = new_highs()
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = cm.n_rows
    lp.col_cost_ = c
    lp.col_lower_ = cm.lower
    lp.col_upper_ = cm.upper
    lp.row_lower_ = cm.row_lo
    lp.row_upper_ = cm.row_hi
    lp.offset_ = cm.offset
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = cm.start
    lp.a_matrix_.index_ = cm.rows
    lp.a_matrix_.value_ = cm.vals
    n_int = 0 if relax_integrality else int(is_int.sum())
    if n_int:
        lp.integrality_ = np.where(is_int, highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous)
    h.passModel(lp)
    timings["handover"] = time.perf_counter() - t1
    if write_mps:
        h.writeModel(write_mps)  # the reference of `planner bench`: HiGHS alone on the same model

    def set_options() -> None:
        for k, v in options.items():
            if isinstance(v, float) and math.isinf(v):
                v = highspy.kHighsInf
            h.setOptionValue(k, v)
        h.setOptionValue("output_flag", bool(stream_log))
        h.setOptionValue("log_to_console", bool(stream_log))

    set_options()
    state: dict[str, Any] = {}
    own_interrupt = interrupt is None  # nobody to tell: a Ctrl-C stops HiGHS, then goes on to the caller
    interrupt = interrupt or Interrupt()
    caught: KeyboardInterrupt | None = None

    def on_mip(e: Any) -> None:
        d = e.data_out
        state.update(objective=d.mip_primal_bound, bound=d.mip_dual_bound, gap=d.mip_gap,
                     nodes=int(d.mip_node_count))
        if interrupt.requested:
            e.data_in.user_interrupt = True

    def on_lp(e: Any) -> None:
        if interrupt.requested:
            e.data_in.user_interrupt = True

    h.cbMipInterrupt.subscribe(on_mip)
    h.cbSimplexInterrupt.subscribe(on_lp)
    h.cbIpmInterrupt.subscribe(on_lp)

    t2 = time.perf_counter()
    thread = h.startSolve()
    try:
        while True:
            try:
                done, _ = h.wait(poll)
            except KeyboardInterrupt as exc:
                interrupt.requested = True
                caught = caught or exc
                continue
            if done:
                break
            if on_progress is not None:
                on_progress(_progress(state, time.perf_counter() - t2))
    finally:
        if thread is not None and thread.is_alive():
            thread.join()
    if own_interrupt and caught is not None:
        raise caught  # HiGHS has stopped; the caller did not ask to handle interrupts itself
    timings["run"] = time.perf_counter() - t2
    highs_time = h.getRunTime()
    timings["highs_milp"] = highs_time  # HiGHS's own clock for the MILP (or LP)

    status = h.getModelStatus()
    hinfo = h.getInfo()
    has_solution = hinfo.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value) if has_solution else None
    mip = n_int > 0
    objective = float(hinfo.objective_function_value) if has_solution else None
    bound = float(hinfo.mip_dual_bound) if mip else objective
    gap = float(hinfo.mip_gap) if mip and has_solution else (0.0 if has_solution else None)
    termination = _termination(status, highspy, interrupt.requested)
    if termination == "optimal" and not has_solution:
        termination = "error"
    if has_solution:
        tol = float(options.get("mip_feasibility_tolerance", 1e-6))
        if hinfo.max_primal_infeasibility > 10 * tol:
            warnings.append(f"HiGHS's plan violates a constraint by {hinfo.max_primal_infeasibility:.2g} (in kt or $M), "
                            "more than its tolerance: numerical trouble; check the data for extreme magnitudes")
        if mip and getattr(hinfo, "max_integrality_violation", 0.0) > 1e-4:
            warnings.append(f"an integer decision is off by {hinfo.max_integrality_violation:.2g} from a whole "
                            "number: numerical trouble; the rounded plan may be slightly infeasible")

    duals_note = "not requested"
    dual_objective = None
    y = None
    t3 = time.perf_counter()
    if want_duals and has_solution and termination != "interrupted":
        if mip:
            idx = np.flatnonzero(is_int).astype(np.int32)
            vals = np.round(x[idx])
            h.changeColsIntegrality(len(idx), idx, np.array([highspy.HighsVarType.kContinuous] * len(idx)))
            h.changeColsBounds(len(idx), idx, vals, vals)
            set_options()
            h.run()
            total = h.getRunTime()  # HiGHS's run clock keeps counting across runs of one object
            timings["highs_duals"] = total - highs_time if total >= highs_time else total
            highs_time += timings["highs_duals"]
            if h.getModelStatus() == highspy.HighsModelStatus.kOptimal and h.getInfo().dual_solution_status == 2:
                y = np.asarray(h.getSolution().row_dual)
                dual_objective = float(h.getInfo().objective_function_value)
                duals_note = "LP with integer decisions fixed at the plan (fixed-integer re-solve)"
            else:
                duals_note = f"unavailable: the fixed-integer LP ended with status {h.modelStatusToString(h.getModelStatus())}"
        elif termination == "optimal" and hinfo.dual_solution_status == 2:
            y = np.asarray(h.getSolution().row_dual)
            dual_objective = objective
            duals_note = "LP duals"
        else:
            duals_note = "unavailable: the LP was not solved to optimality"
    timings["duals"] = time.perf_counter() - t3

    t4 = time.perf_counter()
    if x is not None:
        for j, v in enumerate(cols):
            val = float(x[j])
            if n_int and is_int[j]:
                val = float(round(val))
            v.set_value(val, skip_validation=True)
        if cm.objective_var is not None and objective is not None:
            cm.objective_var.set_value(objective, skip_validation=True)
        # a variable in no active row or objective is free: give it its lower bound (or 0)
        for v in m.component_data_objects(pyo.Var, descend_into=True):
            if v.value is None:
                lb = v.lb
                v.set_value(0.0 if lb is None else max(lb, min(0.0, v.ub if v.ub is not None else 0.0)),
                            skip_validation=True)
    row_duals: dict[str, np.ndarray] = {}
    if y is not None:
        for name, _comp, first, count in cm.blocks:
            row_duals[name] = y[first:first + count]
    timings["load"] = time.perf_counter() - t4

    return SolveReport(
        termination=termination, has_solution=has_solution, objective=objective, bound=bound, gap=gap,
        wall_time=time.perf_counter() - t0, highs_time=highs_time, model_status=h.modelStatusToString(status),
        n_cols=n, n_rows=cm.n_rows, n_int=n_int, nnz=cm.nnz, options=dict(options), duals=duals_note,
        dual_objective=dual_objective, timings=timings, warnings=tuple(warnings), row_duals=row_duals,
    )


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


def _progress(state: dict[str, Any], elapsed: float) -> Progress:
    def finite(v: Any) -> float | None:
        return float(v) if v is not None and math.isfinite(v) and abs(v) < 1e50 else None

    return Progress(elapsed, finite(state.get("objective")), finite(state.get("bound")),
                    finite(state.get("gap")), state.get("nodes"))


def _termination(status: Any, highspy: Any, interrupted: bool) -> str:
    S = highspy.HighsModelStatus
    if status == S.kOptimal:
        return "optimal"
    if status == S.kInfeasible:
        return "infeasible"
    if status in (S.kUnbounded, S.kUnboundedOrInfeasible):
        return "unbounded"
    if status == S.kInterrupt or interrupted:
        return "interrupted"
    if status in (S.kTimeLimit, S.kIterationLimit, S.kSolutionLimit):
        return "time_limit"
    return "error"
