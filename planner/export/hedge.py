"""The hedge workbook of `planner hedge`: what to commit now, and what it costs under each scenario.

Layout (sheet order): ``summary`` (headline figures, the commitments, two native charts),
``commitments``, ``costs`` (every plan under every scenario: cost and regret), ``plans`` (expected cost,
CVaR, worst and expected regret of each plan), ``scenarios``, ``recourse`` (builds after the
commitment year under the hedge, per scenario), ``run_info`` and ``chart_data``.

Money in $M, discounted to the first year. How a sheet is written is the kit's
(`planner.export.kit`); this module holds only the content. No Pyomo here: it reads a `Hedge`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from planner.export import kit
from planner.export.kit import (
    FMT_COUNT,
    FMT_MUSD,
    FMT_SECONDS,
    FMT_SHARE,
    FMT_TEXT,
    FMT_YEAR,
    HEADER_ROW,
    MONEY_SCALE,
    NOTE,
    TITLE,
    Book,
    Chart,
    Grid,
    Pair,
    Section,
    Sheet,
    Table,
    plain,
)
from planner.hedge.study import Hedge

SHEET_ORDER = ("summary", "commitments", "costs", "plans", "scenarios", "recourse", "run_info", "chart_data")

DESCRIPTIONS = {
    "commitments": "The first stage: every decision taken in the years up to the commitment year by the hedge or by "
                   "some scenario's own optimum. no-regret = in the hedge and in every scenario's own optimum; "
                   "hedge = in the hedge but not in every own optimum; wait = in some own optimum, deferred by the "
                   "hedge (decided later, once the scenario is known).",
    "costs": "Every plan under every scenario: the hedge (its commitments shared, everything later decided per "
             "scenario) and each scenario's own plan with only its commitments held and everything later "
             "re-optimised. Regret = the cost minus that scenario's own optimum. Money in $M, discounted.",
    "plans": "Each plan judged over all scenarios: expected cost (probability-weighted), CVaR (the expected cost of "
             "the worst tail of the probability), worst and expected regret. Money in $M, discounted.",
    "scenarios": "The scenarios: the policy case each solves, its probability, its own optimum (the case solved "
                 "alone, with perfect foresight) and its cost and regret under the hedge.",
    "recourse": "What the hedge leaves to later: the builds starting after the commitment year in each scenario.",
    "run_info": "Exactly what was hedged, how, and with which software: enough to reproduce this workbook.",
    "chart_data": "Data behind the charts on the summary sheet.",
}


def write_hedge(h: Hedge, path: str | Path, *, protect: tuple[str | Path, ...] = ()) -> Path:
    """Write the hedge workbook of `h` to `path` atomically and return the path."""
    return kit.save(lambda: build_hedge_workbook(h), path, what="hedge workbook", kind="hedge", protect=protect)


def _line(h: Hedge) -> str:
    return (f"Hedged plan for {h.instance}: {len(h.scenarios)} scenarios, commitments up to {h.commit_until}, "
            f"{h.metrics['objective']}")


def _status(h: Hedge) -> tuple[str, str]:
    gap = h.solve.get("gap")
    text = f"extensive form: {h.solve.get('status')}" + (f", gap {gap:.2%}" if gap is not None else "")
    return text, "ok" if h.solve.get("termination") == "optimal" else "warn"


def build_hedge_workbook(h: Hedge) -> Book:
    book = Book(title=f"Hedged plan for {h.instance}")
    summary = book.sheet("summary")
    line = _line(h)
    status, level = _status(h)
    _table_sheet(book.sheet("commitments"), line, DESCRIPTIONS["commitments"], _commitments_frame(h), status, level,
                 "none: nothing is committed before the commitment year in any plan")
    _table_sheet(book.sheet("costs"), line, DESCRIPTIONS["costs"], h.costs, status, level)
    _table_sheet(book.sheet("plans"), line, DESCRIPTIONS["plans"], h.plans, status, level)
    _table_sheet(book.sheet("scenarios"), line, DESCRIPTIONS["scenarios"], h.scenarios, status, level)
    _table_sheet(book.sheet("recourse"), line, DESCRIPTIONS["recourse"], h.recourse, status, level,
                 "none: no scenario builds after the commitment year")
    _run_info(book.sheet("run_info"), h, line, status, level)
    charts = _chart_data(book.sheet("chart_data"), h, line)
    _summary(summary, h, charts)
    return book


def _commitments_frame(h: Hedge) -> pd.DataFrame:
    df = h.commitments.copy()
    if len(df):
        df["year"] = [None if pd.isna(y) else int(y) for y in df["year"]]
        df["units"] = [None if pd.isna(u) else int(u) for u in df["units"]]
    return df


_LABELS = {"probability": "probability", "own_optima": "own optima committing it", "in_hedge": "in the hedge",
           "scenarios_committing": "scenarios whose own optimum commits it", "year": "year (start, or retired from)",
           "own_status": "own optimum's status"}


def _table_sheet(ws: Sheet, line: str, description: str, df: pd.DataFrame, status: str, level: str,
                 empty: str = "none") -> None:
    ws.head(line, description, status, level)
    cols = list(kit.tidy_columns(df, _LABELS))
    cols = [replace(c, fmt=FMT_SHARE) if c.key == "probability" else c for c in cols]
    ws.table(HEADER_ROW, Table(tuple(cols), empty=empty, filter=True, freeze=1, repeat_header=True), df)


def _run_info(ws: Sheet, h: Hedge, line: str, status: str, level: str) -> None:
    s = h.solve
    sections = [
        Section("Hedge", (
            Pair("objective", h.metrics["objective"], note=f"--objective {h.objective}"),
            Pair("commitment year", h.commit_until, FMT_YEAR,
                 note="decisions in years up to it are shared by every scenario (the first stage)"),
            Pair("expected-value plan", h.metrics["ev_scenario"],
                 note="VSS is measured against the commitments of the most probable scenario's own optimum"),
            *[Pair("note", n) for n in h.notes],
        )),
        Section("Scenarios", (Grid(("scenario", "case", "probability", "note"),
                                   tuple((r.scenario, r.case, r.probability, r.note) for r in h.scenarios.itertuples()),
                                   (FMT_TEXT, FMT_TEXT, FMT_SHARE, FMT_TEXT)),)),
        Section("Extensive form", (
            Pair("status", s.get("status")), Pair("gap", s.get("gap"), FMT_SHARE),
            Pair("columns", s.get("columns"), FMT_COUNT), Pair("integer columns", s.get("integer_columns"), FMT_COUNT),
            Pair("rows", s.get("rows"), FMT_COUNT), Pair("nonzeros", s.get("nonzeros"), FMT_COUNT),
            Pair("started from", f"{s.get('started_from')} ({s.get('start')})"),
            Pair("build [s]", s.get("build_s"), FMT_SECONDS), Pair("solve, wall [s]", s.get("wall_s"), FMT_SECONDS),
            Pair("inside HiGHS [s]", s.get("highs_s"), FMT_SECONDS),
            Pair("scenario solves, wall [s]", s.get("scenario_solves_s"), FMT_SECONDS,
                 note="own optima and each plan's commitments under every other scenario"),
        )),
        Section("Solver", (Pair("preset", h.options.get("preset")), Pair("jobs", h.options.get("jobs")),
                           Grid(("HiGHS option", "value"),
                                tuple((k, plain(v)) for k, v in (h.options.get("highs_options") or {}).items())))),
    ]
    kit.provenance(ws, line, DESCRIPTIONS["run_info"], status=status, level=level,
                   instance=(h.instance, h.instance_path, h.instance_sha256), sections=sections, versions=h.versions,
                   warnings=list(h.warnings))


class _Charts:
    def __init__(self, costs: Any, years: Any) -> None:
        self.costs = costs
        self.years = years


def _chart_data(ws: Sheet, h: Hedge, line: str) -> _Charts:
    ws.head(line, DESCRIPTIONS["chart_data"])
    row = HEADER_ROW + 1
    names = h.scenarios["scenario"].tolist()
    plans = list(dict.fromkeys(h.costs["plan"].tolist()))
    cols = []
    for p in plans:
        sub = h.costs[h.costs["plan"] == p].set_index("scenario")
        cols.append((p, [None if pd.isna(sub.at[n, "cost_usd"]) else sub.at[n, "cost_usd"] / MONEY_SCALE
                         for n in names]))
    cost_block, row = ws.block(row, "Cost by scenario per plan [$M]", ("scenario", names, FMT_TEXT), cols, FMT_MUSD)
    com = h.commitments[h.commitments["decision"] == "build"] if len(h.commitments) else h.commitments
    years = sorted({int(y) for y in com["year"].dropna()} | {int(y) for y in h.recourse["start_year"]}) if (
        len(com) or len(h.recourse)) else []
    ycols = [("committed now (hedge)", [int(com.loc[com["year"] == y, "units"].fillna(0).sum()) if len(com) else 0
                                        for y in years])]
    for n in names:
        rec = h.recourse[h.recourse["scenario"] == n]
        ycols.append((f"later in {n}", [int(rec.loc[rec["start_year"] == y, "units"].sum()) for y in years]))
    year_block, row = ws.block(row, "Units started by year: committed now, and later per scenario",
                               ("start year", years, FMT_YEAR), ycols, FMT_COUNT)
    return _Charts(cost_block, year_block)


def _summary(ws: Sheet, h: Hedge, charts: _Charts) -> None:
    m = h.metrics
    ws.widths({1: 34, 2: 18, 3: 60})
    ws.put(1, 1, _line(h), TITLE)
    status, _level = _status(h)
    ws.put(2, 1, status, NOTE)
    ws.put(3, 1, "Money in $M (millions of US dollars), discounted to the first year. What to commit now (up to "
                 f"{h.commit_until}) when the scenario that comes true is unknown; the rest is decided later.", NOTE)
    row = ws.section(5, "Headline")
    alpha_key = next(k for k in m if k.startswith("cvar_"))
    musd = {k: (None if m.get(k) is None else m[k] / MONEY_SCALE) for k in m if k.endswith("_usd")}
    for key, label, note in (
        ("expected_cost_usd", "expected cost of the hedge", "probability-weighted total cost over the scenarios"),
        (alpha_key, f"CVaR {alpha_key.split('_')[1]} of the hedge", "expected cost of the worst tail"),
        ("worst_regret_usd", "worst regret of the hedge", "its cost minus the scenario's own optimum, at worst"),
        ("wait_and_see_usd", "expected cost with perfect foresight", "each scenario's own optimum, weighted"),
        ("evpi_usd", "EVPI", "expected value of perfect information: what knowing the scenario now would be worth"),
        ("expected_cost_of_ev_plan_usd", f"expected cost of committing to {m['ev_scenario']}'s plan",
         "the most probable scenario's commitments, the rest re-optimised per scenario"),
        ("vss_usd", "VSS", "value of the stochastic solution: what hedging saves over committing to the most "
                           "probable scenario's plan"),
    ):
        row = ws.pair(row, label, musd.get(key), FMT_MUSD, note)
    counts = h.commitment_counts
    row = ws.pair(row, "commitments", ", ".join(f"{v} {k}" for k, v in counts.items()) or "none",
                  note="see the commitments sheet")
    row += 1
    row = ws.section(row, "Commitments")
    df = _commitments_frame(h)[["label", "decision", "item", "commodity", "site", "year", "units",
                                "scenarios_committing"]] if len(h.commitments) else h.commitments
    placed = ws.table(row, Table(kit.tidy_columns(df, _LABELS), empty="none: nothing committed in any plan"), df)
    row = placed.next_row + 1
    ws.chart(Chart("column", "Cost by scenario per plan", charts.costs.chart_series(), category_title="scenario",
                   value_title="$M", value_format="#,##0"), row)
    ws.chart(Chart("column", "Units started by year", charts.years.chart_series(), category_title="start year",
                   value_title="units", stacked=True), row + kit.rows_for(8.0))
