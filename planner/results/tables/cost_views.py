"""cost_views: the plan's cost seen three ways, by year — to industry, to the economy, to the Treasury.

Every cost component has a kind in the registry (`planner.model.registry.KINDS`); the views follow
the kinds, so a component a family registers shows in every view without code here:

* **cost to industry** = resource cost + tariffs − credits: the cash the industry spends, credits
  counted as income and tariffs as a cost;
* **resource cost** = the resource components only: what the plan uses up, without the transfers
  (tariffs and credits) between industry and the Treasury;
* **fiscal flows**: each credit paid (one column per credit component: 45X, 48C, grants, a cell
  credit ...), the tariff revenue, and the net fiscal cost = credits − tariff revenue.

Penalties (priced shortfalls, money nobody pays) and the sunk capex of existing and committed plants
(constants of the case) are columns of their own, in none of the views; the objective is the sum of
cost to industry, penalties and sunk capex. Money of each year; `discount_factor` discounts it to
the base year (the KPIs hold the discounted totals).
"""

from __future__ import annotations

import pandas as pd

from planner.model.registry import TableContext, component_kind, cost_components, table


def cost_view_columns() -> list[str]:
    """The columns of the cost_views table, credit components as registered now."""
    credits = [f"{c}_usd" for c in cost_components("credit")]
    return ["year", "resource_cost_usd", "tariffs_usd", *credits, "credits_usd", "cost_to_industry_usd",
            "tariff_revenue_usd", "net_fiscal_cost_usd", "penalties_usd", "sunk_capex_usd", "discount_factor"]


@table("cost_views", description="The plan's cost by year seen three ways: cost to industry (resource cost + "
                                 "tariffs - credits), resource cost (without the transfers), fiscal flows "
                                 "(credits paid by kind, tariff revenue); penalties and sunk capex apart.")
def cost_views(t: TableContext) -> pd.DataFrame:
    st = t.ci.settings
    costs = t.table("costs")
    by: dict[tuple[str, int], float] = {}
    if not costs.empty:
        for comp, y, v in zip(costs["component"].astype(str), costs["year"], costs["cost_usd"]):
            by[(comp, int(y))] = by.get((comp, int(y)), 0.0) + float(v)
    kinds = {c: component_kind(c) for c, _y in by}
    credits = cost_components("credit")
    rows = []
    for y in t.ci.years:
        def total(kind: str, y: int = y) -> float:
            return sum(v for (c, yy), v in by.items() if yy == y and kinds[c] == kind) + 0.0

        resource, tariffs = total("cost"), total("tariff")
        paid = {c: 0.0 - by.get((c, y), 0.0) for c in credits}
        credit_total = sum(paid.values()) + 0.0
        rows.append({
            "year": y, "resource_cost_usd": resource, "tariffs_usd": tariffs,
            **{f"{c}_usd": v + 0.0 for c, v in paid.items()}, "credits_usd": credit_total,
            "cost_to_industry_usd": resource + tariffs - credit_total, "tariff_revenue_usd": tariffs,
            "net_fiscal_cost_usd": credit_total - tariffs, "penalties_usd": total("penalty"),
            "sunk_capex_usd": total("sunk"), "discount_factor": st.discount_factor(y),
        })
    return pd.DataFrame(rows, columns=cost_view_columns())


def discounted(df: pd.DataFrame, column: str) -> float:
    """A money column of cost_views discounted to the base year and summed over the years."""
    if df.empty or column not in df.columns:
        return 0.0
    return float((df[column].astype(float) * df["discount_factor"].astype(float)).sum())
