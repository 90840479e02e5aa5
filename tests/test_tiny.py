"""instances/tiny.xlsx solved from the file, against its optimum derived by hand.

The instance (tests/factories.py): years 2026-2028, no discounting; one U.S. region OH needing
1,000 t of NMC811 cathode and 500 t of SG anode per GWh of cells, for 1, 1.5 and 2 GWh:
NMC811 1,000 / 1,500 / 2,000 t and SG 500 / 750 / 1,000 t. Supply:

* P1, existing NMC811 plant, 1,200 t/yr at $20,000/t (sunk, no fixed cost).
* P2, candidate NMC811 plant, up to 2 modules of 600 t/yr, $6M each, 6-year life (annuity $1M/yr per
  module at r = 0), $16,000/t, 45X-eligible, one year to build (start 2026 -> online 2027).
* P3, candidate SG plant, 1,000 t/yr, $3M, 3-year life ($1M/yr), $9,000/t, 45X-eligible, online at
  start, qualified a year later, 50% of nameplate in its first qualified year.
* K1, Chinese SG at $6,000/t, 25% tariff, $500/t freight: $8,000/t landed. No NMC811 import.
* Both cases pay 45X at 10% of production cost: $1,600/t for P2, $900/t for P3.

Case `base`:
* NMC811: each P2 module saves $4,000/t x 600 t = $2.4M/yr against P1 for $1M/yr: both modules start
  in 2026 (a 2027 start would save one year only). Output: P1 1,000 / 300 / 800 t, P2 0 / 1,200 / 1,200 t.
  Variable cost $20k x 2,100 t + $16k x 2,400 t = $80.4M; annuities 2 x 2 years x $1M = $4M;
  45X $1,600 x 2,400 t = -$3.84M.
* SG: P3 nets $9,000 - $900 = $8,100/t, dearer than $8,000 imported: all 2,250 t imported, $18M.
* Total $80.4M + $4M - $3.84M + $18M = $98.56M.

Case `localize` adds a 50% target on 2028 AAM demand: 500 t of qualifying (U.S.) anode.
* P3 is the only way; started in 2027 (the latest start that qualifies it in 2028) it pays two years
  of annuity ($2M) and its first qualified year's 50% ramp-up gives exactly 500 t in 2028 (a 2026
  start would pay three years for the same 500 t). Those 500 t cost $100/t more than imports: $50k.
* Total $98.56M + $2M + $50k = $100.61M, against $25M of penalty (500 t x $50,000) without it.
* The target's shadow price: $100/t (P3's net cost less the import price) — but P3 is at its
  ramped-up capacity in 2028, so the dual is degenerate between $100 and the penalty; HiGHS's
  fixed-integer LP reports $100 (see test_explain for a non-degenerate dual against a finite difference).
* Marginal supply costs in OH: NMC811 $20,000/t (P1, not at capacity, is the marginal source), SG
  $8,000/t (imports).
"""

from __future__ import annotations

import pytest

from helpers import assert_invariants, built, component, cost, output
from planner import resources
from planner.cases import apply_case
from planner.cases import load_instance
from planner.run import solve_case
from planner.solve.presets import merge_options

TINY = resources.data_dir("instances") / "tiny.xlsx"


@pytest.fixture(scope="module")
def inst():  # noqa: ANN201
    return load_instance(TINY)


@pytest.mark.parametrize("case, expected", [("base", 98_560_000), ("localize", 100_610_000)])
def test_tiny_optimum_by_hand(inst, case: str, expected: float) -> None:  # noqa: ANN001
    sol = solve_case(inst, case, options=merge_options("exact"))
    assert sol.status["proven_optimal"]
    assert cost(sol) == pytest.approx(expected)
    assert_invariants(sol, apply_case(inst, case))
    assert output(sol, "P1") == pytest.approx({2026: 1000, 2027: 300, 2028: 800})
    assert output(sol, "P2") == pytest.approx({2027: 1200, 2028: 1200})
    assert component(sol, "credit_45x") == pytest.approx(-3_840_000 - (450_000 if case == "localize" else 0))
    mc = sol.marginal_costs.set_index(["commodity", "region", "year"])["marginal_cost_usd_per_t"]
    assert mc[("NMC811", "OH", 2027)] == pytest.approx(20_000)
    assert mc[("SG", "OH", 2026)] == pytest.approx(8_000)
    if case == "base":
        assert built(sol) == {"P2": (2, 2026)}
        assert sol.imports["tonnes"].sum() == pytest.approx(2_250)
    else:
        assert built(sol) == {"P2": (2, 2026), "P3": (1, 2027)}
        assert output(sol, "P3") == pytest.approx({2028: 500})
        loc = sol.localization.set_index(["group", "year"])
        assert loc.loc[("AAM", 2028), "share"] == pytest.approx(0.5)
        assert loc.loc[("AAM", 2028), "target_cost_usd_per_t"] == pytest.approx(100)
