"""Solve a Pyomo model once with HiGHS: the one-case pipeline's path, a `Session` used once.

The model is compiled to HiGHS's column-wise arrays (planner.solve.compile) and handed to HiGHS in
memory, never through files; planner.solve.session runs HiGHS (every option set explicitly on
every run, progress polled, Ctrl-C honoured), takes the duals of a MILP from the LP with the
integer columns fixed at the plan and loads the values back into the Pyomo variables. The names
the rest of the planner imports from here (`SolveReport`, `Progress`, `Interrupt`, `new_highs`,
`compile_model`) are those modules'.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from planner.solve.compile import compile_model
from planner.solve.session import Interrupt, Progress, Session, SolveReport, new_highs

__all__ = ["Interrupt", "Progress", "SolveReport", "compile_model", "new_highs", "solve"]


def solve(
    m: Any,
    options: dict[str, Any],
    *,
    on_progress: Callable[[Progress], None] | None = None,
    stream_log: bool = False,
    want_duals: bool = True,
    interrupt: Interrupt | None = None,
    poll: float = 0.2,
    relax_integrality: bool = False,
    write_mps: str | None = None,
) -> SolveReport:
    """Solve Pyomo model `m` with HiGHS; load the solution and (for balance rows) the duals.

    With `relax_integrality`, the LP relaxation; with `write_mps`, the model is also written to that
    file as HiGHS holds it (the reference of `planner bench`: HiGHS alone on the same model).
    """
    session = Session(m, relax_integrality=relax_integrality)
    if write_mps:
        session.write_model(write_mps)
    return session.solve(options, on_progress=on_progress, interrupt=interrupt, want_duals=want_duals,
                         stream_log=stream_log, poll=poll)
