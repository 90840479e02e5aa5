"""Substitution groups: commodities that stand in for one another in cell makers' demand."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import pyomo.environ as pyo

from planner.cases.case import CaseInstance
from planner.model.core import MASS, PER_T, Context, Term, add_rows
from planner.model.registry import TableContext, columns, table

if TYPE_CHECKING:
    import pandas as pd


def group_requirements(ci: CaseInstance) -> dict[tuple[str, str, int], float]:
    """(group, region, year) -> the group's requirement [t]: its members' stated demand there, each divided by
    its t_per_t, where the group applies and the requirement is positive (in the order of the groups)."""
    def make() -> dict[tuple[str, str, int], float]:
        out: dict[tuple[str, str, int], float] = {}
        by_cy: dict[tuple[str, int], list[tuple[str, float]]] = defaultdict(list)
        for (c, r, y), d in ci.demand.items():
            by_cy[(c, y)].append((r, d))
        for g in ci.substitution.values():
            req: dict[tuple[str, int], float] = defaultdict(float)
            for mb in g.members:
                for y in ci.years:
                    for r, d in by_cy.get((mb.commodity, y), ()):
                        if g.applies(r, y):
                            req[(r, y)] += d / mb.t_per_t
            for (r, y) in sorted(req):
                if req[(r, y)] > 0:
                    out[(g.id, r, y)] = req[(r, y)]
        return out
    return ci.memo("substitution.requirements", make)


def replaced_demand(ci: CaseInstance) -> set[tuple[str, str, int]]:
    """(commodity, region, year) of stated demand that a group's requirement carries instead."""
    return {k for k in member_keys(ci) if k in ci.demand}


def member_keys(ci: CaseInstance) -> frozenset[tuple[str, str, int]]:
    """(commodity, region, year) where a group's member may serve the group: its demand there is what it
    delivers to the group (`v_serve`), a variable, in place of its stated demand (if any)."""
    return ci.memo("substitution.member_keys", lambda: frozenset(
        (mb.commodity, r, y) for (g, r, y) in group_requirements(ci) for mb in ci.substitution[g].members))


def demand_bound(ci: CaseInstance) -> dict[tuple[str, str, int], float]:
    """(commodity, region, year) -> the most cell makers may ask of the commodity there [t]: its stated demand,
    or, for a member of a substitution group, the whole requirement in its tonnes (t_per_t x the requirement)
    when that is more. The stated demand itself when the case has no group. Families that bound or route flows
    by demand (imports, shipments, the market limit) read this. (The member's max_share would give a tighter
    bound, but one that binds exactly where the share does: the duals of the group's row would then price the
    bound, not the requirement.)"""
    reqs = group_requirements(ci)
    if not reqs:
        return ci.demand
    def make() -> dict[tuple[str, str, int], float]:
        out = dict(ci.demand)
        for (g, r, y), req in reqs.items():
            for mb in ci.substitution[g].members:
                most = mb.t_per_t * req
                if most > out.get((mb.commodity, r, y), 0.0):
                    out[(mb.commodity, r, y)] = most
        return out
    return ci.memo("substitution.demand_bound", make)


