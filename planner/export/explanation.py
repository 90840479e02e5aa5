"""The workbook of `planner explain`: the plan's results workbook plus sheets that explain the plan.

The question it answers: *why this plan, and what does it cost to insist on the localization
targets?* A planner who must defend a plan reads, in plain words, what each target costs, why each
candidate plant is or is not built, and why demand or a target is short.

Layout (sheet order): ``summary`` (of the results workbook), then the explanation sheets
``findings``, ``target_costs``, ``marginal_chart``, ``candidates``, ``shortfalls`` and
``how_computed``, then every other sheet of the results workbook (``run_info``, ``builds`` ...
``kpis``, ``sources``, ``chart_data``) exactly as `planner solve` writes them.

Every explanation sheet starts like the results workbook's sheets: row 1 the instance, case and
solve status; row 2 what the sheet shows; row 3 the re-solves that failed (when any did).
Table sheets (``target_costs``, ``shortfalls``) put their header on row 4 and data from row 5,
with frozen panes and an autofilter; the data behind each chart sits below the tables, outside the
autofilter, so filtering a table never hides a chart's data.

Money is written in $M (value / 1e6), shares (0-1) with a percent format, tonnes and $/t as whole
numbers, $/kWh with four decimals. Text from the input (project names, sites, notes, failure
reasons) is always a literal string, never a formula: the cell writer, formats, styles and chart
helpers are those of the results workbook (`planner.export.results`). No Pyomo here: this module
reads only the pandas tables of an `Explanation` and its `Solution`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from planner.explain.analysis import Explanation
from planner.export.atomic import save_workbook
from planner.export.results import (
    _column_chart,
    _musd,
    _number,
    _BOLD,
    _LINK_FONT,
    _NONE_FONT,
    _NOTE_FONT,
    _PALETTE,
    _STATUS_STYLES,
    _TITLE,
    FMT_COUNT,
    FMT_MUSD,
    FMT_SHARE,
    FMT_T,
    FMT_TEXT,
    FMT_USD_PER_T,
    FMT_YEAR,
    MONEY_SCALE,
    _Block,
    _Context,
    _header_cell,
    _isnull,
    _line_chart,
    _plain,
    _print_setup,
    _put,
    _section,
    _set_widths,
    _shown_width,
    _style_series,
    _write_block,
    build_workbook,
)

#: the explanation sheets, placed right after the results workbook's summary
EXPLANATION_SHEETS = ("findings", "target_costs", "marginal_chart", "candidates", "shortfalls", "how_computed")

TITLE_ROW = 1
NOTE_ROW = 2
FAILURES_ROW = 3
HEADER_ROW = 4
FIRST_DATA_ROW = 5

NA = "n/a"
FMT_MUSD2 = "#,##0.00"  # premiums and values are differences between two plans: keep the cents of a $M
FMT_KWH = "#,##0.0000"
MAX_BARS = 15  # bars per candidate chart
MAX_FINDINGS_SHOWN = 60

DESCRIPTIONS: dict[str, str] = {
    "findings": "Why this plan, in plain words: the top findings of the explanation, the cost of all localization "
                "targets and the re-solves that failed. Every figure is computed on the sheets named here; how "
                "each is computed: how_computed.",
    "target_costs": "What each localization target costs: the shadow price of the target in the plan, per t of "
                    "qualifying supply and per kWh of cells. Binding = the target constrains the plan (a price "
                    "above 0); a missed target is priced at the localization penalty (settings).",
    "marginal_chart": "What one more tonne of each commodity would cost the plan, year by year: the marginal "
                      "supply cost of the marginal_costs sheet, charted for the region that takes most of the "
                      "commodity.",
    "candidates": "Why each candidate plant is or is not built. Not built: the premium, i.e. how much the plan's "
                  "cost rises when the candidate is forced in (the support it would need to be chosen). Built: "
                  "its value, i.e. how much the cost rises without it. Money in $M, discounted to the base year.",
    "shortfalls": "Demand the plan leaves unmet and localization targets it misses, each with why: out of reach "
                  "(no plan can do better by then) or priced out (meeting it costs more than the penalty).",
    "how_computed": "How every number of the explanation is computed, and where each sheet's numbers come from.",
}

# ---------------------------------------------------------------------------------- styles
# data fonts name their face: a font without a name shows in LibreOffice's default (serif) face
_DATA = {"name": "Calibri", "sz": 11}
_FAILED_FONT = Font(italic=True, bold=True, color="9C0006", **_DATA)
_RED_FONT = Font(color="9C0006", **_DATA)
_BOLD_DATA = Font(bold=True, **_DATA)
_BOLD_RED = Font(bold=True, color="9C0006", **_DATA)
_NA_FONT = Font(italic=True, color="808080", **_DATA)
CHARS_PER_WIDTH = 1.15  # characters of running text per unit of column width (Calibri 11)
_WRAP = Alignment(wrap_text=True, vertical="top")
_WRAP_HEADER = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")
_TOP_LEFT = Alignment(horizontal="left", vertical="top")


# ---------------------------------------------------------------------------------- public API
def write_explanation(expl: Explanation, path: str | Path, *, protect: tuple[str | Path, ...] = ()) -> Path:
    """Write the explanation workbook of `expl` to `path` atomically and return the path.

    Built in memory, saved to a temporary file next to `path` and renamed into place; on any error
    `path` is left as it was. `protect` lists files that must never be overwritten (the input
    workbook): writing onto one raises `OutputError`.
    """
    return save_workbook(lambda: build_explanation_workbook(expl), path, what="explanation workbook",
                         protect=protect, kind="explanation")


def build_explanation_workbook(expl: Explanation) -> Workbook:
    """The explanation workbook of `expl`, in memory: the results workbook plus the explanation sheets."""
    wb = build_workbook(expl.solution)
    ctx = _Ctx.of(expl)
    sheets = {}
    for i, name in enumerate(EXPLANATION_SHEETS, start=1):
        sheets[name] = wb.create_sheet(name, index=i)  # right after summary, in this order
    _write_findings(sheets["findings"], expl, ctx)
    _write_target_costs(sheets["target_costs"], expl, ctx)
    _write_marginal_chart(sheets["marginal_chart"], expl, ctx)
    _write_candidates(sheets["candidates"], expl, ctx)
    _write_shortfalls(sheets["shortfalls"], expl, ctx)
    _write_how_computed(sheets["how_computed"], expl, ctx)
    _extend_summary_contents(wb["summary"])
    return wb


# ---------------------------------------------------------------------------------- context
#: what a failed re-solve leaves blank, by the prefix of its key (see planner.explain.analysis)
_AFFECTS = (
    ("without targets", "the cost of all localization targets (findings)"),
    ("least shortfall", "how much supply is achievable, and out of reach vs priced out (shortfalls)"),
    ("without ", "the value of {rest} (candidates)"),
    ("force ", "the premium of {rest} (candidates)"),
)


def _affects(key: str) -> str:
    for prefix, text in _AFFECTS:
        if key == prefix or (prefix.endswith(" ") and key.startswith(prefix)):
            return text.format(rest=key[len(prefix):])
    return "the figures that depend on it"


@dataclass(frozen=True)
class _Ctx:
    results: _Context  # instance, case, status line of the plan
    failures: tuple[tuple[str, str], ...]  # (re-solve, why)
    duals: str  # where the shadow prices come from (or why there are none)

    @classmethod
    def of(cls, expl: Explanation) -> _Ctx:
        fails = tuple((str(k), str(v)) for k, v in (expl.failures or {}).items())
        return cls(results=_Context.of(expl.solution), failures=fails,
                   duals=str(expl.solution.status.get("duals") or "unavailable"))

    @property
    def header(self) -> str:
        return self.results.header

    @property
    def failures_line(self) -> str | None:
        if not self.failures:
            return None
        n = len(self.failures)
        shown = "; ".join(f"'{k}' ({_short(why)})" for k, why in self.failures[:3])
        more = f"; and {n - 3} more" if n > 3 else ""
        return f"{n} re-solve{'s' if n != 1 else ''} failed, so some figures are n/a: {shown}{more}. See findings."


def _short(text: str, width: int = 160) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _sheet_head(ws: Worksheet, ctx: _Ctx, description: str) -> None:
    _put(ws, TITLE_ROW, 1, ctx.header, font=_BOLD)
    _put(ws, NOTE_ROW, 1, description, font=_NOTE_FONT)
    line = ctx.failures_line
    if line:
        _put(ws, FAILURES_ROW, 1, line, font=_FAILED_FONT)


def _finish(ws: Worksheet, last_col: int, *, title_rows: str | None = None) -> None:
    """Wrap the head rows across the sheet's columns and set up printing like the results workbook."""
    for r in (NOTE_ROW, FAILURES_ROW):
        _wrap(ws, r, 1, max(1, last_col))
    _print_setup(ws, title_rows=title_rows)


