"""`planner compare` as a library call: validate once, run every case, compare, regret."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from planner.cases import load_instance, resolve_case_name
from planner.compare.compare import RESERVED, CaseRun, Comparison, compare, plan_of, regret_matrix
from planner.compare.runner import CaseTask, Event, run_tasks
from planner.errors import UsageError
from planner.instance.records import Instance
from planner.solve.presets import SolverOptions


def select_cases(available: list[str], cases: str | list[str] | None, resolve: Any) -> list[str]:
    if cases is None or cases == "all" or cases == ["all"]:
        return list(available)
    names = cases.split(",") if isinstance(cases, str) else list(cases)
    out: list[str] = []
    for n in (x.strip() for x in names if x.strip()):
        c = resolve(n)
        if c not in out:
            out.append(c)
    if not out:
        raise UsageError("no case selected")
    return out


def run_comparison(path: str | Path, *, cases: str | list[str] | None = "all", base: str | None = None,
                   options: SolverOptions, jobs: int = 1, scheduler: str | None = None, regret: bool = False,
                   hard_targets: bool = False, on_event: Event | None = None,
                   before_solving: Callable[[Instance, list[str]], None] | None = None) -> Comparison:
    """Solve the selected cases (in parallel) and compare them; with `regret`, evaluate every case's
    plan under every other case. Validation errors are raised before anything runs; so is anything
    `before_solving(instance, case names)` raises (the command line checks its outputs there)."""
    path = Path(path)
    inst = load_instance(path)
    names = select_cases(list(inst.cases), cases, lambda n: resolve_case_name(inst, n))
    base_name = resolve_case_name(inst, base) if base else names[0]
    if base_name not in names:
        names.insert(0, base_name)
    clash = sorted(set(names) & RESERVED)
    if clash:  # said before anything is solved, not after
        raise UsageError(f"case name{'s' if len(clash) != 1 else ''} {', '.join(clash)} cannot be compared: "
                         "they are column names of the "
                         "comparison tables; rename the case column in the policy sheet")
    if before_solving is not None:
        before_solving(inst, list(names))
    data = path.read_bytes()
    highs = dict(options.highs)
    if jobs > 1 or scheduler:
        highs["threads"] = 1  # one HiGHS thread per case; parallelism is across cases

    def task(key: str, case: str, plan: Any = None) -> CaseTask:
        return CaseTask(key=key, case=case, instance_name=str(path), instance_bytes=data, options=highs,
                        preset=options.preset, hard_targets=hard_targets, plan=plan)

    runs = run_tasks([task(c, c) for c in names], jobs=jobs, scheduler=scheduler, on_event=on_event)
    reg = None
    if regret:
        done = [c for c in names if runs[c].status == "done" and runs[c].solution is not None]
        plans = {c: plan_of(runs[c].solution) for c in done}  # type: ignore[arg-type]
        pairs = [(a, b) for a in done for b in done if a != b]
        keys = {(a, b): f"plan of {a} under {b}" for a, b in pairs}
        cross_runs = run_tasks([task(keys[(a, b)], b, plans[a]) for a, b in pairs], jobs=jobs,
                               scheduler=scheduler, on_event=on_event)
        cross: dict[tuple[str, str], float | None] = {}
        notes: dict[tuple[str, str], str] = {}
        sunk: dict[tuple[str, str], float | None] = {(c, c): _sunk(runs[c].solution) for c in done}
        for a, b in pairs:
            r = cross_runs[keys[(a, b)]]
            if r.status == "done" and r.solution is not None:
                cross[(a, b)] = r.solution.status["objective_usd"]
                sunk[(a, b)] = _sunk(r.solution)
                if not r.solution.status["proven_optimal"]:
                    notes[(a, b)] = f"not proven optimal: {r.solution.status['status']}"
            else:
                cross[(a, b)] = None
                notes[(a, b)] = r.error or "failed"
        own = {c: runs[c].solution.status["objective_usd"] for c in done}  # type: ignore[union-attr]
        reg = regret_matrix(own, cross, done, notes, sunk)
    opts = {"preset": options.preset, "highs_options": highs, "jobs": jobs, "scheduler": scheduler or "",
            "hard_targets": hard_targets, "regret": regret}
    return compare({c: runs[c] for c in names}, names, base_name, instance=inst.name,
                   instance_path=str(path.resolve()), instance_sha256=inst.sha256, regret=reg, options=opts)


def _sunk(sol: Any) -> float | None:
    """The sunk capex of existing and committed plants in a solution's objective ($), or None."""
    try:
        v = sol.kpi("sunk_capex_usd")
    except (KeyError, AttributeError):
        return None
    return None if v is None else float(v)


def default_jobs() -> int:
    import os

    return max(1, os.cpu_count() or 1)


__all__ = ["CaseRun", "Comparison", "run_comparison", "default_jobs"]
