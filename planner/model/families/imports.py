"""Import contracts: signing, maximum volume and take-or-pay."""

from __future__ import annotations

import pyomo.environ as pyo

from planner.model.core import MASS, MONEY, PER_T, Context, Term, add_rows
from planner.model.families.substitution import demand_bound
from planner.model.sourcing import contract_grade, sourcing


def add_imports(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Import contracts: signing, maximum volume and take-or-pay.

    $$m_{k,y} \le \bar M_{k,y}\,\sigma_k, \qquad m_{k,y} + t_{k,y} \ge \underline M_{k,y}\,\sigma_k,
    \qquad \sigma_k \in \{0,1\}$$

    `v_import[k, y]` is delivered into the balance of the contract's origin region (into the pool of
    the contract's grade where the commodity is graded: PFE when the supplier is FEOC) and reaches
    demand regions over transport links (ocean freight is such a link). It costs the year's price
    plus the case's ad-valorem tariff on it. The year's price is the listed price escalated from the
    settings' base year, $P_k (1+\epsilon_k)^{y - y_0}$, in both directions: before the base year
    the price is lower than listed when the escalation is positive (a year of `contract_terms` with
    a price replaces the escalated price of that year as it is, without escalation).

    Signing `b_sign[k]` is a decision for contracts with a signing fee or a minimum take; the whole
    fee is paid once, in the contract's first delivery year within the horizon: a contract whose
    first year lies before the horizon is a decision at the start of the horizon and, if signed,
    pays its whole fee in the horizon's first year; a fee is never spread or prorated, also for a
    contract running past the horizon. Contracts without fee or minimum need no signing and are
    used freely.

    Take-or-pay: the untaken part of the minimum, `v_top[k, y]` ($t_{k,y}$), is paid at the contract
    price without tariff or freight, in every delivery year of a signed contract — also in a year
    with no use for the commodity at all (nothing can then be taken, so the whole minimum is paid).
    It is not owed in a year the case bans the supplier (FEOC imports not allowed): the ban, not the
    buyer, prevents the take. Without a signing decision the maximum is a bound on $m_{k,y}$; so is
    the case's ban on FEOC suppliers in a year. Unlimited contracts use the year's total possible
    use of the commodity (demand plus the most all plants could draw) as the bound. Rows
    `c_contract_max[k, y]`, `c_take_or_pay[k, y]`.

    Dual of `c_take_or_pay`: the value, in $/t, of lowering the minimum take by one tonne.
    """
    sets, ci, acc, pol = ctx.sets, ctx.ci, ctx.acc, ctx.pol
    if not sets.imports:
        return
    signed = set(sets.signed)
    src = sourcing(ci)
    use_bound: dict[tuple[str, int], float] = {}
    for (c, _r, y), t in demand_bound(ci).items():  # stated demand, or more where a substitution group may ask it
        use_bound[(c, y)] = use_bound.get((c, y), 0.0) + t
    for p in ci.projects.values():
        for c, tpt in p.recipe:
            for y in sets.years:
                use_bound[(c, y)] = use_bound.get((c, y), 0.0) + tpt * p.capacity * p.units_max

    def cap(k: str, y: int) -> float:
        con = ci.contracts[k]
        if con.feoc and not pol.feoc_imports_allowed[y]:
            return 0.0
        mx = con.max_volume[y]
        big = use_bound.get((con.commodity, y), 0.0)
        return (min(mx, big) if mx is not None else big) * MASS

    bounds = {(k, y): cap(k, y) for k, y in sets.imports}
    ctx.add_var(m, "v_import", list(sets.imports), within=pyo.NonNegativeReals,
                bounds=lambda _m, k, y: (0.0, None if k in signed else bounds[(k, y)]), doc="imports [kt/yr]")
    if signed:
        ctx.add_var(m, "b_sign", list(sets.signed), within=pyo.Binary, doc="contract signed [0/1]")
    take_or_pay = [(k, y) for k, y in sets.imports if ci.contracts[k].min_take[y] > 0]
    if take_or_pay:
        ctx.add_var(m, "v_top", take_or_pay, within=pyo.NonNegativeReals, doc="untaken minimum [kt/yr]")
    top_keys = set(take_or_pay)
    rows_max: dict[tuple[str, int], tuple[list[Term], str, float]] = {}
    rows_top: dict[tuple[str, int], tuple[list[Term], str, float]] = {}
    for k, y in sets.imports:
        con = ci.contracts[k]
        x = ctx.v["v_import"][k, y]
        acc.balance[(con.commodity, src.pool(con.commodity, contract_grade(con)), con.origin, y)].append((1.0, x))
        price = con.price[y]
        acc.cost[("imports", y)].append((price * PER_T, x))
        tariff = pol.tariff.get((k, y), 0.0)
        if tariff:
            acc.cost[("tariffs", y)].append((tariff * price * PER_T, x))
        if k in signed:
            rows_max[(k, y)] = ([(1.0, x), (-bounds[(k, y)], ctx.v["b_sign"][k])], "<=", 0.0)
        banned = con.feoc and not pol.feoc_imports_allowed[y]
        if (k, y) in top_keys and not banned:  # no take-or-pay for volumes a ban forbids taking
            top = ctx.v["v_top"][k, y]
            rows_top[(k, y)] = ([(1.0, x), (1.0, top), (-con.min_take[y] * MASS, ctx.v["b_sign"][k])], ">=", 0.0)
            acc.cost[("take_or_pay", y)].append((price * PER_T, top))
    for k in sets.signed:
        con = ci.contracts[k]
        if con.signing_fee:
            y = max(con.first_year, sets.years[0])
            acc.cost[("signing_fees", y)].append((con.signing_fee * MONEY, ctx.v["b_sign"][k]))
    add_rows(m, "c_contract_max", rows_max, "imports only under a signed contract, within its maximum")
    add_rows(m, "c_take_or_pay", rows_top, "a signed contract's minimum is taken or paid for")
