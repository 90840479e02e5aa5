"""Explain a plan: what each target costs, why a candidate is (not) built, why demand is short.

Every number here is computed from solved `Solution`s and from the instance's data; nothing here
imports Pyomo. The plan and its re-solves (forced and excluded candidates, the case without its
targets, the least shortfall) are tasks of the study layer (planner.study) on one base: each
worker builds the case's model once and re-solves it with each change, starting from the plan.
"""

from __future__ import annotations

import math
import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from planner.cases import CaseInstance, apply_case, load_instance, resolve_case_name
from planner.errors import SolveError
from planner.explain.hard_targets import with_explanation
from planner.results.diagnose import TOL_T, out_of_reach
from planner.results.labels import musd_text, number_text, tonnes_text
from planner.results.solution import Solution
from planner.solve.presets import SolverOptions
from planner.study import SHORTFALL, Base, Event, Study, Task, TaskResult, Variation, warm_up
from planner.study.tasks import CANCELLED

@dataclass(frozen=True)
class Explanation:
    instance: str
    instance_path: str
    instance_sha256: str
    case: str
    solution: Solution  # the plan being explained
    target_costs: pd.DataFrame
    targets_total_usd: float | None  # cost of all targets: plan with them minus plan without them
    unbuilt: pd.DataFrame  # candidates not built: the premium of forcing them in
    built: pd.DataFrame  # built candidates: the cost of doing without them
    shortfalls: pd.DataFrame  # unmet demand and missed targets, in plain words
    findings: tuple[str, ...]
    notes: pd.DataFrame  # item, how it was computed
    failures: dict[str, str] = field(default_factory=dict)  # re-solve -> why it failed
    stopped: bool = False  # the command was stopped before every re-solve finished (--keep-incumbent)

    @property
    def marginal_costs(self) -> pd.DataFrame:
        return self.solution.marginal_costs


def explain(path: str | Path, case: str | None = None, *, options: SolverOptions, jobs: int = 1,
            scheduler: str | None = None, on_event: Event | None = None, hard_targets: bool = False,
            keep_partial: bool = False) -> Explanation:
    """Solve the case, then the what-ifs that explain it; re-solves run `jobs` at a time.

    With `hard_targets`, a case whose targets cannot all be met raises SolveError carrying the same
    plain-words explanation of what is out of reach, instead of a solver status. A Ctrl-C (or
    SIGTERM, SIGHUP) stops every solve and is raised again; with `keep_partial`, once the plan is
    solved, the explanation is returned instead with what the finished re-solves tell (`stopped` is
    set, and each figure that needed a re-solve that did not finish is n/a, with the reason).
    """
    path = Path(path)
    parallel = jobs > 1 or bool(scheduler)
    warm_up(jobs, scheduler)  # the workers' fork server loads its libraries while this process reads the workbook
    inst = load_instance(path)
    name = resolve_case_name(inst, case)
    ci = apply_case(inst, name)
    data = path.read_bytes()
    highs = dict(options.highs)
    if parallel:
        highs["threads"] = 1
    soft = Base(str(path), _sha(data), name, False, data=data)

    def task(key: str, v: Variation, tables: tuple[str, ...] | None = ("costs",)) -> Task:
        # a re-solve: its cost, bound and penalties (from the costs table) are all the explanation reads
        # (the least shortfall: its tables), so neither the duals nor the other tables are computed
        return Task(key, soft, v, options=highs, preset=options.preset, tables=tables, duals=False)

    first: TaskResult | None = None
    tasks: list[Task] = []
    stopped = False
    try:
        with Study(jobs=jobs, scheduler=scheduler, on_event=on_event) as st:
            st.prepare(soft)  # the workers build the case's model while this process solves the plan
            # the one re-solve that does not depend on the plan starts now, in a worker, beside the plan's
            early = [task("without targets", WITHOUT_TARGETS)] if parallel and ci.policy.localization_target else []
            for t in early:
                st.submit(t)
            first = st.solve_here(with_explanation(Task("plan", soft.with_targets(hard_targets), options=highs,
                                                        preset=options.preset)))
            if first.state != "done" or first.solution is None:
                raise SolveError(f"case '{name}' has no plan to explain: {first.error}")
            sol = first.solution
            tasks = _resolves(ci, sol, task)
            if hard_targets:  # the re-solves are of the case with soft targets: they start from the plan all the same
                tasks = [replace(t, start=first.start) for t in tasks]
            submitted = {t.key for t in early}
            runs = st.run([t for t in tasks if t.key not in submitted])
            runs.update({k: st.finished[k] for k in submitted})
    except KeyboardInterrupt:
        if not keep_partial or first is None or first.solution is None or not first.done:
            raise
        stopped = True
        sol = first.solution
        runs = {t.key: st.finished.get(t.key) or TaskResult(t.key, "cancelled", error=CANCELLED) for t in tasks}
    base_cost = float(sol.status["objective_usd"])
    failures = {k: r.error or r.state for k, r in runs.items() if r.state != "done"}

    def outcome(s: Solution) -> Outcome:
        st = s.status
        bound = st["bound_usd"] if st.get("bound_usd") is not None else st["objective_usd"]
        return Outcome(float(st["objective_usd"]), float(st["objective_usd"]) - float(bound),
                       float(s.discounted("penalty") or 0.0))

    base = outcome(sol)

    def cost_of(key: str) -> Outcome | None:
        r = runs.get(key)
        if r is None or r.state != "done" or r.solution is None:
            return None
        return outcome(r.solution)

    targets_total = None
    without = cost_of("without targets")
    if without is not None:
        targets_total = base_cost - without.cost

    target_costs = _target_costs(ci, sol)
    unbuilt, built_df = _candidates(ci, sol, base, cost_of)
    aux = runs.get("least shortfall")
    shortfalls = _shortfalls(ci, sol, aux.solution if aux is not None and aux.state == "done" else None)
    findings = _findings(ci, sol, target_costs, targets_total, unbuilt, built_df, shortfalls)
    return Explanation(
        instance=inst.name, instance_path=str(path.resolve()), instance_sha256=inst.sha256, case=name,
        solution=sol, target_costs=target_costs, targets_total_usd=targets_total, unbuilt=unbuilt,
        built=built_df, shortfalls=shortfalls, findings=tuple(findings), notes=_notes(), failures=failures,
        stopped=stopped,
    )


