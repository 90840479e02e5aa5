"""The feasibility frontier (issue 13): for a target or a demand a plan misses, the earliest year from which
it can be met in every later year, whatever the cost. Tiny instances, years and costs derived by hand,
real HiGHS solves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from factories import Tables, base, plant, policy
from helpers import instance_of
from planner.cli.app import app
from planner.explore.frontier import BY_CHOICE, NEVER, NOT_BEFORE, frontier, with_frontier, year_ranges
from planner.export.instance_xlsx import write_instance
from planner.results.headline import frontier_line
from planner.run import solve_case
from planner.solve.presets import merge_options

OPTS = merge_options("exact")
YEARS = range(2026, 2032)


def lead_time(**target_years: Any) -> Tables:
    """Years 2026-2031, 100 t/yr of CAM1 in OH (domestic); imports K1 from Asia (neither domestic nor FTA: never
    qualifying) at $10,000/t; one domestic candidate plant P, 100 t/yr at $1,000/t, earliest start 2026, two years
    of construction and one of qualification: online 2028, first qualified tonne 2029. A 50% CAM target every year
    (or in the years given as 'localization_target@YEAR'). Only P qualifies, so the target cannot be met before
    2029: 2026 + 2 + 1."""
    t = base(last_year=2031)
    t["material_demand"] = [{"region": "OH", "year": y, "commodity": "CAM1", "tonnes": 100} for y in YEARS]
    t["projects"] = [plant(construction_years=2, qualification_years=1, lifetime=20)]
    t["policy"] = policy(case=target_years or {"localization_target": 0.5})
    return t


def test_lead_time_makes_the_target_unmeetable_before_the_first_qualified_tonne() -> None:
    inst = instance_of(lead_time())
    sol = solve_case(inst, "case", options=OPTS)
    loc = sol.localization.set_index("year")
    assert [y for y in YEARS if loc.loc[y, "shortfall_t"] > 1] == [2026, 2027, 2028]  # the plan misses them
    fr = frontier(inst, sol, options=OPTS)
    assert len(fr) == 1
    r = fr.iloc[0]
    assert (r["kind"], r["group"], r["years_missed"]) == ("localization target", "CAM", "2026–2028")
    assert r["earliest_year"] == 2029 and r["missed_because"] == NOT_BEFORE
    assert r["missed_t"] == pytest.approx(150.0)  # 50 t in each of the three years
    assert r["extra_cost_usd"] == pytest.approx(0.0, abs=1.0)  # the plan itself meets it from 2029
    assert r["solves"] == 2  # 2027 and 2028 probed, both infeasible; 2029 is the plan's own
    assert "cannot be met before 2029" in r["verdict"]
    out = with_frontier(sol, fr)
    assert "frontier" in out.extra and "frontier" in out.descriptions
    assert "cannot be met before: CAM localization target 2029" in frontier_line(out)


def test_the_reported_year_is_feasible_with_hard_targets_and_the_year_before_is_not() -> None:
    """The invariant, checked without the frontier's own code: the case with its target only from the reported
    year on, as a hard constraint, has a plan; with the target from the year before, it has none."""
    sol = solve_case(instance_of(lead_time()), "case", options=OPTS)
    year = int(frontier(instance_of(lead_time()), sol, options=OPTS).iloc[0]["earliest_year"])
    assert year == 2029
    from_year = solve_case(instance_of(lead_time(**{f"localization_target@{y}": 0.5 for y in YEARS if y >= year})),
                           "case", options=OPTS, hard_targets=True)
    assert from_year.has_plan and from_year.status["termination"] == "optimal"
    before = solve_case(instance_of(lead_time(**{f"localization_target@{y}": 0.5 for y in YEARS if y >= year - 1})),
                        "case", options=OPTS, hard_targets=True)
    assert not before.has_plan and before.status["termination"] == "infeasible"


def test_a_target_missed_by_choice_is_met_from_the_first_year_at_a_cost_derived_by_hand() -> None:
    """Years 2026-2028, 100 t/yr; an existing domestic plant E at $100,000/t, imports at $10,000/t, a 50% target,
    the shortfall at $50,000/t. The plan imports all and pays the penalty: 100 x 10k + 50 x 50k = $3.5M a year,
    $10.5M. Meeting the target: 50 x 100k + 50 x 10k = $5.5M a year, $16.5M: $6.0M more (discount rate 0)."""
    t = base()
    t["projects"] = [plant("E", status="existing", earliest_start=2020, capex_per_unit=0, variable_cost=100_000,
                           lifetime=20)]
    t["policy"] = policy(case={"localization_target": 0.5})
    inst = instance_of(t)
    sol = solve_case(inst, "case", options=OPTS)
    assert sol.status["objective_usd"] == pytest.approx(10.5e6, rel=1e-6)
    r = frontier(inst, sol, options=OPTS).iloc[0]
    assert r["earliest_year"] == 2026 and r["missed_because"] == BY_CHOICE
    assert r["cost_usd"] == pytest.approx(16.5e6, rel=1e-6)
    assert r["extra_cost_usd"] == pytest.approx(6.0e6, rel=1e-6)
    assert "by choice" in r["verdict"] and "$6.0M more" in r["verdict"]


def test_a_target_no_plant_can_reach_in_the_horizon_is_never_met() -> None:
    """Years 2026-2028, no plant at all: only imports from Asia, which never qualify, so no year of the horizon can
    be met."""
    t = base()
    t["policy"] = policy(case={"localization_target": 0.5})
    inst = instance_of(t)
    sol = solve_case(inst, "case", options=OPTS)
    r = frontier(inst, sol, options=OPTS).iloc[0]
    assert r["missed_because"] == NEVER and r["earliest_year"] is None
    assert r["cost_usd"] is None and r["solves"] == 2  # 2027 and 2028 probed, both infeasible
    assert "cannot be met within the horizon" in r["verdict"]


def ban_tables() -> Tables:
    """Years 2026-2029, 100 t/yr of CAM1 in OH; the only import, K1, comes from China (FEOC), banned from 2027;
    a domestic plant, one year of construction and one of qualification: first qualified tonne 2028 (start 2026).
    Unmet demand costs $1M/t, so the plan builds the plant at once: 2027 is unmet, 2028 on is met."""
    t = base(last_year=2029)
    t["regions"] = [{"region": "OH", "domestic": True}, {"region": "China", "feoc": True}]
    t["contracts"] = [{"contract": "K1", "origin": "China", "commodity": "CAM1", "price": 10_000}]
    t["transport"] = [{"from_region": "China", "to_region": "OH", "cost_per_t": 0, "both_ways": False}]
    t["material_demand"] = [{"region": "OH", "year": y, "commodity": "CAM1", "tonnes": 100} for y in range(2026, 2030)]
    t["projects"] = [plant(construction_years=1, qualification_years=1, lifetime=20)]
    t["policy"] = policy(case={f"feoc_imports_allowed@{y}": False for y in (2027, 2028, 2029)})
    return t


def test_demand_under_an_import_ban_is_met_from_the_plants_first_qualified_year() -> None:
    inst = instance_of(ban_tables())
    sol = solve_case(inst, "case", options=OPTS)
    unmet = sol.unmet.groupby("year")["tonnes"].sum()
    assert unmet.to_dict() == pytest.approx({2027: 100.0})
    r = frontier(inst, sol, options=OPTS).iloc[0]
    assert (r["kind"], r["group"], r["years_missed"]) == ("demand", "CAM1", "2027")
    assert r["earliest_year"] == 2028 and r["missed_because"] == NOT_BEFORE
    assert r["solves"] == 1  # 2027 probed (infeasible); 2028 is the plan's own


def test_a_plan_that_meets_everything_has_no_frontier() -> None:
    t = lead_time(**{f"localization_target@{y}": 0.5 for y in YEARS if y >= 2029})
    inst = instance_of(t)
    sol = solve_case(inst, "case", options=OPTS)
    assert sol.localization["shortfall_t"].max() < 1e-6 and sol.unmet.empty
    fr = frontier(inst, sol, options=OPTS)
    assert fr.empty
    assert with_frontier(sol, fr) is sol and frontier_line(sol) == ""


def test_year_ranges() -> None:
    assert year_ranges([2027, 2028, 2029, 2030, 2033]) == "2027–2030, 2033"
    assert year_ranges([2031]) == "2031" and year_ranges([]) == ""


def test_planner_solve_reports_the_frontier_and_no_frontier_skips_it(tmp_path: Path) -> None:
    wb = write_instance(lead_time(), tmp_path / "lead.xlsx")
    runner = CliRunner()
    out = tmp_path / "with.xlsx"
    r = runner.invoke(app, ["solve", str(wb), "-o", str(out), "--preset", "exact", "--tables",
                            str(tmp_path / "tables")])
    said = " ".join(r.output.split())
    assert r.exit_code == 0, said
    assert "--no-frontier skips this" in said and "cannot be met before 2029" in said
    book = openpyxl.load_workbook(out)
    assert "frontier" in book.sheetnames
    texts = [c for row in book["decision"].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any("cannot be met before: CAM localization target 2029" in s for s in texts)
    summary = [c for row in book["summary"].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any("cannot be met before: CAM localization target 2029" in s for s in summary)
    assert (tmp_path / "tables" / "frontier.csv").exists()
    skipped = tmp_path / "without.xlsx"
    r = runner.invoke(app, ["solve", str(wb), "-o", str(skipped), "--preset", "exact", "--no-frontier"])
    assert r.exit_code == 0 and "frontier" not in " ".join(r.output.split()).lower()
    assert "frontier" not in openpyxl.load_workbook(skipped).sheetnames


def test_planner_compare_with_frontier_writes_each_cases_frontier(tmp_path: Path) -> None:
    # two cases: 'target' misses its 50% target before 2029 (lead time, as above), 'none' has no target; with
    # --frontier the first case's own workbook gets its frontier sheet and decision line, the other none
    t = lead_time()
    t["policy"] = policy(target={"localization_target": 0.5}, none={"localization_target": 0.0})
    wb = write_instance(t, tmp_path / "two.xlsx")
    out = tmp_path / "cmp.xlsx"
    r = CliRunner().invoke(app, ["compare", str(wb), "-o", str(out), "--preset", "exact", "-j", "1", "--frontier"])
    said = " ".join(r.output.split())
    assert r.exit_code == 0, said
    assert "The plan of case 'target' misses" in said and "Without --frontier it is not looked for." in said
    with_target = openpyxl.load_workbook(tmp_path / "two-target-results.xlsx")
    assert "frontier" in with_target.sheetnames
    texts = [c for row in with_target["decision"].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any("cannot be met before: CAM localization target 2029" in s for s in texts)
    assert "frontier" not in openpyxl.load_workbook(tmp_path / "two-none-results.xlsx").sheetnames
    plain = tmp_path / "plain"
    plain.mkdir()
    r = CliRunner().invoke(app, ["compare", str(wb), "-o", str(plain / "cmp.xlsx"), "--preset", "exact", "-j", "1"])
    assert r.exit_code == 0 and "frontier" not in openpyxl.load_workbook(plain / "two-target-results.xlsx").sheetnames
