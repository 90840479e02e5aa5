"""Sourcing rules: graded balances and deliveries, plant-level 45X with its MACR, the cell credit.

Every test solves a tiny instance whose optimum is derived by hand in its comments.
"""

from __future__ import annotations

import pytest

from factories import base, plant, policy
from helpers import component, cost, instance_of, solve_tables
from planner.cases import apply_case
from planner.errors import InstanceError
from planner.model.build import count_model
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


# ------------------------------------------------------------------------------------------ plant-level 45X
def _pcam_plant(delta: float, *, macr: float = 0.6, other: float = 0.0, untraced: float = 0.0) -> dict:
    """One year (2026), 100 t of CAM1 demand in OH that only P can serve (no CAM1 import). P: existing,
    100 t/yr, $6,000/t, 45X-eligible, 1 t of pCAM per t. pCAM has no market price (its reference price is
    $10,000/t) and comes from KC (China, FEOC: PFE) at $8,000/t or KK (Korea: non-PFE) at $8,000 + delta,
    free freight. 45X at 10% of the production cost: pCAM has no market price, so the basis is the $6,000
    variable cost and the credit $600/t of output. MACR threshold `macr` in 2026."""
    return {
        "settings": [{"parameter": k, "value": v} for k, v in {
            "title": "45X MACR", "first_year": 2026, "last_year": 2026, "discount_rate": 0.0,
            "penalty_unmet_demand": 1_000_000}.items()],
        "commodities": [{"commodity": "CAM1", "family": "CAM"},
                        {"commodity": "pCAM", "family": "precursor", "reference_price": 10_000}],
        "regions": [{"region": "OH", "domestic": True}, {"region": "China", "feoc": True}, {"region": "Korea"}],
        "material_demand": [{"region": "OH", "year": 2026, "commodity": "CAM1", "tonnes": 100}],
        "projects": [{"project": "P", "site": "OH", "commodity": "CAM1", "status": "existing",
                      "capacity_per_unit": 100, "variable_cost": 6_000, "earliest_start": 2020, "lifetime": 20,
                      "eligible_45x": True, "other_materials_cost": other, "pfe_cost_share": untraced}],
        "recipes": [{"project": "P", "input": "pCAM", "t_per_t": 1.0}],
        "contracts": [{"contract": "KC", "origin": "China", "commodity": "pCAM", "price": 8_000},
                      {"contract": "KK", "origin": "Korea", "commodity": "pCAM", "price": 8_000 + delta}],
        "transport": [{"from_region": o, "to_region": "OH", "cost_per_t": 0, "both_ways": False}
                      for o in ("China", "Korea")],
        "policy": [{"parameter": "x45_rate", "case": 0.10}, {"parameter": "x45_macr_min", "case": macr}],
    }


@pytest.mark.parametrize(("delta", "switches", "expected"), [
    (999, True, 1_399_940),   # 60 t x $999 = $59,940 < $60,000 of 45X kept: buys 60 t non-PFE
    (1_001, False, 1_400_000),  # 60 t x $1,001 = $60,060 > $60,000: stays on PFE pCAM, no 45X
])
def test_plant_switches_to_non_pfe_pcam_exactly_when_45x_outweighs_the_price_gap(delta: float, switches: bool,
                                                                                 expected: float) -> None:
    # P makes its 100 t either way ($600k). All pCAM from KC: $800k, MACR 0 < 60%, no 45X: $1.4M. To earn
    # 45X ($600 x 100 t = $60,000) its non-PFE share of pCAM value must reach 60%: 60 t from KK (the ratio
    # values every tonne at the $10,000 reference price, so 60 t of 100 t is 60% whatever KK charges) at an
    # extra delta per tonne. It switches iff 60 x delta < $60,000, i.e. delta < $1,000/t: the 45X per tonne
    # of output ($600) against the price gap on the 60% it must buy non-PFE. Both sides a dollar apart.
    sol = solve_tables(_pcam_plant(delta))
    assert cost(sol) == pytest.approx(expected, abs=1e-3)
    x = sol.table("x45").iloc[0]
    inputs = sol.table("plant_inputs").iloc[0]
    assert x["decided_by"] == "sourcing" and bool(x["earned"]) is switches
    if switches:
        assert inputs["non_pfe_t"] == pytest.approx(60) and inputs["pfe_t"] == pytest.approx(40)
        assert x["macr_share"] == pytest.approx(0.6) and x["credit_usd"] == pytest.approx(60_000)
        assert component(sol, "credit_45x") == pytest.approx(-60_000)
    else:
        assert inputs["pfe_t"] == pytest.approx(100) and x["macr_share"] == pytest.approx(0.0)
        assert x["credit_usd"] == pytest.approx(0) and x["note"] == "MACR below the threshold"
    assert count_model(apply_case(instance_of(_pcam_plant(delta)))).get("b_45x") == 1  # one binary


