"""kpis: the key indicators of the plan, each with its unit and what it counts."""

from __future__ import annotations

from typing import Any

import pandas as pd

from planner.model.registry import TableContext, cost_components, table
from planner.model.units import MONEY
from planner.results.tables.common import groups


@table("kpis", keep_without_plan=True)
def kpis(t: TableContext) -> pd.DataFrame:
    ci, pol, ok = t.ci, t.pol, t.ok
    st = ci.settings
    years = ci.years
    costs, builds, imports = t.table("costs"), t.table("builds"), t.table("imports")
    unmet_df, localization, supply_df = t.table("unmet"), t.table("localization"), t.table("supply")
    objective = t.objective / MONEY if t.objective is not None else None
    disc = costs.groupby("component")["discounted_usd"].sum() if not costs.empty else pd.Series(dtype=float)
    penalties = float(disc.reindex(list(cost_components("penalty"))).fillna(0).sum())
    public = 0.0 - float(disc.reindex(list(cost_components("credit"))).fillna(0).sum())
    new = builds[builds["decision"] == "build"]
    rows: list[tuple[str, Any, str, str]] = [
        ("total_cost_usd", objective, "$", f"discounted to {st.base_year}, net of credits, including penalties"),
        ("cost_to_industry_usd", None if objective is None else objective - penalties, "$",
         "discounted total cost net of credits, without penalties: demand left unmet costs nothing here, so "
         "compare it between cases only together with the unmet demand"),
        ("public_cost_usd", public if ok else None, "$", "discounted credits (45X, 48C, the cell credit) and grants counted in the plan"),
        ("penalties_usd", penalties if ok else None, "$", "unmet demand and missed localization, discounted"),
        ("capex_committed_usd", float(new["capex_usd"].sum()) if ok else None, "$",
         "overnight capex of the plan's new builds (all owners); existing and committed plants not included"),
        ("capex_planner_usd", float(new["capex_planner_usd"].sum()) if ok else None, "$",
         "overnight capex of new builds net of JV partners' shares"),
        ("plants_built", int(new["project"].nunique()) if ok else None, "count", "candidate projects built"),
        ("units_built", int(new["units"].sum()) if ok else None, "count", "units (modules) built"),
        ("contracts_signed", int(imports.loc[imports["signed"], "contract"].nunique()) if ok else None, "count",
         "import contracts used or signed"),
        ("unmet_demand_t", float(unmet_df["tonnes"].sum()) if ok else None, "t", "over the horizon"),
        ("cell_output_gwh", float(sum(ci.cell_gwh.values())), "GWh",
         "cells behind the demand (cell_demand sheet), over the horizon"),
        ("cell_output_gwh_discounted", float(sum(g * st.discount_factor(y) for y, g in ci.cell_gwh.items())),
         "GWh", f"cell output discounted to {st.base_year} like costs (for levelized $/kWh figures)"),
    ]
    fam = {c: x.family for c, x in ci.commodities.items()}
    report_years = sorted({y for y in years if y % 5 == 0} | {years[-1]} | {y for _g, y in pol.localization_target})
    for g in groups(t):
        sub = localization[localization["group"] == g].set_index("year") if not localization.empty else None
        for y in report_years:
            if sub is not None and y in sub.index:
                rows.append((f"localized_share_{g}_{y}", float(sub.loc[y, "share"]), "share",
                             f"qualifying supply / demand of {g} in {y} (case rules)"))
                rows.append((f"domestic_fta_share_{g}_{y}", float(sub.loc[y, "domestic_fta_share"]), "share",
                             f"U.S. plus FTA-partner supply / demand of {g} in {y}"))
        if g in fam.values() and not supply_df.empty:
            s = supply_df[supply_df["family"] == g]
            dem = float(s["demand_t"].sum())
            if dem > 0:
                rows.append((f"feoc_import_share_{g}", float(s["feoc_imports_t"].sum()) / dem, "share",
                             f"imports from FEOC suppliers / demand of {g}, whole horizon"))
    df = pd.DataFrame(rows, columns=["kpi", "value", "unit", "note"])
    if not ok:  # no plan: nothing to report but the status; never zeros that look like a plan
        df = df[~df["kpi"].str.startswith(("localized_share", "domestic_fta_share", "feoc_import"))]
        df = df.assign(value=[v if k == "cell_output_gwh" else None for k, v in zip(df["kpi"], df["value"])])
    return df
