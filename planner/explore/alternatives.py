"""`planner alternatives`: near-optimal plans (modelling to generate alternatives, MGA).

The question: *is there a plan almost as cheap that we like better?* The least-cost plan is solved
first; then, for each slack (e.g. 1%, 2%, 5%), the plan's own total cost is capped at
(1 + slack) × the optimum (`CostCap`) and

* each secondary objective is optimised in turn (`OBJECTIVES`: U.S.-made CAM+AAM tonnes, PFE
  supply, public cost, states with a plant; both directions where both are meaningful), and
* `count` maximally different plans are generated one after the other, each minimising its overlap
  with the builds already found at that slack (Hop-Skip-Jump MGA, as in PyPSA, GenX and Temoa: the
  objective is the sum of `b_build[p]` weighted by the number of plans found so far that build p,
  with weight -1 for a candidate no plan has built yet, so that new builds are preferred).

Every solve is a task of one `Study` on one base: the built model and its HiGHS session are reused,
the tasks of different slacks run in parallel, each warm-started from the optimum. Must-have
commitments of a slack are the candidates built in every plan found at that slack; never-built ones
are built in none. Both are statements about the plans found, not proofs (a proof would need one
solve per candidate).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from planner.cases import apply_case, load_instance, resolve_case_name
from planner.errors import UsageError
from planner.instance.records import FixedPlan
from planner.results.plan import PLAN_TABLES
from planner.solve.presets import SolverOptions
from planner.study import Base, CostCap, Event, Objective, Study, Task, TaskResult, Variation

#: the families whose tonnes count as active material
ACTIVE = ("CAM", "AAM")
#: secondary objectives: name -> (words, senses to optimise, unit)
OBJECTIVES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "us_made": ("U.S.-made CAM and AAM tonnes", ("max", "min"), "t"),
    "feoc": ("CAM and AAM supplied by prohibited foreign entities (PFE)", ("min",), "t"),
    "public_cost": ("public cost (credits and grants, discounted)", ("min",), "$"),
    "states": ("U.S. states and regions with a plant", ("max", "min"), "count"),
}
SENSE_WORDS = {"max": "most", "min": "least"}
DEFAULT_SLACKS = (0.01, 0.02, 0.05)
#: relative gap and time limit [s] of each alternative's solve (the optimum keeps the preset's)
ALT_GAP = 0.01
ALT_TIME_LIMIT = 60.0
OPTIMUM = "optimum"


@dataclass(frozen=True)
class Alternative:
    """One plan found: which question produced it and what it is."""

    key: str
    slack: float
    kind: str  # optimum | an OBJECTIVES name | mga
    sense: str  # min | max ('' for the optimum and MGA)
    label: str
    state: str  # done | failed | stopped | cancelled
    error: str | None = None
    cost_usd: float | None = None
    kpis: dict[str, float | None] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)  # project -> units built (candidates)
    starts: dict[str, int] = field(default_factory=dict)  # project -> first start year
    proven_optimal: bool = False
    seconds: float = 0.0
    same_as: str = ""  # the key of an earlier alternative with the same builds
    plan: FixedPlan | None = field(default=None, repr=False)  # builds and signings, to re-evaluate the plan

    @property
    def done(self) -> bool:
        return self.state == "done"

    @property
    def built(self) -> frozenset[str]:
        return frozenset(p for p, u in self.units.items() if u > 0)


@dataclass
class Alternatives:
    """The alternatives study of one case: the optimum and every plan found, with what they build."""

    instance: str
    instance_path: str
    instance_sha256: str
    case: str
    slacks: tuple[float, ...]
    objectives: tuple[str, ...]
    count: int
    optimum_usd: float | None
    alternatives: list[Alternative]
    projects: pd.DataFrame  # project, name, status, commodity, family, site
    options: dict[str, Any]
    seconds: float = 0.0
    stopped: bool = False
    warnings: tuple[Any, ...] = ()

    def found(self) -> list[Alternative]:
        return [a for a in self.alternatives if a.done]

    def pct_above(self, a: Alternative) -> float | None:
        if a.cost_usd is None or self.optimum_usd is None or self.optimum_usd == 0:
            return None
        return (a.cost_usd - self.optimum_usd) / abs(self.optimum_usd)

    def summary(self) -> pd.DataFrame:
        """One row per alternative: question, cost, % above the optimum, KPIs, builds."""
        rows = []
        for a in self.alternatives:
            rows.append({
                "alternative": a.key, "slack_share": a.slack, "question": a.label, "state": a.state,
                "total_cost_usd": a.cost_usd, "above_optimum_share": self.pct_above(a),
                **{k: a.kpis.get(k) for k in KPI_COLUMNS},
                "plants_built": len(a.built) if a.done else None,
                "builds": ", ".join(f"{p}×{a.units[p]} ({a.starts[p]})" if a.units[p] > 1 else f"{p} ({a.starts[p]})"
                                    for p in sorted(a.built)) if a.done else "",
                "same_builds_as": a.same_as, "proven_optimal": a.proven_optimal if a.done else None,
                "note": a.error or "", "seconds": a.seconds,
            })
        return pd.DataFrame(rows)

    def _candidates(self) -> pd.DataFrame:
        """The candidate projects (an instance without projects has a projects table without columns)."""
        p = self.projects
        if "status" not in p.columns:
            return pd.DataFrame(columns=["project", "name", "commodity", "site", "status"])
        return p[p["status"] == "candidate"]

    def matrix(self) -> pd.DataFrame:
        """Candidates × alternatives: units built (blank: not built)."""
        found = self.found()
        cand = self._candidates()
        out = cand[["project", "name", "commodity", "site"]].copy()
        for a in found:
            out[a.key] = [a.units.get(p) or None for p in out["project"]]
        out["built_in"] = [sum(1 for a in found if p in a.built) for p in out["project"]]
        return out.reset_index(drop=True)

    def commitments(self) -> pd.DataFrame:
        """Per slack and candidate: built in how many of the plans found within that slack, and the verdict
        (must-have: in every plan; never built: in none; interchangeable otherwise). A plan found at a
        smaller slack is within every larger slack too, so it counts there as well."""
        cand = self._candidates()
        rows = []
        for s in self.slacks:
            plans = [a for a in self.found() if a.slack <= s + 1e-12]
            if not plans:
                continue
            for _i, r in cand.iterrows():
                n = sum(1 for a in plans if r["project"] in a.built)
                verdict = "must-have" if n == len(plans) else "never built" if n == 0 else "interchangeable"
                rows.append({"slack_share": s, "project": r["project"], "name": r["name"], "commodity": r["commodity"],
                             "site": r["site"], "plans": len(plans), "built_in": n, "verdict": verdict})
        return pd.DataFrame(rows, columns=["slack_share", "project", "name", "commodity", "site", "plans",
                                           "built_in", "verdict"])


#: the KPIs of each alternative (besides its cost), in the summary's order
KPI_COLUMNS = ("us_made_t", "us_made_share", "pfe_supply_t", "pfe_supply_share", "public_cost_usd", "states",
               "capex_committed_usd", "unmet_demand_t", "localization_shortfall_t")


# ---------------------------------------------------------------------------------- objectives
def objective_terms(name: str, ci: Any, model: Any = None) -> tuple[tuple[str, Any, float], ...]:
    """The terms of secondary objective `name` over the model's columns (values in model units)."""
    from planner.model.sourcing import PFE, contract_grade, plant_grade

    fam = {c: x.family for c, x in ci.commodities.items()}
    if name == "us_made":
        return tuple(("v_prod", (p, y), 1.0) for p, y in ci.sets.prod
                     if fam[ci.projects[p].commodity] in ACTIVE and ci.regions[ci.projects[p].site].domestic)
    if name == "feoc":
        out = [("v_prod", (p, y), 1.0) for p, y in ci.sets.prod
               if fam[ci.projects[p].commodity] in ACTIVE and plant_grade(ci, ci.projects[p]) == PFE]
        out += [("v_import", (k, y), 1.0) for k, y in ci.sets.imports
                if fam[ci.contracts[k].commodity] in ACTIVE and contract_grade(ci.contracts[k]) == PFE]
        return tuple(out)
    if name == "public_cost":
        from planner.model.objectives import cost_kind_terms

        return tuple((v, k, -c) for v, k, c in cost_kind_terms(model, ci, "credit"))
    if name == "states":
        from planner.model.families.sites import site_regions
        from planner.model.core import Accumulators, Context

        ctx = Context(ci=ci, sets=ci.sets, pol=ci.policy, acc=Accumulators())
        return tuple(("v_site", r, 1.0) for r in sorted(site_regions(ctx)))
    raise UsageError(f"unknown objective '{name}': use {', '.join(OBJECTIVES)}")