# ---------------------------------------------------------------------------------- cell helpers
def _year(v: Any) -> int | None:
    x = _number(v)
    return None if x is None else int(round(x))


def _cell(ws: Worksheet, row: int, col: int, value: Any, fmt: str | None = None, *, na: bool = False,
          **kw: Any) -> Any:
    """The results workbook's cell writer (a str is never a formula); with na=True a blank reads 'n/a'."""
    if na and _plain(value) is None:
        kw["font"] = _NA_FONT
        kw.setdefault("align", Alignment(horizontal="right", vertical="top"))
        return _put(ws, row, col, NA, **kw)
    if isinstance(_plain(value), str) and fmt is None:
        fmt = FMT_TEXT
    return _put(ws, row, col, value, fmt, **kw)


def _width(ws: Worksheet, col: int) -> float:
    return ws.column_dimensions[get_column_letter(col)].width or 8.43


def _lines(text: str, width: float) -> int:
    """Lines a text takes when wrapped at word boundaries in a column `width` characters wide."""
    total = 0
    for para in str(text).split("\n"):
        lines, used = 1, 0
        for word in para.split():
            if used and used + 1 + len(word) > width:
                lines, used = lines + 1, len(word)
            else:
                used += (1 if used else 0) + len(word)
            while used > width:  # a word longer than the column
                lines, used = lines + 1, used - int(width)
        total += lines
    return max(1, total)


def _fit_height(ws: Worksheet, row: int, cols: Sequence[int], size: float = 11.0) -> None:
    """Row height for the wrapped text cells of `row` (the tallest one)."""
    lines = 1
    for j in cols:
        v = ws.cell(row=row, column=j).value
        if isinstance(v, str):
            lines = max(lines, _lines(v, _width(ws, j) * CHARS_PER_WIDTH - 1))
    height = math.ceil(lines * size * 1.35) + 2
    ws.row_dimensions[row].height = max(height, ws.row_dimensions[row].height or 0)


def _wrap(ws: Worksheet, row: int, first: int, last: int) -> None:
    """Merge a text cell to the right up to column `last` and wrap it; the row grows to its lines."""
    cell = ws.cell(row=row, column=first)
    if not isinstance(cell.value, str):
        return
    total = sum(_width(ws, j) for j in range(first, last + 1))
    size = float(cell.font.sz or 11) if cell.font is not None else 11.0
    lines = _lines(cell.value, max(8.0, total * CHARS_PER_WIDTH * 11.0 / size - 2))
    if last > first:
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    cell.alignment = _WRAP
    height = math.ceil(lines * size * 1.35) + 2
    ws.row_dimensions[row].height = max(height, ws.row_dimensions[row].height or 0)


def _link(cell: Any, sheet: str) -> None:
    cell.hyperlink = f"#'{sheet}'!A1"
    cell.font = _LINK_FONT


def _cm(width_chars: float) -> float:
    """Approximate on-screen width of a column in cm (Calibri 11: 7 px per character + 5 px padding)."""
    return (width_chars * 7 + 5) / 37.8


def _rows_for(height_cm: float) -> int:
    return math.ceil(height_cm / 0.53) + 2  # default rows are 15 pt = 0.53 cm


