"""Unmet demand: a priced slack."""

from __future__ import annotations

import pyomo.environ as pyo

from planner.model.core import MASS, PER_T, Context


def add_unmet_demand(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Unmet demand: a priced slack, so that a plan is always returned and shortfalls reported.

    $$0 \le u_{c,r,y} \le D_{c,r,y}$$ (`v_unmet[c, r, y]`) at the settings' penalty price per tonne.
    The members of a substitution group have none of their own where the group applies: the group's
    requirement has its slack (*Substitution groups*). No rows of its own.
    """
    ci, acc = ctx.ci, ctx.acc
    # (commodity, region, year) with demand, but for the members of substitution groups (the group's own slack)
    index = sorted(k for k in ci.demand if k not in acc.replaced_demand)
    if not index:
        return
    ctx.add_var(m, "v_unmet", index, within=pyo.NonNegativeReals,
                bounds=lambda _m, c, r, y: (0.0, ci.demand[(c, r, y)] * MASS), doc="unmet demand [kt/yr]")
    pen = ci.settings.penalty_unmet_demand * PER_T
    for c, r, y in index:
        u = ctx.v["v_unmet"][c, r, y]
        acc.balance[(c, r, y)].append((1.0, u))
        acc.cost[("penalty_unmet", y)].append((pen, u))
