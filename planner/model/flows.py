"""Material flows: import contracts, shipments, spot purchases, unmet demand and the balance."""

from __future__ import annotations

import pyomo.environ as pyo

from planner.model.core import MASS, MONEY, PER_T, Block, Context, Term, add_matrix_rows, add_rows, flatten


def add_imports(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Import contracts: signing, maximum volume and take-or-pay.

    $$m_{k,y} \le \bar M_{k,y}\,\sigma_k, \qquad m_{k,y} + t_{k,y} \ge \underline M_{k,y}\,\sigma_k,
    \qquad \sigma_k \in \{0,1\}$$

    `v_import[k, y]` is delivered into the balance of the contract's origin region and reaches
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
    sets, inst, acc, pol = ctx.sets, ctx.inst, ctx.acc, ctx.pol
    if not sets.imports:
        return
    signed = set(sets.signed)
    use_bound: dict[tuple[str, int], float] = {}
    for (c, _r, y), t in inst.demand.items():
        use_bound[(c, y)] = use_bound.get((c, y), 0.0) + t
    for p in inst.projects.values():
        for c, tpt in p.recipe:
            for y in sets.years:
                use_bound[(c, y)] = use_bound.get((c, y), 0.0) + tpt * p.capacity * p.units_max

    def cap(k: str, y: int) -> float:
        con = inst.contracts[k]
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
    if sets.take_or_pay:
        ctx.add_var(m, "v_top", list(sets.take_or_pay), within=pyo.NonNegativeReals, doc="untaken minimum [kt/yr]")
    top_keys = set(sets.take_or_pay)
    rows_max: dict[tuple[str, int], tuple[list[Term], str, float]] = {}
    rows_top: dict[tuple[str, int], tuple[list[Term], str, float]] = {}
    for k, y in sets.imports:
        con = inst.contracts[k]
        x = ctx.v["v_import"][k, y]
        acc.balance[(con.commodity, con.origin, y)].append((1.0, x))
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
        con = inst.contracts[k]
        if con.signing_fee:
            y = max(con.first_year, sets.years[0])
            acc.cost[("signing_fees", y)].append((con.signing_fee * MONEY, ctx.v["b_sign"][k]))
    add_rows(m, "c_contract_max", rows_max, "imports only under a signed contract, within its maximum")
    add_rows(m, "c_take_or_pay", rows_top, "a signed contract's minimum is taken or paid for")


def add_shipments(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Shipments along transport links, at a cost per tonne.

    $$f_{c,i,j,y} \ge 0 \quad \forall (c,i,j,y) \in \mathcal{A}$$

    Only links that can carry the commodity from somewhere it can be present to somewhere it can
    be used are created. `v_ship[c, i, j, y]` leaves the balance of $i$ and enters that of $j$.
    No rows of its own.
    """
    sets, inst, acc = ctx.sets, ctx.inst, ctx.acc
    if not sets.ships:
        return
    ships = ctx.add_var(m, "v_ship", list(sets.ships), within=pyo.NonNegativeReals, doc="shipments [kt/yr]")
    # the largest family (most of the variables): handed over as blocks built by comprehension
    keys = list(ships)
    fs = list(ships.values())
    acc.balance_blocks.append(Block([(c, i, y) for c, i, _j, y in keys], fs, [-1.0] * len(fs)))
    acc.balance_blocks.append(Block([(c, j, y) for c, _i, j, y in keys], fs, [1.0] * len(fs)))
    tc = [inst.transport[(c, i, j)] * PER_T for c, i, j, _y in keys]
    paid = [n for n, t in enumerate(tc) if t]
    acc.cost_blocks.append(Block([("transport", keys[n][3]) for n in paid], [fs[n] for n in paid],
                                 [tc[n] for n in paid]))


def add_purchases(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Spot purchases of plant inputs at the commodity's market price, never more than the plants draw.

    $$0 \le b_{c,r,y} \le \sum_{p @ r} \phi_{p,c}\, x_{p,y}$$

    `v_buy[c, r, y]` ($b_{c,r,y}$) buys commodity $c$ at its market price (commodities sheet) in
    region $r$ and year $y$, for inputs with a market price, in regions where a plant uses them. It
    enters the balance of $r$ like any supply, but row `c_purchase_limit[c, r, y]` holds it within
    the recipe inputs $\phi_{p,c}\,x_{p,y}$ that the plants sited in $r$ draw that year: spot
    purchases serve plants' recipe inputs only, never cell makers' demand (which is met by plants,
    import contracts — with their tariffs, freight and bans — or left unmet at the penalty), and
    they never count as qualifying supply. Since the balance pools all supply of a region, the row
    is the same as routing the purchases straight into the plants' inputs, without a variable per
    plant. An idle plant draws nothing, so nothing can be bought for it.

    Dual of `c_purchase_limit` (≤ 0 in Pyomo's sign convention): what one more tonne of allowed
    spot purchases would save, in $ per t — where the row binds, the market price less the
    commodity's supply price in that region (the balance dual); 0 where the plants' inputs are not
    all bought.
    """
    sets, inst, acc = ctx.sets, ctx.inst, ctx.acc
    if not sets.buys:
        return
    ctx.add_var(m, "v_buy", list(sets.buys), within=pyo.NonNegativeReals, doc="spot purchases [kt/yr]")
    rows: dict[tuple[str, str, int], tuple[list[Term], str, float]] = {}
    for c, r, y in sets.buys:
        b = ctx.v["v_buy"][c, r, y]
        acc.balance[(c, r, y)].append((1.0, b))
        acc.cost[("purchases", y)].append((inst.commodities[c].market_price * PER_T, b))
        rows[(c, r, y)] = ([(1.0, b)] + [(-t, x) for t, x in acc.draw.get((c, r, y), [])], "<=", 0.0)
    add_rows(m, "c_purchase_limit", rows, "spot purchases only for the recipe inputs of the region's plants")


def add_unmet_demand(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Unmet demand: a priced slack, so that a plan is always returned and shortfalls reported.

    $$0 \le u_{c,r,y} \le D_{c,r,y}$$ (`v_unmet[c, r, y]`) at the settings' penalty price per tonne.
    No rows of its own.
    """
    sets, inst, acc = ctx.sets, ctx.inst, ctx.acc
    if not sets.unmet:
        return
    ctx.add_var(m, "v_unmet", list(sets.unmet), within=pyo.NonNegativeReals,
                bounds=lambda _m, c, r, y: (0.0, inst.demand[(c, r, y)] * MASS), doc="unmet demand [kt/yr]")
    pen = inst.settings.penalty_unmet_demand * PER_T
    for c, r, y in sets.unmet:
        u = ctx.v["v_unmet"][c, r, y]
        acc.balance[(c, r, y)].append((1.0, u))
        acc.cost[("penalty_unmet", y)].append((pen, u))


def add_balance(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Material balance of every commodity, region and year.

    $$\sum_{p \to r} (1-e_p)\,x_{p,y} + \sum_{p \Rightarrow r} e_p\, x_{p,y} + \sum_{k \to r} m_{k,y}
    + \sum_i f_{c,i,r,y} - \sum_j f_{c,r,j,y} + b_{c,r,y} + u_{c,r,y}
    - \sum_{p @ r} \phi_{p,c}\, x_{p,y} = D_{c,r,y}$$

    Supply from plants sited in $r$ (net of JV offtake), JV offtake delivered to $r$, imports
    landing in $r$, shipments in and out, spot purchases and unmet demand equal demand plus the
    recipe inputs $\phi_{p,c}$ of plants in $r$. Row `c_balance[c, r, y]`.

    Dual $\lambda_{c,r,y}$: the *supply price* of the commodity in that region and year, in $ per t
    — what one more tonne delivered there costs at the margin, expressed in money of year $y$ in the
    results (discounted to the base year in the `discounted` column). Computed from the LP with the
    integer decisions fixed at their optimal values, so it prices operations, not new builds.

    Marginal cost of demand. Demand $D_{c,r,y}$ appears in three places: the right-hand side of
    this row, the upper bound $u_{c,r,y} \le D_{c,r,y}$ of unmet demand, and the right-hand side
    $\tau_{g,y} \sum_{c \in g, r} D_{c,r,y}$ of every localization target $g$ covering $c$ in year $y$
    (`c_localization`, dual $\mu_{g,y} \ge 0$). By the envelope theorem, the cost of one more tonne
    of cell makers' demand is therefore

    $$\frac{\partial z}{\partial D_{c,r,y}} = \min\big(\lambda_{c,r,y},\, \pi^{u}\big)
    + \sum_{g \ni c} \tau_{g,y}\, \min\big(\mu_{g,y},\, \pi^{loc}\big)$$

    where $\pi^{u}$ and $\pi^{loc}$ are the penalty prices: $\lambda > \pi^u$ only when all of the
    region's demand is unmet (the bound binds and the extra tonne costs the penalty), and
    $\mu > \pi^{loc}$ only when a soft target's shortfall is at its bound (with `--hard-targets`
    there is no cap). Where a target covers the commodity the balance dual alone is *not* the cost
    of demand: each tonne also raises the target by $\tau$ tonnes of qualifying supply. The results'
    `marginal_costs` table reports the parts and the whole: `supply_price` ($\lambda$),
    `localization_targets` (the sum over targets) and `marginal_cost` (the derivative above).

    At a degenerate point — for instance the qualifying plant that meets a target exactly at its
    capacity — the cost of one more tonne and the saving of one tonne less differ, and the LP's
    duals give one value between them (both are valid marginal costs). In instances/tiny.xlsx, case
    `localize`, SG in OH in 2028: P3 meets the 500 t target at its ramped-up capacity; one tonne
    less saves $8,050 (the import, plus half a tonne of P3 replaced by imports at $100/t), one more
    tonne costs $33,000 (the import, plus half a tonne of target shortfall at the $50,000 penalty);
    the table shows a value in that range (HiGHS's duals give $8,050).
    """
    acc = ctx.acc
    demand = ctx.inst.demand
    keys = set(acc.balance) | set(demand)
    for b in acc.balance_blocks:
        keys.update(b.keys)
    if not keys:
        return
    ordered = sorted(keys)
    r, vars_, coefs = flatten(acc.balance, acc.balance_blocks, ordered)
    rhs = [demand.get(k, 0.0) * MASS for k in ordered]
    add_matrix_rows(m, "c_balance", ordered, r, vars_, coefs, rhs, rhs, "supply equals demand plus use")
