"""A solver session: one Pyomo model compiled and handed to HiGHS once, then solved many times.

`Session(m)` compiles the model (planner.solve.compile), passes it to one `highspy.Highs` and keeps
both. Each `solve` runs HiGHS in its worker thread while the caller's progress function is polled
(a Ctrl-C there asks HiGHS to stop at its next callback), reads the plan, obtains the duals of a
MILP from the LP with the integer columns fixed at the plan (in the same HiGHS object; integrality
and bounds are restored afterwards) and loads the values into the Pyomo variables. Studies express
their variations as changes on the HiGHS side (`changed`, and `fixed`, `forced`, `excluded`,
`dropped`, `objective_swapped` built on it), undone when the `with` block ends, and may start a
run from a known plan (`warm_start`). Columns and rows are found by family and key (`col`, `cols`,
`row`, `rows`).

HiGHS behaviours (highspy 1.16) that shape this module, each checked on the planner's models:
- Options persist on a Highs object. Every run starts from HiGHS's defaults (`resetOptions`) and
  sets the options it is given, so nothing from an earlier run stays in force.
- A Highs object keeps its last solution, and a MIP run starts from it whenever the changes since
  left it feasible (bound changes keep it, cost changes drop it). A run without a warm start
  therefore clears the solver's state first: its result never depends on the runs before it.
- The run clock (`getRunTime`) accumulates over the runs of one object. The MIP solver measures
  `time_limit` from its own start, the simplex solver on the accumulated clock (an LP run after
  runs that used up the limit would stop at once). An LP run therefore gets its limit moved on by
  the clock's reading, so that it counts from the run's start; a run's time is a clock difference.
- `setSolution` rejects a sparse start holding a value outside its column's bounds, so such values
  are left out. When presolve moves a value of a start (a build it finds dominated), HiGHS may
  return the start unchanged with the objective of the moved plan: a warm-started run whose plan
  does not have the objective HiGHS reports is done again from nothing. HiGHS completes a partial start (values of some integer columns) with a sub-MIP of
  at most `mip_max_start_nodes` nodes; a complete feasible start becomes the run's first plan.
- HiGHS never clears the interrupt flag a callback sets: it would stop every later run of the
  object at its first callback. The interrupt callbacks therefore write the flag on every call.
- highspy runs HiGHS in a worker thread guarded by locks that every Highs object of a process
  shares: one run at a time per process (a second session started from another thread raises
  "Solver is already running"). Studies run in parallel over processes.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from planner.solve.compile import compile_model, scaling_warnings

_BANNER_SHOWN = False
_BANNER_LOCK = threading.Lock()

#: bounds of a column or row; None is no bound
Bounds = tuple[float | None, float | None]
#: a start for a run: the value of every column, or values of some columns as (columns, values) or {column: value}
WarmStart = np.ndarray | tuple[Any, Any] | Mapping[int, float]
#: how far (in model units) a start's value may lie outside its column's bounds and still be used (moved onto the bound)
START_TOLERANCE = 1e-6
#: a simplex basis, small enough to ship to another process: HiGHS's status of every column and of every row
#: (`highspy.HighsBasisStatus` values)
Basis = tuple[np.ndarray, np.ndarray]


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
    objective: float | None  # model units; the objective HiGHS minimised (a swapped one while it is in force)
    bound: float | None
    gap: float | None  # relative, as HiGHS reports it
    wall_time: float  # seconds: this solve to the loaded solution (plus compile and hand-over for a session's first)
    highs_time: float  # HiGHS's own run time of this solve (MILP + dual re-solve)
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
    # objective of the first plan HiGHS found in the run: a complete feasible start's own, or (when HiGHS
    # completes a partial start by a search) the first plan of that search
    first_objective: float | None = None
    start: str = ""  # the warm start given, in words ("" for none)
    # the model's own objective at the plan (model units): `objective` unless another objective was in force
    own_objective: float | None = None
    # the basis of the LP with the integer decisions fixed at the plan (a MILP's duals), where HiGHS gave one:
    # a start for the dive of a nearby fixed plan (`Session.solve(dive=True, basis=...)`)
    basis: Basis | None = field(default=None, repr=False)
    # how the run went about it, in words: "" for a plain HiGHS run; the dive's outcome otherwise
    method: str = ""

    @property
    def proven_optimal(self) -> bool:
        return self.termination == "optimal"


class Interrupt:
    """Set `requested` (e.g. from a Ctrl-C) to make HiGHS stop at its next callback."""

    def __init__(self) -> None:
        self.requested = False


class Session:
    """One Pyomo model held by one HiGHS object: solved, changed and re-solved in place.

    With `relax_integrality`, HiGHS gets the LP relaxation (no integer columns). The session keeps
    the bounds, costs and row bounds in force (the model's, or a change's while its block runs) and
    `x`, the column values of the last solve's plan (None when it found none).
    """

    def __init__(self, m: Any, *, relax_integrality: bool = False) -> None:
        self._linear = False  # integrality relaxed for a `linear()` block
        self._lp_basis: Any = None  # the basis the last linear solve ended with: the next one starts there
        import highspy

        t0 = time.perf_counter()
        cm = compile_model(m)
        t1 = time.perf_counter()
        self._warnings = tuple(scaling_warnings(cm))
        n = len(cm.cols)
        self.int_cols = (np.zeros(0, dtype=np.int32) if relax_integrality
                         else np.flatnonzero(cm.is_int).astype(np.int32))
        h = new_highs()
        lp = highspy.HighsLp()
        lp.num_col_ = n
        lp.num_row_ = cm.n_rows
        lp.col_cost_ = cm.c
        lp.col_lower_ = cm.lower
        lp.col_upper_ = cm.upper
        lp.row_lower_ = cm.row_lo
        lp.row_upper_ = cm.row_hi
        lp.offset_ = cm.offset
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = cm.start
        lp.a_matrix_.index_ = cm.rows
        lp.a_matrix_.value_ = cm.vals
        if len(self.int_cols):
            lp.integrality_ = np.where(cm.is_int, highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous)
        _check(h.passModel(lp), "passModel")
        self.model = m
        self.compiled = cm
        self.highs = h
        self.x: np.ndarray | None = None
        # what is in force on the HiGHS side (the model's values, or a change's)
        self._lower, self._upper = cm.lower.copy(), cm.upper.copy()
        self._cost, self._offset = cm.c.copy(), cm.offset
        self._row_lo, self._row_hi = cm.row_lo.copy(), cm.row_hi.copy()
        self._objective_changes = 0  # changes to costs or offset in force
        self._col_maps: dict[str, dict[Any, int]] = {}
        self._row_maps: dict[str, dict[Any, int]] = {}
        self._blocks = {name: (comp, first, count) for name, comp, first, count in cm.blocks}
        # the current run's interrupt, progress and first plan, read and written by HiGHS's callbacks
        self._interrupt = Interrupt()
        self._state: dict[str, Any] = {}
        self._caught: KeyboardInterrupt | None = None  # a Ctrl-C caught while waiting on HiGHS
        h.cbMipInterrupt.subscribe(self._on_mip)
        h.cbSimplexInterrupt.subscribe(self._on_lp)
        h.cbIpmInterrupt.subscribe(self._on_lp)
        h.cbMipImprovingSolution.subscribe(self._on_plan)
        self._setup = {"compile": t1 - t0, "handover": time.perf_counter() - t1}  # reported by the first solve

    # ----------------------------------------------------------------------------------------
    # columns and rows
    # ----------------------------------------------------------------------------------------

    @property
    def n_cols(self) -> int:
        return len(self.compiled.cols)

    @property
    def n_rows(self) -> int:
        return self.compiled.n_rows

    def col(self, var: str, key: Any = None) -> int:
        """The column of variable `var[key]` (no key for a variable without index)."""
        try:
            return self._col_map(var)[key]
        except KeyError:
            raise KeyError(f"{var}[{key!r}] is not a column of this model") from None

    def cols(self, var: str, keys: Iterable[Any] | None = None) -> np.ndarray:
        """The columns of variable family `var` for `keys` (in their order), or all of them in index order.

        A family the model does not have (its sparse index was empty) has no columns.
        """
        cmap = self._col_map(var)
        if keys is None:
            return np.fromiter(cmap.values(), dtype=np.int64, count=len(cmap))
        try:
            return np.fromiter((cmap[k] for k in keys), dtype=np.int64)
        except KeyError as exc:
            raise KeyError(f"{var}[{exc.args[0]!r}] is not a column of this model") from None

    def row(self, family: str, key: Any) -> int:
        """The row of constraint family `family` for `key`."""
        try:
            return self._row_map(family)[key]
        except KeyError:
            raise KeyError(f"{family}[{key!r}] is not a row of this model") from None

    def rows(self, family: str, keys: Iterable[Any] | None = None) -> np.ndarray:
        """The rows of constraint family `family` for `keys` (in their order), or all of them in order.

        A family the model does not have (its sparse index was empty) has no rows.
        """
        rmap = self._row_map(family)
        if keys is None:
            return np.fromiter(rmap.values(), dtype=np.int64, count=len(rmap))
        try:
            return np.fromiter((rmap[k] for k in keys), dtype=np.int64)
        except KeyError as exc:
            raise KeyError(f"{family}[{exc.args[0]!r}] is not a row of this model") from None

    def _col_map(self, var: str) -> dict[Any, int]:
        cmap = self._col_maps.get(var)
        if cmap is None:
            import pyomo.environ as pyo

            comp = getattr(self.model, var, None)
            col_of = self.compiled.col_of
            cmap = ({k: col_of[id(v)] for k, v in comp.items()}
                    if comp is not None and comp.ctype is pyo.Var else {})
            self._col_maps[var] = cmap
        return cmap

    def _row_map(self, family: str) -> dict[Any, int]:
        rmap = self._row_maps.get(family)
        if rmap is None:
            comp, first, _count = self._blocks.get(family, (None, 0, 0))
            keys = [] if comp is None else getattr(comp, "row_keys", None) or list(comp.keys())
            rmap = {k: first + i for i, k in enumerate(keys)}
            self._row_maps[family] = rmap
        return rmap

    def keys_of(self, cols: Iterable[int]) -> list[tuple[str, Any]]:
        """(variable family, key) of each column: the names a study gives values by (a column number
        means nothing in another process's build)."""
        out = []
        for j in cols:
            v = self.compiled.cols[int(j)]
            out.append((v.parent_component().local_name, v.index()))
        return out

    def objective_of(self, x: np.ndarray) -> float:
        """The model's own objective (not a swapped one) at column values `x`, in model units."""
        return float(self.compiled.c @ np.asarray(x, dtype=float) + self.compiled.offset)

    def write_model(self, path: str) -> None:
        """Write the model as HiGHS holds it now (with the changes in force), e.g. as MPS."""
        _check(self.highs.writeModel(str(path)), "writeModel")

    # ----------------------------------------------------------------------------------------
    # solving
    # ----------------------------------------------------------------------------------------

    def solve(
        self,
        options: dict[str, Any],
        *,
        warm_start: WarmStart | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        interrupt: Interrupt | None = None,
        want_duals: bool = True,
        load: bool = True,
        stream_log: bool = False,
        poll: float = 0.2,
        dive: bool = False,
        basis: Basis | None = None,
        want_basis: bool = False,
    ) -> SolveReport:
        """Solve the model with the changes in force, with exactly `options` (HiGHS's defaults otherwise).

        `warm_start`: a plan to start from, complete (a value per column) or partial (values of some
        columns as (columns, values) or {column: value}); integer values are rounded and values outside
        this run's bounds left out (a forced or excluded build), HiGHS completes the rest. Without
        it the run starts from nothing. With `want_duals`, a MILP's duals come from the LP with the
        integer columns fixed at the plan. With `load`, the plan's values go into the Pyomo variables
        (integers rounded; the objective's variable gets the model's own objective).

        `dive`: for a MILP whose builds are all held (a plan under another case), try a dive first
        (`_dive`: the LP relaxation, from `basis` if given, then LPs with the fractional integers
        rounded up); a plan it finds within the gap options of the relaxation's bound is the answer,
        as proven as HiGHS's own. Otherwise HiGHS's MILP runs as without the dive (from `warm_start`).
        With `want_basis` (and `want_duals`), the report carries the basis of the fixed-integer LP
        (`SolveReport.basis`: 9 ms to read for the default instance, 0.13-0.17 s at size L, so only on
        request).
        """
        import highspy

        t0 = time.perf_counter()
        timings, self._setup = dict(self._setup), {}  # compile and hand-over count in the first solve only
        setup_time = sum(timings.values())
        h = self.highs
        own_interrupt = interrupt is None  # nobody to tell: a Ctrl-C stops HiGHS, then goes on to the caller
        interrupt = interrupt or Interrupt()
        mip = len(self.int_cols) > 0 and not self._linear

        t1 = time.perf_counter()
        dove = self._dive(options, interrupt, stream_log, poll, basis) if dive and mip else None
        highs_time = dove.seconds if dove is not None else 0.0
        if own_interrupt and self._caught is not None:
            caught, self._caught = self._caught, None
            raise caught  # HiGHS has stopped; the caller did not ask to handle interrupts itself
        start = method = ""
        if dove is not None:
            method = dove.words
        if dove is not None and dove.proven:
            timings["run"] = time.perf_counter() - t1
            timings["highs_milp"] = highs_time
            termination, model_status = "optimal", "Optimal"
            x, objective, bound = dove.x, dove.objective, dove.bound
            gap = _relative_gap(objective, bound)  # type: ignore[arg-type]
            first_objective = objective
            infeasibility, off_whole = dove.infeasibility, 0.0
        else:
            start = self._start(warm_start)
            highs_time += self._run(options, interrupt, on_progress, stream_log, poll, lp=not mip)
            if own_interrupt and self._caught is not None:
                caught, self._caught = self._caught, None
                raise caught  # HiGHS has stopped; the caller did not ask to handle interrupts itself
            if start and mip and not interrupt.requested and not self._plan_matches_objective():
                # HiGHS 1.16 maps a start into its presolved model; when presolve moves one of the start's values
                # (a build it finds dominated), it may hand back the start itself with the objective of the
                # moved one (compare HiGHS#2439). Such a plan is not the optimum it claims to be: the run is
                # done again from nothing.
                _check(h.clearSolver(), "clearSolver")
                start += "; set aside (HiGHS returned it unchanged with another plan's objective): solved from nothing"
                highs_time += self._run(options, interrupt, on_progress, stream_log, poll, lp=False)
                if own_interrupt and self._caught is not None:
                    caught, self._caught = self._caught, None
                    raise caught
            timings["run"] = time.perf_counter() - t1
            timings["highs_milp"] = highs_time  # HiGHS's own clock for the MILP (or LP)
            first_objective = self._state.get("first")
            status = h.getModelStatus()
            model_status = h.modelStatusToString(status)
            hinfo = h.getInfo()
            has_solution = hinfo.primal_solution_status == 2  # kSolutionStatusFeasible
            if self._linear and status == highspy.HighsModelStatus.kOptimal:
                self._lp_basis = h.getBasis()
            x = np.asarray(h.getSolution().col_value) if has_solution else None
            objective = float(hinfo.objective_function_value) if has_solution else None
            bound = float(hinfo.mip_dual_bound) if mip else objective
            gap = float(hinfo.mip_gap) if mip and has_solution else (0.0 if has_solution else None)
            termination = _termination(status, highspy, interrupt.requested)
            if termination == "optimal" and not has_solution:
                termination = "error"
            infeasibility = float(hinfo.max_primal_infeasibility)
            off_whole = float(getattr(hinfo, "max_integrality_violation", 0.0)) if mip else 0.0
        has_solution = x is not None
        self.x = x
        warnings = list(self._warnings)
        if has_solution:
            tol = float(options.get("mip_feasibility_tolerance", 1e-6))
            if infeasibility > 10 * tol:
                warnings.append(f"HiGHS's plan violates a constraint by {infeasibility:.2g} (in kt "
                                "or $M), more than its tolerance: numerical trouble; check the data for extreme "
                                "magnitudes")
            if off_whole > 1e-4:
                warnings.append(f"an integer decision is off by {off_whole:.2g} from a whole "
                                "number: numerical trouble; the rounded plan may be slightly infeasible")

        duals_note = "not requested"
        dual_objective = None
        y = None
        basis_out: Basis | None = None
        t3 = time.perf_counter()
        if want_duals and x is not None and termination != "interrupted":
            if mip:
                lp_time, y, dual_objective, duals_note, basis_out = self._fixed_integer_duals(
                    x, options, interrupt, stream_log, poll, want_basis)
                timings["highs_duals"] = lp_time
                highs_time += lp_time
            elif termination == "optimal" and h.getInfo().dual_solution_status == 2:
                y = np.asarray(h.getSolution().row_dual)
                dual_objective = objective
                duals_note = "LP duals"
            else:
                duals_note = "unavailable: the LP was not solved to optimality"
        timings["duals"] = time.perf_counter() - t3

        t4 = time.perf_counter()
        if x is not None and load:
            self._load(x, objective)  # type: ignore[arg-type]
        row_duals: dict[str, np.ndarray] = {}
        if y is not None:
            for name, _comp, first, count in self.compiled.blocks:
                row_duals[name] = y[first:first + count]
        timings["load"] = time.perf_counter() - t4

        cm = self.compiled
        return SolveReport(
            termination=termination, has_solution=has_solution, objective=objective, bound=bound, gap=gap,
            wall_time=setup_time + time.perf_counter() - t0, highs_time=highs_time,
            model_status=model_status, n_cols=len(cm.cols), n_rows=cm.n_rows,
            n_int=len(self.int_cols), nnz=cm.nnz, options=dict(options), duals=duals_note,
            dual_objective=dual_objective, timings=timings, warnings=tuple(warnings), row_duals=row_duals,
            first_objective=first_objective, start=start,
            own_objective=None if x is None else (objective if self._objective_changes == 0 else self.objective_of(x)),
            basis=basis_out, method=method,
        )

    def _start(self, warm_start: WarmStart | None) -> str:
        """Clear what earlier runs left in HiGHS and give it `warm_start`; the start in words."""
        h = self.highs
        _check(h.clearSolver(), "clearSolver")
        if self._linear:  # a linear solve starts from the basis of the previous one (a warm simplex start)
            if self._lp_basis is not None and h.setBasis(self._lp_basis) == highspy_ok():
                return "basis of the previous linear solve"
            return ""
        if warm_start is None:
            return ""
        import highspy

        n = self.n_cols
        if isinstance(warm_start, Mapping):
            idx = np.fromiter(warm_start.keys(), dtype=np.int64, count=len(warm_start))
            val = np.fromiter(warm_start.values(), dtype=float, count=len(warm_start))
        elif isinstance(warm_start, tuple):
            idx = np.asarray(warm_start[0], dtype=np.int64)
            val = np.asarray(warm_start[1], dtype=float)
        else:
            val = np.asarray(warm_start, dtype=float)
            if val.shape != (n,):
                raise ValueError(f"a complete warm start has {n} values, not {val.size}")
            idx = np.arange(n, dtype=np.int64)
        if idx.shape != val.shape or (idx.size and (idx.min() < 0 or idx.max() >= n)):
            raise ValueError("a warm start's columns and values must pair up, with columns of this model")
        val = val.copy()
        integer = np.isin(idx, self.int_cols)
        val[integer] = np.round(val[integer])
        lo, hi = self._lower[idx], self._upper[idx]
        keep = np.isfinite(val) & (val >= lo - START_TOLERANCE) & (val <= hi + START_TOLERANCE)
        idx, val = idx[keep], np.clip(val[keep], lo[keep], hi[keep])
        left_out = int((~keep).sum())
        if len(np.unique(idx)) == n:
            full = np.empty(n)
            full[idx] = val
            solution = highspy.HighsSolution()
            solution.col_value = full
            _check(h.setSolution(solution), "setSolution")
            text = "complete plan"
        else:
            _check(h.setSolution(len(idx), idx.astype(np.int32), val), "setSolution")
            text = f"partial plan: {len(idx):,} of {n:,} values"
        if left_out:
            text += f"; {left_out:,} outside this run's bounds left out"
        return text

    @contextmanager
    def _integers_relaxed(self) -> Iterator[None]:
        """The integer columns continuous for the `with` block (an LP, whatever bounds the block holds them at);
        integer again afterwards, with the bounds in force, also on an error or an interrupt."""
        import highspy

        h = self.highs
        idx = self.int_cols
        continuous = np.full(len(idx), int(highspy.HighsVarType.kContinuous), dtype=np.uint8)
        _check(h.changeColsIntegrality(len(idx), idx, continuous), "changeColsIntegrality")
        try:
            yield
        finally:
            integer = np.full(len(idx), int(highspy.HighsVarType.kInteger), dtype=np.uint8)
            _check(h.changeColsIntegrality(len(idx), idx, integer), "changeColsIntegrality")
            _check(h.changeColsBounds(len(idx), idx, self._lower[idx], self._upper[idx]), "changeColsBounds")

    def _run(self, options: dict[str, Any], interrupt: Interrupt, on_progress: Callable[[Progress], None] | None,
             stream_log: bool, poll: float, *, lp: bool) -> float:
        """Run HiGHS once with exactly `options`, polling `on_progress`; HiGHS's time for the run."""
        import highspy

        h = self.highs
        _check(h.resetOptions(), "resetOptions")
        for k, v in options.items():
            h.setOptionValue(k, highspy.kHighsInf if isinstance(v, float) and math.isinf(v) else v)
        h.setOptionValue("output_flag", bool(stream_log))
        h.setOptionValue("log_to_console", bool(stream_log))
        before = h.getRunTime()
        limit = float(options.get("time_limit", math.inf))
        if lp and before > 0 and math.isfinite(limit):
            h.setOptionValue("time_limit", limit + before)  # simplex reads the accumulated clock
        self._interrupt, self._state, self._caught = interrupt, {}, None
        t = time.perf_counter()
        thread = h.startSolve()
        try:
            while True:
                try:
                    done, _ = h.wait(poll)
                except KeyboardInterrupt as exc:
                    interrupt.requested = True
                    self._caught = self._caught or exc
                    continue
                if done:
                    break
                if on_progress is not None:
                    on_progress(_progress(self._state, time.perf_counter() - t))
        finally:
            if thread is not None and thread.is_alive():
                thread.join()
        return h.getRunTime() - before

    def _plan_matches_objective(self) -> bool:
        """Whether the plan HiGHS returned has the objective HiGHS reports for it (costs in force)."""
        h = self.highs
        info = h.getInfo()
        if info.primal_solution_status != 2:
            return True
        x = np.asarray(h.getSolution().col_value)
        own = float(self._cost @ x + self._offset)
        reported = float(info.objective_function_value)
        return abs(own - reported) <= 1e-7 * max(1.0, abs(own), abs(reported))

    def _dive(self, options: dict[str, Any], interrupt: Interrupt, stream_log: bool, poll: float,
              basis: Basis | None) -> _Dive:
        """A plan for a MILP whose builds are all held, from LPs alone, and whether it is proven.

        The LP relaxation is solved (from `basis`, if given, else from HiGHS's own start: the result does
        not depend on what this HiGHS object solved before); its objective is a bound on the MILP's.
        Then, while any integer column is fractional, every fractional one is rounded up and held there
        (an operated plant, an earned credit: rounding up keeps the held builds' rows satisfiable) and the
        LP solved again from the basis it ended with. The last LP's plan is whole; it is proven when it
        lies within `mip_rel_gap` (relative) or `mip_abs_gap` of the relaxation's bound, the test HiGHS's
        own MILP stops on. Integrality and the bounds in force are restored afterwards.

        With every build held, only operating and credit decisions remain integer, and the relaxation is
        nearly tight: of the default instance's 90 plan evaluations (compare --regret), 69 are proven this
        way in two or three LPs (10-30 ms), against 0.2 s for HiGHS's MILP, which builds its root LP from
        nothing. The other 21 go on to the MILP, which is fastest without the dive's plan: HiGHS time of
        the 90 evaluations 10.3 s with it as a complete start (11 of the 21 came back with another plan's
        objective, compare HiGHS#2439, and were solved again), 9.8 s with its integers as a partial
        start, 9.1 s from nothing.
        """
        import highspy

        h = self.highs
        idx = self.int_cols
        tol = float(options.get("mip_feasibility_tolerance", 1e-6))
        rel, absolute = float(options.get("mip_rel_gap", 1e-4)), float(options.get("mip_abs_gap", 1e-6))
        optimal = highspy.HighsModelStatus.kOptimal
        seconds, lps = 0.0, 0
        with self._integers_relaxed():
            _check(h.clearSolver(), "clearSolver")
            if basis is not None:
                h.setBasis(_highs_basis(basis))  # a basis that does not fit is HiGHS's to refuse: it then starts anew
            seconds += self._run(options, interrupt, None, stream_log, poll, lp=True)
            lps += 1
            if h.getModelStatus() != optimal:
                return _Dive(seconds, lps, words=f"dive: the relaxation ended {h.modelStatusToString(h.getModelStatus())}"
                             "; then HiGHS's MILP")
            bound = float(h.getInfo().objective_function_value)
            while not interrupt.requested:
                x = np.asarray(h.getSolution().col_value)
                xi = x[idx]
                fractional = np.abs(xi - np.round(xi)) > tol
                if not fractional.any():
                    objective = float(h.getInfo().objective_function_value)
                    x = x.copy()
                    x[idx] = np.round(xi)
                    proven = objective - bound <= max(absolute, rel * abs(objective))
                    words = (f"dive: {lps} LPs, the plan within the gap of the relaxation's bound" if proven else
                             f"dive: {lps} LPs, the plan {_relative_gap(objective, bound):.2%} above the relaxation's "
                             "bound; then HiGHS's MILP")
                    return _Dive(seconds, lps, bound, objective, x, proven,
                                 float(h.getInfo().max_primal_infeasibility), words)
                cols = idx[fractional]
                up = np.minimum(np.ceil(xi[fractional]), self._upper[cols])
                _check(h.changeColsBounds(len(cols), cols, up, up), "changeColsBounds")
                seconds += self._run(options, interrupt, None, stream_log, poll, lp=True)
                lps += 1
                if h.getModelStatus() != optimal:
                    return _Dive(seconds, lps, bound, words=f"dive: {lps} LPs, rounding up left no plan; "
                                 "then HiGHS's MILP")
            return _Dive(seconds, lps, bound, words="dive: interrupted")

    def _fixed_integer_duals(self, x: np.ndarray, options: dict[str, Any], interrupt: Interrupt, stream_log: bool,
                             poll: float, want_basis: bool = False
                             ) -> tuple[float, np.ndarray | None, float | None, str, Basis | None]:
        """Row duals of the LP with the integer columns fixed at plan `x`, solved in this HiGHS object.

        Integrality and the bounds in force are restored afterwards, also when the LP fails or is
        interrupted. Returns HiGHS's time, the duals (or None), the LP's objective, how it went and,
        with `want_basis`, the LP's final basis (or None).
        """
        import highspy

        h = self.highs
        idx = self.int_cols
        fixed = np.round(x[idx])
        with self._integers_relaxed():
            _check(h.changeColsBounds(len(idx), idx, fixed, fixed), "changeColsBounds")
            lp_time = self._run(options, interrupt, None, stream_log, poll, lp=True)
            if h.getModelStatus() == highspy.HighsModelStatus.kOptimal and h.getInfo().dual_solution_status == 2:
                return (lp_time, np.asarray(h.getSolution().row_dual), float(h.getInfo().objective_function_value),
                        "LP with integer decisions fixed at the plan (fixed-integer re-solve)",
                        _basis_of(h) if want_basis else None)
            why = f"unavailable: the fixed-integer LP ended with status {h.modelStatusToString(h.getModelStatus())}"
            return lp_time, None, None, why, None

    def _load(self, x: np.ndarray, objective: float) -> None:
        """Put plan `x` into the Pyomo variables: integers rounded, the objective's variable its value."""
        values = x.copy()
        values[self.int_cols] = np.round(values[self.int_cols])
        for v, val in zip(self.compiled.cols, values.tolist()):
            v.set_value(val, skip_validation=True)
        if self.compiled.objective_var is not None:
            own = objective if self._objective_changes == 0 else self.objective_of(x)
            self.compiled.objective_var.set_value(own, skip_validation=True)

    def _on_mip(self, e: Any) -> None:
        d = e.data_out
        self._state.update(objective=d.mip_primal_bound, bound=d.mip_dual_bound, gap=d.mip_gap,
                           nodes=int(d.mip_node_count))
        e.data_in.user_interrupt = self._interrupt.requested

    def _on_lp(self, e: Any) -> None:
        e.data_in.user_interrupt = self._interrupt.requested

    def _on_plan(self, e: Any) -> None:
        self._state.setdefault("first", float(e.data_out.objective_function_value))

    # ----------------------------------------------------------------------------------------
    # variations: changes on the HiGHS side, undone when the block ends
    # ----------------------------------------------------------------------------------------

    @contextmanager
    def changed(self, *, bounds: Mapping[int, Bounds] | None = None,
                costs: Mapping[int, float] | np.ndarray | None = None, offset: float | None = None,
                row_bounds: Mapping[int, Bounds] | None = None) -> Iterator[Session]:
        """Change column bounds, costs (some, or a full vector), the objective's offset and row bounds
        for the `with` block; the values in force before are restored when it ends, also on an error.

        Blocks nest: an inner change is undone before the outer one.
        """
        undo: list[Callable[[], None]] = []
        try:
            if bounds:
                idx, lo, hi = _bound_arrays(bounds)
                undo.append(self._change_col_bounds(idx, lo, hi))
            if costs is not None:
                undo.append(self._change_costs(costs))
            if offset is not None:
                undo.append(self._change_offset(float(offset)))
            if row_bounds:
                idx, lo, hi = _bound_arrays(row_bounds)
                undo.append(self._change_row_bounds(idx, lo, hi))
            yield self
        finally:
            for step in reversed(undo):
                step()

    def bounds_of(self, cols: Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
        """The lower and upper bounds in force of columns `cols` (the model's, or a change's)."""
        idx = np.fromiter(cols, dtype=np.int64)
        return self._lower[idx].copy(), self._upper[idx].copy()

    @contextmanager
    def rows_added(self, rows: Iterable[tuple[Mapping[int, float], float | None, float | None]]
                   ) -> Iterator[np.ndarray]:
        """Rows `lower <= sum(a_j x_j) <= upper`, each given as ({column: a_j}, lower, upper) (None: no
        bound), added for the `with` block and deleted when it ends; yields their row indices.

        Added rows come after the model's own: the row blocks, `row` and `rows` are unchanged. Blocks
        that add rows nest like `changed` blocks (an inner block's rows are deleted first).
        """
        h = self.highs
        first = int(h.getNumRow())
        added = 0
        los, his = [], []
        try:
            for coefs, lo, hi in rows:
                idx = np.fromiter(coefs.keys(), dtype=np.int32, count=len(coefs))
                val = np.fromiter(coefs.values(), dtype=float, count=len(coefs))
                low = -math.inf if lo is None else float(lo)
                up = math.inf if hi is None else float(hi)
                _check(h.addRow(low, up, len(idx), idx, val), "addRow")
                added += 1
                los.append(low)
                his.append(up)
            self._row_lo = np.concatenate([self._row_lo, np.array(los, dtype=float)])
            self._row_hi = np.concatenate([self._row_hi, np.array(his, dtype=float)])
            yield np.arange(first, first + added, dtype=np.int64)
        finally:
            if added:
                _check(h.deleteRows(added, np.arange(first, first + added, dtype=np.int32)), "deleteRows")
                self._row_lo, self._row_hi = self._row_lo[:first], self._row_hi[:first]

    @contextmanager
    def linear(self) -> Iterator[Session]:
        """Solve as a linear programme for the `with` block: the integer columns become continuous (hold them
        at whole values with bounds), and each solve starts from the basis the previous linear solve of this
        session ended with (many nearby LPs: the samples of `planner risk`). Integrality is restored after."""
        import highspy

        h = self.highs
        idx = self.int_cols
        if len(idx):
            cont = np.full(len(idx), int(highspy.HighsVarType.kContinuous), dtype=np.uint8)
            _check(h.changeColsIntegrality(len(idx), idx, cont), "changeColsIntegrality")
        self._linear = True
        try:
            yield self
        finally:
            self._linear = False
            if len(idx):
                integer = np.full(len(idx), int(highspy.HighsVarType.kInteger), dtype=np.uint8)
                _check(h.changeColsIntegrality(len(idx), idx, integer), "changeColsIntegrality")

    def cost_capped(self, max_objective: float) -> AbstractContextManager[np.ndarray]:
        """The model's own objective (`objective_of`, model units) held at `max_objective` or less by one
        added row, whatever objective is in force: the budget row of near-optimal alternatives."""
        c = self.compiled.c
        nz = np.flatnonzero(c)
        return self.rows_added([(dict(zip(nz.tolist(), c[nz].tolist())), None,
                                 float(max_objective) - float(self.compiled.offset))])

    def fixed(self, values: Mapping[int, float]) -> AbstractContextManager[Session]:
        """Columns held at `values` ({column: value}), e.g. another case's plan (regret)."""
        return self.changed(bounds={int(j): (float(v), float(v)) for j, v in values.items()})

    def forced(self, cols: Iterable[int], at_least: float = 1.0) -> AbstractContextManager[Session]:
        """Columns held at `at_least` or more (a forced build: one unit from a start year)."""
        return self.changed(bounds={int(j): (at_least, self._upper[j]) for j in cols})

    def excluded(self, cols: Iterable[int]) -> AbstractContextManager[Session]:
        """Columns held at 0 or less (an excluded build: upper bound 0)."""
        return self.changed(bounds={int(j): (self._lower[j], 0.0) for j in cols})

    def dropped(self, rows: Iterable[int]) -> AbstractContextManager[Session]:
        """Rows that no longer bind (bounds -inf and inf), e.g. the localization targets."""
        return self.changed(row_bounds={int(i): (None, None) for i in rows})

    def objective_swapped(self, cost: np.ndarray, offset: float = 0.0) -> AbstractContextManager[Session]:
        """A different objective, min cost·x + offset (a full cost vector); `objective_of` still gives the
        model's own."""
        return self.changed(costs=np.asarray(cost, dtype=float), offset=offset)

    def _change_col_bounds(self, idx: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> Callable[[], None]:
        old_lo, old_hi = self._lower[idx].copy(), self._upper[idx].copy()

        def apply(lower: np.ndarray, upper: np.ndarray) -> None:
            _check(self.highs.changeColsBounds(len(idx), idx.astype(np.int32), lower, upper), "changeColsBounds")
            self._lower[idx], self._upper[idx] = lower, upper

        apply(lo, hi)
        return lambda: apply(old_lo, old_hi)

    def _change_row_bounds(self, idx: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> Callable[[], None]:
        old_lo, old_hi = self._row_lo[idx].copy(), self._row_hi[idx].copy()

        def apply(lower: np.ndarray, upper: np.ndarray) -> None:
            _check(self.highs.changeRowsBounds(len(idx), idx.astype(np.int32), lower, upper), "changeRowsBounds")
            self._row_lo[idx], self._row_hi[idx] = lower, upper

        apply(lo, hi)
        return lambda: apply(old_lo, old_hi)

    def _change_costs(self, costs: Mapping[int, float] | np.ndarray) -> Callable[[], None]:
        if isinstance(costs, Mapping):
            idx = np.fromiter(costs.keys(), dtype=np.int64, count=len(costs))
            new = np.fromiter(costs.values(), dtype=float, count=len(costs))
        else:
            new = np.asarray(costs, dtype=float)
            if new.shape != (self.n_cols,):
                raise ValueError(f"a full cost vector has {self.n_cols} values, not {new.size}")
            idx = np.arange(self.n_cols, dtype=np.int64)
        old = self._cost[idx].copy()

        def apply(c: np.ndarray, step: int) -> None:
            _check(self.highs.changeColsCost(len(idx), idx.astype(np.int32), c), "changeColsCost")
            self._cost[idx] = c
            self._objective_changes += step

        apply(new, 1)
        return lambda: apply(old, -1)

    def _change_offset(self, offset: float) -> Callable[[], None]:
        old = self._offset

        def apply(value: float, step: int) -> None:
            _check(self.highs.changeObjectiveOffset(value), "changeObjectiveOffset")
            self._offset = value
            self._objective_changes += step

        apply(offset, 1)
        return lambda: apply(old, -1)


@dataclass(frozen=True)
class _Dive:
    """What `Session._dive` found: HiGHS's time, the LPs solved, the relaxation's bound, the plan (whole
    integers) and its objective, whether it is proven within the gap, its largest row violation, in words."""

    seconds: float
    lps: int
    bound: float | None = None
    objective: float | None = None
    x: np.ndarray | None = None
    proven: bool = False
    infeasibility: float = 0.0
    words: str = ""


def _relative_gap(objective: float, bound: float) -> float:
    """(objective - bound) / |objective|, as HiGHS reports a MILP's gap."""
    if objective == bound:
        return 0.0
    return (objective - bound) / abs(objective) if objective else math.inf


def _basis_of(h: Any) -> Basis | None:
    """HiGHS's current basis as two arrays of statuses (None if it has no valid one)."""
    b = h.getBasis()
    if not b.valid:
        return None
    return (np.fromiter((int(v) for v in b.col_status), dtype=np.uint8, count=len(b.col_status)),
            np.fromiter((int(v) for v in b.row_status), dtype=np.uint8, count=len(b.row_status)))


def _highs_basis(basis: Basis) -> Any:
    import highspy

    status = {int(v): v for v in highspy.HighsBasisStatus.__members__.values()}
    b = highspy.HighsBasis()
    b.col_status = [status[v] for v in basis[0].tolist()]
    b.row_status = [status[v] for v in basis[1].tolist()]
    b.valid = True
    return b


def _bound_arrays(bounds: Mapping[int, Bounds]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    idx = np.fromiter(bounds.keys(), dtype=np.int64, count=len(bounds))
    lo = np.array([-math.inf if b[0] is None else float(b[0]) for b in bounds.values()], dtype=float)
    hi = np.array([math.inf if b[1] is None else float(b[1]) for b in bounds.values()], dtype=float)
    return idx, lo, hi


def highspy_ok() -> Any:
    import highspy

    return highspy.HighsStatus.kOk


def _check(status: Any, what: str) -> None:
    """Raise when HiGHS refuses a call (a warning, such as a duplicate index, is let through)."""
    import highspy

    if status == highspy.HighsStatus.kError:
        raise RuntimeError(f"HiGHS refused {what}")


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
