"""One small instance per constraint family, each with its optimum derived by hand in the comments.

Common base (unless a test says otherwise): years 2026-2028, discount rate 0, one demand region OH
(domestic) needing 100 t/yr of CAM1, and a backstop import contract K1 from Asia (neither FTA nor
FEOC) at $10,000/t with free freight. Doing nothing therefore costs 3 x 100 x 10,000 = $3.0M.
A "standard" candidate plant P has 100 t/yr, capex $300k and a 3-year life, so with r = 0 its
annuity is $100k per online year; its variable cost is $1,000/t.

The common base is `factories.base`; `factories.plant` and `factories.policy` build the rows.
"""

from __future__ import annotations

from typing import Any

import pytest

from factories import base, plant, policy
from helpers import built, component, cost, output, solve_tables


def test_nothing_to_build_costs_the_backstop() -> None:
    sol = solve_tables(base())
    assert cost(sol) == pytest.approx(3_000_000)


def test_lead_time() -> None:
    # construction 1 yr: start 2026 -> online 2027. 2026 imported: $1.0M; 2027 and 2028: annuity $100k
    # + 100 t x $1,000 = $200k each. Total $1.4M; nothing produced in 2026.
    t = base()
    t["projects"] = [plant(construction_years=1)]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(1_400_000)
    assert built(sol) == {"P": (1, 2026)}
    assert output(sol, "P") == {2027: 100, 2028: 100}


def test_qualification() -> None:
    # online 2026, qualified 2028: annuity paid in all three online years ($300k), imports in 2026-27
    # ($2.0M), 2028 produced ($100k). Total $2.4M < $3.0M, so it is built; output only in 2028.
    t = base()
    t["projects"] = [plant(qualification_years=2)]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(2_400_000)
    assert output(sol, "P") == {2028: 100}


def test_ramp_up() -> None:
    # ramp 0.5;0.8 from the first qualified year: 50, 80, 100 t. Start 2026: annuity $300k +
    # 230 t x $1,000 + 70 t imported x $10,000 = $1.23M (start 2027 would cost $2.03M).
    t = base()
    t["projects"] = [plant(ramp_up="0.5;0.8")]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(1_230_000)
    assert output(sol, "P") == pytest.approx({2026: 50, 2027: 80, 2028: 100})


def test_lumpy_modules() -> None:
    # demand 250 t/yr; units of 100 t/yr at $100k/yr each: 2 units save 2 x (9,000 x 100 - 100k) per year;
    # a third unit would cover 50 t: saves 50 x 9,000 = $450k > $100k, so 3 units. Cost per year:
    # 3 x $100k + 250 x $1,000 = $550k; three years $1.65M.
    t = base()
    for r in t["material_demand"]:
        r["tonnes"] = 250
    t["projects"] = [plant(units_max=5)]
    sol = solve_tables(t)
    assert built(sol) == {"P": (3, 2026)}
    assert cost(sol) == pytest.approx(1_650_000)


def test_retirement() -> None:
    # lifetime 2 (annuity $150k with r = 0): online 2026 and 2027, retired in 2028.
    # Start 2026: 2 x ($150k + $100k) + 2028 imported $1.0M = $1.5M; start 2027 gives the same
    # $1.5M (2026 imported). Either way it must not produce in its retirement year.
    t = base()
    t["projects"] = [plant(lifetime=2)]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(1_500_000)
    (_, start), = built(sol).values()
    assert set(output(sol, "P")) == {start, start + 1}


def test_exclusive_group() -> None:
    # demand 200 t/yr; A ($1,000/t) and B ($2,000/t) both save money, but share a group.
    # Without the group: 3 x ($200k annuities + $100k + $200k) = $1.5M. With it: A only:
    # 3 x ($100k + $100k + 100 t x $10,000) = $3.6M.
    t = base()
    for r in t["material_demand"]:
        r["tonnes"] = 200
    t["projects"] = [plant("A"), plant("B", variable_cost=2_000)]
    assert cost(solve_tables(t)) == pytest.approx(1_500_000)
    for p in t["projects"]:
        p["exclusive_group"] = "site"
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(3_600_000)
    assert set(built(sol)) == {"A"}


