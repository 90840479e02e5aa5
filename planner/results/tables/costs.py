"""costs: cost by year and component; credits: credits and grants received by year."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.model.registry import TableContext, cost_components, table
from planner.model.units import MONEY


@table("costs")
def costs(t: TableContext) -> pd.DataFrame:
    """Every entry of the cost accumulator, valued at the plan: the objective's terms by component and year."""
    st = t.ci.settings
    rows = []
    ct = getattr(t.model, "cost_terms", None)  # plain arrays the objective family keeps on the model
    if t.ok and ct is not None:
        values = np.fromiter((v.value for v in ct["vars"]), dtype=float, count=len(ct["vars"]))
        by_key = np.bincount(ct["rows"], weights=ct["coefs"] * values, minlength=len(ct["keys"])) + ct["constants"]
        for (comp, y), total in zip(ct["keys"], by_key.tolist()):
            v = total / MONEY
            rows.append({"year": y, "component": comp, "cost_usd": v, "discounted_usd": v * st.discount_factor(y)})
    df = pd.DataFrame(rows, columns=["year", "component", "cost_usd", "discounted_usd"])
    if not df.empty:
        df["component"] = pd.Categorical(df["component"], categories=list(cost_components()), ordered=True)
        df = df.sort_values(["year", "component"]).reset_index(drop=True)
        df["component"] = df["component"].astype(str)
    return df


def discounted_total(costs: pd.DataFrame, kind: str) -> float:
    """The discounted total ($) of the cost components of one kind ("penalty", "sunk", "credit") in a
    costs table (0 for an empty one): the kpis' penalties and sunk capex, and a study's."""
    if costs.empty:
        return 0.0
    return float(costs.loc[costs["component"].isin(list(cost_components(kind))), "discounted_usd"].sum())


@table("credits")
def credits(t: TableContext) -> pd.DataFrame:
    """The credit components of the costs table (with their sign turned), by year: a column per component."""
    st = t.ci.settings
    c = t.table("costs")
    kinds = cost_components("credit")
    rows = []
    for y in t.ci.years:
        sub = c[(c["year"] == y) & c["component"].isin(kinds)] if not c.empty else c
        vals = {k: 0.0 - float(sub.loc[sub["component"] == k, "cost_usd"].sum()) for k in kinds}
        rows.append({"year": y, **{f"{k}_usd": v for k, v in vals.items()}, "total_usd": sum(vals.values()),
                     "discounted_usd": sum(vals.values()) * st.discount_factor(y)})
    return pd.DataFrame(rows, columns=["year", *[f"{k}_usd" for k in kinds], "total_usd", "discounted_usd"])
