"""Production: output within qualified, ramped-up, unretired capacity."""

from __future__ import annotations

import pyomo.environ as pyo

from planner.model.core import MASS, PER_T, Context, Term, add_rows, units
from planner.model.sourcing import plant_grade, sourcing


def add_production(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Production limit: a plant delivers only once qualified, along its ramp-up, until retired.

    $$x_{p,y} \le \kappa_p \sum_{s} a_{p,s,y}\, U_{p,s} \qquad \forall (p,y) \in \mathcal{PY}$$

    with $a_{p,s,y} = 0$ before the qualified year $s + T^{build}_p + T^{qual}_p$ and from the
    retirement year $s + T^{build}_p + L_p$ on, $a_{p,s,y} = \rho_{p,k}$ (the ramp-up share) in the
    $k$-th qualified year, and 1 afterwards. This one family carries lead time, qualification,
    ramp-up and retirement. Output $x_{p,y}$ (`v_prod`, kt internally) enters the balance of the
    site region, except the partner's equity share $e_p$ of a joint venture's output, which is
    delivered to the partner's region under offtake (at the transport cost of that link); where the
    commodity is graded, output enters the pool of the plant's grade (PFE when the project is FEOC-owned
    or sited in a FEOC jurisdiction). Recipe inputs are drawn from the site's balance (see *Plant
    inputs*). For fixed plants the limit is a bound on $x_{p,y}$.
    Row `c_production_limit[p, y]` (candidates only).

    Dual: the value, in $ per t of yearly capacity, of one more tonne of qualified capacity of
    project $p$ in year $y$ (≤ 0 in Pyomo's sign convention for a ≤ row of a minimisation).
    """
    sets, ci, acc = ctx.sets, ctx.ci, ctx.acc
    if not sets.prod:
        return
    src = sourcing(ci)
    bounds: dict[tuple[str, int], float | None] = {}
    rows: dict[tuple[str, int], tuple[list[Term], str, float]] = {}
    for p, y in sets.prod:
        prj = ci.projects[p]
        if prj.fixed:
            cap = sum(units(m, ctx, p, s)[0] * a for s, a in sets.deliverable[(p, y)])
            bounds[(p, y)] = prj.capacity * MASS * cap
        else:
            bounds[(p, y)] = None
    ctx.add_var(m, "v_prod", list(sets.prod), within=pyo.NonNegativeReals,
                bounds=lambda _m, p, y: (0.0, bounds[(p, y)]), doc="output [kt/yr]")
    for p, y in sets.prod:
        prj = ci.projects[p]
        x = ctx.v["v_prod"][p, y]
        if not prj.fixed:
            rows[(p, y)] = ([(1.0, x)] + [(-prj.capacity * MASS * a, ctx.v["v_units"][p, s])
                                         for s, a in sets.deliverable[(p, y)]], "<=", 0.0)
        share = prj.equity_share
        g = src.pool(prj.commodity, plant_grade(ci, prj))
        acc.balance[(prj.commodity, g, prj.site, y)].append((1.0 - share, x))
        if prj.partner_region is not None:
            acc.balance[(prj.commodity, g, prj.partner_region, y)].append((share, x))
            if prj.partner_region != prj.site:
                tc = ci.transport[(prj.commodity, prj.site, prj.partner_region)]
                if tc:
                    acc.cost[("transport", y)].append((share * tc * PER_T, x))
        if prj.variable_cost:
            acc.cost[("variable", y)].append((prj.variable_cost * PER_T, x))
    add_rows(m, "c_production_limit", rows, "output within qualified, ramped-up, unretired capacity")
