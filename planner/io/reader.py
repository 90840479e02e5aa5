"""Read an instance workbook into raw tables: cell values with their positions, no rules.

Nothing here knows what a valid instance is. The reader only turns the file into
`RawWorkbook` (header texts and row values keyed by column letter, with Excel row numbers),
so that `planner.instance` can report every problem with sheet, row and column.

Planners' workbooks come from anywhere, so the reader trusts nothing in the file and never
crashes on it: every way a file can be unusable ends in an `InstanceError` whose issue says, in
plain words, what is wrong and what to do. In order:

1. **The file**: missing, a folder, a device or pipe, unreadable (permissions), empty, larger
   than `MAX_FILE_BYTES`. It is read once into memory; the hash is of those very bytes.
2. **What it is**, from its first bytes, not its name: an encrypted (password-protected)
   workbook or an old .xls (OLE compound files), a PDF, HTML, CSV or other text; a zip that is
   an OpenDocument spreadsheet (.ods), a binary workbook (.xlsb), a Word or PowerPoint file, or
   no workbook at all; a truncated zip.
3. **Zip bombs**: the archive's uncompressed size (`MAX_UNCOMPRESSED_BYTES`), compression ratio
   (`MAX_COMPRESSION_RATIO`) and number of parts (`MAX_ZIP_ENTRIES`) are checked from its
   directory before anything is unpacked. Python's zipfile never unpacks more than an entry's
   declared size, so the declared sizes bound the real work.
4. **XML bombs**: no XML part may carry a document type declaration (DTD; Excel never writes
   one), checked by parsing only the prolog of every part. openpyxl also parses through
   defusedxml when it is installed (a dependency of the planner; see `openpyxl.DEFUSEDXML`).
5. **A scan of every sheet that is read** (`_scan_sheet`, one streaming expat pass, before
   openpyxl touches the sheet): limits on rows (`MAX_ROWS`), columns (`MAX_COLUMNS`) and cells
   (`MAX_CELLS` holding values, `MAX_CELL_ELEMENTS` in all) are enforced while scanning, so a huge
   sheet stops early instead of hanging; cells whose content openpyxl would choke on are reported
   as damage with their position; formulas (and whether a result was saved with them), Excel
   error values, merged ranges and hidden rows and columns are noted.
6. **Values** are then read by openpyxl (read-only, cached values: ``data_only=True``; formulas
   and macros are never evaluated or run), only within the extent the scan found. Cells that
   cannot be used as values become `BadCell` markers with the reason, so that the validator can
   report them at their position if (and only if) it needs the cell.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import hashlib
import io
import os
import posixpath
import re
import stat
import warnings
import xml.parsers.expat
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.errors import InstanceError, Issue, column_letter

# --------------------------------------------------------------------------------------------
# limits: what the reader refuses to read (one place; docs/reliability.md explains them)
# --------------------------------------------------------------------------------------------

#: size of the file itself (a real instance is well below 5 MB)
MAX_FILE_BYTES = 50 * 1024 * 1024
#: sum of the uncompressed sizes of all parts of the xlsx (zip) archive
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
#: uncompressed / compressed size of the whole archive, checked once it unpacks to more than
#: RATIO_CHECKED_FROM (a small archive cannot hurt, whatever its ratio)
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_FROM = 10 * 1024 * 1024
#: parts (files) in the archive
MAX_ZIP_ENTRIES = 10_000
#: last row and last column holding a value, in any sheet that is read
MAX_ROWS = 200_000
MAX_COLUMNS = 200
#: cells holding a value, over all sheets that are read
MAX_CELLS = 1_000_000
#: cell elements in the sheets' XML, formatted-only blank cells included
MAX_CELL_ELEMENTS = 5_000_000
#: characters in a cell (Excel's own limit)
MAX_TEXT_CHARS = 32_767
#: characters of a number as stored in the XML (a double needs at most ~25)
MAX_NUMBER_CHARS = 400

EXCEL_MAX_ROW = 1_048_576
EXCEL_MAX_COLUMN = 16_384

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_WORKBOOK_TYPES = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
)
_RESAVE = "open it in Excel or LibreOffice and save it as an Excel workbook (.xlsx)"


@dataclass(frozen=True)
class BadCell:
    """A cell whose content cannot be used as a value; `problem` says why and what to do.

    The reader puts one where a formula has no saved result, where a cell shows an Excel error
    (#N/A, #DIV/0!, ...), where text is longer than a cell can hold or a date lies outside the
    range Excel can show. The validator reports it at the cell's position when it needs the cell.
    """

    problem: str

    def __str__(self) -> str:
        return self.problem


@dataclass(frozen=True)
class RawRow:
    row: int  # Excel row number (1-based)
    values: dict[str, Any]  # column letter -> cell value (None for blank, BadCell for unusable)


@dataclass(frozen=True)
class RawSheet:
    name: str  # name as spelled in the workbook
    headers: dict[str, str]  # column letter -> header text (non-blank header cells only)
    rows: tuple[RawRow, ...]  # data rows below the header, blank rows dropped
    hidden: bool = False
    read: bool = True  # False: listed in the workbook but its cells were not read (not asked for)


@dataclass(frozen=True)
class RawWorkbook:
    path: str
    sha256: str
    sheets: dict[str, RawSheet] = field(default_factory=dict)  # by name as spelled
    issues: tuple[Issue, ...] = ()  # what the reader noticed on the way (merged cells, formulas, ...)

    def find(self, name: str) -> RawSheet | None:
        """The sheet called `name`, ignoring case and surrounding spaces."""
        want = name.strip().lower()
        for key, sheet in self.sheets.items():
            if key.strip().lower() == want:
                return sheet
        return None


_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"  # zero-width characters and the byte-order mark


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip().strip(_INVISIBLE).strip()
        return value if value else None
    return value


# --------------------------------------------------------------------------------------------
# the file and what it is
# --------------------------------------------------------------------------------------------


class _Fail:
    def __init__(self, file: str):
        self.file = file

    def __call__(self, message: str, sheet: str | None = None, row: int | None = None,
                 column: str | None = None) -> InstanceError:
        return InstanceError([Issue("error", message, file=self.file, sheet=sheet, row=row, column=column)])


def _mb(n: float) -> str:
    return f"{n / 1024 / 1024:,.1f} MB"


def _nearby(path: Path) -> str:
    """' (did you mean 'x.xlsx'?)' for a file with a close name in the same folder, or a hint."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        if not folder.is_dir():
            return f": the folder {folder} does not exist"
        names = []
        with os.scandir(folder) as it:
            for i, entry in enumerate(it):
                if i >= 2000:
                    break
                names.append(entry.name)
    except OSError:
        return ""
    close = difflib.get_close_matches(path.name, names, n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _read_file(path: Path, fail: _Fail) -> bytes:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise fail("file not found" + _nearby(path)) from None
    except NotADirectoryError:
        raise fail("file not found: a part of the path is a file, not a folder") from None
    except PermissionError:
        raise fail("the file cannot be read: permission denied (check the permissions of the file and "
                   "its folders)") from None
    except OSError as exc:
        raise fail(f"the file cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise fail("this is a folder, not an Excel workbook")
    if not stat.S_ISREG(st.st_mode):
        raise fail("this is not a regular file (a device, pipe or socket): give the path of an .xlsx workbook")
    if st.st_size > MAX_FILE_BYTES:
        raise fail(f"the file is {_mb(st.st_size)}; workbooks larger than {_mb(MAX_FILE_BYTES)} are not "
                   "read (an instance is a few MB at most): remove sheets, images or data it does not need")
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except PermissionError:
        raise fail("the file cannot be read: permission denied (check the permissions of the file and "
                   "its folders)") from None
    except OSError as exc:
        raise fail(f"the file cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_FILE_BYTES:
        raise fail(f"the file is larger than {_mb(MAX_FILE_BYTES)} and is not read")
    return data


def _what_text(data: bytes, suffix: str) -> str:
    """What a file that is not a zip archive looks like, in words."""
    head = data[:4096]
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if head.startswith(b"{\\rtf"):
        return "a rich-text (RTF) document"
    for enc in ("utf-8-sig", "utf-16"):
        try:
            text = head.decode(enc)
            break
        except UnicodeDecodeError:
            text = ""
    if not text or sum(ch.isprintable() or ch in "\r\n\t" for ch in text) < 0.95 * len(text):
        return f"not a spreadsheet at all{' (whatever its name says)' if suffix else ''}"
    low = text.lstrip().lower()
    if "urn:schemas-microsoft-com:office:spreadsheet" in low:
        return "an 'XML Spreadsheet 2003' file"
    if low.startswith("<") and ("<html" in low or "<table" in low or "<!doctype html" in low):
        return "a web page (HTML), as some systems export under an .xls name"
    if low.startswith("<"):
        return "an XML or HTML text file"
    first = text.splitlines()[0] if text.splitlines() else ""
    if suffix in (".csv", ".tsv", ".txt") or any(sep in first for sep in (",", ";", "\t")):
        return "a text (CSV) file"
    return "a text file"


def _sniff(data: bytes, suffix: str, fail: _Fail) -> None:
    """Refuse what is not an xlsx zip archive, saying what it is instead."""
    if not data:
        raise fail("the file is empty (0 bytes): it holds no workbook; copy or save it again")
    if data.startswith(_OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
            raise fail("the workbook is password-protected (encrypted) and cannot be read: open it in Excel, "
                       "remove the password (File > Info > Protect Workbook > Encrypt with Password, clear "
                       "it) and save it again")
        what = ("an Excel 97-2003 workbook (.xls)" if suffix in (".xls", ".xlt", "")
                else "an old Office (OLE) document, such as an Excel 97-2003 workbook (.xls)")
        raise fail(f"not an Excel workbook (.xlsx): this is {what}, which is not read; {_RESAVE}")
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return
    raise fail(f"not an Excel workbook (.xlsx): the file is {_what_text(data, suffix)}; {_RESAVE}")


def _open_zip(data: bytes, fail: _Fail) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, NotImplementedError):
        if data.startswith(b"PK\x03\x04"):
            raise fail("the file is incomplete or damaged: its zip structure ends early, as after an "
                       "interrupted download or copy. Copy it again, or open it in Excel and save it again") from None
        raise fail("not an Excel workbook (.xlsx): the file is not a valid xlsx (zip) container") from None
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise fail(f"the file holds {len(infos):,} parts (more than {MAX_ZIP_ENTRIES:,}); it is not a workbook "
                   "the planner reads")
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise fail(f"the workbook would unpack to {_mb(total)} (more than {_mb(MAX_UNCOMPRESSED_BYTES)}): it is "
                   "either far larger than an instance needs or a 'zip bomb'; it is not read")
    if total > RATIO_CHECKED_FROM and total > MAX_COMPRESSION_RATIO * max(packed, 1):
        raise fail(f"the workbook would unpack to {_mb(total)} from {_mb(packed)} (compressed more than "
                   f"{MAX_COMPRESSION_RATIO} times), as a 'zip bomb' does; it is not read")
    if any(i.flag_bits & 0x1 for i in infos):
        raise fail("not an Excel workbook (.xlsx): the file is a password-protected zip archive")
    return zf


def _part(zf: zipfile.ZipFile, name: str, limit: int = 1 << 20) -> bytes | None:
    """The first `limit` bytes of a part, or None when it is absent or cannot be unpacked."""
    try:
        with zf.open(name) as fh:
            return fh.read(limit)
    except (KeyError, zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError,
            ValueError):
        return None


def _what_zip(zf: zipfile.ZipFile) -> str | None:
    """What a zip archive that is not an xlsx workbook is, in words; None for a workbook."""
    names = set(zf.namelist())
    if "mimetype" in names:
        mime = (_part(zf, "mimetype", 200) or b"").decode("ascii", "replace").strip()
        if mime == "application/vnd.oasis.opendocument.spreadsheet":
            return "an OpenDocument spreadsheet (.ods)"
        if mime.startswith("application/vnd.oasis.opendocument"):
            return "an OpenDocument file"
    if any(n.lower().endswith("workbook.bin") for n in names):
        return "an Excel binary workbook (.xlsb)"
    if "word/document.xml" in names:
        return "a Word document"
    if "ppt/presentation.xml" in names:
        return "a PowerPoint presentation"
    if any(n.startswith("Index/") and n.endswith(".iwa") for n in names):
        return "an Apple Numbers document"
    if "[Content_Types].xml" not in names:
        return "a zip archive, not an Excel workbook"
    return None


# --------------------------------------------------------------------------------------------
# XML: the DTD gate and small parts
# --------------------------------------------------------------------------------------------


class _Forbidden(Exception):
    pass


class _Done(Exception):
    pass


def _parser(start: Callable[[str, dict[str, str]], None] | None = None) -> Any:
    """An expat parser that refuses DTDs and entities (what XML bombs are made of)."""
    p = xml.parsers.expat.ParserCreate(namespace_separator="}")

    def forbid(*_a: Any) -> None:
        raise _Forbidden

    p.StartDoctypeDeclHandler = forbid
    p.EntityDeclHandler = forbid
    p.ExternalEntityRefHandler = forbid
    p.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    if start is not None:
        p.StartElementHandler = start
    return p


def _local(name: str) -> str:
    return name.rpartition("}")[2]


def _dtd_gate(zf: zipfile.ZipFile, fail: _Fail) -> None:
    """No XML part may declare a DTD: parse the prolog of each (up to its first element) only."""
    for info in zf.infolist():
        if info.is_dir() or not info.filename.lower().endswith((".xml", ".rels", ".vml")):
            continue

        def stop(_n: str, _a: dict[str, str]) -> None:
            raise _Done

        p = _parser(stop)
        try:
            with zf.open(info) as fh:
                for _ in range(64):  # a prolog longer than 256 KB is not a workbook's
                    chunk = fh.read(4096)
                    if not chunk:
                        break
                    p.Parse(chunk, False)
        except _Done:
            continue
        except _Forbidden:
            raise fail(f"the workbook's part '{info.filename}' declares a document type (DTD). Excel never writes "
                       "one; such declarations are how 'XML bombs' attack readers. The file is not read") from None
        except (xml.parsers.expat.ExpatError, zipfile.BadZipFile, zlib.error, EOFError, OSError,
                NotImplementedError, RuntimeError, ValueError):
            continue  # damage is reported where the part is needed


def _parse_small(zf: zipfile.ZipFile, name: str, start: Callable[[str, dict[str, str]], None]) -> bool:
    """Parse a small part with `start` called for each element; False when absent or damaged."""
    data = _part(zf, name, 16 << 20)
    if data is None:
        return False
    p = _parser(start)
    try:
        p.Parse(data, True)
    except (xml.parsers.expat.ExpatError, _Forbidden):
        return False
    return True


@dataclass
class _BookInfo:
    sheets: list[tuple[str, str, str | None]]  # (name, state, part path or None for a non-worksheet)
    calc_manual: bool = False
    calc_on_load: bool = False


def _book_info(zf: zipfile.ZipFile) -> _BookInfo | None:
    """Sheet names, states and XML parts, and the calculation settings, from the workbook part."""
    wb_part: list[str] = []

    def ctypes(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "Override" and attrs.get("ContentType") in _WORKBOOK_TYPES:
            wb_part.append(attrs.get("PartName", "").lstrip("/"))

    if not _parse_small(zf, "[Content_Types].xml", ctypes) or not wb_part:
        return None
    part = wb_part[0]
    sheets: list[tuple[str, str, str]] = []
    info = _BookInfo([])

    def book(name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "sheet":
            rid = next((v for k, v in attrs.items() if "}" in k and _local(k) == "id"), "")
            sheets.append((attrs.get("name", ""), attrs.get("state", "visible"), rid))
        elif local == "calcPr":
            info.calc_manual = attrs.get("calcMode") == "manual"
            info.calc_on_load = attrs.get("fullCalcOnLoad") in ("1", "true")

    if not _parse_small(zf, part, book):
        return None
    folder = posixpath.dirname(part)
    rels: dict[str, tuple[str, str]] = {}

    def relations(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "Relationship":
            rels[attrs.get("Id", "")] = (attrs.get("Target", ""), attrs.get("Type", ""))

    _parse_small(zf, posixpath.join(folder, "_rels", posixpath.basename(part) + ".rels"), relations)
    for name, state, rid in sheets:
        target, kind = rels.get(rid, ("", ""))
        if not target or not kind.endswith("/worksheet"):
            info.sheets.append((name, state, None))
            continue
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        info.sheets.append((name, state, path))
    return info


# --------------------------------------------------------------------------------------------
# the sheet scan
# --------------------------------------------------------------------------------------------

_INVALID_TITLE = re.compile(r"[\\*?:/\[\]]")  # characters Excel (and openpyxl) refuse in sheet names
_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _parse_ref(ref: str) -> tuple[int, int] | None:
    m = _REF.match(ref.strip())
    if not m:
        return None
    return int(m.group(2)), _col_index(m.group(1))


_COLUMN_OF: dict[str, int] = {}  # cache: column letters -> index


def _cell_column(ref: str) -> int | None:
    """The column of a cell reference such as 'AB12' (fast path of `_parse_ref` for the scan)."""
    letters = ref.rstrip("0123456789")
    col = _COLUMN_OF.get(letters)
    if col is None:
        if not (1 <= len(letters) <= 3 and letters.isascii() and letters.isalpha()):
            return None
        col = _col_index(letters)
        _COLUMN_OF[letters] = col
    if len(ref) == len(letters) or len(ref) - len(letters) > 7:
        return None
    return col


def _parse_range(ref: str) -> tuple[int, int, int, int] | None:
    """'A1:C3' -> (min_row, min_col, max_row, max_col)."""
    parts = ref.strip().split(":")
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2:
        return None
    a, b = _parse_ref(parts[0]), _parse_ref(parts[1])
    if a is None or b is None:
        return None
    return min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])


class _Stop(Exception):
    pass


@dataclass
class _Scan:
    """What one streaming pass over a sheet's XML found."""

    max_row: int = 0  # of cells holding a value (or a formula)
    max_col: int = 0
    values: int = 0
    elements: int = 0
    bad: dict[tuple[int, int], BadCell] = field(default_factory=dict)
    formulas: int = 0  # formula cells with a saved result
    first_formula: tuple[int, int] | None = None
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden_rows: list[int] = field(default_factory=list)  # hidden rows holding values (first 1000)
    hidden_cols: set[int] = field(default_factory=set)  # hidden columns (indices)
    value_cols: set[int] = field(default_factory=set)
    damage: list[tuple[int | None, int | None, str]] = field(default_factory=list)
    limit: tuple[int | None, int | None, str] | None = None


def _number_ok(text: str) -> bool:
    """What openpyxl can turn into a number (it calls int() unless '.', 'e' or 'E' appear)."""
    if len(text) > MAX_NUMBER_CHARS:
        return False
    try:
        if "." in text or "e" in text or "E" in text:
            float(text)
        else:
            int(text)
    except ValueError:
        return False
    return True


def _formula_text(text: str) -> str:
    text = text.strip()
    return "=" + (text if len(text) <= 60 else text[:57] + "...")


class _Scanner:
    """The handlers of one expat pass over a worksheet part (see `_scan_sheet`)."""

    def __init__(self, scan: _Scan, budget: list[int]):
        from openpyxl.utils.datetime import from_ISO8601

        self.from_iso = from_ISO8601
        self.scan = scan
        self.budget = budget  # [cells with values left, cell elements left], shared by all sheets read
        self.row = self.last_row = self.col = self.row_cells = 0
        self.row_hidden = self.in_data = self.in_cell = self.in_is = self.has_f = self.has_v = False
        self.t = "n"
        self.buf: list[str] | None = None  # where character data goes: the cell's <v>, <f> or inline <t>
        self.buf_len = 0
        self.vtext: list[str] = []
        self.ftext: list[str] = []
        self.istext: list[str] = []

    def damage(self, row: int | None, col: int | None, message: str) -> None:
        self.scan.damage.append((row, col, message))
        if len(self.scan.damage) >= 20:
            raise _Stop

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = name[name.rfind("}") + 1:]
        if self.in_cell:
            if local == "v":
                self.has_v, self.buf = True, self.vtext
            elif local == "f":
                self.has_f, self.buf = True, self.ftext
            elif local == "is":
                self.in_is = True
            elif local == "t" and self.in_is:
                self.buf = self.istext
            return
        if local == "c":
            if self.in_data:
                self.start_cell(attrs)
        elif local == "row":
            if self.in_data:
                self.start_row(attrs)
        elif local == "sheetData":
            self.in_data = True
        elif local == "mergeCell":
            rng = _parse_range(attrs.get("ref", ""))
            if rng is not None and len(self.scan.merged) < 10_000:
                self.scan.merged.append(rng)
        elif local == "col" and attrs.get("hidden") in ("1", "true"):
            try:
                lo, hi = int(attrs.get("min", "0")), int(attrs.get("max", "0"))
            except ValueError:
                return
            self.scan.hidden_cols.update(range(max(lo, 1), min(hi, MAX_COLUMNS) + 1))

    def start_row(self, attrs: dict[str, str]) -> None:
        r = attrs.get("r")
        if r is None:
            row = self.row + 1
        else:
            try:
                row = int(r)
            except ValueError:
                try:
                    x = float(r)
                    row = int(x) if x.is_integer() else -1
                except (ValueError, OverflowError):
                    row = -1
        if row < 1 or row > EXCEL_MAX_ROW:
            self.damage(None, None, f"a row has the invalid number '{str(r)[:20]}'")
            raise _Stop
        if row <= self.last_row:
            self.damage(row, None, f"row {row} comes after row {self.last_row} (rows out of order)")
        self.row = self.last_row = max(row, self.last_row)
        self.col = self.row_cells = 0
        self.row_hidden = attrs.get("hidden") in ("1", "true")

    def start_cell(self, attrs: dict[str, str]) -> None:
        scan, budget = self.scan, self.budget
        scan.elements += 1
        budget[1] -= 1
        if budget[1] < 0:
            scan.limit = (None, None, f"the sheets hold more than {MAX_CELL_ELEMENTS:,} cells (counting cells that "
                                      "are only formatted)")
            raise _Stop
        self.row_cells += 1
        ref = attrs.get("r")
        col = self.col + 1
        if ref is not None:
            pos = _cell_column(ref)
            if pos is None:
                self.damage(self.row, None, f"a cell has the invalid position '{ref[:20]}'")
            else:
                col = pos
        self.col = col
        if col > EXCEL_MAX_COLUMN or self.row_cells > EXCEL_MAX_COLUMN:
            self.damage(self.row, None, "a row holds more cells than Excel allows")
        style = attrs.get("s")
        if style is not None and not style.isdigit():
            self.damage(self.row, col, f"a cell has the invalid style '{style[:20]}'")
        if self.row == 0:
            self.damage(None, col, "a cell lies outside any row")
        self.in_cell = True
        self.t = attrs.get("t", "n")
        self.has_f = self.has_v = self.in_is = False
        self.buf, self.buf_len = None, 0
        self.vtext, self.ftext, self.istext = [], [], []

    def end(self, name: str) -> None:
        local = name[name.rfind("}") + 1:]
        if not self.in_cell:
            if local == "sheetData":
                self.in_data = False
            return
        if local == "c":
            self.in_cell = False
            self.end_cell()
        elif local in ("v", "f", "t"):
            self.buf = None
        elif local == "is":
            self.in_is = False

    def text(self, data: str) -> None:
        if self.buf is not None and self.buf_len <= MAX_TEXT_CHARS:
            self.buf.append(data)
            self.buf_len += len(data)

    def end_cell(self) -> None:
        scan, row, col, t, formula = self.scan, self.row, self.col, self.t, self.has_f
        v = "".join(self.vtext)
        has_value = bool("".join(self.istext)) if t == "inlineStr" else v != ""
        if not has_value and not formula:
            return
        blank_result = formula and not has_value and t == "str" and self.has_v  # a formula whose result is ""
        if has_value:
            if t == "n":
                if not _number_ok(v):
                    self.damage(row, col, f"the cell holds '{v[:30]}' stored as a number, which is not one")
            elif t == "b":
                if v.strip() not in ("0", "1"):
                    self.damage(row, col, f"the cell holds '{v[:30]}' stored as TRUE/FALSE, which is neither")
            elif t == "s":
                if not (v.strip().isdigit() and len(v) < 12):
                    self.damage(row, col, f"the cell refers to the shared text '{v[:30]}', which does not exist")
            elif t == "d":
                try:
                    self.from_iso(v)
                except (ValueError, TypeError, OverflowError):
                    self.damage(row, col, f"the cell holds '{v[:30]}' stored as a date, which is not one")
            elif t == "e":
                scan.bad[(row, col)] = BadCell(
                    f"the cell shows the Excel error {v.strip()[:20]}" + (" (its formula fails)" if formula else "")
                    + ": correct the formula or enter the value itself")
        if formula:
            ftext = "".join(self.ftext)
            shown = f"the formula {_formula_text(ftext)}" if ftext.strip() else "a formula shared with the cells above it"
            if has_value or blank_result:
                scan.formulas += 1
                scan.first_formula = scan.first_formula or (row, col)
            else:
                scan.bad[(row, col)] = BadCell(
                    f"the cell holds {shown} but no saved result: the workbook was written by a program that does "
                    "not calculate formulas. Open it in Excel or LibreOffice and save it, or replace the formula by "
                    "its value (Copy, then Paste Special > Values)")
        if blank_result:
            return
        scan.values += 1
        self.budget[0] -= 1
        if self.budget[0] < 0:
            scan.limit = (None, None, f"the sheets hold more than {MAX_CELLS:,} cells with values")
            raise _Stop
        if row > MAX_ROWS:
            scan.limit = (row, col, f"the sheet holds values beyond row {MAX_ROWS:,} (cell {column_letter(col)}{row}); "
                                    f"at most {MAX_ROWS:,} rows are read")
            raise _Stop
        if col > MAX_COLUMNS:
            scan.limit = (row, col, f"the sheet holds values beyond column {column_letter(MAX_COLUMNS)} (cell "
                                    f"{column_letter(col)}{row}); at most {MAX_COLUMNS} columns are read")
            raise _Stop
        if row > scan.max_row:
            scan.max_row = row
        if col > scan.max_col:
            scan.max_col = col
        scan.value_cols.add(col)
        if self.row_hidden and (not scan.hidden_rows or scan.hidden_rows[-1] != row) and len(scan.hidden_rows) < 1000:
            scan.hidden_rows.append(row)


def _scan_sheet(zf: zipfile.ZipFile, part: str, budget: list[int]) -> _Scan:
    """One streaming expat pass over a worksheet part, stopped as soon as a limit is exceeded."""
    scan = _Scan()
    s = _Scanner(scan, budget)
    p = _parser(s.start)
    p.EndElementHandler = s.end
    p.CharacterDataHandler = s.text
    p.buffer_text = True
    try:
        with zf.open(part) as fh:
            while True:
                chunk = fh.read(1 << 16)
                if not chunk:
                    break
                p.Parse(chunk, False)
            p.Parse(b"", True)
    except _Stop:
        pass
    except _Forbidden:
        scan.damage.append((None, None, "the sheet declares a document type (DTD), which Excel never writes"))
    except xml.parsers.expat.ExpatError as exc:
        scan.damage.append((None, None, f"the sheet's XML is damaged ({xml.parsers.expat.ErrorString(exc.code)} "
                                        f"at line {exc.lineno})"))
    except KeyError:
        scan.damage.append((None, None, "the sheet's part is missing from the file"))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError) as exc:
        scan.damage.append((None, None, f"the sheet's part cannot be unpacked ({type(exc).__name__})"))
    return scan


# --------------------------------------------------------------------------------------------
# values
# --------------------------------------------------------------------------------------------


def header_text(value: Any) -> str | None:
    """A header cell as text: 2030 (not 2030.0), dates as 2030-01-01, TRUE/FALSE; None when blank."""
    value = _clean(value)
    if value is None or isinstance(value, BadCell):
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, _dt.datetime):
        return value.date().isoformat() if value.time() == _dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    return str(value)


_DATE_WARNING = re.compile(r"Cell (\$?[A-Z]{1,3}\$?[0-9]+) is marked as a date but the serial value (\S+)")


def _read_values(ws: Any, scan: _Scan) -> tuple[dict[str, str], list[RawRow], list[tuple[int, int, str]]]:
    """Headers, rows and header problems of a worksheet, within the extent its scan found."""
    headers: dict[str, str] = {}
    rows: list[RawRow] = []
    header_problems: list[tuple[int, int, str]] = []
    if scan.max_row == 0:
        return headers, rows, header_problems
    cols = sorted(scan.value_cols)
    letters = {c: column_letter(c) for c in cols}
    bad_by_row: dict[int, list[tuple[int, BadCell]]] = {}
    for (r, c), bad in scan.bad.items():
        bad_by_row.setdefault(r, []).append((c, bad))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seen = 0
        it = ws.iter_rows(min_row=1, max_row=scan.max_row, min_col=1, max_col=scan.max_col, values_only=True)
        for r, values in enumerate(it, start=1):
            if len(caught) > seen:  # openpyxl warns of dates it cannot show, naming the cell
                for w in caught[seen:]:
                    m = _DATE_WARNING.search(str(w.message))
                    pos = _parse_ref(m.group(1)) if m else None
                    if m and pos is not None:
                        bad_by_row.setdefault(pos[0], []).append((pos[1], BadCell(
                            f"the cell holds {m.group(2)} formatted as a date, outside the range of dates Excel "
                            "can show: format it as a number or enter a valid date")))
                seen = len(caught)
            cells: dict[str, Any] = {}
            for c in cols:
                v = values[c - 1]
                if v is None:
                    continue
                if isinstance(v, str) and len(v) > MAX_TEXT_CHARS:
                    v = BadCell(f"the cell holds {len(v):,} characters of text, more than a cell can hold "
                                f"({MAX_TEXT_CHARS:,})")
                v = _clean(v)
                if v is not None:
                    cells[letters[c]] = v
            for c, bad in bad_by_row.get(r, ()):
                if c in letters:
                    cells[letters[c]] = bad
            if r == 1:
                for letter, v in cells.items():
                    if isinstance(v, BadCell):
                        header_problems.append((1, _col_index(letter), f"the column name cannot be read: {v}"))
                        continue
                    text = header_text(v)
                    if text is not None:
                        headers[letter] = text
                continue
            if cells:
                rows.append(RawRow(r, cells))
    return headers, rows, header_problems


def _sheet_notes(name: str, scan: _Scan, headers: dict[str, str], file: str) -> list[Issue]:
    """Warnings about merged ranges and hidden rows or columns in a sheet's data area."""
    out: list[Issue] = []
    last_col = max([_col_index(k) for k in headers] + [scan.max_col, 0])
    last_row = scan.max_row
    merged = [m for m in scan.merged if m[0] <= last_row and m[1] <= last_col and (m[2] > m[0] or m[3] > m[1])]
    if merged:
        shown = ", ".join(f"{column_letter(a)}{r}:{column_letter(d)}{c}" for r, a, c, d in merged[:5])
        more = f" and {len(merged) - 5} more" if len(merged) > 5 else ""
        r0, c0 = merged[0][0], merged[0][1]
        out.append(Issue(
            "warning",
            f"the sheet has {len(merged)} merged cell range(s) in its data area ({shown}{more}). Only the top-left "
            "cell of a merged range holds its value; the other cells are read as blank. Unmerge them (Home > "
            "Merge & Center > Unmerge Cells) and fill in every cell",
            file=file, sheet=name, row=r0, column=column_letter(c0)))
    if scan.hidden_rows:
        rows = scan.hidden_rows
        shown = ", ".join(str(r) for r in rows[:8]) + (f" and {len(rows) - 8} more" if len(rows) > 8 else "")
        out.append(Issue(
            "warning",
            f"row(s) {shown} are hidden (or filtered out) but hold values: they are read like any other row; "
            "delete them if they should not count",
            file=file, sheet=name, row=rows[0]))
    cols = sorted(scan.hidden_cols & scan.value_cols)
    if cols:
        shown = ", ".join(column_letter(c) for c in cols[:8]) + (f" and {len(cols) - 8} more" if len(cols) > 8 else "")
        out.append(Issue(
            "warning",
            f"column(s) {shown} are hidden but hold values: they are read like any other column",
            file=file, sheet=name, row=1, column=column_letter(cols[0])))
    return out


def read_workbook(path: str | Path, *, data: bytes | None = None,
                  sheets: Callable[[str], bool] | None = None) -> RawWorkbook:
    """Read the sheets of an .xlsx/.xlsm workbook (cached values, never formulas or macros).

    With `data`, the workbook's bytes are read and `path` only names it in messages (a worker on
    another machine receives the bytes, not the file). With `sheets`, only the sheets whose name
    it accepts are read; the others are listed (name, hidden) with no cells. Raises
    `InstanceError` with plain-words issues when the file cannot be read as a workbook.
    """
    path = Path(path)
    file = str(path)
    fail = _Fail(file)
    if data is None:
        data = _read_file(path, fail)
    elif len(data) > MAX_FILE_BYTES:
        raise fail(f"the workbook is {_mb(len(data))}; workbooks larger than {_mb(MAX_FILE_BYTES)} are not read")
    suffix = path.suffix.lower()
    _sniff(data, suffix, fail)
    zf = _open_zip(data, fail)
    what = _what_zip(zf)
    if what is not None:
        raise fail(f"not an Excel workbook (.xlsx): the file is {what}; {_RESAVE}")
    _dtd_gate(zf, fail)
    book = _book_info(zf)
    if book is None:
        raise fail("the workbook cannot be opened: its table of contents (the workbook part) is missing or "
                   f"damaged. Open it in Excel or LibreOffice and save it again, or {_RESAVE}")

    # 1. sheet names openpyxl would refuse, then a scan of every sheet that will be read
    issues: list[Issue] = []
    errors: list[Issue] = []
    seen: dict[str, str] = {}
    for name, _state, _part_name in book.sheets:
        bad = _INVALID_TITLE.search(name)
        if not name.strip():
            errors.append(Issue("error", "a sheet has no name; give it one in Excel", file=file))
        elif bad:
            errors.append(Issue("error", f"the sheet name contains '{bad.group(0)}', which Excel does not allow in "
                                         "sheet names; rename the sheet in Excel", file=file, sheet=name))
        elif name.lower() in seen:
            errors.append(Issue("error", f"two sheets are called '{name}' (Excel does not allow this); rename one "
                                         "in Excel", file=file, sheet=name))
        seen.setdefault(name.lower(), name)
    if errors:
        raise InstanceError(errors)
    scans: dict[str, _Scan] = {}
    budget = [MAX_CELLS, MAX_CELL_ELEMENTS]
    for name, _state, part in book.sheets:
        if part is None or (sheets is not None and not sheets(name)):
            continue
        scan = _scan_sheet(zf, part, budget)
        scans[name] = scan
        for row, col, message in scan.damage:
            errors.append(Issue("error", f"the sheet is damaged: {message}. Open the file in Excel or LibreOffice "
                                         "and save it again", file=file, sheet=name, row=row,
                                column=column_letter(col) if col else None))
        if scan.limit is not None:
            row, col, message = scan.limit
            errors.append(Issue("error", f"{message}. An instance needs far fewer; delete what lies beyond the "
                                         "data (cells that look empty may still hold spaces)", file=file,
                                sheet=name, row=row, column=column_letter(col) if col else None))
            if budget[0] < 0 or budget[1] < 0:
                break
    if errors:
        raise InstanceError(errors)

    # 2. values, through openpyxl (read-only, cached values)
    import openpyxl  # local: keeps `planner --help` fast

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except MemoryError:
        raise fail("the workbook is too large to be read in the memory available") from None
    except Exception as exc:  # openpyxl raises many kinds for damaged files
        raise fail("the workbook cannot be opened: it is damaged or was not saved by a spreadsheet program "
                   f"({type(exc).__name__}: {str(exc)[:200]}). Open it in Excel or LibreOffice and save it "
                   "again") from None

    out: dict[str, RawSheet] = {}
    formulas = 0
    first_formula: tuple[str, int, int] | None = None
    try:
        for ws in wb.worksheets:
            name = ws.title
            hidden = ws.sheet_state != "visible"
            scan = scans.get(name)
            if sheets is not None and not sheets(name):
                out[name] = RawSheet(name, {}, (), hidden=hidden, read=False)
                continue
            if scan is None:  # not found by the scan: never read unscanned
                errors.append(Issue("error", "the sheet cannot be read: the workbook's table of contents does not "
                                             "lead to it. Open the file in Excel or LibreOffice and save it again",
                                    file=file, sheet=name))
                continue
            try:
                headers, rows, header_problems = _read_values(ws, scan)
            except MemoryError:
                raise fail("the workbook is too large to be read in the memory available", sheet=name) from None
            except Exception as exc:
                errors.append(Issue("error", "the sheet cannot be read: it is damaged "
                                             f"({type(exc).__name__}: {str(exc)[:200]}). Open the file in Excel or "
                                             "LibreOffice and save it again", file=file, sheet=name))
                continue
            for row, col, message in header_problems:
                issues.append(Issue("error", message, file=file, sheet=name, row=row, column=column_letter(col)))
            issues.extend(_sheet_notes(name, scan, headers, file))
            if scan.formulas:
                formulas += scan.formulas
                if first_formula is None and scan.first_formula is not None:
                    first_formula = (name, *scan.first_formula)
            out[name] = RawSheet(name, headers, tuple(rows), hidden=hidden)
    finally:
        wb.close()
    if errors:
        raise InstanceError(errors)
    if formulas and first_formula is not None and (book.calc_manual or book.calc_on_load):
        sheet, r, c = first_formula
        why = ("the workbook is set to manual calculation, so" if book.calc_manual else
               "the workbook was saved by a program that does not calculate formulas (it asks Excel to "
               "recalculate on opening), so")
        issues.append(Issue(
            "warning",
            f"{formulas} cell(s) hold formulas and {why} their saved results may be out of date or mere "
            "placeholders. Open the file in Excel or LibreOffice, recalculate (F9) and save it",
            file=file, sheet=sheet, row=r, column=column_letter(c)))
    return RawWorkbook(path=file, sha256=hashlib.sha256(data).hexdigest(), sheets=out, issues=tuple(issues))


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