WITHOUT_TARGETS = Variation("without targets", drop_targets=True)


def _resolves(ci: CaseInstance, sol: Solution, task: Any) -> list[Task]:
    """The re-solves that explain plan `sol`: the case without its targets, the least shortfall, each
    built candidate left out and each other one forced in from its earliest start."""
    sets = ci.sets
    built = set(sol.builds.loc[sol.builds["decision"] == "build", "project"])
    tasks: list[Task] = []
    if ci.policy.localization_target:
        tasks.append(task("without targets", WITHOUT_TARGETS))
    short = sol.unmet["tonnes"].sum() + sol.localization["shortfall_t"].sum()
    if short > TOL_T:
        tasks.append(task("least shortfall", Variation("least shortfall", objective=SHORTFALL), None))
    for p in sets.candidates:
        if p in built:
            tasks.append(task(f"without {p}", Variation(f"without {p}", exclude=frozenset({p}))))
        else:
            s0 = sets.starts[p][0]
            tasks.append(task(f"force {p}", Variation(f"force {p} from {s0}", force=((p, s0),))))
    return tasks


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------------------------
# cost of localization
# --------------------------------------------------------------------------------------------


def _target_costs(ci: CaseInstance, sol: Solution) -> pd.DataFrame:
    loc = sol.localization
    rows = []
    for r in loc[loc["target_share"] > 0].itertuples():
        gwh = ci.cell_gwh.get(int(r.year), 0.0)
        dual = r.target_cost_usd_per_t
        per_kwh = None
        if dual is not None and not math.isnan(dual) and gwh > 0:
            # one more kWh of cells raises the required qualifying tonnes by share x tonnes per kWh
            per_kwh = dual * r.target_share * r.demand_t / (gwh * 1e6)
        rows.append({
            "group": r.group, "year": int(r.year), "cell_gwh": gwh, "target_share": r.target_share,
            "required_t": r.required_t, "qualifying_t": r.qualifying_t, "shortfall_t": r.shortfall_t,
            "binding": bool(dual is not None and not math.isnan(dual) and dual > 1e-6),
            "cost_usd_per_t": None if dual is None or math.isnan(dual) else dual + 0.0,
            "cost_usd_per_kwh": None if per_kwh is None else per_kwh + 0.0,
        })
    return pd.DataFrame(rows, columns=["group", "year", "cell_gwh", "target_share", "required_t", "qualifying_t",
                                       "shortfall_t", "binding", "cost_usd_per_t", "cost_usd_per_kwh"])


