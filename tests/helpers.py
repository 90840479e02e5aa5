"""Shared test helpers: solve tables in memory and check the invariants every plan must satisfy."""

from __future__ import annotations

from typing import Any

import pytest

from planner import schema
from planner.cases import CaseInstance, apply_case
from planner.instance.records import Instance
from planner.cases import validate
from planner.io.reader import workbook_from_tables
from planner.model.registry import cost_components
from planner.results.labels import LOCALIZATION_DEFINITIONS
from planner.results.solution import Solution
from planner.explain.hard_targets import solve_case_explained as solve_case  # with the hard-target explanation
from planner.solve.presets import merge_options

Tables = dict[str, list[dict[str, Any]]]


def instance_of(tables: Tables, name: str = "test") -> Instance:
    """Validate tables; an empty table still gets its declared header row."""
    filled = {k: (v if v else [{c.name: None for c in schema.SHEETS_BY_NAME[k].columns}]) for k, v in tables.items()}
    return validate(workbook_from_tables(filled, name))


def solve_tables(tables: Tables, case: str | None = None, *, hard_targets: bool = False,
                 check: bool = True) -> Solution:
    inst = instance_of(tables)
    sol = solve_case(inst, case, options=merge_options("exact"), hard_targets=hard_targets)
    if check and sol.has_plan:
        assert_invariants(sol, apply_case(inst, case))
    return sol


def cost(sol: Solution) -> float:
    return float(sol.status["objective_usd"])


def component(sol: Solution, name: str) -> float:
    c = sol.costs
    return float(c.loc[c["component"] == name, "cost_usd"].sum())


def output(sol: Solution, project: str) -> dict[int, float]:
    p = sol.production
    sub = p[p["project"] == project]
    return {int(y): float(t) for y, t in zip(sub["year"], sub["output_t"]) if t > 1e-6}


def built(sol: Solution) -> dict[str, tuple[int, int]]:
    """project -> (units, start year) of new builds."""
    b = sol.builds[sol.builds["decision"] == "build"]
    return {r.project: (int(r.units), int(r.start_year)) for r in b.itertuples()}


