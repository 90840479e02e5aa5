"""Offtake agreements (sheet `offtakes`), each optimum derived by hand.

Common base (tests/factories.py `base`): years 2026-2028, r = 0, OH needs 100 t/yr of CAM1, the
import K1 from Asia costs $10,000/t with free freight. Here a second domestic region MI needs
100 t/yr too (Asia -> MI free, OH <-> MI $50/t), so doing nothing costs 2 x 3 x 100 x $10,000 = $6.0M.
The committed plant C in OH (100 t/yr, qualified from 2026 with a ramp-up of 50%, then full) makes
CAM1 at $12,000/t: dearer than the import, so without an agreement it stays idle.
"""

from __future__ import annotations

from typing import Any

import pytest

from factories import base, plant
from helpers import component, cost, instance_of, output, solve_tables
from planner.errors import InstanceError


def _two_regions() -> dict[str, list[dict[str, Any]]]:
    t = base()
    t["regions"].append({"region": "MI", "domestic": True})
    t["material_demand"] += [{"region": "MI", "year": y, "commodity": "CAM1", "tonnes": 100} for y in (2026, 2027, 2028)]
    t["transport"] += [{"from_region": "OH", "to_region": "MI", "cost_per_t": 50, "both_ways": True},
                       {"from_region": "Asia", "to_region": "MI", "cost_per_t": 0, "both_ways": False}]
    t["projects"] = [plant("C", status="committed", earliest_start=2025, capex_per_unit=0, variable_cost=12_000,
                           qualification_years=1, ramp_up="0.5", lifetime=20)]
    return t


def _offtake(**kw: Any) -> dict[str, Any]:
    o = {"offtake": "OT", "project": "C", "buyer_region": "MI", "min_t": 80, "price": 11_000}
    o.update(kw)
    return o


def test_without_an_agreement_the_dear_committed_plant_idles() -> None:
    sol = solve_tables(_two_regions())
    assert cost(sol) == pytest.approx(6_000_000)
    assert output(sol, "C") == {}


def test_a_committed_plant_with_an_offtake_runs_at_its_minimum() -> None:
    # Minimum in force: 80 t x ramp-up: 40 t (2026), 80 t (2027), 80 t (2028) = 200 t. Each tonne taken costs
    # $12,000 + $50 freight OH -> MI instead of a $10,000 import: +$2,050/t, below the $20,000 default
    # penalty, so the buyer takes exactly the minimum: $6.0M + 200 x $2,050 = $6.41M.
    t = _two_regions()
    t["offtakes"] = [_offtake()]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(6_410_000)
    assert output(sol, "C") == pytest.approx({2026: 40, 2027: 80, 2028: 80})
    o = sol.table("offtakes").set_index("year")
    assert o["minimum_t"].to_dict() == pytest.approx({2026: 40, 2027: 80, 2028: 80})
    assert o["taken_t"].to_dict() == pytest.approx({2026: 40, 2027: 80, 2028: 80})
    assert o["shortfall_t"].sum() == pytest.approx(0.0, abs=1e-6)
    assert o["buyer_cost_usd"].sum() == pytest.approx(200 * 11_000)  # reported, not in the objective
    assert component(sol, "transport") == pytest.approx(200 * 50)
    # the minimum costs $2,050 per t at the margin (the dual of c_offtake_min)
    assert o["minimum_cost_usd_per_t"].to_dict() == pytest.approx({2026: 2_050, 2027: 2_050, 2028: 2_050})


@pytest.mark.parametrize("penalty, taken", [(2_000, False), (2_100, True)])
def test_the_shortfall_is_priced_and_chosen_exactly_when_cheaper(penalty: float, taken: bool) -> None:
    # taking a tonne costs +$2,050; a shortfall penalty of $2,000 is cheaper (shortfall 200 t: $6.4M),
    # one of $2,100 is not (take the minimum: $6.41M)
    t = _two_regions()
    t["offtakes"] = [_offtake(shortfall_penalty=penalty)]
    sol = solve_tables(t)
    o = sol.table("offtakes")
    if taken:
        assert cost(sol) == pytest.approx(6_410_000)
        assert o["shortfall_t"].sum() == pytest.approx(0.0, abs=1e-6)
    else:
        assert cost(sol) == pytest.approx(6_000_000 + 200 * 2_000)
        assert o["shortfall_t"].sum() == pytest.approx(200)
        assert output(sol, "C") == {}
        assert component(sol, "penalty_offtake") == pytest.approx(200 * 2_000)
        assert sol.kpi("penalties_usd") == pytest.approx(200 * 2_000)


