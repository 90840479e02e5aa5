"""Turn a solved model into a `Solution` of tidy tables, once.

Every table is built by the builder registered for it (`planner.model.registry`): the core tables
in planner/results/tables/, a family's own tables and columns in the family's module. No Pyomo
here: the builders read the model through `TableContext.values` and `duals`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

import planner.results.tables  # noqa: F401  (registers the core tables)
from planner.cases.case import CaseInstance
from planner.model.registry import TableContext, table_specs
from planner.model.units import MONEY
from planner.results.labels import status_text
from planner.results.solution import TABLES, Solution
from planner.solve.highs import SolveReport


def extract(m: Any, ci: CaseInstance, report: SolveReport, run_info: dict[str, Any],
            *, hard_targets: bool = False, messages: tuple[str, ...] = (), only: Iterable[str] | None = None
            ) -> Solution:
    """The Solution of the solved model `m` of case `ci`: every registered table, the status and run info.

    With `only`, just those tables are built (and those they are computed from); every other table
    of the Solution is an empty frame without columns, and `status["tables"]` names the ones built.
    """
    ok = report.has_solution
    # the tables report the plan's own cost, also when the solve minimised something else (a study's swapped
    # objective); the status reports what HiGHS minimised
    own = report.own_objective if report.own_objective is not None else report.objective
    t = TableContext(ci, m, ok=ok, row_duals=report.row_duals, hard_targets=hard_targets,
                     objective=own, bound=report.bound if own == report.objective else None)
    wanted = None if only is None else set(only)
    specs = table_specs()
    if wanted is not None:
        unknown = sorted(wanted - {s.name for s in specs})
        if unknown:
            raise KeyError(f"no result table {', '.join(map(repr, unknown))} is registered")
    tables = {}
    for spec in specs:
        if wanted is not None and spec.name not in wanted:
            tables[spec.name] = pd.DataFrame()
            continue
        df = t.table(spec.name)
        # no plan: nothing to report but the status; never zeros that look like a plan
        tables[spec.name] = df if ok or spec.keep_without_plan else df.iloc[0:0]
    missing = [n for n in TABLES if n not in tables]
    if missing:
        raise RuntimeError(f"core result tables not registered: {', '.join(missing)}")
    objective = report.objective / MONEY if report.objective is not None else None
    bound = report.bound / MONEY if report.bound is not None else None
    status = {
        "termination": report.termination,
        "status": status_text(report.termination, report.has_solution, report.gap),
        "has_solution": ok,
        "proven_optimal": report.proven_optimal,
        "objective_usd": objective,
        "bound_usd": bound,
        "gap": report.gap,
        "wall_time_s": report.wall_time,
        "highs_time_s": report.highs_time,
        "model_status": report.model_status,
        "variables": report.n_cols,
        "integer_variables": report.n_int,
        "constraints": report.n_rows,
        "nonzeros": report.nnz,
        "duals": report.duals,
        "hard_targets": hard_targets,
        "timings": dict(report.timings),
    }
    if report.start:
        status["start"] = report.start  # the warm start HiGHS was given, in words
    if wanted is not None:
        status["tables"] = sorted(wanted)
    extra = {n: df for n, df in tables.items() if n not in TABLES}
    descriptions = {s.name: s.description for s in table_specs() if s.name in extra}
    return Solution(run_info=dict(run_info), status=status, **{n: tables[n] for n in TABLES},
                    messages=tuple(messages), extra=extra, descriptions=descriptions)
