"""The solver session: variations made on the HiGHS side equal fresh builds with the change made in
Pyomo, are undone exactly, and no run inherits anything (options, start, interrupt) from the one before."""

from __future__ import annotations

import numpy as np
import pytest
from factories import tiny_tables
from helpers import instance_of

from planner import resources
from planner.cases import apply_case
from planner.datasets.synthetic import generate_tables
from planner.instance.records import FixedPlan, Instance, WhatIf
from planner.cases import load_instance
from planner.model.build import build_model
from planner.model.core import MONEY
from planner.results.solution import Solution
from planner.run import solve_case
from planner.solve.highs import solve
from planner.solve.presets import merge_options
from planner.solve.session import Interrupt, Session, SolveReport

EXACT = merge_options("exact")


@pytest.fixture(scope="module")
def small() -> Instance:
    """12 candidates (one a JV variant of another), 4 regions, 8 years, 3 cases (one with targets)."""
    return instance_of(generate_tables(projects=12, regions=4, years=8, commodities=4, contracts=4, seed=1))


def session_of(inst: Instance, case: str) -> Session:
    return Session(build_model(apply_case(inst, case)))


def builds(s: Session) -> dict[tuple[str, int], int]:
    """Units started per (project, start year) in the session's last plan."""
    keys = list(s.model.v_units.keys())
    units = np.round(s.x[s.cols("v_units", keys)]).astype(int)  # type: ignore[index]
    return {k: int(u) for k, u in zip(keys, units) if u > 0}


def fresh_builds(sol: Solution) -> dict[tuple[str, int], int]:
    b = sol.builds[sol.builds["decision"] == "build"]
    return {(r.project, int(r.start_year)): int(r.units) for r in b.itertuples()}


def same_plan(s: Session, report: SolveReport, sol: Solution) -> None:
    """The session's plan is the fresh build's: same objective (exact preset: no gap) and same builds."""
    assert report.termination == "optimal" and sol.status["proven_optimal"]
    assert report.objective == pytest.approx(sol.status["objective_usd"] * MONEY, rel=1e-9, abs=1e-9)
    assert builds(s) == fresh_builds(sol)


def back_to_base(s: Session, base_objective: float, base_builds: dict[tuple[str, int], int]) -> None:
    r = s.solve(EXACT.highs, want_duals=False)
    assert r.objective == pytest.approx(base_objective, rel=1e-12)
    assert builds(s) == base_builds


# ------------------------------------------------------------------------------------------------
# every variation equals a fresh build with the same change, and is undone afterwards
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("inst_name,case", [("tiny", "base"), ("tiny", "localize"), ("small", "current_law"),
                                            ("small", "no_credits"), ("small", "strict_localization")])
def test_forced_and_excluded_builds_equal_fresh_builds(inst_name: str, case: str, small: Instance) -> None:
    inst = instance_of(tiny_tables()) if inst_name == "tiny" else small
    ci = apply_case(inst, case)
    s = session_of(inst, case)
    base = s.solve(EXACT.highs)
    base_builds = builds(s)
    same_plan(s, base, solve_case(inst, case, options=EXACT))
    built = {p for p, _s in base_builds}
    for p in ci.sets.candidates:
        if p in built:  # the value of a built project: solve without it
            with s.excluded(s.cols("v_units", [(p, y) for y in ci.sets.starts[p]])):
                r = s.solve(EXACT.highs)
            same_plan(s, r, solve_case(inst, case, options=EXACT, whatif=WhatIf(exclude=frozenset({p}))))
        else:  # the premium of an unbuilt one: one unit forced in from its earliest start
            first = ci.sets.starts[p][0]
            with s.forced([s.col("v_units", (p, first))]):
                r = s.solve(EXACT.highs)
            same_plan(s, r, solve_case(inst, case, options=EXACT, whatif=WhatIf(force=((p, first),))))
        back_to_base(s, base.objective, base_builds)


@pytest.mark.parametrize("inst_name,case", [("tiny", "localize"), ("small", "strict_localization")])
def test_dropped_targets_equal_a_case_without_targets(inst_name: str, case: str, small: Instance) -> None:
    inst = instance_of(tiny_tables()) if inst_name == "tiny" else small
    s = session_of(inst, case)
    base = s.solve(EXACT.highs)
    base_builds = builds(s)
    targets = s.rows("c_localization")
    assert len(targets)
    with s.dropped(targets):
        r = s.solve(EXACT.highs)
    same_plan(s, r, solve_case(inst, case, options=EXACT, whatif=WhatIf(drop_targets=True)))
    assert r.objective < base.objective  # the targets cost something in both cases
    back_to_base(s, base.objective, base_builds)


