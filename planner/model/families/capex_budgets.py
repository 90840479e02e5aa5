"""Capex budgets on new builds, per year and over the horizon."""

from __future__ import annotations

import pyomo.environ as pyo

from planner.model.core import MONEY, Context, add_rows


def add_capex_budgets(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Capex budgets on new builds, per year and over the horizon.

    $$\sum_{(p,s):\, y \in \text{spend}(p,s)} \frac{(1-e_p)\, I_p}{|\text{spend}(p,s)|}\, U_{p,s} \le B_y,
    \qquad \sum_{(p,s)} (1-e_p)\, I_p\, U_{p,s} \le B^{total}$$

    Capex of candidate projects (the planner's share) is spent evenly over the construction years
    (in the start year when construction is instantaneous). Existing and committed plants do not
    count. Rows `c_capex_budget[y]`, `c_capex_budget_total`.

    Dual: the value of one more dollar of budget in that year (≤ 0: cost falls).
    """
    sets, ci, acc, pol = ctx.sets, ctx.ci, ctx.acc, ctx.pol
    if not sets.option_vars:
        return
    rows = {
        y: (acc.capex_spend[y], "<=", b * MONEY)
        for y, b in pol.capex_budget.items() if b is not None and acc.capex_spend.get(y)
    }
    add_rows(m, "c_capex_budget", rows, "capex spent on new builds within the year's budget")
    if pol.capex_budget_total is not None:
        terms = [(ci.projects[p].capex * (1.0 - ci.projects[p].equity_share) * MONEY, ctx.v["v_units"][p, s])
                 for p, s in sets.option_vars if ci.projects[p].capex > 0]
        if terms:
            add_rows(m, "c_capex_budget_total", {"total": (terms, "<=", pol.capex_budget_total * MONEY)},
                     "capex of new builds within the total budget")
