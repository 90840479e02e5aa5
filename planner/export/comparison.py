"""The comparison workbook of `planner compare`: policy cases side by side, in plain words.

The question it answers: *which plan is safest under policy uncertainty?* Each case is one possible
policy future; the workbook shows what each case's optimal plan costs and builds, how far apart
the cases are, and (when the regret analysis ran) how each plan fares under every other case.

Layout (sheet order): ``summary``, ``kpis``, ``deltas``, ``builds``, ``supply_mix``,
``localization``, ``localization_views`` (the four definitions of localization, by tonnes and by
value), ``cost_views`` (cost to industry, resource cost, fiscal flows; penalties and sunk capex
apart), ``regret`` (only with a regret analysis; its costs also without sunk capex), ``run_info``
and ``chart_data`` (the pivots the summary charts draw from).

Every sheet starts the same way: row 1 the comparison (instance, number of cases, base case),
row 2 what the sheet shows, row 3 which cases failed and why (or that all cases have a plan).
Table sheets put their header on row 4 and data from row 5, with frozen panes and an autofilter.
A failed case is never silently dropped: it keeps its column (``n/a``) or gets a row saying it
failed and why.

Money is written in $M (value / 1e6), shares (0-1) with a percent format. Text from the input
(case, project and partner names, failure reasons) is always text, never a formula. How a sheet is
written is the kit's (`planner.export.kit`); this module holds only the content. No Pyomo here: it
reads only the pandas tables of a `Comparison`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

import pandas as pd

from planner.compare.compare import CaseRun, Comparison, penalty_words
from planner.export import kit
from planner.export.kit import (
    BOLD,
    FAILED,
    FMT_COUNT,
    FMT_MUSD,
    FMT_NUMBER,
    FMT_SECONDS,
    FMT_SHARE,
    FMT_T,
    FMT_TEXT,
    FMT_YEAR,
    HEADER_ROW,
    LINK,
    MONEY_SCALE,
    NA,
    NONE,
    NOTE,
    PALETTE,
    RED,
    STATUS,
    TITLE,
    Block,
    Book,
    Chart,
    Column,
    Grid,
    Pair,
    Section,
    Sheet,
    Style,
    Styled,
    Table,
    finite,
    isnull,
    musd,
    number,
    plain,
    text_or_value,
)
from planner.export.results import status_line
from planner.results.labels import component_label, gap_cell, kpi_label, musd_text, step_label, words

#: sheets in workbook order; ``regret`` only when the comparison carries a regret analysis
SHEET_ORDER = ("summary", "kpis", "deltas", "builds", "supply_mix", "localization", "localization_views",
               "cost_views", "regret", "run_info", "chart_data")

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
    ("resource_cost_usd", "resource cost"),
    ("public_cost_usd", "public cost"),
    ("net_fiscal_cost_usd", "net fiscal cost"),
    ("penalties_usd", "penalties"),
    ("sunk_capex_usd", "sunk capex"),
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
    ("resource_cost_usd", "resource cost"),
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
    "localization_views": "Localization under four definitions, per case, group and year: U.S.-made; "
                          "North-America-made (USMCA); plus FTA imports; non-PFE supply (what the credits test). Each "
                          "as a share of demand in tonnes and in value (tonnes x reference prices: each case's "
                          "reference_prices sheet).",
    "cost_views": "Each case's cost by year seen three ways, in $M of each year: cost to industry = resource cost + "
                  "tariffs - credits; resource cost (without the transfers); fiscal flows (credits paid by kind, "
                  "tariff revenue, net fiscal cost). Penalties and sunk capex of existing and committed plants apart, "
                  "in no view.",
    "regret": "Each case's plan (builds, JV choices, contracts signed, cancellations and early retirements) fixed "
              "and evaluated under every case's policy. Regret = its cost minus the cheapest plan found for that "
              "case. The safest plan has the smallest worst-case regret (green). n/a = the plan cannot be carried "
              "out under that case. Costs include the penalty prices of unmet demand, missed targets and offtake "
              "shortfalls; regret is also shown in money alone, without them, and the line under the safest plan "
              "says when penalties drive it. The sunk capex of existing and committed plants is the same for every "
              "plan under a case: regrets leave it out by construction, and the costs are shown with and without it.",
    "run_info": "Exactly what was compared, how, and with which software: enough to reproduce this workbook.",
    "chart_data": "Data behind the charts on the summary sheet.",
}

# ---------------------------------------------------------------------------------- styles
_BASE = Style(fill="B4C6E7")
_ADDED = Style(fill="F8CBAD")  # built here, not in the base case
_DROPPED = Style(fill="BDD7EE")  # built in the base case, not here
_CHANGED = Style(fill="FFF2CC")  # both build it, differently
_BEST_FILL = Style(fill="C6EFCE")
_BEST = Style(bold=True, color="006100")
_CENTER = Style(halign="center")
_KEY = Style(italic=True, color="808080")


# ---------------------------------------------------------------------------------- public API
def write_comparison(cmp: Comparison, path: str | Path, *, protect: tuple[str | Path, ...] = ()) -> Path:
    """Write the comparison workbook of `cmp` to `path` atomically and return the path.

    Built in memory, saved to a temporary file next to `path` and renamed into place; on any error
    `path` is left as it was. `protect` lists files that must never be overwritten (the input
    workbook): writing onto one raises `OutputError`. Links to the cases' own results workbooks
    are relative to the folder of `path` when possible.
    """
    folder = Path(path).parent
    return kit.save(lambda: build_comparison_workbook(cmp, folder=folder), path, what="comparison workbook",
                    kind="comparison", protect=protect)


def build_comparison_workbook(cmp: Comparison, *, folder: str | Path | None = None) -> Book:
    """The comparison workbook of `cmp`, in memory; `folder` is where it will be saved (for links)."""
    ctx = _Context.of(cmp)
    book = Book(title=f"Policy comparison for {ctx.instance}")
    summary = book.sheet("summary")
    _write_kpis(book.sheet("kpis"), cmp, ctx)
    _write_deltas(book.sheet("deltas"), cmp, ctx)
    _write_builds(book.sheet("builds"), cmp, ctx)
    _write_supply_mix(book.sheet("supply_mix"), cmp, ctx)
    _write_localization(book.sheet("localization"), cmp, ctx)
    _write_localization_views(book.sheet("localization_views"), cmp, ctx)
    _write_cost_views(book.sheet("cost_views"), cmp, ctx)
    if cmp.regret is not None:
        _write_regret(book.sheet("regret"), cmp, ctx)
    _write_run_info(book.sheet("run_info"), cmp, ctx, folder)
    charts = _write_chart_data(book.sheet("chart_data"), cmp, ctx)
    _write_summary(summary, cmp, ctx, charts, folder)
    return book


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

    def head(self, ws: Sheet, description: str) -> None:
        ws.head(self.header, description, *self.cases_line)


# ---------------------------------------------------------------------------------- values
def _kpi_display(value: Any, unit: Any) -> tuple[float | int | None, str, str]:
    """(written value, number format, unit shown) of a KPI: $ -> $M, share -> %."""
    u = "" if isnull(unit) else str(unit)
    v = number(value)
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


def _kpi_rows(cmp: Comparison) -> list[tuple[str, str, str]]:
    """(kpi, unit, note) in the comparison's order."""
    if cmp.kpis.empty:
        return []
    return [(str(k), "" if isnull(r["unit"]) else str(r["unit"]), "" if isnull(r["note"]) else str(r["note"]))
            for k, r in cmp.kpis.iterrows()]