@pytest.mark.parametrize("inst_name,case", [("tiny", "localize"), ("small", "strict_localization")])
def test_swapped_objective_equals_the_least_shortfall_model(inst_name: str, case: str, small: Instance) -> None:
    inst = instance_of(tiny_tables()) if inst_name == "tiny" else small
    s = session_of(inst, case)
    base = s.solve(EXACT.highs)
    base_builds = builds(s)
    shortfall = np.zeros(s.n_cols)
    shortfall[s.cols("v_unmet")] = 1.0
    shortfall[s.cols("v_loc_short")] = 1.0
    with s.objective_swapped(shortfall):
        r = s.solve(EXACT.highs)
    fresh = solve_case(inst, case, options=EXACT, whatif=WhatIf(objective="shortfall"))
    assert r.objective == pytest.approx(fresh.status["objective_usd"] * MONEY, rel=1e-9, abs=1e-9)
    assert r.objective == pytest.approx(float(shortfall @ s.x), abs=1e-9)  # type: ignore[operator]
    # the objective's variable holds the plan's own cost, not the swapped objective
    assert s.model.v_total_cost.value == pytest.approx(s.objective_of(s.x), rel=1e-12)  # type: ignore[arg-type]
    assert s.objective_of(s.x) >= base.objective - 1e-9  # type: ignore[arg-type]
    back_to_base(s, base.objective, base_builds)


def own_plans(inst: Instance) -> dict[str, FixedPlan]:
    """Each case's own plan (exact preset): the units it starts and the contracts it signs."""
    plans = {}
    for a in inst.cases:
        s = session_of(inst, a)
        s.solve(EXACT.highs, want_duals=False)
        signed = frozenset(k for k in s.model.b_sign if s.x[s.col("b_sign", k)] > 0.5)  # type: ignore[index]
        plans[a] = FixedPlan(source_case=a, units=builds(s), signed=signed)
    return plans


def held(s: Session, inst: Instance, case: str, plan: FixedPlan) -> dict[int, float]:
    """The columns of `plan`'s decisions in session `s` of `case`, with the values the plan holds them at."""
    sets = apply_case(inst, case).sets
    hold = {s.col("v_units", k): plan.units.get(k, 0) for k in sets.option_vars}
    hold.update({s.col("b_sign", k): int(k in plan.signed) for k in sets.signed})
    return hold


def test_plan_under_another_case_equals_a_fresh_fixed_plan(small: Instance) -> None:
    cases = list(small.cases)
    plans = own_plans(small)
    for b in cases:
        s = session_of(small, b)
        base = s.solve(EXACT.highs)
        base_builds = builds(s)
        for a in cases:
            if a == b:
                continue
            plan = plans[a]
            with s.fixed(held(s, small, b, plan)):
                r = s.solve(EXACT.highs)
            same_plan(s, r, solve_case(small, b, options=EXACT, plan=plan))
            assert r.objective >= base.objective - 1e-9  # another case's plan is never better here
        back_to_base(s, base.objective, base_builds)


def test_a_dive_under_a_held_plan_equals_the_milp_and_a_fresh_fixed_plan(small: Instance) -> None:
    """Plan evaluations dive first: LPs from the basis of the case's own fixed-integer LP; a plan
    within the gap of the relaxation's bound is the answer (here every one, exact preset included:
    the relaxations of these plans are tight, or rounding up costs nothing). Each equals a fresh build
    of the fixed plan (exact), lies within the gap of HiGHS's MILP (default preset) and has a true
    bound; the dive does not depend on what the session solved before, and leaves nothing changed."""
    default = merge_options("default").highs
    cases = list(small.cases)
    plans = own_plans(small)
    ways = []
    for b in cases:
        s = session_of(small, b)
        assert s.solve(EXACT.highs).basis is None  # read only on request
        base = s.solve(EXACT.highs, want_basis=True)
        assert base.basis is not None and base.method == ""  # the base solve is HiGHS's MILP, with its LP's basis
        base_builds = builds(s)
        for a in cases:
            if a == b:
                continue
            plan = plans[a]
            hold = held(s, small, b, plan)
            with s.fixed(hold):
                r = s.solve(EXACT.highs, dive=True, basis=base.basis)
                same_plan(s, r, solve_case(small, b, options=EXACT, plan=plan))
                ways.append(r.method)
                dove = s.solve(default, want_duals=False, dive=True, basis=base.basis)
                milp = s.solve(default, want_duals=False)
            assert dove.termination == "optimal" and dove.method.startswith("dive: ")
            assert dove.objective == pytest.approx(milp.objective, rel=default["mip_rel_gap"])
            assert dove.bound <= milp.objective + 1e-9 * abs(milp.objective)  # type: ignore[operator]
            fresh = session_of(small, b)  # the same build: the same column numbers
            with fresh.fixed(hold):
                again = fresh.solve(default, want_duals=False, dive=True, basis=base.basis)
            assert (again.objective, again.method) == (dove.objective, dove.method)
        back_to_base(s, base.objective, base_builds)  # bounds and integrality restored exactly
    assert any("within the gap" in w for w in ways), ways


