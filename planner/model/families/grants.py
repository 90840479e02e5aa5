"""Grants paid to built projects from the case's grant pool."""

from __future__ import annotations

import pyomo.environ as pyo

from planner.cases.case import CaseInstance
from planner.model.core import MONEY, Context, add_rows
from planner.model.families.operations import capex_split


def grant_index(ci: CaseInstance) -> list[tuple[str, int]]:
    """Build options (project, start year) of projects with a listed grant."""
    return [(p, s) for (p, s) in ci.sets.options if ci.projects[p].grant > 0]


def add_grants(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Grants paid to built projects from the case's grant pool.

    $$g_{p,s} \le G_p\, U_{p,s}, \qquad \sum_s g_{p,s} \le G_p\, \beta_p, \qquad \sum_{p,s} g_{p,s} \le B^{grant}$$

    `v_grant[p, s]` ($M) is paid to a built project up to its listed grant; with a finite pool the
    grants compete for it (the grants of existing and committed plants too). A grant pays for
    capex as it is spent: it is annualised exactly like capex, with the capital recovery factor
    *and* the interest-during-construction factor $\iota_p$ (see *Capital costs*), over the
    in-horizon online years of the units it goes with, so a grant $G$ lowers the cost of a plan
    exactly as $G$ less capex would (unlike a 48C credit, which is claimed when the plant is placed
    in service and so carries no interest during construction). For fixed plants the first two rows
    are bounds. A committed plant the plan cancels (*Plant operations*, $c_p$) keeps only the part of
    its grant that matches the capex it spent before the horizon (a grant is disbursed against costs
    incurred): $g_{p,s} \le G_p (1 - \sigma_p c_p)$, $\sigma_p$ the share of its capex not yet
    spent. Rows `c_grant_option[p, s]`, `c_grant_project[p]`, `c_grant_cancelled[p, s]`,
    `c_grant_pool`.

    Dual of `c_grant_pool`: the value of one more dollar in the grant pool (≤ 0: cost falls).
    """
    sets, ci, acc, pol = ctx.sets, ctx.ci, ctx.acc, ctx.pol
    index = grant_index(ci)
    if not index:
        return
    ctx.add_var(m, "v_grant", index, within=pyo.NonNegativeReals,
                bounds=lambda _m, p, s: (0.0, ci.projects[p].grant * MONEY), doc="grant [$M]")
    rows_opt, rows_prj = {}, {}
    by_project: dict[str, list[int]] = {}
    for p, s in index:
        by_project.setdefault(p, []).append(s)
    rows_cancel = {}
    cancel = ctx.v.get("b_cancel", {})
    for p, ss in by_project.items():
        prj = ci.projects[p]
        if prj.fixed:
            if p in cancel:  # a cancelled plant keeps the grant for the capex it spent
                unspent, _ = capex_split(ci, prj)
                g = prj.grant * MONEY
                for s in ss:
                    rows_cancel[(p, s)] = ([(1.0, ctx.v["v_grant"][p, s]), (unspent * g, cancel[p])], "<=", g)
            continue
        g = prj.grant * MONEY
        for s in ss:
            rows_opt[(p, s)] = ([(1.0, ctx.v["v_grant"][p, s]), (-g, ctx.v["v_units"][p, s])], "<=", 0.0)
        rows_prj[p] = ([(1.0, ctx.v["v_grant"][p, s]) for s in ss] + [(-g, ctx.v["b_build"][p])], "<=", 0.0)
    for p, s in index:
        prj = ci.projects[p]
        crf = ci.capex_annuity_factor(prj)  # a grant pays for capex: it is annualised like capex
        for y in sets.years:
            if prj.is_online(s, y):
                acc.cost[("grants", y)].append((-crf, ctx.v["v_grant"][p, s]))
    add_rows(m, "c_grant_option", rows_opt, "a grant goes only with units that are built")
    add_rows(m, "c_grant_project", rows_prj, "a grant is paid once per built project")
    add_rows(m, "c_grant_cancelled", rows_cancel, "a cancelled plant keeps the grant for the capex it spent")
    if pol.grant_pool is not None:
        add_rows(m, "c_grant_pool", {"total": ([(1.0, ctx.v["v_grant"][k]) for k in index], "<=",
                                               pol.grant_pool * MONEY)}, "grants within the pool")
