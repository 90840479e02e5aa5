"""The hedged plan (`planner hedge`): a two-stage stochastic plan over the instance's scenarios.

A study (layer `study`): it poses each scenario's own optimum and each single-case plan's
commitments under every other scenario as tasks of `planner.study`, and solves the extensive form
that `planner.model.extensive` builds, through `planner.solve`.
"""

from planner.hedge.study import Hedge, cvar, run_hedge, select_scenarios

__all__ = ["Hedge", "cvar", "run_hedge", "select_scenarios"]
