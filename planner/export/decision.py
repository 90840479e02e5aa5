"""The decision sheet: one printed page a board reads first, at the front of the results workbook.

What it holds, top to bottom:

* the plan in three lines: the localization headline (which definition it uses), the three cost
  views (and what is shown apart), the idle-capacity flag;
* one row per commitment of the plan (`commitments` table: a plant built or a JV, an import
  contract signed, an offtake, a cancellation): who, decision year, first qualified tonne, capex
  gross / public support / net, what it delivers in the headline year and as which localization,
  its NPV and IRR at a developer's cost of capital, its main risk;
* native charts: sourcing by origin over time (stacked areas, one chart per group) with the
  localization target as a line; a build timeline (start -> online -> qualified -> producing, as
  stacked bars on invisible bases); a landed-cost waterfall for the main chemistries (import price ->
  freight -> tariff against U.S. cash cost -> capital charge -> 45X -> cell-credit value kept: stacked
  columns on invisible bases, only the steps whose data exist; every chemistry on the landed_costs
  sheet); and, in the explanation workbook, the localization supply curve (candidates ranked by the
  support they need per tonne, against cumulative tonnes), which needs the re-solves of `planner
  explain` — the results workbook says so.

The sheet prints whole on one landscape page (`Sheet.one_page`). The data behind its charts is on
chart_data. How cells and charts are written is the kit's; this module holds only the content.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from planner.export import kit
from planner.export.kit import (
    BOLD,
    FMT_MUSD,
    FMT_SHARE,
    FMT_T,
    FMT_YEAR,
    MONEY_SCALE,
    NONE,
    NOTE,
    STATUS,
    TITLE,
    Block,
    Chart,
    Column,
    Series,
    Sheet,
    Style,
    Table,
)
from planner.results.headline import cost_view_lines, frontier_line, idle_flag, localization_headline
from planner.results.labels import musd_text, share_text
from planner.results.solution import Solution

#: sources of the sourcing chart, most local first, with their colours
SOURCE_COLORS = {
    "U.S.-made": "1F4E79", "Canada and Mexico (USMCA)": "2E75B6", "FTA partners": "9DC3E6",
    "other non-PFE sources": "A9D18E", "PFE sources": "C00000", "spot purchases (origin unknown)": "BFBFBF",
    "unmet demand": "FFC000",
}
#: chemistries whose waterfall the decision sheet shows (all of them: the landed_costs sheet)
MAX_WATERFALLS = 2
#: commitments listed on the one page; the rest: the commitments sheet
MAX_ROWS = 14
#: build options on the timeline
MAX_TIMELINE = 12
CHART_W, CHART_H = 12.2, 8.4  # cm

_UP, _DOWN, _TOTAL_IMPORT, _TOTAL_US = "ED7D31", "70AD47", "C00000", "1F4E79"


@dataclass(frozen=True)
class DecisionCharts:
    """The blocks of chart_data the decision sheet draws from."""

    sourcing: dict[str, tuple[Block, Block | None]]  # group -> (sources, target)
    timeline: Block | None
    waterfalls: dict[str, Block]  # commodity -> (base, up, down, total) columns
    supply_curve: Block | None = None  # x = cumulative t, y = support per t


# ---------------------------------------------------------------------------------- chart data
def _years(sol: Solution) -> list[int]:
    try:
        lv = sol.table("localization_views")
    except KeyError:
        return []
    return sorted({int(y) for y in lv["year"]}) if not lv.empty else []


def write_chart_data(ws: Sheet, sol: Solution, row: int) -> tuple[DecisionCharts, int]:
    """The data of the decision sheet's charts, on chart_data from `row`; returns the blocks and the next row."""
    years = _years(sol)
    sourcing: dict[str, tuple[Block, Block | None]] = {}
    src = sol.table("sourcing") if "sourcing" in sol.table_names else pd.DataFrame()
    loc = sol.localization
    for g in list(dict.fromkeys(src["group"].tolist())) if not src.empty else []:
        sub = src[src["group"] == g]
        piv = sub.pivot_table(index="year", columns="source", values="tonnes", aggfunc="sum").reindex(years)
        cols = [(s, [float(v) if v == v else 0.0 for v in piv[s].tolist()]) for s in SOURCE_COLORS if s in piv]
        target = None
        lsub = loc[loc["group"] == g].set_index("year") if not loc.empty else None
        tvals = [float(lsub.loc[y, "required_t"]) if lsub is not None and y in lsub.index
                 and float(lsub.loc[y, "target_share"]) > 0 else None for y in years]
        block, row = ws.block(row, f"Decision sheet: where {g} comes from, by origin [t]", ("year", years, FMT_YEAR),
                              cols, FMT_T)
        if any(v is not None for v in tvals):
            target, row = ws.block(row, f"Decision sheet: the {g} localization target [t]", ("year", years, FMT_YEAR),
                                   [("target (the case's rule)", tvals)], FMT_T)
        sourcing[g] = (block, target)
    timeline, row = _timeline_block(ws, sol, row, years)
    waterfalls: dict[str, Block] = {}
    lc = sol.table("landed_costs") if "landed_costs" in sol.table_names else pd.DataFrame()
    for c in list(dict.fromkeys(lc["commodity"].tolist())) if not lc.empty else []:
        block, row = _waterfall_block(ws, lc[lc["commodity"] == c], c, row)
        if block is not None:
            waterfalls[c] = block
    return DecisionCharts(sourcing, timeline, waterfalls), row


