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
4. **The table of contents** (content types, workbook part, its relationships: small parts, at
   most `MAX_SMALL_PART_BYTES`, at most `MAX_SHEETS` sheets), then **part sizes**, again from the
   directory alone: the shared-text part (`MAX_SHARED_STRINGS_BYTES`), the styles part
   (`MAX_STYLES_BYTES`) and every worksheet that will be read (`MAX_SHEET_PART_BYTES`).
5. **XML bombs**: no XML part may carry a document type declaration (DTD; Excel never writes
   one). A DTD can only stand in a part's prolog, before its first element; the whole prolog is
   scanned, however long (a DTD after a 300 KB comment is found), streaming with constant memory.
   Every part the reader parses is parsed by expat with DTDs and entities refused as well.
6. **One streaming pass over every sheet that is read** (`_scan_sheet`, expat): limits on rows
   (`MAX_ROWS`), columns (`MAX_COLUMNS`) and cells (`MAX_CELLS` holding values,
   `MAX_CELL_ELEMENTS` in all) are enforced while scanning, so a huge sheet stops early instead of
   hanging; cells that are not what they claim (a number that is not one, rows out of order, a
   damaged XML part) are reported as damage with their position; formulas (and whether a result
   was saved with them), Excel error values, merged ranges and hidden rows and columns are noted;
   and the values themselves are collected in the same pass: numbers (as dates where the cell's
   style shows a date, from the styles part), logical values, text (inline, or a reference to
   the shared texts, which are read afterwards: only those the sheets refer to are kept).
   Formulas and macros are never evaluated or run: a formula counts with its saved result.
   openpyxl's `load_workbook` is not used for reading: it parses every worksheet that lacks a
   `<dimension>` in full (even sheets that are not read) and loads the whole shared-text and
   styles parts, which made a large sheet take minutes and a 190 MB styles part gigabytes.
   Cells that cannot be used as values become `BadCell` markers with the reason (a formula
   without a saved result, an Excel error, text longer than a cell can hold, a date Excel cannot
   show, an empty number as pandas and openpyxl write NaN and infinity), so that the validator
   can report them at their position if (and only if) it needs the cell.
7. **Text** is trimmed of spaces and invisible characters and put in Unicode normal form NFC, so
   that an id typed with a composed 'é' and one typed as 'e' plus a combining accent are one id.
