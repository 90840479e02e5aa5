"""Stopping the command line cleanly on Ctrl-C (SIGINT), SIGTERM and SIGHUP.

`install()` runs first thing in `planner.cli.main`, before any heavy import, so a signal that
arrives at any moment — while Python modules load, while the workbook is read, while HiGHS
runs — stops the command the same way: no traceback, no temporary file, exit code 128 + the
signal's number (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP).

The rules:

* The first signal raises `Interrupted` (a KeyboardInterrupt) in the main thread; HiGHS is asked to
  stop at its next callback and everything unwinds through the usual clean-up. Further signals
  while the command stops are noted, not raised again, so the clean-up itself is never cut short.
* Once an output file has been moved into place (`finishing()`, called by the atomic writer right
  before the rename), the command finishes instead of stopping: it writes what is left and exits
  with 0, saying that the signal came too late to stop it. So an interrupted command either wrote
  nothing, or everything it was asked to write: never part of it with a failure code.
* A signal that the parent process set to be ignored stays ignored: `nohup planner solve ...`
  keeps running when the terminal closes, as nohup asks.

This module imports only the standard library: it must be cheap.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

#: the signals handled, where the platform has them
SIGNALS: tuple[signal.Signals, ...] = tuple(
    s for s in (getattr(signal, n, None) for n in ("SIGINT", "SIGTERM", "SIGHUP")) if s is not None)

_WORDS = {"SIGINT": "interrupted (Ctrl-C)", "SIGTERM": "stopped by SIGTERM",
          "SIGHUP": "stopped by SIGHUP (the terminal was closed)"}


class Interrupted(KeyboardInterrupt):
    """A handled signal; `signum` says which."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class _State:
    installed = False
    signum: int | None = None  # the first signal received
    finishing = False  # an output is in place: finish instead of stopping
    late: int | None = None  # a signal that arrived while finishing
    reported = False  # the command has said that it stopped


def _handler(signum: int, _frame: FrameType | None) -> None:
    if _State.finishing:
        _State.late = _State.late or signum
        return
    if _State.signum is not None:  # already stopping: let the clean-up run
        return
    _State.signum = signum
    raise Interrupted(signum)


def install() -> None:
    """Handle SIGINT, SIGTERM and SIGHUP in this (main) thread; keep a signal the parent ignores ignored."""
    if threading.current_thread() is not threading.main_thread():
        return
    for s in SIGNALS:
        try:
            if signal.getsignal(s) is signal.SIG_IGN:
                continue
            signal.signal(s, _handler)
        except (ValueError, OSError):  # pragma: no cover - platforms without the signal
            continue
    _State.installed = True


def reset() -> None:
    """Forget received signals (for a second command run in the same process)."""
    _State.signum = None
    _State.finishing = False
    _State.late = None
    _State.reported = False


def reported() -> None:
    """The command has told the user that it stopped (so `main` need not)."""
    _State.reported = True


def was_reported() -> bool:
    return _State.reported


def finishing() -> None:
    """An output file is in place: from now on the command finishes; signals are only noted."""
    if _State.installed:
        _State.finishing = True


def received() -> int | None:
    """The first signal that stopped (or would have stopped) the command, if any."""
    return _State.signum or _State.late


def came_late() -> int | None:
    """A signal that arrived once an output was in place (the command finished anyway)."""
    return _State.late if _State.signum is None else None


def exit_code(signum: int | None = None) -> int:
    """128 + the signal's number: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP."""
    s = signum or _State.signum or signal.SIGINT
    return 128 + int(s)


def describe(signum: int | None = None) -> str:
    """'interrupted (Ctrl-C)', 'stopped by SIGTERM', ..."""
    s = signum or _State.signum or signal.SIGINT
    try:
        name = signal.Signals(s).name
    except ValueError:
        name = f"signal {s}"
    return _WORDS.get(name, f"stopped by {name}")

