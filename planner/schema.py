"""The instance workbook, declared once.

Every sheet, column, unit, default and allowed value of an instance workbook is declared here
and nowhere else. The reader (`planner.io`), the validator (`planner.instance`), the template
(`planner template`) and docs/instance-format.md are all driven by these declarations.

Conventions of the workbook
---------------------------
* Row 1 of every table sheet holds the column names. A name may carry its unit in brackets,
  e.g. ``capacity_per_unit [t/yr]``; the bracket is ignored when reading. Names are matched
  without regard to case, spaces or underscores.
* Blank cells take the column's default; a blank required cell is an error.
* Columns that carry money, quantities, shares or years must be present in the header row even
  where their cells may be blank (marked *column* under "required"): a deleted or misspelt column
  would otherwise silently take its default for every row. Other optional columns may be deleted.
* Booleans accept TRUE/FALSE, yes/no, y/n and 1/0.
* Quantities are in tonnes (t) and money in the instance's currency (USD by default), never
  in kt or $M: the model rescales internally.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

Kind = Literal[
    "id",  # identifier, unique in its sheet (text)
    "text",  # free text
    "int",  # whole number
    "year",  # calendar year (whole number)
    "float",  # real number
    "share",  # real number in [0, 1]
    "bool",  # TRUE/FALSE
    "enum",  # one of `choices`
    "ref",  # an id of another sheet (`ref`)
    "shares",  # list of shares separated by ';' or ',' (e.g. a ramp-up profile)
]

FAMILIES = ("CAM", "AAM", "precursor", "raw")
STATUSES = ("existing", "committed", "candidate")
SOURCE_TAGS = ("S", "D", "E")


@dataclass(frozen=True)
class Column:
    """One column of a table sheet."""

    name: str
    kind: Kind
    description: str
    unit: str = ""
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    ref: str | None = None  # sheet whose id this column references
    ref_extra: tuple[str, ...] = ()  # further values accepted besides the referenced ids
    minimum: float | None = None
    maximum: float | None = None
    strict_minimum: bool = False  # value must be > minimum rather than >=
    #: the column must be present in the header row, though its cells may be blank (money,
    #: quantities, shares and years: a missing column would silently give every row the default)
    needs_column: bool = False
    #: a number column that may be left out of the header row all the same: a workbook without it is
    #: solved exactly as before the column existed (its description says how); such columns came after
    #: workbooks were in use (issue 12), and become `needs_column` once the bundled instances carry them
    may_be_absent: bool = False

    @property
    def header_required(self) -> bool:
        """Whether the header row must hold this column (required cells, or `needs_column`)."""
        return self.required or self.needs_column


@dataclass(frozen=True)
class Sheet:
    """A table sheet: one record per row."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # columns whose combination must be unique
    required: bool = True
    examples: tuple[dict[str, Any], ...] = ()
    extra_columns: str | None = None  # meaning of columns beyond the declared ones, if allowed

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


@dataclass(frozen=True)
class Parameter:
    """A named parameter of a key/value sheet (settings) or of the policy sheet."""

    name: str
    kind: Kind
    description: str
    unit: str = ""
    default: Any = None
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    qualifiers: tuple[str, ...] = ()  # policy only: which of year/region/commodity/segment may be given
    example: Any = None
    #: policy only: how a case turns the rows of the parameter into the value the model reads (see
    #: `resolver`); None: by its qualifiers (one value, one per year, one per commodity and year)
    resolve: Resolver | None = None


# --------------------------------------------------------------------------------------------
# policy parameters: how a case resolves each one
# --------------------------------------------------------------------------------------------
# A case's value of a policy parameter is declared here, next to the parameter: its resolver turns
# the case's rows (through a PolicyLookup, which picks the most specific matching row) into the
# value the model reads, `ci.policy[name]` (also `ci.policy.name`). planner.cases runs every
# resolver when it applies a case and knows no parameter by name: a new parameter is one entry in
# POLICY (with a resolver of its own if none of the ones below fits) and the family that reads it.


class PolicyLookup(Protocol):
    """The case's value of a parameter at a point (the rules: `planner.cases.policy`)."""

    def __call__(self, param: str, year: int | None = None, region: str | None = None,
                 commodity: str | None = None, family: str | None = None, *, named: bool = False,
                 segment: str | None = None) -> Any: ...

    def commodities_named(self, param: str) -> list[str]:
        """The commodities (or families) the case's rows of `param` name, in row order."""
        ...


class CaseData(Protocol):
    """What a resolver may read of the case: its records after the case's overrides, its scaled demand."""

    @property
    def years(self) -> tuple[int, ...]: ...
    @property
    def commodities(self) -> Mapping[str, Any]: ...
    @property
    def regions(self) -> Mapping[str, Any]: ...
    @property
    def projects(self) -> Mapping[str, Any]: ...
    @property
    def contracts(self) -> Mapping[str, Any]: ...
    @property
    def demand(self) -> Mapping[tuple[str, str, int], float]: ...
    @property
    def segments(self) -> tuple[str, ...]: ...


Resolver = Callable[[Parameter, PolicyLookup, CaseData], Any]


def typed_value(p: Parameter, value: Any) -> Any:
    """A policy value as the model reads it: booleans as bool, numbers as float, blank as None."""
    if value is None:
        return None
    if p.kind == "bool":
        return bool(value)
    if p.kind in ("float", "share", "int", "year"):
        return float(value)
    return value


def resolve_once(p: Parameter, look: PolicyLookup, case: CaseData) -> Any:
    """One value for the whole case."""
    return typed_value(p, look(p.name))


def resolve_by_year(p: Parameter, look: PolicyLookup, case: CaseData) -> dict[int, Any]:
    """year -> value, for every year of the horizon."""
    return {y: typed_value(p, look(p.name, year=y)) for y in case.years}


def resolve_by_commodity_year(p: Parameter, look: PolicyLookup, case: CaseData) -> dict[tuple[str, int], Any]:
    """(commodity, year) -> value, for every commodity (a row may name it or its family) and year."""
    return {(c, y): typed_value(p, look(p.name, year=y, commodity=c, family=x.family))
            for c, x in case.commodities.items() for y in case.years}


