"""Diagnoses of solved cases in plain words: targets and demand no plan can meet, and why.

Pure functions of a CaseInstance and solved Solutions (no solve here, no Pyomo): used by
`planner explain` (planner.explain.analysis) and by the explanation of an infeasible hard-target
solve (planner.explain.hard_targets).
"""

from __future__ import annotations

import pandas as pd

from planner.cases import CaseInstance, in_group, qualifies_for_localization
from planner.results.labels import tonnes_text as _t
from planner.results.solution import Solution

TOL_T = 1.0  # tonnes below which a shortfall is noise


def _earliest_qualified(ci: CaseInstance, pid: str) -> int | None:
    ss = ci.sets.starts.get(pid, ())
    return ci.projects[pid].qualified_year(ss[0]) if ss else None


def _max_deliverable(ci: CaseInstance, pid: str, year: int) -> float:
    """Tonnes project `pid` could deliver in `year` if built as early as possible (all units)."""
    prj = ci.projects[pid]
    best = 0.0
    for s in ci.sets.starts.get(pid, ()):
        best = max(best, prj.availability(s, year))
    return best * prj.capacity * prj.units_max


def _budget_binds(ci: CaseInstance, plan: Solution, year: int) -> str | None:
    """A sentence naming a capex budget the plan spends in full by `year`, or None."""
    pol = ci.policy
    assert pol is not None
    spend: dict[int, float] = {}
    b = plan.builds[plan.builds["decision"] == "build"]
    for r in b.itertuples():
        prj = ci.projects[r.project]
        years = prj.spend_years(int(r.start_year))
        for y in years:
            spend[y] = spend.get(y, 0.0) + r.capex_planner_usd / len(years)
    for y, cap in sorted(pol.capex_budget.items()):
        if cap is not None and y <= year and spend.get(y, 0.0) >= 0.99 * cap:
            return f"the {y} capex budget (${cap / 1e6:,.0f}M) is spent in full"
    if pol.capex_budget_total is not None and sum(spend.values()) >= 0.99 * pol.capex_budget_total:
        return f"the total capex budget (${pol.capex_budget_total / 1e6:,.0f}M) is spent in full"
    return None


def _cause(ci: CaseInstance, year: int, projects: list[str], contracts: list[str], plan: Solution) -> str:
    """What limits supply in `year`: lead times, contract limits and bans, binding budgets."""
    pol = ci.policy
    assert pol is not None
    parts = []
    # alternatives (a project and its JV variants, an exclusive group) count once: the best of them
    best: dict[str, float] = {}
    for p in projects:
        prj = ci.projects[p]
        key = f"group {prj.exclusive_group}" if prj.exclusive_group else prj.base
        best[key] = max(best.get(key, 0.0), _max_deliverable(ci, p, year))
    able = sum(best.values())
    parts.append(f"plants able to deliver by then could give at most {_t(able)} in {year} if all were built "
                 "as early as possible (an upper bound: it ignores budgets and what other years need)")
    late = [(q, p) for p in projects if (q := _earliest_qualified(ci, p)) is not None and q > year]
    late_new = sorted((q, p) for q, p in late if not ci.projects[p].fixed)
    late_fixed = sorted((q, p) for q, p in late if ci.projects[p].fixed)
    if late_new:
        names = ", ".join(p for _q, p in late_new[:6]) + (" …" if len(late_new) > 6 else "")
        parts.append(f"every other candidate's earliest qualified year is {late_new[0][0]} or later ({names})")
    if late_fixed:
        parts.append("existing or committed plants qualified only later: "
                     + ", ".join(f"{p} ({q})" for q, p in late_fixed[:6]))
    never = [p for p in projects if not ci.sets.starts.get(p)]
    if never:
        parts.append(f"{len(never)} candidate{'s' if len(never) != 1 else ''} cannot be qualified within the horizon "
                     "at all")
    caps = []
    for k in contracts:
        con = ci.contracts[k]
        if not (con.first_year <= year <= con.last_year):
            continue
        if con.feoc and not pol.feoc_imports_allowed.get(year, True):
            caps.append(f"{k} is a FEOC supplier, banned in {year}")
        elif con.max_volume.get(year) is not None:
            caps.append(f"{k} at most {_t(con.max_volume[year])}")
        else:
            caps.append(f"{k} unlimited")
    parts.append("import contracts: " + ("; ".join(caps) if caps else "none can deliver in that year"))
    budget = _budget_binds(ci, plan, year)
    if budget:
        parts.append(budget)
    return "; ".join(parts)


def out_of_reach(ci: CaseInstance, aux: Solution) -> pd.DataFrame:
    """Targets and demand the least-shortfall plan `aux` still cannot meet, in plain words (national totals).

    `aux` is the case solved for the least unmet demand plus missed targets, cost ignored
    (`WhatIf(objective="shortfall")`): what remains short there is out of reach under the case's
    lead times, budgets, bans and contract limits.
    """
    rows = []
    loc = aux.localization
    for r in loc[loc["shortfall_t"] > TOL_T].itertuples():
        g, y = r.group, int(r.year)
        projects = [p for p, prj in ci.projects.items() if in_group(ci, g, prj.commodity)
                    and qualifies_for_localization(ci, region=prj.site, feoc=prj.feoc_owned)]
        contracts = [k for k, con in ci.contracts.items() if in_group(ci, g, con.commodity)
                     and qualifies_for_localization(ci, region=con.origin, feoc=con.feoc)]
        achievable = r.required_t - r.shortfall_t
        text = (f"{y} {g} target needs {_t(r.required_t)} of qualifying supply; the plan that misses least "
                f"reaches {_t(achievable)} (short by {_t(r.shortfall_t)}): "
                + _cause(ci, y, projects, contracts, aux))
        rows.append({"kind": "target out of reach", "what": g, "year": y, "short_t": r.shortfall_t,
                     "need_t": r.required_t, "achievable_t": achievable, "explanation": text})
    demand: dict[tuple[str, int], float] = {}
    for (c, _r, y), t in ci.demand.items():
        demand[(c, y)] = demand.get((c, y), 0.0) + t
    unmet = aux.unmet.groupby(["commodity", "year"])["tonnes"].sum() if len(aux.unmet) else pd.Series(dtype=float)
    for (c, y), short in unmet.items():
        if short <= TOL_T:
            continue
        need = demand.get((c, int(y)), 0.0)
        projects = [p for p, prj in ci.projects.items() if prj.commodity == c]
        contracts = [k for k, con in ci.contracts.items() if con.commodity == c]
        text = (f"{int(y)} {c}: {_t(need)} demand in all; the plan that misses least supplies "
                f"{_t(max(need - short, 0))} (short by {_t(short)}): " + _cause(ci, int(y), projects, contracts, aux))
        rows.append({"kind": "demand out of reach", "what": c, "year": int(y), "short_t": float(short),
                     "need_t": need, "achievable_t": need - short, "explanation": text})
    return pd.DataFrame(rows, columns=["kind", "what", "year", "short_t", "need_t", "achievable_t", "explanation"])
