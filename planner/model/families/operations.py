"""Plant operations: operate or mothball, cancel, retire early (existing and committed plants)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyomo.environ as pyo

from planner.cases.case import CaseInstance
from planner.instance.records import Project
from planner.model.core import MASS, MONEY, Context, Term, add_rows
from planner.model.registry import TableContext, columns, register_cost_component, table

if TYPE_CHECKING:
    import pandas as pd

register_cost_component("restart")
register_cost_component("cancellation")
register_cost_component("retirement")


@dataclass(frozen=True)
class OpsIndex:
    """The sparse index of the operating decisions of one case."""

    mothball: tuple[tuple[str, int], ...]  # (plant, year): operate or mothball (b_operate)
    restart: tuple[tuple[str, int], ...]  # (plant, year) with a restart cost after a mothballed year before
    cancel: tuple[str, ...]  # committed plants the plan may cancel (b_cancel)
    retire: tuple[tuple[str, int], ...]  # (plant, year): retired early by then (b_retire), online years
    plants: tuple[str, ...]  # every plant with a decision

    @property
    def empty(self) -> bool:
        return not self.plants


def ops_index(ci: CaseInstance) -> OpsIndex:
    """Which existing and committed plants have which operating decision in the case."""
    return ci.memo("operations.index", lambda: _index(ci))


def may_cancel(ci: CaseInstance, p: Project) -> bool:
    """A committed plant flagged cancellable that is not yet online in the horizon's first year."""
    first = ci.years[0]
    return p.status == "committed" and p.cancellable and p.online_year(p.earliest_start) > first


def _index(ci: CaseInstance) -> OpsIndex:
    sets = ci.sets
    prod_years: dict[str, list[int]] = defaultdict(list)
    for p, y in sets.prod:
        prod_years[p].append(y)
    online_years: dict[str, list[int]] = defaultdict(list)
    for p, y in sets.online:
        online_years[p].append(y)
    mothball: list[tuple[str, int]] = []
    restart: list[tuple[str, int]] = []
    cancel: list[str] = []
    retire: list[tuple[str, int]] = []
    for pid, prj in ci.projects.items():
        if not prj.fixed or not sets.starts.get(pid):
            continue
        if prj.fixed_om_avoidable > 0 and prj.fixed_om > 0:
            ys = sorted(prod_years.get(pid, ()))
            mothball += [(pid, y) for y in ys]
            if prj.restart_cost > 0:
                restart += [(pid, y) for y in ys if y - 1 in ys]
        if may_cancel(ci, prj):
            cancel.append(pid)
        if prj.early_retirement:
            retire += [(pid, y) for y in sorted(online_years.get(pid, ()))]
    plants = tuple(dict.fromkeys([p for p, _ in mothball] + cancel + [p for p, _ in retire]))
    return OpsIndex(tuple(mothball), tuple(restart), tuple(cancel), tuple(retire), plants)


def capex_split(ci: CaseInstance, p: Project) -> tuple[float, float]:
    """(share of the plant's capex not yet spent in the horizon's first year, the interest-during-construction
    factor of that unspent part) — capex is spent evenly over the construction years (`Project.spend_years`);
    what is spent before the first year is sunk. The second value is the part iota^u of the plant's
    factor iota (`Project.construction_interest`) that the unspent years carry: the annuity of the
    capex is CRF x iota x I, and CRF x iota^u x I is the part a cancellation saves."""
    first = ci.years[0]
    spend = p.spend_years(p.earliest_start)
    unspent = [k for k, y in enumerate(spend) if y >= first]
    money = len(unspent) / len(spend)
    r, t = ci.settings.discount_rate, p.construction_years
    if t == 0 or r == 0.0:
        return money, money
    return money, sum((1.0 + r) ** (t - k) for k in unspent) / t


