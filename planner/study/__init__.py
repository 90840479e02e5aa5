"""Studies: many solves of one instance, above the one-case pipeline (planner.run).

Comparisons and regret (planner.compare), explanations (planner.explain) and the studies to come
(a hedged plan, near-optimal alternatives, schedule-risk Monte Carlo) pose their questions as
`Task`s — a `Base` (instance, case, hard targets) and a `Variation` of it — and run them with a
`Study`, serially, in worker processes or on a Dask cluster. Every worker keeps one built model
and one HiGHS session per base, makes each variation on the solver side, starts each re-solve
from the best plan known for the base, and sends back data only (a `TaskResult`). This package
imports no Pyomo itself.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from planner.study.executor import Study, details, run_tasks
    from planner.study.forkserver import warm_up
    from planner.study.tasks import (
        SHORTFALL,
        Base,
        Bound,
        CostCap,
        Event,
        IfInfeasible,
        Objective,
        RowBound,
        Start,
        Task,
        TaskResult,
        Variation,
    )

#: where each name of this package lives: imported when first used, so that a command can start the
#: workers' fork server (planner.study.forkserver, standard library only) before loading pandas
_WHERE = {"Study": "executor", "details": "executor", "run_tasks": "executor", "warm_up": "forkserver",
          **{n: "tasks" for n in ("SHORTFALL", "Base", "Bound", "CostCap", "Event", "IfInfeasible", "Objective",
                                  "RowBound", "Start", "Task", "TaskResult", "Variation")}}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'planner.study' has no attribute {name!r}")
    value = getattr(import_module(f"planner.study.{where}"), name)
    globals()[name] = value
    return value


__all__ = ["SHORTFALL", "Base", "Bound", "CostCap", "Event", "IfInfeasible", "Objective", "RowBound", "Start",
           "Study", "Task", "TaskResult", "Variation", "details", "run_tasks", "warm_up"]
