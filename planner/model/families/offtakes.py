"""Offtake agreements: a buyer takes a plant's output between a minimum and a maximum."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import pyomo.environ as pyo

from planner.cases.case import CaseInstance
from planner.model.core import MASS, PER_T, Context, Term, add_rows
from planner.model.families.operations import deliverable_units
from planner.model.registry import TableContext, register_cost_component, table
from planner.model.sourcing import plant_grade, sourcing

if TYPE_CHECKING:
    import pandas as pd

register_cost_component("penalty_offtake", "penalty")


def offtake_index(ci: CaseInstance) -> list[tuple[str, str, int]]:
    """(offtake, plant, year) where the agreement is in force and the plant may deliver."""
    def make() -> list[tuple[str, str, int]]:
        prod = set(ci.sets.prod)
        return [(o.id, p, y) for o in ci.offtakes.values() for p in o.plants for y in ci.years
                if o.in_force(y) and (p, y) in prod]
    return ci.memo("offtakes.index", make)


def offtake_penalty(ci: CaseInstance, o: str) -> float:
    """$ per t of the minimum not taken under offtake `o`."""
    pen = ci.offtakes[o].shortfall_penalty
    return ci.settings.penalty_offtake if pen is None else pen


def add_offtakes(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Offtake agreements: a buyer takes a plant's output between a minimum and a maximum.

    $$\sum_{o \ni p} q_{o,p,y} \le (1-e_p)\, x_{p,y}, \qquad
    \sum_{p \in o} q_{o,p,y} + s_{o,y} \ge \underline Q_o \sum_{p \in o} \sum_s \frac{a_{p,s,y}\, U_{p,s}}{\bar U_p},
    \qquad 0 \le q_{o,p,y} \le \bar Q_o, \qquad 0 \le s_{o,y} \le \underline Q_o$$

    `v_offtake[o, p, y]` ($q_{o,p,y}$) is the output of plant $p$ that the buyer of agreement $o$
    takes in year $y$: it leaves the balance of the plant's site and enters that of the buyer's
    region, at the transport cost of that link (the partner's equity share of a JV's output goes to
    the partner, so only the plant's own share $(1-e_p) x_{p,y}$ can be taken). An agreement names a
    project, and then covers the project and its JV variants (at most one of which is built), or
    one JV variant.

    The minimum $\underline Q_o$ applies in the agreement's years once the plant is qualified,
    scaled by its ramp-up and by the share of its units built ($a_{p,s,y}$ and $U_{p,s}$ as in
    *Production limit*): it is zero while the plant is not built (the agreement lapses), half in a
    year the plant may deliver half of its nameplate. The units are those left after the plan's
    cancellations and early retirements (see *Plant operations*): the agreement lapses with the
    plant; it does not lapse in a year the plant is mothballed. The minimum not taken,
    `v_offtake_short[o, y]` ($s_{o,y}$), is priced at the agreement's `shortfall_penalty` (settings
    `penalty_offtake` by default; a penalty, not a cost to industry, see the settings), so that every
    plan stays feasible: a plan fixed under one case can be evaluated under any other. The maximum
    $\bar Q_o$ is a bound. The agreement's price is what the buyer pays the seller, a transfer within
    the industry: reported (the `offtakes` table), not part of the objective. Rows
    `c_offtake_source[p, y]`, `c_offtake_min[o, y]`.

    Dual of `c_offtake_min` (≥ 0): the cost of the agreement's minimum at the margin — what one
    tonne less of minimum would save, in $ per t (at most the shortfall penalty); 0 where the plan
    would take the minimum anyway.
    """
    ci, acc = ctx.ci, ctx.acc
    index = offtake_index(ci)
    if not index:
        return
    offtakes = ci.offtakes
    q = ctx.add_var(m, "v_offtake", index, within=pyo.NonNegativeReals,
                    bounds=lambda _m, o, _p, _y: (0.0, None if offtakes[o].max_t is None else offtakes[o].max_t * MASS),
                    doc="output taken under an offtake [kt/yr]")
    keys = sorted({(o, y) for o, _p, y in index}, key=lambda k: (list(offtakes).index(k[0]), k[1]))
    short = ctx.add_var(m, "v_offtake_short", keys, within=pyo.NonNegativeReals,
                        bounds=lambda _m, o, _y: (0.0, offtakes[o].min_t * MASS),
                        doc="offtake minimum not taken [kt/yr]")
    source: dict[tuple[str, int], list[Term]] = defaultdict(list)
    need: dict[tuple[str, int], list[Term]] = defaultdict(list)
    need_const: dict[tuple[str, int], float] = defaultdict(float)
    src = sourcing(ci)
    for (o, p, y), v in q.items():
        prj, agr = ci.projects[p], offtakes[o]
        source[(p, y)].append((1.0, v))
        need[(o, y)].append((1.0, v))
        if agr.buyer_region != prj.site:
            g = src.pool(prj.commodity, plant_grade(ci, prj))  # the tonnes keep the plant's grade
            acc.balance[(prj.commodity, g, prj.site, y)].append((-1.0, v))
            acc.balance[(prj.commodity, g, agr.buyer_region, y)].append((1.0, v))
            tc = ci.transport[(prj.commodity, prj.site, agr.buyer_region)]
            if tc:
                acc.cost[("transport", y)].append((tc * PER_T, v))
        # the minimum: min_t x (units deliverable, ramp-up included) / units_max
        const, terms = deliverable_units(m, ctx, p, y)
        scale = agr.min_t * MASS / prj.units_max
        need_const[(o, y)] += scale * const
        need[(o, y)].extend((-scale * c, u) for c, u in terms)
    rows_source = {(p, y): (terms + [(-(1.0 - ci.projects[p].equity_share), ctx.v["v_prod"][p, y])], "<=", 0.0)
                   for (p, y), terms in source.items()}
    rows_min = {}
    for o, y in keys:
        s = short[o, y]
        acc.cost[("penalty_offtake", y)].append((offtake_penalty(ci, o) * PER_T, s))
        rows_min[(o, y)] = (need[(o, y)] + [(1.0, s)], ">=", need_const[(o, y)])
    add_rows(m, "c_offtake_source", rows_source, "offtakes take only the plant's own output")
    add_rows(m, "c_offtake_min", rows_min, "the buyer takes the agreement's minimum or the shortfall is priced")


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------

