"""apply_case: one policy case applied to an Instance, giving the CaseInstance the model reads."""

from __future__ import annotations

from planner import schema
from planner.cases.case import CaseInstance, Policy
from planner.cases.names import case_rows, resolve_case_name
from planner.cases.overrides import rebuild
from planner.cases.policy import _Lookup, x45_basis
from planner.instance.records import Instance


def apply_case(inst: Instance, case: str | None = None) -> CaseInstance:
    """What the model reads for `case` of `inst` (the first case when None): the records after the
    case's overrides (and those of the cases it extends), its demand and its resolved policy."""
    name = resolve_case_name(inst, case)
    chain, rows = case_rows(inst, name)
    overrides = []
    if inst.parsed is not None:
        overrides = [o for c in chain for o in inst.parsed.overrides if o.case == c]
    # the workbook as the case's overrides make it (the base itself when there are none)
    data = rebuild(inst.parsed, overrides) if overrides and inst.parsed is not None else inst
    look = _Lookup(rows)
    years = data.years
    fam = {c: x.family for c, x in data.commodities.items()}

    requires_non_feoc = bool(look("x45_requires_non_feoc"))
    stacking = bool(look("x48c_stacking"))
    awarded_paid = bool(look("x48c_awarded_paid"))
    x45: dict[tuple[str, int], float] = {}
    for p in data.projects.values():
        if not p.eligible_45x or not data.regions[p.site].domestic:
            continue
        if requires_non_feoc and p.feoc_owned:
            continue
        if p.credit_48c_awarded > 0 and awarded_paid and not stacking:
            continue
        basis = x45_basis(data, p)
        for y in years:
            if 1.0 - p.pfe_cost_share < look("x45_macr_min", year=y) - 1e-12:
                continue
            rate = look("x45_rate", year=y, commodity=p.commodity, family=fam[p.commodity])
            credit = rate * look("x45_phase", year=y) * basis
            if credit > 0:
                x45[(p.id, y)] = credit

    tariff = {}
    for k in data.contracts.values():
        for y in years:
            t = look("tariff", year=y, region=k.origin, commodity=k.commodity, family=fam[k.commodity])
            if t:
                tariff[(k.id, y)] = t

    demand_scale = {y: float(look("demand_scale", year=y)) for y in years}
    demand = {
        (c, r, y): t * demand_scale[y] for (c, r, y), t in data.base_demand.items() if t * demand_scale[y] > 0
    }
    groups = sorted({fam[c] for (c, _r, _y) in demand}, key=list(schema.FAMILIES).index)
    named = sorted({r.commodity for r in look.by_param.get("localization_target", ())
                    if r.commodity is not None and r.commodity in data.commodities})
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
    cell_gwh = {y: g * demand_scale[y] for y, g in data.base_cell_gwh.items() if y in demand_scale}
    return CaseInstance(case=name, base=inst, settings=data.settings, commodities=data.commodities,
                        regions=data.regions, projects=data.projects, contracts=data.contracts,
                        transport=data.transport, demand=demand, cell_gwh=cell_gwh, policy=policy)
