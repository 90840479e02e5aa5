"""Policy: localization targets, 48C awards, 45X stacking, grants and capex budgets."""

from __future__ import annotations

import pyomo.environ as pyo

from planner.cases import in_group, qualifies_for_localization
from planner.model.core import MASS, MONEY, PER_T, Context, Term, add_rows
from planner.model.plants import units


def add_localization(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Localization targets: a minimum share of a family's (or commodity's) demand from qualifying supply.

    $$\sum_{p \in \mathcal{Q},\, c_p \in g} x_{p,y} + \sum_{k \in \mathcal{Q},\, c_k \in g} m_{k,y}
    + h_{g,y} \ge \tau_{g,y} \sum_{c \in g,\, r} D_{c,r,y}$$

    Which targets a case sets (policy parameter `localization_target`): a row naming a family
    (CAM, AAM) sets that family's target, $g$ = the family, on the demand of all its commodities;
    a row naming a commodity sets a target of that commodity alone, on its own demand. A row with
    a blank commodity sets the target of *every* family with demand, each family on its own (50%
    blank means 50% of CAM demand from qualifying CAM supply and 50% of AAM demand from qualifying
    AAM supply, not 50% of all); it never sets a commodity's own target. A family target and a
    commodity target may hold together: both rows apply, and qualifying supply of the commodity
    counts towards both (its family's target is not replaced by the commodity's). For each group
    and year the most specific row applies (see *Policy cases*).

    A plant qualifies when its site is domestic, or an FTA partner and the case lets FTA supply
    count, and (when the case excludes FEOC supply) it is not FEOC-owned and not sited in a FEOC
    jurisdiction; an import contract qualifies likewise by its origin and supplier. The shortfall
    $h_{g,y}$ (`v_loc_short`) is priced at the settings' localization penalty; with
    `--hard-targets` its upper bound is 0 and the target must be met. Row `c_localization[g, y]`.

    Dual $\mu_{g,y}$: the cost of the target — what one more tonne of required qualifying supply adds
    to the total cost, in $ per t of year $y$ (at most the penalty price when the target is soft).
    Each tonne of demand of the group raises the requirement by $\tau_{g,y}$ tonnes, so $\tau_{g,y}
    \mu_{g,y}$ is part of the marginal cost of that demand (see *Material balance*).
    """
    sets, inst, acc, pol = ctx.sets, ctx.inst, ctx.acc, ctx.pol
    if not sets.targets:
        return
    groups = {g for g, _y in sets.targets}
    if sets.prod:
        for p, y in sets.prod:
            prj = inst.projects[p]
            if not qualifies_for_localization(inst, region=prj.site, feoc=prj.feoc_owned):
                continue
            for g in groups:
                if in_group(inst, g, prj.commodity):
                    acc.qualifying[(g, y)].append((1.0, ctx.v["v_prod"][p, y]))
    for k, y in sets.imports:
        con = inst.contracts[k]
        if not qualifies_for_localization(inst, region=con.origin, feoc=con.feoc):
            continue
        for g in groups:
            if in_group(inst, g, con.commodity):
                acc.qualifying[(g, y)].append((1.0, ctx.v["v_import"][k, y]))
    by_commodity: dict[tuple[str, int], float] = {}
    for (c, _r, y), t in inst.demand.items():
        by_commodity[(c, y)] = by_commodity.get((c, y), 0.0) + t
    need: dict[tuple[str, int], float] = {}
    for (g, y), share in pol.targets.items():
        total = sum(t for (c, yy), t in by_commodity.items() if yy == y and in_group(inst, g, c))
        need[(g, y)] = share * total * MASS
    # a hard target is the same row with the shortfall held at zero
    ctx.add_var(m, "v_loc_short", list(sets.targets), within=pyo.NonNegativeReals,
                bounds=lambda _m, g, y: (0.0, 0.0 if ctx.hard_targets else need[(g, y)]),
                doc="localization shortfall [kt/yr]")
    pen = inst.settings.penalty_localization * PER_T
    for g, y in sets.targets:
        acc.cost[("penalty_localization", y)].append((pen, ctx.v["v_loc_short"][g, y]))
    rows = {}
    for g, y in sets.targets:
        terms = list(acc.qualifying.get((g, y), [])) + [(1.0, ctx.v["v_loc_short"][g, y])]
        rows[(g, y)] = (terms, ">=", need[(g, y)])
    add_rows(m, "c_localization", rows, "qualifying supply covers the target share of demand")


def add_48c_awards(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""48C investment credit: a binary award per eligible candidate within the allocation budget.

    $$w_{p,s} \le U_{p,s}, \qquad \sum_s w_{p,s} \le \bar U_p\, \alpha_p, \qquad
    w_{p,s} \ge U_{p,s} - \bar U_p (1 - \alpha_p), \qquad \sum_{p,s} \theta\, I_p\, w_{p,s} \le B^{48C}$$

    `b_48c[p]` ($\alpha_p$) is the binary award to project $p$; `v_48c[p, s]` ($w_{p,s}$) are the units
    it covers: all of the project's built units when awarded, none otherwise (an award is never
    partial; a project whose credit does not fit in the remaining budget gets none). The credit, the case's rate
    $\theta$ of the capex (all owners), lowers capital cost and is annualised like capex with the
    capital recovery factor, over in-horizon online years only; it is claimed when the plant is
    placed in service, so it carries no interest during construction.

    Credits already allocated (project column `credit_48c_awarded`, $A_p$) are counted without a
    decision, unless the case says they are not paid (`x48c_awarded_paid`), and outside the
    allocation budget. On a multi-unit project the allocation is spread evenly over its
    $\bar U_p$ units: each unit built earns $A_p / \bar U_p$, annualised like an award over that
    unit's in-horizon online years, and units not built earn nothing (a candidate with an
    allocation that builds one of its two units gets half). A project whose allocation counts
    cannot receive a new award as well (one 48C allocation per project); where the case drops
    allocations it may compete for one like any eligible candidate. Rows `c_48c_units[p, s]`,
    `c_48c_award[p]`, `c_48c_full[p, s]`, `c_48c_budget`.

    Dual of `c_48c_budget`: the value of one more dollar of 48C allocation (≤ 0: cost falls).
    """
    sets, inst, acc, pol = ctx.sets, ctx.inst, ctx.acc, ctx.pol
    for (p, y), ss in sets.online.items():
        prj = inst.projects[p]
        if prj.credit_48c_awarded <= 0 or not pol.x48c_awarded_paid:
            continue
        per_unit = inst.crf(prj) * prj.credit_48c_awarded / prj.units_max * MONEY
        for s in ss:
            coef, var = units(m, ctx, p, s)
            if var is None:
                acc.cost_constant[("credit_48c", y)] -= per_unit * coef
            else:
                acc.cost[("credit_48c", y)].append((-per_unit, var))
    if not sets.awards_48c:
        return
    opts = [(p, s) for p in sets.awards_48c for s in sets.starts[p]]
    ctx.add_var(m, "b_48c", list(sets.awards_48c), within=pyo.Binary, doc="48C awarded [0/1]")
    ctx.add_var(m, "v_48c", opts, within=pyo.NonNegativeReals,
                bounds=lambda _m, p, s: (0.0, inst.projects[p].units_max), doc="units covered by 48C [units]")
    rows_units = {(p, s): ([(1.0, ctx.v["v_48c"][p, s]), (-1.0, ctx.v["v_units"][p, s])], "<=", 0.0) for p, s in opts}
    rows_award = {
        p: ([(1.0, ctx.v["v_48c"][p, s]) for s in sets.starts[p]] + [(-inst.projects[p].units_max, ctx.v["b_48c"][p])], "<=", 0.0)
        for p in sets.awards_48c
    }
    # an award covers the whole project: every built unit, or none
    rows_full = {(p, s): ([(1.0, ctx.v["v_48c"][p, s]), (-1.0, ctx.v["v_units"][p, s]),
                           (-inst.projects[p].units_max, ctx.v["b_48c"][p])], ">=", -inst.projects[p].units_max)
                 for p, s in opts}
    budget_terms: list[Term] = []
    for p, s in opts:
        prj = inst.projects[p]
        credit = pol.x48c_rate * prj.capex * MONEY  # claimed by all owners together
        budget_terms.append((credit, ctx.v["v_48c"][p, s]))
        for y in sets.years:
            if prj.is_online(s, y):
                acc.cost[("credit_48c", y)].append((-inst.crf(prj) * credit, ctx.v["v_48c"][p, s]))
    add_rows(m, "c_48c_units", rows_units, "48C covers only units that are built")
    add_rows(m, "c_48c_award", rows_award, "48C covers a project only if awarded")
    add_rows(m, "c_48c_full", rows_full, "an award covers all of the project's units")
    add_rows(m, "c_48c_budget", {"total": (budget_terms, "<=", pol.x48c_budget * MONEY)},
             "48C awards within the allocation budget")


