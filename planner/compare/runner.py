"""Run many cases: serially, in processes on this machine, or on a Dask distributed cluster.

Each task carries the workbook's bytes (not a path, not a model: "ship data, not models"), builds
and solves in its worker with one HiGHS thread, and returns a picklable `CaseRun` holding the
case's `Solution`. A failing or infeasible case becomes a failed `CaseRun` with its reason; it
never stops the others. This module does not import Pyomo; workers do, when they solve.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from typing import Any

from planner.compare.compare import CaseRun
from planner.errors import PlannerError
from planner.instance.records import FixedPlan, WhatIf

Event = Callable[[str, str, dict[str, Any]], None]  # (task key, state, details)


@dataclass(frozen=True)
class CaseTask:
    key: str  # unique label, e.g. "current_law" or "plan of A under B"
    case: str
    instance_name: str  # file name for messages
    instance_bytes: bytes
    options: dict[str, Any]  # HiGHS options (threads already set)
    preset: str
    hard_targets: bool = False
    plan: FixedPlan | None = None
    whatif: WhatIf | None = None


_CACHE: dict[str, Any] = {}  # per worker process: sha256 -> validated Instance


def solve_task(task: CaseTask) -> CaseRun:
    """Solve one task in this process; every failure becomes a failed CaseRun (never raises)."""
    import hashlib

    t0 = time.perf_counter()
    try:
        from planner.cases import load_instance
        from planner.explain.hard_targets import solve_case_explained
        from planner.solve.presets import SolverOptions

        digest = hashlib.sha256(task.instance_bytes).hexdigest()
        inst = _CACHE.get(digest)
        if inst is None:
            inst = load_instance(task.instance_name, data=task.instance_bytes)
            _CACHE.clear()
            _CACHE[digest] = inst
        opts = SolverOptions(preset=task.preset, highs=dict(task.options),
                             sources={k: "comparison run" for k in task.options})
        sol = solve_case_explained(inst, task.case, options=opts, hard_targets=task.hard_targets, plan=task.plan,
                         whatif=task.whatif)
        if not sol.has_plan:
            reason = sol.status["status"]
            if sol.messages:
                reason += ": " + " ".join(m.strip() for m in sol.messages)
            return CaseRun(task.case, "failed", sol, reason, time.perf_counter() - t0)
        return CaseRun(task.case, "done", sol, None, time.perf_counter() - t0)
    except PlannerError as exc:
        return CaseRun(task.case, "failed", None, str(exc), time.perf_counter() - t0)
    except Exception as exc:  # a bug in one case must not stop the others
        return CaseRun(task.case, "failed", None, f"internal error ({type(exc).__name__}: {exc})",
                       time.perf_counter() - t0)


def run_tasks(tasks: list[CaseTask], *, jobs: int = 1, scheduler: str | None = None,
              on_event: Event | None = None, poll: float = 0.2) -> dict[str, CaseRun]:
    """Run tasks and return their CaseRuns by key, reporting queued/solving/done/failed events."""
    emit = on_event or (lambda _k, _s, _d: None)
    for t in tasks:
        emit(t.key, "queued", {})
    if scheduler:
        return _run_dask(tasks, scheduler, emit, poll)
    if jobs <= 1 or len(tasks) <= 1:
        out = {}
        for t in tasks:
            emit(t.key, "solving", {})
            run = solve_task(t)
            out[t.key] = run
            emit(t.key, run.status, _details(run))
        return out
    return _run_processes(tasks, jobs, emit, poll)


def _details(run: CaseRun) -> dict[str, Any]:
    d: dict[str, Any] = {"seconds": run.seconds}
    if run.solution is not None:
        d["gap"] = run.solution.status.get("gap")
        d["status"] = run.solution.status.get("status")
        d["objective"] = run.solution.status.get("objective_usd")
    if run.error:
        d["error"] = run.error
    return d


def _run_processes(tasks: list[CaseTask], jobs: int, emit: Event, poll: float) -> dict[str, CaseRun]:
    out: dict[str, CaseRun] = {}
    ctx = multiprocessing.get_context("spawn")  # no fork: the parent may be running display threads
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=ctx) as pool:
        futures: dict[Future[CaseRun], CaseTask] = {pool.submit(solve_task, t): t for t in tasks}
        running: set[str] = set()
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=poll, return_when=FIRST_COMPLETED)
            for f in pending:
                key = futures[f].key
                if key not in running and f.running():
                    running.add(key)
                    emit(key, "solving", {})
            for f in done:
                t = futures[f]
                try:
                    run = f.result()
                except Exception as exc:  # the worker process died (e.g. out of memory)
                    run = CaseRun(t.case, "failed", None, f"the worker process failed ({type(exc).__name__}: {exc})")
                out[t.key] = run
                emit(t.key, run.status, _details(run))
    return out


def _run_dask(tasks: list[CaseTask], scheduler: str, emit: Event, poll: float) -> dict[str, CaseRun]:
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise PlannerError("--scheduler needs Dask: pip install 'active-materials-planner[dask]'") from None
    out: dict[str, CaseRun] = {}
    try:
        client = Client(scheduler, timeout="20s")
    except Exception as exc:
        raise PlannerError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    with client:
        futures = {client.submit(solve_task, t, key=f"planner-{os.getpid()}-{i}-{t.key}", pure=False): t
                   for i, t in enumerate(tasks)}
        for t in tasks:
            emit(t.key, "solving", {"where": "cluster"})
        for f in as_completed(list(futures)):
            t = futures[f]
            try:
                run = f.result()
            except Exception as exc:
                run = CaseRun(t.case, "failed", None, f"the Dask worker failed ({type(exc).__name__}: {exc})")
            out[t.key] = run
            emit(t.key, run.status, _details(run))
    return out


def mark_written(run: CaseRun, path: str) -> CaseRun:
    return replace(run, workbook=path)
