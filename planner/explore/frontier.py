"""The feasibility frontier of a plan: for each target or demand the plan misses, the earliest year
from which it can be met in every later year, whatever the cost.

A least-cost plan with soft targets may miss a localization target or leave demand unmet (under an
import ban, say) and pay the penalty. Its total then mixes money with penalty prices, and it does
not say whether the miss is a choice (meeting it costs more than the penalty) or a fact (nothing
can meet it yet: lead times, bans, capacity). The frontier says which, per group: "cannot be met
before 2031", "can be met from the first year, at $X more", or "cannot be met within the horizon".

How (`planner.model.frontier.met_from` gives the formulation): for each group the plan misses, a
bisection over the group's years, each probe a task of one `Study` on the case's base (the model
built once and held by the worker, its shortfall columns bounded at 0 from the probed year on, no
rebuild), minimising the model's own cost. Feasibility is monotone in the year, so the probes find
the earliest year exactly; the probe at that year is the least-cost plan meeting the group from
then (its cost is reported), and the probe of the year before is infeasible (the proof). The plan
itself already meets the group from the year after its last miss: that bounds the search, and no
probe is needed there. Groups are solved one at a time (each group's own earliest year, the other
targets and demands left soft at their penalties), not jointly; the table says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from planner.instance.records import Instance
from planner.results.labels import finite
from planner.results.solution import Solution
from planner.solve.presets import SolverOptions, merge_options
from planner.study import Base, Bound, Event, Study, Task, TaskResult, Variation

#: a group is missed in a year when its shortfall there exceeds this [t]
MISS_T = 1.0
#: the name of the results table (a sheet of the results workbook, a CSV of `--tables`)
TABLE = "frontier"
COLUMNS = ["kind", "group", "definition", "years_missed", "missed_t", "earliest_year", "missed_because", "verdict",
           "cost_usd", "extra_cost_usd", "solves"]
#: why the plan misses a group (column missed_because)
BY_CHOICE = "choice: the penalty is cheaper than meeting it"
NOT_BEFORE = "no plan can meet it earlier"
NEVER = "no plan can meet it within the horizon"
UNKNOWN = "unknown: a solve ended without an answer"
HOW = ("each target or demand on its own: the other targets and demands may still be missed, at their penalties")
DESCRIPTION = (
    "Feasibility frontier: for each localization target and each demand the plan misses in some year, the "
    "earliest year from which it can be met in every later year of the horizon, whatever the cost, found by "
    f"auxiliary solves of the same model ({HOW}). 'Cost of meeting it' is the total cost (discounted, with the "
    "other penalties) of the least-cost plan that meets it from that year; 'more than the plan' is that cost less "
    "the plan's (differences within the solver's relative gap are noise). A group met from the first year is missed by choice (the penalty is cheaper than meeting it), "
    "not for lack of means. Read this, not the penalties, for when a target or a ban can be met.")


@dataclass
class _Search:
    """The bisection of one group: its years; lo..hi is where its earliest year lies (hi = len(years): never)."""

    group: Any  # planner.model.frontier.FrontierGroup
    years: list[int]
    missed: dict[int, float]
    lo: int
    hi: int
    cost: dict[int, float] = field(default_factory=dict)  # index -> least cost of meeting it from years[index] ($)
    proven: dict[int, bool] = field(default_factory=dict)  # index -> whether that cost is proven least
    solves: int = 0
    seconds: float = 0.0
    undetermined: str = ""


def missed_groups(inst: Instance, sol: Solution, *, hard_targets: bool = False) -> list[tuple[Any, dict[int, float]]]:
    """The groups plan `sol` misses (planner.model.frontier.FrontierGroup), each with its shortfall by year [t]."""
    from planner.cases import apply_case
    from planner.model.frontier import TARGET, frontier_groups  # imports Pyomo: only when asked

    ci = apply_case(inst, sol.case)
    short: dict[tuple[str, str], dict[int, float]] = {}
    loc = sol.localization
    if not loc.empty:
        for r in loc[loc["shortfall_t"] > MISS_T].itertuples():
            short.setdefault((TARGET, str(r.group)), {})[int(r.year)] = float(r.shortfall_t)
    unmet = sol.unmet
    if not unmet.empty:
        by = unmet.groupby(["commodity", "year"])["tonnes"].sum()
        for (c, y), t in by.items():
            if float(t) > MISS_T:
                short.setdefault(("demand", str(c)), {})[int(y)] = float(t)
    out = []
    for g in frontier_groups(ci, hard_targets=hard_targets):
        key = (TARGET, g.name) if g.kind == TARGET else ("demand", g.name)
        if key in short:
            out.append((g, short[key]))
    return out


def frontier(inst: Instance, sol: Solution, *, options: SolverOptions | None = None, hard_targets: bool = False,
             jobs: int = 1, on_event: Event | None = None, on_group: Callable[[str], None] | None = None,
             groups: list[tuple[Any, dict[int, float]]] | None = None) -> pd.DataFrame:
    """The frontier table of plan `sol` of `inst` (see the module's docstring): one row per group the plan misses
    (`groups`, by default `missed_groups(inst, sol)`); empty (with its columns) when the plan misses nothing.
    `on_group(text)` is told each group's answer as it is known."""
    if groups is None:
        groups = missed_groups(inst, sol, hard_targets=hard_targets)
    if not groups or not sol.has_plan:
        return pd.DataFrame(columns=COLUMNS)
    from planner.model.frontier import met_from

    options = options or merge_options("default")
    base = Base.of(inst, sol.case, hard_targets=hard_targets)
    plan_cost = float(sol.status["objective_usd"])
    # two least-cost plans differ by up to the relative gap they were solved to (the plan's own, if it stopped at a
    # larger one): a difference below it is noise
    gap = max(float(options.highs.get("mip_rel_gap", 1e-4) or 0.0), min(finite(sol.status.get("gap")) or 0.0, 1.0))
    noise = gap * abs(plan_cost)
    searches: dict[str, _Search] = {}
    for g, missed in groups:
        years = g.years
        last = years.index(max(missed)) if max(missed) in years else len(years) - 1
        s = _Search(g, years, missed, lo=0, hi=len(years))
        if last + 1 < len(years):  # the plan itself meets it from the year after its last miss
            s.hi = last + 1
            s.cost[s.hi], s.proven[s.hi] = plan_cost, bool(sol.status.get("termination") == "optimal")
        searches[f"{g.kind} {g.name}"] = s
    pending: dict[str, tuple[str, int]] = {}  # task key -> (group key, index probed)

    def probe(st: Study, gk: str) -> None:
        s = searches[gk]
        if s.lo >= s.hi or s.undetermined:
            if on_group is not None:
                on_group(_verdict(s, plan_cost, noise)[0])
            return
        mid = (s.lo + s.hi) // 2
        year = s.years[mid]
        bounds = tuple(Bound(var, key, lo, hi) for var, key, lo, hi in met_from(s.group, year))
        key = f"frontier: {gk} met from {year}"
        task = Task(key, base, Variation(f"{gk} met from {year}", bounds=bounds), options=dict(options.highs),
                    preset=options.preset, tables=(), duals=False)
        pending[key] = (gk, mid)
        st.submit(task)

    with Study(jobs=jobs, on_event=on_event) as st:
        for gk in searches:
            probe(st, gk)
        for r in st.results():
            gk, mid = pending.pop(r.key)
            s = searches[gk]
            s.solves += 1
            s.seconds += r.seconds
            outcome = _outcome(r)
            if outcome == "feasible":
                s.hi = mid
                s.cost[mid] = float(r.objective_usd)  # type: ignore[arg-type]
                s.proven[mid] = r.status.get("termination") == "optimal"
            elif outcome == "infeasible":
                s.lo = mid + 1
            else:
                s.undetermined = f"the solve for {s.years[mid]} ended without an answer ({outcome})"
            probe(st, gk)
    rows = []
    for s in searches.values():
        verdict, year = _verdict(s, plan_cost, noise)
        cost = s.cost.get(s.hi) if not s.undetermined and s.hi < len(s.years) else None
        rows.append({
            "kind": s.group.kind, "group": s.group.name, "definition": s.group.definition,
            "years_missed": year_ranges(sorted(s.missed)), "missed_t": sum(s.missed.values()),
            "earliest_year": year, "missed_because": _because(s), "verdict": verdict, "cost_usd": cost,
            "extra_cost_usd": None if cost is None else cost - plan_cost, "solves": s.solves,
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def _outcome(r: TaskResult) -> str:
    """feasible | infeasible | the status in words (no answer: a time limit without a plan, an error)."""
    if r.state == "done":
        return "feasible"
    term = r.status.get("termination")
    if term in ("infeasible", "unbounded"):  # the model is bounded: "infeasible or unbounded" is infeasible
        return "infeasible"
    return str(r.status.get("status") or r.error or r.state)


def _because(s: _Search) -> str:
    if s.undetermined:
        return UNKNOWN
    return NEVER if s.hi >= len(s.years) else BY_CHOICE if s.hi == 0 else NOT_BEFORE


def _verdict(s: _Search, plan_cost: float, noise: float = 0.0) -> tuple[str, int | None]:
    """The answer for one group in words, and its earliest year (None: none within the horizon, or unknown)."""
    what = f"{s.group.name} {s.group.kind}" if s.group.kind != "demand" else f"{s.group.name} demand"
    if s.undetermined:
        lo = s.years[s.lo] if s.lo < len(s.years) else None
        hi = s.years[s.hi] if s.hi < len(s.years) else None
        where = (f"from {lo} at the earliest" if hi is None else f"from a year between {lo} and {hi}"
                 if lo != hi else f"from {lo}")
        return f"{what}: unknown ({s.undetermined}); it can be met {where}", None
    if s.hi >= len(s.years):
        return (f"{what} cannot be met within the horizon: not even in {s.years[-1]}, whatever the cost", None)
    year = s.years[s.hi]
    extra = s.cost[s.hi] - plan_cost
    more = (", at about the plan's cost (within the solver's gap)" if abs(extra) <= max(0.5e5, noise)
            else f", at {_musd(extra)} more than the plan")
    if not s.proven.get(s.hi, True):
        more += " (that cost not proven least)"
    if s.hi == 0:
        return (f"{what} can be met in every year ({year} on){more}: the plan misses it by choice, the penalty "
                "being cheaper than meeting it", year)
    return f"{what} cannot be met before {year}: it can be met in every year from {year} on{more}", year


def _musd(x: float) -> str:
    from planner.results.labels import musd_text

    return musd_text(x)


def year_ranges(years: list[int]) -> str:
    """'2027–2030, 2033' from [2027, 2028, 2029, 2030, 2033]."""
    out: list[str] = []
    i = 0
    while i < len(years):
        j = i
        while j + 1 < len(years) and years[j + 1] == years[j] + 1:
            j += 1
        out.append(str(years[i]) if i == j else f"{years[i]}–{years[j]}")
        i = j + 1
    return ", ".join(out)


def with_frontier(sol: Solution, table: pd.DataFrame) -> Solution:
    """`sol` with the frontier table (a sheet of its workbook, a CSV of `--tables`); unchanged when it is empty."""
    if table.empty:
        return sol
    return replace(sol, extra={**sol.extra, TABLE: table}, descriptions={**sol.descriptions, TABLE: DESCRIPTION})


def solve_frontier(inst: Instance, sol: Solution, **kw: Any) -> Solution:
    """`sol` with its frontier (`frontier(inst, sol, **kw)`) added."""
    return with_frontier(sol, frontier(inst, sol, **kw))


__all__ = ["COLUMNS", "DESCRIPTION", "HOW", "TABLE", "frontier", "missed_groups", "solve_frontier", "with_frontier",
           "year_ranges"]