# ---------------------------------------------------------------------------------- tables
@dataclass(frozen=True)
class _Col:
    key: str  # column of the Explanation's table (or a computed key)
    header: str  # shown, with its unit
    fmt: str | None = None  # number format; None: text
    width: float = 12
    scale: float = 1.0  # written value = value * scale
    wrap: bool = False
    span: int = 1  # columns the cell is merged across (a wide note under narrower columns)
    align: str | None = None  # horizontal alignment of the data cells


def _write_table(ws: Worksheet, row: int, cols: Sequence[_Col], records: Sequence[dict[str, Any]], *,
                 empty: str = "none", font_of: Any = None) -> int:
    """A header row and one row per record from `row`; returns the first row after the table.

    Column j of `cols` starts at sheet column 1 + the spans of the columns before it."""
    starts, j = [], 1
    for c in cols:
        starts.append(j)
        j += c.span

    def merge(r: int, j: int, c: _Col) -> None:
        if c.span > 1:
            ws.merge_cells(start_row=r, start_column=j, end_row=r, end_column=j + c.span - 1)

    for j, c in zip(starts, cols, strict=True):
        _header_cell(ws, row, j, c.header)
        for k in range(j + 1, j + c.span):
            _header_cell(ws, row, k, None)
        ws.cell(row=row, column=j).alignment = _WRAP_HEADER
        merge(row, j, c)
    _fit_height(ws, row, starts)
    row += 1
    if not records:
        _put(ws, row, 1, empty, font=_NONE_FONT)
        return row + 1
    wraps = [(j, c) for j, c in zip(starts, cols, strict=True) if c.wrap]
    for rec in records:
        font = font_of(rec) if font_of is not None else None
        for j, c in zip(starts, cols, strict=True):
            v = _plain(rec.get(c.key))
            if c.fmt is not None and isinstance(v, int | float) and not isinstance(v, bool):
                v = v * c.scale
            align = Alignment(horizontal=c.align, vertical="top", wrap_text=c.wrap,
                              indent=1 if c.wrap and c.fmt is None and j > 1 else 0)
            if c.fmt is None:
                _cell(ws, row, j, v, FMT_TEXT if isinstance(v, str) else None, font=font, align=align)
            else:
                _cell(ws, row, j, v, c.fmt, font=font, align=align, na=True)
            merge(row, j, c)
        for j, c in wraps:
            text = ws.cell(row=row, column=j).value
            if isinstance(text, str):
                width = sum(_width(ws, k) for k in range(j, j + c.span))
                lines = _lines(text, width * CHARS_PER_WIDTH - 2)
                height = math.ceil(lines * 11 * 1.35) + 2
                ws.row_dimensions[row].height = max(height, ws.row_dimensions[row].height or 0)
        row += 1
    return row


def _table_widths(ws: Worksheet, cols: Sequence[_Col], first_row: int, last_row: int) -> None:
    """Each column as wide as its header words and the data shown (sampled), at least its set width."""
    widths = {}
    for j, c in enumerate(cols, start=1):
        w = c.width
        if not c.wrap:
            for r in range(first_row, min(last_row, first_row + 500) + 1):
                cell = ws.cell(row=r, column=j)
                w = max(w, _shown_width(cell.value, cell.number_format) + 2)
            w = min(w, 50)
        widths[j] = w
    _set_widths(ws, widths)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return df.to_dict("records") if df is not None and not df.empty else []


# ---------------------------------------------------------------------------------- findings
def _write_findings(ws: Worksheet, expl: Explanation, ctx: _Ctx) -> None:
    _set_widths(ws, {1: 16, 2: 110})
    _sheet_head(ws, ctx, DESCRIPTIONS["findings"])
    row = HEADER_ROW + 1
    _put(ws, row, 1, f"Why this plan? {ctx.results.instance} — case '{ctx.results.case}'", font=_TITLE)
    row += 1
    fill, font = _STATUS_STYLES[ctx.results.level]
    _put(ws, row, 1, f"Status of the plan: {ctx.results.status_line}", font=font, fill=fill)
    ws.cell(row=row, column=2).fill = fill
    row += 2

    row = _section(ws, row, "Findings, most important first")
    _header_cell(ws, row, 1, "#")
    _header_cell(ws, row, 2, "finding")
    row += 1
    findings = [str(f) for f in expl.findings]
    for i, text in enumerate(findings[:MAX_FINDINGS_SHOWN], start=1):
        _put(ws, row, 1, i, FMT_COUNT, align=_TOP_LEFT)
        _cell(ws, row, 2, text, align=_WRAP)
        _fit_height(ws, row, [2])
        row += 1
    if not findings:
        _put(ws, row, 1, "none: the explanation has no findings", font=_NONE_FONT)
        row += 1
    elif len(findings) > MAX_FINDINGS_SHOWN:
        _put(ws, row, 2, f"{len(findings) - MAX_FINDINGS_SHOWN} more findings: see the other sheets",
             font=_NOTE_FONT)
        row += 1
    row += 1

    row = _section(ws, row, "What the localization targets cost")
    total = _musd(expl.targets_total_usd)
    obj = _musd(expl.solution.status.get("objective_usd"))
    _put(ws, row, 1, "cost of all localization targets [$M]", font=_BOLD)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
    row += 1
    if total is not None:
        _put(ws, row, 1, total, FMT_MUSD, font=Font(bold=True, size=12), align=Alignment(horizontal="left"))
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        row += 1
        text = ("the plan's total discounted cost with the targets minus the same case re-solved without any "
                "localization target (a second MILP solve)")
        if obj:
            text += f"; {total / obj:.1%} of the plan's total cost of ${obj:,.1f}M"
        _cell(ws, row, 2, text + ".", font=_NOTE_FONT, align=_WRAP)
    else:
        why = dict(ctx.failures).get("without targets")
        if why:
            text = f"n/a: the re-solve without targets failed ({why})"
        elif expl.target_costs.empty:
            text = "n/a: the case sets no localization target"
        else:
            text = "n/a: the re-solve without targets did not run"
        _cell(ws, row, 1, text, font=_NA_FONT, align=_WRAP)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
    _fit_height(ws, row, [2])
    row += 1
    binding = expl.target_costs[expl.target_costs["binding"].astype(bool)] if not expl.target_costs.empty else []
    if len(binding):
        _cell(ws, row, 2, f"Binding in {len(binding)} of {len(expl.target_costs)} target years; each one's price "
                          "per t and per kWh of cells: target_costs.", font=_NOTE_FONT)
        row += 1
    row += 1

    row = _section(ws, row, "Re-solves that failed")
    if not ctx.failures:
        _put(ws, row, 1, "none: every re-solve of the explanation finished", font=_NONE_FONT)
        row += 1
    else:
        _header_cell(ws, row, 1, "re-solve")
        _header_cell(ws, row, 2, "why it failed, and what is n/a because of it")
        row += 1
        for key, why in ctx.failures:
            _cell(ws, row, 1, key, font=_FAILED_FONT, align=_WRAP)
            _cell(ws, row, 2, f"failed: {why} — n/a: {_affects(key)}", font=_FAILED_FONT, align=_WRAP)
            _fit_height(ws, row, [1, 2])
            row += 1
    row += 1

    row = _section(ws, row, "Contents of the explanation")
    for name in EXPLANATION_SHEETS[1:]:
        cell = _put(ws, row, 1, name, align=_TOP)
        _link(cell, name)
        ws.cell(row=row, column=1).alignment = _TOP
        _cell(ws, row, 2, DESCRIPTIONS[name], font=_NOTE_FONT, align=_WRAP)
        _fit_height(ws, row, [2])
        row += 1
    _cell(ws, row, 2, "The summary and the sheets after how_computed are the plan's results workbook, as "
                      "planner solve writes it.", font=_NOTE_FONT, align=_WRAP)
    _finish(ws, 2)


