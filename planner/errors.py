"""Errors and the Issue record every validation message is made of."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass(frozen=True)
class Issue:
    """One problem found in an instance workbook, located as precisely as possible."""

    severity: Severity
    message: str
    file: str = ""
    sheet: str | None = None
    row: int | None = None
    column: str | None = None  # column letter, e.g. "F"
    field: str | None = None  # column name, e.g. "capacity_per_unit"

    @property
    def location(self) -> str:
        parts = [Path(self.file).name] if self.file else []
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column or self.field:
            col = self.column or ""
            if self.field:
                col = f"{col} ({self.field})" if col else self.field
            parts.append(f"column {col}")
        return ", ".join(parts)

    def __str__(self) -> str:
        loc = self.location
        return f"{loc}: {self.message}" if loc else self.message


class PlannerError(Exception):
    """Base class of errors the command line reports in plain words (never as a traceback)."""

    exit_code = 1


class InstanceError(PlannerError):
    """The workbook has errors; `issues` lists all of them (and the warnings found on the way)."""

    def __init__(self, issues: list[Issue]):
        self.issues = list(issues)
        errors = [i for i in self.issues if i.severity == "error"]
        lines = [f"{len(errors)} error(s) in the instance:"] + [f"  {i}" for i in errors[:20]]
        if len(errors) > 20:
            lines.append(f"  ... and {len(errors) - 20} more")
        super().__init__("\n".join(lines))

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]


class UsageError(PlannerError):
    """The command was called wrongly (unknown case, unknown preset, bad option value)."""

    exit_code = 2


class OutputError(PlannerError):
    """A result could not be written where asked."""


class SolveError(PlannerError):
    """HiGHS failed or found no plan."""

    exit_code = 3
