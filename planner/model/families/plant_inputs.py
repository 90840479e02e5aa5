"""Plant inputs: recipe inputs drawn from the site's balance, by grade where the input is graded."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyomo.environ as pyo

from planner.cases.case import CaseInstance
from planner.model.core import PER_T, Context, Term, add_rows
from planner.model.registry import TableContext, table
from planner.model.sourcing import ALL, GRADES, NON_PFE, PFE, Need, market_non_pfe_value, sourcing
from planner.model.units import MASS

if TYPE_CHECKING:
    import pandas as pd


def input_index(ci: CaseInstance) -> tuple[list[tuple[str, str, str, int]], list[tuple[str, str, int]],
                                          list[tuple[str, str, int]]]:
    """(v_input index (project, input, grade, year), v_spot index (project, input, year), c_input rows
    (project, input, year)) for the graded recipe inputs of plants that may produce."""
    return ci.memo("plant_inputs.index", lambda: _index(ci))


def _index(ci: CaseInstance) -> tuple[list[tuple[str, str, str, int]], list[tuple[str, str, int]],
                                     list[tuple[str, str, int]]]:
    src = sourcing(ci)
    draws: list[tuple[str, str, str, int]] = []
    spot: list[tuple[str, str, int]] = []
    rows: list[tuple[str, str, int]] = []
    if not src.graded:
        return draws, spot, rows
    for p, y in ci.sets.prod:
        prj = ci.projects[p]
        for c, _tpt in prj.recipe:
            if c not in src.graded:
                continue
            rows.append((p, c, y))
            draws.extend((p, c, g, y) for g in GRADES if src.reaches(c, g, prj.site))
            if ci.commodities[c].market_price is not None:
                spot.append((p, c, y))
    return draws, spot, rows


def add_plant_inputs(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Plant inputs: each recipe input drawn from the site's balance, by grade where the input is graded.

    $$\sum_{g \in \{pfe,\, non\_pfe\}} n_{p,c,g,y} + s_{p,c,y} = \phi_{p,c}\, x_{p,y}
    \qquad \forall (p, c, y),\ c \text{ graded}$$

    A plant consumes $\phi_{p,c}$ tonnes of each recipe input $c$ per tonne of output. For an
    ungraded input the draw $\phi_{p,c} x_{p,y}$ leaves the balance of the site region directly (no
    variable; spot purchases there are limited to it, see *Spot purchases*). For a graded input (see
    *Material balance*) the plant chooses where its tonnes come from: `v_input[p, c, g, y]`
    ($n_{p,c,g,y}$) leaves the site's pool of grade $g$ (only grades whose sources can reach the
    site), and `v_spot[p, c, y]` ($s_{p,c,y}$, where $c$ has a market price) is bought at the market
    price for the plant itself, outside any balance (a spot tonne counts as `market_pfe_share` PFE,
    or at the plant's `pfe_cost_share` when that is blank). The split is what decides the plant's
    material-assistance cost ratio (see *45X production credit*). Row `c_input[p, c, y]`.

    Dual of `c_input`: the cost at the margin of one more tonne of input $c$ at plant $p$ in year $y$
    ($ per t): the cheapest of the site's grade supply prices and the market price, plus, where the
    plant's 45X hangs on its ratio, what the grade chosen is worth to that test.
    """
    ci, acc = ctx.ci, ctx.acc
    src = sourcing(ci)
    draws, spot, rows_index = input_index(ci)
    for p, y in ctx.sets.prod:
        prj = ci.projects[p]
        x = ctx.v["v_prod"][p, y]
        for c, tpt in prj.recipe:
            if c in src.graded:
                continue
            acc.balance[(c, ALL, prj.site, y)].append((-tpt, x))
            acc.draw[(c, prj.site, y)].append((tpt, x))
    if not rows_index:
        return
    n = ctx.add_var(m, "v_input", draws, within=pyo.NonNegativeReals, doc="plant input by grade [kt/yr]")
    s = ctx.add_var(m, "v_spot", spot, within=pyo.NonNegativeReals, doc="plant input bought spot [kt/yr]") \
        if spot else {}
    terms: dict[tuple[str, str, int], list[Term]] = {k: [] for k in rows_index}
    for (p, c, g, y), v in n.items():
        terms[(p, c, y)].append((1.0, v))
        acc.balance[(c, g, ci.projects[p].site, y)].append((-1.0, v))
    for (p, c, y), v in s.items():
        terms[(p, c, y)].append((1.0, v))
        acc.cost[("purchases", y)].append((ci.commodities[c].market_price * PER_T, v))
    rows = {}
    for p, c, y in rows_index:
        tpt = dict(ci.projects[p].recipe)[c]
        rows[(p, c, y)] = (terms[(p, c, y)] + [(-tpt, ctx.v["v_prod"][p, y])], "==", 0.0)
    add_rows(m, "c_input", rows, "recipe inputs drawn by grade or bought spot")


@table("plant_inputs", description="Recipe inputs of each plant by year [t]: for a graded input, drawn from the "
       "PFE or the non-PFE supply at the site or bought spot; the input's value at its reference price and "
       "the non-PFE part of that value (what the plant's 45X MACR test counts; blank where it is not fixed).")
def report_plant_inputs(t: TableContext) -> pd.DataFrame:
    """Per plant, input and year: tonnes by origin (PFE / non-PFE pools, spot), and their non-PFE value."""
    import pandas as pd

    ci = t.ci
    src = sourcing(ci)
    prod = t.values("v_prod")
    draws = t.values("v_input")
    spot = t.values("v_spot")
    cols = ["project", "input", "year", "graded", "input_t", "pfe_t", "non_pfe_t", "spot_t",
            "spot_non_pfe_share", "reference_price_usd_per_t", "value_usd", "non_pfe_value_usd"]
    rows = []
    for (p, y), x in sorted(prod.items()):
        if x <= 0:
            continue
        prj = ci.projects[p]
        for c, tpt in prj.recipe:
            total = tpt * x / MASS
            price = ci.commodities[c].macr_price
            spot_value = market_non_pfe_value(ci, c, prj.pfe_cost_share)
            if c in src.graded:
                pfe = draws.get((p, c, PFE, y), 0.0) / MASS
                non = draws.get((p, c, NON_PFE, y), 0.0) / MASS
                sp = spot.get((p, c, y), 0.0) / MASS
                non_t: float | None = non + (spot_value or 0.0) * sp
            else:
                pfe = non = sp = None  # type: ignore[assignment]
                value = src.fixed_value(ci, Need(c, prj.site, prj.pfe_cost_share))
                non_t = None if value is None else value * total
            rows.append({
                "project": p, "input": c, "year": y, "graded": c in src.graded, "input_t": total,
                "pfe_t": pfe, "non_pfe_t": non, "spot_t": sp, "spot_non_pfe_share": spot_value,
                "reference_price_usd_per_t": price,
                "value_usd": None if price is None else price * total,
                "non_pfe_value_usd": None if price is None or non_t is None else price * non_t,
            })
    return pd.DataFrame(rows, columns=cols)