# ---------------------------------------------------------------------------------- target costs
_TARGET_COLUMNS = (
    _Col("group", "group (family or commodity)", None, 14),
    _Col("year", "year", FMT_YEAR, 7),
    _Col("target_share", "target [% of demand]", FMT_SHARE, 11),
    _Col("required_t", "required qualifying supply [t]", FMT_T, 13),
    _Col("qualifying_t", "qualifying supply [t]", FMT_T, 13),
    _Col("shortfall_t", "shortfall [t]", FMT_T, 11),
    _Col("binding_text", "binding", None, 9, align="center"),
    _Col("cost_usd_per_t", "target cost [$/t of qualifying supply]", FMT_USD_PER_T, 15),
    _Col("cost_usd_per_kwh", "target cost [$/kWh of cells]", FMT_KWH, 13),
    _Col("how", "how computed (details: how_computed)", None, 70, wrap=True),
)


def _how_target(rec: dict[str, Any], demand: dict[tuple[str, int], float], duals: str) -> str:
    g, y = rec.get("group"), _year(rec.get("year"))
    dual = _number(rec.get("cost_usd_per_t"))
    kwh = _number(rec.get("cost_usd_per_kwh"))
    short = _number(rec.get("shortfall_t")) or 0.0
    if dual is None:
        return f"no shadow price: the duals are {duals}"
    if dual <= 1e-6:
        return ("not binding: the plan reaches the target without extra cost at the margin (shadow price 0); "
                "$/kWh is 0 too")
    text = f"shadow price of the {y} {g} target row in the LP with the plan's integer decisions fixed"
    if short > 1.0:
        text += " — the target is missed, so the price is the localization penalty per t (settings)"
    share = _number(rec.get("target_share"))
    dem = demand.get((str(g), y or 0))
    if kwh and share and dem:
        gwh = dual * share * dem / (kwh * 1e6)
        text += (f"; per kWh: ${dual:,.0f}/t × {share:.0%} target × {dem:,.0f} t demand ÷ {gwh:,.2f} GWh of cells "
                 f"= ${kwh:,.4f}/kWh")
    return text


def _write_target_costs(ws: Worksheet, expl: Explanation, ctx: _Ctx) -> None:
    _sheet_head(ws, ctx, DESCRIPTIONS["target_costs"])
    tc = expl.target_costs
    loc = expl.solution.localization
    demand = {(str(r.group), int(r.year)): float(r.demand_t) for r in loc.itertuples()} if not loc.empty else {}
    recs = []
    for rec in _records(tc):
        b = rec.get("binding")
        rec = {**rec, "binding_text": "yes" if bool(b) and not _isnull(b) else "no",
               "how": _how_target(rec, demand, ctx.duals)}
        recs.append(rec)

    def font_of(rec: dict[str, Any]) -> Font | None:
        return _RED_FONT if (_number(rec.get("shortfall_t")) or 0.0) > 1.0 else None

    _set_widths(ws, {j: c.width for j, c in enumerate(_TARGET_COLUMNS, start=1)})
    row = _write_table(ws, HEADER_ROW, _TARGET_COLUMNS, recs, font_of=font_of,
                       empty="none: the case sets no localization target")
    last = row - 1
    ncols = len(_TARGET_COLUMNS)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(ncols)}{max(last, HEADER_ROW)}"
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=3)
    for r, rec in enumerate(recs, start=FIRST_DATA_ROW):  # the price is what a planner looks for: bold if binding
        if rec["binding_text"] == "yes":
            for j in (8, 9):
                ws.cell(row=r, column=j).font = _BOLD_RED if font_of(rec) is not None else _BOLD_DATA
    if recs:
        _table_widths(ws, _TARGET_COLUMNS, HEADER_ROW + 1, last)
    row += 1
    if recs:
        total = _musd(expl.targets_total_usd)
        _cell(ws, row, 1, ("All targets together cost "
                           + (f"${total:,.1f}M" if total is not None else "n/a (see findings)")
                           + " (discounted): the plan with them minus the plan without them. Red rows: the target "
                             "is missed (shortfalls)."), font=_NOTE_FONT)
        _wrap(ws, row, 1, ncols)
        row += 2

    # the chart's data below the table (outside the autofilter), the chart below its data
    groups = list(dict.fromkeys(str(g) for g in tc["group"].tolist())) if not tc.empty else []
    years = sorted({int(y) for y in tc["year"].tolist()}) if not tc.empty else []
    cols: list[tuple[str, list[Any]]] = []
    for g in groups:
        sub = tc[tc["group"].astype(str) == g].set_index("year")
        cols.append((g, [_number(sub.at[y, "cost_usd_per_t"]) if y in sub.index else None for y in years]))
    if cols:
        block, row = _write_block(ws, row, "Data of the chart: target cost by year and group [$/t of qualifying "
                                  "supply]; 0 = not binding", years, cols, FMT_USD_PER_T)
        ch = _column_chart(ws, block, "Target cost by year and group [$/t of qualifying supply]",
                           "$/t, money of each year", "target year", gap=60, height=8, width=18)
        ch.y_axis.scaling.min = 0
        ws.add_chart(ch, f"A{row}")
    _finish(ws, ncols, title_rows=f"{HEADER_ROW}:{HEADER_ROW}")