def _value(df: pd.DataFrame, kpi: str, case: str) -> Any:
    if case not in df.columns or kpi not in df.index:
        return None
    v = df.at[kpi, case]
    return None if isinstance(v, pd.Series | pd.DataFrame) else v


def _table(cols: Sequence[Column], freeze: int, empty: str = "none") -> Table:
    return Table(tuple(cols), empty=empty, filter=True, freeze=freeze, repeat_header=True)


def _case_column(name: str, width: float = 16, **kw: Any) -> Column:
    return Column(name, name, fmt=FMT_NUMBER, width=width, na=True, **kw)


def _shade_base(ws: Sheet, header_row: int, first_col: int, cases: Sequence[_Case], base: str) -> None:
    for j, c in enumerate(cases, start=first_col):
        if c.name == base:
            ws.restyle(header_row, j, _BASE)


# ---------------------------------------------------------------------------------- kpis and deltas
def _kpi_columns(cases: Sequence[_Case], unit_width: float) -> list[Column]:
    return [Column("indicator", "indicator", min_width=34, max_width=50), Column("unit", "unit", width=unit_width),
            *[_case_column(c.name) for c in cases], Column("note", "what it is", width=60),
            Column("key", "key", width=30)]


def _write_kpis(ws: Sheet, cmp: Comparison, ctx: _Context) -> None:
    ctx.head(ws, DESCRIPTIONS["kpis"] + f" Base case '{ctx.base}' is the shaded column.")
    cases = list(ctx.cases)
    # first row: how each solve ended, so no number is read without its status
    status = {"indicator": Styled("solve status", BOLD), "key": Styled("status", _KEY),
              "note": Styled("how each solve ended (FAILED: the case has no plan, its column is n/a)", NOTE)}
    for c in cases:
        st = STATUS[c.level]
        status[c.name] = Styled(c.line, Style(fill=st.fill, color=st.color, bold=c.failed, wrap=True,
                                              halign="left", fmt=FMT_TEXT))
    records: list[dict[str, Any]] = [status]
    for kpi, unit, note in _kpi_rows(cmp):
        rec: dict[str, Any] = {"indicator": kpi_label(kpi, base=ctx.base), "unit": _kpi_display(None, unit)[2],
                               "note": Styled(note, NOTE), "key": Styled(kpi, _KEY)}
        for c in cases:
            v, fmt, _u = _kpi_display(None if c.failed else _value(cmp.kpis, kpi, c.name), unit)
            rec[c.name] = Styled(v, Style(fmt=fmt))
        records.append(rec)
    placed = ws.table(HEADER_ROW, _table(_kpi_columns(cases, 8), freeze=2), records)
    if len(records) == 1:
        ws.put(placed.next_row, 1, "none: no case has a plan", NONE)
    _shade_base(ws, placed.header_row, 3, cases, ctx.base)
    ws.fit_height(placed.first_row, range(3, 3 + len(cases)))  # status texts wrap in the case columns


def _write_deltas(ws: Sheet, cmp: Comparison, ctx: _Context) -> None:
    base_ok = not ctx.by_name.get(ctx.base, _case_of(ctx.base, None)).failed
    description = DESCRIPTIONS["deltas"].format(base=ctx.base)
    if not base_ok:
        description += f" The base case '{ctx.base}' has no plan: there is nothing to compare against (n/a)."
    ctx.head(ws, description)
    cases = [c for c in ctx.cases if c.name != ctx.base]
    records = []
    for kpi, unit, note in _kpi_rows(cmp):
        rec: dict[str, Any] = {"indicator": kpi_label(kpi, base=ctx.base), "unit": _delta_display(None, unit)[2],
                               "note": Styled(note, NOTE), "key": Styled(kpi, _KEY)}
        for c in cases:
            v, fmt, _u = _delta_display(_value(cmp.deltas, kpi, c.name) if base_ok and not c.failed else None, unit)
            rec[c.name] = Styled(v, Style(fmt=fmt))
        records.append(rec)
    empty = ("none: no case has a plan" if cases or not base_ok else "none: the comparison has only the base case")
    ws.table(HEADER_ROW, _table(_kpi_columns(cases, 10), freeze=2, empty=empty), records)


