"""Sites: whether a domestic region holds at least one plant of the plan (for the spread of plants)."""

from __future__ import annotations

import pyomo.environ as pyo

from planner.model.core import Context, add_rows
from planner.model.families.operations import ops_index


def site_regions(ctx: Context) -> dict[str, tuple[list[str], list[str]]]:
    """Domestic region -> (candidates sited there, existing and committed plants sited there).

    Only candidates with a start year in the horizon count (`Sets.candidates`): one that cannot be
    qualified within it is never built, has no `b_build`, and alone does not make its region a site."""
    ci = ctx.ci
    buildable = set(ctx.sets.candidates)
    out: dict[str, tuple[list[str], list[str]]] = {}
    for pid, prj in ci.projects.items():
        if not ci.regions[prj.site].domestic or not (prj.fixed or pid in buildable):
            continue
        cand, fixed = out.setdefault(prj.site, ([], []))
        (fixed if prj.fixed else cand).append(pid)
    return out


def add_sites(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Sites: a domestic region counts as holding a plant when a plant of the plan is sited there.

    $$\sigma_r \le \sum_{p \in \mathcal{P}^{cand}_r} \beta_p + \sum_{p \in \mathcal{P}^{fixed}_r} (1 - c_p),
    \qquad 0 \le \sigma_r \le 1 \qquad \forall r \in \mathcal{R}^{dom}$$

    `v_site[r]` is at most 1 and at most the number of plants in region $r$ (candidates built,
    existing and committed plants not cancelled). It costs nothing and enters no other row, so the
    least-cost plan ignores it; a study that maximises $\sum_r \sigma_r$ (the number of states with a
    plant, `planner alternatives --objectives states`) gets $\sigma_r = \min(1, \text{plants in } r)$,
    integral because the $\beta_p$ are. Row `c_site[r]`.

    Dual: the value of one more plant in region $r$ to an objective that counts regions (0 in the
    least-cost plan).
    """
    regions = site_regions(ctx)
    if not regions:
        return
    cancel = set(ops_index(ctx.ci).cancel)
    keys = sorted(regions)
    ctx.add_var(m, "v_site", keys, within=pyo.NonNegativeReals, bounds=(0.0, 1.0), doc="region holds a plant [0-1]")
    rows = {}
    for r in keys:
        cand, fixed = regions[r]
        terms = [(1.0, ctx.v["v_site"][r])] + [(-1.0, ctx.v["b_build"][p]) for p in cand]
        terms += [(1.0, ctx.v["b_cancel"][p]) for p in fixed if p in cancel]
        rows[r] = (terms, "<=", float(len(fixed)))
    add_rows(m, "c_site", rows, "a region counts as a site only with a plant of the plan")
