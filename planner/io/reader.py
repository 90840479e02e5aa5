"""Read an instance workbook into raw tables: cell values with their positions, no rules.

Nothing here knows what a valid instance is. The reader only turns the file into
`RawWorkbook` (header texts and row values keyed by column letter, with Excel row numbers),
so that `planner.instance` can report every problem with sheet, row and column.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.errors import InstanceError, Issue, column_letter


@dataclass(frozen=True)
class RawRow:
    row: int  # Excel row number (1-based)
    values: dict[str, Any]  # column letter -> cell value (None for blank)


@dataclass(frozen=True)
class RawSheet:
    name: str  # name as spelled in the workbook
    headers: dict[str, str]  # column letter -> header text (non-blank header cells only)
    rows: tuple[RawRow, ...]  # data rows below the header, blank rows dropped
    hidden: bool = False


@dataclass(frozen=True)
class RawWorkbook:
    path: str
    sha256: str
    sheets: dict[str, RawSheet] = field(default_factory=dict)  # by name as spelled

    def find(self, name: str) -> RawSheet | None:
        """The sheet called `name`, ignoring case and surrounding spaces."""
        want = name.strip().lower()
        for key, sheet in self.sheets.items():
            if key.strip().lower() == want:
                return sheet
        return None


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value if value else None
    return value


def read_workbook(path: str | Path, *, data: bytes | None = None) -> RawWorkbook:
    """Read every sheet of an .xlsx/.xlsm workbook (cached values, never formulas or macros).

    With `data`, the workbook's bytes are read and `path` only names it in messages (a worker on
    another machine receives the bytes, not the file). Raises `InstanceError` with a plain-words
    issue when the file cannot be read as a workbook.
    """
    import io

    import openpyxl  # local: keeps `planner --help` fast

    path = Path(path)
    file = str(path)

    def fail(message: str) -> InstanceError:
        return InstanceError([Issue("error", message, file=file)])

    if data is None:
        if not path.exists():
            raise fail("file not found")
        if path.is_dir():
            raise fail("this is a folder, not an Excel workbook")
    suffix = path.suffix.lower()
    if suffix in (".xls", ".ods", ".csv", ".numbers"):
        raise fail(
            f"'{suffix}' files are not read; open the file in Excel or LibreOffice and save it "
            "as an Excel workbook (.xlsx)"
        )
    source: Any = io.BytesIO(data) if data is not None else path
    if not zipfile.is_zipfile(source):
        raise fail("not an Excel workbook (.xlsx): the file is not a valid xlsx (zip) container")

    try:
        wb = openpyxl.load_workbook(source, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds for damaged files
        raise fail(f"the workbook cannot be opened ({type(exc).__name__}: {exc})") from None

    sheets: dict[str, RawSheet] = {}
    try:
        for ws in wb.worksheets:
            headers: dict[str, str] = {}
            rows: list[RawRow] = []
            for r, values in enumerate(ws.iter_rows(values_only=True), start=1):
                if r == 1:
                    for c, v in enumerate(values, start=1):
                        v = _clean(v)
                        if v is not None:
                            headers[column_letter(c)] = str(v)
                    continue
                cells = {column_letter(c): _clean(v) for c, v in enumerate(values, start=1)}
                if any(v is not None for v in cells.values()):
                    rows.append(RawRow(r, cells))
            sheets[ws.title] = RawSheet(
                ws.title, headers, tuple(rows), hidden=ws.sheet_state != "visible"
            )
    except Exception as exc:
        raise fail(f"the workbook cannot be read ({type(exc).__name__}: {exc})") from None
    finally:
        wb.close()
    digest = hashlib.sha256(data).hexdigest() if data is not None else file_sha256(path)
    return RawWorkbook(path=file, sha256=digest, sheets=sheets)


def workbook_from_tables(
    tables: dict[str, list[dict[str, Any]]], name: str = "<in memory>"
) -> RawWorkbook:
    """A `RawWorkbook` built from rows held in memory (tests, generated instances).

    Each table is a list of records; its columns are the union of the records' keys in first-seen
    order (a record of blanks only declares columns). Row numbers are what they would be in a
    written workbook (data from row 2).
    """
    sheets: dict[str, RawSheet] = {}
    digest = hashlib.sha256()
    for sheet, records in tables.items():
        names: list[str] = []
        for rec in records:
            for k in rec:
                if k not in names:
                    names.append(k)
        letters = {n: column_letter(i) for i, n in enumerate(names, start=1)}
        rows = tuple(
            RawRow(r, {letters[k]: _clean(v) for k, v in rec.items()})
            for r, rec in enumerate(records, start=2)
            if any(_clean(v) is not None for v in rec.values())  # a blank record only declares columns
        )
        sheets[sheet] = RawSheet(sheet, {letters[n]: n for n in names}, rows)
        digest.update(repr((sheet, records)).encode())
    return RawWorkbook(path=name, sha256=digest.hexdigest(), sheets=sheets)