def test_a_dive_that_is_not_proven_goes_on_to_the_milp() -> None:
    """The tiny instance's existing cathode plant, its $2M fixed O&M saved in a mothballed year, under a
    plan that builds nothing: the relaxation operates it part-time (output over capacity) and pays that
    share of its fixed O&M; rounding up operates it and pays all of it. That plan is more than the
    gap above the relaxation's bound, so HiGHS's MILP runs (from nothing, as without the dive) and
    finds the same cost: the fresh build of the fixed plan costs it too."""
    from planner.model.variations import plan_values

    default = merge_options("default")
    t = tiny_tables()
    t["projects"][0].update(fixed_om_per_unit=2_000_000, fixed_om_avoidable=1.0)
    inst = instance_of(t)
    plan = FixedPlan("other", {})
    ci = apply_case(inst, "base")
    s = Session(build_model(ci))
    base = s.solve(default.highs, want_basis=True)
    hold = {s.col(var, k): x for var, values in plan_values(ci, plan).items() for k, x in values.items()}
    with s.fixed(hold):
        r = s.solve(default.highs, dive=True, basis=base.basis, want_duals=False)
    assert r.method.startswith("dive: 2 LPs, the plan") and r.method.endswith("then HiGHS's MILP"), r.method
    assert r.start == "" and r.termination == "optimal"
    fresh = solve_case(inst, "base", options=default, plan=plan)
    assert r.objective == pytest.approx(fresh.status["objective_usd"] * MONEY, rel=default.highs["mip_rel_gap"])


def test_changes_are_undone_exactly_also_on_an_error_and_when_nested() -> None:
    s = session_of(instance_of(tiny_tables()), "localize")
    lp0 = s.highs.getLp()
    j, k = s.col("v_units", ("P2", 2026)), s.col("v_units", ("P3", 2026))
    target = s.row("c_localization", ("AAM", 2028))
    cost = np.arange(s.n_cols, dtype=float)
    with (pytest.raises(RuntimeError, match="mid-way"), s.forced([j]), s.excluded([k]), s.dropped([target]),
          s.objective_swapped(cost, offset=7.0)):
        with s.changed(bounds={j: (2, 2)}, costs={k: 5.0}, row_bounds={target: (1.0, 2.0)}):
            lp = s.highs.getLp()
            assert (lp.col_lower_[j], lp.col_upper_[j], lp.col_cost_[k]) == (2, 2, 5.0)
            assert (lp.row_lower_[target], lp.row_upper_[target], lp.offset_) == (1.0, 2.0, 7.0)
        lp = s.highs.getLp()  # the inner change undone, the outer ones still in force
        assert (lp.col_lower_[j], lp.col_upper_[k], lp.col_cost_[k], lp.row_upper_[target]) == (1, 0, k, np.inf)
        raise RuntimeError("a study failed mid-way")
    lp = s.highs.getLp()
    for name in ("col_lower_", "col_upper_", "col_cost_", "row_lower_", "row_upper_"):
        assert np.array_equal(getattr(lp, name), getattr(lp0, name)), name
    assert lp.offset_ == lp0.offset_


# ------------------------------------------------------------------------------------------------
# nothing carries over from one run to the next
# ------------------------------------------------------------------------------------------------


