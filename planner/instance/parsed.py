"""The typed content of an instance workbook before cross-sheet assembly.

`planner.instance.validate` reads every sheet into these records (one `Record` per row without
errors, with its row number) and assembles the `Instance` from them; `planner.cases` applies a
case's overrides to a copy of them and assembles again. Nothing here checks anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from planner import schema


@dataclass(frozen=True)
class PolicyRow:
    """One non-blank case cell of the policy sheet."""

    parameter: str
    year: int | None
    region: str | None
    commodity: str | None  # a commodity id or a family name
    value: Any
    row: int | None = None
    column: str | None = field(default=None, compare=False)  # letter of the case's column (for messages)
    segment: str | None = None  # a cell segment (chemistry_mix segment or chemistry): cell-credit parameters


@dataclass
class Record:
    row: int
    values: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.values.get(key)


@dataclass
class Table:
    sheet: str  # name as spelled in the workbook ('' when absent)
    spec: schema.Sheet
    letters: dict[str, str] = field(default_factory=dict)  # column name -> letter
    records: list[Record] = field(default_factory=list)  # rows without any error
    rejected: list[Record] = field(default_factory=list)  # rows with an error: their sound cells, for the
    # reference check only (so that every problem of a row is reported at once)
    ids: set[str] = field(default_factory=set)  # ids of all rows, also those with errors

    def letter(self, name: str) -> str | None:
        return self.letters.get(name)


@dataclass(frozen=True)
class Scenario:
    """One row of the scenarios sheet, checked: a scenario of a hedged plan, its policy case and probability."""

    name: str
    case: str
    probability: float
    row: int | None = None  # None: a default scenario (no scenarios sheet)
    note: str = ""


@dataclass(frozen=True)
class Override:
    """One row of the overrides sheet, checked and parsed."""

    case: str
    sheet: str
    conditions: tuple[tuple[str, str, Any], ...]  # (column, operator, value)
    column: str | None
    operation: str
    value: Any
    row: int
    filter_text: str = ""
    note: str = ""

    def describe(self) -> dict[str, Any]:
        return {"case": self.case, "sheet": self.sheet, "filter": self.filter_text, "column": self.column or "",
                "operation": self.operation, "value": self.value, "note": self.note, "row": self.row}


@dataclass(frozen=True)
class Parsed:
    """The typed content of a workbook before cross-sheet assembly; cases re-assemble from it."""

    path: str
    sha256: str
    settings: dict[str, Any]
    tables: dict[str, Table]
    cases: dict[str, tuple[PolicyRow, ...]]
    overrides: tuple[Override, ...] = ()
    scenarios: tuple[Scenario, ...] = ()  # the scenarios sheet's rows (empty: no sheet, or no rows)
    #: where each setting was given: name -> (sheet as spelled, row, column letter of the value)
    settings_at: dict[str, tuple[str, int, str]] = field(default_factory=dict)
