"""The alternatives workbook of `planner alternatives`: near-optimal plans side by side.

Sheets: ``alternatives`` (one row per plan found: the question that produced it, its cost and how far
above the optimum, its KPIs, its builds), ``matrix`` (candidates × plans: units built),
``commitments`` (per slack: must-have, interchangeable and never-built candidates), ``tradeoff``
(a native chart of cost against U.S.-made share, one series per slack, and its data), ``run_info``
(instance, case, slacks, objectives, solver options, versions). How a sheet is written is the kit's
(`planner.export.kit`); this module holds only the content.
"""

from __future__ import annotations

from pathlib import Path

from planner.explore.alternatives import OBJECTIVES, Alternatives, slack_words
from planner.export import kit
from planner.export.kit import (
    FMT_MUSD,
    FMT_SHARE,
    HEADER_ROW,
    PALETTE,
    Book,
    Chart,
    Grid,
    Pair,
    Section,
    Series,
    Ref,
)

DESCRIPTIONS = {
    "alternatives": "One row per plan: the question that produced it (the optimum, or a secondary objective optimised "
                    "with the plan's own total cost capped at (1 + slack) × the optimum, or a plan least like those "
                    "already found), its total cost, how far above the optimum, its KPIs and its builds (project, "
                    "start year). 'same builds as' names an earlier plan with identical builds.",
    "matrix": "Candidates × plans: units each plan builds (blank: not built); built_in counts the plans that build it.",
    "commitments": "Within each slack, over the plans found at that slack or a smaller one: must-have = built in every "
                   "plan, never built = in none, interchangeable = in some. These describe the plans found, not every "
                   "plan within the slack.",
    "tradeoff": "Cost against U.S.-made share of CAM and AAM demand: one point per plan, a series per slack.",
    "run_info": "What produced this workbook: instance, case, slacks, objectives, solver options, versions.",
}


def write_alternatives(res: Alternatives, path: str | Path, *, protect: tuple[str | Path, ...] = ()) -> Path:
    """Write the alternatives workbook atomically and return its path."""
    return kit.save(lambda: build_alternatives_workbook(res), path, what="alternatives workbook", kind="alternatives",
                    protect=protect)


def _line(res: Alternatives) -> str:
    opt = "no optimum" if res.optimum_usd is None else f"optimum ${res.optimum_usd / 1e6:,.1f}M"
    n = len(res.found())
    return (f"{res.instance} [{res.case}]: {n} plan{'s' if n != 1 else ''} within "
            f"{', '.join(slack_words(s) for s in res.slacks)} of the least cost ({opt})"
            + (" — stopped early" if res.stopped else ""))


def _status(res: Alternatives) -> tuple[str | None, str]:
    bad = [a for a in res.alternatives if not a.done]
    if not bad:
        return None, "ok"
    return ("Without a plan: " + "; ".join(f"{a.key} ({a.error or a.state})" for a in bad)), "warn"


def build_alternatives_workbook(res: Alternatives) -> Book:
    book = Book(title=f"Alternatives: {res.instance} [{res.case}]")
    line = _line(res)
    status, level = _status(res)
    summ = res.summary().rename(columns={"same_builds_as": "same_builds_as", "seconds": "solve_seconds"})
    description = DESCRIPTIONS["alternatives"] + (f" {status}." if status else "")  # row 3 is the tidy table's key row
    kit.tidy_sheet(book.sheet("alternatives"), summ, line=line, description=description,
                            labels={"states": "states with a plant", "us_made_t": "U.S.-made CAM+AAM",
                                    "us_made_share": "U.S.-made share of CAM+AAM demand",
                                    "pfe_supply_t": "PFE-supplied CAM+AAM", "pfe_supply_share": "PFE share",
                                    "above_optimum_share": "above the optimum", "slack_share": "slack"})
    kit.tidy_sheet(book.sheet("matrix"), res.matrix(), line=line, description=DESCRIPTIONS["matrix"])
    kit.tidy_sheet(book.sheet("commitments"), res.commitments(), line=line, description=DESCRIPTIONS["commitments"],
                   labels={"slack_share": "slack", "plans": "plans found", "built_in": "plans that build it"})
    _tradeoff(book.sheet("tradeoff"), res, line)
    _run_info(book.sheet("run_info"), res, line, status, level)
    return book


