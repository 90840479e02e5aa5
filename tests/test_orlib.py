"""External check: every OR-Library capacitated facility location instance cap41-cap134, expressed
as a planner instance, solves to the published optimum (splittable demand) within 1e-6 relative."""

from __future__ import annotations

import pytest

from orlib import ORLIB_DIR, orlib_tables, published_optima
from planner.cases import validate
from planner.io.reader import workbook_from_tables
from planner.run import solve_case
from planner.solve.presets import merge_options

NAMES = [f"cap{s}{k}" for s in (4, 6, 7, 8, 9, 10, 11, 12, 13) for k in (1, 2, 3, 4)] + ["cap51"]
NAMES.sort(key=lambda n: (len(n), n))

pytestmark = pytest.mark.skipif(not (ORLIB_DIR / "optimal.csv").exists(),
                                reason=f"OR-Library benchmarks not found at {ORLIB_DIR}")


@pytest.mark.parametrize("name", NAMES)
def test_published_optimum(name: str) -> None:
    optimum = published_optima()[name]
    inst = validate(workbook_from_tables(orlib_tables(name), name))
    sol = solve_case(inst, options=merge_options("exact"))
    assert sol.status["proven_optimal"], sol.status["status"]
    assert sol.status["objective_usd"] == pytest.approx(optimum, rel=1e-6)
    assert sol.unmet.empty
    # capex of the opened warehouses plus transport equals the objective (no other cost terms)
    parts = sol.costs.groupby("component")["cost_usd"].sum()
    assert set(parts[parts.abs() > 1e-6].index) <= {"capex", "transport"}
    assert parts.sum() == pytest.approx(optimum, rel=1e-6)
