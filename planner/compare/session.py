"""`planner compare` as a library call: validate once, run every case, compare, regret.

A thin user of the study layer (planner.study): each case is a task on its own base; with
`regret`, each case's plan is held under every other case as soon as both are solved, in the
worker that holds the other case's model. With every build and signing held, an evaluation's LP
relaxation is nearly tight: each first dives (`Task.dive`: LPs from the basis of the other case's
own fixed-integer LP, so the same whichever worker runs it), and goes on to HiGHS's MILP only when
the dive's plan is not proven within the gap (21 of the default instance's 90 evaluations; HiGHS
time of the 90: 18.6 s as MILPs, 9.1 s with the dives). The MILPs start from nothing: the other
case's own plan, repaired to the held builds, is no better than HiGHS's own root heuristics find,
while HiGHS spends an LP on completing it (and the dive's plan is no better a start either:
`Session._dive`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from planner.cases import load_instance, resolve_case_name
from planner.compare.compare import RESERVED, CaseRun, Comparison, compare, regret_matrix
from planner.errors import UsageError
from planner.explain.hard_targets import with_explanation
from planner.instance.records import FixedPlan, Instance
from planner.results.plan import plan_of
from planner.results.solution import Solution
from planner.solve.presets import SolverOptions
from planner.study import Base, Event, Study, Task, TaskResult, Variation, warm_up


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


def cross_key(a: str, b: str) -> str:
    """The task key of case a's plan evaluated under case b."""
    return f"plan of {a} under {b}"


def case_run(case: str, r: TaskResult) -> CaseRun:
    status = "done" if r.done and r.solution is not None else "failed"
    return CaseRun(case, status, r.solution, None if status == "done" else (r.error or r.state), r.seconds,
                   rendered=r.workbook)


