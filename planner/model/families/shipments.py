"""Shipments along transport links."""

from __future__ import annotations

import pyomo.environ as pyo

from planner.model.core import PER_T, Block, Context


def add_shipments(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Shipments along transport links, at a cost per tonne.

    $$f_{c,i,j,y} \ge 0 \quad \forall (c,i,j,y) \in \mathcal{A}$$

    Only links that can carry the commodity from somewhere it can be present to somewhere it can
    be used are created. `v_ship[c, i, j, y]` leaves the balance of $i$ and enters that of $j$.
    No rows of its own.
    """
    sets, ci, acc = ctx.sets, ctx.ci, ctx.acc
    if not sets.ships:
        return
    ships = ctx.add_var(m, "v_ship", list(sets.ships), within=pyo.NonNegativeReals, doc="shipments [kt/yr]")
    # the largest family (most of the variables): handed over as blocks built by comprehension
    keys = list(ships)
    fs = list(ships.values())
    acc.balance_blocks.append(Block([(c, i, y) for c, i, _j, y in keys], fs, [-1.0] * len(fs)))
    acc.balance_blocks.append(Block([(c, j, y) for c, _i, j, y in keys], fs, [1.0] * len(fs)))
    tc = [ci.transport[(c, i, j)] * PER_T for c, i, j, _y in keys]
    paid = [n for n, t in enumerate(tc) if t]
    acc.cost_blocks.append(Block([("transport", keys[n][3]) for n in paid], [fs[n] for n in paid],
                                 [tc[n] for n in paid]))
