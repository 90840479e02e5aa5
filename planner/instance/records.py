"""The validated instance: frozen records of the workbook, nothing from Excel, no case applied.

An `Instance` is produced only by validation (`planner.cases.load_instance` or `validate`, which
use `planner.instance.validate`) and is never mutated. What the model reads is a
`planner.cases.CaseInstance`: the records after one case's overrides, with its demand and its
resolved policy, made by `planner.cases.apply_case`. Both share the records and helpers of
`InstanceData`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from planner.errors import Issue
from planner.instance.parsed import Parsed, PolicyRow, Scenario

__all__ = ["Commodity", "Contract", "FixedPlan", "Instance", "InstanceData", "Member", "Offtake", "PolicyRow", "Scenario",
           "Project", "Region", "Settings", "SubstitutionGroup", "WhatIf", "capital_recovery_factor"]


@dataclass(frozen=True)
class Settings:
    title: str
    first_year: int
    last_year: int
    base_year: int
    discount_rate: float
    currency: str
    penalty_unmet_demand: float  # $/t
    penalty_localization: float  # $/t
    penalty_offtake: float = 20_000.0  # $/t of an offtake minimum not taken
    developer_discount_rate: float = 0.10  # 1/yr: the decision sheet's NPV and IRR (not used by the model)

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(range(self.first_year, self.last_year + 1))

    def discount_factor(self, year: int) -> float:
        return (1.0 + self.discount_rate) ** -(year - self.base_year)


@dataclass(frozen=True)
class Commodity:
    id: str
    family: str
    name: str
    market_price: float | None  # $/t; None = cannot be bought spot
    market_pfe_share: float | None = None  # PFE share of a tonne bought spot; None = undeclared (the buyer's pfe_cost_share)
    reference_price: float | None = None  # $/t at which a MACR values it; None = the market price
    row: int | None = None  # workbook row, for messages

    @property
    def macr_price(self) -> float | None:
        """$/t at which a material-assistance cost ratio values a tonne: the reference price, else the market price."""
        return self.reference_price if self.reference_price is not None else self.market_price


@dataclass(frozen=True)
class Region:
    id: str
    name: str
    domestic: bool
    fta: bool
    feoc: bool
    usmca: bool = False  # USMCA member (U.S., Canada, Mexico): North-America-made; the workbook's blank = domestic

    @property
    def north_american(self) -> bool:
        """Made here counts as North-America-made (USMCA): a U.S. region or a USMCA member."""
        return self.domestic or self.usmca


def capital_recovery_factor(rate: float, lifetime: int) -> float:
    """Share of an overnight investment charged in each of `lifetime` operating years."""
    if rate == 0.0:
        return 1.0 / lifetime
    g = (1.0 + rate) ** lifetime
    return rate * g / (g - 1.0)


@dataclass(frozen=True)
class Project:
    """A plant (or the JV variant of one). Years: start -> online -> qualified -> retired."""

    id: str
    name: str
    site: str
    commodity: str
    status: str  # existing | committed | candidate
    units_max: int
    capacity: float  # t/yr per unit
    capex: float  # $ per unit, overnight
    fixed_om: float  # $/yr per online unit
    variable_cost: float  # $/t
    earliest_start: int
    latest_start: int | None
    construction_years: int
    qualification_years: int
    ramp_up: tuple[float, ...]
    lifetime: int
    eligible_45x: bool
    eligible_48c: bool
    credit_48c_awarded: float  # $
    grant: float  # $
    feoc_owned: bool
    pfe_cost_share: float
    exclusive_group: str | None
    recipe: tuple[tuple[str, float], ...] = ()  # (input commodity, t per t of output)
    other_materials_cost: float = 0.0  # $/t of output: direct materials not modelled (part of variable_cost)
    base: str = ""  # the project this is a variant of (itself when standalone)
    partner: str | None = None
    partner_region: str | None = None
    equity_share: float = 0.0  # partner's share of capex, fixed O&M and output
    fixed_om_avoidable: float = 0.0  # share of fixed O&M saved in a mothballed year (existing/committed)
    restart_cost: float = 0.0  # $ per restart after a mothballed year
    cancellable: bool = False  # committed, not yet online: the plan may cancel it
    cancellation_cost: float = 0.0  # $
    early_retirement: bool = False  # existing/committed: the plan may retire it early
    retirement_cost: float = 0.0  # $
    row: int | None = None  # workbook row, for messages

    @property
    def fixed(self) -> bool:
        """Existing and committed plants are not decisions."""
        return self.status != "candidate"

    @property
    def is_jv(self) -> bool:
        return self.partner is not None

    def online_year(self, start: int) -> int:
        return start + self.construction_years

    def qualified_year(self, start: int) -> int:
        return start + self.construction_years + self.qualification_years

    def retire_year(self, start: int) -> int:
        """First year the plant is no longer online."""
        return start + self.construction_years + self.lifetime

    def is_online(self, start: int, year: int) -> bool:
        return self.online_year(start) <= year < self.retire_year(start)

    def availability(self, start: int, year: int) -> float:
        """Share of nameplate that may be delivered in `year` for a build started in `start`."""
        q = self.qualified_year(start)
        if year < q or year >= self.retire_year(start):
            return 0.0
        k = year - q
        return self.ramp_up[k] if k < len(self.ramp_up) else 1.0

    def spend_years(self, start: int) -> tuple[int, ...]:
        """Years over which the overnight capex is spent (evenly)."""
        return tuple(range(start, start + max(self.construction_years, 1)))

    def construction_interest(self, rate: float) -> float:
        """Value in the online year of one dollar of capex spent evenly over the construction years.

        1 without construction time or discounting; (1+r)^T for a sum spent T years early.
        """
        c = self.construction_years
        if c == 0 or rate == 0.0:
            return 1.0
        return sum((1.0 + rate) ** (c - k) for k in range(c)) / c


@dataclass(frozen=True)
class Contract:
    id: str
    origin: str
    commodity: str
    price: dict[int, float]  # $/t by delivery year (before tariff and freight)
    min_take: dict[int, float]  # t/yr by year
    max_volume: dict[int, float | None]  # t/yr by year; None = unlimited
    first_year: int
    last_year: int
    signing_fee: float
    feoc: bool
    row: int | None = None

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(y for y in sorted(self.price) if self.first_year <= y <= self.last_year)


@dataclass(frozen=True)
class Delay:
    """Schedule risk of a project, or the default of a status (sheet delays): probabilities of 0, 1 and 2
    extra years of construction and of qualification, and of abandonment (committed projects)."""

    applies_to: str
    construction: tuple[float, float, float]
    qualification: tuple[float, float, float]
    abandonment: float = 0.0
    row: int | None = None


@dataclass(frozen=True)
class Offtake:
    """An offtake agreement: a buyer in `buyer_region` takes between `min_t` and `max_t` a year of the
    output of one of `plants` (a project and its JV variants, of which at most one is built, or one
    JV variant) from `first_year` to `last_year`."""

    id: str
    project: str  # as the sheet names it
    plants: tuple[str, ...]  # the plants the agreement covers
    buyer_region: str
    min_t: float  # t/yr
    max_t: float | None  # t/yr; None = the plant's output
    first_year: int
    last_year: int
    price: float | None = None  # $/t, reported only
    shortfall_penalty: float | None = None  # $/t; None = settings penalty_offtake
    row: int | None = None

    def in_force(self, year: int) -> bool:
        return self.first_year <= year <= self.last_year


@dataclass(frozen=True)
class Member:
    """A member of a substitution group: its share bounds and its tonnes per tonne of the group's requirement."""

    commodity: str
    min_share: float
    max_share: float
    t_per_t: float
    row: int | None = None