def test_joint_venture_share_and_offtake() -> None:
    # MI needs 40 t/yr too (links OH<->MI at $50/t, Asia->MI free). A capex budget of $200k rules out
    # the standalone P ($300k) but admits its JV J, whose partner (40% equity) pays $120k of it.
    # Cost to industry counts the whole plant: $100k annuity + 100 t x $1,000 + 40 t offtake shipped to
    # MI ($2k) + 40 t imported for OH ($400k) = $602k/yr -> $1.806M (imports only: $4.2M).
    t = base()
    t["regions"].append({"region": "MI", "domestic": True})
    t["material_demand"] += [{"region": "MI", "year": y, "commodity": "CAM1", "tonnes": 40} for y in (2026, 2027, 2028)]
    t["transport"] += [{"from_region": "OH", "to_region": "MI", "cost_per_t": 50, "both_ways": True},
                       {"from_region": "Asia", "to_region": "MI", "cost_per_t": 0, "both_ways": False}]
    t["projects"] = [plant()]
    t["policy"] = policy(case={"capex_budget_total": 200_000})
    assert cost(solve_tables(t)) == pytest.approx(4_200_000)
    t["joint_ventures"] = [{"jv": "J", "project": "P", "partner": "OEM", "partner_region": "MI",
                            "equity_share": 0.4}]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(1_806_000)
    assert set(built(sol)) == {"J"}
    b = sol.builds.set_index("project")
    assert b.loc["J", "capex_planner_usd"] == pytest.approx(0.6 * 300_000)
    assert b.loc["J", "capex_usd"] == pytest.approx(300_000)
    assert component(sol, "transport") == pytest.approx(3 * 40 * 50)
    # without the budget the standalone plant is cheaper: no offtake shipping ($600k/yr -> $1.8M)
    t["policy"] = policy(case={"capex_budget_total": 1_000_000})
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(1_800_000)
    assert set(built(sol)) == {"P"}


def test_joint_venture_qualifies_faster() -> None:
    # P needs 2 qualification years (output only in 2028: $2.4M, see test_qualification); its JV with an
    # incumbent (20% equity, partner in OH itself) qualifies in 0: 3 x ($100k + $100k) = $600k.
    t = base()
    t["projects"] = [plant(qualification_years=2)]
    t["joint_ventures"] = [{"jv": "J", "project": "P", "partner": "Incumbent", "partner_region": "OH",
                            "equity_share": 0.2, "qualification_years": 0}]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(600_000)
    assert set(built(sol)) == {"J"}


@pytest.mark.parametrize("min_take, expected, signed", [(150, 2_250_000, True), (250, 3_000_000, False)])
def test_take_or_pay(min_take: float, expected: float, signed: bool) -> None:
    # K2 at $5,000/t with a 150 t/yr minimum: take 100 t, pay the untaken 50 t: $750k/yr < $1.0M (K1).
    # With a 250 t minimum it would cost $1.25M/yr, so it is not signed.
    t = base()
    t["contracts"].append({"contract": "K2", "origin": "Asia", "commodity": "CAM1", "price": 5_000,
                           "min_take": min_take, "max_volume": 300})
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(expected)
    k2 = sol.imports[sol.imports["contract"] == "K2"]
    assert bool(k2["signed"].any()) is signed
    if signed:
        assert component(sol, "take_or_pay") == pytest.approx(3 * 50 * 5_000)


def test_signing_fee() -> None:
    # K2 at $8,000/t saves $200k/yr = $600k over three years; a $700k signing fee makes it not worth it,
    # a $500k fee leaves a saving of $100k: cost $2.9M.
    t = base()
    t["contracts"].append({"contract": "K2", "origin": "Asia", "commodity": "CAM1", "price": 8_000,
                           "signing_fee": 700_000})
    assert cost(solve_tables(t)) == pytest.approx(3_000_000)
    t["contracts"][-1]["signing_fee"] = 500_000
    assert cost(solve_tables(t)) == pytest.approx(2_900_000)


@pytest.mark.parametrize("budget, stacking, expected", [
    (1e6, False, 510_000),   # 48C $90k beats 45X $30k; no stacking
    (1e6, True, 480_000),    # both: 600k - 90k - 30k
    (50_000, False, 570_000),  # the $90k award does not fit a $50k budget: no award (never partial), 45X
    (20_000, False, 570_000),  # a $20k award loses to 45X ($30k): no award
])
def test_48c_budget_and_stacking(budget: float, stacking: bool, expected: float) -> None:
    # P built in 2026 costs 3 x ($100k + $100k) = $600k. 45X at 10% of $1,000/t = $100/t x 300 t = $30k.
    # 48C at 30% of $300k = $90k (annualised over the 3-year life: all of it falls in the horizon).
    t = base()
    t["projects"] = [plant(eligible_45x=True, eligible_48c=True)]
    t["policy"] = policy(case={"x45_rate": 0.1, "x48c_rate": 0.3, "x48c_budget": budget, "x48c_stacking": stacking})
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(expected)
    credits = sol.credits.sum()
    if expected == 510_000:
        assert credits["credit_48c_usd"] == pytest.approx(90_000)
        assert credits["credit_45x_usd"] == pytest.approx(0)
    if expected == 570_000:
        assert credits["credit_48c_usd"] == pytest.approx(0)
        assert credits["credit_45x_usd"] == pytest.approx(30_000)


