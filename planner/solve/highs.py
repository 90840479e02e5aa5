"""The only code that talks to HiGHS.

The Pyomo model is compiled to matrices by Pyomo's standard-form compiler and handed to HiGHS
in memory (highspy `passModel`). HiGHS runs in a worker thread while the caller's progress
function is polled; every option is set explicitly on every run. Duals of a MILP come from the
LP with the integer columns fixed at the incumbent, in the same HiGHS object (integrality and
bounds changed on the HiGHS side, no Pyomo rebuild). Primal values are loaded back into the
Pyomo variables and row duals into the model's `dual` suffix.
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

    @property
    def proven_optimal(self) -> bool:
        return self.termination == "optimal"

    @property
    def status_text(self) -> str:
        if self.termination == "optimal":
            return "optimal"
        if self.has_solution:
            gap = f"{100 * self.gap:.2f}%" if self.gap is not None and math.isfinite(self.gap) else "unknown"
            why = {"time_limit": ", time limit reached", "interrupted": ", interrupted"}.get(self.termination, "")
            return f"feasible, not proven optimal (gap {gap}{why})"
        return {"infeasible": "infeasible", "unbounded": "unbounded", "interrupted": "interrupted, no plan found",
                "time_limit": "time limit reached, no plan found"}.get(self.termination, "no plan found")


class Interrupt:
    """Set `requested` (e.g. from a Ctrl-C) to make HiGHS stop at its next callback."""

    def __init__(self) -> None:
        self.requested = False


def _compile(m: Any) -> Any:
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    return LinearStandardFormCompiler().write(m, mixed_form=True, set_sense=None)


def solve(
    m: Any,
    options: dict[str, Any],
    *,
    on_progress: Callable[[Progress], None] | None = None,
    stream_log: bool = False,
    want_duals: bool = True,
    interrupt: Interrupt | None = None,
    poll: float = 0.2,
) -> SolveReport:
    """Solve Pyomo model `m` with HiGHS; load the solution and (for balance rows) the duals."""
    import highspy
    import pyomo.environ as pyo

    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    info = _compile(m)
    timings["compile"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    cols = info.columns
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
    # rows: the compiler emits a ranged constraint as two rows; HiGHS takes one row with two bounds
    row_of: dict[int, int] = {}
    row_cons: list[Any] = []
    row_lo: list[float] = []
    row_hi: list[float] = []
    keep: list[int] = []
    for i, (entry, rhs) in enumerate(zip(info.rows, info.rhs)):
        con, bt = entry.constraint, entry.bound_type
        key = id(con)
        r = row_of.get(key)
        if r is None:
            r = len(row_cons)
            row_of[key] = r
            row_cons.append(con)
            row_lo.append(-math.inf)
            row_hi.append(math.inf)
            keep.append(i)
        if bt <= 0:
            row_lo[r] = float(rhs)
        if bt >= 0:
            row_hi[r] = float(rhs)
    A = info.A
    if len(keep) != A.shape[0]:
        A = A[keep, :]
    A = A.tocsc()
    c = np.asarray(info.c.todense()).ravel() if info.c.shape[0] else np.zeros(n)
    offset = float(info.c_offset[0]) if len(info.c_offset) else 0.0

    warnings = list(scaling_warnings(A, c, cols, row_cons))
    h = new_highs()
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = len(row_cons)
    lp.col_cost_ = c
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    lp.row_lower_ = np.asarray(row_lo)
    lp.row_upper_ = np.asarray(row_hi)
    lp.offset_ = offset
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr
    lp.a_matrix_.index_ = A.indices
    lp.a_matrix_.value_ = A.data
    n_int = int(is_int.sum())
    if n_int:
        lp.integrality_ = [highspy.HighsVarType.kInteger if b else highspy.HighsVarType.kContinuous for b in is_int]
    h.passModel(lp)
    timings["handover"] = time.perf_counter() - t1

    def set_options() -> None:
        for k, v in options.items():
            if isinstance(v, float) and math.isinf(v):
                v = highspy.kHighsInf
            h.setOptionValue(k, v)
        h.setOptionValue("output_flag", bool(stream_log))
        h.setOptionValue("log_to_console", bool(stream_log))

    set_options()
    state: dict[str, Any] = {}
    interrupt = interrupt or Interrupt()

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
            except KeyboardInterrupt:
                interrupt.requested = True
                continue
            if done:
                break
            if on_progress is not None:
                on_progress(_progress(state, time.perf_counter() - t2))
    finally:
        if thread is not None and thread.is_alive():
            thread.join()
    timings["run"] = time.perf_counter() - t2
    highs_time = h.getRunTime()

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
            highs_time += h.getRunTime()
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
            if is_int[j]:
                val = float(round(val))
            v.set_value(val, skip_validation=True)
        # a variable in no active row or objective is free: give it its lower bound (or 0)
        for v in m.component_data_objects(pyo.Var, descend_into=True):
            if v.value is None:
                lb = v.lb
                v.set_value(0.0 if lb is None else max(lb, min(0.0, v.ub if v.ub is not None else 0.0)),
                            skip_validation=True)
    if not hasattr(m, "dual"):
        m.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    m.dual.clear()
    if y is not None:
        for r, con in enumerate(row_cons):
            m.dual[con] = float(y[r])
    timings["load"] = time.perf_counter() - t4

    return SolveReport(
        termination=termination, has_solution=has_solution, objective=objective, bound=bound, gap=gap,
        wall_time=time.perf_counter() - t0, highs_time=highs_time, model_status=h.modelStatusToString(status),
        n_cols=n, n_rows=len(row_cons), n_int=n_int, nnz=int(A.nnz), options=dict(options), duals=duals_note,
        dual_objective=dual_objective, timings=timings, warnings=tuple(warnings),
    )


SCALE_LIMIT = 1e9  # a span of coefficient magnitudes above which HiGHS's tolerances lose meaning


def scaling_warnings(A: Any, c: np.ndarray, cols: list[Any], rows: list[Any]) -> list[str]:
    """Plain-words warnings when the model's coefficients span too many orders of magnitude."""
    out = []
    data = np.abs(A.data)
    data = data[data > 0]
    if data.size:
        lo, hi = float(data.min()), float(data.max())
        if hi / lo > SCALE_LIMIT:
            coo = A.tocoo()
            i_lo = int(np.argmin(np.where(np.abs(coo.data) > 0, np.abs(coo.data), np.inf)))
            i_hi = int(np.argmax(np.abs(coo.data)))
            out.append(
                f"badly scaled data: matrix coefficients span {hi / lo:.1e} (from {lo:.3g} in "
                f"{rows[coo.row[i_lo]].name} / {cols[coo.col[i_lo]].name} to {hi:.3g} in "
                f"{rows[coo.row[i_hi]].name} / {cols[coo.col[i_hi]].name}, internal units kt and $M): "
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
