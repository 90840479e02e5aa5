"""48C investment credit: awards within the allocation budget, and allocations already made."""

from __future__ import annotations

import pyomo.environ as pyo

from planner.cases.case import CaseInstance
from planner.model.core import MONEY, Context, Term, add_rows, units


def award_index(ci: CaseInstance) -> list[str]:
    """Candidates that may receive a new 48C award in the case (none without a rate and a budget)."""
    pol = ci.policy
    if not (pol.x48c_rate > 0 and pol.x48c_budget > 0):
        return []
    # a project whose allocation (credit_48c_awarded) counts in this case cannot be awarded again
    return [p for p in ci.sets.candidates if ci.projects[p].eligible_48c and ci.projects[p].capex > 0
            and not (ci.projects[p].credit_48c_awarded > 0 and pol.x48c_awarded_paid)]


def add_48c_awards(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""48C investment credit: a binary award per eligible candidate within the allocation budget.

    $$w_{p,s} \le U_{p,s}, \qquad \sum_s w_{p,s} \le \bar U_p\, \alpha_p, \qquad
    w_{p,s} \ge U_{p,s} - \bar U_p (1 - \alpha_p), \qquad \sum_{p,s} \theta\, I_p\, w_{p,s} \le B^{48C}$$

    `b_48c[p]` ($\alpha_p$) is the binary award to project $p$; `v_48c[p, s]` ($w_{p,s}$) are the units
    it covers: all of the project's built units when awarded, none otherwise (an award is never
    partial; a project whose credit does not fit in the remaining budget gets none). The credit, the case's rate
    $\theta$ of the capex (all owners), lowers capital cost and is annualised like capex with the
    capital recovery factor, over in-horizon online years only; it is claimed when the plant is
    placed in service, so it carries no interest during construction.

    Credits already allocated (project column `credit_48c_awarded`, $A_p$) are counted without a
    decision, unless the case says they are not paid (`x48c_awarded_paid`), and outside the
    allocation budget. On a multi-unit project the allocation is spread evenly over its
    $\bar U_p$ units: each unit built earns $A_p / \bar U_p$, annualised like an award over that
    unit's in-horizon online years, and units not built earn nothing (a candidate with an
    allocation that builds one of its two units gets half). A project whose allocation counts
    cannot receive a new award as well (one 48C allocation per project); where the case drops
    allocations it may compete for one like any eligible candidate. A committed plant the plan
    cancels (*Plant operations*) is never placed in service and claims no allocated credit. Rows `c_48c_units[p, s]`,
    `c_48c_award[p]`, `c_48c_full[p, s]`, `c_48c_budget`.

    Dual of `c_48c_budget`: the value of one more dollar of 48C allocation (≤ 0: cost falls).
    """
    sets, ci, acc, pol = ctx.sets, ctx.ci, ctx.acc, ctx.pol
    cancel = ctx.v.get("b_cancel", {})
    for (p, y), ss in sets.online.items():
        prj = ci.projects[p]
        if prj.credit_48c_awarded <= 0 or not pol.x48c_awarded_paid:
            continue
        per_unit = ci.crf(prj) * prj.credit_48c_awarded / prj.units_max * MONEY
        for s in ss:
            coef, var = units(m, ctx, p, s)
            if var is None:
                acc.cost_constant[("credit_48c", y)] -= per_unit * coef
                if p in cancel:  # a cancelled plant is never placed in service: no credit claimed
                    acc.cost[("credit_48c", y)].append((per_unit * coef, cancel[p]))
            else:
                acc.cost[("credit_48c", y)].append((-per_unit, var))
    awards = award_index(ci)
    if not awards:
        return
    opts = [(p, s) for p in awards for s in sets.starts[p]]
    ctx.add_var(m, "b_48c", awards, within=pyo.Binary, doc="48C awarded [0/1]")
    ctx.add_var(m, "v_48c", opts, within=pyo.NonNegativeReals,
                bounds=lambda _m, p, s: (0.0, ci.projects[p].units_max), doc="units covered by 48C [units]")
    rows_units = {(p, s): ([(1.0, ctx.v["v_48c"][p, s]), (-1.0, ctx.v["v_units"][p, s])], "<=", 0.0) for p, s in opts}
    rows_award = {
        p: ([(1.0, ctx.v["v_48c"][p, s]) for s in sets.starts[p]] + [(-ci.projects[p].units_max, ctx.v["b_48c"][p])], "<=", 0.0)
        for p in awards
    }
    # an award covers the whole project: every built unit, or none
    rows_full = {(p, s): ([(1.0, ctx.v["v_48c"][p, s]), (-1.0, ctx.v["v_units"][p, s]),
                           (-ci.projects[p].units_max, ctx.v["b_48c"][p])], ">=", -ci.projects[p].units_max)
                 for p, s in opts}
    budget_terms: list[Term] = []
    for p, s in opts:
        prj = ci.projects[p]
        credit = pol.x48c_rate * prj.capex * MONEY  # claimed by all owners together
        budget_terms.append((credit, ctx.v["v_48c"][p, s]))
        for y in sets.years:
            if prj.is_online(s, y):
                acc.cost[("credit_48c", y)].append((-ci.crf(prj) * credit, ctx.v["v_48c"][p, s]))
    add_rows(m, "c_48c_units", rows_units, "48C covers only units that are built")
    add_rows(m, "c_48c_award", rows_award, "48C covers a project only if awarded")
    add_rows(m, "c_48c_full", rows_full, "an award covers all of the project's units")
    add_rows(m, "c_48c_budget", {"total": (budget_terms, "<=", pol.x48c_budget * MONEY)},
             "48C awards within the allocation budget")
