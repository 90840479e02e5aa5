"""Why a case with hard localization targets has no plan, composed above the one-case pipeline.

`planner.run.solve_case` solves one case; with `--hard-targets` a case whose targets cannot be met
comes back infeasible, and nothing more. The explanation needs a second solve, run through the
study layer: for a fixed plan, the plan re-solved with the targets soft (the targets it misses);
otherwise the case solved for the least shortfall (what is out of reach, and why:
`planner.results.diagnose`).

* `solve_case_explained`: `solve_case`, and in that event the explanation in the Solution's
  messages (the command line's `solve`).
* `if_infeasible(task)`: the same for a study task (`Task.if_infeasible`): the worker that finds the
  task infeasible runs the second solve too and adds the words to the failed result (the
  comparisons and explanations).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from planner.cases import CaseInstance, load_instance
from planner.instance.records import FixedPlan, Instance
from planner.results.diagnose import out_of_reach
from planner.results.solution import Solution
from planner.run import solve_case
from planner.solve.presets import SolverOptions, merge_options
from planner.study import SHORTFALL, Base, IfInfeasible, Task, TaskResult, Variation, run_tasks


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
    options: SolverOptions = kw.get("options") or merge_options("default")
    task = Task(sol.case, Base.of(instance, sol.case, hard_targets=True), Variation(plan=kw.get("plan")),
                options=dict(options.highs), preset=options.preset)
    follow = if_infeasible(task)
    aux = run_tasks([follow.task])[follow.task.key]
    from planner.cases import apply_case

    words = follow.words(task, aux, apply_case(instance, sol.case))
    return dataclasses.replace(sol, messages=(*sol.messages, *words))


def if_infeasible(task: Task) -> IfInfeasible:
    """What explains a hard-target `task` that turns out infeasible: the same question with the targets
    soft (for a fixed plan: the targets it misses), or else the least-shortfall solve of its case."""
    soft = task.base.with_targets(False)
    plan = task.variation.plan
    if plan is not None:
        aux = Task(f"{task.key} (targets soft)", soft, Variation("targets soft", plan=plan), options=task.options,
                   preset=task.preset, duals=False)
        return IfInfeasible(aux, plan_words)
    aux = Task(f"{task.key} (least shortfall)", soft, Variation("least shortfall", objective=SHORTFALL),
               options=task.options, preset=task.preset, duals=False)
    return IfInfeasible(aux, reach_words)


def with_explanation(task: Task) -> Task:
    """`task`, explained in words if it has hard targets and turns out infeasible."""
    return dataclasses.replace(task, if_infeasible=if_infeasible(task)) if task.base.hard_targets else task


def plan_words(task: Task, aux: TaskResult, ci: CaseInstance) -> list[str]:
    """Plain words for a fixed plan that cannot meet a case's hard targets, from the plan re-solved with
    the targets soft (`aux`): the targets it misses."""
    plan: FixedPlan = task.variation.plan  # type: ignore[assignment]
    case = task.base.case
    head = (f"The plan of case '{plan.source_case}' cannot meet the hard localization targets of case '{case}' "
            "(--hard-targets)")
    if aux.solution is None or not aux.solution.has_plan:
        return [f"{head}; its shortfalls could not be computed ({_why(aux)})."]
    loc = aux.solution.localization
    missed = loc[loc["shortfall_t"] > 1e-6]
    if missed.empty:
        return [f"{head}."]
    return [f"{head}:"] + [
        f"  {r.group} {r.year}: needs {r.required_t:,.0f} t of qualifying supply, the plan gives "
        f"{r.qualifying_t:,.0f} t (short by {r.shortfall_t:,.0f} t)." for r in missed.itertuples()]


def reach_words(task: Task, aux: TaskResult, ci: CaseInstance) -> list[str]:
    """Plain words for an infeasible hard-target case, from its least-shortfall solve (`aux`): which
    targets and demand are out of reach, by how much, and why (the same explanation as `planner explain`)."""
    if aux.solution is None or not aux.solution.has_plan:
        return ["The localization targets cannot all be met, and the largest achievable qualifying supply could "
                f"not be computed ({_why(aux)})."]
    reach = out_of_reach(ci, aux.solution)
    if reach.empty:
        return ["The case is infeasible with hard targets, yet every target can be met in some plan: check the "
                "capex budgets and take-or-pay contracts."]
    return (["The localization targets cannot all be met as hard constraints (--hard-targets):"]
            + [f"  {t}." for t in reach["explanation"]]
            + ["Run without --hard-targets to get the cheapest plan with the shortfalls priced, or "
               "`planner explain` for the full explanation."])


def _why(r: TaskResult) -> str:
    if r.solution is not None:
        return str(r.solution.status["status"])
    return r.error or r.state