# ---------------------------------------------------------------------------------- builds
_BUILD_INFO = (("project", "project"), ("name", "name"), ("decision_kind", "kind"), ("commodity", "commodity"),
               ("site", "site"), ("partner", "JV partner"))


def _units(cmp: Comparison, project: str, case: str) -> int:
    try:
        v = cmp.build_units.at[project, case]
    except KeyError:
        return 0
    v = number(v)
    return int(v) if v else 0


def _start(cmp: Comparison, project: str, case: str) -> float | None:
    try:
        return number(cmp.build_start.at[project, case])
    except KeyError:
        return None


def _write_builds(ws: Sheet, cmp: Comparison, ctx: _Context) -> None:
    base_case = ctx.by_name.get(ctx.base)
    base_ok = base_case is not None and not base_case.failed and ctx.base in cmp.build_units.columns
    description = DESCRIPTIONS["builds"].format(base=ctx.base)
    if not base_ok:
        description += f" The base case '{ctx.base}' has no plan: nothing is highlighted."
    ctx.head(ws, description)
    cases = list(ctx.cases)
    solved = [c for c in cases if not c.failed and c.name in cmp.builds.columns]
    cols = [*(Column(k, h, max_width=50) for k, h in _BUILD_INFO),
            *(Column(c.name, c.name, width=max(12, min(20, len(c.name) + 3)), align="center", na=True) for c in cases),
            Column("built in", "built in", note="Cases with a plan that build the project; a candidate built in every "
                                                "case (bold) is a no-regret build.")]
    records = []
    for rec in cmp.builds.to_dict("records"):
        project = rec.get("project")
        row: dict[str, Any] = {k: rec.get(k) for k, _h in _BUILD_INFO}
        row["decision_kind"] = {"fixed": "existing or committed"}.get(str(rec.get("decision_kind")),
                                                                      rec.get("decision_kind"))
        n_built = 0
        for c in cases:
            if c.failed or c.name not in cmp.builds.columns:
                row[c.name] = None  # n/a
                continue
            u = _units(cmp, project, c.name)
            n_built += u > 0
            fill = None
            if base_ok and c.name != ctx.base:
                ub = _units(cmp, project, ctx.base)
                if u > 0 and ub == 0:
                    fill = _ADDED
                elif u == 0 and ub > 0:
                    fill = _DROPPED
                elif u > 0 and (u != ub or _start(cmp, project, c.name) != _start(cmp, project, ctx.base)):
                    fill = _CHANGED
            row[c.name] = Styled(rec.get(c.name), fill)
        candidate = str(rec.get("decision_kind")) == "candidate"
        row["built in"] = Styled(f"{n_built} of {len(solved)}" if solved else NA,
                                 BOLD if candidate and solved and n_built == len(solved) else None)
        records.append(row)
    empty = "none: no case has a plan" if not solved else "none: the instance has no projects"
    placed = ws.table(HEADER_ROW, _table(cols, freeze=2, empty=empty), records)
    _shade_base(ws, placed.header_row, 7, cases, ctx.base)
    if records:
        ws.note(placed.next_row + 1, "'built in' counts the cases with a plan that build the project; a candidate "
                                     "built in every case (bold) is a no-regret build.")


# ---------------------------------------------------------------------------------- supply mix, localization
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
    return words(source)


def _rows_of_case(c: _Case, df: pd.DataFrame, none_text: str, second: str) -> tuple[pd.DataFrame | None, list[dict]]:
    """The rows of `df` for case `c`, or None and one record saying the case failed or has none."""
    if c.failed:
        return None, [{"case": Styled(c.name, FAILED), second: Styled(c.line, FAILED)}]
    sub = df[df["case"] == c.name] if not df.empty else df
    if sub.empty:
        return None, [{"case": c.name, second: Styled(none_text, NONE)}]
    return sub, []


def _write_supply_mix(ws: Sheet, cmp: Comparison, ctx: _Context) -> None:
    ctx.head(ws, DESCRIPTIONS["supply_mix"])
    mix = cmp.supply_mix
    sources = sorted({str(s) for s in mix["source"].tolist()}, key=_source_key) if not mix.empty else []
    cols = [Column("case", "case", max_width=30), Column("family", "family", width=12),
            Column("year", "year", fmt=FMT_YEAR, max_width=30),
            *(Column(s, _source_label(s), "t", FMT_T, width=13) for s in sources),
            Column("total", "total", "t", FMT_T, width=13)]
    records: list[dict[str, Any]] = []
    for c in ctx.cases:
        sub, lines = _rows_of_case(c, mix, "none: no supply in this plan", "family")
        records += lines
        if sub is None:
            continue
        piv = sub.assign(source=sub["source"].astype(str)).pivot_table(
            index=["family", "year"], columns="source", values="tonnes", aggfunc="sum", sort=False)
        fam_order = list(dict.fromkeys(sub["family"].tolist()))
        for fam, year in sorted(piv.index, key=lambda k: (fam_order.index(k[0]), k[1])):
            rec: dict[str, Any] = {"case": c.name, "family": fam, "year": year}
            total = 0.0
            for s in sources:
                v = (number(piv.at[(fam, year), s]) if s in piv.columns else None) or 0.0
                total += v
                rec[s] = Styled(v, RED if s == "unmet" and v > 1e-6 else None)
            rec["total"] = Styled(total, BOLD)
            records.append(rec)
    ws.table(HEADER_ROW, _table(cols, freeze=3), records)


_LOC_COLUMNS = (("share", "share", "%", FMT_SHARE), ("target_share", "target", "%", FMT_SHARE),
                ("domestic_fta_share", "domestic + FTA share", "%", FMT_SHARE),
                ("shortfall_t", "shortfall", "t", FMT_T))


