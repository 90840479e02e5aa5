"""apply_case: one policy case applied to an Instance, giving the CaseInstance the model reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from planner.cases.case import CaseInstance
from planner.cases.names import case_rows, resolve_case_name
from planner.cases.overrides import rebuild
from planner.cases.policy import PolicyLookup, resolve_policy
from planner.instance.records import Commodity, Contract, Instance, Project, Region


@dataclass(frozen=True)
class _CaseData:
    """What the policy resolvers read (schema.CaseData): the case's records and its scaled demand."""

    years: tuple[int, ...]
    commodities: dict[str, Commodity]
    regions: dict[str, Region]
    projects: dict[str, Project]
    contracts: dict[str, Contract]
    demand: dict[tuple[str, str, int], float]
    segments: tuple[str, ...]  # cell segments with cell demand


def apply_case(inst: Instance, case: str | None = None) -> CaseInstance:
    """What the model reads for `case` of `inst` (the first case when None): the records after the
    case's overrides (and those of the cases it extends), its demand and its resolved policy."""
    name = resolve_case_name(inst, case)
    chain, rows = case_rows(inst, name)
    overrides: list[Any] = []
    if inst.parsed is not None:
        overrides = [o for c in chain for o in inst.parsed.overrides if o.case == c]
    # the workbook as the case's overrides make it (the base itself when there are none)
    data = rebuild(inst.parsed, overrides) if overrides and inst.parsed is not None else inst
    years = data.years
    scale_at = PolicyLookup(rows)
    demand_scale = {y: float(scale_at("demand_scale", year=y)) for y in years}
    demand = {
        (c, r, y): t * demand_scale[y] for (c, r, y), t in data.base_demand.items() if t * demand_scale[y] > 0
    }
    cell_gwh = {y: g * demand_scale[y] for y, g in data.base_cell_gwh.items() if y in demand_scale}
    cells = {(r, s, y): g * demand_scale[y] for (r, s, y), g in data.base_cells.items()
             if y in demand_scale and g * demand_scale[y] > 0}
    segments = tuple(sorted({s for (_r, s, _y) in data.base_cells}))
    scope = _CaseData(years, data.commodities, data.regions, data.projects, data.contracts, demand, segments)
    policy = resolve_policy(name, rows, scope, chain=tuple(chain), overrides=tuple(o.describe() for o in overrides))
    return CaseInstance(case=name, base=inst, settings=data.settings, commodities=data.commodities,
                        regions=data.regions, projects=data.projects, contracts=data.contracts,
                        transport=data.transport, demand=demand, cell_gwh=cell_gwh, policy=policy, cells=cells,
                        cell_need=data.cell_need, offtakes=data.offtakes, substitution=data.substitution)