def _timeline_block(ws: Sheet, sol: Solution, row: int, years: list[int]) -> tuple[Block | None, int]:
    b = sol.builds
    if b.empty or not years:
        return None, row
    first = years[0]
    keep = b[(b["decision"].astype(str) == "build") |
             ((b["decision"].astype(str) == "committed") & (b["online_year"].fillna(0) >= first))]
    keep = keep[keep["units"] > 0].sort_values(["start_year", "project"]).head(MAX_TIMELINE)
    if keep.empty:
        return None, row
    labels, base, build, qual, prod = [], [], [], [], []
    end = years[-1] + 1
    for r in keep.to_dict("records"):
        s, on, q, ret = (int(r["start_year"]), int(r["online_year"]), int(r["qualified_year"]),
                         int(r["retire_year"]))
        tag = " (committed)" if str(r["decision"]) == "committed" else ""
        labels.append(f"{r['project']} {r['commodity']}{tag}, {int(r['units'])}u {s}")
        base.append(float(s))
        build.append(float(max(on - s, 0)))
        qual.append(float(max(q - on, 0)))
        prod.append(float(max(min(end, ret) - q, 0)))
    return ws.block(row, "Decision sheet: build timeline [years]", ("build", labels, None),
                    [("start", base), ("construction", build), ("qualification", qual), ("producing", prod)],
                    "0")


def _waterfall_block(ws: Sheet, lc: pd.DataFrame, commodity: str, row: int) -> tuple[Block | None, int]:
    """Steps as stacked columns: an invisible base, a rise, a fall, a total (one of the last three per step)."""
    cats, base, up, down, total = [], [], [], [], []
    for side in ("import", "U.S."):
        running = 0.0
        for r in lc[lc["side"] == side].to_dict("records"):
            v = float(r["usd_per_t"])
            cats.append(str(r["step"]))
            if bool(r["total"]):
                base.append(None)
                up.append(None)
                down.append(None)
                total.append(v)
                running = v
            elif v >= 0:
                base.append(running)
                up.append(v)
                down.append(None)
                total.append(None)
                running += v
            else:
                running += v
                base.append(running)
                up.append(None)
                down.append(-v)
                total.append(None)
    if not cats:
        return None, row
    return ws.block(row, f"Decision sheet: landed cost of {commodity} [$/t]", ("step", cats, None),
                    [("base", base), ("cost", up), ("credit", down), ("total", total)], FMT_T)


