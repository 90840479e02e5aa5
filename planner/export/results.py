"""The results workbook: one solved case as a formatted, self-explaining Excel file.

Layout (sheet order): ``summary``, ``run_info``, one sheet per Solution table (``builds`` ...
``kpis``, then the tables families register, e.g. a new family's own table), ``sources`` and
``chart_data`` (the pivots the summary charts draw from).

Every data sheet has the same layout, which `read_results` relies on:

* row 1: instance, case and solve status; row 2: what the table is (or "none" when it is empty);
* row 3 (hidden): the original column names of the Solution table;
* row 4: the header, ``name [unit]``; data from row 5; the autofilter spans header and data.

Money columns (``*_usd``) are written in $M (value / 1e6), shares (0-1) with a percent format,
tonnes and $/t as whole numbers. Text from the input (names, partners, notes, sources) is always
written as a literal string, never as a formula.

No Pyomo here: this module reads only the pandas tables of a `Solution`.
"""

from __future__ import annotations

import math
import numbers
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.worksheet import Worksheet

from planner.errors import OutputError
from planner.export.atomic import save_workbook
from planner.export.cells import cell_text, looks_like_formula
from planner.results.labels import (
    component_key,
    component_label,
    gap_cell,
    gap_text,
    kpi_label,
    status_label,
    step_label,
)
from planner.results.labels import words as _words
from planner.results.solution import TABLES, Solution

#: data sheets in workbook order (the order the brief of the results workbook asks for)
DATA_SHEETS = (
    "builds",
    "capacity",
    "production",
    "supply",
    "localization",
    "imports",
    "shipments",
    "credits",
    "costs",
    "marginal_costs",
    "unmet",
    "kpis",
)
SHEET_ORDER = ("summary", "run_info", *DATA_SHEETS, "sources", "chart_data")
SOURCE_COLUMNS = ("item", "value", "tag", "source", "note")

# fixed layout of a data sheet (read_results depends on it)
TITLE_ROW = 1
NOTE_ROW = 2
KEY_ROW = 3
HEADER_ROW = 4
FIRST_DATA_ROW = 5

MONEY_SCALE = 1e6  # $ -> $M

FMT_T = "#,##0"
FMT_SHARE = "0.0%"
FMT_USD_PER_T = "#,##0"
FMT_MUSD = "#,##0.0"
FMT_YEAR = "0"
FMT_COUNT = "#,##0"
FMT_NUMBER = "#,##0.00"
FMT_TEXT = "@"
FMT_GENERAL = "General"
FMT_BOOL = '"TRUE";"TRUE";"FALSE"'  # LibreOffice shows a styled boolean cell as 0/1 without it
FMT_SECONDS = "0.00"

_CAPACITY_COLUMNS = {"capacity_t", "online_t", "qualified_t", "available_t"}
_SHARE_COLUMNS = {"utilization", "tariff_rate", "share"}
_COUNT_COLUMNS = {"units"}
#: table-specific headers where the generic rule would be ambiguous or unclear
_HEADERS: dict[tuple[str, str], str] = {
    ("builds", "equity_share"): "partner equity share",
    ("builds", "capex_planner_usd"): "capex, planner's share",
    ("builds", "variant_of"): "JV variant of",
    ("localization", "domestic_fta_share"): "domestic + FTA share",
    ("localization", "target_cost_usd_per_t"): "target cost (shadow price)",
    ("localization", "group"): "group (family or commodity)",
    ("supply", "input_use_t"): "used as input",
    ("shipments", "cost_usd_per_t"): "transport cost",
    ("shipments", "cost_usd"): "transport cost",
    ("credits", "total_usd"): "total credits",
    ("credits", "discounted_usd"): "total credits, discounted",
    ("costs", "discounted_usd"): "cost, discounted",
    ("marginal_costs", "discounted_usd_per_t"): "marginal cost, discounted",
    ("imports", "take_or_pay_usd"): "take-or-pay",
    ("unmet", "tonnes"): "unmet demand",
    ("unmet", "demand_t"): "total demand",
    ("kpis", "kpi"): "key (for lookups)",
    ("kpis", "note"): "what it counts",
    ("localization", "target_share"): "target",
}

#: one line per sheet: what the table is, in words a planner reads without the tool
DESCRIPTIONS: dict[str, str] = {
    "builds": "Plants in the plan (decision build, existing or committed) and candidate projects not built. "
              "Capex is overnight capex in $M; capacity in t/yr.",
    "capacity": "Online and qualified capacity by commodity, region and year [t/yr]. Qualified capacity counts "
                "ramp-up and customer qualification.",
    "production": "Output of each plant by year [t], the capacity available to deliver it and the utilization; "
                  "45X credit per tonne in $/t.",
    "supply": "Where each commodity comes from, by year [t]: plants by location, import contracts by origin, "
              "spot purchases and unmet demand.",
    "localization": "Qualifying supply as a share of demand vs the case's target, by group and year; a blank "
                    "target: the case sets none that year. Target cost = shadow price of the target [$/t of "
                    "qualifying supply].",
    "imports": "Import contracts used or signed, by year: tonnes, price [$/t], tariff and payments in $M of "
               "each year.",
    "shipments": "Shipments between regions by year [t] and their transport cost.",
    "credits": "Credits and grants received, by year, in $M of each year; 'discounted' = discounted to the "
               "base year.",
    "costs": "Cost by year and component in $M of each year and discounted to the base year; credits are "
             "negative costs.",
    "marginal_costs": "What one more tonne of cell makers' demand adds to the plan's cost, by commodity, region "
                      "and year [$/t]: the supply price there (dual of the supply balance) plus, where a "
                      "localization target covers the commodity, the cost of the extra qualifying supply the "
                      "target then requires (target share x the target's shadow price). Where a plant is exactly "
                      "at its capacity one more tonne can cost more than shown (up to the penalties). The note "
                      "names the targets included and flags prices set by the unmet-demand penalty.",
    "unmet": "Demand not met by the plan [t] (priced by the unmet-demand penalty).",
    "kpis": "Key indicators of the plan, each in the unit given ($ = dollars, share = 0-100%); the note says "
            "what each one counts.",
    "sources": "Sources of the input data, as given in the instance workbook.",
}
_EMPTY_NOTES: dict[str, str] = {
    "builds": "none: the instance has no plants or candidate projects",
    "imports": "none: no import contract is used or signed in this plan",
    "shipments": "none: no shipments between regions in this plan",
    "unmet": "none: all demand is met",
    "sources": "none: the instance lists no sources",
}