def resolve_by_contract_year(p: Parameter, look: PolicyLookup, case: CaseData) -> dict[tuple[str, int], Any]:
    """(contract, year) -> value at the contract's origin region and commodity, where it is not zero."""
    out: dict[tuple[str, int], Any] = {}
    for k in case.contracts.values():
        family = case.commodities[k.commodity].family
        for y in case.years:
            v = look(p.name, year=y, region=k.origin, commodity=k.commodity, family=family)
            if v:
                out[(k.id, y)] = typed_value(p, v)
    return out


def resolve_by_segment_year(p: Parameter, look: PolicyLookup, case: CaseData) -> dict[tuple[str, int], Any]:
    """(cell segment, year) -> value, for every segment with cell demand and every year."""
    return {(s, y): typed_value(p, look(p.name, year=y, segment=s)) for s in case.segments for y in case.years}


def resolve_localization_targets(p: Parameter, look: PolicyLookup, case: CaseData) -> dict[tuple[str, int], float]:
    """(family or commodity, year) -> target share, where a target is set (see *Localization targets*
    in docs/model.md): a family's target for every family with demand (rows naming the family, or
    blank), and a commodity's own target where a row names the commodity."""
    fam = {c: x.family for c, x in case.commodities.items()}
    groups = sorted({fam[c] for (c, _r, _y) in case.demand}, key=list(FAMILIES).index)
    named = sorted({c for c in look.commodities_named(p.name) if c in case.commodities})
    targets: dict[tuple[str, int], float] = {}
    for g in groups:
        for y in case.years:
            v = look(p.name, year=y, commodity=None, family=g)
            if v > 0:
                targets[(g, y)] = v
    for c in named:
        for y in case.years:
            v = look(p.name, year=y, commodity=c, family=None, named=True)
            if v > 0:
                targets[(c, y)] = v
    return targets


_BY_QUALIFIERS: dict[tuple[str, ...], Resolver] = {
    (): resolve_once,
    ("year",): resolve_by_year,
    ("year", "commodity"): resolve_by_commodity_year,
}


def resolver(p: Parameter) -> Resolver:
    """The resolver of policy parameter `p`: its own, or the one its qualifiers imply."""
    if p.resolve is not None:
        return p.resolve
    try:
        return _BY_QUALIFIERS[p.qualifiers]
    except KeyError:
        raise ValueError(f"policy parameter {p.name} needs a resolver of its own (qualifiers {p.qualifiers})") from None


# --------------------------------------------------------------------------------------------
# settings (key/value)
# --------------------------------------------------------------------------------------------

SETTINGS_SHEET = "settings"
SETTINGS_DESCRIPTION = (
    "Horizon, discounting, units and penalty prices. One parameter per row: columns "
    "`parameter` and `value` (a `unit` and `description` column may be kept for the reader)."
)
SETTINGS: tuple[Parameter, ...] = (
    Parameter("title", "text", "Short title of the instance, shown in every output.", example="Example instance"),
    Parameter("first_year", "year", "First year of the planning horizon.", required=True, example=2026),
    Parameter("last_year", "year", "Last year of the planning horizon (may equal first_year).", required=True, example=2031),
    Parameter("base_year", "year", "Year to which all costs are discounted. Default: first_year.", example=2026),
    Parameter("discount_rate", "share", "Real discount rate per year, used for discounting and for annualising capex.", unit="1/yr", default=0.0, example=0.08),
    Parameter("developer_discount_rate", "share", "A developer's cost of capital: the rate at which the results' decision sheet discounts each commitment's cash flows for its project NPV and IRR (not used by the model).", unit="1/yr", default=0.10, example=0.10),
    Parameter("currency", "text", "Currency of every money column (informational).", default="USD", example="USD"),
    Parameter("penalty_unmet_demand", "float", "Price of a tonne of demand left unmet. Set it above any real supply cost so that unmet demand is a last resort, reported, never silently chosen.", unit="$/t", default=250_000.0, minimum=0.0, example=250000),
    Parameter("penalty_localization", "float", "Price of a tonne of qualifying supply missing from a localization target (soft targets). Ignored with --hard-targets.", unit="$/t", default=50_000.0, minimum=0.0, example=50000),
    Parameter("penalty_offtake", "float", "Price of a tonne of an offtake agreement's minimum that is not taken (sheet offtakes; an agreement may set its own). A buyer who takes less than its minimum pays the seller for it (take-or-pay or damages, about the contract price); within the industry that payment is a transfer, so this price stands for what breaking the commitment costs beyond it: the plant's financing and qualification rest on the agreement. Set it above the gap between the plant's cost and the cheapest landed import (a few thousand $/t for CAM and AAM) so that a qualified plant delivers its minimum whenever the buyer can take it, and below penalty_unmet_demand so that it never outweighs serving cells; 0 makes the minimums optional (reported only). The shortfall keeps every plan feasible: a plan fixed under one case can always be evaluated under another.", unit="$/t", default=20_000.0, minimum=0.0, example=20000),
)


SETTINGS_COLUMNS: tuple[Column, ...] = (
    Column("parameter", "enum", "Name of the setting (see the list of settings).", required=True,
           choices=tuple(p.name for p in SETTINGS)),
    Column("value", "text", "Value of the setting; its kind and unit depend on the parameter. "
           "Blank or row missing: the parameter's default."),
    Column("unit", "text", "Unit (informational)."),
    Column("description", "text", "Free text (informational)."),
)


# --------------------------------------------------------------------------------------------
# table sheets
# --------------------------------------------------------------------------------------------

def _c(name: str, kind: Kind, description: str, **kw: Any) -> Column:
    return Column(name=name, kind=kind, description=description, **kw)