def supply_curve_block(ws: Sheet, row: int, built: pd.DataFrame, unbuilt: pd.DataFrame) -> tuple[Block | None, int]:
    """The localization supply curve as a step line: built candidates at no support first, then the unbuilt
    ones by the support they need per tonne of qualified output, against cumulative tonnes of capacity."""
    items: list[tuple[float, float, str]] = []
    for r in built.to_dict("records") if built is not None else []:
        items.append((0.0, float(r.get("capacity_t") or 0.0), str(r.get("project"))))
    for r in unbuilt.to_dict("records") if unbuilt is not None else []:
        per_t = r.get("premium_usd_per_t")
        if per_t is None or (isinstance(per_t, float) and math.isnan(per_t)) or r.get("alternative_built"):
            continue
        items.append((max(float(per_t), 0.0), float(r.get("capacity_t") or 0.0), str(r.get("project"))))
    items.sort(key=lambda x: (x[0], x[2]))
    if not items:
        return None, row
    xs, ys, names = [0.0], [items[0][0]], [items[0][2]]
    cum = 0.0
    for per_t, cap, name in items:
        if xs[-1] != cum or ys[-1] != per_t:
            xs.append(cum)
            ys.append(per_t)
            names.append(name)
        cum += cap
        xs.append(cum)
        ys.append(per_t)
        names.append(name)
    return ws.block(row, "Decision sheet: localization supply curve (support needed per t against cumulative t/yr)",
                    ("cumulative capacity [t/yr]", xs, FMT_T), [("support needed [$/t]", ys)], FMT_T)


# ---------------------------------------------------------------------------------- charts
def _sourcing_chart(group: str, blocks: tuple[Block, Block | None]) -> Chart:
    block, target = blocks
    colors = [SOURCE_COLORS.get(n, "7F7F7F") for n in block.names]
    lines: tuple[Series, ...] = ()
    if target is not None:
        lines = tuple(Series(s.name, s.values, s.categories, "000000", dashed=True, markers=False)
                      for s in target.chart_series())
    return Chart("area", f"Where {group} comes from [t/yr]", block.chart_series(colors, markers=False), "",
                 "t/yr", stacked=True, legend="bottom", width_cm=CHART_W, height_cm=CHART_H, lines=lines)


def _timeline_chart(block: Block, first: int, last: int) -> Chart:
    s = block.chart_series(("FFFFFF", "A5A5A5", "FFC000", "2E75B6"), markers=False)
    s = (Series(s[0].name, s[0].values, s[0].categories, visible=False), *s[1:])
    # no legend: LibreOffice and Excel drop different entries of a horizontal bar chart's legend (the invisible
    # base would show in one of them); the colours are said in the axis title instead
    return Chart("bar", "Build timeline: start, online, qualified", s, "",
                 "year · grey: construction · yellow: qualification · blue: producing", "0", value_min=first - 1,
                 value_max=last + 1, stacked=True, gap=40, legend=None, width_cm=CHART_W, height_cm=CHART_H,
                 top_down=True)


def _waterfall_chart(commodity: str, block: Block) -> Chart:
    s = block.chart_series(("FFFFFF", _UP, _DOWN, _TOTAL_US), markers=False)
    s = (Series(s[0].name, s[0].values, s[0].categories, visible=False), *s[1:])
    return Chart("column", f"{commodity}: imported vs made in the U.S. [$/t]", s, "", "$/t", "#,##0", stacked=True,
                 gap=50, legend="bottom", width_cm=CHART_W, height_cm=CHART_H)


def supply_curve_chart(block: Block) -> Chart:
    s = block.chart_series(("1F4E79",), markers=False)
    return Chart("scatter", "Localization supply curve: support needed per t", s, "cumulative capacity [t/yr]",
                 "$/t of qualified output", "#,##0", legend=None, width_cm=CHART_W, height_cm=CHART_H,
                 x_format="#,##0", x_min=0)


