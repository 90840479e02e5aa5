"""Shipments along transport links."""

from __future__ import annotations

from collections import defaultdict, deque

import pyomo.environ as pyo

from planner.cases.case import CaseInstance
from planner.model.core import PER_T, Block, Context
from planner.model.families.substitution import demand_bound


def _reach(starts: set[str], arcs: dict[str, set[str]]) -> set[str]:
    seen = set(starts)
    todo = deque(starts)
    while todo:
        i = todo.popleft()
        for j in arcs.get(i, ()):
            if j not in seen:
                seen.add(j)
                todo.append(j)
    return seen


def ship_index(ci: CaseInstance) -> list[tuple[str, str, str, int]]:
    """(commodity, from, to, year) of every link that can carry the commodity from where it can be
    present (plants, JV offtake, contract origins) to where it is used (plants' inputs, demand)."""
    sets = ci.sets
    present: dict[str, set[str]] = defaultdict(set)
    used: dict[str, set[str]] = defaultdict(set)
    for pid in sets.starts:
        if not sets.starts[pid]:
            continue
        p = ci.projects[pid]
        present[p.commodity].add(p.site)
        if p.partner_region:
            present[p.commodity].add(p.partner_region)
        for c, _ in p.recipe:
            used[c].add(p.site)
    for k, _y in sets.imports:
        con = ci.contracts[k]
        present[con.commodity].add(con.origin)
    for c, r, _y in demand_bound(ci):  # demand regions, and those where a substitution group may ask for c
        used[c].add(r)
    out_arcs: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    in_arcs: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for c, i, j in ci.transport:
        out_arcs[c][i].add(j)
        in_arcs[c][j].add(i)
    ships: list[tuple[str, str, str, int]] = []
    for c in ci.commodities:
        fwd = _reach(present[c], out_arcs[c])
        bwd = _reach(used[c], in_arcs[c])
        arcs = sorted((i, j) for (cc, i, j) in ci.transport if cc == c and i in fwd and j in bwd)
        ships.extend((c, i, j, y) for (i, j) in arcs for y in sets.years)
    return ships


def add_shipments(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Shipments along transport links, at a cost per tonne.

    $$f_{c,i,j,y} \ge 0 \quad \forall (c,i,j,y) \in \mathcal{A}$$

    Only links that can carry the commodity from somewhere it can be present to somewhere it can
    be used are created. `v_ship[c, i, j, y]` leaves the balance of $i$ and enters that of $j$.
    No rows of its own.
    """
    ci, acc = ctx.ci, ctx.acc
    index = ship_index(ci)
    if not index:
        return
    ships = ctx.add_var(m, "v_ship", index, within=pyo.NonNegativeReals, doc="shipments [kt/yr]")
    # the largest family (most of the variables): handed over as blocks built by comprehension
    keys = list(ships)
    fs = list(ships.values())
    acc.balance_blocks.append(Block([(c, i, y) for c, i, _j, y in keys], fs, [-1.0] * len(fs)))
    acc.balance_blocks.append(Block([(c, j, y) for c, _i, j, y in keys], fs, [1.0] * len(fs)))
    tc = [ci.transport[(c, i, j)] * PER_T for c, i, j, _y in keys]
    paid = [n for n, t in enumerate(tc) if t]
    acc.cost_blocks.append(Block([("transport", keys[n][3]) for n in paid], [fs[n] for n in paid],
                                 [tc[n] for n in paid]))
