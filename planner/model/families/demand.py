"""Demand: cell makers' demand served from the balances, or left unmet at a price.

The demand side of the model in one family. For most commodities demand is simply the right-hand
side of the region's balance row and unmet demand a slack in it (no variable for the tonnes served).
A commodity whose tonnes served must be variables is *delivered*: its demand gets a row of its own,
`c_demand[c, r, y]`, served by deliveries `v_deliver[c, g, r, y]` out of the region's pools. Graded
commodities (planner.model.sourcing) are delivered, so that cells know the grade of what they get.

Extension point: a family that needs the tonnes served of further commodities (substitution groups
replacing members' demand rows by a group row, say) registers a rule with `register_delivered(rule)`,
`rule(ci) -> commodities`; their demand then goes through `c_demand`, and `delivered_terms(ctx, c, r, y)`
gives the deliveries of one demand as (coefficient, variable) terms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import pyomo.environ as pyo

from planner.cases.case import CaseInstance
from planner.model.core import MASS, PER_T, Context, Term, add_rows
from planner.model.families.substitution import member_keys
from planner.model.registry import Registration, TableContext, table
from planner.model.sourcing import ALL, GRADES, NON_PFE, PFE, sourcing

if TYPE_CHECKING:
    import pandas as pd

DeliveredRule = Callable[[CaseInstance], Iterable[str]]
_DELIVERED: list[DeliveredRule] = []


def register_delivered(rule: DeliveredRule) -> Registration:
    """Route the demand of the commodities `rule(ci)` names through deliveries and `c_demand`."""
    _DELIVERED.append(rule)
    return Registration(lambda: _DELIVERED.remove(rule) if rule in _DELIVERED else None)


def delivered_commodities(ci: CaseInstance) -> frozenset[str]:
    """Commodities whose demand is served by deliveries (graded ones, and those registered rules name)."""
    def make() -> frozenset[str]:
        out = set(sourcing(ci).graded)
        for rule in list(_DELIVERED):
            out.update(rule(ci))
        return frozenset(out)
    return ci.memo("demand.delivered", make)


def demand_keys(ci: CaseInstance) -> list[tuple[str, str, int]]:
    """(commodity, region, year) where cell makers take the commodity: stated demand, and where a
    substitution group's member may serve its group."""
    return ci.memo("demand.keys", lambda: sorted(set(ci.demand) | member_keys(ci)))


def delivery_index(ci: CaseInstance) -> list[tuple[str, str, str, int]]:
    """(commodity, grade, region, year) of the deliveries: each pool of a delivered commodity that can
    reach a region with demand for it."""
    def make() -> list[tuple[str, str, str, int]]:
        src, delivered = sourcing(ci), delivered_commodities(ci)
        return [(c, g, r, y) for (c, r, y) in demand_keys(ci) if c in delivered
                for g in src.grades(c) if src.reaches(c, g, r)]
    return ci.memo("demand.deliveries", make)


def delivered_terms(ctx: Context, c: str, r: str, y: int) -> list[Term]:
    """The deliveries serving demand (c, r, y), as terms (for families that build on the demand side)."""
    d = ctx.v.get("v_deliver", {})
    return [(1.0, d[(c, g, r, y)]) for g in (*GRADES, ALL) if (c, g, r, y) in d]