def test_the_maximum_caps_the_agreement_not_the_trade() -> None:
    # A cheap plant ($1,000/t) and an agreement to MI capped at 30 t/yr: what the agreement carries never
    # exceeds 30 t; the rest of the plant's output is traded freely. Its 250 t (50 + 100 + 100) replace
    # imports in OH (no freight: each tonne saves $9,000), so MI is better served by imports and the
    # agreement, without a minimum, carries nothing: $6.0M - 250 x $9,000.
    t = _two_regions()
    t["projects"][0]["variable_cost"] = 1_000
    t["offtakes"] = [_offtake(min_t=0, max_t=30)]
    sol = solve_tables(t)
    assert output(sol, "C") == pytest.approx({2026: 50, 2027: 100, 2028: 100})
    assert cost(sol) == pytest.approx(6_000_000 - 250 * 9_000)
    assert sol.table("offtakes")["taken_t"].sum() == pytest.approx(0.0, abs=1e-6)
    # with a minimum of 30 t the agreement carries exactly 30 t (15 t in the ramp-up year), at $50 freight
    # and $9,000 of OH savings forgone, replaced by $10,000 imports in MI: +$50/t
    t["offtakes"] = [_offtake(min_t=30, max_t=30)]
    sol = solve_tables(t)
    assert sol.table("offtakes")["taken_t"].tolist() == pytest.approx([15, 30, 30])
    assert cost(sol) == pytest.approx(6_000_000 - 250 * 9_000 + 75 * 50)


def test_an_agreement_lapses_while_its_plant_is_not_built() -> None:
    # the same plant as a candidate (capex 0): building it only adds the +$2,050/t of the minimum, so it
    # is not built and the agreement costs nothing: $6.0M, no shortfall
    t = _two_regions()
    t["projects"][0].update(status="candidate", earliest_start=2026, qualification_years=0)
    t["offtakes"] = [_offtake()]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(6_000_000)
    assert sol.table("offtakes")["minimum_t"].sum() == pytest.approx(0.0, abs=1e-9)


def test_the_minimum_scales_with_the_units_built() -> None:
    # a candidate of 2 units of 50 t/yr ($1,000/t, no ramp-up) with an agreement of 80 t/yr to MI: both
    # units are built (each saves far more than its capex); the minimum is 80 x 2/2 = 80 t/yr. A capex
    # budget for one unit only: the minimum is 80 x 1/2 = 40 t/yr, taken from the unit's 50 t.
    t = _two_regions()
    t["projects"] = [plant("P", capacity_per_unit=50, units_max=2, capex_per_unit=100_000)]
    t["offtakes"] = [_offtake(project="P")]
    sol = solve_tables(t)
    o = sol.table("offtakes")
    assert o["minimum_t"].tolist() == pytest.approx([80, 80, 80])
    assert o["shortfall_t"].sum() == pytest.approx(0.0, abs=1e-6)
    t["policy"] = [{"parameter": "capex_budget_total", "case": 150_000}]
    sol = solve_tables(t)
    o = sol.table("offtakes")
    assert o["minimum_t"].tolist() == pytest.approx([40, 40, 40])
    assert o["taken_t"].tolist() == pytest.approx([40, 40, 40])
    assert output(sol, "P") == pytest.approx({2026: 50, 2027: 50, 2028: 50})


def test_an_agreement_naming_a_project_covers_its_jv_variant() -> None:
    # P has a JV variant J (partner 40%, offtake to OH); a capex budget below P's capex admits only J.
    # The agreement names P; J delivers it: J's own 60 t/yr share is what can be taken.
    t = _two_regions()
    t["projects"] = [plant("P", capex_per_unit=300_000)]
    t["joint_ventures"] = [{"jv": "J", "project": "P", "partner": "OEM", "partner_region": "OH", "equity_share": 0.4}]
    t["policy"] = [{"parameter": "capex_budget_total", "case": 200_000}]
    t["offtakes"] = [_offtake(project="P", min_t=80)]
    sol = solve_tables(t)
    o = sol.table("offtakes")
    assert set(o["project"]) == {"J"}
    assert o["taken_t"].tolist() == pytest.approx([60, 60, 60])  # all of J's own share
    assert o["shortfall_t"].tolist() == pytest.approx([20, 20, 20])


def test_offtake_mistakes_are_reported_with_sheet_row_and_column() -> None:
    t = _two_regions()
    t["regions"].append({"region": "TX", "domestic": True})
    t["offtakes"] = [
        _offtake(offtake="A", project="ZZ"),  # row 2: unknown project
        _offtake(offtake="B", min_t=90, max_t=50),  # row 3: min above max
        _offtake(offtake="C", buyer_region="TX"),  # row 4: no link OH -> TX
        _offtake(offtake="D", first_year=2028, last_year=2027),  # row 5: years reversed
    ]
    with pytest.raises(InstanceError) as e:
        instance_of(t)
    found = {(i.row, i.field): i.message for i in e.value.errors if i.sheet == "offtakes"}
    assert "unknown project 'ZZ'" in found[(2, "project")]
    assert "min_t 90 exceeds max_t 50" in found[(3, "min_t")]
    assert "cannot reach region TX" in found[(4, "buyer_region")]
    assert "last_year 2027 is before first_year 2028" in found[(5, "last_year")]
    assert all(i.column for i in e.value.errors if i.sheet == "offtakes")
