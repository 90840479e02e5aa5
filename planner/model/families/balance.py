"""Material balance of every commodity, region and year."""

from __future__ import annotations

import pyomo.environ as pyo

from planner.model.core import Context, add_matrix_rows, flatten


def add_balance(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Material balance of every pool, region and year.

    $$\sum_{p \to r} (1-e_p)\,x_{p,y} + \sum_{p \Rightarrow r} e_p\, x_{p,y} + \sum_{k \to r} m_{k,y}
    + \sum_i f_{c,g,i,r,y} - \sum_j f_{c,g,r,j,y} + b_{c,r,y} + u_{c,r,y}
    - \sum_{p @ r} \phi_{p,c}\, x_{p,y} = D_{c,r,y}$$

    Supply from plants sited in $r$ (net of JV offtake), JV offtake delivered to $r$, imports
    landing in $r$, shipments in and out, spot purchases and unmet demand equal demand plus the
    recipe inputs $\phi_{p,c}$ of plants in $r$. Row `c_balance[c, g, r, y]`.

    Grades. A commodity has one pool per region, grade $g$ = `all`, unless it is *graded* in the
    case: a rule needs to know whether its tonnes come from prohibited foreign entities (a plant's
    45X test, the cell credit) and its sources differ for a buyer that rule watches (see
    planner/model/sourcing.py). A graded commodity has two pools per region, $g \in$ {`pfe`,
    `non_pfe`}, and one balance row each: plants supply the pool of their status (PFE when FEOC-owned
    or sited in a FEOC jurisdiction), contracts the pool of theirs (the `feoc` flag), shipments carry
    a grade, plants draw their inputs from either pool (`v_input`, see *Plant inputs*) and demand is
    served by deliveries from either (`v_deliver`, see *Demand*; $D$ and $u$ then leave this row for
    `c_demand`). Grading never changes what the rows allow in total: the sum of a graded
    commodity's two rows is the row it would have without grades. Offtake agreements move a
    plant's output between regions like shipments, within its grade. Where a substitution group
    replaces the demand of its members (*Substitution groups*), a member's stated demand is replaced
    by what it delivers to the group, a variable (*Demand*).

    Dual $\lambda_{c,r,y}$: the *supply price* of the commodity in that region and year, in $ per t
    — what one more tonne delivered there costs at the margin, expressed in money of year $y$ in the
    results (discounted to the base year in the `discounted` column). Computed from the LP with the
    integer decisions fixed at their optimal values, so it prices operations, not new builds. Of a
    graded commodity's two rows, each dual is the supply price of that grade; the gap between them is
    what the non-PFE grade is worth to the plants' 45X tests and the cells' credit at the margin. For
    a delivered commodity the dual of `c_demand` plays the part of $\lambda$ below.

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
    keys = set(acc.balance) | set(acc.balance_rhs)
    for b in acc.balance_blocks:
        keys.update(b.keys)
    if not keys:
        return
    ordered = sorted(keys)
    r, vars_, coefs = flatten(acc.balance, acc.balance_blocks, ordered)
    rhs = [acc.balance_rhs.get(k, 0.0) for k in ordered]
    add_matrix_rows(m, "c_balance", ordered, r, vars_, coefs, rhs, rhs, "supply equals demand plus use")
