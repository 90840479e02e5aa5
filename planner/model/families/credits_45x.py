"""45X production credit: every part of it (who earns it, how much, its MACR test and the 48C stacking gate)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyomo.environ as pyo

from planner.cases.case import CaseInstance
from planner.instance.records import InstanceData, Project
from planner.model.core import MASS, MONEY, PER_T, Context, Term, add_rows
from planner.model.families.awards_48c import award_index
from planner.model.registry import TableContext, add_column, columns, table
from planner.model.sourcing import NON_PFE, Need, market_non_pfe_value, need_rule, sourcing

if TYPE_CHECKING:
    import pandas as pd

TOL = 1e-12  # a ratio this close to its threshold meets it


def x45_basis(data: InstanceData, p: Project) -> float:
    """Production cost per tonne on which 45X is computed: variable cost plus bought inputs."""
    basis = p.variable_cost
    for c, tpt in p.recipe:
        price = data.commodities[c].market_price
        if price is not None:
            basis += tpt * price
    return basis


def x45_possible(ci: CaseInstance) -> dict[tuple[str, int], float]:
    """(project, year) -> 45X in $ per tonne of output for every plant-year that earns it if its MACR test
    (if any) is met: eligible, U.S. site, not FEOC-owned where the case says so, no counted 48C allocation
    unless stacking is allowed, a positive credit."""
    return ci.memo("credits_45x.possible", lambda: _possible(ci))


def _possible(ci: CaseInstance) -> dict[tuple[str, int], float]:
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
            credit = pol.x45_rate[(p.commodity, y)] * pol.x45_phase[y] * basis
            if credit > 0:
                out[(p.id, y)] = credit
    return out


@need_rule
def _watched_inputs(ci: CaseInstance) -> list[Need]:
    """The priced recipe inputs of plants whose 45X has a MACR test in some year: where their PFE and
    non-PFE tonnes compete, the inputs are graded (planner.model.sourcing)."""
    theta = ci.policy.x45_macr_min
    tested = {p for (p, y) in x45_possible(ci) if theta[y] > 0}
    out = []
    for p in sorted(tested):
        prj = ci.projects[p]
        out.extend(Need(c, prj.site, prj.pfe_cost_share) for c, _ in prj.recipe
                   if ci.commodities[c].macr_price is not None)
    return out


@dataclass(frozen=True)
class Ratio:
    """A plant's material-assistance cost ratio per tonne of output, at reference prices ($ per t of output).

    total: every priced input (phi x reference price) plus other_materials_cost; fixed: the non-PFE value
    that does not depend on the plan (ungraded inputs, the other materials at 1 - pfe_cost_share);
    graded: the graded inputs (input, phi, reference price, non-PFE share of a spot tonne or None);
    most: the most non-PFE value the graded inputs can add (all from the non-PFE pool where it reaches
    the plant, else spot)."""

    total: float
    fixed: float
    graded: tuple[tuple[str, float, float, float | None], ...]
    most: float
    known: bool = True  # False: an ungraded input's supply differs in status (no test watches the plant)

    def least_share(self, untraced: float) -> float:
        """The ratio with every graded input from PFE supply (1 - pfe_cost_share without any material value)."""
        return 1.0 - untraced if self.total <= 0 else self.fixed / self.total

    def most_share(self, untraced: float) -> float:
        return 1.0 - untraced if self.total <= 0 else (self.fixed + self.most) / self.total


def plant_ratio(ci: CaseInstance, p: str) -> Ratio:
    """The MACR of plant `p` per tonne of output (see *45X production credit*)."""
    return ci.memo(f"credits_45x.ratio.{p}", lambda: _ratio(ci, ci.projects[p]))


def _ratio(ci: CaseInstance, prj: Project) -> Ratio:
    src = sourcing(ci)
    total = prj.other_materials_cost
    fixed = (1.0 - prj.pfe_cost_share) * prj.other_materials_cost
    graded: list[tuple[str, float, float, float | None]] = []
    most = 0.0
    known = True
    for c, tpt in prj.recipe:
        price = ci.commodities[c].macr_price
        if price is None:
            continue  # an unpriced input counts in neither part (a tested plant's inputs need a price: validation)
        total += tpt * price
        if c in src.graded:
            spot = market_non_pfe_value(ci, c, prj.pfe_cost_share)
            graded.append((c, tpt, price, spot))
            best = max(([1.0] if src.reaches(c, NON_PFE, prj.site) else []) + ([spot] if spot is not None else []),
                       default=0.0)
            most += best * tpt * price
        else:
            value = src.fixed_value(ci, Need(c, prj.site, prj.pfe_cost_share))
            known = known and value is not None
            fixed += (value or 0.0) * tpt * price
    return Ratio(total, fixed, tuple(graded), most, known)


def macr_status(ci: CaseInstance) -> dict[tuple[str, int], str]:
    """(project, year) -> how the plant-year's MACR test goes, for every plant-year of `x45_possible`:
    'no test' (threshold 0), 'met' or 'failed' (decided by the data), 'sourcing' (decided by the plan's
    sourcing: a binary)."""
    return ci.memo("credits_45x.status", lambda: _status(ci))


def _status(ci: CaseInstance) -> dict[tuple[str, int], str]:
    theta = ci.policy.x45_macr_min
    out: dict[tuple[str, int], str] = {}
    for p, y in x45_possible(ci):
        th = theta[y]
        if th <= 0:
            out[(p, y)] = "no test"
            continue
        r, s = plant_ratio(ci, p), ci.projects[p].pfe_cost_share
        if r.least_share(s) >= th - TOL:
            out[(p, y)] = "met"
        elif r.most_share(s) < th - TOL:
            out[(p, y)] = "failed"
        else:
            out[(p, y)] = "sourcing"
    return out


def x45_credit(ci: CaseInstance) -> dict[tuple[str, int], float]:
    """(project, year) -> 45X credit in $ per tonne of output, for every plant-year that may earn one
    (its MACR test has no threshold, is met by the data, or can be met by its sourcing)."""
    status = macr_status(ci)
    return {k: v for k, v in x45_possible(ci).items() if status[k] != "failed"}


def most_output(ci: CaseInstance, p: str, y: int) -> float:
    """X̄: the most plant `p` can deliver in year `y` [t] (its units at their availability that year)."""
    prj = ci.projects[p]
    opts = ci.sets.deliverable[(p, y)]
    if prj.fixed:
        return prj.capacity * sum(ci.sets.fixed_units[(p, s)] * a for s, a in opts)
    return prj.capacity * prj.units_max * max(a for _s, a in opts)


def gated_index(ci: CaseInstance) -> list[tuple[str, int]]:
    """(project, year) whose 45X a 48C award would remove: candidates that may receive an award,
    where the case forbids stacking."""
    credit = x45_credit(ci)
    if ci.policy.x48c_stacking:
        return []
    awardable = set(award_index(ci))
    return [(p, y) for (p, y) in ci.sets.prod if p in awardable and (p, y) in credit]


def sourced_index(ci: CaseInstance) -> list[tuple[str, int]]:
    """(project, year) whose MACR test the plan's sourcing decides (a binary each)."""
    status = macr_status(ci)
    return [(p, y) for (p, y) in ci.sets.prod if status.get((p, y)) == "sourcing"]


