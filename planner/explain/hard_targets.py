"""Why a case with hard localization targets has no plan, composed above the one-case pipeline.

`planner.run.solve_case` solves one case; with `--hard-targets` a case whose targets cannot be met
comes back infeasible, and nothing more. `solve_case_explained` is the same solve and, in that
event, adds the explanation in plain words to the Solution's messages, from a second solve: for a
fixed plan, the plan re-solved with the targets soft (the targets it misses); otherwise the case
solved for the least shortfall (what is out of reach, and why: `planner.results.diagnose`). The
command line and the case runner (comparisons, explanations) call it.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from planner.cases import apply_case, load_instance
from planner.results.diagnose import out_of_reach
from planner.instance.records import FixedPlan, Instance, WhatIf
from planner.results.solution import Solution
from planner.run import solve_case
from planner.solve.presets import SolverOptions, merge_options


def solve_case_explained(instance: Instance | str | Path, case: str | None = None, **kw: Any) -> Solution:
    """`planner.run.solve_case(instance, case, **kw)`, with the explanation of an infeasible hard-target
    case (or of a fixed plan that cannot meet them) in its messages."""
    timings: dict[str, float] = {}
    if not isinstance(instance, Instance):
        t = time.perf_counter()
        instance = load_instance(instance)
        timings["read_validate"] = time.perf_counter() - t
    sol = solve_case(instance, case, **kw)
    if timings:
        sol.status["timings"] = {**timings, **sol.status["timings"]}
    if not kw.get("hard_targets") or sol.has_plan or sol.status["termination"] != "infeasible":
        return sol
    options = kw.get("options") or merge_options("default")
    plan = kw.get("plan")
    if plan is not None:
        words = explain_plan_hard_targets(instance, sol.case, plan, options)
    else:
        words = explain_hard_targets(instance, sol.case, options)
    return dataclasses.replace(sol, messages=(*sol.messages, *words))


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