def test_45x_rules_feoc_macr_phase() -> None:
    # 45X = rate x phase x $1,000/t: 10% in 2026, phase 0.5 in 2027, MACR threshold 0.7 in 2028 that a
    # plant with 40% PFE material cost fails: credits 100 t x ($100 + $50 + $0) = $15k.
    t = base()
    t["projects"] = [plant(eligible_45x=True, pfe_cost_share=0.4)]
    t["policy"] = policy(case={"x45_rate": 0.1, "x45_phase@2027": 0.5, "x45_macr_min@2028": 0.7})
    sol = solve_tables(t)
    assert sol.credits["credit_45x_usd"].tolist() == pytest.approx([10_000, 5_000, 0])
    # a FEOC-owned plant earns nothing when the case requires non-FEOC ownership
    t["projects"] = [plant(eligible_45x=True, feoc_owned=True)]
    t["policy"] = policy(case={"x45_rate": 0.1, "x45_requires_non_feoc": True})
    assert solve_tables(t).credits["credit_45x_usd"].sum() == pytest.approx(0)


def test_tariff_shifts_supply_home() -> None:
    # P at $12,000/t + $100k/yr: $1.3M/yr, dearer than imports at $10,000/t ($1.0M/yr) but cheaper than
    # imports under a 50% tariff ($1.5M/yr). Free trade: $3.0M; with the tariff: 3 x $1.3M = $3.9M.
    t = base()
    t["projects"] = [plant(variable_cost=12_000)]
    t["policy"] = policy(free_trade={"tariff": 0.0}, tariff={"tariff": 0.5})
    free, taxed = solve_tables(t, "free_trade"), solve_tables(t, "tariff")
    assert cost(free) == pytest.approx(3_000_000)
    assert cost(taxed) == pytest.approx(3_900_000)
    assert taxed.imports["tonnes"].sum() < free.imports["tonnes"].sum()
    assert component(taxed, "tariffs") == pytest.approx(0)


@pytest.mark.parametrize("case, expected", [
    ("fta_counts", 2_550_000),   # Morocco's supplier is FEOC: 50 t Canada ($9,000) + 50 t China ($8,000) = $850k/yr
    ("us_only", 2_925_000),      # only the U.S. plant P counts: P ($100k + 50 x $9,500) + 50 t China = $975k/yr
    ("feoc_counts", 2_475_000),  # FEOC suppliers count: 50 t Morocco ($8,500, FTA) + 50 t China = $825k/yr
])
def test_localization_fta_and_feoc_switches(case: str, expected: float) -> None:
    # target: 50% of CAM demand from qualifying supply. China (FEOC, not FTA) never qualifies.
    t = base()
    t["regions"] += [{"region": "Canada", "fta": True}, {"region": "China", "feoc": True},
                     {"region": "Morocco", "fta": True}]
    t["contracts"] = [
        {"contract": "KC", "origin": "China", "commodity": "CAM1", "price": 8_000},
        {"contract": "KF", "origin": "Canada", "commodity": "CAM1", "price": 9_000},
        {"contract": "KM", "origin": "Morocco", "commodity": "CAM1", "price": 8_500, "feoc": True},
    ]
    t["transport"] = [{"from_region": o, "to_region": "OH", "cost_per_t": 0, "both_ways": False}
                      for o in ("China", "Canada", "Morocco")]
    t["projects"] = [plant(variable_cost=9_500)]
    t["policy"] = policy(
        fta_counts={"localization_target": 0.5},
        us_only={"localization_target": 0.5, "localization_fta_counts": False},
        feoc_counts={"localization_target": 0.5, "localization_excludes_feoc": False},
    )
    sol = solve_tables(t, case)
    assert cost(sol) == pytest.approx(expected)
    loc = sol.localization
    assert (loc["share"] >= 0.5 - 1e-9).all()


