"""Run study tasks in this process: one built model and one solver session per base, kept.

Whatever process runs tasks — the command line itself for serial runs, a worker process of the
pool, a Dask worker — runs them here. The first task of a base reads and validates its instance
(once per instance), applies the case, builds the model and opens a `Session` on it; every later
task of that base only changes the session (bounds, row bounds, costs, an added row), solves,
reads its results and undoes the change. Each re-solve starts from the best plan known for the
base (its own base solve, or one the task brings), repaired to fit the variation
(`planner.model.variations.repair_start`). The Solution is made by the one-case pipeline's own
`planner.run.solution_of`, so a study's result reads exactly like a fresh solve's.

This module imports no Pyomo itself: it calls the model, solve and results layers.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from planner.errors import PlannerError
from planner.instance.records import Instance, WhatIf
from planner.study.tasks import SHORTFALL, STOPPED, Base, Start, Task, TaskResult, Variation

#: how many model columns the sessions kept by one process may hold together (the least recently
#: used base is let go beyond it; one base is always kept): about 2 GB at the default instance's
#: density, 10 bases of the default instance, one of size L
COLUMN_BUDGET = 300_000
#: validated instances kept per process
INSTANCES_KEPT = 2


@dataclass
class Held:
    """One base held by this process: its Instance, CaseInstance, model and session."""

    base: Base
    inst: Instance
    ci: Any  # CaseInstance
    session: Any  # planner.solve.session.Session
    timings: dict[str, float]  # read and build, reported by the base's first solve
    best: Start | None = None  # integer decisions of the best plan known for the base
    best_objective: float | None = None  # its objective, model units
    _int_keys: list[tuple[str, Any]] | None = None
    _ci_without_targets: Any = None

    @property
    def int_keys(self) -> list[tuple[str, Any]]:
        if self._int_keys is None:
            self._int_keys = self.session.keys_of(self.session.int_cols)
        return self._int_keys

    def ci_without_targets(self) -> Any:
        if self._ci_without_targets is None:
            self._ci_without_targets = replace(self.ci, policy=self.ci.policy.with_values(localization_target={}))
        return self._ci_without_targets


_INSTANCES: OrderedDict[str, Instance] = OrderedDict()
_HELD: OrderedDict[tuple[str, str, bool], Held] = OrderedDict()


def held_bases() -> list[tuple[str, str, bool]]:
    """The keys of the bases this process holds (most recently used last)."""
    return list(_HELD)


def forget() -> None:
    """Let go of every held base and instance (tests; a worker that is told to)."""
    _HELD.clear()
    _INSTANCES.clear()


def instance_of(base: Base) -> tuple[Instance, float]:
    """The base's validated Instance (read and validated once per process) and the seconds it took now."""
    inst = _INSTANCES.get(base.sha256)
    if inst is not None:
        _INSTANCES.move_to_end(base.sha256)
        return inst, 0.0
    t = time.perf_counter()
    if base.loaded is not None:
        inst = base.loaded
    elif base.data is not None:
        from planner.cases import load_instance

        inst = load_instance(base.instance, data=base.data)
    else:
        raise RuntimeError(f"the instance {base.instance} was not sent to this worker")
    _INSTANCES[base.sha256] = inst
    while len(_INSTANCES) > INSTANCES_KEPT:
        _INSTANCES.popitem(last=False)
    return inst, time.perf_counter() - t


def hold(base: Base) -> Held:
    """The held base: built now if this process does not hold it yet (the least recently used bases
    are let go while the sessions held exceed COLUMN_BUDGET columns)."""
    held = _HELD.get(base.key)
    if held is not None:
        _HELD.move_to_end(base.key)
        return held
    from planner.cases import apply_case
    from planner.model.build import build_model
    from planner.solve.session import Session

    inst, read = instance_of(base)
    t = time.perf_counter()
    ci = apply_case(inst, base.case)
    m = build_model(ci, hard_targets=base.hard_targets)
    build = time.perf_counter() - t
    session = Session(m)
    timings = {"build": build}
    if read:
        timings = {"read_validate": read, **timings}
    held = Held(base=base, inst=inst, ci=ci, session=session, timings=timings)
    _HELD[base.key] = held
    while len(_HELD) > 1 and sum(h.session.n_cols for h in _HELD.values()) > COLUMN_BUDGET:
        _HELD.popitem(last=False)
    return held


# --------------------------------------------------------------------------------------------
# one task
# --------------------------------------------------------------------------------------------


