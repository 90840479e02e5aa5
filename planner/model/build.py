"""build_model(): the model's table of contents."""

from __future__ import annotations

import pyomo.environ as pyo

from planner.cases.case import CaseInstance
from planner.instance.records import FixedPlan, WhatIf
from planner.model.core import Accumulators, Context
from planner.model.families.awards_48c import add_48c_awards
from planner.model.families.balance import add_balance
from planner.model.families.build_decisions import add_build_decisions
from planner.model.families.capex_budgets import add_capex_budgets
from planner.model.families.capital_costs import add_capital_costs
from planner.model.families.credits_45x import add_45x_stacking
from planner.model.families.exclusive_groups import add_exclusive_groups
from planner.model.families.grants import add_grants
from planner.model.families.imports import add_imports
from planner.model.families.localization import add_localization
from planner.model.families.market_limit import add_market_limit
from planner.model.families.objective import add_objective
from planner.model.families.production import add_production
from planner.model.families.purchases import add_purchases
from planner.model.families.shipments import add_shipments
from planner.model.families.unmet_demand import add_unmet_demand
from planner.model.variations import apply_whatif, fix_plan, plan_problems, whatif_problems

__all__ = ["FAMILIES", "build_model", "plan_problems", "whatif_problems"]


def build_model(ci: CaseInstance, *, hard_targets: bool = False, plan: FixedPlan | None = None,
                whatif: WhatIf | None = None, tighten: bool = False) -> pyo.ConcreteModel:
    """The Pyomo MILP of one instance under its applied policy case.

    Families run in this order; each returns at once when its sparse index is empty and talks to
    the others only through the accumulators of `planner.model.core`. With `plan`, the build and
    signing decisions are fixed to that plan (see `plan_problems` for plans that do not fit); with
    `whatif`, the model answers an explanation's question (see `WhatIf`).
    """
    if not isinstance(ci, CaseInstance):
        raise TypeError("apply a policy case (planner.cases.apply_case) before building the model")
    ctx = Context(ci=ci, sets=ci.sets, pol=ci.policy, acc=Accumulators(), hard_targets=hard_targets,
                  tighten=tighten)
    m = pyo.ConcreteModel(name=f"{ci.name} [{ci.case}]")

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