# ---------------------------------------------------------------------------------- marginal chart
def _taken(sol: Any) -> dict[tuple[str, str], float]:
    """Tonnes of each commodity that stay in each region over the horizon: plant output at the site,
    contract deliveries at the origin and unmet demand, plus shipments in, minus shipments out.
    This is what the region uses (its demand and recipe inputs), as far as the plan's tables tell."""
    out: dict[tuple[str, str], float] = {}

    def add(df: pd.DataFrame, region: str, qty: str, sign: float = 1.0) -> None:
        if df is None or df.empty or region not in df.columns or qty not in df.columns:
            return
        for (c, r), t in df.groupby(["commodity", region])[qty].sum().items():
            out[(str(c), str(r))] = out.get((str(c), str(r)), 0.0) + sign * float(t)

    add(sol.production, "site", "output_t")
    add(sol.imports, "origin", "tonnes")
    add(sol.unmet, "region", "tonnes")
    add(sol.shipments, "to_region", "tonnes")
    add(sol.shipments, "from_region", "tonnes", -1.0)
    return out


@dataclass(frozen=True)
class _Line:
    commodity: str
    region: str | None  # None: the mean over the regions
    taken_t: float
    share: float | None  # of the commodity's tonnes taken in all regions
    regions: int
    low: float | None
    high: float | None

    @property
    def label(self) -> str:
        return f"{self.commodity} — {self.region}" if self.region else f"{self.commodity} — mean of regions"


def _marginal_lines(sol: Any) -> tuple[list[int], list[_Line], list[tuple[str, list[Any]]]]:
    mc = sol.marginal_costs
    if mc is None or mc.empty:
        return [], [], []
    mc = mc.assign(commodity=mc["commodity"].astype(str), region=mc["region"].astype(str))
    years = sorted({int(y) for y in mc["year"].tolist()})
    taken = _taken(sol)
    lines: list[_Line] = []
    cols: list[tuple[str, list[Any]]] = []
    for c in list(dict.fromkeys(mc["commodity"].tolist())):
        sub = mc[mc["commodity"] == c]
        regions = list(dict.fromkeys(sub["region"].tolist()))
        where = {r: taken.get((c, r), 0.0) for r in regions}
        positive = sum(t for t in where.values() if t > 0)
        vals = pd.to_numeric(sub["marginal_cost_usd_per_t"], errors="coerce")
        low = _number(vals.min())
        high = _number(vals.max())
        best = max(regions, key=lambda r: (where[r], -regions.index(r))) if regions else None
        if best is not None and where[best] > 1.0:
            s = sub[sub["region"] == best].set_index("year")["marginal_cost_usd_per_t"]
            line = _Line(c, best, where[best], where[best] / positive if positive else None, len(regions), low, high)
            values = [_number(s.get(y)) for y in years]
        else:  # nothing stays anywhere (e.g. all from spot purchases): the plain mean over its regions
            s = sub.assign(v=vals).groupby("year")["v"].mean()
            line = _Line(c, None, 0.0, None, len(regions), low, high)
            values = [_number(s.get(y)) for y in years]
        lines.append(line)
        cols.append((line.label, values))
    return years, lines, cols