def test_localization_excludes_feoc_owned_plant() -> None:
    # the only domestic plant is FEOC-owned: it cannot serve the 50% target, which falls back to Canada.
    t = base()
    t["regions"] += [{"region": "Canada", "fta": True}]
    t["contracts"].append({"contract": "KF", "origin": "Canada", "commodity": "CAM1", "price": 12_000})
    t["transport"].append({"from_region": "Canada", "to_region": "OH", "cost_per_t": 0, "both_ways": False})
    t["projects"] = [plant(feoc_owned=True)]
    t["policy"] = policy(case={"localization_target": 0.5})
    sol = solve_tables(t)
    # P still makes 100 t/yr cheaply ($200k/yr) but that is not qualifying; 50 t of Canada would cost
    # $600k, the P output is then 50 t: $100k + $50k + $600k = $750k/yr vs. penalty 50 t x $50k = $2.5M.
    assert cost(sol) == pytest.approx(3 * 750_000)
    assert sol.localization["qualifying_t"].tolist() == pytest.approx([50, 50, 50])


def test_localization_penalty_and_hard_target() -> None:
    # nothing qualifying exists: the soft target is missed at $50,000/t x 50 t x 3 yr = $7.5M of penalty;
    # the hard target makes the case infeasible, explained in plain words.
    t = base()
    t["policy"] = policy(case={"localization_target": 0.5})
    soft = solve_tables(t)
    assert cost(soft) == pytest.approx(3_000_000 + 7_500_000)
    assert soft.localization["shortfall_t"].tolist() == pytest.approx([50, 50, 50])
    hard = solve_tables(t, hard_targets=True)
    assert not hard.has_plan
    text = "\n".join(hard.messages)
    assert "2026 CAM target needs 50 t" in text and "short by 50 t" in text


@pytest.mark.parametrize("yearly, total, expected, start", [
    (None, None, 600_000, 2026),
    ({2026: 200_000}, None, 1_400_000, 2027),  # cannot spend $300k in 2026: start 2027
    (None, 200_000, 3_000_000, None),          # total budget too small: no build
])
def test_capex_budget(yearly: dict[int, float] | None, total: float | None, expected: float, start: int | None) -> None:
    t = base()
    t["projects"] = [plant()]
    params: dict[str, Any] = {"x45_rate": 0.0}
    for y, b in (yearly or {}).items():
        params[f"capex_budget@{y}"] = b
    if total is not None:
        params["capex_budget_total"] = total
    t["policy"] = policy(case=params)
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(expected)
    assert built(sol) == ({"P": (1, start)} if start else {})


def test_capex_spread_over_construction_years() -> None:
    # 2 construction years spend $150k in each; a $150k budget in 2026 and 2027 allows a 2026 start.
    t = base(last_year=2029)
    t["material_demand"].append({"region": "OH", "year": 2029, "commodity": "CAM1", "tonnes": 100})
    t["projects"] = [plant(construction_years=2, lifetime=10)]
    t["policy"] = policy(case={"capex_budget@2026": 150_000, "capex_budget@2027": 150_000})
    sol = solve_tables(t)
    assert built(sol) == {"P": (1, 2026)}


def test_grant_pool() -> None:
    # a $150k grant limited by a $100k pool lowers the $600k plan by $100k (annualised over the 3-year life).
    t = base()
    t["projects"] = [plant(grant=150_000)]
    t["policy"] = policy(case={"grant_pool": 100_000})
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(500_000)
    assert sol.credits["grants_usd"].sum() == pytest.approx(100_000)


def test_unmet_demand_is_priced_and_reported() -> None:
    t = base()
    t["contracts"] = []
    t["transport"] = []
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(3 * 100 * 1_000_000)
    assert sol.unmet["tonnes"].sum() == pytest.approx(300)


def test_discounting_and_annuity() -> None:
    # r = 10%, one year, base year = that year; a plant with a 1-year life: capital recovery factor 1.1,
    # so capex $300k costs $330k; plus 100 t x $1,000.
    t = base(last_year=2026, discount_rate=0.1)
    t["projects"] = [plant(lifetime=1)]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(430_000)
    # two years from base 2026, second year discounted by 1/1.1: only imports, 1.0M + 1.0M/1.1
    t = base(last_year=2027, discount_rate=0.1)
    assert cost(solve_tables(t)) == pytest.approx(1_000_000 + 1_000_000 / 1.1)


