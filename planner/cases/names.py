"""Case names and chains: which cases an instance defines, and which cases a case extends."""

from __future__ import annotations

import difflib
from typing import Any

from planner.errors import UsageError
from planner.instance.records import Instance, PolicyRow


def case_names(inst: Instance) -> list[str]:
    return list(inst.cases)


def resolve_case_name(inst: Instance, case: str | None) -> str:
    """The case called `case` (case-insensitive), or the first case when None."""
    names = case_names(inst)
    if case is None:
        return names[0]
    for n in names:
        if n.lower() == case.strip().lower():
            return n
    close = difflib.get_close_matches(case, names, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise UsageError(f"unknown case '{case}'. The instance defines: {', '.join(names)}.{hint}")


def case_chain(cases: dict[str, tuple[PolicyRow, ...]], case: str) -> list[str]:
    """The case and the cases it extends, root first (validated free of cycles at load)."""
    chain = [case]
    while True:
        parent = next((r.value for r in cases.get(chain[0], ()) if r.parameter == "extends"), None)
        if parent is None or parent in chain:
            return chain
        chain.insert(0, parent)


def case_rows(inst: Instance, name: str) -> tuple[list[str], tuple[PolicyRow, ...]]:
    """The case's chain (root first) and its policy rows, a child's rows replacing its parent's."""
    chain = case_chain(inst.cases, name)
    merged: dict[tuple[Any, ...], PolicyRow] = {}
    for c in chain:
        for r in inst.cases[c]:
            if r.parameter != "extends":
                merged[(r.parameter, r.year, r.region, r.commodity, r.segment)] = r
    return chain, tuple(merged.values())
