"""The study layer: every variation solved on a kept model equals a fresh build; each base is built once
per worker; re-solves start from the base's plan; serial, worker processes and Dask agree; progress never
shows more solves running than there are workers; the generic hooks (bounds, rows, objective, cost cap)
answer hand-derived questions on tiny."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from factories import tiny_tables

from planner import resources
from planner.cases import apply_case, load_instance
from planner.datasets.synthetic import generate_tables
from planner.export.instance_xlsx import write_instance
from planner.instance.records import Instance
from planner.results.plan import plan_of
from planner.results.solution import Solution
from planner.run import solve_case
from planner.solve.presets import merge_options
from planner.study import (
    SHORTFALL,
    Base,
    Bound,
    CostCap,
    Objective,
    RowBound,
    Study,
    Task,
    TaskResult,
    Variation,
    run_tasks,
)
from planner.study import worker as study_worker

EXACT = merge_options("exact")
TINY = resources.data_dir("instances") / "tiny.xlsx"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 candidates (one a JV variant of another), 4 regions, 8 years, 3 cases (one with targets)."""
    t = generate_tables(projects=12, regions=4, years=8, commodities=4, contracts=4, seed=1)
    return write_instance(t, tmp_path_factory.mktemp("study") / "small.xlsx")


@pytest.fixture(autouse=True)
def fresh_worker() -> None:
    study_worker.forget()  # every test starts with nothing held in this process


def explain_tasks(path: Path, inst: Instance, case: str) -> list[Task]:
    """The plan, then what `planner explain` asks of it: each candidate forced in or left out, the case
    without its targets, the least shortfall."""
    base = Base.of(path, case)
    ci = apply_case(inst, case)
    plan = solve_case(inst, case, options=EXACT)
    built = {p for p, _y in plan_of(plan).units}
    tasks = [Task("plan", base, options=EXACT.highs, preset="exact")]
    for p in ci.sets.candidates:
        if p in built:
            v = Variation(f"without {p}", exclude=frozenset({p}))
        else:
            v = Variation(f"force {p}", force=((p, ci.sets.starts[p][0]),))
        tasks.append(Task(v.label, base, v, options=EXACT.highs, preset="exact", tables=("kpis",), duals=False))
    if ci.policy.localization_target:
        tasks.append(Task("without targets", base, Variation("without targets", drop_targets=True),
                          options=EXACT.highs, preset="exact"))
    tasks.append(Task("least shortfall", base, Variation("least shortfall", objective=SHORTFALL),
                      options=EXACT.highs, preset="exact"))
    return tasks


def fresh(inst: Instance, case: str, task: Task) -> Solution:
    v = task.variation
    return solve_case(inst, case, options=EXACT, plan=v.plan, whatif=v.whatif,
                      hard_targets=task.base.hard_targets)


def objective(r: TaskResult) -> float:
    assert r.state == "done", r.error
    return float(r.status["objective_usd"])


# ------------------------------------------------------------------------------------------------
# a kept model, changed per task, equals a fresh build per task
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["current_law", "no_credits", "strict_localization"])
def test_every_variation_on_a_kept_model_equals_a_fresh_build(small: Path, case: str) -> None:
    inst = load_instance(small)
    tasks = explain_tasks(small, inst, case)
    results = run_tasks(tasks)  # in this process, one model and one session for all of them
    for t in tasks:
        r, f = results[t.key], fresh(inst, case, t)
        assert objective(r) == pytest.approx(f.status["objective_usd"], rel=1e-9, abs=1e-3), t.key
        assert r.status["proven_optimal"], t.key
        if t.variation.objective is None:  # the plan's own cost, in its tables, is the objective
            assert r.solution.kpi("total_cost_usd") == pytest.approx(objective(r), rel=1e-9)  # type: ignore[union-attr]
    # built once: only the first solve read the workbook and built the model
    built = [k for k, r in results.items() if "build" in r.status["timings"]]
    assert built == ["plan"]
    # every re-solve started from the plan, repaired to fit its change; the plan itself from nothing
    assert "start" not in results["plan"].status
    for t in tasks[1:]:
        assert results[t.key].status["start"].startswith("partial plan"), t.key
    # only the tables asked for were computed
    forced = results[tasks[1].key].solution
    assert forced is not None and forced.status["tables"] == ["kpis"] and forced.builds.empty
    assert not forced.kpis.empty


