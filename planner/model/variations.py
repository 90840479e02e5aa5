"""Variations of a built model that are not families: a fixed plan, and the what-ifs of explanations."""

from __future__ import annotations

import pyomo.environ as pyo

from planner.cases.case import CaseInstance
from planner.instance.records import FixedPlan, Project, WhatIf
from planner.model.core import Context
from planner.model.families.operations import ops_index


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
        terms += [m.v_unmet_group[k] for k in m.v_unmet_group] if hasattr(m, "v_unmet_group") else []
        terms += [m.v_loc_short[k] for k in m.v_loc_short] if hasattr(m, "v_loc_short") else []
        m.o_total_cost.deactivate()
        m.o_shortfall = pyo.Objective(expr=sum(terms) if terms else 0.0, sense=pyo.minimize,
                                      doc="least unmet demand plus missed targets [kt]")


def plan_problems(ci: CaseInstance, plan: FixedPlan) -> list[str]:
    """Why `plan` cannot be carried out under `ci`'s case, in words (empty when it can).

    A fixed plan holds the build decisions (units per project and start year) and the contracts
    signed; everything else is re-optimised. Going through the families, these are the rules such
    a plan can break, each checked here:

    * build decisions: a project the case does not have; a start year outside the case's window
      (before the project's earliest start or the horizon, after its latest start or the horizon,
      or too late to be qualified within the horizon); more units than the case's `units_max`;
    * exclusive groups: two projects of one group (or a project and its JV variant) built, or a
      candidate built in a group that holds an existing or committed plant in this case;
    * import contracts: a contract signed that the case does not have;
    * capex budgets: the plan's capex spending (planner's share) above the case's budget of a year,
      or above its total budget;
    * plant operations: a plant the plan cancels that this case does not let the plan cancel (not
      committed, not cancellable, or online by the first year), or one it retires early that may not
      retire early here.

    A plan cannot break the other families: output, flows, unmet demand and soft targets adapt; 48C
    awards, 45X and grants are re-optimised within their budgets; take-or-pay is not owed on volumes
    the case bans (a signed contract with a banned supplier only pays its signing fee). Hard
    localization targets can be missed by a plan; that is found by the solve (see
    `planner.run.solve_case`). A project that is existing or committed in this case keeps its
    units whatever the plan says.
    """
    sets = ci.sets
    pol = ci.policy
    years = ci.years
    options = set(sets.option_vars)
    out: list[str] = []
    units: dict[str, int] = {}
    for (p, s), n in sorted(plan.units.items()):
        if n <= 0:
            continue
        prj = ci.projects.get(p)
        if prj is None:
            out.append(f"project {p} does not exist in this case")
            continue
        if prj.fixed:
            continue  # already built in this case
        units[p] = units.get(p, 0) + n
        if (p, s) not in options:
            out.append(f"project {p} cannot start in {s} in this case: {_start_reason(ci, prj, s)}")
    for p, n in units.items():
        mx = ci.projects[p].units_max
        if n > mx:
            out.append(f"the plan builds {n} units of project {p}; this case allows at most {mx}")
    built = set(units)
    for g, members in sets.exclusive.items():
        fixed = sets.exclusive_fixed.get(g, ())
        chosen = [p for p in members if p in built]
        if fixed and chosen:
            out.append(f"the plan builds {_join(chosen)} in {_group_words(g)}, which already holds the "
                       f"{' and '.join(ci.projects[f].status + ' plant ' + f for f in fixed)} in this case")
        elif len(chosen) > 1:
            out.append(f"the plan builds {_join(chosen)}, which exclude each other ({_group_words(g)})")
    for k in sorted(plan.signed):
        if k not in ci.contracts:
            out.append(f"contract {k} does not exist in this case")
    spend: dict[int, float] = {y: 0.0 for y in years}
    total = 0.0
    for p, s in sorted(plan.units):
        n = plan.units[(p, s)]
        prj = ci.projects.get(p)
        if n <= 0 or prj is None or prj.fixed:
            continue
        own = prj.capex * (1.0 - prj.equity_share) * n
        total += own
        ys = prj.spend_years(s)
        for y in ys:
            spend[y] = spend.get(y, 0.0) + own / len(ys)
    for y in years:
        b = pol.capex_budget.get(y)
        if b is not None and spend.get(y, 0.0) > b * (1 + 1e-9) + 1e-6:
            a, bb = _usd_pair(spend[y], b)
            out.append(f"the plan's capex {a} in {y} exceeds the case's {y} capex budget {bb}")
    if pol.capex_budget_total is not None and total > pol.capex_budget_total * (1 + 1e-9) + 1e-6:
        a, bb = _usd_pair(total, pol.capex_budget_total)
        out.append(f"the plan's capex {a} exceeds the case's total capex budget {bb}")
    ops = ops_index(ci)
    for p in sorted(plan.cancelled):
        prj = ci.projects.get(p)
        if prj is None:
            out.append(f"the plan cancels project {p}, which does not exist in this case")
        elif p not in ops.cancel:
            why = (f"it is {prj.status}" if prj.status != "committed" else "it is not cancellable" if not prj.cancellable
                   else f"it is online by {prj.online_year(prj.earliest_start)}")
            out.append(f"the plan cancels project {p}, which this case does not let the plan cancel: {why}")
    retirable = {p for p, _y in ops.retire}
    for p, y in sorted(plan.retired.items()):
        prj = ci.projects.get(p)
        if prj is None:
            out.append(f"the plan retires project {p} early, which does not exist in this case")
        elif p not in retirable:
            out.append(f"the plan retires project {p} early (from {y}), which this case does not allow")
    return out


