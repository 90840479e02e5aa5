"""`planner risk`: the schedule risk of a plan, by Monte Carlo over construction and qualification delays.

The question: *what is the chance the plan actually meets each localization target?* The plan's
decisions are held as chosen (builds, JVs, contracts, cancellations, retirements: a `FixedPlan`, and
every other integer decision of its solve, so each sample is a linear programme). Each sample draws,
for every plant of the plan that is not yet delivering, extra years of construction and of
qualification (and, for committed plants, abandonment) from the instance's `delays` sheet (per
project, else per status, else `planner.schema.DEFAULT_DELAYS`); its output may start only that many
years late and ramps up from there: a column bound on `v_prod[p, y]` (the capacity of its units times
the shifted availability, never more than before). Operations — output, imports, shipments, unmet
demand, target shortfalls — are re-optimised for least cost. Each sample is one task of a `Study`
on the base the plan was solved on: the built model and its HiGHS session are reused, every sample
warm-starts from the plan, only the tables the statistics need come back, and the tasks run in
parallel. The draws come from one numpy Generator seeded by `seed`, in a fixed order, so the
results do not depend on the order in which samples finish, nor on the number of workers.

A target (group, year) counts as met in a sample when its shortfall is below `MET_TOLERANCE_T`.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.cases import apply_case, load_instance, resolve_case_name
from planner.errors import SolveError, UsageError
from planner.instance.records import FixedPlan
from planner.results.plan import PLAN_TABLES
from planner.schema import DEFAULT_DELAYS
from planner.solve.presets import SolverOptions
from planner.study import Base, Bound, Event, Study, Task, TaskResult, Variation

#: a target counts as met when its shortfall is below this many tonnes
MET_TOLERANCE_T = 1.0
#: the probability at which a target counts as "likely met" (earliest year)
LIKELY = 0.8
#: the tables each sample returns
SAMPLE_TABLES = ("localization", "costs")
PLAN_KEY = "plan"


@dataclass(frozen=True)
class PlantRisk:
    """One plant of the plan whose schedule may slip: its delay distributions and its planned years."""

    project: str
    status: str
    construction: tuple[float, float, float]
    qualification: tuple[float, float, float]
    abandonment: float
    qualified_year: int  # as planned
    source: str  # the delays row it follows: the project, its status, or "default (status)"


@dataclass
class Draws:
    """The sampled delays: per plant (in `plants` order), extra years and abandonment, one row per sample."""

    plants: list[PlantRisk]
    extra: np.ndarray  # (samples, plants) int: construction + qualification years
    abandoned: np.ndarray  # (samples, plants) bool

    def qualified_year(self, i: int, j: int) -> float:
        return math.inf if self.abandoned[i, j] else self.plants[j].qualified_year + int(self.extra[i, j])


@dataclass
class Risk:
    """The result of a schedule-risk study: per-sample figures and the statistics drawn from them."""

    instance: str
    instance_path: str
    instance_sha256: str
    case: str
    plan_source: str
    samples: int  # asked for
    seed: int
    draws: Draws
    years: list[int]
    targets: list[tuple[str, int, float]]  # (group, year, target share) with a target > 0
    deterministic: dict[tuple[str, int], bool]  # the plan without delays: target met?
    det_share: dict[tuple[str, int], float]
    det_cost: dict[int, float]
    done: list[int] = field(default_factory=list)  # sample indices with a result
    met: dict[int, dict[tuple[str, int], bool]] = field(default_factory=dict)
    share: dict[int, dict[tuple[str, int], float]] = field(default_factory=dict)
    shortfall: dict[int, dict[tuple[str, int], float]] = field(default_factory=dict)
    cost: dict[int, dict[int, float]] = field(default_factory=dict)  # sample -> year -> $ (undiscounted)
    total_cost: dict[int, float] = field(default_factory=dict)  # sample -> discounted total $
    failed: dict[int, str] = field(default_factory=dict)
    relaxed: int = 0  # samples solved with only the plan's builds held (every integer held was infeasible)
    stopped: bool = False
    seconds: float = 0.0
    sampling_seconds: float = 0.0  # wall time from the first sample submitted to the last one ended
    highs_seconds: float = 0.0
    options: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[Any, ...] = ()

    @property
    def n(self) -> int:
        return len(self.done)

    @property
    def outside_highs(self) -> float | None:
        """Share of the workers' time while sampling not spent in HiGHS (model changes, tables, messages)."""
        jobs = int(self.options.get("jobs") or 1)
        busy = jobs * self.sampling_seconds
        return None if busy <= 0 else max(0.0, 1.0 - self.highs_seconds / busy)

    # ------------------------------------------------------------------ statistics
    def target_probabilities(self) -> pd.DataFrame:
        """P(target met) per group and year with its standard error, the plan's own result without delays,
        and the expected shortfall."""
        rows = []
        n = self.n
        for g, y, tgt in self.targets:
            k = sum(1 for i in self.done if self.met[i].get((g, y), False))
            p = k / n if n else None
            rows.append({"group": g, "year": y, "target_share": tgt, "samples": n,
                         "p_met_share": p, "standard_error_share": math.sqrt(p * (1 - p) / n) if n else None,
                         "met_without_delays": self.deterministic.get((g, y)),
                         "expected_shortfall_t": float(np.mean([self.shortfall[i].get((g, y), 0.0) for i in self.done]))
                         if n else None})
        return pd.DataFrame(rows, columns=["group", "year", "target_share", "samples", "p_met_share",
                                           "standard_error_share", "met_without_delays", "expected_shortfall_t"])

    def earliest_likely(self) -> pd.DataFrame:
        """Per group: the earliest year its target is met with probability ≥ LIKELY (and in every later target
        year too), against the plan's own first year without delays."""
        tp = self.target_probabilities()
        rows = []
        for g in dict.fromkeys(tp["group"]):
            sub = tp[tp["group"] == g].sort_values("year")
            ok = [(int(y), p) for y, p in zip(sub["year"], sub["p_met_share"])]
            first = None
            for k, (y, p) in enumerate(ok):
                if p is not None and all(q is not None and q >= LIKELY for _y, q in ok[k:]):
                    first = y
                    break
            det = next((int(y) for y, m in zip(sub["year"], sub["met_without_delays"]) if m), None)
            rows.append({"group": g, "earliest_year_p80": first, "earliest_year_without_delays": det,
                         "note": "" if first is not None else f"not met with probability ≥ {LIKELY:.0%} by the "
                                                             "horizon's last target year"})
        df = pd.DataFrame(rows, columns=["group", "earliest_year_p80", "earliest_year_without_delays", "note"])
        return df.astype({"earliest_year_p80": "Int64", "earliest_year_without_delays": "Int64"})

    def qualified_by(self) -> pd.DataFrame:
        """P(each plant of the plan is qualified by each year), from the draws of the samples solved."""
        rows = []
        idx = self.done
        for j, pl in enumerate(self.draws.plants):
            q = np.array([self.draws.qualified_year(i, j) for i in idx]) if idx else np.array([])
            row = {"project": pl.project, "status": pl.status, "planned_qualified_year": pl.qualified_year,
                   "abandonment_share": pl.abandonment, "delays_from": pl.source}
            for y in self.years:
                row[f"p_{y}_share"] = float(np.mean(q <= y)) if len(q) else None
            rows.append(row)
        return pd.DataFrame(rows)

    def share_fan(self) -> pd.DataFrame:
        """P10/P50/P90 of the localized share by group and year (and the plan's own without delays)."""
        rows = []
        keys = sorted({k for i in self.done for k in self.share[i]}, key=lambda k: (k[0], k[1]))
        for g, y in keys:
            v = np.array([self.share[i].get((g, y), 0.0) for i in self.done])
            rows.append({"group": g, "year": y, "p10_share": float(np.quantile(v, 0.1)),
                         "p50_share": float(np.quantile(v, 0.5)), "p90_share": float(np.quantile(v, 0.9)),
                         "mean_share": float(v.mean()), "without_delays_share": self.det_share.get((g, y))})
        return pd.DataFrame(rows, columns=["group", "year", "p10_share", "p50_share", "p90_share", "mean_share",
                                           "without_delays_share"])

    def cost_fan(self) -> pd.DataFrame:
        """P10/P50/P90 of the cost of each year (money of that year, net of credits, with penalties)."""
        rows = []
        for y in self.years:
            v = np.array([self.cost[i].get(y, 0.0) for i in self.done])
            if not len(v):
                continue
            rows.append({"year": y, "p10_usd": float(np.quantile(v, 0.1)), "p50_usd": float(np.quantile(v, 0.5)),
                         "p90_usd": float(np.quantile(v, 0.9)), "mean_usd": float(v.mean()),
                         "without_delays_usd": self.det_cost.get(y)})
        return pd.DataFrame(rows, columns=["year", "p10_usd", "p50_usd", "p90_usd", "mean_usd", "without_delays_usd"])

    def headline(self) -> tuple[str, int] | None:
        """The target whose probability the progress display follows: the first group's target in the first
        target year that ends in 0 or 5 (2030), else in its first target year."""
        if not self.targets:
            return None
        g = self.targets[0][0]
        years = [y for gg, y, _t in self.targets if gg == g]
        return g, next((y for y in years if y % 5 == 0), years[0])

    def p(self, key: tuple[str, int]) -> float | None:
        if not self.n:
            return None
        return sum(1 for i in self.done if self.met[i].get(key, False)) / self.n