def _tradeoff(ws: kit.Sheet, res: Alternatives, line: str) -> None:
    ws.head(line, DESCRIPTIONS["tradeoff"])
    found = [a for a in res.found() if a.kpis.get("us_made_share") is not None and a.cost_usd is not None]
    found.sort(key=lambda a: a.kpis["us_made_share"])  # type: ignore[arg-type,return-value]
    slacks = sorted({a.slack for a in found})
    cols = [(f"{'optimum' if s == 0 and any(a.kind == 'optimum' and a.slack == s for a in found) else 'within ' + slack_words(s)}",
             [a.cost_usd / 1e6 if a.slack == s else None for a in found]) for s in slacks]  # type: ignore[operator]
    row = 20  # the chart above its data
    block, after = ws.block(row, "Data of the chart: total cost [$M] by U.S.-made share, a column per slack",
                            ("U.S.-made share", [a.kpis["us_made_share"] for a in found], FMT_SHARE), cols, FMT_MUSD)
    ws.put(row, len(cols) + 3, "plan", kit.SECTION)
    ws.header(row + 1, len(cols) + 3, "plan")
    for i, a in enumerate(found):
        ws.put(row + 2 + i, len(cols) + 3, a.key)
    ws.widths({1: 16.0, len(cols) + 3: 40.0})
    if block.empty:
        ws.put(HEADER_ROW, 1, "none: no plan with a U.S.-made share", kit.NONE)
        return
    cats = Ref(ws.name, block.first_row, 1, block.last_row, 1)
    series = tuple(Series(Ref(ws.name, block.header_row, c, block.header_row, c),
                          Ref(ws.name, block.first_row, c, block.last_row, c), cats, PALETTE[i % len(PALETTE)])
                   for i, (c, _n) in enumerate(block.series))
    ws.chart(Chart("scatter", "Total cost against U.S.-made share of CAM+AAM demand", series,
                   category_title="U.S.-made share of CAM+AAM demand, whole horizon",
                   value_title="total cost, $M discounted", value_format="#,##0", category_format="0%", scatter_lines=False,
                   legend="bottom", width_cm=18.0, height_cm=8.5), HEADER_ROW, 1)
    del after


def _run_info(ws: kit.Sheet, res: Alternatives, line: str, status: str | None, level: str) -> None:
    from planner.run import versions

    opts = res.options.get("highs_options", {})
    sections = [
        Section("Study", (
            Pair("case", res.case),
            Pair("optimum (least total cost)", None if res.optimum_usd is None else res.optimum_usd / 1e6, FMT_MUSD,
                 "$M, discounted"),
            Pair("slacks", ", ".join(slack_words(s) for s in res.slacks),
                 note="each plan's own total cost ≤ (1 + slack) × the optimum"),
            Pair("secondary objectives", ", ".join(f"{o} ({'/'.join(OBJECTIVES[o][1])})" for o in res.objectives)),
            Pair("maximally different plans per slack", res.count,
                 note="Hop-Skip-Jump: least weighted overlap with the builds of the plans already found"),
            Pair("plans found", len(res.found())),
            Pair("stopped early", res.stopped),
            Pair("wall time [s]", round(res.seconds, 2)),
            Pair("solves at once (--jobs)", res.options.get("jobs")),
            Pair("solver preset", res.options.get("preset")),
        )),
        Section("HiGHS options", (Grid(("option", "value"), tuple((k, str(v)) for k, v in sorted(opts.items()))),)),
    ]
    kit.provenance(ws, line, DESCRIPTIONS["run_info"], instance=(res.instance, res.instance_path, res.instance_sha256),
                   sections=sections, versions=versions(), warnings=list(res.warnings), status=status, level=level)
