"""marginal_costs: what one more tonne of cell makers' demand adds to the plan's cost."""

from __future__ import annotations

import pandas as pd

from planner.cases.rules import in_group
from planner.model.registry import TableContext, table
from planner.model.sourcing import ALL
from planner.model.units import PER_T


@table("marginal_costs")
def marginal_costs(t: TableContext) -> pd.DataFrame:
    """Marginal cost of demand (docs/model.md, *Material balance*): demand enters the balance (or, for a
    commodity delivered by grade, its own demand row, whose dual takes the balance dual's place), the bound
    of its unmet slack and the right-hand side of every target covering it (tau x demand), so
    d(cost)/d(D) = min(lambda, unmet penalty) + sum over targets of tau x min(mu, target penalty)."""
    ci, pol = t.ci, t.pol
    st = ci.settings
    loc_duals = t.duals("c_localization")
    # the supply price of demand: the balance dual, or the demand row's where demand is delivered by grade
    bal_duals = {(c, r, y): d for (c, g, r, y), d in t.duals("c_balance").items() if g == ALL}
    bal_duals.update(t.duals("c_demand"))
    pen = st.penalty_unmet_demand
    pen_loc = float("inf") if t.hard_targets else st.penalty_localization
    rows = []
    for (c, r, y), d in sorted(bal_duals.items()):
        if ci.demand.get((c, r, y), 0.0) <= 0:
            continue  # where demand is: what one more tonne for cells there would cost
        df = st.discount_factor(y)
        price = d / PER_T / df + 0.0
        target_part = 0.0
        parts = []
        for (g, yy), tau in sorted(pol.localization_target.items()):
            if yy != y or not in_group(ci, g, c) or (g, y) not in loc_duals:
                continue
            mu = min(loc_duals[(g, y)] / PER_T / df, pen_loc)
            if abs(tau * mu) > 1e-9:
                target_part += tau * mu
                parts.append(f"the {g} {y} target: {tau:.0%} of each tonne at ${mu:,.0f}/t")
        mc = min(price, pen) + target_part + 0.0
        notes = []
        if price >= 0.999 * pen:
            notes.append("demand unmet here: the supply price is the penalty (settings)")
        if parts:
            notes.append("includes " + "; ".join(parts))
        rows.append({"commodity": c, "region": r, "year": y, "marginal_cost_usd_per_t": mc,
                     "supply_price_usd_per_t": price, "localization_targets_usd_per_t": target_part + 0.0,
                     "discounted_usd_per_t": mc * df + 0.0, "note": "; ".join(notes)})
    return pd.DataFrame(rows, columns=["commodity", "region", "year", "marginal_cost_usd_per_t",
                                       "supply_price_usd_per_t", "localization_targets_usd_per_t",
                                       "discounted_usd_per_t", "note"])
