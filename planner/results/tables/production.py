"""production: output of each plant by year, the capacity available to deliver it, utilization."""

from __future__ import annotations

import pandas as pd

from planner.model.registry import TableContext, table
from planner.results.tables.common import built_units, output_t, retire_year


@table("production")
def production(t: TableContext) -> pd.DataFrame:
    ci = t.ci
    prod = output_t(t)
    rows = []
    for (p, y), ss in t.sets.deliverable.items():
        prj = ci.projects[p]
        avail = sum(built_units(t, p, s) * prj.capacity * a for s, a in ss if y < retire_year(t, p, s))
        if avail <= 0:
            continue
        out = prod.get((p, y), 0.0)
        rows.append({
            "project": p, "commodity": prj.commodity, "site": prj.site, "year": y, "output_t": out,
            "available_t": avail, "utilization": out / avail if avail else 0.0,
        })
    return pd.DataFrame(rows, columns=["project", "commodity", "site", "year", "output_t", "available_t",
                                       "utilization"])
