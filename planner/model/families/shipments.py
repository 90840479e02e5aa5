"""Shipments along transport links, by pool (a commodity, or one grade of a graded commodity)."""

from __future__ import annotations

from collections import defaultdict, deque

import pyomo.environ as pyo

from planner.cases.case import CaseInstance
from planner.model.core import PER_T, Block, Context
from planner.model.sourcing import sourcing


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


def ship_index(ci: CaseInstance) -> list[tuple[str, str, str, str, int]]:
    """(commodity, grade, from, to, year) of every link that can carry the pool from where it can be
    present (plants, JV offtake, contract origins of that grade) to where it is used (plants' inputs,
    demand)."""
    return ci.memo("shipments.index", lambda: _ship_index(ci))


def _ship_index(ci: CaseInstance) -> list[tuple[str, str, str, str, int]]:
    sets, src = ci.sets, sourcing(ci)
    used: dict[str, set[str]] = defaultdict(set)
    for pid in sets.starts:
        if not sets.starts[pid]:
            continue
        for c, _ in ci.projects[pid].recipe:
            used[c].add(ci.projects[pid].site)
    for c, r, _y in ci.demand:
        used[c].add(r)
    in_arcs: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for c, i, j in ci.transport:
        in_arcs[c][j].add(i)
    ships: list[tuple[str, str, str, str, int]] = []
    for c in ci.commodities:
        bwd = _reach(used[c], in_arcs[c])
        for g in src.grades(c):
            fwd = src.reach.get((c, g), frozenset())
            arcs = sorted((i, j) for (cc, i, j) in ci.transport if cc == c and i in fwd and j in bwd)
            ships.extend((c, g, i, j, y) for (i, j) in arcs for y in sets.years)
    return ships


def add_shipments(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Shipments along transport links, at a cost per tonne.

    $$f_{c,g,i,j,y} \ge 0 \quad \forall (c,g,i,j,y) \in \mathcal{A}$$

    Only links that can carry the pool from somewhere it can be present to somewhere it can be used
    are created. A pool is a commodity ($g$ = `all`), or one grade (`pfe`, `non_pfe`) of a graded
    commodity (see *Material balance*): a grade's links start only where a source of that grade
    stands, so grading adds shipments only where both grades can travel. `v_ship[c, g, i, j, y]`
    leaves the balance of pool $(c, g)$ in $i$ and enters it in $j$. No rows of its own.
    """
    ci, acc = ctx.ci, ctx.acc
    index = ship_index(ci)
    if not index:
        return
    ships = ctx.add_var(m, "v_ship", index, within=pyo.NonNegativeReals, doc="shipments [kt/yr]")
    # the largest family (most of the variables): handed over as blocks built by comprehension
    keys = list(ships)
    fs = list(ships.values())
    acc.balance_blocks.append(Block([(c, g, i, y) for c, g, i, _j, y in keys], fs, [-1.0] * len(fs)))
    acc.balance_blocks.append(Block([(c, g, j, y) for c, g, _i, j, y in keys], fs, [1.0] * len(fs)))
    tc = [ci.transport[(c, i, j)] * PER_T for c, _g, i, j, _y in keys]
    paid = [n for n, t in enumerate(tc) if t]
    acc.cost_blocks.append(Block([("transport", keys[n][4]) for n in paid], [fs[n] for n in paid],
                                 [tc[n] for n in paid]))
