"""The comparison workbook of `planner compare`: policy cases side by side, in plain words.

The question it answers: *which plan is safest under policy uncertainty?* Each case is one possible
policy future; the workbook shows what each case's optimal plan costs and builds, how far apart
the cases are, and (when the regret analysis ran) how each plan fares under every other case.

Layout (sheet order): ``summary``, ``kpis``, ``deltas``, ``builds``, ``supply_mix``,
``localization``, ``regret`` (only with a regret analysis), ``run_info`` and ``chart_data`` (the
pivots the summary charts draw from).

Every sheet starts the same way: row 1 the comparison (instance, number of cases, base case),
row 2 what the sheet shows, row 3 which cases failed and why (or that all cases have a plan).
Table sheets put their header on row 4 and data from row 5, with frozen panes and an autofilter.
A failed case is never silently dropped: it keeps its column (``n/a``) or gets a row saying it
failed and why.

Money is written in $M (value / 1e6), shares (0-1) with a percent format. Text from the input
(case, project and partner names, failure reasons) is always written as a literal string, never as
a formula. The cell writer, formats, styles and chart helpers are those of the results workbook
(`planner.export.results`). No Pyomo here: this module reads only the pandas tables of a
`Comparison`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from planner.compare.compare import CaseRun, Comparison
from planner.export.atomic import save_workbook
from planner.results.labels import gap_cell, step_label
from planner.export.results import (
    _column_chart,
    _musd,
    _number,
    _BOLD,
    _LINK_FONT,
    _NONE_FONT,
    _NOTE_FONT,
    _PALETTE,
    _SECTION,
    _STATUS_STYLES,
    _TITLE,
    FMT_COUNT,
    FMT_MUSD,
    FMT_NUMBER,
    FMT_SECONDS,
    FMT_SHARE,
    FMT_T,
    FMT_TEXT,
    FMT_YEAR,
    MONEY_SCALE,
    _Block,
    _finite,
    _header_cell,
    _isnull,
    _kv,
    _line_chart,
    _plain,
    _print_setup,
    _put as _cell,
    _section,
    _set_widths,
    _shown_width,
    _small_table,
    _style_series,
    _text_or_value,
    _words,
    _write_block,
    kpi_label,
    status_line,
)

#: sheets in workbook order; ``regret`` only when the comparison carries a regret analysis
SHEET_ORDER = ("summary", "kpis", "deltas", "builds", "supply_mix", "localization", "regret", "run_info",
               "chart_data")

TITLE_ROW = 1
NOTE_ROW = 2
CASES_ROW = 3
HEADER_ROW = 4
FIRST_DATA_ROW = 5

NA = "n/a"
FMT_MUSD2 = "#,##0.00"  # regret and cost matrices: differences between plans can be small
FMT_KWH = "#,##0.000"
FMT_DELTA = {
    "$M": "+#,##0.0;-#,##0.0;0.0",
    "% points": "+0.0%;-0.0%;0.0%",
    "count": "+#,##0;-#,##0;0",
    "t": "+#,##0;-#,##0;0",
}
FMT_DELTA_OTHER = "+#,##0.000;-#,##0.000;0.000"

#: headline KPIs of the summary, in order, with a short header
SUMMARY_KPIS = (
    ("total_cost_usd", "total cost"),
    ("cost_to_industry_usd", "cost to industry"),
    ("public_cost_usd", "public cost"),
    ("penalties_usd", "penalties"),
    ("capex_committed_usd", "capex committed"),
    ("plants_built", "plants built"),
    ("units_built", "units built"),
    ("contracts_signed", "contracts signed"),
    ("unmet_demand_t", "unmet demand"),
    ("cost_difference_usd_per_kwh", "total cost difference vs base per kWh of cells"),
)
#: KPIs on the summary bar chart ($M)
CHART_KPIS = (
    ("total_cost_usd", "total cost"),
    ("cost_to_industry_usd", "cost to industry"),
    ("public_cost_usd", "public cost"),
    ("capex_committed_usd", "capex committed"),
)
MAX_LOCALIZATION_CHARTS = 12

DESCRIPTIONS: dict[str, str] = {
    "kpis": "Key indicators of each case's optimal plan, side by side. Money in $M (discounted to the base year "
            "where the note says so), shares in % of demand; the note says what each one counts.",
    "deltas": "Each case minus the base case '{base}', in the units of the kpis sheet (shares in percentage "
              "points). Positive money = the case costs more than the base case.",
    "builds": "Which projects each case builds: first start year ×units, '–' = not built. Candidates first, then "
              "existing and committed plants. Orange: built in this case but not in the base case '{base}'; blue: "
              "built in the base case but not in this case; yellow: both build it, with another start or size.",
    "supply_mix": "Where each family's demand is met from, per case and year [t]: plants by location, import "
                  "contracts by origin, spot purchases and unmet demand (red when > 0).",
    "localization": "Qualifying supply as a share of demand vs the case's target, per case, group (family or "
                    "commodity) and year. Blank target = no target that year; red = target missed (shortfall in t).",
    "regret": "Each case's plan (builds, JV choices and contracts signed) fixed and evaluated under every case's "
              "policy. Regret = its cost minus the cheapest plan found for that case. The safest plan has the "
              "smallest worst-case regret (green). n/a = the plan cannot be carried out under that case.",
    "run_info": "Exactly what was compared, how, and with which software: enough to reproduce this workbook.",
    "chart_data": "Data behind the charts on the summary sheet.",
}

# ---------------------------------------------------------------------------------- styles
_FAILED_FONT = Font(italic=True, bold=True, color="9C0006")
_NA_FONT = Font(italic=True, color="808080")
_RED_FONT = Font(color="9C0006")
_BASE_FILL = PatternFill("solid", fgColor="B4C6E7")
_ADDED_FILL = PatternFill("solid", fgColor="F8CBAD")  # built here, not in the base case
_DROPPED_FILL = PatternFill("solid", fgColor="BDD7EE")  # built in the base case, not here
_CHANGED_FILL = PatternFill("solid", fgColor="FFF2CC")  # both build it, differently
_BEST_FILL = PatternFill("solid", fgColor="C6EFCE")
_BEST_FONT = Font(bold=True, color="006100")
_OWN_FONT = Font(bold=True)
_WRAP_HEADER = Alignment(wrap_text=True, vertical="top")
_LEFT = Alignment(horizontal="left")


# ---------------------------------------------------------------------------------- public API
def write_comparison(cmp: Comparison, path: str | Path, *, protect: tuple[str | Path, ...] = ()) -> Path:
    """Write the comparison workbook of `cmp` to `path` atomically and return the path.

    Built in memory, saved to a temporary file next to `path` and renamed into place; on any error
    `path` is left as it was. `protect` lists files that must never be overwritten (the input
    workbook): writing onto one raises `OutputError`. Links to the cases' own results workbooks
    are relative to the folder of `path` when possible.
    """
    folder = Path(path).parent
    return save_workbook(lambda: build_comparison_workbook(cmp, folder=folder), path,
                         what="comparison workbook", protect=protect, kind="comparison")


def build_comparison_workbook(cmp: Comparison, *, folder: str | Path | None = None) -> Workbook:
    """The comparison workbook of `cmp`, in memory; `folder` is where it will be saved (for links)."""
    ctx = _Context.of(cmp)
    wb = Workbook()
    summary = wb.active
    summary.title = "summary"
    _write_kpis(wb.create_sheet("kpis"), cmp, ctx)
    _write_deltas(wb.create_sheet("deltas"), cmp, ctx)
    _write_builds(wb.create_sheet("builds"), cmp, ctx)
    _write_supply_mix(wb.create_sheet("supply_mix"), cmp, ctx)
    _write_localization(wb.create_sheet("localization"), cmp, ctx)
    if cmp.regret is not None:
        _write_regret(wb.create_sheet("regret"), cmp, ctx)
    _write_run_info(wb.create_sheet("run_info"), cmp, ctx, folder)
    blocks = _write_chart_data(wb.create_sheet("chart_data"), cmp, ctx)
    _write_summary(summary, cmp, ctx, blocks, folder)
    return wb


# ---------------------------------------------------------------------------------- context
@dataclass(frozen=True)
class _Case:
    name: str
    status: str  # the run's status: done | failed
    has_plan: bool
    solve_status: str  # status["status"] of the solve, or the failure reason
    line: str  # plain words: proven optimal ... / FAILED: reason / NO PLAN: ...
    level: str  # ok | warn | bad

    @property
    def failed(self) -> bool:
        return not self.has_plan


def _case_of(name: str, run: CaseRun | None) -> _Case:
    if run is None:
        return _Case(name, "failed", False, "not run", "FAILED: the case was not run", "bad")
    if run.status != "done" or run.solution is None:
        reason = str(run.error or ("no solution returned" if run.status == "done" else "unknown reason"))
        return _Case(name, "failed" if run.status == "done" else str(run.status), False, reason,
                     f"FAILED: {reason}", "bad")
    st = run.solution.status
    line, level = status_line(st)
    text = str(st.get("status") or st.get("termination") or "")
    return _Case(name, "done", run.solution.has_plan, text, line, level)


@dataclass(frozen=True)
class _Context:
    instance: str
    base: str
    cases: tuple[_Case, ...]

    @classmethod
    def of(cls, cmp: Comparison) -> _Context:
        cases = tuple(_case_of(c, cmp.runs.get(c)) for c in cmp.cases)
        return cls(instance=str(cmp.instance or "(unnamed instance)"), base=str(cmp.base), cases=cases)

    @property
    def by_name(self) -> dict[str, _Case]:
        return {c.name: c for c in self.cases}

    @property
    def failed(self) -> list[_Case]:
        return [c for c in self.cases if c.failed]

    @property
    def header(self) -> str:
        n = len(self.cases)
        text = f"{self.instance} · comparison of {n} case{'s' if n != 1 else ''} · base case '{self.base}'"
        if self.failed:
            text += f" · {len(self.failed)} without a plan"
        return text

    @property
    def cases_line(self) -> tuple[str, str]:
        """(text, level) of row 3: which cases failed and why, or that all have a plan."""
        if self.failed:
            parts = [f"'{c.name}' — {c.line}" for c in self.failed]
            return "No plan (n/a on this sheet): " + "; ".join(parts), "bad"
        warn = [f"'{c.name}' ({c.line})" for c in self.cases if c.level == "warn"]
        if warn:
            return "Every case has a plan; not proven optimal: " + "; ".join(warn), "warn"
        n = len(self.cases)
        if n == 1:
            return "The case has a plan, proven optimal.", "ok"
        return f"{'Both' if n == 2 else f'All {n}'} cases have a plan, each proven optimal.", "ok"


def _sheet_head(ws: Worksheet, ctx: _Context, description: str) -> None:
    _cell(ws, TITLE_ROW, 1, ctx.header, font=_BOLD)
    _cell(ws, NOTE_ROW, 1, description, font=_NOTE_FONT)
    text, level = ctx.cases_line
    font = {"bad": _FAILED_FONT, "warn": Font(italic=True, color="9C5700")}.get(level, _NOTE_FONT)
    _cell(ws, CASES_ROW, 1, text, font=font)


# ---------------------------------------------------------------------------------- cell helpers
def _put(ws: Worksheet, row: int, col: int, value: Any, fmt: str | None = None, *, na: bool = False,
         **kw: Any) -> Any:
    """The results workbook's cell writer (a str is never a formula); with na=True a blank reads 'n/a'."""
    if na and _plain(value) is None:
        kw["font"] = _NA_FONT
        kw.setdefault("align", Alignment(horizontal="right"))
        return _cell(ws, row, col, NA, **kw)
    return _cell(ws, row, col, value, fmt, **kw)


