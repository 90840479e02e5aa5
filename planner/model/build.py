"""build_model(): the model's table of contents."""

from __future__ import annotations

import pyomo.environ as pyo

from planner.instance.records import FixedPlan, Instance, WhatIf
from planner.model.core import Accumulators, Context
from planner.model.flows import add_balance, add_imports, add_purchases, add_shipments, add_unmet_demand
from planner.model.objective import add_objective
from planner.model.plants import (
    add_build_decisions,
    add_capital_costs,
    add_exclusive_groups,
    add_market_limit,
    add_production,
)
from planner.model.policy import add_45x_stacking, add_48c_awards, add_capex_budgets, add_grants, add_localization


def build_model(inst: Instance, *, hard_targets: bool = False, plan: FixedPlan | None = None,
                whatif: WhatIf | None = None, tighten: bool = False) -> pyo.ConcreteModel:
    """The Pyomo MILP of one instance under its applied policy case.

    Families run in this order; each returns at once when its sparse index is empty and talks to
    the others only through the accumulators of `planner.model.core`. With `plan`, the build and
    signing decisions are fixed to that plan (see `plan_problems` for plans that do not fit); with
    `whatif`, the model answers an explanation's question (see `WhatIf`).
    """
    if inst.policy is None:
        raise ValueError("apply a policy case (planner.cases.apply_case) before building the model")
    ctx = Context(inst=inst, sets=inst.sets, pol=inst.policy, acc=Accumulators(), hard_targets=hard_targets,
                  tighten=tighten)
    m = pyo.ConcreteModel(name=f"{inst.name} [{inst.case}]")

    # plants
    add_build_decisions(m, ctx)
    add_exclusive_groups(m, ctx)
    add_production(m, ctx)
    add_capital_costs(m, ctx)
    # trade and flows
    add_imports(m, ctx)
    add_shipments(m, ctx)
    add_purchases(m, ctx)
    add_unmet_demand(m, ctx)
    add_balance(m, ctx)
    # policy
    add_localization(m, ctx)
    add_48c_awards(m, ctx)
    add_45x_stacking(m, ctx)
    add_grants(m, ctx)
    add_capex_budgets(m, ctx)
    # objective
    add_objective(m, ctx)
    if plan is not None:
        fix_plan(m, ctx, plan)
    if whatif is not None:
        apply_whatif(m, ctx, whatif)
    return m


def apply_whatif(m: pyo.ConcreteModel, ctx: Context, w: WhatIf) -> None:
    """Force or exclude projects, or swap the objective for the least total shortfall (not a family)."""
    sets = ctx.sets
    for p, s in w.force:
        m.v_units[p, s].setlb(1)
    for p in w.exclude:
        for s in sets.starts.get(p, ()):
            if (p, s) in m.v_units:
                m.v_units[p, s].fix(0)
    if w.objective == "shortfall":
        terms = [m.v_unmet[k] for k in m.v_unmet] if hasattr(m, "v_unmet") else []
        terms += [m.v_loc_short[k] for k in m.v_loc_short] if hasattr(m, "v_loc_short") else []
        m.o_total_cost.deactivate()
        m.o_shortfall = pyo.Objective(expr=sum(terms) if terms else 0.0, sense=pyo.minimize,
                                      doc="least unmet demand plus missed targets [kt]")


def plan_problems(inst: Instance, plan: FixedPlan) -> list[str]:
    """Why `plan` cannot be carried out under `inst`'s case (empty when it can)."""
    sets = inst.sets
    options = set(sets.option_vars)
    out = []
    for (p, s), n in sorted(plan.units.items()):
        if n > 0 and (p, s) not in options:
            if p not in inst.projects:
                out.append(f"project {p} does not exist in this case")
            elif inst.projects[p].fixed:
                continue  # already built in this case
            else:
                out.append(f"project {p} cannot start in {s} in this case")
    return out


def whatif_problems(inst: Instance, w: WhatIf) -> list[str]:
    """Why a what-if cannot be posed under `inst`'s case (empty when it can)."""
    options = set(inst.sets.option_vars)
    return [f"project {p} cannot start in {s} in this case" for p, s in w.force if (p, s) not in options]


def fix_plan(m: pyo.ConcreteModel, ctx: Context, plan: FixedPlan) -> None:
    """Hold the build and signing decisions at `plan` (not a family: no rows of its own)."""
    sets = ctx.sets
    for p, s in sets.option_vars:
        m.v_units[p, s].fix(plan.units.get((p, s), 0))
    for k in sets.signed:
        m.b_sign[k].fix(1 if k in plan.signed else 0)


#: the families in build order, for docs/model.md
FAMILIES = (
    add_build_decisions,
    add_exclusive_groups,
    add_production,
    add_market_limit,
    add_capital_costs,
    add_imports,
    add_shipments,
    add_purchases,
    add_unmet_demand,
    add_balance,
    add_localization,
    add_48c_awards,
    add_45x_stacking,
    add_grants,
    add_capex_budgets,
    add_objective,
)
