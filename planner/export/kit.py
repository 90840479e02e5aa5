"""The one kit that writes every output workbook (results, comparison, explanation).

A workbook module says *what* its sheets hold; this module says *how* a sheet is written, once:

* **values** (`put`): text by the one rule of `planner.export.cells` (never a formula: written as a
  string, with the quote-prefix flag when it starts like one; the writer itself is told that text
  never becomes a formula, a number or a link); NaN and None blank (or ``n/a``); ±inf as text;
  booleans shown TRUE/FALSE in Excel and LibreOffice alike; numpy scalars as Python numbers.
* **styles** (`Style`): fonts, fills, borders, alignment and number format as one value; the named
  styles below (`TITLE`, `HEADER`, `NOTE`, ...) are the only look a workbook has.
* **tables** (`Table` of `Column`): each column described once — label in words, unit (shown as
  ``label [unit]``), number format, scale, width, note (a comment on its header) — and written with a
  shaded header, optional hidden key row, autofilter, frozen panes, fitted widths and wrapped text.
  `tidy_columns` derives the columns of a tidy table from its column names (``*_usd`` in $M,
  ``*_t`` in t, ``*_share`` in %, ...), and `read_tidy` reads such a sheet back.
* **charts** (`Chart` of `Series`, data drawn from a `Block`): kind, series, categories, titles, axis
  labels, size and placement as data; written as native Excel charts.
* **the sheet head** (`Sheet.head`): row 1 instance, case and status; row 2 what the sheet shows;
  row 3 a status line (failed cases, failed re-solves), wrapped across the sheet.
* **provenance** (`provenance`): the run-info sheet of every workbook, from sections described as
  data (`Section` of `Pair` and `Grid`).
* **printing** (`Sheet.finish`, called for every sheet): US Letter, fitted to the page width,
  landscape when the sheet is wide, the table header repeated on every page; a sheet marked
  `one_page` (the decision sheet) prints whole on one landscape page, its charts included.

The writer is XlsxWriter (see docs/dependencies.md: faster than openpyxl for the same workbooks, native
charts, and a workbook-wide "text is never a formula" option); openpyxl stays the reader. The workbook
is built in memory and written atomically (`Book.save`, `planner.export.atomic`), carrying the planner's
mark in its document properties. Rows and columns are numbered from 1, as in a spreadsheet.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from itertools import repeat
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from planner.errors import OutputError
from planner.export.atomic import MARK_PROPERTY, save_workbook
from planner.export.cells import cell_text, looks_like_formula
from planner.results import labels
from planner.results.labels import words

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

# ---------------------------------------------------------------------------------- layout of a sheet
TITLE_ROW = 1  # instance, case (or comparison) and solve status
NOTE_ROW = 2  # what the sheet shows
STATUS_ROW = 3  # failed cases or re-solves (comparison, explanation); the hidden key row (results)
HEADER_ROW = 4  # the header of a sheet's main table
FIRST_DATA_ROW = 5

MAX_ROWS = 1_048_576  # rows of a sheet (Excel's limit)
DEFAULT_WIDTH = 8.43  # width of a column nobody set, in characters
ROW_CM = 0.53  # height of a default row (15 pt)
CHARS_PER_WIDTH = 1.15  # characters of running text per unit of column width (Calibri 11)
WIDE = 110.0  # a sheet wider than this (in characters) is printed landscape
MAX_WRAPPED_ROWS = 5_000  # a tidy table longer than this keeps one line per row (written column by column)

# ---------------------------------------------------------------------------------- number formats
# money and shares by the one precision rule of planner.results.labels ($M with one decimal, % with one)
FMT_T = labels.FMT_T
FMT_SHARE = labels.FMT_SHARE
FMT_USD_PER_T = labels.FMT_T
FMT_MUSD = labels.FMT_MUSD  # a value in $M
FMT_USD_AS_MUSD = labels.FMT_USD_AS_MUSD  # a value in $, shown in $M
FMT_USD = '"$"#,##0'  # whole dollars (the solver's objective and bound on run_info)
FMT_YEAR = "0"
FMT_COUNT = "#,##0"
FMT_NUMBER = "#,##0.00"
FMT_SECONDS = "0.00"
FMT_TEXT = "@"
FMT_GENERAL = "General"
FMT_BOOL = '"TRUE";"TRUE";"FALSE"'  # LibreOffice shows a styled boolean cell as 0/1 without it
#: formats of values that are not numbers (a column with one of these is a text, mixed or boolean column)
NOT_NUMBER = (FMT_TEXT, FMT_GENERAL, FMT_BOOL)

MONEY_SCALE = labels.MONEY_UNIT  # $ -> $M
NA = "n/a"
PALETTE = ("1F77B4", "FF7F0E", "2CA02C", "D62728", "9467BD", "8C564B", "E377C2", "7F7F7F", "BCBD22",
           "17BECF", "393B79", "AD494A", "637939", "CE6DBD")


# ---------------------------------------------------------------------------------- styles
@dataclass(frozen=True)
class Style:
    """The look of a cell. Fields left None take the value of the style it is laid over (`a | b`: b wins)."""

    bold: bool | None = None
    italic: bool | None = None
    size: float | None = None
    color: str | None = None  # RGB hex, 'C00000'
    underline: bool | None = None
    fill: str | None = None  # solid background, RGB hex
    border: str | None = None  # thin bottom border of this colour
    halign: str | None = None  # left | center | right
    valign: str | None = None  # top | center | bottom
    wrap: bool | None = None
    indent: int | None = None
    fmt: str | None = None  # number format
    quote: bool | None = None  # text marked as text (quote prefix): set by `put` for formula-like text

    def __or__(self, other: Style | None) -> Style:
        return self if other is None else _merge(self, other)

    @property
    def font_size(self) -> float:
        return float(self.size or 11)

    @property
    def chars_per_width(self) -> float:
        """Characters of running text per unit of column width in this style (bold text is wider)."""
        return CHARS_PER_WIDTH * (0.9 if self.bold else 1.0) * 11.0 / self.font_size


@lru_cache(maxsize=4096)
def _merge(a: Style, b: Style) -> Style:
    return Style(**{f.name: (getattr(b, f.name) if getattr(b, f.name) is not None else getattr(a, f.name))
                    for f in fields(Style)})


PLAIN = Style()
BOLD = Style(bold=True)
TITLE = Style(bold=True, size=14)
SECTION = Style(bold=True, size=12, color="1F3864")
HEADER = Style(bold=True, fill="D9E1F2", border="8EA9DB", wrap=True, valign="top")
KEY = Style(size=8, color="808080")
NOTE = Style(italic=True, color="595959")
NONE = Style(italic=True, color="808080")  # "none: ..." where a table has no rows
LINK = Style(color="0563C1", underline=True)
NA_STYLE = Style(italic=True, color="808080", halign="right")
FAILED = Style(italic=True, bold=True, color="9C0006")
WARN_NOTE = Style(italic=True, color="9C5700")
RED = Style(color="9C0006")
WRAP = Style(wrap=True, valign="top")
STATUS = {  # the status line of a summary: fill and font by level
    "ok": Style(fill="C6EFCE", bold=True, size=12, color="006100"),
    "warn": Style(fill="FFEB9C", bold=True, size=12, color="9C5700"),
    "bad": Style(fill="FFC7CE", bold=True, size=12, color="9C0006"),
}
#: the third head row (failed cases, failed re-solves) by level
STATUS_LINE = {"ok": NOTE, "warn": WARN_NOTE, "bad": FAILED}


# ---------------------------------------------------------------------------------- values
def isnull(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float | np.floating):
        return bool(np.isnan(v))
    return False


def plain(v: Any) -> Any:
    """A value a cell holds: Python scalars; NaN/None -> None; ±inf -> text."""
    if isinstance(v, np.generic):
        v = v.item()
    if isnull(v):
        return None
    if isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        return plain(float(v))
    return str(v)


def is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def number(v: Any) -> float | None:
    """A finite number, or None (blanks, text, booleans, ±inf)."""
    v = plain(v)
    if not is_number(v):
        return None
    return float(v) if math.isfinite(float(v)) else None


finite = labels.finite  # `x` as a finite float, or None (the one rule, shared with the text of numbers)


def musd(v: Any) -> float | None:
    """Dollars as $M, or None."""
    x = number(v)
    return None if x is None else x / MONEY_SCALE


def text_or_value(v: Any) -> Any:
    """A scalar as it is; anything else as its text."""
    v2 = v.item() if isinstance(v, np.generic) else v
    if isinstance(v2, bool | int | float | str) or v2 is None:
        return v2
    return str(v2)


class Styled(NamedTuple):
    """A value with a style of its own (laid over its column's style) and an optional link, for a table's
    records and a grid's rows."""

    value: Any
    style: Style | None = None
    link: str | None = None


def _unstyled(v: Any) -> tuple[Any, Style | None, str | None]:
    return (v.value, v.style, v.link) if isinstance(v, Styled) else (v, None, None)


def shown_width(v: Any, fmt: str | None) -> int:
    """Characters a value takes when shown with number format `fmt`."""
    v = plain(v)
    if v is None:
        return 0
    if isinstance(v, bool):
        return 5
    if is_number(v):
        fmt = fmt or FMT_GENERAL
        if fmt == FMT_YEAR:
            return len(f"{v:.0f}")
        if fmt in (FMT_T, FMT_COUNT):
            return len(f"{v:,.0f}")
        if fmt == FMT_MUSD:
            return len(labels.number_text(v, labels.MONEY_DECIMALS))
        if fmt == FMT_USD_AS_MUSD:
            return len(labels.musd_text(v))
        if "%" in fmt:
            return len(labels.share_text(v))
        if "$" in fmt:
            return len(f"${v:,.0f}")
        places = len(fmt.rsplit(".", 1)[1].split(";")[0]) if "." in fmt else 2
        return len(f"{v:,.{min(places, 6)}f}")
    return max((len(line) for line in str(v).split("\n")), default=0)


def lines(text: str, width: float) -> int:
    """Lines a text takes when wrapped at word boundaries in `width` characters."""
    total = 0
    for para in str(text).split("\n"):
        n, used = 1, 0
        for word in para.split():
            if used and used + 1 + len(word) > width:
                n, used = n + 1, len(word)
            else:
                used += (1 if used else 0) + len(word)
            while used > width:  # a word longer than the column
                n, used = n + 1, used - int(width)
        total += n
    return max(1, total)


def _height(n_lines: int, size: float) -> float:
    return math.ceil(n_lines * size * 1.35) + 2


def cm(width_chars: float) -> float:
    """On-screen width of a column in cm (Calibri 11: 7 px per character + 5 px padding, 96 dpi)."""
    return (width_chars * 7 + 5) / 37.8


def rows_for(height_cm: float) -> int:
    """Default rows a chart of `height_cm` covers, and a blank row under it."""
    return math.ceil(height_cm / ROW_CM) + 2


# ---------------------------------------------------------------------------------- columns and tables
@dataclass(frozen=True)
class Column:
    """One column of a table, described once.

    `key`: the record's field (or the frame's column); `label`: words shown in the header, followed
    by `unit` in brackets; `fmt`: number format of the data (None: text); `scale`: written value =
    value x scale (dollars as $M: 1e-6); `width`: exact width, or None to fit the header and the data
    within `min_width`..`max_width`; `note`: what the column means (a comment on its header);
    `wrap`: wrap the text (rows grow to fit); `span`: sheet columns the cell is merged across;
    `align`: horizontal alignment; `na`: a blank reads 'n/a'; `kind`: number | text | bool | mixed
    (by default number when `fmt` is a number format, else text)."""

    key: str
    label: str
    unit: str = ""
    fmt: str | None = None
    scale: float = 1.0
    width: float | None = None
    min_width: float = 8
    max_width: float = 60
    note: str = ""
    wrap: bool = False
    span: int = 1
    align: str | None = None
    na: bool = False
    kind: str = ""

    @property
    def header(self) -> str:
        return f"{self.label} [{self.unit}]" if self.unit else self.label

    @property
    def is_number(self) -> bool:
        return (self.kind or ("number" if self.fmt is not None and self.fmt not in NOT_NUMBER else "text")) \
            == "number"

    @property
    def data_style(self) -> Style:
        fmt = self.fmt or (FMT_GENERAL if self.kind == "mixed" else FMT_TEXT)
        return Style(fmt=fmt, halign=self.align, wrap=self.wrap or None, valign="top" if self.wrap else None)


@dataclass(frozen=True)
class Table:
    """How a table sits on its sheet: its columns, what an empty table says, whether it has an autofilter,
    how many leading columns stay in view (`freeze`), whether its header repeats on printed pages and
    whether a hidden key row above the header holds each column's key and number format (`keys`,
    for reading the sheet back: `read_tidy`)."""

    columns: tuple[Column, ...]
    empty: str = "none"
    filter: bool = False
    freeze: int | None = None
    repeat_header: bool = False
    keys: bool = False


class Placed(NamedTuple):
    """Where a table landed: header row, first and last data row (last < first: no rows), next free row."""

    header_row: int
    first_row: int
    last_row: int
    next_row: int


#: numeric columns whose unit the suffix rule cannot tell
_CAPACITY_COLUMNS = {"capacity_t", "online_t", "qualified_t", "available_t"}
_SHARE_COLUMNS = {"utilization", "tariff_rate", "share"}
_COUNT_COLUMNS = {"units"}


def suffix_unit(name: str) -> tuple[str, str, str, float] | None:
    """(label key, unit, number format, scale) of a numeric column by the naming convention of the
    Solution tables (`planner.results.solution`): ``*_usd`` $M, ``*_usd_per_t`` $/t, ``*_t`` t (t/yr for
    capacities), ``*_share`` %, ``year``/``*_year``; None when the name tells nothing."""
    if name.endswith("_usd_per_t"):
        return name[: -len("_usd_per_t")], "$/t", FMT_USD_PER_T, 1.0
    if name.endswith("_usd"):
        return name[: -len("_usd")], "$M", FMT_MUSD, 1.0 / MONEY_SCALE
    if name.endswith("_t"):
        return name[:-2], ("t/yr" if name in _CAPACITY_COLUMNS else "t"), FMT_T, 1.0
    if name == "tonnes":
        return "quantity", "t", FMT_T, 1.0
    if name.endswith("_share") or name in _SHARE_COLUMNS:
        return name, "%", FMT_SHARE, 1.0
    if name == "year" or name.endswith("_year"):
        return name, "", FMT_YEAR, 1.0
    if name in _COUNT_COLUMNS:
        return name, "", FMT_COUNT, 1.0
    return None


def tidy_column(name: str, s: pd.Series, *, label: str | None = None) -> Column:
    """The column of a tidy table: kind from its values, unit, format and scale from its name's suffix
    (`suffix_unit`), label in words (`label` overrides the words of its name)."""
    unit = suffix_unit(name)
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        vals: list[Any] = [0.0] if s.notna().any() else []  # numbers, no need to look at each
    else:
        vals = [v for v in s.tolist() if not isnull(v)]
    if pd.api.types.is_bool_dtype(s.dtype) or (vals and all(isinstance(v, bool | np.bool_) for v in vals)):
        kind = "bool"
    elif vals and all(isinstance(v, str) for v in vals):
        kind = "text"
    elif vals and all(isinstance(v, numbers.Number) and not isinstance(v, bool | np.bool_) for v in vals):
        kind = "number"
    elif vals:
        kind = "mixed"
    elif pd.api.types.is_numeric_dtype(s.dtype) or unit is not None:
        kind = "number"
    elif isinstance(s.dtype, pd.StringDtype):
        kind = "text"
    else:  # no values to tell (all None): written and read back as they are
        kind = "mixed"
    if kind == "number":
        key, u, fmt, scale = unit if unit is not None else (name, "", FMT_NUMBER, 1.0)
        return Column(name, label or words(key), u, fmt, scale, kind="number")
    fmt = {"text": FMT_TEXT, "bool": FMT_BOOL}.get(kind, FMT_GENERAL)
    return Column(name, label or words(name), "", fmt, kind=kind)


def tidy_columns(df: pd.DataFrame, labels: Mapping[str, str] | None = None) -> tuple[Column, ...]:
    """The columns of a tidy table by the suffix rule; `labels` gives words where the rule would be unclear."""
    labels = labels or {}
    return tuple(tidy_column(c, df[c], label=labels.get(c)) for c in df.columns)


def read_tidy(ws: Worksheet) -> pd.DataFrame:
    """Read back a table written with `Table(keys=True)` under the sheet head (openpyxl worksheet):
    original column names from the hidden key row, values unscaled by the suffix rule, text columns as
    text (blank: ""), others as stored."""
    key_row, first = STATUS_ROW, FIRST_DATA_ROW
    names: list[str] = []
    fmts: list[str] = []
    for cell in ws[key_row]:
        if cell.value is None:
            break
        names.append(str(cell.value))
        fmts.append(cell.number_format)
    if ws.auto_filter.ref:
        from openpyxl.utils import range_boundaries

        last_row = range_boundaries(ws.auto_filter.ref)[3]
    else:  # no autofilter (edited by hand): read down to the first blank row
        r = first
        while names and any(ws.cell(row=r, column=j + 1).value is not None for j in range(len(names))):
            r += 1
        last_row = r - 1
    data: dict[str, list[Any]] = {n: [] for n in names}
    if names and last_row >= first:
        for row in ws.iter_rows(min_row=first, max_row=last_row, max_col=len(names), values_only=True):
            for n, v in zip(names, row, strict=False):
                data[n].append(v)
    out: dict[str, Any] = {}
    for n, fmt in zip(names, fmts, strict=True):
        vals = data[n]
        if fmt == FMT_TEXT:
            out[n] = ["" if v is None else str(v) for v in vals]
        elif fmt in (FMT_GENERAL, FMT_BOOL):  # booleans and mixed columns: as stored
            out[n] = vals
        else:
            unit = suffix_unit(n)
            scale = unit[3] if unit is not None else 1.0
            if scale != 1.0:
                out[n] = [_to_float(v) / scale for v in vals]
            elif all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
                out[n] = list(vals)
            else:
                out[n] = [_to_float(v) for v in vals]
    return pd.DataFrame(out, columns=names)


def _to_float(v: Any) -> float:
    if v is None:
        return math.nan
    if isinstance(v, str):
        s = v.strip().lower()
        if s in ("inf", "+inf", "-inf"):
            return -math.inf if s.startswith("-") else math.inf
        try:
            return float(s)
        except ValueError:
            return math.nan
    return float(v)


# ---------------------------------------------------------------------------------- charts
class Ref(NamedTuple):
    """A range of a sheet: rows r1..r2, columns c1..c2 (from 1)."""

    sheet: str
    r1: int
    c1: int
    r2: int
    c2: int

    def xl(self) -> list[Any]:
        return [self.sheet, self.r1 - 1, self.c1 - 1, self.r2 - 1, self.c2 - 1]


@dataclass(frozen=True)
class Series:
    """One series of a chart: its name (a cell, or text), values and categories (x values of a scatter
    chart), colour, dashes, markers; `visible` False draws nothing (the invisible base of a waterfall or
    a timeline bar); `labels` shows each value on the chart."""

    name: Ref | str
    values: Ref
    categories: Ref
    color: str | None = None
    dashed: bool = False
    markers: bool = True
    visible: bool = True
    labels: bool = False
    label_format: str | None = None


@dataclass(frozen=True)
class Chart:
    """A native chart, described as data.

    `kind`: line | column (vertical bars) | bar (horizontal bars) | area | scatter (x-y points joined by
    straight lines: a step curve); `category_title`/`value_title`: axis labels; `value_format`: number
    format of the value axis; `value_min`/`value_max`: its range; `stacked`: stacked columns, bars or
    areas; `gap`: gap between bar groups (% of a bar); `legend`: bottom | right | None; size in cm;
    `top_down`: the first category at the top (bar charts); `labels_low`: category labels below
    negative values; `lines`: series drawn as lines over the chart, on the same axes (a target over
    stacked areas); `x_format`, `x_min`, `x_max`: the x axis of a scatter chart."""

    kind: str
    title: str
    series: tuple[Series, ...]
    category_title: str = ""
    value_title: str = ""
    value_format: str = "#,##0"
    value_min: float | None = None
    value_max: float | None = None
    stacked: bool = False
    gap: int | None = None
    legend: str | None = "bottom"
    width_cm: float = 16.0
    height_cm: float = 7.5
    top_down: bool = False
    labels_low: bool = False
    lines: tuple[Series, ...] = ()
    x_format: str | None = None
    x_min: float | None = None
    x_max: float | None = None
    category_format: str | None = None
    scatter_lines: bool = True


@dataclass(frozen=True)
class Block:
    """Data a chart draws from: a header row, then one row per category; the categories in column
    `cat_col`, one series per column of `series` ((column, name) pairs)."""

    sheet: str
    header_row: int
    first_row: int
    last_row: int
    cat_col: int
    series: tuple[tuple[int, str], ...]

    @property
    def empty(self) -> bool:
        return self.last_row < self.first_row or not self.series

    @property
    def names(self) -> list[str]:
        return [n for _c, n in self.series]

    def chart_series(self, colors: Sequence[str] = PALETTE, dashed: Sequence[bool] = (),
                     markers: bool = True) -> tuple[Series, ...]:
        """A series per data column, coloured in order (cycling through `colors`), dashed where `dashed` says."""
        cats = Ref(self.sheet, self.first_row, self.cat_col, self.last_row, self.cat_col)
        return tuple(Series(Ref(self.sheet, self.header_row, c, self.header_row, c),
                            Ref(self.sheet, self.first_row, c, self.last_row, c), cats,
                            colors[i % len(colors)] if colors else None, i < len(dashed) and dashed[i], markers)
                     for i, (c, _n) in enumerate(self.series))


def _series_options(s: Series, kind: str, chart: Chart) -> dict[str, Any]:
    """XlsxWriter's options of one series drawn as `kind`."""
    d: dict[str, Any] = {"values": s.values.xl(), "categories": s.categories.xl(),
                         "name": [s.name.sheet, s.name.r1 - 1, s.name.c1 - 1] if isinstance(s.name, Ref) else s.name}
    color = "#" + s.color if s.color else None
    if not s.visible:
        d["fill"] = {"none": True}
        d["border"] = {"none": True}
        if kind in ("line", "scatter"):
            d["line"] = {"none": True}
            d["marker"] = {"type": "none"}
    elif kind in ("line", "scatter"):
        d["line"] = {"width": 2.25, "dash_type": "dash" if s.dashed else "solid", **({"color": color} if color else {})}
        d["marker"] = ({"type": "circle", "size": 6, **({"fill": {"color": color}, "border": {"color": color}}
                                                        if color else {})} if s.markers else {"type": "none"})
        if kind == "line":
            d["smooth"] = False
    else:
        if color:
            d["fill"] = {"color": color}
            d["border"] = {"color": color}
    if kind == "scatter" and not chart.scatter_lines and s.visible:  # points only
        d["line"] = {"none": True}
        d["marker"] = {"type": "circle", "size": 7, **({"fill": {"color": color}, "border": {"color": color}}
                                                       if color else {})}
    if kind in ("column", "bar"):
        if chart.gap is not None:
            d["gap"] = chart.gap
        if chart.stacked:
            d["overlap"] = 100
    if s.labels and s.visible:
        d["data_labels"] = {"value": True, **({"num_format": s.label_format} if s.label_format else {}),
                            "font": {"size": 8}}
    return d


def _chart_options(chart: Chart) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    """XlsxWriter's options of a chart: (type, series, category axis, value axis)."""
    kind = {"line": "line", "column": "column", "bar": "bar", "area": "area", "scatter": "scatter"}[chart.kind]
    head: dict[str, Any] = {"type": kind}
    if chart.stacked and kind in ("column", "bar", "area"):
        head["subtype"] = "stacked"
    if kind == "scatter":
        head["subtype"] = "straight"
    series = [_series_options(s, kind, chart) for s in chart.series]
    small = {"size": 10, "bold": False}
    cat: dict[str, Any] = {"name": chart.category_title, "name_font": small} if chart.category_title else {}
    if chart.labels_low:
        cat["label_position"] = "low"
    if chart.category_format:
        cat["num_format"] = chart.category_format
    if kind == "scatter":
        cat["major_gridlines"] = {"visible": True, "line": {"color": "#D9D9D9"}}
    if chart.top_down:
        cat["reverse"] = True
        cat["crossing"] = "max"  # the value axis below the bars, not above them
    if kind == "scatter":
        if chart.x_format:
            cat["num_format"] = chart.x_format
        if chart.x_min is not None:
            cat["min"] = chart.x_min
        if chart.x_max is not None:
            cat["max"] = chart.x_max
    val: dict[str, Any] = {"num_format": chart.value_format,
                           "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}}
    if chart.value_title:
        val.update(name=chart.value_title, name_font=small)
    if chart.value_min is not None:
        val["min"] = chart.value_min
    if chart.value_max is not None:
        val["max"] = chart.value_max
    return head, series, cat, val


def _px(cm_: float) -> int:
    return int(round(cm_ / 2.54 * 96))


# ---------------------------------------------------------------------------------- the book
_WORKBOOK_OPTIONS = {
    "in_memory": True,  # every part in memory: nothing in TMPDIR, nothing half-written (planner.export.atomic)
    "strings_to_formulas": False,  # the one rule, workbook-wide: text never becomes a formula ...
    "strings_to_numbers": False,  # ... nor a number ...
    "strings_to_urls": False,  # ... nor a link
}


class Book:
    """A workbook being written, in memory. `sheet(name)` adds a sheet (in workbook order); `save` writes it."""

    def __init__(self, title: str = "") -> None:
        import xlsxwriter

        self._buf = BytesIO()
        self._wb = xlsxwriter.Workbook(self._buf, dict(_WORKBOOK_OPTIONS))
        self._sheets: dict[str, Sheet] = {}
        self._formats: dict[Style, Any] = {}
        self.title = title

    @property
    def sheetnames(self) -> list[str]:
        return list(self._sheets)

    def sheet(self, name: str) -> Sheet:
        """Add a sheet after the others."""
        if name in self._sheets:
            raise ValueError(f"the workbook already has a sheet '{name}'")
        s = Sheet(self, name, self._wb.add_worksheet(name))
        self._sheets[name] = s
        return s

    def __getitem__(self, name: str) -> Sheet:
        return self._sheets[name]

    def __contains__(self, name: object) -> bool:
        return name in self._sheets

    def __iter__(self) -> Any:
        return iter(self._sheets.values())

    def format(self, style: Style | None) -> Any:
        """The writer's format of a style (one per distinct style)."""
        style = style or PLAIN
        f = self._formats.get(style)
        if f is None:
            f = self._formats[style] = self._wb.add_format(_format_props(style))
        return f

    def to_bytes(self, kind: str) -> bytes:
        """The .xlsx file, marked as the planner's output of `kind` (results, comparison, explanation)."""
        for s in self._sheets.values():
            s.finish()
        self._wb.set_properties({"title": self.title, "author": "Active Materials Planner",
                                 "comments": f"planner {kind} workbook"})
        self._wb.set_custom_property(MARK_PROPERTY, kind)  # what the overwrite rule reads (atomic.written_by_planner)
        self._wb.close()
        return self._buf.getvalue()


def save(build: Callable[[], Book], path: str | Path, *, what: str, kind: str,
         protect: tuple[str | Path, ...] = ()) -> Path:
    """Build a workbook with `build()` and write it to `path` atomically; return the path.

    The name is checked before anything is built; the workbook is built and serialised in memory, then
    written to a temporary file next to `path` and renamed into place, so on any error `path` is left as
    it was. `what` names the workbook in messages; `kind` goes into the planner's mark; `protect` lists
    files never to overwrite (the input workbook)."""
    return save_workbook(lambda: build().to_bytes(kind), path, what=what, protect=protect)


def _format_props(s: Style) -> dict[str, Any]:
    p: dict[str, Any] = {}
    if s.bold:
        p["bold"] = True
    if s.italic:
        p["italic"] = True
    if s.size:
        p["font_size"] = s.size
    if s.color:
        p["font_color"] = "#" + s.color
    if s.underline:
        p["underline"] = 1
    if s.fill:
        p["pattern"] = 1
        p["bg_color"] = "#" + s.fill
    if s.border:
        p["bottom"] = 1
        p["bottom_color"] = "#" + s.border
    if s.halign:
        p["align"] = s.halign
    p["valign"] = {"center": "vcenter"}.get(s.valign or "top", s.valign or "top")  # rows that grow read from the top
    if s.wrap:
        p["text_wrap"] = True
    if s.indent:
        p["indent"] = s.indent
    if s.fmt:
        p["num_format"] = s.fmt
    if s.quote:
        p["quote_prefix"] = True
    return p


def _link_url(target: str, text: str) -> Any:
    """A hyperlink showing `text`: '#sheet!A1' inside the workbook, else a file (relative, or a file URI)
    kept as given.

    XlsxWriter would turn '/' into '\\' in a file link (a Windows path); a relative link stays a URI
    reference with '/' so that it resolves wherever the workbooks are opened."""
    from xlsxwriter.url import Url

    if target.startswith("#"):
        url = Url("internal:" + target[1:])
    else:
        url = Url("external:" + target)
        url._link = url._relationship_link = target  # noqa: SLF001 - see the docstring
    url.text = text
    return url


# ---------------------------------------------------------------------------------- a sheet
class Sheet:
    """One sheet of a `Book`: cells, tables, charts and the sheet's layout."""

    def __init__(self, book: Book, name: str, ws: Any) -> None:
        self.book = book
        self.name = name
        self._ws = ws
        self._cells: dict[tuple[int, int], tuple[Any, Style | None]] = {}  # free-standing cells (not bulk tables)
        self._widths: dict[int, float] = {}
        self._fitted: set[int] = set()
        self._heights: dict[int, float] = {}
        self._hidden: set[int] = set()
        self._merged: set[tuple[int, int]] = set()
        self._breaks: list[int] = []
        self._head: tuple[int, ...] = ()  # head rows wrapped across the sheet when it is finished
        self.charts: list[Chart] = []
        self.max_row = 0
        self.max_col = 0
        self._chart_right = 0.0  # right edge of the rightmost chart, cm
        self._chart_bottom = 0  # last row a chart covers
        self._chart_last_col = 0  # last column a chart reaches into
        self._finished = False
        self.one_page = False  # printed on one page, whole (`one_page()`)

    # ------------------------------------------------------------------ cells
    def put(self, row: int, col: int, value: Any, style: Style | None = None, *, link: str | None = None,
            na: bool = False) -> None:
        """Write one cell. Text is written as text by the one rule (`planner.export.cells`); with
        `na`, a blank reads 'n/a'; `link`: '#sheet!A1' or a file."""
        v = plain(value)
        if isinstance(v, str):
            v = cell_text(v) or None
        if v is None and na:
            v, style = NA, NA_STYLE | _only_layout(style)
        if isinstance(v, bool) and (style is None or style.fmt in (None, FMT_GENERAL)):
            style = (style or PLAIN) | Style(fmt=FMT_BOOL)
        if isinstance(v, str) and looks_like_formula(v):
            style = (style or PLAIN) | Style(quote=True)  # stays text when edited, like text after an apostrophe
        self._cells[(row, col)] = (v, style)
        self.max_row = max(self.max_row, row)
        self.max_col = max(self.max_col, col)
        self._write(row, col, v, style, link)

    def _write(self, row: int, col: int, v: Any, style: Style | None, link: str | None = None) -> None:
        ws, fmt, r, c = self._ws, self.book.format(style), row - 1, col - 1
        if link is not None:
            ws.write_url(r, c, _link_url(link, "" if v is None else str(v)), fmt)
        elif v is None:
            if style is not None:
                ws.write_blank(r, c, None, fmt)
        elif isinstance(v, str):
            ws.write_string(r, c, v, fmt)
        elif isinstance(v, bool):
            ws.write_boolean(r, c, v, fmt)
        elif is_number(v):
            ws.write_number(r, c, v, fmt)
        else:  # a datetime
            ws.write_datetime(r, c, v, self.book.format((style or PLAIN) | Style(fmt=style.fmt if style and style.fmt
                                                                                   else "yyyy-mm-dd hh:mm:ss")))

    def value(self, row: int, col: int) -> Any:
        """What `put` wrote at a cell (None for a cell of a bulk table or a blank one)."""
        return self._cells.get((row, col), (None, None))[0]

    def style(self, row: int, col: int) -> Style | None:
        return self._cells.get((row, col), (None, None))[1]

    def restyle(self, row: int, col: int, style: Style) -> None:
        """Lay `style` over a cell written with `put`."""
        v, s = self._cells.get((row, col), (None, None))
        new = (s or PLAIN) | style
        self._cells[(row, col)] = (v, new)
        self._write(row, col, v, new)

    def header(self, row: int, col: int, text: str, style: Style | None = None) -> None:
        """A header cell (bold, shaded, a line under it)."""
        self.put(row, col, text, HEADER | style)

    # ------------------------------------------------------------------ layout
    def widths(self, widths: Mapping[int, float]) -> None:
        """Set column widths (characters)."""
        for col, w in widths.items():
            self._widths[col] = float(w)
            self._fitted.discard(col)
            self._ws.set_column(col - 1, col - 1, float(w))

    def width(self, col: int) -> float:
        return self._widths.get(col, DEFAULT_WIDTH)

    def _fit_width(self, col: int, w: float) -> None:
        """A width fitted to a table's content: the widest of the tables in that column wins."""
        if col in self._widths and col not in self._fitted:
            return  # set explicitly
        w = max(w, self._widths.get(col, 0.0)) if col in self._fitted else w
        self._widths[col] = w
        self._fitted.add(col)
        self._ws.set_column(col - 1, col - 1, w)

    def height(self, row: int, points: float) -> None:
        """Make a row at least `points` tall."""
        h = max(points, self._heights.get(row, 0.0))
        self._heights[row] = h
        self._ws.set_row(row - 1, h, None, {"hidden": row in self._hidden})

    def hide_column(self, col: int) -> None:
        """Hide a column (its cells stay, for lookups and for reading the sheet back)."""
        self._ws.set_column(col - 1, col - 1, self.width(col), None, {"hidden": True})

    def hide_row(self, row: int) -> None:
        self._hidden.add(row)
        self._ws.set_row(row - 1, self._heights.get(row), None, {"hidden": True})

    def freeze(self, row: int, col: int = 1) -> None:
        """Keep the rows above `row` and the columns left of `col` in view."""
        self._ws.freeze_panes(row - 1, col - 1)

    def autofilter(self, r1: int, c1: int, r2: int, c2: int) -> None:
        self._ws.autofilter(r1 - 1, c1 - 1, max(r1, r2) - 1, c2 - 1)

    def repeat_rows(self, first: int, last: int | None = None) -> None:
        """Print these rows at the top of every page."""
        self._ws.repeat_rows(first - 1, (last or first) - 1)

    def page_break(self, before_row: int) -> None:
        """Printed: a new page starts at `before_row`."""
        self._breaks.append(before_row - 1)

    def merge(self, row: int, first: int, last: int, style: Style | None = None) -> None:
        """Merge the cells of `row` from column `first` to `last`; the merged cell keeps the first cell's value."""
        if last <= first or (row, first) in self._merged:
            return
        v, s = self._cells.get((row, first), (None, None))
        s = (s or PLAIN) | style
        self._cells[(row, first)] = (v, s)
        self._merged.add((row, first))
        self._ws.merge_range(row - 1, first - 1, row - 1, last - 1, "", self.book.format(s))
        self._write(row, first, v, s)  # merge_range writes a blank string; the value as `put` wrote it

    def wrap(self, row: int, first: int, last: int) -> None:
        """Merge a text cell to the right up to column `last` and wrap it; the row grows to its lines."""
        v = self.value(row, first)
        if not isinstance(v, str):
            return
        style = self.style(row, first) or PLAIN
        total = sum(self.width(j) for j in range(first, last + 1))
        n = lines(v, max(8.0, total * style.chars_per_width - 2))
        if last > first:
            self.merge(row, first, last, WRAP)
        else:
            self.restyle(row, first, WRAP)
        self.height(row, _height(n, style.font_size))

    def fit_height(self, row: int, cols: Iterable[int], spans: Iterable[int] | None = None) -> None:
        """Make `row` as tall as its tallest wrapped text among `cols` (each `spans` columns wide, merged)."""
        n = 1
        size = 11.0
        for j, span in zip(cols, spans if spans is not None else repeat(1)):
            v = self.value(row, j)
            if isinstance(v, str):
                s = self.style(row, j) or PLAIN
                width = sum(self.width(k) for k in range(j, j + span))
                n = max(n, lines(v, width * s.chars_per_width - 1))
                size = max(size, s.font_size)
        self.height(row, _height(n, size))

    # ------------------------------------------------------------------ blocks of text
    def head(self, line: str, description: str, status: str | None = None, level: str = "ok") -> None:
        """The sheet head: row 1 what was solved (instance, case, status), row 2 what the sheet shows,
        row 3 (when given) a status line (failed cases, failed re-solves) styled by `level`. Rows 2 and 3
        are wrapped across the sheet's columns when it is finished."""
        self.put(TITLE_ROW, 1, line, BOLD)
        self.put(NOTE_ROW, 1, description, NOTE)
        head = [NOTE_ROW]
        if status:
            self.put(STATUS_ROW, 1, status, STATUS_LINE.get(level, NOTE))
            head.append(STATUS_ROW)
        self._head = tuple(head)

    def section(self, row: int, title: str) -> int:
        """A section title; returns the next row."""
        self.put(row, 1, title, SECTION)
        return row + 1

    def note(self, row: int, text: str, *, last_col: int | None = None, style: Style = NOTE) -> int:
        """A note in column A, wrapped across to `last_col` (when given); returns the next row."""
        self.put(row, 1, text, style)
        if last_col is not None:
            self.wrap(row, 1, last_col)
        return row + 1

    def pair(self, row: int, key: str, value: Any, fmt: str | None = None, note: str = "") -> int:
        """A labelled value (bold label, value left-aligned, an optional note); returns the next row."""
        self.put(row, 1, key, BOLD)
        self.put(row, 2, value, Style(fmt=fmt, halign="left"))
        if note:
            self.put(row, 3, note, NOTE)
        return row + 1

    def grid(self, row: int, headers: Sequence[str], rows: Iterable[Sequence[Any]],
             fmts: Sequence[str | None] | None = None, empty: str = "none") -> int:
        """A small table of values, left-aligned under a header row; returns the next row."""
        for j, h in enumerate(headers, start=1):
            self.header(row, j, h)
        row += 1
        n = 0
        for values in rows:
            for j, v in enumerate(values, start=1):
                v, own, link = _unstyled(v)
                self.put(row, j, v, Style(fmt=fmts[j - 1] if fmts else None, halign="left") | own, link=link)
            row += 1
            n += 1
        if n == 0:
            self.put(row, 1, empty, NONE)
            row += 1
        return row

    # ------------------------------------------------------------------ tables
    def table(self, row: int, spec: Table, data: pd.DataFrame | Sequence[Any], *,
              row_style: Callable[[Any], Style | None] | None = None, col: int = 1) -> Placed:
        """Write a table with its header on `row` (below the key row when `spec.keys`).

        `data`: a DataFrame or records (mappings by column key, or sequences in column order); a value
        may be `Styled` to carry a style of its own; `row_style(record)` styles a whole row."""
        cols = spec.columns
        starts, j = [], col
        for c in cols:
            starts.append(j)
            j += c.span
        last_col = j - 1
        n = len(data)
        header_row = row + 1 if spec.keys else row
        first = header_row + 1
        if first + n > MAX_ROWS:
            raise OutputError(f"the table of sheet '{self.name}' has {n:,} rows; a sheet holds at most {MAX_ROWS:,}")
        frame = data if isinstance(data, pd.DataFrame) else None
        records = None if frame is not None else list(data)
        self._fit_columns(cols, starts, frame, records)
        if spec.keys:
            for j, c in zip(starts, cols, strict=True):
                self.put(row, j, c.key, KEY | Style(fmt=c.data_style.fmt))
            self.hide_row(row)
        for j, c in zip(starts, cols, strict=True):
            self.header(header_row, j, c.header)
            for k in range(j + 1, j + c.span):
                self.header(header_row, k, None)
            if c.span > 1:
                self.merge(header_row, j, j + c.span - 1)
            if c.note:
                self._ws.write_comment(header_row - 1, j - 1, cell_text(c.note),
                                       {"x_scale": 2.5, "y_scale": 1.5, "visible": False})
        self.fit_height(header_row, starts, [c.span for c in cols])
        if n == 0:
            self.put(first, col, spec.empty, NONE)
        elif frame is not None and row_style is None and not any(c.wrap or c.span > 1 for c in cols):
            self._columns_fast(first, cols, starts, frame)
        else:
            self._rows(first, cols, starts, records if records is not None else frame.to_dict("records"),  # type: ignore[union-attr]
                       row_style)
        last = first + n - 1
        self.max_row = max(self.max_row, last, header_row)
        self.max_col = max(self.max_col, last_col)
        if spec.filter:
            self.autofilter(header_row, col, max(last, header_row), last_col)
        if spec.freeze is not None:
            self.freeze(first, col + spec.freeze)
        if spec.repeat_header:
            self.repeat_rows(header_row)
        return Placed(header_row, first, last, (last if n else first) + 1)

    def _fit_columns(self, cols: Sequence[Column], starts: Sequence[int], frame: pd.DataFrame | None,
                     records: list[Any] | None) -> None:
        """Each column's width: its own when set, else fitted to its header and (a sample of) its data."""
        sample_frame = frame.head(500) if frame is not None else None
        sample = (records or [])[:500]
        for i, (j, c) in enumerate(zip(starts, cols, strict=True)):
            if c.span > 1:  # a merged cell takes the widths of the columns under it
                continue
            if c.width is not None:
                self._fit_width(j, c.width)
                continue
            words_ = c.header.split()
            # the header may wrap to two lines; its longest word and the filter button must fit
            w = max(max((len(x) for x in words_), default=0), math.ceil(len(c.header) / 2)) + 3
            if sample_frame is not None:
                vals: Iterable[Any] = _widest_candidates(sample_frame[c.key] if c.key in sample_frame.columns
                                                         else sample_frame.iloc[:, i])
            else:
                vals = (_field(r, c.key, i) for r in sample)
            for v in vals:
                v, style, _link = _unstyled(v)
                v = plain(v)
                fmt = (style.fmt if style is not None and style.fmt else None) or c.fmt
                if is_number(v) and c.is_number:
                    v = v * c.scale
                if v is None and c.na:
                    v = NA
                w = max(w, shown_width(v, fmt) + 2)
            self._fit_width(j, min(max(w, c.min_width), c.max_width))

    def _rows(self, first: int, cols: Sequence[Column], starts: Sequence[int], records: Iterable[Any],
              row_style: Callable[[Any], Style | None] | None) -> None:
        wraps = [(j, c) for j, c in zip(starts, cols, strict=True) if c.wrap]
        for r, rec in enumerate(records, start=first):
            rs = row_style(rec) if row_style is not None else None
            for i, (j, c) in enumerate(zip(starts, cols, strict=True)):
                v, own, link = _unstyled(_field(rec, c.key, i))
                v = plain(v)
                if is_number(v) and c.is_number:
                    v = v * c.scale
                style = c.data_style | rs | own
                if isinstance(v, str) and style.fmt not in (FMT_TEXT, FMT_GENERAL):
                    style = style | Style(fmt=FMT_TEXT)
                self.put(r, j, v, style, na=c.na, link=link)
                if c.span > 1:
                    self.merge(r, j, j + c.span - 1)
            if wraps:
                self.fit_height(r, [j for j, _c in wraps], [c.span for _j, c in wraps])

    def _columns_fast(self, first: int, cols: Sequence[Column], starts: Sequence[int], df: pd.DataFrame) -> None:
        """A DataFrame column by column, one style per column: the same cells `_rows` writes, fast."""
        ws = self._ws
        for i, (j, c) in enumerate(zip(starts, cols, strict=True)):
            s = df[c.key] if c.key in df.columns else df.iloc[:, i]
            style = c.data_style
            fmt = self.book.format(style)
            c0 = j - 1
            if c.is_number:
                arr = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan) * c.scale
                put_n, blank = ws.write_number, ws.write_blank
                for r, x in enumerate(arr.tolist(), start=first - 1):
                    if x != x:  # blank, formatted like its column (a value typed in later shows as the others)
                        if c.na:
                            self.put(r + 1, j, None, style, na=True)
                        else:
                            blank(r, c0, None, fmt)
                    elif x in (math.inf, -math.inf):
                        self.put(r + 1, j, x, style | Style(fmt=FMT_TEXT))  # 'inf', as `_rows` writes it
                    else:
                        put_n(r, c0, x, fmt)
                continue
            quoted = None
            bool_fmt = None
            put_s = ws.write_string
            texts: dict[str, str | None] = {}  # each distinct text made safe once (a column repeats its names)
            for r, v in enumerate(s.tolist(), start=first - 1):
                if isinstance(v, str):
                    t = texts.get(v, "")
                    if t == "":
                        t = texts[v] = cell_text(v) or None
                    v = t
                else:
                    v = plain(v)
                if v is None:
                    if c.na:
                        self.put(r + 1, j, None, style, na=True)
                    continue
                if isinstance(v, str):
                    if looks_like_formula(v):  # marked as text (planner.export.cells)
                        quoted = quoted or self.book.format(style | Style(quote=True))
                        put_s(r, c0, v, quoted)
                    else:
                        put_s(r, c0, v, fmt)
                elif isinstance(v, bool):
                    if style.fmt in (None, FMT_GENERAL):
                        bool_fmt = bool_fmt or self.book.format(style | Style(fmt=FMT_BOOL))
                        ws.write_boolean(r, c0, v, bool_fmt)
                    else:
                        ws.write_boolean(r, c0, v, fmt)
                elif is_number(v):
                    ws.write_number(r, c0, v, fmt)
                else:
                    self.put(r + 1, j, v, style)

    # ------------------------------------------------------------------ charts
    def block(self, row: int, title: str, categories: tuple[str, Sequence[Any], str | None],
              columns: Sequence[tuple[str, Sequence[Any]]], fmt: str) -> tuple[Block, int]:
        """Chart data: a title, a header row (categories' header, then a name per column) and one row per
        category; returns the block and the next free row (after a blank one)."""
        head, cats, cat_fmt = categories
        self.put(row, 1, title, SECTION)
        hr = row + 1
        self.header(hr, 1, head)
        for j, (name, _vals) in enumerate(columns, start=2):
            self.header(hr, j, name)
        for i, cat in enumerate(cats):
            self.put(hr + 1 + i, 1, cat, Style(fmt=cat_fmt) if cat_fmt else None)
            for j, (_name, vals) in enumerate(columns, start=2):
                self.put(hr + 1 + i, j, vals[i], Style(fmt=fmt))
        if not columns or not cats:
            self.put(hr + 1, 1, "none", NONE)
        block = Block(self.name, hr, hr + 1, hr + len(cats), 1, tuple((j, n) for j, (n, _v) in
                                                                       enumerate(columns, start=2)))
        return block, hr + max(len(cats), 1) + 2

    def chart(self, chart: Chart, row: int, col: int = 1) -> None:
        """Place a chart with its top-left corner at a cell."""
        head, series, cat, val = _chart_options(chart)
        xc = self.book._wb.add_chart(head)  # noqa: SLF001 - the book's writer
        for s in series:
            xc.add_series(s)
        xc.set_title({"name": chart.title, "name_font": {"size": 12, "bold": True}})
        if chart.kind == "bar":  # XlsxWriter: a bar chart's x axis is the horizontal (value) axis
            xc.set_x_axis(val)
            xc.set_y_axis(cat)
        else:
            xc.set_x_axis(cat)
            xc.set_y_axis(val)
        if chart.lines:  # lines over the chart, on its axes (a target over stacked areas)
            over = self.book._wb.add_chart({"type": "line"})  # noqa: SLF001
            for s in chart.lines:
                over.add_series(_series_options(s, "line", chart))
            xc.combine(over)
        hidden = [i for i, s in enumerate((*chart.series, *chart.lines)) if not s.visible]
        legend: dict[str, Any] = {"position": chart.legend} if chart.legend else {"none": True}
        if chart.legend and hidden:
            legend["delete_series"] = hidden  # an invisible base has no entry in the legend
        xc.set_legend(legend)
        xc.set_size({"width": _px(chart.width_cm), "height": _px(chart.height_cm)})
        self._ws.insert_chart(row - 1, col - 1, xc, {"object_position": 1})
        self.charts.append(chart)
        self._chart_right = max(self._chart_right, self._left_cm(col) + chart.width_cm)
        self._chart_bottom = max(self._chart_bottom, row - 1 + rows_for(chart.height_cm) - 2 + 1)
        self._chart_last_col = max(self._chart_last_col, self.column_at(self._left_cm(col) + chart.width_cm, col))

    def _left_cm(self, col: int) -> float:
        return sum(cm(self.width(j)) for j in range(1, col))

    def column_at(self, left_cm: float, start: int = 1) -> int:
        """The first column whose left edge is at or past `left_cm` from the sheet's left edge."""
        left = 0.0
        for j in range(1, 200):
            if left >= left_cm and j >= start:
                return j
            left += cm(self.width(j))
        return 200

    # ------------------------------------------------------------------ finishing
    def finish(self) -> None:
        """Wrap the head rows across the sheet's columns; set up printing: US Letter, fitted to the page
        width, landscape when the sheet (with its charts) is wide."""
        if self._finished:
            return
        self._finished = True
        if self._head:
            last = max(self.max_col, 1)
            for r in self._head:
                self.wrap(r, 1, last)
        ws = self._ws
        used = sum(self.width(j) for j in range(1, max(self.max_col, 1) + 1))
        wide = used > WIDE or self._chart_right > cm(WIDE) or self.one_page
        if wide:
            ws.set_landscape()
        else:
            ws.set_portrait()
        ws.set_paper(1)  # US Letter
        if self.one_page:  # the sheet with its charts, whole, on one page
            ws.fit_to_pages(1, 1)
            ws.print_area(0, 0, max(self.max_row, self._chart_bottom) - 1,
                          max(self.max_col, self._chart_last_col) - 1)
        else:
            ws.fit_to_pages(1, 0)  # one page wide, as many tall as it takes
        ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
        if self._breaks:
            ws.set_h_pagebreaks(sorted(set(self._breaks)))


def _only_layout(style: Style | None) -> Style | None:
    """The fill and alignment of a style, without its font (an 'n/a' keeps its row's shading)."""
    if style is None:
        return None
    return Style(fill=style.fill, valign=style.valign, halign=style.halign or "right")


def _widest_candidates(s: pd.Series) -> list[Any]:
    """The values of a column among which its widest shown value lies: of numbers, the largest and the
    smallest (and a blank and ±inf if there are any), since a number's text with a fixed number of
    decimals only grows with its size on either side of zero; of anything else, each distinct value
    once. The values themselves, so that each is shown exactly as the table shows it."""
    if s.dtype.kind in "iuf":
        arr = s.to_numpy(dtype=float, na_value=np.nan)
        ok = np.isfinite(arr)
        picks = {int(np.argmax(np.where(ok, arr, -np.inf))), int(np.argmin(np.where(ok, arr, np.inf)))} \
            if ok.any() else set()
        for odd in (np.isnan(arr), arr == np.inf, arr == -np.inf):  # a blank (n/a where the column says so), ±inf
            picks |= {int(k) for k in np.flatnonzero(odd)[:1]}
        return s.iloc[sorted(picks)].tolist()
    values = s.tolist()
    try:
        return list(dict.fromkeys(values))
    except TypeError:  # unhashable values: each one
        return values


def _field(rec: Any, key: str, i: int) -> Any:
    if isinstance(rec, Mapping):
        return rec.get(key)
    return rec[i] if i < len(rec) else None


# ---------------------------------------------------------------------------------- a tidy table's sheet
def tidy_sheet(sheet: Sheet, df: pd.DataFrame, *, line: str, description: str,
               labels: Mapping[str, str] | None = None, empty: str = "none",
               formats: Mapping[str, Sequence[str]] | None = None) -> Placed:
    """A sheet holding one tidy table, the way every data sheet of the results workbook is written:

    the head (row 1 `line`, row 2 `description`, or `description — empty` when the table has no
    rows); row 3, hidden, the original column names with each column's number format (what
    `read_tidy` reads back); row 4 the header in words with units (``capex [$M]``); data from row 5
    under an autofilter, frozen below the header (and right of the first column when the table is
    wide), the header repeated on printed pages. Units, formats and scales come from the column names
    (`tidy_columns`); `labels` gives words where the names would be unclear; `formats` gives a number
    format per row for named columns (a KPI's value)."""
    cols = tidy_columns(df, labels)
    if 0 < len(df) <= MAX_WRAPPED_ROWS:  # long texts wrap in their column (a long table keeps one line a row)
        long = {c.key for c in cols if c.kind == "text" and
                df[c.key].head(500).map(lambda v: isinstance(v, str) and len(v) > c.max_width).any()}
        cols = tuple(replace(c, wrap=True, width=c.max_width) if c.key in long else c for c in cols)
    if df.empty:
        description = f"{description} — {empty}." if description else "none"
    sheet.head(line, description)
    data: pd.DataFrame | list[dict[str, Any]] = df
    if formats and len(df):
        data = df.to_dict("records")
        for name, fmts in formats.items():
            for rec, fmt in zip(data, fmts, strict=True):
                rec[name] = Styled(rec[name], Style(fmt=fmt))
    spec = Table(cols, empty="none", filter=True, freeze=1 if len(cols) > 8 else 0, repeat_header=True, keys=True)
    return sheet.table(STATUS_ROW, spec, data)


# ---------------------------------------------------------------------------------- provenance
@dataclass(frozen=True)
class Pair:
    """A labelled value of a provenance section."""

    label: str
    value: Any
    fmt: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Grid:
    """A small table of a provenance section, with an optional line above it."""

    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    fmts: tuple[str | None, ...] | None = None
    empty: str = "none"
    intro: str = ""


@dataclass(frozen=True)
class Section:
    title: str
    parts: tuple[Pair | Grid, ...] = field(default_factory=tuple)


def provenance(sheet: Sheet, line: str, description: str, *, instance: tuple[Any, Any, Any],
               sections: Sequence[Section], versions: Mapping[str, Any], warnings: Sequence[Any] | None = None,
               status: str | None = None, level: str = "ok") -> None:
    """The run-info sheet of every workbook: the head, the instance (name, path, SHA-256 of the file),
    the workbook's own sections (case, solver, status, timings, cases of a comparison ...), the package
    versions and, when given, the validation warnings. Enough to reproduce the workbook."""
    sheet.head(line, description, status, level)
    row = HEADER_ROW + 1 if status else HEADER_ROW
    name, path, sha = instance
    all_sections = [Section("Instance", (Pair("name", name), Pair("path", path), Pair("SHA-256 of the file", sha))),
                    *sections,
                    Section("Package versions", (Grid(("package", "version"),
                                                      tuple((k, str(v)) for k, v in versions.items())),))]
    if warnings is not None:
        all_sections.append(Section("Validation warnings", (Grid(("warning",), tuple((str(w),) for w in warnings)),)))
    widths: dict[int, float] = {1: 30.0}
    for k, sec in enumerate(all_sections):
        if k:
            row += 1
        row = sheet.section(row, sec.title)
        for part in sec.parts:
            if isinstance(part, Pair):
                row = sheet.pair(row, part.label, part.value, part.fmt, part.note)
                if part.note:  # the value must not be hidden by its note
                    widths[2] = max(widths.get(2, 0.0), min(40.0, shown_width(plain(part.value), part.fmt) + 2))
            else:
                if part.intro:
                    row = sheet.note(row, part.intro)
                row = sheet.grid(row, part.headers, part.rows, part.fmts, part.empty)
                for j, h in enumerate(part.headers, start=1):
                    w = max([len(h) + 2, *(shown_width(plain(_unstyled(r[j - 1])[0]),
                                                       part.fmts[j - 1] if part.fmts else None) + 2
                                           for r in part.rows[:200] if j - 1 < len(r))])
                    widths[j] = max(widths.get(j, 0.0), min(w, 50.0 if j > 1 else 40.0))
    sheet.widths({j: max(w, 12.0) for j, w in widths.items()})

