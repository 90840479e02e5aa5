"""Capital and fixed costs of online units, and the capex spending the budgets limit."""

from __future__ import annotations

import pyomo.environ as pyo

from planner.model.core import MONEY, Context, units


def add_capital_costs(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Capital and fixed costs: annualised capex and fixed O&M of online units; capex spending.

    $$C^{cap}_y = \sum_{(p,s):\, y \in \text{online}(p,s)} \big(\text{CRF}_p\, \iota_p\, I_p + F_p\big)\, U_{p,s},
    \qquad \text{CRF}_p = \frac{r (1+r)^{L_p}}{(1+r)^{L_p} - 1},
    \qquad \iota_p = \frac{1}{T_p} \sum_{k=0}^{T_p - 1} (1+r)^{T_p - k}$$

    End-of-horizon treatment: the overnight investment $I_p$ per unit is charged as an annuity
    over the plant's lifetime $L_p$ at the discount rate $r$, in each year the plant is online
    *within* the horizon only; years after the horizon are neither charged nor credited, so a
    plant built late is not penalised for output the model cannot see (with $r=0$ and $L_p=1$ the
    whole capex falls in the online year, which makes single-period facility location exact).
    Capex is spent evenly over the $T_p$ construction years, before the plant comes online; the
    factor $\iota_p$ (interest during construction, 1 when $T_p = 0$) carries that spending to the
    online year, so that a long build is not cheaper in present value than a short one.
    Existing and committed plants are not decisions: their annuities are constants of the case, charged
    to the cost component `capex_sunk` (sunk capex, shown apart from the cost views and left out of the
    cost to industry), so that they leave no trace in comparisons of plans; the annuities of
    candidates are the component `capex`.
    Fixed O&M $F_p$ is paid per online unit. Both count in full whoever pays them: the objective is
    the cost to the whole industry, and a JV partner is part of it. A partner's equity share $e_p$
    is what the planner does *not* spend: the planner's share $(1-e_p)\,I_p$ of candidates' capex is
    recorded as cash spending, evenly over the construction years, for the capex budgets (and
    reported as the planner's capex). Adds to the cost and spending accumulators only; no rows.
    """
    sets, ci, acc = ctx.sets, ctx.ci, ctx.acc
    if not sets.options:
        return
    for (p, y), ss in sets.online.items():
        prj = ci.projects[p]
        annuity = ci.capex_annuity_factor(prj) * prj.capex * MONEY  # all owners: a JV partner is industry too
        fom = prj.fixed_om * MONEY
        for s in ss:
            coef, var = units(m, ctx, p, s)
            if var is None:
                acc.cost_constant[("capex_sunk", y)] += annuity * coef  # an existing or committed plant
                acc.cost_constant[("fixed_om", y)] += fom * coef
            else:
                if annuity:
                    acc.cost[("capex", y)].append((annuity, var))
                if fom:
                    acc.cost[("fixed_om", y)].append((fom, var))
    for p, s in sets.option_vars:
        prj = ci.projects[p]
        spend = prj.spend_years(s)
        amount = prj.capex * (1.0 - prj.equity_share) * MONEY / len(spend)
        if amount:
            for y in spend:
                acc.capex_spend[y].append((amount, ctx.v["v_units"][p, s]))
