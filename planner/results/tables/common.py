"""Values several result tables share, computed once per solve (`TableContext.memo`)."""

from __future__ import annotations

from collections import defaultdict

from planner.model.families.operations import plan_units
from planner.model.families.operations import retire_year as plan_retire_year
from planner.model.registry import TableContext
from planner.model.units import MASS

TOL = 1e-7  # kt / units below which a value is treated as zero


def built_units(t: TableContext, p: str, s: int) -> float:
    """Units of build option (p, s) in the plan: the fixed units of existing and committed plants (none for a
    committed plant the plan cancels)."""
    return plan_units(t, p, s)


def retire_year(t: TableContext, p: str, s: int) -> int:
    """First year build option (p, s) is no longer online in the plan (its lifetime's end or an early retirement)."""
    return plan_retire_year(t, p, s)


def output_t(t: TableContext) -> dict[tuple[str, int], float]:
    """(project, year) -> output [t]."""
    return t.memo("output_t", lambda: {k: v / MASS for k, v in t.values("v_prod").items()})


def imports_t(t: TableContext) -> dict[tuple[str, int], float]:
    """(contract, year) -> imports [t]."""
    return t.memo("imports_t", lambda: {k: v / MASS for k, v in t.values("v_import").items()})


def demand_by_commodity(t: TableContext) -> dict[tuple[str, int], float]:
    """(commodity, year) -> demand [t], all regions."""
    def make() -> dict[tuple[str, int], float]:
        out: dict[tuple[str, int], float] = defaultdict(float)
        for (c, _r, y), d in t.ci.demand.items():
            out[(c, y)] += d
        return out
    return t.memo("demand_cy", make)


def groups(t: TableContext) -> list[str]:
    """Localization groups reported: every family with demand and every group with a target."""
    def make() -> list[str]:
        fam = {c: x.family for c, x in t.ci.commodities.items()}
        return sorted({fam[c] for (c, _r, _y) in t.ci.demand} | {g for g, _ in t.pol.localization_target},
                      key=lambda g: (g not in fam.values(), g))
    return t.memo("groups", make)
