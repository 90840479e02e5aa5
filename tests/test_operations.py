"""Operating decisions on existing and committed plants (family operations), each optimum derived by hand.

Common base (tests/factories.py `base`): years 2026-2028, r = 0, OH needs 100 t/yr of CAM1, the import K1
from Asia costs $10,000/t with free freight (doing nothing: $3.0M).
"""

from __future__ import annotations

from typing import Any

import pytest

from factories import base, plant
from helpers import component, cost, instance_of, output, solve_tables
from planner.errors import InstanceError

Tables = dict[str, list[dict[str, Any]]]


def _demand(t: Tables, by_year: dict[int, float]) -> None:
    t["material_demand"] = [{"region": "OH", "year": y, "commodity": "CAM1", "tonnes": q}
                            for y, q in by_year.items() if q]


def _existing(pid: str = "E", **kw: Any) -> dict[str, Any]:
    """An existing plant: 100 t/yr at $1,000/t, sunk capex, fixed O&M $100k/yr."""
    return plant(pid, **{"status": "existing", "earliest_start": 2020, "capex_per_unit": 0, "lifetime": 20,
                         "fixed_om_per_unit": 100_000, **kw})


def _states(sol: Any, project: str) -> dict[int, str]:
    o = sol.table("operations")
    sub = o[o["project"] == project]
    return dict(zip(sub["year"].astype(int), sub["state"]))


# --------------------------------------------------------------------------------------------
# operate or mothball
# --------------------------------------------------------------------------------------------


def test_an_idle_year_without_avoidable_fixed_om_costs_the_full_fixed_om() -> None:
    # no demand in 2027: the plant idles then, paying its fixed O&M all the same:
    # 3 x $100k + 200 t x $1,000 = $500k
    t = base()
    _demand(t, {2026: 100, 2027: 0, 2028: 100})
    t["projects"] = [_existing()]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(500_000)
    assert _states(sol, "E") == {2026: "operating", 2027: "idle", 2028: "operating"}


@pytest.mark.parametrize("restart, mothballed", [(20_000, True), (80_000, False)])
def test_a_mothball_saves_exactly_the_avoidable_fixed_om_and_a_restart_costs_its_cost(restart: float,
                                                                                      mothballed: bool) -> None:
    # 60% of the fixed O&M is avoidable: mothballing 2027 saves $60k and the restart in 2028 costs
    # `restart`: with $20k: $500k - $60k + $20k = $460k (mothballed); with $80k mothballing would cost
    # $520k: the plant idles instead ($500k)
    t = base()
    _demand(t, {2026: 100, 2027: 0, 2028: 100})
    t["projects"] = [_existing(fixed_om_avoidable=0.6, restart_cost=restart)]
    sol = solve_tables(t)
    if mothballed:
        assert cost(sol) == pytest.approx(460_000)
        assert _states(sol, "E") == {2026: "operating", 2027: "mothballed", 2028: "operating"}
        assert component(sol, "fixed_om") == pytest.approx(300_000 - 60_000)
        assert component(sol, "restart") == pytest.approx(20_000)
        c = sol.table("existing_plants").set_index("project")
        assert c.loc["E", "mothballed_years"] == "2027"
        assert c.loc["E", "fixed_om_saved_usd"] == pytest.approx(60_000)
    else:
        assert cost(sol) == pytest.approx(500_000)
        assert _states(sol, "E") == {2026: "operating", 2027: "idle", 2028: "operating"}


def test_mothballed_to_the_end_needs_no_restart() -> None:
    # demand only in 2026: mothballed 2027 and 2028 (no restart follows): $100k + 2 x $40k + $100k = $280k
    t = base()
    _demand(t, {2026: 100})
    t["projects"] = [_existing(fixed_om_avoidable=0.6, restart_cost=1_000_000)]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(280_000)
    assert _states(sol, "E") == {2026: "operating", 2027: "mothballed", 2028: "mothballed"}


def test_a_plant_is_not_mothballed_while_its_output_pays() -> None:
    # demand every year: each tonne of the plant saves $9,000 against the import, far more than the avoidable
    # fixed O&M (all of it, $100k a year): operating all three years, 3 x ($100k + $100k) = $600k
    t = base()
    t["projects"] = [_existing(fixed_om_avoidable=1.0)]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(600_000)
    assert set(_states(sol, "E").values()) == {"operating"}