def _kpi_display(value: Any, unit: Any) -> tuple[float | int | None, str, str]:
    """(written value, number format, unit shown) of a KPI: $ -> $M, share -> %."""
    u = "" if _isnull(unit) else str(unit)
    v = _number(value)
    if u == "$":
        return (None if v is None else v / MONEY_SCALE), FMT_MUSD, "$M"
    if u == "share":
        return v, FMT_SHARE, "%"
    if u == "count":
        return (None if v is None else (int(v) if float(v).is_integer() else v)), FMT_COUNT, "count"
    if u == "t":
        return v, FMT_T, "t"
    if u == "$/kWh":
        return v, FMT_KWH, u
    return v, FMT_NUMBER, u


def _delta_display(value: Any, unit: Any) -> tuple[float | None, str, str]:
    v, _fmt, u = _kpi_display(value, unit)
    if u == "%":
        u = "% points"
    if v is not None and abs(v) < (5e-4 if u == "$M" else 1e-9):  # float noise shows as +0.0
        v = 0.0
    return v, FMT_DELTA.get(u, FMT_DELTA_OTHER), u


def _autofilter(ws: Worksheet, ncols: int, last_row: int) -> None:
    if ncols:
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(ncols)}{max(last_row, HEADER_ROW)}"


def _widths_from(ws: Worksheet, ncols: int, first_row: int, last_row: int, *, minimum: float = 8,
                 maximum: float = 60, fixed: dict[int, float] | None = None) -> None:
    """Column widths from the header and the data shown (sampled), like the results workbook."""
    widths: dict[int, float] = {}
    for j in range(1, ncols + 1):
        w = minimum
        for r in range(first_row, min(last_row, first_row + 500) + 1):
            cell = ws.cell(row=r, column=j)
            if cell.value is None:
                continue
            extra = 3 if r == HEADER_ROW else 2  # room for the filter button
            w = max(w, _shown_width(cell.value, cell.number_format) + extra)
        widths[j] = min(w, maximum)
    widths.update(fixed or {})
    _set_widths(ws, widths)


def _none_row(ws: Worksheet, row: int, text: str = "none") -> int:
    _cell(ws, row, 1, text, font=_NONE_FONT)
    return row + 1


def _wrap(ws: Worksheet, row: int, first: int, last: int) -> None:
    """Merge a text cell to the right up to column `last` and wrap it, so a long note neither runs off
    the printed page nor hides behind the next cell; the row height follows the estimated lines."""
    cell = ws.cell(row=row, column=first)
    if not isinstance(cell.value, str):
        return
    total = sum(ws.column_dimensions[get_column_letter(j)].width or 8.43 for j in range(first, last + 1))
    size = float(cell.font.sz or 11) if cell.font is not None else 11.0
    per_line = max(8.0, total * 1.05 * 11.0 / size)  # text is narrower than the '0' of a width unit
    lines = max(1, math.ceil(len(cell.value) / per_line))
    if last > first:
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    height = math.ceil(lines * size * 1.4)
    ws.row_dimensions[row].height = max(height, ws.row_dimensions[row].height or 0)


