"""Sparse index sets the model's families share, built once per case from its records.

No dense cross products: every tuple here is one variable or one constraint that can matter.
Index order is always (project | contract | commodity/group, region(s), year). Only sets that
several families (or the fixed-plan checks) use live here; a family that alone needs an index
computes it from the CaseInstance in its own module (shipments, purchases, unmet demand,
localization targets, 48C awards, 45X, grants, take-or-pay).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from planner.instance.records import InstanceData


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


def build_sets(inst: InstanceData) -> Sets:
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
    for k in inst.contracts.values():
        ky = [y for y in k.years if y in yset]
        if not ky:
            continue
        if k.signing_fee > 0 or any(k.min_take[y] > 0 for y in ky):
            signed.append(k.id)
        for y in ky:
            imports.append((k.id, y))

    return Sets(
        years=years, options=tuple(options), option_vars=tuple(option_vars), fixed_units=fixed_units,
        candidates=candidates, starts=starts, prod=tuple(prod), deliverable=deliverable, online=online,
        exclusive=exclusive, exclusive_fixed=exclusive_fixed, imports=tuple(imports), signed=tuple(signed),
    )
