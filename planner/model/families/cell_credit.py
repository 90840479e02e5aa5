"""Cell credit: the credit U.S. cells earn per kWh when their material-assistance cost ratio meets the case's threshold."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyomo.environ as pyo

from planner.cases.case import CaseInstance
from planner.model.core import MASS, MONEY, PER_T, Context, Term, add_rows
from planner.model.families.substitution import group_requirements, member_keys
from planner.model.registry import TableContext, register_cost_component, table
from planner.model.sourcing import NON_PFE, Need, need_rule, sourcing

if TYPE_CHECKING:
    import pandas as pd

TOL = 1e-12
KWH_PER_GWH = 1e6

register_cost_component("cell_credit", "credit")


@dataclass(frozen=True)
class Pool:
    """The cells of one segment made in one domestic region in one year that may earn the cell credit.

    gwh: cell output; credit: $ per kWh (credit x phase); threshold: cell_macr_min; other, other_pfe: the
    other materials per kWh and their PFE share; needs: (commodity, t per GWh, reference price or None);
    total, fixed, most: the pool's material value per GWh at reference prices ($/GWh) — all of it, the
    non-PFE part that does not depend on the plan, and the most the graded materials can add;
    graded: the graded materials whose non-PFE deliveries can reach the region."""

    region: str
    segment: str
    year: int
    gwh: float
    credit: float
    threshold: float
    other: float
    other_pfe: float
    needs: tuple[tuple[str, float, float | None], ...]
    total: float = 0.0
    fixed: float = 0.0
    most: float = 0.0
    graded: tuple[str, ...] = ()
    known: bool = True  # False: an ungraded material's supply differs in status (no test watches the cells)

    @property
    def status(self) -> str:
        """'no test', 'met' or 'failed' (by the data), or 'sourcing' (the plan's deliveries decide)."""
        if self.threshold <= 0:
            return "no test"
        if self.total <= 0:
            return "met" if 1.0 - self.other_pfe >= self.threshold - TOL else "failed"
        if self.fixed >= self.threshold * self.total - TOL * self.total:
            return "met"
        if self.fixed + self.most < self.threshold * self.total - TOL * self.total:
            return "failed"
        return "sourcing"


def _raw_pools(ci: CaseInstance) -> list[Pool]:
    """Every (region, segment, year) whose cells could earn a credit: a domestic region with cell output
    of the segment and a positive credit; materials as the cells of the segment need them."""
    pol = ci.policy
    needs: dict[tuple[str, int], list[tuple[str, float, float | None]]] = {}
    for (s, c, y), n in sorted(ci.cell_need.items()):
        needs.setdefault((s, y), []).append((c, n, ci.commodities[c].macr_price))
    out = []
    for (r, s, y), gwh in sorted(ci.cells.items()):
        if not ci.regions[r].domestic:
            continue
        credit = pol.cell_credit[(s, y)] * pol.cell_credit_phase[(s, y)]
        if credit <= 0:
            continue
        out.append(Pool(r, s, y, gwh, credit, pol.cell_macr_min[(s, y)], pol.cell_other_materials_cost[(s, y)],
                        pol.cell_other_materials_pfe_share[(s, y)], tuple(needs.get((s, y), ()))))
    return out


@need_rule
def _watched_materials(ci: CaseInstance) -> list[Need]:
    """The priced materials of cells with a credit test: graded where PFE and non-PFE supply compete."""
    return [Need(c, p.region, spot=False) for p in ci.memo("cell_credit.raw", lambda: _raw_pools(ci))
            if p.threshold > 0 for c, _n, price in p.needs if price is not None]


def cell_pools(ci: CaseInstance) -> list[Pool]:
    """The pools of the case with their ratio's parts (see *Cell credit*)."""
    return ci.memo("cell_credit.pools", lambda: _pools(ci))


def _pools(ci: CaseInstance) -> list[Pool]:
    src = sourcing(ci)
    out = []
    for p in ci.memo("cell_credit.raw", lambda: _raw_pools(ci)):
        total = p.other * KWH_PER_GWH
        fixed = (1.0 - p.other_pfe) * p.other * KWH_PER_GWH
        most = 0.0
        graded = []
        known = True
        for c, n, price in p.needs:
            if price is None:
                continue  # an unpriced material is outside the ratio (a tested pool's materials need a price)
            total += price * n
            if c in src.graded:
                if src.reaches(c, NON_PFE, p.region):
                    graded.append(c)
                    most += price * n
            else:
                value = src.fixed_value(ci, Need(c, p.region, spot=False))
                known = known and value is not None
                fixed += (value or 0.0) * price * n
        out.append(Pool(p.region, p.segment, p.year, p.gwh, p.credit, p.threshold, p.other, p.other_pfe, p.needs,
                        total, fixed, most, tuple(graded), known))
    return out


def add_cell_credit(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Cell credit: cells of a domestic region earn a credit per kWh when their material-assistance cost ratio meets the threshold.

    $$0 \le g_{r,s,y} \le G_{r,s,y}, \qquad a_{c,r,s,y} \le n_{s,c,y}\, g_{r,s,y}, \qquad
    \sum_s a_{c,r,s,y} \le d_{c,non\_pfe,r,y}, \qquad \sum_s n_{s,c,y}\, g_{r,s,y} + u_{c,r,y} \le D_{c,r,y}$$

    $$\sum_{c\ \mathrm{graded}} P_c\, a_{c,r,s,y} + \big(F_{r,s,y} - \theta_{s,y} W_{s,y}\big)\, g_{r,s,y} \ge 0,
    \qquad C^{cell}_y = \sum_{r,s} \chi_{s,y}\, g_{r,s,y}$$

    The 45X credit for cells ($35/kWh × phase-down: `cell_credit` × `cell_credit_phase`, $\chi_{s,y}$)
    goes to cells made in the U.S. whose material-assistance cost ratio — the non-PFE share of their
    direct material cost — meets `cell_macr_min` ($\theta_{s,y}$); storage cells facing the 48E test are
    the same mechanism with their own segment's values. Cells are described by segment $s$ (a
    segment of chemistry_mix or a chemistry named in cell_demand): a GWh of the segment needs
    $n_{s,c,y}$ tonnes of each active material (chemistry mix × intensity) and other materials (foil,
    electrolyte, separator, can) worth $O_{s,y}$ per kWh (`cell_other_materials_cost`), a share
    $\sigma_{s,y}$ of which is PFE (`cell_other_materials_pfe_share`). The ratio is valued like a
    plant's: each active material at its reference price $P_c$, whoever supplies it, so
    $W_{s,y} = \sum_c P_c\, n_{s,c,y} + O_{s,y}$ per GWh, and $F_{r,s,y}$ is the non-PFE value that does not
    depend on the plan (the other materials at $1 - \sigma$, ungraded materials at the one status of
    their supply to the region).

    Decision per domestic region, segment and year: the credited GWh `v_cell_gwh[r, s, y]`
    ($g_{r,s,y}$, continuous, at most the segment's cell output $G_{r,s,y}$; the credited share is
    $g/G$). The active material in credited cells forms a pool: `v_cell_alloc[c, r, s, y]`
    ($a_{c,r,s,y}$) are the non-PFE tonnes of graded material $c$ allocated to it, at most what those
    cells contain (`c_cell_need`) and, over the region's segments, at most the non-PFE deliveries of
    $c$ to the region (`c_cell_pool`; see *Demand*). Row `c_cell_macr[r, s, y]` holds the pool's
    non-PFE value to the threshold; it exists only where the sourcing decides (where the data alone
    meet the threshold every cell may be credited; where even all-non-PFE material cannot, none is,
    and the pool has no variables). Credited cells are cells actually made: their materials are
    delivered, not unmet (`c_cell_served[c, r, y]`; where a substitution group carries the
    demand, the credited cells' needs of its members, in tonnes of requirement, are within the part of
    the group's requirement met: `c_cell_served[G, r, y]`). The credit is a revenue to industry (cost
    component `cell_credit`, a negative cost) and a public cost.
    Rows `c_cell_need[c, r, s, y]`, `c_cell_pool[c, r, y]`, `c_cell_macr[r, s, y]`,
    `c_cell_served[c, r, y]`.

    Duals: of `c_cell_pool`, what one more tonne of non-PFE material delivered to the region is worth
    to its cells' credit ($ per t; the premium cell makers could pay for non-PFE material); of
    `c_cell_macr`, what one more dollar of non-PFE material value in the pool is worth; of
    `c_cell_served`, what the credit adds to the cost of leaving a tonne of the material unmet.
    """
    ci, acc = ctx.ci, ctx.acc
    pools = [p for p in cell_pools(ci) if p.status != "failed"]
    if not pools:
        return
    keys = [(p.region, p.segment, p.year) for p in pools]
    g = ctx.add_var(m, "v_cell_gwh", keys, within=pyo.NonNegativeReals,
                    bounds=lambda _m, r, s, y: (0.0, ci.cells[(r, s, y)]), doc="credited cells [GWh/yr]")
    for p in pools:
        acc.cost[("cell_credit", p.year)].append((-p.credit * KWH_PER_GWH * MONEY, g[(p.region, p.segment, p.year)]))
    sourced = [p for p in pools if p.status == "sourcing"]
    alloc_index = [(c, p.region, p.segment, p.year) for p in sourced for c in p.graded]
    alloc = ctx.add_var(m, "v_cell_alloc", alloc_index, within=pyo.NonNegativeReals,
                        doc="non-PFE material allocated to credited cells [kt/yr]") if alloc_index else {}
    need = {(p.region, p.segment, p.year, c): n for p in pools for c, n, _price in p.needs}
    rows_need = {(c, r, s, y): ([(1.0, a), (-need[(r, s, y, c)] * MASS, g[(r, s, y)])], "<=", 0.0)
                 for (c, r, s, y), a in alloc.items()}
    by_region: dict[tuple[str, str, int], list[Term]] = {}
    for (c, r, _s, y), a in alloc.items():
        by_region.setdefault((c, r, y), []).append((1.0, a))
    deliveries = ctx.v.get("v_deliver", {})
    rows_pool = {k: (terms + [(-1.0, deliveries[(k[0], NON_PFE, k[1], k[2])])], "<=", 0.0)
                 for k, terms in by_region.items()}
    rows_macr = {}
    for p in sourced:
        k = (p.region, p.segment, p.year)
        price = {c: pr for c, _n, pr in p.needs}
        terms = [(price[c] * PER_T, alloc[(c, *k)]) for c in p.graded]
        gap = (p.fixed - p.threshold * p.total) * MONEY  # $M per GWh, < 0
        rows_macr[k] = (terms + [(gap, g[k])], ">=", 0.0)
    served: dict[tuple[str, str, int], list[Term]] = {}
    for p in pools:
        for c, n, _price in p.needs:
            served.setdefault((c, p.region, p.year), []).append((n * MASS, g[(p.region, p.segment, p.year)]))
    unmet = ctx.v.get("v_unmet", {})
    members = member_keys(ci)
    rows_served: dict[tuple[str, str, int], tuple[list[Term], str, float]] = {}
    by_group: dict[tuple[str, str, int], list[Term]] = {}
    reqs = group_requirements(ci)
    for (c, r, y), terms in served.items():
        if (c, r, y) in members:  # a substitution group's member: the group's requirement met bounds the cells
            for gid, grp in ci.substitution.items():
                for mb in grp.members:
                    if mb.commodity == c and (gid, r, y) in reqs:
                        by_group.setdefault((gid, r, y), []).extend((k / mb.t_per_t, v) for k, v in terms)
        elif (c, r, y) in ci.demand:
            rows_served[(c, r, y)] = (terms + [(1.0, unmet[(c, r, y)])], "<=", ci.demand[(c, r, y)] * MASS)
    for (gid, r, y), terms in by_group.items():
        rows_served[(gid, r, y)] = (terms + [(1.0, ctx.v["v_unmet_group"][gid, r, y])], "<=", reqs[(gid, r, y)] * MASS)
    add_rows(m, "c_cell_need", rows_need, "non-PFE material in the pool within what the credited cells contain")
    add_rows(m, "c_cell_pool", rows_pool, "non-PFE material in the pools within the region's non-PFE deliveries")
    add_rows(m, "c_cell_macr", rows_macr, "the pool's non-PFE material value reaches the threshold")
    add_rows(m, "c_cell_served", rows_served, "credited cells' materials are delivered")


@table("cell_credit", description="The cell credit by domestic region, cell segment and year: cell output, the "
       "GWh credited and their share, the pool's material-assistance cost ratio (non-PFE share of its direct "
       "material cost at reference prices) against the threshold, how the test was decided, and the credit "
       "[$], a revenue to industry and a public cost.")
def report_cell_credit(t: TableContext) -> pd.DataFrame:
    import pandas as pd

    ci = t.ci
    g, a = t.values("v_cell_gwh"), t.values("v_cell_alloc")
    rows = []
    for p in cell_pools(ci):
        k = (p.region, p.segment, p.year)
        credited = g.get(k, 0.0)
        share: float | None
        if not p.known:
            share = None  # no test watches these cells and their materials' supply differs: not tracked
        elif p.status == "sourcing":  # the credited cells' ratio (blank when none is credited)
            value = p.fixed * credited + sum(price * a.get((c, *k), 0.0) / MASS
                                             for c, _n, price in p.needs if c in p.graded and price is not None)
            share = min(1.0, value / (p.total * credited)) if credited > 0 else None
        elif p.total > 0:
            share = p.fixed / p.total
        else:
            share = 1.0 - p.other_pfe
        rows.append({"region": p.region, "segment": p.segment, "year": p.year, "cell_gwh": p.gwh,
                     "credited_gwh": credited, "credited_share": credited / p.gwh if p.gwh else 0.0,
                     "threshold_share": p.threshold, "macr_share": share,
                     "decided_by": {"no test": "no test", "sourcing": "sourcing"}.get(p.status, "data"),
                     "credit_usd_per_kwh": p.credit, "credit_usd": p.credit * credited * KWH_PER_GWH})
    return pd.DataFrame(rows, columns=["region", "segment", "year", "cell_gwh", "credited_gwh", "credited_share",
                                       "threshold_share", "macr_share", "decided_by", "credit_usd_per_kwh",
                                       "credit_usd"])


@table("cell_credit_materials", description="The active material in credited cells, by domestic region, "
       "segment, year and commodity [t]: what the credited cells contain and how much of it is counted "
       "non-PFE in their ratio, with the reference price at which the ratio values it.")
def report_cell_materials(t: TableContext) -> pd.DataFrame:
    import pandas as pd

    ci = t.ci
    src = sourcing(ci)
    g, a = t.values("v_cell_gwh"), t.values("v_cell_alloc")
    rows = []
    for p in cell_pools(ci):
        k = (p.region, p.segment, p.year)
        credited = g.get(k, 0.0)
        if credited <= 0:
            continue
        for c, n, price in p.needs:
            contained = n * credited
            if c in p.graded:
                non = a.get((c, *k), 0.0) / MASS
            else:
                value = src.fixed_value(ci, Need(c, p.region, spot=False)) if c not in src.graded else 0.0
                non = (value or 0.0) * contained
            rows.append({"region": p.region, "segment": p.segment, "year": p.year, "commodity": c,
                         "graded": c in src.graded, "contained_t": contained, "non_pfe_t": non,
                         "reference_price_usd_per_t": price})
    return pd.DataFrame(rows, columns=["region", "segment", "year", "commodity", "graded", "contained_t",
                                       "non_pfe_t", "reference_price_usd_per_t"])
