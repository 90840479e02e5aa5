"""A plan fixed from one case and evaluated under another (regret): every rule such a plan can break is
named in words before anything is solved (`planner.model.build.plan_problems`), never reported as
"HiGHS found no plan".

Tables: the family-test base (tests/factories.py): 100 t/yr of CAM1 in OH for 2026-2028, imports at
$10,000/t, a standard candidate plant P of 100 t/yr costing $300k.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from factories import base, plant, policy
from helpers import Tables, cost, instance_of, sheet_texts
from planner.cases import apply_case
from planner.errors import SolveError
from planner.instance.records import FixedPlan
from planner.model.build import plan_problems
from planner.explain.hard_targets import solve_case_explained as solve_case  # with the hard-target explanation
from planner.solve.presets import merge_options

OPTS = merge_options("exact")


def problems(t: Tables, case: str | None, units: dict[tuple[str, int], int], signed: frozenset[str] = frozenset()
             ) -> list[str]:
    """The reasons `plan_problems` gives; each is also the SolveError of solving the plan under the case."""
    inst = instance_of(t)
    plan = FixedPlan(source_case="other", units=units, signed=signed)
    out = plan_problems(apply_case(inst, case), plan)
    if out:
        with pytest.raises(SolveError) as err:
            solve_case(inst, case, options=OPTS, plan=plan)
        assert all(p in str(err.value) for p in out)
        assert "cannot be carried out" in str(err.value)
    return out


def with_budgets(**params: Any) -> Tables:
    t = base()
    t["projects"] = [plant()]
    t["policy"] = policy(case=params)
    return t


def test_a_plan_within_the_rules_has_no_problems_and_solves() -> None:
    # P started in 2026 under a $300k budget: $100k annuity + $100k output per year = $600k
    t = with_budgets(**{"capex_budget@2026": 300_000, "capex_budget_total": 300_000})
    assert problems(t, None, {("P", 2026): 1}) == []
    sol = solve_case(instance_of(t), None, options=OPTS, plan=FixedPlan("other", {("P", 2026): 1}))
    assert cost(sol) == pytest.approx(600_000)


def test_yearly_capex_budget() -> None:
    # the plan spends P's $300k in 2026; the case allows $100k that year
    t = with_budgets(**{"capex_budget@2026": 100_000})
    assert problems(t, None, {("P", 2026): 1}) == [
        "the plan's capex $0.3M in 2026 exceeds the case's 2026 capex budget $0.1M"]


def test_yearly_capex_budget_counts_spending_over_the_construction_years() -> None:
    # 2 construction years: $150k in 2026 and in 2027, against $100k in 2027 (2026 unlimited)
    t = with_budgets(**{"capex_budget@2027": 100_000})
    t["projects"] = [plant(construction_years=2, lifetime=10)]
    assert problems(t, None, {("P", 2026): 1}) == [
        "the plan's capex $0.15M in 2027 exceeds the case's 2027 capex budget $0.10M"]


def test_total_capex_budget_counts_the_planners_share() -> None:
    # two units of $300k = $600k against $500k in total; a JV variant J (partner pays 40%) of the same two
    # units is $360k for the planner: within the budget
    t = with_budgets(capex_budget_total=500_000)
    t["projects"] = [plant(units_max=2)]
    t["regions"].append({"region": "MI", "domestic": True})
    t["transport"].append({"from_region": "OH", "to_region": "MI", "cost_per_t": 0, "both_ways": True})
    t["joint_ventures"] = [{"jv": "J", "project": "P", "partner": "OEM", "partner_region": "MI",
                            "equity_share": 0.4}]
    assert problems(t, None, {("P", 2026): 2}) == [
        "the plan's capex $0.6M exceeds the case's total capex budget $0.5M"]
    assert problems(t, None, {("J", 2026): 2}) == []


def test_units_above_the_cases_maximum() -> None:
    t = base()
    t["projects"] = [plant(units_max=2)]
    assert problems(t, None, {("P", 2026): 2, ("P", 2027): 1}) == [
        "the plan builds 3 units of project P; this case allows at most 2"]


@pytest.mark.parametrize("kw, start, reason", [
    ({"earliest_start": 2027}, 2026, "its earliest start is 2027"),
    ({"latest_start": 2026}, 2027, "its latest start is 2026"),
    ({"qualification_years": 1}, 2028, "it would be qualified only in 2029, after the horizon ends in 2028"),
    ({"earliest_start": 2020}, 2025, "the horizon is 2026–2028"),
])
def test_start_year_outside_the_cases_window(kw: dict[str, Any], start: int, reason: str) -> None:
    t = base()
    t["projects"] = [plant(**kw)]
    assert problems(t, None, {("P", start): 1}) == [f"project P cannot start in {start} in this case: {reason}"]


def test_project_or_contract_missing_in_the_case() -> None:
    t = base()
    assert problems(t, None, {("X", 2026): 1}, frozenset({"K9"})) == [
        "project X does not exist in this case", "contract K9 does not exist in this case"]


def test_exclusive_group_and_jv_variants() -> None:
    t = base()
    t["projects"] = [plant("A", exclusive_group="site"), plant("B", exclusive_group="site"), plant("C")]
    t["joint_ventures"] = [{"jv": "CJ", "project": "C", "partner": "OEM", "partner_region": "OH",
                            "equity_share": 0.5}]
    assert problems(t, None, {("A", 2026): 1, ("B", 2027): 1}) == [
        "the plan builds A and B, which exclude each other (exclusive group 'site')"]
    assert problems(t, None, {("C", 2026): 1, ("CJ", 2026): 1}) == [
        "the plan builds C and CJ, which exclude each other (C and its JV variants are alternatives for one site)"]


def test_exclusive_group_holding_an_existing_plant() -> None:
    # in case `brownfield` an override makes A an existing plant: the group is taken, B cannot be built
    t = base()
    t["projects"] = [plant("A", exclusive_group="site"), plant("B", exclusive_group="site")]
    t["policy"] = policy(greenfield={"x45_rate": 0.0}, brownfield={"x45_rate": 0.0})
    t["overrides"] = [{"case": "brownfield", "sheet": "projects", "filter": "project=A", "column": "status",
                       "operation": "set", "value": "existing"}]
    assert problems(t, "greenfield", {("B", 2026): 1}) == []
    assert problems(t, "brownfield", {("B", 2026): 1}) == [
        "the plan builds B in exclusive group 'site', which already holds the existing plant A in this case"]


def test_a_plan_missing_hard_targets_is_explained(tmp_path: Path) -> None:
    # a 50% CAM target that only P can serve, hard: the plan without P misses it by 50 t a year
    t = base()
    t["projects"] = [plant()]
    t["policy"] = policy(case={"localization_target": 0.5})
    sol = solve_case(instance_of(t), None, options=OPTS, hard_targets=True, plan=FixedPlan("other", {}))
    assert not sol.has_plan
    text = "\n".join(sol.messages)
    assert "The plan of case 'other' cannot meet the hard localization targets of case 'case'" in text
    assert "CAM 2026: needs 50 t of qualifying supply, the plan gives 0 t (short by 50 t)" in text
    assert "please report" not in text


def test_regret_names_the_broken_budget(tmp_path: Path) -> None:
    # case `free` builds P in 2026 ($300k; $600k in all, against $3.0M of imports); case `tight` allows
    # $100k of capex a year, so it builds nothing: its regret cell for free's plan cannot be computed,
    # and says why
    from planner.compare.session import run_comparison
    from planner.export.instance_xlsx import write_instance

    t = base()
    t["projects"] = [plant()]
    t["policy"] = policy(free={"x45_rate": 0.0},
                         tight={"capex_budget": 100_000})
    path = write_instance(t, tmp_path / "budgets.xlsx")
    cmp = run_comparison(path, cases="free,tight", options=OPTS, regret=True)
    reg = cmp.regret
    assert reg is not None
    assert reg.cost.loc["tight", "free"] == pytest.approx(3_000_000)  # tight's plan (nothing) under free
    assert reg.cost.loc["free", "tight"] != reg.cost.loc["free", "tight"]  # NaN: cannot be carried out
    note = reg.notes[("free", "tight")]
    reason = "the plan's capex $0.3M in 2026 exceeds the case's 2026 capex budget $0.1M"
    assert reason in note
    assert "HiGHS" not in note and "please report" not in note
    # the comparison workbook's regret sheet gives the reason next to the cell
    from openpyxl import load_workbook

    from planner.export.comparison import write_comparison

    wb = load_workbook(write_comparison(cmp, tmp_path / "comparison.xlsx"))
    assert any(reason in text for text in sheet_texts(wb["regret"]))
