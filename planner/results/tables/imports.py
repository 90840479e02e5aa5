"""imports: import contracts used or signed, by year."""

from __future__ import annotations

import pandas as pd

from planner.model.registry import TableContext, table
from planner.model.units import MASS
from planner.results.tables.common import TOL, imports_t


@table("imports")
def imports(t: TableContext) -> pd.DataFrame:
    ci, pol, sets = t.ci, t.pol, t.sets
    imp = imports_t(t)
    top = {k: v / MASS for k, v in t.values("v_top").items()}
    sign = t.values("b_sign")
    rows = []
    signed_set = set(sets.signed)
    for k, y in sets.imports:
        con = ci.contracts[k]
        q = imp.get((k, y), 0.0)
        signed = (sign.get(k, 0.0) > 0.5) if k in signed_set else q > TOL / MASS
        if not signed and q <= 0:
            continue
        tariff = pol.tariff.get((k, y), 0.0)
        rows.append({
            "contract": k, "origin": con.origin, "commodity": con.commodity, "year": y, "signed": bool(signed),
            "feoc": con.feoc, "tonnes": q, "price_usd_per_t": con.price[y], "tariff_rate": tariff,
            "purchase_usd": q * con.price[y], "tariff_usd": q * con.price[y] * tariff,
            "take_or_pay_usd": top.get((k, y), 0.0) * con.price[y],
        })
    return pd.DataFrame(rows, columns=["contract", "origin", "commodity", "year", "signed", "feoc", "tonnes",
                                       "price_usd_per_t", "tariff_rate", "purchase_usd", "tariff_usd",
                                       "take_or_pay_usd"])