# --------------------------------------------------------------------------------------------
# why (not) built
# --------------------------------------------------------------------------------------------


def _alternatives(ci: CaseInstance, a: str, b: str) -> bool:
    """Whether projects a and b exclude each other (variants of one site, or one exclusive group)."""
    pa, pb = ci.projects[a], ci.projects[b]
    return pa.base == pb.base or (pa.exclusive_group is not None and pa.exclusive_group == pb.exclusive_group)


@dataclass(frozen=True)
class Outcome:
    """A solve's total cost, how far from proven optimal it may be ($), and its penalties."""

    cost: float
    slack: float  # objective minus HiGHS's bound: the optimum lies within this much below the cost
    penalties: float


def _difference(new: Outcome, base: Outcome) -> dict[str, float]:
    """new − base, the part of it that is penalties, and the solver uncertainty of the difference."""
    return {"delta": new.cost - base.cost, "penalties": new.penalties - base.penalties,
            "uncertainty": new.slack + base.slack}


def _candidates(ci: CaseInstance, sol: Solution, base: Outcome, cost_of: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    sets = ci.sets
    built = set(sol.builds.loc[sol.builds["decision"] == "build", "project"])
    unbuilt_rows, built_rows = [], []
    for pid, prj in ci.projects.items():
        if prj.fixed:
            continue
        common = {"project": pid, "name": prj.name, "commodity": prj.commodity, "site": prj.site,
                  "capacity_t": prj.capacity * prj.units_max}
        starts = sets.starts.get(pid, ())
        if pid in built:
            o = cost_of(f"without {pid}")
            d = _difference(o, base) if o is not None else None
            built_rows.append({**common, "value_usd": None if d is None else d["delta"],
                               "of_which_penalties_usd": None if d is None else d["penalties"],
                               "of_which_other_usd": None if d is None else d["delta"] - d["penalties"],
                               "uncertainty_usd": None if d is None else d["uncertainty"],
                               "note": "cost increase if the project were excluded" if d is not None
                               else "the re-solve without it failed"})
            continue
        if not starts:
            unbuilt_rows.append({**common, "earliest_start": None, "earliest_qualified": None, "premium_usd": None,
                                 "premium_usd_per_t": None, "uncertainty_usd": None,
                                 "note": "cannot be qualified within the horizon: never a choice",
                                 "alternative_built": ""})
            continue
        s0 = starts[0]
        rivals = sorted(q for q in built if q != pid and _alternatives(ci, pid, q))
        o = cost_of(f"force {pid}")
        d = _difference(o, base) if o is not None else None
        qualified_years = sum(1 for y in ci.years if prj.availability(s0, y) > 0)
        premium = None if d is None else d["delta"]
        per_t = premium / (prj.capacity * qualified_years) if premium is not None and qualified_years else None
        within = d is not None and abs(d["delta"]) <= d["uncertainty"]
        unbuilt_rows.append({
            **common, "earliest_start": s0, "earliest_qualified": prj.qualified_year(s0), "premium_usd": premium,
            "premium_usd_per_t": per_t, "uncertainty_usd": None if d is None else d["uncertainty"],
            "note": (f"an alternative is built instead ({', '.join(rivals)}): forcing this one in replaces it"
                     if rivals else "the forced re-solve failed" if d is None else
                     "within the solvers' optimality tolerance of the plan: as good as chosen" if within else
                     "support that would make it part of the cheapest plan (cost of forcing one unit in from its "
                     "earliest start)"),
            "alternative_built": ", ".join(rivals),
        })
    unbuilt = pd.DataFrame(unbuilt_rows, columns=["project", "name", "commodity", "site", "capacity_t",
                                                  "earliest_start", "earliest_qualified", "premium_usd",
                                                  "premium_usd_per_t", "uncertainty_usd", "note",
                                                  "alternative_built"])
    unbuilt = unbuilt.sort_values("premium_usd", na_position="last").reset_index(drop=True)
    built_df = pd.DataFrame(built_rows, columns=["project", "name", "commodity", "site", "capacity_t", "value_usd",
                                                 "of_which_penalties_usd", "of_which_other_usd", "uncertainty_usd",
                                                 "note"])
    built_df = built_df.sort_values("value_usd", ascending=False, na_position="last").reset_index(drop=True)
    return unbuilt, built_df


# --------------------------------------------------------------------------------------------
# shortfalls in plain words
# --------------------------------------------------------------------------------------------


def _shortfalls(ci: CaseInstance, sol: Solution, aux: Solution | None) -> pd.DataFrame:
    """Every shortfall of the plan `sol`: out of reach (it remains in `aux`) or priced out (a choice)."""
    cols = ["kind", "what", "year", "short_t", "need_t", "achievable_t", "explanation"]
    reach = out_of_reach(ci, aux) if aux is not None else pd.DataFrame(columns=cols)
    structural = {(r.what, int(r.year)): r for r in reach.itertuples()}
    rows = []
    pen_loc = ci.settings.penalty_localization
    pen_unmet = ci.settings.penalty_unmet_demand
    for r in sol.localization[sol.localization["shortfall_t"] > TOL_T].itertuples():
        g, y = r.group, int(r.year)
        if (g, y) in structural:
            rows.append(structural[(g, y)]._asdict())
            rows[-1].pop("Index", None)
            continue
        text = (f"{y} {g} target is missed by {_t(r.shortfall_t)} although it could be met: meeting it costs "
                f"more than the penalty of ${pen_loc:,.0f} per t (settings)" if aux is not None else
                f"{y} {g} target is missed by {_t(r.shortfall_t)} (the auxiliary solve that would tell whether "
                "it can be met failed)")
        rows.append({"kind": "target priced out" if aux is not None else "target missed", "what": g, "year": y,
                     "short_t": r.shortfall_t, "need_t": r.required_t,
                     "achievable_t": r.required_t if aux is not None else None, "explanation": text})
    unmet = sol.unmet.groupby(["commodity", "year"])["tonnes"].sum() if len(sol.unmet) else pd.Series(dtype=float)
    demand: dict[tuple[str, int], float] = {}
    for (c, _r, y), t in ci.demand.items():
        demand[(c, y)] = demand.get((c, y), 0.0) + t
    for (c, y), short in unmet.items():
        y = int(y)
        if short <= TOL_T:
            continue
        if (c, y) in structural:
            row = structural[(c, y)]._asdict()
            row.pop("Index", None)
            rows.append(row)
            continue
        text = (f"{y} {c}: {_t(short)} of {_t(demand.get((c, y), 0.0))} demand unmet although it could be "
                f"served (by building or contracting more in time), because serving it costs more than the "
                f"penalty of ${pen_unmet:,.0f} per t (settings)" if aux is not None else
                f"{y} {c}: {_t(short)} of demand unmet (the auxiliary solve that would tell whether it can be "
                "met failed)")
        rows.append({"kind": "demand priced out" if aux is not None else "demand unmet", "what": c, "year": y,
                     "short_t": float(short), "need_t": demand.get((c, y), 0.0),
                     "achievable_t": demand.get((c, y), 0.0) if aux is not None else None, "explanation": text})
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------------------------
# findings and notes
# --------------------------------------------------------------------------------------------


def _m(x: float) -> str:
    return musd_text(x)


def _t(x: float) -> str:
    """Tonnes as the sheets show them (one rounding for a figure in a sentence and in a cell)."""
    return tonnes_text(x)


def _kt(x: float) -> str:
    return f"{number_text(x / 1000)} kt" if abs(x) >= 10_000 else _t(x)


def _span(years: list[int]) -> str:
    ys = sorted(set(years))
    return str(ys[0]) if len(ys) == 1 else f"{ys[0]}–{ys[-1]}"


def _cost_drivers(ci: CaseInstance, sol: Solution, shortfalls: pd.DataFrame) -> list[str]:
    """What the total cost is made of, biggest first: penalties (unmet demand, missed targets) when they
    matter, with where the unmet demand is; else the largest cost components."""
    total = float(sol.status["objective_usd"])
    costs = sol.costs
    if costs.empty or not total:
        return []
    disc = costs.groupby(costs["component"].astype(str))["discounted_usd"].sum()
    pen_unmet = float(disc.get("penalty_unmet", 0.0))
    pen_loc = float(disc.get("penalty_localization", 0.0))
    pen = pen_unmet + pen_loc
    out = []
    if pen > 0.01 * abs(total):
        parts = []
        unmet_t = float(sol.unmet["tonnes"].sum()) if not sol.unmet.empty else 0.0
        short_t = float(sol.localization["shortfall_t"].sum()) if not sol.localization.empty else 0.0
        if pen_unmet > 0:
            parts.append(f"{_kt(unmet_t)} of demand left unmet over the horizon costs {_m(pen_unmet)} in penalties "
                         f"(${number_text(ci.settings.penalty_unmet_demand)} per t, settings; discounted)")
        if pen_loc > 0:
            parts.append(f"localization targets missed by {_kt(short_t)} in all cost {_m(pen_loc)} "
                         f"(${number_text(ci.settings.penalty_localization)} per t)")
        out.append(f"Penalties are {_m(pen)} of the {_m(total)} total ({100 * pen / total:.0f}%): "
                   + "; ".join(parts) + f". Without the penalties the plan costs {_m(total - pen)}.")
        if unmet_t > TOL_T:
            by = sol.unmet.groupby("commodity")
            tons = by["tonnes"].sum().sort_values(ascending=False)
            described = [f"{c} {_kt(t)} in {_span([int(y) for y in by.get_group(c)['year']])}"
                         for c, t in tons.head(3).items()]
            more = len(tons) - 3
            if more > 0:
                described.append(f"{more} more commodit{'y' if more == 1 else 'ies'}")
            kinds = shortfalls["kind"].astype(str) if len(shortfalls) else pd.Series(dtype=str)
            reach = float(shortfalls.loc[kinds == "demand out of reach", "short_t"].sum()) if len(kinds) else 0.0
            priced = kinds.isin(["demand priced out"]).any() or reach < unmet_t - TOL_T
            if not (kinds.str.startswith("demand").any()):
                why = "Whether it can be served is on the shortfalls sheet."
            elif reach >= unmet_t - TOL_T:
                why = "All of it is out of reach: no plan can supply it by then (the shortfalls sheet, year by year)."
            elif reach > TOL_T:
                why = (f"{_kt(reach)} of it is out of reach (no plan can supply it by then); the rest is priced out: "
                       "serving it would cost more than the penalty (the shortfalls sheet, year by year).")
            else:
                why = ("All of it could be served, at more than the penalty: it is priced out (the shortfalls sheet, "
                       "year by year).") if priced else ""
            out.append("Unmet demand, largest first: " + ", ".join(described[:-1])
                       + (" and " if len(described) > 1 else "") + described[-1] + ". " + why)
    else:
        positive = disc[disc > 0].sort_values(ascending=False)
        if len(positive):
            from planner.results.labels import component_label

            top = [f"{component_label(k)} {_m(v)} ({100 * v / total:.0f}%)" for k, v in positive.head(3).items()]
            out.append("The largest costs (discounted): " + ", ".join(top) + ".")
    return out


def _worth(r: Any) -> str:
    """A built candidate's value in words, split into penalties and the other costs when penalties matter:
    the value is the sum of the two parts, and the second one can be negative."""
    value = float(r.value_usd)
    pen = float(r.of_which_penalties_usd or 0.0)
    other = value - pen
    head = f"{r.project} ({r.name}) is worth {_m(value)} to the plan: without it the total cost rises by that much"
    if abs(pen) <= 0.05 * abs(value):
        return head + "."
    pen_text = (f"{_m(pen)} more in penalties for unmet demand and missed targets" if pen >= 0 else
                f"{_m(-pen)} less in penalties")
    if other >= 0:
        rest = f"and {_m(other)} more in the other costs (building, running, importing)"
    else:
        rest = (f"less {_m(-other)} saved on the other costs (what building and running it, and what it "
                "supplies, would have cost)")
    return f"{head}: {pen_text}, {rest}."


def _findings(ci: CaseInstance, sol: Solution, tc: pd.DataFrame, total: float | None, unbuilt: pd.DataFrame,
              built: pd.DataFrame, shortfalls: pd.DataFrame) -> list[str]:
    out = [f"Plan for case '{sol.case}': {sol.status['status']}, total cost {_m(sol.status['objective_usd'])}."]
    out += _cost_drivers(ci, sol, shortfalls)
    if total is not None:
        out.append(f"The localization targets cost {_m(total)} in all (the plan with them minus the plan without "
                   "them, discounted).")
    binding = tc[tc["binding"].astype(bool)]
    met = binding[binding["shortfall_t"] <= TOL_T].sort_values("cost_usd_per_t", ascending=False)
    for r in met.head(3).itertuples():
        kwh = f" (${r.cost_usd_per_kwh:,.4f} per kWh of cells)" if r.cost_usd_per_kwh is not None else ""
        out.append(f"The {r.year} {r.group} target costs ${number_text(r.cost_usd_per_t)} per t of qualifying supply "
                   f"at the margin{kwh}.")
    missed = binding[binding["shortfall_t"] > TOL_T]
    if len(missed):
        years = ", ".join(f"{r.group} {r.year}" for r in missed.itertuples())
        out.append(f"{len(missed)} target{'s are' if len(missed) != 1 else ' is'} missed ({years}): the marginal "
                   f"cost is the localization penalty (${number_text(ci.settings.penalty_localization)}/t), not a "
                   "price of compliance.")
    for r in built.head(3).itertuples():
        if r.value_usd is None or abs(r.value_usd) <= (r.uncertainty_usd or 0.0):
            continue
        out.append(_worth(r))
    clear = unbuilt[(unbuilt["alternative_built"] == "") & (unbuilt["premium_usd"].astype(float)
                                                             > unbuilt["uncertainty_usd"].astype(float))]
    for r in clear.head(3).itertuples():
        out.append(f"{r.project} ({r.name}) is not built: it would need about {_m(r.premium_usd)} of support "
                   f"(${number_text(r.premium_usd_per_t)} per t of qualified output) to be chosen.")
    shown = 5
    for r in shortfalls.head(shown).itertuples():
        out.append(r.explanation)
    rest = shortfalls.iloc[shown:]
    if len(rest):
        targets = int(rest["kind"].astype(str).str.startswith("target").sum())
        demand = len(rest) - targets
        what = [x for x in (f"{targets} missed target{'s' if targets != 1 else ''}" if targets else "",
                            f"{demand} year{'s' if demand != 1 else ''} of unmet demand" if demand else "") if x]
        out.append(f"{len(rest)} more shortfall{'s' if len(rest) != 1 else ''} ({' and '.join(what)}) on the "
                   "shortfalls sheet, each with its reason.")
    return out


def _notes() -> pd.DataFrame:
    rows = [
        ("target cost $/t", "dual of the localization row in the LP with the plan's integer decisions fixed "
                            "(fixed-integer re-solve), per t of required qualifying supply, in money of that year"),
        ("target cost $/kWh", "the $/t dual x target share x tonnes of the family per kWh of cells that year "
                              "(cell_demand GWh): the marginal cost of the target per kWh of extra cell output"),
        ("cost of all targets", "objective of the plan minus the objective of the same case re-solved without any "
                                "localization target (a second MILP solve), discounted"),
        ("marginal supply cost", "dual of the material balance in the fixed-integer LP, per commodity, region and "
                                 "year, in money of that year"),
        ("premium of an unbuilt candidate", "objective with at least one unit forced to start in the candidate's "
                                            "earliest feasible start year, minus the plan's objective; per t: divided "
                                            "by its nameplate times its qualified years in the horizon"),
        ("value of a built candidate", "objective with the project excluded, minus the plan's objective. It is the "
                                       "sum of two parts: the change in penalties (unmet demand, missed targets), "
                                       "shown on its own, and the change in every other cost, which can be negative "
                                       "(without the plant, what it cost to build and run is saved) so the "
                                       "penalty part can be larger than the value itself"),
        ("uncertainty", "each solve stops within the preset's relative gap of the optimum: the sum of both solves' "
                        "distance to HiGHS's bound (objective minus bound) bounds the error of a difference; "
                        "differences within it are not significant and are not reported as findings"),
        ("achievable supply", "an auxiliary solve minimising unmet demand plus missed targets, cost ignored, under "
                              "every lead time, budget, ban and contract limit of the case"),
        ("out of reach / priced out", "a shortfall that remains in the auxiliary solve is out of reach; one that "
                                      "vanishes there is a choice: meeting it costs more than the penalty"),
    ]
    return pd.DataFrame(rows, columns=["item", "how it is computed"])
