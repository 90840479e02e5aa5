"""Active Materials Planner: least-cost U.S. CAM/AAM plants, JVs and import contracts (Pyomo + HiGHS).

Library entry points::

    from planner import load_instance, solve_case
    sol = solve_case("instances/tiny.xlsx", "base")
    sol.builds, sol.localization, sol.kpis
"""

from planner.cases import load_instance
from planner.run import solve_case

__all__ = ["load_instance", "solve_case"]