def add_credits_45x(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""45X production credit: a credit per tonne of eligible output; all or nothing by the plant's MACR; lost with a 48C award where the case forbids stacking.

    $$C^{45X}_y = \sum_{(p,y) \notin \mathcal{Z}} \chi_{p,y}\, x_{p,y} + \sum_{(p,y) \in \mathcal{Z}} z_{p,y},
    \qquad z_{p,y} \le \chi_{p,y}\, x_{p,y}$$

    $$z_{p,y} \le \chi_{p,y}\, \bar X_{p,y}\, (1 - \alpha_p) \quad \forall (p,y) \in \mathcal{G}, \qquad
    z_{p,y} \le \chi_{p,y}\, w_{p,y} \quad \forall (p,y) \in \mathcal{B}$$

    $$\sum_{c\ \mathrm{graded}} P_c \big(n_{p,c,non\_pfe,y} + v^{spot}_{p,c}\, s_{p,c,y}\big)
    \;\ge\; (\theta_y W_p - F_p)\, w_{p,y}, \qquad
    w_{p,y} \le \bar X_{p,y}\, \beta_{p,y}, \qquad x_{p,y} - w_{p,y} \le \bar X_{p,y}\, (1 - \beta_{p,y})
    \quad \forall (p,y) \in \mathcal{B}$$

    45X is a credit $\chi_{p,y}$ per tonne of output of eligible plants: the case's
    rate × phase-down × production cost, for plants that are 45X-eligible, sited in the U.S. and not
    FEOC-owned when the case requires it. The production cost per tonne is the plant's variable cost
    plus each recipe input that has a market price, valued at that price ($\sum_c \phi_{p,c} P^{mkt}_c$)
    whether the plant buys it spot or is supplied by another plant or a contract. A project whose 48C
    allocation counts (`credit_48c_awarded`, paid in the case) earns no 45X unless the case allows
    stacking. For candidates that may receive a 48C award while stacking is forbidden
    ($\mathcal{G}$), `v_45x[p, y]` ($z_{p,y}$) carries the credit and vanishes when the award
    $\alpha_p$ is made (see *48C investment credit*).

    MACR test. In a year with a threshold $\theta_y > 0$ (`x45_macr_min`) a plant earns 45X only if
    its material-assistance cost ratio — its non-PFE direct material cost over its total direct
    material cost — reaches $\theta_y$; the credit is all or nothing per plant and year. **Cost basis:**
    every input is valued at its commodity's *reference price* $P_c$ (`reference_price`, default the
    market price), whoever supplies it and whatever the plant pays; the materials not modelled as
    commodities add `other_materials_cost` $O_p$ per tonne, of which the share $1 - s_p$
    (`pfe_cost_share`) is non-PFE. So $W_p = \sum_c \phi_{p,c} P_c + O_p$ per tonne of output, and
    the ratio is the value-weighted non-PFE share of what the plant consumes: paying a non-PFE
    supplier more does not raise it (no gaming by transfer prices), and the credit itself stays the
    case's rate of the production cost (the 45X basis above is unchanged). A plant without priced
    inputs and without other materials has the ratio $1 - s_p$ (as before: `pfe_cost_share` then
    describes all its material). The non-PFE value $F_p$ that does not depend on the plan: the other
    materials, and every ungraded input at the one status its supply has (a spot tonne of a
    commodity without `market_pfe_share` counts at $1-s_p$). Where the test is decided by these data
    alone — met with every graded input from PFE supply, or failed with every one from non-PFE
    supply — there is no decision: a failed test removes the credit, a met one keeps it. Otherwise
    ($\mathcal{B}$) the binary `b_45x[p, y]` ($\beta_{p,y}$) says whether the plant earns the credit.
    The output that earns it is `v_45x_out[p, y]` ($w_{p,y}$): all the plant's output when
    $\beta = 1$ (`c_45x_all`), none when $\beta = 0$ (`c_45x_none`); $\bar X_{p,y}$ is the most the
    plant can deliver that year (its units at their availability). Row `c_45x_macr[p, y]` holds the
    sourcing of that output to the threshold: the non-PFE tonnes the plant draws
    `v_input[p, c, non_pfe, y]` and the non-PFE share $v^{spot}_{p,c}$ of what it buys spot
    (`v_spot`), at reference prices, cover $\theta_y W_p - F_p$ per credited tonne; row
    `c_45x_earned[p, y]` pays the credit on the credited output only. With $\beta$ integer this is the
    all-or-nothing test above; it is also the convex hull of the two cases (earned with the ratio met,
    or not earned), so the LP relaxation earns a fraction of the credit only by buying the non-PFE
    material that fraction needs, never for free (issue 14: a big-M form of the same test let the
    relaxation take the credit of a plant running at half capacity without any non-PFE input, which
    left a root gap that every scenario of a hedge repeated).
    Rows `c_45x_output[p, y]`, `c_45x_stacking[p, y]`, `c_45x_earned[p, y]`, `c_45x_all[p, y]`,
    `c_45x_none[p, y]`, `c_45x_macr[p, y]`.

    Dual: not meaningful (rows with a binary); with the binaries fixed, the dual of a binding
    `c_45x_macr` is what one more dollar of non-PFE material value in the plant's ratio is worth.
    """
    sets, ci, acc = ctx.sets, ctx.ci, ctx.acc
    credit = x45_credit(ci)
    if not credit:
        return
    gated = gated_index(ci)
    sourced = sourced_index(ci)
    carried = sorted(set(gated) | set(sourced), key=list(sets.prod).index)
    carry = set(carried)
    for p, y in sets.prod:
        chi = credit.get((p, y), 0.0)
        if chi and (p, y) not in carry:
            acc.cost[("credit_45x", y)].append((-chi * PER_T, ctx.v["v_prod"][p, y]))
    if not carried:
        return
    ctx.add_var(m, "v_45x", carried, within=pyo.NonNegativeReals, doc="45X credit [$M/yr]")
    if sourced:
        ctx.add_var(m, "b_45x", sourced, within=pyo.Binary, doc="45X earned: MACR met [0/1]")
        ctx.add_var(m, "v_45x_out", sourced, within=pyo.NonNegativeReals, doc="output that earns 45X [kt/yr]")
    rows_out, rows_stack, rows_earned, rows_all, rows_none, rows_macr = {}, {}, {}, {}, {}, {}
    gate = set(gated)
    theta = ci.policy.x45_macr_min
    draws, spot = ctx.v.get("v_input", {}), ctx.v.get("v_spot", {})
    for p, y in carried:
        chi = credit[(p, y)] * PER_T
        z, x = ctx.v["v_45x"][p, y], ctx.v["v_prod"][p, y]
        top = chi * most_output(ci, p, y) * MASS  # the most the plant can earn that year [$M]
        rows_out[(p, y)] = ([(1.0, z), (-chi, x)], "<=", 0.0)
        acc.cost[("credit_45x", y)].append((-1.0, z))
        if (p, y) in gate:
            rows_stack[(p, y)] = ([(1.0, z), (top, ctx.v["b_48c"][p])], "<=", top)
    for p, y in sourced:
        b, x, z = ctx.v["b_45x"][p, y], ctx.v["v_prod"][p, y], ctx.v["v_45x"][p, y]
        w = ctx.v["v_45x_out"][p, y]
        chi = credit[(p, y)] * PER_T
        most = most_output(ci, p, y) * MASS
        rows_earned[(p, y)] = ([(1.0, z), (-chi, w)], "<=", 0.0)
        rows_all[(p, y)] = ([(1.0, x), (-1.0, w), (most, b)], "<=", most)
        rows_none[(p, y)] = ([(1.0, w), (-most, b)], "<=", 0.0)
        r = plant_ratio(ci, p)
        terms: list[Term] = []
        for c, _tpt, price, spot_value in r.graded:
            if (p, c, NON_PFE, y) in draws:
                terms.append((price * PER_T, draws[(p, c, NON_PFE, y)]))
            if spot_value and (p, c, y) in spot:
                terms.append((spot_value * price * PER_T, spot[(p, c, y)]))
        gap = (theta[y] * r.total - r.fixed) * PER_T  # > 0: the data alone do not meet the threshold
        rows_macr[(p, y)] = (terms + [(-gap, w)], ">=", 0.0)
    add_rows(m, "c_45x_output", rows_out, "45X in proportion to output")
    add_rows(m, "c_45x_stacking", rows_stack, "no 45X for a project with a 48C award")
    add_rows(m, "c_45x_earned", rows_earned, "45X only on the output credited")
    add_rows(m, "c_45x_all", rows_all, "all the output is credited in a year 45X is earned")
    add_rows(m, "c_45x_none", rows_none, "no output is credited in a year 45X is not earned")
    add_rows(m, "c_45x_macr", rows_macr, "the plant's non-PFE material value reaches the threshold on the credited output")


@columns("builds")
def report_builds(t: TableContext, df: pd.DataFrame) -> pd.DataFrame:
    """builds: whether the project may earn 45X in some year of the case (`x45_eligible`)."""
    credit = x45_credit(t.ci)
    earning = {p for p, _y in credit}
    return add_column(df, "x45_eligible", [p in earning for p in df["project"]])


def _earned(t: TableContext) -> dict[tuple[str, int], float]:
    """(project, year) -> 45X credit per tonne the plant earns (its MACR met), from the solved binaries."""
    def make() -> dict[tuple[str, int], float]:
        credit = x45_credit(t.ci)
        b = t.values("b_45x")
        return {k: v for k, v in credit.items() if k not in b or b[k] > 0.5}
    return t.memo("credits_45x.earned", make)


@columns("production")
def report_production(t: TableContext, df: pd.DataFrame) -> pd.DataFrame:
    """production: the 45X credit per tonne of the plant's output in the year where its MACR is met [$/t]."""
    earned = _earned(t)
    return add_column(df, "x45_credit_usd_per_t", [earned.get((p, y), 0.0) for p, y in zip(df["project"], df["year"])])


