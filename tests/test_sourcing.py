"""Sourcing rules: graded balances and deliveries, plant-level 45X with its MACR, the cell credit.

Every test solves a tiny instance whose optimum is derived by hand in its comments.
"""

from __future__ import annotations

import pytest

from factories import base
from helpers import cost, instance_of, solve_tables
from planner.cases import apply_case
from planner.model.sourcing import Need, register_need, sourcing


def _two_suppliers() -> dict:
    """base() plus K2, a FEOC contract from China at $9,000/t for at most 60 t/yr (free freight)."""
    t = base()
    t["regions"].append({"region": "China", "feoc": True})
    t["contracts"].append({"contract": "K2", "origin": "China", "commodity": "CAM1", "price": 9_000,
                           "max_volume": 60})
    t["transport"].append({"from_region": "China", "to_region": "OH", "cost_per_t": 0, "both_ways": False})
    return t


def test_graded_demand_is_served_by_grade_at_the_same_cost() -> None:
    # OH needs 100 t/yr of CAM1: 60 t from K2 (FEOC, $9,000) and the rest from K1 (Asia, not FEOC,
    # $10,000): 3 x (540k + 400k) = $2.82M. A rule that watches CAM1 in OH grades it: the same plan, now
    # delivered as 60 t PFE + 40 t non-PFE, at the same cost (grading never changes what the rows allow in
    # total). One more tonne in OH comes from K1: the demand row's dual, the marginal cost, is $10,000/t.
    t = _two_suppliers()
    plain = solve_tables(t)
    assert cost(plain) == pytest.approx(2_820_000)
    with register_need(lambda ci: [Need("CAM1", "OH", spot=False)]):
        assert sourcing(apply_case(instance_of(t))).graded == {"CAM1"}
        sol = solve_tables(t)
    assert cost(sol) == pytest.approx(2_820_000)
    d = sol.table("deliveries")
    assert d["pfe_t"].tolist() == pytest.approx([60, 60, 60])
    assert d["non_pfe_t"].tolist() == pytest.approx([40, 40, 40])
    assert set(sol.shipments["grade"]) == {"pfe", "non_pfe"}
    assert sol.marginal_costs["marginal_cost_usd_per_t"].tolist() == pytest.approx([10_000] * 3)
    assert plain.table("deliveries").empty and plain.shipments["grade"].isna().all()


def test_a_watched_commodity_with_one_kind_of_supply_is_not_graded() -> None:
    # only K1 (not FEOC) can serve OH: nothing to choose, so no grade and no extra variables
    t = base()
    with register_need(lambda ci: [Need("CAM1", "OH", spot=False)]):
        assert not sourcing(apply_case(instance_of(t))).graded