def _nice(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above x > 0."""
    k = 10 ** math.floor(math.log10(x))
    return next(m * k for m in (1, 2, 2.5, 5, 10) if m * k >= x - 1e-9)


def _zoom(values: Sequence[float]) -> float | None:
    """A cut above which a few values dwarf the others (e.g. the unmet-demand penalty); None if none do."""
    top = max(values, default=0.0)
    typical = [v for v in values if v <= 0.5 * top]
    if not typical or top <= 0:
        return None
    span = max(abs(v) for v in typical)
    if span <= 0 or top < 3 * span:
        return None
    return _nice(max(max(typical), 0.0) * 1.1) if max(typical) > 0 else 0.5 * top


def _write_marginal_chart(ws: Worksheet, expl: Explanation, ctx: _Ctx) -> None:
    sol = expl.solution
    _sheet_head(ws, ctx, DESCRIPTIONS["marginal_chart"])
    years, lines, cols = _marginal_lines(sol) if ctx.results.has_plan else ([], [], [])
    widths = {1: 12, **{j: max(14, min(26, len(name) + 3)) for j, (name, _v) in enumerate(cols, start=2)}}
    widths.update({j: max(widths.get(j, 12), w) for j, w in {1: 12, 2: 16, 3: 16, 4: 12, 5: 12, 6: 16, 7: 16}.items()})
    _set_widths(ws, widths)
    ncols = max(7, 1 + len(cols))
    row = HEADER_ROW + 1
    if not cols:
        why = (f"none: marginal costs are {ctx.duals}" if ctx.results.has_plan
               else f"none: there is no plan ({ctx.results.status_line})")
        _put(ws, row, 1, why, font=_NONE_FONT)
        _finish(ws, ncols)
        return
    shown = [v for _name, vals in cols for v in vals if v is not None]
    high = max(shown, default=None)
    low = min(shown, default=None)
    zoom = _zoom(shown)
    notes = ["Each line: one commodity's marginal supply cost in the region that takes the most of it over the "
             "horizon (its own demand and recipe inputs: plant output there, contract deliveries there and unmet "
             "demand, plus shipments in, minus shipments out). The region is named in the legend; every value "
             "is a row of the marginal_costs sheet."]
    if zoom is not None and high is not None and not sol.unmet.empty:
        notes.append(f"Values far above the others (up to ${high:,.0f}/t) mean demand is short there that year: an "
                     "extra tonne would go unmet, so it costs the unmet-demand penalty (settings; see shortfalls). "
                     f"The second chart leaves them out (values above ${zoom:,.0f}/t are gaps) to show the others.")
    elif zoom is not None:
        notes.append(f"A few values are far above the others; the second chart leaves out those above ${zoom:,.0f}/t "
                     "(gaps) to show the rest.")
    if low is not None and low < -1.0:
        notes.append("Negative values mean an extra tonne of demand would lower the cost: supply that counts "
                     "towards a missed or binding localization target (target_costs) is worth more than it costs.")
    for text in notes:
        _put(ws, row, 1, text, font=_NOTE_FONT)
        _wrap(ws, row, 1, ncols)
        row += 1
    row += 1

    charts = [(row, "Marginal supply cost per commodity, in the region that takes most of it [$/t, money of each "
                    "year]", cols, "Data of the chart [$/t, money of each year]")]
    row += _rows_for(10)
    if zoom is not None:
        ws.row_breaks.append(Break(id=row - 1))  # printed: the second chart starts a page
        cut = [(name, [v if v is None or v <= zoom else None for v in vals]) for name, vals in cols]
        charts.append((row, f"The same without the values above ${zoom:,.0f}/t (gaps: demand short)", cut,
                       f"Data of the second chart: the same, values above ${zoom:,.0f}/t left blank"))
        row += _rows_for(10)
    for anchor, title, data, head in charts:
        block, row = _write_block(ws, row, head, years, data, FMT_USD_PER_T)
        ch = _line_chart(ws, block, title, "$/t, money of each year", "#,##0")
        ch.height = 10
        ch.width = 24
        ch.legend.position = "r"
        ch.x_axis.tickLblPos = "low"  # year labels below negative values, not across them
        _style_series(ch, list(_PALETTE))
        ws.add_chart(ch, f"A{anchor}")

    row = _section(ws, row, "The region charted for each commodity")
    cols_t = (
        _Col("commodity", "commodity", None, 12),
        _Col("region", "region charted", None, 16),
        _Col("taken_t", "tonnes taken there, whole horizon [t]", FMT_T, 16),
        _Col("share", "share of all tonnes taken [%]", FMT_SHARE, 12),
        _Col("regions", "regions with a marginal cost", FMT_COUNT, 12),
        _Col("low", "lowest over regions and years [$/t]", FMT_USD_PER_T, 16),
        _Col("high", "highest over regions and years [$/t]", FMT_USD_PER_T, 16),
    )
    recs = [{"commodity": ln.commodity, "region": ln.region or "mean of regions (none takes any)",
             "taken_t": ln.taken_t if ln.region else None, "share": ln.share, "regions": ln.regions,
             "low": ln.low, "high": ln.high} for ln in lines]
    row = _write_table(ws, row, cols_t, recs)
    _finish(ws, ncols)


# ---------------------------------------------------------------------------------- candidates
_UNBUILT_COLUMNS = (
    _Col("project", "project", None, 10),
    _Col("name", "name", None, 30, wrap=True),
    _Col("commodity", "commodity", None, 11),
    _Col("site", "site", None, 8),
    _Col("capacity_t", "capacity [t/yr]", FMT_T, 11),
    _Col("earliest_start", "earliest start", FMT_YEAR, 9),
    _Col("earliest_qualified", "earliest qualified year", FMT_YEAR, 10),
    _Col("premium_usd", "premium [$M]", FMT_MUSD2, 11, 1 / MONEY_SCALE),
    _Col("premium_usd_per_t", "premium [$/t of qualified output]", FMT_USD_PER_T, 13),
    _Col("uncertainty_usd", "solver uncertainty [$M]", FMT_MUSD2, 11, 1 / MONEY_SCALE),
    _Col("note", "note", None, 40, wrap=True),
)
_BUILT_COLUMNS = (
    _Col("project", "project", None, 10),
    _Col("name", "name", None, 30, wrap=True),
    _Col("commodity", "commodity", None, 11),
    _Col("site", "site", None, 8),
    _Col("capacity_t", "capacity [t/yr]", FMT_T, 11),
    _Col("value_usd", "value [$M]", FMT_MUSD2, 11, 1 / MONEY_SCALE),
    _Col("of_which_penalties_usd", "from penalties [$M]", FMT_MUSD2, 12, 1 / MONEY_SCALE),
    _Col("of_which_other_usd", "from other costs [$M]", FMT_MUSD2, 11, 1 / MONEY_SCALE),
    _Col("uncertainty_usd", "solver uncertainty [$M]", FMT_MUSD2, 13, 1 / MONEY_SCALE),
    _Col("note", "note", None, 40, wrap=True, span=2),  # under the unbuilt table's columns J and K
)


def _bar_label(rec: dict[str, Any], width: int = 34) -> str:
    """'C12 Gulf Coast TX/LA LFP greenfield', shortened to `width` characters."""
    name = _plain(rec.get("name"))
    text = f"{rec.get('project')} {name}" if isinstance(name, str) and name else str(rec.get("project"))
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _bar_block(ws: Worksheet, row: int, title: str, head: str, recs: list[dict[str, Any]], key: str
               ) -> tuple[_Block, int]:
    """project | label (the chart's categories) | value [$M]; returns the block and the next free row."""
    _section(ws, row, title)
    hr = row + 1
    for j, h in enumerate(("project", "label on the chart", head), start=1):
        _header_cell(ws, hr, j, h)
    for i, rec in enumerate(recs):
        _cell(ws, hr + 1 + i, 1, rec.get("project"))
        _cell(ws, hr + 1 + i, 2, _bar_label(rec))
        _put(ws, hr + 1 + i, 3, _musd(rec.get(key)), FMT_MUSD2)
    if not recs:
        _put(ws, hr + 1, 1, "none", font=_NONE_FONT)
    return _Block(hr, hr + 1, hr + len(recs), [head]), hr + max(len(recs), 1) + 2


def _bar_height(n: int) -> float:
    return max(7.0, min(16.0, 4.0 + 0.75 * n))


def _bar_chart(ws: Worksheet, block: _Block, title: str, color: str) -> BarChart:
    ch = BarChart()
    ch.type = "bar"  # horizontal: project names read across
    ch.grouping = "clustered"
    ch.gapWidth = 50
    ch.title = title
    ch.y_axis.title = "$M, discounted"
    ch.y_axis.number_format = "#,##0"
    ch.x_axis.scaling.orientation = "maxMin"  # first row (largest or cheapest) on top
    ch.y_axis.crosses = "max"  # ... and the $M axis below the bars, not above them
    ch.x_axis.delete = False
    ch.y_axis.delete = False
    ch.legend = None
    ch.height = _bar_height(block.last_row - block.first_row + 1)
    ch.width = 15
    ch.add_data(Reference(ws, min_col=3, max_col=3, min_row=block.header_row, max_row=block.last_row),
                titles_from_data=True)
    ch.set_categories(Reference(ws, min_col=2, min_row=block.first_row, max_row=block.last_row))
    for s in ch.series:
        s.graphicalProperties.solidFill = color
        s.graphicalProperties.line.solidFill = color
    return ch


def _count(n: int, what: str) -> str:
    return f"the {what} candidate" if n == 1 else f"the {n} {what} candidates"


def _write_candidates(ws: Worksheet, expl: Explanation, ctx: _Ctx) -> None:
    _sheet_head(ws, ctx, DESCRIPTIONS["candidates"])
    widths = {}
    for cols in (_UNBUILT_COLUMNS, _BUILT_COLUMNS):
        for j, c in enumerate(cols, start=1):
            widths[j] = max(widths.get(j, 0), c.width)
    _set_widths(ws, widths)
    ncols = len(_UNBUILT_COLUMNS)
    unbuilt, built = _records(expl.unbuilt), _records(expl.built)

    row = HEADER_ROW + 1
    row = _section(ws, row, f"Candidates not built ({len(unbuilt)}), cheapest to bring into the plan first")
    row = _write_table(ws, row, _UNBUILT_COLUMNS, unbuilt, empty="none: every candidate is built")
    _cell(ws, row, 1, "Premium = the plan's cost with at least one unit forced in from the earliest start, minus the "
                      "plan's cost: the support (grant, credit, price) it would need to be chosen. Per t: divided by "
                      "its nameplate times its qualified years in the horizon.", font=_NOTE_FONT)
    _wrap(ws, row, 1, ncols)
    row += 2
    row = _section(ws, row, f"Candidates built ({len(built)}), most valuable to the plan first")
    row = _write_table(ws, row, _BUILT_COLUMNS, built, empty="none: no candidate is built")
    _cell(ws, row, 1, "Value = the plan's cost with the project excluded, minus the plan's cost: what the plan would "
                      "lose without it (alternatives such as a JV variant of the same plant can take its place). "
                      "Value = from penalties + from other costs: the change in penalties for unmet demand and "
                      "missed targets, plus the change in every other cost, which is negative when, without the "
                      "plant, what it cost to build and run is saved (the penalty part is then larger than the "
                      "value).", font=_NOTE_FONT)
    _wrap(ws, row, 1, ncols)
    row += 2

    # charts side by side, their data below them
    prem = [r for r in unbuilt if _number(r.get("premium_usd")) is not None][:MAX_BARS]
    val = [r for r in built if _number(r.get("value_usd")) is not None][:MAX_BARS]
    ws.row_breaks.append(Break(id=row - 1))  # printed: the charts start a page
    row = _section(ws, row, "Charts")
    chart_row = row
    row += _rows_for(max(_bar_height(len(prem)), _bar_height(len(val))))
    b1, row = _bar_block(ws, row, f"Data: premium of the {len(prem)} cheapest unbuilt candidates [$M]",
                         "premium [$M]", prem, "premium_usd")
    b2, row = _bar_block(ws, row, f"Data: value of the {len(val)} most valuable built candidates [$M]",
                         "value [$M]", val, "value_usd")
    charts = []
    if prem:
        charts.append(_bar_chart(ws, b1, f"Premium to bring in [$M]: {_count(len(prem), 'cheapest unbuilt')}",
                                 _PALETTE[1]))
    if val:
        charts.append(_bar_chart(ws, b2, f"Value to the plan [$M]: {_count(len(val), 'most valuable built')}",
                                 _PALETTE[0]))
    left, col2 = 0.0, 2
    for j in range(1, 60):
        if left >= 15.3:
            col2 = j
            break
        left += _cm(_width(ws, j))
    for i, ch in enumerate(charts):
        ws.add_chart(ch, f"{get_column_letter(1 if i == 0 else col2)}{chart_row}")
    if not charts:
        _put(ws, chart_row, 1, "No charts: no premium or value could be computed.", font=_NONE_FONT)
    _finish(ws, ncols)


# ---------------------------------------------------------------------------------- shortfalls
_SHORTFALL_COLUMNS = (
    _Col("kind", "kind", None, 19),
    _Col("what", "what (commodity or group)", None, 12),
    _Col("year", "year", FMT_YEAR, 7),
    _Col("short_t", "short [t]", FMT_T, 11),
    _Col("need_t", "need [t]", FMT_T, 11),
    _Col("achievable_t", "achievable [t]", FMT_T, 12),
    _Col("explanation", "explanation", None, 100, wrap=True),
)


def _write_shortfalls(ws: Worksheet, expl: Explanation, ctx: _Ctx) -> None:
    _sheet_head(ws, ctx, DESCRIPTIONS["shortfalls"])
    _set_widths(ws, {j: c.width for j, c in enumerate(_SHORTFALL_COLUMNS, start=1)})
    recs = _records(expl.shortfalls)
    row = _write_table(ws, HEADER_ROW, _SHORTFALL_COLUMNS, recs,
                       empty="none: all demand is met and every localization target is reached")
    ncols = len(_SHORTFALL_COLUMNS)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(ncols)}{max(row - 1 if recs else HEADER_ROW, HEADER_ROW)}"
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=1)
    if recs:
        _table_widths(ws, _SHORTFALL_COLUMNS, HEADER_ROW + 1, row - 1)
    row += 1
    if recs:
        _cell(ws, row, 1, "Achievable = what an auxiliary solve reaches when it minimises unmet demand plus missed "
                          "targets, cost ignored, under every lead time, budget, ban and contract limit of the case. "
                          "Out of reach: even that solve falls short. Priced out: it could be met, at more than the "
                          "penalty.", font=_NOTE_FONT)
        _wrap(ws, row, 1, ncols)
    _finish(ws, ncols, title_rows=f"{HEADER_ROW}:{HEADER_ROW}")


