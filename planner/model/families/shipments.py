"""Shipments along transport links, by pool (a commodity, or one grade of a graded commodity)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np
import pyomo.environ as pyo

from planner.cases.case import CaseInstance
from planner.model.core import PER_T, Block, Context
from planner.model.families.substitution import demand_bound
from planner.model.sourcing import sourcing


def ship_index(ci: CaseInstance) -> list[tuple[str, str, str, str, int]]:
    """(commodity, grade, from, to, year) of every link on a cheapest route along which the pool can
    travel from where it enters a balance (plants, JV partners' and offtake buyers' regions, contract
    origins of that grade) to where it is used (plants' inputs, demand)."""
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
    links: dict[str, dict[tuple[str, str], float]] = defaultdict(dict)
    for (c, i, j), t in ci.transport.items():
        links[c][(i, j)] = t
    ships: list[tuple[str, str, str, str, int]] = []
    for c in ci.commodities:
        for g in src.grades(c):
            arcs = cheapest_route_arcs(links[c], src.present.get((c, g), frozenset()), used[c])
            ships.extend((c, g, i, j, y) for (i, j) in arcs for y in sets.years)
    return ships


def cheapest_route_arcs(links: dict[tuple[str, str], float], sources: Iterable[str], sinks: Iterable[str]
                        ) -> list[tuple[str, str]]:
    """The links (from, to) of `links` (cost per tonne, >= 0) that lie on a cheapest route from a region
    in `sources` to a region in `sinks`, sorted; all links of tied routes are kept.

    A link (i, j) is kept when d(s, i) + t(i, j) + d(j, k) equals the cheapest d(s, k) for some source s
    and sink k (d: cheapest route cost, Floyd-Warshall over the commodity's links). Links no source
    reaches, from which no sink is reached, or dominated by a cheaper route over other regions are
    left out.
    """
    sources, sinks = set(sources), set(sinks)
    if not links or not sources or not sinks:
        return []
    nodes = sorted({i for i, _j in links} | {j for _i, j in links} | sources | sinks)
    at = {r: n for n, r in enumerate(nodes)}
    n = len(nodes)
    d = np.full((n, n), np.inf)
    np.fill_diagonal(d, 0.0)
    arcs = sorted(links)
    u = np.array([at[i] for i, _j in arcs], dtype=np.int64)
    v = np.array([at[j] for _i, j in arcs], dtype=np.int64)
    w = np.array([links[a] for a in arcs], dtype=float)
    np.minimum.at(d, (u, v), w)
    for k in range(n):  # cheapest route cost between every two regions
        np.minimum(d, d[:, k, None] + d[None, k, :], out=d)
    dst = np.array(sorted(at[r] for r in sinks), dtype=np.int64)
    keep = np.zeros(len(arcs), dtype=bool)
    to_sink = d[v][:, dst] + w[:, None]  # each link's cost plus the cheapest route on to each sink
    for s in sorted(at[r] for r in sources):
        best = d[s, dst]  # cheapest route from s to each sink
        via = d[s, u][:, None] + to_sink  # from s over each link to each sink
        tol = 1e-9 * np.maximum(1.0, best)
        keep |= (np.isfinite(best)[None, :] & (via <= (best + tol)[None, :])).any(axis=1)
    return [a for a, k in zip(arcs, keep) if k]


def add_shipments(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Shipments along transport links, at a cost per tonne.

    $$f_{c,g,i,j,y} \ge 0 \quad \forall (c,g,i,j,y) \in \mathcal{A}$$

    A pool is a commodity ($g$ = `all`), or one grade (`pfe`, `non_pfe`) of a graded commodity (see
    *Material balance*). `v_ship[c, g, i, j, y]` leaves the balance of pool $(c, g)$ in $i$ and enters
    it in $j$. No rows of its own.

    Only links on a cheapest route from a region where the pool enters a balance (a plant's site of
    that grade, a JV partner's or an offtake buyer's region, a contract's origin) to a region where
    it is used (demand, or where a substitution group may ask for it; plants' recipe inputs) are
    created:

    $$(i,j) \in \mathcal{A}_{c,g} \iff \exists\, s \in S_{c,g},\ k \in K_c:\;
    d_c(s,i) + t_{c,i,j} + d_c(j,k) = d_c(s,k)$$

    with $d_c$ the cheapest route cost over the commodity's links. Transport has no capacity and
    costs only its links' cost per tonne, so every tonne can go from where it enters to where it is
    used along a cheapest route at no greater cost: the optimum never changes, and the model loses
    the links that would only let the LP relaxation spread tonnes over dominated routes (on the
    default instance 22k of its 27k columns; all links of tied routes are kept). Spot purchases and unmet
    demand never exceed a region's own use, so they start no route. A graded pool's links start only
    where a source of that grade stands, so grading adds shipments only where both grades can
    travel (the PFE grade, which enters at a few ports of origin, does not double every domestic link).
    See `cheapest_route_arcs`.
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
