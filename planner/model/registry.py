"""What a family registers besides its rows: cost components and result tables (no Pyomo here).

* Cost components (`register_cost_component`): the names a family's terms take in the cost
  accumulator, in the order reports show them, each of one kind (`KINDS`): a resource cost, sunk
  capex, a transfer (a tariff or a credit) or a penalty. The objective, the costs and credits
  tables, the three cost views (cost to industry, resource cost, fiscal flows) and the KPIs follow
  the kinds: a component registered with its kind shows in every view without further code.
* Result tables (`register_table`, or the `table` decorator): a builder `build(t) -> DataFrame`
  for one table of the `Solution`, given a `TableContext` (the CaseInstance, the solved values and
  duals, other tables). The results layer registers the core tables (planner/results/tables/); a
  family registers the table of the data it owns in its own module.
* Table columns (`register_columns`, or the `columns` decorator): a function `add(t, df) -> df`
  that appends columns to a table another module builds (45X adds its columns to `builds` and
  `production`).

Every `register_*` function returns a `Registration`, which takes the registration back
(`.remove()`, or at the end of a `with` block): tests and studies add families and tables for a
while without leaving them behind.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import pandas as pd

    from planner.cases.case import CaseInstance

T = TypeVar("T")


class Registration:
    """A registration that can be taken back: `.remove()`, or use it as a context manager."""

    def __init__(self, remove: Callable[[], None]) -> None:
        self._remove: Callable[[], None] | None = remove

    def remove(self) -> None:
        if self._remove is not None:
            self._remove()
            self._remove = None

    def __enter__(self) -> Registration:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.remove()


# --------------------------------------------------------------------------------------------
# cost components
# --------------------------------------------------------------------------------------------

#: the kinds of cost component, and what each one is in the cost views (`planner.results.tables.views`):
#:
#: * ``cost``: a resource cost — what the plan uses up (capex of new builds, O&M, materials, imports at
#:   their price, freight): in the resource cost and in the cost to industry;
#: * ``sunk``: capex of existing and committed plants, charged as a constant: shown apart, in neither view,
#:   so that comparisons and regrets can leave it out;
#: * ``tariff``: a transfer from industry to the Treasury: in the cost to industry, not in the resource
#:   cost, and as revenue in the fiscal flows;
#: * ``credit``: a transfer from the Treasury to industry (45X, 48C, grants, a cell credit ...), a negative
#:   cost: income in the cost to industry, not in the resource cost, paid in the fiscal flows (one line per
#:   component: the credit's kind);
#: * ``penalty``: a priced shortfall, not money anyone pays: shown apart, never mixed into the views.
KINDS = ("cost", "sunk", "tariff", "credit", "penalty")
#: each kind in words
KIND_WORDS = {"cost": "resource cost", "sunk": "sunk capex", "tariff": "transfer: tariff",
              "credit": "transfer: credit", "penalty": "penalty"}
_COMPONENTS: dict[str, str] = {  # name -> kind, in the order reports show them
    "capex": "cost",
    "capex_sunk": "sunk",
    "fixed_om": "cost",
    "variable": "cost",
    "purchases": "cost",
    "imports": "cost",
    "tariffs": "tariff",
    "take_or_pay": "cost",
    "signing_fees": "cost",
    "transport": "cost",
    "credit_45x": "credit",
    "credit_48c": "credit",
    "grants": "credit",
    "penalty_unmet": "penalty",
    "penalty_localization": "penalty",
}


def cost_components(kind: str | None = None) -> tuple[str, ...]:
    """The cost components in report order (of one kind of `KINDS`: cost, sunk, tariff, credit, penalty)."""
    return tuple(c for c, k in _COMPONENTS.items() if kind is None or k == kind)


def component_kind(name: str) -> str:
    """The kind of a registered cost component (KeyError for one that is not registered)."""
    return _COMPONENTS[name]


def register_cost_component(name: str, kind: str = "cost", *, before: str | None = None) -> Registration:
    """A new component of the cost accumulator, of one kind of `KINDS`: a resource cost (`cost`),
    sunk capex (`sunk`), a tariff (`tariff`, a transfer to the Treasury), a credit (`credit`, a
    negative cost paid by the Treasury, counted as public cost; the credits table gets a column
    `<name>_usd` and the fiscal flows a line of its own) or a penalty (left out of every cost view).
    Reports show it before component `before` (default: after the other components of its kind)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    if name in _COMPONENTS:
        raise ValueError(f"cost component {name!r} exists already")
    items = list(_COMPONENTS.items())
    if before is None:
        last = max((i for i, (_c, k) in enumerate(items) if KINDS.index(k) <= KINDS.index(kind)), default=-1)
        at = last + 1
    else:
        at = [c for c, _k in items].index(before)
    items.insert(at, (name, kind))
    _COMPONENTS.clear()
    _COMPONENTS.update(items)
    return Registration(lambda: _COMPONENTS.pop(name, None))


# --------------------------------------------------------------------------------------------
# result tables
# --------------------------------------------------------------------------------------------