OFFTAKE_COLUMNS = ["offtake", "project", "buyer_region", "year", "minimum_t", "taken_t", "shortfall_t", "maximum_t",
                   "price_usd_per_t", "buyer_cost_usd", "shortfall_penalty_usd_per_t", "penalty_usd",
                   "minimum_cost_usd_per_t"]


@table("offtakes", description="Offtake agreements by year: the minimum in force, what the buyer took, the "
                               "shortfall and its penalty, the buyer's cost at the agreement's price.")
def report_offtakes(t: TableContext) -> pd.DataFrame:
    import pandas as pd

    ci = t.ci
    index = offtake_index(ci)
    q = t.values("v_offtake")
    short = t.values("v_offtake_short")
    duals = t.duals("c_offtake_min")
    minimum = offtake_minimums(t)
    rows = []
    seen: set[tuple[str, int]] = set()
    for o, _p, y in index:
        if (o, y) in seen:
            continue
        seen.add((o, y))
        agr = ci.offtakes[o]
        taken_by = {p: q.get((o, p, y), 0.0) / MASS for p in agr.plants}
        taken = sum(taken_by.values())
        delivering = max(taken_by, key=lambda p: (taken_by[p], p == agr.project)) if taken > 0 else agr.project
        sf = short.get((o, y), 0.0) / MASS
        pen = offtake_penalty(ci, o)
        dual = duals.get((o, y))
        df = ci.settings.discount_factor(y)
        rows.append({
            "offtake": o, "project": delivering, "buyer_region": agr.buyer_region, "year": y,
            "minimum_t": minimum.get((o, y), 0.0), "taken_t": taken, "shortfall_t": sf, "maximum_t": agr.max_t,
            "price_usd_per_t": agr.price, "buyer_cost_usd": taken * agr.price if agr.price is not None else None,
            "shortfall_penalty_usd_per_t": pen, "penalty_usd": sf * pen,
            "minimum_cost_usd_per_t": dual / PER_T / df + 0.0 if dual is not None else None,
        })
    return pd.DataFrame(rows, columns=OFFTAKE_COLUMNS)


def offtake_minimums(t: TableContext) -> dict[tuple[str, int], float]:
    """(offtake, year) -> the minimum in force in the plan [t]: min_t x the plant's deliverable units / units_max,
    from the builds and the plant states of the plan."""
    from planner.model.families.operations import units_in_plan

    ci = t.ci
    out: dict[tuple[str, int], float] = defaultdict(float)
    for o, p, y in offtake_index(ci):
        prj = ci.projects[p]
        out[(o, y)] += ci.offtakes[o].min_t * units_in_plan(t, p, y) / prj.units_max
    return dict(out)
