"""The objective: discounted sum of the cost accumulator."""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from planner.model.core import COST_COMPONENTS, Context


def add_objective(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Total discounted cost to the planner, net of credits, plus penalties.

    $$\min \sum_{y} \delta_y \sum_{n \in \mathcal{N}} E_{n,y}, \qquad \delta_y = (1+r)^{-(y - y_0)}$$

    `o_total_cost` is the discounted sum of the cost accumulator $E_{n,y}$ ($M of year $y$), one
    entry per cost component $n$ and year — capex (annualised), fixed O&M, variable cost, spot
    purchases, imports at contract price, tariffs, take-or-pay, signing fees, transport (including
    freight and JV offtake), minus the 45X, 48C and grant credits, plus the penalties for unmet
    demand and missed localization — as collected by the families. The objective is built as one
    flat linear expression; the accumulator's terms are kept on the model (`cost_terms`) so that
    the results report every component by year. The cost to industry is the objective without
    penalties; the public cost is the credits.
    """
    acc, inst = ctx.acc, ctx.inst
    keys = sorted(set(acc.cost) | set(acc.cost_constant), key=lambda k: (COST_COMPONENTS.index(k[0]), k[1]))
    st = inst.settings
    coefs: list[float] = []
    vars_: list[object] = []
    constant = 0.0
    cost_terms = {}
    for comp, y in keys:
        terms = acc.cost.get((comp, y), [])
        const = acc.cost_constant.get((comp, y), 0.0)
        cost_terms[(comp, y)] = ([float(c) for c, _ in terms], [v for _, v in terms], const)
        df = st.discount_factor(y)
        coefs.extend(df * float(c) for c, _ in terms)
        vars_.extend(v for _, v in terms)
        constant += df * const
    m.cost_terms = cost_terms  # plain data, not a Pyomo component: (component, year) -> (coefs, vars, constant)
    m.o_total_cost = pyo.Objective(
        expr=LinearExpression(constant=constant, linear_coefs=coefs, linear_vars=vars_),
        sense=pyo.minimize, doc="discounted total cost [$M]",
    )
