"""What a study runs and what comes back: data only (no model, no solver), picklable.

A `Task` is one solve: a `Base` (the instance, a case, hard or soft targets: what a built model
depends on) and a `Variation` of it (changes made on the solver side for that one solve and
undone afterwards). Tasks of one base share one built model and one solver session in whichever
worker runs them (planner.study.worker). A `TaskResult` is what the solve gives back: its status,
its Solution (or only the tables asked for), the plan's decisions, and why it failed.

Variations name what they change by variable family and key (`v_units[("C02", 2027)]`) or by row
family and key, never by column number, so a task means the same in every worker.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from planner.instance.records import FixedPlan, Instance, WhatIf
from planner.results.solution import Solution

if TYPE_CHECKING:
    from planner.cases import CaseInstance

#: integer decisions of a plan, by variable family and key: a start for later solves of the same base
Start = dict[str, dict[Any, float]]
#: a simplex basis as HiGHS's status of every column and row (two numpy arrays: `planner.solve.session.Basis`)
Basis = tuple[Any, Any]
#: (task key, state, details): queued | solving | done | failed | stopped | cancelled
Event = Callable[[str, str, dict[str, Any]], None]
#: why a task has no result when its study was stopped
STOPPED = "stopped before its solve finished"
CANCELLED = "not started: the study was stopped"


@dataclass(frozen=True)
class Base:
    """What a built model depends on: the instance (by its sha256), the case, and hard or soft targets.

    `data` are the workbook's bytes: what is shipped to a Dask worker, which reads and validates them
    once. `loaded` is an Instance already validated in this process; it goes along to the worker
    processes of this machine (`shipped(validated=True)`), where unpickling it takes milliseconds and
    validating the bytes again 0.4 s each (the default instance), but never to a Dask cluster.
    """

    instance: str  # the workbook's name or path, for messages and the run info
    sha256: str
    case: str
    hard_targets: bool = False
    data: bytes | None = field(default=None, repr=False, compare=False)
    loaded: Instance | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, instance: Instance | str | Path, case: str, *, hard_targets: bool = False,
           data: bytes | None = None) -> Base:
        """The base of `case` of a workbook (a path: its bytes are read now) or of a validated Instance
        (with `data`, its workbook's bytes, it can be shipped to other processes)."""
        if isinstance(instance, Instance):
            return cls(instance.path, instance.sha256, case, hard_targets, data=data, loaded=instance)
        raw = Path(instance).read_bytes() if data is None else data
        return cls(str(instance), hashlib.sha256(raw).hexdigest(), case, hard_targets, data=raw)

    @property
    def key(self) -> tuple[str, str, bool]:
        """Tasks with the same key share one built model."""
        return (self.sha256, self.case, self.hard_targets)

    def shipped(self, with_data: bool = True, *, validated: bool = False) -> Base:
        """This base as sent to another process: its bytes only if asked; with `validated` (and the
        bytes), the Instance validated in this process too, if there is one."""
        loaded = None
        if with_data and validated:
            from planner.cases.load import validated_instance

            loaded = self.loaded or validated_instance(self.instance, self.sha256)
        return replace(self, loaded=loaded, data=self.data if with_data else None)

    def with_targets(self, hard: bool) -> Base:
        return replace(self, hard_targets=hard)


@dataclass(frozen=True)
class Bound:
    """Bounds of one column, `var[key]` (None: unbounded on that side)."""

    var: str
    key: Any
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class RowBound:
    """Bounds of one row, `family[key]` (None: unbounded on that side; both None: the row no longer binds)."""

    family: str
    key: Any
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class Objective:
    """A different objective: minimise (or maximise) the sum of `coef * var[key]` over `terms`.

    A key of None takes every column of the variable. `unit` says what its value is (the live
    table shows a shortfall in tonnes, not dollars). The Solution still reports the plan's own
    total cost in its tables; `status["objective_usd"]` is this objective's value (model units
    divided by the money unit, as for the one-case pipeline).
    """

    label: str
    terms: tuple[tuple[str, Any, float], ...]
    sense: str = "min"  # min | max
    unit: str = "$"


#: least unmet demand plus missed targets, cost ignored: what the data allows at most (kt)
SHORTFALL = Objective("least shortfall", (("v_unmet", None, 1.0), ("v_loc_short", None, 1.0)), unit="t")


@dataclass(frozen=True)
class CostCap:
    """The plan's own total (discounted) cost at most `usd`, or at most (1 + `relative`) times the best
    plan known for the base (the base is solved first if no plan is known): the budget row of
    near-optimal alternatives."""

    usd: float | None = None
    relative: float | None = None


@dataclass(frozen=True)
class Variation:
    """Changes to a base model for one solve, made on the solver side and undone afterwards.

    The explanations' and regret's questions have names (`plan`, `force`, `exclude`,
    `drop_targets`, `objective`); later studies pose theirs with the generic fields: `bounds` on
    any columns, `row_bounds` on any rows, a swapped `objective`, and a `cost_cap` row.
    """

    label: str = ""
    plan: FixedPlan | None = None  # builds and signings held at another case's plan (regret)
    force: tuple[tuple[str, int], ...] = ()  # (project, start year): at least one unit starts then
    exclude: frozenset[str] = frozenset()  # projects never built
    drop_targets: bool = False  # no localization target binds
    objective: Objective | None = None  # None: the model's own (least total cost)
    bounds: tuple[Bound, ...] = ()
    row_bounds: tuple[RowBound, ...] = ()
    cost_cap: CostCap | None = None
    #: solve as a linear programme: every integer column must be held at a whole value (by `plan` and
    #: `bounds`); the worker's session starts each such solve from the basis of its previous one
    linear: bool = False

    @property
    def is_base(self) -> bool:
        """Whether nothing is changed: the base model as built."""
        return self == Variation(label=self.label)

    @property
    def whatif(self) -> WhatIf | None:
        """The same question for the one-case pipeline (`planner.run.solve_case(whatif=...)`), where one
        exists (None for the generic changes, or for no change at all)."""
        if self.bounds or self.row_bounds or self.cost_cap or self.linear or (self.objective not in (None, SHORTFALL)):
            return None
        if not (self.force or self.exclude or self.drop_targets or self.objective):
            return None
        return WhatIf(self.label, force=self.force, exclude=self.exclude, drop_targets=self.drop_targets,
                      objective="shortfall" if self.objective == SHORTFALL else "cost")

    @classmethod
    def of(cls, whatif: WhatIf | None = None, plan: FixedPlan | None = None) -> Variation:
        """The variation asking what `whatif` asks (and holding `plan`)."""
        if whatif is None:
            return cls(plan=plan)
        return cls(whatif.label, plan=plan, force=tuple(whatif.force), exclude=frozenset(whatif.exclude),
                   drop_targets=whatif.drop_targets, objective=SHORTFALL if whatif.objective == "shortfall" else None)


@dataclass(frozen=True)
class IfInfeasible:
    """What to do when a task's solve has no plan because it is infeasible (hard targets out of reach):
    run `task` too (e.g. the same question with the targets soft), then `words(task, its result, the
    CaseInstance of that task)` gives the reason in plain words, added to the failed result."""

    task: Task
    words: Callable[[Task, TaskResult, CaseInstance], list[str]]


@dataclass(frozen=True)
class Task:
    """One solve of a study: a variation of a base, with the HiGHS options and what to return.

    `tables`: None returns the whole Solution; a tuple returns only those tables (and the status),
    to keep results small when a study needs a few figures of many solves. `duals`: whether the
    fixed-integer LP for the shadow prices is solved. `warm_start`: start from `start`, or else from
    the best plan known for the base (repaired to fit the variation); False solves from scratch.
    `render`: a function of the whole Solution giving the bytes of its workbook (the caller's, e.g.
    `planner.export.results.results_bytes`: this layer imports no writer), run where the task was
    solved (the bytes come back in `TaskResult.workbook`), so that the workers render the workbooks of
    a study side by side instead of its parent one after another. `dive`: for a variation that holds
    every build (a plan under another case), try LPs first (`planner.solve.session.Session.solve`),
    the first from `basis` (e.g. the `TaskResult.basis` of the base's own solve): the same basis
    whichever worker runs the task, so the result does not depend on what that worker solved before.
    `want_basis`: return that basis of this solve (`TaskResult.basis`; a base solve with duals).
    """

    key: str
    base: Base
    variation: Variation = Variation()
    options: Mapping[str, Any] = field(default_factory=dict)  # HiGHS options, exactly (threads included)
    preset: str = "default"
    tables: tuple[str, ...] | None = None
    duals: bool = True
    warm_start: bool = True
    start: Start | None = None
    if_infeasible: IfInfeasible | None = None
    render: Callable[[Solution], bytes] | None = None
    dive: bool = False
    basis: Basis | None = field(default=None, repr=False)
    want_basis: bool = False

    def shipped(self, with_data: bool = True, *, validated: bool = False) -> Task:
        f = self.if_infeasible
        return replace(self, base=self.base.shipped(with_data, validated=validated),
                       if_infeasible=None if f is None else replace(f, task=f.task.shipped(with_data,
                                                                                          validated=validated)))


@dataclass(frozen=True)
class TaskResult:
    """What one task gave back.

    `state`: done (a plan), failed (no plan, or the variation could not be posed: `error` says why),
    stopped (interrupted while solving), cancelled (never started). `status` is the Solution's
    status (objective, bound, gap, times). `solution` is the whole Solution, or one holding only the
    tables asked for (`tables`); `plan` the build and signing decisions of the plan; `start` its
    integer decisions (a warm start for later solves of the same base).
    """

    key: str
    state: str
    solution: Solution | None = None
    plan: FixedPlan | None = None
    start: Start | None = None
    error: str | None = None
    seconds: float = 0.0
    worker: str = ""
    aux: TaskResult | None = None  # the result of `Task.if_infeasible.task`, if it ran
    #: the integer decisions of a solve that held a plan (`Variation.plan`): every binary the plan implies
    #: (awards, credits, operations), e.g. to hold them all and make later re-solves linear (planner risk)
    integers: Start | None = None
    #: the workbook of `solution` as `Task.render` made it, when the task asked for one and it could be
    #: rendered (None otherwise: the caller renders it itself, and reports any error there)
    workbook: bytes | None = field(default=None, repr=False)
    #: the basis of the fixed-integer LP of a base solve with duals, when the task asked for it
    #: (`Task.want_basis`): a start for the dives of that base's plan evaluations (`Task.basis`)
    basis: Basis | None = field(default=None, repr=False)

    @property
    def done(self) -> bool:
        return self.state == "done"

    @property
    def status(self) -> dict[str, Any]:
        return self.solution.status if self.solution is not None else {}

    @property
    def objective_usd(self) -> float | None:
        v = self.status.get("objective_usd")
        return None if v is None else float(v)

    def table(self, name: str) -> pd.DataFrame:
        if self.solution is None:
            raise KeyError(f"task '{self.key}' has no tables: {self.error or self.state}")
        return self.solution.table(name)

    def kpi(self, name: str) -> Any:
        if self.solution is None:
            raise KeyError(name)
        return self.solution.kpi(name)


def with_start(task: Task, start: Start | None) -> Task:
    """`task` starting from `start` (unless it has a start of its own, or solves from scratch)."""
    if start is None or task.start is not None or not task.warm_start:
        return task
    return replace(task, start=start)
