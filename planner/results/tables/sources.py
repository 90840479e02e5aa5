"""Where each tonne of supply comes from, and what a tonne is worth: shared by the results' views.

* `supply_records(t)`: every tonne of supply in the plan by source — plant output, imports under
  contract, spot purchases — with what the source is: U.S.-made, North-America-made (USMCA),
  from an FTA partner, and its PFE status (a plant: PFE when FEOC-owned or sited in a FEOC
  jurisdiction; a contract: its `feoc` flag; a spot purchase: the commodity's declared market PFE
  share, or unknown when it declares none).
* `reference_prices(t)`: the price of a tonne of each commodity in each year, at which the views
  value tonnes: the commodity's reference price, else its market price (commodities sheet), else
  the average landed price of the year's imports (contract price + tariff + freight), else the
  average landed price of the contracts on offer that year, else (nothing is imported or offered:
  Si-C, say) its marginal supply price in the plan; the basis is said with each price.
* `market_prices(t)`: the marginal supply price of each commodity and year in the plan (the dual of
  the supply balance, averaged over the demand regions weighted by their demand). In a year in which
  some of the commodity's demand is left unmet the dual is the unmet-demand penalty, not a price: such
  a year takes the price of the nearest year without unmet demand.
* `headline_year(years)`: the year the headline figures speak of (2030, or the horizon's last year).

No Pyomo here: everything is read from the plan's tables and the CaseInstance.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from planner.model.registry import TableContext
from planner.model.units import MASS
from planner.results.tables.common import imports_t, output_t

if TYPE_CHECKING:
    from planner.cases.case import CaseInstance

#: the year headline figures speak of when the horizon holds it (the industry's milestone year)
HEADLINE_YEAR = 2030


def headline_year(years: tuple[int, ...] | list[int]) -> int:
    """2030 when the horizon holds it, else the horizon's last year."""
    ys = list(years)
    return HEADLINE_YEAR if HEADLINE_YEAR in ys else ys[-1]


@dataclass(frozen=True)
class Origin:
    """What a source of supply is, for the localization views."""

    us_made: bool  # made in the United States (a domestic region)
    north_america: bool  # made in a USMCA member (the U.S., Canada, Mexico)
    fta: bool  # made in a U.S. free-trade-agreement partner (or in North America)
    non_pfe: float | None  # share of its tonnes that are non-PFE: 1, 0, a market share, or None (unknown)


@dataclass(frozen=True)
class Supply:
    """Tonnes of one commodity from one source in one year."""

    kind: str  # plant | contract | spot
    source: str  # project, contract, or the commodity bought spot
    commodity: str
    region: str | None  # site, origin, or None (spot: origin unknown)
    year: int
    tonnes: float
    origin: Origin


def plant_origin(t: TableContext, project: str) -> Origin:
    ci = t.ci
    prj = ci.projects[project]
    reg = ci.regions[prj.site]
    pfe = prj.feoc_owned or reg.feoc
    return Origin(reg.domestic, reg.north_american, reg.north_american or reg.fta, 0.0 if pfe else 1.0)


def contract_origin(t: TableContext, contract: str) -> Origin:
    ci = t.ci
    con = ci.contracts[contract]
    reg = ci.regions[con.origin]
    return Origin(reg.domestic, reg.north_american, reg.north_american or reg.fta, 0.0 if con.feoc else 1.0)


def spot_origin(t: TableContext, commodity: str) -> Origin:
    share = getattr(t.ci.commodities[commodity], "market_pfe_share", None)  # declared by the input tier
    return Origin(False, False, False, None if share is None else 1.0 - float(share))


def supply_records(t: TableContext) -> list[Supply]:
    """Every tonne of supply of the plan by source and year (plants, contracts, spot purchases)."""
    def make() -> list[Supply]:
        ci = t.ci
        out: list[Supply] = []
        for (p, y), q in sorted(output_t(t).items()):
            if q > 0:
                prj = ci.projects[p]
                out.append(Supply("plant", p, prj.commodity, prj.site, y, q, plant_origin(t, p)))
        for (k, y), q in sorted(imports_t(t).items()):
            if q > 0:
                con = ci.contracts[k]
                out.append(Supply("contract", k, con.commodity, con.origin, y, q, contract_origin(t, k)))
        spot: dict[tuple[str, int], float] = defaultdict(float)
        for (c, _r, y), q in t.values("v_buy").items():
            spot[(c, y)] += q / MASS
        for (c, y), q in sorted(spot.items()):
            if q > 0:
                out.append(Supply("spot", c, c, None, y, q, spot_origin(t, c)))
        return out
    return t.memo("supply_records", make)


# ---------------------------------------------------------------------------------- reference prices
BASIS_REFERENCE = "reference price (commodities sheet)"
BASIS_MARKET = "market price (commodities sheet)"
BASIS_IMPORTS = "average landed price of the year's imports (price + tariff + freight)"
BASIS_OFFERS = "average landed price of the contracts on offer that year (nothing imported)"
BASIS_MARGINAL = "marginal supply price in the plan (nothing imported or offered)"
BASIS_NONE = "no price: no market or reference price, no import contract and no marginal supply price"