def assert_invariants(sol: Solution, inst: CaseInstance) -> None:
    """What must hold in every plan: balances close, no output before qualification or beyond capacity,
    credits only where the case's rules allow, targets met or their shortfall reported, costs add up."""
    pol = inst.policy
    assert pol is not None
    tol = 1e-6
    # 1. national balance per commodity and year closes (shipments and JV offtake are internal)
    s = sol.supply
    sources = [c for c in s.columns if c.endswith("_t") and c not in ("demand_t", "input_use_t", "feoc_imports_t")]
    lhs = s[sources].sum(axis=1)
    rhs = s["demand_t"] + s["input_use_t"]
    assert (lhs - rhs).abs().max() <= tol * max(1.0, rhs.abs().max()), s
    # 2. output only from built, qualified, unretired capacity, within the ramp-up
    b = sol.builds[sol.builds["units"] > 0]
    for r in sol.production.itertuples():
        if r.output_t <= tol:
            continue
        rows = b[b["project"] == r.project]
        assert len(rows), f"{r.project} produces in {r.year} but is not built"
        assert any(q <= r.year < ret for q, ret in zip(rows["qualified_year"], rows["retire_year"])), \
            f"{r.project} produces in {r.year} before qualification or after retirement"
        # capacity re-derived from the data and the builds table, not from the model's own availability
        prj = inst.projects[r.project]
        able = 0.0
        for units, q, ret in zip(rows["units"], rows["qualified_year"], rows["retire_year"]):
            if q <= r.year < ret:
                k = r.year - q
                able += units * prj.capacity * (prj.ramp_up[k] if k < len(prj.ramp_up) else 1.0)
        assert r.output_t <= able * (1 + 1e-9) + tol, (r.project, r.year, r.output_t, able)
    # 3. credits follow the case
    p = sol.production
    x45_max = (p["output_t"] * p["x45_credit_usd_per_t"]).groupby(p["year"]).sum()
    for r in sol.credits.itertuples():
        assert r.credit_45x_usd <= x45_max.get(r.year, 0.0) * (1 + 1e-9) + 1e-3
        assert r.credit_45x_usd >= -1e-6 and r.credit_48c_usd >= -1e-6 and r.grants_usd >= -1e-6
    for r in p.itertuples():
        prj = inst.projects[r.project]
        if r.x45_credit_usd_per_t > 0:
            assert prj.eligible_45x and inst.regions[prj.site].domestic
            if pol.x45_requires_non_feoc:
                assert not prj.feoc_owned
    awarded = sol.builds[(sol.builds["credit_48c_usd"] > 1e-6)]
    for r in awarded.itertuples():
        prj = inst.projects[r.project]
        assert prj.eligible_48c or prj.credit_48c_awarded > 0
    if not pol.x48c_stacking and len(awarded):
        new_awards = [r.project for r in awarded.itertuples() if inst.projects[r.project].credit_48c_awarded == 0]
        for prj in new_awards:
            sub = p[(p["project"] == prj)]
            # a project with a new 48C award earns no 45X: the 45X total excludes its output
            assert sol.credits["credit_45x_usd"].sum() <= (
                (p["output_t"] * p["x45_credit_usd_per_t"]).sum() - (sub["output_t"] * sub["x45_credit_usd_per_t"]).sum()
            ) * (1 + 1e-9) + 1e-3
    new_48c = sol.builds.loc[sol.builds["decision"] == "build", "credit_48c_usd"].sum() - sum(
        inst.projects[r.project].credit_48c_awarded for r in sol.builds.itertuples()
        if r.decision == "build" and r.credit_48c_usd > 0)
    assert new_48c <= pol.x48c_budget * (1 + 1e-9) + 1e-3
    if pol.grant_pool is not None:
        assert sol.builds["grant_usd"].sum() <= pol.grant_pool * (1 + 1e-9) + 1e-3
    # 4. localization: qualifying supply plus reported shortfall covers every target
    loc = sol.localization
    for r in loc[loc["target_share"] > 0].itertuples():
        assert r.qualifying_t + r.shortfall_t >= r.required_t * (1 - 1e-9) - 1e-3
    # 5. the cost table adds up to the objective, and the KPIs to each other
    assert sol.costs["discounted_usd"].sum() == pytest.approx(sol.status["objective_usd"], rel=1e-9, abs=1e-3)
    k = sol.kpis.set_index("kpi")["value"]
    assert k["cost_to_industry_usd"] + k["penalties_usd"] + k["sunk_capex_usd"] == pytest.approx(
        k["total_cost_usd"], rel=1e-12, abs=1e-3)
    assert k["public_cost_usd"] == pytest.approx(sol.credits["discounted_usd"].sum(), rel=1e-9, abs=1e-3)
    assert_cost_views_reconcile(sol)
    assert_localization_views_nest(sol)
    # 5b. idle capacity: never more than the qualified capacity, never negative
    idle = sol.table("idle_capacity")
    assert (idle["idle_t"] >= -tol).all() and (idle["idle_t"] <= idle["qualified_t"] * (1 + 1e-9) + tol).all()
    # 6. every exclusive group has at most one member built, its existing and committed plants included
    for g, members in inst.sets.exclusive.items():
        fixed = inst.sets.exclusive_fixed.get(g, ())
        assert sum(1 for m in members if m in set(b["project"])) <= (0 if fixed else 1), g
    # 7. unmet demand is reported where the balance needed it
    assert (sol.unmet["tonnes"] <= sol.unmet["demand_t"] * (1 + 1e-9) + tol).all()


