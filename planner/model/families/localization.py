"""Localization targets: a minimum share of demand from qualifying supply."""

from __future__ import annotations

import pyomo.environ as pyo

from planner.cases import in_group, qualifies_for_localization
from planner.model.core import MASS, PER_T, Context, add_rows


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
    sets, ci, acc, pol = ctx.sets, ctx.ci, ctx.acc, ctx.pol
    targets = sorted(pol.localization_target)  # (family or commodity, year) with a target
    if not targets:
        return
    groups = {g for g, _y in targets}
    if sets.prod:
        for p, y in sets.prod:
            prj = ci.projects[p]
            if not qualifies_for_localization(ci, region=prj.site, feoc=prj.feoc_owned):
                continue
            for g in groups:
                if in_group(ci, g, prj.commodity):
                    acc.qualifying[(g, y)].append((1.0, ctx.v["v_prod"][p, y]))
    for k, y in sets.imports:
        con = ci.contracts[k]
        if not qualifies_for_localization(ci, region=con.origin, feoc=con.feoc):
            continue
        for g in groups:
            if in_group(ci, g, con.commodity):
                acc.qualifying[(g, y)].append((1.0, ctx.v["v_import"][k, y]))
    by_commodity: dict[tuple[str, int], float] = {}
    for (c, _r, y), t in ci.demand.items():
        by_commodity[(c, y)] = by_commodity.get((c, y), 0.0) + t
    need: dict[tuple[str, int], float] = {}
    for (g, y), share in pol.localization_target.items():
        total = sum(t for (c, yy), t in by_commodity.items() if yy == y and in_group(ci, g, c))
        need[(g, y)] = share * total * MASS
    # a hard target is the same row with the shortfall held at zero
    ctx.add_var(m, "v_loc_short", targets, within=pyo.NonNegativeReals,
                bounds=lambda _m, g, y: (0.0, 0.0 if ctx.hard_targets else need[(g, y)]),
                doc="localization shortfall [kt/yr]")
    pen = ci.settings.penalty_localization * PER_T
    for g, y in targets:
        acc.cost[("penalty_localization", y)].append((pen, ctx.v["v_loc_short"][g, y]))
    rows = {}
    for g, y in targets:
        terms = list(acc.qualifying.get((g, y), [])) + [(1.0, ctx.v["v_loc_short"][g, y])]
        rows[(g, y)] = (terms, ">=", need[(g, y)])
    add_rows(m, "c_localization", rows, "qualifying supply covers the target share of demand")