def test_a_plan_held_under_another_case_equals_a_fresh_fixed_plan(small: Path) -> None:
    inst = load_instance(small)
    cases = list(inst.cases)
    with Study() as st:  # each case's model is built once and reused for the other cases' plans
        own = st.run([Task(c, Base.of(small, c), options=EXACT.highs, preset="exact") for c in cases])
        cross = [Task(f"{a} under {b}", Base.of(small, b), Variation(plan=plan_of(own[a].solution)),  # type: ignore[arg-type]
                      options=EXACT.highs, preset="exact", tables=(), duals=False)
                 for a in cases for b in cases if a != b]
        results = st.run(cross)
    for t in cross:
        f = fresh(inst, t.base.case, t)
        assert objective(results[t.key]) == pytest.approx(f.status["objective_usd"], rel=1e-9), t.key
        # another case's plan is never better than the case's own optimum
        assert objective(results[t.key]) >= objective(own[t.base.case]) * (1 - 1e-9)
        assert "build" not in results[t.key].status["timings"]


def test_a_variation_that_cannot_be_posed_fails_in_words_and_the_others_go_on() -> None:
    base = Base.of(TINY, "base")
    r = run_tasks([Task("too early", base, Variation("P3 in 2020", force=(("P3", 2020),)), options=EXACT.highs),
                   Task("plan", base, options=EXACT.highs)])
    assert r["too early"].state == "failed" and r["too early"].error == "project P3 cannot start in 2020 in this case"
    assert objective(r["plan"]) == pytest.approx(98_560_000)


# ------------------------------------------------------------------------------------------------
# the generic hooks, on tiny (its optimum by hand in tests/test_tiny.py)
# ------------------------------------------------------------------------------------------------


def test_bounds_and_row_bounds_pose_the_named_questions_too() -> None:
    base, localize = Base.of(TINY, "base"), Base.of(TINY, "localize")
    r = run_tasks([
        # P3 forced in from 2026 in `base`: three years of annuity for an idle plant, $3M (test_explain)
        Task("P3 by a bound", base, Variation(bounds=(Bound("v_units", ("P3", 2026), 1, 1),)), options=EXACT.highs),
        # the 2028 anode target's row no longer binds: localize costs what base costs, $98.56M
        Task("no target row", localize,
             Variation(row_bounds=(RowBound("c_localization", ("AAM", 2028), None, None),)), options=EXACT.highs),
    ])
    assert objective(r["P3 by a bound"]) == pytest.approx(98_560_000 + 3_000_000)
    assert objective(r["no target row"]) == pytest.approx(98_560_000)


def test_a_cost_cap_and_a_swapped_objective_find_alternatives() -> None:
    # `base`: the optimum builds both P2 modules ($98.56M); without P2 the cathode demand P1 cannot serve is
    # unmet: $361.0M (test_study's fresh solve of `without P2`, and tiny's data). The fewest P2 modules within
    # a cost cap: none at a cap of $361M, at least one below it; at the optimum's own cost, both.
    base = Base.of(TINY, "base")
    fewest = Objective("fewest P2 modules", (("v_units", ("P2", 2026), 1.0), ("v_units", ("P2", 2027), 1.0)),
                       unit="units")

    def task(key: str, cap: CostCap) -> Task:
        return Task(key, base, Variation(key, objective=fewest, cost_cap=cap), options=EXACT.highs)

    r = run_tasks([task("at 361", CostCap(usd=361_000_000)), task("below 361", CostCap(usd=360_000_000)),
                   task("at the optimum", CostCap(relative=0.0))])

    def modules(res: TaskResult) -> int:
        b = res.solution.builds  # type: ignore[union-attr]
        return int(b.loc[b["project"] == "P2", "units"].sum())

    def cost(res: TaskResult) -> float:
        return float(res.solution.kpi("total_cost_usd"))  # type: ignore[union-attr]

    assert modules(r["at 361"]) == 0 and cost(r["at 361"]) == pytest.approx(361_000_000)
    assert modules(r["below 361"]) >= 1 and cost(r["below 361"]) <= 360_000_000 * (1 + 1e-9)
    assert modules(r["at the optimum"]) == 2 and cost(r["at the optimum"]) == pytest.approx(98_560_000)
    # the objective reported is the swapped one (modules), the tables hold the plan's own cost
    assert objective(r["at the optimum"]) * 1e-6 == pytest.approx(2.0)


# ------------------------------------------------------------------------------------------------
# executors: worker processes and Dask give the same results; progress is what runs
# ------------------------------------------------------------------------------------------------


def _watch(events: list[tuple[str, str]], most: list[int]):  # noqa: ANN202
    solving: set[str] = set()

    def on_event(key: str, state: str, _details: dict) -> None:
        events.append((key, state))
        if state == "solving":
            solving.add(key)
        else:
            solving.discard(key)
        most[0] = max(most[0], len(solving))

    return on_event


