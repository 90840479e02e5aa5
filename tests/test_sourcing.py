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


@pytest.mark.parametrize(("delta", "expected"), [(1_001, 1_400_000), (999, 1_399_940)])
def test_the_lp_relaxation_earns_45x_only_by_buying_the_non_pfe_input_it_needs(delta: float, expected: float) -> None:
    # _pcam_plant with P twice as large (200 t/yr) as the 100 t it makes. A big-M test (credit <= chi X b,
    # MACR row relaxed by (1 - b) X) lets the LP relaxation set b = 1/2 and take the whole $60,000 of 45X
    # with all-PFE pCAM: $1.34M, a root gap of $60,000 that only branching closed. In the hull form the LP
    # earns $600 per credited tonne only by covering 0.6 t of it with non-PFE pCAM at delta extra, so its
    # optimum is the MILP's: no 45X ($1.4M) when 0.6 x delta > $600, all of it (100 t credited,
    # 60 t from KK: $1.4M - $60,000 + 60 x $999) when 0.6 x delta < $600.
    from test_families import _lp_and_milp

    t = _pcam_plant(delta)
    t["projects"][0]["capacity_per_unit"] = 200
    lp, milp, _m = _lp_and_milp(t, "sole")
    assert milp == pytest.approx(expected, abs=1e-3)
    assert lp == pytest.approx(expected, abs=1e-3)


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


# ------------------------------------------------------------------------------------------ cell credit
def _cell_region(delta: float) -> dict:
    """One year (2026). Cells in OH: 0.1 GWh of segment NMC (a chemistry named directly), 1,000 t of CAM1 per
    GWh: 100 t of CAM1 (reference price $10,000/t). Supply: K (China, FEOC) at $10,000/t + 10% tariff +
    $500/t freight = $11,500/t landed, unlimited; D, an existing domestic plant (100 t/yr, not 45X-eligible)
    at $11,500 + delta per t. The cell credit: $5/kWh; threshold 80%; other cell materials $2.5/kWh, all
    PFE."""
    return {
        "settings": [{"parameter": k, "value": v} for k, v in {
            "title": "cell credit", "first_year": 2026, "last_year": 2026, "discount_rate": 0.0,
            "penalty_unmet_demand": 1_000_000}.items()],
        "commodities": [{"commodity": "CAM1", "family": "CAM", "reference_price": 10_000}],
        "regions": [{"region": "OH", "domestic": True}, {"region": "China", "feoc": True}],
        "intensity": [{"chemistry": "NMC", "commodity": "CAM1", "t_per_gwh": 1_000}],
        "cell_demand": [{"region": "OH", "year": 2026, "segment": "NMC", "gwh": 0.1}],
        "projects": [{"project": "D", "site": "OH", "commodity": "CAM1", "status": "existing",
                      "capacity_per_unit": 100, "variable_cost": 11_500 + delta, "earliest_start": 2020,
                      "lifetime": 20}],
        "contracts": [{"contract": "K", "origin": "China", "commodity": "CAM1", "price": 10_000}],
        "transport": [{"from_region": "China", "to_region": "OH", "cost_per_t": 500, "both_ways": False}],
        "policy": [{"parameter": "tariff", "region": "China", "case": 0.10},
                   {"parameter": "cell_credit", "case": 5},
                   {"parameter": "cell_macr_min", "case": 0.8},
                   {"parameter": "cell_other_materials_cost", "case": 2.5},
                   {"parameter": "cell_other_materials_pfe_share", "case": 1.0}],
    }


