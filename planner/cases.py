"""Apply one policy case to an Instance: resolve every policy value the model reads.

Which policy row applies
------------------------
The `policy` sheet holds rows of (parameter, year, region, commodity) and one value per case; a
case that `extends` another takes its parent's rows, its own rows replacing the parent's rows
with the same parameter, year, region and commodity. A blank case cell is no row at all.

A value is needed at a point: a parameter, a year, and for some parameters an origin region (the
tariff) and a commodity. A row *matches* the point when each of its year, region and commodity
cells is blank or equal to the point's; a commodity cell may also name the commodity's family
(CAM, AAM). Of the matching rows the most specific wins, the qualifiers ranked strictly: **year,
then region, then commodity**. A row naming the year beats every row that does not, whatever
their region or commodity; among rows alike in the year, one naming the region beats one that
does not; among rows alike in both, one naming the commodity beats one naming its family, which
beats a blank. For example, the tariff on NMC811 from China in 2030 is taken from a row
(2030, blank, blank) rather than from (blank, China, NMC811); with no row for 2030, from
(blank, China, CAM) rather than (blank, blank, NMC811). Parameters without a matching row take
their declared default (docs/instance-format.md). Localization targets follow the same ranking
for each family and commodity target they set (see *Localization targets*).
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import replace
from typing import Any

from planner import schema
from planner.errors import UsageError
from planner.instance.records import Instance, Policy, PolicyRow, Project


def case_names(inst: Instance) -> list[str]:
    return list(inst.cases)


def resolve_case_name(inst: Instance, case: str | None) -> str:
    """The case called `case` (case-insensitive), or the first case when None."""
    names = case_names(inst)
    if case is None:
        return names[0]
    for n in names:
        if n.lower() == case.strip().lower():
            return n
    close = difflib.get_close_matches(case, names, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise UsageError(f"unknown case '{case}'. The instance defines: {', '.join(names)}.{hint}")


class _Lookup:
    def __init__(self, rows: tuple[PolicyRow, ...]):
        self.by_param: dict[str, list[PolicyRow]] = defaultdict(list)
        for r in rows:
            self.by_param[r.parameter].append(r)

    def __call__(self, param: str, year: int | None = None, region: str | None = None,
                 commodity: str | None = None, family: str | None = None, *, named: bool = False) -> Any:
        """The value of the most specific matching row (`named`: only rows naming the commodity)."""
        best: PolicyRow | None = None
        best_score = -1.0
        for r in self.by_param.get(param, ()):
            if r.year is not None and r.year != year:
                continue
            if r.region is not None and r.region != region:
                continue
            if r.commodity is not None and r.commodity not in (commodity, family):
                continue
            if named and r.commodity is None:
                continue
            score = (4.0 if r.year is not None else 0.0) + (2.0 if r.region is not None else 0.0)
            if r.commodity is not None:
                score += 1.0 if r.commodity == commodity else 0.5
            if score > best_score:
                best, best_score = r, score
        return best.value if best is not None else schema.POLICY_BY_NAME[param].default


def x45_basis(inst: Instance, p: Project) -> float:
    """Production cost per tonne on which 45X is computed: variable cost plus bought inputs."""
    basis = p.variable_cost
    for c, tpt in p.recipe:
        price = inst.commodities[c].market_price
        if price is not None:
            basis += tpt * price
    return basis


def case_rows(inst: Instance, name: str) -> tuple[list[str], tuple[PolicyRow, ...]]:
    """The case's chain (root first) and its policy rows, a child's rows replacing its parent's."""
    from planner.instance.validate import case_chain

    chain = case_chain(inst.cases, name)
    merged: dict[tuple[Any, ...], PolicyRow] = {}
    for c in chain:
        for r in inst.cases[c]:
            if r.parameter != "extends":
                merged[(r.parameter, r.year, r.region, r.commodity)] = r
    return chain, tuple(merged.values())