def market_prices(t: TableContext) -> dict[tuple[str, int], float]:
    """(commodity, year) -> marginal supply price [$/t of that year] in the plan, where it is a price (see the
    module's docstring); {} without duals."""
    def make() -> dict[tuple[str, int], float]:
        mc = t.table("marginal_costs")
        unmet = t.table("unmet")
        short = {(c, int(y)) for c, y, q in zip(unmet["commodity"], unmet["year"], unmet["tonnes"]) if q > 1e-6}
        acc: dict[tuple[str, int], list[float]] = defaultdict(lambda: [0.0, 0.0])
        for c, r, y, p in zip(mc["commodity"], mc["region"], mc["year"], mc["supply_price_usd_per_t"]):
            d = t.ci.demand.get((c, r, int(y)), 0.0)
            if d > 0 and p == p and (c, int(y)) not in short:
                acc[(c, int(y))][0] += d * float(p)
                acc[(c, int(y))][1] += d
        clean = {k: v / w for k, (v, w) in acc.items() if w > 0}
        out = dict(clean)
        for c in {c for c, _y in short}:
            have = sorted(y for cc, y in clean if cc == c)
            for y in t.ci.years:
                if (c, y) in short and have:
                    near = min(have, key=lambda z: (abs(z - y), z))
                    out[(c, y)] = clean[(c, near)]
        return out
    return t.memo("market_prices", make)


def freight(t: TableContext, commodity: str, origin: str) -> float:
    """Freight of a tonne from an import origin: the cheapest listed link to a U.S. region (else the
    cheapest link from the origin at all; 0 when none is listed)."""
    return _freights(t.ci).get((commodity, origin), 0.0)


def _freights(ci: CaseInstance) -> dict[tuple[str, str], float]:
    """(commodity, origin) -> freight of `freight`, for every listed link of the case (computed once per case:
    a scan of the transport table per call cost 0.3 ms, 17k calls in a ten-case regret study)."""
    def make() -> dict[tuple[str, str], float]:
        links: dict[tuple[str, str], list[tuple[float, bool]]] = defaultdict(list)
        for (c, i, j), cost in ci.transport.items():
            links[(c, i)].append((cost, ci.regions[j].domestic))
        out = {}
        for k, ls in links.items():
            domestic = [cost for cost, dom in ls if dom]
            out[k] = float(min(domestic)) if domestic else float(min(cost for cost, _d in ls))
        return out
    return ci.memo("sources.freights", make)  # type: ignore[no-any-return]


def landed_price(t: TableContext, contract: str, year: int) -> float:
    """A contract's price in the year plus the case's tariff on it plus freight to the U.S., $/t."""
    con = t.ci.contracts[contract]
    price = con.price[year]
    return price * (1.0 + t.pol.tariff.get((contract, year), 0.0)) + freight(t, con.commodity, con.origin)


def reference_prices(t: TableContext) -> dict[tuple[str, int], tuple[float | None, str]]:
    """(commodity, year) -> ($/t or None, basis in words) for every commodity and year of the case."""
    def make() -> dict[tuple[str, int], tuple[float | None, str]]:
        ci = t.ci
        imp = imports_t(t)
        landed: dict[tuple[str, int], list[tuple[float, float]]] = defaultdict(list)  # (tonnes, $/t)
        offers: dict[tuple[str, int], list[float]] = defaultdict(list)
        for k, y in t.sets.imports:
            con = ci.contracts[k]
            p = landed_price(t, k, y)
            offers[(con.commodity, y)].append(p)
            q = imp.get((k, y), 0.0)
            if q > 0:
                landed[(con.commodity, y)].append((q, p))
        out: dict[tuple[str, int], tuple[float | None, str]] = {}
        for c, com in ci.commodities.items():
            ref = getattr(com, "reference_price", None)
            for y in ci.years:
                if ref is not None:
                    out[(c, y)] = (float(ref), BASIS_REFERENCE)
                elif com.market_price is not None:
                    out[(c, y)] = (float(com.market_price), BASIS_MARKET)
                elif landed.get((c, y)):
                    qs = landed[(c, y)]
                    out[(c, y)] = (sum(q * p for q, p in qs) / sum(q for q, _p in qs), BASIS_IMPORTS)
                elif offers.get((c, y)):
                    out[(c, y)] = (sum(offers[(c, y)]) / len(offers[(c, y)]), BASIS_OFFERS)
                elif (c, y) in market_prices(t):
                    out[(c, y)] = (market_prices(t)[(c, y)], BASIS_MARGINAL)
                else:
                    out[(c, y)] = (None, BASIS_NONE)
        return out
    return t.memo("reference_prices", make)


def price_of(t: TableContext, commodity: str, year: int) -> float | None:
    """The reference price of a tonne ($/t), or None when the commodity has none that year."""
    p = reference_prices(t).get((commodity, year), (None, BASIS_NONE))[0]
    return None if p is None or not math.isfinite(p) else p