@pytest.mark.parametrize(("delta", "switches", "expected"), [
    (4_999, True, 1_149_900),   # 100 t x $4,999 = $499,900 < $500,000 of credit: the whole pool domestic
    (5_001, False, 1_150_000),  # 100 t x $5,001 = $500,100 > $500,000: imports, no credit
])
def test_cell_region_switches_its_whole_pool_to_domestic_cam_when_the_credit_outweighs_the_gap(
        delta: float, switches: bool, expected: float) -> None:
    # A GWh of cells holds 1,000 t of CAM1 ($10M at the reference price) and $2.5M of other materials (all
    # PFE): W = $12.5M, and 80% of it is $10M, i.e. every tonne of CAM1 in a credited cell must be non-PFE.
    # Crediting g GWh (of 0.1) therefore takes 1,000 g t of D's CAM1 at delta more than imports, and earns
    # $5/kWh x 1e6 g = $5M g: per tonne of CAM1, $5,000 of credit against the landed-price gap delta. Both
    # linear in g: all or nothing. Imports only: 100 t x $11,500 = $1.15M. Domestic: 100 x ($11,500 + delta)
    # - $500,000 = $1,150,000 + 100 delta - 500,000, below $1.15M iff delta < $5,000/t.
    sol = solve_tables(_cell_region(delta))
    assert cost(sol) == pytest.approx(expected, abs=1e-3)
    c = sol.table("cell_credit").iloc[0]
    assert c["decided_by"] == "sourcing"
    assert c["credited_share"] == pytest.approx(1.0 if switches else 0.0)
    d = sol.table("deliveries").iloc[0]
    assert d["non_pfe_t"] == pytest.approx(100 if switches else 0) and d["pfe_t"] == pytest.approx(0 if switches else 100)
    assert component(sol, "cell_credit") == pytest.approx(-500_000 if switches else 0)
    assert sol.credits["cell_credit_usd"].sum() == pytest.approx(500_000 if switches else 0)
    assert sol.kpi("public_cost_usd") == pytest.approx(500_000 if switches else 0)
    if switches:
        assert c["macr_share"] == pytest.approx(0.8) and c["credit_usd"] == pytest.approx(500_000)


def test_ess_cells_face_their_own_48e_style_test() -> None:
    # Two segments of 0.1 GWh each in OH, both LFP cells (1,000 t of LFP per GWh: 200 t in all, reference
    # $10,000/t): EV with the 45X cell credit ($5/kWh, 85% threshold) and ESS with a 48E-style value of
    # $3/kWh and its own 55% threshold (no other materials). Imports from China (FEOC) at $10,000/t landed;
    # D, domestic, 100 t/yr at $12,000/t. A credited GWh needs 850 t (EV) or 550 t (ESS) of non-PFE LFP: the
    # credit per non-PFE tonne is $5M / 850 = $5,882 (EV) and $3M / 550 = $5,455 (ESS), both above D's
    # $2,000 premium, so D runs full and its 100 t go first to EV (85 t: all 0.1 GWh credited, $500,000),
    # the other 15 t to ESS (15 / 550 = 0.027273 GWh, 27.27% of ESS, $81,818). Cost: 100 t imported $1.0M +
    # D $1.2M - $581,818.18 = $1,618,181.82.
    t = {
        "settings": [{"parameter": k, "value": v} for k, v in {
            "title": "48E", "first_year": 2026, "last_year": 2026, "discount_rate": 0.0,
            "penalty_unmet_demand": 1_000_000}.items()],
        "commodities": [{"commodity": "LFP", "family": "CAM", "reference_price": 10_000}],
        "regions": [{"region": "OH", "domestic": True}, {"region": "China", "feoc": True}],
        "intensity": [{"chemistry": "LFPc", "commodity": "LFP", "t_per_gwh": 1_000}],
        "chemistry_mix": [{"segment": s, "year": 2026, "chemistry": "LFPc", "share": 1.0} for s in ("EV", "ESS")],
        "cell_demand": [{"region": "OH", "year": 2026, "segment": s, "gwh": 0.1} for s in ("EV", "ESS")],
        "projects": [{"project": "D", "site": "OH", "commodity": "LFP", "status": "existing",
                      "capacity_per_unit": 100, "variable_cost": 12_000, "earliest_start": 2020, "lifetime": 20}],
        "contracts": [{"contract": "K", "origin": "China", "commodity": "LFP", "price": 10_000}],
        "transport": [{"from_region": "China", "to_region": "OH", "cost_per_t": 0, "both_ways": False}],
        "policy": [{"parameter": "cell_credit", "segment": "EV", "case": 5},
                   {"parameter": "cell_credit", "segment": "ESS", "case": 3},
                   {"parameter": "cell_macr_min", "segment": "EV", "case": 0.85},
                   {"parameter": "cell_macr_min", "segment": "ESS", "case": 0.55}],
    }
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(2_200_000 - 500_000 - 3e6 * 15 / 550, abs=1e-3)
    c = sol.table("cell_credit").set_index("segment")
    assert c.loc["EV", "credited_share"] == pytest.approx(1.0)
    assert c.loc["ESS", "credited_share"] == pytest.approx(15 / 55)
    assert c.loc["ESS", "macr_share"] == pytest.approx(0.55) and c.loc["EV", "macr_share"] == pytest.approx(0.85)
    assert c["credit_usd"].sum() == pytest.approx(500_000 + 3e6 * 15 / 550)