def add_45x_stacking(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""45X production credit where it depends on a 48C award (the case forbids stacking).

    $$z_{p,y} \le \chi_{p,y}\, x_{p,y}, \qquad z_{p,y} \le \chi_{p,y}\, \kappa_p \bar U_p\, (1 - \alpha_p)$$

    Elsewhere 45X is simply a credit $\chi_{p,y}$ per tonne of output of eligible plants: the case's
    rate × phase-down × production cost, for plants that are 45X-eligible, sited in the U.S., not
    FEOC-owned when the case requires it, and whose non-PFE share of material cost meets the year's
    MACR threshold. The production cost per tonne is the plant's variable cost plus each recipe
    input that has a market price, valued at that price ($\sum_c \phi_{p,c} P^{mkt}_c$) whether the
    plant buys it spot or is supplied by another plant or a contract: the credit is a constant of
    the case per tonne of output, known before solving, so it cannot depend on where the inputs come
    from. Inputs without a market price add nothing to the basis. A project whose 48C allocation
    counts (`credit_48c_awarded`, paid in the case) earns no 45X unless the case allows stacking.
    For candidates that may receive a 48C award while stacking is forbidden, `v_45x[p, y]` ($z_{p,y}$) carries the credit and vanishes
    when the award is made. Rows `c_45x_output[p, y]`, `c_45x_stacking[p, y]`.

    Dual: not meaningful (rows with a binary).
    """
    sets, inst, acc, pol = ctx.sets, ctx.inst, ctx.acc, ctx.pol
    if not sets.stacking_45x:
        return
    ctx.add_var(m, "v_45x", list(sets.stacking_45x), within=pyo.NonNegativeReals, doc="45X credit [$M/yr]")
    rows_out, rows_stack = {}, {}
    for p, y in sets.stacking_45x:
        prj = inst.projects[p]
        chi = pol.x45_credit[(p, y)] * PER_T
        z = ctx.v["v_45x"][p, y]
        big = chi * prj.capacity * MASS * prj.units_max
        rows_out[(p, y)] = ([(1.0, z), (-chi, ctx.v["v_prod"][p, y])], "<=", 0.0)
        rows_stack[(p, y)] = ([(1.0, z), (big, ctx.v["b_48c"][p])], "<=", big)
        acc.cost[("credit_45x", y)].append((-1.0, z))
    add_rows(m, "c_45x_output", rows_out, "45X in proportion to output")
    add_rows(m, "c_45x_stacking", rows_stack, "no 45X for a project with a 48C award")


def add_grants(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Grants paid to built projects from the case's grant pool.

    $$g_{p,s} \le G_p\, U_{p,s}, \qquad \sum_s g_{p,s} \le G_p\, \beta_p, \qquad \sum_{p,s} g_{p,s} \le B^{grant}$$

    `v_grant[p, s]` ($M) is paid to a built project up to its listed grant; with a finite pool the
    grants compete for it (the grants of existing and committed plants too). A grant pays for
    capex as it is spent: it is annualised exactly like capex, with the capital recovery factor
    *and* the interest-during-construction factor $\iota_p$ (see *Capital costs*), over the
    in-horizon online years of the units it goes with, so a grant $G$ lowers the cost of a plan
    exactly as $G$ less capex would (unlike a 48C credit, which is claimed when the plant is placed
    in service and so carries no interest during construction). For fixed plants the first two rows
    are bounds. Rows `c_grant_option[p, s]`, `c_grant_project[p]`,
    `c_grant_pool`.

    Dual of `c_grant_pool`: the value of one more dollar in the grant pool (≤ 0: cost falls).
    """
    sets, inst, acc, pol = ctx.sets, ctx.inst, ctx.acc, ctx.pol
    if not sets.grants:
        return
    ctx.add_var(m, "v_grant", list(sets.grants), within=pyo.NonNegativeReals,
                bounds=lambda _m, p, s: (0.0, inst.projects[p].grant * MONEY), doc="grant [$M]")
    rows_opt, rows_prj = {}, {}
    by_project: dict[str, list[int]] = {}
    for p, s in sets.grants:
        by_project.setdefault(p, []).append(s)
    for p, ss in by_project.items():
        prj = inst.projects[p]
        if prj.fixed:
            continue
        g = prj.grant * MONEY
        for s in ss:
            rows_opt[(p, s)] = ([(1.0, ctx.v["v_grant"][p, s]), (-g, ctx.v["v_units"][p, s])], "<=", 0.0)
        rows_prj[p] = ([(1.0, ctx.v["v_grant"][p, s]) for s in ss] + [(-g, ctx.v["b_build"][p])], "<=", 0.0)
    for p, s in sets.grants:
        prj = inst.projects[p]
        crf = inst.capex_annuity_factor(prj)  # a grant pays for capex: it is annualised like capex
        for y in sets.years:
            if prj.is_online(s, y):
                acc.cost[("grants", y)].append((-crf, ctx.v["v_grant"][p, s]))
    add_rows(m, "c_grant_option", rows_opt, "a grant goes only with units that are built")
    add_rows(m, "c_grant_project", rows_prj, "a grant is paid once per built project")
    if pol.grant_pool is not None:
        add_rows(m, "c_grant_pool", {"total": ([(1.0, ctx.v["v_grant"][k]) for k in sets.grants], "<=",
                                               pol.grant_pool * MONEY)}, "grants within the pool")


def add_capex_budgets(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Capex budgets on new builds, per year and over the horizon.

    $$\sum_{(p,s):\, y \in \text{spend}(p,s)} \frac{(1-e_p)\, I_p}{|\text{spend}(p,s)|}\, U_{p,s} \le B_y,
    \qquad \sum_{(p,s)} (1-e_p)\, I_p\, U_{p,s} \le B^{total}$$

    Capex of candidate projects (the planner's share) is spent evenly over the construction years
    (in the start year when construction is instantaneous). Existing and committed plants do not
    count. Rows `c_capex_budget[y]`, `c_capex_budget_total`.

    Dual: the value of one more dollar of budget in that year (≤ 0: cost falls).
    """
    sets, inst, acc, pol = ctx.sets, ctx.inst, ctx.acc, ctx.pol
    if not sets.option_vars:
        return
    rows = {
        y: (acc.capex_spend[y], "<=", b * MONEY)
        for y, b in pol.capex_budget.items() if b is not None and acc.capex_spend.get(y)
    }
    add_rows(m, "c_capex_budget", rows, "capex spent on new builds within the year's budget")
    if pol.capex_budget_total is not None:
        terms = [(inst.projects[p].capex * (1.0 - inst.projects[p].equity_share) * MONEY, ctx.v["v_units"][p, s])
                 for p, s in sets.option_vars if inst.projects[p].capex > 0]
        if terms:
            add_rows(m, "c_capex_budget_total", {"total": (terms, "<=", pol.capex_budget_total * MONEY)},
                     "capex of new builds within the total budget")
