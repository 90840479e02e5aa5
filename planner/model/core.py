"""Shared machinery of the model: scaling, the build context and the named accumulators.

Families never read each other's internals. They meet only in the accumulators below
(GenX's eObj/ePowerBalance idea): each family adds its supply and use to `balance`, its cost
terms to `cost`, its qualifying supply to `qualifying` and its capex spending to `capex_spend`;
`add_balance`, `add_localization`, `add_capex_budgets` and `add_objective` turn them into rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from planner.instance.records import Instance, Policy
from planner.instance.sets import Sets

#: internal units: quantities in kt (1 t = 1e-3 kt), money in $M (1 $ = 1e-6 $M)
MASS = 1e-3
MONEY = 1e-6
#: a price in $/t becomes a coefficient in $M/kt
PER_T = MONEY / MASS

#: cost components, in the order reports show them
COST_COMPONENTS = (
    "capex",
    "fixed_om",
    "variable",
    "purchases",
    "imports",
    "tariffs",
    "take_or_pay",
    "signing_fees",
    "transport",
    "credit_45x",
    "credit_48c",
    "grants",
    "penalty_unmet",
    "penalty_localization",
)
CREDIT_COMPONENTS = ("credit_45x", "credit_48c", "grants")
PENALTY_COMPONENTS = ("penalty_unmet", "penalty_localization")

Term = tuple[float, Any]  # (coefficient, Pyomo variable)


@dataclass
class Accumulators:
    balance: dict[tuple[str, str, int], list[Term]] = field(default_factory=lambda: defaultdict(list))
    cost: dict[tuple[str, int], list[Term]] = field(default_factory=lambda: defaultdict(list))
    cost_constant: dict[tuple[str, int], float] = field(default_factory=lambda: defaultdict(float))
    qualifying: dict[tuple[str, int], list[Term]] = field(default_factory=lambda: defaultdict(list))
    capex_spend: dict[int, list[Term]] = field(default_factory=lambda: defaultdict(list))


@dataclass
class Context:
    inst: Instance
    sets: Sets
    pol: Policy
    acc: Accumulators
    hard_targets: bool = False


def linear(terms: Iterable[Term], constant: float = 0.0) -> LinearExpression:
    coefs: list[float] = []
    vars_: list[Any] = []
    for c, v in terms:
        coefs.append(float(c))
        vars_.append(v)
    return LinearExpression(constant=float(constant), linear_coefs=coefs, linear_vars=vars_)


def add_rows(m: pyo.ConcreteModel, name: str, rows: dict[Hashable, tuple[list[Term], str, float]],
             doc: str = "") -> None:
    """Add an indexed constraint `name` with one row per key: (terms, sense, rhs), sense in <=, >=, ==."""
    if not rows:
        return

    def rule(_m: Any, *key: Any) -> Any:
        terms, sense, rhs = rows[key[0] if len(key) == 1 else key]
        body = linear(terms)
        if sense == "<=":
            return body <= rhs
        if sense == ">=":
            return body >= rhs
        return body == rhs

    setattr(m, name, pyo.Constraint(list(rows), rule=rule, doc=doc))