def test_duals_resolve_restores_integrality_and_bounds(small: Instance) -> None:
    case = "strict_localization"
    s = session_of(small, case)
    lp0 = s.highs.getLp()
    first = s.solve(EXACT.highs)
    assert first.duals.startswith("LP with integer decisions fixed")
    lp = s.highs.getLp()
    assert [int(t) for t in lp.integrality_] == [int(t) for t in lp0.integrality_]
    assert np.array_equal(lp.col_lower_, lp0.col_lower_) and np.array_equal(lp.col_upper_, lp0.col_upper_)
    second = s.solve(EXACT.highs)
    assert second.objective == pytest.approx(first.objective, rel=1e-12)
    ints = s.x[s.int_cols]  # type: ignore[index]
    assert np.abs(ints - np.round(ints)).max() <= 1e-6
    # the duals equal those of the one-shot path (a fresh HiGHS object)
    one_shot = solve(build_model(apply_case(small, case)), EXACT.highs)
    for name, y in one_shot.row_duals.items():
        assert np.allclose(second.row_duals[name], y, rtol=1e-9, atol=1e-9), name
    # with integer columns still fixed at the plan, excluding a built project would change nothing
    p = min(q for q, _y in builds(s))
    with s.excluded(s.cols("v_units", [(p, y) for y in apply_case(small, case).sets.starts[p]])):
        r = s.solve(EXACT.highs)
    same_plan(s, r, solve_case(small, case, options=EXACT, whatif=WhatIf(exclude=frozenset({p}))))


def test_options_do_not_carry_over_to_the_next_run() -> None:
    s = session_of(instance_of(tiny_tables()), "localize")
    stopped = s.solve({**EXACT.highs, "time_limit": 0.0})
    assert stopped.termination == "time_limit" and not stopped.has_solution
    without = dict(EXACT.highs)
    without.pop("time_limit")
    r = s.solve(without)
    assert r.termination == "optimal" and r.objective == pytest.approx(100.61)  # $M, test_tiny's optimum


def test_an_lp_time_limit_counts_from_the_start_of_its_run() -> None:
    # HiGHS's simplex compares time_limit with the object's run clock, which keeps counting over runs: once
    # the session's runs add up to more than the limit, an unshifted fixed-integer LP would stop at once.
    s = session_of(instance_of(tiny_tables()), "localize")
    while s.highs.getRunTime() < 0.5:
        s.solve(EXACT.highs, want_duals=False, load=False)
    r = s.solve({**EXACT.highs, "time_limit": 0.25})
    assert r.termination == "optimal"
    assert r.duals.startswith("LP with integer decisions fixed"), r.duals
    assert r.highs_time < s.highs.getRunTime()  # this run's time, not the clock's total


def test_an_interrupted_run_does_not_stop_the_next(small: Instance) -> None:
    s = session_of(small, "current_law")
    stop = Interrupt()
    stop.requested = True
    r = s.solve(EXACT.highs, interrupt=stop)
    assert r.termination == "interrupted" and s.x is None
    r = s.solve(EXACT.highs)
    assert r.termination == "optimal"
    assert r.objective == pytest.approx(solve_case(small, "current_law", options=EXACT).status["objective_usd"]
                                        * MONEY, rel=1e-9)


# ------------------------------------------------------------------------------------------------
# warm starts
# ------------------------------------------------------------------------------------------------


def test_a_warm_start_is_the_runs_first_plan(small: Instance) -> None:
    case = "current_law"
    ci = apply_case(small, case)
    s = session_of(small, case)
    base = s.solve(EXACT.highs)
    # a worse plan that is feasible in the base model: the best one with a project the base does not build
    p = next(q for q in ci.sets.candidates if q not in {k for k, _y in builds(s)})
    with s.forced([s.col("v_units", (p, ci.sets.starts[p][0]))]):
        s.solve(EXACT.highs, want_duals=False)
    worse = s.x.copy()  # type: ignore[union-attr]
    assert s.objective_of(worse) > base.objective + 1e-6
    cold = s.solve(EXACT.highs)
    assert cold.start == "" and cold.first_objective != pytest.approx(s.objective_of(worse), rel=1e-9)
    for start, words in ((worse, "complete plan"), ((s.int_cols, worse[s.int_cols]), "partial plan")):
        r = s.solve(EXACT.highs, warm_start=start)
        assert r.start.startswith(words)
        assert r.first_objective == pytest.approx(s.objective_of(worse), rel=1e-9)  # HiGHS took the start
        assert r.objective == pytest.approx(base.objective, rel=1e-12)  # and went on to the optimum