# ---------------------------------------------------------------------------------- styles
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_SECTION = Font(bold=True, size=12, color="1F3864")
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_HEADER_BORDER = Border(bottom=Side(style="thin", color="8EA9DB"))
_KEY_FONT = Font(size=8, color="808080")
_NOTE_FONT = Font(italic=True, color="595959")
_NONE_FONT = Font(italic=True, color="808080")
_LINK_FONT = Font(color="0563C1", underline="single")
_STATUS_STYLES = {
    "ok": (PatternFill("solid", fgColor="C6EFCE"), Font(bold=True, size=12, color="006100")),
    "warn": (PatternFill("solid", fgColor="FFEB9C"), Font(bold=True, size=12, color="9C5700")),
    "bad": (PatternFill("solid", fgColor="FFC7CE"), Font(bold=True, size=12, color="9C0006")),
}
_PALETTE = ("1F77B4", "FF7F0E", "2CA02C", "D62728", "9467BD", "8C564B", "E377C2", "7F7F7F", "BCBD22",
            "17BECF", "393B79", "AD494A", "637939", "CE6DBD")


# ---------------------------------------------------------------------------------- public API
def write_results(sol: Solution, path: str | Path, *, protect: tuple[str | Path, ...] = ()) -> Path:
    """Write the results workbook of `sol` to `path` atomically and return the path.

    The workbook is built in memory first, then saved to a temporary file next to `path` and renamed
    into place; on any error `path` is left as it was. `protect` lists files that must never be
    overwritten (the input workbook): writing onto one raises `OutputError`.
    """
    return save_workbook(lambda: build_workbook(sol), path, what="results workbook", protect=protect,
                         kind="results")


def read_results(path: str | Path) -> dict[str, pd.DataFrame]:
    """Read back the data tables of a results workbook: sheet name -> DataFrame.

    Returns the Solution tables (``kpis`` ... ``unmet``) and ``sources`` with their original column
    names and values; money columns are converted back from $M to $, blank text cells become "" and
    blank number cells NaN.
    """
    path = Path(path)
    try:
        wb = load_workbook(path)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, InvalidFileException) as exc:
        raise OutputError(f"cannot read {path}: {exc}") from None
    out: dict[str, pd.DataFrame] = {}
    extra = [n for n in wb.sheetnames if n not in SHEET_ORDER]  # tables registered by families
    for name in (*TABLES, *extra, "sources"):
        if name not in wb.sheetnames:
            raise OutputError(f"{path} is not a results workbook of the planner: it has no sheet '{name}'")
        df = _read_table(wb[name])
        for col in [c for c in df.columns if c.endswith("_year") or c == "year"]:
            vals = pd.to_numeric(df[col], errors="coerce")
            if ((vals.dropna() % 1) == 0).all():
                df[col] = vals.astype("Int64")  # whole years, blank where a plant is not built
        out[name] = _from_sheet(name, df)
    return out


def build_workbook(sol: Solution) -> Workbook:
    """The results workbook of `sol`, in memory (write_results saves it)."""
    wb = Workbook()
    ctx = _Context.of(sol)
    summary = wb.active
    summary.title = "summary"
    run_ws = wb.create_sheet("run_info")
    for name in DATA_SHEETS:
        ws = wb.create_sheet(name)
        df = sol.table(name) if ctx.has_plan else _empty_like(sol.table(name))
        _write_table_sheet(ws, name, df, ctx, sol.status)
    for name, df in sol.extra.items():  # tables registered by families: written the same way, units from suffixes
        ws = wb.create_sheet(name)
        _write_table_sheet(ws, name, df if ctx.has_plan else _empty_like(df), ctx, sol.status,
                           description=sol.descriptions.get(name, ""))
    sources = _sources_frame(sol.run_info.get("sources") or [])
    _write_table_sheet(wb.create_sheet("sources"), "sources", sources, ctx)
    chart_ws = wb.create_sheet("chart_data")
    charts = _write_chart_data(chart_ws, sol, ctx)
    _write_run_info(run_ws, sol, ctx)
    _write_summary(summary, sol, ctx, charts)
    return wb


# ---------------------------------------------------------------------------------- context
@dataclass(frozen=True)
class _Context:
    instance: str
    case: str
    status_line: str  # one line: proven optimal / feasible, not proven optimal, gap X% / no plan
    level: str  # ok | warn | bad
    has_plan: bool

    @classmethod
    def of(cls, sol: Solution) -> _Context:
        line, level = status_line(sol.status)
        return cls(instance=str(sol.run_info.get("instance", "") or "(unnamed instance)"), case=sol.case,
                   status_line=line, level=level, has_plan=sol.has_plan)

    @property
    def header(self) -> str:
        return f"{self.instance} · case {self.case} · {self.status_line}"


def status_line(status: dict[str, Any]) -> tuple[str, str]:
    """The plain-words solve status and its level (ok, warn, bad); the gap by the one rule of
    `planner.results.labels.gap_text`."""
    gap = _finite(status.get("gap"))
    if not status.get("has_solution"):
        what = str(status.get("status") or status.get("termination") or "no plan found")
        return f"NO PLAN: {what}", "bad"
    if status.get("proven_optimal"):
        if gap is None or gap_text(gap) == "0%":
            return "proven optimal (gap 0%)", "ok"
        return f"proven optimal within the solver's gap tolerance (gap {gap_text(gap)})", "ok"
    why = {"time_limit": "time limit reached", "interrupted": "interrupted"}.get(str(status.get("termination")), "")
    return f"feasible, not proven optimal, gap {gap_text(gap)}" + (f" ({why})" if why else ""), "warn"


def _finite(x: Any) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


# ---------------------------------------------------------------------------------- cell helpers
def _isnull(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float | np.floating):
        return bool(np.isnan(v))
    return False


def _plain(v: Any) -> Any:
    """A value openpyxl writes safely: Python scalars; NaN/None -> None; ±inf -> text."""
    if isinstance(v, np.generic):
        v = v.item()
    if _isnull(v):
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
        return _plain(float(v))
    return str(v)


def _number(v: Any) -> float | None:
    """A finite number, or None (blanks, text, booleans, ±inf)."""
    v = _plain(v)
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return float(v) if math.isfinite(float(v)) else None