@table("x45", description="45X by plant and year: whether it was earned, the plant's material-assistance "
       "cost ratio (MACR: non-PFE share of its direct material cost at reference prices) against the "
       "year's threshold, how the test was decided (no test, by the data, or by the plan's sourcing) and "
       "the credit [$].")
def report_x45(t: TableContext) -> pd.DataFrame:
    import pandas as pd

    ci, pol = t.ci, t.pol
    possible, status, earned = x45_possible(ci), macr_status(ci), _earned(t)
    prod = t.values("v_prod")
    z = t.values("v_45x")
    draws, spot = t.values("v_input"), t.values("v_spot")
    award = t.values("b_48c")
    rows = []
    for p, y in t.sets.prod:
        prj = ci.projects[p]
        if not prj.eligible_45x or not ci.regions[prj.site].domestic:
            continue
        x = prod.get((p, y), 0.0) / MASS
        chi = possible.get((p, y), 0.0)
        st = status.get((p, y), "")
        r = plant_ratio(ci, p)
        if r.total <= 0:
            share: float | None = 1.0 - prj.pfe_cost_share
        elif not r.known:
            share = None  # no test watches the plant and its inputs' supply differs: the ratio is not tracked
        elif st == "sourcing" or r.graded:
            if x > 0:
                value = r.fixed * x
                for c, _tpt, price, spot_value in r.graded:
                    value += price * (draws.get((p, c, NON_PFE, y), 0.0)
                                      + (spot_value or 0.0) * spot.get((p, c, y), 0.0)) / MASS
                share = value / (r.total * x)
            else:
                share = None
        else:
            share = r.fixed / r.total
        if (p, y) in z:
            credit_usd = z[(p, y)] / MONEY
        else:
            credit_usd = chi * x if (p, y) in earned else 0.0
        if not chi:
            why = _no_credit_reason(ci, prj, y)
        elif st == "failed":
            why = "MACR below the threshold"
        elif x <= 0:  # nothing made, nothing to test (the plan's binary is then arbitrary)
            why = "no output"
        elif (p, y) not in earned:
            why = "MACR below the threshold"
        elif credit_usd <= 1e-6 and award.get(p, 0.0) > 0.5:
            why = "48C award (no stacking)"
        else:
            why = "earned"
        rows.append({"project": p, "year": y, "output_t": x, "threshold_share": pol.x45_macr_min[y],
                     "macr_share": share, "decided_by": {"no test": "no test", "met": "data", "failed": "data",
                                                         "sourcing": "sourcing"}.get(st, ""),
                     "earned": credit_usd > 1e-6, "credit_usd_per_t": chi if (p, y) in earned else 0.0,
                     "credit_usd": credit_usd, "note": why})
    return pd.DataFrame(rows, columns=["project", "year", "output_t", "threshold_share", "macr_share", "decided_by",
                                       "earned", "credit_usd_per_t", "credit_usd", "note"])


def _no_credit_reason(ci: CaseInstance, prj: Project, y: int) -> str:
    pol = ci.policy
    if pol.x45_requires_non_feoc and prj.feoc_owned:
        return "FEOC-owned"
    if prj.credit_48c_awarded > 0 and pol.x48c_awarded_paid and not pol.x48c_stacking:
        return "48C allocation (no stacking)"
    return "no credit in the case that year"