def _write_localization(ws: Sheet, cmp: Comparison, ctx: _Context) -> None:
    ctx.head(ws, DESCRIPTIONS["localization"])
    cols = [Column("case", "case", max_width=30), Column("group", "group", min_width=14, max_width=30),
            Column("year", "year", fmt=FMT_YEAR),
            *(Column(k, label, unit, fmt, max_width=30) for k, label, unit, fmt in _LOC_COLUMNS)]
    records: list[dict[str, Any]] = []
    for c in ctx.cases:
        sub, lines = _rows_of_case(c, cmp.localization, "none: the instance sets no localization groups", "group")
        records += lines
        if sub is None:
            continue
        for rec in sub.to_dict("records"):
            short = (number(rec.get("shortfall_t")) or 0.0) > 1e-6
            row: dict[str, Any] = {"case": c.name, "group": rec.get("group"), "year": rec.get("year")}
            for key, _label, _unit, _fmt in _LOC_COLUMNS:
                v = number(rec.get(key))
                if key == "target_share" and not v:
                    v = None  # no target that year: blank, not a 0% target
                row[key] = Styled(v, RED if short and key in ("share", "shortfall_t") else None)
            records.append(row)
    ws.table(HEADER_ROW, _table(cols, freeze=3), records)


def _write_localization_views(ws: Sheet, cmp: Comparison, ctx: _Context) -> None:
    ctx.head(ws, DESCRIPTIONS["localization_views"])
    cols = [Column("case", "case", max_width=30), Column("group", "group", min_width=10, max_width=30),
            Column("year", "year", fmt=FMT_YEAR), Column("definition", "definition", min_width=30, max_width=40),
            Column("share", "share by tonnes", "%", FMT_SHARE, na=True),
            Column("value_share", "share by value", "%", FMT_SHARE, na=True),
            Column("supply_t", "supply counted", "t", FMT_T, na=True), Column("demand_t", "demand", "t", FMT_T, na=True)]
    records: list[dict[str, Any]] = []
    for c in ctx.cases:
        sub, lines = _rows_of_case(c, cmp.localization_views, "none: no demand in this plan", "group")
        records += lines
        if sub is not None:
            records += [{k: r.get(k) for k in ("case", "group", "year", "definition", "share", "value_share",
                                                "supply_t", "demand_t")} for r in sub.to_dict("records")]
    ws.table(HEADER_ROW, _table(cols, freeze=4), records)


def _write_cost_views(ws: Sheet, cmp: Comparison, ctx: _Context) -> None:
    ctx.head(ws, DESCRIPTIONS["cost_views"])
    cv = cmp.cost_views
    money = [k for k in cv.columns if str(k).endswith("_usd")] if not cv.empty else []
    label = {"resource_cost_usd": "resource cost", "tariffs_usd": "tariffs", "credits_usd": "credits paid",
             "cost_to_industry_usd": "cost to industry", "tariff_revenue_usd": "tariff revenue",
             "net_fiscal_cost_usd": "net fiscal cost", "penalties_usd": "penalties (apart)",
             "sunk_capex_usd": "sunk capex (apart)"}
    cols = [Column("case", "case", max_width=30), Column("year", "year", fmt=FMT_YEAR),
            *(Column(k, label.get(k) or component_label(k[:-4]), "$M", FMT_MUSD, 1 / MONEY_SCALE, min_width=11,
                     max_width=18, na=True) for k in money)]
    records: list[dict[str, Any]] = []
    for c in ctx.cases:
        sub, lines = _rows_of_case(c, cv, "none", "year")
        records += lines
        if sub is not None:
            records += [{k: r.get(k) for k in ("case", "year", *money)} for r in sub.to_dict("records")]
    ws.table(HEADER_ROW, _table(cols, freeze=2), records)


# ---------------------------------------------------------------------------------- regret
def _worst_under(reg: Any, plan: str) -> str | None:
    r = reg.regret.loc[plan]
    if r.isna().any() or r.empty:
        return None
    return str(r.idxmax())


def _write_matrix(ws: Sheet, row: int, title: str, df: pd.DataFrame, best: str | None,
                  *, extra: Sequence[tuple[str, dict[str, Any], str]] = ()) -> int:
    """One plan × case matrix in $M, the best plan's row highlighted; returns the next free row."""
    row = ws.section(row, title)
    under = [str(b) for b in df.columns]
    cols = [Column("plan", "plan of ↓ / evaluated under →", width=ws.width(1)),
            *(Column(f"under {b}", b, fmt=FMT_MUSD, width=ws.width(2 + j), na=True) for j, b in enumerate(under)),
            *(Column(f"extra {k}", h, fmt=fmt if fmt != FMT_TEXT else None, width=ws.width(2 + len(under) + k),
                     na=fmt != FMT_TEXT) for k, (h, _v, fmt) in enumerate(extra))]
    records = []
    for a in df.index:
        plan = str(a)
        is_best = plan == best
        fill = _BEST_FILL if is_best else None
        rec: dict[str, Any] = {"plan": Styled(plan, (_BEST if is_best else BOLD) | fill)}
        for b, name in zip(df.columns, under, strict=True):
            font = _BEST if is_best else (BOLD if plan == name else None)
            rec[f"under {name}"] = Styled(musd(df.at[a, b]), (font or kit.PLAIN) | fill)
        for k, (_h, vals, fmt) in enumerate(extra):
            v = vals.get(plan)
            rec[f"extra {k}"] = Styled(v, (_BEST if is_best else kit.PLAIN) | fill)
        records.append(rec)
    placed = ws.table(row, Table(tuple(cols), empty="none: no case has a plan"), records)
    return placed.next_row + 1