def _lines(text: str, width: float) -> int:
    """Lines a header takes when wrapped at word boundaries in a column `width` characters wide."""
    lines, used = 1, 0
    for word in str(text).split():
        if used and used + 1 + len(word) > width - 1:
            lines, used = lines + 1, len(word)
        else:
            used += (1 if used else 0) + len(word)
    return lines


def _finish(ws: Worksheet, *, title_rows: str | None = None) -> None:
    """Wrap the three head rows over the sheet's width and set up printing (results workbook style)."""
    for r in (TITLE_ROW, NOTE_ROW, CASES_ROW):
        _wrap(ws, r, 1, max(1, ws.max_column))
    _print_setup(ws, title_rows=title_rows)


# ---------------------------------------------------------------------------------- kpis and deltas
def _kpi_rows(cmp: Comparison) -> list[tuple[str, str, str]]:
    """(kpi, unit, note) in the comparison's order."""
    if cmp.kpis.empty:
        return []
    return [(str(k), "" if _isnull(r["unit"]) else str(r["unit"]), "" if _isnull(r["note"]) else str(r["note"]))
            for k, r in cmp.kpis.iterrows()]


def _value(df: pd.DataFrame, kpi: str, case: str) -> Any:
    if case not in df.columns or kpi not in df.index:
        return None
    v = df.at[kpi, case]
    return None if isinstance(v, pd.Series | pd.DataFrame) else v


def _write_kpis(ws: Worksheet, cmp: Comparison, ctx: _Context) -> None:
    _sheet_head(ws, ctx, DESCRIPTIONS["kpis"] + f" Base case '{ctx.base}' is the shaded column.")
    cases = list(ctx.cases)
    headers = ["indicator", "unit", *[c.name for c in cases], "what it is", "key"]
    for j, h in enumerate(headers, start=1):
        _header_cell(ws, HEADER_ROW, j, h)
        if 3 <= j < 3 + len(cases) and cases[j - 3].name == ctx.base:
            ws.cell(row=HEADER_ROW, column=j).fill = _BASE_FILL
    note_col, key_col = 3 + len(cases), 4 + len(cases)
    row = FIRST_DATA_ROW
    # first row: how each solve ended, so no number is read without its status
    _cell(ws, row, 1, "solve status", font=_BOLD, align=Alignment(vertical="top"))
    for j, c in enumerate(cases, start=3):
        fill, _font = _STATUS_STYLES[c.level]
        _cell(ws, row, j, c.line, font=Font(bold=c.failed, color=_font.color), fill=fill)
    _cell(ws, row, note_col, "how each solve ended (FAILED: the case has no plan, its column is n/a)",
          font=_NOTE_FONT, align=Alignment(vertical="top"))
    _cell(ws, row, key_col, "status", font=_NA_FONT, align=Alignment(vertical="top"))
    row += 1
    for kpi, unit, note in _kpi_rows(cmp):
        _v, fmt, shown = _kpi_display(None, unit)
        _cell(ws, row, 1, kpi_label(kpi, base=ctx.base))
        _cell(ws, row, 2, shown)
        for j, c in enumerate(cases, start=3):
            v, fmt, _u = _kpi_display(None if c.failed else _value(cmp.kpis, kpi, c.name), unit)
            _put(ws, row, j, v, fmt, na=True)
        _cell(ws, row, note_col, note, font=_NOTE_FONT)
        _cell(ws, row, key_col, kpi, font=_NA_FONT)
        row += 1
    if row == FIRST_DATA_ROW + 1:
        row = _none_row(ws, row, "none: no case has a plan")
    _autofilter(ws, len(headers), row - 1)
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=3)
    _widths_from(ws, len(headers), HEADER_ROW, row - 1, fixed={
        1: 34, 2: 8, note_col: 60, key_col: 30, **{j: 16 for j in range(3, note_col)}})
    for j in range(3, 3 + len(cases)):  # status texts are long: wrap them in the case columns
        ws.cell(row=FIRST_DATA_ROW, column=j).alignment = Alignment(wrap_text=True, vertical="top")
    longest = max((len(c.line) for c in cases), default=0)
    ws.row_dimensions[FIRST_DATA_ROW].height = 15 * min(6, max(1, math.ceil(longest / 15)))
    _finish(ws, title_rows=f"{HEADER_ROW}:{HEADER_ROW}")


def _write_deltas(ws: Worksheet, cmp: Comparison, ctx: _Context) -> None:
    base_ok = not ctx.by_name.get(ctx.base, _case_of(ctx.base, None)).failed
    description = DESCRIPTIONS["deltas"].format(base=ctx.base)
    if not base_ok:
        description += f" The base case '{ctx.base}' has no plan: there is nothing to compare against (n/a)."
    _sheet_head(ws, ctx, description)
    cases = [c for c in ctx.cases if c.name != ctx.base]
    headers = ["indicator", "unit", *[c.name for c in cases], "what it is", "key"]
    for j, h in enumerate(headers, start=1):
        _header_cell(ws, HEADER_ROW, j, h)
    note_col, key_col = 3 + len(cases), 4 + len(cases)
    row = FIRST_DATA_ROW
    for kpi, unit, note in _kpi_rows(cmp):
        _v, _fmt, shown = _delta_display(None, unit)
        _cell(ws, row, 1, kpi_label(kpi, base=ctx.base))
        _cell(ws, row, 2, shown)
        for j, c in enumerate(cases, start=3):
            v, fmt, _u = _delta_display(_value(cmp.deltas, kpi, c.name) if base_ok and not c.failed else None, unit)
            _put(ws, row, j, v, fmt, na=True)
        _cell(ws, row, note_col, note, font=_NOTE_FONT)
        _cell(ws, row, key_col, kpi, font=_NA_FONT)
        row += 1
    if row == FIRST_DATA_ROW:
        row = _none_row(ws, row, "none: no case has a plan" if cases or not base_ok else
                        "none: the comparison has only the base case")
    _autofilter(ws, len(headers), row - 1)
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=3)
    _widths_from(ws, len(headers), HEADER_ROW, row - 1, fixed={
        1: 34, 2: 10, note_col: 60, key_col: 30, **{j: 16 for j in range(3, note_col)}})
    _finish(ws, title_rows=f"{HEADER_ROW}:{HEADER_ROW}")


# ---------------------------------------------------------------------------------- builds
_BUILD_INFO = (("project", "project"), ("name", "name"), ("decision_kind", "kind"), ("commodity", "commodity"),
               ("site", "site"), ("partner", "JV partner"))


def _units(cmp: Comparison, project: str, case: str) -> int:
    try:
        v = cmp.build_units.at[project, case]
    except KeyError:
        return 0
    v = _number(v)
    return int(v) if v else 0


def _start(cmp: Comparison, project: str, case: str) -> float | None:
    try:
        return _number(cmp.build_start.at[project, case])
    except KeyError:
        return None


