"""Active Materials Planner: least-cost U.S. CAM/AAM plants, JVs and import contracts (Pyomo + HiGHS).

Library entry points::

    from planner import load_instance, solve_case
    sol = solve_case("instances/tiny.xlsx", "base")
    sol.builds, sol.localization, sol.kpis

The entry points are imported on first use (PEP 562), so that importing the package — as the
command line does before it knows what it will run — stays cheap: `planner --help` never loads
pandas, Pyomo, HiGHS or openpyxl.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers and IDEs only
    from planner.cases import load_instance
    from planner.run import solve_case

__all__ = ["load_instance", "solve_case"]

_LAZY = {"load_instance": "planner.cases", "solve_case": "planner.run"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'planner' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
