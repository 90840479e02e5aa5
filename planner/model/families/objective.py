"""The objective: discounted sum of the cost accumulator."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from planner.model.core import Context, add_matrix_rows, flatten
from planner.model.registry import cost_components


def add_objective(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Total discounted cost to the planner, net of credits, plus penalties.

    $$\min \sum_{y} \delta_y \sum_{n \in \mathcal{N}} E_{n,y}, \qquad \delta_y = (1+r)^{-(y - y_0)}$$

    The objective `o_total_cost` minimises `v_total_cost`, which the row `c_total_cost` defines as
    the discounted sum of the cost accumulator $E_{n,y}$ ($M of year $y$), one entry per cost
    component $n$ and year — capex (annualised; that of existing and committed plants as sunk
    capex), fixed O&M, variable cost, spot purchases, imports at contract price, tariffs,
    take-or-pay, signing fees, transport (including freight and JV offtake), minus the 45X, 48C
    and grant credits, plus the penalties for unmet demand and missed localization — as collected
    by the families. Holding the objective in a defining row keeps Pyomo from creating an
    expression object per cost term; the solve layer folds the row back into
    HiGHS's cost vector, so HiGHS sees the plain objective. The accumulator's terms stay on the model
    (`cost_terms`) so that the results report every component by year. Each component has a kind
    (`planner.model.registry.KINDS`) that places it in the cost views: the cost to industry is the
    objective without penalties and sunk capex; the resource cost leaves out the transfers (tariffs
    and credits) too; the public cost is the credits.
    """
    acc, ci = ctx.acc, ctx.ci
    keys = set(acc.cost) | set(acc.cost_constant)
    for b in acc.cost_blocks:
        keys.update(b.keys)
    order = {c: i for i, c in enumerate(cost_components())}
    unknown = sorted({n for n, _y in keys} - set(order))
    if unknown:
        raise ValueError(f"cost components {unknown} are not registered (planner.model.registry.register_cost_component)")
    ordered = sorted(keys, key=lambda k: (order[k[0]], k[1]))
    rows, vars_, coefs = flatten(acc.cost, acc.cost_blocks, ordered)
    constants = np.array([acc.cost_constant.get(k, 0.0) for k in ordered], dtype=float)
    # plain data, not a Pyomo component: term i adds coefs[i] x vars[i] to cost entry keys[rows[i]]
    m.cost_terms = {"keys": ordered, "rows": rows, "vars": vars_, "coefs": coefs, "constants": constants}
    st = ci.settings
    df = np.array([st.discount_factor(y) for _n, y in ordered], dtype=float)
    total = ctx.add_var(m, "v_total_cost", within=pyo.Reals, doc="discounted total cost [$M]")[None]
    # v_total_cost - sum of discounted terms = discounted constants
    add_matrix_rows(m, "c_total_cost", ["total"], np.zeros(len(vars_) + 1, dtype=np.int64),
                    [total, *vars_], np.concatenate([[1.0], -df[rows] * coefs]),
                    [float(df @ constants)], [float(df @ constants)], "the objective's defining row")
    m.c_total_cost.defines = total  # marks the row the solve layer may fold into the costs
    m.o_total_cost = pyo.Objective(expr=total, sense=pyo.minimize, doc="discounted total cost [$M]")
