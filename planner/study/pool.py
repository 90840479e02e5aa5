"""Worker processes on this machine: each holds built models and solver sessions between tasks.

`ProcessBackend` starts `jobs` processes (from a fork server where the platform has one, else
spawned: never forked from the parent itself, which may be running display threads) and
gives each one task at a time over its own pipe, so the parent always knows what every worker
is doing: a worker says "solving" when it starts a task, and sends the result when it ends. An
idle worker gets, in this order: a queued task of a base it already holds; one of a base nobody
holds; one of a base another (busy) worker holds, which it then builds too rather than wait. A
worker with nothing to do builds ahead the base another worker is solving (its re-solves will
follow). The workbook's bytes, with the Instance validated in this process, go to a worker once per
base it builds (unpickling takes milliseconds; validating again took 0.4 s), never a model.

Stopping (Ctrl-C, SIGTERM, SIGHUP in the parent, or any error there): the shared stop flag is set,
which every worker's HiGHS reads at its next callback, so running solves end within moments and
report "stopped"; queued tasks are cancelled without being sent; after a short grace the workers
that have not ended are terminated (SIGTERM, then SIGKILL). A worker ignores Ctrl-C itself (the
terminal sends it to the whole process group; the parent decides) and leaves at once on SIGTERM;
it also stops when its parent dies.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from planner.study.forkserver import context, warm_up, with_sigint_ignored
from planner.study.tasks import Base, CANCELLED, STOPPED, Start, Task, TaskResult, with_start

#: seconds the running solves get to stop on their own once the stop flag is set, before the
#: workers are terminated (HiGHS stops at its next callback, usually within milliseconds); then
#: SIGTERM, and SIGKILL for a worker still there after KILL_AFTER seconds more
GRACE = 0.5
KILL_AFTER = 0.5
#: worker processes started again after one died, per pool, at most this many times
RESTARTS = 4


def start_process(p: Any) -> None:
    """Start process `p` with Ctrl-C ignored from its first instruction on.

    A Ctrl-C typed in a terminal reaches every process of the foreground group, the workers too.
    One arriving while a spawned worker is still importing (before `worker_signals` runs) would print
    a traceback from it; a signal ignored at exec stays ignored in the new interpreter, so the
    worker is started with SIGINT ignored (this process ignores it for the few milliseconds the
    start takes). The fork server is started the same way, so it and every worker it forks ignore
    Ctrl-C from their first instruction."""
    with_sigint_ignored(p.start)


def worker_signals() -> None:
    """Signals in a worker process: Ctrl-C is left to the parent, which stops its workers.

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
        signal.signal(signal.SIGHUP, leave)


class SharedStop:
    """The stop flag as a HiGHS interrupt: `requested` reads the flag the parent sets (shared memory)."""

    def __init__(self, flag: Any) -> None:
        self.flag = flag
        self.local = False  # set in this process (its parent died)

    @property
    def requested(self) -> bool:
        return self.local or bool(self.flag.value)

    @requested.setter
    def requested(self, value: bool) -> None:  # a Ctrl-C caught while HiGHS ran (ignored here: no SIGINT)
        self.local = self.local or bool(value)


def _watch_parent(stop: SharedStop) -> None:
    """Stop this worker's solve when its parent process ends (it would otherwise solve for nobody)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        with contextlib.suppress(Exception):
            wait([parent.sentinel])
        stop.local = True

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def serve(conn: Connection, flag: Any, name: str) -> None:
    """A worker process's life: take tasks from the pipe, one at a time, until told to end."""
    worker_signals()
    stop = SharedStop(flag)
    _watch_parent(stop)
    from planner.study import worker  # the heavy imports (Pyomo, HiGHS, pandas) happen on first use

    with contextlib.suppress(Exception):  # ready the libraries while the parent prepares its first task
        import planner.model.build  # noqa: F401
        import planner.results.extract  # noqa: F401
        import planner.solve.session  # noqa: F401
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        kind, payload = msg
        try:
            if kind == "prepare":
                seconds = worker.prepare(payload)
                conn.send(("prepared", payload.key, seconds, worker.held_bases()))
            elif kind == "task":
                task: Task = payload
                if stop.requested:
                    conn.send(("result", TaskResult(task.key, "cancelled", error=CANCELLED, worker=name), worker.held_bases()))
                    continue
                conn.send(("solving", task.key))
                result = worker.run_task(task, interrupt=stop, worker=name)
                conn.send(("result", result, worker.held_bases()))
        except (BrokenPipeError, EOFError, OSError):
            return


