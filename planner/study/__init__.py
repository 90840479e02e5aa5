"""Studies: many solves of one instance, above the one-case pipeline (planner.run).

Comparisons and regret (planner.compare), explanations (planner.explain) and the studies to come
(a hedged plan, near-optimal alternatives, schedule-risk Monte Carlo) pose their questions as
`Task`s — a `Base` (instance, case, hard targets) and a `Variation` of it — and run them with a
`Study`, serially, in worker processes or on a Dask cluster. Every worker keeps one built model
and one HiGHS session per base, makes each variation on the solver side, starts each re-solve
from the best plan known for the base, and sends back data only (a `TaskResult`). This package
imports no Pyomo itself.
"""

from planner.study.executor import Study, details, run_tasks
from planner.study.pool import warm_up
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

__all__ = ["SHORTFALL", "Base", "Bound", "CostCap", "Event", "IfInfeasible", "Objective", "RowBound", "Start",
           "Study", "Task", "TaskResult", "Variation", "details", "run_tasks", "warm_up"]
