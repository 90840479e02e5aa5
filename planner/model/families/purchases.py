"""Spot purchases of (ungraded) plant inputs at market price."""

from __future__ import annotations

import pyomo.environ as pyo

from planner.cases.case import CaseInstance
from planner.model.core import PER_T, Context, Term, add_rows
from planner.model.sourcing import ALL, sourcing


def purchase_index(ci: CaseInstance) -> list[tuple[str, str, int]]:
    """(commodity, region, year) where a plant that may produce draws an ungraded input that has a market price."""
    graded = sourcing(ci).graded
    buys: set[tuple[str, str, int]] = set()
    for pid, y in ci.sets.prod:
        p = ci.projects[pid]
        for c, _ in p.recipe:
            if ci.commodities[c].market_price is not None and c not in graded:
                buys.add((c, p.site, y))
    return sorted(buys)


def add_purchases(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Spot purchases of plant inputs at the commodity's market price, never more than the plants draw.

    $$0 \le b_{c,r,y} \le \sum_{p @ r} \phi_{p,c}\, x_{p,y}$$

    `v_buy[c, r, y]` ($b_{c,r,y}$) buys commodity $c$ at its market price (commodities sheet) in
    region $r$ and year $y$, for inputs with a market price, in regions where a plant uses them. It
    enters the balance of $r$ like any supply, but row `c_purchase_limit[c, r, y]` holds it within
    the recipe inputs $\phi_{p,c}\,x_{p,y}$ that the plants sited in $r$ draw that year: spot
    purchases serve plants' recipe inputs only, never cell makers' demand (which is met by plants,
    import contracts — with their tariffs, freight and bans — or left unmet at the penalty), and
    they never count as qualifying supply. Since the balance pools all supply of a region, the row
    is the same as routing the purchases straight into the plants' inputs, without a variable per
    plant. An idle plant draws nothing, so nothing can be bought for it. A graded input is bought
    spot by each plant for itself instead (`v_spot`, see *Plant inputs*).

    Dual of `c_purchase_limit` (≤ 0 in Pyomo's sign convention): what one more tonne of allowed
    spot purchases would save, in $ per t — where the row binds, the market price less the
    commodity's supply price in that region (the balance dual); 0 where the plants' inputs are not
    all bought.
    """
    ci, acc = ctx.ci, ctx.acc
    index = purchase_index(ci)
    if not index:
        return
    ctx.add_var(m, "v_buy", index, within=pyo.NonNegativeReals, doc="spot purchases [kt/yr]")
    rows: dict[tuple[str, str, int], tuple[list[Term], str, float]] = {}
    for c, r, y in index:
        b = ctx.v["v_buy"][c, r, y]
        acc.balance[(c, ALL, r, y)].append((1.0, b))
        acc.cost[("purchases", y)].append((ci.commodities[c].market_price * PER_T, b))
        rows[(c, r, y)] = ([(1.0, b)] + [(-t, x) for t, x in acc.draw.get((c, r, y), [])], "<=", 0.0)
    add_rows(m, "c_purchase_limit", rows, "spot purchases only for the recipe inputs of the region's plants")