def run_task(task: Task, *, interrupt: Any = None, on_progress: Any = None, worker: str = "") -> TaskResult:
    """Solve `task` in this process and return its result; never raises but for KeyboardInterrupt.

    `interrupt`: an object whose `requested` turns true to stop HiGHS (a shared stop flag); None
    lets a Ctrl-C in this process stop HiGHS and raise. A failure becomes a failed result with its
    reason; an infeasible solve with `task.if_infeasible` runs that task too and adds its words.
    """
    t0 = time.perf_counter()
    try:
        result = _run(task, interrupt, on_progress)
    except PlannerError as exc:
        result = TaskResult(task.key, "failed", error=str(exc))
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # a bug in one task must not stop the others
        result = TaskResult(task.key, "failed", error=f"internal error ({type(exc).__name__}: {exc})")
    sol = result.solution
    follow = task.if_infeasible
    if (follow is not None and result.state == "failed" and sol is not None
            and sol.status.get("termination") == "infeasible"):
        aux = run_task(follow.task, interrupt=interrupt, worker=worker)
        if aux.state == "stopped":
            result = replace(result, state="stopped")
        else:
            try:
                words = follow.words(task, aux, hold(follow.task.base).ci)
            except Exception as exc:  # the explanation must not hide the result
                words = [f"(the reason could not be put in words: {type(exc).__name__}: {exc})"]
            sol = replace(sol, messages=(*sol.messages, *words))
            result = replace(result, solution=sol, aux=aux, error=_reason(sol))
    if task.render is not None and result.done and result.solution is not None and task.tables is None:
        result = replace(result, workbook=_rendered(task.render, result.solution))
    return replace(result, seconds=time.perf_counter() - t0, worker=worker)


def _rendered(render: Callable[[Any], bytes], sol: Any) -> bytes | None:
    """The workbook of `sol` as `render` makes it; None if it cannot be rendered here (the caller then
    renders it itself and reports why there, with the output's name)."""
    try:
        return render(sol)
    except Exception:  # noqa: BLE001 - reported by the caller's own rendering, where the output is named
        return None


def _reason(sol: Any) -> str:
    reason = str(sol.status["status"])
    if sol.messages:
        reason += ": " + " ".join(m.strip() for m in sol.messages)
    return reason


def _run(task: Task, interrupt: Any, on_progress: Any) -> TaskResult:
    from planner.run import check_variation, solution_of
    from planner.solve.presets import SolverOptions

    started = _dt.datetime.now(_dt.timezone.utc)
    base = task.base
    new = base.key not in _HELD
    held = hold(base)
    v = task.variation
    ci = held.ci_without_targets() if v.drop_targets else held.ci
    check_variation(ci, plan=v.plan, whatif=WhatIf(v.label, force=v.force) if v.force else None)
    options = dict(task.options)
    s = held.session

    cap = None
    if v.cost_cap is not None:
        cap = _cap(held, task, options, interrupt)
        if cap is None:
            return TaskResult(task.key, "failed", error="the cost cap needs the base's best plan, and none was found")

    with contextlib.ExitStack() as stack:
        bounds, forced = _bounds(held, v)
        rows = _row_bounds(held, v)
        if bounds or rows:
            stack.enter_context(s.changed(bounds=bounds, row_bounds=rows))
        if v.objective is not None:
            stack.enter_context(s.objective_swapped(_cost_vector(s, v)))
        if cap is not None:
            stack.enter_context(s.cost_capped(cap))
        if v.linear:
            stack.enter_context(s.linear())
        start = _start(held, task, forced) if task.warm_start and not v.linear else None
        report = s.solve(options, warm_start=start, interrupt=interrupt, want_duals=task.duals, load=True,
                         on_progress=on_progress, dive=task.dive and v.plan is not None,
                         basis=task.basis, want_basis=task.want_basis)
    if report.termination == "interrupted":
        return TaskResult(task.key, "stopped", error=STOPPED)
    if v.drop_targets and "c_localization" in report.row_duals:  # the rows exist, but do not bind: no price
        report = replace(report, row_duals={k: y for k, y in report.row_duals.items() if k != "c_localization"})
    timings = dict(held.timings) if new else {}
    sopts = SolverOptions(preset=task.preset, highs=options, sources={k: "study" for k in options})
    sol = solution_of(s.model, ci, report, inst=held.inst, options=sopts, hard_targets=base.hard_targets,
                      plan_of=v.plan.source_case if v.plan is not None else None, what_if=v.label or None,
                      started=started, timings=timings, tables=task.tables)
    if not sol.has_plan:
        return TaskResult(task.key, "failed", solution=sol, error=_reason(sol))
    plan_start = _start_of(held, s.x) if not v.linear or v.is_base else None
    if v.is_base and report.objective is not None:
        if held.best_objective is None or report.objective <= held.best_objective:
            held.best, held.best_objective = plan_start, report.objective
    plan = None
    from planner.results.plan import PLAN_TABLES, plan_of

    if task.tables is None or set(PLAN_TABLES) <= set(task.tables):  # every table the plan's decisions are in
        plan = plan_of(sol)
    return TaskResult(task.key, "done", solution=sol, plan=plan, start=plan_start if v.is_base else None,
                      integers=plan_start if v.plan is not None and not v.linear else None,
                      basis=report.basis if v.is_base else None)


