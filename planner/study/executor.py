"""`Study`: run many solves of one instance — in this process, in worker processes, or on Dask.

One interface over three ways of running tasks (planner.study.tasks):

* `jobs=1`: in this process, one task after the other (a Ctrl-C stops HiGHS and raises here);
* `jobs=N`: N worker processes on this machine (planner.study.pool);
* `scheduler="tcp://..."`: a Dask distributed cluster (planner.study.cluster).

Wherever they run, the tasks of one base share a built model and a solver session
(planner.study.worker), and each re-solve starts from the best plan known for its base: the
Study passes the plan of a base's own solve on to the tasks of that base that come later, in
whichever worker they run. Progress is reported as events `(key, state, details)`: queued when
submitted, solving when a worker starts it (never more at once than there are workers), then
done or failed with seconds, status, gap, objective (or shortfall) and error; on a stop, the
tasks that were running end "stopped" and those still queued "cancelled".

Used as a context manager, a Study that is left by an exception (Ctrl-C, SIGTERM and SIGHUP
raise one in the main thread: planner.cli.signals) stops everything at once: the running
solves are asked to stop, queued tasks never start, worker processes are ended.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Any

from planner.study.tasks import CANCELLED, SHORTFALL, STOPPED, Base, Event, Start, Task, TaskResult, with_start


class SerialBackend:
    """Tasks run in this process, one after the other."""

    size = 1

    def __init__(self, emit: Event, best_start: Any) -> None:
        self.emit = emit
        self.best_start = best_start
        self.queue: deque[Task] = deque()

    def submit(self, task: Task) -> None:
        self.queue.append(task)

    @property
    def pending(self) -> int:
        return len(self.queue)

    def next(self, timeout: float | None) -> list[TaskResult]:
        from planner.study.worker import run_task

        if not self.queue:
            return []
        task = self.queue.popleft()
        task = with_start(task, self.best_start(task.base.key))
        self.emit(task.key, "solving", {"worker": "this process"})
        return [run_task(task, worker="this process")]

    def prepare(self, base: Any) -> None:
        """Nothing to do ahead: this process builds a base when its first task runs."""

    def stop(self) -> list[TaskResult]:
        out = [TaskResult(t.key, "cancelled", error=CANCELLED) for t in self.queue]
        self.queue.clear()
        return out

    def close(self) -> None:
        self.queue.clear()


class Study:
    """Runs study tasks and reports their progress (see the module's docstring).

    ```python
    with Study(jobs=2, on_event=show) as st:
        st.submit(Task("plan", base))
        plan = st.wait("plan")
        for r in st.run([Task(f"force {p}", base, Variation(force=((p, y),)), tables=("kpis",))
                         for p, y in options]).values():
            ...
    ```
    """

    def __init__(self, *, jobs: int = 1, scheduler: str | None = None, on_event: Event | None = None,
                 prefetch: bool = True, poll: float = 0.25) -> None:
        self.on_event = on_event or (lambda _k, _s, _d: None)
        self.poll = poll
        self.finished: dict[str, TaskResult] = {}
        self.best: dict[tuple[str, str, bool], Start] = {}  # base -> integer decisions of its own plan
        self._tasks: dict[str, Task] = {}
        self._running: set[str] = set()
        self._inbox: deque[TaskResult] = deque()
        self._closed = False
        self._preparing: threading.Thread | None = None  # `prepare` starting the workers (see there)
        self._prepare_error: BaseException | None = None
        if scheduler:
            from planner.study.cluster import DaskBackend

            self.backend: Any = DaskBackend(scheduler, self._emit, self.best.get)
        elif jobs > 1:
            from planner.study.pool import ProcessBackend

            self.backend = ProcessBackend(jobs, self._emit, self.best.get, prefetch=prefetch)
        else:
            self.backend = SerialBackend(self._emit, self.best.get)

    @property
    def workers(self) -> int:
        """How many tasks can run at once."""
        return int(self.backend.size)

    # ---------------------------------------------------------------------------------------
    def submit(self, task: Task) -> None:
        """Queue `task` (its key must be new to this study)."""
        if task.key in self._tasks:
            raise ValueError(f"a task with key {task.key!r} was already submitted to this study")
        self._ready()
        self._tasks[task.key] = task
        self._emit(task.key, "queued", {})
        self.backend.submit(task)

    @property
    def pending(self) -> int:
        self._ready()
        return len(self._inbox) + int(self.backend.pending)

    def prepare(self, base: Base) -> None:
        """Have the workers build `base` now, ahead of its tasks (worker processes only; elsewhere a base
        is built by its first task).

        Starting a worker waits until the fork server has imported the workers' libraries (about a
        second from its start, `planner.study.forkserver`), so with a fork server the workers are
        started in a thread: this process goes on meanwhile (`planner explain` solves its plan,
        `solve_here`), and the Study's next use of its workers waits for that thread. A worker
        forked by the fork server ignores Ctrl-C as the fork server does, whichever thread asked."""
        prepare = getattr(self.backend, "prepare", None)
        if prepare is None:
            return
        self._ready()
        if not getattr(self.backend, "forks", False):
            prepare(base)
            return

        def run() -> None:
            try:
                prepare(base)
            except BaseException as exc:  # noqa: BLE001 - raised again by the next call that needs the workers
                self._prepare_error = exc

        self._preparing = threading.Thread(target=run, name="planner study prepare", daemon=True)
        self._preparing.start()

    def _ready(self) -> None:
        """Wait for `prepare`'s thread, if one is starting the workers; raise what it raised."""
        t, self._preparing = self._preparing, None
        if t is not None:
            t.join()
        if self._prepare_error is not None:
            exc, self._prepare_error = self._prepare_error, None
            raise exc

    def solve_here(self, task: Task) -> TaskResult:
        """Run `task` in this process now, while the workers get ready (e.g. build its base for the
        re-solves that follow); its plan becomes the best known plan of its base, as from any worker."""
        from planner.study.worker import run_task

        if task.key in self._tasks:
            raise ValueError(f"a task with key {task.key!r} was already submitted to this study")
        self._tasks[task.key] = task
        self._emit(task.key, "queued", {})
        self._emit(task.key, "solving", {"worker": "this process"})
        r = run_task(with_start(task, self.best.get(task.base.key)), worker="this process")
        self._finish(r)
        return r

    def results(self) -> Iterator[TaskResult]:
        """The results as tasks end, until none is pending (tasks submitted meanwhile included)."""
        self._ready()
        while self._inbox or self.backend.pending:
            if self._inbox:
                yield self._inbox.popleft()
                continue
            for r in self.backend.next(self.poll):
                self._finish(r)
                self._inbox.append(r)

    def wait(self, key: str) -> TaskResult:
        """The result of task `key`, once it has ended (the others' results stay available)."""
        self._ready()
        while key not in self.finished:
            if not self.backend.pending:
                raise KeyError(f"no task {key!r} is pending in this study")
            for r in self.backend.next(self.poll):
                self._finish(r)
                self._inbox.append(r)
        with contextlib.suppress(ValueError):
            self._inbox.remove(self.finished[key])
        return self.finished[key]

    def run(self, tasks: Iterable[Task]) -> dict[str, TaskResult]:
        """Submit `tasks`, wait for all of them, and return their results by key."""
        keys = []
        for t in tasks:
            self.submit(t)
            keys.append(t.key)
        for _ in self.results():
            pass
        return {k: self.finished[k] for k in keys}

    # ---------------------------------------------------------------------------------------
    def stop(self) -> list[TaskResult]:
        """Stop now: running solves stopped, queued tasks cancelled, workers ended; their results."""
        if self._closed:
            return []
        self._closed = True
        with contextlib.suppress(Exception):  # stopping goes on whatever starting the workers raised
            self._ready()
        out = []
        for r in self.backend.stop():
            if r.key not in self.finished:
                self._finish(r)
                out.append(r)
        for key in list(self._running):  # what the backend could not say any more
            r = TaskResult(key, "stopped", error=STOPPED)
            self._finish(r)
            out.append(r)
        return out

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            with contextlib.suppress(Exception):
                self._ready()
            self.backend.close()

    def __enter__(self) -> Study:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:
            self.stop()

    # ---------------------------------------------------------------------------------------
    def _emit(self, key: str, state: str, details: dict[str, Any]) -> None:
        if state == "solving":
            self._running.add(key)
        self.on_event(key, state, details)

    def _finish(self, r: TaskResult) -> None:
        self._running.discard(r.key)
        self.finished[r.key] = r
        if r.start is not None and r.state == "done":
            task = self._tasks.get(r.key)
            if task is not None:
                self.best[task.base.key] = r.start
        self.on_event(r.key, r.state, details(r, self._tasks.get(r.key)))