def plan_values(ci: CaseInstance, plan: FixedPlan) -> dict[str, dict[object, float]]:
    """The value of every decision a fixed plan holds, by variable family and index: units of candidates, contracts
    signed, committed plants cancelled, plants retired early. A solve session holds these columns at these values
    (`Session.fixed`); `fix_plan` fixes the Pyomo variables to them."""
    sets = ci.sets
    ops = ops_index(ci)
    return {
        "v_units": {(p, s): float(plan.units.get((p, s), 0)) for p, s in sets.option_vars},
        "b_sign": {k: float(k in plan.signed) for k in sets.signed},
        "b_cancel": {p: float(p in plan.cancelled) for p in ops.cancel},
        "b_retire": {(p, y): float(p in plan.retired and y >= plan.retired[p]) for p, y in ops.retire},
    }


def _start_reason(ci: CaseInstance, prj: Project, s: int) -> str:
    """Why candidate `prj` has no option to start in year `s` (the rules of `build_sets`)."""
    first, last = ci.years[0], ci.years[-1]
    if s < prj.earliest_start:
        return f"its earliest start is {prj.earliest_start}"
    if prj.latest_start is not None and s > prj.latest_start:
        return f"its latest start is {prj.latest_start}"
    if s < first or s > last:
        return f"the horizon is {first}–{last}"
    if prj.qualified_year(s) > last:
        return f"it would be qualified only in {prj.qualified_year(s)}, after the horizon ends in {last}"
    return "no such build option"


def _group_words(g: str) -> str:
    if g.startswith("group "):
        return f"exclusive group '{g.removeprefix('group ')}'"
    return f"{g.removeprefix('variants of ')} and its JV variants are alternatives for one site"


def _join(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


def _usd_pair(a: float, b: float) -> tuple[str, str]:
    """Two amounts in $M, with as many decimals as it takes to tell them apart."""
    for d in range(1, 7):
        x, y = f"${a / 1e6:,.{d}f}M", f"${b / 1e6:,.{d}f}M"
        if x != y:
            return x, y
    return x, y


def whatif_problems(ci: CaseInstance, w: WhatIf) -> list[str]:
    """Why a what-if cannot be posed under `ci`'s case (empty when it can)."""
    options = set(ci.sets.option_vars)
    return [f"project {p} cannot start in {s} in this case" for p, s in w.force if (p, s) not in options]


def fix_plan(m: pyo.ConcreteModel, ctx: Context, plan: FixedPlan) -> None:
    """Hold the build, signing, cancellation and early-retirement decisions at `plan` (not a family: no rows of
    its own)."""
    for name, values in plan_values(ctx.ci, plan).items():
        for k, v in values.items():
            getattr(m, name)[k].fix(round(v))


def repair_start(ci: CaseInstance, start: dict[str, dict], keep: set[str] | frozenset[str] = frozenset()
                 ) -> dict[str, dict]:
    """A plan's integer decisions (by variable family and key) made consistent again after some of
    them were moved into a variation's bounds: a start HiGHS can take as it is.

    The build decisions are what a variation moves (a project forced in, excluded, or another case's
    plan held); the decisions tied to them follow: a project is built (`b_build`) when it starts
    units; in an exclusive group only one project is built, the one in `keep` (forced in) where the
    group holds one, and the others lose their units; a 48C award (`b_48c`) needs the project built.
    Every other value is left as it is (a start that still breaks a row, e.g. a capex budget, is
    set aside by HiGHS, which then starts from nothing).
    """
    sets = ci.sets
    out = {var: dict(values) for var, values in start.items()}
    units = out.get("v_units", {})

    def built(p: str) -> bool:
        return any(units.get((p, s), 0.0) > 0.5 for s in sets.starts.get(p, ()))

    for members in sets.exclusive.values():
        chosen = [p for p in members if built(p)]
        if len(chosen) <= 1:
            continue
        winners = [p for p in chosen if p in keep] or chosen[:1]
        for p in chosen:
            if p != winners[0]:
                for s in sets.starts.get(p, ()):
                    if (p, s) in units:
                        units[(p, s)] = 0.0
    if "b_build" in out or units:
        out["b_build"] = {p: 1.0 if built(p) else 0.0 for p in sets.candidates}
    if "b_48c" in out:
        out["b_48c"] = {p: (v if built(p) else 0.0) for p, v in out["b_48c"].items()}
    return out
