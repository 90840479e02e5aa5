"""commitments and cash_flows: each commitment of the plan, as a board decides it, and the cash behind it.

One row per commitment the plan makes: a plant built (a JV when a partner takes equity), an import
contract signed (one with a signing fee or a minimum take: a contract without either binds nobody
and is no commitment), and, where the Solution holds those tables, an offtake agreement and the
cancellation of a committed plant. For each: who, when it is decided, when its first qualified tonne
comes, capex gross / public support (grants, 48C) / net, what it delivers in the headline year
(2030, or the horizon's last year) and as which localization (the strictest of the four definitions
it meets), a developer's NPV and IRR, and its main risk in words.

A plant's cash flows (`cash_flows` table, money of each year, whole project: all owners):

* capex, spread evenly over the construction years (as the model spends it); grants received as
  the capex is spent; a 48C credit in the year the plant comes online;
* from qualification, each year of the horizon: output x the commodity's price, less output x
  (variable cost + each recipe input at its reference price), less fixed O&M of the units online,
  plus the 45X credit on the output. The price is the commodity's **marginal supply price** in the
  plan (the dual of the supply balance, `marginal_costs`, averaged over the demand regions weighted
  by their demand; a year with unmet demand, whose dual is the penalty and not a price, takes the
  nearest year's: `planner.results.tables.sources.market_prices`); where the plan has none (no duals,
  or no demand), the price the plan pays for it (`reference_prices`);
* after the horizon, to the end of the plant's life: the last horizon year's operating margin held
  flat, without credits (the credits phase out; the horizon says nothing of later prices).

NPV at the settings' `developer_discount_rate` (a developer's cost of capital; default 10%), to the
decision year; IRR where the flows change sign once and pay the capex back (blank below 0%). The NPV without the credits (45X, 48C, grants)
tells whether the project depends on them. The risk rules, first that applies: does not earn the
developer's rate at the plan's prices; depends on credits; long qualification; thin margin against
imports (NPV below a quarter of the capex); else the construction and ramp-up.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd

from planner.model.registry import TableContext, table
from planner.results.finance import irr, npv
from planner.results.labels import definition_label, musd_text
from planner.results.tables.common import demand_by_commodity, output_t
from planner.results.tables.localization_views import strictest
from planner.results.tables.sources import contract_origin, headline_year, market_prices, plant_origin, price_of

COLUMNS = ["kind", "commitment", "name", "partner", "commodity", "site", "decision_year", "first_output_year",
           "capacity_t", "capex_usd", "public_support_usd", "net_capex_usd", "year", "delivered_t",
           "delivered_share", "counts_as", "npv_usd", "irr", "npv_without_credits_usd", "price_basis", "main_risk",
           "note"]
CASH_COLUMNS = ["commitment", "year", "capex_usd", "grants_usd", "credit_48c_usd", "output_t", "price_usd_per_t",
                "revenue_usd", "variable_cost_usd", "inputs_usd", "fixed_om_usd", "credit_45x_usd", "net_usd",
                "after_horizon"]
#: an NPV below this share of the capex is a thin margin
THIN = 0.25
#: qualification this long or longer is a risk of its own
LONG_QUALIFICATION = 2
BASIS_MARGINAL = "marginal supply price in the plan"
BASIS_PAID = "price the plan pays (reference price)"


def _price(t: TableContext, commodity: str, year: int) -> tuple[float | None, str]:
    p = market_prices(t).get((commodity, year))
    if p is not None:
        return p, BASIS_MARGINAL
    return price_of(t, commodity, year), BASIS_PAID


def plant_cash_flows(t: TableContext, project: str) -> pd.DataFrame:
    """The yearly cash flows of a built plant (whole project), from its decision to the end of its life."""
    ci, pol = t.ci, t.pol
    prj = ci.projects[project]
    b = t.table("builds")
    rows = b[(b["project"] == project) & (b["units"] > 0)]
    prod = t.table("production")
    x45 = {}
    if "x45_credit_usd_per_t" in prod.columns:
        mine = prod[prod["project"] == project]
        x45 = dict(zip(mine["year"].astype(int), mine["x45_credit_usd_per_t"].astype(float)))
    awarded_48c = float(rows["credit_48c_usd"].fillna(0).sum()) > 0
    if awarded_48c and not pol.x48c_stacking:
        x45 = {}  # a 48C award takes the 45X away where the case forbids stacking
    out = output_t(t)
    flows: dict[int, dict[str, Any]] = defaultdict(lambda: defaultdict(float))
    online: list[tuple[int, int, int]] = []  # (units, online year, retire year)
    for units, start, retire, grant, c48 in zip(rows["units"], rows["start_year"], rows["retire_year"],
                                                rows["grant_usd"], rows["credit_48c_usd"]):
        s, u = int(start), int(units)
        spend = prj.spend_years(s)
        for y in spend:
            flows[y]["capex_usd"] -= u * prj.capex / len(spend)
            flows[y]["grants_usd"] += float(grant or 0.0) / len(spend)
        flows[prj.online_year(s)]["credit_48c_usd"] += float(c48 or 0.0)
        online.append((u, prj.online_year(s), int(retire)))
    last = ci.years[-1]
    inputs_per_t = {}
    for y in ci.years:
        q = out.get((project, y), 0.0)
        price, _basis = _price(t, prj.commodity, y)
        inputs_per_t[y] = sum(tpt * (price_of(t, c, y) or 0.0) for c, tpt in prj.recipe)
        fom = sum(u * prj.fixed_om for u, on, ret in online if on <= y < ret)
        if q <= 0 and not fom:
            continue
        f = flows[y]
        f["output_t"] = q
        f["price_usd_per_t"] = price if price is not None else float("nan")
        f["revenue_usd"] = q * (price or 0.0)
        f["variable_cost_usd"] = -q * prj.variable_cost
        f["inputs_usd"] = -q * inputs_per_t[y]
        f["fixed_om_usd"] = -fom
        f["credit_45x_usd"] = q * x45.get(y, 0.0)
    end = max((ret for _u, _on, ret in online), default=last + 1)
    if end - 1 > last and last in flows:
        f_last = flows[last]
        margin = {k: f_last.get(k, 0.0) for k in ("revenue_usd", "variable_cost_usd", "inputs_usd")}
        for y in range(last + 1, end):
            f = flows[y]
            f["after_horizon"] = True
            f["output_t"] = f_last.get("output_t", 0.0)
            f["price_usd_per_t"] = f_last.get("price_usd_per_t", float("nan"))
            f.update(margin)
            f["fixed_om_usd"] = -sum(u * prj.fixed_om for u, on, ret in online if on <= y < ret)
    recs = []
    for y in sorted(flows):
        f = flows[y]
        rec = {"commitment": project, "year": y, **{k: float(f.get(k, 0.0)) for k in CASH_COLUMNS[2:-1]},
               "after_horizon": bool(f.get("after_horizon", False))}
        if "price_usd_per_t" not in f:
            rec["price_usd_per_t"] = float("nan")
        rec["net_usd"] = sum(rec[k] for k in ("capex_usd", "grants_usd", "credit_48c_usd", "revenue_usd",
                                              "variable_cost_usd", "inputs_usd", "fixed_om_usd", "credit_45x_usd"))
        recs.append(rec)
    return pd.DataFrame(recs, columns=CASH_COLUMNS)


@table("cash_flows", description="The yearly cash flows behind each plant commitment's NPV and IRR (whole project, "
                                 "money of each year): capex, grants, 48C, revenue at the price stated, variable "
                                 "cost, inputs, fixed O&M, 45X; after the horizon the last year's margin held flat.")
def cash_flows(t: TableContext) -> pd.DataFrame:
    b = t.table("builds")
    built = list(dict.fromkeys(b.loc[b["decision"] == "build", "project"].tolist()))
    frames = [plant_cash_flows(t, p) for p in built]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=CASH_COLUMNS)


def _risk(t: TableContext, project: str, value: float, without: float, capex: float, first: int) -> str:
    prj = t.ci.projects[project]
    rate = t.ci.settings.developer_discount_rate
    hy = headline_year(t.ci.years)
    if value < 0:
        return (f"does not earn a developer's {rate:.0%} at the plan's prices (NPV {musd_text(value)}): the plan "
                "builds it for what its prices leave out (a localization target, unmet demand avoided)")
    if without < 0:
        return f"depends on credits: without 45X, 48C and grants its NPV is {musd_text(without)}"
    if prj.qualification_years >= LONG_QUALIFICATION or first > hy:
        return (f"qualification lead time: {prj.qualification_years} years from online to qualified, first "
                f"qualified tonne in {first}")
    if capex > 0 and value < THIN * capex:
        return (f"import-price exposure: its NPV is only {value / capex:.0%} of its capex; cheaper imports turn it "
                "into a loss")
    return f"construction and ramp-up: {prj.construction_years} years to build, first qualified tonne in {first}"


def _plant_rows(t: TableContext, hy: int) -> list[dict[str, Any]]:
    ci = t.ci
    b = t.table("builds")
    new = b[b["decision"] == "build"]
    rate = ci.settings.developer_discount_rate
    out = output_t(t)
    demand = demand_by_commodity(t)
    rows = []
    for p in dict.fromkeys(new["project"].tolist()):
        prj = ci.projects[p]
        mine = new[new["project"] == p]
        decided = int(mine["start_year"].min())
        first = int(mine["qualified_year"].min())
        capex = float(mine["capex_usd"].sum())
        support = float(mine["grant_usd"].fillna(0).sum() + mine["credit_48c_usd"].fillna(0).sum())
        cf = plant_cash_flows(t, p)
        flows = dict(zip(cf["year"].astype(int), cf["net_usd"].astype(float)))
        credits = dict(zip(cf["year"].astype(int), (cf["grants_usd"] + cf["credit_48c_usd"] + cf["credit_45x_usd"])
                           .astype(float)))
        value = npv(flows, rate, decided)
        rate_of_return = irr(flows, decided)
        if rate_of_return is not None and rate_of_return < 0:
            rate_of_return = None  # the flows never pay the capex back: a negative IRR says nothing a board can use
        without = npv({y: v - credits.get(y, 0.0) for y, v in flows.items()}, rate, decided)
        delivered = out.get((p, hy), 0.0)
        fam = ci.commodities[prj.commodity].family
        dem = sum(d for (c, y), d in demand.items() if y == hy and ci.commodities[c].family == fam)
        bases = {_price(t, prj.commodity, y)[1] for y in ci.years if out.get((p, y), 0.0) > 0}
        counts = strictest(plant_origin(t, p))
        rows.append({
            "kind": "JV" if prj.is_jv else "build", "commitment": p, "name": prj.name,
            "partner": f"{prj.partner} ({prj.equity_share:.0%} equity)" if prj.is_jv else "",
            "commodity": prj.commodity, "site": prj.site, "decision_year": decided, "first_output_year": first,
            "capacity_t": float(mine["capacity_t"].sum()), "capex_usd": capex, "public_support_usd": support,
            "net_capex_usd": capex - support, "year": hy, "delivered_t": delivered,
            "delivered_share": delivered / dem if dem > 0 else float("nan"),
            "counts_as": definition_label(counts) if counts and delivered > 0 else "",
            "npv_usd": value, "irr": rate_of_return, "npv_without_credits_usd": without,
            "price_basis": "; ".join(sorted(bases)) or BASIS_MARGINAL,
            "main_risk": _risk(t, p, value, without, capex, first),
            "note": f"{int(mine['units'].sum())} unit(s) started {', '.join(str(int(s)) for s in mine['start_year'])}",
        })
    return rows


def _contract_rows(t: TableContext, hy: int) -> list[dict[str, Any]]:
    ci, pol = t.ci, t.pol
    imp = t.table("imports")
    if imp.empty:
        return []
    signed = imp[imp["signed"].astype(bool) & imp["contract"].isin(t.sets.signed)]
    demand = demand_by_commodity(t)
    rows = []
    for k in dict.fromkeys(signed["contract"].tolist()):
        con = ci.contracts[k]
        mine = signed[signed["contract"] == k]
        taking = mine[mine["tonnes"] > 0]
        delivered = float(mine.loc[mine["year"] == hy, "tonnes"].sum())
        fam = ci.commodities[con.commodity].family
        dem = sum(d for (c, y), d in demand.items() if y == hy and ci.commodities[c].family == fam)
        risks = []
        if con.feoc:
            risks.append("a FEOC supplier: a ban or the credits' PFE rules can strand it")
        tariff = max((pol.tariff.get((k, y), 0.0) for y in ci.years), default=0.0)
        if tariff > 0:
            risks.append(f"tariff exposure (up to {tariff:.0%})")
        if any(con.min_take.get(y, 0.0) > 0 for y in ci.years):
            risks.append(f"take-or-pay: {max(con.min_take.values()):,.0f} t/yr paid whether taken or not")
        counts = strictest(contract_origin(t, k))
        rows.append({
            "kind": "import contract", "commitment": k, "name": f"{con.commodity} from {con.origin}",
            "partner": con.origin, "commodity": con.commodity, "site": con.origin,
            "decision_year": max(con.first_year, ci.years[0]),
            "first_output_year": int(taking["year"].min()) if len(taking) else None,
            "capacity_t": max((v for v in con.max_volume.values() if v is not None), default=float("nan")),
            "capex_usd": 0.0, "public_support_usd": 0.0, "net_capex_usd": 0.0, "year": hy, "delivered_t": delivered,
            "delivered_share": delivered / dem if dem > 0 else float("nan"),
            "counts_as": definition_label(counts) if counts and delivered > 0 else "",
            "npv_usd": None, "irr": None, "npv_without_credits_usd": None, "price_basis": "",
            "main_risk": "; ".join(risks) or "the supplier's price", "note": f"signing fee {musd_text(con.signing_fee)}",
        })
    return rows


def _optional_table(t: TableContext, name: str) -> pd.DataFrame | None:
    try:
        return t.table(name)
    except KeyError:  # not registered: the family that reports it is not in this build
        return None


def _offtake_rows(t: TableContext, hy: int) -> list[dict[str, Any]]:
    off = _optional_table(t, "offtakes")
    if off is None or off.empty or "offtake" not in off.columns:
        return []
    rows = []
    for o in dict.fromkeys(off["offtake"].tolist()):
        mine = off[off["offtake"] == o]
        taken_col = "taken_t" if "taken_t" in mine.columns else None
        taken = mine[mine[taken_col] > 0] if taken_col else mine.iloc[0:0]
        short = float(mine["shortfall_t"].sum()) if "shortfall_t" in mine.columns else 0.0
        project = str(mine["project"].iloc[0]) if "project" in mine.columns else ""
        buyer = str(mine["buyer_region"].iloc[0]) if "buyer_region" in mine.columns else ""
        prj = t.ci.projects.get(project)
        rows.append({
            "kind": "offtake", "commitment": o, "name": f"{project} to {buyer}".strip(), "partner": buyer,
            "commodity": prj.commodity if prj else "", "site": prj.site if prj else "",
            "decision_year": int(mine["year"].min()),
            "first_output_year": int(taken["year"].min()) if len(taken) else None,
            "capacity_t": float(mine["minimum_t"].max()) if "minimum_t" in mine.columns else float("nan"),
            "capex_usd": 0.0, "public_support_usd": 0.0, "net_capex_usd": 0.0, "year": hy,
            "delivered_t": float(mine.loc[mine["year"] == hy, taken_col].sum()) if taken_col else float("nan"),
            "delivered_share": float("nan"), "counts_as": "", "npv_usd": None, "irr": None,
            "npv_without_credits_usd": None, "price_basis": "",
            "main_risk": (f"minimum not taken: {short:,.0f} t short over the horizon" if short > 1e-6
                          else "the buyer's demand for the plant's output"),
            "note": "capacity = the largest yearly minimum",
        })
    return rows


def _cancellation_rows(t: TableContext, hy: int) -> list[dict[str, Any]]:
    b = t.table("builds")
    gone = b[b["decision"].astype(str) == "cancelled"]
    rows = []
    for r in gone.to_dict("records"):
        prj = t.ci.projects[r["project"]]
        rows.append({
            "kind": "cancellation", "commitment": r["project"], "name": prj.name, "partner": "",
            "commodity": prj.commodity, "site": prj.site, "decision_year": r.get("start_year"),
            "first_output_year": None, "capacity_t": prj.capacity * prj.units_max, "capex_usd": 0.0,
            "public_support_usd": float(r.get("grant_usd") or 0.0), "net_capex_usd": 0.0, "year": hy,
            "delivered_t": 0.0, "delivered_share": 0.0, "counts_as": "", "npv_usd": None, "irr": None,
            "npv_without_credits_usd": None, "price_basis": "",
            "main_risk": "public support received and not repaid; buyers who counted on the plant",
            "note": "a committed plant the plan cancels",
        })
    return rows


@table("commitments", description="Each commitment of the plan (a plant built or a JV, an import contract signed, "
                                  "an offtake, a cancellation): who, when, first qualified tonne, capex gross, "
                                  "public support and net, what it delivers in the headline year, its NPV and IRR "
                                  "at a developer's cost of capital, and its main risk.")
def commitments(t: TableContext) -> pd.DataFrame:
    hy = headline_year(t.ci.years)
    rows = _plant_rows(t, hy) + _contract_rows(t, hy) + _offtake_rows(t, hy) + _cancellation_rows(t, hy)
    df = pd.DataFrame(rows, columns=COLUMNS)
    for col in ("decision_year", "first_output_year", "year"):
        df[col] = df[col].astype("Int64")
    return df