# --------------------------------------------------------------------------------------------
# cancellation of committed plants
# --------------------------------------------------------------------------------------------


def _committed(**kw: Any) -> dict[str, Any]:
    """A committed plant started in 2025: capex $600k spent over 2025-2026 (half sunk by 2026), online 2027-2028
    (lifetime 2: annuity $300k a year with r = 0, i.e. the whole capex within the horizon), $9,500/t."""
    return plant("C", status="committed", earliest_start=2025, construction_years=2, lifetime=2,
                 capex_per_unit=600_000, variable_cost=9_500, cancellable=True, **kw)


@pytest.mark.parametrize("fee, cancelled", [(150_000, True), (250_000, False)])
def test_cancellation_saves_the_unspent_capex_less_its_cost_exactly_when_that_beats_running(fee: float,
                                                                                           cancelled: bool) -> None:
    # Kept: 2026 imported $1.0M; 2027-28 made at $9,500: $1.9M; capex annuity 2 x $300k: total $3.5M.
    # Cancelled: $3.0M of imports + the sunk half of the capex ($300k, spent in 2025) + the fee.
    # Cancelling saves the unspent $300k of capex and loses 200 t x $500 of cheaper output: it pays
    # exactly when the fee is below $200k: $3.45M with $150k; with $250k the plant is kept ($3.5M).
    t = base()
    t["projects"] = [_committed(cancellation_cost=fee)]
    sol = solve_tables(t)
    b = sol.builds.set_index("project")
    c = sol.table("existing_plants").set_index("project")
    k = sol.kpis.set_index("kpi")
    if cancelled:
        assert cost(sol) == pytest.approx(3_450_000)
        assert component(sol, "capex_sunk") == pytest.approx(300_000)  # the sunk half: the unspent half is saved
        assert component(sol, "capex") == pytest.approx(0)
        assert component(sol, "cancellation") == pytest.approx(150_000)
        assert output(sol, "C") == {}
        assert b.loc["C", "decision"] == "cancelled" and b.loc["C", "units"] == 0
        assert c.loc["C", "decision"] == "cancelled"
        assert c.loc["C", "capex_sunk_usd"] == pytest.approx(300_000)
        assert c.loc["C", "capex_saved_usd"] == pytest.approx(300_000)
        assert c.loc["C", "idle_t"] == pytest.approx(200)
        assert k.loc["committed_plants_cancelled", "value"] == 1
        assert "(C)" in k.loc["committed_plants_cancelled", "note"]
        assert set(_states(sol, "C").values()) == {"cancelled"}
    else:
        assert cost(sol) == pytest.approx(3_500_000)
        assert output(sol, "C") == pytest.approx({2027: 100, 2028: 100})
        assert b.loc["C", "decision"] == "committed"
        assert k.loc["committed_plants_cancelled", "value"] == 0


@pytest.mark.parametrize("fee, cancelled", [(100_000, True), (120_000, False)])
def test_a_cancelled_plant_keeps_the_grant_for_the_capex_spent_and_no_48c(fee: float, cancelled: bool) -> None:
    # With a $100k grant (annualised like capex: $50k a year) and a $40k allocated 48C credit ($20k a year):
    # kept: $3.5M - $100k - $40k = $3.36M; cancelled: the grant for the half spent ($50k) stays, the 48C credit
    # is never claimed: $3.3M + fee - $50k. Cancelling pays below a fee of $110k.
    t = base()
    t["projects"] = [_committed(cancellation_cost=fee, grant=100_000, credit_48c_awarded=40_000)]
    sol = solve_tables(t)
    if cancelled:
        assert cost(sol) == pytest.approx(3_250_000 + fee)
        assert component(sol, "grants") == pytest.approx(-50_000)
        assert component(sol, "credit_48c") == pytest.approx(0.0, abs=1e-6)
        assert sol.table("existing_plants").set_index("project").loc["C", "public_support_usd"] == pytest.approx(50_000)
    else:
        assert cost(sol) == pytest.approx(3_360_000)
        assert component(sol, "grants") == pytest.approx(-100_000)
        assert component(sol, "credit_48c") == pytest.approx(-40_000)


