"""Solve one case end to end: Instance -> case -> model -> HiGHS -> Solution.

This is the library entry point the command line (and later, case comparison) calls.
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

from planner.cases import apply_case
from planner.errors import SolveError
from planner.instance.records import FixedPlan, Instance, WhatIf
from planner.instance.validate import load_instance
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
        ci = replace(ci, policy=replace(ci.policy, targets={}))  # type: ignore[arg-type]
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
    if report.termination in ("infeasible", "unbounded") and hard_targets and plan is not None:
        report = replace(report, termination="infeasible")
        messages.extend(explain_plan_hard_targets(inst, ci.case, plan, options))  # type: ignore[arg-type]
    elif report.termination in ("infeasible", "unbounded") and hard_targets:  # HiGHS may say "infeasible or unbounded"
        report = replace(report, termination="infeasible")
        messages.extend(explain_hard_targets(inst, ci.case, options))  # type: ignore[arg-type]
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
            for r in ci.policy.rows  # type: ignore[union-attr]
        ],
        "case_extends": list(ci.policy.chain[:-1]),  # type: ignore[union-attr]
        "case_overrides": list(ci.policy.overrides),  # type: ignore[union-attr]
        "hard_targets": hard_targets,
        "fixed_plan_of": plan.source_case if plan is not None else None,
        "what_if": whatif.label if whatif is not None else None,
        "preset": options.preset,
        "solver_options": options.describe(),
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


def explain_plan_hard_targets(inst: Instance, case: str, plan: FixedPlan, options: SolverOptions) -> list[str]:
    """Plain words for a fixed plan that cannot meet a case's hard targets: the plan re-solved with the
    targets soft, and the targets it misses."""
    aux = solve_case(inst, case, options=options, plan=plan)
    head = (f"The plan of case '{plan.source_case}' cannot meet the hard localization targets of case '{case}' "
            "(--hard-targets)")
    if not aux.has_plan:
        return [f"{head}; its shortfalls could not be computed ({aux.status['status']})."]
    loc = aux.localization
    missed = loc[loc["shortfall_t"] > 1e-6]
    if missed.empty:
        return [f"{head}."]
    return [f"{head}:"] + [
        f"  {r.group} {r.year}: needs {r.required_t:,.0f} t of qualifying supply, the plan gives "
        f"{r.qualifying_t:,.0f} t (short by {r.shortfall_t:,.0f} t)." for r in missed.itertuples()]


def explain_hard_targets(inst: Instance, case: str, options: SolverOptions) -> list[str]:
    """Plain words for an infeasible hard-target case: which targets and demand are out of reach, by how
    much, and why (the same explanation as `planner explain`)."""
    from planner.cases import apply_case
    from planner.explain.analysis import out_of_reach

    aux = solve_case(inst, case, options=options, whatif=WhatIf("least shortfall", objective="shortfall"))
    if not aux.has_plan:
        return ["The localization targets cannot all be met, and the largest achievable qualifying supply could "
                f"not be computed ({aux.status['status']})."]
    reach = out_of_reach(apply_case(inst, case), aux)
    if reach.empty:
        return ["The case is infeasible with hard targets, yet every target can be met in some plan: check the "
                "capex budgets and take-or-pay contracts."]
    return (["The localization targets cannot all be met as hard constraints (--hard-targets):"]
            + [f"  {t}." for t in reach["explanation"]]
            + ["Run without --hard-targets to get the cheapest plan with the shortfalls priced, or "
               "`planner explain` for the full explanation."])
