"""Compare solved cases. Works on `Solution`s only: no model, no solver, no Pyomo.

Case tables are stacked with a `case` column (PyPSA's NetworkCollection idea); KPIs are laid side
by side with deltas against a base case; builds become a project × case matrix; the regret matrix
compares each case's plan under every other case.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from planner.errors import UsageError
from planner.results.plan import plan_of  # noqa: F401  (where it was; callers import it from here too)
from planner.results.labels import musd_text
from planner.results.solution import Solution


@dataclass(frozen=True)
class CaseRun:
    """What happened to one case of a comparison."""

    case: str
    status: str  # done | failed
    solution: Solution | None = None
    error: str | None = None
    seconds: float = 0.0
    workbook: str | None = None  # the case's own results workbook, once written
    #: that workbook's .xlsx bytes, rendered by the worker that solved the case (None: not rendered there)
    rendered: bytes | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Regret:
    """cost[A][B]: plan of case A (builds, JVs, signings, cancellations and early retirements fixed) evaluated
    under case B.

    `sunk[A][B]`: the part of cost[A][B] that is sunk capex of existing and committed plants (a constant of
    case B, the same for every plan evaluated under it), so that costs can be read without it
    (`cost_without_sunk`); regrets, differences within one case, leave it out by construction."""

    cost: pd.DataFrame  # index: plan (case A), columns: evaluated under (case B); $; NaN = not evaluable
    regret: pd.DataFrame  # cost minus the best cost found under B, $
    max_regret: pd.Series  # per plan, $
    best_plan: str | None  # smallest worst-case regret
    notes: dict[tuple[str, str], str] = field(default_factory=dict)  # (A, B) -> why not evaluable
    sunk: pd.DataFrame | None = None  # same shape as cost: its sunk capex, $
    penalties: pd.DataFrame | None = None  # same shape as cost: its penalties (unmet demand, targets, offtakes), $

    @property
    def cost_without_sunk(self) -> pd.DataFrame:
        """cost minus the sunk capex of existing and committed plants (cost itself when unknown)."""
        return self.cost if self.sunk is None else self.cost - self.sunk.reindex_like(self.cost).fillna(0.0)

    @property
    def cost_without_penalties(self) -> pd.DataFrame | None:
        """cost minus its penalties: what the plan costs in money (None when the penalties are unknown)."""
        if self.penalties is None or self.penalties.reindex_like(self.cost).isna().where(self.cost.notna(), False).any().any():
            return None
        return self.cost - self.penalties.reindex_like(self.cost).fillna(0.0)

    @property
    def regret_without_penalties(self) -> pd.DataFrame | None:
        """Regret in money: the plan's cost without penalties minus the least such cost of the plans under that
        case (None when the penalties are unknown)."""
        c = self.cost_without_penalties
        return None if c is None else c - c.min(axis=0, skipna=True)

    @property
    def max_regret_without_penalties(self) -> pd.Series | None:
        r = self.regret_without_penalties
        return None if r is None else r.max(axis=1, skipna=False)

    @property
    def best_plan_without_penalties(self) -> str | None:
        m = self.max_regret_without_penalties
        finite = m.dropna() if m is not None else None
        return str(finite.idxmin()) if finite is not None and len(finite) else None

    @property
    def penalty_share_of_worst_regret(self) -> float | None:
        """The share of the safest plan's worst-case regret that its penalties make up: 0 when its regrets are
        all money, 1 when all are penalties (None without penalties or regret)."""
        if self.best_plan is None or self.penalties is None:
            return None
        worst = self.max_regret.get(self.best_plan)
        m = self.max_regret_without_penalties
        if worst is None or not worst > 0 or m is None:
            return None
        money = float(m.get(self.best_plan, math.nan))
        if money != money:
            return None
        return max(0.0, min(1.0, 1.0 - money / float(worst)))

    @property
    def penalties_drive(self) -> bool:
        """Whether penalties drive the regret: the safest plan differs once penalties are left out, or they make
        up more than half of its worst-case regret."""
        share = self.penalty_share_of_worst_regret
        other = self.best_plan_without_penalties
        return bool((other is not None and self.best_plan is not None and other != self.best_plan)
                    or (share is not None and share > 0.5))


@dataclass(frozen=True)
class Comparison:
    instance: str
    instance_path: str
    instance_sha256: str
    base: str
    cases: tuple[str, ...]  # requested order
    runs: dict[str, CaseRun]
    kpis: pd.DataFrame  # index kpi; columns unit, note, then one per solved case
    deltas: pd.DataFrame  # same shape: case minus base (None where the base failed)
    builds: pd.DataFrame  # project, name, commodity, site, then per case "start×units" text
    build_units: pd.DataFrame  # project × case: units built (0 if not)
    build_start: pd.DataFrame  # project × case: first start year (NaN if not built)
    supply_mix: pd.DataFrame  # tidy: case, family, year, source, tonnes
    localization: pd.DataFrame  # tidy: case, group, year, share, target_share, domestic_fta_share
    regret: Regret | None = None
    #: tidy: case, group, year, definition, share (tonnes), value_share — the four definitions of localization
    localization_views: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: tidy: case, then the columns of each case's cost_views table (year, the three views, apart)
    cost_views: pd.DataFrame = field(default_factory=pd.DataFrame)
    options: dict[str, Any] = field(default_factory=dict)  # preset, HiGHS options, jobs, scheduler

    @property
    def solved(self) -> list[str]:
        return [c for c in self.cases if self.runs[c].status == "done"]

    @property
    def failed(self) -> list[str]:
        return [c for c in self.cases if self.runs[c].status != "done"]


#: KPIs compared, in order, with the sign that is "better" (for colouring only)
KEY_KPIS = (
    "total_cost_usd", "cost_to_industry_usd", "resource_cost_usd", "public_cost_usd", "tariff_revenue_usd",
    "net_fiscal_cost_usd", "penalties_usd", "sunk_capex_usd", "capex_committed_usd",
    "capex_planner_usd", "plants_built", "units_built", "contracts_signed", "unmet_demand_t",
    "cost_difference_usd_per_kwh",
)


#: column names of the comparison tables, which a case name may not take
RESERVED = {"unit", "note", "project", "name", "decision_kind", "commodity", "site", "partner", "case", "kpi"}


def compare(runs: Mapping[str, CaseRun], cases: list[str], base: str, *, instance: str = "",
            instance_path: str = "", instance_sha256: str = "", regret: Regret | None = None,
            options: dict[str, Any] | None = None) -> Comparison:
    clash = sorted(set(cases) & RESERVED)
    if clash:
        raise UsageError(f"case name{'s' if len(clash) != 1 else ''} {', '.join(clash)} cannot be compared: "
                         "they are column names of the "
                         "comparison tables; rename the case column in the policy sheet")
    sols = {c: runs[c].solution for c in cases
            if runs[c].status == "done" and runs[c].solution is not None and runs[c].solution.has_plan}
    solved = [c for c in cases if c in sols]

    # KPIs side by side (union of KPI names, first-seen order)
    order: list[str] = []
    meta: dict[str, tuple[str, str]] = {}
    values: dict[str, dict[str, Any]] = {c: {} for c in solved}
    for c in solved:
        for r in sols[c].kpis.itertuples():
            if r.kpi not in meta:
                order.append(r.kpi)
                meta[r.kpi] = (r.unit, r.note)
            values[c][r.kpi] = r.value
    base_ok = base in sols
    for c in solved:
        values[c]["cost_difference_usd_per_kwh"] = _cost_per_kwh(values[c], values[base]) if base_ok else None
    order.append("cost_difference_usd_per_kwh")
    meta["cost_difference_usd_per_kwh"] = (
        "$/kWh", f"total cost difference vs the base case '{base}' per kWh of cells: the case's total discounted cost "
                 f"(penalties for unmet demand and missed targets included) minus that of '{base}', divided by the "
                 "discounted kWh of cells the demand serves. It is the cost of everything that differs between the "
                 "two cases (credits, tariffs, budgets, targets, overrides), not of localization alone; only between "
                 "cases with the same cell demand (blank otherwise)")
    first = [k for k in KEY_KPIS if k in order]
    order = first + [k for k in order if k not in first]
    kpis = pd.DataFrame({"unit": [meta[k][0] for k in order], "note": [meta[k][1] for k in order]}, index=order)
    kpis.index.name = "kpi"
    for c in solved:
        kpis[c] = [values[c].get(k) for k in order]
    deltas = kpis[["unit", "note"]].copy()
    for c in solved:
        deltas[c] = [_minus(values[c].get(k), values[base].get(k)) if base_ok else None for k in order]

    # build matrix
    rows: dict[str, dict[str, Any]] = {}
    units = {}
    starts = {}
    for c in solved:
        b = sols[c].builds
        u: dict[str, int] = {}
        st: dict[str, int] = {}
        for r in b.itertuples():
            rows.setdefault(r.project, {"project": r.project, "name": r.name, "decision_kind":
                                        "fixed" if r.decision in ("existing", "committed", "cancelled") else "candidate",
                                        "commodity": r.commodity, "site": r.site, "partner": r.partner})
            if r.units > 0:
                u[r.project] = u.get(r.project, 0) + int(r.units)
                st[r.project] = min(st.get(r.project, 9999), int(r.start_year))
        units[c], starts[c] = u, st
    projects = sorted(rows, key=lambda p: (rows[p]["decision_kind"] != "candidate", p))
    build_units = pd.DataFrame({c: [units[c].get(p, 0) for p in projects] for c in solved}, index=projects)
    build_start = pd.DataFrame({c: [starts[c].get(p, math.nan) for p in projects] for c in solved}, index=projects)
    build_units.index.name = build_start.index.name = "project"
    builds = pd.DataFrame([rows[p] for p in projects])
    for c in solved:
        builds[c] = [f"{starts[c][p]} ×{units[c][p]}" if units[c].get(p) else "–" for p in projects]

    # supply mix and localization, stacked with a case column
    mix_rows = []
    for c in solved:
        s = sols[c].supply
        src = [k for k in s.columns if k.endswith("_t") and k not in ("demand_t", "input_use_t", "feoc_imports_t")]
        g = s.groupby(["family", "year"], as_index=False)[src].sum()
        for r in g.to_dict("records"):
            for k in src:
                if r[k]:
                    mix_rows.append({"case": c, "family": r["family"], "year": r["year"],
                                     "source": k[:-2], "tonnes": r[k]})
    supply_mix = pd.DataFrame(mix_rows, columns=["case", "family", "year", "source", "tonnes"])
    loc = [sols[c].localization.assign(case=c) for c in solved if not sols[c].localization.empty]
    localization = (pd.concat(loc, ignore_index=True)[["case", "group", "year", "share", "target_share",
                                                      "domestic_fta_share", "shortfall_t"]]
                    if loc else pd.DataFrame(columns=["case", "group", "year", "share", "target_share",
                                                      "domestic_fta_share", "shortfall_t"]))
    return Comparison(
        instance=instance, instance_path=instance_path, instance_sha256=instance_sha256, base=base,
        cases=tuple(cases), runs=dict(runs), kpis=kpis, deltas=deltas, builds=builds, build_units=build_units,
        build_start=build_start, supply_mix=supply_mix, localization=localization, regret=regret,
        options=dict(options or {}),
        localization_views=_stacked(sols, solved, "localization_views",
                                    ["group", "year", "definition", "share", "value_share", "supply_t", "demand_t"]),
        cost_views=_stacked(sols, solved, "cost_views", None),
    )


def _stacked(sols: Mapping[str, Solution], cases: list[str], table: str, columns: list[str] | None) -> pd.DataFrame:
    """Table `table` of each case's Solution with a case column first (the columns given, or all); empty when no
    case has it."""
    frames = []
    for c in cases:
        if table not in sols[c].table_names:
            continue
        df = sols[c].table(table)
        if df.empty:
            continue
        df = df[[k for k in columns if k in df.columns]] if columns is not None else df
        frames.append(df.assign(case=c)[["case", *df.columns]])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["case", *(columns or [])])


def regret_matrix(own: Mapping[str, float], cross: Mapping[tuple[str, str], float | None],
                  cases: list[str], notes: Mapping[tuple[str, str], str] | None = None,
                  sunk: Mapping[tuple[str, str], float | None] | None = None,
                  penalties: Mapping[tuple[str, str], float | None] | None = None) -> Regret:
    """Regret of each plan A under each case B: cost(A under B) minus the best cost found under B.

    `own[B]` is case B's own optimum; `cross[(A, B)]` the cost of A's plan under B (None when the
    plan cannot be carried out). Measuring against the best plan found under B keeps regret ≥ 0
    even when a case is solved only to within a gap. `sunk[(A, B)]`: the sunk capex of existing and
    committed plants in that cost (the diagonal: (B, B)), so that the costs can be read without it;
    `penalties[(A, B)]` its penalties (unmet demand, missed targets, offtake shortfalls), so that regret can
    also be read in money alone (`regret_without_penalties`) and the tool can say when penalties drive it.
    """
    plans = [c for c in cases if c in own]
    cost = pd.DataFrame(index=pd.Index(plans, name="plan of"), columns=pd.Index(plans, name="evaluated under"),
                        dtype=float)
    for a in plans:
        for b in plans:
            v = own[b] if a == b else cross.get((a, b))
            cost.loc[a, b] = math.nan if v is None else float(v)
    best = cost.min(axis=0, skipna=True)
    regret = cost - best
    max_regret = regret.max(axis=1, skipna=False)
    finite = max_regret.dropna()
    best_plan = str(finite.idxmin()) if len(finite) else None

    def matrix(values: Mapping[tuple[str, str], float | None] | None) -> pd.DataFrame | None:
        if values is None:
            return None
        df = pd.DataFrame(index=cost.index, columns=cost.columns, dtype=float)
        for a in plans:
            for b in plans:
                v = values.get((a, b))
                df.loc[a, b] = math.nan if v is None else float(v)
        return df

    return Regret(cost=cost, regret=regret, max_regret=max_regret, best_plan=best_plan, notes=dict(notes or {}),
                  sunk=matrix(sunk), penalties=matrix(penalties))


def _cost_per_kwh(case: dict[str, Any], base: dict[str, Any]) -> float | None:
    """(total cost − base total cost) per discounted kWh, if both serve the same cell demand."""
    keys = ("total_cost_usd", "cell_output_gwh", "cell_output_gwh_discounted")
    if any(not isinstance(case.get(k), (int, float)) or not isinstance(base.get(k), (int, float)) for k in keys):
        return None
    if not base["cell_output_gwh_discounted"] or abs(case["cell_output_gwh"] - base["cell_output_gwh"]) > \
            1e-6 * max(1.0, abs(base["cell_output_gwh"])):
        return None
    return (case["total_cost_usd"] - base["total_cost_usd"]) / (base["cell_output_gwh_discounted"] * 1e6)


def _minus(a: Any, b: Any) -> Any:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return a - b
    return None


def penalty_words(reg: Any) -> str | None:
    """One sentence on what penalties do to the regret: whether the safest plan changes when only money counts,
    and the share of its worst-case regret that penalties make up (None without penalties)."""
    other = reg.best_plan_without_penalties
    worst = reg.max_regret_without_penalties
    if reg.best_plan is None or reg.penalties is None or worst is None or other is None:
        return None
    share = reg.penalty_share_of_worst_regret
    part = (f" Penalties make up {share:.0%} of the worst-case regret of the plan of case '{reg.best_plan}'."
            if share is not None and share >= 0.005 else "")
    money = musd_text(float(worst.get(other)))
    if other != reg.best_plan:
        return (f"Penalties drive this regret: counting money alone, the safest plan is the plan of case '{other}' "
                f"(worst-case regret {money}), not that of case '{reg.best_plan}'.{part}")
    if reg.penalties_drive:
        return (f"Penalties drive this regret.{part} Counting money alone, the safest plan is the same, with a "
                f"worst-case regret of {money}.")
    return f"Counting money alone, the safest plan is the same (worst-case regret {money}).{part}"