@dataclass(frozen=True)
class SubstitutionGroup:
    """Commodities that stand in for one another in the demand of `region` (None: every region) from
    `first_year` to `last_year`."""

    id: str
    members: tuple[Member, ...]
    region: str | None
    first_year: int
    last_year: int

    def member(self, commodity: str) -> Member:
        return next(m for m in self.members if m.commodity == commodity)

    def applies(self, region: str, year: int) -> bool:
        return (self.region is None or self.region == region) and self.first_year <= year <= self.last_year


@dataclass(frozen=True)
class FixedPlan:
    """The planner's decisions of one plan, to be evaluated under another case (regret).

    Units started per (project, start year), the contracts signed, the committed plants cancelled
    and the plants retired early (project -> first year retired); every other candidate option is
    held at zero units, every other cancellable plant kept, every other retirable plant kept to the
    end of its life. Operations (output, mothballing, imports, shipments) and policy awards (48C,
    grants) are re-optimised.
    """

    source_case: str
    units: dict[tuple[str, int], int]
    signed: frozenset[str] = frozenset()
    cancelled: frozenset[str] = frozenset()
    retired: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class WhatIf:
    """A question asked of the model by re-solving it with a change (explanations).

    `force`: (project, start year) pairs that must start at least one unit then; `exclude`:
    projects never built; `drop_targets`: solve without localization targets; `objective`:
    "cost" (the plan) or "shortfall" (the least unmet demand and missed targets achievable, cost
    ignored: what the data allows at most).
    """

    label: str = ""
    force: tuple[tuple[str, int], ...] = ()
    exclude: frozenset[str] = frozenset()
    drop_targets: bool = False
    objective: str = "cost"


