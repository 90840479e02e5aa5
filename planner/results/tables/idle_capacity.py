"""idle_capacity: existing and committed capacity the plan leaves idle, with its capex and public support.

For each existing or committed plant in the plan, year by year: its qualified capacity (units built
x nameplate x the availability of its ramp-up, from qualification until it retires — an early
retirement or a cancellation in the plan, read from the builds table, counts) against its output.
What it does not deliver is idle, whatever the reason: imports are cheaper, it is mothballed, its
buyers are gone. Over the horizon and in the headline year (2030, or the horizon's last year),
with the plant's capex and the public support it received (grants and 48C), and the part of both
that sits idle (x the idle share of the headline year).
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from planner.model.registry import TableContext, table
from planner.results.tables.common import output_t
from planner.results.tables.sources import headline_year

COLUMNS = ["project", "name", "status", "commodity", "site", "qualified_t", "output_t", "idle_t", "idle_share",
           "qualified_years", "idle_years", "year", "year_qualified_t", "year_idle_t", "year_idle_share", "capex_usd",
           "public_support_usd", "idle_capex_usd", "idle_support_usd", "note"]
#: output below this share of qualified capacity counts as delivering nothing that year
NOTHING = 0.01


def qualified_capacity(t: TableContext, project: str, builds: pd.DataFrame) -> dict[int, float]:
    """year -> qualified capacity [t] of a plant in the plan, from its rows of the builds table."""
    prj = t.ci.projects[project]
    out: dict[int, float] = defaultdict(float)
    rows = builds[builds["project"] == project]
    for units, start, retire in zip(rows["units"], rows["start_year"], rows["retire_year"]):
        if pd.isna(start) or not units or pd.isna(retire):
            continue
        for y in t.ci.years:
            if y < int(retire):
                a = prj.availability(int(start), y)
                if a > 0:
                    out[y] += float(units) * prj.capacity * a
    return out


@table("idle_capacity", description="Existing and committed plants' qualified capacity against their output: what "
                                    "sits idle (t), over the horizon and in the headline year, with the plant's "
                                    "capex and the public support it received.")
def idle_capacity(t: TableContext) -> pd.DataFrame:
    ci = t.ci
    b = t.table("builds")
    fixed = b[b["decision"].isin(["existing", "committed"]) & (b["units"] > 0)]
    out = output_t(t)
    hy = headline_year(ci.years)
    rows = []
    for p in dict.fromkeys(fixed["project"].tolist()):
        prj = ci.projects[p]
        cap = qualified_capacity(t, p, fixed)
        if not cap:
            continue
        mine = fixed[fixed["project"] == p]
        qualified = sum(cap.values())
        delivered = sum(min(out.get((p, y), 0.0), q) for y, q in cap.items())
        idle = max(qualified - delivered, 0.0)
        idle_years = [y for y, q in sorted(cap.items()) if out.get((p, y), 0.0) < NOTHING * q]
        yq = cap.get(hy, 0.0)
        yi = max(yq - min(out.get((p, hy), 0.0), yq), 0.0)
        y_share = yi / yq if yq > 0 else 0.0
        capex = float(mine["capex_usd"].fillna(0).sum())
        support = float(mine["grant_usd"].fillna(0).sum() + mine["credit_48c_usd"].fillna(0).sum())
        if len(idle_years) == len(cap):
            note = f"delivers nothing in any of its {len(cap)} qualified years of the horizon"
        elif idle_years:
            note = f"delivers nothing in {len(idle_years)} of its {len(cap)} qualified years ({_span(idle_years)})"
        elif idle > NOTHING * qualified:
            note = "runs below its qualified capacity"
        else:
            note = "runs at its qualified capacity"
        rows.append({
            "project": p, "name": prj.name, "status": prj.status, "commodity": prj.commodity, "site": prj.site,
            "qualified_t": qualified, "output_t": delivered, "idle_t": idle, "idle_share": idle / qualified,
            "qualified_years": len(cap), "idle_years": len(idle_years), "year": hy, "year_qualified_t": yq, "year_idle_t": yi,
            "year_idle_share": y_share if yq > 0 else float("nan"), "capex_usd": capex, "public_support_usd": support,
            "idle_capex_usd": capex * y_share, "idle_support_usd": support * y_share, "note": note,
        })
    df = pd.DataFrame(rows, columns=COLUMNS)
    return df.sort_values(["year_idle_t", "idle_t"], ascending=False, kind="stable").reset_index(drop=True)


def _span(years: list[int]) -> str:
    """'2027-2029, 2032': runs of consecutive years."""
    runs: list[list[int]] = []
    for y in years:
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs)
