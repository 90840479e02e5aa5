"""`planner hedge` as a library call: what to commit now when the case that comes true is unknown.

A thin user of the study layer (planner.study) and of the model's extensive form
(planner.model.extensive):

1. each scenario's own optimum (its case solved alone), in parallel: a `Task` per scenario;
2. each scenario's plan evaluated under every other scenario with only its commitments (the first
   stage) held and everything later re-optimised (`Variation(bounds=...)`): the cost, the regret and
   the expected cost of committing to that case's plan;
3. the extensive form (one block per scenario, the first stage shared), warm-started from the best
   single-case plan of step 2 and solved by planner.solve in this process;
4. the figures a planner reads: expected cost, CVaR, each scenario's cost and regret under the hedge
   and under every single-case plan, EVPI, VSS, and each commitment labelled no-regret, hedge or wait.

No Pyomo here: the model layer builds the extensive form and reads its values.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from planner.cases import apply_case, load_instance
from planner.errors import SolveError, UsageError
from planner.instance.records import FixedPlan, Instance, Scenario
from planner.model.units import MONEY
from planner.solve.presets import SolverOptions
from planner.study import Base, Bound, Event, Study, Task, TaskResult, Variation, warm_up

__all__ = ["Hedge", "cvar", "own_key", "run_hedge", "select_scenarios"]

EF_KEY = "hedge (extensive form)"
#: a first-stage decision counts as taken above this value (integers and binaries are rounded)
TAKEN = 0.5


def own_key(name: str) -> str:
    return f"own optimum of {name}"


def cross_key(a: str, b: str) -> str:
    return f"commitments of {a} under {b}"


def cvar(costs: Sequence[float], probs: Sequence[float], alpha: float) -> float:
    """CVaR at level alpha of a discrete cost distribution: the expected cost of the worst (1 - alpha)
    of the probability (Rockafellar–Uryasev: min over eta of eta + E[(C - eta)+] / (1 - alpha))."""
    pairs = [(float(c), float(p)) for c, p in zip(costs, probs, strict=True)]
    if alpha <= 0.0:
        return sum(c * p for c, p in pairs)
    return min(eta + sum(p * max(c - eta, 0.0) for c, p in pairs) / (1.0 - alpha) for eta, _p in pairs)


def select_scenarios(inst: Instance, names: str | Sequence[str] | None) -> tuple[list[Scenario], str]:
    """The scenarios asked for (by scenario name, or by case name when the instance has no scenarios
    sheet), their probabilities scaled to sum to 1 when a subset is taken; and a note saying so."""
    every = list(inst.scenarios)
    if names is None or names == "all" or names == ["all"]:
        return every, ""
    wanted = [n.strip() for n in (names.split(",") if isinstance(names, str) else names) if n.strip()]
    by_name = {s.name.lower(): s for s in every}
    out: list[Scenario] = []
    for n in wanted:
        s = by_name.get(n.lower())
        if s is None:
            raise UsageError(f"unknown scenario '{n}'; the scenarios are {', '.join(x.name for x in every)}")
        if s not in out:
            out.append(s)
    total = sum(s.probability for s in out)
    if total <= 0:
        raise UsageError("the scenarios selected all have probability 0")
    if abs(total - 1.0) <= 1e-9:
        return out, ""
    scaled = [Scenario(s.name, s.case, s.probability / total, s.row, s.note) for s in out]
    return scaled, (f"the {len(out)} scenarios selected have probabilities summing to {total:.4g}; each was "
                    "divided by that sum")


@dataclass
class Hedge:
    """A hedged plan and the figures that judge it; money in $ (discounted to the first year)."""

    instance: str
    instance_path: str
    instance_sha256: str
    scenarios: pd.DataFrame  # scenario, case, probability, own cost and status, cost and regret under the hedge
    costs: pd.DataFrame  # plan x scenario: cost_usd, regret_usd, note (plan 'hedge' and 'plan of <scenario>')
    plans: pd.DataFrame  # per plan: expected cost, CVaR, worst and expected regret
    commitments: pd.DataFrame  # the first stage: decision, item, years, hedge, scenarios whose optimum commits it, label
    recourse: pd.DataFrame  # builds after the commitment year, per scenario, under the hedge
    metrics: dict[str, Any]  # expected cost, CVaR, EVPI, VSS, the EV scenario, the objective, ...
    commit_until: int
    objective: str
    options: dict[str, Any]
    solve: dict[str, Any]  # the extensive form's solve: status, gap, sizes, times
    notes: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    warnings: tuple[Any, ...] = ()

    @property
    def commitment_counts(self) -> dict[str, int]:
        c = self.commitments
        return {k: int((c["label"] == k).sum()) for k in ("no-regret", "hedge", "wait")} if len(c) else {}


def run_hedge(path: str | Path, *, scenarios: str | Sequence[str] | None = None, commit_until: int | None = None,
              objective: str = "expected", options: SolverOptions, jobs: int = 1, scheduler: str | None = None,
              on_event: Event | None = None,
              before_solving: Callable[[Instance, list[Scenario]], None] | None = None) -> Hedge:
    """Solve the hedged plan of the instance at `path` (see the module's docstring). Validation errors and
    bad arguments are raised before anything is solved; so is anything `before_solving` raises."""
    from planner.model.extensive import HedgeObjective

    path = Path(path)
    warm_up(jobs, scheduler)  # the workers' fork server loads its libraries while this process reads the workbook
    inst = load_instance(path)
    try:
        obj = HedgeObjective.parse(objective)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    chosen, note = select_scenarios(inst, scenarios)
    first, last = inst.years[0], inst.years[-1]
    until = first + 2 if commit_until is None else int(commit_until)
    if until > last:
        raise UsageError(f"--commit-until {until} lies after the horizon ({first}-{last}): everything would be "
                         "committed now and nothing left to adapt")
    notes = [note] if note else []
    if until < first:
        notes.append(f"the commitment year {until} lies before the horizon's first year {first}: nothing is "
                     "committed now, so the hedge is each scenario's own optimum")
    if before_solving is not None:
        before_solving(inst, chosen)
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    highs = dict(options.highs)
    if jobs > 1 or scheduler:
        highs["threads"] = 1
    names = [s.name for s in chosen]
    probs = {s.name: s.probability for s in chosen}
    cis = {s.name: apply_case(inst, s.case) for s in chosen}
    bases = {s.name: Base(str(path), sha, s.case, data=data) for s in chosen}
    t_start = time.perf_counter()

    # 1 and 2: own optima, then each one's commitments under every other scenario
    from planner.model.extensive import first_stage_values

    from planner.results.plan import PLAN_TABLES

    want = PLAN_TABLES  # the plan's decisions (early retirements included); its cost is in its status
    own: dict[str, TaskResult] = {}
    cross: dict[tuple[str, str], TaskResult] = {}
    pairs: dict[str, tuple[str, str]] = {}
    with Study(jobs=jobs, scheduler=scheduler, on_event=on_event) as st:
        for s in chosen:
            st.submit(Task(own_key(s.name), bases[s.name], options=highs, preset=options.preset, tables=want,
                           duals=False))
        for r in st.results():
            if r.key in pairs:
                cross[pairs[r.key]] = r
                continue
            a = r.key.removeprefix("own optimum of ")
            own[a] = r
            if not r.done or r.plan is None:
                continue
            for b in names:
                if b == a:
                    continue
                values = first_stage_values(cis[b], r.plan, until)
                bounds = tuple(Bound(var, k, x, x) for var, vals in values.items() for k, x in vals.items())
                pairs[cross_key(a, b)] = (a, b)
                st.submit(Task(cross_key(a, b), bases[b], Variation(f"commitments of {a}", bounds=bounds),
                               options=highs, preset=options.preset, tables=want, duals=False))
    t_scen = time.perf_counter() - t_start
    failed = [n for n in names if not own[n].done]
    if failed:
        why = "; ".join(f"{n}: {own[n].error or own[n].state}" for n in failed)
        raise SolveError(f"the own optimum of {len(failed)} scenario(s) has no plan ({why}); a hedge needs every "
                         "scenario solved. Nothing was written.")
    own_usd = {n: float(own[n].objective_usd) for n in names}  # type: ignore[arg-type]
    own_plans = {n: own[n].plan for n in names}

    # the cost of each single-case plan under each scenario
    cost: dict[tuple[str, str], float | None] = {}
    cost_note: dict[tuple[str, str], str] = {}
    eval_plans: dict[tuple[str, str], FixedPlan | None] = {}
    for a in names:
        for b in names:
            if a == b:
                cost[(a, b)], eval_plans[(a, b)] = own_usd[a], own_plans[a]
                continue
            r = cross.get((a, b))
            if r is not None and r.done and r.objective_usd is not None:
                cost[(a, b)], eval_plans[(a, b)] = r.objective_usd, r.plan
                if not r.status.get("proven_optimal", True):
                    cost_note[(a, b)] = f"not proven optimal: {r.status.get('status')}"
            else:
                cost[(a, b)], eval_plans[(a, b)] = None, None
                cost_note[(a, b)] = (r.error or r.state) if r is not None else "not evaluated"

    def score(a: str) -> float | None:
        cs = [cost[(a, b)] for b in names]
        if any(c is None for c in cs):
            return None
        e = sum(probs[b] * cost[(a, b)] for b in names)  # type: ignore[operator]
        if obj.kind == "cvar":
            return e + obj.weight * cvar(cs, [probs[b] for b in names], obj.alpha)  # type: ignore[arg-type]
        if obj.kind == "minmax-regret":
            from planner.model.extensive import REGRET_TIE_BREAK

            return max(cost[(a, b)] - own_usd[b] for b in names) + REGRET_TIE_BREAK * e  # type: ignore[operator]
        return e

    scored = [(sc, a) for a in names if (sc := score(a)) is not None]
    start_from = min(scored)[1] if scored else None

    # 3: the extensive form
    ef = _solve_extensive(chosen, cis, until, obj, own_usd, highs,
                          [eval_plans[(start_from, b)] for b in names] if start_from else None, on_event)
    hedge_cost = ef["costs"]

    # 4: the figures
    p = [probs[n] for n in names]
    alpha = obj.alpha if obj.kind == "cvar" else 0.9
    rows = []
    plans_rows = []
    for plan, label in [("hedge", "hedge"), *[(a, f"plan of {a}") for a in names]]:
        cs = [hedge_cost[b] if plan == "hedge" else cost[(plan, b)] for b in names]
        for b, c in zip(names, cs, strict=True):
            rows.append({"plan": label, "scenario": b, "probability": probs[b], "cost_usd": c,
                         "regret_usd": None if c is None else c - own_usd[b],
                         "note": "" if plan == "hedge" else cost_note.get((plan, b), "")})
        ok = all(c is not None for c in cs)
        plans_rows.append({
            "plan": label,
            "expected_cost_usd": sum(pb * c for pb, c in zip(p, cs, strict=True)) if ok else None,  # type: ignore[operator]
            f"cvar_{alpha:g}_usd": cvar(cs, p, alpha) if ok else None,  # type: ignore[arg-type]
            "worst_regret_usd": max(c - own_usd[b] for b, c in zip(names, cs, strict=True)) if ok else None,  # type: ignore[operator]
            "expected_regret_usd": (sum(pb * (c - own_usd[b]) for pb, b, c in zip(p, names, cs, strict=True))  # type: ignore[operator]
                                    if ok else None),
        })
    costs = pd.DataFrame(rows)
    plans = pd.DataFrame(plans_rows)
    rp = float(plans.loc[0, "expected_cost_usd"])
    ws = sum(probs[n] * own_usd[n] for n in names)
    ev = max(names, key=lambda n: (probs[n], -names.index(n)))
    eev = plans.loc[plans["plan"] == f"plan of {ev}", "expected_cost_usd"].iloc[0]
    metrics = {
        "objective": obj.describe(),
        "objective_value_usd": ef["objective_usd"],
        "expected_cost_usd": rp,
        f"cvar_{alpha:g}_usd": float(plans.loc[0, f"cvar_{alpha:g}_usd"]),
        "worst_regret_usd": float(plans.loc[0, "worst_regret_usd"]),
        "wait_and_see_usd": ws,
        "evpi_usd": rp - ws,
        "ev_scenario": ev,
        "expected_cost_of_ev_plan_usd": None if pd.isna(eev) else float(eev),
        "vss_usd": None if pd.isna(eev) else float(eev) - rp,
        "commit_until": until,
    }
    scen = pd.DataFrame([{
        "scenario": s.name, "case": s.case, "probability": s.probability, "own_cost_usd": own_usd[s.name],
        "own_status": own[s.name].status.get("status"), "hedge_cost_usd": hedge_cost[s.name],
        "hedge_regret_usd": hedge_cost[s.name] - own_usd[s.name], "note": s.note} for s in chosen])
    commitments = _commitments(cis, names, ef["first_stage"], own_plans, until)
    recourse = pd.DataFrame([{"scenario": n, "project": pr, "commodity": cis[n].projects[pr].commodity,
                              "site": cis[n].projects[pr].site, "start_year": s, "units": u}
                             for n in names for (pr, s), u in sorted(ef["units"][n].items()) if s > until],
                            columns=["scenario", "project", "commodity", "site", "start_year", "units"])
    from planner.run import versions

    solve_info = {k: v for k, v in ef.items() if k not in ("costs", "first_stage", "units")}
    solve_info["scenario_solves_s"] = t_scen
    solve_info["started_from"] = f"the commitments of {start_from}" if start_from else "nothing"
    solve_info["scenario_solves_highs_s"] = sum(r.status.get("highs_time_s", 0.0) or 0.0 for r in own.values())
    return Hedge(
        instance=inst.name, instance_path=str(path.resolve()), instance_sha256=inst.sha256, scenarios=scen,
        costs=costs, plans=plans, commitments=commitments, recourse=recourse, metrics=metrics, commit_until=until,
        objective=objective, options={"preset": options.preset, "highs_options": highs, "jobs": jobs,
                                      "scheduler": scheduler or ""},
        solve=solve_info, notes=notes, versions=versions(), warnings=tuple(inst.warnings))


def _solve_extensive(chosen: list[Scenario], cis: dict[str, Any], until: int, obj: Any, own_usd: dict[str, float],
                     highs: dict[str, Any], start_plans: list[FixedPlan | None] | None,
                     on_event: Event | None) -> dict[str, Any]:
    from planner.model.extensive import block_cost_usd, block_units, build_extensive, plan_start, shared_values
    from planner.solve.session import Session

    emit = on_event or (lambda *_a: None)
    emit(EF_KEY, "queued", {})
    t0 = time.perf_counter()
    m, blocks = build_extensive([(s.name, s.probability, cis[s.name]) for s in chosen], until, obj,
                                own_usd=[own_usd[s.name] for s in chosen])
    t_build = time.perf_counter() - t0
    session = Session(m)
    start = None
    if start_plans is not None and all(pl is not None for pl in start_plans):
        col_of = session.compiled.col_of
        start = {col_of[id(v)]: float(x) for v, x in plan_start(blocks, start_plans, m) if id(v) in col_of}
    emit(EF_KEY, "solving", {})

    def progress(pr: Any) -> None:
        emit(EF_KEY, "solving", {"gap": pr.gap, "objective": None if pr.objective is None else pr.objective / MONEY})

    report = session.solve(highs, warm_start=start, want_duals=False, load=True, on_progress=progress)
    seconds = time.perf_counter() - t0
    if report.termination == "interrupted":
        emit(EF_KEY, "stopped", {"seconds": seconds})
        raise KeyboardInterrupt
    if not report.has_solution:
        emit(EF_KEY, "failed", {"seconds": seconds, "error": report.model_status})
        raise SolveError(f"the extensive form has no plan: {report.model_status}. Nothing was written.")
    emit(EF_KEY, "done", {"seconds": seconds, "gap": report.gap, "objective": report.objective / MONEY})
    return {
        "costs": {b.name: block_cost_usd(b) for b in blocks},
        "first_stage": shared_values(m),
        "units": {b.name: block_units(b) for b in blocks},
        "objective_usd": report.objective / MONEY,
        "bound_usd": None if report.bound is None else report.bound / MONEY,
        "gap": report.gap, "status": report.model_status, "termination": report.termination,
        "columns": report.n_cols, "rows": report.n_rows, "integer_columns": report.n_int, "nonzeros": report.nnz,
        "build_s": t_build, "wall_s": seconds, "highs_s": report.highs_time, "start": report.start,
    }


def _commitments(cis: dict[str, Any], names: list[str], first: dict[str, dict[Any, float]],
                 own_plans: dict[str, FixedPlan | None], until: int) -> pd.DataFrame:
    """Each first-stage decision taken by the hedge or by some scenario's own optimum, labelled:
    no-regret (in the hedge and in every own optimum), hedge (in the hedge, not in every own optimum),
    wait (in some own optimum, deferred by the hedge)."""
    from planner.model.extensive import first_stage_values

    own_first = {n: first_stage_values(cis[n], own_plans[n], until) for n in names}  # type: ignore[arg-type]
    items: dict[tuple[str, str], dict[str, Any]] = {}

    def item(kind: str, ident: str, ci: Any) -> dict[str, Any]:
        if (kind, ident) not in items:
            prj = ci.projects.get(ident) if kind in ("build", "cancel", "retire early") else None
            con = ci.contracts.get(ident) if kind == "sign" else None
            items[(kind, ident)] = {"decision": kind, "item": ident,
                                    "commodity": prj.commodity if prj else con.commodity if con else "",
                                    "site": prj.site if prj else con.origin if con else "",
                                    "hedge_years": set(), "hedge_units": 0, "in_own": set()}
        return items[(kind, ident)]

    def walk(values: dict[str, dict[Any, float]], ci: Any, who: str | None) -> None:
        for (pr, s), x in values.get("v_units", {}).items():
            if x > TAKEN:
                it = item("build", pr, ci)
                if who is None:
                    it["hedge_years"].add(s)
                    it["hedge_units"] += int(round(x))
                else:
                    it["in_own"].add(who)
        for var, kind in (("b_sign", "sign"), ("b_cancel", "cancel")):
            for k, x in values.get(var, {}).items():
                if x > TAKEN:
                    it = item(kind, k, ci)
                    if who is None:
                        it["hedge_units"] = 1
                    else:
                        it["in_own"].add(who)
        for (pr, y), x in values.get("b_retire", {}).items():
            if x > TAKEN:
                it = item("retire early", pr, ci)
                if who is None:
                    it["hedge_years"].add(y)
                    it["hedge_units"] = 1
                else:
                    it["in_own"].add(who)

    any_ci = cis[names[0]]
    walk(first, any_ci, None)
    for n in names:
        walk(own_first[n], cis[n], n)
    rows = []
    for it in items.values():
        in_hedge = it["hedge_units"] > 0
        own_all = len(it["in_own"]) == len(names)
        label = "no-regret" if in_hedge and own_all else "hedge" if in_hedge else "wait"
        rows.append({"decision": it["decision"], "item": it["item"], "commodity": it["commodity"], "site": it["site"],
                     "year": min(it["hedge_years"]) if it["hedge_years"] else None,
                     "units": it["hedge_units"] if it["decision"] == "build" and in_hedge else None,
                     "in_hedge": in_hedge, "own_optima": len(it["in_own"]),
                     "scenarios_committing": ", ".join(n for n in names if n in it["in_own"]), "label": label})
    order = {"no-regret": 0, "hedge": 1, "wait": 2}
    cols = ["decision", "item", "commodity", "site", "year", "units", "in_hedge", "own_optima",
            "scenarios_committing", "label"]
    df = pd.DataFrame(rows, columns=cols)
    if len(df):
        df = df.sort_values(by=["label", "decision", "item"], key=lambda c: c.map(order) if c.name == "label" else c,
                            kind="stable").reset_index(drop=True)
    return df
