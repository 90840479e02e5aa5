"""Candidates that cannot be qualified within the horizon (no start year left): never built, never a crash.

Common base as in tests/test_families.py (`factories.base`): years 2026-2028, 100 t/yr of CAM1 in OH,
backstop imports at $10,000/t: doing nothing costs $3.0M; the standard plant P (0 construction, 0
qualification) costs $100k annuity + 100 t x $1,000 = $200k a year, $600k over the horizon.
A candidate with 1 year of construction and 4 of qualification starting in 2026 at the earliest is
qualified in 2031 > 2028: it has no start year in this horizon. Such a candidate must leave the
optimum exactly as it is without it, and the workbook's warnings must name it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from factories import base, plant, policy
from helpers import built, cost, instance_of, solve_tables
from planner.cases import apply_case
from planner.cli.app import run
from planner.export.instance_xlsx import write_instance
from planner.model.build import build_model, count_model


def late(pid: str = "LATE", **kw: Any) -> dict[str, Any]:
    """A candidate qualified in 2031 at the earliest (start 2026 + 1 construction + 4 qualification)."""
    return plant(pid, construction_years=1, qualification_years=4, **kw)


def warnings_naming(tables: dict[str, Any], pid: str) -> list[str]:
    return [i.message for i in instance_of(tables).warnings if pid in i.message.split()]


def fields_blamed(tables: dict[str, Any], pid: str) -> list[tuple[str | None, str | None]]:
    return [(i.sheet, i.field) for i in instance_of(tables).warnings if pid in i.message.split()]


def test_the_only_candidate_cannot_qualify_and_is_left_out() -> None:
    # the one candidate can never deliver: the plan is the backstop ($3.0M), even with a grant, a 48C
    # credit and a capex budget that would each look at the candidate.
    t = base()
    t["projects"] = [late(grant=150_000, eligible_48c=True)]
    t["policy"] = policy(case={"grant_pool": 100_000, "x48c_rate": 0.3, "x48c_budget": 1_000_000,
                               "capex_budget_total": 1_000_000, "capex_budget@2026": 500_000})
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(3_000_000)
    assert built(sol) == {}
    msgs = warnings_naming(t, "LATE")
    assert len(msgs) == 1
    assert "2031 > 2028" in msgs[0] and "left out" in msgs[0]
    assert fields_blamed(t, "LATE") == [("projects", "earliest_start")]


def test_all_candidates_unqualifiable_beside_an_existing_plant() -> None:
    # an existing plant E (50 t/yr at $1,000/t, no capex) and two candidates that cannot qualify, one in a
    # region of its own (MI): 3 x (50 x $1,000 + 50 x $10,000) = $1.65M, as without the candidates.
    t = base()
    t["regions"].append({"region": "MI", "domestic": True})
    t["transport"].append({"from_region": "MI", "to_region": "OH", "cost_per_t": 0, "both_ways": False})
    existing = plant("E", status="existing", earliest_start=2020, capacity_per_unit=50, capex_per_unit=0,
                     lifetime=20)
    t["projects"] = [existing]
    alone = cost(solve_tables(t))
    assert alone == pytest.approx(1_650_000)
    t["projects"] = [existing, late("L1", exclusive_group="G"), late("L2", site="MI", exclusive_group="G")]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(alone)
    assert built(sol) == {}
    ci = apply_case(instance_of(t), None)
    m = build_model(ci)
    assert not hasattr(m, "b_build") and not hasattr(m, "v_units")
    assert set(m.v_site) == {"OH"}  # MI holds no plant the plan could build
    assert count_model(ci)["integer_variables"] == 0
    assert {w for p in ("L1", "L2") for w in warnings_naming(t, p)}


@pytest.mark.parametrize("other", [
    {"site": "MI"},  # the only plant of its region (sites)
    {"exclusive_group": "G"},  # in an exclusive group with P
])
def test_an_unqualifiable_candidate_changes_nothing(other: dict[str, Any]) -> None:
    t = base()
    t["regions"].append({"region": "MI", "domestic": True})
    t["transport"].append({"from_region": "MI", "to_region": "OH", "cost_per_t": 0, "both_ways": False})
    t["projects"] = [plant("P", exclusive_group="G")]
    without = solve_tables(t)
    assert cost(without) == pytest.approx(600_000)
    t["projects"].append(late(**other))
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(cost(without))
    assert built(sol) == {"P": (1, 2026)}


def test_a_jv_variant_that_cannot_qualify_is_left_out() -> None:
    # P qualifies at once ($600k); its JV J would need 4 qualification years (first qualified 2030 > 2028).
    t = base()
    t["projects"] = [plant("P")]
    t["joint_ventures"] = [{"jv": "J", "project": "P", "partner": "OEM", "partner_region": "OH",
                            "equity_share": 0.4, "qualification_years": 4}]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(600_000)
    assert built(sol) == {"P": (1, 2026)}
    msgs = warnings_naming(t, "J")
    assert len(msgs) == 1 and "2030 > 2028" in msgs[0]
    assert fields_blamed(t, "J") == [("joint_ventures", "qualification_years")]
    assert not warnings_naming(t, "P")


def test_a_jv_variant_can_qualify_where_its_project_cannot() -> None:
    # LATE alone never qualifies; its JV with an incumbent (0 qualification years) is online 2027, qualified
    # 2027: 2026 imported ($1.0M), then 2 x ($100k annuity + $100k output) = $1.4M (test_lead_time).
    t = base()
    t["projects"] = [late()]
    t["joint_ventures"] = [{"jv": "J", "project": "LATE", "partner": "Incumbent", "partner_region": "OH",
                            "equity_share": 0.2, "qualification_years": 0}]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(1_400_000)
    assert built(sol) == {"J": (1, 2026)}
    assert len(warnings_naming(t, "LATE")) == 1
    assert not warnings_naming(t, "J")


def test_a_latest_start_before_the_horizon_leaves_the_candidate_out() -> None:
    # P could have started in 2020-2024 only; the horizon begins in 2026: backstop $3.0M.
    t = base()
    t["projects"] = [plant("P", earliest_start=2020, latest_start=2024)]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(3_000_000)
    assert built(sol) == {}
    msgs = warnings_naming(t, "P")
    assert len(msgs) == 1 and "2024" in msgs[0] and "2026" in msgs[0] and "left out" in msgs[0]
    assert fields_blamed(t, "P") == [("projects", "latest_start")]


def test_a_case_that_makes_the_only_candidate_unqualifiable_solves() -> None:
    # the base case builds P ($600k); case 'slow' gives it 4 qualification years: the backstop, $3.0M.
    t = base()
    t["projects"] = [plant("P"), late()]  # LATE is left out in every case: warned about once
    t["policy"] = policy(case={"x45_rate": 0.0}, slow={"x45_rate": 0.0})
    t["overrides"] = [{"case": "slow", "sheet": "projects", "filter": "project=P", "column": "qualification_years",
                       "operation": "set", "value": 4}]
    assert cost(solve_tables(t, "case")) == pytest.approx(600_000)
    sol = solve_tables(t, "slow")
    assert cost(sol) == pytest.approx(3_000_000)
    assert built(sol) == {}
    msgs = warnings_naming(t, "P")
    assert len(msgs) == 1 and "slow" in msgs[0] and "2030 > 2028" in msgs[0]
    assert len(warnings_naming(t, "LATE")) == 1


def test_alternatives_when_nothing_can_be_built(tmp_path: Path) -> None:
    # no plant can ever deliver: the optimum and every alternative are the backstop (no output at all);
    # `planner alternatives` must write its workbook, not fail on the empty production table.
    t = base()
    t["projects"] = [late()]
    src = write_instance(t, tmp_path / "late.xlsx")
    out = tmp_path / "alt.xlsx"
    code = run(["alternatives", str(src), "--slack", "0", "--count", "1", "--objectives", "states,us_made",
                "--jobs", "1", "--preset", "exact", "-o", str(out)])
    assert code == 0
    rows = list(openpyxl.load_workbook(out)["alternatives"].iter_rows(values_only=True))
    top = next(i for i, r in enumerate(rows) if r[0] == "alternative")  # names, then labels, then the plans
    col = rows[top].index("us_made_t")
    plans = rows[top + 2:]
    assert plans[0][0] == "optimum" and len(plans) >= 5
    assert all(r[col] == 0 for r in plans)
    assert all(r[rows[top].index("total_cost_usd")] == pytest.approx(3.0) for r in plans)  # $M


def test_alternatives_without_any_project(tmp_path: Path) -> None:
    # an instance with no projects at all (imports only): the projects table has no columns, and
    # `planner alternatives` must still write its workbook (it stopped with an internal KeyError 'status')
    t = base()
    t["projects"] = []
    src = write_instance(t, tmp_path / "none.xlsx")
    out = tmp_path / "alt.xlsx"
    code = run(["alternatives", str(src), "--slack", "0", "--count", "1", "--objectives", "states",
                "--jobs", "1", "--preset", "exact", "-o", str(out)])
    assert code == 0
    book = openpyxl.load_workbook(out)
    rows = list(book["alternatives"].iter_rows(values_only=True))
    top = next(i for i, r in enumerate(rows) if r[0] == "alternative")
    assert all(r[rows[top].index("total_cost_usd")] == pytest.approx(3.0) for r in rows[top + 2:])  # imports only, $M
