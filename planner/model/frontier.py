"""What a feasibility frontier asks of a built model: the shortfall columns of each target group and
demand, and the bounds that say "met in every year from Y on" (no Pyomo objects leave this module).

A plan may miss a localization target or leave demand unmet because the penalty is cheaper than
meeting it, or because nothing can meet it yet (lead times, bans, capacity limits). The study in
`planner.explore.frontier` tells the two apart: for each group the plan misses it finds the earliest
year from which the group can be met in every later year of the horizon, whatever the cost. This
module names the columns (`frontier_groups`) and the variation that holds a group met from a year
(`met_from`); the study layer poses it on the model it holds, without rebuilding it.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.cases.case import CaseInstance

#: kinds of group, in words
TARGET = "localization target"
DEMAND = "demand"
GROUP_DEMAND = "substitution group"


@dataclass(frozen=True)
class FrontierGroup:
    """A target or a demand whose shortfall the frontier looks at, by year.

    `columns[y]`: the (variable family, key) of every shortfall column of the group in year `y`;
    `need[y]`: the group's own tonnes that year (the target's required tonnes, or the demand): the most
    its shortfall can be, the big-M of the formulation in `met_from`.
    """

    kind: str
    name: str
    definition: str
    columns: dict[int, tuple[tuple[str, object], ...]]
    need: dict[int, float]

    @property
    def years(self) -> list[int]:
        """The years in which the group asks for something (need > 0), in order."""
        return sorted(y for y, t in self.need.items() if t > 0)


def frontier_groups(ci: CaseInstance, *, hard_targets: bool = False) -> list[FrontierGroup]:
    """Every group the frontier can look at in case `ci`: each localization target group (unless the
    targets are hard: then they are never missed), each commodity's demand (every region), each
    substitution group's requirement (every region)."""
    from planner.model.families.substitution import group_requirements, member_keys  # Pyomo: imported when used

    out: list[FrontierGroup] = []
    if not hard_targets:
        by_cy: dict[tuple[str, int], float] = {}
        for (c, _r, y), t in ci.demand.items():
            by_cy[(c, y)] = by_cy.get((c, y), 0.0) + t
        from planner.cases import in_group

        targets: dict[str, dict[int, float]] = {}
        for (g, y), share in sorted(ci.policy.localization_target.items()):
            total = sum(t for (c, yy), t in by_cy.items() if yy == y and in_group(ci, g, c))
            targets.setdefault(g, {})[y] = share * total
        for g, need in targets.items():
            out.append(FrontierGroup(
                TARGET, g, f"qualifying supply covers the {g} target's share of {g} demand (the case's rule)",
                {y: (("v_loc_short", (g, y)),) for y in need}, need))
    replaced = member_keys(ci)
    demand: dict[str, dict[int, list[tuple[str, object]]]] = {}
    dneed: dict[str, dict[int, float]] = {}
    for (c, r, y), t in sorted(ci.demand.items()):
        if (c, r, y) in replaced:
            continue  # carried by a substitution group's requirement
        demand.setdefault(c, {}).setdefault(y, []).append(("v_unmet", (c, r, y)))
        dneed.setdefault(c, {})[y] = dneed.get(c, {}).get(y, 0.0) + t
    for c in demand:
        out.append(FrontierGroup(DEMAND, c, f"cell makers' {c} demand served in full, in every region",
                                 {y: tuple(v) for y, v in demand[c].items()}, dneed[c]))
    greq: dict[str, dict[int, list[tuple[str, object]]]] = {}
    gneed: dict[str, dict[int, float]] = {}
    for (g, r, y), t in group_requirements(ci).items():
        greq.setdefault(g, {}).setdefault(y, []).append(("v_unmet_group", (g, r, y)))
        gneed.setdefault(g, {})[y] = gneed.get(g, {}).get(y, 0.0) + t
    for g in greq:
        out.append(FrontierGroup(GROUP_DEMAND, g, f"the requirement of substitution group {g} (any mix of its "
                                 "members) served in full, in every region",
                                 {y: tuple(v) for y, v in greq[g].items()}, gneed[g]))
    return out


def met_from(group: FrontierGroup, year: int) -> tuple[tuple[str, object, float, float], ...]:
    r"""Frontier: the earliest year from which a target or a demand can be met in every later year.

    For a group $g$ the plan misses (a localization target, a commodity's demand, a substitution
    group's requirement) with shortfall $h_{g,y}$ (`v_loc_short`, or the sum of its `v_unmet` /
    `v_unmet_group` over regions) and own tonnes $T_{g,y}$ (the target's required tonnes, or the
    demand), the frontier is

    $$Y_g = \min \{\, Y : \text{the model is feasible with } h_{g,y} = 0 \ \ \forall y \ge Y \,\},$$

    the first year with $z_y = 1$ at the optimum of $\max \sum_y z_y$ subject to the model's rows,
    $z_y \le z_{y+1}$ and $h_{g,y} \le T_{g,y}(1 - z_y)$, $z_y \in \{0,1\}$ (a tight big-M: the
    shortfall never exceeds the group's own tonnes, its column's upper bound), cost ignored. Feasibility is monotone in
    $Y$ (the problem with the group met from $Y+1$ is a relaxation of the one from $Y$), so $Y_g$ is found by
    bisection over the group's years, each probe the model itself with the upper bounds of the
    group's shortfall columns set to 0 from $Y$ on: no column or row is added to the built model,
    and each probe minimises the model's own cost, so the probe at $Y_g$ gives the least-cost plan
    that meets the group from $Y_g$ (cost as the tie-breaker). The probe at the year before $Y_g$
    is infeasible: that is the proof. Each group is solved on its own: the other targets and
    demands stay soft (priced at their penalties), so $Y_g$ is that group's own earliest year, not
    the year in which all groups can be met together.

    `met_from(group, Y)` gives the probe's bounds as (variable family, key, lower, upper); `planner
    solve` runs the probes through `planner.explore.frontier` when its plan misses a group.
    """
    return tuple((var, key, 0.0, 0.0) for y, cols in sorted(group.columns.items()) if y >= year
                 for var, key in cols)


__all__ = ["DEMAND", "GROUP_DEMAND", "TARGET", "FrontierGroup", "frontier_groups", "met_from"]
