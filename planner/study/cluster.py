"""Tasks on a Dask distributed cluster (`--scheduler tcp://...`).

Each task is a Dask task running `planner.study.worker.run_task` in a Dask worker process, whose
held bases (models and sessions) stay between tasks as in a local worker process; tasks of a base
prefer the worker that ran the base before. A workbook's bytes are scattered to the cluster once
per base. A worker says "solving" through a Dask event topic when it starts a task, so the live
table shows exactly what runs. highspy runs one solve at a time per process: the tasks of one
multi-threaded Dask worker take turns. Stopping sets a Dask `Event` that every running task polls
(its HiGHS then stops at the next callback) and cancels the tasks not yet started.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from planner.errors import PlannerError
from planner.study.tasks import CANCELLED, STOPPED, Start, Task, TaskResult, with_start

_TURN = threading.Lock()  # one HiGHS solve at a time in this process
POLL = 0.5  # seconds between two looks at the stop event, in a running task


class _ClusterStop:
    """The cluster-wide stop event as a HiGHS interrupt, read by a thread every POLL seconds."""

    def __init__(self, name: str) -> None:
        from distributed import Event, get_client

        self.requested = False
        self._event = Event(name, client=get_client())
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="planner-stop-watch", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.wait(POLL):
            with contextlib.suppress(Exception):
                if self._event.is_set():
                    self.requested = True
                    return

    def close(self) -> None:
        self._done.set()


def run_on_dask_worker(task: Task, data: bytes | None, topic: str, stop_name: str) -> TaskResult:
    """A study task on a Dask worker (the function the cluster runs)."""
    from dataclasses import replace

    from distributed import get_worker

    from planner.study import worker

    me = get_worker()
    if data is not None:
        task = replace(task, base=replace(task.base, data=data))
        follow = task.if_infeasible
        if follow is not None and follow.task.base.sha256 == task.base.sha256:
            task = replace(task, if_infeasible=replace(follow, task=replace(
                follow.task, base=replace(follow.task.base, data=data))))
    with _TURN:
        stop = _ClusterStop(stop_name)
        try:
            if stop.requested:
                return TaskResult(task.key, "cancelled", error=CANCELLED, worker=me.address)
            with contextlib.suppress(Exception):
                me.log_event(topic, {"key": task.key, "state": "solving", "worker": me.address})
            return worker.run_task(task, interrupt=stop, worker=me.address)
        finally:
            stop.close()


class DaskBackend:
    """Tasks run on the Dask cluster whose scheduler is at `address`."""

    def __init__(self, address: str, emit: Callable[[str, str, dict[str, Any]], None],
                 best_start: Callable[[tuple[str, str, bool]], Start | None]) -> None:
        try:
            from distributed import Client, Event
        except ImportError:
            raise PlannerError("--scheduler needs Dask: pip install 'active-materials-planner[dask]'") from None
        try:
            self.client = Client(address, timeout="20s")
        except Exception as exc:
            raise PlannerError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        self.emit = emit
        self.best_start = best_start
        tag = f"planner-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.topic = f"{tag}-events"
        self.stop_name = f"{tag}-stop"
        self.stop_event = Event(self.stop_name, client=self.client)
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.client.subscribe_topic(self.topic, lambda ev: self.events.put(ev[1]))
        self.futures: dict[Any, Task] = {}
        self.data: dict[str, Any] = {}  # sha256 -> the workbook's bytes, scattered once
        self.where: dict[tuple[str, str, bool], str] = {}  # base -> the worker that ran it last
        self._n = 0
        self.deferred: list[dict[str, Any]] = []  # "solving" events not told yet
        self.running_on: dict[str, str] = {}  # worker -> the task it was last told to be solving
        self.collected: set[str] = set()

    @property
    def size(self) -> int:
        with contextlib.suppress(Exception):
            return max(1, len(self.client.scheduler_info().get("workers", {})))
        return 1

    def submit(self, task: Task) -> None:
        task = with_start(task, self.best_start(task.base.key))
        sha = task.base.sha256
        if sha not in self.data and task.base.data is not None:
            self.data[sha] = self.client.scatter(task.base.data, hash=False)
        self._n += 1
        where = self.where.get(task.base.key)
        f = self.client.submit(run_on_dask_worker, task.shipped(False), self.data.get(sha), self.topic,
                               self.stop_name, key=f"{self.topic}-{self._n}", pure=False,
                               **({"workers": [where], "allow_other_workers": True} if where else {}))
        self.futures[f] = task

    @property
    def pending(self) -> int:
        return len(self.futures)

    def _drain(self) -> None:
        """Say "solving" for the tasks the workers started, each once the worker's previous task has ended
        here too (the events and the results travel separately: never more running than workers)."""
        while True:
            try:
                self.deferred.append(self.events.get_nowait())
            except queue.Empty:
                break
        keep = []
        for ev in self.deferred:
            key, where = str(ev.get("key")), str(ev.get("worker", "cluster"))
            if key in self.collected:
                continue  # it ended before its start was heard of (and was said to be solving then)
            if where in self.running_on:
                keep.append(ev)
                continue
            self.running_on[where] = key
            self.emit(key, "solving", {"worker": where})
        self.deferred = keep

    def _collect(self) -> list[TaskResult]:
        """The results that have come back, in an order that never shows more tasks solving than workers:
        first those whose start was heard of; a task that ended before its start was heard of (a short
        solve) is said to be solving just before its end, as from a local worker, but only alone and once
        its worker's previous task has ended here too (the results and the events travel separately)."""
        out = []
        heard = set(self.running_on.values())
        done = sorted((f for f in self.futures if f.done()), key=lambda f: self.futures[f].key not in heard)
        for f in done:
            task = self.futures[f]
            try:
                r = f.result()
            except Exception as exc:
                r = TaskResult(task.key, "failed", error=f"the Dask worker failed ({type(exc).__name__}: {exc})")
            if task.key not in heard and r.state != "cancelled" and r.worker:
                if out or r.worker in self.running_on:
                    continue  # collected later, after the ends collected now have been told
                self.emit(task.key, "solving", {"worker": r.worker})
            del self.futures[f]
            if r.worker:
                self.where[task.base.key] = r.worker
            for where, key in list(self.running_on.items()):
                if key == task.key:
                    del self.running_on[where]
            self.collected.add(task.key)
            out.append(r)
        return out

    def next(self, timeout: float | None) -> list[TaskResult]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            out = self._collect()
            if out:
                return out  # their ends are told before any later start
            self._drain()
            if not self.futures or (deadline is not None and time.monotonic() >= deadline):
                return []
            with contextlib.suppress(queue.Empty):
                wait = 0.05 if deadline is None else max(0.0, min(0.05, deadline - time.monotonic()))
                self.deferred.append(self.events.get(timeout=wait))

    def stop(self) -> list[TaskResult]:
        with contextlib.suppress(Exception):
            self.stop_event.set()
        out = [TaskResult(task.key, "stopped", error=STOPPED)
               for task in self.futures.values()]
        with contextlib.suppress(Exception):
            self.client.cancel(list(self.futures), force=True)
        self.futures.clear()
        self._close()
        return out

    def close(self) -> None:
        self._close()

    def _close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.unsubscribe_topic(self.topic)
        with contextlib.suppress(Exception):
            self.client.close(timeout=2)