# ---------------------------------------------------------------------------------- the sheet
def _main_chemistries(sol: Solution, waterfalls: dict[str, Block]) -> list[str]:
    """The chemistries with the largest demand in the headline year that have a waterfall."""
    lv = sol.supply
    hy = max((int(y) for y in sol.table("landed_costs")["year"]), default=None) if waterfalls else None
    if hy is None:
        return []
    demand = lv[lv["year"] == hy].set_index("commodity")["demand_t"] if not lv.empty else pd.Series(dtype=float)
    return sorted(waterfalls, key=lambda c: -float(demand.get(c, 0.0)))[:MAX_WATERFALLS]


def _columns(hy: int | None, rate: float) -> tuple[Column, ...]:
    y = str(hy) if hy else "the headline year"
    money = dict(unit="$M", fmt=FMT_MUSD, scale=1 / MONEY_SCALE, na=True)
    return (
        Column("kind", "commitment", width=12, wrap=True),
        Column("what", "what", width=30, wrap=True),
        Column("partner", "owner / partner", width=13, wrap=True),
        Column("decision_year", "decided", fmt=FMT_YEAR, width=8, na=True),
        Column("first_output_year", "first qualified tonne", fmt=FMT_YEAR, width=9, na=True),
        Column("capex_usd", "capex gross", width=9, **money),
        Column("public_support_usd", "public support", width=9, **money),
        Column("net_capex_usd", "capex net", width=9, **money),
        Column("delivered_t", f"delivers in {y}", "t", FMT_T, width=10, na=True),
        Column("delivered_share", f"share of {y} demand", "%", FMT_SHARE, width=9, na=True),
        Column("counts_as", "counts as", width=12, wrap=True),
        Column("npv_usd", f"NPV at {rate:.0%}", width=9, **money),
        Column("irr", "IRR", "%", FMT_SHARE, width=7, na=True),
        Column("main_risk", "main risk", width=40, wrap=True),
    )