COMMODITIES = Sheet(
    "commodities",
    "Materials with a balance per region and year: active materials (CAM, AAM) and, optionally, "
    "upstream commodities used as plant inputs.",
    (
        _c("commodity", "id", "Identifier, e.g. NMC811, LFP, SG.", required=True),
        _c("family", "enum", "CAM (cathode active material), AAM (anode active material), precursor or raw. Localization targets apply per family.", required=True, choices=FAMILIES),
        _c("name", "text", "Readable name."),
        _c("market_price", "float", "Price of buying the commodity on the spot market where a plant uses it as an input. Blank: it cannot be bought, only produced or imported under a contract. Spot purchases never count as qualifying (localized) supply.", unit="$/t", minimum=0.0, needs_column=True),
        _c("market_pfe_share", "share", "Share of a tonne bought on the spot market that counts as material from prohibited foreign entities (PFE) in a plant's material-assistance cost ratio (MACR). Blank (or no column): spot material is of undeclared origin and counts like the buying plant's other untraced material, at its pfe_cost_share.", unit="0-1", may_be_absent=True),
        _c("reference_price", "float", "Price at which a tonne of the commodity is valued in a material-assistance cost ratio (a plant's 45X test, a cell's credit test), whoever supplies it and whatever was paid. Blank (or no column): the market price. Required for every input of a plant whose 45X has a MACR test and every active material of cells whose credit has one, where the commodity has no market price.", unit="$/t", minimum=0.0, may_be_absent=True),
        _c("description", "text", "Free text."),
    ),
    key=("commodity",),
    examples=(
        {"commodity": "NMC811", "family": "CAM", "name": "NMC811 / NCMA cathode", "reference_price": 18_000},
        {"commodity": "SG", "family": "AAM", "name": "Synthetic graphite anode", "reference_price": 7_000},
        {"commodity": "NG", "family": "AAM", "name": "Natural graphite anode", "reference_price": 5_000},
    ),
)

REGIONS = Sheet(
    "regions",
    "Demand regions (cell-plant clusters), plant sites and supply origins (countries).",
    (
        _c("region", "id", "Identifier, e.g. OH, QC, China.", required=True),
        _c("name", "text", "Readable name."),
        _c("domestic", "bool", "In the United States: output of plants here counts as domestic and may earn 45X.", default=False),
        _c("fta", "bool", "U.S. free-trade-agreement partner: supply from here counts toward localization targets when the case lets FTA partners count.", default=False),
        _c("feoc", "bool", "Foreign-entity-of-concern (prohibited foreign entity) jurisdiction: supply from here is excluded from localization when the case says so.", default=False),
        _c("usmca", "bool", "Member of the USMCA (United States, Canada, Mexico): supply made here counts as North-America-made in the results' localization views. Blank: as `domestic`."),
        _c("description", "text", "Free text."),
    ),
    key=("region",),
    examples=(
        {"region": "OH", "name": "Ohio cell cluster", "domestic": True},
        {"region": "China", "name": "China", "feoc": True},
    ),
)

INTENSITY = Sheet(
    "intensity",
    "Material intensity: tonnes of each commodity needed per GWh of cells of each chemistry. An "
    "intensity may change over time: give one row per year for it (years in between are "
    "interpolated linearly, the nearest given year holds outside them), or one row without a year.",
    (
        _c("chemistry", "text", "Cell chemistry, e.g. NMC811, LFP.", required=True),
        _c("commodity", "ref", "Commodity needed.", ref="commodities", required=True),
        _c("year", "year", "Year the intensity applies to. Blank: every year.", needs_column=True),
        _c("t_per_gwh", "float", "Tonnes of the commodity per GWh of cell output.", unit="t/GWh", required=True, minimum=0.0),
    ),
    key=("chemistry", "commodity", "year"),
    required=False,
    examples=(
        {"chemistry": "NMC811", "commodity": "NMC811", "t_per_gwh": 1400},
        {"chemistry": "NMC811", "commodity": "SG", "t_per_gwh": 950},
    ),
)

CHEMISTRY_MIX = Sheet(
    "chemistry_mix",
    "Share of each chemistry in the GWh of a demand segment (e.g. EV, ESS). Shares of a segment "
    "and year sum to 1. Years between two given years are interpolated linearly; before the "
    "first and after the last given year the nearest given year holds.",
    (
        _c("segment", "text", "Demand segment named in cell_demand, e.g. EV.", required=True),
        _c("year", "year", "Year the shares apply to.", required=True),
        _c("chemistry", "text", "Chemistry, as in the intensity sheet.", required=True),
        _c("share", "share", "Share of the segment's GWh.", unit="0-1", required=True),
    ),
    key=("segment", "year", "chemistry"),
    required=False,
    examples=(
        {"segment": "EV", "year": 2026, "chemistry": "NMC811", "share": 1.0},
    ),
)

CELL_DEMAND = Sheet(
    "cell_demand",
    "Cell output to supply, in GWh per region, year and segment. The segment is either a segment "
    "of chemistry_mix or directly a chemistry of the intensity sheet.",
    (
        _c("region", "ref", "Demand region.", ref="regions", required=True),
        _c("year", "year", "Year.", required=True),
        _c("segment", "text", "Segment (chemistry_mix) or chemistry (intensity).", required=True),
        _c("gwh", "float", "Cell output.", unit="GWh", required=True, minimum=0.0),
    ),
    key=("region", "year", "segment"),
    required=False,
    examples=(
        {"region": "OH", "year": 2026, "segment": "EV", "gwh": 40},
    ),
)

MATERIAL_DEMAND = Sheet(
    "material_demand",
    "Demand stated directly in tonnes of a commodity (added to the demand derived from cell_demand).",
    (
        _c("region", "ref", "Demand region.", ref="regions", required=True),
        _c("year", "year", "Year.", required=True),
        _c("commodity", "ref", "Commodity.", ref="commodities", required=True),
        _c("tonnes", "float", "Demand.", unit="t", required=True, minimum=0.0),
    ),
    key=("region", "year", "commodity"),
    required=False,
)

