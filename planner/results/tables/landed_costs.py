"""landed_costs: what a tonne costs imported against made in the U.S., step by step, per chemistry.

For each commodity with demand in the headline year (2030, or the horizon's last year), two
columns of steps, in $/t of that year — the data of a waterfall chart:

* **import**: the cheapest import from a FEOC jurisdiction (China, in the default instance; else the
  cheapest import on offer), its freight to the U.S. and the case's tariff on it, adding up to the
  landed import cost;
* **U.S.**: the U.S. plant — the one the plan runs most that year, else the candidate with the lowest
  cost per tonne — its cash cost per tonne (variable cost, recipe inputs at their reference price,
  fixed O&M spread over its nameplate), its capital charge (capex annuity of the model per tonne of
  nameplate), less its 45X credit per tonne, less the cell-credit value its tonne keeps where the
  plan reports one (a registered table `cell_credit_value` with commodity, year and
  value_usd_per_t: the cell credit's pull on active material), adding up to the U.S. net cost.

A step whose data do not exist (no tariff, no 45X, no cell credit) is left out, not shown as 0.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from planner.model.registry import TableContext, table
from planner.results.tables.common import demand_by_commodity, output_t
from planner.results.tables.sources import freight, headline_year, price_of

COLUMNS = ["commodity", "year", "side", "step", "usd_per_t", "total", "source", "note"]


def _cell_credit(t: TableContext) -> dict[tuple[str, int], float]:
    try:
        df = t.table("cell_credit_value")
    except KeyError:  # no family reports the cell credit's value per tonne of active material
        return {}
    if df.empty or not {"commodity", "year", "value_usd_per_t"} <= set(df.columns):
        return {}
    return {(str(c), int(y)): float(v) for c, y, v in zip(df["commodity"], df["year"], df["value_usd_per_t"])}


def _x45(t: TableContext, project: str, year: int) -> float:
    prod = t.table("production")
    if "x45_credit_usd_per_t" in prod.columns:
        hit = prod[(prod["project"] == project) & (prod["year"] == year)]
        if len(hit):
            return float(hit["x45_credit_usd_per_t"].iloc[0])
    from planner.model.families.credits_45x import x45_credit  # a candidate not built: the case's rule

    return float(x45_credit(t.ci).get((project, year), 0.0))


def _us_costs(t: TableContext, project: str, year: int) -> tuple[float, float]:
    """(cash cost, capital charge) per tonne of a plant in `year`."""
    ci = t.ci
    prj = ci.projects[project]
    inputs = sum(tpt * (price_of(t, c, year) or 0.0) for c, tpt in prj.recipe)
    cash = prj.variable_cost + inputs + prj.fixed_om / prj.capacity
    capital = ci.capex_annuity_factor(prj) * prj.capex / prj.capacity
    return cash, capital


def _us_plant(t: TableContext, commodity: str, year: int) -> str | None:
    ci = t.ci
    out = output_t(t)
    running = [(q, p) for (p, y), q in out.items() if y == year and q > 0 and ci.projects[p].commodity == commodity
               and ci.regions[ci.projects[p].site].domestic]
    if running:
        return max(running)[1]
    options = [p for p, prj in ci.projects.items() if prj.commodity == commodity and ci.regions[prj.site].domestic
               and not prj.is_jv]
    if not options:
        return None
    return min(options, key=lambda p: (sum(_us_costs(t, p, year)) - _x45(t, p, year), p))


def _import(t: TableContext, commodity: str, year: int) -> str | None:
    ci = t.ci
    offers = [k for k, y in t.sets.imports if y == year and ci.contracts[k].commodity == commodity]
    if not offers:
        return None
    feoc = [k for k in offers if ci.regions[ci.contracts[k].origin].feoc]
    pool = feoc or offers
    return min(pool, key=lambda k: (ci.contracts[k].price[year], k))


@table("landed_costs", description="A tonne imported against a tonne made in the U.S., step by step, per chemistry "
                                   "in the headline year [$/t]: import price, freight and tariff against U.S. cash "
                                   "cost, capital charge, 45X and the cell-credit value kept.")
def landed_costs(t: TableContext) -> pd.DataFrame:
    ci = t.ci
    hy = headline_year(ci.years)
    demand = demand_by_commodity(t)
    cell = _cell_credit(t)
    rows: list[dict[str, Any]] = []
    for c in ci.commodities:
        if demand.get((c, hy), 0.0) <= 0:
            continue
        k = _import(t, c, hy)
        if k is not None:
            con = ci.contracts[k]
            price = con.price[hy]
            fr = freight(t, c, con.origin)
            tariff = price * t.pol.tariff.get((k, hy), 0.0)
            src = f"{k}, {con.origin}"
            rows.append(_row(c, hy, "import", f"import price ({con.origin})", price, False, src, ""))
            if fr:
                rows.append(_row(c, hy, "import", "freight", fr, False, src, "cheapest listed link to a U.S. region"))
            if tariff:
                rows.append(_row(c, hy, "import", "tariff", tariff, False, src,
                                 f"{t.pol.tariff.get((k, hy), 0.0):.0%} of the price"))
            rows.append(_row(c, hy, "import", "landed import cost", price + fr + tariff, True, src, ""))
        p = _us_plant(t, c, hy)
        if p is not None:
            cash, capital = _us_costs(t, p, hy)
            x45 = _x45(t, p, hy)
            kept = cell.get((c, hy), 0.0)
            src = f"{p}, {ci.projects[p].site}"
            rows.append(_row(c, hy, "U.S.", "U.S. cash cost", cash, False, src,
                             "variable cost, inputs at their reference price, fixed O&M per t of nameplate"))
            if capital:
                rows.append(_row(c, hy, "U.S.", "capital charge", capital, False, src,
                                 "the model's capex annuity per t of nameplate"))
            if x45:
                rows.append(_row(c, hy, "U.S.", "45X", -x45, False, src, "credit per t of output"))
            if kept:
                rows.append(_row(c, hy, "U.S.", "cell-credit value kept", -kept, False, src,
                                 "the cell credit's value per t of active material"))
            rows.append(_row(c, hy, "U.S.", "U.S. net cost", cash + capital - x45 - kept, True, src, ""))
    return pd.DataFrame(rows, columns=COLUMNS)


def _row(c: str, y: int, side: str, step: str, v: float, total: bool, source: str, note: str) -> dict[str, Any]:
    return {"commodity": c, "year": y, "side": side, "step": step, "usd_per_t": float(v), "total": total,
            "source": source, "note": note}
