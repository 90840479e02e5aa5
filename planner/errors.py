"""Errors and the Issue record every validation message is made of."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Severity = Literal["error", "warning"]

#: characters of a value from a workbook that a message shows (longer values are cut, with "…")
SHOWN_CHARS = 60


def cut(value: Any, limit: int = SHOWN_CHARS) -> str:
    """A value from a workbook as a message shows it: at most `limit` characters, cut with '…'.

    Line breaks and other control characters are shown as spaces, so that one problem stays on
    one line and a cell cannot move the terminal's cursor.
    """
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return "".join(ch if ch.isprintable() else " " for ch in text)


def display_path(path: str | os.PathLike[str] | bytes) -> str:
    """A file name fit for messages, terminals and workbooks, whatever bytes the file system gave.

    A name that is not valid in the file system's encoding (a Latin-1 name on a UTF-8 system,
    b'caf\\xe9.xlsx') reaches Python with its undecodable bytes as lone surrogates, which no
    terminal, workbook or XML writer accepts; they are shown as \\xe9. Control characters (a
    terminal's escape sequences, line breaks) are shown as \\x1b, \\n etc. Other names are
    returned unchanged.
    """
    text = os.fsdecode(path) if isinstance(path, bytes) else os.fspath(path)
    if text.isprintable():
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, kept by the 'surrogateescape' handler
            out.append(f"\\x{code - 0xDC00:02x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")
        elif not ch.isprintable() and ch != " ":
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


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
        parts = [display_path(Path(self.file).name)] if self.file else []
        if self.sheet:
            parts.append(f"sheet '{cut(self.sheet, 40)}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column or self.field:
            col = self.column or ""
            if self.field:
                col = f"{col} ({self.field})" if col else self.field
            parts.append(f"column {cut(col, 80)}")
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
