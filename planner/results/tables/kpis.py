"""kpis: the key indicators of the plan, each with its unit and what it counts."""

from __future__ import annotations

from typing import Any

import pandas as pd

from planner.model.registry import TableContext, cost_components, table
from planner.model.units import MONEY
from planner.results.labels import LOCALIZATION_DEFINITIONS, definition_key
from planner.results.tables.common import groups
from planner.results.tables.costs import discounted_total
from planner.results.tables.cost_views import discounted
from planner.results.tables.sources import headline_year


@table("kpis", keep_without_plan=True)
def kpis(t: TableContext) -> pd.DataFrame:
    ci, pol, ok = t.ci, t.pol, t.ok
    st = ci.settings
    years = ci.years
    costs, builds, imports = t.table("costs"), t.table("builds"), t.table("imports")
    unmet_df, localization, supply_df = t.table("unmet"), t.table("localization"), t.table("supply")
    objective = t.objective / MONEY if t.objective is not None else None
    penalties = discounted_total(costs, "penalty")
    sunk = discounted_total(costs, "sunk")
    public = 0.0 - discounted_total(costs, "credit")
    views = t.table("cost_views")
    credit_words = ", ".join(c.replace("credit_", "").upper() if c.startswith("credit_") else c.replace("_", " ")
                             for c in cost_components("credit"))
    new = builds[builds["decision"] == "build"]
    rows: list[tuple[str, Any, str, str]] = [
        ("total_cost_usd", objective, "$", f"discounted to {st.base_year}, net of credits, including penalties "
                                           "and the sunk capex of existing and committed plants (the objective)"),
        ("cost_to_industry_usd", None if objective is None else objective - penalties - sunk, "$",
         "discounted cash cost to the industry: resource cost plus tariffs, less credits; without penalties and "
         "without sunk capex. Demand left unmet costs nothing here, so compare it between cases only together "
         "with the unmet demand"),
        ("resource_cost_usd", discounted(views, "resource_cost_usd") if ok else None, "$",
         "discounted cost of the resources the plan uses (capex of new builds, O&M, materials, imports at their "
         "price, freight), without the transfers between industry and the Treasury (tariffs, credits)"),
        ("public_cost_usd", public if ok else None, "$", f"discounted credits paid ({credit_words}): the fiscal "
                                                         "cost before tariff revenue"),
        ("tariff_revenue_usd", discounted(views, "tariff_revenue_usd") if ok else None, "$",
         "discounted tariffs paid on imports: revenue of the Treasury"),
        ("net_fiscal_cost_usd", discounted(views, "net_fiscal_cost_usd") if ok else None, "$",
         "discounted credits paid less tariff revenue"),
        ("penalties_usd", penalties if ok else None, "$", "unmet demand, missed localization and offtake shortfalls, discounted; "
                                                          "in none of the cost views"),
        ("sunk_capex_usd", sunk if ok else None, "$",
         "discounted capex annuities of existing and committed plants, constants of the case: shown apart, in none "
         "of the cost views (comparisons and regrets can leave them out)"),
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
    rows += _idle_kpis(t) if ok else []
    rows += _localization_kpis(t) if ok else []
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
        df = df[~df["kpi"].str.startswith(("localized_", "domestic_fta_share", "feoc_import", "idle_"))]
        df = df.assign(value=[v if k == "cell_output_gwh" else None for k, v in zip(df["kpi"], df["value"])])
    return df


def _localization_kpis(t: TableContext) -> list[tuple[str, Any, str, str]]:
    """Each group's localization in the headline year under the four definitions, by tonnes and by value."""
    lv = t.table("localization_views")
    hy = headline_year(t.ci.years)
    out: list[tuple[str, Any, str, str]] = []
    if lv.empty:
        return out
    sub = lv[lv["year"] == hy]
    words = dict(LOCALIZATION_DEFINITIONS)
    for g in groups(t):
        for r in sub[sub["group"] == g].itertuples():
            key = definition_key(r.definition)
            out.append((f"localized_{key}_tonnes_{g}_{hy}", float(r.share), "share",
                        f"{g} supply counted as {words[key]} / {g} demand in {hy}, in tonnes"))
            out.append((f"localized_{key}_value_{g}_{hy}", float(r.value_share), "share",
                        f"{g} supply counted as {words[key]} / {g} demand in {hy}, in value (tonnes x the "
                        "reference prices of the reference_prices sheet)"))
    return out


def _idle_kpis(t: TableContext) -> list[tuple[str, Any, str, str]]:
    """Idle existing and committed capacity in the headline year: tonnes, share, capex and public support."""
    idle = t.table("idle_capacity")
    hy = headline_year(t.ci.years)
    q = float(idle["year_qualified_t"].sum()) if len(idle) else 0.0
    i = float(idle["year_idle_t"].sum()) if len(idle) else 0.0
    nothing = int((idle["idle_years"] == idle["qualified_years"]).sum()) if len(idle) else 0
    return [
        (f"idle_capacity_t_{hy}", i, "t", f"qualified capacity of existing and committed plants left idle in {hy} "
                                          "(not producing, mothballed or idle): sheet idle_capacity"),
        (f"idle_capacity_share_{hy}", i / q if q > 0 else None, "share",
         f"idle / qualified capacity of existing and committed plants in {hy}"),
        (f"idle_capacity_capex_usd_{hy}", float(idle["idle_capex_usd"].sum()) if len(idle) else 0.0, "$",
         f"overnight capex of the existing and committed plants x their idle share in {hy} (not discounted)"),
        (f"idle_capacity_support_usd_{hy}", float(idle["idle_support_usd"].sum()) if len(idle) else 0.0, "$",
         f"grants and 48C received by those plants x their idle share in {hy} (not discounted)"),
        ("plants_idle", nothing, "count", "existing and committed plants that deliver nothing in any qualified year "
                                          "of the horizon"),
    ]