def apply_case(inst: Instance, case: str | None = None) -> Instance:
    """A copy of `inst` with `case` resolved: its overrides applied, its policy in `inst.policy`."""
    name = resolve_case_name(inst, case)
    chain, rows = case_rows(inst, name)
    overrides = []
    if inst.parsed is not None:
        overrides = [o for c in chain for o in inst.parsed.overrides if o.case == c]
    if overrides:
        from planner.instance.validate import rebuild

        inst = replace(rebuild(inst.parsed, overrides), warnings=inst.warnings)
    look = _Lookup(rows)
    years = inst.years
    fam = {c: x.family for c, x in inst.commodities.items()}

    requires_non_feoc = bool(look("x45_requires_non_feoc"))
    stacking = bool(look("x48c_stacking"))
    awarded_paid = bool(look("x48c_awarded_paid"))
    x45: dict[tuple[str, int], float] = {}
    for p in inst.projects.values():
        if not p.eligible_45x or not inst.regions[p.site].domestic:
            continue
        if requires_non_feoc and p.feoc_owned:
            continue
        if p.credit_48c_awarded > 0 and awarded_paid and not stacking:
            continue
        basis = x45_basis(inst, p)
        for y in years:
            if 1.0 - p.pfe_cost_share < look("x45_macr_min", year=y) - 1e-12:
                continue
            rate = look("x45_rate", year=y, commodity=p.commodity, family=fam[p.commodity])
            credit = rate * look("x45_phase", year=y) * basis
            if credit > 0:
                x45[(p.id, y)] = credit

    tariff = {}
    for k in inst.contracts.values():
        for y in years:
            t = look("tariff", year=y, region=k.origin, commodity=k.commodity, family=fam[k.commodity])
            if t:
                tariff[(k.id, y)] = t

    demand_scale = {y: float(look("demand_scale", year=y)) for y in years}
    demand = {
        (c, r, y): t * demand_scale[y] for (c, r, y), t in inst.base_demand.items() if t * demand_scale[y] > 0
    }
    groups = sorted({fam[c] for (c, _r, _y) in demand}, key=list(schema.FAMILIES).index)
    named = sorted({r.commodity for r in look.by_param.get("localization_target", ())
                    if r.commodity is not None and r.commodity in inst.commodities})
    targets: dict[tuple[str, int], float] = {}
    for g in groups:
        for y in years:
            v = look("localization_target", year=y, commodity=None, family=g)
            if v > 0:
                targets[(g, y)] = v
    for c in named:
        for y in years:
            v = look("localization_target", year=y, commodity=c, family=None, named=True)
            if v > 0:
                targets[(c, y)] = v

    pool = look("grant_pool")
    total_budget = look("capex_budget_total")
    policy = Policy(
        case=name,
        x45_requires_non_feoc=requires_non_feoc,
        x48c_rate=float(look("x48c_rate")),
        x48c_budget=float(look("x48c_budget")),
        x48c_stacking=stacking,
        x48c_awarded_paid=awarded_paid,
        grant_pool=None if pool is None else float(pool),
        localization_fta_counts=bool(look("localization_fta_counts")),
        localization_excludes_feoc=bool(look("localization_excludes_feoc")),
        capex_budget_total=None if total_budget is None else float(total_budget),
        x45_credit=x45,
        tariff=tariff,
        targets=targets,
        feoc_imports_allowed={y: bool(look("feoc_imports_allowed", year=y)) for y in years},
        capex_budget={y: look("capex_budget", year=y) for y in years},
        demand_scale=demand_scale,
        rows=rows,
        chain=tuple(chain),
        overrides=tuple(o.describe() for o in overrides),
    )
    cell_gwh = {y: g * demand_scale[y] for y, g in inst.base_cell_gwh.items() if y in demand_scale}
    return replace(inst, case=name, policy=policy, demand=demand, cell_gwh=cell_gwh)


def in_group(inst: Instance, group: str, commodity: str) -> bool:
    """Whether `commodity` belongs to localization group `group` (a family such as CAM, or itself)."""
    return commodity == group or inst.commodities[commodity].family == group


def qualifies_for_localization(inst: Instance, *, region: str, feoc: bool) -> bool:
    """Whether supply from `region` (by an owner/supplier with FEOC status `feoc`) is qualifying."""
    pol = inst.policy
    assert pol is not None
    reg = inst.regions[region]
    if pol.localization_excludes_feoc and (feoc or reg.feoc):
        return False
    return reg.domestic or (pol.localization_fta_counts and reg.fta)