def add_substitution(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Substitution groups: commodities that stand in for one another in cell makers' demand.

    $$\sum_{c \in G} \frac{w_{G,c,r,y}}{\epsilon_{G,c}} + u_{G,r,y} = D_{G,r,y} = \sum_{c \in G} \frac{D_{c,r,y}}{\epsilon_{G,c}},
    \qquad \underline s_{G,c} \sum_{k \in G} \frac{w_{G,k,r,y}}{\epsilon_{G,k}} \le \frac{w_{G,c,r,y}}{\epsilon_{G,c}}
    \le \bar s_{G,c} \sum_{k \in G} \frac{w_{G,k,r,y}}{\epsilon_{G,k}}$$

    A group $G$ (sheet `substitution`) applies in its region (or every region) and years. There
    its members' stated demand $D_{c,r,y}$ no longer has to be met commodity by commodity: it makes
    one requirement $D_{G,r,y}$, each member's demand divided by its equivalence ratio
    $\epsilon_{G,c}$ (`t_per_t`, tonnes of the member per tonne of requirement: 1 between graphite
    types, about 0.2 for Si-C). `v_serve[G, c, r, y]` ($w$) is what member $c$ delivers to the
    group: cell makers take it of the member in place of its stated demand (*Demand*), and
    any mix of members meets the requirement, each within its share bounds $\underline s,
    \bar s$ of the part met. What is not met, `v_unmet_group[G, r, y]` ($u_G$, in tonnes of
    requirement), is priced at the settings' penalty for unmet demand, like any unmet demand; the
    members then have no unmet slack of their own there. Without groups, demand stays as stated:
    rigid splits (e.g. 70:30 synthetic to natural graphite) are data, and a group lifts them
    within bounds. Localization targets keep the stated demand as their base. Rows
    `c_substitution[G, r, y]`, `c_share_min[G, c, r, y]`, `c_share_max[G, c, r, y]` (only where a
    bound cuts: a minimum above 0, a maximum below 1).

    Dual of `c_substitution`: the marginal cost of the group's requirement, in $ per t of
    requirement — what one more tonne of (e.g.) graphite-equivalent demand costs, met by the
    cheapest mix the bounds allow.
    """
    ci, acc = ctx.ci, ctx.acc
    reqs = group_requirements(ci)
    if not reqs:
        return
    groups = ci.substitution
    index = [(g, mb.commodity, r, y) for (g, r, y) in reqs for mb in groups[g].members]
    w = ctx.add_var(m, "v_serve", index, within=pyo.NonNegativeReals, doc="member delivered to its group [kt/yr]")
    u = ctx.add_var(m, "v_unmet_group", list(reqs), within=pyo.NonNegativeReals,
                    bounds=lambda _m, g, r, y: (0.0, reqs[(g, r, y)] * MASS), doc="group requirement unmet [kt/yr]")
    pen = ci.settings.penalty_unmet_demand * PER_T
    rows: dict[tuple[str, str, int], tuple[list[Term], str, float]] = {}
    rows_min: dict[tuple[str, str, str, int], tuple[list[Term], str, float]] = {}
    rows_max: dict[tuple[str, str, str, int], tuple[list[Term], str, float]] = {}
    for (g, r, y), req in reqs.items():
        grp = groups[g]
        met = [(1.0 / mb.t_per_t, w[g, mb.commodity, r, y]) for mb in grp.members]
        for mb in grp.members:
            acc.served[(mb.commodity, r, y)].append((1.0, w[g, mb.commodity, r, y]))
            own = 1.0 / mb.t_per_t
            if mb.min_share > 0:
                rows_min[(g, mb.commodity, r, y)] = (
                    [(own, w[g, mb.commodity, r, y])] + [(-mb.min_share * k, v) for k, v in met], ">=", 0.0)
            if mb.max_share < 1:
                rows_max[(g, mb.commodity, r, y)] = (
                    [(own, w[g, mb.commodity, r, y])] + [(-mb.max_share * k, v) for k, v in met], "<=", 0.0)
        rows[(g, r, y)] = (met + [(1.0, u[g, r, y])], "==", req * MASS)
        acc.cost[("penalty_unmet", y)].append((pen, u[g, r, y]))
    add_rows(m, "c_substitution", rows, "the members of a group meet its requirement together")
    add_rows(m, "c_share_min", rows_min, "a member meets at least its share of the group's requirement")
    add_rows(m, "c_share_max", rows_max, "a member meets at most its share of the group's requirement")


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------

SUBSTITUTION_COLUMNS = ["group", "region", "year", "commodity", "stated_demand_t", "served_t", "requirement_met_t",
                        "share", "min_share", "max_share", "t_per_t", "group_requirement_t", "group_unmet_t",
                        "requirement_cost_usd_per_t"]


@table("substitution", description="Substitution groups by region and year: each member's stated demand, what it "
                                   "delivers to the group and its share of the requirement met (within its bounds), "
                                   "the group's requirement, what is left unmet, and its marginal cost.")
def report_substitution(t: TableContext) -> pd.DataFrame:
    import pandas as pd

    ci = t.ci
    reqs = group_requirements(ci)
    w = t.values("v_serve")
    u = t.values("v_unmet_group")
    duals = t.duals("c_substitution")
    rows = []
    for (g, r, y), req in reqs.items():
        grp = ci.substitution[g]
        met = {mb.commodity: w.get((g, mb.commodity, r, y), 0.0) / MASS / mb.t_per_t for mb in grp.members}
        total = sum(met.values())
        dual = duals.get((g, r, y))
        df = ci.settings.discount_factor(y)
        for mb in grp.members:
            rows.append({
                "group": g, "region": r, "year": y, "commodity": mb.commodity,
                "stated_demand_t": ci.demand.get((mb.commodity, r, y), 0.0),
                "served_t": w.get((g, mb.commodity, r, y), 0.0) / MASS, "requirement_met_t": met[mb.commodity],
                "share": met[mb.commodity] / total if total > 0 else None, "min_share": mb.min_share,
                "max_share": mb.max_share, "t_per_t": mb.t_per_t, "group_requirement_t": req,
                "group_unmet_t": u.get((g, r, y), 0.0) / MASS,
                "requirement_cost_usd_per_t": dual / PER_T / df + 0.0 if dual is not None else None,
            })
    return pd.DataFrame(rows, columns=SUBSTITUTION_COLUMNS)


def served_demand(t: TableContext) -> dict[tuple[str, int], float]:
    """(commodity, year) -> demand placed on the commodity after substitution [t]: its stated demand where no
    group replaces it, what it delivers to the groups where one does."""
    def make() -> dict[tuple[str, int], float]:
        ci = t.ci
        replaced = replaced_demand(ci)
        out: dict[tuple[str, int], float] = defaultdict(float)
        for (c, r, y), d in ci.demand.items():
            if (c, r, y) not in replaced:
                out[(c, y)] += d
        for (_g, c, _r, y), v in t.values("v_serve").items():
            out[(c, y)] += v / MASS
        return dict(out)
    return t.memo("substitution.served_demand", make)


@columns("unmet")
def report_unmet(t: TableContext, df: pd.DataFrame) -> pd.DataFrame:
    """unmet: rows (not columns) for the requirement of substitution groups left unmet, under the group's name in
    the commodity column (in tonnes of requirement; demand_t is the group's requirement)."""
    import pandas as pd

    reqs = group_requirements(t.ci)
    short = {k: v / MASS for k, v in t.values("v_unmet_group").items()}
    extra = [{"commodity": g, "region": r, "year": y, "tonnes": q, "demand_t": reqs[(g, r, y)]}
             for (g, r, y), q in short.items() if q > 1e-6]
    if not extra:
        return df
    return pd.concat([df, pd.DataFrame(extra, columns=list(df.columns))], ignore_index=True)