def add_demand(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Demand: served from the balances, or left unmet at the penalty price.

    $$0 \le u_{c,r,y} \le D_{c,r,y}, \qquad
    \sum_{g} d_{c,g,r,y} + u_{c,r,y} = D_{c,r,y} \quad \text{(delivered commodities)}, \qquad
    \sum_{g} d_{c,g,r,y} = \sum_G w_{G,c,r,y} \quad \text{(members of substitution groups)}$$

    Demand $D_{c,r,y}$ (cell makers' material needs, after the case's demand scale) may be left unmet:
    `v_unmet[c, r, y]` ($u_{c,r,y}$) at the settings' penalty price per tonne, so that a plan is always
    returned and shortfalls reported. For most commodities the demand is the right-hand side of the
    region's balance row and the unmet part a slack in it. A *delivered* commodity — every graded one
    (see *Material balance*), and any a later rule routes here — has its own row
    `c_demand[c, r, y]`, served by deliveries `v_deliver[c, g, r, y]` ($d_{c,g,r,y}$) that leave the
    region's pool of grade $g$; deliveries exist only for pools that can reach the region. The
    deliveries of the non-PFE grade are what cells may count towards the cell credit's ratio (see
    *Cell credit*). Where a substitution group applies, its members' demand is what they deliver to
    the group, $\sum_G w_{G,c,r,y}$ (*Substitution groups*), in place of the stated demand, with no
    unmet slack of its own (the group's requirement has one): it enters the balance row (ungraded)
    or `c_demand` (delivered) as a variable.

    Dual of `c_demand`: the marginal cost of the commodity's demand in that region and year ($ per t;
    what one more tonne for the cell makers costs, the part of a localization target aside), i.e. the
    cheaper grade's supply price, or the penalty where demand is unmet; for commodities without the
    row the balance dual plays this part.
    """
    ci, acc = ctx.ci, ctx.acc
    served = acc.served  # (commodity, region, year) a substitution group's member serves instead
    index = sorted(k for k in ci.demand if k not in served)  # (commodity, region, year) with stated demand
    if not index and not served:
        return
    delivered = delivered_commodities(ci)
    for (c, r, y), terms in sorted(served.items()):
        if c not in delivered:
            acc.balance[(c, ALL, r, y)].extend((-k, v) for k, v in terms)
    ctx.add_var(m, "v_unmet", index, within=pyo.NonNegativeReals,
                bounds=lambda _m, c, r, y: (0.0, ci.demand[(c, r, y)] * MASS), doc="unmet demand [kt/yr]")
    pen = ci.settings.penalty_unmet_demand * PER_T
    for c, r, y in index:
        u = ctx.v["v_unmet"][c, r, y]
        acc.cost[("penalty_unmet", y)].append((pen, u))
        if c not in delivered:
            acc.balance[(c, ALL, r, y)].append((1.0, u))
            acc.balance_rhs[(c, ALL, r, y)] = ci.demand[(c, r, y)] * MASS
    if not delivered:
        return
    deliveries = ctx.add_var(m, "v_deliver", delivery_index(ci), within=pyo.NonNegativeReals,
                             doc="deliveries to demand by grade [kt/yr]")
    for (c, g, r, y), d in deliveries.items():
        acc.balance[(c, g, r, y)].append((-1.0, d))
    rows: dict[tuple[str, str, int], tuple[list[Term], str, float]] = {}
    for c, r, y in demand_keys(ci):
        if c not in delivered:
            continue
        if (c, r, y) in served:
            rows[(c, r, y)] = (delivered_terms(ctx, c, r, y) + [(-k, v) for k, v in served[(c, r, y)]], "==", 0.0)
        else:
            rows[(c, r, y)] = (delivered_terms(ctx, c, r, y) + [(1.0, ctx.v["v_unmet"][c, r, y])], "==",
                               ci.demand[(c, r, y)] * MASS)
    add_rows(m, "c_demand", rows, "demand served by deliveries or left unmet")


@table("deliveries", description="Demand of the commodities served by grade [t], by region and year: from "
       "PFE and from non-PFE supply, and unmet (only commodities whose supply is graded in the case; where a "
       "substitution group carries the demand, a member's demand is what it serves to the group).")
def report_deliveries(t: TableContext) -> pd.DataFrame:
    import pandas as pd

    ci = t.ci
    d: dict[Any, float] = t.values("v_deliver")
    u = t.values("v_unmet")
    members = member_keys(ci)
    serve: dict[tuple[str, str, int], float] = {}
    for (_g, c, r, y), v in t.values("v_serve").items():
        serve[(c, r, y)] = serve.get((c, r, y), 0.0) + v / MASS
    rows = []
    for c, r, y in demand_keys(ci):
        if c not in delivered_commodities(ci):
            continue
        pfe = d.get((c, PFE, r, y), 0.0) / MASS
        non = d.get((c, NON_PFE, r, y), 0.0) / MASS
        rest = d.get((c, ALL, r, y), 0.0) / MASS
        served = pfe + non + rest
        # demand: as stated, or, where a substitution group carries it, what the member serves to the group
        demand_t = serve.get((c, r, y), 0.0) if (c, r, y) in members else ci.demand[(c, r, y)]
        rows.append({"commodity": c, "region": r, "year": y, "demand_t": demand_t,
                     "pfe_t": pfe, "non_pfe_t": non, "ungraded_t": rest, "unmet_t": u.get((c, r, y), 0.0) / MASS,
                     "non_pfe_share": non / served if served > 0 else 0.0})
    return pd.DataFrame(rows, columns=["commodity", "region", "year", "demand_t", "pfe_t", "non_pfe_t", "ungraded_t",
                                       "unmet_t", "non_pfe_share"])