def test_recipe_inputs_bought_and_produced() -> None:
    # P needs 1.2 t of pCAM per t; pCAM costs $3,000/t on the spot market: P's cost is $1,000 + $3,600 per t,
    # still below imports: 3 x ($100k + 100 x $4,600) = $1.68M.
    t = base()
    t["commodities"].append({"commodity": "pCAM", "family": "precursor", "market_price": 3_000})
    t["projects"] = [plant()]
    t["recipes"] = [{"project": "P", "input": "pCAM", "t_per_t": 1.2}]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(1_680_000)
    assert component(sol, "purchases") == pytest.approx(3 * 120 * 3_000)


def test_marginal_supply_cost_is_the_balance_dual() -> None:
    # demand 150 t/yr: P (100 t/yr) is full and 50 t are imported, so one more tonne in OH is imported at
    # $10,000: the marginal supply cost is $10,000/t (unique: imports are strictly between their bounds).
    t = base()
    for r in t["material_demand"]:
        r["tonnes"] = 150
    t["projects"] = [plant()]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(3 * (100_000 + 100_000 + 500_000))
    mc = sol.marginal_costs
    oh = mc[(mc["region"] == "OH")]["marginal_cost_usd_per_t"]
    assert oh.tolist() == pytest.approx([10_000, 10_000, 10_000])


def test_single_period_facility_location_is_exact() -> None:
    # one year, no discounting, lifetime 1, no lead times: capex is charged once in full.
    t = base(last_year=2026)
    t["projects"] = [plant(lifetime=1)]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(300_000 + 100_000)


def test_awarded_48c_counts_unless_the_case_drops_it() -> None:
    # a committed plant with an allocated $90k 48C credit (3-year life: all in the horizon) and 45X
    # eligibility: with awards paid it earns the 48C credit and no 45X (no stacking); without, 45X
    # at $100/t x 300 t = $30k. Committed plant cost 3 x ($100k + $100k) = $600k either way.
    t = base()
    t["projects"] = [plant(status="committed", eligible_45x=True, credit_48c_awarded=90_000)]
    t["policy"] = policy(paid={"x45_rate": 0.1}, dropped={"x45_rate": 0.1, "x48c_awarded_paid": False})
    paid, dropped = solve_tables(t, "paid"), solve_tables(t, "dropped")
    assert cost(paid) == pytest.approx(510_000)
    assert paid.credits["credit_48c_usd"].sum() == pytest.approx(90_000)
    assert cost(dropped) == pytest.approx(570_000)
    assert dropped.credits["credit_48c_usd"].sum() == pytest.approx(0)


def test_market_limit_is_valid_and_cuts_only_oversized_plants() -> None:
    # a 1,000 t/yr plant in a 100 t/yr market gets the optional market-limit rows, a 50 t/yr one does not;
    # the rows leave the optimum unchanged (they only cut fractional plans)
    from helpers import instance_of
    from planner.cases import apply_case
    from planner.model.build import build_model
    from planner.solve.highs import solve
    from planner.solve.presets import merge_options

    t = base()
    t["projects"] = [plant(capacity_per_unit=1_000, construction_years=1), plant("Q", capacity_per_unit=50)]
    ci = apply_case(instance_of(t), None)
    objs = {}
    for tighten in (False, True):
        m = build_model(ci, tighten=tighten)
        objs[tighten] = solve(m, merge_options("exact").highs).objective
        if tighten:
            assert {p for p, _y in m.c_market_limit.row_keys} == {"P"}
        else:
            assert not hasattr(m, "c_market_limit")
    assert objs[True] == pytest.approx(objs[False], rel=1e-9)


def test_interest_during_construction() -> None:
    # r = 10%, base year 2026. P takes one year to build (start 2026, online 2027) and lives one year:
    # its $300k are spent in 2026, so the 2027 annuity is CRF (1.1) x IDC (1.1) x $300k = $363k, which
    # discounts to $330k in 2026 — the same present value as spending $300k in 2026 (with the annuity
    # paid in arrears). 2026 is imported ($1.0M); 2027: ($363k + $100k) / 1.1 = $420,909.
    t = base(last_year=2027, discount_rate=0.1)
    t["material_demand"] = [r for r in t["material_demand"] if r["year"] <= 2027]
    t["projects"] = [plant(construction_years=1, lifetime=1)]
    sol = solve_tables(t)
    assert built(sol) == {"P": (1, 2026)}
    assert cost(sol) == pytest.approx(1_000_000 + 463_000 / 1.1)


