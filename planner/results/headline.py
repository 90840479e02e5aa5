"""The headline lines of a solved case, in words: the same text on the terminal and in every workbook.

* `localization_headline(sol)`: "Localized (U.S.-made, by tonnes): CAM 24.0%, AAM 3.9% in 2030" — it
  always says which of the four definitions it uses (`HEADLINE_DEFINITION`, the strictest);
* `localization_grid(sol)`: the headline year's shares under every definition, by group, in tonnes and
  in value (rows: definition, group, share by tonnes, share by value);
* `cost_view_lines(sol)`: the three cost views and what is shown apart, discounted, in words;
* `idle_flag(sol)`: a warning when existing and committed capacity sits idle, naming the plants;
* `frontier_line(sol)`: when the plan misses a target or leaves demand unmet, the earliest year each
  can be met (the feasibility frontier, `planner.explore.frontier`): what to read instead of the
  penalties.

Reads only a Solution's tables (no model, no Pyomo).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from planner.results.labels import LOCALIZATION_DEFINITIONS, musd_text, share_text, tonnes_text
from planner.results.solution import Solution

#: the definition the headline uses: the strictest, what a board means by "made here"
HEADLINE_DEFINITION = "us_made"
#: idle capacity above this share of existing and committed qualified capacity raises the flag
IDLE_FLAG_SHARE = 0.05


def _table(sol: Solution, name: str) -> pd.DataFrame | None:
    try:
        df = sol.table(name)
    except KeyError:
        return None
    return df if df is not None and not df.empty else None


def headline_year(sol: Solution) -> int | None:
    lv = _table(sol, "localization_views")
    if lv is None:
        return None
    years = sorted(int(y) for y in lv["year"].unique())
    return 2030 if 2030 in years else years[-1]


def localization_grid(sol: Solution) -> pd.DataFrame:
    """definition, group, share (tonnes), value_share, supply_t, demand_t in the headline year."""
    lv = _table(sol, "localization_views")
    cols = ["definition", "group", "year", "share", "value_share", "supply_t", "demand_t"]
    if lv is None or not sol.has_plan:
        return pd.DataFrame(columns=cols)
    hy = headline_year(sol)
    sub = lv[lv["year"] == hy]
    order = {w: i for i, (_k, w) in enumerate(LOCALIZATION_DEFINITIONS)}
    sub = sub.assign(_o=sub["definition"].map(order)).sort_values(["_o", "group"], kind="stable")
    return sub[cols].reset_index(drop=True)


def localization_headline(sol: Solution, definition: str = HEADLINE_DEFINITION, basis: str = "tonnes") -> str:
    """'Localized (U.S.-made, by tonnes): CAM 24.0%, AAM 3.9% in 2030'; '' without a plan or demand."""
    grid = localization_grid(sol)
    if grid.empty:
        return ""
    words = dict(LOCALIZATION_DEFINITIONS)[definition]
    sub = grid[grid["definition"] == words]
    col = "share" if basis == "tonnes" else "value_share"
    parts = [f"{g} {share_text(v)}" for g, v in zip(sub["group"], sub[col])]
    return f"Localized ({words}, by {basis}): {', '.join(parts)} in {int(grid['year'].iloc[0])}"


def _discounted(df: pd.DataFrame, col: str) -> float:
    return float((df[col].astype(float) * df["discount_factor"].astype(float)).sum()) if col in df.columns else 0.0


def cost_view_lines(sol: Solution) -> list[tuple[str, float | None, str]]:
    """(line, discounted $, what it is) for the three cost views and what is shown apart."""
    cv = _table(sol, "cost_views")
    if cv is None:
        return []
    credit_cols = [c for c in cv.columns if c.endswith("_usd") and c not in (
        "resource_cost_usd", "tariffs_usd", "credits_usd", "cost_to_industry_usd", "tariff_revenue_usd",
        "net_fiscal_cost_usd", "penalties_usd", "sunk_capex_usd")]
    from planner.results.labels import component_label

    lines: list[tuple[str, float | None, str]] = [
        ("Cost to industry", _discounted(cv, "cost_to_industry_usd"),
         "cash: resource cost + tariffs - credits (credits as income, tariffs as cost)"),
        ("Resource cost", _discounted(cv, "resource_cost_usd"), "without the transfers (tariffs and credits)"),
        ("Credits paid", _discounted(cv, "credits_usd"), "fiscal flows: paid by the Treasury to industry"),
    ]
    for c in credit_cols:
        lines.append((f"  of which {component_label(c[:-4])}", _discounted(cv, c), "by kind"))
    lines += [
        ("Tariff revenue", _discounted(cv, "tariff_revenue_usd"), "fiscal flows: paid by industry to the Treasury"),
        ("Net fiscal cost", _discounted(cv, "net_fiscal_cost_usd"), "credits paid - tariff revenue"),
        ("Penalties (apart)", _discounted(cv, "penalties_usd"), "priced shortfalls, in no view"),
        ("Sunk capex (apart)", _discounted(cv, "sunk_capex_usd"),
         "existing and committed plants' capex annuities, in no view"),
    ]
    return lines


def idle_flag(sol: Solution) -> tuple[str, str] | None:
    """(text, level 'warn') when existing and committed capacity sits idle in the headline year; else None."""
    idle = _table(sol, "idle_capacity")
    if idle is None or not sol.has_plan:
        return None
    q = float(idle["year_qualified_t"].sum())
    i = float(idle["year_idle_t"].sum())
    y = int(idle["year"].iloc[0])
    dead = idle[(idle["idle_years"] == idle["qualified_years"]) & (idle["qualified_years"] > 0)]
    if q <= 0 or (i / q <= IDLE_FLAG_SHARE and dead.empty):
        return None
    names = ", ".join(f"{p}" for p in dead["project"].tolist()[:6]) + (" …" if len(dead) > 6 else "")
    text = (f"Idle committed capacity: {tonnes_text(i)} of existing and committed plants' qualified capacity "
            f"({share_text(i / q)}) idle in {y}, holding {musd_text(float(idle['idle_capex_usd'].sum()))} of capex "
            f"and {musd_text(float(idle['idle_support_usd'].sum()))} of public support")
    if len(dead):
        text += f"; {len(dead)} deliver nothing in the horizon ({names})"
    return text + ". Sheet idle_capacity.", "warn"


def frontier_line(sol: Solution) -> str:
    """'Cannot be met before: CAM localization target 2031, LFP demand 2032; never within the horizon: ...;
    missed by choice (the penalty is cheaper): NCA demand. Sheet frontier.' ('' without a frontier)."""
    fr = _table(sol, "frontier")
    if fr is None:
        return ""
    parts: dict[str, list[str]] = {}
    for r in fr.to_dict("records"):
        what = f"{r['group']} {r['kind']}" if r["kind"] != "demand" else f"{r['group']} demand"
        because = str(r.get("missed_because", ""))
        if because.startswith("no plan can meet it earlier"):
            parts.setdefault("Cannot be met before", []).append(f"{what} {int(r['earliest_year'])}")
        elif because.startswith("no plan can meet it within"):
            parts.setdefault("cannot be met within the horizon", []).append(what)
        elif because.startswith("choice"):
            parts.setdefault("missed by choice (meeting it costs more than the penalty)", []).append(what)
        else:
            parts.setdefault("not determined", []).append(what)
    text = "; ".join(f"{k}: {', '.join(v)}" for k, v in parts.items())
    return f"Feasibility frontier (each on its own, whatever the cost) — {text[:1].lower() + text[1:]}. Sheet frontier."


def value(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None
