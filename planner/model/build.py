"""build_model(): the model's table of contents.

`FAMILIES` lists every constraint family in build order; `build_model` runs them one after the
other on one build context, and docs/model.md documents them in this order. Adding a family to
the model is one line here (and its own module under planner/model/families/).

Families from outside the package (a study's extra rows, a test's toy family) are added with
`register_family(add_x, before=...)`, without editing this file; they run in the position given,
in every build (solves, comparisons in this process, `count_model`), until removed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyomo.environ as pyo

from planner.cases.case import CaseInstance
from planner.instance.records import FixedPlan, WhatIf
from planner.model.core import ROUNDING, Accumulators, Context, Counter
from planner.model.families.awards_48c import add_48c_awards
from planner.model.families.balance import add_balance
from planner.model.families.build_decisions import add_build_decisions
from planner.model.families.capex_budgets import add_capex_budgets
from planner.model.families.capital_costs import add_capital_costs
from planner.model.families.cell_credit import add_cell_credit
from planner.model.families.credits_45x import add_credits_45x
from planner.model.families.demand import add_demand
from planner.model.families.exclusive_groups import add_exclusive_groups
from planner.model.families.grants import add_grants
from planner.model.families.imports import add_imports
from planner.model.families.localization import add_localization
from planner.model.families.market_limit import add_market_limit
from planner.model.families.market_rounding import add_market_rounding
from planner.model.families.objective import add_objective
from planner.model.families.offtakes import add_offtakes
from planner.model.families.operations import add_operations
from planner.model.families.plant_inputs import add_plant_inputs
from planner.model.families.production import add_production
from planner.model.families.purchases import add_purchases
from planner.model.families.shipments import add_shipments
from planner.model.families.sites import add_sites
from planner.model.families.substitution import add_substitution
from planner.model.registry import Registration
from planner.model.variations import apply_whatif, fix_plan, plan_problems, plan_values, whatif_problems

__all__ = ["FAMILIES", "Family", "build_model", "count_model", "families", "plan_problems", "plan_values",
           "register_family", "whatif_problems"]

Family = Callable[[Any, Context], None]  # add_<family>(m, ctx)

#: the families in build order: the model's table of contents (docs/model.md follows it)
FAMILIES: tuple[Family, ...] = (
    # plants
    add_build_decisions,
    add_exclusive_groups,
    add_production,
    add_operations,
    add_sites,  # counts regions with plants; enters no cost (for `planner alternatives`)
    add_market_limit,  # only with tighten=True
    add_market_rounding,  # rounding='sole' (default), 'all' or 'off'
    add_capital_costs,
    # trade and flows
    add_imports,
    add_shipments,
    add_plant_inputs,
    add_offtakes,
    add_purchases,
    add_substitution,  # before demand: it says which stated demand a group carries instead
    add_demand,
    add_balance,
    # policy
    add_localization,
    add_48c_awards,
    add_credits_45x,
    add_cell_credit,
    add_grants,
    add_capex_budgets,
    # objective
    add_objective,
)


def build_model(ci: CaseInstance, *, hard_targets: bool = False, plan: FixedPlan | None = None,
                whatif: WhatIf | None = None, tighten: bool = False, rounding: str = "sole") -> pyo.ConcreteModel:
    """The Pyomo MILP of one case (a CaseInstance, from `planner.cases.apply_case`).

    The families run in the order of `families()`; each returns at once when its sparse index is
    empty and talks to the others only through the accumulators of `planner.model.core`. With
    `plan`, the build and signing decisions are fixed to that plan (see `plan_problems` for plans
    that do not fit); with `whatif`, the model answers an explanation's question (see `WhatIf`).
    `tighten` and `rounding` choose optional valid rows (`add_market_limit`, `add_market_rounding`):
    they never change the optimum, only how fast HiGHS proves it.
    """
    if not isinstance(ci, CaseInstance):
        raise TypeError("apply a policy case (planner.cases.apply_case) before building the model")
    _check_rounding(rounding)
    ctx = Context(ci=ci, sets=ci.sets, pol=ci.policy, acc=Accumulators(), hard_targets=hard_targets,
                  tighten=tighten, rounding=rounding)
    m = pyo.ConcreteModel(name=f"{ci.name} [{ci.case}]")
    for add in families():
        add(m, ctx)
    if plan is not None:
        fix_plan(m, ctx, plan)
    if whatif is not None:
        apply_whatif(m, ctx, whatif)
    return m


def count_model(ci: CaseInstance, *, hard_targets: bool = False, tighten: bool = False,
                rounding: str = "sole") -> dict[str, int]:
    """Variables, integer variables and rows the model of `ci` has, and the size of each of its
    components, counted without building it: the families run on a `Counter` instead of a Pyomo
    model (exact for every family that creates its variables and rows through `planner.model.core`)."""
    _check_rounding(rounding)
    ctx = Context(ci=ci, sets=ci.sets, pol=ci.policy, acc=Accumulators(), hard_targets=hard_targets,
                  tighten=tighten, rounding=rounding)
    m = Counter(name=f"{ci.name} [{ci.case}]")
    for add in families():
        add(m, ctx)  # type: ignore[arg-type]
    variables = sum(n for c, n in m.sizes.items() if m.kinds[c] == "variables")
    rows = sum(n for c, n in m.sizes.items() if m.kinds[c] == "rows")
    return {"variables": variables, "integer_variables": m.integer, "constraints": rows,
            **{c: n for c, n in m.sizes.items() if n}}


def _check_rounding(rounding: str) -> None:
    if rounding not in ROUNDING:
        raise ValueError(f"rounding must be one of {', '.join(ROUNDING)}, not {rounding!r}")


# --------------------------------------------------------------------------------------------
# families added from outside the package
# --------------------------------------------------------------------------------------------

_EXTRA: list[tuple[Family, Family | None]] = []  # (family, the family it runs before; None: before the objective)


def register_family(add: Family, *, before: Family | str | None = None) -> Registration:
    """Run `add(m, ctx)` in every build, just before family `before` (a function of `FAMILIES` or its
    name; default: before the objective, after every other family). Returns a `Registration`:
    `.remove()` takes the family out again; `with register_family(...):` keeps it for a block."""
    target = _family_named(before) if before is not None else add_objective
    entry = (add, target)
    _EXTRA.append(entry)
    return Registration(lambda: _EXTRA.remove(entry))


def families() -> tuple[Family, ...]:
    """The families in build order: `FAMILIES` with the registered ones in their places."""
    out: list[Family] = []
    for fam in FAMILIES:
        out.extend(add for add, before in _EXTRA if before is fam)
        out.append(fam)
    return tuple(out)


def _family_named(ref: Family | str) -> Family:
    for fam in FAMILIES:
        if fam is ref or fam.__name__ == ref:
            return fam
    names = ", ".join(f.__name__ for f in FAMILIES)
    raise ValueError(f"no family {getattr(ref, '__name__', ref)!r} in the table of contents; families: {names}")