SUBSTITUTION = Sheet(
    "substitution",
    "Substitution groups in demand: commodities that can stand in for one another in cells, within share bounds "
    "(e.g. natural graphite between 0% and 50% of the graphite, NCA and NMC811 interchangeable, Si-C as a blend "
    "at a graphite-equivalent ratio). In the group's regions and years the demand of its members no longer has "
    "to be met commodity by commodity: together they make one requirement, the members' demand each divided by "
    "its t_per_t, which any mix of members within their shares may meet. One row per member; the region and the "
    "years are those of the group's first row and must be the same on every row of the group.",
    (
        _c("group", "text", "Name of the group, e.g. graphite (not the id of a commodity or a family).", required=True),
        _c("commodity", "ref", "A member of the group (all members of one family).", ref="commodities", required=True),
        _c("min_share", "share", "Least share of the group's requirement met by this member (of the part met).", unit="0-1", default=0.0, needs_column=True),
        _c("max_share", "share", "Largest share of the group's requirement met by this member (of the part met).", unit="0-1", default=1.0, needs_column=True),
        _c("t_per_t", "float", "Tonnes of the member that meet one tonne of the group's requirement (equivalence ratio: 1 for graphite types; about 0.2 for Si-C, which stores about five times as much as graphite).", unit="t/t", default=1.0, minimum=0.0, strict_minimum=True, needs_column=True),
        _c("region", "ref", "Demand region the group applies to. Blank: every region.", ref="regions"),
        _c("first_year", "year", "First year the group applies. Blank: first year of the horizon.", needs_column=True),
        _c("last_year", "year", "Last year the group applies. Blank: last year of the horizon.", needs_column=True),
        _c("description", "text", "Free text, source notes."),
    ),
    key=("group", "commodity"),
    required=False,
    examples=(
        {"group": "graphite", "commodity": "SG", "min_share": 0.5, "max_share": 1.0, "t_per_t": 1.0},
        {"group": "graphite", "commodity": "NG", "min_share": 0.0, "max_share": 0.5, "t_per_t": 1.0},
    ),
)

PROJECTS = Sheet(
    "projects",
    "Existing, committed and candidate plants. Existing and committed plants are fixed (built at "
    "earliest_start with units_max units); candidates are chosen by the model. A plant is online "
    "construction_years after its start, may deliver only after a further qualification_years, "
    "then follows the ramp-up profile, and retires lifetime years after it came online.",
    (
        _c("project", "id", "Identifier, e.g. C01.", required=True),
        _c("name", "text", "Readable name (operator, site)."),
        _c("site", "ref", "Region where the plant stands.", ref="regions", required=True),
        _c("commodity", "ref", "Commodity the plant makes.", ref="commodities", required=True),
        _c("status", "enum", "existing, committed (fixed) or candidate (a decision).", required=True, choices=STATUSES),
        _c("units_max", "int", "Number of identical units (modules) that may be built; 1 = build or not.", default=1, minimum=1, needs_column=True),
        _c("capacity_per_unit", "float", "Nameplate output of one unit.", unit="t/yr", required=True, minimum=0.0, strict_minimum=True),
        _c("capex_per_unit", "float", "Overnight investment of one unit (0 when sunk).", unit="$", default=0.0, minimum=0.0, needs_column=True),
        _c("fixed_om_per_unit", "float", "Fixed operating cost of one online unit per year.", unit="$/yr", default=0.0, minimum=0.0, needs_column=True),
        _c("variable_cost", "float", "Production cost per tonne, excluding recipe inputs that are bought or supplied through the balance.", unit="$/t", default=0.0, minimum=0.0, needs_column=True),
        _c("earliest_start", "year", "Candidates: first year construction may start. Existing/committed: the year construction started (may lie before the horizon).", required=True),
        _c("latest_start", "year", "Candidates: last year construction may start. Blank: any year that still lets the plant qualify within the horizon.", needs_column=True),
        _c("construction_years", "int", "Years from start of construction to mechanical completion (online).", unit="yr", default=0, minimum=0, needs_column=True),
        _c("qualification_years", "int", "Years from online to qualified by cell makers; output counts only once qualified.", unit="yr", default=0, minimum=0, needs_column=True),
        _c("ramp_up", "shares", "Output as a share of nameplate in the first qualified years, e.g. 0.4;0.7;0.9. Later years run at 1. Blank: full output at once.", unit="0-1 list", needs_column=True),
        _c("lifetime", "int", "Operating life from the online year.", unit="yr", default=20, minimum=1, needs_column=True),
        _c("eligible_45x", "bool", "May earn the 45X production credit (the site must also be domestic).", default=False),
        _c("eligible_48c", "bool", "May receive a 48C investment-credit award (a decision, within the case's allocation budget).", default=False),
        _c("credit_48c_awarded", "float", "48C credit already allocated to the project (counted as public cost; blocks 45X unless the case allows stacking).", unit="$", default=0.0, minimum=0.0, needs_column=True),
        _c("grant", "float", "Grant the project receives if built, paid from the case's grant pool.", unit="$", default=0.0, minimum=0.0, needs_column=True),
        _c("feoc_owned", "bool", "Owned or controlled by a foreign entity of concern.", default=False),
        _c("pfe_cost_share", "share", "Share of the plant's untraced direct material cost that comes from prohibited foreign entities (PFE): the materials not modelled as commodities (other_materials_cost) and spot purchases of an input without a market_pfe_share. A plant with no priced recipe input and no other_materials_cost has a MACR of 1 - pfe_cost_share. See the case's 45X MACR threshold.", unit="0-1", default=0.0, needs_column=True),
        _c("other_materials_cost", "float", "Direct materials per tonne of output that are not modelled as commodities (electrolyte salts, binders, dopants...): the part of variable_cost they make up. Adds no cost of its own (it is in variable_cost); it enters the plant's MACR, at its pfe_cost_share. No column: 0 for every plant.", unit="$/t", default=0.0, minimum=0.0, may_be_absent=True),
        _c("exclusive_group", "text", "Projects sharing a group exclude each other (at most one is built)."),
        _c("fixed_om_avoidable", "share", "Existing and committed plants: share of fixed O&M saved in a year the plant is mothballed (the plan decides, year by year, whether to operate it). 0: no mothball decision (the plant may still produce nothing, at its full fixed O&M).", unit="0-1", default=0.0, may_be_absent=True),
        _c("restart_cost", "float", "Existing and committed plants: cost of operating again after a mothballed year.", unit="$", default=0.0, minimum=0.0, may_be_absent=True),
        _c("cancellable", "bool", "Committed plants not yet online in the first year: the plan may cancel the plant, saving the capex not yet spent and its fixed O&M, at the cancellation_cost.", default=False),
        _c("cancellation_cost", "float", "Cost of cancelling the plant (write-offs, penalties, site restoration), paid in the first year.", unit="$", default=0.0, minimum=0.0, may_be_absent=True),
        _c("early_retirement", "bool", "Existing and committed plants: the plan may retire the plant before the end of its lifetime (for good), saving its fixed O&M, at the retirement_cost.", default=False),
        _c("retirement_cost", "float", "Cost of retiring the plant early (severance, decommissioning), paid in the first year it is retired.", unit="$", default=0.0, minimum=0.0, may_be_absent=True),
        _c("description", "text", "Free text, source notes."),
    ),
    key=("project",),
    examples=(
        {"project": "P1", "name": "Existing cathode plant", "site": "OH", "commodity": "NMC811", "status": "existing", "capacity_per_unit": 20000, "variable_cost": 21000, "earliest_start": 2020, "lifetime": 20},
        {"project": "P2", "name": "Candidate cathode plant", "site": "OH", "commodity": "NMC811", "status": "candidate", "units_max": 2, "capacity_per_unit": 30000, "capex_per_unit": 750_000_000, "fixed_om_per_unit": 22_500_000, "variable_cost": 20500, "earliest_start": 2026, "construction_years": 2, "qualification_years": 1, "ramp_up": "0.5;0.8", "lifetime": 20, "eligible_45x": True},
    ),
)