def _musd(v: Any) -> float | None:
    """Dollars as $M, or None."""
    x = _number(v)
    return None if x is None else x / MONEY_SCALE


def _put(ws: Worksheet, row: int, col: int, value: Any, fmt: str | None = None, *, font: Font | None = None,
         fill: PatternFill | None = None, align: Alignment | None = None) -> Any:
    """Write one cell. Every str is a literal string (never a formula, never an error code), by the rule of
    `planner.export.cells`."""
    v = _plain(value)
    cell = ws.cell(row=row, column=col)
    if isinstance(v, str):
        v = cell_text(v) or None  # the one rule for text in a cell (planner.export.cells)
    cell.value = v
    if isinstance(v, str):
        cell.data_type = "s"  # a str starting with "=" would otherwise become a formula
        if looks_like_formula(v):
            cell.quotePrefix = True  # and stays text when edited, like text typed after an apostrophe
    elif isinstance(v, bool) and (fmt is None or fmt == FMT_GENERAL):
        fmt = FMT_BOOL
    if fmt:
        cell.number_format = fmt
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if align is not None:
        cell.alignment = align
    return cell


def _header_cell(ws: Worksheet, row: int, col: int, text: str) -> None:
    _put(ws, row, col, text, font=_HEADER_FONT, fill=_HEADER_FILL)
    ws.cell(row=row, column=col).border = _HEADER_BORDER


def _set_widths(ws: Worksheet, widths: dict[int, float]) -> None:
    for col, w in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = w


def _print_setup(ws: Worksheet, *, title_rows: str | None = None) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_LETTER
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    if title_rows:
        ws.print_title_rows = title_rows


# ---------------------------------------------------------------------------------- columns
@dataclass(frozen=True)
class _Column:
    name: str  # the Solution column name
    header: str  # shown: "name [unit]"
    kind: str  # text | number | bool | mixed
    fmt: str  # number format of the data cells
    scale: float = 1.0  # written value = value * scale


def _unit_and_format(name: str) -> tuple[str, str, str, float] | None:
    """(base name, unit, number format, scale) of a numeric column, by the naming convention."""
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


def _column(table: str, name: str, s: pd.Series) -> _Column:
    vals = [v for v in s.tolist() if not _isnull(v)]
    unit = _unit_and_format(name)
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
    if kind == "number" and unit is None and name == "value" and table == "kpis":
        unit = ("value", "", FMT_NUMBER, 1.0)
    base = _HEADERS.get((table, name))
    if kind == "number":
        b, u, fmt, scale = unit if unit is not None else (name, "", FMT_NUMBER, 1.0)
        text = base or _words(b)
        return _Column(name, f"{text} [{u}]" if u else text, kind, fmt, scale)
    fmt = {"text": FMT_TEXT, "bool": FMT_BOOL}.get(kind, FMT_GENERAL)
    return _Column(name, base or _words(name), kind, fmt)


# ---------------------------------------------------------------------------------- data sheets
def _empty_like(df: pd.DataFrame) -> pd.DataFrame:
    return df.iloc[0:0].copy()


def _sources_frame(sources: Iterable[Any]) -> pd.DataFrame:
    rows = [dict(s) if isinstance(s, dict) else {"item": s} for s in sources]
    cols = list(SOURCE_COLUMNS) + sorted({k for r in rows for k in r} - set(SOURCE_COLUMNS))
    return pd.DataFrame(rows, columns=cols)


def _empty_note(name: str, ctx: _Context, sol_status: dict[str, Any] | None = None) -> str:
    if not ctx.has_plan:
        return f"none: HiGHS found no plan ({ctx.status_line}); see the summary sheet"
    if name == "marginal_costs" and sol_status is not None:
        return f"none: marginal costs are {sol_status.get('duals') or 'unavailable'}"
    return _EMPTY_NOTES.get(name, "none")


def _to_sheet(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """What a table's sheet shows, in words where the table holds internal names (undone by `_from_sheet`):
    KPIs get an 'indicator' column in words first (their key moves to the last column, for lookups),
    cost components are named in words, and a localization 'target' of 0 (no target) is left blank."""
    if name == "kpis" and "kpi" in df.columns:
        rest = [c for c in df.columns if c != "kpi"]
        out = df[rest].copy()
        out.insert(0, "indicator", [kpi_label(k) for k in df["kpi"].tolist()])
        out["kpi"] = df["kpi"].tolist()
        return out
    if name == "costs" and "component" in df.columns and len(df):
        return df.assign(component=[component_label(c) for c in df["component"].astype(str).tolist()])
    if name == "localization" and "target_share" in df.columns and len(df):
        t = pd.to_numeric(df["target_share"], errors="coerce")
        return df.assign(target_share=t.where(t > 0))  # no target: blank, never a 0% target
    return df


def _from_sheet(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """The Solution table back from what `_to_sheet` wrote."""
    if name == "kpis" and "indicator" in df.columns:
        df = df.drop(columns=["indicator"])
        return df[["kpi", *[c for c in df.columns if c != "kpi"]]]
    if name == "costs" and "component" in df.columns and len(df):
        return df.assign(component=[component_key(c) for c in df["component"].tolist()])
    if name == "localization" and "target_share" in df.columns and len(df):
        return df.assign(target_share=pd.to_numeric(df["target_share"], errors="coerce").fillna(0.0))
    return df


def _write_table_sheet(ws: Worksheet, name: str, df: pd.DataFrame, ctx: _Context,
                       status: dict[str, Any] | None = None, *, description: str = "") -> None:
    _put(ws, TITLE_ROW, 1, ctx.header, font=_BOLD)
    df = _to_sheet(name, df)
    cols = [_column(name, c, df[c]) for c in df.columns]
    description = DESCRIPTIONS.get(name, description)
    if name == "marginal_costs" and status is not None and status.get("duals"):
        description += f" Duals: {status['duals']}."
    if df.empty:
        description = f"{description} — {_empty_note(name, ctx, status)}." if description else "none"
    _put(ws, NOTE_ROW, 1, description, font=_NOTE_FONT)
    for j, c in enumerate(cols, start=1):
        _put(ws, KEY_ROW, j, c.name, c.fmt, font=_KEY_FONT)
        _header_cell(ws, HEADER_ROW, j, c.header)
    ws.row_dimensions[KEY_ROW].hidden = True

    per_row_fmt = _kpi_formats(df) if name == "kpis" else None
    if per_row_fmt is None:
        _write_columns(ws, cols, df)
    else:
        for i, row in enumerate(df.itertuples(index=False, name=None)):
            r = FIRST_DATA_ROW + i
            for j, (c, v) in enumerate(zip(cols, row, strict=True), start=1):
                v = _plain(v)
                if c.kind == "number" and isinstance(v, int | float) and not isinstance(v, bool) and c.scale != 1.0:
                    v = v * c.scale
                fmt = per_row_fmt[i] if c.name == "value" else c.fmt
                _put(ws, r, j, v, fmt if c.kind != "text" or isinstance(v, str) else FMT_TEXT)
    last_row = HEADER_ROW + len(df)
    if df.empty:
        _put(ws, FIRST_DATA_ROW, 1, "none", font=_NONE_FONT)
    if cols:
        last_col = get_column_letter(len(cols))
        ws.auto_filter.ref = f"A{HEADER_ROW}:{last_col}{last_row}"
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=2 if len(cols) > 8 else 1)
    _autowidth(ws, cols, df, per_row_fmt)
    _print_setup(ws, title_rows=f"{HEADER_ROW}:{HEADER_ROW}")


def _column_cells(c: _Column, s: pd.Series) -> list[tuple[Any, str]]:
    """(value, openpyxl data type) for every cell of a column, prepared in bulk (what `_put` does per cell);
    the type "q" marks text that looks like a formula (written as a string with the quote-prefix flag)."""
    if c.kind == "number":
        arr = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan) * c.scale
        out: list[tuple[Any, str]] = []
        for x in arr.tolist():
            if x != x:
                out.append((None, "n"))
            elif x in (math.inf, -math.inf):
                out.append(("inf" if x > 0 else "-inf", "s"))
            else:
                out.append((x, "n"))
        return out
    out = []
    for v in s.tolist():
        v = _plain(v)
        if isinstance(v, str):
            v = cell_text(v) or None
        if v is None:
            out.append((None, "n"))
        elif isinstance(v, str):
            out.append((v, "q" if looks_like_formula(v) else "s"))  # a literal string, never a formula
        elif isinstance(v, bool):
            out.append((v, "b"))
        else:
            out.append((v, "n"))
    return out