@pytest.mark.parametrize(("macr", "expected", "earned"), [
    (0.70, 1_300_000, False),  # at most 10,000 / 15,000 = 66.7% < 70%: no 45X, whatever it buys
    (0.60, 1_240_000, True),   # 66.7% >= 60%: it earns $60,000
])
def test_plant_whose_other_materials_alone_fail_the_macr_never_earns_45x(macr: float, expected: float,
                                                                        earned: bool) -> None:
    # P now also uses $5,000/t of materials not modelled (other_materials_cost, part of its variable cost),
    # all PFE (pfe_cost_share 1). Non-PFE pCAM is the cheaper one (KK $7,000 vs KC $8,000), so P buys all
    # 100 t from KK: $600k + $700k = $1.3M. Its best ratio, all pCAM non-PFE: 10,000 / (10,000 + 5,000) =
    # 66.7%. Against 70% the test is failed by the data alone: no binary, no credit. Against 60% it is met
    # with its cheapest sourcing: 45X $60,000 -> $1.24M.
    t = _pcam_plant(-1_000, macr=macr, other=5_000, untraced=1.0)
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(expected, abs=1e-3)
    x = sol.table("x45").iloc[0]
    assert bool(x["earned"]) is earned and x["macr_share"] == pytest.approx(2 / 3)
    assert x["decided_by"] == ("data" if not earned else "sourcing")
    assert count_model(apply_case(instance_of(t))).get("b_45x", 0) == (0 if not earned else 1)


@pytest.mark.parametrize(("macr", "earned"), [(0.7, False), (0.5, True)])
def test_spot_material_of_undeclared_origin_counts_at_the_plants_pfe_cost_share(macr: float, earned: bool) -> None:
    # The standard plant P (base(): 100 t/yr, $1,000/t) buys 1 t of pCAM per t spot at $3,000 (no
    # market_pfe_share): its only material counts at pfe_cost_share 0.4, so its MACR is 60%, as a plant with a
    # fixed PFE share always had. 45X at 10% of ($1,000 + $3,000) = $400/t x 100 t = $40,000 a year when 60%
    # meets the threshold. 3 x ($100k + 100 x $4,000) = $1.5M, less 3 x $40k when earned. No binary: the
    # ratio does not depend on the plan.
    t = base()
    t["commodities"].append({"commodity": "pCAM", "family": "precursor", "market_price": 3_000})
    t["projects"] = [plant(eligible_45x=True, pfe_cost_share=0.4)]
    t["recipes"] = [{"project": "P", "input": "pCAM", "t_per_t": 1.0}]
    t["policy"] = policy(case={"x45_rate": 0.1, "x45_macr_min": macr})
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(1_500_000 - (120_000 if earned else 0))
    assert sol.table("x45")["macr_share"].tolist() == pytest.approx([0.6] * 3)
    assert count_model(apply_case(instance_of(t))).get("b_45x", 0) == 0


def test_an_unpriced_input_of_a_tested_plant_is_reported_where_its_price_goes() -> None:
    # without pCAM's reference price the ratio could not value P's pCAM: an error at pCAM's row (row 3 of
    # commodities), column reference_price, naming the plant and the case
    t = _pcam_plant(0)
    t["commodities"][1]["reference_price"] = None
    with pytest.raises(InstanceError) as e:
        instance_of(t)
    (issue,) = e.value.issues
    assert (issue.sheet, issue.row, issue.field) == ("commodities", 3, "reference_price") and issue.column
    assert "pCAM has neither a reference_price nor a market_price" in issue.message and "plant P" in issue.message
    t["policy"][1]["case"] = 0.0  # without a MACR test, an unpriced input is simply outside the basis
    assert instance_of(t)


def test_other_materials_cost_above_variable_cost_is_an_error() -> None:
    t = _pcam_plant(0, other=7_000)
    with pytest.raises(InstanceError) as e:
        instance_of(t)
    (issue,) = e.value.issues
    assert (issue.sheet, issue.row, issue.field) == ("projects", 2, "other_materials_cost")
    assert "exceeds variable_cost" in issue.message
