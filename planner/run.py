"""Solve one case end to end: Instance -> case -> model -> HiGHS -> Solution.

The library entry point of one solve; everything that solves many times (comparisons, regret,
explanations, and the explanation of an infeasible hard-target case in
`planner.explain.hard_targets.solve_case_explained`) sits above it and calls it.
"""

from __future__ import annotations

import datetime as _dt
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from importlib import metadata
from pathlib import Path

from planner.cases import apply_case, load_instance
from planner.errors import SolveError
from planner.instance.records import FixedPlan, Instance, WhatIf
from planner.results.solution import Solution
from planner.solve.highs import Interrupt, Progress
from planner.solve.presets import SolverOptions, merge_options


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("active-materials-planner", "pyomo", "highspy", "pandas", "numpy", "openpyxl", "xlsxwriter", "lxml",
                 "rich", "typer"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


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
    from planner.results.extract import extract
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
    ci = apply_case(inst, case)
    if whatif is not None and whatif.drop_targets:
        ci = replace(ci, policy=ci.policy.with_values(localization_target={}))
    if whatif is not None:
        from planner.model.build import whatif_problems

        problems = whatif_problems(ci, whatif)
        if problems:
            raise SolveError("; ".join(problems))
    if plan is not None:
        from planner.model.build import plan_problems

        problems = plan_problems(ci, plan)
        if problems:
            raise SolveError(f"the plan of case '{plan.source_case}' cannot be carried out under case "
                             f"'{ci.case}': " + "; ".join(problems))
    m = build_model(ci, hard_targets=hard_targets, plan=plan, whatif=whatif)
    timings["build"] = time.perf_counter() - t

    report = solve(m, options.highs, on_progress=on_progress, stream_log=stream_log, interrupt=interrupt)
    messages: list[str] = list(report.warnings)
    if report.termination in ("infeasible", "unbounded") and hard_targets:  # HiGHS may say "infeasible or unbounded"
        # the hard targets are out of reach; why is said above this module (planner.explain.hard_targets)
        report = replace(report, termination="infeasible")
    elif report.termination in ("infeasible", "unbounded"):
        messages.append("HiGHS found no plan. This should not happen with soft targets; please report the instance.")
    if report.termination == "error":
        raise SolveError(f"HiGHS stopped with status '{report.model_status}' and no plan")

    t = time.perf_counter()
    run_info = {
        "instance": inst.name,
        "instance_path": str(Path(inst.path).resolve()) if Path(inst.path).exists() else inst.path,
        "instance_sha256": inst.sha256,
        "case": ci.case,
        "case_settings": [
            {"parameter": r.parameter, "year": r.year, "region": r.region, "commodity": r.commodity, "value": r.value}
            for r in ci.policy.rows
        ],
        "case_extends": list(ci.policy.chain[:-1]),
        "case_overrides": list(ci.policy.overrides),
        "hard_targets": hard_targets,
        "fixed_plan_of": plan.source_case if plan is not None else None,
        "what_if": whatif.label if whatif is not None else None,
        "preset": options.preset,
        "solver_options": options.describe(),
        "developer_discount_rate": ci.settings.developer_discount_rate,
        "versions": versions(),
        "started_utc": started.isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "warnings": [str(w) for w in inst.warnings],
        "sources": list(inst.sources),
    }
    sol = extract(m, ci, report, run_info, hard_targets=hard_targets, messages=tuple(messages))
    timings["extract"] = time.perf_counter() - t
    sol.status["timings"] = {**timings, **sol.status["timings"]}
    sol.run_info["finished_utc"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    return sol