def _write_columns(ws: Worksheet, cols: Sequence[_Column], df: pd.DataFrame) -> None:
    """Write a data table fast: values prepared per column, one number format (style) per column.

    The same result as `_put` cell by cell, at a fraction of the cost on large tables.
    """
    from copy import copy

    from openpyxl.cell.cell import Cell

    cells = ws._cells
    for j, c in enumerate(cols, start=1):
        values = _column_cells(c, df.iloc[:, j - 1])
        probe = Cell(ws, row=FIRST_DATA_ROW, column=j)
        probe.number_format = c.fmt
        style = probe._style
        bool_style = None
        for i, (v, dt) in enumerate(values):
            r = FIRST_DATA_ROW + i
            cell = Cell(ws, row=r, column=j, style_array=copy(style))
            cell._value = v
            cell.data_type = "s" if dt == "q" else dt
            if dt == "q":  # text that looks like a formula: marked as text (planner.export.cells)
                cell.quotePrefix = True
            if dt == "b" and c.fmt in (FMT_GENERAL, None):
                if bool_style is None:
                    probe.number_format = FMT_BOOL
                    bool_style = probe._style
                cell._style = copy(bool_style)
            cells[(r, j)] = cell


def _kpi_formats(df: pd.DataFrame) -> list[str]:
    out = []
    for unit in df["unit"].tolist() if "unit" in df.columns else [None] * len(df):
        out.append({"$": '"$"#,##0', "share": FMT_SHARE, "count": FMT_COUNT, "t": FMT_T}.get(
            str(unit) if not _isnull(unit) else "", FMT_NUMBER))
    return out


def _shown_width(v: Any, fmt: str) -> int:
    v = _plain(v)
    if v is None:
        return 0
    if isinstance(v, bool):
        return 5
    if isinstance(v, int | float):
        if fmt == FMT_SHARE:
            return len(f"{100 * v:.1f}%")
        if fmt == FMT_YEAR:
            return len(f"{v:.0f}")
        if fmt in (FMT_T, FMT_COUNT):  # FMT_USD_PER_T is the same format
            return len(f"{v:,.0f}")
        if fmt == FMT_MUSD:
            return len(f"{v:,.1f}")
        if "$" in fmt:
            return len(f"${v:,.0f}")
        return len(f"{v:,.2f}")
    return len(str(v))


def _autowidth(ws: Worksheet, cols: Sequence[_Column], df: pd.DataFrame, per_row_fmt: list[str] | None) -> None:
    sample = df.head(500)
    for j, c in enumerate(cols, start=1):
        width = len(c.header) + 3  # room for the filter button
        if c.name in sample.columns:
            for i, v in enumerate(sample[c.name].tolist()):
                if c.kind == "number" and isinstance(_plain(v), int | float) and not isinstance(_plain(v), bool):
                    v = _plain(v) * c.scale
                fmt = per_row_fmt[i] if per_row_fmt is not None and c.name == "value" else c.fmt
                width = max(width, _shown_width(v, fmt) + 2)
        ws.column_dimensions[get_column_letter(j)].width = min(max(width, 8), 60)


def _read_table(ws: Worksheet) -> pd.DataFrame:
    names: list[str] = []
    fmts: list[str] = []
    for cell in ws[KEY_ROW]:
        if cell.value is None:
            break
        names.append(str(cell.value))
        fmts.append(cell.number_format)
    last_row = HEADER_ROW
    if ws.auto_filter.ref:
        last_row = range_boundaries(ws.auto_filter.ref)[3]
    else:  # no autofilter (edited by hand): read down to the first blank row
        r = FIRST_DATA_ROW
        while names and any(ws.cell(row=r, column=j + 1).value is not None for j in range(len(names))):
            r += 1
        last_row = r - 1
    data: dict[str, list[Any]] = {n: [] for n in names}
    if names and last_row >= FIRST_DATA_ROW:
        for row in ws.iter_rows(min_row=FIRST_DATA_ROW, max_row=last_row, max_col=len(names), values_only=True):
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
            unit = _unit_and_format(n)
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