def run_comparison(path: str | Path, *, cases: str | list[str] | None = "all", base: str | None = None,
                   options: SolverOptions, jobs: int = 1, scheduler: str | None = None, regret: bool = False,
                   hard_targets: bool = False, on_event: Event | None = None,
                   before_solving: Callable[[Instance, list[str]], None] | None = None,
                   on_case: Callable[[str, CaseRun], None] | None = None,
                   render: Callable[[Solution], bytes] | None = None) -> Comparison:
    """Solve the selected cases (in parallel) and compare them; with `regret`, evaluate every case's
    plan under every other case. Validation errors are raised before anything runs; so is anything
    `before_solving(instance, case names)` raises (the command line checks its outputs there).
    `on_case(case, run)` hears of each case's own solve as it ends (a Ctrl-C raises here after
    stopping every solve: the cases heard of are the complete results there are). With `render` (a
    Solution's results workbook as bytes, `planner.export.results.results_bytes`) and workers (`jobs` > 1
    or a scheduler), each case's workbook is rendered by the worker that solved it, beside the other
    solves (`CaseRun.rendered`), rather than by the caller afterwards, one workbook after another."""
    path = Path(path)
    warm_up(jobs, scheduler)  # the workers' fork server loads its libraries while this process reads the workbook
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
    sha = hashlib.sha256(data).hexdigest()
    highs = dict(options.highs)
    if jobs > 1 or scheduler:
        highs["threads"] = 1  # one HiGHS thread per solve; parallelism is across solves
    bases = {c: Base(str(path), sha, c, hard_targets, data=data) for c in names}
    if jobs <= 1 and not scheduler:
        render = None  # in this process it would only come sooner

    own_basis: dict[str, Any] = {}  # the basis of each case's fixed-integer LP: where its evaluations' dives start

    def task(key: str, case: str, plan: FixedPlan | None = None) -> Task:
        return with_explanation(Task(key, bases[case], Variation(plan=plan), options=highs, preset=options.preset,
                                     # a plan under another case: its cost, sunk capex and penalties (from
                                     # the costs table) are all regret needs
                                     tables=None if plan is None else ("costs",), duals=plan is None,
                                     warm_start=plan is None, render=render if plan is None else None,
                                     dive=plan is not None, basis=own_basis.get(case) if plan is not None else None,
                                     want_basis=regret and plan is None))

    runs: dict[str, CaseRun] = {}
    plans: dict[str, FixedPlan] = {}
    cross_runs: dict[tuple[str, str], TaskResult] = {}
    pairs: dict[str, tuple[str, str]] = {}
    # (sunk capex, penalties) of each plan under each case, taken as each result comes in, while the workers
    # go on solving (not all at the end, after the last solve)
    money: dict[tuple[str, str], tuple[float | None, float | None]] = {}
    told: set[str] = set()  # the cases `on_case` has heard of
    st: Study | None = None
    try:
        st = Study(jobs=jobs, scheduler=scheduler, on_event=on_event)
        with st:
            for c in names:
                st.submit(task(c, c))
            for r in st.results():
                if r.key in pairs:
                    cross_runs[pairs[r.key]] = r
                    money[pairs[r.key]] = (_sunk(r.solution), _money(r.solution, "penalty"))
                    continue
                runs[r.key] = case_run(r.key, r)
                if on_case is not None:
                    on_case(r.key, runs[r.key])
                told.add(r.key)
                money[(r.key, r.key)] = (_sunk(r.solution), _money(r.solution, "penalty"))
                if not regret or runs[r.key].status != "done":
                    continue
                a = r.key
                plans[a] = plan_of(r.solution)  # type: ignore[arg-type]
                own_basis[a] = r.basis
                for b in [c for c in names if c in plans and c != a]:  # both ways, in the order of the cases
                    for x, y in ((a, b), (b, a)):
                        pairs[cross_key(x, y)] = (x, y)
                        st.submit(task(cross_key(x, y), y, plans[x]))
    except KeyboardInterrupt:  # every solve is stopped: tell of the cases that ended, then stop here too
        finished = st.finished if st is not None else {}
        for c in names:
            if c not in told and c in finished and on_case is not None:
                on_case(c, case_run(c, finished[c]))
        raise
    reg = None
    if regret:
        done = [c for c in names if runs[c].status == "done"]
        cross: dict[tuple[str, str], float | None] = {}
        notes: dict[tuple[str, str], str] = {}
        sunk: dict[tuple[str, str], float | None] = {(c, c): money[(c, c)][0] for c in done}
        pens: dict[tuple[str, str], float | None] = {(c, c): money[(c, c)][1] for c in done}
        for a in done:
            for b in done:
                if a == b:
                    continue
                r = cross_runs[(a, b)]
                if r.done and r.solution is not None:
                    cross[(a, b)] = r.solution.status["objective_usd"]
                    sunk[(a, b)], pens[(a, b)] = money[(a, b)]
                    if not r.solution.status["proven_optimal"]:
                        notes[(a, b)] = f"not proven optimal: {r.solution.status['status']}"
                else:
                    cross[(a, b)] = None
                    notes[(a, b)] = r.error or "failed"
        own = {c: runs[c].solution.status["objective_usd"] for c in done}  # type: ignore[union-attr]
        reg = regret_matrix(own, cross, done, notes, sunk, pens)
    opts = {"preset": options.preset, "highs_options": highs, "jobs": jobs, "scheduler": scheduler or "",
            "hard_targets": hard_targets, "regret": regret}
    return compare({c: runs[c] for c in names}, names, base_name, instance=inst.name,
                   instance_path=str(path.resolve()), instance_sha256=inst.sha256, regret=reg, options=opts)


def mark_written(run: CaseRun, path: str) -> CaseRun:
    return replace(run, workbook=path, rendered=None)  # the bytes are on disk now


def _sunk(sol: Any) -> float | None:
    """The sunk capex of existing and committed plants in a solution's objective ($), or None."""
    return _money(sol, "sunk")


def _money(sol: Any, kind: str) -> float | None:
    """The discounted cost components of one kind ("penalty", "sunk") of a solution ($), or None."""
    v = sol.discounted(kind) if sol is not None else None
    return None if v is None or v != v else float(v)


def default_jobs() -> int:
    import os

    return max(1, os.cpu_count() or 1)


__all__ = ["CaseRun", "Comparison", "run_comparison", "default_jobs", "mark_written"]