def add_operations(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Plant operations: existing and committed plants operated or mothballed, cancelled, or retired early.

    $$x_{p,y} \le K_{p,y}\, o_{p,y} \;\; \text{or} \;\; x_{p,y} \le K_{p,y} (1 - c_p - \rho_{p,y}), \qquad
    o_{p,y} + c_p + \rho_{p,y} \le 1, \qquad \rho_{p,y-1} \le \rho_{p,y}, \qquad
    v_{p,y} \ge o_{p,y} - o_{p,y-1}$$

    $$C^{FOM}_{p,y} = F_p \bar U_p \big[(1 - \alpha_p)(1 - c_p - \rho_{p,y}) + \alpha_p\, o_{p,y}\big], \qquad
    C^{cap}_{p,y} = \text{CRF}_p\, \iota_p\, I_p \bar U_p - \text{CRF}_p\, \iota^{u}_p\, I_p \bar U_p\, c_p$$

    Existing and committed plants are built by assumption ($\bar U_p$ units, output within
    $K_{p,y} = \kappa_p \sum_s a_{p,s,y} U_{p,s}$, see *Production limit*); what the plan may still
    decide about them, where the projects sheet allows it:

    * **Operate or mothball** (`fixed_om_avoidable` $\alpha_p > 0$): `b_operate[p, y]` ($o_{p,y}$) in
      each year the plant may deliver. A mothballed year ($o = 0$) delivers nothing and saves the
      avoidable share $\alpha_p$ of the fixed O&M $F_p$; operating again after a mothballed year
      costs `restart_cost`, through `v_restart[p, y]` ($v_{p,y} \ge 0$; the plant is taken to have
      operated before the horizon, and a committed plant's first year is its start, not a restart).
      Candidates have no mothball decision: a candidate is built when the plan needs it, so a
      mothballed new plant would only shift its start year, and the decision would need the
      product of its integer units and a binary per year.
    * **Cancel** (`cancellable`, a committed plant not yet online in the horizon's first year
      $y_0$): `b_cancel[p]` ($c_p$), decided at $y_0$. A cancelled plant never delivers and pays no
      fixed O&M; of its capex $I_p \bar U_p$, spent evenly over the construction years, the part
      spent before $y_0$ is sunk and stays charged as it is without the decision (the annuity over
      the plant's in-horizon online years, *Capital costs*), the rest is saved: the saving is the
      same annuity on the unspent part, $\iota^u_p$ being the share of the interest-during-construction
      factor $\iota_p$ that the unspent years carry (with $r = 0$ and the plant's whole life in the
      horizon: exactly the unspent capex). `cancellation_cost` is paid in $y_0$. A cancelled plant
      keeps only the part of its grant that matches the capex spent (*Grants*) and never claims an
      allocated 48C credit (*48C*); its offtake agreements lapse (*Offtake agreements*). Its
      exclusive group stays taken.
    * **Retire early** (`early_retirement`): `b_retire[p, y]` ($\rho_{p,y}$, monotone) in the plant's
      online years: retired from the first year it is 1, for good. A retired plant delivers nothing
      and pays no fixed O&M; its capex (sunk) is charged as before. `retirement_cost` is paid in
      the first retired year: $R_p (\rho_{p,y} - \rho_{p,y-1})$.

    The fixed O&M of every online year is the row's $C^{FOM}$ (full when operating, the unavoidable
    part when mothballed, nothing when cancelled or retired; $\alpha = 0$ in a year without a
    mothball decision). Rows `c_operate[p, y]` (output only when operating, not cancelled, not
    retired), `c_state[p, y]` (one state at a time), `c_retire_order[p, y]`, `c_restart[p, y]`,
    `c_cancel_or_retire[p]` (a plant both cancellable and retirable is one or the other).

    Dual of `c_operate` (from the LP with the decisions fixed at the plan, ≤ 0): in a year the plant
    operates, the value of one more tonne of its capacity, as for *Production limit*; 0 where it
    idles. The other rows only link binaries: their duals are not meaningful.
    """
    ci, acc, sets = ctx.ci, ctx.acc, ctx.sets
    idx = ops_index(ci)
    if idx.empty:
        return
    if idx.mothball:
        ctx.add_var(m, "b_operate", list(idx.mothball), within=pyo.Binary, doc="plant operated [0/1]")
    if idx.restart:
        ctx.add_var(m, "v_restart", list(idx.restart), within=pyo.NonNegativeReals, bounds=(0.0, 1.0),
                    doc="plant restarted after a mothballed year [0/1]")
    if idx.cancel:
        ctx.add_var(m, "b_cancel", list(idx.cancel), within=pyo.Binary, doc="committed plant cancelled [0/1]")
    if idx.retire:
        ctx.add_var(m, "b_retire", list(idx.retire), within=pyo.Binary, doc="plant retired early by then [0/1]")
    op = ctx.v.get("b_operate", {})
    restart = ctx.v.get("v_restart", {})
    cancel = ctx.v.get("b_cancel", {})
    retire = ctx.v.get("b_retire", {})
    y0 = sets.years[0]
    rows_out: dict[tuple[str, int], tuple[list[Term], str, float]] = {}
    rows_state: dict[tuple[str, int], tuple[list[Term], str, float]] = {}
    rows_order: dict[tuple[str, int], tuple[list[Term], str, float]] = {}
    rows_restart: dict[tuple[str, int], tuple[list[Term], str, float]] = {}
    rows_exclusive: dict[str, tuple[list[Term], str, float]] = {}
    for p in idx.plants:
        prj = ci.projects[p]
        units = float(prj.units_max)
        fom = prj.fixed_om * units * MONEY
        alpha = prj.fixed_om_avoidable if prj.fixed_om > 0 else 0.0
        c = cancel.get(p)
        last_retire = None
        for y in sets.years:
            x_cap = sum(a for _s, a in sets.deliverable.get((p, y), ())) * units * prj.capacity * MASS
            o, rho = op.get((p, y)), retire.get((p, y))
            if (p, y) in sets.prod:
                x = ctx.v["v_prod"][p, y]
                if o is not None:
                    rows_out[(p, y)] = ([(1.0, x), (-x_cap, o)], "<=", 0.0)
                    if c is not None or rho is not None:
                        rows_state[(p, y)] = ([(1.0, o)] + ([(1.0, c)] if c is not None else [])
                                              + ([(1.0, rho)] if rho is not None else []), "<=", 1.0)
                elif c is not None or rho is not None:
                    rows_out[(p, y)] = ([(1.0, x)] + ([(x_cap, c)] if c is not None else [])
                                        + ([(x_cap, rho)] if rho is not None else []), "<=", x_cap)
            if (p, y) in sets.online and fom:
                share = (1.0 - alpha) if o is not None else 1.0
                if c is not None:
                    acc.cost[("fixed_om", y)].append((-share * fom, c))
                if rho is not None:
                    acc.cost[("fixed_om", y)].append((-share * fom, rho))
                if o is not None and alpha:
                    acc.cost_constant[("fixed_om", y)] -= alpha * fom
                    acc.cost[("fixed_om", y)].append((alpha * fom, o))
            if rho is not None:
                if last_retire is not None:
                    rows_order[(p, y)] = ([(1.0, last_retire), (-1.0, rho)], "<=", 0.0)
                if prj.retirement_cost:
                    acc.cost[("retirement", y)].append((prj.retirement_cost * MONEY, rho))
                    if last_retire is not None:
                        acc.cost[("retirement", y)].append((-prj.retirement_cost * MONEY, last_retire))
                last_retire = rho
            v = restart.get((p, y))
            if v is not None:
                rows_restart[(p, y)] = ([(1.0, v), (-1.0, o), (1.0, op[(p, y - 1)])], ">=", 0.0)
                acc.cost[("restart", y)].append((prj.restart_cost * MONEY, v))
        if c is not None:
            if last_retire is not None:  # cancelled and retired are exclusive (each saves the fixed O&M)
                rows_exclusive[p] = ([(1.0, c), (1.0, last_retire)], "<=", 1.0)
            if prj.cancellation_cost:
                acc.cost[("cancellation", y0)].append((prj.cancellation_cost * MONEY, c))
            _, iota_unspent = capex_split(ci, prj)
            saved = ci.crf(prj) * iota_unspent * prj.capex * units * MONEY
            if saved:
                for y in sets.years:
                    if (p, y) in sets.online:
                        acc.cost[("capex_sunk", y)].append((-saved, c))  # the unspent capex is not spent
    add_rows(m, "c_operate", rows_out, "output only while operating, not cancelled, not retired")
    add_rows(m, "c_state", rows_state, "a plant is operating, mothballed, cancelled or retired")
    add_rows(m, "c_retire_order", rows_order, "retired for good")
    add_rows(m, "c_restart", rows_restart, "a restart after a mothballed year")
    add_rows(m, "c_cancel_or_retire", rows_exclusive, "a plant is cancelled or retired early, not both")


def deliverable_units(m: pyo.ConcreteModel, ctx: Context, p: str, y: int) -> tuple[float, list[Term]]:
    r"""$\sum_s a_{p,s,y} U_{p,s}$, the units of plant $p$ able to deliver in year $y$ (ramp-up included), as a
    constant and terms: the fixed units of existing and committed plants less those the plan cancels or retires
    early, the unit variables of candidates."""
    const = 0.0
    terms: list[Term] = []
    fixed = ctx.sets.fixed_units
    for s, a in ctx.sets.deliverable.get((p, y), ()):
        n = fixed.get((p, s))
        if n is not None:
            const += a * n
        else:
            terms.append((a, ctx.v["v_units"][p, s]))
    if const:
        c = ctx.v.get("b_cancel", {}).get(p)
        rho = ctx.v.get("b_retire", {}).get((p, y))
        terms += [(-const, v) for v in (c, rho) if v is not None]
    return const, terms


# --------------------------------------------------------------------------------------------
# the plan's decisions, as the result tables read them
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlantStates:
    """The operating decisions of a solved plan."""

    cancelled: frozenset[str]
    retired_from: dict[str, int]  # plant -> first year retired early
    mothballed: frozenset[tuple[str, int]]  # (plant, year)
    restarts: frozenset[tuple[str, int]]  # (plant, year) restarted


def plant_states(t: TableContext) -> PlantStates:
    """The plan's cancellations, early retirements, mothballed years and restarts (once per solve)."""
    def make() -> PlantStates:
        cancel = t.values("b_cancel")
        retire = t.values("b_retire")
        op = t.values("b_operate")
        restart = t.values("v_restart")
        retired: dict[str, int] = {}
        for (p, y), v in sorted(retire.items(), key=lambda kv: kv[0][1]):
            if v > 0.5 and p not in retired:
                retired[p] = y
        cancelled = frozenset(p for p, v in cancel.items() if v > 0.5)
        mothballed = frozenset((p, y) for (p, y), v in op.items()
                               if v < 0.5 and p not in cancelled and not (p in retired and y >= retired[p]))
        return PlantStates(cancelled, retired, mothballed, frozenset(k for k, v in restart.items() if v > 0.5))
    return t.memo("operations.states", make)


def plan_units(t: TableContext, p: str, s: int) -> float:
    """Units of build option (p, s) in the solved plan: the fixed units of existing and committed plants (none
    when the plan cancels the plant), the units the plan builds of candidates."""
    fixed = t.sets.fixed_units.get((p, s))
    if fixed is not None:
        return 0.0 if t.ok and p in plant_states(t).cancelled else float(fixed)
    units = t.memo("v_units", lambda: t.values("v_units"))
    return round(units.get((p, s), 0.0)) if t.ok else 0.0


def retire_year(t: TableContext, p: str, s: int) -> int:
    """First year build option (p, s) is no longer online in the plan: its lifetime's end, or the plan's early
    retirement."""
    natural = t.ci.projects[p].retire_year(s)
    early = plant_states(t).retired_from.get(p) if t.ok else None
    return min(natural, early) if early is not None else natural


def units_in_plan(t: TableContext, p: str, y: int) -> float:
    """The units of plant `p` able to deliver in year `y` in the solved plan (ramp-up included), after its
    cancellation or early retirement."""
    return sum(a * plan_units(t, p, s) for s, a in t.sets.deliverable.get((p, y), ()) if y < retire_year(t, p, s))


# --------------------------------------------------------------------------------------------
# results: existing and committed plants, year by year and whole
# --------------------------------------------------------------------------------------------

OPERATION_COLUMNS = ["project", "status", "year", "state", "available_t", "output_t", "idle_t", "fixed_om_usd",
                     "fixed_om_saved_usd", "restart_cost_usd"]


def _fixed_plants(t: TableContext) -> list[str]:
    return [p for p, prj in t.ci.projects.items() if prj.fixed and t.sets.starts.get(p)]


def _year_rows(t: TableContext) -> list[dict[str, object]]:
    """One record per existing or committed plant and year it is (or would be) online or able to deliver."""
    def make() -> list[dict[str, object]]:
        ci, sets = t.ci, t.sets
        st = plant_states(t)
        out = {k: v / MASS for k, v in t.values("v_prod").items()}
        rows: list[dict[str, object]] = []
        for p in _fixed_plants(t):
            prj = ci.projects[p]
            units = float(prj.units_max)
            fom = prj.fixed_om * units
            alpha = prj.fixed_om_avoidable if prj.fixed_om > 0 else 0.0
            for y in ci.years:
                online = (p, y) in sets.online
                avail = sum(a for _s, a in sets.deliverable.get((p, y), ())) * units * prj.capacity
                if not online and avail <= 0:
                    continue
                x = out.get((p, y), 0.0)
                if p in st.cancelled:
                    state, paid = "cancelled", 0.0
                elif p in st.retired_from and y >= st.retired_from[p]:
                    state, paid = "retired early", 0.0
                elif (p, y) in st.mothballed:
                    state, paid = "mothballed", (1.0 - alpha) * fom
                elif avail <= 0:
                    state, paid = "not yet qualified", fom
                else:
                    state, paid = ("operating" if x > 1e-6 else "idle"), fom
                rows.append({
                    "project": p, "status": prj.status, "year": y, "state": state, "available_t": avail,
                    "output_t": x, "idle_t": max(avail - x, 0.0), "fixed_om_usd": paid if online else 0.0,
                    "fixed_om_saved_usd": (fom - paid) if online else 0.0,
                    "restart_cost_usd": prj.restart_cost if (p, y) in st.restarts else 0.0,
                })
        return rows
    return t.memo("operations.year_rows", make) if t.ok else []


@table("operations", description="Existing and committed plants year by year: operating, idle, mothballed, "
                                 "cancelled or retired early; the output they could deliver and what they deliver "
                                 "(idle = the difference); fixed O&M paid and saved.")
def report_operations(t: TableContext) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(_year_rows(t), columns=OPERATION_COLUMNS)


COMMITMENT_COLUMNS = ["project", "name", "status", "commodity", "site", "capacity_t", "decision", "retire_year",
                      "mothballed_years", "deliverable_t", "output_t", "idle_t", "idle_share", "capex_usd",
                      "capex_sunk_usd", "capex_saved_usd", "cancellation_cost_usd", "retirement_cost_usd",
                      "restart_cost_usd", "fixed_om_saved_usd", "grant_usd", "credit_48c_usd", "public_support_usd"]


def _commitment_rows(t: TableContext) -> list[dict[str, object]]:
    def make() -> list[dict[str, object]]:
        ci = t.ci
        pol = ci.policy
        st = plant_states(t)
        grant = {k: v / MONEY for k, v in t.values("v_grant").items()}
        by_plant: dict[str, list[dict[str, object]]] = defaultdict(list)
        for r in _year_rows(t):
            by_plant[str(r["project"])].append(r)
        rows: list[dict[str, object]] = []
        for p in _fixed_plants(t):
            prj = ci.projects[p]
            s = prj.earliest_start
            years = by_plant.get(p, [])
            avail = sum(float(r["available_t"]) for r in years)  # type: ignore[arg-type]
            x = sum(float(r["output_t"]) for r in years)  # type: ignore[arg-type]
            cancelled = p in st.cancelled
            early = st.retired_from.get(p)
            capex = prj.capex * prj.units_max
            unspent, _ = capex_split(ci, prj)
            if cancelled:
                decision = "cancelled"
            elif early is not None:
                decision = f"retired early in {early}"
            elif any(r["state"] == "mothballed" for r in years):
                decision = "mothballed in some years"
            elif avail > 0 and x <= 1e-6:
                decision = "kept, idle"
            else:
                decision = "kept"
            c48 = prj.credit_48c_awarded if (pol.x48c_awarded_paid and not cancelled) else 0.0
            g = sum(v for (pp, _s), v in grant.items() if pp == p)
            rows.append({
                "project": p, "name": prj.name, "status": prj.status, "commodity": prj.commodity, "site": prj.site,
                "capacity_t": prj.capacity * prj.units_max, "decision": decision,
                "retire_year": None if cancelled else (early if early is not None else prj.retire_year(s)),
                "mothballed_years": ", ".join(str(r["year"]) for r in years if r["state"] == "mothballed"),
                "deliverable_t": avail, "output_t": x, "idle_t": max(avail - x, 0.0),
                "idle_share": (avail - x) / avail if avail > 0 else None,
                "capex_usd": capex, "capex_sunk_usd": capex * (1.0 - unspent) if cancelled else capex,
                "capex_saved_usd": capex * unspent if cancelled else 0.0,
                "cancellation_cost_usd": prj.cancellation_cost if cancelled else 0.0,
                "retirement_cost_usd": prj.retirement_cost if early is not None else 0.0,
                "restart_cost_usd": sum(float(r["restart_cost_usd"]) for r in years),  # type: ignore[arg-type]
                "fixed_om_saved_usd": sum(float(r["fixed_om_saved_usd"]) for r in years),  # type: ignore[arg-type]
                "grant_usd": g, "credit_48c_usd": c48, "public_support_usd": g + c48,
            })
        return rows
    return t.memo("operations.commitment_rows", make) if t.ok else []


@table("existing_plants", description="Existing and committed plants over the horizon: what the plan does with them "
                                  "(kept, idle, mothballed, cancelled, retired early), their idle capacity, their "
                                  "capex (sunk, saved by a cancellation) and the public support they receive.")
def report_existing_plants(t: TableContext) -> pd.DataFrame:
    import pandas as pd

    df = pd.DataFrame(_commitment_rows(t), columns=COMMITMENT_COLUMNS)
    df["retire_year"] = df["retire_year"].astype("Int64")
    return df


@columns("kpis")
def report_kpis(t: TableContext, df: pd.DataFrame) -> pd.DataFrame:
    """kpis: rows (not columns) on existing and committed plants: the committed plants the plan cancels (named in
    the note, which the summary shows) and the plants it retires early (their idle capacity is the kpis of the
    idle_capacity table)."""
    import pandas as pd

    rows = _commitment_rows(t)
    ok = t.ok
    cancelled = [r for r in rows if r["decision"] == "cancelled"]
    retired = [r for r in rows if str(r["decision"]).startswith("retired early")]

    def named(rs: list[dict[str, object]]) -> str:
        if not rs:
            return "none"
        out = []
        for r in rs:
            what = (f"capex saved ${float(r['capex_saved_usd']) / 1e6:,.1f}M"  # type: ignore[arg-type]
                    if r["decision"] == "cancelled" else str(r["decision"]))
            out.append(f"{r['name']} ({r['project']}), {what}")
        return "; ".join(out)

    new = [
        ("committed_plants_cancelled", len(cancelled) if ok else None, "count",
         "committed plants the plan would cancel: " + named(cancelled)),
        ("plants_retired_early", len(retired) if ok else None, "count",
         "existing and committed plants the plan retires early: " + named(retired)),
    ]
    if not _fixed_plants(t):
        return df
    extra = pd.DataFrame(new, columns=["kpi", "value", "unit", "note"])
    return pd.concat([df, extra], ignore_index=True) if len(df) else extra
