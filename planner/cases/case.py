"""The CaseInstance: what the model reads, one policy case applied to an Instance."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from planner.errors import Issue
from planner.instance.records import (
    Commodity,
    Contract,
    Instance,
    InstanceData,
    Offtake,
    Project,
    Region,
    Settings,
    SubstitutionGroup,
)
from planner.cases.policy import Policy
from planner.instance.sets import Sets, build_sets

T = TypeVar("T")


@dataclass(frozen=True)
class CaseInstance(InstanceData):
    """What the model reads: the records of one case (after its overrides), its demand and policy.

    Made only by `planner.cases.apply_case`. `base` is the validated workbook it came from: its
    name, path, sha256, sources and warnings are the provenance every output carries. `sets` are
    the sparse index sets the families share (computed once); `memo` keeps what a family or a
    report derives from the case once (e.g. its own sparse index).
    """

    case: str
    base: Instance = field(repr=False, compare=False)
    settings: Settings
    commodities: dict[str, Commodity]
    regions: dict[str, Region]
    projects: dict[str, Project]
    contracts: dict[str, Contract]
    transport: dict[tuple[str, str, str], float]  # (commodity, from, to) -> $/t
    demand: dict[tuple[str, str, int], float]  # (commodity, region, year) -> t, scaled by the case
    cell_gwh: dict[int, float]  # year -> GWh of cells behind the demand, scaled by the case
    policy: Policy
    #: (region, segment, year) -> GWh of cells, scaled by the case (cell_demand sheet)
    cells: dict[tuple[str, str, int], float] = field(default_factory=dict)
    #: (segment, commodity, year) -> t of the commodity a GWh of the segment's cells needs
    cell_need: dict[tuple[str, str, int], float] = field(default_factory=dict)
    offtakes: dict[str, Offtake] = field(default_factory=dict)
    substitution: dict[str, SubstitutionGroup] = field(default_factory=dict)
    _memo: dict[str, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.settings.title

    @property
    def path(self) -> str:
        return self.base.path

    @property
    def sha256(self) -> str:
        return self.base.sha256

    @property
    def sources(self) -> tuple[dict[str, Any], ...]:
        return self.base.sources

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return self.base.warnings

    @cached_property
    def sets(self) -> Sets:
        """Sparse index sets shared by the model's families."""
        return build_sets(self)

    def memo(self, key: str, make: Callable[[], T]) -> T:
        """`make()`, computed once per CaseInstance and kept under `key`."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]  # type: ignore[no-any-return]
