"""Exclusive groups: at most one project of a group (or variant of a site) is built."""

from __future__ import annotations

import pyomo.environ as pyo

from planner.model.core import Context, add_rows


def add_exclusive_groups(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Exclusive groups: at most one project of a group, and one variant of a site, is built.

    $$\sum_{p \in \mathcal{G}^{cand}} \beta_p \le 1 - \min\big(1, |\mathcal{G}^{fixed}|\big)
    \qquad \forall \mathcal{G} \in \text{groups}$$

    Groups come from the `exclusive_group` column and, automatically, from each project with its
    joint-venture variants (a standalone plant and its JV versions are alternatives for one site).
    A JV variant inherits its project's `exclusive_group`, so the group excludes every variant of
    each of its projects: with P and Q in one group and J a JV variant of P, at most one of P, J
    and Q is built. The rule is "at most one project of the group is built" counting existing and
    committed plants ($\mathcal{G}^{fixed}$) as built: a group holding an existing or committed
    plant is taken, and none of its candidates may be built (right-hand side 0). Row
    `c_exclusive[group]`.

    Dual: not meaningful (integer row).
    """
    if not ctx.sets.exclusive:
        return
    taken = ctx.sets.exclusive_fixed
    rows = {g: ([(1.0, ctx.v["b_build"][p]) for p in members], "<=", 0.0 if g in taken else 1.0)
            for g, members in ctx.sets.exclusive.items()}
    add_rows(m, "c_exclusive", rows, "at most one project of an exclusive group")
