"""The risk workbook of `planner risk`: the schedule risk of a plan, from Monte Carlo samples of delays.

Sheets: ``targets`` (P(target met) per group and year, with its standard error, the plan's own result
without delays and the expected shortfall), ``earliest`` (the earliest year each target is met with
probability ≥ 80%), ``qualification`` (P(each plant qualified by each year)), ``share_fan`` and
``cost_fan`` (P10/P50/P90 by year), ``fan_charts`` (native line charts of both, and their data),
``samples`` (each sample's delays and cost), ``run_info`` (instance, case, plan, seed, samples, solver
options, versions). How a sheet is written is the kit's (`planner.export.kit`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from planner.explore.risk import LIKELY, MET_TOLERANCE_T, Risk
from planner.export import kit
from planner.export.kit import FMT_MUSD, FMT_SHARE, FMT_YEAR, HEADER_ROW, PALETTE, Book, Chart, Grid, Pair, Section

DESCRIPTIONS = {
    "targets": "Probability that each localization target is met (shortfall under {tol:g} t), over the samples, with "
               "its standard error (sqrt(p(1-p)/n)); whether the plan meets it without delays; the expected shortfall.",
    "earliest": "The earliest year from which each group's target is met with probability ≥ {likely:.0%} in every "
                "target year on, against the plan's own first year without delays.",
    "qualification": "Probability that each plant of the plan is qualified (may deliver) by each year; an abandoned "
                     "plant never is. Plants delivering before the horizon are not listed.",
    "share_fan": "Localized share by group and year: 10th, 50th and 90th percentiles over the samples, the mean, and "
                 "the plan's own share without delays.",
    "cost_fan": "Cost of each year (money of that year, net of credits, with penalties): percentiles over the samples "
                "and the plan's own cost without delays.",
    "fan_charts": "Fan charts: P10, P50 and P90 by year of the localized share of each group and of the yearly cost.",
    "samples": "Each sample: the extra years (construction plus qualification) of each plant ('x' = abandoned), and "
               "the plan's discounted total cost in that sample.",
    "run_info": "What produced this workbook: instance, case, plan, samples, seed, solver options, versions.",
}


def write_risk(res: Risk, path: str | Path, *, protect: tuple[str | Path, ...] = ()) -> Path:
    """Write the risk workbook atomically and return its path."""
    return kit.save(lambda: build_risk_workbook(res), path, what="risk workbook", kind="risk", protect=protect)


def _line(res: Risk) -> str:
    done = f"{res.n:,} samples" + (f" of {res.samples:,} (stopped early)" if res.n < res.samples else "")
    return f"{res.instance} [{res.case}]: schedule risk of {res.plan_source}, {done}, seed {res.seed}"


def build_risk_workbook(res: Risk) -> Book:
    book = Book(title=f"Schedule risk: {res.instance} [{res.case}]")
    line = _line(res)
    kit.tidy_sheet(book.sheet("targets"), res.target_probabilities(), line=line,
                   description=DESCRIPTIONS["targets"].format(tol=MET_TOLERANCE_T),
                   labels={"p_met_share": "P(target met)", "standard_error_share": "standard error"},
                   empty="the case sets no localization target")
    kit.tidy_sheet(book.sheet("earliest"), res.earliest_likely(), line=line,
                   description=DESCRIPTIONS["earliest"].format(likely=LIKELY),
                   labels={"earliest_year_p80": f"earliest year, P ≥ {LIKELY:.0%}"},
                   empty="the case sets no localization target")
    kit.tidy_sheet(book.sheet("qualification"), res.qualified_by(), line=line, description=DESCRIPTIONS["qualification"],
                   labels={f"p_{y}_share": f"by {y}" for y in res.years}, empty="no plant of the plan can slip")
    share_fan, cost_fan = res.share_fan(), res.cost_fan()
    kit.tidy_sheet(book.sheet("share_fan"), share_fan, line=line, description=DESCRIPTIONS["share_fan"])
    kit.tidy_sheet(book.sheet("cost_fan"), cost_fan, line=line, description=DESCRIPTIONS["cost_fan"])
    _fan_charts(book.sheet("fan_charts"), res, line, share_fan, cost_fan)
    kit.tidy_sheet(book.sheet("samples"), _samples(res), line=line, description=DESCRIPTIONS["samples"])
    _run_info(book.sheet("run_info"), res, line)
    return book


def _samples(res: Risk) -> pd.DataFrame:
    d = res.draws
    rows = []
    for i in res.done:
        row: dict[str, object] = {"sample": i}
        for j, pl in enumerate(d.plants):
            row[pl.project] = "x" if d.abandoned[i, j] else int(d.extra[i, j])
        row["total_cost_usd"] = res.total_cost.get(i)
        rows.append(row)
    return pd.DataFrame(rows)


def _fan_charts(ws: kit.Sheet, res: Risk, line: str, share_fan: pd.DataFrame, cost_fan: pd.DataFrame) -> None:
    ws.head(line, DESCRIPTIONS["fan_charts"])
    groups = list(dict.fromkeys(share_fan["group"])) if not share_fan.empty else []
    charts: list[Chart] = []
    row = HEADER_ROW + 1 + 18 * (len(groups) + 1)  # the charts first, their data below
    colors = (PALETTE[0], PALETTE[1], PALETTE[0], PALETTE[7])
    for g in groups:
        sub = share_fan[share_fan["group"] == g]
        cols = [("P10", sub["p10_share"].tolist()), ("P50", sub["p50_share"].tolist()), ("P90", sub["p90_share"].tolist()),
                ("without delays", sub["without_delays_share"].tolist())]
        block, row = ws.block(row, f"Data: localized share of {g} by year", ("year", sub["year"].tolist(), FMT_YEAR),
                              cols, FMT_SHARE)
        charts.append(Chart("line", f"Localized share of {g}: P10, P50, P90", block.chart_series(colors, (True, False, True, True)),
                            value_title="share of demand", value_format="0%", legend="bottom"))
    if not cost_fan.empty:
        cols = [(n, (cost_fan[c] / 1e6).tolist()) for n, c in (("P10", "p10_usd"), ("P50", "p50_usd"), ("P90", "p90_usd"),
                                                              ("without delays", "without_delays_usd"))]
        block, row = ws.block(row, "Data: cost by year [$M, money of each year]",
                              ("year", cost_fan["year"].tolist(), FMT_YEAR), cols, FMT_MUSD)
        charts.append(Chart("line", "Cost by year: P10, P50, P90 [$M]", block.chart_series(colors, (True, False, True, True)),
                            value_title="$M, money of each year", legend="bottom"))
    for k, ch in enumerate(charts):
        ws.chart(ch, HEADER_ROW + 1 + 18 * k, 1)
    if not charts:
        ws.put(HEADER_ROW, 1, "none: no sample was solved", kit.NONE)


def _run_info(ws: kit.Sheet, res: Risk, line: str) -> None:
    from planner.run import versions

    opts = res.options.get("highs_options", {})
    plants = tuple((p.project, p.status, p.source, *[round(x, 4) for x in p.construction],
                    *[round(x, 4) for x in p.qualification], p.abandonment) for p in res.draws.plants)
    rate = res.n / res.seconds if res.seconds else None
    sections = [
        Section("Study", (
            Pair("case", res.case), Pair("plan held", res.plan_source),
            Pair("samples asked", res.samples), Pair("samples solved", res.n),
            Pair("samples failed", len(res.failed)), Pair("stopped early", res.stopped),
            Pair("seed", res.seed, note="numpy Generator (PCG64): the same seed gives the same delays"),
            Pair("samples re-solved with only the plan's builds held", res.relaxed),
            Pair("target met when the shortfall is below [t]", MET_TOLERANCE_T),
            Pair("wall time [s]", round(res.seconds, 2)),
            Pair("samples per second", None if rate is None else round(rate, 2)),
            Pair("sampling wall time [s]", round(res.sampling_seconds, 2)),
            Pair("samples per second while sampling", round(res.n / res.sampling_seconds, 2) if res.sampling_seconds else None),
            Pair("HiGHS time over all samples [s]", round(res.highs_seconds, 2)),
            Pair("share of the workers' sampling time outside HiGHS", res.outside_highs, FMT_SHARE),
            Pair("solves at once (--jobs)", res.options.get("jobs")),
            Pair("solver preset", res.options.get("preset")),
        )),
        Section("Delays of the plan's plants", (
            Grid(("project", "status", "delays from", "construction +0", "+1", "+2", "qualification +0", "+1", "+2",
                  "abandonment"), plants,
                 (None, None, None, FMT_SHARE, FMT_SHARE, FMT_SHARE, FMT_SHARE, FMT_SHARE, FMT_SHARE, FMT_SHARE)),)),
        Section("HiGHS options", (Grid(("option", "value"), tuple((k, str(v)) for k, v in sorted(opts.items()))),)),
    ]
    kit.provenance(ws, line, DESCRIPTIONS["run_info"], instance=(res.instance, res.instance_path, res.instance_sha256),
                   sections=sections, versions=versions(), warnings=list(res.warnings))
