"""The results workbook: one solved case as a formatted, self-explaining Excel file.

Layout (sheet order): ``decision`` (one printed page for a board: the commitments, the headline,
native charts; `planner.export.decision`), ``summary``, ``run_info``, one sheet per Solution table
(``builds`` ... ``kpis``, then the views — ``localization_views``, ``sourcing``, ``cost_views``,
``idle_capacity``, ``commitments``, ``cash_flows``, ``landed_costs``, ``reference_prices`` — then
the tables families register, e.g. a new family's own table), ``sources`` and ``chart_data`` (the
pivots the charts draw from). No sheet shows an internal name where words are meant: column headers,
KPIs, cost components and localization definitions are in words (`planner.results.labels`).

Every data sheet is a tidy table written by `planner.export.kit.tidy_sheet`, which `read_results`
reads back: row 1 instance, case and solve status; row 2 what the table is (or "none" when it is
empty); row 3 (hidden) the original column names; row 4 the header, ``name [unit]``; data from row
5 under an autofilter. Money columns (``*_usd``) are written in $M, shares (0-1) with a percent
format, tonnes and $/t as whole numbers; text from the input (names, partners, notes, sources) is
always text, never a formula. This module holds only the content; how a sheet is written is the
kit's. No Pyomo here: it reads only the pandas tables of a `Solution`.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from planner.errors import OutputError
from planner.export import kit
from planner.export.atomic import save_workbook
from planner.export.kit import (
    BOLD,
    FMT_COUNT,
    FMT_MUSD,
    FMT_NUMBER,
    FMT_SECONDS,
    FMT_SHARE,
    FMT_T,
    FMT_USD,
    FMT_YEAR,
    LINK,
    MONEY_SCALE,
    NONE,
    NOTE,
    STATUS,
    TITLE,
    Block,
    Book,
    Chart,
    Grid,
    Pair,
    Section,
    Sheet,
    finite,
    isnull,
    plain,
    text_or_value,
)
from planner.results.labels import (
    musd_text,
    component_key,
    component_label,
    gap_cell,
    gap_text,
    kpi_label,
    status_label,
    step_label,
)
from planner.export.decision import (
    DecisionCharts,
    supply_curve_block,
    waterfall_charts,
    write_decision,
)
from planner.export.decision import write_chart_data as write_decision_data
from planner.results.headline import (
    cost_view_lines,
    frontier_line,
    idle_flag,
    localization_grid,
    localization_headline,
)
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
#: the views' tables (registered in planner/results/tables/), in the order their sheets follow the data sheets
VIEW_SHEETS = ("localization_views", "sourcing", "cost_views", "idle_capacity", "commitments", "cash_flows",
               "landed_costs", "reference_prices")
SHEET_ORDER = ("decision", "summary", "run_info", *DATA_SHEETS, "sources", "chart_data")
SOURCE_COLUMNS = ("item", "value", "tag", "source", "note")

#: words for columns where the generic rule (`planner.export.kit.tidy_column`) would be ambiguous or unclear
LABELS: dict[str, dict[str, str]] = {
    "builds": {"equity_share": "partner equity share", "capex_planner_usd": "capex, planner's share",
               "variant_of": "JV variant of"},
    "localization": {"domestic_fta_share": "domestic + FTA share", "target_cost_usd_per_t": "target cost (shadow price)",
                     "group": "group (family or commodity)", "target_share": "target"},
    "supply": {"input_use_t": "used as input"},
    "shipments": {"cost_usd_per_t": "transport cost", "cost_usd": "transport cost"},
    "credits": {"total_usd": "total credits", "discounted_usd": "total credits, discounted"},
    "costs": {"discounted_usd": "cost, discounted"},
    "marginal_costs": {"discounted_usd_per_t": "marginal cost, discounted"},
    "imports": {"take_or_pay_usd": "take-or-pay"},
    "unmet": {"tonnes": "unmet demand", "demand_t": "total demand"},
    "kpis": {"kpi": "key (for lookups)", "note": "what it counts"},
    "localization_views": {"supply_t": "supply counted", "supply_value_usd": "value counted",
                           "demand_value_usd": "demand value", "share": "share by tonnes", "value_share": "share by value",
                           "pfe_unknown_t": "PFE-unknown (spot, no declared share)"},
    "cost_views": {"tariffs_usd": "tariffs (cost to industry)", "tariff_revenue_usd": "tariff revenue (fiscal)",
                   "credits_usd": "credits paid", "sunk_capex_usd": "sunk capex (apart)",
                   "penalties_usd": "penalties (apart)"},
    "idle_capacity": {"qualified_t": "qualified capacity, horizon", "output_t": "output, horizon",
                      "idle_t": "idle, horizon", "idle_share": "idle share, horizon",
                      "qualified_years": "qualified years", "idle_years": "years delivering nothing",
                      "year": "headline year", "year_qualified_t": "qualified capacity that year",
                      "year_idle_t": "idle that year", "year_idle_share": "idle share that year",
                      "public_support_usd": "public support received", "idle_capex_usd": "capex of the idle part",
                      "idle_support_usd": "public support of the idle part"},
    "commitments": {"decision_year": "decision year", "first_output_year": "first qualified tonne",
                    "capacity_t": "capacity (plants) / volume (contracts)", "capex_usd": "capex gross",
                    "net_capex_usd": "capex net", "year": "headline year", "delivered_t": "delivered that year",
                    "delivered_share": "share of the family's demand that year", "npv_usd": "NPV",
                    "irr": "IRR", "npv_without_credits_usd": "NPV without credits"},
    "cash_flows": {"grants_usd": "grants", "credit_48c_usd": "48C", "credit_45x_usd": "45X",
                   "inputs_usd": "recipe inputs", "net_usd": "net cash flow", "after_horizon": "after the horizon"},
    "landed_costs": {"usd_per_t": "amount", "total": "a total"},
    "reference_prices": {"price_usd_per_t": "reference price"},
    "frontier": {"kind": "what", "group": "target or demand", "definition": "met when",
                 "years_missed": "years the plan misses it", "missed_t": "missed by the plan, all years",
                 "earliest_year": "earliest year it can be met from", "missed_because": "why the plan misses it",
                 "verdict": "in words", "cost_usd": "cost of meeting it from then (discounted)",
                 "extra_cost_usd": "more than the plan (discounted)", "solves": "auxiliary solves"},
}
#: number format of a KPI's value, by its unit
_KPI_FORMATS = {"$": kit.FMT_USD_AS_MUSD, "share": FMT_SHARE, "count": FMT_COUNT, "t": FMT_T}

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
    "kpis": "Key indicators of the plan, each in the unit given ($ = dollars, shown in $M; share = 0-100%); the "
            "note says what each one counts. A hidden last column holds each indicator's key, for lookups.",
    "sources": "Sources of the input data, as given in the instance workbook.",
    "localization_views": "Localization under four definitions, by group and year: U.S.-made; North-America-made "
                          "(USMCA: U.S., Canada, Mexico); North-America-made plus imports from FTA partners (by "
                          "origin); non-PFE supply (what the credits test). Each as a share of demand in tonnes, and "
                          "in value: tonnes x the reference price of the commodity and year (sheet reference_prices). "
                          "Spot purchases without a declared market PFE share are PFE-unknown: not counted as "
                          "non-PFE, shown apart.",
    "sourcing": "Where each group's demand is met from, by origin and year [t], with the case's localization target "
                "(the decision sheet's stacked areas).",
    "cost_views": "The plan's cost by year seen three ways, in $M of each year: cost to industry = resource cost + "
                  "tariffs - credits (cash: credits as income, tariffs as cost); resource cost (without the transfers: "
                  "tariffs and credits); fiscal flows (each credit paid, by kind; tariff revenue; net fiscal cost = "
                  "credits - tariff revenue). Penalties and the sunk capex of existing and committed plants in no view, "
                  "apart. Discount factor: to the base year (the KPIs hold the discounted totals).",
    "idle_capacity": "Existing and committed plants: qualified capacity against output, over the horizon and in the "
                     "headline year; what does not deliver is idle (imports cheaper, mothballed, no buyer). Capex and "
                     "public support (grants, 48C) of the idle part = the plant's x its idle share that year.",
    "commitments": "Each commitment of the plan — a plant built or a JV, an import contract signed (with a fee or a "
                   "minimum), an offtake, a cancellation — with its decision year, first qualified tonne, capex gross, "
                   "public support and net, what it delivers in the headline year and as which localization, its NPV "
                   "and IRR at a developer's cost of capital (settings developer_discount_rate; cash flows on sheet "
                   "cash_flows) and its main risk. The decision sheet shows them on one page.",
    "cash_flows": "The yearly cash flows behind each plant commitment's NPV and IRR, whole project (all owners), in $M "
                  "of each year: capex as spent, grants with it, 48C when online; output x the price (marginal supply "
                  "price in the plan) less variable cost, recipe inputs at their reference price and fixed O&M, plus "
                  "45X; after the horizon (marked) the last year's margin without credits, to the end of the plant's "
                  "life.",
    "landed_costs": "A tonne imported against a tonne made in the U.S., step by step, per chemistry in the headline "
                    "year [$/t]: the cheapest import from a FEOC origin (price, freight, tariff: the landed cost) "
                    "against the U.S. plant the plan runs most (else the cheapest candidate): cash cost, capital "
                    "charge, less 45X, less the cell-credit value kept where the plan reports it. Steps without data "
                    "are left out. The waterfalls are drawn to the right.",
    "reference_prices": "The price of a tonne of each commodity by year at which the localization views value "
                        "tonnes, and its basis: a declared reference or market price, else the average landed price "
                        "of the year's imports (price + tariff + freight), else of the contracts on offer, else the "
                        "marginal supply price in the plan.",
}
_EMPTY_NOTES: dict[str, str] = {
    "builds": "none: the instance has no plants or candidate projects",
    "imports": "none: no import contract is used or signed in this plan",
    "shipments": "none: no shipments between regions in this plan",
    "unmet": "none: all demand is met",
    "sources": "none: the instance lists no sources",
}


# ---------------------------------------------------------------------------------- public API
def write_results(sol: Solution, path: str | Path, *, protect: tuple[str | Path, ...] = (),
                  rendered: bytes | None = None) -> Path:
    """Write the results workbook of `sol` to `path` atomically and return the path.

    The workbook is built in memory first, then saved to a temporary file next to `path` and renamed
    into place; on any error `path` is left as it was. `protect` lists files that must never be
    overwritten (the input workbook): writing onto one raises `OutputError`. `rendered`: the
    workbook's bytes as `results_bytes(sol)` made them elsewhere (a study's worker), written as they are.
    """
    return save_workbook(lambda: results_bytes(sol) if rendered is None else rendered, path, what="results workbook",
                         protect=protect)


def results_bytes(sol: Solution) -> bytes:
    """The results workbook of `sol` as the bytes of an .xlsx file (what `write_results` writes)."""
    return build_workbook(sol).to_bytes("results")


def read_results(path: str | Path) -> dict[str, pd.DataFrame]:
    """Read back the data tables of a results workbook: sheet name -> DataFrame.

    Returns the Solution tables (``kpis`` ... ``unmet``) and ``sources`` with their original column
    names and values; money columns are converted back from $M to $, blank text cells become "" and
    blank number cells NaN.
    """
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

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
        df = kit.read_tidy(wb[name])
        for col in [c for c in df.columns if c.endswith("_year") or c == "year"]:
            vals = pd.to_numeric(df[col], errors="coerce")
            if ((vals.dropna() % 1) == 0).all():
                df[col] = vals.astype("Int64")  # whole years, blank where a plant is not built
        out[name] = _from_sheet(name, df)
    return out


def build_workbook(sol: Solution, *, then: Sequence[str] = (), contents: Sequence[tuple[str, str]] = (),
                   supply_curve: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> Book:
    """The results workbook of `sol`, in memory (write_results saves it).

    `then`: names of empty sheets placed right after the summary, for a workbook that extends this
    one (the explanation); `contents`: (sheet, what it holds) added to the summary's contents;
    `supply_curve`: (built, unbuilt) candidates of an explanation, drawn as the localization supply
    curve on the decision sheet."""
    ctx = _Context.of(sol)
    book = Book(title=f"Plan for {ctx.instance}, case {ctx.case}")
    decision = book.sheet("decision")
    summary = book.sheet("summary")
    for name in then:
        book.sheet(name)
    run_info = book.sheet("run_info")
    for name in DATA_SHEETS:
        df = sol.table(name) if ctx.has_plan else sol.table(name).iloc[0:0]
        _write_table_sheet(book.sheet(name), name, df, ctx, sol.status)
    views = [n for n in ("frontier", *VIEW_SHEETS) if n in sol.extra]  # the frontier (planner solve) first
    for name in (*views, *[n for n in sol.extra if n not in views]):  # views, then tables families register:
        df = sol.extra[name]  # written the same way, units from suffixes
        _write_table_sheet(book.sheet(name), name, df if ctx.has_plan else df.iloc[0:0], ctx, sol.status,
                           description=sol.descriptions.get(name, ""))
    _write_table_sheet(book.sheet("sources"), "sources", _sources_frame(sol.run_info.get("sources") or []), ctx)
    blocks, decision_charts = _write_chart_data(book.sheet("chart_data"), sol, ctx, supply_curve)
    if "landed_costs" in book and ctx.has_plan:
        _landed_cost_charts(book["landed_costs"], decision_charts)
    _write_run_info(run_info, sol, ctx)
    _write_summary(summary, sol, ctx, blocks, contents)
    rate = float(sol.run_info.get("developer_discount_rate") or 0.10)
    note = ("The localization supply curve (candidates ranked by the support they need per t) is drawn below."
            if supply_curve is not None else
            "The localization supply curve (candidates ranked by the support they need per t, against cumulative "
            "t) needs a re-solve per candidate: `planner explain` draws it on the decision sheet of its workbook.")
    write_decision(decision, sol, title=f"Decision sheet: plan for {ctx.instance}, case '{ctx.case}'",
                   status=(ctx.status_line, ctx.level), charts=decision_charts if ctx.has_plan else None,
                   supply_note=note, rate=rate)
    return book


def _landed_cost_charts(ws: Sheet, charts: DecisionCharts) -> None:
    """Every chemistry's waterfall, to the right of the landed_costs table (two per row)."""
    col = ws.max_col + 2
    second = ws.column_at(ws._left_cm(col) + 12.4, col + 1)  # noqa: SLF001
    for i, (_c, chart) in enumerate(waterfall_charts(charts.waterfalls)):
        ws.chart(chart, kit.HEADER_ROW + (i // 2) * (kit.rows_for(chart.height_cm) - 1), col if i % 2 == 0 else second)


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
    gap = finite(status.get("gap"))
    if not status.get("has_solution"):
        what = str(status.get("status") or status.get("termination") or "no plan found")
        return f"NO PLAN: {what}", "bad"
    if status.get("proven_optimal"):
        if gap is None or gap_text(gap) == "0%":
            return "proven optimal (gap 0%)", "ok"
        return f"proven optimal within the solver's gap tolerance (gap {gap_text(gap)})", "ok"
    why = {"time_limit": "time limit reached", "interrupted": "interrupted"}.get(str(status.get("termination")), "")
    return f"feasible, not proven optimal, gap {gap_text(gap)}" + (f" ({why})" if why else ""), "warn"


# ---------------------------------------------------------------------------------- data sheets
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


def _write_table_sheet(ws: Sheet, name: str, df: pd.DataFrame, ctx: _Context,
                       status: dict[str, Any] | None = None, *, description: str = "") -> None:
    """A Solution table (or the sources) as a tidy sheet; registered tables use the same call (their
    `description` comes from the registry)."""
    df = _to_sheet(name, df)
    description = DESCRIPTIONS.get(name, description)
    if name == "marginal_costs" and status is not None and status.get("duals"):
        description += f" Duals: {status['duals']}."
    formats = None
    if name == "kpis" and len(df):
        units = df["unit"].tolist() if "unit" in df.columns else [None] * len(df)
        formats = {"value": [_KPI_FORMATS.get("" if isnull(u) else str(u), FMT_NUMBER) for u in units]}
    kit.tidy_sheet(ws, df, line=ctx.header, description=description, labels=LABELS.get(name),
                   empty=_empty_note(name, ctx, status), formats=formats)
    if name == "kpis" and "kpi" in df.columns:  # the key is for lookups, not for reading: words only are shown
        ws.hide_column(list(df.columns).index("kpi") + 1)


# ---------------------------------------------------------------------------------- chart data
def _years(sol: Solution) -> list[int]:
    ys: set[int] = set()
    for name in ("credits", "costs", "capacity", "localization"):
        df = sol.table(name)
        if "year" in df.columns and not df.empty:
            ys.update(int(y) for y in df["year"].dropna().tolist())
    return sorted(ys)


def _write_chart_data(ws: Sheet, sol: Solution, ctx: _Context,
                      supply_curve: tuple[pd.DataFrame, pd.DataFrame] | None = None
                      ) -> tuple[dict[str, Block], DecisionCharts]:
    ws.head(ctx.header, "Data behind the charts of the summary and decision sheets: pivots of the capacity, "
                        "localization, costs and view sheets.")
    years = _years(sol) if ctx.has_plan else []
    cats = ("year", years, FMT_YEAR)
    blocks: dict[str, Block] = {}
    row = 4

    cap = sol.capacity if ctx.has_plan else sol.capacity.iloc[0:0]
    cols: list[tuple[str, list[Any]]] = []
    if not cap.empty:
        piv = cap.groupby(["year", "commodity"])["qualified_t"].sum().unstack("commodity")
        piv = piv.reindex(years).fillna(0.0)
        cols = [(str(c), [float(v) for v in piv[c].tolist()]) for c in piv.columns]
    blocks["capacity"], row = ws.block(row, "Qualified capacity by commodity [t/yr], summed over regions", cats,
                                       cols, FMT_T)

    loc = sol.localization if ctx.has_plan else sol.localization.iloc[0:0]
    cols = []
    if not loc.empty:
        for g in list(dict.fromkeys(loc["group"].tolist())):
            sub = loc[loc["group"] == g].set_index("year")
            cols.append((f"{g} share", [float(sub.loc[y, "share"]) if y in sub.index else None for y in years]))
            # years without a target stay blank: a 0% "target" line would be misleading
            target = [float(sub.loc[y, "target_share"]) if y in sub.index and sub.loc[y, "target_share"] > 0
                      else None for y in years]
            if any(t is not None for t in target):
                cols.append((f"{g} target", target))
    blocks["localization"], row = ws.block(row, "Localization: qualifying share of demand and target, by group",
                                           cats, cols, FMT_SHARE)

    costs = sol.costs if ctx.has_plan else sol.costs.iloc[0:0]
    cols = []
    if not costs.empty:
        order = list(dict.fromkeys(costs["component"].astype(str).tolist()))
        piv = costs.assign(component=costs["component"].astype(str)).pivot_table(
            index="year", columns="component", values="cost_usd", aggfunc="sum").reindex(years).fillna(0.0)
        for comp in order:
            vals = [float(v) / MONEY_SCALE for v in piv[comp].tolist()]
            if any(abs(v) > 1e-9 for v in vals):
                cols.append((component_label(comp), vals))
    blocks["costs"], row = ws.block(row, "Cost by year and component [$M, money of each year]; credits are negative",
                                    cats, cols, FMT_MUSD)

    grid = localization_grid(sol) if ctx.has_plan else pd.DataFrame()
    cols = []
    defs: list[str] = []
    if not grid.empty:
        defs = list(dict.fromkeys(grid["definition"].tolist()))
        for g in dict.fromkeys(grid["group"].tolist()):
            sub = grid[grid["group"] == g].set_index("definition")
            cols.append((f"{g}", [float(sub.loc[d, "share"]) if d in sub.index else None for d in defs]))
    hy = int(grid["year"].iloc[0]) if not grid.empty else None
    blocks["definitions"], row = ws.block(row, f"Localization in {hy} under four definitions, by tonnes",
                                          ("definition", defs, None), cols, FMT_SHARE)

    cv = sol.table("cost_views") if ctx.has_plan and "cost_views" in sol.table_names else pd.DataFrame()
    cols = []
    if not cv.empty:
        cv = cv.set_index("year").reindex(years)
        for key, label in (("cost_to_industry_usd", "cost to industry"), ("resource_cost_usd", "resource cost"),
                           ("net_fiscal_cost_usd", "net fiscal cost")):
            cols.append((label, [float(v) / MONEY_SCALE if v == v else None for v in cv[key].tolist()]))
    blocks["cost_views"], row = ws.block(row, "The three cost views by year [$M, money of each year]", cats, cols,
                                         FMT_MUSD)

    decision, row = write_decision_data(ws, sol, row + 1) if ctx.has_plan else (DecisionCharts({}, None, {}), row)
    if supply_curve is not None and ctx.has_plan:
        curve, row = supply_curve_block(ws, row, *supply_curve)
        decision = replace(decision, supply_curve=curve)
    widths: dict[int, float] = {1: 34}
    for blk in blocks.values():
        for j, name in blk.series:
            widths[j] = max(widths.get(j, 12), min(len(name) + 3, 30))
    ws.widths(widths)
    return blocks, decision


def _charts(blocks: dict[str, Block]) -> list[Chart]:
    charts = []
    b = blocks["capacity"]
    if not b.empty:
        charts.append(Chart("line", "Qualified capacity by commodity", b.chart_series(), "year", "t/yr (all regions)"))
    b = blocks["localization"]
    if not b.empty:
        colors, dashed, k = [], [], -1
        for name in b.names:
            if name.endswith(" share"):
                k += 1
            colors.append(kit.PALETTE[k % len(kit.PALETTE)])
            dashed.append(name.endswith(" target"))
        charts.append(Chart("line", "Qualifying share by the case's rule (solid) vs target (dashed)",
                            b.chart_series(colors, dashed), "year", "share of demand", "0%", value_min=0, value_max=1))
    b = blocks["costs"]
    if not b.empty:
        charts.append(Chart("column", "Cost by year and component (credits negative)", b.chart_series(markers=False),
                            "year", "$M, money of each year", stacked=True, gap=60, legend="right", height_cm=9,
                            labels_low=True))  # year labels below the negative credits, not across them
    b = blocks.get("definitions")
    if b is not None and not b.empty:
        charts.append(Chart("column", "Localization under four definitions, by tonnes (headline year)",
                            b.chart_series(markers=False), "", "share of demand", "0%", value_min=0, gap=80))
    b = blocks.get("cost_views")
    if b is not None and not b.empty:
        charts.append(Chart("line", "Cost to industry, resource cost and net fiscal cost by year",
                            b.chart_series(), "year", "$M, money of each year"))
    return charts


# ---------------------------------------------------------------------------------- run_info
_STATUS_ROWS = (  # key, number format, note
    ("termination", None, ""), ("model_status", None, "as HiGHS reports it"),
    ("has_solution", None, ""), ("proven_optimal", None, ""),
    ("objective_usd", FMT_USD, "total discounted cost of the plan"),
    ("bound_usd", FMT_USD, "best lower bound HiGHS proved"),
    ("gap", "gap", "relative gap between objective and bound, rounded up to two significant digits"),
    ("wall_time_s", FMT_SECONDS, "seconds, model compile to loaded solution"),
    ("highs_time_s", FMT_SECONDS, "seconds inside HiGHS"),
    ("variables", FMT_COUNT, ""), ("integer_variables", FMT_COUNT, ""), ("constraints", FMT_COUNT, ""),
    ("nonzeros", FMT_COUNT, ""), ("duals", None, "source of the marginal costs and target costs"),
    ("hard_targets", None, ""),
)
_RUN_INFO_KEYS = {"instance", "instance_path", "instance_sha256", "case", "case_settings", "hard_targets", "preset",
                  "solver_options", "versions", "started_utc", "finished_utc", "command", "warnings", "sources",
                  "case_extends", "case_overrides"}


def _write_run_info(ws: Sheet, sol: Solution, ctx: _Context) -> None:
    ri = dict(sol.run_info)
    st = dict(sol.status)
    hard = ri.get("hard_targets", st.get("hard_targets"))
    settings = ri.get("case_settings") or []
    keys = ["parameter", "year", "region", "commodity", "value"]
    keys += sorted({k for s in settings if isinstance(s, dict) for k in s} - set(keys))
    okeys = ["case", "sheet", "filter", "column", "operation", "value", "note", "row"]
    extends = ri.get("case_extends") or []
    case = Section("Case", (
        Pair("case", ri.get("case")),
        Pair("hard targets", bool(hard) if hard is not None else None,
             note="TRUE: localization targets are hard constraints; FALSE: shortfalls are priced by the penalty"),
        Grid(tuple(keys), tuple(tuple(s.get(k) for k in keys) if isinstance(s, dict) else (s,) for s in settings),
             empty="none: the case sets no policy values (defaults apply)",
             intro="Policy settings of the case (policy sheet rows; blank = applies to all)"),
        Pair("extends", " -> ".join(extends) if extends else "no other case",
             note="cases whose policy values and overrides this case starts from, root first"),
        Grid(tuple(okeys), tuple(tuple(o.get(k) for k in okeys) for o in ri.get("case_overrides") or []),
             empty="none: the case uses the instance's data as it is",
             intro="Overrides that made the case (overrides sheet rows, applied in this order)"),
    ))
    opts = tuple(tuple(o) if isinstance(o, list | tuple) else (o, "", "") for o in ri.get("solver_options") or [])
    solver = Section("Solver", (Pair("preset", ri.get("preset")),
                                Grid(("option", "value", "source"), opts,
                                     intro="Every HiGHS option passed, and where its value came from")))
    rows: list[Pair] = [Pair("status", ctx.status_line)]
    for key, fmt, note in _STATUS_ROWS:
        if key in st:
            value = st[key]
            if fmt == "gap":
                value, fmt = gap_cell(value)
            rows.append(Pair(status_label(key), value, fmt, note))
    done = {k for k, _f, _n in _STATUS_ROWS} | {"timings", "status"}
    rows += [Pair(status_label(k), text_or_value(st[k])) for k in sorted(set(st) - done)]
    timings = st.get("timings") or {}
    sections = [
        case, solver, Section("Solve status", tuple(rows)),
        Section("Timings [s]", (Grid(("step", "seconds"), tuple((step_label(k), v) for k, v in timings.items()),
                                     (None, "0.000")),)),
        Section("Run", (Pair("started (UTC)", ri.get("started_utc")), Pair("finished (UTC)", ri.get("finished_utc")),
                        Pair("command", ri.get("command")))),
    ]
    other = sorted(set(ri) - _RUN_INFO_KEYS)
    if other:
        sections.append(Section("Other", tuple(Pair(status_label(k), text_or_value(ri[k])) for k in other)))
    kit.provenance(ws, ctx.header, "Exactly what was solved, how, and with which software: enough to reproduce this "
                                   "workbook.",
                   instance=(ri.get("instance"), ri.get("instance_path"), ri.get("instance_sha256")),
                   sections=sections, versions=ri.get("versions") or {}, warnings=list(ri.get("warnings") or []))


# ---------------------------------------------------------------------------------- summary
def _summary_kpi_value(value: Any, unit: Any) -> tuple[Any, str, str]:
    """(value, number format, unit shown) for the summary's KPI list."""
    v = plain(value)
    u = "" if isnull(unit) else str(unit)
    if v is None:
        return "n/a", "General", u
    if not kit.is_number(v):
        return v, "General", u
    if u == "$":
        return v / MONEY_SCALE, FMT_MUSD, "$M"
    if u == "share":
        return v, FMT_SHARE, ""
    if u == "count":
        return v, FMT_COUNT, ""
    if u == "t":
        return v, FMT_T, "t"
    return v, FMT_NUMBER, u


_SUMMARY_EXPLAIN = {
    "ok": "HiGHS proved that no cheaper plan exists (within the gap shown).",
    "warn": "HiGHS stopped before proving optimality: a cheaper plan may exist, by at most the gap shown. "
            "Re-run with a longer time limit before quoting this plan as optimal.",
    "bad": "There is no plan in this workbook: the tables are empty. Read the messages below.",
}
_CONTENTS_EXTRA = {
    "run_info": "Instance, case settings, solver options, versions and timings of this run.",
    "chart_data": "The data behind the charts above.",
}


def _write_summary(ws: Sheet, sol: Solution, ctx: _Context, blocks: dict[str, Block],
                   contents: Sequence[tuple[str, str]]) -> None:
    st = sol.status
    ri = sol.run_info
    ws.widths({1: 44, 2: 16, 3: 24, 4: 72, 5: 3})
    ws.put(1, 1, f"Plan for {ctx.instance} — case '{ctx.case}'", TITLE)
    status = STATUS[ctx.level]
    ws.put(2, 1, f"Status: {ctx.status_line}", status)
    for j in range(2, 5):
        ws.put(2, j, None, status)
    row = ws.note(3, _SUMMARY_EXPLAIN[ctx.level])
    if st.get("hard_targets") or ri.get("hard_targets"):
        row = ws.note(row, "Localization targets were hard constraints (--hard-targets).")
    row = ws.note(row, "Money in $M (millions of US dollars); 'discounted' = present value at the base year. "
                       "Tonnes are metric tonnes per year. Details on the other sheets.") + 1

    if sol.messages:
        row = ws.section(row, "Messages")
        for m in sol.messages:
            ws.put(row, 1, m)
            row += 1
        row += 1

    if ctx.has_plan:
        row = _headline(ws, row, sol)

    row = ws.section(row, "Solve")
    obj = finite(st.get("objective_usd"))
    bound = finite(st.get("bound_usd"))
    row = ws.pair(row, "Objective (total discounted cost) [$M]", obj / MONEY_SCALE if obj is not None else "n/a",
                  FMT_MUSD)
    row = ws.pair(row, "Best bound [$M]", bound / MONEY_SCALE if bound is not None else "n/a", FMT_MUSD)
    gap_value, gap_fmt = gap_cell(finite(st.get("gap")))
    row = ws.pair(row, "Gap", gap_value if gap_value is not None else "n/a", gap_fmt,
                  "rounded up to two significant digits, as everywhere")
    row = ws.pair(row, "Wall time [s]", finite(st.get("wall_time_s")), FMT_SECONDS)
    row = ws.pair(row, "HiGHS time [s]", finite(st.get("highs_time_s")), FMT_SECONDS)
    size = (f"{_int_text(st.get('variables'))} variables ({_int_text(st.get('integer_variables'))} integer), "
            f"{_int_text(st.get('constraints'))} constraints, {_int_text(st.get('nonzeros'))} nonzeros")
    row = ws.pair(row, "Model size", size)
    row = ws.pair(row, "Solver preset", ri.get("preset"))
    n_warn = len(ri.get("warnings") or [])
    row = ws.pair(row, "Validation warnings", n_warn, FMT_COUNT, "see run_info" if n_warn else "") + 1

    row = ws.section(row, "Key results")
    if not ctx.has_plan:
        ws.put(row, 1, "none: no plan", NONE)
        row += 2
    else:
        for j, h in enumerate(("indicator", "value", "unit", "what it is"), start=1):
            ws.header(row, j, h)
        row += 1
        for kpi, value, unit, note in sol.kpis[["kpi", "value", "unit", "note"]].itertuples(index=False):
            v, fmt, u = _summary_kpi_value(value, unit)
            ws.put(row, 1, kpi_label(kpi))
            ws.put(row, 2, v, kit.Style(fmt=fmt))
            ws.put(row, 3, u)
            ws.put(row, 4, note, NOTE)
            ws.fit_height(row, (1, 4))  # a long indicator wraps in its column, as its note does
            ws.restyle(row, 1, kit.WRAP)
            ws.restyle(row, 4, kit.WRAP)
            row += 1
        row += 1
        row = _cost_summary(ws, row, sol, obj) + 1
        row = _definitions_summary(ws, row, sol) + 1
        row = _cost_views_summary(ws, row, sol) + 1

    row = ws.section(row, "Plants in the plan (built, existing and committed)")
    plants = sol.builds[sol.builds["decision"].astype(str) != "not built"] if ctx.has_plan else sol.builds.iloc[0:0]
    for j, h in enumerate(("plant", "capacity [t/yr]", "decision", "details"), start=1):
        ws.header(row, j, h)
    row += 1
    if plants.empty:
        ws.put(row, 1, "none", NONE)
        row += 1
    for rec in plants.to_dict("records"):
        name = plain(rec.get("name")) or rec.get("project")
        ws.put(row, 1, f"{name} ({rec.get('project')})" if plain(rec.get("name")) else name)
        ws.put(row, 2, rec.get("capacity_t"), kit.Style(fmt=FMT_T))
        ws.put(row, 3, rec.get("decision"))
        ws.put(row, 4, _plant_details(rec))
        ws.wrap(row, 1, 1)
        ws.wrap(row, 4, 4)
        row += 1
    row += 1

    row = ws.section(row, "Contents")
    entries = [(n, DESCRIPTIONS.get(n, _CONTENTS_EXTRA.get(n, sol.descriptions.get(n, ""))))
               for n in (*DATA_SHEETS, *sol.extra, "run_info", "sources", "chart_data")]
    for name, what in [*entries, *contents]:
        ws.put(row, 1, name, LINK, link=f"#'{name}'!A1")
        ws.put(row, 2, what, NOTE)
        ws.wrap(row, 2, 4)
        row += 1

    charts = _charts(blocks) if ctx.has_plan else []
    anchor = 1
    for ch in charts:
        ws.chart(ch, anchor, 6)
        anchor += kit.rows_for(ch.height_cm)
    if not charts:
        ws.put(1, 6, "No charts: there is no plan." if not ctx.has_plan else "No charts: no data.", NONE)


def _headline(ws: Sheet, row: int, sol: Solution) -> int:
    """The plan in a few lines: the localization headline (saying its definition), the idle-capacity flag."""
    row = ws.section(row, "Headline")
    head = localization_headline(sol)
    if head:
        ws.put(row, 1, head, BOLD)
        ws.wrap(row, 1, 4)
        row += 1
        row = ws.note(row, "The four definitions of localization, by tonnes and by value: below and on sheet "
                           "localization_views.")
    flag = idle_flag(sol)
    if flag:
        ws.put(row, 1, flag[0], STATUS[flag[1]] | kit.Style(size=11))
        ws.wrap(row, 1, 4)
        row += 1
    frontier = frontier_line(sol)
    if frontier:
        ws.put(row, 1, frontier, STATUS["warn"] | kit.Style(size=11))
        ws.wrap(row, 1, 4)
        row += 1
    return row + 1


def _definitions_summary(ws: Sheet, row: int, sol: Solution) -> int:
    grid = localization_grid(sol)
    if grid.empty:
        return row
    hy = int(grid["year"].iloc[0])
    row = ws.section(row, f"Localization in {hy} under four definitions (sheet localization_views)")
    for j, h in enumerate(("definition", "group", "share by tonnes", "share by value"), start=1):
        ws.header(row, j, h)
    row += 1
    pct = kit.Style(fmt=FMT_SHARE)
    for r in grid.itertuples():
        ws.put(row, 1, r.definition)
        ws.put(row, 2, r.group)
        ws.put(row, 3, r.share, pct)
        ws.put(row, 4, r.value_share, pct | kit.Style(halign="left"), na=True)
        row += 1
    return row


def _cost_views_summary(ws: Sheet, row: int, sol: Solution) -> int:
    lines = cost_view_lines(sol)
    if not lines:
        return row
    row = ws.section(row, "Cost views, discounted to the base year [$M] (sheet cost_views)")
    for j, h in enumerate(("view", "discounted [$M]", "", "what it is"), start=1):
        ws.header(row, j, h)
    row += 1
    money = kit.Style(fmt=FMT_MUSD)
    for label, v, note in lines:
        apart = label.endswith("(apart)")
        ws.put(row, 1, label, NOTE if apart else (None if label.startswith("  ") else BOLD))
        ws.put(row, 2, None if v is None else v / MONEY_SCALE, money)
        ws.put(row, 4, note, NOTE)
        row += 1
    return row


def _cost_summary(ws: Sheet, row: int, sol: Solution, obj: float | None) -> int:
    row = ws.section(row, "Cost by component, discounted to the base year and summed over years [$M]")
    for j, h in enumerate(("component", "discounted [$M]", "money of each year [$M]"), start=1):
        ws.header(row, j, h)
    row += 1
    costs = sol.costs
    if costs.empty:
        ws.put(row, 1, "none", NONE)
        return row + 1
    comp = costs["component"].astype(str)
    disc = costs.groupby(comp)["discounted_usd"].sum()
    undisc = costs.groupby(comp)["cost_usd"].sum()
    money = kit.Style(fmt=FMT_MUSD)
    for c in dict.fromkeys(comp.tolist()):
        ws.put(row, 1, component_label(c))
        ws.put(row, 2, float(disc[c]) / MONEY_SCALE, money)
        ws.put(row, 3, float(undisc[c]) / MONEY_SCALE, money)
        row += 1
    total = float(disc.sum())
    ws.put(row, 1, "Total", BOLD)
    ws.put(row, 2, total / MONEY_SCALE, money | BOLD)
    ws.put(row, 3, float(undisc.sum()) / MONEY_SCALE, money | BOLD)
    if obj is not None:
        diff = total - obj
        ok = abs(diff) <= 1e-6 * max(1.0, abs(obj)) + 1.0
        ws.put(row, 4, "equals the objective" if ok else f"differs from the objective by ${diff:,.0f}", NOTE)
    return row + 1


def _int_text(v: Any) -> str:
    v = plain(v)
    return f"{int(v):,}" if kit.is_number(v) else "?"


def _plant_details(rec: dict[str, Any]) -> str:
    def year(k: str) -> str:
        v = plain(rec.get(k))
        return f"{int(v)}" if kit.is_number(v) else "?"

    parts = [f"{plain(rec.get('commodity')) or '?'} at {plain(rec.get('site')) or '?'}"]
    units = plain(rec.get("units"))
    if kit.is_number(units):
        parts.append(f"{int(units)} unit{'s' if units != 1 else ''}")
    parts.append(f"start {year('start_year')}, online {year('online_year')}, qualified {year('qualified_year')}, "
                 f"retires {year('retire_year')}")
    for key, what in (("capex_usd", "capex"),):
        v = plain(rec.get(key))
        if kit.is_number(v) and v:
            parts.append(f"{what} {musd_text(v)}")
    partner = plain(rec.get("partner"))
    if partner:
        share = plain(rec.get("equity_share"))
        parts.append(f"JV with {partner}" + (f" ({share:.0%} partner equity)" if isinstance(share, float) else ""))
    for key, what in (("grant_usd", "grant"), ("credit_48c_usd", "48C")):
        v = plain(rec.get(key))
        if kit.is_number(v) and v:
            parts.append(f"{what} {musd_text(v)}")
    return " · ".join(parts)


__all__ = ["build_workbook", "read_results", "status_line", "write_results", "SHEET_ORDER", "DATA_SHEETS"]
