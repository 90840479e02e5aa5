"""45X production credit."""

from __future__ import annotations

import pyomo.environ as pyo

from planner.model.core import MASS, PER_T, Context, add_rows


def add_45x_stacking(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""45X production credit where it depends on a 48C award (the case forbids stacking).

    $$z_{p,y} \le \chi_{p,y}\, x_{p,y}, \qquad z_{p,y} \le \chi_{p,y}\, \kappa_p \bar U_p\, (1 - \alpha_p)$$

    Elsewhere 45X is simply a credit $\chi_{p,y}$ per tonne of output of eligible plants: the case's
    rate × phase-down × production cost, for plants that are 45X-eligible, sited in the U.S., not
    FEOC-owned when the case requires it, and whose non-PFE share of material cost meets the year's
    MACR threshold. The production cost per tonne is the plant's variable cost plus each recipe
    input that has a market price, valued at that price ($\sum_c \phi_{p,c} P^{mkt}_c$) whether the
    plant buys it spot or is supplied by another plant or a contract: the credit is a constant of
    the case per tonne of output, known before solving, so it cannot depend on where the inputs come
    from. Inputs without a market price add nothing to the basis. A project whose 48C allocation
    counts (`credit_48c_awarded`, paid in the case) earns no 45X unless the case allows stacking.
    For candidates that may receive a 48C award while stacking is forbidden, `v_45x[p, y]` ($z_{p,y}$) carries the credit and vanishes
    when the award is made. Rows `c_45x_output[p, y]`, `c_45x_stacking[p, y]`.

    Dual: not meaningful (rows with a binary).
    """
    sets, ci, acc, pol = ctx.sets, ctx.ci, ctx.acc, ctx.pol
    if not sets.stacking_45x:
        return
    ctx.add_var(m, "v_45x", list(sets.stacking_45x), within=pyo.NonNegativeReals, doc="45X credit [$M/yr]")
    rows_out, rows_stack = {}, {}
    for p, y in sets.stacking_45x:
        prj = ci.projects[p]
        chi = pol.x45_credit[(p, y)] * PER_T
        z = ctx.v["v_45x"][p, y]
        big = chi * prj.capacity * MASS * prj.units_max
        rows_out[(p, y)] = ([(1.0, z), (-chi, ctx.v["v_prod"][p, y])], "<=", 0.0)
        rows_stack[(p, y)] = ([(1.0, z), (big, ctx.v["b_48c"][p])], "<=", big)
        acc.cost[("credit_45x", y)].append((-1.0, z))
    add_rows(m, "c_45x_output", rows_out, "45X in proportion to output")
    add_rows(m, "c_45x_stacking", rows_stack, "no 45X for a project with a 48C award")
