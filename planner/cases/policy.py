"""A case's policy: which row of the policy sheet applies where, and the values the model reads.

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

from collections import defaultdict
from typing import Any

from planner import schema
from planner.instance.records import InstanceData, PolicyRow, Project


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


def x45_basis(inst: InstanceData, p: Project) -> float:
    """Production cost per tonne on which 45X is computed: variable cost plus bought inputs."""
    basis = p.variable_cost
    for c, tpt in p.recipe:
        price = inst.commodities[c].market_price
        if price is not None:
            basis += tpt * price
    return basis
