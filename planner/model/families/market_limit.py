"""Market limit: an optional tightening of the production rows."""

from __future__ import annotations

import pyomo.environ as pyo

from planner.cases.case import CaseInstance
from planner.model.core import MASS, Context, Term, add_rows
from planner.model.families.substitution import demand_bound


def product_market(ci: CaseInstance) -> dict[tuple[str, int], float]:
    """(commodity, year) -> the most of it any plan can use [kt]: all demand (or the most substitution groups
    may ask of it) plus the most every plant could draw as a recipe input. Summed over all regions and
    grades, the balance rows leave output nowhere else to go, so no plan produces more in a year."""
    def make() -> dict[tuple[str, int], float]:
        market: dict[tuple[str, int], float] = {}
        for (c, _r, y), t in demand_bound(ci).items():
            market[(c, y)] = market.get((c, y), 0.0) + t * MASS
        for q in ci.projects.values():
            for c, tpt in q.recipe:
                for y in ci.sets.years:
                    market[(c, y)] = market.get((c, y), 0.0) + tpt * q.capacity * q.units_max * MASS
        return market
    return ci.memo("market_limit.product_market", make)


def add_market_limit(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Market limit (a tightening): a plant never delivers more than its product's whole market.

    $$x_{p,y} \le \bar D_{c_p,y} \sum_{s:\, a_{p,s,y} > 0} U_{p,s} \qquad \text{where } \bar D_{c_p,y} < \kappa_p \max_s a_{p,s,y}$$

    $\bar D_{c,y}$ is all demand for commodity $c$ in year $y$ (or the most substitution groups may ask of
    it) plus the most any plant could draw as a recipe input. The row is valid for every integer plan (a plant built produces at most the
    market) and redundant for them, but it cuts the LP relaxation wherever a plant is larger than
    its market — the facility-location strengthening $x_{ij} \le d_j y_i$ — so HiGHS's bound at
    the root is closer to the optimum. Rows only where they cut. Row `c_market_limit[p, y]`.
    Off by default (`build_model(tighten=True)`, `planner bench --tighten`): measured on the
    synthetic instances it closed most of the bound gap at branching on a small strict case but
    made HiGHS 2.3x slower on the 250k-variable one (docs/performance.md).

    Dual: not meaningful (a tightening row; it is slack at every integer plan but for ties).
    """
    sets, ci = ctx.sets, ctx.ci
    if not ctx.tighten or not sets.prod:
        return
    market = product_market(ci)
    rows: dict[tuple[str, int], tuple[list[Term], str, float]] = {}
    units_v = ctx.v.get("v_units", {})
    for p, y in sets.prod:
        prj = ci.projects[p]
        if prj.fixed:
            continue
        d = market.get((prj.commodity, y), 0.0)
        opts = sets.deliverable[(p, y)]
        if d >= prj.capacity * MASS * max(a for _s, a in opts):
            continue
        rows[(p, y)] = ([(1.0, ctx.v["v_prod"][p, y])] + [(-d, units_v[p, s]) for s, _a in opts], "<=", 0.0)
    add_rows(m, "c_market_limit", rows, "output within the product's whole market")