RECIPES = Sheet(
    "recipes",
    "Inputs a plant consumes per tonne of output (may be left empty).",
    (
        _c("project", "ref", "Project.", ref="projects", required=True),
        _c("input", "ref", "Input commodity.", ref="commodities", required=True),
        _c("t_per_t", "float", "Tonnes of input per tonne of output.", unit="t/t", required=True, minimum=0.0, strict_minimum=True),
    ),
    key=("project", "input"),
    required=False,
)

JOINT_VENTURES = Sheet(
    "joint_ventures",
    "Joint-venture variants of candidate projects. The partner pays its equity share of capex and "
    "fixed O&M (it is not the planner's spending, so it does not count against capex budgets; it "
    "still counts in the cost to industry) and takes that share of output under offtake to its "
    "region; the variant usually qualifies faster. A project and its JV variants exclude each other.",
    (
        _c("jv", "id", "Identifier of the variant (must not clash with a project id).", required=True),
        _c("project", "ref", "Candidate project the variant belongs to.", ref="projects", required=True),
        _c("partner", "text", "Partner's name (OEM, cell maker, incumbent).", required=True),
        _c("partner_region", "ref", "Region to which the partner's offtake goes.", ref="regions", required=True),
        _c("equity_share", "share", "Partner's equity share.", unit="0-1", required=True),
        _c("qualification_years", "int", "Qualification time of the variant. Blank: as the project.", unit="yr", minimum=0, needs_column=True),
        _c("feoc_owned", "bool", "Whether the variant is FEOC-owned. Blank: as the project."),
        _c("description", "text", "Free text."),
    ),
    key=("jv",),
    required=False,
)

OFFTAKES = Sheet(
    "offtakes",
    "Offtake agreements of plants: a buyer in a region takes at least min_t and at most max_t a year of a "
    "plant's output, from first_year to last_year. The minimum applies once the plant is qualified, scaled "
    "by its ramp-up and by the share of its units built; it lapses while the plant is not built, and for a "
    "plant the plan cancels or retires early. A minimum not taken is priced (settings penalty_offtake, or "
    "the agreement's own shortfall_penalty). The output moves from the plant's site to the buyer's region "
    "at the transport cost of that link.",
    (
        _c("offtake", "id", "Identifier, e.g. OT1.", required=True),
        _c("project", "text", "Plant that delivers: a project of sheet projects (the agreement then also covers its JV variants) or one JV variant of sheet joint_ventures.", required=True),
        _c("buyer_region", "ref", "Region of the buyer (its cell plants).", ref="regions", required=True),
        _c("min_t", "float", "Minimum the buyer takes each year once the plant is qualified and ramped up.", unit="t/yr", default=0.0, minimum=0.0, needs_column=True),
        _c("max_t", "float", "Most the buyer takes each year under the agreement (more may be traded outside it, like any output). Blank: no limit but the plant's output.", unit="t/yr", minimum=0.0, needs_column=True),
        _c("first_year", "year", "First year of the agreement. Blank: first year of the horizon.", needs_column=True),
        _c("last_year", "year", "Last year of the agreement. Blank: last year of the horizon.", needs_column=True),
        _c("price", "float", "Price the buyer pays (reported as the buyer's cost; a transfer within the industry, not part of the objective).", unit="$/t", minimum=0.0, needs_column=True),
        _c("shortfall_penalty", "float", "Price of a tonne of the minimum not taken under this agreement. Blank: settings penalty_offtake.", unit="$/t", minimum=0.0, needs_column=True),
        _c("description", "text", "Free text, source notes."),
    ),
    key=("offtake",),
    required=False,
    examples=(
        {"offtake": "OT1", "project": "P1", "buyer_region": "OH", "min_t": 10000, "max_t": 20000, "price": 21000},
    ),
)