# ---------------------------------------------------------------------------------- chart data
@dataclass
class _Block:
    """A pivot on chart_data: header row and data rows, one series per column after the first."""

    header_row: int
    first_row: int
    last_row: int
    series: list[str]

    @property
    def empty(self) -> bool:
        return self.last_row < self.first_row or not self.series


def _years(sol: Solution) -> list[int]:
    ys: set[int] = set()
    for name in ("credits", "costs", "capacity", "localization"):
        df = sol.table(name)
        if "year" in df.columns and not df.empty:
            ys.update(int(y) for y in df["year"].dropna().tolist())
    return sorted(ys)


def _write_block(ws: Worksheet, row: int, title: str, years: list[int], columns: list[tuple[str, list[Any]]],
                 fmt: str) -> tuple[_Block, int]:
    _put(ws, row, 1, title, font=_SECTION)
    hr = row + 1
    _header_cell(ws, hr, 1, "year")
    for j, (name, _vals) in enumerate(columns, start=2):
        _header_cell(ws, hr, j, name)
    for i, y in enumerate(years):
        _put(ws, hr + 1 + i, 1, int(y), FMT_YEAR)
        for j, (_name, vals) in enumerate(columns, start=2):
            _put(ws, hr + 1 + i, j, vals[i], fmt)
    if not columns or not years:
        _put(ws, hr + 1, 1, "none", font=_NONE_FONT)
    block = _Block(hr, hr + 1, hr + len(years), [c[0] for c in columns])
    return block, hr + max(len(years), 1) + 2


def _write_chart_data(ws: Worksheet, sol: Solution, ctx: _Context) -> dict[str, _Block]:
    _put(ws, TITLE_ROW, 1, ctx.header, font=_BOLD)
    _put(ws, NOTE_ROW, 1, "Data behind the charts on the summary sheet: pivots of the capacity, localization and "
                          "costs sheets.", font=_NOTE_FONT)
    blocks: dict[str, _Block] = {}
    years = _years(sol) if ctx.has_plan else []
    row = 4

    cap = sol.capacity if ctx.has_plan else _empty_like(sol.capacity)
    cols: list[tuple[str, list[Any]]] = []
    if not cap.empty:
        piv = cap.groupby(["year", "commodity"])["qualified_t"].sum().unstack("commodity")
        piv = piv.reindex(years).fillna(0.0)
        cols = [(str(c), [float(v) for v in piv[c].tolist()]) for c in piv.columns]
    blocks["capacity"], row = _write_block(
        ws, row, "Qualified capacity by commodity [t/yr], summed over regions", years, cols, FMT_T)

    loc = sol.localization if ctx.has_plan else _empty_like(sol.localization)
    cols = []
    if not loc.empty:
        for g in list(dict.fromkeys(loc["group"].tolist())):
            sub = loc[loc["group"] == g].set_index("year")
            share = [float(sub.loc[y, "share"]) if y in sub.index else None for y in years]
            cols.append((f"{g} share", share))
            # years without a target stay blank: a 0% "target" line would be misleading
            target = [float(sub.loc[y, "target_share"]) if y in sub.index and sub.loc[y, "target_share"] > 0
                      else None for y in years]
            if any(t is not None for t in target):
                cols.append((f"{g} target", target))
    blocks["localization"], row = _write_block(
        ws, row, "Localization: qualifying share of demand and target, by group", years, cols, FMT_SHARE)

    costs = sol.costs if ctx.has_plan else _empty_like(sol.costs)
    cols = []
    if not costs.empty:
        order = list(dict.fromkeys(costs["component"].astype(str).tolist()))
        piv = costs.assign(component=costs["component"].astype(str)).pivot_table(
            index="year", columns="component", values="cost_usd", aggfunc="sum").reindex(years).fillna(0.0)
        for comp in order:
            vals = [float(v) / MONEY_SCALE for v in piv[comp].tolist()]
            if any(abs(v) > 1e-9 for v in vals):
                cols.append((component_label(comp), vals))
    blocks["costs"], row = _write_block(
        ws, row, "Cost by year and component [$M, money of each year]; credits are negative", years, cols, FMT_MUSD)

    widths: dict[int, float] = {1: 10}
    for blk in blocks.values():
        for j, name in enumerate(blk.series, start=2):
            widths[j] = max(widths.get(j, 12), len(name) + 3)
    _set_widths(ws, widths)
    _print_setup(ws)
    return blocks


def _style_series(chart: Any, colors: list[str], *, dashed: Sequence[bool] = (), markers: bool = True) -> None:
    for i, s in enumerate(chart.series):
        color = colors[i % len(colors)]
        s.smooth = False
        s.graphicalProperties.line.solidFill = color
        s.graphicalProperties.line.width = 28575  # 2.25 pt
        if i < len(dashed) and dashed[i]:
            s.graphicalProperties.line.dashStyle = "dash"
        if markers:
            s.marker.symbol = "circle"
            s.marker.size = 6
            s.marker.graphicalProperties.solidFill = color
            s.marker.graphicalProperties.line.solidFill = color


def _line_chart(ws: Worksheet, block: _Block, title: str, y_title: str, y_fmt: str) -> LineChart:
    ch = LineChart()
    ch.title = title
    ch.y_axis.title = y_title
    ch.x_axis.title = "year"
    ch.y_axis.number_format = y_fmt
    ch.x_axis.delete = False
    ch.y_axis.delete = False
    ch.legend.position = "b"
    ch.height = 7.5
    ch.width = 16
    data = Reference(ws, min_col=2, max_col=1 + len(block.series), min_row=block.header_row, max_row=block.last_row)
    ch.add_data(data, titles_from_data=True)
    ch.set_categories(Reference(ws, min_col=1, min_row=block.first_row, max_row=block.last_row))
    return ch