# ---------------------------------------------------------------------------------- draws
def plant_risks(ci: Any, inst: Any, plan: FixedPlan) -> list[PlantRisk]:
    """The plants of the plan whose output can still slip: built candidates and committed or existing plants
    (not cancelled) not yet qualified before the horizon's first year; each with the delays it follows."""
    first = ci.years[0]
    starts: dict[str, int] = {}
    for (p, s), n in plan.units.items():
        if n > 0:
            starts[p] = min(starts.get(p, s), s)
    for p, prj in ci.projects.items():
        if prj.fixed and p not in plan.cancelled:
            s = next((s for (pp, _y), d in ci.sets.deliverable.items() if pp == p for s, _a in d), None)
            if s is None:
                s = prj.earliest_start
            starts[p] = s
    out = []
    for p in sorted(starts):
        prj = ci.projects[p]
        q = prj.qualified_year(starts[p])
        if q < first:
            continue  # delivering before the horizon: nothing left to slip
        d = inst.delays.get(p)
        src = p
        if d is None:
            d = inst.delays.get(prj.status)
            src = f"status {prj.status}"
        if d is None:
            c1, c2, q1, q2, ab = DEFAULT_DELAYS[prj.status]
            out.append(PlantRisk(p, prj.status, (1 - c1 - c2, c1, c2), (1 - q1 - q2, q1, q2),
                                 ab if prj.status == "committed" else 0.0, q, f"default ({prj.status})"))
        else:
            out.append(PlantRisk(p, prj.status, d.construction, d.qualification,
                                 d.abandonment if prj.status == "committed" else 0.0, q, src))
    return out


