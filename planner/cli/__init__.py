"""The `planner` command line. `main` is the console entry point: it stays cheap to import.

`main` installs the signal handlers before anything heavy is imported (typer, rich, then pandas,
Pyomo and HiGHS inside each command), so a Ctrl-C at any moment ends the program the same way:
a line saying so, exit code 130 (143 for SIGTERM, 129 for SIGHUP), no traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line and exit with its code."""
    from planner.cli import signals

    signals.install()
    code: int | str | None = 0
    try:
        from planner.cli.app import run

        code = run(argv)
    except KeyboardInterrupt:  # while the command line itself was still loading
        code = signals.exit_code()
    except SystemExit as exc:
        code = exc.code
    finally:
        signals.finishing()  # from here on a signal is only noted: the program is ending anyway
    if code == 130 and signals.received():
        code = signals.exit_code()
    if signals.received() and code == signals.exit_code() and not signals.was_reported():
        _say(f"{signals.describe()}: nothing was written")  # it came before a command could say so
    late = signals.came_late()
    if late and code == 0:
        _say(f"{signals.describe(late)} after the output was in place: the command finished and its output "
             "is complete")
    sys.exit(code)


def _say(message: str) -> None:
    try:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr closed (the terminal is gone)
        pass
