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
    v: dict[str, dict[Any, Any]] = field(default_factory=dict)  # variable family -> {index: VarData}

    def add_var(self, m: pyo.ConcreteModel, name: str, index: list[Any], **kw: Any) -> dict[Any, Any]:
        """Create variable family `name` over `index`; return (and keep) a plain dict of its members.

        Families look variables up in these dicts: a dict lookup costs a fraction of Pyomo's
        `Var.__getitem__`, which normalises every index on every call.
        """
        setattr(m, name, pyo.Var(index, **kw))
        members = dict(getattr(m, name).items())
        self.v[name] = members
        return members


def linear(terms: Iterable[Term], constant: float = 0.0) -> LinearExpression:
    coefs: list[float] = []
    vars_: list[Any] = []
    for c, v in terms:
        coefs.append(float(c))
        vars_.append(v)
    return LinearExpression(constant=float(constant), linear_coefs=coefs, linear_vars=vars_)


def add_rows(m: pyo.ConcreteModel, name: str, rows: dict[Hashable, tuple[list[Term], str, float]],
             doc: str = "") -> None:
    """Add the family `name`: one row per key, (terms, sense, rhs) with sense in <=, >=, ==.

    Rows are stored as a Pyomo `MatrixConstraint` (CSR), which bypasses Pyomo's expression system:
    no expression object per coefficient. Rows are numbered in the order of `rows`; the component's
    `row_keys` holds the keys in that order and `row_of` maps a key to its row number (see `row`).
    """
    if not rows:
        return
    from pyomo.core.base.matrix_constraint import MatrixConstraint

    col: dict[int, int] = {}
    xs: list[Any] = []
    data: list[float] = []
    indices: list[int] = []
    indptr = [0]
    lower: list[float | None] = []
    upper: list[float | None] = []
    for terms, sense, rhs in rows.values():
        for c, v in terms:
            j = col.get(id(v))
            if j is None:
                j = col[id(v)] = len(xs)
                xs.append(v)
            data.append(float(c))
            indices.append(j)
        indptr.append(len(data))
        lower.append(None if sense == "<=" else float(rhs))
        upper.append(None if sense == ">=" else float(rhs))
    comp = MatrixConstraint(data, indices, indptr, lower, upper, xs)
    comp.doc = doc
    setattr(m, name, comp)
    comp.row_keys = list(rows)
    comp.row_of = {k: i for i, k in enumerate(comp.row_keys)}


def row(m: pyo.ConcreteModel, name: str, key: Hashable) -> Any:
    """The row of family `name` for `key` (a ConstraintData with body, lower and upper)."""
    comp = getattr(m, name)
    return comp[comp.row_of[key]]
