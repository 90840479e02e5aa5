"""A solved case as tidy pandas tables. No Pyomo here: comparisons and exports use only this.

Units: quantities in t (per year where the column is a flow), money in the instance currency
($), unit costs in $/t. Money columns end in `_usd`, tonnes in `_t`, unit costs in `_usd_per_t`.
Yearly money is in money of that year (undiscounted) unless the column says `discounted`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

#: the core tables of a Solution (its fields), in the order the results workbook shows them; tables
#: that families register (planner.model.registry) follow them, in `Solution.extra`
TABLES = (
    "kpis",
    "builds",
    "capacity",
    "production",
    "supply",
    "localization",
    "imports",
    "shipments",
    "credits",
    "costs",
    "marginal_costs",
    "unmet",
)


@dataclass(frozen=True)
class Solution:
    """Everything a planner reads about one solved case."""

    run_info: dict[str, Any]  # instance, case, solver options, versions, times
    status: dict[str, Any]  # termination, status text, objective, bound, gap, times, sizes
    kpis: pd.DataFrame  # kpi, value, unit, note
    builds: pd.DataFrame
    capacity: pd.DataFrame
    production: pd.DataFrame
    supply: pd.DataFrame
    localization: pd.DataFrame
    imports: pd.DataFrame
    shipments: pd.DataFrame
    credits: pd.DataFrame
    costs: pd.DataFrame
    marginal_costs: pd.DataFrame
    unmet: pd.DataFrame
    messages: tuple[str, ...] = field(default_factory=tuple)  # plain-words notes for the planner
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)  # tables registered by families, by name
    descriptions: dict[str, str] = field(default_factory=dict)  # what each extra table is, in one line

    @property
    def case(self) -> str:
        return str(self.run_info.get("case", ""))

    @property
    def has_plan(self) -> bool:
        return bool(self.status.get("has_solution"))

    @property
    def table_names(self) -> tuple[str, ...]:
        """Every table: the core tables, then the registered ones."""
        return (*TABLES, *self.extra)

    def table(self, name: str) -> pd.DataFrame:
        if name in TABLES:
            return getattr(self, name)  # type: ignore[no-any-return]
        if name in self.extra:
            return self.extra[name]
        raise KeyError(name)

    def kpi(self, name: str) -> Any:
        row = self.kpis.loc[self.kpis["kpi"] == name, "value"]
        if row.empty:
            raise KeyError(name)
        return row.iloc[0]

    def discounted(self, kind: str) -> float | None:
        """The discounted total ($) of the cost components of one kind ("penalty", "sunk", "credit"), from
        the costs table: what the kpis `penalties_usd` and `sunk_capex_usd` are, for studies that need
        only these (the costs table alone is a small part of the kpis' work). None without a plan or
        without the costs table."""
        from planner.results.tables.costs import discounted_total

        if not self.has_plan or "discounted_usd" not in self.costs.columns:
            return None
        return discounted_total(self.costs, kind)