def test_start_values_outside_the_bounds_are_left_out(small: Instance) -> None:
    # HiGHS refuses a partial start with a value outside its column's bounds; forcing a build the base plan
    # does not have makes its 0 such a value
    case = "current_law"
    ci = apply_case(small, case)
    s = session_of(small, case)
    s.solve(EXACT.highs, want_duals=False)
    base = s.x.copy()  # type: ignore[union-attr]
    p = next(q for q in ci.sets.candidates if q not in {k for k, _y in builds(s)})
    first = ci.sets.starts[p][0]
    with s.forced([s.col("v_units", (p, first))]):
        r = s.solve(EXACT.highs, warm_start=(s.int_cols, base[s.int_cols]))
    assert r.start.endswith("1 outside this run's bounds left out")
    same_plan(s, r, solve_case(small, case, options=EXACT, whatif=WhatIf(force=((p, first),))))


def test_a_start_that_presolve_moves_never_comes_back_with_another_plans_objective() -> None:
    # tiny, case localize: the plan builds P3 from 2027 for the 2028 anode target ($100.61M). Without the target
    # that build is dominated: the best plan costs $98.56M, the localize plan $100.56M. Given the localize plan as
    # a start, HiGHS 1.16 drops P3 in presolve, finds the start optimal "in the reduced space" at $98.56M, and
    # hands back the start itself (P3 built, $100.56M) with the $98.56M objective. The session notices and
    # solves again from nothing.
    inst = instance_of(tiny_tables())
    s = session_of(inst, "localize")
    s.solve(EXACT.highs, want_duals=False)
    assert ("P3", 2027) in builds(s)
    start = (s.int_cols, s.x[s.int_cols])  # type: ignore[index]
    with s.dropped(s.rows("c_localization")):
        r = s.solve(EXACT.highs, warm_start=start)
    assert "set aside" in r.start
    assert r.objective == pytest.approx(98.56) and s.objective_of(s.x) == pytest.approx(98.56)  # type: ignore[arg-type]
    same_plan(s, r, solve_case(inst, "localize", options=EXACT, whatif=WhatIf(drop_targets=True)))


# ------------------------------------------------------------------------------------------------
# lookups, and the default instance
# ------------------------------------------------------------------------------------------------


def test_columns_and_rows_are_found_by_family_and_key() -> None:
    ci = apply_case(instance_of(tiny_tables()), "localize")
    m = build_model(ci)
    s = Session(m)
    keys = list(m.v_units.keys())
    assert [s.compiled.cols[j] for j in s.cols("v_units", keys)] == [m.v_units[k] for k in keys]
    assert s.cols("v_units").tolist() == s.cols("v_units", keys).tolist()
    assert s.compiled.cols[s.col("v_total_cost")] is m.v_total_cost
    assert set(s.int_cols.tolist()) == set(s.cols("v_units").tolist()) | set(s.cols("b_build").tolist())
    # the 2028 AAM target needs 50% of 1,000 t = 0.5 kt of qualifying supply
    assert s.highs.getLp().row_lower_[s.row("c_localization", ("AAM", 2028))] == pytest.approx(0.5)
    assert s.rows("c_localization").tolist() == [s.row("c_localization", ("AAM", 2028))]
    assert len(s.cols("b_48c")) == 0 and len(s.rows("c_capex_budget")) == 0  # families this model lacks
    with pytest.raises(KeyError, match=r"v_units\[\('P9', 2026\)\] is not a column"):
        s.col("v_units", ("P9", 2026))


def test_default_instance_forced_build_then_back_to_base_from_the_base_plan() -> None:
    opts = merge_options("default")
    inst = load_instance(resources.data_dir("instances") / "us-active-materials.xlsx")
    case = "current_law"
    ci = apply_case(inst, case)
    s = session_of(inst, case)
    base = s.solve(opts.highs)
    base_x = s.x.copy()  # type: ignore[union-attr]
    built = {p for p, _y in builds(s)}
    p = next(q for q in ci.sets.candidates if q not in built)
    first = ci.sets.starts[p][0]
    with s.forced([s.col("v_units", (p, first))]):
        r = s.solve(opts.highs)
    fresh = solve_case(inst, case, options=opts, whatif=WhatIf(force=((p, first),)))
    gap = opts.highs["mip_rel_gap"]
    assert r.objective == pytest.approx(fresh.status["objective_usd"] * MONEY, rel=2 * gap)
    assert builds(s) == fresh_builds(fresh)
    again = s.solve(opts.highs, warm_start=base_x)
    assert again.first_objective == pytest.approx(base.objective, rel=1e-9)
    assert again.objective == pytest.approx(base.objective, rel=gap)
