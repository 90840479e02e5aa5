"""Market rounding: a site's output in whole units within its product's market (a tightening)."""

from __future__ import annotations

import math

import pyomo.environ as pyo

from planner.model.core import MASS, ROUNDING, Context, Term, add_rows, units
from planner.model.families.market_limit import product_market

__all__ = ["ROUNDING", "add_market_rounding", "mir_coefficient"]


def add_market_rounding(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Market rounding (a tightening): a site's output in whole units, within its product's market.

    For the plants $\mathcal S$ of product $c$ at one site, in year $y$, and a divisor $\delta > 0$:

    $$\sum_{p \in \mathcal S} x_{p,y} \;\le\; \bar D_{c,y} - \delta f \lceil \beta \rceil
    + \sum_{p \in \mathcal S^{cand}} \sum_s g_{p,s}\, U_{p,s}, \qquad
    \beta = \frac{\bar D_{c,y} - C^0_{\mathcal S,y}}{\delta},\quad f = \beta - \lfloor \beta \rfloor,$$

    $$g_{p,s} = \delta \Big( f \lfloor q_{p,s} \rfloor + \min\big(q_{p,s} - \lfloor q_{p,s} \rfloor,\, f\big) \Big),
    \qquad q_{p,s} = \kappa_p\, a_{p,s,y} / \delta$$

    It is the mixed-integer rounding (MIR) of two facts every plan satisfies: the site delivers at
    most its capacity, $C^0_{\mathcal S,y} + \sum \kappa_p a_{p,s,y} U_{p,s}$ ($C^0$ the deliverable
    capacity of the site's existing and committed plants of $c$, before any mothballing, cancellation
    or early retirement; see *Production limit*), and at most the product's market $\bar D_{c,y}$ (all
    demand for $c$ in $y$, or the most substitution groups may ask of it, plus the most any plant
    could draw as a recipe input: summed over all regions and grades, the balance rows leave output
    nowhere else to go; see *Market limit*). With $t = \bar D_{c,y} - \sum_{\mathcal S} x_{p,y} \ge 0$
    they give $\sum (\kappa_p a_{p,s,y}/\delta)\, U_{p,s} + t/\delta \ge \beta$, and the MIR of that
    row, with the $U_{p,s}$ integer, is the row above. It holds for every integer plan, so the optimum
    never changes; it cuts LP relaxations that build a fraction of a unit to fill the market exactly
    (say 2.3 units where 2 or 3 are the choices). Divisors: the output of one unit of
    each of the site's candidates that year, $\kappa_p a_{p,s,y}$ (one per ramp-up stage), and half of
    it; rows only where they can cut (the fraction $f$ not 0, and the candidates able to deliver more
    than $\delta(\lceil\beta\rceil - 1)$).

    Where (`build_model(rounding=...)`, `planner bench --rounding`): `sole` (the default), for every
    product all of whose plants (existing, committed and candidate) sit at one site: that site alone
    must round its units against the product's whole market, and the row is strongest. `all`: at every
    (product, site) with a candidate, plants elsewhere ignored (still valid: every plant's output
    counts against the market). `off`: none. Measured in docs/performance.md.
    Row `c_market_rounding[c, site, y, j]` ($j$ numbers the divisors).

    Dual: not meaningful (a tightening row: at every integer plan it is implied by the production
    limits and the balances; it is slack but for ties).
    """
    sets, ci = ctx.sets, ctx.ci
    if ctx.rounding == "off" or not sets.option_vars:
        return
    by_site: dict[tuple[str, str], list[str]] = {}
    for p, ss in sets.starts.items():
        prj = ci.projects[p]
        if ss:
            by_site.setdefault((prj.commodity, prj.site), []).append(p)
    sites_of: dict[str, int] = {}
    for c, _r in by_site:
        sites_of[c] = sites_of.get(c, 0) + 1
    pools = [(key, ps) for key, ps in sorted(by_site.items())
             if any(not ci.projects[p].fixed for p in ps) and (ctx.rounding == "all" or sites_of[key[0]] == 1)]
    if not pools:
        return
    market = product_market(ci)
    prod_v, units_v = ctx.v["v_prod"], ctx.v["v_units"]
    rows: dict[tuple[str, str, int, int], tuple[list[Term], str, float]] = {}
    for (c, site), pool in pools:
        for y in sets.years:
            xs = [prod_v[p, y] for p in pool if (p, y) in prod_v]
            coef: dict[tuple[str, int], float] = {}
            fixed_cap = reach = 0.0
            for p in pool:
                prj = ci.projects[p]
                kap = prj.capacity * MASS
                opts = sets.deliverable.get((p, y), ())
                if prj.fixed:
                    fixed_cap += kap * sum(units(m, ctx, p, s)[0] * a for s, a in opts)
                elif opts:
                    coef.update({(p, s): kap * a for s, a in opts})
                    reach += kap * max(a for _s, a in opts) * prj.units_max
            total = market.get((c, y), 0.0)
            rest = total - fixed_cap
            if not coef or rest <= 0.0:
                continue
            divisors = sorted({round(v / n, 12) for v in coef.values() for n in (1, 2)}, reverse=True)
            seen: set[tuple[float, ...]] = set()
            for delta in divisors:
                beta = rest / delta
                f = beta - math.floor(beta)
                k = math.ceil(beta)
                if f < 1e-6 or f > 1.0 - 1e-6 or delta * (k - 1) >= reach:
                    continue
                g = {key: mir_coefficient(v / delta, f) * delta for key, v in coef.items()}
                sig = tuple(round(v, 9) for v in g.values())
                if sig in seen:
                    continue
                seen.add(sig)
                terms = [(1.0, x) for x in xs] + [(-gv, units_v[key]) for key, gv in g.items() if gv > 1e-12]
                rows[(c, site, y, len(seen))] = (terms, "<=", total - delta * f * k)
    add_rows(m, "c_market_rounding", rows, "a site's output in whole units within its product's market")


def mir_coefficient(q: float, f: float) -> float:
    """MIR coefficient of an integer variable with coefficient q in a >= row whose right-hand side has
    fractional part f: f * floor(q) + min(frac(q), f)."""
    fl = math.floor(q)
    fq = q - fl
    if fq > 1.0 - 1e-9:  # q is a whole number up to rounding
        fl, fq = fl + 1, 0.0
    elif fq < 1e-9:
        fq = 0.0
    return f * fl + min(fq, f)
