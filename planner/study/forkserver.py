"""The fork server the study workers of this machine come from: started early, light to import.

Importing this module loads nothing but the standard library, so a command can start the fork
server first thing (`warm_up`), and the server imports the libraries the workers need (PRELOAD)
beside the command's own imports and its reading of the workbook.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from typing import Any


#: what the fork server imports once, so that each worker it forks starts with them loaded (a
#: spawned worker imported them itself, about 0.7 s of CPU each, while the parent solved its plan)
PRELOAD = ["numpy", "pandas", "pyomo.environ", "highspy", "planner.study.worker", "planner.model.build",
           "planner.results.extract", "planner.solve.session", "planner.run", "planner.export.results"]


def context() -> Any:
    """The multiprocessing context of the worker processes: a fork server that has imported
    PRELOAD (Linux, macOS), or spawn where there is none (Windows)."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


def warm_up(jobs: int | None = None, scheduler: str | None = None) -> None:
    """Start the fork server now, beside this process's own work (its imports, reading the workbook,
    building the first model), rather than when the first worker is needed. Nothing to do without a
    fork server, or without workers on this machine: `jobs` of 1 (None: workers are coming) or a Dask
    `scheduler`."""
    if scheduler or (jobs is not None and jobs <= 1):
        return
    ctx = context()
    if ctx.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    with_sigint_ignored(forkserver.ensure_running)


def with_sigint_ignored(start: Callable[[], None]) -> None:
    """Run `start()` (starting a process) with Ctrl-C ignored, so the new process ignores it from its first
    instruction on (a signal ignored at exec stays ignored); outside the main thread, as it is."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        start()
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        start()
    finally:
        signal.signal(signal.SIGINT, old)


__all__ = ["PRELOAD", "context", "warm_up", "with_sigint_ignored"]
