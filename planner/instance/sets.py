"""Sparse index sets of the model, built once per (instance, case) from the records.

No dense cross products: every tuple here is one variable or one constraint that can matter.
Index order is always (project | contract | commodity/group, region(s), year).
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from planner.cases.case import CaseInstance


@dataclass(frozen=True)
class Sets:
    years: tuple[int, ...]
    options: tuple[tuple[str, int], ...]  # every build option (project, start year), fixed ones included
    option_vars: tuple[tuple[str, int], ...]  # options that are decisions (candidate projects)
    fixed_units: dict[tuple[str, int], int]  # fixed options -> units built
    candidates: tuple[str, ...]  # candidate projects with at least one option
    starts: dict[str, tuple[int, ...]]  # project -> its start years
    prod: tuple[tuple[str, int], ...]  # (project, year) where output is possible
    deliverable: dict[tuple[str, int], tuple[tuple[int, float], ...]]  # (p, y) -> ((start, availability), ...)
    online: dict[tuple[str, int], tuple[int, ...]]  # (p, y) -> starts whose plant is online in y
    exclusive: dict[str, tuple[str, ...]]  # group name -> candidate projects excluding each other
    exclusive_fixed: dict[str, tuple[str, ...]]  # group name -> its existing/committed plants (the group is taken)
    imports: tuple[tuple[str, int], ...]  # (contract, year) deliveries possible
    signed: tuple[str, ...]  # contracts whose signing is a binary decision
    take_or_pay: tuple[tuple[str, int], ...]
    ships: tuple[tuple[str, str, str, int], ...]  # (commodity, from, to, year)
    buys: tuple[tuple[str, str, int], ...]  # (commodity, region, year) spot purchases
    unmet: tuple[tuple[str, str, int], ...]  # (commodity, region, year) with demand
    targets: tuple[tuple[str, int], ...]  # (family or commodity, year) localization targets
    awards_48c: tuple[str, ...]  # candidates that may receive a new 48C award
    stacking_45x: tuple[tuple[str, int], ...]  # (p, y) whose 45X depends on the 48C award
    grants: tuple[tuple[str, int], ...]  # options (p, s) that may receive a grant


def _reach(starts: set[str], arcs: dict[str, set[str]]) -> set[str]:
    seen = set(starts)
    todo = deque(starts)
    while todo:
        i = todo.popleft()
        for j in arcs.get(i, ()):
            if j not in seen:
                seen.add(j)
                todo.append(j)
    return seen


def build_sets(inst: CaseInstance) -> Sets:
    pol = inst.policy
    assert pol is not None
    years = inst.years
    first, last = years[0], years[-1]
    yset = set(years)

    options: list[tuple[str, int]] = []
    option_vars: list[tuple[str, int]] = []
    fixed_units: dict[tuple[str, int], int] = {}
    starts: dict[str, tuple[int, ...]] = {}
    for p in inst.projects.values():
        if p.fixed:
            s_list = [p.earliest_start]
            fixed_units[(p.id, p.earliest_start)] = p.units_max
        else:
            lo = max(p.earliest_start, first)
            hi = min(p.latest_start if p.latest_start is not None else last, last)
            s_list = [s for s in range(lo, hi + 1) if p.qualified_year(s) <= last]
        starts[p.id] = tuple(s_list)
        for s in s_list:
            options.append((p.id, s))
            if not p.fixed:
                option_vars.append((p.id, s))
    candidates = tuple(p for p, ss in starts.items() if ss and not inst.projects[p].fixed)

    prod: list[tuple[str, int]] = []
    deliverable: dict[tuple[str, int], tuple[tuple[int, float], ...]] = {}
    online: dict[tuple[str, int], tuple[int, ...]] = {}
    for pid, ss in starts.items():
        p = inst.projects[pid]
        for y in years:
            d = tuple((s, a) for s in ss if (a := p.availability(s, y)) > 0)
            if d:
                prod.append((pid, y))
                deliverable[(pid, y)] = d
            on = tuple(s for s in ss if p.is_online(s, y))
            if on:
                online[(pid, y)] = on

    groups: dict[str, list[str]] = defaultdict(list)
    taken: dict[str, list[str]] = defaultdict(list)  # groups holding an existing or committed plant
    for pid in candidates:
        p = inst.projects[pid]
        if p.exclusive_group:
            groups[f"group {p.exclusive_group}"].append(pid)
    for p in inst.projects.values():
        if p.fixed and p.exclusive_group:
            taken[f"group {p.exclusive_group}"].append(p.id)
    families: dict[str, list[str]] = defaultdict(list)
    for pid in candidates:
        families[inst.projects[pid].base].append(pid)
    for base, members in families.items():
        if len(members) > 1:
            groups[f"variants of {base}"] = members
    exclusive = {g: tuple(ms) for g, ms in groups.items() if len(ms) + len(taken.get(g, ())) > 1}
    exclusive_fixed = {g: tuple(taken[g]) for g in exclusive if g in taken}

    imports: list[tuple[str, int]] = []
    signed: list[str] = []
    take_or_pay: list[tuple[str, int]] = []
    for k in inst.contracts.values():
        ky = [y for y in k.years if y in yset]
        if not ky:
            continue
        if k.signing_fee > 0 or any(k.min_take[y] > 0 for y in ky):
            signed.append(k.id)
        for y in ky:
            imports.append((k.id, y))
            if k.min_take[y] > 0:
                take_or_pay.append((k.id, y))

    # where each commodity can be present, and where it is used
    present: dict[str, set[str]] = defaultdict(set)
    used: dict[str, set[str]] = defaultdict(set)
    for pid in starts:
        if not starts[pid]:
            continue
        p = inst.projects[pid]
        present[p.commodity].add(p.site)
        if p.partner_region:
            present[p.commodity].add(p.partner_region)
        for c, _ in p.recipe:
            used[c].add(p.site)
    for k, _y in imports:
        con = inst.contracts[k]
        present[con.commodity].add(con.origin)
    for c, r, _y in inst.demand:
        used[c].add(r)
    out_arcs: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    in_arcs: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for c, i, j in inst.transport:
        out_arcs[c][i].add(j)
        in_arcs[c][j].add(i)
    ships: list[tuple[str, str, str, int]] = []
    for c in inst.commodities:
        fwd = _reach(present[c], out_arcs[c])
        bwd = _reach(used[c], in_arcs[c])
        arcs = sorted((i, j) for (cc, i, j) in inst.transport if cc == c and i in fwd and j in bwd)
        ships.extend((c, i, j, y) for (i, j) in arcs for y in years)

    buys: set[tuple[str, str, int]] = set()
    for pid, y in prod:
        p = inst.projects[pid]
        for c, _ in p.recipe:
            if inst.commodities[c].market_price is not None:
                buys.add((c, p.site, y))

    awards: list[str] = []
    stacking: list[tuple[str, int]] = []
    if pol.x48c_rate > 0 and pol.x48c_budget > 0:
        # a project whose allocation (credit_48c_awarded) counts in this case cannot be awarded again
        awards = [p for p in candidates if inst.projects[p].eligible_48c and inst.projects[p].capex > 0
                  and not (inst.projects[p].credit_48c_awarded > 0 and pol.x48c_awarded_paid)]
        if not pol.x48c_stacking:
            aw = set(awards)
            stacking = [(p, y) for (p, y) in prod if p in aw and (p, y) in pol.x45_credit]
    grants = [(p, s) for (p, s) in options if inst.projects[p].grant > 0]

    return Sets(
        years=years, options=tuple(options), option_vars=tuple(option_vars), fixed_units=fixed_units,
        candidates=candidates, starts=starts, prod=tuple(prod), deliverable=deliverable, online=online,
        exclusive=exclusive, exclusive_fixed=exclusive_fixed, imports=tuple(imports), signed=tuple(signed),
        take_or_pay=tuple(take_or_pay),
        ships=tuple(ships), buys=tuple(sorted(buys)), unmet=tuple(sorted(inst.demand)),
        targets=tuple(sorted(pol.targets)), awards_48c=tuple(awards), stacking_45x=tuple(stacking),
        grants=tuple(grants),
    )
