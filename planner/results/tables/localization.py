"""localization: qualifying supply as a share of demand against the case's target, by group and year."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from planner.cases.rules import in_group, qualifies_for_localization
from planner.model.registry import TableContext, table
from planner.model.units import MASS, PER_T
from planner.results.tables.common import demand_by_commodity, groups, imports_t, output_t


@table("localization")
def localization(t: TableContext) -> pd.DataFrame:
    ci, pol = t.ci, t.pol
    prod, imp = output_t(t), imports_t(t)
    short = {k: v / MASS for k, v in t.values("v_loc_short").items()}
    loc_duals = t.duals("c_localization")
    demand_cy = demand_by_commodity(t)
    gs = groups(t)
    qual_by: dict[tuple[str, int], float] = defaultdict(float)
    dom_by: dict[tuple[str, int], float] = defaultdict(float)
    fta_by: dict[tuple[str, int], float] = defaultdict(float)
    for (p, y), out in prod.items():
        prj = ci.projects[p]
        reg = ci.regions[prj.site]
        for g in gs:
            if in_group(ci, g, prj.commodity):
                if qualifies_for_localization(ci, region=prj.site, feoc=prj.feoc_owned):
                    qual_by[(g, y)] += out
                if reg.domestic:
                    dom_by[(g, y)] += out
                elif reg.fta:
                    fta_by[(g, y)] += out
    for (k, y), q in imp.items():
        con = ci.contracts[k]
        reg = ci.regions[con.origin]
        for g in gs:
            if in_group(ci, g, con.commodity):
                if qualifies_for_localization(ci, region=con.origin, feoc=con.feoc):
                    qual_by[(g, y)] += q
                if reg.fta and not reg.domestic:
                    fta_by[(g, y)] += q
    rows = []
    for g in gs:
        for y in ci.years:
            dem = sum(d for (c, yy), d in demand_cy.items() if yy == y and in_group(ci, g, c))
            if dem <= 0:
                continue
            target = pol.localization_target.get((g, y), 0.0)
            dual = loc_duals.get((g, y))
            df = ci.settings.discount_factor(y)
            rows.append({
                "group": g, "year": y, "demand_t": dem, "target_share": target, "required_t": target * dem,
                "qualifying_t": qual_by.get((g, y), 0.0), "share": qual_by.get((g, y), 0.0) / dem,
                "domestic_share": dom_by.get((g, y), 0.0) / dem,
                "domestic_fta_share": (dom_by.get((g, y), 0.0) + fta_by.get((g, y), 0.0)) / dem,
                "shortfall_t": short.get((g, y), 0.0),
                "target_cost_usd_per_t": (dual / PER_T / df) if dual is not None else float("nan"),
            })
    return pd.DataFrame(rows, columns=[
        "group", "year", "demand_t", "target_share", "required_t", "qualifying_t", "share", "domestic_share",
        "domestic_fta_share", "shortfall_t", "target_cost_usd_per_t"])