class InstanceData:
    """The records an `Instance` and a `CaseInstance` share, and the helpers computed from them."""

    settings: Settings
    commodities: dict[str, Commodity]
    regions: dict[str, Region]
    projects: dict[str, Project]
    contracts: dict[str, Contract]
    transport: dict[tuple[str, str, str], float]  # (commodity, from, to) -> $/t
    offtakes: dict[str, Offtake]
    substitution: dict[str, SubstitutionGroup]

    @property
    def years(self) -> tuple[int, ...]:
        return self.settings.years

    def families(self) -> tuple[str, ...]:
        seen: list[str] = []
        for c in self.commodities.values():
            if c.family not in seen:
                seen.append(c.family)
        return tuple(seen)

    def crf(self, project: Project) -> float:
        return capital_recovery_factor(self.settings.discount_rate, project.lifetime)

    def capex_annuity_factor(self, project: Project) -> float:
        """Annuity per dollar of capex from the online year: capital recovery x interest during construction."""
        r = self.settings.discount_rate
        return capital_recovery_factor(r, project.lifetime) * project.construction_interest(r)


@dataclass(frozen=True)
class Instance(InstanceData):
    """The validated workbook, no case applied: its records and demand as the sheets give them."""

    name: str
    path: str
    sha256: str
    settings: Settings
    commodities: dict[str, Commodity]
    regions: dict[str, Region]
    projects: dict[str, Project]
    contracts: dict[str, Contract]
    transport: dict[tuple[str, str, str], float]  # (commodity, from, to) -> $/t
    base_demand: dict[tuple[str, str, int], float]  # (commodity, region, year) -> t, before any case
    base_cell_gwh: dict[int, float]  # year -> GWh of cells behind the demand (cell_demand sheet)
    cases: dict[str, tuple[PolicyRow, ...]]
    sources: tuple[dict[str, Any], ...] = ()
    warnings: tuple[Issue, ...] = ()
    parsed: Parsed | None = field(default=None, compare=False, repr=False)  # typed tables, for case overlays
    base_cells: dict[tuple[str, str, int], float] = field(default_factory=dict)  # (region, segment, year) -> GWh
    cell_need: dict[tuple[str, str, int], float] = field(default_factory=dict)  # (segment, commodity, year) -> t/GWh
    offtakes: dict[str, Offtake] = field(default_factory=dict)
    substitution: dict[str, SubstitutionGroup] = field(default_factory=dict)
    delays: dict[str, Delay] = field(default_factory=dict)  # project id or status -> its schedule risk

    @property
    def scenarios(self) -> tuple[Scenario, ...]:
        """The scenarios of a hedged plan: the scenarios sheet's rows, or (without one) every case, equally likely."""
        rows = self.parsed.scenarios if self.parsed is not None else ()
        if rows:
            return rows
        n = len(self.cases)
        return tuple(Scenario(c, c, 1.0 / n) for c in self.cases)

    def summary(self) -> dict[str, Any]:
        """Counts for `planner info`."""
        by_status: dict[str, int] = {}
        for p in self.projects.values():
            if not p.is_jv:
                by_status[p.status] = by_status.get(p.status, 0) + 1
        total_demand: dict[str, float] = {}
        for (c, _r, _y), t in self.base_demand.items():
            fam = self.commodities[c].family
            total_demand[fam] = total_demand.get(fam, 0.0) + t
        return {
            "title": self.settings.title,
            "horizon": f"{self.settings.first_year}–{self.settings.last_year}",
            "years": len(self.years),
            "discount_rate": self.settings.discount_rate,
            "regions": len(self.regions),
            "domestic_regions": sum(r.domestic for r in self.regions.values()),
            "commodities": len(self.commodities),
            "projects": by_status,
            "joint_ventures": sum(p.is_jv for p in self.projects.values()),
            "contracts": len(self.contracts),
            "offtakes": len(self.offtakes),
            "substitution_groups": len(self.substitution),
            "transport_links": len({(i, j) for (_c, i, j) in self.transport}),
            "cases": list(self.cases),
            "demand_t": total_demand,
        }