def _write_regret(ws: Sheet, cmp: Comparison, ctx: _Context) -> None:
    reg = cmp.regret
    assert reg is not None
    ctx.head(ws, DESCRIPTIONS["regret"])
    ncols = max(4, 1 + len(reg.cost.columns) + 3)
    widths = {1: max(30, *(len(str(p)) + 4 for p in reg.cost.index)) if len(reg.cost.index) else 30}
    widths.update({j: max(14 if j > 2 else 17, min(24, len(str(b)) + 3))
                   for j, b in enumerate(reg.cost.columns, start=2)})
    k = 2 + len(reg.cost.columns)
    widths.update({k: 22, k + 1: 18, k + 2: 16})
    for j in range(2, ncols + 1):
        widths.setdefault(j, 16)
    ws.widths(widths)
    notes = {(str(a), str(b)): str(w) for (a, b), w in reg.notes.items()}
    best = reg.best_plan
    row = HEADER_ROW
    if best is not None:
        worst = musd(reg.max_regret.get(best))
        text = f"Safest plan: the plan of case '{best}'"
        ws.put(row, 1, text + (f" — worst-case regret {musd_text(worst * MONEY_SCALE)}" if worst is not None else ""),
               _BEST | _BEST_FILL)
        for j in range(2, len(reg.cost.columns) + 5):
            ws.put(row, j, None, _BEST_FILL)
    else:
        ws.put(row, 1, "No plan could be evaluated under every case: there is no safest plan.", FAILED)
    row += 1
    said = penalty_words(reg)
    if said:
        ws.put(row, 1, said, BOLD if reg.penalties_drive else kit.PLAIN)
        row += 1
    row += 1
    row = _write_matrix(ws, row, "Cost of each plan under each case [$M, total discounted cost]; bold = the "
                        "case's own optimum", reg.cost, best)
    if reg.sunk is not None and (reg.sunk.fillna(0.0).abs() > 0).any().any():
        row = _write_matrix(ws, row, "Cost of each plan without the sunk capex of existing and committed plants "
                            "[$M]: the same plan comparison, the constants of each case left out", reg.cost_without_sunk,
                            best)
    worst_by = {str(p): musd(v) for p, v in reg.max_regret.items()}
    where = {str(p): _worst_under(reg, str(p)) for p in reg.regret.index}
    marks = {best: "◀ safest plan"} if best is not None else {}
    row = _write_matrix(ws, row, "Regret [$M]: cost minus the cheapest plan found for that case", reg.regret, best,
                        extra=(("worst-case regret [$M]", worst_by, FMT_MUSD), ("worst under case", where, FMT_TEXT),
                               ("", marks, FMT_TEXT)))
    money_regret = reg.regret_without_penalties
    if money_regret is not None and reg.penalties is not None and (reg.penalties.fillna(0.0).abs() > 0).any().any():
        best_money = reg.best_plan_without_penalties
        worst_m = reg.max_regret_without_penalties
        row = _write_matrix(ws, row, "Regret in money alone [$M]: the same, each cost without its penalties (unmet "
                            "demand, missed localization targets, offtake shortfalls)", money_regret, best_money,
                            extra=(("worst-case regret [$M]", {str(p): musd(v) for p, v in worst_m.items()}, FMT_MUSD),
                                   ("", {best_money: "◀ safest in money"} if best_money else {}, FMT_TEXT)))
    row = ws.section(row, "Plans that could not be evaluated (n/a above)")
    row = ws.grid(row, ["plan of", "evaluated under", "why"], ([a, b, w] for (a, b), w in notes.items()),
                  empty="none: every plan could be evaluated under every case")
    missing = [c for c in ctx.cases if c.name not in {str(p) for p in reg.cost.index}]
    if missing:
        row = ws.section(row + 1, "Cases not in the matrices")
        for c in missing:
            ws.put(row, 1, c.name, FAILED)
            ws.put(row, 2, c.line if c.failed else "not evaluated", FAILED)
            row += 1
    ws.freeze(HEADER_ROW, 2)