def _column_chart(ws: Worksheet, block: _Block, title: str, y_title: str, x_title: str, *, stacked: bool = False,
                  gap: int = 80, legend: str = "b", height: float = 9, width: float = 16) -> BarChart:
    """A column chart of `block` (categories in its first column, one series per further column),
    series coloured in palette order."""
    ch = BarChart()
    ch.type = "col"
    ch.grouping = "stacked" if stacked else "clustered"
    if stacked:
        ch.overlap = 100
    ch.gapWidth = gap
    ch.title = title
    ch.y_axis.title = y_title
    ch.x_axis.title = x_title
    ch.y_axis.number_format = "#,##0"
    ch.x_axis.delete = False
    ch.y_axis.delete = False
    ch.legend.position = legend
    ch.height = height
    ch.width = width
    data = Reference(ws, min_col=2, max_col=1 + len(block.series), min_row=block.header_row, max_row=block.last_row)
    ch.add_data(data, titles_from_data=True)
    ch.set_categories(Reference(ws, min_col=1, min_row=block.first_row, max_row=block.last_row))
    for i, s in enumerate(ch.series):
        s.graphicalProperties.solidFill = _PALETTE[i % len(_PALETTE)]
        s.graphicalProperties.line.solidFill = _PALETTE[i % len(_PALETTE)]
    return ch


def _make_charts(ws: Worksheet, blocks: dict[str, _Block]) -> list[Any]:
    charts = []
    b = blocks["capacity"]
    if not b.empty:
        ch = _line_chart(ws, b, "Qualified capacity by commodity", "t/yr (all regions)", "#,##0")
        _style_series(ch, list(_PALETTE))
        charts.append(ch)
    b = blocks["localization"]
    if not b.empty:
        ch = _line_chart(ws, b, "Localized share (solid) vs target (dashed)", "share of demand", "0%")
        ch.y_axis.scaling.min = 0
        ch.y_axis.scaling.max = 1
        colors, dashed, k = [], [], -1
        for name in b.series:
            if name.endswith(" share"):
                k += 1
            colors.append(_PALETTE[k % len(_PALETTE)])
            dashed.append(name.endswith(" target"))
        _style_series(ch, colors, dashed=dashed)
        charts.append(ch)
    b = blocks["costs"]
    if not b.empty:
        ch = _column_chart(ws, b, "Cost by year and component (credits negative)", "$M, money of each year", "year",
                           stacked=True, gap=60, legend="r")
        ch.x_axis.tickLblPos = "low"  # year labels below the negative credits, not across them
        charts.append(ch)
    return charts


# ---------------------------------------------------------------------------------- run_info
def _kv(ws: Worksheet, row: int, key: str, value: Any, fmt: str | None = None, note: str = "") -> int:
    _put(ws, row, 1, key, font=_BOLD)
    _put(ws, row, 2, value, fmt, align=Alignment(horizontal="left"))
    if note:
        _put(ws, row, 3, note, font=_NOTE_FONT)
    return row + 1


def _section(ws: Worksheet, row: int, title: str) -> int:
    _put(ws, row, 1, title, font=_SECTION)
    return row + 1


def _small_table(ws: Worksheet, row: int, headers: Sequence[str], rows: Iterable[Sequence[Any]],
                 fmts: Sequence[str | None] | None = None, empty: str = "none") -> int:
    for j, h in enumerate(headers, start=1):
        _header_cell(ws, row, j, h)
    row += 1
    n = 0
    for values in rows:
        for j, v in enumerate(values, start=1):
            _put(ws, row, j, v, fmts[j - 1] if fmts else None, align=Alignment(horizontal="left"))
        row += 1
        n += 1
    if n == 0:
        _put(ws, row, 1, empty, font=_NONE_FONT)
        row += 1
    return row


def _write_run_info(ws: Worksheet, sol: Solution, ctx: _Context) -> None:
    ri = dict(sol.run_info)
    st = dict(sol.status)
    _put(ws, TITLE_ROW, 1, ctx.header, font=_BOLD)
    _put(ws, NOTE_ROW, 1, "Exactly what was solved, how, and with which software: enough to reproduce this "
                          "workbook.", font=_NOTE_FONT)
    row = 4
    row = _section(ws, row, "Instance")
    row = _kv(ws, row, "name", ri.get("instance"))
    row = _kv(ws, row, "path", ri.get("instance_path"))
    row = _kv(ws, row, "SHA-256 of the file", ri.get("instance_sha256"))
    row += 1
    row = _section(ws, row, "Case")
    row = _kv(ws, row, "case", ri.get("case"))
    hard = ri.get("hard_targets", st.get("hard_targets"))
    row = _kv(ws, row, "hard targets", bool(hard) if hard is not None else None,
              note="TRUE: localization targets are hard constraints; FALSE: shortfalls are priced by the penalty")
    row += 1
    _put(ws, row, 1, "Policy settings of the case (policy sheet rows; blank = applies to all)", font=_NOTE_FONT)
    row += 1
    settings = ri.get("case_settings") or []
    keys = ["parameter", "year", "region", "commodity", "value"]
    keys += sorted({k for s in settings if isinstance(s, dict) for k in s} - set(keys))
    row = _small_table(ws, row, keys, ([s.get(k) for k in keys] if isinstance(s, dict) else [s] for s in settings),
                       empty="none: the case sets no policy values (defaults apply)")
    row += 1
    extends = ri.get("case_extends") or []
    row = _kv(ws, row, "extends", " -> ".join(extends) if extends else "no other case",
              note="cases whose policy values and overrides this case starts from, root first")
    _put(ws, row, 1, "Overrides that made the case (overrides sheet rows, applied in this order)", font=_NOTE_FONT)
    row += 1
    okeys = ["case", "sheet", "filter", "column", "operation", "value", "note", "row"]
    row = _small_table(ws, row, okeys, ([o.get(k) for k in okeys] for o in ri.get("case_overrides") or []),
                       empty="none: the case uses the instance's data as it is")
    row += 1
    row = _section(ws, row, "Solver")
    row = _kv(ws, row, "preset", ri.get("preset"))
    _put(ws, row, 1, "Every HiGHS option passed, and where its value came from", font=_NOTE_FONT)
    row += 1
    opts = [tuple(o) if isinstance(o, list | tuple) else (o, "", "") for o in ri.get("solver_options") or []]
    row = _small_table(ws, row, ["option", "value", "source"], opts)
    row += 1
    row = _section(ws, row, "Solve status")
    row = _kv(ws, row, "status", ctx.status_line)
    for key, fmt, note in (
        ("termination", None, ""), ("model_status", None, "as HiGHS reports it"),
        ("has_solution", None, ""), ("proven_optimal", None, ""),
        ("objective_usd", '"$"#,##0', "total discounted cost of the plan"),
        ("bound_usd", '"$"#,##0', "best lower bound HiGHS proved"),
        ("gap", "gap", "relative gap between objective and bound, rounded up to two significant digits"),
        ("wall_time_s", FMT_SECONDS, "seconds, model compile to loaded solution"),
        ("highs_time_s", FMT_SECONDS, "seconds inside HiGHS"),
        ("variables", FMT_COUNT, ""), ("integer_variables", FMT_COUNT, ""), ("constraints", FMT_COUNT, ""),
        ("nonzeros", FMT_COUNT, ""), ("duals", None, "source of the marginal costs and target costs"),
        ("hard_targets", None, ""),
    ):
        if key in st:
            value = st[key]
            if fmt == "gap":
                value, fmt = gap_cell(value)
            row = _kv(ws, row, status_label(key), value, fmt, note)
    for key in sorted(set(st) - {"termination", "model_status", "has_solution", "proven_optimal", "objective_usd",
                                 "bound_usd", "gap", "wall_time_s", "highs_time_s", "variables",
                                 "integer_variables", "constraints", "nonzeros", "duals", "hard_targets",
                                 "timings", "status"}):
        row = _kv(ws, row, status_label(key), _text_or_value(st[key]))
    row += 1
    row = _section(ws, row, "Timings [s]")
    timings = st.get("timings") or {}
    row = _small_table(ws, row, ["step", "seconds"], ((step_label(k), v) for k, v in timings.items()), [None, "0.000"])
    row += 1
    row = _section(ws, row, "Run")
    row = _kv(ws, row, "started (UTC)", ri.get("started_utc"))
    row = _kv(ws, row, "finished (UTC)", ri.get("finished_utc"))
    row = _kv(ws, row, "command", ri.get("command"))
    row += 1
    row = _section(ws, row, "Package versions")
    versions = ri.get("versions") or {}
    row = _small_table(ws, row, ["package", "version"], ((k, str(v)) for k, v in versions.items()))
    row += 1
    row = _section(ws, row, "Validation warnings")
    warnings = list(ri.get("warnings") or [])
    row = _small_table(ws, row, ["warning"], ([str(w)] for w in warnings), empty="none")
    known = {"instance", "instance_path", "instance_sha256", "case", "case_settings", "hard_targets", "preset",
             "solver_options", "versions", "started_utc", "finished_utc", "command", "warnings", "sources",
             "case_extends", "case_overrides"}
    other = sorted(set(ri) - known)
    if other:
        row += 1
        row = _section(ws, row, "Other")
        for k in other:
            row = _kv(ws, row, status_label(k), _text_or_value(ri[k]))
    _set_widths(ws, {1: 30, 2: 22, 3: 16, 4: 14, 5: 14})
    _print_setup(ws)


