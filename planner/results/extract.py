"""Turn a solved Pyomo model into a `Solution` of tidy tables, once."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from planner.cases import in_group, qualifies_for_localization
from planner.cases.case import CaseInstance
from planner.model.families.credits_45x import x45_credit
from planner.model.core import COST_COMPONENTS, CREDIT_COMPONENTS, MASS, MONEY, PENALTY_COMPONENTS, PER_T
from planner.results.solution import Solution
from planner.solve.highs import SolveReport

TOL = 1e-7  # kt / units below which a value is treated as zero


def _values(m: pyo.ConcreteModel, name: str) -> dict[Any, float]:
    comp = getattr(m, name, None)
    if comp is None:
        return {}
    # rounded to 1e-9 of the internal unit (1 mg, or a thousandth of a dollar): no float noise in the reports
    return {k: round(v.value or 0.0, 9) + 0.0 for k, v in comp.items()}


def _duals(m: pyo.ConcreteModel, report: SolveReport, name: str) -> dict[Any, float]:
    """Row key -> dual of family `name` (model units), from the fixed-integer re-solve."""
    comp = getattr(m, name, None)
    y = report.row_duals.get(name)
    if comp is None or y is None:
        return {}
    return {k: float(d) for k, d in zip(comp.row_keys, y)}


def extract(m: pyo.ConcreteModel, inst: CaseInstance, report: SolveReport, run_info: dict[str, Any],
            *, hard_targets: bool = False, messages: tuple[str, ...] = ()) -> Solution:
    pol = inst.policy
    sets = inst.sets
    credit_45x = x45_credit(inst)
    st = inst.settings
    years = inst.years
    ok = report.has_solution

    units = _values(m, "v_units") if ok else {}
    prod = {k: v / MASS for k, v in _values(m, "v_prod").items()} if ok else {}
    imp = {k: v / MASS for k, v in _values(m, "v_import").items()} if ok else {}
    top = {k: v / MASS for k, v in _values(m, "v_top").items()} if ok else {}
    sign = _values(m, "b_sign") if ok else {}
    ship = {k: v / MASS for k, v in _values(m, "v_ship").items()} if ok else {}
    buy = {k: v / MASS for k, v in _values(m, "v_buy").items()} if ok else {}
    unmet = {k: v / MASS for k, v in _values(m, "v_unmet").items()} if ok else {}
    short = {k: v / MASS for k, v in _values(m, "v_loc_short").items()} if ok else {}
    w48 = _values(m, "v_48c") if ok else {}
    grant = {k: v / MONEY for k, v in _values(m, "v_grant").items()} if ok else {}

    def built_units(p: str, s: int) -> float:
        fixed = sets.fixed_units.get((p, s))
        if fixed is not None:
            return float(fixed)
        return round(units.get((p, s), 0.0)) if ok else 0.0

    # ---------------------------------------------------------------- builds
    rows = []
    built_projects: set[str] = set()
    for p, s in sets.options:
        u = built_units(p, s)
        prj = inst.projects[p]
        if u < 0.5:
            continue
        built_projects.add(p)
        own = 1.0 - prj.equity_share
        c48 = pol.x48c_rate * prj.capex * w48.get((p, s), 0.0)
        if pol.x48c_awarded_paid:
            c48 += prj.credit_48c_awarded * u / prj.units_max
        rows.append({
            "project": p, "name": prj.name, "decision": prj.status if prj.fixed else "build",
            "variant_of": prj.base if prj.is_jv else "", "partner": prj.partner or "",
            "equity_share": prj.equity_share, "commodity": prj.commodity, "site": prj.site,
            "units": int(u), "start_year": s, "online_year": prj.online_year(s),
            "qualified_year": prj.qualified_year(s), "retire_year": prj.retire_year(s),
            "capacity_t": u * prj.capacity, "capex_usd": u * prj.capex, "capex_planner_usd": u * prj.capex * own,
            "grant_usd": grant.get((p, s), 0.0), "credit_48c_usd": c48,
            "x45_eligible": any((p, y) in credit_45x for y in years),
        })
    for p in sets.candidates:
        if p in built_projects:
            continue
        prj = inst.projects[p]
        rows.append({
            "project": p, "name": prj.name, "decision": "not built", "variant_of": prj.base if prj.is_jv else "",
            "partner": prj.partner or "", "equity_share": prj.equity_share, "commodity": prj.commodity,
            "site": prj.site, "units": 0, "start_year": None, "online_year": None, "qualified_year": None,
            "retire_year": None, "capacity_t": None, "capex_usd": None, "capex_planner_usd": None, "grant_usd": None,
            "credit_48c_usd": None, "x45_eligible": any((p, y) in credit_45x for y in years),
        })
    builds = pd.DataFrame(rows, columns=[
        "project", "name", "decision", "variant_of", "partner", "equity_share", "commodity", "site", "units",
        "start_year", "online_year", "qualified_year", "retire_year", "capacity_t", "capex_usd",
        "capex_planner_usd", "grant_usd", "credit_48c_usd", "x45_eligible"])
    years_cols = ["start_year", "online_year", "qualified_year", "retire_year"]
    builds[years_cols] = builds[years_cols].astype("Int64")  # whole years; blank for plants not built

    # ---------------------------------------------------------------- capacity and production
    cap_online: dict[tuple[str, str, int], float] = defaultdict(float)
    cap_qual: dict[tuple[str, str, int], float] = defaultdict(float)
    prod_rows = []
    for p, s in sets.options:
        u = built_units(p, s)
        if u < 0.5:
            continue
        prj = inst.projects[p]
        for y in years:
            if prj.is_online(s, y):
                cap_online[(prj.commodity, prj.site, y)] += u * prj.capacity
                cap_qual[(prj.commodity, prj.site, y)] += u * prj.capacity * prj.availability(s, y)
    for (p, y), ss in sets.deliverable.items():
        prj = inst.projects[p]
        avail = sum(built_units(p, s) * prj.capacity * a for s, a in ss)
        if avail <= 0:
            continue
        out = prod.get((p, y), 0.0)
        prod_rows.append({
            "project": p, "commodity": prj.commodity, "site": prj.site, "year": y, "output_t": out,
            "available_t": avail, "utilization": out / avail if avail else 0.0,
            "x45_credit_usd_per_t": credit_45x.get((p, y), 0.0),
        })
    capacity = pd.DataFrame(
        [{"commodity": c, "region": r, "year": y, "online_t": cap_online[(c, r, y)],
          "qualified_t": cap_qual.get((c, r, y), 0.0)} for (c, r, y) in sorted(cap_online)],
        columns=["commodity", "region", "year", "online_t", "qualified_t"])
    production = pd.DataFrame(prod_rows, columns=["project", "commodity", "site", "year", "output_t", "available_t",
                                                  "utilization", "x45_credit_usd_per_t"])

    # ---------------------------------------------------------------- supply by origin
    demand_cy: dict[tuple[str, int], float] = defaultdict(float)
    for (c, _r, y), t in inst.demand.items():
        demand_cy[(c, y)] += t
    supply: dict[tuple[str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    feoc_imports: dict[tuple[str, int], float] = defaultdict(float)
    for (p, y), out in prod.items():
        prj = inst.projects[p]
        reg = inst.regions[prj.site]
        col = "domestic_plants_t" if reg.domestic else "fta_plants_t" if reg.fta else "other_plants_t"
        supply[(prj.commodity, y)][col] += out
        for c, tpt in prj.recipe:
            supply[(c, y)]["input_use_t"] += tpt * out
    origins = sorted({inst.contracts[k].origin for k, _ in sets.imports})
    for (k, y), t in imp.items():
        con = inst.contracts[k]
        supply[(con.commodity, y)][f"imports_{con.origin}_t"] += t
        if con.feoc:
            feoc_imports[(con.commodity, y)] += t
    for (c, _r, y), t in buy.items():
        supply[(c, y)]["spot_purchases_t"] += t
    for (c, _r, y), t in unmet.items():
        supply[(c, y)]["unmet_t"] += t
    supply_cols = ["domestic_plants_t", "fta_plants_t", "other_plants_t",
                   *[f"imports_{o}_t" for o in origins], "spot_purchases_t", "unmet_t"]
    srows = []
    for c in inst.commodities:
        for y in years:
            d = supply.get((c, y), {})
            if not d and demand_cy.get((c, y), 0.0) == 0:
                continue
            row = {"commodity": c, "family": inst.commodities[c].family, "year": y,
                   "demand_t": demand_cy.get((c, y), 0.0), "input_use_t": d.get("input_use_t", 0.0)}
            row.update({col: d.get(col, 0.0) for col in supply_cols})
            row["feoc_imports_t"] = feoc_imports.get((c, y), 0.0)
            srows.append(row)
    supply_df = pd.DataFrame(srows, columns=["commodity", "family", "year", "demand_t", "input_use_t",
                                             *supply_cols, "feoc_imports_t"])

    # ---------------------------------------------------------------- localization
    loc_duals = _duals(m, report, "c_localization") if ok else {}
    fam = {c: x.family for c, x in inst.commodities.items()}
    groups = sorted({fam[c] for (c, _r, _y) in inst.demand} | {g for g, _ in pol.localization_target},
                    key=lambda g: (g not in fam.values(), g))

    qual_by: dict[tuple[str, int], float] = defaultdict(float)
    dom_by: dict[tuple[str, int], float] = defaultdict(float)
    fta_by: dict[tuple[str, int], float] = defaultdict(float)
    for (p, y), out in prod.items():
        prj = inst.projects[p]
        reg = inst.regions[prj.site]
        for g in groups:
            if in_group(inst, g, prj.commodity):
                if qualifies_for_localization(inst, region=prj.site, feoc=prj.feoc_owned):
                    qual_by[(g, y)] += out
                if reg.domestic:
                    dom_by[(g, y)] += out
                elif reg.fta:
                    fta_by[(g, y)] += out
    for (k, y), t in imp.items():
        con = inst.contracts[k]
        reg = inst.regions[con.origin]
        for g in groups:
            if in_group(inst, g, con.commodity):
                if qualifies_for_localization(inst, region=con.origin, feoc=con.feoc):
                    qual_by[(g, y)] += t
                if reg.fta and not reg.domestic:
                    fta_by[(g, y)] += t
    lrows = []
    for g in groups:
        for y in years:
            dem = sum(t for (c, yy), t in demand_cy.items() if yy == y and in_group(inst, g, c))
            if dem <= 0:
                continue
            target = pol.localization_target.get((g, y), 0.0)
            dual = loc_duals.get((g, y))
            df = st.discount_factor(y)
            lrows.append({
                "group": g, "year": y, "demand_t": dem, "target_share": target, "required_t": target * dem,
                "qualifying_t": qual_by.get((g, y), 0.0), "share": qual_by.get((g, y), 0.0) / dem,
                "domestic_share": dom_by.get((g, y), 0.0) / dem,
                "domestic_fta_share": (dom_by.get((g, y), 0.0) + fta_by.get((g, y), 0.0)) / dem,
                "shortfall_t": short.get((g, y), 0.0),
                "target_cost_usd_per_t": (dual / PER_T / df) if dual is not None else float("nan"),
            })
    localization = pd.DataFrame(lrows, columns=[
        "group", "year", "demand_t", "target_share", "required_t", "qualifying_t", "share", "domestic_share",
        "domestic_fta_share", "shortfall_t", "target_cost_usd_per_t"])

    # ---------------------------------------------------------------- imports and shipments
    irows = []
    signed_set = set(sets.signed)
    for k, y in sets.imports:
        con = inst.contracts[k]
        t = imp.get((k, y), 0.0)
        signed = (sign.get(k, 0.0) > 0.5) if k in signed_set else t > TOL / MASS
        if not signed and t <= 0:
            continue
        tariff = pol.tariff.get((k, y), 0.0)
        irows.append({
            "contract": k, "origin": con.origin, "commodity": con.commodity, "year": y, "signed": bool(signed),
            "feoc": con.feoc, "tonnes": t, "price_usd_per_t": con.price[y], "tariff_rate": tariff,
            "purchase_usd": t * con.price[y], "tariff_usd": t * con.price[y] * tariff,
            "take_or_pay_usd": top.get((k, y), 0.0) * con.price[y],
        })
    imports = pd.DataFrame(irows, columns=["contract", "origin", "commodity", "year", "signed", "feoc", "tonnes",
                                           "price_usd_per_t", "tariff_rate", "purchase_usd", "tariff_usd",
                                           "take_or_pay_usd"])
    shipments = pd.DataFrame(
        [{"commodity": c, "from_region": i, "to_region": j, "year": y, "tonnes": t,
          "cost_usd_per_t": inst.transport[(c, i, j)], "cost_usd": t * inst.transport[(c, i, j)]}
         for (c, i, j, y), t in sorted(ship.items()) if t > TOL / MASS],
        columns=["commodity", "from_region", "to_region", "year", "tonnes", "cost_usd_per_t", "cost_usd"])

    # ---------------------------------------------------------------- costs and credits
    crow = []
    ct = getattr(m, "cost_terms", None)
    if ok and ct is not None:
        values = np.fromiter((v.value for v in ct["vars"]), dtype=float, count=len(ct["vars"]))
        by_key = np.bincount(ct["rows"], weights=ct["coefs"] * values, minlength=len(ct["keys"])) + ct["constants"]
        for (comp, y), total in zip(ct["keys"], by_key.tolist()):
            v = total / MONEY
            crow.append({"year": y, "component": comp, "cost_usd": v,
                         "discounted_usd": v * st.discount_factor(y)})
    costs = pd.DataFrame(crow, columns=["year", "component", "cost_usd", "discounted_usd"])
    if not costs.empty:
        costs["component"] = pd.Categorical(costs["component"], categories=list(COST_COMPONENTS), ordered=True)
        costs = costs.sort_values(["year", "component"]).reset_index(drop=True)
        costs["component"] = costs["component"].astype(str)
    credit_rows = []
    for y in years:
        sub = costs[(costs["year"] == y) & costs["component"].isin(CREDIT_COMPONENTS)] if not costs.empty else costs
        vals = {c: 0.0 - float(sub.loc[sub["component"] == c, "cost_usd"].sum()) for c in CREDIT_COMPONENTS}
        credit_rows.append({"year": y, "credit_45x_usd": vals["credit_45x"], "credit_48c_usd": vals["credit_48c"],
                            "grants_usd": vals["grants"], "total_usd": sum(vals.values()),
                            "discounted_usd": sum(vals.values()) * st.discount_factor(y)})
    credits = pd.DataFrame(credit_rows, columns=["year", "credit_45x_usd", "credit_48c_usd", "grants_usd",
                                                 "total_usd", "discounted_usd"])

    # marginal cost of demand (docs/model.md, Material balance): demand enters the balance, the bound of
    # its unmet slack and the right-hand side of every target covering it (tau x demand), so
    # d(cost)/d(D) = min(lambda, unmet penalty) + sum over targets of tau x min(mu, target penalty)
    bal_duals = _duals(m, report, "c_balance") if ok else {}
    pen = st.penalty_unmet_demand
    pen_loc = float("inf") if hard_targets else st.penalty_localization
    mrows = []
    for (c, r, y), d in sorted(bal_duals.items()):
        if inst.demand.get((c, r, y), 0.0) <= 0:
            continue  # where demand is: what one more tonne for cells there would cost
        df = st.discount_factor(y)
        price = d / PER_T / df + 0.0
        target_part = 0.0
        parts = []
        for (g, yy), tau in sorted(pol.localization_target.items()):
            if yy != y or not in_group(inst, g, c) or (g, y) not in loc_duals:
                continue
            mu = min(loc_duals[(g, y)] / PER_T / df, pen_loc)
            if abs(tau * mu) > 1e-9:
                target_part += tau * mu
                parts.append(f"the {g} {y} target: {tau:.0%} of each tonne at ${mu:,.0f}/t")
        mc = min(price, pen) + target_part + 0.0
        notes = []
        if price >= 0.999 * pen:
            notes.append("demand unmet here: the supply price is the penalty (settings)")
        if parts:
            notes.append("includes " + "; ".join(parts))
        mrows.append({"commodity": c, "region": r, "year": y, "marginal_cost_usd_per_t": mc,
                      "supply_price_usd_per_t": price, "localization_targets_usd_per_t": target_part + 0.0,
                      "discounted_usd_per_t": mc * df + 0.0, "note": "; ".join(notes)})
    marginal = pd.DataFrame(mrows, columns=["commodity", "region", "year", "marginal_cost_usd_per_t",
                                            "supply_price_usd_per_t", "localization_targets_usd_per_t",
                                            "discounted_usd_per_t", "note"])
    unmet_df = pd.DataFrame(
        [{"commodity": c, "region": r, "year": y, "tonnes": t, "demand_t": inst.demand[(c, r, y)]}
         for (c, r, y), t in sorted(unmet.items()) if t > 1e-6],
        columns=["commodity", "region", "year", "tonnes", "demand_t"])

    # ---------------------------------------------------------------- KPIs and status
    objective = report.objective / MONEY if report.objective is not None else None
    bound = report.bound / MONEY if report.bound is not None else None
    disc = costs.groupby("component")["discounted_usd"].sum() if not costs.empty else pd.Series(dtype=float)
    penalties = float(disc.reindex(list(PENALTY_COMPONENTS)).fillna(0).sum())
    public = 0.0 - float(disc.reindex(list(CREDIT_COMPONENTS)).fillna(0).sum())
    new = builds[builds["decision"] == "build"]
    kpis: list[tuple[str, Any, str, str]] = [
        ("total_cost_usd", objective, "$", f"discounted to {st.base_year}, net of credits, including penalties"),
        ("cost_to_industry_usd", None if objective is None else objective - penalties, "$",
         "discounted total cost net of credits, without penalties: demand left unmet costs nothing here, so "
         "compare it between cases only together with unmet_demand_t"),
        ("public_cost_usd", public if ok else None, "$", "discounted 45X, 48C and grants counted in the plan"),
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
        ("cell_output_gwh", float(sum(inst.cell_gwh.values())), "GWh",
         "cells behind the demand (cell_demand sheet), over the horizon"),
        ("cell_output_gwh_discounted", float(sum(g * st.discount_factor(y) for y, g in inst.cell_gwh.items())),
         "GWh", f"cell output discounted to {st.base_year} like costs (for levelized $/kWh figures)"),
    ]
    report_years = sorted({y for y in years if y % 5 == 0} | {years[-1]} | {y for _g, y in pol.localization_target})
    for g in groups:
        sub = localization[localization["group"] == g].set_index("year") if not localization.empty else None
        for y in report_years:
            if sub is not None and y in sub.index:
                kpis.append((f"localized_share_{g}_{y}", float(sub.loc[y, "share"]), "share",
                             f"qualifying supply / demand of {g} in {y} (case rules)"))
                kpis.append((f"domestic_fta_share_{g}_{y}", float(sub.loc[y, "domestic_fta_share"]), "share",
                             f"U.S. plus FTA-partner supply / demand of {g} in {y}"))
        if g in fam.values() and not supply_df.empty:
            s = supply_df[supply_df["family"] == g]
            dem = float(s["demand_t"].sum())
            if dem > 0:
                kpis.append((f"feoc_import_share_{g}", float(s["feoc_imports_t"].sum()) / dem, "share",
                             f"imports from FEOC suppliers / demand of {g}, whole horizon"))
    kpi_df = pd.DataFrame(kpis, columns=["kpi", "value", "unit", "note"])
    if not ok:  # no plan: nothing to report but the status; never zeros that look like a plan
        builds, capacity, production, supply_df, localization, imports, shipments, credits, costs, marginal, \
            unmet_df = (df.iloc[0:0] for df in (builds, capacity, production, supply_df, localization, imports,
                                                 shipments, credits, costs, marginal, unmet_df))
        kpi_df = kpi_df[~kpi_df["kpi"].str.startswith(("localized_share", "domestic_fta_share", "feoc_import"))]
        kpi_df = kpi_df.assign(value=[v if k == "cell_output_gwh" else None
                                      for k, v in zip(kpi_df["kpi"], kpi_df["value"])])

    status = {
        "termination": report.termination,
        "status": report.status_text,
        "has_solution": ok,
        "proven_optimal": report.proven_optimal,
        "objective_usd": objective,
        "bound_usd": bound,
        "gap": report.gap,
        "wall_time_s": report.wall_time,
        "highs_time_s": report.highs_time,
        "model_status": report.model_status,
        "variables": report.n_cols,
        "integer_variables": report.n_int,
        "constraints": report.n_rows,
        "nonzeros": report.nnz,
        "duals": report.duals,
        "hard_targets": hard_targets,
        "timings": dict(report.timings),
    }
    return Solution(
        run_info=dict(run_info), status=status, kpis=kpi_df, builds=builds, capacity=capacity,
        production=production, supply=supply_df, localization=localization, imports=imports,
        shipments=shipments, credits=credits, costs=costs, marginal_costs=marginal, unmet=unmet_df,
        messages=tuple(messages),
    )
