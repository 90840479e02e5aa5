"""The workbook of `planner explain`: the plan's results workbook plus sheets that explain the plan.

The question it answers: *why this plan, and what does it cost to insist on the localization
targets?* A planner who must defend a plan reads, in plain words, what each target costs, why each
candidate plant is or is not built, and why demand or a target is short.

Layout (sheet order): ``decision`` and ``summary`` (of the results workbook; the decision sheet here
also draws the localization supply curve: the candidates ranked by the support they need per tonne,
from the re-solves, against cumulative tonnes), then the explanation sheets
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
reasons) is always text, never a formula. How a sheet is written is the kit's
(`planner.export.kit`); this module holds only the content. No Pyomo here: it reads only the
pandas tables of an `Explanation` and its `Solution`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from planner.explain.analysis import Explanation
from planner.export import kit
from planner.export.kit import (
    BOLD,
    FAILED,
    FMT_COUNT,
    FMT_MUSD,
    FMT_SHARE,
    FMT_T,
    FMT_USD_PER_T,
    FMT_YEAR,
    HEADER_ROW,
    LINK,
    MONEY_SCALE,
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
    Sheet,
    Style,
    Styled,
    Table,
    isnull,
    musd,
    number,
    plain,
)
from planner.export.results import _Context as _ResultsContext
from planner.results.labels import musd_text, share_text
from planner.export.results import build_workbook

#: the explanation sheets, placed right after the results workbook's summary
EXPLANATION_SHEETS = ("findings", "target_costs", "marginal_chart", "candidates", "shortfalls", "how_computed")

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

_NA_TEXT = Style(italic=True, color="808080")
_BOLD_RED = Style(bold=True, color="9C0006")


# ---------------------------------------------------------------------------------- public API
def write_explanation(expl: Explanation, path: str | Path, *, protect: tuple[str | Path, ...] = ()) -> Path:
    """Write the explanation workbook of `expl` to `path` atomically and return the path.

    Built in memory, saved to a temporary file next to `path` and renamed into place; on any error
    `path` is left as it was. `protect` lists files that must never be overwritten (the input
    workbook): writing onto one raises `OutputError`.
    """
    return kit.save(lambda: build_explanation_workbook(expl), path, what="explanation workbook",
                    kind="explanation", protect=protect)


def build_explanation_workbook(expl: Explanation) -> Book:
    """The explanation workbook of `expl`, in memory: the results workbook plus the explanation sheets."""
    contents = [(name, "Explanation: " + DESCRIPTIONS[name].split(". ")[0].rstrip(".") + ".")
                for name in EXPLANATION_SHEETS]
    book = build_workbook(expl.solution, then=EXPLANATION_SHEETS, contents=contents,
                          supply_curve=(expl.built, expl.unbuilt))
    ctx = _Ctx.of(expl)
    _write_findings(book["findings"], expl, ctx)
    _write_target_costs(book["target_costs"], expl, ctx)
    _write_marginal_chart(book["marginal_chart"], expl, ctx)
    _write_candidates(book["candidates"], expl, ctx)
    _write_shortfalls(book["shortfalls"], expl, ctx)
    _write_how_computed(book["how_computed"], expl, ctx)
    return book


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
    results: _ResultsContext  # instance, case, status line of the plan
    failures: tuple[tuple[str, str], ...]  # (re-solve, why)
    duals: str  # where the shadow prices come from (or why there are none)

    @classmethod
    def of(cls, expl: Explanation) -> _Ctx:
        fails = tuple((str(k), str(v)) for k, v in (expl.failures or {}).items())
        return cls(results=_ResultsContext.of(expl.solution), failures=fails,
                   duals=str(expl.solution.status.get("duals") or "unavailable"))

    @property
    def failures_line(self) -> str | None:
        if not self.failures:
            return None
        n = len(self.failures)
        shown = "; ".join(f"'{k}' ({_short(why)})" for k, why in self.failures[:3])
        more = f"; and {n - 3} more" if n > 3 else ""
        return f"{n} re-solve{'s' if n != 1 else ''} failed, so some figures are n/a: {shown}{more}. See findings."

    def head(self, ws: Sheet, description: str) -> None:
        ws.head(self.results.header, description, self.failures_line, "bad")


def _short(text: str, width: int = 160) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _year(v: Any) -> int | None:
    x = number(v)
    return None if x is None else int(round(x))


def _records(df: pd.DataFrame | None) -> list[dict[str, Any]]:
    return df.to_dict("records") if df is not None and not df.empty else []


def _col(key: str, label: str, unit: str = "", fmt: str | None = None, width: float = 12, scale: float = 1.0, *,
         wrap: bool = False, span: int = 1, align: str | None = None, note: str = "") -> Column:
    """A column of an explanation table: at least `width` wide (exactly, when its text wraps); a blank
    number reads n/a; `note` explains it on its header."""
    if wrap:
        return Column(key, label, unit, fmt, scale, width=width, wrap=True, span=span, align=align, note=note)
    return Column(key, label, unit, fmt, scale, min_width=width, max_width=50, span=span, align=align,
                  na=fmt is not None, note=note)


_UNCERTAINTY = ("How far each of the two solves may be from its optimum (objective minus HiGHS's bound), added "
                "up: a difference smaller than this is within the solver's tolerance.")


def _table(cols: Sequence[Column], empty: str = "none", *, filter_: bool = False, freeze: int | None = None
           ) -> Table:
    return Table(tuple(cols), empty=empty, filter=filter_, freeze=freeze, repeat_header=filter_)


# ---------------------------------------------------------------------------------- findings
def _write_findings(ws: Sheet, expl: Explanation, ctx: _Ctx) -> None:
    ws.widths({1: 16, 2: 110})
    ctx.head(ws, DESCRIPTIONS["findings"])
    row = HEADER_ROW + 1
    ws.put(row, 1, f"Why this plan? {ctx.results.instance} — case '{ctx.results.case}'", TITLE)
    row += 1
    status = STATUS[ctx.results.level]
    ws.put(row, 1, f"Status of the plan: {ctx.results.status_line}", status)
    ws.put(row, 2, None, status)
    row += 2

    row = ws.section(row, "Findings, most important first")
    findings = [str(f) for f in expl.findings]
    shown = [(i, text) for i, text in enumerate(findings[:MAX_FINDINGS_SHOWN], start=1)]
    row = ws.table(row, Table((Column("n", "#", fmt=FMT_COUNT, width=16, align="left"),
                               Column("text", "finding", width=110, wrap=True)),
                              empty="none: the explanation has no findings"), shown).next_row
    if len(findings) > MAX_FINDINGS_SHOWN:
        ws.put(row, 2, f"{len(findings) - MAX_FINDINGS_SHOWN} more findings: see the other sheets", NOTE)
        row += 1
    row += 1

    row = ws.section(row, "What the localization targets cost")
    total = musd(expl.targets_total_usd)
    obj = musd(expl.solution.status.get("objective_usd"))
    ws.put(row, 1, "cost of all localization targets [$M]", BOLD)
    ws.merge(row, 1, 2)
    row += 1
    if total is not None:
        ws.put(row, 1, total, Style(fmt=FMT_MUSD, bold=True, size=12, halign="left"))
        ws.merge(row, 1, 2)
        row += 1
        text = ("the plan's total discounted cost with the targets minus the same case re-solved without any "
                "localization target (a second MILP solve)")
        if obj:
            text += f"; {share_text(total / obj)} of the plan's total cost of {musd_text(obj * MONEY_SCALE)}"
        ws.put(row, 2, text + ".", NOTE | kit.WRAP)
        ws.fit_height(row, [2])
    else:
        why = dict(ctx.failures).get("without targets")
        if why:
            text = f"n/a: the re-solve without targets failed ({why})"
        elif expl.target_costs.empty:
            text = "n/a: the case sets no localization target"
        else:
            text = "n/a: the re-solve without targets did not run"
        ws.put(row, 1, text, _NA_TEXT)
        ws.wrap(row, 1, 2)
    row += 1
    binding = expl.target_costs[expl.target_costs["binding"].astype(bool)] if not expl.target_costs.empty else []
    if len(binding):
        ws.put(row, 2, f"Binding in {len(binding)} of {len(expl.target_costs)} target years; each one's price "
                       "per t and per kWh of cells: target_costs.", NOTE)
        row += 1
    row += 1

    row = ws.section(row, "Re-solves that failed")
    fails = [{"key": Styled(key, FAILED), "why": Styled(f"failed: {why} — n/a: {_affects(key)}", FAILED)}
             for key, why in ctx.failures]
    row = ws.table(row, Table((Column("key", "re-solve", width=16, wrap=True),
                               Column("why", "why it failed, and what is n/a because of it", width=110, wrap=True)),
                              empty="none: every re-solve of the explanation finished"), fails).next_row + 1

    row = ws.section(row, "Contents of the explanation")
    for name in EXPLANATION_SHEETS[1:]:
        ws.put(row, 1, name, LINK, link=f"#'{name}'!A1")
        ws.put(row, 2, DESCRIPTIONS[name], NOTE | kit.WRAP)
        ws.fit_height(row, [2])
        row += 1
    ws.put(row, 2, "The summary and the sheets after how_computed are the plan's results workbook, as "
                   "planner solve writes it.", NOTE | kit.WRAP)


# ---------------------------------------------------------------------------------- target costs
_TARGET_COLUMNS = (
    _col("group", "group (family or commodity)", width=14),
    _col("year", "year", fmt=FMT_YEAR, width=7),
    _col("target_share", "target", "% of demand", FMT_SHARE, 11),
    _col("required_t", "required qualifying supply", "t", FMT_T, 13),
    _col("qualifying_t", "qualifying supply", "t", FMT_T, 13),
    _col("shortfall_t", "shortfall", "t", FMT_T, 11),
    _col("binding_text", "binding", width=9, align="center",
         note="yes: the target constrains the plan (its shadow price is above 0)."),
    _col("cost_usd_per_t", "target cost", "$/t of qualifying supply", FMT_USD_PER_T, 15),
    _col("cost_usd_per_kwh", "target cost", "$/kWh of cells", FMT_KWH, 13),
    _col("how", "how computed (details: how_computed)", width=70, wrap=True),
)


def _how_target(rec: dict[str, Any], demand: dict[tuple[str, int], float], duals: str) -> str:
    g, y = rec.get("group"), _year(rec.get("year"))
    dual = number(rec.get("cost_usd_per_t"))
    kwh = number(rec.get("cost_usd_per_kwh"))
    short = number(rec.get("shortfall_t")) or 0.0
    if dual is None:
        return f"no shadow price: the duals are {duals}"
    if dual <= 1e-6:
        return ("not binding: the plan reaches the target without extra cost at the margin (shadow price 0); "
                "$/kWh is 0 too")
    text = f"shadow price of the {y} {g} target row in the LP with the plan's integer decisions fixed"
    if short > 1.0:
        text += " — the target is missed, so the price is the localization penalty per t (settings)"
    share = number(rec.get("target_share"))
    dem = demand.get((str(g), y or 0))
    if kwh and share and dem:
        gwh = dual * share * dem / (kwh * 1e6)
        text += (f"; per kWh: ${dual:,.0f}/t × {share:.0%} target × {dem:,.0f} t demand ÷ {gwh:,.2f} GWh of cells "
                 f"= ${kwh:,.4f}/kWh")
    return text


def _write_target_costs(ws: Sheet, expl: Explanation, ctx: _Ctx) -> None:
    ctx.head(ws, DESCRIPTIONS["target_costs"])
    tc = expl.target_costs
    loc = expl.solution.localization
    demand = {(str(r.group), int(r.year)): float(r.demand_t) for r in loc.itertuples()} if not loc.empty else {}

    def missed(rec: dict[str, Any]) -> bool:
        return (number(rec.get("shortfall_t")) or 0.0) > 1.0

    recs = []
    for rec in _records(tc):
        b = rec.get("binding")
        binding = bool(b) and not isnull(b)
        rec = {**rec, "binding_text": "yes" if binding else "no", "how": _how_target(rec, demand, ctx.duals)}
        if binding:  # the price is what a planner looks for: bold if binding
            price = _BOLD_RED if missed(rec) else BOLD
            rec["cost_usd_per_t"] = Styled(rec.get("cost_usd_per_t"), price)
            rec["cost_usd_per_kwh"] = Styled(rec.get("cost_usd_per_kwh"), price)
        recs.append(rec)
    placed = ws.table(HEADER_ROW, _table(_TARGET_COLUMNS, "none: the case sets no localization target", filter_=True,
                                         freeze=2), recs, row_style=lambda r: RED if missed(r) else None)
    ncols = len(_TARGET_COLUMNS)
    row = placed.next_row + 1
    if recs:
        total = musd(expl.targets_total_usd)
        row = ws.note(row, "All targets together cost " + (musd_text(total * MONEY_SCALE) if total is not None
                                                            else "n/a (see findings)")
                      + " (discounted): the plan with them minus the plan without them. Red rows: the target is "
                        "missed (shortfalls).", last_col=ncols) + 1

    # the chart's data below the table (outside the autofilter), the chart below its data
    groups = list(dict.fromkeys(str(g) for g in tc["group"].tolist())) if not tc.empty else []
    years = sorted({int(y) for y in tc["year"].tolist()}) if not tc.empty else []
    cols: list[tuple[str, list[Any]]] = []
    for g in groups:
        sub = tc[tc["group"].astype(str) == g].set_index("year")
        cols.append((g, [number(sub.at[y, "cost_usd_per_t"]) if y in sub.index else None for y in years]))
    if cols:
        block, row = ws.block(row, "Data of the chart: target cost by year and group [$/t of qualifying supply]; "
                                   "0 = not binding", ("year", years, FMT_YEAR), cols, FMT_USD_PER_T)
        ws.chart(Chart("column", "Target cost by year and group [$/t of qualifying supply]",
                       block.chart_series(markers=False), "target year", "$/t, money of each year", gap=60,
                       value_min=0, height_cm=8, width_cm=18), row)


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
        low = number(vals.min())
        high = number(vals.max())
        best = max(regions, key=lambda r: (where[r], -regions.index(r))) if regions else None
        if best is not None and where[best] > 1.0:
            s = sub[sub["region"] == best].set_index("year")["marginal_cost_usd_per_t"]
            line = _Line(c, best, where[best], where[best] / positive if positive else None, len(regions), low, high)
            values = [number(s.get(y)) for y in years]
        else:  # nothing stays anywhere (e.g. all from spot purchases): the plain mean over its regions
            s = sub.assign(v=vals).groupby("year")["v"].mean()
            line = _Line(c, None, 0.0, None, len(regions), low, high)
            values = [number(s.get(y)) for y in years]
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


def _write_marginal_chart(ws: Sheet, expl: Explanation, ctx: _Ctx) -> None:
    sol = expl.solution
    ctx.head(ws, DESCRIPTIONS["marginal_chart"])
    years, lines, cols = _marginal_lines(sol) if ctx.results.has_plan else ([], [], [])
    widths = {1: 12, **{j: max(14, min(26, len(name) + 3)) for j, (name, _v) in enumerate(cols, start=2)}}
    widths.update({j: max(widths.get(j, 12), w) for j, w in {1: 12, 2: 16, 3: 16, 4: 12, 5: 12, 6: 16, 7: 16}.items()})
    ws.widths(widths)
    ncols = max(7, 1 + len(cols))
    row = HEADER_ROW + 1
    if not cols:
        why = (f"none: marginal costs are {ctx.duals}" if ctx.results.has_plan
               else f"none: there is no plan ({ctx.results.status_line})")
        ws.put(row, 1, why, NONE)
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
        row = ws.note(row, text, last_col=ncols)
    row += 1

    charts = [(row, "Marginal supply cost per commodity, in the region that takes most of it [$/t, money of each "
                    "year]", cols, "Data of the chart [$/t, money of each year]")]
    row += kit.rows_for(10)
    if zoom is not None:
        ws.page_break(row)  # printed: the second chart starts a page
        cut = [(name, [v if v is None or v <= zoom else None for v in vals]) for name, vals in cols]
        charts.append((row, f"The same without the values above ${zoom:,.0f}/t (gaps: demand short)", cut,
                       f"Data of the second chart: the same, values above ${zoom:,.0f}/t left blank"))
        row += kit.rows_for(10)
    for anchor, title, data, head in charts:
        block, row = ws.block(row, head, ("year", years, FMT_YEAR), data, FMT_USD_PER_T)
        ws.chart(Chart("line", title, block.chart_series(), "", "$/t, money of each year", legend="right",
                       height_cm=10, width_cm=24, labels_low=True), anchor)  # years below negative values

    row = ws.section(row, "The region charted for each commodity")
    recs = [{"commodity": ln.commodity, "region": ln.region or "mean of regions (none takes any)",
             "taken_t": ln.taken_t if ln.region else None, "share": ln.share, "regions": ln.regions,
             "low": ln.low, "high": ln.high} for ln in lines]
    ws.table(row, _table((
        _col("commodity", "commodity", width=12),
        _col("region", "region charted", width=16),
        _col("taken_t", "tonnes taken there, whole horizon", "t", FMT_T, 16),
        _col("share", "share of all tonnes taken", "%", FMT_SHARE, 12),
        _col("regions", "regions with a marginal cost", fmt=FMT_COUNT, width=12),
        _col("low", "lowest over regions and years", "$/t", FMT_USD_PER_T, 16),
        _col("high", "highest over regions and years", "$/t", FMT_USD_PER_T, 16))), recs)


# ---------------------------------------------------------------------------------- candidates
_UNBUILT_COLUMNS = (
    _col("project", "project", width=10),
    _col("name", "name", width=30, wrap=True),
    _col("commodity", "commodity", width=11),
    _col("site", "site", width=8),
    _col("capacity_t", "capacity", "t/yr", FMT_T, 11),
    _col("earliest_start", "earliest start", fmt=FMT_YEAR, width=9),
    _col("earliest_qualified", "earliest qualified year", fmt=FMT_YEAR, width=10),
    _col("premium_usd", "premium", "$M", FMT_MUSD, 11, 1 / MONEY_SCALE),
    _col("premium_usd_per_t", "premium", "$/t of qualified output", FMT_USD_PER_T, 13),
    _col("uncertainty_usd", "solver uncertainty", "$M", FMT_MUSD, 11, 1 / MONEY_SCALE, note=_UNCERTAINTY),
    _col("note", "note", width=40, wrap=True),
)
_BUILT_COLUMNS = (
    _col("project", "project", width=10),
    _col("name", "name", width=30, wrap=True),
    _col("commodity", "commodity", width=11),
    _col("site", "site", width=8),
    _col("capacity_t", "capacity", "t/yr", FMT_T, 11),
    _col("value_usd", "value", "$M", FMT_MUSD, 11, 1 / MONEY_SCALE),
    _col("of_which_penalties_usd", "from penalties", "$M", FMT_MUSD, 12, 1 / MONEY_SCALE),
    _col("of_which_other_usd", "from other costs", "$M", FMT_MUSD, 11, 1 / MONEY_SCALE),
    _col("uncertainty_usd", "solver uncertainty", "$M", FMT_MUSD, 13, 1 / MONEY_SCALE, note=_UNCERTAINTY),
    _col("note", "note", width=40, wrap=True, span=2),  # under the unbuilt table's columns J and K
)


def _bar_label(rec: dict[str, Any], width: int = 34) -> str:
    """'C12 Gulf Coast TX/LA LFP greenfield', shortened to `width` characters."""
    name = plain(rec.get("name"))
    text = f"{rec.get('project')} {name}" if isinstance(name, str) and name else str(rec.get("project"))
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _bar_block(ws: Sheet, row: int, title: str, head: str, recs: list[dict[str, Any]], key: str) -> tuple[Block, int]:
    """project | label (the chart's categories) | value [$M]; returns the block and the next free row."""
    ws.section(row, title)
    cols = (Column("project", "project"), Column("label", "label on the chart"),
            Column("value", head, fmt=FMT_MUSD))
    data = [{"project": r.get("project"), "label": _bar_label(r), "value": musd(r.get(key))} for r in recs]
    placed = ws.table(row + 1, Table(cols), data)
    block = Block(ws.name, placed.header_row, placed.first_row, placed.last_row, 2, ((3, head),))
    return block, placed.next_row + 1


def _bar_height(n: int) -> float:
    return max(7.0, min(16.0, 4.0 + 0.75 * n))


def _bar_chart(block: Block, title: str, color: str) -> Chart:
    """Horizontal bars, project names reading across, the first row (largest or cheapest) on top."""
    return Chart("bar", title, block.chart_series((color,), markers=False), value_title="$M, discounted", gap=50,
                 legend=None, top_down=True, width_cm=15, height_cm=_bar_height(block.last_row - block.first_row + 1))


def _count(n: int, what: str) -> str:
    return f"the {what} candidate" if n == 1 else f"the {n} {what} candidates"


def _write_candidates(ws: Sheet, expl: Explanation, ctx: _Ctx) -> None:
    ctx.head(ws, DESCRIPTIONS["candidates"])
    ncols = len(_UNBUILT_COLUMNS)
    unbuilt, built = _records(expl.unbuilt), _records(expl.built)

    row = ws.section(HEADER_ROW + 1, f"Candidates not built ({len(unbuilt)}), cheapest to bring into the plan first")
    row = ws.table(row, _table(_UNBUILT_COLUMNS, "none: every candidate is built"), unbuilt).next_row
    row = ws.note(row, "Premium = the plan's cost with at least one unit forced in from the earliest start, minus the "
                       "plan's cost: the support (grant, credit, price) it would need to be chosen. Per t: divided by "
                       "its nameplate times its qualified years in the horizon.", last_col=ncols) + 1
    row = ws.section(row, f"Candidates built ({len(built)}), most valuable to the plan first")
    row = ws.table(row, _table(_BUILT_COLUMNS, "none: no candidate is built"), built).next_row
    row = ws.note(row, "Value = the plan's cost with the project excluded, minus the plan's cost: what the plan would "
                       "lose without it (alternatives such as a JV variant of the same plant can take its place). "
                       "Value = from penalties + from other costs: the change in penalties for unmet demand and "
                       "missed targets, plus the change in every other cost, which is negative when, without the "
                       "plant, what it cost to build and run is saved (the penalty part is then larger than the "
                       "value).", last_col=ncols) + 1

    # charts side by side, their data below them
    prem = [r for r in unbuilt if number(r.get("premium_usd")) is not None][:MAX_BARS]
    val = [r for r in built if number(r.get("value_usd")) is not None][:MAX_BARS]
    ws.page_break(row)  # printed: the charts start a page
    row = ws.section(row, "Charts")
    chart_row = row
    row += kit.rows_for(max(_bar_height(len(prem)), _bar_height(len(val))))
    b1, row = _bar_block(ws, row, f"Data: premium of the {len(prem)} cheapest unbuilt candidates [$M]",
                         "premium [$M]", prem, "premium_usd")
    b2, row = _bar_block(ws, row, f"Data: value of the {len(val)} most valuable built candidates [$M]",
                         "value [$M]", val, "value_usd")
    charts = []
    if prem:
        charts.append(_bar_chart(b1, f"Premium to bring in [$M]: {_count(len(prem), 'cheapest unbuilt')}", PALETTE[1]))
    if val:
        charts.append(_bar_chart(b2, f"Value to the plan [$M]: {_count(len(val), 'most valuable built')}", PALETTE[0]))
    col2 = ws.column_at(15.3, start=2)
    for i, ch in enumerate(charts):
        ws.chart(ch, chart_row, 1 if i == 0 else col2)
    if not charts:
        ws.put(chart_row, 1, "No charts: no premium or value could be computed.", NONE)


# ---------------------------------------------------------------------------------- shortfalls
_SHORTFALL_COLUMNS = (
    _col("kind", "kind", width=19),
    _col("what", "what (commodity or group)", width=12),
    _col("year", "year", fmt=FMT_YEAR, width=7),
    _col("short_t", "short", "t", FMT_T, 11),
    _col("need_t", "need", "t", FMT_T, 11),
    _col("achievable_t", "achievable", "t", FMT_T, 12,
         note="What the least-shortfall re-solve reaches when it minimises unmet demand plus missed targets, "
              "cost ignored."),
    _col("explanation", "explanation", width=100, wrap=True),
)


def _write_shortfalls(ws: Sheet, expl: Explanation, ctx: _Ctx) -> None:
    ctx.head(ws, DESCRIPTIONS["shortfalls"])
    recs = _records(expl.shortfalls)
    placed = ws.table(HEADER_ROW, _table(_SHORTFALL_COLUMNS, "none: all demand is met and every localization target "
                                         "is reached", filter_=True, freeze=0), recs)
    if recs:
        ws.note(placed.next_row + 1, "Achievable = what an auxiliary solve reaches when it minimises unmet demand plus "
                                     "missed targets, cost ignored, under every lead time, budget, ban and contract "
                                     "limit of the case. Out of reach: even that solve falls short. Priced out: it "
                                     "could be met, at more than the penalty.", last_col=len(_SHORTFALL_COLUMNS))


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


def _write_how_computed(ws: Sheet, expl: Explanation, ctx: _Ctx) -> None:
    ws.widths({1: 34, 2: 90, 3: 30})
    ctx.head(ws, DESCRIPTIONS["how_computed"])
    row = ws.section(HEADER_ROW + 1, "How each number is computed")
    notes = expl.notes if expl.notes is not None else pd.DataFrame(columns=["item", "how it is computed"])
    how_col = next((c for c in notes.columns if c != "item"), None)
    recs = [{"item": r.get("item"), "how": r.get(how_col) if how_col else None} for r in _records(notes)]
    row = ws.table(row, Table((Column("item", "item", width=34, wrap=True),
                               Column("how", "how it is computed", width=90, wrap=True))), recs).next_row + 1
    row = ws.section(row, "Where each sheet's numbers come from")
    sources = [{"sheet": Styled(s, LINK, f"#'{s}'!A1") if s in EXPLANATION_SHEETS else s, "source": t}
               for s, t in _SOURCES]
    row = ws.table(row, Table((Column("sheet", "sheet", width=34, wrap=True),
                               Column("source", "source", width=90, wrap=True))), sources).next_row + 1
    row = ws.section(row, "The re-solves behind the explanation")
    row = ws.table(row, Table((Column("key", "re-solve", width=34, wrap=True),
                               Column("what", "what is solved", width=90, wrap=True),
                               Column("for", "gives", width=30, wrap=True))), _RESOLVES).next_row
    row = ws.note(row, "Every re-solve uses the plan's solver options (run_info); with several jobs each one runs "
                       "single-threaded in its own process. A failed re-solve leaves its figures n/a and is listed on "
                       "findings.", last_col=3) + 1
    row = ws.section(row, "The plan explained")
    sol = expl.solution
    for k, v, fmt in (("instance", expl.instance, None), ("instance file", expl.instance_path, None),
                      ("SHA-256 of the file", expl.instance_sha256, None), ("case", expl.case, None),
                      ("status", ctx.results.status_line, None),
                      ("total discounted cost [$M]", musd(sol.status.get("objective_usd")), FMT_MUSD),
                      ("shadow prices (duals)", ctx.duals, None), ("re-solves failed", len(ctx.failures), FMT_COUNT)):
        row = ws.pair(row, k, v, fmt)


__all__ = ["EXPLANATION_SHEETS", "build_explanation_workbook", "write_explanation"]