def _write_builds(ws: Worksheet, cmp: Comparison, ctx: _Context) -> None:
    base_case = ctx.by_name.get(ctx.base)
    base_ok = base_case is not None and not base_case.failed and ctx.base in cmp.build_units.columns
    description = DESCRIPTIONS["builds"].format(base=ctx.base)
    if not base_ok:
        description += f" The base case '{ctx.base}' has no plan: nothing is highlighted."
    _sheet_head(ws, ctx, description)
    cases = list(ctx.cases)
    solved = [c for c in cases if not c.failed and c.name in cmp.builds.columns]
    headers = [h for _k, h in _BUILD_INFO] + [c.name for c in cases] + ["built in"]
    for j, h in enumerate(headers, start=1):
        _header_cell(ws, HEADER_ROW, j, h)
        if 7 <= j < 7 + len(cases) and cases[j - 7].name == ctx.base:
            ws.cell(row=HEADER_ROW, column=j).fill = _BASE_FILL
    row = FIRST_DATA_ROW
    for rec in cmp.builds.to_dict("records"):
        project = rec.get("project")
        candidate = str(rec.get("decision_kind")) == "candidate"
        for j, (key, _h) in enumerate(_BUILD_INFO, start=1):
            v = rec.get(key)
            if key == "decision_kind":
                v = {"fixed": "existing or committed"}.get(str(v), v)
            _cell(ws, row, j, v, FMT_TEXT if isinstance(_plain(v), str) else None)
        n_built = 0
        for j, c in enumerate(cases, start=7):
            if c.failed or c.name not in cmp.builds.columns:
                _put(ws, row, j, None, na=True, align=Alignment(horizontal="center"))
                continue
            u = _units(cmp, project, c.name)
            n_built += u > 0
            fill = None
            if base_ok and c.name != ctx.base:
                ub = _units(cmp, project, ctx.base)
                if u > 0 and ub == 0:
                    fill = _ADDED_FILL
                elif u == 0 and ub > 0:
                    fill = _DROPPED_FILL
                elif u > 0 and (u != ub or _start(cmp, project, c.name) != _start(cmp, project, ctx.base)):
                    fill = _CHANGED_FILL
            _cell(ws, row, j, rec.get(c.name), FMT_TEXT, fill=fill, align=Alignment(horizontal="center"))
        _cell(ws, row, 7 + len(cases), f"{n_built} of {len(solved)}" if solved else NA,
              font=_BOLD if candidate and solved and n_built == len(solved) else None)
        row += 1
    if row == FIRST_DATA_ROW:
        row = _none_row(ws, row, "none: no case has a plan" if not solved else "none: the instance has no projects")
    else:
        _cell(ws, row + 1, 1, "'built in' counts the cases with a plan that build the project; a candidate built "
                              "in every case (bold) is a no-regret build.", font=_NOTE_FONT)
    _autofilter(ws, len(headers), row - 1)
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=3)
    _widths_from(ws, len(headers), HEADER_ROW, row - 1, maximum=50,
                 fixed={j: max(12, min(20, len(c.name) + 3)) for j, c in enumerate(cases, start=7)})
    _finish(ws, title_rows=f"{HEADER_ROW}:{HEADER_ROW}")


# ---------------------------------------------------------------------------------- supply mix
def _source_key(source: str) -> tuple[int, str]:
    order = ("domestic_plants", "fta_plants", "other_plants")
    if source in order:
        return order.index(source), ""
    if source.startswith("imports_"):
        return 3, source
    return {"spot_purchases": 4, "unmet": 5}.get(source, 6), source


def _source_label(source: str) -> str:
    if source.startswith("imports_"):
        return f"imports from {source[len('imports_'):]}"
    return _words(source)


def _rows_of_case(ws: Worksheet, row: int, c: _Case, df: pd.DataFrame, none_text: str
                  ) -> tuple[pd.DataFrame | None, int]:
    """The rows of `df` for case `c`, or None after writing one line saying the case failed or has none."""
    if c.failed:
        _cell(ws, row, 1, c.name, FMT_TEXT, font=_FAILED_FONT)
        _cell(ws, row, 2, c.line, FMT_TEXT, font=_FAILED_FONT)
        return None, row + 1
    sub = df[df["case"] == c.name] if not df.empty else df
    if sub.empty:
        _cell(ws, row, 1, c.name, FMT_TEXT)
        _cell(ws, row, 2, none_text, font=_NONE_FONT)
        return None, row + 1
    return sub, row


def _write_supply_mix(ws: Worksheet, cmp: Comparison, ctx: _Context) -> None:
    _sheet_head(ws, ctx, DESCRIPTIONS["supply_mix"])
    mix = cmp.supply_mix
    sources = sorted({str(s) for s in mix["source"].tolist()}, key=_source_key) if not mix.empty else []
    headers = ["case", "family", "year", *[f"{_source_label(s)} [t]" for s in sources], "total [t]"]
    for j, h in enumerate(headers, start=1):
        _header_cell(ws, HEADER_ROW, j, h)
    row = FIRST_DATA_ROW
    for c in ctx.cases:
        sub, row = _rows_of_case(ws, row, c, mix, "none: no supply in this plan")
        if sub is None:
            continue
        piv = sub.assign(source=sub["source"].astype(str)).pivot_table(
            index=["family", "year"], columns="source", values="tonnes", aggfunc="sum", sort=False)
        fam_order = list(dict.fromkeys(sub["family"].tolist()))
        keys = sorted(piv.index, key=lambda k: (fam_order.index(k[0]), k[1]))
        for fam, year in keys:
            _cell(ws, row, 1, c.name, FMT_TEXT)
            _cell(ws, row, 2, fam, FMT_TEXT)
            _put(ws, row, 3, year, FMT_YEAR)
            total = 0.0
            for j, s in enumerate(sources, start=4):
                v = _number(piv.at[(fam, year), s]) if s in piv.columns else None
                v = v or 0.0
                total += v
                _put(ws, row, j, v, FMT_T, font=_RED_FONT if s == "unmet" and v > 1e-6 else None)
            _put(ws, row, 4 + len(sources), total, FMT_T, font=_BOLD)
            row += 1
    if row == FIRST_DATA_ROW:
        row = _none_row(ws, row)
    _autofilter(ws, len(headers), row - 1)
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=4)
    fixed: dict[int, float] = {2: 12}
    for j in range(1, len(headers) + 1):  # tonnes: narrow columns, wrapped headers
        if j > 3:
            fixed[j] = 13
        ws.cell(row=HEADER_ROW, column=j).alignment = _WRAP_HEADER
    ws.row_dimensions[HEADER_ROW].height = 15 * max((_lines(h, 13) for h in headers[3:]), default=1)
    _widths_from(ws, len(headers), HEADER_ROW, row - 1, maximum=30, fixed=fixed)
    _finish(ws, title_rows=f"{HEADER_ROW}:{HEADER_ROW}")


# ---------------------------------------------------------------------------------- localization
_LOC_COLUMNS = (("share", "share [%]", FMT_SHARE), ("target_share", "target [%]", FMT_SHARE),
                ("domestic_fta_share", "domestic + FTA share [%]", FMT_SHARE), ("shortfall_t", "shortfall [t]", FMT_T))


