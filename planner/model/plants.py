"""Plants: build decisions, exclusivity, deliverable output and capital costs."""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo

from planner.model.core import MASS, MONEY, PER_T, Context, Term, add_rows


def units(m: pyo.ConcreteModel, ctx: Context, p: str, s: int) -> tuple[float, Any]:
    """(coefficient, variable) of the units of option (p, s); the variable is None when fixed."""
    fixed = ctx.sets.fixed_units.get((p, s))
    if fixed is not None:
        return float(fixed), None
    return 1.0, ctx.v["v_units"][p, s]


def add_build_decisions(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Build decisions: how many units of each candidate project start construction in which year.

    $$U_{p,s} \in \{0,\dots,\bar U_p\}, \qquad \beta_p \in \{0,1\}, \qquad
    \beta_p \le \sum_{s} U_{p,s} \le \bar U_p\,\beta_p \quad \forall p \in \mathcal{P}^{cand}$$

    `v_units[p, s]` counts identical units (modules) of project $p$ whose construction starts in
    year $s$; `b_build[p]` says whether the project is built at all and carries exclusivity,
    grants and 48C awards. A candidate's start years run from its earliest start to its latest
    start (or the horizon's end), limited to the horizon and to those from which the plant can be
    qualified within it. Construction never starts before the horizon: a candidate whose earliest
    start lies before the first year may start in the first year at the earliest (a plant already
    under construction is `committed`). Existing and committed plants are constants
    ($U_{p,s}=\bar U_p$ at their start year, which may lie before the horizon), not variables.
    Rows `c_units_limit[p]`, `c_build_link[p]`.

    Dual: not meaningful (integer row); its LP-relaxation value is the value of allowing one more unit.
    """
    sets = ctx.sets
    if not sets.option_vars:
        return
    projects = ctx.inst.projects
    ctx.add_var(m, "v_units", list(sets.option_vars), within=pyo.NonNegativeIntegers,
                bounds=lambda _m, p, s: (0, projects[p].units_max), doc="units started [units]")
    ctx.add_var(m, "b_build", list(sets.candidates), within=pyo.Binary, doc="project built [0/1]")
    rows = {
        p: ([(1.0, ctx.v["v_units"][p, s]) for s in sets.starts[p]] + [(-projects[p].units_max, ctx.v["b_build"][p])], "<=", 0.0)
        for p in sets.candidates
    }
    add_rows(m, "c_units_limit", rows, "units of a project within its maximum, only if built")
    link = {p: ([(1.0, ctx.v["b_build"][p])] + [(-1.0, ctx.v["v_units"][p, s]) for s in sets.starts[p]], "<=", 0.0)
            for p in sets.candidates}
    add_rows(m, "c_build_link", link, "a project counts as built only with at least one unit")


def add_exclusive_groups(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Exclusive groups: at most one project of a group, and one variant of a site, is built.

    $$\sum_{p \in \mathcal{G}^{cand}} \beta_p \le 1 - \min\big(1, |\mathcal{G}^{fixed}|\big)
    \qquad \forall \mathcal{G} \in \text{groups}$$

    Groups come from the `exclusive_group` column and, automatically, from each project with its
    joint-venture variants (a standalone plant and its JV versions are alternatives for one site).
    A JV variant inherits its project's `exclusive_group`, so the group excludes every variant of
    each of its projects: with P and Q in one group and J a JV variant of P, at most one of P, J
    and Q is built. The rule is "at most one project of the group is built" counting existing and
    committed plants ($\mathcal{G}^{fixed}$) as built: a group holding an existing or committed
    plant is taken, and none of its candidates may be built (right-hand side 0). Row
    `c_exclusive[group]`.

    Dual: not meaningful (integer row).
    """
    if not ctx.sets.exclusive:
        return
    taken = ctx.sets.exclusive_fixed
    rows = {g: ([(1.0, ctx.v["b_build"][p]) for p in members], "<=", 0.0 if g in taken else 1.0)
            for g, members in ctx.sets.exclusive.items()}
    add_rows(m, "c_exclusive", rows, "at most one project of an exclusive group")


def add_production(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Production limit: a plant delivers only once qualified, along its ramp-up, until retired.

    $$x_{p,y} \le \kappa_p \sum_{s} a_{p,s,y}\, U_{p,s} \qquad \forall (p,y) \in \mathcal{PY}$$

    with $a_{p,s,y} = 0$ before the qualified year $s + T^{build}_p + T^{qual}_p$ and from the
    retirement year $s + T^{build}_p + L_p$ on, $a_{p,s,y} = \rho_{p,k}$ (the ramp-up share) in the
    $k$-th qualified year, and 1 afterwards. This one family carries lead time, qualification,
    ramp-up and retirement. Output $x_{p,y}$ (`v_prod`, kt internally) enters the balance of the
    site region, except the partner's equity share $e_p$ of a joint venture's output, which is
    delivered to the partner's region under offtake (at the transport cost of that link); recipe inputs are
    drawn from the site's balance. For fixed plants the limit is a bound on $x_{p,y}$.
    Row `c_production_limit[p, y]` (candidates only).

    Dual: the value, in $ per t of yearly capacity, of one more tonne of qualified capacity of
    project $p$ in year $y$ (≤ 0 in Pyomo's sign convention for a ≤ row of a minimisation).
    """
    sets, inst, acc = ctx.sets, ctx.inst, ctx.acc
    if not sets.prod:
        return
    bounds: dict[tuple[str, int], float | None] = {}
    rows: dict[tuple[str, int], tuple[list[Term], str, float]] = {}
    stacking = set(sets.stacking_45x)
    for p, y in sets.prod:
        prj = inst.projects[p]
        if prj.fixed:
            cap = sum(units(m, ctx, p, s)[0] * a for s, a in sets.deliverable[(p, y)])
            bounds[(p, y)] = prj.capacity * MASS * cap
        else:
            bounds[(p, y)] = None
    ctx.add_var(m, "v_prod", list(sets.prod), within=pyo.NonNegativeReals,
                bounds=lambda _m, p, y: (0.0, bounds[(p, y)]), doc="output [kt/yr]")
    for p, y in sets.prod:
        prj = inst.projects[p]
        x = ctx.v["v_prod"][p, y]
        if not prj.fixed:
            rows[(p, y)] = ([(1.0, x)] + [(-prj.capacity * MASS * a, ctx.v["v_units"][p, s])
                                         for s, a in sets.deliverable[(p, y)]], "<=", 0.0)
        share = prj.equity_share
        acc.balance[(prj.commodity, prj.site, y)].append((1.0 - share, x))
        if prj.partner_region is not None:
            acc.balance[(prj.commodity, prj.partner_region, y)].append((share, x))
            if prj.partner_region != prj.site:
                tc = inst.transport[(prj.commodity, prj.site, prj.partner_region)]
                if tc:
                    acc.cost[("transport", y)].append((share * tc * PER_T, x))
        for c, tpt in prj.recipe:
            acc.balance[(c, prj.site, y)].append((-tpt, x))
            acc.draw[(c, prj.site, y)].append((tpt, x))
        if prj.variable_cost:
            acc.cost[("variable", y)].append((prj.variable_cost * PER_T, x))
        credit = ctx.pol.x45_credit.get((p, y), 0.0)
        if credit and (p, y) not in stacking:
            acc.cost[("credit_45x", y)].append((-credit * PER_T, x))
    add_rows(m, "c_production_limit", rows, "output within qualified, ramped-up, unretired capacity")
    if ctx.tighten:
        add_market_limit(m, ctx)


def add_market_limit(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Market limit (a tightening): a plant never delivers more than its product's whole market.

    $$x_{p,y} \le \bar D_{c_p,y} \sum_{s:\, a_{p,s,y} > 0} U_{p,s} \qquad \text{where } \bar D_{c_p,y} < \kappa_p \max_s a_{p,s,y}$$

    $\bar D_{c,y}$ is all demand for commodity $c$ in year $y$ plus the most any plant could draw as a
    recipe input. The row is valid for every integer plan (a plant built produces at most the
    market) and redundant for them, but it cuts the LP relaxation wherever a plant is larger than
    its market — the facility-location strengthening $x_{ij} \le d_j y_i$ — so HiGHS's bound at
    the root is closer to the optimum. Rows only where they cut. Row `c_market_limit[p, y]`.
    Off by default (`build_model(tighten=True)`, `planner bench --tighten`): measured on the
    synthetic instances it closed most of the bound gap at branching on a small strict case but
    made HiGHS 2.3x slower on the 250k-variable one (docs/performance.md).

    Dual: not meaningful (a tightening row; it is slack at every integer plan but for ties).
    """
    sets, inst = ctx.sets, ctx.inst
    market: dict[tuple[str, int], float] = {}
    for (c, _r, y), t in inst.demand.items():
        market[(c, y)] = market.get((c, y), 0.0) + t * MASS
    for q in inst.projects.values():
        for c, tpt in q.recipe:
            for y in sets.years:
                market[(c, y)] = market.get((c, y), 0.0) + tpt * q.capacity * q.units_max * MASS
    rows: dict[tuple[str, int], tuple[list[Term], str, float]] = {}
    units_v = ctx.v.get("v_units", {})
    for p, y in sets.prod:
        prj = inst.projects[p]
        if prj.fixed:
            continue
        d = market.get((prj.commodity, y), 0.0)
        opts = sets.deliverable[(p, y)]
        if d >= prj.capacity * MASS * max(a for _s, a in opts):
            continue
        rows[(p, y)] = ([(1.0, ctx.v["v_prod"][p, y])] + [(-d, units_v[p, s]) for s, _a in opts], "<=", 0.0)
    add_rows(m, "c_market_limit", rows, "output within the product's whole market")


def add_capital_costs(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Capital and fixed costs: annualised capex and fixed O&M of online units; capex spending.

    $$C^{cap}_y = \sum_{(p,s):\, y \in \text{online}(p,s)} \big(\text{CRF}_p\, \iota_p\, I_p + F_p\big)\, U_{p,s},
    \qquad \text{CRF}_p = \frac{r (1+r)^{L_p}}{(1+r)^{L_p} - 1},
    \qquad \iota_p = \frac{1}{T_p} \sum_{k=0}^{T_p - 1} (1+r)^{T_p - k}$$

    End-of-horizon treatment: the overnight investment $I_p$ per unit is charged as an annuity
    over the plant's lifetime $L_p$ at the discount rate $r$, in each year the plant is online
    *within* the horizon only; years after the horizon are neither charged nor credited, so a
    plant built late is not penalised for output the model cannot see (with $r=0$ and $L_p=1$ the
    whole capex falls in the online year, which makes single-period facility location exact).
    Capex is spent evenly over the $T_p$ construction years, before the plant comes online; the
    factor $\iota_p$ (interest during construction, 1 when $T_p = 0$) carries that spending to the
    online year, so that a long build is not cheaper in present value than a short one.
    Fixed O&M $F_p$ is paid per online unit. Both count in full whoever pays them: the objective is
    the cost to the whole industry, and a JV partner is part of it. A partner's equity share $e_p$
    is what the planner does *not* spend: the planner's share $(1-e_p)\,I_p$ of candidates' capex is
    recorded as cash spending, evenly over the construction years, for the capex budgets (and
    reported as the planner's capex). Adds to the cost and spending accumulators only; no rows.
    """
    sets, inst, acc = ctx.sets, ctx.inst, ctx.acc
    if not sets.options:
        return
    for (p, y), ss in sets.online.items():
        prj = inst.projects[p]
        annuity = inst.capex_annuity_factor(prj) * prj.capex * MONEY  # all owners: a JV partner is industry too
        fom = prj.fixed_om * MONEY
        for s in ss:
            coef, var = units(m, ctx, p, s)
            if var is None:
                acc.cost_constant[("capex", y)] += annuity * coef
                acc.cost_constant[("fixed_om", y)] += fom * coef
            else:
                if annuity:
                    acc.cost[("capex", y)].append((annuity, var))
                if fom:
                    acc.cost[("fixed_om", y)].append((fom, var))
    for p, s in sets.option_vars:
        prj = inst.projects[p]
        spend = prj.spend_years(s)
        amount = prj.capex * (1.0 - prj.equity_share) * MONEY / len(spend)
        if amount:
            for y in spend:
                acc.capex_spend[y].append((amount, ctx.v["v_units"][p, s]))
