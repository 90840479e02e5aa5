"""Objectives of studies, as terms of the built model's columns (no Pyomo objects leave this module).

A study (planner.explore.alternatives) swaps the least-cost objective for another one: its terms
are (variable family, key, coefficient) triples, the names a `planner.study.Objective` takes. The
terms that depend on the model's own bookkeeping, like the discounted credits of the public cost,
are read from the cost accumulator the objective family leaves on the model (`m.cost_terms`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from planner.cases.case import CaseInstance
from planner.model.registry import cost_components


def cost_kind_terms(m: Any, ci: CaseInstance, kind: str) -> tuple[tuple[str, Any, float], ...]:
    """The discounted terms of the cost components of `kind` (cost | credit | penalty), by column:
    (variable family, key, coefficient in the model's money unit). Credits are negative, as in the
    objective. Constants are left out (a study's objective needs only what the plan changes)."""
    names = set(cost_components(kind))
    terms = getattr(m, "cost_terms", None)
    if not terms or not names:
        return ()
    keys, rows, vars_, coefs = terms["keys"], terms["rows"], terms["vars"], terms["coefs"]
    st = ci.settings
    out: dict[tuple[str, Any], float] = defaultdict(float)
    for i, v, c in zip(rows.tolist(), vars_, coefs.tolist()):
        comp, year = keys[i]
        if comp in names:
            out[(v.parent_component().local_name, v.index())] += c * st.discount_factor(year)
    return tuple((var, key, coef) for (var, key), coef in out.items() if coef)