def test_no_take_or_pay_for_banned_volumes() -> None:
    # K2 (a FEOC supplier) at $5,000/t with a 150 t/yr minimum is worth signing in 2026-27 ($750k/yr
    # against $1.0M); in 2028 its imports are banned, so its minimum is not owed: K1 supplies 2028.
    # 2 x $750k + $1.0M = $2.5M (charging the banned minimum would add $750k).
    t = base()
    t["regions"].append({"region": "China", "feoc": True})
    t["transport"].append({"from_region": "China", "to_region": "OH", "cost_per_t": 0, "both_ways": False})
    t["contracts"].append({"contract": "K2", "origin": "China", "commodity": "CAM1", "price": 5_000,
                           "min_take": 150, "max_volume": 300})
    t["policy"] = policy(case={"feoc_imports_allowed@2028": False})
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(2_500_000)
    assert component(sol, "take_or_pay") == pytest.approx(2 * 50 * 5_000)


def test_spot_purchases_never_serve_demand() -> None:
    # One year, 1,000 t of CAM1 demand in D1; CAM1 has a market price of $1,000/t because the plant Q in
    # D1 (an existing pCAM-to-something plant, idle: its product X has no demand) lists CAM1 as a recipe
    # input. The only way to serve the cell makers is import K at $10,000/t + $500/t freight = $10,500/t
    # landed: 1,000 t x $10,500 = $10.5M. Spot purchases serve plant inputs only: buying 1,000 t at
    # $1,000 ($1.0M) for demand is not allowed, and Q, idle, draws (so may buy) nothing.
    t = {
        "settings": [{"parameter": k, "value": v} for k, v in {
            "title": "spot purchases", "first_year": 2026, "last_year": 2026, "discount_rate": 0.0,
            "penalty_unmet_demand": 1_000_000}.items()],
        "commodities": [{"commodity": "CAM1", "family": "CAM", "market_price": 1_000},
                        {"commodity": "X", "family": "CAM"}],
        "regions": [{"region": "D1", "domestic": True}, {"region": "Asia"}],
        "material_demand": [{"region": "D1", "year": 2026, "commodity": "CAM1", "tonnes": 1_000}],
        "projects": [plant("Q", site="D1", commodity="X", status="existing", capex_per_unit=0, earliest_start=2020,
                           lifetime=20)],
        "recipes": [{"project": "Q", "input": "CAM1", "t_per_t": 1.0}],
        "contracts": [{"contract": "K", "origin": "Asia", "commodity": "CAM1", "price": 10_000}],
        "transport": [{"from_region": "Asia", "to_region": "D1", "cost_per_t": 500, "both_ways": False}],
    }
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(10_500_000)
    assert component(sol, "purchases") == pytest.approx(0)
    assert sol.imports["tonnes"].sum() == pytest.approx(1_000)
    assert sol.supply["spot_purchases_t"].sum() == pytest.approx(0)


def test_spot_purchases_cover_exactly_the_plants_draw() -> None:
    # P (recipe 1.2 t pCAM per t, pCAM at $3,000/t spot) runs at 100 t/yr; it may buy its 120 t of pCAM but
    # not a tonne more: a second pCAM user elsewhere (demand of 50 t/yr of pCAM in OH itself, served only by
    # import KP at $9,000/t) must not be served from the spot market. Cost per year: P $100k + 100 x ($1,000 +
    # $3,600) + 50 t pCAM imported x $9,000 = $1,010,000; three years $3.03M.
    t = base()
    t["commodities"].append({"commodity": "pCAM", "family": "precursor", "market_price": 3_000})
    t["projects"] = [plant()]
    t["recipes"] = [{"project": "P", "input": "pCAM", "t_per_t": 1.2}]
    t["material_demand"] += [{"region": "OH", "year": y, "commodity": "pCAM", "tonnes": 50} for y in (2026, 2027, 2028)]
    t["contracts"].append({"contract": "KP", "origin": "Asia", "commodity": "pCAM", "price": 9_000})
    t["transport"] = [{"from_region": "Asia", "to_region": "OH", "cost_per_t": 0, "both_ways": False}]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(3_030_000)
    assert component(sol, "purchases") == pytest.approx(3 * 120 * 3_000)