def test_worker_processes_equal_this_process_and_show_what_runs(small: Path) -> None:
    inst = load_instance(small)
    tasks = explain_tasks(small, inst, "strict_localization")
    serial = run_tasks(tasks)
    events: list[tuple[str, str]] = []
    most = [0]
    with Study(jobs=2, on_event=_watch(events, most)) as st:
        results = st.run(tasks)
    for t in tasks:
        assert objective(results[t.key]) == pytest.approx(objective(serial[t.key]), rel=1e-9), t.key
    assert most[0] == 2  # both workers ran, never more than two at once
    for t in tasks:
        states = [s for k, s in events if k == t.key]
        assert states == ["queued", "solving", "done"], (t.key, states)
    # each worker built the model once (or not at all): never once per task
    built = [r.worker for r in results.values() if "build" in r.status["timings"]]
    assert len(built) == len(set(built)) <= 2
    assert {r.worker for r in results.values()} <= {"worker 1", "worker 2"}


def test_dask_workers_equal_this_process(small: Path) -> None:
    distributed = pytest.importorskip("dask.distributed")
    inst = load_instance(small)
    tasks = explain_tasks(small, inst, "current_law")[:6]
    serial = run_tasks(tasks)
    events: list[tuple[str, str]] = []
    most = [0]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        with Study(scheduler=cl.scheduler_address, on_event=_watch(events, most)) as st:
            results = st.run(tasks)
    for t in tasks:
        assert objective(results[t.key]) == pytest.approx(objective(serial[t.key]), rel=1e-9), t.key
        assert [s for k, s in events if k == t.key] == ["queued", "solving", "done"], t.key
    assert 1 <= most[0] <= 2


def test_a_stopped_study_cancels_what_has_not_started(small: Path) -> None:
    tasks = explain_tasks(small, load_instance(small), "current_law")
    events: list[tuple[str, str]] = []
    with pytest.raises(KeyboardInterrupt), Study(jobs=2, on_event=_watch(events, [0])) as st:
        for t in tasks:
            st.submit(t)
        for r in st.results():
            if r.key == tasks[0].key or len(st.finished) >= 2:
                raise KeyboardInterrupt  # as a Ctrl-C in the main thread would
    ended = {k: s for k, s in events if s not in ("queued", "solving")}
    assert set(ended) == {t.key for t in tasks}  # every task ended one way or another
    assert "cancelled" in ended.values()
    assert set(ended.values()) <= {"done", "stopped", "cancelled"}
    assert all(not p.is_alive() for p in [w.process for w in st.backend.workers])


def test_workers_started_in_a_thread_while_this_process_solves(small: Path) -> None:
    """`prepare` starts the workers in a thread (starting one waits for the fork server's imports) while
    this process solves the plan, as `planner explain` does; the re-solves that follow equal the serial
    ones, and a failure to start the workers is raised by the next call that needs them."""
    tasks = explain_tasks(small, load_instance(small), "current_law")
    serial = run_tasks(tasks)
    with Study(jobs=2) as st:
        st.prepare(tasks[0].base)
        assert (st._preparing is not None) == st.backend.forks  # noqa: SLF001 - a thread where there is a fork server
        plan = st.solve_here(tasks[0])
        rest = st.run(tasks[1:])
    assert objective(plan) == pytest.approx(objective(serial[plan.key]), rel=1e-9)
    for t in tasks[1:]:
        assert objective(rest[t.key]) == pytest.approx(objective(serial[t.key]), rel=1e-9), t.key

    def cannot(_base: Base) -> None:
        raise RuntimeError("no worker could be started")

    with Study(jobs=2) as st:
        st.backend.prepare = cannot
        st.prepare(tasks[0].base)
        with pytest.raises(RuntimeError, match="no worker could be started"):
            st.submit(tasks[1])


def test_the_live_table_shows_a_tonnes_objective_as_tonnes_and_only_a_shortfall_as_short() -> None:
    from types import SimpleNamespace

    from planner.study import SHORTFALL, Base, Objective, Task, TaskResult, Variation
    from planner.study.executor import details

    base = Base("x.xlsx", "0" * 64, "base")
    sol: Any = SimpleNamespace(status={"objective_usd": -2_289_200.0, "gap": 0.01, "status": "optimal"})
    most = Objective("most U.S.-made", (("v_units", None, 1.0),), sense="max", unit="t")
    d = details(TaskResult("k", "done", solution=sol), Task("k", base, Variation("most", objective=most)))
    assert d["value_t"] == pytest.approx(2_289.2) and "shortfall_t" not in d and "objective" not in d
    sol.status["objective_usd"] = 1_500.0
    d = details(TaskResult("k", "done", solution=sol), Task("k", base, Variation("least", objective=SHORTFALL)))
    assert d["shortfall_t"] == pytest.approx(1.5) and "value_t" not in d
