"""unmet: demand the plan leaves unmet."""

from __future__ import annotations

import pandas as pd

from planner.model.registry import TableContext, table
from planner.model.units import MASS


@table("unmet")
def unmet(t: TableContext) -> pd.DataFrame:
    demand = t.ci.demand
    short = {k: v / MASS for k, v in t.values("v_unmet").items()}
    return pd.DataFrame(
        [{"commodity": c, "region": r, "year": y, "tonnes": q, "demand_t": demand[(c, r, y)]}
         for (c, r, y), q in sorted(short.items()) if q > 1e-6],
        columns=["commodity", "region", "year", "tonnes", "demand_t"])