def test_exclusive_group_holding_an_existing_plant_is_taken() -> None:
    # demand 200 t/yr. E, an existing plant of 100 t/yr at $5,000/t, shares the group "site" with the
    # candidate A ($1,000/t): the group's one plant exists, so A may not be built. E 100 t x $5,000 + 100 t
    # imported x $10,000 = $1.5M/yr -> $4.5M (building A as well would give 3 x ($200k + $500k) = $2.1M).
    t = base()
    for r in t["material_demand"]:
        r["tonnes"] = 200
    t["projects"] = [plant("E", status="existing", capex_per_unit=0, variable_cost=5_000, earliest_start=2020,
                           lifetime=20, exclusive_group="site"),
                     plant("A", exclusive_group="site")]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(4_500_000)
    assert built(sol) == {}


def test_jv_variants_of_grouped_projects_belong_to_the_group() -> None:
    # demand 200 t/yr. P ($1,000/t) and Q ($2,000/t) share the group "site"; J is a JV variant of P (half
    # owned by a partner in OH). Each alone saves money, but P, J and Q exclude each other: one of P or J
    # (the same cost to industry) is built: 3 x ($100k + $100k + 100 t x $10,000) = $3.6M.
    t = base()
    for r in t["material_demand"]:
        r["tonnes"] = 200
    t["projects"] = [plant("P", exclusive_group="site"), plant("Q", variable_cost=2_000, exclusive_group="site")]
    t["joint_ventures"] = [{"jv": "J", "project": "P", "partner": "OEM", "partner_region": "OH",
                            "equity_share": 0.5}]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(3_600_000)
    assert len(built(sol)) == 1 and set(built(sol)) <= {"P", "J"}


def _lp_and_milp(t: dict[str, Any], rounding: str) -> tuple[float, float, Any]:
    """Objective ($) of the LP relaxation and of the MILP of tables `t`, and the model, with `rounding`."""
    from helpers import instance_of
    from planner.cases import apply_case
    from planner.model.build import build_model
    from planner.solve.presets import merge_options
    from planner.solve.session import Session

    ci = apply_case(instance_of(t), None)
    m = build_model(ci, rounding=rounding)
    opts = merge_options("exact").highs
    lp = Session(m, relax_integrality=True).solve(opts, want_duals=False, load=False).objective
    milp = Session(m).solve(opts, want_duals=False, load=False).objective
    return lp * 1e6, milp * 1e6, m


def _rounding_tables() -> dict[str, Any]:
    # the base market (100 t/yr of CAM1 in OH), an existing 30 t/yr plant E and a candidate P of up to five
    # 40 t/yr units ($100k a year each, $1,000/t) at OH: every CAM1 plant sits at OH
    t = base()
    t["projects"] = [plant(units_max=5, capacity_per_unit=40),
                     plant("E", status="existing", capacity_per_unit=30, capex_per_unit=0, earliest_start=2020,
                           lifetime=20)]
    return t


def test_market_rounding_closes_the_rounding_gap_of_a_sole_site() -> None:
    # E makes 30 t ($30k a year); the other 70 t come from Z units of P or imports ($10,000/t). Integer: Z = 1
    # imports 30 t: $100k + $40k + $300k = $440k; Z = 2 makes 70 t: $200k + $70k = $270k. So Z = 2 from
    # 2026, $300k a year with E's output, $900k. The LP relaxation builds Z = 1.75 units (70 t exactly):
    # $175k + $70k + $30k = $275k a year, $825k. Rounding (divisor 40 t: residual market 70 t = 1.75 units,
    # fraction f = 0.75, k = 2) gives x_P + x_E <= 100 - 40 x 0.75 x 2 + 40 x 0.75 Z = 40 + 30 Z [t]; with
    # it the LP's best Z in [1, 2] makes 40 + 30 Z t at 640k - 170k Z a year, so Z = 2: $900k, the integer
    # optimum. The half-unit divisor (20 t: 70 / 20 = 3.5, f = 0.5) gives the weaker x <= 60 + 20 Z.
    lp_off, milp_off, m_off = _lp_and_milp(_rounding_tables(), "off")
    lp, milp, m = _lp_and_milp(_rounding_tables(), "sole")
    assert not hasattr(m_off, "c_market_rounding")
    assert {(c, r, y) for c, r, y, _j in m.c_market_rounding.row_keys} == {("CAM1", "OH", y) for y in (2026, 2027, 2028)}
    assert lp_off == pytest.approx(825_000)
    assert lp == pytest.approx(900_000)
    assert milp == pytest.approx(900_000) and milp_off == pytest.approx(900_000)


