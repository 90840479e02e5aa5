"""Plant operations: what a plant's built units may deliver in a year, after the plan's decisions on them."""

from __future__ import annotations

import pyomo.environ as pyo

from planner.model.core import Context, Term
from planner.model.registry import TableContext


def deliverable_units(m: pyo.ConcreteModel, ctx: Context, p: str, y: int) -> tuple[float, list[Term]]:
    r"""$\sum_s a_{p,s,y} U_{p,s}$, the units of plant $p$ able to deliver in year $y$ (ramp-up included), as a
    constant and terms: the fixed units of existing and committed plants, the unit variables of candidates."""
    const = 0.0
    terms: list[Term] = []
    fixed = ctx.sets.fixed_units
    for s, a in ctx.sets.deliverable.get((p, y), ()):
        n = fixed.get((p, s))
        if n is not None:
            const += a * n
        else:
            terms.append((a, ctx.v["v_units"][p, s]))
    return const, terms


def plan_units(t: TableContext, p: str, s: int) -> float:
    """Units of build option (p, s) in the solved plan (the fixed units of existing and committed plants)."""
    fixed = t.sets.fixed_units.get((p, s))
    if fixed is not None:
        return float(fixed)
    units = t.memo("v_units", lambda: t.values("v_units"))
    return round(units.get((p, s), 0.0)) if t.ok else 0.0


def units_in_plan(t: TableContext, p: str, y: int) -> float:
    """The units of plant `p` able to deliver in year `y` in the solved plan (ramp-up included)."""
    return sum(a * plan_units(t, p, s) for s, a in t.sets.deliverable.get((p, y), ()))
