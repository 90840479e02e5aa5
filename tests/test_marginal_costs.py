"""The marginal cost of demand (results table `marginal_costs`) against finite differences with the plan
fixed: one tonne more and one tonne less of a demand cell, the builds and signings held at the plan.

Demand enters the balance row, the bound of its unmet slack and the right-hand side of every
localization target covering it, so d(cost)/d(D) = supply price (balance dual) + sum over targets of
share x target dual (docs/model.md, *Material balance*).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from factories import base, plant, policy
from helpers import instance_of, solve_tables
from planner import resources
from planner.compare.compare import plan_of
from planner.instance.records import Instance
from planner.cases import load_instance
from planner.results.solution import Solution
from planner.run import solve_case
from planner.solve.presets import merge_options

OPTS = merge_options("exact")


def finite_differences(inst: Instance, case: str | None, sol: Solution, cell: tuple[str, str, int]
                       ) -> tuple[float, float]:
    """(saving of one tonne less, cost of one tonne more) of demand `cell`, plan fixed, in $ of its year."""
    plan = plan_of(sol)
    df = inst.settings.discount_factor(cell[2])

    def objective(delta: float) -> float:
        demand = dict(inst.base_demand)
        demand[cell] = demand[cell] + delta
        s = solve_case(replace(inst, base_demand=demand), case, options=OPTS, plan=plan)
        assert s.status["proven_optimal"]
        return float(s.status["objective_usd"])

    mid = objective(0.0)
    assert mid == pytest.approx(float(sol.status["objective_usd"]), rel=1e-9)
    return (mid - objective(-1.0)) / df, (objective(1.0) - mid) / df


def two_targets() -> tuple[dict, Instance]:
    # One year (2026, discounted at 10% to base year 2025). Demand 100 t of CAM1 and 100 t of CAM2 in OH;
    # imports of both at $10,000/t (not qualifying). Qualifying U.S. plants P1 (CAM1, $11,000/t) and P2
    # (CAM2, $12,000/t), 200 t/yr each, free to build. Targets: CAM family 50% (100 t), CAM2 alone 30% (30 t).
    # Optimum: P2 makes 30 t for the CAM2 target, P1 makes the other 70 t of the family target; imports
    # supply the rest. All of these are strictly inside their bounds, so the duals are unique:
    #   supply prices: $10,000/t (imports);  CAM family target: $11,000 - $10,000 = $1,000/t (P1);
    #   CAM2 target: P2 serves both targets, $12,000 - $10,000 = $2,000 = $1,000 + mu  ->  $1,000/t.
    #   marginal cost of demand: CAM1 10,000 + 0.5 x 1,000 = $10,500/t;
    #                            CAM2 10,000 + 0.5 x 1,000 + 0.3 x 1,000 = $10,800/t.
    t = base(last_year=2026, base_year=2025, discount_rate=0.1)
    t["commodities"].append({"commodity": "CAM2", "family": "CAM"})
    t["material_demand"] = [{"region": "OH", "year": 2026, "commodity": c, "tonnes": 100} for c in ("CAM1", "CAM2")]
    t["contracts"].append({"contract": "K2", "origin": "Asia", "commodity": "CAM2", "price": 10_000})
    t["transport"] = [{"from_region": "Asia", "to_region": "OH", "cost_per_t": 0, "both_ways": False}]
    t["projects"] = [plant("P1", capacity_per_unit=200, variable_cost=11_000, capex_per_unit=0),
                     plant("P2", commodity="CAM2", capacity_per_unit=200, variable_cost=12_000, capex_per_unit=0)]
    t["policy"] = policy(case={"localization_target": 0.5, "localization_target:CAM2": 0.3})
    return t, instance_of(t)


def test_marginal_cost_of_demand_includes_the_targets() -> None:
    t, inst = two_targets()
    sol = solve_tables(t)
    mc = sol.marginal_costs.set_index("commodity")
    assert mc.loc["CAM1", "supply_price_usd_per_t"] == pytest.approx(10_000)
    assert mc.loc["CAM2", "supply_price_usd_per_t"] == pytest.approx(10_000)
    assert mc.loc["CAM1", "localization_targets_usd_per_t"] == pytest.approx(500)
    assert mc.loc["CAM2", "localization_targets_usd_per_t"] == pytest.approx(800)
    assert mc.loc["CAM1", "marginal_cost_usd_per_t"] == pytest.approx(10_500)
    assert mc.loc["CAM2", "marginal_cost_usd_per_t"] == pytest.approx(10_800)
    assert mc.loc["CAM2", "discounted_usd_per_t"] == pytest.approx(10_800 / 1.1)
    assert "CAM 2026 target: 50%" in mc.loc["CAM2", "note"] and "CAM2 2026 target: 30%" in mc.loc["CAM2", "note"]
    for c, expected in (("CAM1", 10_500), ("CAM2", 10_800)):
        down, up = finite_differences(inst, None, sol, (c, "OH", 2026))
        assert down == pytest.approx(expected, rel=1e-6)
        assert up == pytest.approx(expected, rel=1e-6)


def test_tiny_localize_marginal_cost_lies_between_one_tonne_less_and_one_tonne_more() -> None:
    # instances/tiny.xlsx, case localize, SG in OH in 2028 (tests/test_tiny.py): P3 meets the 500 t AAM target
    # at its ramped-up capacity. One more tonne of demand is imported ($8,000) and raises the target by half
    # a tonne that nothing qualifying can supply: $25,000 of penalty, $33,000 in all. One tonne less saves
    # the import and lets half a tonne of P3 ($8,100 net of 45X) give way to imports ($8,000): $8,050.
    # The duals give a value between the two (degenerate point); the supply price is the import, $8,000.
    inst = load_instance(resources.data_dir("instances") / "tiny.xlsx")
    sol = solve_case(inst, "localize", options=OPTS)
    row = sol.marginal_costs.set_index(["commodity", "region", "year"]).loc[("SG", "OH", 2028)]
    assert row["supply_price_usd_per_t"] == pytest.approx(8_000)
    down, up = finite_differences(inst, "localize", sol, ("SG", "OH", 2028))
    assert down == pytest.approx(8_050)
    assert up == pytest.approx(33_000)
    assert down - 1e-6 <= row["marginal_cost_usd_per_t"] <= up + 1e-6
    assert row["marginal_cost_usd_per_t"] == pytest.approx(row["supply_price_usd_per_t"]
                                                           + row["localization_targets_usd_per_t"])
    assert "AAM 2028 target" in row["note"]
    # in 2026 no target covers SG: the marginal cost is the supply price
    row = sol.marginal_costs.set_index(["commodity", "region", "year"]).loc[("SG", "OH", 2026)]
    assert row["marginal_cost_usd_per_t"] == pytest.approx(row["supply_price_usd_per_t"]) and row["note"] == ""


def test_all_demand_unmet_costs_the_penalty() -> None:
    # no supply at all: every tonne is unmet, and one more costs the $1,000,000 penalty, however the LP
    # splits the dual between the balance and the bound of the unmet slack
    t = base(last_year=2026)
    t["contracts"], t["transport"] = [], []
    sol = solve_tables(t)
    row = sol.marginal_costs.iloc[0]
    assert row["marginal_cost_usd_per_t"] == pytest.approx(1_000_000)
    assert "penalty" in row["note"]
