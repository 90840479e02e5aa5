"""The objective: discounted sum of the cost accumulators."""

from __future__ import annotations

import pyomo.environ as pyo

from planner.model.core import COST_COMPONENTS, Context, linear


def add_objective(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Total discounted cost to the planner, net of credits, plus penalties.

    $$\min \sum_{y} \delta_y \sum_{n \in \mathcal{N}} E_{n,y}, \qquad \delta_y = (1+r)^{-(y - y_0)}$$

    `o_total_cost` is the discounted sum of `e_cost[n, y]` ($E_{n,y}$, $M of year $y$), one expression
    per cost component $n$ and year — capex (annualised),
    fixed O&M, variable cost, spot purchases, imports at contract price, tariffs, take-or-pay,
    signing fees, transport (including freight and JV offtake), minus the 45X, 48C and grant credits,
    plus the penalties for unmet demand and missed localization — as collected by the families.
    The cost to industry is the objective without penalties; the public cost is the credits.
    """
    acc, inst = ctx.acc, ctx.inst
    keys = sorted(set(acc.cost) | set(acc.cost_constant),
                  key=lambda k: (COST_COMPONENTS.index(k[0]), k[1]))
    exprs = {k: linear(acc.cost.get(k, []), acc.cost_constant.get(k, 0.0)) for k in keys}
    m.e_cost = pyo.Expression(keys, rule=lambda _m, comp, y: exprs[(comp, y)], doc="cost by component and year [$M]")
    st = inst.settings
    m.o_total_cost = pyo.Objective(
        expr=sum(st.discount_factor(y) * m.e_cost[comp, y] for comp, y in keys) if keys else 0.0,
        sense=pyo.minimize, doc="discounted total cost [$M]",
    )