Builder = Callable[["TableContext"], "pd.DataFrame"]
ColumnsBuilder = Callable[["TableContext", "pd.DataFrame"], "pd.DataFrame"]
_NAME = re.compile(r"[a-z][a-z0-9_]{0,30}")  # a table is a sheet of the results workbook: at most 31 characters


@dataclass(frozen=True)
class TableSpec:
    """One result table: its name (also its sheet in the results workbook), its builder and one line
    saying what it is. Without a plan every table is empty (its columns kept), unless
    `keep_without_plan` (the KPIs, which say that there is no plan)."""

    name: str
    build: Builder
    description: str = ""
    keep_without_plan: bool = False


_TABLES: dict[str, TableSpec] = {}
_COLUMNS: dict[str, list[ColumnsBuilder]] = {}


def register_table(name: str, build: Builder, *, description: str = "", keep_without_plan: bool = False
                   ) -> Registration:
    """Add table `name` to every Solution, built by `build(t)` from a `TableContext`."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"table name {name!r}: lower case letters, digits and '_', at most 31 characters")
    if name in _TABLES:
        raise ValueError(f"table {name!r} is registered already")
    _TABLES[name] = TableSpec(name, build, description, keep_without_plan)
    return Registration(lambda: _TABLES.pop(name, None))


def register_columns(table: str, add: ColumnsBuilder) -> Registration:
    """Append the columns `add(t, df)` returns to table `table` (in registration order)."""
    _COLUMNS.setdefault(table, []).append(add)

    def remove() -> None:
        if add in _COLUMNS.get(table, []):
            _COLUMNS[table].remove(add)
    return Registration(remove)


def table(name: str, *, description: str = "", keep_without_plan: bool = False) -> Callable[[Builder], Builder]:
    """Decorator form of `register_table` for a module-level builder."""
    def register(build: Builder) -> Builder:
        register_table(name, build, description=description, keep_without_plan=keep_without_plan)
        return build
    return register


def columns(table_name: str) -> Callable[[ColumnsBuilder], ColumnsBuilder]:
    """Decorator form of `register_columns` for a module-level function."""
    def register(add: ColumnsBuilder) -> ColumnsBuilder:
        register_columns(table_name, add)
        return add
    return register


def add_column(df: pd.DataFrame, name: str, values: Any) -> pd.DataFrame:
    """`df` with column `name` appended, typed as a table built from its rows is (the columns of an
    empty table hold objects), for `register_columns` functions."""
    import pandas as pd

    out = df.copy()
    out[name] = pd.Series(list(values), index=df.index, dtype=object if len(df) == 0 else None)
    return out


def table_specs() -> tuple[TableSpec, ...]:
    """Every registered table, in registration order."""
    return tuple(_TABLES.values())


class TableContext:
    """What a table builder reads: the case, the solved model's values and duals, and other tables.

    The model is read through `values` and `duals` only (never imported here): the results layer
    stays free of Pyomo. Without a plan (`ok` False) `values` and `duals` are empty.
    """

    def __init__(self, ci: CaseInstance, model: Any, *, ok: bool, row_duals: Mapping[str, Any] | None = None,
                 hard_targets: bool = False, objective: float | None = None, bound: float | None = None) -> None:
        self.ci = ci
        self.sets = ci.sets
        self.pol = ci.policy
        self.model = model
        self.ok = ok
        self.row_duals = dict(row_duals or {})
        self.hard_targets = hard_targets
        self.objective = objective  # model units ($M), as HiGHS reports it
        self.bound = bound
        self._tables: dict[str, pd.DataFrame] = {}
        self._building: list[str] = []
        self._memo: dict[str, Any] = {}

    def values(self, name: str) -> dict[Any, float]:
        """Variable family `name` -> {index: value} in model units (kt, $M), rounded to 1e-9 of the unit
        (1 mg, a thousandth of a dollar: no float noise in the reports); {} without a plan."""
        comp = getattr(self.model, name, None)
        if comp is None or not self.ok:
            return {}
        return {k: round(v.value or 0.0, 9) + 0.0 for k, v in comp.items()}

    def duals(self, name: str) -> dict[Any, float]:
        """Row key -> dual of row family `name` (model units), from the fixed-integer re-solve; {} without."""
        comp = getattr(self.model, name, None)
        y = self.row_duals.get(name)
        if comp is None or y is None or not self.ok:
            return {}
        return {k: float(d) for k, d in zip(comp.row_keys, y)}

    def memo(self, key: str, make: Callable[[], T]) -> T:
        """`make()` computed once for all the tables of this solve (values several tables share)."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]  # type: ignore[no-any-return]

    def table(self, name: str) -> pd.DataFrame:
        """Table `name`, built (with its registered columns) the first time it is asked for."""
        if name not in self._tables:
            if name in self._building:
                raise RuntimeError(f"result tables depend on each other in a circle: {' -> '.join(self._building)}")
            spec = _TABLES.get(name)
            if spec is None:
                raise KeyError(f"no result table {name!r} is registered")
            self._building.append(name)
            try:
                df = spec.build(self)
                for add in _COLUMNS.get(name, ()):
                    df = add(self, df)
            finally:
                self._building.pop()
            self._tables[name] = df
        return self._tables[name]