@dataclass
class _Worker:
    name: str
    process: Any
    conn: Connection
    task: Task | None = None  # sent, not yet answered
    solving: bool = False  # the worker said it started the task
    preparing: tuple[str, str, bool] | None = None
    bases: set[tuple[str, str, bool]] = field(default_factory=set)  # as the worker last said
    alive: bool = True

    @property
    def idle(self) -> bool:
        return self.alive and self.task is None and self.preparing is None


class ProcessBackend:
    """Tasks run by `jobs` worker processes on this machine (see the module's docstring)."""

    def __init__(self, jobs: int, emit: Callable[[str, str, dict[str, Any]], None],
                 best_start: Callable[[tuple[str, str, bool]], Start | None], *, prefetch: bool = True) -> None:
        self.jobs = max(1, int(jobs))
        self.emit = emit
        self.best_start = best_start
        self.prefetch = prefetch
        self.ctx = context()
        #: workers come from a fork server (and ignore Ctrl-C as it does, whichever thread starts them)
        self.forks = self.ctx.get_start_method() == "forkserver"
        warm_up()
        self.flag = self.ctx.RawValue("b", 0)
        self.queue: deque[Task] = deque()
        self.workers: list[_Worker] = []
        self.restarts = 0
        self.bases: dict[tuple[str, str, bool], Base] = {}  # every base seen, with its data
        self._seq = 0

    # ---------------------------------------------------------------------------------------
    def _start_worker(self) -> _Worker:
        self._seq += 1
        name = f"worker {self._seq}"
        parent, child = self.ctx.Pipe(duplex=True)
        p = self.ctx.Process(target=serve, args=(child, self.flag, name), name=f"planner {name}", daemon=True)
        start_process(p)
        child.close()
        w = _Worker(name, p, parent)
        self.workers.append(w)
        return w

    def _ensure_workers(self) -> None:
        alive = [w for w in self.workers if w.alive]
        want = min(self.jobs, len(alive) + len(self.queue))
        while len(alive) < want:
            alive.append(self._start_worker())

    @property
    def size(self) -> int:
        return self.jobs

    def submit(self, task: Task) -> None:
        self.bases.setdefault(task.base.key, task.base)
        if task.if_infeasible is not None:
            self.bases.setdefault(task.if_infeasible.task.base.key, task.if_infeasible.task.base)
        self.queue.append(task)
        self._ensure_workers()
        self._dispatch()

    @property
    def pending(self) -> int:
        return len(self.queue) + sum(1 for w in self.workers if w.task is not None)

    def prepare(self, base: Base) -> None:
        """Every worker (all `jobs` of them started now) builds `base` ahead of its tasks."""
        self.bases.setdefault(base.key, base)
        while sum(1 for w in self.workers if w.alive) < self.jobs:
            self._start_worker()
        for w in self.workers:
            if w.idle and base.key not in w.bases:
                try:
                    w.conn.send(("prepare", base.shipped(True, validated=True)))
                except (BrokenPipeError, OSError):
                    self._lost(w)
                    continue
                w.preparing = base.key

    # ---------------------------------------------------------------------------------------
    def _pick(self, w: _Worker) -> Task | None:
        if not self.queue:
            return None
        held_elsewhere = {b for o in self.workers if o is not w and o.alive for b in o.bases}
        held_elsewhere |= {o.preparing for o in self.workers if o is not w and o.preparing}
        chosen = None
        for t in self.queue:  # a base it holds
            if t.base.key in w.bases:
                chosen = t
                break
        if chosen is None:
            for t in self.queue:  # a base nobody holds
                if t.base.key not in held_elsewhere:
                    chosen = t
                    break
        if chosen is None:
            chosen = self.queue[0]  # a base another worker holds: build it too rather than wait
        self.queue.remove(chosen)
        return chosen

    def _dispatch(self) -> None:
        if self.flag.value:
            return
        for w in self.workers:
            if not w.idle:
                continue
            task = self._pick(w)
            if task is None:
                continue
            task = with_start(task, self.best_start(task.base.key))
            needs = {task.base.key}
            if task.if_infeasible is not None:
                needs.add(task.if_infeasible.task.base.key)
            with_data = not needs <= w.bases
            try:
                w.conn.send(("task", task.shipped(with_data, validated=True)))
            except (BrokenPipeError, OSError):
                self.queue.appendleft(task)
                self._lost(w)
                continue
            w.task = task
        if self.prefetch and not self.queue:
            self._prefetch()

    def _prefetch(self) -> None:
        """Idle workers build ahead the bases that busy workers are solving."""
        busy = [w.task.base.key for w in self.workers if w.task is not None]
        for w in self.workers:
            if not w.idle:
                continue
            for key in busy:
                if key in w.bases or any(o.preparing == key for o in self.workers):
                    continue
                try:
                    w.conn.send(("prepare", self.bases[key].shipped(True, validated=True)))
                except (BrokenPipeError, OSError):
                    self._lost(w)
                    break
                w.preparing = key
                break

    # ---------------------------------------------------------------------------------------
    def next(self, timeout: float | None) -> list[TaskResult]:
        """Results that came in within `timeout` seconds (none if nothing did)."""
        live = [w for w in self.workers if w.alive]
        if not live:
            return []
        conns = {w.conn: w for w in live}
        sentinels = {w.process.sentinel: w for w in live}
        out: list[TaskResult] = []
        ready = wait([*conns, *sentinels], timeout)
        for r in ready:
            w = conns.get(r)  # type: ignore[call-overload]
            if w is None:
                continue
            while w.alive:
                try:
                    if not w.conn.poll():
                        break
                    msg = w.conn.recv()
                except (EOFError, OSError):
                    out += self._lost(w)
                    break
                out += self._handle(w, msg)
        for r in ready:
            w = sentinels.get(r)  # type: ignore[call-overload]
            if w is not None and w.alive:
                with contextlib.suppress(EOFError, OSError):
                    while w.conn.poll():  # its last words first
                        out += self._handle(w, w.conn.recv())
                out += self._lost(w)
        self._dispatch()
        return out

    def _handle(self, w: _Worker, msg: tuple[Any, ...]) -> list[TaskResult]:
        kind = msg[0]
        if kind == "solving":
            w.solving = True
            self.emit(msg[1], "solving", {"worker": w.name})
            return []
        if kind == "prepared":
            w.preparing = None
            w.bases = set(msg[3])
            return []
        if kind == "result":
            w.task, w.solving = None, False
            w.bases = set(msg[2])
            return [msg[1]]
        return []

    def _lost(self, w: _Worker) -> list[TaskResult]:
        """A worker that died (out of memory, killed): its task fails; another worker takes its place."""
        w.alive = False
        with contextlib.suppress(Exception):
            w.conn.close()
        code = w.process.exitcode
        out = []
        if w.task is not None:
            why = f"the worker process ended unexpectedly (exit code {code})" if code is not None else \
                "the worker process stopped answering"
            out.append(TaskResult(w.task.key, "failed", error=why, worker=w.name))
            w.task = None
        w.preparing = None
        if self.queue and self.restarts < RESTARTS and not self.flag.value:
            self.restarts += 1
            self._ensure_workers()
        return out

    # ---------------------------------------------------------------------------------------
    def stop(self) -> list[TaskResult]:
        """Stop everything now: queued tasks cancelled, running solves stopped, workers ended."""
        self.flag.value = 1
        out = [TaskResult(t.key, "cancelled", error=CANCELLED) for t in self.queue]
        self.queue.clear()
        deadline = time.monotonic() + GRACE
        while any(w.alive and w.task is not None for w in self.workers) and time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                out += self.next(max(0.0, deadline - time.monotonic()))
        for w in self.workers:
            if w.task is not None:
                out.append(TaskResult(w.task.key, "stopped", error=STOPPED, worker=w.name))
                w.task = None
        self._end(now=True)
        return out

    def close(self) -> None:
        """End the workers once every task is done."""
        self._end(now=False)

    def _end(self, *, now: bool) -> None:
        procs = [w.process for w in self.workers]
        for w in self.workers:
            if w.alive and not now:
                with contextlib.suppress(Exception):
                    w.conn.send(None)
        if not now:
            for p in procs:
                p.join(2.0)
        for p in procs:
            if p.is_alive():
                with contextlib.suppress(Exception):
                    p.terminate()
        deadline = time.monotonic() + KILL_AFTER
        for p in procs:
            with contextlib.suppress(Exception):
                p.join(max(0.0, deadline - time.monotonic()))
        for p in procs:
            if p.is_alive():  # stuck in a long call into HiGHS that does not let SIGTERM through: no more waiting
                with contextlib.suppress(Exception):
                    p.kill()
        for p in procs:
            with contextlib.suppress(Exception):
                p.join(1.0)
        for w in self.workers:
            w.alive = False
            with contextlib.suppress(Exception):
                w.conn.close()
