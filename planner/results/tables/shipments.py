"""shipments: shipments between regions by year and their transport cost (with the grade, pfe or non_pfe,
of a graded commodity's shipments; blank for the others)."""

from __future__ import annotations

import pandas as pd

from planner.model.registry import TableContext, table
from planner.model.sourcing import ALL
from planner.model.units import MASS
from planner.results.tables.common import TOL


@table("shipments")
def shipments(t: TableContext) -> pd.DataFrame:
    transport = t.ci.transport
    ship = {k: v / MASS for k, v in t.values("v_ship").items()}
    return pd.DataFrame(
        [{"commodity": c, "grade": None if g == ALL else g, "from_region": i, "to_region": j, "year": y,
          "tonnes": q, "cost_usd_per_t": transport[(c, i, j)], "cost_usd": q * transport[(c, i, j)]}
         for (c, g, i, j, y), q in sorted(ship.items()) if q > TOL / MASS],
        columns=["commodity", "grade", "from_region", "to_region", "year", "tonnes", "cost_usd_per_t",
                 "cost_usd"])