def test_an_offtake_lapses_with_a_cancelled_plant() -> None:
    # the cancellation of the first test ($150k fee) with an agreement of 80 t/yr: it lapses, no shortfall
    t = base()
    t["projects"] = [_committed(cancellation_cost=150_000)]
    t["offtakes"] = [{"offtake": "OT", "project": "C", "buyer_region": "OH", "min_t": 80}]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(3_450_000)
    o = sol.table("offtakes")
    assert o["minimum_t"].sum() == pytest.approx(0.0, abs=1e-9) and o["shortfall_t"].sum() == pytest.approx(0.0)


# --------------------------------------------------------------------------------------------
# early retirement
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fee, retired", [(50_000, True), (250_000, False)])
def test_early_retirement_saves_the_fixed_om_of_the_remaining_years(fee: float, retired: bool) -> None:
    # fixed O&M $200k/yr; no demand in 2028. Kept: 3 x $200k + 200 t x $1,000 = $800k. Retired from 2028:
    # $400k + $200k + the fee: $650k with $50k; with $250k retiring costs $850k, so the plant is kept.
    t = base()
    _demand(t, {2026: 100, 2027: 100})
    t["projects"] = [_existing(fixed_om_per_unit=200_000, early_retirement=True, retirement_cost=fee)]
    sol = solve_tables(t)
    b = sol.builds.set_index("project")
    if retired:
        assert cost(sol) == pytest.approx(650_000)
        assert component(sol, "retirement") == pytest.approx(50_000)
        assert _states(sol, "E")[2028] == "retired early"
        assert b.loc["E", "retire_year"] == 2028
        assert sol.kpis.set_index("kpi").loc["plants_retired_early", "value"] == 1
    else:
        assert cost(sol) == pytest.approx(800_000)
        assert b.loc["E", "retire_year"] == 2040


def test_retirement_is_for_good_so_a_gap_year_is_mothballed_instead() -> None:
    # demand 2026 and 2028, none in 2027; all fixed O&M avoidable, no restart or retirement cost. Retiring in
    # 2027 would lose 2028's output ($900k of savings); mothballing 2027 saves its $200k: 2 x ($200k + $100k)
    # = $600k, nothing retired.
    t = base()
    _demand(t, {2026: 100, 2027: 0, 2028: 100})
    t["projects"] = [_existing(fixed_om_per_unit=200_000, early_retirement=True, fixed_om_avoidable=1.0)]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(600_000)
    assert _states(sol, "E") == {2026: "operating", 2027: "mothballed", 2028: "operating"}


def test_a_plant_that_may_be_cancelled_or_retired_is_not_both() -> None:
    # the cancellable plant of the first test, which may also retire early at no cost: cancelling (fee $150k)
    # still wins ($3.45M); retiring from 2027 would keep the sunk and the unspent capex ($3.0M + $600k)
    t = base()
    t["projects"] = [_committed(cancellation_cost=150_000, early_retirement=True)]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(3_450_000)
    assert sol.table("existing_plants").set_index("project").loc["C", "decision"] == "cancelled"
    assert component(sol, "fixed_om") == pytest.approx(0.0, abs=1e-6)


def test_operating_decisions_a_plant_cannot_take_are_warned_about() -> None:
    t = base()
    t["projects"] = [plant("P", cancellable=True, fixed_om_avoidable=0.5),  # row 2: a candidate
                     _existing("E", cancellable=True),  # row 3: existing plants are not cancelled
                     plant("C", status="committed", earliest_start=2020, lifetime=20, cancellable=True)]  # row 4
    inst = instance_of(t)
    warned = {(w.row, w.field) for w in inst.warnings if w.sheet == "projects"}
    assert {(2, "cancellable"), (2, "fixed_om_avoidable"), (3, "cancellable"), (4, "cancellable")} <= warned
    t["projects"] = [_existing(fixed_om_avoidable=1.5)]  # row 2: a share above 1
    with pytest.raises(InstanceError) as e:
        instance_of(t)
    assert any(i.row == 2 and i.field == "fixed_om_avoidable" and i.column for i in e.value.errors)


