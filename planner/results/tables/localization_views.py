"""localization_views: localization under four definitions, in tonnes and in value, by group and year.

The case's own rule (the `localization` table: what its targets count) is one question; a board asks
four more, each answered here for every group (family, or commodity with a target) and year:

* **U.S.-made**: output of plants sited in U.S. regions, imports from U.S. origins;
* **North-America-made (USMCA)**: the same for the U.S., Canada and Mexico (regions marked `usmca`;
  a region left blank counts as USMCA when it is domestic);
* **North-America-made + FTA imports**: plus output and imports from U.S. free-trade-agreement partners,
  by origin (whoever owns the supplier);
* **non-PFE supply**: what the credits test — plants neither FEOC-owned nor sited in a FEOC
  jurisdiction, contracts whose supplier is not a FEOC, spot purchases at their market's declared
  non-PFE share; tonnes bought spot with no declared share are PFE-unknown: not counted, and shown
  in `pfe_unknown_t`.

Each as a share of the group's demand in tonnes, and in value: tonnes x the commodity's reference
price of the year (`reference_prices` table: a declared reference or market price, else the average
landed import price of the year), over the demand valued the same way.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from planner.cases.rules import in_group
from planner.model.registry import TableContext, table
from planner.model.units import MASS
from planner.results.labels import LOCALIZATION_DEFINITIONS
from planner.results.tables.common import demand_by_commodity, groups
from planner.results.tables.sources import Origin, price_of, supply_records

COLUMNS = ["group", "year", "definition", "supply_t", "demand_t", "share", "supply_value_usd", "demand_value_usd",
           "value_share", "pfe_unknown_t", "note"]


def counted(origin: Origin, key: str) -> float | None:
    """Share of a source's tonnes a definition counts (None: unknown, for non-PFE without a declared share)."""
    if key == "us_made":
        return 1.0 if origin.us_made else 0.0
    if key == "north_america":
        return 1.0 if origin.north_america else 0.0
    if key == "north_america_fta":
        return 1.0 if origin.fta else 0.0
    if key == "non_pfe":
        return origin.non_pfe
    raise KeyError(key)


def strictest(origin: Origin) -> str | None:
    """The strictest definition a source meets (its key), or None."""
    for key, _words in LOCALIZATION_DEFINITIONS:
        share = counted(origin, key)
        if share is not None and share >= 0.999999:
            return key
    return None


@table("localization_views", description="Localization under four definitions (U.S.-made; North-America-made, "
                                         "USMCA; plus FTA imports; non-PFE supply), in tonnes and in value, by "
                                         "group and year.")
def localization_views(t: TableContext) -> pd.DataFrame:
    ci = t.ci
    demand = demand_by_commodity(t)
    supply = supply_records(t)
    rows = []
    for g in groups(t):
        coms = [c for c in ci.commodities if in_group(ci, g, c)]
        for y in ci.years:
            dem_t = sum(demand.get((c, y), 0.0) for c in coms)
            if dem_t <= 0:
                continue
            unpriced = [c for c in coms if demand.get((c, y), 0.0) > 0 and price_of(t, c, y) is None]
            dem_v = sum(demand.get((c, y), 0.0) * (price_of(t, c, y) or 0.0) for c in coms)
            sup = [s for s in supply if s.year == y and s.commodity in coms]
            for key, words in LOCALIZATION_DEFINITIONS:
                tonnes, value, unknown = 0.0, 0.0, 0.0
                for s in sup:
                    share = counted(s.origin, key)
                    if share is None:
                        unknown += s.tonnes
                        continue
                    tonnes += share * s.tonnes
                    value += share * s.tonnes * (price_of(t, s.commodity, y) or 0.0)
                notes = []
                if unknown > 0:
                    notes.append("bought spot without a declared market PFE share: PFE-unknown, not counted")
                if unpriced:
                    notes.append(f"no reference price for {', '.join(unpriced)}: left out of the value")
                rows.append({
                    "group": g, "year": y, "definition": words, "supply_t": tonnes, "demand_t": dem_t,
                    "share": tonnes / dem_t, "supply_value_usd": value, "demand_value_usd": dem_v,
                    "value_share": value / dem_v if dem_v > 0 else float("nan"),
                    "pfe_unknown_t": unknown if key == "non_pfe" else float("nan"), "note": "; ".join(notes),
                })
    return pd.DataFrame(rows, columns=COLUMNS)


@table("sourcing", description="Where each group's demand is met from, by origin and year [t]: U.S. plants, "
                               "the other USMCA members, FTA partners, other non-PFE imports, PFE imports, spot "
                               "purchases and unmet demand; with the case's localization target [t].")
def sourcing(t: TableContext) -> pd.DataFrame:
    ci = t.ci
    by: dict[tuple[str, int, str], float] = defaultdict(float)
    for s in supply_records(t):
        o = s.origin
        if s.kind == "spot":
            src = "spot purchases (origin unknown)"
        elif o.us_made:
            src = "U.S.-made"
        elif o.north_america:
            src = "Canada and Mexico (USMCA)"
        elif o.fta:
            src = "FTA partners"
        elif o.non_pfe:
            src = "other non-PFE sources"
        else:
            src = "PFE sources"
        for g in groups(t):
            if in_group(ci, g, s.commodity):
                by[(g, s.year, src)] += s.tonnes
    for (c, _r, y), q in t.values("v_unmet").items():
        for g in groups(t):
            if in_group(ci, g, c) and q > 0:
                by[(g, y, "unmet demand")] += q / MASS
    order = {s: i for i, s in enumerate(SOURCES)}
    rows = [{"group": g, "year": y, "source": src, "tonnes": q} for (g, y, src), q in by.items() if q > 1e-9]
    rows.sort(key=lambda r: (groups(t).index(r["group"]), r["year"], order.get(r["source"], 99)))
    return pd.DataFrame(rows, columns=["group", "year", "source", "tonnes"])


#: the sources of the sourcing table, in the order a stacked chart shows them (most local first)
SOURCES = ("U.S.-made", "Canada and Mexico (USMCA)", "FTA partners", "other non-PFE sources", "PFE sources",
           "spot purchases (origin unknown)", "unmet demand")


@table("reference_prices", description="The price of a tonne of each commodity by year at which the localization "
                                       "views value tonnes, and where it comes from.")
def reference_price_table(t: TableContext) -> pd.DataFrame:
    from planner.results.tables.sources import reference_prices

    rows = [{"commodity": c, "year": y, "price_usd_per_t": p, "basis": basis}
            for (c, y), (p, basis) in reference_prices(t).items()]
    return pd.DataFrame(rows, columns=["commodity", "year", "price_usd_per_t", "basis"])
