"""Solve one case end to end: Instance -> case -> model -> HiGHS -> Solution.

The library entry point of one solve. Its steps are also offered one by one (`case_of`, then a
model solved by the caller, then `solution_of`), so that the study layer (planner.study), which
solves one built model many times, turns each of its solves into a Solution exactly as here.
Everything that solves many times (comparisons, regret, explanations, and the explanation of an
infeasible hard-target case in `planner.explain.hard_targets`) sits above this module.
"""

from __future__ import annotations

import datetime as _dt
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from planner.cases import CaseInstance, apply_case, load_instance
from planner.errors import SolveError
from planner.instance.records import FixedPlan, Instance, WhatIf
from planner.results.solution import Solution
from planner.solve.highs import Interrupt, Progress, SolveReport
from planner.solve.presets import SolverOptions, merge_options


def versions() -> dict[str, str]:
    return dict(_versions())


@lru_cache(maxsize=1)
def _versions() -> tuple[tuple[str, str], ...]:
    out = {"python": platform.python_version()}
    for dist in ("active-materials-planner", "pyomo", "highspy", "pandas", "numpy", "openpyxl", "xlsxwriter", "lxml",
                 "rich", "typer"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return tuple(out.items())


def solve_case(
    instance: Instance | str | Path,
    case: str | None = None,
    *,
    options: SolverOptions | None = None,
    hard_targets: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
    stream_log: bool = False,
    plan: FixedPlan | None = None,
    whatif: WhatIf | None = None,
    interrupt: Interrupt | None = None,
) -> Solution:
    """Solve `case` of `instance` (a path or a validated Instance) and return its Solution.

    With `plan`, the builds and contract signings are fixed to that plan (another case's) and only
    operations and policy awards are optimised; a plan that cannot be carried out raises SolveError.
    """
    from planner.model.build import build_model
    from planner.solve.highs import solve

    started = _dt.datetime.now(_dt.timezone.utc)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    if isinstance(instance, Instance):
        inst = instance
    else:
        inst = load_instance(instance)
        timings["read_validate"] = time.perf_counter() - t
    options = options or merge_options("default")

    t = time.perf_counter()
    ci = case_of(inst, case, plan=plan, whatif=whatif)
    m = build_model(ci, hard_targets=hard_targets, plan=plan, whatif=whatif)
    timings["build"] = time.perf_counter() - t

    report = solve(m, options.highs, on_progress=on_progress, stream_log=stream_log, interrupt=interrupt)
    return solution_of(m, ci, report, inst=inst, options=options, hard_targets=hard_targets,
                       plan_of=plan.source_case if plan is not None else None,
                       what_if=whatif.label if whatif is not None else None, started=started, timings=timings)


def case_of(inst: Instance, case: str | None, *, plan: FixedPlan | None = None, drop_targets: bool = False,
            whatif: WhatIf | None = None) -> CaseInstance:
    """The CaseInstance a solve of `case` reads: without localization targets if the what-if drops them;
    SolveError, in words, if the what-if or the fixed plan cannot be posed under the case."""
    ci = apply_case(inst, case)
    if drop_targets or (whatif is not None and whatif.drop_targets):
        ci = replace(ci, policy=ci.policy.with_values(localization_target={}))
    check_variation(ci, plan=plan, whatif=whatif)
    return ci


def check_variation(ci: CaseInstance, *, plan: FixedPlan | None = None, whatif: WhatIf | None = None) -> None:
    """SolveError, in words, if the what-if or the fixed plan cannot be posed under `ci`'s case."""
    from planner.model.build import plan_problems, whatif_problems

    if whatif is not None:
        problems = whatif_problems(ci, whatif)
        if problems:
            raise SolveError("; ".join(problems))
    if plan is not None:
        problems = plan_problems(ci, plan)
        if problems:
            raise SolveError(f"the plan of case '{plan.source_case}' cannot be carried out under case "
                             f"'{ci.case}': " + "; ".join(problems))


def solution_of(m: Any, ci: CaseInstance, report: SolveReport, *, inst: Instance, options: SolverOptions,
                hard_targets: bool = False, plan_of: str | None = None, what_if: str | None = None,
                started: _dt.datetime | None = None, timings: dict[str, float] | None = None,
                tables: Sequence[str] | None = None) -> Solution:
    """The Solution of solved model `m` (its status in words, its run info); with `tables`, only those
    tables are built (the others are left empty: a study that needs a few figures of many solves).

    Raises SolveError when HiGHS ended in error without a plan. An infeasible hard-target case comes
    back as such (why is said above this module, in `planner.explain.hard_targets`)."""
    from planner.results.extract import extract

    messages: list[str] = list(report.warnings)
    if report.termination in ("infeasible", "unbounded") and hard_targets:  # HiGHS may say "infeasible or unbounded"
        # the hard targets are out of reach; why is said above this module (planner.explain.hard_targets)
        report = replace(report, termination="infeasible")
    elif report.termination in ("infeasible", "unbounded"):
        messages.append("HiGHS found no plan. This should not happen with soft targets; please report the instance.")
    if report.termination == "error":
        raise SolveError(f"HiGHS stopped with status '{report.model_status}' and no plan")

    t = time.perf_counter()
    info = run_info(inst, ci, options, hard_targets=hard_targets, plan_of=plan_of, what_if=what_if,
                    started=started or _dt.datetime.now(_dt.timezone.utc))
    sol = extract(m, ci, report, info, hard_targets=hard_targets, messages=tuple(messages), only=tables)
    sol.status["timings"] = {**(timings or {}), "extract": time.perf_counter() - t, **sol.status["timings"]}
    sol.run_info["finished_utc"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    return sol


def run_info(inst: Instance, ci: CaseInstance, options: SolverOptions, *, hard_targets: bool,
             plan_of: str | None, what_if: str | None, started: _dt.datetime) -> dict[str, Any]:
    """What produced a Solution: instance, case, settings, solver options, versions, command."""
    return {
        "instance": inst.name,
        "instance_path": str(Path(inst.path).resolve()) if Path(inst.path).exists() else inst.path,
        "instance_sha256": inst.sha256,
        "case": ci.case,
        "case_settings": [
            {"parameter": r.parameter, "year": r.year, "region": r.region, "commodity": r.commodity,
             **({"segment": r.segment} if r.segment is not None else {}), "value": r.value}
            for r in ci.policy.rows
        ],
        "case_extends": list(ci.policy.chain[:-1]),
        "case_overrides": list(ci.policy.overrides),
        "hard_targets": hard_targets,
        "fixed_plan_of": plan_of,
        "what_if": what_if,
        "preset": options.preset,
        "solver_options": options.describe(),
        "developer_discount_rate": ci.settings.developer_discount_rate,
        "versions": versions(),
        "started_utc": started.isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "warnings": [str(w) for w in inst.warnings],
        "sources": list(inst.sources),
    }