# ---------------------------------------------------------------------------------- how computed
_SOURCES = (
    ("findings", "the plan's solve, the target costs, the re-solves below and the shortfall texts, ranked: status, "
                 "cost of all targets, the three dearest binding targets, the three most valuable built and the "
                 "three cheapest unbuilt candidates, then the shortfalls"),
    ("target_costs", "the localization sheet of the plan (target, required, qualifying, shortfall, shadow price) "
                     "and the cell GWh of the instance (cell_demand) for $/kWh"),
    ("marginal_chart", "the marginal_costs sheet (duals of the material balance); the region charted is chosen from "
                       "the production, imports, shipments and unmet sheets"),
    ("candidates", "one re-solve per candidate: 'force <project>' for each unbuilt one, 'without <project>' for "
                   "each built one, each compared with the plan's objective"),
    ("shortfalls", "the unmet and localization sheets of the plan, and the 'least shortfall' re-solve for what is "
                   "achievable; the limits named come from the instance (lead times, contracts, bans, budgets)"),
    ("summary, run_info and the sheets after how_computed", "the solve of the plan itself, as planner solve writes "
                                                            "it (see the results workbook's summary)"),
)
_RESOLVES = (
    ("without targets", "the same case without any localization target", "cost of all targets"),
    ("least shortfall", "the same case minimising unmet demand plus missed targets, cost ignored "
                        "(only when the plan is short)", "achievable, out of reach / priced out"),
    ("force <project>", "the same case with at least one unit of an unbuilt candidate forced in from its earliest "
                        "feasible start", "premium"),
    ("without <project>", "the same case with a built candidate excluded", "value"),
)