def _text_or_value(v: Any) -> Any:
    v2 = v.item() if isinstance(v, np.generic) else v
    if isinstance(v2, bool | int | float | str) or v2 is None:
        return v2
    return str(v2)


# ---------------------------------------------------------------------------------- summary
def _summary_kpi_value(value: Any, unit: Any) -> tuple[Any, str, str]:
    """(value, number format, unit shown) for the summary's KPI list."""
    v = _plain(value)
    u = "" if _isnull(unit) else str(unit)
    if v is None:
        return "n/a", FMT_GENERAL, u
    if not isinstance(v, int | float) or isinstance(v, bool):
        return v, FMT_GENERAL, u
    if u == "$":
        return v / MONEY_SCALE, FMT_MUSD, "$M"
    if u == "share":
        return v, FMT_SHARE, ""
    if u == "count":
        return v, FMT_COUNT, ""
    if u == "t":
        return v, FMT_T, "t"
    return v, FMT_NUMBER, u


def _write_summary(ws: Worksheet, sol: Solution, ctx: _Context, blocks: dict[str, _Block]) -> None:
    st = sol.status
    ri = sol.run_info
    _put(ws, 1, 1, f"Plan for {ctx.instance} — case '{ctx.case}'", font=_TITLE)
    fill, font = _STATUS_STYLES[ctx.level]
    _put(ws, 2, 1, f"Status: {ctx.status_line}", font=font, fill=fill)
    for j in range(2, 5):
        ws.cell(row=2, column=j).fill = fill
    row = 3
    explain = {
        "ok": "HiGHS proved that no cheaper plan exists (within the gap shown).",
        "warn": "HiGHS stopped before proving optimality: a cheaper plan may exist, by at most the gap shown. "
                "Re-run with a longer time limit before quoting this plan as optimal.",
        "bad": "There is no plan in this workbook: the tables are empty. Read the messages below.",
    }[ctx.level]
    _put(ws, row, 1, explain, font=_NOTE_FONT)
    row += 1
    if st.get("hard_targets") or ri.get("hard_targets"):
        _put(ws, row, 1, "Localization targets were hard constraints (--hard-targets).", font=_NOTE_FONT)
        row += 1
    _put(ws, row, 1, "Money in $M (millions of US dollars); 'discounted' = present value at the base year. "
                     "Tonnes are metric tonnes per year. Details on the other sheets.", font=_NOTE_FONT)
    row += 2

    if sol.messages:
        row = _section(ws, row, "Messages")
        for m in sol.messages:
            _put(ws, row, 1, m)
            row += 1
        row += 1

    row = _section(ws, row, "Solve")
    obj = _finite(st.get("objective_usd"))
    bound = _finite(st.get("bound_usd"))
    gap = _finite(st.get("gap"))
    row = _kv(ws, row, "Objective (total discounted cost) [$M]",
              obj / MONEY_SCALE if obj is not None else "n/a", FMT_MUSD + "00")
    row = _kv(ws, row, "Best bound [$M]", bound / MONEY_SCALE if bound is not None else "n/a", FMT_MUSD + "00")
    gap_value, gap_fmt = gap_cell(gap)
    row = _kv(ws, row, "Gap", gap_value if gap_value is not None else "n/a", gap_fmt,
              "rounded up to two significant digits, as everywhere")
    row = _kv(ws, row, "Wall time [s]", _finite(st.get("wall_time_s")), FMT_SECONDS)
    row = _kv(ws, row, "HiGHS time [s]", _finite(st.get("highs_time_s")), FMT_SECONDS)
    size = (f"{_int_text(st.get('variables'))} variables ({_int_text(st.get('integer_variables'))} integer), "
            f"{_int_text(st.get('constraints'))} constraints, {_int_text(st.get('nonzeros'))} nonzeros")
    row = _kv(ws, row, "Model size", size)
    row = _kv(ws, row, "Solver preset", ri.get("preset"))
    n_warn = len(ri.get("warnings") or [])
    row = _kv(ws, row, "Validation warnings", n_warn, FMT_COUNT, "see run_info" if n_warn else "")
    row += 1

    row = _section(ws, row, "Key results")
    if not ctx.has_plan:
        _put(ws, row, 1, "none: no plan", font=_NONE_FONT)
        row += 2
    else:
        for j, h in enumerate(("indicator", "value", "unit", "what it is"), start=1):
            _header_cell(ws, row, j, h)
        row += 1
        for kpi, value, unit, note in sol.kpis[["kpi", "value", "unit", "note"]].itertuples(index=False):
            v, fmt, u = _summary_kpi_value(value, unit)
            _put(ws, row, 1, kpi_label(kpi))
            _put(ws, row, 2, v, fmt)
            _put(ws, row, 3, u)
            _put(ws, row, 4, note, font=_NOTE_FONT)
            row += 1
        row += 1

        row = _section(ws, row, "Cost by component, discounted to the base year and summed over years [$M]")
        for j, h in enumerate(("component", "discounted [$M]", "money of each year [$M]"), start=1):
            _header_cell(ws, row, j, h)
        row += 1
        costs = sol.costs
        if costs.empty:
            _put(ws, row, 1, "none", font=_NONE_FONT)
            row += 1
        else:
            comp = costs["component"].astype(str)
            order = list(dict.fromkeys(comp.tolist()))
            disc = costs.groupby(comp)["discounted_usd"].sum()
            undisc = costs.groupby(comp)["cost_usd"].sum()
            for c in order:
                _put(ws, row, 1, component_label(c))
                _put(ws, row, 2, float(disc[c]) / MONEY_SCALE, FMT_MUSD)
                _put(ws, row, 3, float(undisc[c]) / MONEY_SCALE, FMT_MUSD)
                row += 1
            total = float(disc.sum())
            _put(ws, row, 1, "Total", font=_BOLD)
            _put(ws, row, 2, total / MONEY_SCALE, FMT_MUSD, font=_BOLD)
            _put(ws, row, 3, float(undisc.sum()) / MONEY_SCALE, FMT_MUSD, font=_BOLD)
            if obj is not None:
                diff = total - obj
                ok = abs(diff) <= 1e-6 * max(1.0, abs(obj)) + 1.0
                _put(ws, row, 4, "equals the objective" if ok else
                     f"differs from the objective by ${diff:,.0f}", font=_NOTE_FONT)
            row += 1
        row += 1

    row = _section(ws, row, "Plants in the plan (built, existing and committed)")
    plants = sol.builds[sol.builds["decision"].astype(str) != "not built"] if ctx.has_plan else sol.builds.iloc[0:0]
    for j, h in enumerate(("plant", "capacity [t/yr]", "decision", "details"), start=1):
        _header_cell(ws, row, j, h)
    row += 1
    if plants.empty:
        _put(ws, row, 1, "none", font=_NONE_FONT)
        row += 1
    for rec in plants.to_dict("records"):
        name = _plain(rec.get("name")) or rec.get("project")
        _put(ws, row, 1, f"{name} ({rec.get('project')})" if _plain(rec.get("name")) else name)
        _put(ws, row, 2, rec.get("capacity_t"), FMT_T)
        _put(ws, row, 3, rec.get("decision"))
        _put(ws, row, 4, _plant_details(rec))
        row += 1
    row += 1

    row = _section(ws, row, "Contents")
    for name in (*DATA_SHEETS, *sol.extra, "run_info", "sources", "chart_data"):
        cell = _put(ws, row, 1, name, font=_LINK_FONT)
        cell.hyperlink = f"#'{name}'!A1"
        _put(ws, row, 2, DESCRIPTIONS.get(name, {
            "run_info": "Instance, case settings, solver options, versions and timings of this run.",
            "chart_data": "The data behind the charts above.",
        }.get(name, sol.descriptions.get(name, ""))), font=_NOTE_FONT)
        row += 1

    _set_widths(ws, {1: 44, 2: 16, 3: 24, 4: 72, 5: 3})
    charts = _make_charts(ws.parent["chart_data"], blocks) if ctx.has_plan else []
    anchor_row = 1
    for ch in charts:
        ws.add_chart(ch, f"F{anchor_row}")
        anchor_row += 20 if isinstance(ch, BarChart) else 17
    if not charts:
        _put(ws, 1, 6, "No charts: there is no plan." if not ctx.has_plan else "No charts: no data.",
             font=_NONE_FONT)
    ws.freeze_panes = None
    _print_setup(ws)


