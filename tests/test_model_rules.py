"""The rules docs/model.md states for the corners of the model, each on a tiny instance solved by hand.

Base (tests/factories.py): years 2026-2028, r = 0, 100 t/yr of CAM1 in OH, import K1 from Asia at
$10,000/t with free freight ($3.0M for doing nothing); the standard candidate plant P makes 100 t/yr
at $1,000/t for $300k over a 3-year life ($100k a year).
"""

from __future__ import annotations

import pytest

from factories import base, plant, policy
from helpers import built, component, cost, instance_of, solve_tables
from planner.cases import apply_case


def test_grant_offsets_capex_with_interest_during_construction() -> None:
    # r = 10%, base year 2026, horizon 2026-2027. P takes a year to build (start 2026, online 2027) and lives
    # one year; capex $300k with a $100k grant. The grant is annualised like capex, CRF 1.1 x IDC 1.1 = 1.21:
    # the same as a $200k plant without grant. 2026 imported ($1.0M); 2027: (1.21 x $200k + $100k) / 1.1.
    def tables(capex: float, grant: float):  # noqa: ANN202
        t = base(last_year=2027, discount_rate=0.1)
        t["material_demand"] = [r for r in t["material_demand"] if r["year"] <= 2027]
        t["projects"] = [plant(construction_years=1, lifetime=1, capex_per_unit=capex, grant=grant)]
        return t

    with_grant = solve_tables(tables(300_000, 100_000))
    assert built(with_grant) == {"P": (1, 2026)}
    assert cost(with_grant) == pytest.approx(1_000_000 + (1.21 * 200_000 + 100_000) / 1.1)
    assert with_grant.credits["grants_usd"].sum() == pytest.approx(1.21 * 100_000)
    assert cost(with_grant) == pytest.approx(cost(solve_tables(tables(200_000, 0))))


def test_45x_basis_values_inputs_at_their_market_price_even_when_not_bought() -> None:
    # P needs 1.2 t of pCAM per t; pCAM has a $3,000/t market price, but a contract KP delivers it for
    # $2,000/t, so none is bought spot. 45X at 10% is still 10% x ($1,000 + 1.2 x $3,000) = $460/t.
    # Per year: $100k + 100 t x ($1,000 + 1.2 x $2,000) - 100 t x $460 = $394k; three years $1.182M.
    t = base()
    t["commodities"].append({"commodity": "pCAM", "family": "precursor", "market_price": 3_000})
    t["projects"] = [plant(eligible_45x=True)]
    t["recipes"] = [{"project": "P", "input": "pCAM", "t_per_t": 1.2}]
    t["contracts"].append({"contract": "KP", "origin": "Asia", "commodity": "pCAM", "price": 2_000})
    t["transport"] = [{"from_region": "Asia", "to_region": "OH", "cost_per_t": 0, "both_ways": False}]
    t["policy"] = policy(case={"x45_rate": 0.1})
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(1_182_000)
    assert component(sol, "purchases") == pytest.approx(0)
    assert sol.production["x45_credit_usd_per_t"].tolist() == pytest.approx([460, 460, 460])


def test_policy_row_precedence_year_then_region_then_commodity() -> None:
    # tariff rows: (2027, -, -) 10%; (-, Asia, CAM1) 50%; (-, Asia, CAM) 30%; (-, -, CAM1) 20%.
    # K1 (Asia, CAM1): 2027 -> the year row, 10%; other years -> region and commodity, 50%.
    # KE (Europe, CAM1): the year row in 2027, else the commodity row, 20%.
    # KA2 (Asia, CAM2): the year row in 2027, else the region-and-family row, 30%.
    t = base()
    t["commodities"].append({"commodity": "CAM2", "family": "CAM"})
    t["regions"].append({"region": "Europe"})
    t["contracts"] += [{"contract": "KE", "origin": "Europe", "commodity": "CAM1", "price": 11_000},
                       {"contract": "KA2", "origin": "Asia", "commodity": "CAM2", "price": 11_000}]
    t["transport"].append({"from_region": "Europe", "to_region": "OH", "cost_per_t": 0, "both_ways": False})
    t["policy"] = [
        {"parameter": "tariff", "year": 2027, "case": 0.1},
        {"parameter": "tariff", "region": "Asia", "commodity": "CAM1", "case": 0.5},
        {"parameter": "tariff", "region": "Asia", "commodity": "CAM", "case": 0.3},
        {"parameter": "tariff", "commodity": "CAM1", "case": 0.2},
    ]
    tariff = apply_case(instance_of(t), None).policy.tariff
    assert {y: tariff[("K1", y)] for y in (2026, 2027, 2028)} == {2026: 0.5, 2027: 0.1, 2028: 0.5}
    assert {y: tariff[("KE", y)] for y in (2026, 2027, 2028)} == {2026: 0.2, 2027: 0.1, 2028: 0.2}
    assert {y: tariff[("KA2", y)] for y in (2026, 2027, 2028)} == {2026: 0.3, 2027: 0.1, 2028: 0.3}


@pytest.mark.parametrize("paid, expected, credit", [
    (True, 555_000, 45_000),   # allocation spread over 2 units: 1 built earns $45k; no second award
    (False, 510_000, 90_000),  # the case drops allocations: P competes for a new award, 30% of $300k
])
def test_allocated_48c_is_spread_over_the_units(paid: bool, expected: float, credit: float) -> None:
    # P may build 2 units of 100 t/yr; demand needs 1: 3 x ($100k + $100k) = $600k before credits. Its
    # $90k allocation gives $45k for the one unit built (annualised over the 3-year life, all in the horizon).
    # It is also 48C-eligible, with a $1M budget at 30%: no second award while the allocation counts.
    t = base()
    t["projects"] = [plant(units_max=2, credit_48c_awarded=90_000, eligible_48c=True)]
    t["policy"] = policy(case={"x48c_rate": 0.3, "x48c_budget": 1_000_000, "x48c_awarded_paid": paid})
    sol = solve_tables(t)
    assert built(sol) == {"P": (1, 2026)}
    assert cost(sol) == pytest.approx(expected)
    assert sol.credits["credit_48c_usd"].sum() == pytest.approx(credit)