def draw(plants: list[PlantRisk], samples: int, seed: int) -> Draws:
    """Extra years and abandonment of every plant in every sample, from one Generator in a fixed order."""
    rng = np.random.default_rng(seed)
    n, m = samples, len(plants)
    extra = np.zeros((n, m), dtype=np.int64)
    abandoned = np.zeros((n, m), dtype=bool)
    for j, pl in enumerate(plants):
        c = rng.choice(3, size=n, p=np.asarray(pl.construction) / sum(pl.construction))
        q = rng.choice(3, size=n, p=np.asarray(pl.qualification) / sum(pl.qualification))
        a = rng.random(n) < pl.abandonment
        extra[:, j] = c + q
        abandoned[:, j] = a
    return Draws(plants, extra, abandoned)


def sample_bounds(ci: Any, plan: FixedPlan, draws: Draws, i: int) -> tuple[Bound, ...]:
    """Sample i's column bounds: each slipped or abandoned plant's output within its shifted availability."""
    from planner.model.units import MASS

    out: list[Bound] = []
    sets = ci.sets
    years = ci.years
    for j, pl in enumerate(draws.plants):
        d = int(draws.extra[i, j])
        gone = bool(draws.abandoned[i, j])
        if d == 0 and not gone:
            continue
        prj = ci.projects[pl.project]
        for y in years:
            pairs = sets.deliverable.get((pl.project, y))
            if not pairs:
                continue
            if gone:
                out.append(Bound("v_prod", (pl.project, y), 0.0, 0.0))
                continue
            cap = 0.0
            for s, a in pairs:
                u = prj.units_max if prj.fixed else plan.units.get((pl.project, s), 0)
                cap += u * min(a, prj.availability(s + d, y))
            out.append(Bound("v_prod", (pl.project, y), 0.0, prj.capacity * MASS * cap))
    return tuple(out)