def _int_text(v: Any) -> str:
    v = _plain(v)
    return f"{int(v):,}" if isinstance(v, int | float) and not isinstance(v, bool) else "?"


def _plant_details(rec: dict[str, Any]) -> str:
    def year(k: str) -> str:
        v = _plain(rec.get(k))
        return f"{int(v)}" if isinstance(v, int | float) and not isinstance(v, bool) else "?"

    parts = [f"{_plain(rec.get('commodity')) or '?'} at {_plain(rec.get('site')) or '?'}"]
    units = _plain(rec.get("units"))
    if isinstance(units, int | float):
        parts.append(f"{int(units)} unit{'s' if units != 1 else ''}")
    parts.append(f"start {year('start_year')}, online {year('online_year')}, qualified {year('qualified_year')}, "
                 f"retires {year('retire_year')}")
    capex = _plain(rec.get("capex_usd"))
    if isinstance(capex, int | float) and capex:
        parts.append(f"capex ${capex / MONEY_SCALE:,.1f}M")
    partner = _plain(rec.get("partner"))
    if partner:
        share = _plain(rec.get("equity_share"))
        parts.append(f"JV with {partner}" + (f" ({share:.0%} partner equity)" if isinstance(share, float) else ""))
    grant = _plain(rec.get("grant_usd"))
    if isinstance(grant, int | float) and grant:
        parts.append(f"grant ${grant / MONEY_SCALE:,.1f}M")
    c48 = _plain(rec.get("credit_48c_usd"))
    if isinstance(c48, int | float) and c48:
        parts.append(f"48C ${c48 / MONEY_SCALE:,.1f}M")
    return " · ".join(parts)


__all__ = ["build_workbook", "read_results", "status_line", "write_results", "SHEET_ORDER", "DATA_SHEETS"]