def test_candidate_with_earliest_start_before_the_horizon_starts_in_its_first_year() -> None:
    t = base()
    t["projects"] = [plant(earliest_start=2020)]
    ci = apply_case(instance_of(t), None)
    assert ci.sets.starts["P"] == (2026, 2027, 2028)
    sol = solve_tables(t)
    assert built(sol) == {"P": (1, 2026)} and cost(sol) == pytest.approx(600_000)


def test_signing_fee_of_a_contract_begun_before_the_horizon_is_paid_in_its_first_year() -> None:
    # K2 (from 2020) at $8,000/t saves $200k a year, $600k in all: worth its $500k fee, paid in 2026 in full.
    t = base()
    t["contracts"].append({"contract": "K2", "origin": "Asia", "commodity": "CAM1", "price": 8_000,
                           "signing_fee": 500_000, "first_year": 2020})
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(2_900_000)
    fees = sol.costs[sol.costs["component"] == "signing_fees"]
    assert dict(zip(fees["year"], fees["cost_usd"])) == {2026: pytest.approx(500_000)}


def test_escalation_runs_both_ways_from_the_base_year() -> None:
    # base year 2027, +10%/yr: $10,000/1.1 in 2026, $10,000 in 2027, $11,000 in 2028 (r = 0: no discounting)
    t = base(base_year=2027)
    t["contracts"][0]["escalation"] = 0.1
    sol = solve_tables(t)
    prices = dict(zip(sol.imports["year"], sol.imports["price_usd_per_t"]))
    assert prices == {2026: pytest.approx(10_000 / 1.1), 2027: pytest.approx(10_000), 2028: pytest.approx(11_000)}
    assert cost(sol) == pytest.approx(100 * (10_000 / 1.1 + 10_000 + 11_000))


def test_take_or_pay_is_owed_in_a_year_without_use() -> None:
    # no demand in 2028. K2 at $5,000/t with a 150 t minimum (max 300) in 2026-2028: signed, it costs
    # $750k in 2026 and 2027 (100 t taken, 50 t paid) and the whole minimum in 2028 ($750k), $2.25M in all,
    # more than K1's $2.0M: not signed. (Waiving the minimum in 2028 would make it $1.5M.)
    t = base()
    t["material_demand"] = [r for r in t["material_demand"] if r["year"] <= 2027]
    t["contracts"].append({"contract": "K2", "origin": "Asia", "commodity": "CAM1", "price": 5_000,
                           "min_take": 150, "max_volume": 300})
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(2_000_000)
    assert component(sol, "take_or_pay") == pytest.approx(0)
    # with a cheaper minimum (100 t) it is signed and pays the 2028 minimum in full:
    # 2026-27 100 t x $5,000; 2028 100 t x $5,000 untaken: $1.5M
    t["contracts"][-1]["min_take"] = 100
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(1_500_000)
    top = sol.imports.set_index("year")["take_or_pay_usd"]
    assert top[2028] == pytest.approx(500_000)


def test_blank_commodity_target_sets_each_familys_target_and_commodity_targets_add_to_it() -> None:
    # CAM1 and CAM2 (both CAM), 100 t/yr each, imported at $10,000/t; free U.S. plants P1 (CAM1, $11,000/t)
    # and P2 (CAM2, $12,000/t), 200 t/yr each. Targets: a blank-commodity row, 50% (every family: CAM
    # needs 100 t a year), and CAM2 alone 80% in 2028.
    # 2026, 2027: P1 makes the 100 t (premium $1,000/t): $100k each. (Were the blank row a CAM2 target too,
    # CAM2 would need 50 t from P2: $150k.) 2028: P2 80 t for CAM2 ($160k), which count for CAM as well;
    # P1 the other 20 t ($20k). Total $6.0M + $100k + $100k + $180k = $6.38M.
    t = base()
    t["commodities"].append({"commodity": "CAM2", "family": "CAM"})
    t["material_demand"] += [{"region": "OH", "year": y, "commodity": "CAM2", "tonnes": 100}
                             for y in (2026, 2027, 2028)]
    t["contracts"].append({"contract": "K2", "origin": "Asia", "commodity": "CAM2", "price": 10_000})
    t["projects"] = [plant("P1", capacity_per_unit=200, variable_cost=11_000, capex_per_unit=0),
                     plant("P2", commodity="CAM2", capacity_per_unit=200, variable_cost=12_000, capex_per_unit=0)]
    t["policy"] = policy(case={"localization_target": 0.5, "localization_target:CAM2@2028": 0.8})
    targets = apply_case(instance_of(t), None).policy.localization_target
    assert targets == {("CAM", 2026): 0.5, ("CAM", 2027): 0.5, ("CAM", 2028): 0.5, ("CAM2", 2028): 0.8}
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(6_380_000)
    loc = sol.localization.set_index(["group", "year"])
    assert loc.loc[("CAM", 2028), "qualifying_t"] == pytest.approx(100)
    assert loc.loc[("CAM2", 2028), "qualifying_t"] == pytest.approx(80)