# --------------------------------------------------------------------------------------------
# a plan's cancellations and retirements are part of the plan (regret)
# --------------------------------------------------------------------------------------------


def test_a_plans_cancellations_and_retirements_are_held_under_another_case() -> None:
    # The existing plant E (no fixed O&M, $1,000/t) serves OH: 300 t x $1,000 = $300k; the committed C ($9,500/t)
    # is then worthless. Case cheap: cancelling C costs $150k against the $300k of capex it saves: cancelled,
    # $300k + sunk $300k + $150k. Case costly: $350k, so its own plan keeps C idle ($300k + $600k of capex);
    # cheap's plan, with C cancelled, costs $300k + $300k + $350k there. Case firm: C may not be cancelled and
    # E not retired early: a plan doing either cannot be carried out, and the problems say why.
    from planner.cases import apply_case
    from planner.compare.compare import plan_of
    from planner.errors import SolveError
    from planner.explain.hard_targets import solve_case_explained as solve_case
    from planner.instance.records import FixedPlan
    from planner.model.build import plan_problems
    from planner.solve.presets import merge_options

    t = base()
    t["projects"] = [_committed(cancellation_cost=150_000), _existing("E", fixed_om_per_unit=0, early_retirement=True)]
    t["policy"] = [{"parameter": "x45_rate", "cheap": 0, "costly": 0, "firm": 0}]
    t["overrides"] = [
        {"case": "costly", "sheet": "projects", "filter": "project=C", "column": "cancellation_cost",
         "operation": "set", "value": 350_000},
        {"case": "firm", "sheet": "projects", "filter": "project=C", "column": "cancellable", "operation": "set",
         "value": False},
        {"case": "firm", "sheet": "projects", "filter": "project=E", "column": "early_retirement",
         "operation": "set", "value": False},
    ]
    inst = instance_of(t)
    opts = merge_options("exact")
    cheap = solve_case(inst, "cheap", options=opts)
    assert cost(cheap) == pytest.approx(300_000 + 150_000 + 300_000)
    plan = plan_of(cheap)
    assert plan.cancelled == frozenset({"C"}) and plan.retired == {}
    assert cost(solve_case(inst, "costly", options=opts)) == pytest.approx(300_000 + 600_000)  # C kept, idle
    under_costly = solve_case(inst, "costly", options=opts, plan=plan)
    assert cost(under_costly) == pytest.approx(300_000 + 350_000 + 300_000)
    assert set(under_costly.builds.loc[under_costly.builds["decision"] == "cancelled", "project"]) == {"C"}
    retiring = FixedPlan("other", {}, cancelled=frozenset({"C"}), retired={"E": 2027})
    assert plan_problems(apply_case(inst, "firm"), retiring) == [
        "the plan cancels project C, which this case does not let the plan cancel: it is not cancellable",
        "the plan retires project E early (from 2027), which this case does not allow",
    ]
    with pytest.raises(SolveError, match="does not let the plan cancel"):
        solve_case(inst, "firm", options=opts, plan=plan)
    # held retirement: E retired from 2027 under cheap: 2026 from E ($100k), 2027-28 imported ($2.0M)
    sol = solve_case(inst, "cheap", options=opts, plan=retiring)
    assert cost(sol) == pytest.approx(300_000 + 150_000 + 100_000 + 2_000_000)
    assert sol.builds.set_index("project").loc["E", "retire_year"] == 2027


def test_the_summary_sheet_says_which_committed_plants_the_plan_cancels(tmp_path: Any) -> None:
    from openpyxl import load_workbook

    from helpers import sheet_texts
    from planner.export.results import write_results

    t = base()
    t["projects"] = [_committed(cancellation_cost=150_000, name="Example cathode plant")]
    sol = solve_tables(t)
    wb = load_workbook(write_results(sol, tmp_path / "r.xlsx"))
    text = sheet_texts(wb["summary"])
    assert "Committed plants cancelled" in text
    assert any("cancel" in s and "Example cathode plant (C)" in s for s in text)
    assert "cancelled" in text  # the plant's line in the list of plants
    for name in ("operations", "existing_plants", "offtakes"):
        assert name in wb.sheetnames
    back = {c.value for c in wb["existing_plants"][4] if c.value}
    assert any(str(v).startswith("capex saved") for v in back)