CONTRACTS = Sheet(
    "contracts",
    "Import contracts that may be signed. Signing is a decision; a signed contract delivers at most "
    "max_volume and is paid for at least min_take (take-or-pay) every year from first_year to "
    "last_year. Imports land in the origin region and reach demand regions through the transport sheet.",
    (
        _c("contract", "id", "Identifier, e.g. I01.", required=True),
        _c("origin", "ref", "Origin region (country).", ref="regions", required=True),
        _c("commodity", "ref", "Commodity delivered.", ref="commodities", required=True),
        _c("price", "float", "Price in the base year, before tariff and freight.", unit="$/t", required=True, minimum=0.0),
        _c("escalation", "float", "Real price change per year from the base year (0.02 = +2%/yr; before the base year the price is lower by the same rate).", unit="1/yr", default=0.0, minimum=-0.5, maximum=1.0, needs_column=True),
        _c("min_take", "float", "Minimum yearly quantity paid for (take-or-pay) once signed.", unit="t/yr", default=0.0, minimum=0.0, needs_column=True),
        _c("max_volume", "float", "Maximum yearly quantity. Blank: unlimited.", unit="t/yr", minimum=0.0, needs_column=True),
        _c("first_year", "year", "First delivery year. Blank: first year of the horizon.", needs_column=True),
        _c("last_year", "year", "Last delivery year. Blank: last year of the horizon.", needs_column=True),
        _c("signing_fee", "float", "One-off fee paid in the first delivery year if signed.", unit="$", default=0.0, minimum=0.0, needs_column=True),
        _c("feoc", "bool", "Supplier is a foreign entity of concern. Blank: as the origin region."),
        _c("description", "text", "Free text, source notes."),
    ),
    key=("contract",),
    required=False,
    examples=(
        {"contract": "K1", "origin": "China", "commodity": "NMC811", "price": 17900, "max_volume": 50000},
        {"contract": "K2", "origin": "China", "commodity": "SG", "price": 3900},
    ),
)

CONTRACT_TERMS = Sheet(
    "contract_terms",
    "Year-specific terms of a contract, overriding price, min_take or max_volume of the contracts sheet in that year.",
    (
        _c("contract", "ref", "Contract.", ref="contracts", required=True),
        _c("year", "year", "Year.", required=True),
        _c("price", "float", "Price in that year (before tariff and freight).", unit="$/t", minimum=0.0, needs_column=True),
        _c("min_take", "float", "Minimum take in that year.", unit="t/yr", minimum=0.0, needs_column=True),
        _c("max_volume", "float", "Maximum volume in that year.", unit="t/yr", minimum=0.0, needs_column=True),
    ),
    key=("contract", "year"),
    required=False,
)

TRANSPORT = Sheet(
    "transport",
    "Cost of moving a tonne between two regions, including ocean freight from supply origins. "
    "Material can only move along listed links.",
    (
        _c("from_region", "ref", "Origin of the link.", ref="regions", required=True),
        _c("to_region", "ref", "Destination of the link.", ref="regions", required=True),
        _c("commodity", "ref", "Commodity the cost applies to. Blank: every commodity.", ref="commodities"),
        _c("cost_per_t", "float", "Cost per tonne moved.", unit="$/t", required=True, minimum=0.0),
        _c("both_ways", "bool", "The same link and cost also apply from to_region to from_region.", default=True),
    ),
    key=("from_region", "to_region", "commodity"),
    required=False,
    examples=(
        {"from_region": "China", "to_region": "OH", "cost_per_t": 350, "both_ways": False},
    ),
)

POLICY_SHEET = "policy"
POLICY_DESCRIPTION = (
    "Policy cases side by side: the fixed columns say which parameter a row sets and for which "
    "year, origin and commodity; every further column is a policy case (its header is the case "
    "name) holding that case's value. A blank case cell leaves the parameter at its default for "
    "that case. Where several rows match, the most specific one wins (a row naming the year beats "
    "one that does not; a commodity beats its family, which beats a blank)."
)
POLICY: tuple[Parameter, ...] = (
    Parameter("extends", "text", "Name of the case this case extends: it starts from that case's policy values and overrides; its own values and overrides come on top.", example="current_law"),
    Parameter("x45_rate", "share", "45X credit as a share of production cost (variable cost plus the recipe inputs that have a market price, valued at that price).", unit="0-1", default=0.0, qualifiers=("year", "commodity"), example=0.10),
    Parameter("x45_phase", "share", "45X phase-down multiplier by year of sale.", unit="0-1", default=1.0, qualifiers=("year",), example=0.75),
    Parameter("x45_requires_non_feoc", "bool", "FEOC-owned plants earn no 45X.", default=False, example=True),
    Parameter("x45_macr_min", "share", "Minimum non-PFE share of direct material cost (material-assistance cost ratio, MACR) a plant needs to earn 45X in a year. The ratio values the plant's recipe inputs at their reference_price by the status of their supply (decided by the plan where PFE and non-PFE supply compete) and its other_materials_cost at pfe_cost_share; a plant with neither has 1 - pfe_cost_share.", unit="0-1", default=0.0, qualifiers=("year",), example=0.6),
    Parameter("x48c_rate", "share", "48C credit as a share of the awarded project's capex.", unit="0-1", default=0.0, example=0.30),
    Parameter("x48c_budget", "float", "Total 48C allocation available to new awards.", unit="$", default=0.0, minimum=0.0, example=500_000_000),
    Parameter("x48c_awarded_paid", "bool", "48C credits already allocated to projects (projects column credit_48c_awarded) are counted. FALSE models a world without them.", default=True, example=True),
    Parameter("x48c_stacking", "bool", "A project with a 48C award may also earn 45X.", default=False, example=False),
    Parameter("grant_pool", "float", "Total grants that can be paid to projects. Blank: every listed grant is paid.", unit="$", minimum=0.0, example=1_000_000_000),
    Parameter("tariff", "float", "Ad-valorem tariff on imports under contract, by origin and commodity (or family), as a share of the price (0.25 = 25%; duties above 100% are allowed, e.g. 1.85).", unit="share of price", default=0.0, minimum=0.0, maximum=10.0, qualifiers=("year", "region", "commodity"), example=0.25, resolve=resolve_by_contract_year),
    Parameter("localization_target", "share", "Minimum share of a family's demand met by qualifying supply.", unit="0-1", default=0.0, qualifiers=("year", "commodity"), example=0.5, resolve=resolve_localization_targets),
    Parameter("localization_fta_counts", "bool", "Supply from FTA partners (plants sited there and imports from there) counts as qualifying.", default=True, example=True),
    Parameter("localization_excludes_feoc", "bool", "FEOC-owned plants and FEOC suppliers never count as qualifying.", default=True, example=True),
    Parameter("feoc_imports_allowed", "bool", "Imports from FEOC suppliers are allowed in the year.", default=True, qualifiers=("year",), example=True),
    Parameter("capex_budget", "float", "Maximum capex spent on new (candidate) builds in a year, spread evenly over construction years.", unit="$", minimum=0.0, qualifiers=("year",), example=3_000_000_000),
    Parameter("capex_budget_total", "float", "Maximum capex of all new builds over the horizon.", unit="$", minimum=0.0, example=10_000_000_000),
    Parameter("demand_scale", "float", "Multiplier on all demand in the year.", unit="x", default=1.0, minimum=0.0, qualifiers=("year",), example=1.0),
    Parameter("cell_credit", "float", "Credit a cell made in a domestic demand region earns per kWh when its material-assistance cost ratio meets cell_macr_min: the 45X cell credit ($35/kWh), or for storage cells the value of meeting the 48E test; by year and cell segment. Counted as revenue to industry and as public cost.", unit="$/kWh", default=0.0, minimum=0.0, qualifiers=("year", "segment"), example=35, resolve=resolve_by_segment_year),
    Parameter("cell_credit_phase", "share", "Phase-down multiplier of the cell credit by year of sale (45X: 0.75 in 2030, 0.5 in 2031, 0.25 in 2032, 0 from 2033).", unit="0-1", default=1.0, qualifiers=("year", "segment"), example=0.75, resolve=resolve_by_segment_year),
    Parameter("cell_macr_min", "share", "Minimum non-PFE share of a cell's direct material cost (its CAM and AAM at their reference price, plus its other materials) for the cell credit: 45X cells 0.60 (2026), 0.65, 0.70, 0.80, 0.85 (2030 on); 48E storage 0.55 (2026) to 0.75 (2030 on). 0: no test.", unit="0-1", default=0.0, qualifiers=("year", "segment"), example=0.6, resolve=resolve_by_segment_year),
    Parameter("cell_other_materials_cost", "float", "Direct materials of a cell other than its active materials (foil, electrolyte, separator, can), per kWh, as they enter the cell's ratio.", unit="$/kWh", default=0.0, minimum=0.0, qualifiers=("year", "segment"), example=20, resolve=resolve_by_segment_year),
    Parameter("cell_other_materials_pfe_share", "share", "Share of the cell's other materials (cell_other_materials_cost) that comes from prohibited foreign entities.", unit="0-1", default=0.0, qualifiers=("year", "segment"), example=0.5, resolve=resolve_by_segment_year),
)
POLICY_BY_NAME = {p.name: p for p in POLICY}
#: the parameters a case gives a value (`extends` names the case a case starts from instead)
POLICY_VALUES: tuple[Parameter, ...] = tuple(p for p in POLICY if p.name != "extends")