def assert_cost_views_reconcile(sol: Solution) -> None:
    """The three cost views, by year and discounted: cost to industry = resource cost - credits + tariffs; net
    fiscal cost = credits - tariff revenue; credits = the credit components; with penalties and sunk capex, the
    objective."""
    cv = sol.table("cost_views")
    credit_cols = [c for c in cv.columns if c.endswith("_usd") and c.removesuffix("_usd") in cost_components("credit")]
    for r in cv.to_dict("records"):
        scale = max(1.0, abs(r["resource_cost_usd"]))
        assert r["cost_to_industry_usd"] == pytest.approx(
            r["resource_cost_usd"] - r["credits_usd"] + r["tariffs_usd"], rel=1e-12, abs=1e-6 * scale)
        assert r["net_fiscal_cost_usd"] == pytest.approx(r["credits_usd"] - r["tariff_revenue_usd"], abs=1e-6 * scale)
        assert r["tariff_revenue_usd"] == pytest.approx(r["tariffs_usd"], abs=1e-9)
        assert r["credits_usd"] == pytest.approx(sum(r[c] for c in credit_cols), abs=1e-6 * scale)
    by_year = sol.costs.groupby("year")["cost_usd"].sum()
    for r in cv.to_dict("records"):
        total = r["cost_to_industry_usd"] + r["penalties_usd"] + r["sunk_capex_usd"]
        assert total == pytest.approx(by_year.get(r["year"], 0.0), rel=1e-9, abs=1e-3)
    disc = (cv["cost_to_industry_usd"] + cv["penalties_usd"] + cv["sunk_capex_usd"]) * cv["discount_factor"]
    assert disc.sum() == pytest.approx(sol.status["objective_usd"], rel=1e-9, abs=1e-3)
    k = sol.kpis.set_index("kpi")["value"]
    assert k["resource_cost_usd"] - k["public_cost_usd"] + k["tariff_revenue_usd"] == pytest.approx(
        k["cost_to_industry_usd"], rel=1e-9, abs=1e-3)
    assert k["net_fiscal_cost_usd"] == pytest.approx(k["public_cost_usd"] - k["tariff_revenue_usd"], rel=1e-9,
                                                     abs=1e-3)


def assert_localization_views_nest(sol: Solution) -> None:
    """U.S.-made <= North-America-made <= plus FTA imports, by tonnes and value; every share within 0-1."""
    lv = sol.table("localization_views")
    order = [w for _k, w in LOCALIZATION_DEFINITIONS[:3]]
    for (_g, _y), sub in lv.groupby(["group", "year"]):
        s = sub.set_index("definition")
        for a, b in zip(order, order[1:]):
            assert s.at[a, "supply_t"] <= s.at[b, "supply_t"] + 1e-6
            assert s.at[a, "supply_value_usd"] <= s.at[b, "supply_value_usd"] + 1e-3
        assert (sub["share"] <= 1 + 1e-9).all() and (sub["share"] >= -1e-12).all()


def chart_values(wb: Any, ref: str) -> list:
    """The cell values a chart reference such as ``'chart data'!$B$3:$B$9`` points at."""
    from openpyxl.utils import range_boundaries

    sheet, rng = ref.rsplit("!", 1)
    ws = wb[sheet.strip("'")]
    c1, r1, c2, r2 = range_boundaries(rng.replace("$", ""))
    return [ws.cell(r, c).value for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]


def file_names(folder: Any) -> set[str]:
    """The names of the files in a folder (to check no temporary file is left behind)."""
    return {p.name for p in folder.iterdir()}


def sheet_texts(ws: Any) -> list[str]:
    """Every text cell of a worksheet, row by row."""
    return [c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]


def find_cell(ws: Any, value: Any, *, column: int | None = None) -> Any:
    """The first cell holding `value` (in `column` if given); fails the test when there is none."""
    for row in ws.iter_rows():
        for c in row:
            if c.value == value and (column is None or c.column == column):
                return c
    raise AssertionError(f"{value!r} not found on {ws.title}")


def assert_libreoffice_converts(path: Any, folder: Any) -> None:
    """LibreOffice (headless, private profile in `folder`) converts the workbook at `path` to a real PDF."""
    import os
    import subprocess
    from pathlib import Path

    profile = Path(folder) / "lo-profile"
    env = {**os.environ, "HOME": str(folder)}
    proc = subprocess.run(
        ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
         "--convert-to", "pdf", "--outdir", str(folder), str(path)],
        capture_output=True, text=True, timeout=240, env=env)
    pdf = Path(folder) / (Path(path).stem + ".pdf")
    assert proc.returncode == 0, proc.stderr
    assert pdf.is_file() and pdf.stat().st_size > 10_000, proc.stdout + proc.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
