"""supply: where each commodity comes from, by year (plants by location, imports by origin, ...)."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from planner.model.registry import TableContext, table
from planner.model.units import MASS
from planner.model.families.substitution import served_demand
from planner.results.tables.common import imports_t, output_t


@table("supply")
def supply(t: TableContext) -> pd.DataFrame:
    """Sources and uses of each commodity by year; demand_t is the demand placed on the commodity after
    substitution groups (a member's stated demand where no group applies, what it delivers to its groups
    where one does), so that the sources add up to demand_t + input_use_t."""
    ci = t.ci
    prod, imp = output_t(t), imports_t(t)
    buy = {k: v / MASS for k, v in t.values("v_buy").items()}
    unmet = {k: v / MASS for k, v in t.values("v_unmet").items()}
    demand_cy = served_demand(t)  # after substitution: what each member delivers to its groups
    by: dict[tuple[str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    feoc_imports: dict[tuple[str, int], float] = defaultdict(float)
    for (p, y), out in prod.items():
        prj = ci.projects[p]
        reg = ci.regions[prj.site]
        col = "domestic_plants_t" if reg.domestic else "fta_plants_t" if reg.fta else "other_plants_t"
        by[(prj.commodity, y)][col] += out
        for c, tpt in prj.recipe:
            by[(c, y)]["input_use_t"] += tpt * out
    origins = sorted({ci.contracts[k].origin for k, _ in t.sets.imports})
    for (k, y), q in imp.items():
        con = ci.contracts[k]
        by[(con.commodity, y)][f"imports_{con.origin}_t"] += q
        if con.feoc:
            feoc_imports[(con.commodity, y)] += q
    for (c, _r, y), q in buy.items():
        by[(c, y)]["spot_purchases_t"] += q
    for (_p, c, y), q in t.values("v_spot").items():  # graded inputs bought spot by each plant
        by[(c, y)]["spot_purchases_t"] += q / MASS
    for (c, _r, y), q in unmet.items():
        by[(c, y)]["unmet_t"] += q
    supply_cols = ["domestic_plants_t", "fta_plants_t", "other_plants_t",
                   *[f"imports_{o}_t" for o in origins], "spot_purchases_t", "unmet_t"]
    rows = []
    for c in ci.commodities:
        for y in ci.years:
            d = by.get((c, y), {})
            if not d and demand_cy.get((c, y), 0.0) == 0:
                continue
            row = {"commodity": c, "family": ci.commodities[c].family, "year": y,
                   "demand_t": demand_cy.get((c, y), 0.0), "input_use_t": d.get("input_use_t", 0.0)}
            row.update({col: d.get(col, 0.0) for col in supply_cols})
            row["feoc_imports_t"] = feoc_imports.get((c, y), 0.0)
            rows.append(row)
    return pd.DataFrame(rows, columns=["commodity", "family", "year", "demand_t", "input_use_t",
                                       *supply_cols, "feoc_imports_t"])