POLICY_FIXED_COLUMNS: tuple[Column, ...] = (
    _c("parameter", "enum", "Policy parameter (see the list of policy parameters).", required=True,
       choices=tuple(p.name for p in POLICY)),
    _c("year", "year", "Year the value applies to. Blank: every year not given on its own row.", needs_column=True),
    _c("region", "ref", "Origin region (tariff only). Blank: every origin.", ref="regions"),
    _c("commodity", "ref", "Commodity or family (CAM, AAM, ...). Blank: all.", ref="commodities", ref_extra=FAMILIES),
    _c("segment", "text", "Cell segment (cell-credit parameters only): a segment of chemistry_mix, or a chemistry "
       "named directly in cell_demand. Blank: every segment."),
    _c("unit", "text", "Unit (informational)."),
    _c("description", "text", "Free text."),
)

OVERRIDABLE = (
    "settings", "commodities", "regions", "intensity", "chemistry_mix", "cell_demand", "material_demand",
    "substitution", "projects", "recipes", "joint_ventures", "offtakes", "contracts", "contract_terms", "transport",
)
OPERATIONS = ("set", "scale", "add", "remove")

OVERRIDES = Sheet(
    "overrides",
    "Changes a case makes to any other sheet, applied in order to the base data when the case is solved "
    "(after the changes of the case it extends). Example rows: demand x1.3 from 2030 (sheet cell_demand, "
    "filter `year>=2030`, column gwh, scale 1.3); capex +20% for all AAM projects (projects, `family=AAM`, "
    "capex_per_unit, scale 1.2); a project unavailable (projects, `project=C05`, remove); qualification one "
    "year longer (projects, blank filter, qualification_years, add 1).",
    (
        _c("case", "text", "Case the row belongs to (a case column of the policy sheet).", required=True),
        _c("sheet", "enum", "Sheet whose rows change.", required=True, choices=OVERRIDABLE),
        _c("filter", "text", "Which rows: conditions on the sheet's columns joined by ';', e.g. `project=C09`, "
           "`year>=2030; region in OH, MI`, `family=AAM` (the family of the row's commodity). Operators: = != < <= > >= in. "
           "Blank: every row. On settings, filter by `parameter=...`."),
        _c("column", "text", "Column to change (blank for remove). On settings: `value`."),
        _c("operation", "enum", "set (replace), scale (multiply), add, or remove (drop the rows; a removed project "
           "also loses its recipes, JV variants and offtakes, a removed JV variant its offtakes, a removed contract its "
           "terms).", required=True, choices=OPERATIONS),
        _c("value", "text", "New value, factor or addend (blank for remove)."),
        _c("note", "text", "Why (shown in every output of the case)."),
    ),
    key=(),
    required=False,
    examples=(
        {"case": "no_credits", "sheet": "projects", "filter": "project=P2", "column": "capex_per_unit",
         "operation": "scale", "value": 1.2, "note": "capex overrun of 20%"},
    ),
)