def _write_localization(ws: Worksheet, cmp: Comparison, ctx: _Context) -> None:
    _sheet_head(ws, ctx, DESCRIPTIONS["localization"])
    headers = ["case", "group", "year", *[h for _k, h, _f in _LOC_COLUMNS]]
    for j, h in enumerate(headers, start=1):
        _header_cell(ws, HEADER_ROW, j, h)
    loc = cmp.localization
    row = FIRST_DATA_ROW
    for c in ctx.cases:
        sub, row = _rows_of_case(ws, row, c, loc, "none: the instance sets no localization groups")
        if sub is None:
            continue
        for rec in sub.to_dict("records"):
            short = (_number(rec.get("shortfall_t")) or 0.0) > 1e-6
            _cell(ws, row, 1, c.name, FMT_TEXT)
            _cell(ws, row, 2, rec.get("group"), FMT_TEXT)
            _put(ws, row, 3, rec.get("year"), FMT_YEAR)
            for j, (key, _h, fmt) in enumerate(_LOC_COLUMNS, start=4):
                v = _number(rec.get(key))
                if key == "target_share" and not v:
                    v = None  # no target that year: blank, not a 0% target
                font = _RED_FONT if short and key in ("share", "shortfall_t") else None
                _put(ws, row, j, v, fmt, font=font)
            row += 1
    if row == FIRST_DATA_ROW:
        row = _none_row(ws, row)
    _autofilter(ws, len(headers), row - 1)
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=4)
    _widths_from(ws, len(headers), HEADER_ROW, row - 1, maximum=30, fixed={2: 14})
    _finish(ws, title_rows=f"{HEADER_ROW}:{HEADER_ROW}")


# ---------------------------------------------------------------------------------- regret
def _worst_under(reg: Any, plan: str) -> str | None:
    r = reg.regret.loc[plan]
    if r.isna().any() or r.empty:
        return None
    return str(r.idxmax())


def _write_matrix(ws: Worksheet, row: int, title: str, df: pd.DataFrame, best: str | None,
                  *, extra: Sequence[tuple[str, dict[str, Any], str]] = ()) -> int:
    """One plan × case matrix in $M, the best plan's row highlighted; returns the next free row."""
    row = _section(ws, row, title)
    plans = [str(p) for p in df.index]
    under = [str(b) for b in df.columns]
    _header_cell(ws, row, 1, "plan of ↓ / evaluated under →")
    for j, b in enumerate(under, start=2):
        _header_cell(ws, row, j, b)
    for k, (h, _vals, _fmt) in enumerate(extra):
        _header_cell(ws, row, 2 + len(under) + k, h)
        ws.cell(row=row, column=2 + len(under) + k).alignment = _WRAP_HEADER
    row += 1
    for a, plan in zip(df.index, plans, strict=True):
        is_best = plan == best
        fill = _BEST_FILL if is_best else None
        _cell(ws, row, 1, plan, FMT_TEXT, font=_BEST_FONT if is_best else _BOLD, fill=fill)
        for j, (b, name) in enumerate(zip(df.columns, under, strict=True), start=2):
            v = _musd(df.at[a, b])
            if v is None:  # the plan cannot be carried out under that case (see the notes table)
                _put(ws, row, j, None, na=True, fill=fill)
            else:
                font = _BEST_FONT if is_best else (_OWN_FONT if plan == name else None)
                _put(ws, row, j, v, FMT_MUSD2, font=font, fill=fill)
        for k, (_h, vals, fmt) in enumerate(extra):
            v = vals.get(plan)
            _put(ws, row, 2 + len(under) + k, v, fmt if isinstance(_plain(v), int | float) else None,
                 font=_BEST_FONT if is_best else None, fill=fill, na=fmt != FMT_TEXT)
        row += 1
    if not plans:
        row = _none_row(ws, row, "none: no case has a plan")
    return row + 1


def _write_regret(ws: Worksheet, cmp: Comparison, ctx: _Context) -> None:
    reg = cmp.regret
    assert reg is not None
    _sheet_head(ws, ctx, DESCRIPTIONS["regret"])
    notes = {(str(a), str(b)): str(w) for (a, b), w in reg.notes.items()}
    best = reg.best_plan
    row = HEADER_ROW
    if best is not None:
        worst = _musd(reg.max_regret.get(best))
        text = f"Safest plan: the plan of case '{best}'"
        _cell(ws, row, 1, text + (f" — worst-case regret ${worst:,.2f}M" if worst is not None else ""),
              font=_BEST_FONT, fill=_BEST_FILL)
        for j in range(2, len(reg.cost.columns) + 5):
            ws.cell(row=row, column=j).fill = _BEST_FILL
    else:
        _cell(ws, row, 1, "No plan could be evaluated under every case: there is no safest plan.",
              font=_FAILED_FONT)
    row += 2
    row = _write_matrix(ws, row, "Cost of each plan under each case [$M, total discounted cost]; bold = the "
                        "case's own optimum", reg.cost, best)
    worst = {str(p): _musd(v) for p, v in reg.max_regret.items()}
    where = {str(p): _worst_under(reg, str(p)) for p in reg.regret.index}
    marks = {best: "◀ safest plan"} if best is not None else {}
    row = _write_matrix(ws, row, "Regret [$M]: cost minus the cheapest plan found for that case", reg.regret, best,
                        extra=(("worst-case regret [$M]", worst, FMT_MUSD2), ("worst under case", where, FMT_TEXT),
                               ("", marks, FMT_TEXT)))
    row = _section(ws, row, "Plans that could not be evaluated (n/a above)")
    row = _small_table(ws, row, ["plan of", "evaluated under", "why"], ([a, b, w] for (a, b), w in notes.items()),
                       empty="none: every plan could be evaluated under every case")
    missing = [c for c in ctx.cases if c.name not in {str(p) for p in reg.cost.index}]
    if missing:
        row += 1
        row = _section(ws, row, "Cases not in the matrices")
        for c in missing:
            _cell(ws, row, 1, c.name, FMT_TEXT, font=_FAILED_FONT)
            _cell(ws, row, 2, c.line if c.failed else "not evaluated", font=_FAILED_FONT)
            row += 1
    ncols = max(4, 1 + len(reg.cost.columns) + 3)
    widths = {1: max(30, *(len(str(p)) + 4 for p in reg.cost.index)) if len(reg.cost.index) else 30}
    widths.update({j: max(14 if j > 2 else 17, min(24, len(str(b)) + 3))
                   for j, b in enumerate(reg.cost.columns, start=2)})
    k = 2 + len(reg.cost.columns)
    widths.update({k: 22, k + 1: 18, k + 2: 16})
    for j in range(2, ncols + 1):
        widths.setdefault(j, 16)
    _set_widths(ws, widths)
    ws.freeze_panes = ws.cell(row=HEADER_ROW, column=2)
    _finish(ws)


