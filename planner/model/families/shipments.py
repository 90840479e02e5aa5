"""Shipments along transport links, by pool (a commodity, or one grade of a graded commodity)."""

from __future__ import annotations

import heapq
import math
from collections import defaultdict, deque

import pyomo.environ as pyo

from planner.cases.case import CaseInstance
from planner.model.core import PER_T, Block, Context
from planner.model.families.substitution import demand_bound
from planner.model.sourcing import ALL, sourcing


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
    for c, r, _y in demand_bound(ci):  # demand regions, and those where a substitution group may ask for c
        used[c].add(r)
    in_arcs: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for c, i, j in ci.transport:
        in_arcs[c][j].add(i)
    cost: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for (c, i, j), t in ci.transport.items():
        cost[c][i][j] = t
    ships: list[tuple[str, str, str, str, int]] = []
    for c in ci.commodities:
        bwd = _reach(used[c], in_arcs[c])
        for g in src.grades(c):
            fwd = src.reach.get((c, g), frozenset())
            arcs = sorted((i, j) for (cc, i, j) in ci.transport if cc == c and i in fwd and j in bwd)
            if g != ALL:  # a grade's tonnes travel only along cheapest routes from where that grade enters
                keep = _on_cheapest_paths(src.present.get((c, g), frozenset()), cost[c])
                arcs = [a for a in arcs if a in keep]
            ships.extend((c, g, i, j, y) for (i, j) in arcs for y in sets.years)
    return ships


def _on_cheapest_paths(starts: frozenset[str], cost: dict[str, dict[str, float]]) -> set[tuple[str, str]]:
    """Links (i, j) that lie on a cheapest route from some start: d_s(i) + t(i, j) = d_s(j) for a start s."""
    keep: set[tuple[str, str]] = set()
    for s in starts:
        dist = {s: 0.0}
        heap = [(0.0, s)]
        while heap:
            d, i = heapq.heappop(heap)
            if d > dist[i]:
                continue
            for j, t in cost.get(i, {}).items():
                if d + t < dist.get(j, math.inf):
                    dist[j] = d + t
                    heapq.heappush(heap, (d + t, j))
        for i, d in dist.items():
            for j, t in cost.get(i, {}).items():
                if d + t <= dist[j] * (1 + 1e-12) + 1e-9:
                    keep.add((i, j))
    return keep


def add_shipments(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Shipments along transport links, at a cost per tonne.

    $$f_{c,g,i,j,y} \ge 0 \quad \forall (c,g,i,j,y) \in \mathcal{A}$$

    Only links that can carry the pool from somewhere it can be present to somewhere it can be used
    are created. A pool is a commodity ($g$ = `all`), or one grade (`pfe`, `non_pfe`) of a graded
    commodity (see *Material balance*): a grade's links start only where a source of that grade
    stands, so grading adds shipments only where both grades can travel. A grade's links are moreover
    only those on a cheapest route from some place where that grade enters the balances
    ($d_s(i) + t_{ij} = d_s(j)$): transport has no capacity, so every tonne of the grade can travel from
    its source to its use along a cheapest route and the other links add nothing but variables (the
    optimum is the same; this keeps the PFE grade, which enters at a few ports of origin, from
    doubling every domestic link). `v_ship[c, g, i, j, y]` leaves the balance of pool $(c, g)$ in $i$
    and enters it in $j$. No rows of its own.
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