def test_market_rounding_where_a_product_has_two_sites() -> None:
    # a second candidate Q at PA (free freight to OH): the product has two sites, so `sole` adds no rows and
    # `all` adds rows at both; the rows never change the optimum (they are valid for every integer plan)
    t = _rounding_tables()
    t["regions"].append({"region": "PA", "domestic": True})
    t["transport"].append({"from_region": "PA", "to_region": "OH", "cost_per_t": 0, "both_ways": False})
    t["projects"].append(plant("Q", site="PA", units_max=3, capacity_per_unit=40, capex_per_unit=330_000))
    results = {r: _lp_and_milp(t, r) for r in ("off", "sole", "all")}
    assert not hasattr(results["sole"][2], "c_market_rounding")
    assert {r for _c, r, _y, _j in results["all"][2].c_market_rounding.row_keys} == {"OH", "PA"}
    assert results["all"][0] >= results["off"][0] - 1e-6
    assert results["sole"][1] == pytest.approx(results["off"][1], rel=1e-9)
    assert results["all"][1] == pytest.approx(results["off"][1], rel=1e-9)
    assert results["off"][1] == pytest.approx(900_000)  # Q costs $110k a unit-year: P and E as before


def test_market_rounding_mir_coefficients() -> None:
    # f * floor(q) + min(frac(q), f): a whole q gives f * q, a fraction above f is cut to f
    from planner.model.families.market_rounding import mir_coefficient

    assert mir_coefficient(1.0, 0.75) == pytest.approx(0.75)
    assert mir_coefficient(2.0, 0.5) == pytest.approx(1.0)
    assert mir_coefficient(1.5, 0.25) == pytest.approx(0.5)  # 0.25 x 1 + min(0.5, 0.25)
    assert mir_coefficient(0.2, 0.25) == pytest.approx(0.2)
    assert mir_coefficient(2.9999999999, 0.5) == pytest.approx(1.5)


def test_unknown_rounding_is_refused() -> None:
    from helpers import instance_of
    from planner.cases import apply_case
    from planner.model.build import build_model, count_model

    ci = apply_case(instance_of(_rounding_tables()), None)
    with pytest.raises(ValueError, match="rounding must be one of sole, all, off"):
        build_model(ci, rounding="some")
    with pytest.raises(ValueError, match="rounding must be one of sole, all, off"):
        count_model(ci, rounding="some")


def test_shipments_only_on_cheapest_routes() -> None:
    from planner.model.families.shipments import cheapest_route_arcs

    # source A, sinks B and C. A->B (10) is dominated by A->H->B (3 + 4); A->C (8) ties A->H->C (3 + 5):
    # both routes kept. B->A leads back to the source and X->B starts where nothing is supplied.
    links = {("A", "B"): 10.0, ("A", "H"): 3.0, ("H", "B"): 4.0, ("H", "C"): 5.0, ("A", "C"): 8.0,
             ("B", "A"): 1.0, ("X", "B"): 1.0}
    assert cheapest_route_arcs(links, {"A"}, {"B", "C"}) == [("A", "C"), ("A", "H"), ("H", "B"), ("H", "C")]
    assert cheapest_route_arcs(links, {"A"}, set()) == []
    assert cheapest_route_arcs(links, {"A"}, {"X"}) == []  # X is reached from nowhere
    assert cheapest_route_arcs({("A", "B"): 0.0}, {"A"}, {"B"}) == [("A", "B")]


def test_a_route_through_a_transit_region_is_kept_and_a_dominated_link_left_out() -> None:
    # the backstop K1 lands in Asia; Asia->OH directly costs $300/t, Asia->Port->OH $100 + $100: every
    # tonne goes through Port (neither supplied nor used there): 3 x 100 t x ($10,000 + $200) = $3.06M.
    # The commodity is ungraded (pool `all`): its links are pruned like a grade's.
    from helpers import instance_of
    from planner.cases import apply_case
    from planner.model.families.shipments import ship_index

    t = base()
    t["regions"].append({"region": "Port"})
    t["transport"] = [{"from_region": "Asia", "to_region": "OH", "cost_per_t": 300, "both_ways": False},
                      {"from_region": "Asia", "to_region": "Port", "cost_per_t": 100, "both_ways": False},
                      {"from_region": "Port", "to_region": "OH", "cost_per_t": 100, "both_ways": False}]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(3_060_000)
    ships = ship_index(apply_case(instance_of(t), None))
    assert {(g, i, j) for _c, g, i, j, _y in ships} == {("all", "Asia", "Port"), ("all", "Port", "OH")}
