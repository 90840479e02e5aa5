"""A case's policy: which row of the policy sheet applies where, and the values the model reads.

Each parameter's value is made by its resolver, declared with the parameter in `planner.schema`
(`Parameter.resolve`; by default from its qualifiers: one value, one per year, one per commodity
and year). `resolve_policy` runs them all, so a new parameter needs no edit here.

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
(blank, China, CAM) rather than (blank, blank, NMC811). The cell-credit parameters take a cell segment
instead of a region and a commodity: after the year, a row naming the segment beats a blank one.
Parameters without a matching row take
their declared default (docs/instance-format.md). Localization targets follow the same ranking
for each family and commodity target they set (see *Localization targets*).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from planner import schema
from planner.instance.parsed import PolicyRow


class PolicyLookup:
    """The rows of one case, by parameter; calling it gives a parameter's value at a point."""

    def __init__(self, rows: tuple[PolicyRow, ...]):
        self.by_param: dict[str, list[PolicyRow]] = defaultdict(list)
        for r in rows:
            self.by_param[r.parameter].append(r)

    def __call__(self, param: str, year: int | None = None, region: str | None = None,
                 commodity: str | None = None, family: str | None = None, *, named: bool = False,
                 segment: str | None = None) -> Any:
        """The value of the most specific matching row (`named`: only rows naming the commodity)."""
        best: PolicyRow | None = None
        best_score = -1.0
        for r in self.by_param.get(param, ()):
            if r.year is not None and r.year != year:
                continue
            if r.region is not None and r.region != region:
                continue
            if r.segment is not None and r.segment != segment:
                continue
            if r.commodity is not None and r.commodity not in (commodity, family):
                continue
            if named and r.commodity is None:
                continue
            score = (4.0 if r.year is not None else 0.0) + (2.0 if r.region is not None else 0.0)
            score += 1.0 if r.segment is not None else 0.0  # parameters by segment take no region or commodity
            if r.commodity is not None:
                score += 1.0 if r.commodity == commodity else 0.5
            if score > best_score:
                best, best_score = r, score
        return best.value if best is not None else schema.POLICY_BY_NAME[param].default

    def commodities_named(self, param: str) -> list[str]:
        return [r.commodity for r in self.by_param.get(param, ()) if r.commodity is not None]


@dataclass(frozen=True)
class Policy:
    """One policy case, resolved: the value of every parameter of `planner.schema.POLICY`.

    `policy["tariff"]`, or `policy.tariff`, is the value the parameter's resolver made (one value,
    or a dict by year, by (commodity, year), by (contract, year), ...: see the parameter in
    planner/schema.py); `at(...)` looks a parameter up at any other point.
    """

    case: str
    values: Mapping[str, Any]
    rows: tuple[PolicyRow, ...] = ()
    chain: tuple[str, ...] = ()  # the case and the cases it extends, root first
    overrides: tuple[dict[str, Any], ...] = ()  # the override rows applied, in order
    lookup: PolicyLookup | None = field(default=None, compare=False, repr=False)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("values")
        if name.startswith("_") or values is None or name not in values:
            raise AttributeError(f"{name!r}: not a policy parameter (planner.schema.POLICY)")
        return values[name]

    def at(self, param: str, *, year: int | None = None, region: str | None = None, commodity: str | None = None,
           family: str | None = None, segment: str | None = None) -> Any:
        """The case's value of `param` at a point (the rules above), as the policy sheet gives it."""
        look = self.lookup if self.lookup is not None else PolicyLookup(self.rows)
        return look(param, year=year, region=region, commodity=commodity, family=family, segment=segment)

    def with_values(self, **values: Any) -> Policy:
        """A copy with some values replaced (e.g. `localization_target={}`: without targets)."""
        unknown = set(values) - set(self.values)
        if unknown:
            raise KeyError(f"not policy parameters: {', '.join(sorted(unknown))}")
        return Policy(self.case, {**self.values, **values}, self.rows, self.chain, self.overrides, self.lookup)


def resolve_policy(case: str, rows: tuple[PolicyRow, ...], data: schema.CaseData, *, chain: tuple[str, ...] = (),
                   overrides: tuple[dict[str, Any], ...] = ()) -> Policy:
    """The case's policy: every parameter resolved by its resolver against the case's data."""
    look = PolicyLookup(rows)
    values = {p.name: schema.resolver(p)(p, look, data) for p in schema.POLICY_VALUES}
    return Policy(case, values, rows, chain, overrides, look)