def details(r: TaskResult, task: Task | None = None) -> dict[str, Any]:
    """What the live table shows of an ended task: time, status, gap, objective (or shortfall), error."""
    d: dict[str, Any] = {"seconds": r.seconds}
    if r.worker:
        d["worker"] = r.worker
    if r.solution is not None:
        st = r.solution.status
        d["gap"] = st.get("gap")
        d["status"] = st.get("status")
        objective = st.get("objective_usd")
        obj = task.variation.objective if task is not None else None
        if obj is not None and obj.label == SHORTFALL.label:
            # that solve minimises unmet demand plus missed targets: its objective is tonnes short, not money
            d["shortfall_t"] = None if objective is None else float(objective) * 1e-3
        elif obj is not None and obj.unit == "t":  # another objective in tonnes (e.g. U.S.-made tonnes, most or least)
            d["value_t"] = None if objective is None else abs(float(objective)) * 1e-3
        elif obj is None or obj.unit == "$":
            d["objective"] = objective
    if r.error:
        d["error"] = r.error
    return d


def run_tasks(tasks: Iterable[Task], *, jobs: int = 1, scheduler: str | None = None,
              on_event: Event | None = None) -> dict[str, TaskResult]:
    """Run `tasks` (serially, in `jobs` processes, or on a Dask cluster) and return their results by key."""
    with Study(jobs=jobs, scheduler=scheduler, on_event=on_event) as st:
        return st.run(tasks)