"""

from __future__ import annotations

import codecs
import datetime as _dt
import difflib
import hashlib
import io
import os
import posixpath
import re
import stat
import unicodedata
import xml.parsers.expat
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.errors import InstanceError, Issue, column_letter, cut, display_path

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
#: uncompressed size of single parts, checked from the zip's directory before they are unpacked:
#: the shared-text part, the styles part (cell formats), a worksheet that is read, and the
#: small parts (content types, workbook, its relationships)
MAX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024
MAX_STYLES_BYTES = 16 * 1024 * 1024
MAX_SHEET_PART_BYTES = 150 * 1024 * 1024
MAX_SMALL_PART_BYTES = 16 * 1024 * 1024
#: sheets in the workbook (an instance has about twenty)
MAX_SHEETS = 1_000
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
        """The sheet called `name`, ignoring case, surrounding spaces and Unicode normal form."""
        want = sheet_key(name)
        for key, sheet in self.sheets.items():
            if sheet_key(key) == want:
                return sheet
        return None


def sheet_key(name: str) -> str:
    """A sheet name as it is matched: trimmed, lower case, Unicode normal form NFC."""
    return unicodedata.normalize("NFC", name.strip().lower())


_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"  # zero-width characters and the byte-order mark


def _clean(value: Any) -> Any:
    """Text trimmed of spaces and invisible characters and in Unicode normal form NFC (so that 'Ré'
    typed with a composed é and with e + a combining accent is one text); blank text is None."""
    if isinstance(value, str):
        value = value.strip().strip(_INVISIBLE).strip()
        if not value.isascii():
            value = unicodedata.normalize("NFC", value)
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


_XML_PARTS = (".xml", ".rels", ".vml")


def _encoding(head: bytes) -> str:
    """The encoding of an XML part from its first bytes (XML's own rules; Excel writes UTF-8)."""
    if head.startswith((b"\xff\xfe", b"<\x00")):
        return "utf-16-le"
    if head.startswith((b"\xfe\xff", b"\x00<")):
        return "utf-16-be"
    return "utf-8"


def _declares_dtd(fh: Any) -> bool:
    """Whether the prolog of an XML part holds a document type declaration, however long the prolog.

    A DTD can only stand in the prolog, before the root element, among whitespace, processing
    instructions and comments. The prolog is read in chunks with constant memory: a comment of
    hundreds of megabytes is skipped without being held, and the scan stops at the root element.
    """
    head = fh.read(4)
    decoder = codecs.getincrementaldecoder(_encoding(head))(errors="replace")
    buf = decoder.decode(head).lstrip("\ufeff")
    until: str | None = None  # the end of the comment or processing instruction being skipped
    while True:
        while True:
            if until is not None:
                end = buf.find(until)
                if end < 0:
                    buf = buf[-(len(until) - 1):]  # a terminator may straddle two chunks
                    break
                buf, until = buf[end + len(until):], None
            buf = buf.lstrip()
            if len(buf) < 9:  # '<!DOCTYPE' needs 9 characters to be recognised
                break
            if buf.startswith("<?"):
                buf, until = buf[2:], "?>"
            elif buf.startswith("<!--"):
                buf, until = buf[4:], "-->"
            else:
                return buf[:9].upper() == "<!DOCTYPE"  # anything else ends the prolog
        chunk = fh.read(1 << 16)
        if not chunk:
            buf = buf.lstrip()
            return until is None and buf[:9].upper() == "<!DOCTYPE"
        buf += decoder.decode(chunk)


def _dtd_gate(zf: zipfile.ZipFile, fail: _Fail) -> None:
    """No XML part may declare a DTD: the whole prolog of every part is scanned (streaming)."""
    for info in zf.infolist():
        if info.is_dir() or not info.filename.lower().endswith(_XML_PARTS):
            continue
        try:
            with zf.open(info) as fh:
                found = _declares_dtd(fh)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError):
            continue  # damage is reported where the part is needed
        if found:
            raise fail(f"the workbook's part '{cut(info.filename)}' declares a document type (DTD). Excel never "
                       "writes one; such declarations are how 'XML bombs' attack readers. The file is not read")


def _part_size(zf: zipfile.ZipFile, name: str) -> int | None:
    try:
        return zf.getinfo(name).file_size
    except KeyError:
        return None


def _check_part_size(zf: zipfile.ZipFile, name: str, limit: int, what: str, fail: _Fail) -> None:
    """Refuse, from the zip's directory alone, a part larger than `limit` (before a byte is unpacked)."""
    size = _part_size(zf, name)
    if size is not None and size > limit:
        raise fail(f"the workbook's {what} ('{cut(name)}') is {_mb(size)}, more than the {_mb(limit)} a workbook "
                   f"of any size needs; it is not read. Copy the instance's sheets into a new workbook (Paste "
                   "Special > Values) and save that")


def _stream(zf: zipfile.ZipFile, name: str, p: Any) -> None:
    """Feed a part to an expat parser in chunks."""
    with zf.open(name) as fh:
        while True:
            chunk = fh.read(1 << 16)
            if not chunk:
                break
            p.Parse(chunk, False)
        p.Parse(b"", True)


_UNPACK_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError)


def _parse_small(zf: zipfile.ZipFile, name: str, start: Callable[[str, dict[str, str]], None]) -> bool:
    """Parse a small part with `start` called for each element; False when absent, too large or damaged."""
    size = _part_size(zf, name)
    if size is None or size > MAX_SMALL_PART_BYTES:
        return False
    try:
        _stream(zf, name, _parser(start))
    except (xml.parsers.expat.ExpatError, _Forbidden, *_UNPACK_ERRORS):
        return False
    return True