def test_cell_credit_inputs_are_checked_where_they_are_typed() -> None:
    # a material of tested cells without a price; a segment the cells do not have; a segment on a parameter
    # that takes none: each reported at its sheet, row and column
    t = _cell_region(0)
    t["commodities"][0]["reference_price"] = None
    with pytest.raises(InstanceError) as e:
        instance_of(t)
    (issue,) = e.value.issues
    assert (issue.sheet, issue.row, issue.field) == ("commodities", 2, "reference_price")
    assert "the cell credit's test of segment NMC" in issue.message
    t = _cell_region(0)
    t["policy"] += [{"parameter": "cell_macr_min", "segment": "EVV", "case": 0.5},
                    {"parameter": "x45_rate", "segment": "NMC", "case": 0.1}]
    with pytest.raises(InstanceError) as e:
        instance_of(t)
    issues = sorted(e.value.errors, key=lambda i: i.row)
    assert [(i.sheet, i.row, i.field) for i in issues] == [("policy", 7, "segment"), ("policy", 8, "segment")]
    assert "unknown cell segment 'EVV'" in issues[0].message and issues[0].column
    assert "'x45_rate' does not take a segment" in issues[1].message


def test_a_workbook_without_the_new_columns_is_read_as_before() -> None:
    # market_pfe_share, reference_price and other_materials_cost may be missing from the header row (workbooks
    # written before them): blank everywhere, which is the model of before (no declared spot origin, the
    # market price as reference, no other materials)
    from planner.io.reader import RawSheet, workbook_from_tables

    from factories import tiny_tables
    from planner.cases import validate

    raw = workbook_from_tables(tiny_tables())
    whole = validate(raw)
    for sheet, column in (("commodities", "market_pfe_share"), ("commodities", "reference_price"),
                          ("projects", "other_materials_cost")):
        s = raw.find(sheet)
        letter = next(k for k, h in s.headers.items() if h == column)
        raw.sheets[s.name] = RawSheet(s.name, {k: h for k, h in s.headers.items() if k != letter},
                                      tuple(type(r)(r.row, {k: x for k, x in r.values.items() if k != letter})
                                            for r in s.rows))
    without = validate(raw)
    assert not without.warnings
    assert without.commodities == whole.commodities and without.projects == whole.projects