# ---------------------------------------------------------------------------------- run_info
def _flat(options: dict[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """(label, value) of each option: the comparison's own in words, HiGHS's by their HiGHS names."""
    for k, v in options.items():
        key = f"{prefix}{k}" if prefix else words(str(k))
        if isinstance(v, dict):
            yield from _flat(v, key + ": ")
        elif isinstance(v, list | tuple | set | frozenset):
            yield key, ", ".join(str(plain(x)) for x in v)
        else:
            yield key, text_or_value(v)


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


def _workbook_cell(run: CaseRun | None, folder: str | Path | None, *, name_only: bool) -> Styled:
    if run is not None and run.workbook:
        shown = Path(str(run.workbook)).name if name_only else str(run.workbook)
        return Styled(shown, LINK | Style(fmt=FMT_TEXT), _link_target(str(run.workbook), folder))
    return Styled("not written", NONE)


def _write_run_info(ws: Sheet, cmp: Comparison, ctx: _Context, folder: str | Path | None) -> None:
    cases = []
    for c in ctx.cases:
        run = cmp.runs.get(c.name)
        sol = run.solution if run is not None else None
        st = sol.status if sol is not None else {}
        ri = sol.run_info if sol is not None else {}
        gap_value, gap_fmt = gap_cell(st.get("gap"))  # the one rule for gaps
        failed = FAILED if c.failed else None
        cases.append((Styled(c.name, BOLD), Styled(c.status, failed),
                      Styled(number(run.seconds) if run is not None else None, Style(fmt=FMT_SECONDS)),
                      Styled(musd(st.get("objective_usd")), Style(fmt=FMT_MUSD)),
                      Styled(gap_value, Style(fmt=gap_fmt)),
                      Styled(finite(st.get("highs_time_s")), Style(fmt=FMT_SECONDS)),
                      ri.get("preset"), ri.get("started_utc"), _workbook_cell(run, folder, name_only=False),
                      Styled(c.solve_status if not c.failed or c.status != "done" else c.line, failed)))
    solved = [(c, cmp.runs[c.name].solution) for c in ctx.cases
              if c.name in cmp.runs and cmp.runs[c.name].solution is not None]
    names = tuple(c.name for c, _s in solved)
    options: dict[str, dict[str, str]] = {}
    for c, sol in solved:
        for o in sol.run_info.get("solver_options") or []:
            o = tuple(o) if isinstance(o, list | tuple) else (o, "", "")
            name, value, source = (list(o) + ["", ""])[:3]
            options.setdefault(str(name), {})[c.name] = f"{plain(value)}" + (f" ({source})" if source else "")
    orows = []
    for c, sol in solved:
        ri = sol.run_info
        chain = " -> ".join([*(ri.get("case_extends") or []), c.name])
        overrides = ri.get("case_overrides") or []
        if not overrides:
            orows.append((c.name, chain, "", "", "", "", "", "none"))
        for o in overrides:
            orows.append((c.name, chain, o.get("sheet"), o.get("filter"), o.get("column"), o.get("operation"),
                          o.get("value"), o.get("note")))
    steps: dict[str, dict[str, Any]] = {}
    for c, sol in solved:
        for k, v in (sol.status.get("timings") or {}).items():
            steps.setdefault(step_label(str(k)), {})[c.name] = finite(v)
        for k in ("wall_time_s", "highs_time_s"):
            if k in sol.status:
                steps.setdefault({"wall_time_s": "wall time (solve)", "highs_time_s": "inside HiGHS"}[k],
                                 {})[c.name] = finite(sol.status[k])
    sizes = ("variables", "integer_variables", "constraints", "nonzeros")
    versions = next((s.run_info.get("versions") for _c, s in solved if s.run_info.get("versions")), {}) or {}
    sections = [
        Section("Comparison", (
            Pair("base case", cmp.base, note="deltas, highlights and the cost difference per kWh are measured "
                                             "against it"),
            Pair("cases requested", ", ".join(cmp.cases), note=f"{len(cmp.cases)} cases, in this order"),
            Pair("cases with a plan", ", ".join(c.name for c in ctx.cases if not c.failed) or "none"),
            Pair("cases without a plan", ", ".join(c.name for c in ctx.failed) or "none"),
            Pair("regret analysis", "yes" if cmp.regret is not None else "no",
                 note="each plan re-evaluated under every other case" if cmp.regret is not None else ""))),
        Section("Options of the comparison", (Grid(("option", "value"), tuple(_flat(dict(cmp.options))),
                                                   empty="none recorded"),)),
        Section("Cases", (Grid(("case", "status", "seconds", "objective [$M]", "gap", "HiGHS time [s]", "preset",
                                "started (UTC)", "results workbook", "solve status (or why the case failed)"),
                               tuple(cases)),)),
        Section("HiGHS options per case (value; source)", (
            Grid(("option", *names), tuple((k, *[v.get(n) for n in names]) for k, v in options.items()),
                 empty="none recorded"),)),
        Section("How each case is made (extends; overrides of other sheets, in order)", (
            Grid(("case", "extends", "sheet", "filter", "column", "operation", "value", "note"), tuple(orows),
                 empty="no case extends another or overrides any sheet"),)),
        Section("Timings per case [s]", (
            Grid(("step", *names), tuple((k, *[v.get(n) for n in names]) for k, v in steps.items()),
                 (None, *["0.000"] * len(names)), empty="none recorded"),)),
        Section("Model size per case", (
            Grid(("size", *names), tuple((words(k), *[plain(s.status.get(k)) for _c, s in solved]) for k in sizes),
                 (None, *[FMT_COUNT] * len(names)), empty="none recorded"),)),
    ]
    line, level = ctx.cases_line
    kit.provenance(ws, ctx.header, DESCRIPTIONS["run_info"], status=line, level=level,
                   instance=(cmp.instance, cmp.instance_path, cmp.instance_sha256), sections=sections,
                   versions=versions)


# ---------------------------------------------------------------------------------- chart data
@dataclass
class _Charts:
    kpis: Block | None
    localization: list[tuple[str, Block, list[str], list[bool]]]  # group, block, colours, dashed
    definitions: list[tuple[str, int, Block]] = field(default_factory=list)  # group, headline year, block


def _write_chart_data(ws: Sheet, cmp: Comparison, ctx: _Context) -> _Charts:
    ctx.head(ws, DESCRIPTIONS["chart_data"])
    row = HEADER_ROW + 1
    # KPI bars: a row per case (cases without a plan stay blank), a column per KPI, $M
    present = [(k, h) for k, h in CHART_KPIS if k in cmp.kpis.index]
    names = [c.name if not c.failed else f"{c.name} (no plan)" for c in ctx.cases]
    cols = [(h, [None if c.failed else musd(_value(cmp.kpis, k, c.name)) for c in ctx.cases]) for k, h in present]
    kpi_block, row = ws.block(row, "Cost per case [$M]", ("case", names, FMT_TEXT), cols, FMT_MUSD)

    # localized share per group: a line per case, targets dashed in the case's colour
    loc = cmp.localization
    colors = {c.name: PALETTE[i % len(PALETTE)] for i, c in enumerate(ctx.cases)}
    blocks = []
    groups = list(dict.fromkeys(loc["group"].tolist())) if not loc.empty else []
    for g in groups[:MAX_LOCALIZATION_CHARTS]:
        sub = loc[loc["group"] == g]
        years = sorted({int(y) for y in sub["year"].dropna().tolist()})
        gcols: list[tuple[str, list[Any]]] = []
        col_colors: list[str] = []
        dashed: list[bool] = []
        for c in ctx.cases:
            cs = sub[sub["case"] == c.name]
            if c.failed or cs.empty:
                continue
            by_year = cs.groupby("year").first()
            gcols.append((c.name, [number(by_year.at[y, "share"]) if y in by_year.index else None for y in years]))
            col_colors.append(colors[c.name])
            dashed.append(False)
            target = [(number(by_year.at[y, "target_share"]) or None) if y in by_year.index else None
                      for y in years]
            if any(t is not None for t in target):
                gcols.append((f"{c.name} target", target))
                col_colors.append(colors[c.name])
                dashed.append(True)
        block, row = ws.block(row, f"Qualifying share of {g} by case (the case's rule; targets dashed)",
                              ("year", years, FMT_YEAR),
                              gcols, FMT_SHARE)
        if not block.empty:
            blocks.append((str(g), block, col_colors, dashed))
    if len(groups) > MAX_LOCALIZATION_CHARTS:
        row = ws.note(row, f"{len(groups) - MAX_LOCALIZATION_CHARTS} more groups are not charted; see the "
                           "localization sheet.") + 1
    # the four definitions of localization in the headline year: a column per case, per group
    lv = cmp.localization_views
    definitions: list[tuple[str, int, Block]] = []
    if not lv.empty:
        years = sorted({int(y) for y in lv["year"]})
        hy = 2030 if 2030 in years else years[-1]
        defs = list(dict.fromkeys(lv["definition"].tolist()))
        for g in list(dict.fromkeys(lv["group"].tolist()))[:MAX_LOCALIZATION_CHARTS]:
            sub = lv[(lv["group"] == g) & (lv["year"] == hy)]
            dcols = []
            for c in ctx.cases:
                cs = sub[sub["case"] == c.name].set_index("definition")
                if c.failed or cs.empty:
                    continue
                dcols.append((c.name, [number(cs.at[d, "share"]) if d in cs.index else None for d in defs]))
            block, row = ws.block(row, f"{g} in {hy} under four definitions, by tonnes, by case",
                                  ("definition", defs, FMT_TEXT), dcols, FMT_SHARE)
            if not block.empty:
                definitions.append((str(g), hy, block))
    widths: dict[int, float] = {1: max(12, min(40, max((len(c.name) + 12 for c in ctx.cases), default=12)))}
    for _g, b, _c, _d in blocks:
        for j, name in b.series:
            widths[j] = max(widths.get(j, 12), min(40, len(name) + 3))
    for j, (_k, h) in enumerate(present, start=2):
        widths[j] = max(widths.get(j, 12), len(h) + 3)
    ws.widths(widths)
    return _Charts(kpi_block if present and ctx.cases else None, blocks, definitions)


def _charts(charts: _Charts) -> list[Chart]:
    out: list[Chart] = []
    if charts.kpis is not None and not charts.kpis.empty:
        out.append(Chart("column", "Cost per case", charts.kpis.chart_series(markers=False), "case", "$M",
                         gap=80, height_cm=9))
    for group, block, colors, dashed in charts.localization:
        out.append(Chart("line", f"Qualifying share of {group} by the case's rule", block.chart_series(colors, dashed),
                         "year", "share of demand", "0%", value_min=0, value_max=1, height_cm=9))
    for group, year, block in charts.definitions:
        out.append(Chart("column", f"{group} in {year} under four definitions, by tonnes", block.chart_series(
            markers=False), "", "share of demand", "0%", value_min=0, gap=60, height_cm=9))
    return out


# ---------------------------------------------------------------------------------- summary
def _write_summary(ws: Sheet, cmp: Comparison, ctx: _Context, charts: _Charts, folder: str | Path | None) -> None:
    n = len(ctx.cases)
    present = [(k, h) for k, h in SUMMARY_KPIS if k in cmp.kpis.index]
    links = [Path(str(r.workbook)).name for r in cmp.runs.values() if r.workbook]
    link_cols = max(1, min(4, math.ceil((max((len(x) for x in links), default=12) + 2) / 14.5)))
    status_col = 5 + link_cols
    ncols = max(1 + len(present), status_col + 2)
    # column A holds case names; B.. serve the cases table, the regret table and the KPI columns
    ws.widths({1: max(22, min(36, max((len(c.name) + 3 for c in ctx.cases), default=22))),
               **{j: 14 for j in range(2, ncols + 1)}})
    if cmp.regret is not None:  # 'worst under case' holds case names
        ws.widths({3: max(14, min(30, max((len(c.name) + 2 for c in ctx.cases), default=14)))})
    wrap: list[tuple[int, int]] = []  # (row, first column) of texts merged to the right edge and wrapped

    ws.put(1, 1, f"Policy comparison for {ctx.instance}: {n} case{'s' if n != 1 else ''}, base case '{ctx.base}'",
           TITLE)
    text, level = ctx.cases_line
    if ctx.failed:
        text = f"{len(ctx.failed)} of {n} cases have no plan: " + "; ".join(f"'{c.name}' — {c.line}"
                                                                             for c in ctx.failed)
    ws.put(2, 1, text, STATUS[level])
    if cmp.regret is not None:
        ws.put(3, 1, "Which plan is safest under policy uncertainty? Each case is one possible policy future; "
                     "each case's plan was re-evaluated under every other case (regret sheet).", NOTE)
    else:
        ws.put(3, 1, "Each case is one possible policy future: its optimal plan, costs and builds side by side. "
                     "The regret analysis (each plan under every other case: planner compare --regret) was not "
                     "run.", NOTE)
    ws.put(4, 1, "Money in $M (millions of US dollars), discounted to the base year; shares in % of demand. "
                 "Details on the other sheets.", NOTE)
    wrap += [(1, 1), (2, 1), (3, 1), (4, 1)]
    row = 6

    # cases
    row = ws.section(row, "Cases")
    cols = (Column("case", "case"), Column("status", "status"), Column("seconds", "solve time", "s", FMT_SECONDS),
            Column("cost", "total cost", "$M", FMT_MUSD, na=True),
            Column("workbook", "results workbook", span=status_col - 5),
            Column("status text", "solve status (or why the case failed)", span=ncols - status_col + 1, wrap=True))
    records = []
    for c in ctx.cases:
        run = cmp.runs.get(c.name)
        st = STATUS[c.level]
        cost = None
        if not c.failed:
            cost = _value(cmp.kpis, "total_cost_usd", c.name)
            if cost is None and run is not None and run.solution is not None:
                cost = run.solution.status.get("objective_usd")
        if c.failed:
            status_text = c.line if c.status == "done" else c.solve_status
        else:
            status_text = f"{c.solve_status} — {c.line}" if c.solve_status else c.line
        records.append({"case": Styled(c.name, BOLD | (_BASE if c.name == ctx.base else None)),
                        "status": Styled(c.status, Style(bold=True, color=st.color, fill=st.fill)),
                        "seconds": number(run.seconds) if run is not None else None, "cost": musd(cost),
                        "workbook": _workbook_cell(run, folder, name_only=True),
                        "status text": Styled(status_text, FAILED if c.failed else None)})
    row = ws.table(row, Table(cols), records).next_row
    ws.put(row, 1, f"Base case: '{ctx.base}' (shaded; deltas, build highlights and the cost difference per kWh are "
                   "measured against it).", NOTE)
    wrap.append((row, 1))
    row += 2

    row = _write_safest(ws, row, cmp, ctx, wrap)

    # headline KPIs: a row per case
    row = ws.section(row, "Key results per case")
    units = {k: _kpi_display(None, cmp.kpis.at[k, "unit"])[2] for k, _h in present}
    cols = (Column("case", "case"),
            *(Column(k, h, units[k] if units[k] != "count" else "", FMT_NUMBER, na=True) for k, h in present))
    records = []
    for c in ctx.cases:
        rec: dict[str, Any] = {"case": Styled(c.name, BOLD | (_BASE if c.name == ctx.base else None))}
        for k, _h in present:
            v, fmt, _u = _kpi_display(None if c.failed else _value(cmp.kpis, k, c.name), cmp.kpis.at[k, "unit"])
            rec[k] = Styled(v, Style(fmt=fmt))
        records.append(rec)
    row = ws.table(row, Table(cols, empty="none: no case has a plan"), records if present else []).next_row
    if "cost_difference_usd_per_kwh" in cmp.kpis.index:
        note = cmp.kpis.at["cost_difference_usd_per_kwh", "note"]
        ws.put(row, 1, f"Cost difference per kWh: {note}. All indicators on the kpis sheet, differences on deltas.",
               NOTE)
        wrap.append((row, 1))
        row += 1
    row += 1

    # charts below the tables, two per row
    drawn = _charts(charts)
    if not drawn:
        ws.put(row, 1, "No charts: no case has a plan.", NONE)
        row += 2
    else:
        ws.page_break(row)  # printed: the charts start a page
        row = ws.section(row, "Charts")
        col2 = ws.column_at(16.3, start=2)  # the first column whose left edge is past the first chart
        for i, ch in enumerate(drawn):
            ws.chart(ch, row, 1 if i % 2 == 0 else col2)
            if i % 2 == 1 or i == len(drawn) - 1:
                row += kit.rows_for(max(c.height_cm for c in drawn[i - (i % 2): i + 1]))
    row = ws.section(row, "Contents")
    for name in ws.book.sheetnames[1:]:
        ws.put(row, 1, name, LINK, link=f"#'{name}'!A1")
        ws.put(row, 2, DESCRIPTIONS.get(name, "").format(base=ctx.base), NOTE)
        wrap.append((row, 2))
        row += 1
    for r, col in wrap:
        ws.wrap(r, col, ncols)


def _write_safest(ws: Sheet, row: int, cmp: Comparison, ctx: _Context, wrap: list[tuple[int, int]]) -> int:
    """Which plan is safest: the best plan in words, then each plan's worst-case regret."""
    row = ws.section(row, "Which plan is safest under policy uncertainty?")
    reg = cmp.regret
    if reg is None:
        ws.put(row, 1, "not computed: the regret analysis was not run (planner compare --regret)", NONE)
        return row + 2
    if reg.best_plan is not None:
        worst = musd(reg.max_regret.get(reg.best_plan))
        under = _worst_under(reg, reg.best_plan)
        text = f"The plan of case '{reg.best_plan}': the smallest worst-case regret"
        if worst is not None:
            text += f", ${worst:,.2f}M" + (f" (under case '{under}')" if under and worst > 0 else "")
        ws.put(row, 1, text, _BEST | _BEST_FILL)
    else:
        ws.put(row, 1, "No plan could be evaluated under every case: see the regret sheet.", FAILED)
    wrap.append((row, 1))
    row += 1
    ws.put(row, 1, "Regret = what a plan costs under a case minus the cheapest plan found for that case. "
                   "Committing to the safest plan loses the least, whichever policy case comes true.", NOTE)
    wrap.append((row, 1))
    row += 1
    cols = (Column("plan", "plan of case"), Column("worst", "worst-case regret", "$M", FMT_MUSD, na=True),
            Column("under", "worst under case"), Column("own", "own cost", "$M", FMT_MUSD, na=True),
            Column("mark", ""))
    records = []
    for p in reg.cost.index:
        plan = str(p)
        best = plan == reg.best_plan
        style = (_BEST | _BEST_FILL) if best else None
        own = reg.cost.at[p, p] if p in reg.cost.columns else None
        records.append({"plan": Styled(plan, (_BEST | _BEST_FILL) if best else BOLD),
                        "worst": Styled(musd(reg.max_regret.get(p)), style),
                        "under": Styled(_worst_under(reg, plan) or NA, style), "own": Styled(musd(own), style),
                        "mark": Styled("◀ safest plan", _BEST) if best else None})
    placed = ws.table(row, Table(cols), records)
    row = placed.next_row
    for c in ctx.cases:
        if c.name not in {str(p) for p in reg.cost.index}:
            ws.put(row, 1, c.name, FAILED)
            ws.put(row, 2, "n/a: " + (c.line if c.failed else "not evaluated"), FAILED)
            wrap.append((row, 2))
            row += 1
    return row + 1


__all__ = ["SHEET_ORDER", "build_comparison_workbook", "write_comparison"]