@dataclass
class _BookInfo:
    sheets: list[tuple[str, str, str | None]]  # (name, state, part path or None for a non-worksheet)
    calc_manual: bool = False
    calc_on_load: bool = False
    date1904: bool = False
    shared_strings: str | None = None  # part path
    styles: str | None = None  # part path


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
            if len(sheets) > MAX_SHEETS:
                raise _TooMany
        elif local == "calcPr":
            info.calc_manual = attrs.get("calcMode") == "manual"
            info.calc_on_load = attrs.get("fullCalcOnLoad") in ("1", "true")
        elif local == "workbookPr":
            info.date1904 = attrs.get("date1904") in ("1", "true")

    if not _parse_small(zf, part, book):  # raises _TooMany past MAX_SHEETS sheets
        return None
    folder = posixpath.dirname(part)
    rels: dict[str, tuple[str, str]] = {}

    def relations(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "Relationship":
            rels[attrs.get("Id", "")] = (attrs.get("Target", ""), attrs.get("Type", ""))

    def resolve(target: str) -> str:
        return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))

    _parse_small(zf, posixpath.join(folder, "_rels", posixpath.basename(part) + ".rels"), relations)
    for name, state, rid in sheets:
        target, kind = rels.get(rid, ("", ""))
        if not target or not kind.endswith("/worksheet"):
            info.sheets.append((name, state, None))
            continue
        info.sheets.append((name, state, resolve(target)))
    for target, kind in rels.values():
        if kind.endswith("/sharedStrings") and target:
            info.shared_strings = resolve(target)
        elif kind.endswith("/styles") and target:
            info.styles = resolve(target)
    return info


class _TooMany(Exception):
    pass


# --------------------------------------------------------------------------------------------
# styles (which cells show dates) and shared text
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Styles:
    dates: frozenset[int] = frozenset()  # style indices (a cell's s="...") that show dates or times
    durations: frozenset[int] = frozenset()  # ... that show durations ([h]:mm)


def _read_styles(zf: zipfile.ZipFile, part: str | None, fail: _Fail) -> _Styles:
    """The cell styles that show numbers as dates, from the styles part (streaming)."""
    if part is None or _part_size(zf, part) is None:
        return _Styles()
    _check_part_size(zf, part, MAX_STYLES_BYTES, "styles part (cell formats)", fail)
    from openpyxl.styles.numbers import builtin_format_code, is_date_format, is_timedelta_format

    custom: dict[int, str] = {}
    xfs: list[int] = []
    where: list[str] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "numFmt":
            try:
                custom[int(attrs.get("numFmtId", ""))] = attrs.get("formatCode", "")
            except ValueError:
                pass
        elif local == "cellXfs":
            where.append("cellXfs")
        elif local == "xf" and where:
            try:
                xfs.append(int(attrs.get("numFmtId", "0")))
            except ValueError:
                xfs.append(0)

    def end(name: str) -> None:
        if _local(name) == "cellXfs" and where:
            where.pop()

    p = _parser(start)
    p.EndElementHandler = end
    try:
        _stream(zf, part, p)
    except (xml.parsers.expat.ExpatError, _Forbidden, *_UNPACK_ERRORS):
        raise fail("the workbook's styles part (cell formats) is damaged. Open the file in Excel or LibreOffice "
                   "and save it again") from None
    dates, durations = set(), set()
    for i, fid in enumerate(xfs):
        fmt = custom.get(fid) or builtin_format_code(fid)
        if is_date_format(fmt):
            dates.add(i)
        if is_timedelta_format(fmt):
            durations.add(i)
    return _Styles(frozenset(dates), frozenset(durations))


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    """Excel's escapes of characters XML cannot hold: _x000D_ is a carriage return, _x005F_ a '_'."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


class _Text:
    """Collects the text of a string item (<si> or <is>): its <t> and its runs' <t>, not phonetic hints."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.in_t = False
        self.in_rph = 0

    def start(self, local: str) -> None:
        if local == "t" and not self.in_rph:
            self.in_t = True
        elif local == "rPh":
            self.in_rph += 1

    def end(self, local: str) -> None:
        if local == "t":
            self.in_t = False
        elif local == "rPh":
            self.in_rph -= 1

    def data(self, text: str) -> None:
        if self.in_t:
            if self.length <= MAX_TEXT_CHARS:
                self.parts.append(text)
            self.length += len(text)

    def value(self) -> Any:
        if self.length > MAX_TEXT_CHARS:
            return BadCell(f"the cell holds {self.length:,} characters of text, more than a cell can hold "
                           f"({MAX_TEXT_CHARS:,})")
        return _unescape("".join(self.parts))


