"""Shared machinery of the model: scaling, the build context and the named accumulators.

Families never read each other's internals. They meet only in the accumulators below
(GenX's eObj/ePowerBalance idea): each family adds its supply and use to `balance`, its cost
terms to `cost`, its qualifying supply to `qualifying`, its capex spending to `capex_spend` and
the (ungraded) recipe inputs its plants draw to `draw`; the demand family sets the right-hand sides
of the balance rows in `balance_rhs`. `add_balance`, `add_localization`,
`add_capex_budgets`, `add_purchases` and `add_objective` turn them into rows; `served` holds what
cell makers take of a commodity in place of its stated demand (substitution groups), which the
demand family turns into the demand side of its rows.

Families create variables with `Context.add_var` and rows with `add_rows` / `add_matrix_rows`.
Going through these three is what lets `planner.model.build.count_model` count a model without
building it: given a `Counter` in place of the Pyomo model, they only count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from planner.cases.case import CaseInstance
from planner.cases.policy import Policy
from planner.instance.sets import Sets
from planner.model.units import MASS, MONEY, PER_T

__all__ = ["MASS", "MONEY", "PER_T", "Accumulators", "Block", "Context", "Counter", "Term", "add_matrix_rows",
           "add_rows", "flatten", "linear", "row", "units"]

Term = tuple[float, Any]  # (coefficient, Pyomo variable)

#: where the market-rounding rows go (`planner.model.families.market_rounding`): at the sole site of a
#: product (the default), at every site with a candidate, or nowhere
ROUNDING = ("sole", "all", "off")


@dataclass
class Block:
    """Many terms at once, for large families: term i is coefs[i] x vars[i] in row keys[i]."""

    keys: list[Any]
    vars: list[Any]
    coefs: list[float]


@dataclass
class Accumulators:
    """The named accumulators. Terms are added one by one (dicts of lists) or, by the largest
    families, as blocks built with list comprehensions; both end up in the same rows."""

    #: (commodity, grade, region, year) -> supply (+) and use (-) of that pool; grade `all` unless the
    #: commodity is graded (planner.model.sourcing: use `sourcing(ci).pool(c, grade)`)
    balance: dict[tuple[str, str, str, int], list[Term]] = field(default_factory=lambda: defaultdict(list))
    balance_blocks: list[Block] = field(default_factory=list)
    #: right-hand side of a balance row (the demand it must meet, kt), where it is not 0
    balance_rhs: dict[tuple[str, str, str, int], float] = field(default_factory=dict)
    cost: dict[tuple[str, int], list[Term]] = field(default_factory=lambda: defaultdict(list))
    cost_blocks: list[Block] = field(default_factory=list)
    cost_constant: dict[tuple[str, int], float] = field(default_factory=lambda: defaultdict(float))
    qualifying: dict[tuple[str, int], list[Term]] = field(default_factory=lambda: defaultdict(list))
    capex_spend: dict[int, list[Term]] = field(default_factory=lambda: defaultdict(list))
    draw: dict[tuple[str, str, int], list[Term]] = field(default_factory=lambda: defaultdict(list))
    #: (commodity, region, year) -> terms: what cell makers take of the commodity there in place of its
    #: stated demand (a substitution group's members); the demand family serves these instead
    served: defaultdict[tuple[str, str, int], list[Term]] = field(default_factory=lambda: defaultdict(list))


def flatten(terms_by_key: dict[Any, list[Term]], blocks: list[Block], keys: list[Any]
            ) -> tuple[np.ndarray, list[Any], np.ndarray]:
    """(row number, variable, coefficient) of every term, rows numbered in the order of `keys`."""
    row_of = {k: i for i, k in enumerate(keys)}
    rows: list[int] = []
    vars_: list[Any] = []
    coefs: list[float] = []
    for k, terms in terms_by_key.items():
        r = row_of[k]
        rows.extend([r] * len(terms))
        vars_.extend(v for _c, v in terms)
        coefs.extend(c for c, _v in terms)
    for b in blocks:
        rows.extend([row_of[k] for k in b.keys])
        vars_.extend(b.vars)
        coefs.extend(b.coefs)
    return np.asarray(rows, dtype=np.int64), vars_, np.asarray(coefs, dtype=float)


@dataclass
class Context:
    ci: CaseInstance
    sets: Sets
    pol: Policy
    acc: Accumulators
    hard_targets: bool = False
    tighten: bool = False  # add the market-limit rows (valid, they tighten the LP; see docs/performance.md)
    rounding: str = "sole"  # where the market-rounding rows go: "sole", "all" or "off" (see ROUNDING)
    v: dict[str, dict[Any, Any]] = field(default_factory=dict)  # variable family -> {index: VarData}

    def add_var(self, m: pyo.ConcreteModel, name: str, index: list[Any] | None = None, **kw: Any) -> dict[Any, Any]:
        """Create variable family `name` over `index` (a single variable, key None, without one); return
        (and keep) a plain dict of its members.

        Families look variables up in these dicts: a dict lookup costs a fraction of Pyomo's
        `Var.__getitem__`, which normalises every index on every call.
        """
        if isinstance(m, Counter):
            members: dict[Any, Any] = dict.fromkeys([None] if index is None else index)
            m.count(name, len(members), integer=_is_integer(kw.get("within")), kind="variables")
        else:
            setattr(m, name, pyo.Var(**kw) if index is None else pyo.Var(index, **kw))
            members = dict(getattr(m, name).items())
        self.v[name] = members
        return members


class Counter:
    """Stands in for the Pyomo model when a model is only counted (`planner.model.build.count_model`).

    The families run exactly as in a build, but `Context.add_var` and `add_matrix_rows` only count
    what they would create (variables hold None); anything else a family sets on the model is kept
    as a plain attribute and never used.
    """

    def __init__(self, name: str = "") -> None:
        self.name = name
        self.sizes: dict[str, int] = {}  # component -> variables or rows
        self.kinds: dict[str, str] = {}  # component -> "variables" | "rows"
        self.integer = 0  # integer (and binary) variables

    def count(self, name: str, n: int, *, integer: bool = False, kind: str) -> None:
        self.sizes[name] = n
        self.kinds[name] = kind
        if integer:
            self.integer += n
        setattr(self, name, _Counted(n))


class _Counted:
    """A counted component on a Counter: its size; attributes a family sets on it are kept."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n