def _write_how_computed(ws: Worksheet, expl: Explanation, ctx: _Ctx) -> None:
    _set_widths(ws, {1: 34, 2: 90, 3: 30})
    _sheet_head(ws, ctx, DESCRIPTIONS["how_computed"])
    row = HEADER_ROW + 1
    row = _section(ws, row, "How each number is computed")
    notes = expl.notes if expl.notes is not None else pd.DataFrame(columns=["item", "how it is computed"])
    how_col = next((c for c in notes.columns if c != "item"), None)
    recs = [{"item": r.get("item"), "how": r.get(how_col) if how_col else None} for r in _records(notes)]
    row = _write_table(ws, row, (_Col("item", "item", None, 34, wrap=True),
                                 _Col("how", "how it is computed", None, 90, wrap=True)), recs)
    row += 1
    row = _section(ws, row, "Where each sheet's numbers come from")
    row = _write_table(ws, row, (_Col("sheet", "sheet", None, 34, wrap=True),
                                 _Col("source", "source", None, 90, wrap=True)),
                       [{"sheet": s, "source": t} for s, t in _SOURCES])
    for r in range(row - len(_SOURCES), row):
        name = ws.cell(row=r, column=1).value
        if name in EXPLANATION_SHEETS:
            _link(ws.cell(row=r, column=1), str(name))
    row += 1
    row = _section(ws, row, "The re-solves behind the explanation")
    recs = [{"key": k, "what": w, "for": f} for k, w, f in _RESOLVES]
    row = _write_table(ws, row, (_Col("key", "re-solve", None, 34, wrap=True),
                                 _Col("what", "what is solved", None, 90, wrap=True),
                                 _Col("for", "gives", None, 30, wrap=True)), recs)
    _cell(ws, row, 1, "Every re-solve uses the plan's solver options (run_info); with several jobs each one runs "
                      "single-threaded in its own process. A failed re-solve leaves its figures n/a and is listed on "
                      "findings.", font=_NOTE_FONT)
    _wrap(ws, row, 1, 3)
    row += 2
    row = _section(ws, row, "The plan explained")
    sol = expl.solution
    kv = (("instance", expl.instance), ("instance file", expl.instance_path), ("SHA-256 of the file",
                                                                                 expl.instance_sha256),
          ("case", expl.case), ("status", ctx.results.status_line),
          ("total discounted cost [$M]", _musd(sol.status.get("objective_usd"))),
          ("shadow prices (duals)", ctx.duals),
          ("re-solves failed", len(ctx.failures)))
    for k, v in kv:
        _put(ws, row, 1, k, font=_BOLD)
        if isinstance(_plain(v), str):
            _cell(ws, row, 2, v, align=Alignment(horizontal="left"))
        else:
            _put(ws, row, 2, v, FMT_MUSD if isinstance(_plain(v), float) else FMT_COUNT,
                 align=Alignment(horizontal="left"))
        row += 1
    _finish(ws, 3)


# ---------------------------------------------------------------------------------- summary
def _extend_summary_contents(ws: Worksheet) -> None:
    """Add the explanation sheets to the results summary's contents list (its last section)."""
    contents = None
    for r in range(ws.max_row, 0, -1):
        if ws.cell(row=r, column=1).value == "Contents":
            contents = r
            break
    if contents is None:
        return
    row = ws.max_row + 1
    for name in EXPLANATION_SHEETS:
        cell = _put(ws, row, 1, name, font=_LINK_FONT)
        cell.hyperlink = f"#'{name}'!A1"
        _put(ws, row, 2, "Explanation: " + DESCRIPTIONS[name].split(". ")[0].rstrip(".") + ".", font=_NOTE_FONT)
        row += 1


__all__ = ["EXPLANATION_SHEETS", "build_explanation_workbook", "write_explanation"]