# ------------------------------------------------------------------------------ cell credit x substitution
@pytest.mark.parametrize(("delta", "credited"), [(2_000, True), (3_000, False)])
def test_a_substitute_competes_with_the_credited_pool_of_a_graded_member(delta: float, credited: bool) -> None:
    # The cell region above, and a substitute: CAM2 from Korea (not FEOC, no tariff, free freight) at $9,000/t,
    # in group G with CAM1 (shares 0-1, 1 t per t). Cell makers may meet their 100 t of CAM1 with CAM2; a credited
    # cell still needs its CAM1 non-PFE (the pool's test is on CAM1), and the credited cells' CAM1 must lie within
    # the part of the group's requirement met. Per tonne: CAM2 $9,000; CAM1 from D $11,500 + delta less $5,000 of
    # credit. delta = 2,000: $8,500 < $9,000, all from D, credited: 100 x 13,500 - 500,000 = $850,000.
    # delta = 3,000: $9,500 > $9,000, all CAM2, no credit: 100 x 9,000 = $900,000. (Imports of CAM1 from China:
    # $11,500, never.)
    t = _cell_region(delta)
    t["commodities"].append({"commodity": "CAM2", "family": "CAM", "reference_price": 10_000})
    t["regions"].append({"region": "Korea"})
    t["contracts"].append({"contract": "K2", "origin": "Korea", "commodity": "CAM2", "price": 9_000})
    t["transport"].append({"from_region": "Korea", "to_region": "OH", "cost_per_t": 0, "both_ways": False})
    t["substitution"] = [{"group": "G", "commodity": c, "min_share": 0.0, "max_share": 1.0, "t_per_t": 1.0}
                         for c in ("CAM1", "CAM2")]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(850_000 if credited else 900_000, abs=1e-3)
    s = sol.table("substitution").set_index("commodity")
    assert s.loc["CAM1", "served_t"] == pytest.approx(100 if credited else 0, abs=1e-6)
    assert s.loc["CAM2", "served_t"] == pytest.approx(0 if credited else 100, abs=1e-6)
    c = sol.table("cell_credit").iloc[0]
    assert c["credited_share"] == pytest.approx(1.0 if credited else 0.0)
    d = sol.table("deliveries").set_index("commodity").loc["CAM1"]
    assert d["non_pfe_t"] == pytest.approx(100 if credited else 0, abs=1e-6)
    assert d["demand_t"] == pytest.approx(100 if credited else 0, abs=1e-6)  # what CAM1 serves to the group


@pytest.mark.parametrize("with_offtake", [False, True])
def test_an_offtake_carries_its_plants_grade_to_the_buyer(with_offtake: bool) -> None:
    # The cell region above with D sited in GA (domestic, free freight GA -> OH) at $11,500 + $6,000 per t:
    # $17,500 - $5,000 of credit = $12,500 > $11,500 landed from China, so without an agreement the plan imports
    # (100 x 11,500 = $1,150,000, no credit). An offtake obliging OH to take D's 100 t (shortfall at $1M/t) brings
    # them to OH as non-PFE tonnes: they fill the credited pool, 100 x 17,500 - 500,000 = $1,250,000.
    t = _cell_region(6_000)
    t["regions"].append({"region": "GA", "domestic": True})
    t["projects"][0]["site"] = "GA"
    t["transport"].append({"from_region": "GA", "to_region": "OH", "cost_per_t": 0, "both_ways": False})
    if with_offtake:
        t["offtakes"] = [{"offtake": "O1", "project": "D", "buyer_region": "OH", "min_t": 100, "first_year": 2026,
                          "last_year": 2026, "shortfall_penalty": 1_000_000}]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(1_250_000 if with_offtake else 1_150_000, abs=1e-3)
    assert sol.table("cell_credit").iloc[0]["credited_share"] == pytest.approx(1.0 if with_offtake else 0.0)
    d = sol.table("deliveries").iloc[0]
    assert d["non_pfe_t"] == pytest.approx(100 if with_offtake else 0, abs=1e-6)


def test_a_plant_that_makes_nothing_is_reported_as_no_output_not_as_failing_its_macr() -> None:
    # P exists but the only demand (100 t of CAM1 in OH) is served by an import K1 at $1/t (free
    # freight): P makes nothing, its 45X binary is free, and the x45 table says why there is no credit
    # in words that are true whatever value the binary takes
    t = _pcam_plant(1_001)
    t["regions"].append({"region": "Japan"})
    t["contracts"].append({"contract": "K1", "origin": "Japan", "commodity": "CAM1", "price": 1})
    t["transport"].append({"from_region": "Japan", "to_region": "OH", "cost_per_t": 0, "both_ways": False})
    sol = solve_tables(t)
    x = sol.table("x45").iloc[0]
    assert x["output_t"] == pytest.approx(0) and x["decided_by"] == "sourcing"
    assert x["note"] == "no output" and not bool(x["earned"])