def write_decision(ws: Sheet, sol: Solution, *, title: str, status: tuple[str, str], charts: DecisionCharts | None,
                   supply_note: str, rate: float) -> None:
    """The one-page decision sheet of `sol` (see the module's docstring)."""
    ws.one_page = True
    line, level = status
    cols = _columns(None, rate)
    ws.widths({j: c.width or 10 for j, c in enumerate(cols, start=1)})
    last = len(cols)
    ws.put(1, 1, title, TITLE)
    ws.put(2, 1, f"Status: {line}", STATUS[level])
    ws.merge(2, 1, last, STATUS[level])
    row = 3
    if not sol.has_plan:
        ws.put(row, 1, "No plan: nothing to decide. See the summary sheet.", NONE)
        return
    com = sol.table("commitments") if "commitments" in sol.table_names else pd.DataFrame()
    hy = int(com["year"].dropna().iloc[0]) if not com.empty and com["year"].notna().any() else None
    cols = _columns(hy, rate)
    head = localization_headline(sol)
    if head:
        ws.put(row, 1, head, Style(bold=True, size=12))
        ws.merge(row, 1, last)
        row += 1
    costs = {k: v for k, v, _n in cost_view_lines(sol)}
    if costs:
        text = (f"Cost to industry {musd_text(costs.get('Cost to industry'))} · resource cost "
                f"{musd_text(costs.get('Resource cost'))} · net fiscal cost {musd_text(costs.get('Net fiscal cost'))} "
                f"(credits {musd_text(costs.get('Credits paid'))} less tariff revenue "
                f"{musd_text(costs.get('Tariff revenue'))}); apart: penalties "
                f"{musd_text(costs.get('Penalties (apart)'))}, sunk capex {musd_text(costs.get('Sunk capex (apart)'))}"
                " — all discounted.")
        ws.put(row, 1, text, BOLD)
        ws.wrap(row, 1, last)
        row += 1
    frontier = frontier_line(sol)  # when a target or a ban cannot be met: the years, not the penalty-inflated total
    if frontier:
        ws.put(row, 1, frontier, STATUS["warn"] | Style(size=11))
        ws.wrap(row, 1, last)
        row += 1
    flag = idle_flag(sol)
    if flag:
        ws.put(row, 1, flag[0], STATUS[flag[1]] | Style(size=11))
        ws.wrap(row, 1, last)
        row += 1
    row += 1
    records = []
    for r in com.to_dict("records"):
        rec = dict(r)
        name = str(r.get("name") or "")
        rec["what"] = f"{r['commitment']}: {name}" if name else str(r["commitment"])
        records.append(rec)
    shown_rows = records[:MAX_ROWS]
    placed = ws.table(row, Table(cols, empty="none: the plan makes no new commitment (no plant built, no contract "
                                             "with a fee or a minimum signed)"), shown_rows)
    row = placed.next_row
    if len(records) > MAX_ROWS:
        row = ws.note(row, f"{len(records) - MAX_ROWS} more commitments on the commitments sheet.", last_col=last)
    imp = sol.imports
    if not imp.empty:
        free = imp[~imp["contract"].isin(com["commitment"] if not com.empty else [])]
        free = free[free["tonnes"] > 0]
        if len(free):
            by = free[free["year"] == hy] if hy is not None else free.iloc[0:0]
            tons = by.groupby(["contract", "origin", "commodity"])["tonnes"].sum().sort_values(ascending=False)
            parts = [f"{k} {c} from {o} {t / 1000:,.0f} kt" for (k, o, c), t in tons.head(6).items()]
            more = f"; and {len(tons) - 6} more" if len(tons) > 6 else ""
            row = ws.note(row, "Imports under contracts without fee or minimum (no commitment)"
                          + (f", {hy}: " + "; ".join(parts) + more if parts else ": none in the headline year")
                          + ". Sheet imports.", last_col=last)
    row = ws.note(row, f"NPV and IRR: whole-project cash flows (sheet cash_flows) at a developer's cost of capital of "
                       f"{share_text(rate)} (settings: developer_discount_rate), to the decision year: capex as spent, "
                       "grants and 48C, output x the marginal supply price in the plan less variable cost, inputs and "
                       "fixed O&M, plus 45X; after the horizon the last year's margin without credits. "
                       + supply_note, last_col=last)
    row += 1
    if charts is not None:
        _place_charts(ws, sol, charts, row)


def _place_charts(ws: Sheet, sol: Solution, charts: DecisionCharts, row: int) -> None:
    years = _years(sol)
    placed: list[Chart] = [_sourcing_chart(g, b) for g, b in charts.sourcing.items()]
    if charts.timeline is not None and years:
        placed.append(_timeline_chart(charts.timeline, years[0], years[-1]))
    for c in _main_chemistries(sol, charts.waterfalls):
        placed.append(_waterfall_chart(c, charts.waterfalls[c]))
    if charts.supply_curve is not None:
        placed.append(supply_curve_chart(charts.supply_curve))
    per_row = 3
    col_starts = [1]
    for k in range(1, per_row):
        col_starts.append(ws.column_at(ws._left_cm(col_starts[-1]) + CHART_W + 0.2, col_starts[-1] + 1))  # noqa: SLF001
    for i, ch in enumerate(placed):
        r = row + (i // per_row) * (kit.rows_for(CHART_H) - 1)
        ws.chart(ch, r, col_starts[i % per_row])
    if not placed:
        ws.put(row, 1, "No charts: no data.", NONE)


def waterfall_charts(blocks: dict[str, Block]) -> list[tuple[str, Chart]]:
    """Every chemistry's waterfall (the landed_costs sheet)."""
    return [(c, _waterfall_chart(c, b)) for c, b in blocks.items()]


__all__ = ["DecisionCharts", "supply_curve_block", "supply_curve_chart", "waterfall_charts", "write_chart_data",
           "write_decision"]

