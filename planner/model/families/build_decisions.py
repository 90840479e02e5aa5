"""Build decisions: units started per candidate project and start year, and whether it is built."""

from __future__ import annotations

import pyomo.environ as pyo

from planner.model.core import Context, add_rows


def add_build_decisions(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Build decisions: how many units of each candidate project start construction in which year.

    $$U_{p,s} \in \{0,\dots,\bar U_p\}, \qquad \beta_p \in \{0,1\}, \qquad
    \beta_p \le \sum_{s} U_{p,s} \le \bar U_p\,\beta_p \quad \forall p \in \mathcal{P}^{cand}$$

    `v_units[p, s]` counts identical units (modules) of project $p$ whose construction starts in
    year $s$; `b_build[p]` says whether the project is built at all and carries exclusivity,
    grants and 48C awards. A candidate's start years run from its earliest start to its latest
    start (or the horizon's end), limited to the horizon and to those from which the plant can be
    qualified within it. Construction never starts before the horizon: a candidate whose earliest
    start lies before the first year may start in the first year at the earliest (a plant already
    under construction is `committed`). Existing and committed plants are constants
    ($U_{p,s}=\bar U_p$ at their start year, which may lie before the horizon), not variables.
    Rows `c_units_limit[p]`, `c_build_link[p]`.

    Dual: not meaningful (integer row); its LP-relaxation value is the value of allowing one more unit.
    """
    sets = ctx.sets
    if not sets.option_vars:
        return
    projects = ctx.ci.projects
    ctx.add_var(m, "v_units", list(sets.option_vars), within=pyo.NonNegativeIntegers,
                bounds=lambda _m, p, s: (0, projects[p].units_max), doc="units started [units]")
    ctx.add_var(m, "b_build", list(sets.candidates), within=pyo.Binary, doc="project built [0/1]")
    rows = {
        p: ([(1.0, ctx.v["v_units"][p, s]) for s in sets.starts[p]] + [(-projects[p].units_max, ctx.v["b_build"][p])], "<=", 0.0)
        for p in sets.candidates
    }
    add_rows(m, "c_units_limit", rows, "units of a project within its maximum, only if built")
    link = {p: ([(1.0, ctx.v["b_build"][p])] + [(-1.0, ctx.v["v_units"][p, s]) for s in sets.starts[p]], "<=", 0.0)
            for p in sets.candidates}
    add_rows(m, "c_build_link", link, "a project counts as built only with at least one unit")
