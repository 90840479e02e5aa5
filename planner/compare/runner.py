"""Run many cases: serially, in processes on this machine, or on a Dask distributed cluster.

Each task carries the workbook's bytes (not a path, not a model: "ship data, not models"), builds
and solves in its worker with one HiGHS thread, and returns a picklable `CaseRun` holding the
case's `Solution`. A failing or infeasible case becomes a failed `CaseRun` with its reason; it
never stops the others. This module does not import Pyomo; workers do, when they solve.
"""

from __future__ import annotations

import contextlib
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
            emit(t.key, run.status, _details(run, t))
        return out
    return _run_processes(tasks, jobs, emit, poll)


def _details(run: CaseRun, task: CaseTask | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {"seconds": run.seconds}
    if run.solution is not None:
        d["gap"] = run.solution.status.get("gap")
        d["status"] = run.solution.status.get("status")
        objective = run.solution.status.get("objective_usd")
        if task is not None and task.whatif is not None and task.whatif.objective == "shortfall":
            # that solve minimises unmet demand plus missed targets: its objective is tonnes, not money
            d["shortfall_t"] = None if objective is None else float(objective) * 1e-3
        else:
            d["objective"] = objective
    if run.error:
        d["error"] = run.error
    return d


def worker_signals() -> None:
    """Signals in a worker process: Ctrl-C is left to the parent, which stops its workers with SIGTERM.

    A Ctrl-C typed in a terminal goes to every process of the foreground group; a worker that
    reacted on its own would print a traceback from wherever it was. On SIGTERM a worker abandons
    its solve and leaves at once, after releasing the named semaphores its imports created (Pyomo
    makes one): killed without that, the resource tracker would report them as leaked."""
    import signal

    def leave(signum: int, _frame: Any) -> None:
        from multiprocessing import util

        with contextlib.suppress(Exception):
            util._run_finalizers(0)  # what a normal exit runs first: unlinks this process's semaphores
        os._exit(128 + signum)

    with contextlib.suppress(ValueError, OSError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, leave)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Stop the worker processes now (their solves are abandoned) and free the pool without waiting."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14
    if terminate is not None:
        with contextlib.suppress(Exception):
            terminate()
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for p in procs:
        with contextlib.suppress(Exception):
            p.terminate()
    for p in procs:
        with contextlib.suppress(Exception):
            p.join(5)
            if p.is_alive():  # stuck in a long call into HiGHS: no more waiting
                p.kill()
                p.join(5)
    # the workers are gone: the pool's own thread notices at once and releases its queues (no leaked
    # semaphores reported at exit)
    pool.shutdown(wait=True, cancel_futures=True)


def _run_processes(tasks: list[CaseTask], jobs: int, emit: Event, poll: float) -> dict[str, CaseRun]:
    out: dict[str, CaseRun] = {}
    ctx = multiprocessing.get_context("spawn")  # no fork: the parent may be running display threads
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=ctx, initializer=worker_signals)
    try:
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
                emit(t.key, run.status, _details(run, t))
    except BaseException:  # Ctrl-C, SIGTERM, SIGHUP in the parent: stop the workers, do not wait for them
        _stop_workers(pool)
        raise
    pool.shutdown(wait=True)
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
            emit(t.key, run.status, _details(run, t))
    return out


def mark_written(run: CaseRun, path: str) -> CaseRun:
    return replace(run, workbook=path)