# ---------------------------------------------------------------------------------- figures of a solve
def _figures(r: TaskResult, targets: list[tuple[str, int, float]]
             ) -> tuple[dict[tuple[str, int], bool], dict[tuple[str, int], float], dict[tuple[str, int], float],
                        dict[int, float], float]:
    loc = r.table("localization")
    costs = r.table("costs")
    share = {(str(g), int(y)): float(s) for g, y, s in zip(loc["group"], loc["year"], loc["share"])}
    short = {(str(g), int(y)): float(s) for g, y, s in zip(loc["group"], loc["year"], loc["shortfall_t"])}
    met = {(g, y): short.get((g, y), 0.0) < MET_TOLERANCE_T for g, y, _t in targets}
    by_year = costs.groupby("year")["cost_usd"].sum() if not costs.empty else pd.Series(dtype=float)
    cost = {int(y): float(v) for y, v in by_year.items()}
    total = float(costs["discounted_usd"].sum()) if not costs.empty else 0.0
    return met, share, short, cost, total


# ---------------------------------------------------------------------------------- the study
def run_risk(path: str | Path, *, case: str | None = None, plan: FixedPlan | None = None, plan_case: str | None = None,
             plan_source: str = "", samples: int = 1000, seed: int = 0, options: SolverOptions, jobs: int = 1,
             on_event: Event | None = None, on_sample: Callable[[Risk], None] | None = None,
             before_solving: Callable[[Any, str], None] | None = None) -> Risk:
    """Solve the plan (the case's optimum, `plan_case`'s optimum held under the case, or `plan`), then
    `samples` samples of its schedule. A Ctrl-C keeps the samples finished (`stopped` set); it propagates
    only when the plan itself was not solved. `on_sample(risk)` hears of each sample as it ends."""
    t0 = time.perf_counter()
    if samples < 1:
        raise UsageError("--samples must be at least 1")
    path = Path(path)
    inst = load_instance(path)
    case_name = resolve_case_name(inst, case)
    pc = resolve_case_name(inst, plan_case) if plan_case else None
    if before_solving is not None:
        before_solving(inst, case_name)
    ci = apply_case(inst, case_name)
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    base = Base(str(path), sha, case_name, data=data)
    highs = dict(options.highs)
    if jobs > 1:
        highs["threads"] = 1
    targets = sorted(((g, y, float(v)) for (g, y), v in ci.policy.localization_target.items() if v and v > 0),
                     key=lambda t: (t[0], t[1]))
    st: Study | None = None
    res: Risk | None = None
    try:
        st = Study(jobs=jobs, on_event=on_event)
        with st:
            # 1. the plan: its decisions, every integer of its solve, and its own figures without delays
            if plan is None and pc is not None:
                src = st.run([Task("plan source", Base(str(path), sha, pc, data=data), options=highs,
                                   preset=options.preset, tables=PLAN_TABLES,
                                   duals=False)])["plan source"]
                if not src.done or src.plan is None:
                    raise SolveError(f"the plan of case {pc} was not found: {src.error or src.state}")
                plan = src.plan
                plan_source = plan_source or f"the least-cost plan of case {pc}"
            if plan is None:
                opt = st.run([Task("optimum", base, options=highs, preset=options.preset,
                                   tables=PLAN_TABLES, duals=False)])["optimum"]
                if not opt.done or opt.plan is None:
                    raise SolveError(f"the case {case_name} has no plan: {opt.error or opt.state}")
                plan = opt.plan
                plan_source = plan_source or f"the least-cost plan of case {case_name}"
            from planner.model.variations import plan_problems

            problems = plan_problems(ci, plan)
            if problems:
                raise UsageError(f"the plan cannot be held under case {case_name}: " + "; ".join(problems))
            held = st.run([Task(PLAN_KEY, base, Variation("the plan", plan=plan), options=highs, preset=options.preset,
                                tables=SAMPLE_TABLES, duals=False)])[PLAN_KEY]
            if not held.done:
                raise SolveError(f"the plan could not be solved under case {case_name}: {held.error or held.state}")
            fixed_ints = _integer_bounds(st, base, plan, highs, options.preset)
            det_met, det_share, _short, det_cost, _tot = _figures(held, targets)
            plants = plant_risks(ci, inst, plan)
            draws = draw(plants, samples, seed)
            res = Risk(inst.name, str(path.resolve()), inst.sha256, case_name, plan_source, samples, seed, draws,
                       list(ci.years), targets, det_met, det_share, det_cost,
                       options={"preset": options.preset, "highs_options": highs, "jobs": jobs},
                       warnings=tuple(inst.warnings))
            # 2. the samples: an LP each (every integer held), warm-started from the plan
            linear = bool(fixed_ints)  # every integer held: a linear programme, warm-started from the last basis
            var = lambda i, b, lin=linear: Variation(f"sample {i}", plan=plan, bounds=b, linear=lin)  # noqa: E731
            t_sampling = time.perf_counter()
            for i in range(samples):
                st.submit(Task(f"sample {i}", base, var(i, fixed_ints + sample_bounds(ci, plan, draws, i)),
                               options=highs, preset=options.preset, tables=SAMPLE_TABLES, duals=False))
            for r in st.results():
                i = int(r.key.split()[-1])
                if not r.done and r.key.startswith("sample") and "relaxed" not in r.key and r.state == "failed":
                    # holding every integer of the plan's solve left no solution: hold only the plan's decisions
                    res.relaxed += 1
                    st.submit(Task(f"relaxed sample {i}", base, var(i, sample_bounds(ci, plan, draws, i), False),
                                   options=highs, preset=options.preset, tables=SAMPLE_TABLES, duals=False))
                    continue
                if not r.done:
                    res.failed[i] = r.error or r.state
                    continue
                met, share, short, cost, total = _figures(r, targets)
                res.met[i], res.share[i], res.shortfall[i], res.cost[i], res.total_cost[i] = met, share, short, cost, total
                res.done.append(i)
                res.sampling_seconds = time.perf_counter() - t_sampling
                res.highs_seconds += float(r.status.get("highs_time_s") or 0.0)
                if on_sample is not None:
                    on_sample(res)
    except KeyboardInterrupt:
        if res is None:
            raise
        res.stopped = True
    assert res is not None
    res.done.sort()
    res.seconds = time.perf_counter() - t0
    return res


def _integer_bounds(st: Study, base: Base, plan: FixedPlan, highs: dict[str, Any], preset: str) -> tuple[Bound, ...]:
    """Every integer decision of the plan's own solve, held: the samples are linear programmes."""
    r = st.run([Task("plan integers", base, Variation("the plan", plan=plan), options=highs, preset=preset,
                     tables=(), duals=False)])["plan integers"]
    start = r.integers
    if start is None:
        return ()
    return tuple(Bound(var, key, v, v) for var, vals in start.items() for key, v in vals.items())


__all__ = ["Draws", "LIKELY", "MET_TOLERANCE_T", "PlantRisk", "Risk", "draw", "plant_risks", "run_risk",
           "sample_bounds"]
