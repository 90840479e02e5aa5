"""The decisions of a solved plan: what another case's solve holds fixed (regret) and studies start from."""

from __future__ import annotations

from planner.instance.records import FixedPlan
from planner.results.solution import Solution


#: the tables `plan_of` reads: what a study's task must return (`Task.tables`) for its result to carry the plan
PLAN_TABLES = ("builds", "imports", "existing_plants")


def plan_of(sol: Solution) -> FixedPlan:
    """The decisions of a solved case: units started per (project, start year), the contracts signed
    (those with a signing decision that were signed, and those without one that were used), the
    committed plants cancelled and the plants retired early (with their first retired year)."""
    b = sol.builds[sol.builds["decision"] == "build"]
    units = {(str(r.project), int(r.start_year)): int(r.units) for r in b.itertuples()}
    signed = frozenset(sol.imports.loc[sol.imports["signed"], "contract"].astype(str)) if not sol.imports.empty \
        else frozenset()
    cancelled = frozenset(str(p) for p in sol.builds.loc[sol.builds["decision"] == "cancelled", "project"])
    com = sol.extra.get("existing_plants")
    retired: dict[str, int] = {}
    if com is not None and len(com):
        for r in com[com["decision"].astype(str).str.startswith("retired early")].itertuples():
            retired[str(r.project)] = int(r.retire_year)
    return FixedPlan(source_case=sol.case, units=units, signed=signed, cancelled=cancelled, retired=retired)


def plan_from_tables(tables: dict, case: str = "") -> FixedPlan:
    """The decisions of a plan read back from a results workbook's tables (`planner.export.results.read_results`):
    the same decisions `plan_of` takes from a Solution."""
    import pandas as pd

    b = tables["builds"]
    built = b[b["decision"].astype(str) == "build"]
    units = {(str(r.project), int(r.start_year)): int(r.units) for r in built.itertuples()}
    imp = tables.get("imports", pd.DataFrame())
    signed = frozenset(imp.loc[imp["signed"].astype(bool), "contract"].astype(str)) if len(imp) else frozenset()
    cancelled = frozenset(str(p) for p in b.loc[b["decision"].astype(str) == "cancelled", "project"])
    com = tables.get("existing_plants")
    retired: dict[str, int] = {}
    if com is not None and len(com):
        for r in com[com["decision"].astype(str).str.startswith("retired early")].itertuples():
            retired[str(r.project)] = int(r.retire_year)
    return FixedPlan(source_case=case, units=units, signed=signed, cancelled=cancelled, retired=retired)