def _is_integer(domain: Any) -> bool:
    """Whether a Pyomo domain (Binary, NonNegativeIntegers, ...) holds integers only."""
    interval = getattr(domain, "get_interval", None)
    return bool(interval is not None and interval()[2] == 1)


def linear(terms: Iterable[Term], constant: float = 0.0) -> LinearExpression:
    coefs: list[float] = []
    vars_: list[Any] = []
    for c, v in terms:
        coefs.append(float(c))
        vars_.append(v)
    return LinearExpression(constant=float(constant), linear_coefs=coefs, linear_vars=vars_)


def add_rows(m: pyo.ConcreteModel, name: str, rows: dict[Hashable, tuple[list[Term], str, float]],
             doc: str = "") -> None:
    """Add the family `name`: one row per key, (terms, sense, rhs) with sense in <=, >=, ==."""
    if not rows:
        return
    keys = list(rows)
    r, vars_, coefs = flatten({k: t for k, (t, _s, _r) in rows.items()}, [], keys)
    lower = [None if sense == "<=" else float(rhs) for _t, sense, rhs in rows.values()]
    upper = [None if sense == ">=" else float(rhs) for _t, sense, rhs in rows.values()]
    add_matrix_rows(m, name, keys, r, vars_, coefs, lower, upper, doc)


def add_matrix_rows(m: pyo.ConcreteModel, name: str, keys: list[Any], rows: np.ndarray, vars_: list[Any],
                    coefs: np.ndarray, lower: list[float | None], upper: list[float | None], doc: str = "") -> None:
    """Add the family `name` from its terms in coordinate form: term i is coefs[i] x vars_[i] in row rows[i].

    Rows are stored as a Pyomo `MatrixConstraint` (CSR), which bypasses Pyomo's expression system:
    no expression object per coefficient. Row i is keys[i]; the component's `row_keys` holds the
    keys and `row_of` maps a key to its row number (see `row`).
    """
    if isinstance(m, Counter):
        m.count(name, len(keys), kind="rows")
        return
    from pyomo.core.base.matrix_constraint import MatrixConstraint

    ids = np.fromiter(map(id, vars_), dtype=np.uint64, count=len(vars_))
    uniq, first, codes = np.unique(ids, return_index=True, return_inverse=True)
    order_of_first = np.argsort(first, kind="stable")  # columns in order of first appearance
    rank = np.empty_like(order_of_first)
    rank[order_of_first] = np.arange(len(order_of_first))
    xs = [vars_[i] for i in first[order_of_first]]
    cols = rank[codes.ravel()]
    order = np.argsort(rows, kind="stable")
    indptr = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=len(keys)), out=indptr[1:])
    comp = MatrixConstraint(coefs[order], cols[order], indptr, lower, upper, xs)
    comp.doc = doc
    setattr(m, name, comp)
    comp.row_keys = list(keys)
    comp.row_of = {k: i for i, k in enumerate(comp.row_keys)}


def row(m: pyo.ConcreteModel, name: str, key: Hashable) -> Any:
    """The row of family `name` for `key` (a ConstraintData with body, lower and upper)."""
    comp = getattr(m, name)
    return comp[comp.row_of[key]]


def units(m: pyo.ConcreteModel, ctx: Context, p: str, s: int) -> tuple[float, Any]:
    """(coefficient, variable) of the units of option (p, s); the variable is None when fixed."""
    fixed = ctx.sets.fixed_units.get((p, s))
    if fixed is not None:
        return float(fixed), None
    return 1.0, ctx.v["v_units"][p, s]