# ---------------------------------------------------------------------------------- run_info
def _flat(options: dict[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """(label, value) of each option: the comparison's own in words, HiGHS's by their HiGHS names."""
    for k, v in options.items():
        key = f"{prefix}{k}" if prefix else _words(str(k))
        if isinstance(v, dict):
            yield from _flat(v, key + ": ")
        elif isinstance(v, list | tuple | set | frozenset):
            yield key, ", ".join(str(_plain(x)) for x in v)
        else:
            yield key, _text_or_value(v)


def _link_target(workbook: str, folder: str | Path | None) -> str:
    """A hyperlink to `workbook`: relative to `folder` when possible, else an absolute file URI."""
    p = Path(workbook)
    if folder is not None:
        try:
            base = Path(folder).resolve()
            rel = os.path.relpath(p.resolve(), base)
            return quote(PurePath(rel).as_posix(), safe="/._-~")
        except (OSError, ValueError):  # another drive on Windows
            pass
    try:
        return p.resolve().as_uri()
    except (OSError, ValueError):
        return quote(p.as_posix(), safe="/._-~:")


def _write_run_info(ws: Worksheet, cmp: Comparison, ctx: _Context, folder: str | Path | None) -> None:
    _sheet_head(ws, ctx, DESCRIPTIONS["run_info"])
    row = HEADER_ROW + 1
    row = _section(ws, row, "Instance")
    row = _kv(ws, row, "name", cmp.instance)
    row = _kv(ws, row, "path", cmp.instance_path)
    row = _kv(ws, row, "SHA-256 of the file", cmp.instance_sha256)
    row += 1
    row = _section(ws, row, "Comparison")
    row = _kv(ws, row, "base case", cmp.base, note="deltas, highlights and the cost difference per kWh are measured "
                                                   "against it")
    row = _kv(ws, row, "cases requested", ", ".join(cmp.cases), note=f"{len(cmp.cases)} cases, in this order")
    row = _kv(ws, row, "cases with a plan", ", ".join(c.name for c in ctx.cases if not c.failed) or "none")
    row = _kv(ws, row, "cases without a plan", ", ".join(c.name for c in ctx.failed) or "none")
    row = _kv(ws, row, "regret analysis", "yes" if cmp.regret is not None else "no",
              note="each plan re-evaluated under every other case" if cmp.regret is not None else "")
    row += 1
    row = _section(ws, row, "Options of the comparison")
    opts = list(_flat(dict(cmp.options)))
    row = _small_table(ws, row, ["option", "value"], opts, empty="none recorded")
    row += 1

    row = _section(ws, row, "Cases")
    heads = ["case", "status", "seconds", "objective [$M]", "gap", "HiGHS time [s]", "preset", "started (UTC)",
             "results workbook", "solve status (or why the case failed)"]
    for j, h in enumerate(heads, start=1):
        _header_cell(ws, row, j, h)
    row += 1
    for c in ctx.cases:
        run = cmp.runs.get(c.name)
        sol = run.solution if run is not None else None
        st = sol.status if sol is not None else {}
        ri = sol.run_info if sol is not None else {}
        _cell(ws, row, 1, c.name, FMT_TEXT, font=_BOLD)
        _cell(ws, row, 2, c.status, font=_FAILED_FONT if c.failed else None)
        _put(ws, row, 3, _number(run.seconds) if run is not None else None, FMT_SECONDS, align=_LEFT)
        _put(ws, row, 4, _musd(st.get("objective_usd")), FMT_MUSD2, align=_LEFT)
        gap_value, gap_fmt = gap_cell(st.get("gap"))  # the one rule for gaps
        _put(ws, row, 5, gap_value, gap_fmt, align=_LEFT)
        _put(ws, row, 6, _finite(st.get("highs_time_s")), FMT_SECONDS, align=_LEFT)
        _cell(ws, row, 7, ri.get("preset"))
        _cell(ws, row, 8, ri.get("started_utc"))
        if run is not None and run.workbook:
            cell = _cell(ws, row, 9, str(run.workbook), FMT_TEXT, font=_LINK_FONT)
            cell.hyperlink = _link_target(str(run.workbook), folder)
        else:
            _cell(ws, row, 9, "not written", font=_NONE_FONT)
        _cell(ws, row, 10, c.solve_status if not c.failed or c.status != "done" else c.line, FMT_TEXT,
              font=_FAILED_FONT if c.failed else None)
        row += 1
    row += 1

    solved = [(c, cmp.runs[c.name].solution) for c in ctx.cases
              if c.name in cmp.runs and cmp.runs[c.name].solution is not None]
    row = _section(ws, row, "HiGHS options per case (value; source)")
    options: dict[str, dict[str, str]] = {}
    for c, sol in solved:
        for o in sol.run_info.get("solver_options") or []:
            o = tuple(o) if isinstance(o, list | tuple) else (o, "", "")
            name, value, source = (list(o) + ["", ""])[:3]
            options.setdefault(str(name), {})[c.name] = f"{_plain(value)}" + (f" ({source})" if source else "")
    row = _small_table(ws, row, ["option", *[c.name for c, _s in solved]],
                       ([k, *[v.get(c.name) for c, _s in solved]] for k, v in options.items()),
                       empty="none recorded")
    row += 1
    row = _section(ws, row, "How each case is made (extends; overrides of other sheets, in order)")
    orows = []
    for c, sol in solved:
        ri = sol.run_info
        chain = " -> ".join([*(ri.get("case_extends") or []), c.name])
        overrides = ri.get("case_overrides") or []
        if not overrides:
            orows.append([c.name, chain, "", "", "", "", "", "none"])
        for o in overrides:
            orows.append([c.name, chain, o.get("sheet"), o.get("filter"), o.get("column"), o.get("operation"),
                          o.get("value"), o.get("note")])
    row = _small_table(ws, row, ["case", "extends", "sheet", "filter", "column", "operation", "value", "note"],
                       orows, empty="no case extends another or overrides any sheet")
    row += 1
    row = _section(ws, row, "Timings per case [s]")
    steps: dict[str, dict[str, Any]] = {}
    for c, sol in solved:
        for k, v in (sol.status.get("timings") or {}).items():
            steps.setdefault(step_label(str(k)), {})[c.name] = _finite(v)
        for k in ("wall_time_s", "highs_time_s"):
            if k in sol.status:
                steps.setdefault({"wall_time_s": "wall time (solve)", "highs_time_s": "inside HiGHS"}[k],
                                 {})[c.name] = _finite(sol.status[k])
    row = _small_table(ws, row, ["step", *[c.name for c, _s in solved]],
                       ([k, *[v.get(c.name) for c, _s in solved]] for k, v in steps.items()),
                       [None, *["0.000"] * len(solved)], empty="none recorded")
    row += 1
    row = _section(ws, row, "Model size per case")
    sizes = ("variables", "integer_variables", "constraints", "nonzeros")
    row = _small_table(ws, row, ["size", *[c.name for c, _s in solved]],
                       ([_words(k), *[_plain(s.status.get(k)) for _c, s in solved]] for k in sizes),
                       [None, *[FMT_COUNT] * len(solved)], empty="none recorded")
    row += 1
    row = _section(ws, row, "Package versions")
    versions = next((s.run_info.get("versions") for _c, s in solved if s.run_info.get("versions")), {}) or {}
    row = _small_table(ws, row, ["package", "version"], ((k, str(v)) for k, v in versions.items()))
    link_w = max((len(str(r.workbook)) + 2 for r in cmp.runs.values() if r.workbook), default=16)
    _set_widths(ws, {1: 30, 2: 22, 3: 22, 4: 16, 5: 10, 6: 14, 7: 12, 8: 26, 9: min(80, max(18, link_w)), 10: 40,
                     **{j: 22 for j in range(11, 3 + len(solved))}})
    _finish(ws)


# ---------------------------------------------------------------------------------- chart data
@dataclass
class _Charts:
    kpis: _Block | None
    localization: list[tuple[str, _Block, list[str], list[bool]]]  # group, block, colours, dashed


def _case_colors(ctx: _Context) -> dict[str, str]:
    return {c.name: _PALETTE[i % len(_PALETTE)] for i, c in enumerate(ctx.cases)}


def _write_chart_data(ws: Worksheet, cmp: Comparison, ctx: _Context) -> _Charts:
    _sheet_head(ws, ctx, DESCRIPTIONS["chart_data"])
    row = HEADER_ROW + 1
    # KPI bars: a row per case (cases without a plan stay blank), a column per KPI, $M
    _cell(ws, row, 1, "Cost per case [$M]", font=_SECTION)
    hr = row + 1
    _header_cell(ws, hr, 1, "case")
    present = [(k, h) for k, h in CHART_KPIS if k in cmp.kpis.index]
    for j, (_k, h) in enumerate(present, start=2):
        _header_cell(ws, hr, j, h)
    for i, c in enumerate(ctx.cases):
        r = hr + 1 + i
        _cell(ws, r, 1, c.name if not c.failed else f"{c.name} (no plan)", FMT_TEXT)
        for j, (k, _h) in enumerate(present, start=2):
            _put(ws, r, j, None if c.failed else _musd(_value(cmp.kpis, k, c.name)), FMT_MUSD)
    kpi_block = _Block(hr, hr + 1, hr + len(ctx.cases), [h for _k, h in present])
    if not ctx.cases or not present:
        _cell(ws, hr + 1, 1, "none", font=_NONE_FONT)
    row = hr + max(len(ctx.cases), 1) + 2

    # localized share per group: a line per case, targets dashed in the case's colour
    loc = cmp.localization
    colors = _case_colors(ctx)
    blocks = []
    groups = list(dict.fromkeys(loc["group"].tolist())) if not loc.empty else []
    for g in groups[:MAX_LOCALIZATION_CHARTS]:
        sub = loc[loc["group"] == g]
        years = sorted({int(y) for y in sub["year"].dropna().tolist()})
        cols: list[tuple[str, list[Any]]] = []
        col_colors: list[str] = []
        dashed: list[bool] = []
        for c in ctx.cases:
            cs = sub[sub["case"] == c.name]
            if c.failed or cs.empty:
                continue
            by_year = cs.groupby("year").first()
            cols.append((c.name, [_number(by_year.at[y, "share"]) if y in by_year.index else None for y in years]))
            col_colors.append(colors[c.name])
            dashed.append(False)
            target = [(_number(by_year.at[y, "target_share"]) or None) if y in by_year.index else None
                      for y in years]
            if any(t is not None for t in target):
                cols.append((f"{c.name} target", target))
                col_colors.append(colors[c.name])
                dashed.append(True)
        block, row = _write_block(ws, row, f"Localized share of {g} by case (targets dashed)", years, cols,
                                  FMT_SHARE)
        if not block.empty:
            blocks.append((str(g), block, col_colors, dashed))
    if len(groups) > MAX_LOCALIZATION_CHARTS:
        _cell(ws, row, 1, f"{len(groups) - MAX_LOCALIZATION_CHARTS} more groups are not charted; see the "
                              "localization sheet.", font=_NOTE_FONT)
    widths: dict[int, float] = {1: max(12, min(40, max((len(c.name) + 12 for c in ctx.cases), default=12)))}
    for _g, b, _c, _d in blocks:
        for j, name in enumerate(b.series, start=2):
            widths[j] = max(widths.get(j, 12), min(40, len(name) + 3))
    for j, (_k, h) in enumerate(present, start=2):
        widths[j] = max(widths.get(j, 12), len(h) + 3)
    _set_widths(ws, widths)
    _finish(ws)
    return _Charts(kpi_block if present and ctx.cases else None, blocks)


def _make_charts(ws: Worksheet, charts: _Charts) -> list[Any]:
    out: list[Any] = []
    if charts.kpis is not None and not charts.kpis.empty:
        out.append(_column_chart(ws, charts.kpis, "Cost per case", "$M", "case"))
    for group, block, colors, dashed in charts.localization:
        ch = _line_chart(ws, block, f"Localized share of {group}", "share of demand", "0%")
        ch.y_axis.scaling.min = 0
        ch.y_axis.scaling.max = 1
        ch.height = 9
        _style_series(ch, colors, dashed=dashed)
        out.append(ch)
    return out


# ---------------------------------------------------------------------------------- summary
def _cm(width_chars: float) -> float:
    """Approximate on-screen width of a column in cm (Calibri 11: 7 px per character + 5 px padding)."""
    return (width_chars * 7 + 5) / 37.8


def _write_summary(ws: Worksheet, cmp: Comparison, ctx: _Context, charts: _Charts,
                   folder: str | Path | None) -> None:
    n = len(ctx.cases)
    present = [(k, h) for k, h in SUMMARY_KPIS if k in cmp.kpis.index]
    links = [Path(str(r.workbook)).name for r in cmp.runs.values() if r.workbook]
    link_cols = max(1, min(4, math.ceil((max((len(x) for x in links), default=12) + 2) / 14.5)))
    status_col = 5 + link_cols
    ncols = max(1 + len(present), status_col + 2)
    # column A holds case names; B.. serve the cases table, the regret table and the KPI columns
    _set_widths(ws, {1: max(22, min(36, max((len(c.name) + 3 for c in ctx.cases), default=22))),
                     **{j: 14 for j in range(2, ncols + 1)}})
    if cmp.regret is not None:  # 'worst under case' holds case names
        ws.column_dimensions['C'].width = max(14, min(30, max((len(c.name) + 2 for c in ctx.cases), default=14)))
    wrap: list[tuple[int, int]] = []  # (row, first column) of texts merged to the right edge and wrapped

    _cell(ws, 1, 1, f"Policy comparison for {ctx.instance}: {n} case{'s' if n != 1 else ''}, base case "
                    f"'{ctx.base}'", font=_TITLE)
    text, level = ctx.cases_line
    if ctx.failed:
        text = f"{len(ctx.failed)} of {n} cases have no plan: " + "; ".join(
            f"'{c.name}' — {c.line}" for c in ctx.failed)
    fill, font = _STATUS_STYLES[level]
    _cell(ws, 2, 1, text, font=font, fill=fill)
    if cmp.regret is not None:
        _cell(ws, 3, 1, "Which plan is safest under policy uncertainty? Each case is one possible policy future; "
                        "each case's plan was re-evaluated under every other case (regret sheet).", font=_NOTE_FONT)
    else:
        _cell(ws, 3, 1, "Each case is one possible policy future: its optimal plan, costs and builds side by side. "
                        "The regret analysis (each plan under every other case: planner compare --regret) was not "
                        "run.", font=_NOTE_FONT)
    _cell(ws, 4, 1, "Money in $M (millions of US dollars), discounted to the base year; shares in % of demand. "
                    "Details on the other sheets.", font=_NOTE_FONT)
    wrap += [(1, 1), (2, 1), (3, 1), (4, 1)]
    row = 6

    # cases
    row = _section(ws, row, "Cases")
    heads = {1: "case", 2: "status", 3: "solve time [s]", 4: "total cost [$M]", 5: "results workbook",
             status_col: "solve status (or why the case failed)"}
    for j in range(1, ncols + 1):
        _header_cell(ws, row, j, heads.get(j, ""))
    ws.merge_cells(start_row=row, start_column=5, end_row=row, end_column=status_col - 1)
    ws.merge_cells(start_row=row, start_column=status_col, end_row=row, end_column=ncols)
    row += 1
    for c in ctx.cases:
        run = cmp.runs.get(c.name)
        cfill, sfont = _STATUS_STYLES[c.level]
        _cell(ws, row, 1, c.name, FMT_TEXT, font=_BOLD, fill=_BASE_FILL if c.name == ctx.base else None)
        _cell(ws, row, 2, c.status, font=Font(bold=True, color=sfont.color), fill=cfill)
        _put(ws, row, 3, _number(run.seconds) if run is not None else None, FMT_SECONDS)
        cost = None
        if not c.failed:
            cost = _value(cmp.kpis, "total_cost_usd", c.name)
            if cost is None and run is not None and run.solution is not None:
                cost = run.solution.status.get("objective_usd")
        _put(ws, row, 4, _musd(cost), FMT_MUSD, na=True)
        if run is not None and run.workbook:
            cell = _cell(ws, row, 5, Path(str(run.workbook)).name, FMT_TEXT, font=_LINK_FONT)
            cell.hyperlink = _link_target(str(run.workbook), folder)
        else:
            _cell(ws, row, 5, "not written", font=_NONE_FONT)
        if link_cols > 1:
            ws.merge_cells(start_row=row, start_column=5, end_row=row, end_column=status_col - 1)
        if c.failed:
            status_text = c.line if c.status == "done" else c.solve_status
        else:
            status_text = f"{c.solve_status} — {c.line}" if c.solve_status else c.line
        _cell(ws, row, status_col, status_text, FMT_TEXT, font=_FAILED_FONT if c.failed else None)
        wrap.append((row, status_col))
        row += 1
    if not ctx.cases:
        row = _none_row(ws, row)
    _cell(ws, row, 1, f"Base case: '{ctx.base}' (shaded; deltas, build highlights and the cost difference per kWh are "
                      "measured against it).", font=_NOTE_FONT)
    wrap.append((row, 1))
    row += 2

    # safest plan
    row = _section(ws, row, "Which plan is safest under policy uncertainty?")
    reg = cmp.regret
    if reg is None:
        row = _none_row(ws, row, "not computed: the regret analysis was not run (planner compare --regret)")
    else:
        if reg.best_plan is not None:
            worst = _musd(reg.max_regret.get(reg.best_plan))
            under = _worst_under(reg, reg.best_plan)
            text = f"The plan of case '{reg.best_plan}': the smallest worst-case regret"
            if worst is not None:
                text += f", ${worst:,.2f}M" + (f" (under case '{under}')" if under and worst > 0 else "")
            _cell(ws, row, 1, text, font=_BEST_FONT, fill=_BEST_FILL)
        else:
            _cell(ws, row, 1, "No plan could be evaluated under every case: see the regret sheet.", font=_FAILED_FONT)
        wrap.append((row, 1))
        row += 1
        _cell(ws, row, 1, "Regret = what a plan costs under a case minus the cheapest plan found for that case. "
                          "Committing to the safest plan loses the least, whichever policy case comes true.",
              font=_NOTE_FONT)
        wrap.append((row, 1))
        row += 1
        for j, h in enumerate(("plan of case", "worst-case regret [$M]", "worst under case", "own cost [$M]"),
                              start=1):
            _header_cell(ws, row, j, h)
            ws.cell(row=row, column=j).alignment = _WRAP_HEADER
        ws.row_dimensions[row].height = 30
        row += 1
        for p in reg.cost.index:
            plan = str(p)
            best = plan == reg.best_plan
            bfill = _BEST_FILL if best else None
            bfont = _BEST_FONT if best else None
            _cell(ws, row, 1, plan, FMT_TEXT, font=_BEST_FONT if best else _BOLD, fill=bfill)
            _put(ws, row, 2, _musd(reg.max_regret.get(p)), FMT_MUSD2, font=bfont, fill=bfill, na=True)
            _cell(ws, row, 3, _worst_under(reg, plan) or NA, FMT_TEXT, font=bfont, fill=bfill)
            own = reg.cost.at[p, p] if p in reg.cost.columns else None
            _put(ws, row, 4, _musd(own), FMT_MUSD2, font=bfont, fill=bfill, na=True)
            if best:
                _cell(ws, row, 5, "◀ safest plan", font=_BEST_FONT)
            row += 1
        for c in ctx.cases:
            if c.name not in {str(p) for p in reg.cost.index}:
                _cell(ws, row, 1, c.name, FMT_TEXT, font=_FAILED_FONT)
                _cell(ws, row, 2, "n/a: " + (c.line if c.failed else "not evaluated"), font=_FAILED_FONT)
                wrap.append((row, 2))
                row += 1
    row += 1

    # headline KPIs: a row per case
    row = _section(ws, row, "Key results per case")
    units = {k: _kpi_display(None, cmp.kpis.at[k, "unit"])[2] for k, _h in present}
    kheads = ["case", *[f"{h} [{units[k]}]" if units[k] and units[k] != "count" else h for k, h in present]]
    for j, h in enumerate(kheads, start=1):
        _header_cell(ws, row, j, h)
        ws.cell(row=row, column=j).alignment = _WRAP_HEADER
    ws.row_dimensions[row].height = 15 * max(_lines(h, 14) for h in kheads[1:]) if kheads[1:] else 15
    row += 1
    for c in ctx.cases:
        _cell(ws, row, 1, c.name, FMT_TEXT, font=_BOLD, fill=_BASE_FILL if c.name == ctx.base else None)
        for j, (k, _h) in enumerate(present, start=2):
            v, fmt, _u = _kpi_display(None if c.failed else _value(cmp.kpis, k, c.name), cmp.kpis.at[k, "unit"])
            _put(ws, row, j, v, fmt, na=True)
        row += 1
    if not present:
        row = _none_row(ws, row, "none: no case has a plan")
    if "cost_difference_usd_per_kwh" in cmp.kpis.index:
        note = cmp.kpis.at["cost_difference_usd_per_kwh", "note"]
        _cell(ws, row, 1, f"Cost difference per kWh: {note}. All indicators on the kpis sheet, differences on deltas.",
              font=_NOTE_FONT)
        wrap.append((row, 1))
        row += 1
    row += 1

    # charts below the tables, two per row
    drawn = _make_charts(ws.parent["chart_data"], charts)
    if not drawn:
        _cell(ws, row, 1, "No charts: no case has a plan.", font=_NONE_FONT)
        row += 2
    else:
        row = _section(ws, row, "Charts")
        # second chart column: the first column whose left edge is past the first chart (16 cm)
        left, col2 = 0.0, 2
        for j in range(1, 60):
            if left >= 16.3:
                col2 = j
                break
            left += _cm(ws.column_dimensions[get_column_letter(j)].width or 8.43)
        for i, ch in enumerate(drawn):
            ws.add_chart(ch, f"{get_column_letter(1 if i % 2 == 0 else col2)}{row}")
            if i % 2 == 1 or i == len(drawn) - 1:
                tallest = max(c.height for c in drawn[i - (i % 2): i + 1])
                row += math.ceil(tallest / 0.53) + 2
    # contents
    row = _section(ws, row, "Contents")
    for name in ws.parent.sheetnames[1:]:
        cell = _cell(ws, row, 1, name, font=_LINK_FONT, align=Alignment(vertical="top"))
        cell.hyperlink = f"#'{name}'!A1"
        _cell(ws, row, 2, DESCRIPTIONS.get(name, "").format(base=ctx.base), font=_NOTE_FONT)
        wrap.append((row, 2))
        row += 1
    row += 1

    for r, col in wrap:
        _wrap(ws, r, col, ncols)

    ws.freeze_panes = None
    _print_setup(ws)


__all__ = ["SHEET_ORDER", "build_comparison_workbook", "write_comparison"]