def _read_shared_strings(zf: zipfile.ZipFile, part: str | None, needed: set[int], fail: _Fail) -> dict[int, Any]:
    """The shared texts the sheets refer to (only those: memory stays bounded by the cells read)."""
    if not needed:
        return {}
    if part is None or _part_size(zf, part) is None:
        raise fail("the workbook is damaged: cells refer to shared text, but the workbook holds none. Open the file "
                   "in Excel or LibreOffice and save it again")
    _check_part_size(zf, part, MAX_SHARED_STRINGS_BYTES, "shared-text part", fail)
    out: dict[int, Any] = {}
    state: dict[str, Any] = {"i": -1, "text": None}

    def start(name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "si":
            state["i"] += 1
            state["text"] = _Text() if state["i"] in needed else None
        elif state["text"] is not None:
            state["text"].start(local)

    def end(name: str) -> None:
        local = _local(name)
        t = state["text"]
        if t is None:
            return
        if local == "si":
            out[state["i"]] = t.value()
            state["text"] = None
        else:
            t.end(local)

    def data(text: str) -> None:
        t = state["text"]
        if t is not None:
            t.data(text)

    p = _parser(start)
    p.EndElementHandler = end
    p.CharacterDataHandler = data
    p.buffer_text = True
    try:
        _stream(zf, part, p)
    except (xml.parsers.expat.ExpatError, _Forbidden, *_UNPACK_ERRORS):
        raise fail("the workbook's shared-text part is damaged. Open the file in Excel or LibreOffice and save it "
                   "again") from None
    return out


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


@dataclass(frozen=True)
class _SharedRef:
    """A cell holding shared text number `index`, resolved once the shared texts are read."""

    index: int


@dataclass
class _Scan:
    """What one streaming pass over a sheet's XML found."""

    max_row: int = 0  # of cells holding a value (or a formula)
    max_col: int = 0
    values: int = 0
    elements: int = 0
    cells: dict[int, dict[int, Any]] = field(default_factory=dict)  # row -> column -> value (or BadCell)
    formulas: int = 0  # formula cells with a saved result
    first_formula: tuple[int, int] | None = None
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden_rows: list[int] = field(default_factory=list)  # hidden rows holding values (first 1000)
    hidden_cols: set[int] = field(default_factory=set)  # hidden columns (indices)
    value_cols: set[int] = field(default_factory=set)
    shared: set[int] = field(default_factory=set)  # shared texts the sheet refers to
    damage: list[tuple[int | None, int | None, str]] = field(default_factory=list)
    limit: tuple[int | None, int | None, str] | None = None


def _number_ok(text: str) -> bool:
    """What can be read as a number: a whole number unless '.', 'e' or 'E' appear (as Excel stores them)."""
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
    return "=" + cut(text.strip())


_NO_NUMBER = BadCell("the cell holds an empty number, as programs such as pandas and openpyxl write NaN (not a "
                     "number) or an infinite value: enter the number itself, or clear the cell")


class _Scanner:
    """The handlers of one expat pass over a worksheet part (see `_scan_sheet`)."""

    def __init__(self, scan: _Scan, budget: list[int], styles: _Styles, date1904: bool):
        from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel, from_ISO8601

        self.from_iso = from_ISO8601
        self.from_excel = from_excel
        self.epoch = MAC_EPOCH if date1904 else WINDOWS_EPOCH
        self.styles = styles
        self.scan = scan
        self.budget = budget  # [cells with values left, cell elements left], shared by all sheets read
        self.row = self.last_row = self.col = self.row_cells = 0
        self.row_hidden = self.in_data = self.in_cell = self.in_is = self.has_f = self.has_v = False
        self.t = "n"
        self.style = 0
        self.buf: list[str] | None = None  # where character data goes: the cell's <v> or <f>
        self.buf_len = 0
        self.vtext: list[str] = []
        self.ftext: list[str] = []
        self.inline: _Text | None = None

    def damage(self, row: int | None, col: int | None, message: str) -> None:
        self.scan.damage.append((row, col, message))
        if len(self.scan.damage) >= 20:
            raise _Stop

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = name[name.rfind("}") + 1:]
        if self.in_cell:
            if self.in_is:
                self.inline.start(local)  # type: ignore[union-attr]
            elif local == "v":
                self.has_v, self.buf = True, self.vtext
            elif local == "f":
                self.has_f, self.buf = True, self.ftext
            elif local == "is":
                self.in_is, self.inline = True, _Text()
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
            self.damage(None, None, f"a row has the invalid number '{cut(r, 20)}'")
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
                self.damage(self.row, None, f"a cell has the invalid position '{cut(ref, 20)}'")
            else:
                col = pos
        self.col = col
        if col > EXCEL_MAX_COLUMN or self.row_cells > EXCEL_MAX_COLUMN:
            self.damage(self.row, None, "a row holds more cells than Excel allows")
        style = attrs.get("s")
        self.style = 0
        if style is not None:
            if style.isdigit() and len(style) < 10:
                self.style = int(style)
            else:
                self.damage(self.row, col, f"a cell has the invalid style '{cut(style, 20)}'")
        if self.row == 0:
            self.damage(None, col, "a cell lies outside any row")
        self.in_cell = True
        self.t = attrs.get("t", "n")
        self.has_f = self.has_v = self.in_is = False
        self.buf, self.buf_len = None, 0
        self.vtext, self.ftext, self.inline = [], [], None

    def end(self, name: str) -> None:
        local = name[name.rfind("}") + 1:]
        if not self.in_cell:
            if local == "sheetData":
                self.in_data = False
            return
        if local == "c":
            self.in_cell = False
            self.end_cell()
        elif self.in_is:
            if local == "is":
                self.in_is = False
            else:
                self.inline.end(local)  # type: ignore[union-attr]
        elif local in ("v", "f"):
            self.buf = None

    def text(self, data: str) -> None:
        if self.in_is:
            self.inline.data(data)  # type: ignore[union-attr]
        elif self.buf is not None:
            if self.buf_len <= MAX_TEXT_CHARS:
                self.buf.append(data)
            self.buf_len += len(data)

    def value(self, row: int, col: int) -> Any:
        """The cell's value (None when blank); damage is reported and gives None."""
        t = self.t
        if t == "inlineStr":
            return self.inline.value() if self.inline is not None else None
        v = "".join(self.vtext)
        if not self.has_v:
            return None
        if t in ("s", "str") or not v.strip():
            if t == "s":
                if not (v.strip().isdigit() and len(v) < 12):
                    self.damage(row, col, f"the cell refers to the shared text '{cut(v, 30)}', which does not exist")
                    return None
                self.scan.shared.add(int(v))
                return _SharedRef(int(v))
            if t == "str":
                if self.buf_len > MAX_TEXT_CHARS:
                    return BadCell(f"the cell holds {self.buf_len:,} characters of text, more than a cell can hold "
                                   f"({MAX_TEXT_CHARS:,})")
                return _unescape(v) if v else None
            return None if self.has_f else _NO_NUMBER  # <v></v>: what writers make of NaN and infinity
        if t == "n":
            if not _number_ok(v):
                self.damage(row, col, f"the cell holds '{cut(v, 30)}' stored as a number, which is not one")
                return None
            x: Any = float(v) if ("." in v or "e" in v or "E" in v) else int(v)
            if self.style in self.styles.dates:
                try:
                    return self.from_excel(x, self.epoch, timedelta=self.style in self.styles.durations)
                except (OverflowError, ValueError, TypeError):
                    return BadCell(f"the cell holds {cut(v, 30)} formatted as a date, outside the range of dates "
                                   "Excel can show: format it as a number or enter a valid date")
            return x
        if t == "b":
            if v.strip() not in ("0", "1"):
                self.damage(row, col, f"the cell holds '{cut(v, 30)}' stored as TRUE/FALSE, which is neither")
                return None
            return v.strip() == "1"
        if t == "d":
            try:
                return self.from_iso(v)
            except (ValueError, TypeError, OverflowError):
                self.damage(row, col, f"the cell holds '{cut(v, 30)}' stored as a date, which is not one")
                return None
        if t == "e":
            return BadCell(f"the cell shows the Excel error {cut(v.strip(), 20)}"
                           + (" (its formula fails)" if self.has_f else "")
                           + ": correct the formula or enter the value itself")
        self.damage(row, col, f"the cell has the unknown type '{cut(t, 20)}'")
        return None

    def end_cell(self) -> None:
        scan, row, col, formula = self.scan, self.row, self.col, self.has_f
        value = self.value(row, col)
        if value is None and not formula:
            return
        if value is None:  # a formula without a result
            if self.t == "str" and self.has_v:  # its result is the empty text: a blank cell
                scan.formulas += 1
                scan.first_formula = scan.first_formula or (row, col)
                return
            ftext = "".join(self.ftext)
            shown = (f"the formula {_formula_text(ftext)}" if ftext.strip()
                     else "a formula shared with the cells above it")
            value = BadCell(
                f"the cell holds {shown} but no saved result: the workbook was written by a program that does "
                "not calculate formulas. Open it in Excel or LibreOffice and save it, or replace the formula by "
                "its value (Copy, then Paste Special > Values)")
        elif formula:
            scan.formulas += 1
            scan.first_formula = scan.first_formula or (row, col)
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
        cells = scan.cells.get(row)
        if cells is None:
            cells = scan.cells[row] = {}
        cells[col] = value
        if self.row_hidden and (not scan.hidden_rows or scan.hidden_rows[-1] != row) and len(scan.hidden_rows) < 1000:
            scan.hidden_rows.append(row)


def _scan_sheet(zf: zipfile.ZipFile, part: str, budget: list[int], styles: _Styles, date1904: bool) -> _Scan:
    """One streaming expat pass over a worksheet part, collecting its values; stopped as soon as a
    limit is exceeded."""
    scan = _Scan()
    s = _Scanner(scan, budget, styles, date1904)
    p = _parser(s.start)
    p.EndElementHandler = s.end
    p.CharacterDataHandler = s.text
    p.buffer_text = True
    try:
        _stream(zf, part, p)
    except _Stop:
        pass
    except _Forbidden:
        scan.damage.append((None, None, "the sheet declares a document type (DTD), which Excel never writes"))
    except xml.parsers.expat.ExpatError as exc:
        scan.damage.append((None, None, f"the sheet's XML is damaged ({xml.parsers.expat.ErrorString(exc.code)} "
                                        f"at line {exc.lineno})"))
    except KeyError:
        scan.damage.append((None, None, "the sheet's part is missing from the file"))
    except _UNPACK_ERRORS:
        scan.damage.append((None, None, "the sheet's compressed data is damaged and cannot be unpacked"))
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
    if isinstance(value, _dt.timedelta):
        return str(value)
    return str(value)


def _rows_of(scan: _Scan, strings: dict[int, Any]) -> tuple[dict[str, str], list[RawRow], list[tuple[int, int, str]]]:
    """Headers, rows and header problems of a scanned sheet (its shared texts resolved)."""
    headers: dict[str, str] = {}
    rows: list[RawRow] = []
    header_problems: list[tuple[int, int, str]] = []
    letters: dict[int, str] = {}
    for r in sorted(scan.cells):
        values: dict[str, Any] = {}
        for c, v in scan.cells[r].items():
            if isinstance(v, _SharedRef):
                v = strings.get(v.index)
                if v is None:
                    v = BadCell("the cell refers to shared text that the workbook does not hold (the file is "
                                "damaged): open it in Excel or LibreOffice and save it again")
            v = _clean(v)
            if v is None:
                continue
            letter = letters.get(c)
            if letter is None:
                letter = letters[c] = column_letter(c)
            values[letter] = v
        if r == 1:
            for letter, v in values.items():
                if isinstance(v, BadCell):
                    header_problems.append((1, _col_index(letter), f"the column name cannot be read: {v}"))
                    continue
                text = header_text(v)
                if text is not None:
                    headers[letter] = text
        elif values:
            rows.append(RawRow(r, values))
    scan.cells = {}  # the rows now hold the values
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
    file = display_path(path)
    if file != str(path):  # an undecodable or unprintable name: say where it is, in printable words
        file = display_path(path.absolute())
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
    try:  # parsed with DTDs refused, so it may precede the gate
        book = _book_info(zf)
    except _TooMany:
        raise fail(f"the workbook has more than {MAX_SHEETS:,} sheets; an instance has about twenty. Copy the "
                   "instance's sheets into a new workbook") from None
    if book is None:
        raise fail("the workbook cannot be opened: its table of contents (the workbook part) is missing or "
                   f"damaged. Open it in Excel or LibreOffice and save it again, or {_RESAVE}")
    wanted = [(name, state, part) for name, state, part in book.sheets
              if part is not None and (sheets is None or sheets(name))]
    # the sizes of the parts that will be unpacked, from the zip's directory, before any is
    if book.shared_strings is not None:
        _check_part_size(zf, book.shared_strings, MAX_SHARED_STRINGS_BYTES, "shared-text part", fail)
    if book.styles is not None:
        _check_part_size(zf, book.styles, MAX_STYLES_BYTES, "styles part (cell formats)", fail)
    for name, _state, part in wanted:
        size = _part_size(zf, part) or 0
        if size > MAX_SHEET_PART_BYTES:
            raise fail(f"the sheet's part is {_mb(size)}, more than the {_mb(MAX_SHEET_PART_BYTES)} that are read; "
                       "an instance needs far less: delete what lies beyond the data", sheet=name)
    _dtd_gate(zf, fail)

    # 1. sheet names Excel would refuse, part sizes, the cell formats, then a scan of every sheet read
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
            errors.append(Issue("error", f"two sheets are called '{cut(name)}' (Excel does not allow this); rename "
                                         "one in Excel", file=file, sheet=name))
        seen.setdefault(name.lower(), name)
    if errors:
        raise InstanceError(errors)
    styles = _read_styles(zf, book.styles, fail)
    scans: dict[str, _Scan] = {}
    budget = [MAX_CELLS, MAX_CELL_ELEMENTS]
    for name, _state, part in wanted:
        scan = _scan_sheet(zf, part, budget, styles, book.date1904)
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

    # 2. the shared texts the sheets refer to, then the rows
    needed: set[int] = set()
    for scan in scans.values():
        needed |= scan.shared
    strings = _read_shared_strings(zf, book.shared_strings, needed, fail)
    out: dict[str, RawSheet] = {}
    formulas = 0
    first_formula: tuple[str, int, int] | None = None
    for name, state, part in book.sheets:
        hidden = state != "visible"
        if sheets is not None and not sheets(name):
            out[name] = RawSheet(name, {}, (), hidden=hidden, read=False)
            continue
        scan = scans.get(name)
        if scan is None:  # not a worksheet (a chart sheet), or the table of contents does not lead to it
            errors.append(Issue("error", "the sheet cannot be read: the workbook's table of contents does not "
                                         "lead to its cells. Open the file in Excel or LibreOffice and save it again",
                                file=file, sheet=name))
            continue
        headers, rows, header_problems = _rows_of(scan, strings)
        for row, col, message in header_problems:
            issues.append(Issue("error", message, file=file, sheet=name, row=row, column=column_letter(col)))
        issues.extend(_sheet_notes(name, scan, headers, file))
        if scan.formulas:
            formulas += scan.formulas
            if first_formula is None and scan.first_formula is not None:
                first_formula = (name, *scan.first_formula)
        out[name] = RawSheet(name, headers, tuple(rows), hidden=hidden)
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
    tables: dict[str, list[dict[str, Any]]], name: str = "<in memory>", *, declared: bool = True
) -> RawWorkbook:
    """A `RawWorkbook` built from rows held in memory (tests, generated instances).

    Each table is a list of records; its columns are the union of the records' keys in first-seen
    order (a record of blanks only declares columns). A key a record leaves out is a blank cell.
    With `declared`, a table named like an instance sheet also gets the columns `planner.schema`
    declares for it (after its own, blank), as a written workbook has them: a record is a row,
    not a header row; `declared=False` gives exactly the records' columns (to build a sheet that
    lacks a column). Row numbers are what they would be in a written workbook (data from row 2).
    """
    sheets: dict[str, RawSheet] = {}
    digest = hashlib.sha256()
    for sheet, records in tables.items():
        names: list[str] = []
        for rec in records:
            for k in rec:
                if k not in names:
                    names.append(k)
        if declared:
            names += [n for n in _declared_columns(sheet) if n not in names]
        letters = {n: column_letter(i) for i, n in enumerate(names, start=1)}
        rows = tuple(
            RawRow(r, {letters[k]: _clean(v) for k, v in rec.items() if _clean(v) is not None})
            for r, rec in enumerate(records, start=2)
            if any(_clean(v) is not None for v in rec.values())  # a blank record only declares columns
        )
        sheets[sheet] = RawSheet(sheet, {letters[n]: n for n in names}, rows)
        digest.update(repr((sheet, records)).encode())
    return RawWorkbook(path=name, sha256=digest.hexdigest(), sheets=sheets)


def _declared_columns(sheet: str) -> list[str]:
    """The columns the schema declares for a sheet, whose header row a written workbook holds."""
    from planner import schema  # declarations only: the reader still applies no rule

    if sheet == schema.SETTINGS_SHEET:
        return [c.name for c in schema.SETTINGS_COLUMNS]
    if sheet == schema.POLICY_SHEET:
        return [c.name for c in schema.POLICY_FIXED_COLUMNS]
    spec = schema.SHEETS_BY_NAME.get(sheet)
    return [c.name for c in spec.columns] if spec is not None else []
