"""The decisions of a solved plan: what another case's solve holds fixed (regret) and studies start from."""

from __future__ import annotations

from planner.instance.records import FixedPlan
from planner.results.solution import Solution


def plan_of(sol: Solution) -> FixedPlan:
    """The build and signing decisions of a solved case: units started per (project, start year), and
    the contracts signed (those with a signing decision that were signed, and those without one that
    were used)."""
    b = sol.builds[sol.builds["decision"] == "build"]
    units = {(str(r.project), int(r.start_year)): int(r.units) for r in b.itertuples()}
    signed = frozenset(sol.imports.loc[sol.imports["signed"], "contract"].astype(str)) if not sol.imports.empty \
        else frozenset()
    return FixedPlan(source_case=sol.case, units=units, signed=signed)
