"""builds: plants in the plan (built, existing, committed) and candidates not built."""

from __future__ import annotations

import pandas as pd

from planner.model.registry import TableContext, table
from planner.model.units import MONEY
from planner.model.families.operations import plant_states
from planner.results.tables.common import built_units, retire_year

COLUMNS = ["project", "name", "decision", "variant_of", "partner", "equity_share", "commodity", "site", "units",
           "start_year", "online_year", "qualified_year", "retire_year", "capacity_t", "capex_usd",
           "capex_planner_usd", "grant_usd", "credit_48c_usd"]


@table("builds")
def builds(t: TableContext) -> pd.DataFrame:
    """Plants in the plan: candidates built ('build'), existing and committed plants (their retire_year is an
    early retirement where the plan decides one), committed plants the plan cancels ('cancelled', no units;
    their years as planned), and candidates not built."""
    ci, pol, sets = t.ci, t.pol, t.sets
    w48 = t.values("v_48c")
    grant = {k: v / MONEY for k, v in t.values("v_grant").items()}
    rows = []
    built_projects: set[str] = set()
    cancelled = plant_states(t).cancelled if t.ok else frozenset()
    for p, s in sets.options:
        u = built_units(t, p, s)
        prj = ci.projects[p]
        if p in cancelled:  # a committed plant the plan cancels: listed with no units (its years as planned)
            built_projects.add(p)
            rows.append({
                "project": p, "name": prj.name, "decision": "cancelled", "variant_of": "", "partner": "",
                "equity_share": prj.equity_share, "commodity": prj.commodity, "site": prj.site, "units": 0,
                "start_year": s, "online_year": prj.online_year(s), "qualified_year": prj.qualified_year(s),
                "retire_year": prj.retire_year(s),
                "capacity_t": 0.0, "capex_usd": 0.0, "capex_planner_usd": 0.0,
                "grant_usd": grant.get((p, s), 0.0), "credit_48c_usd": 0.0,
            })
            continue
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
            "qualified_year": prj.qualified_year(s), "retire_year": retire_year(t, p, s),
            "capacity_t": u * prj.capacity, "capex_usd": u * prj.capex, "capex_planner_usd": u * prj.capex * own,
            "grant_usd": grant.get((p, s), 0.0), "credit_48c_usd": c48,
        })
    for p in sets.candidates:
        if p in built_projects:
            continue
        prj = ci.projects[p]
        rows.append({
            "project": p, "name": prj.name, "decision": "not built", "variant_of": prj.base if prj.is_jv else "",
            "partner": prj.partner or "", "equity_share": prj.equity_share, "commodity": prj.commodity,
            "site": prj.site, "units": 0, "start_year": None, "online_year": None, "qualified_year": None,
            "retire_year": None, "capacity_t": None, "capex_usd": None, "capex_planner_usd": None, "grant_usd": None,
            "credit_48c_usd": None,
        })
    df = pd.DataFrame(rows, columns=COLUMNS)
    years_cols = ["start_year", "online_year", "qualified_year", "retire_year"]
    df[years_cols] = df[years_cols].astype("Int64")  # whole years; blank for plants not built
    return df