def _cap(held: Held, task: Task, options: dict[str, Any], interrupt: Any) -> float | None:
    """The cost cap in model units: absolute, or relative to the best plan known for the base (solved
    now if none is known)."""
    from planner.model.units import MONEY

    cc = task.variation.cost_cap
    assert cc is not None
    if cc.usd is not None:
        return float(cc.usd) * MONEY
    if held.best_objective is None:
        r = held.session.solve(options, interrupt=interrupt, want_duals=False, load=False)
        if r.objective is None:
            return None
        held.best, held.best_objective = _start_of(held, held.session.x), r.objective
    best = float(held.best_objective)  # type: ignore[arg-type]
    return best + float(cc.relative or 0.0) * abs(best)


def _bounds(held: Held, v: Variation) -> tuple[dict[int, tuple[float | None, float | None]], set[str]]:
    """Column bounds of the variation, and the projects it forces in (or holds built)."""
    from planner.model.variations import plan_values

    s, sets = held.session, held.ci.sets
    out: dict[int, tuple[float | None, float | None]] = {}
    forced: set[str] = set()
    if v.plan is not None:  # every decision the plan holds: builds, signings, cancellations, early retirements
        for var, values in plan_values(held.ci, v.plan).items():
            for k, x in values.items():
                out[s.col(var, k)] = (x, x)
                if var == "v_units" and x > 0:
                    forced.add(k[0])
    for p, y in v.force:
        j = s.col("v_units", (p, y))
        out[j] = (1.0, float(s.bounds_of([j])[1][0]))
        forced.add(p)
    for p in v.exclude:
        for y in sets.starts.get(p, ()):
            with contextlib.suppress(KeyError):
                out[s.col("v_units", (p, y))] = (0.0, 0.0)
    for b in v.bounds:
        out[s.col(b.var, b.key)] = (b.lower, b.upper)
    return out, forced


def _row_bounds(held: Held, v: Variation) -> dict[int, tuple[float | None, float | None]]:
    s = held.session
    out: dict[int, tuple[float | None, float | None]] = {}
    if v.drop_targets:
        out.update({int(i): (None, None) for i in s.rows("c_localization")})
    for r in v.row_bounds:
        out[s.row(r.family, r.key)] = (r.lower, r.upper)
    return out


def _cost_vector(s: Any, v: Variation) -> np.ndarray:
    assert v.objective is not None
    c = np.zeros(s.n_cols)
    for var, key, coef in v.objective.terms:
        cols = s.cols(var) if key is None else np.array([s.col(var, key)], dtype=np.int64)
        c[cols] += float(coef)
    return -c if v.objective.sense == "max" else c


def _start_of(held: Held, x: np.ndarray | None) -> Start | None:
    """The integer decisions of plan `x`, by variable family and key."""
    if x is None:
        return None
    out: Start = {}
    values = np.round(x[held.session.int_cols]).tolist()
    for (var, key), val in zip(held.int_keys, values):
        out.setdefault(var, {})[key] = float(val)
    return out


def _start(held: Held, task: Task, forced: set[str]) -> dict[int, float] | None:
    """The warm start of a re-solve: the task's start, or the best plan known for the base, moved into
    the bounds in force and repaired (`repair_start`); None when no plan is known."""
    from planner.model.variations import repair_start

    start = task.start or held.best
    if not start:
        return None
    s = held.session
    cols: list[int] = []
    vals: list[float] = []
    keys: list[tuple[str, Any]] = []
    for var, values in start.items():
        for key, val in values.items():
            try:
                cols.append(s.col(var, key))
            except KeyError:  # a decision this base does not have (another case's start)
                continue
            vals.append(val)
            keys.append((var, key))
    if not cols:
        return None
    lo, hi = s.bounds_of(cols)
    clipped = np.clip(np.asarray(vals, dtype=float), lo, hi)
    moved: Start = {}
    for (var, key), val in zip(keys, clipped.tolist()):
        moved.setdefault(var, {})[key] = val
    repaired = repair_start(held.ci, moved, frozenset(forced))
    out: dict[int, float] = {}
    for var, values in repaired.items():
        for key, val in values.items():
            with contextlib.suppress(KeyError):
                out[s.col(var, key)] = float(val)
    return out


def prepare(base: Base) -> float:
    """Hold `base` (read, validate, build, open the session) ahead of its tasks; the seconds it took."""
    t = time.perf_counter()
    hold(base)
    return time.perf_counter() - t


__all__ = ["COLUMN_BUDGET", "SHORTFALL", "Held", "forget", "held_bases", "hold", "prepare", "run_task"]