SOURCES = Sheet(
    "sources",
    "Where each figure comes from. Not read by the model; carried into every results workbook.",
    (
        _c("item", "text", "What the figure is (sheet, row, parameter).", required=True),
        _c("value", "text", "The figure as used."),
        _c("tag", "enum", "S = sourced, D = derived from sourced figures, E = estimate (an assumption).", choices=SOURCE_TAGS),
        _c("source", "text", "URL or reference."),
        _c("note", "text", "Arithmetic, caveats."),
    ),
    key=(),
    required=False,
)

TABLE_SHEETS: tuple[Sheet, ...] = (
    COMMODITIES,
    REGIONS,
    INTENSITY,
    CHEMISTRY_MIX,
    CELL_DEMAND,
    MATERIAL_DEMAND,
    SUBSTITUTION,
    PROJECTS,
    RECIPES,
    JOINT_VENTURES,
    OFFTAKES,
    CONTRACTS,
    CONTRACT_TERMS,
    TRANSPORT,
    OVERRIDES,
    SOURCES,
)
SHEETS_BY_NAME = {s.name: s for s in TABLE_SHEETS}

#: every sheet name in workbook order
SHEET_ORDER: tuple[str, ...] = (
    SETTINGS_SHEET,
    "commodities",
    "regions",
    "intensity",
    "chemistry_mix",
    "cell_demand",
    "material_demand",
    "substitution",
    "projects",
    "recipes",
    "joint_ventures",
    "offtakes",
    "contracts",
    "contract_terms",
    "transport",
    POLICY_SHEET,
    "overrides",
    "sources",
)

KIND_TEXT = {
    "id": "identifier (text, unique)",
    "text": "text",
    "int": "whole number",
    "year": "year",
    "float": "number",
    "share": "number from 0 to 1",
    "bool": "TRUE/FALSE",
    "enum": "one of a list",
    "ref": "identifier from another sheet",
    "shares": "list of numbers 0-1 separated by ;",
}


def required_text(col: Column) -> str:
    """What the 'required' column of the documentation says: `yes` (a cell must be filled), `column`
    (the column must be present, its cells may be blank) or nothing (the column may be deleted)."""
    return "yes" if col.required else "column" if col.needs_column else ""


#: units of numbers that are fractions, written 0.05 for 5% (besides the kinds share and shares)
SHARE_UNITS = ("share of price", "1/yr")


def share_like(col: Column | Parameter) -> bool:
    """Whether a value is a fraction (0.05 = 5%), so that 5 or 35 most likely is a percent typed as such."""
    return col.kind in ("share", "shares") or col.unit in SHARE_UNITS


# --------------------------------------------------------------------------------------------
# the declarations in words (docs/instance-format.md and the template's _about sheet)
# --------------------------------------------------------------------------------------------


def _schema_convention_bullets() -> list[str]:
    """The bullets of the 'Conventions of the workbook' section of the schema's docstring."""
    doc = inspect.cleandoc(__doc__ or "")
    match = re.search(r"Conventions of the workbook\s*\n-+\s*\n(.*)", doc, flags=re.S)
    if not match:
        return []
    bullets: list[str] = []
    for line in match.group(1).splitlines():
        stripped = line.strip()
        if stripped.startswith("* "):
            bullets.append(stripped[2:].strip())
        elif stripped and bullets:
            bullets[-1] += " " + stripped
        elif not stripped and bullets:
            break
    return [re.sub(r"``(.*?)``", r"`\1`", b) for b in bullets]


def conventions() -> list[str]:
    """How an instance workbook is read, as a list of short paragraphs (Markdown backticks)."""
    policy_columns = ", ".join(f"`{c.name}`" for c in POLICY_FIXED_COLUMNS)
    settings = f"`{SETTINGS_SHEET}`"
    policy = f"`{POLICY_SHEET}`"
    out = _schema_convention_bullets()
    out += [
        "Sheets may come in any order and their names are matched without regard to case. Sheets "
        "whose name begins with an underscore (such as `_about`) are not read: use them for notes. "
        "Optional sheets may be left with their header row only, or deleted.",
        "Columns may come in any order; optional columns not marked *column* may be deleted (their "
        "default applies). Columns that are not part of a sheet are reported and ignored, except that "
        "a name within one or two typing errors of a declared column (`varible_cost`) is an error.",
        "Rows that are entirely blank are skipped. Cells are read as values: a formula counts with "
        "the value it had when the workbook was last saved by Excel or LibreOffice.",
        f"The {settings} sheet holds one parameter per row: its name in column `parameter` and its "
        "value in column `value` (columns `unit` and `description` are for the reader). A missing "
        "or blank parameter takes its default.",
        f"Policy cases: in the {policy} sheet the fixed columns ({policy_columns}) say which "
        "parameter a row sets and for which year, origin region and commodity; every further column "
        "is a policy case, headed by the case name, holding that case's values. A blank case cell "
        "leaves the parameter at its default in that case. Where several rows match, the most "
        "specific one wins. The first case column is the case solved when none is chosen.",
    ]
    return out


def format_value(value: Any) -> str:
    """A default or example value as a workbook user would type it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, (tuple, list)):
        return ";".join(format_value(v) for v in value)
    return str(value)


def _bound(x: float) -> str:
    return format_value(float(x))


def allowed_text(col: Column | Parameter, *, markdown: bool = True) -> str:
    """Allowed values of a column or parameter: choices, referenced sheet, bounds."""
    q = (lambda s: f"`{s}`") if markdown else (lambda s: s)
    parts: list[str] = []
    choices = getattr(col, "choices", ())
    if choices:
        parts.append(", ".join(q(c) for c in choices))
    ref = getattr(col, "ref", None)
    if ref:
        text = f"an id of sheet {q(ref)}"
        extra = getattr(col, "ref_extra", ())
        if extra:
            text += " or one of " + ", ".join(q(c) for c in extra)
        parts.append(text)
    if col.minimum is not None:
        strict = getattr(col, "strict_minimum", False)
        parts.append(("> " if strict else "≥ ") + _bound(col.minimum))
    if col.maximum is not None:
        parts.append("≤ " + _bound(col.maximum))
    return "; ".join(parts)
