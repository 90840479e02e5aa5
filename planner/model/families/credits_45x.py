"""45X production credit: every part of it (who earns it, how much, and the 48C stacking gate)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyomo.environ as pyo

from planner.cases.case import CaseInstance
from planner.instance.records import InstanceData, Project
from planner.model.core import MASS, PER_T, Context, add_rows
from planner.model.families.awards_48c import award_index
from planner.model.registry import TableContext, add_column, columns

if TYPE_CHECKING:
    import pandas as pd


def x45_basis(data: InstanceData, p: Project) -> float:
    """Production cost per tonne on which 45X is computed: variable cost plus bought inputs."""
    basis = p.variable_cost
    for c, tpt in p.recipe:
        price = data.commodities[c].market_price
        if price is not None:
            basis += tpt * price
    return basis


def x45_credit(ci: CaseInstance) -> dict[tuple[str, int], float]:
    """(project, year) -> 45X credit in $ per tonne of output, for every plant-year that earns one."""
    return ci.memo("credits_45x.credit", lambda: _credit(ci))


def _credit(ci: CaseInstance) -> dict[tuple[str, int], float]:
    pol = ci.policy
    out: dict[tuple[str, int], float] = {}
    for p in ci.projects.values():
        if not p.eligible_45x or not ci.regions[p.site].domestic:
            continue
        if pol.x45_requires_non_feoc and p.feoc_owned:
            continue
        if p.credit_48c_awarded > 0 and pol.x48c_awarded_paid and not pol.x48c_stacking:
            continue
        basis = x45_basis(ci, p)
        for y in ci.years:
            if 1.0 - p.pfe_cost_share < pol.x45_macr_min[y] - 1e-12:
                continue
            credit = pol.x45_rate[(p.commodity, y)] * pol.x45_phase[y] * basis
            if credit > 0:
                out[(p.id, y)] = credit
    return out


def gated_index(ci: CaseInstance) -> list[tuple[str, int]]:
    """(project, year) whose 45X a 48C award would remove: candidates that may receive an award,
    where the case forbids stacking."""
    credit = x45_credit(ci)
    if ci.policy.x48c_stacking:
        return []
    awardable = set(award_index(ci))
    return [(p, y) for (p, y) in ci.sets.prod if p in awardable and (p, y) in credit]


def add_credits_45x(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""45X production credit: a credit per tonne of eligible output, lost with a 48C award where the case forbids stacking.

    $$C^{45X}_y = \sum_{(p,y) \notin \mathcal{Z}} \chi_{p,y}\, x_{p,y} + \sum_{(p,y) \in \mathcal{Z}} z_{p,y},
    \qquad z_{p,y} \le \chi_{p,y}\, x_{p,y}, \qquad z_{p,y} \le \chi_{p,y}\, \kappa_p \bar U_p\, (1 - \alpha_p)
    \quad \forall (p,y) \in \mathcal{Z}$$

    45X is a credit $\chi_{p,y}$ per tonne of output of eligible plants: the case's
    rate × phase-down × production cost, for plants that are 45X-eligible, sited in the U.S., not
    FEOC-owned when the case requires it, and whose non-PFE share of material cost meets the year's
    MACR threshold. The production cost per tonne is the plant's variable cost plus each recipe
    input that has a market price, valued at that price ($\sum_c \phi_{p,c} P^{mkt}_c$) whether the
    plant buys it spot or is supplied by another plant or a contract: the credit is a constant of
    the case per tonne of output, known before solving, so it cannot depend on where the inputs come
    from. Inputs without a market price add nothing to the basis. A project whose 48C allocation
    counts (`credit_48c_awarded`, paid in the case) earns no 45X unless the case allows stacking.
    For candidates that may receive a 48C award while stacking is forbidden ($\mathcal{Z}$),
    `v_45x[p, y]` ($z_{p,y}$) carries the credit and vanishes when the award $\alpha_p$ is made (see
    *48C investment credit*); elsewhere the credit is paid on the output directly.
    Rows `c_45x_output[p, y]`, `c_45x_stacking[p, y]`.

    Dual: not meaningful (rows with a binary).
    """
    sets, ci, acc = ctx.sets, ctx.ci, ctx.acc
    credit = x45_credit(ci)
    if not credit:
        return
    gated = gated_index(ci)
    gate = set(gated)
    for p, y in sets.prod:
        chi = credit.get((p, y), 0.0)
        if chi and (p, y) not in gate:
            acc.cost[("credit_45x", y)].append((-chi * PER_T, ctx.v["v_prod"][p, y]))
    if not gated:
        return
    ctx.add_var(m, "v_45x", gated, within=pyo.NonNegativeReals, doc="45X credit [$M/yr]")
    rows_out, rows_stack = {}, {}
    for p, y in gated:
        prj = ci.projects[p]
        chi = credit[(p, y)] * PER_T
        z = ctx.v["v_45x"][p, y]
        big = chi * prj.capacity * MASS * prj.units_max
        rows_out[(p, y)] = ([(1.0, z), (-chi, ctx.v["v_prod"][p, y])], "<=", 0.0)
        rows_stack[(p, y)] = ([(1.0, z), (big, ctx.v["b_48c"][p])], "<=", big)
        acc.cost[("credit_45x", y)].append((-1.0, z))
    add_rows(m, "c_45x_output", rows_out, "45X in proportion to output")
    add_rows(m, "c_45x_stacking", rows_stack, "no 45X for a project with a 48C award")


@columns("builds")
def report_builds(t: TableContext, df: pd.DataFrame) -> pd.DataFrame:
    """builds: whether the project earns 45X in some year of the case (`x45_eligible`)."""
    credit = x45_credit(t.ci)
    earning = {p for p, _y in credit}
    return add_column(df, "x45_eligible", [p in earning for p in df["project"]])


@columns("production")
def report_production(t: TableContext, df: pd.DataFrame) -> pd.DataFrame:
    """production: the 45X credit per tonne of the plant's output in the year [$/t]."""
    credit = x45_credit(t.ci)
    return add_column(df, "x45_credit_usd_per_t", [credit.get((p, y), 0.0) for p, y in zip(df["project"], df["year"])])