def kpis_of(sol: Any, ci: Any) -> dict[str, float | None]:
    """The KPIs of an alternative, from its Solution's tables."""
    from planner.model.sourcing import PFE, plant_grade

    fam = {c: x.family for c, x in ci.commodities.items()}
    prod = sol.table("production")
    supply = sol.table("supply")
    sup = supply[supply["family"].isin(ACTIVE)]
    demand = float(sup["demand_t"].sum())
    p_act = prod[prod["commodity"].map(fam).isin(ACTIVE)]
    # masks as bool: on a plan with no output at all, an empty object mask would select columns, not rows
    dom = p_act[p_act["site"].map(lambda r: ci.regions[r].domestic).astype(bool)]
    us = float(dom["output_t"].sum())
    pfe_plants = p_act[p_act["project"].map(lambda p: plant_grade(ci, ci.projects[p]) == PFE).astype(bool)]
    pfe = float(pfe_plants["output_t"].sum()) + float(sup["feoc_imports_t"].sum())
    builds = sol.builds
    present = builds[builds["decision"].isin(["build", "existing", "committed"])]
    states = {s for s in present["site"] if ci.regions[s].domestic}
    loc = sol.table("localization")
    return {
        "us_made_t": us, "us_made_share": us / demand if demand > 0 else None,
        "pfe_supply_t": pfe, "pfe_supply_share": pfe / demand if demand > 0 else None,
        "public_cost_usd": _num(sol.kpi("public_cost_usd")), "states": float(len(states)),
        "capex_committed_usd": _num(sol.kpi("capex_committed_usd")),
        "unmet_demand_t": _num(sol.kpi("unmet_demand_t")),
        "localization_shortfall_t": float(loc["shortfall_t"].sum()) if not loc.empty else 0.0,
    }


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


# ---------------------------------------------------------------------------------- the study
def parse_slacks(text: str | tuple[float, ...] | list[float] | None) -> tuple[float, ...]:
    if text is None:
        return DEFAULT_SLACKS
    vals: list[float] = []
    items = text.split(",") if isinstance(text, str) else list(text)
    for x in items:
        s = str(x).strip().rstrip("%")
        if not s:
            continue
        try:
            v = float(s) / (100.0 if str(x).strip().endswith("%") else 1.0)
        except ValueError:
            raise UsageError(f"--slack takes shares separated by commas (e.g. 0.01,0.02 or 1%,2%), not '{x}'") from None
        if not (0.0 <= v <= 1.0) or math.isnan(v):
            raise UsageError(f"a slack is a share of the optimum's cost between 0 and 1 (e.g. 0.01 for 1%), not {x}")
        vals.append(v)
    if not vals:
        raise UsageError("give at least one slack (e.g. --slack 0.01)")
    return tuple(sorted(set(vals)))


def parse_objectives(text: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    if text is None:
        return tuple(OBJECTIVES)
    items = [x.strip() for x in (text.split(",") if isinstance(text, str) else text) if x.strip()]
    unknown = [x for x in items if x not in OBJECTIVES]
    if unknown:
        raise UsageError(f"unknown objective{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}: "
                         f"use {', '.join(OBJECTIVES)}")
    return tuple(dict.fromkeys(items))


def slack_words(s: float) -> str:
    return f"{s * 100:g}%"


def run_alternatives(path: str | Path, *, case: str | None = None, slacks: tuple[float, ...] = DEFAULT_SLACKS,
                     objectives: tuple[str, ...] = tuple(OBJECTIVES), count: int = 2, options: SolverOptions,
                     jobs: int = 1, on_event: Event | None = None, gap: float = ALT_GAP,
                     time_limit: float = ALT_TIME_LIMIT, before_solving: Callable[[Any, str], None] | None = None) -> Alternatives:
    """Solve the optimum of `case`, then the alternatives within each slack (see the module's doc).

    Validation errors are raised before anything is solved; so is anything `before_solving(instance,
    case)` raises. A Ctrl-C stops every solve; the alternatives found until then are returned with
    `stopped` set (the optimum must have been found, else the KeyboardInterrupt propagates)."""
    t0 = time.perf_counter()
    path = Path(path)
    inst = load_instance(path)
    case_name = resolve_case_name(inst, case)
    if count < 0:
        raise UsageError("--count must be 0 or more")
    if before_solving is not None:
        before_solving(inst, case_name)
    ci = apply_case(inst, case_name)
    model = None
    if "public_cost" in objectives:
        from planner.model.build import build_model

        model = build_model(ci)  # the credit terms come from the model's cost accumulator
    terms = {o: objective_terms(o, ci, model) for o in objectives}
    candidates = list(ci.sets.candidates)
    del model
    data = path.read_bytes()
    base = Base(str(path), hashlib.sha256(data).hexdigest(), case_name, data=data)
    highs = dict(options.highs)
    if jobs > 1:
        highs["threads"] = 1
    # an alternative needs its cost within the cap (a row), not a proof that its secondary objective is best
    alt_highs = {**highs, "mip_rel_gap": gap, "time_limit": min(float(highs.get("time_limit", time_limit)), time_limit)}
    projects = pd.DataFrame([{"project": p, "name": x.name, "status": x.status, "commodity": x.commodity,
                              "family": ci.commodities[x.commodity].family, "site": x.site}
                             for p, x in ci.projects.items()])
    out = Alternatives(inst.name, str(path.resolve()), inst.sha256, case_name, tuple(slacks), tuple(objectives), count,
                       None, [], projects, {"preset": options.preset, "highs_options": highs, "jobs": jobs,
                                            "alternative_options": alt_highs},
                       warnings=tuple(inst.warnings))
    found: dict[str, Alternative] = {}
    order: list[str] = []
    meta: dict[str, tuple[float, str, str, str]] = {}  # key -> (slack, kind, sense, label)

    def alt_of(r: TaskResult) -> Alternative:
        slack, kind, sense, label = meta[r.key]
        if not r.done or r.solution is None:
            return Alternative(r.key, slack, kind, sense, label, r.state, error=r.error or r.state, seconds=r.seconds)
        sol = r.solution
        b = sol.builds
        new = b[b["decision"] == "build"]
        units: dict[str, int] = {}
        starts: dict[str, int] = {}
        for p, u, s in zip(new["project"], new["units"], new["start_year"]):
            units[p] = units.get(p, 0) + int(u)
            starts[p] = min(starts.get(p, int(s)), int(s))
        same = next((k for k in order if found[k].done and found[k].units == units), "")
        return Alternative(r.key, slack, kind, sense, label, "done", cost_usd=_num(sol.kpi("total_cost_usd")),
                           kpis=kpis_of(sol, ci), units=units, starts=starts,
                           proven_optimal=bool(sol.status.get("proven_optimal")), seconds=r.seconds, same_as=same,
                           plan=r.plan)

    def task(key: str, variation: Variation) -> Task:
        return Task(key, base, variation, options=highs if key == OPTIMUM else alt_highs, preset=options.preset, duals=False,
                    tables=tuple(dict.fromkeys((*PLAN_TABLES, "production", "supply", "localization", "kpis"))))

    def mga_key(s: float, i: int) -> str:
        return f"{slack_words(s)}: different plan {i}"

    def mga(s: float, i: int) -> Task:
        plans = [a for a in found.values() if a.done and a.slack <= s + 1e-12]
        weight: dict[str, float] = {}
        for a in plans:
            for p in a.built:
                weight[p] = weight.get(p, 0.0) + 1.0
        # Hop-Skip-Jump: each build a plan already made counts once per plan that made it; a candidate no plan
        # has built counts -1, so that, of two plans with the same overlap, the one building more new is chosen
        coefs = {p: weight.get(p, -1.0) for p in candidates}
        obj = Objective(f"least overlap with {len(plans)} plans", tuple(("b_build", p, w) for p, w in sorted(coefs.items())),
                        sense="min", unit="plans")
        key = mga_key(s, i)
        meta[key] = (s, "mga", "", f"plan {i} least like the {len(plans)} plans found within {slack_words(s)}")
        return task(key, Variation(key, objective=obj, cost_cap=CostCap(usd=cap[s])))

    cap: dict[float, float] = {}
    pending: dict[float, set[str]] = {s: set() for s in slacks}
    next_mga: dict[float, int] = {s: 1 for s in slacks}
    st: Study | None = None
    try:
        st = Study(jobs=jobs, on_event=on_event)
        with st:
            meta[OPTIMUM] = (0.0, "optimum", "", "least total cost")
            st.submit(task(OPTIMUM, Variation()))
            for r in st.results():
                a = alt_of(r)
                found[a.key] = a
                order.append(a.key)
                if r.key == OPTIMUM:
                    if not a.done or a.cost_usd is None:
                        break
                    out.optimum_usd = a.cost_usd
                    opt = float(r.objective_usd if r.objective_usd is not None else a.cost_usd)
                    for s in slacks:
                        cap[s] = opt + s * abs(opt)
                        for o in objectives:
                            words, senses, unit = OBJECTIVES[o]
                            for sense in senses:
                                key = f"{slack_words(s)}: {SENSE_WORDS[sense]} {o}"
                                meta[key] = (s, o, sense, f"{SENSE_WORDS[sense]} {words}")
                                obj = Objective(key, terms[o], sense=sense, unit=unit)
                                st.submit(task(key, Variation(key, objective=obj, cost_cap=CostCap(usd=cap[s]))))
                                pending[s].add(key)
                        if not pending[s] and count > 0:
                            t = mga(s, 1)
                            next_mga[s] = 2
                            pending[s].add(t.key)
                            st.submit(t)
                    continue
                s = meta[r.key][0]
                pending[s].discard(r.key)
                if not pending[s] and next_mga[s] <= count:
                    t = mga(s, next_mga[s])
                    next_mga[s] += 1
                    pending[s].add(t.key)
                    st.submit(t)
    except KeyboardInterrupt:
        if out.optimum_usd is None:
            raise
        out.stopped = True
        finished = st.finished if st is not None else {}
        for k, r in finished.items():
            if k not in found and k in meta:
                found[k] = alt_of(r)
                order.append(k)
    for k in meta:  # every question asked, in the order asked
        if k not in found:
            s, kind, sense, label = meta[k]
            found[k] = Alternative(k, s, kind, sense, label, "cancelled", error="not solved: the study was stopped")
            order.append(k)
    out.alternatives = [found[k] for k in order]
    out.seconds = time.perf_counter() - t0
    return out


__all__ = ["Alternative", "Alternatives", "OBJECTIVES", "objective_terms", "parse_objectives", "parse_slacks",
           "run_alternatives"]
