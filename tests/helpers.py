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
    # 8. graded balances close in the reported flows: per commodity, grade, region and year, plants of that
    # status, imports of that status and shipments of that grade in equal shipments out, plant inputs drawn
    # from that grade and deliveries of that grade
    assert_graded_balances_close(sol, inst)
    # 9. a plant-year credited with 45X meets its MACR, recomputed from the reported flows and the data
    assert_45x_meets_macr(sol, inst)
    # 10. credited cells never exceed cell output, their materials are delivered, their pool meets its MACR
    assert_cell_credit_holds(sol, inst)
    # 11. offtake minimums are met where the plant is qualified, or the shortfall is reported and priced
    _assert_offtakes(sol, inst, b)
    # 12. no output in a mothballed year, from a cancelled plant, or after an early retirement
    _assert_operations(sol, inst)
    # 13. substitution groups: requirement met or reported unmet, every member's share within its bounds
    _assert_substitution(sol, inst)


def assert_cell_credit_holds(sol: Solution, inst: CaseInstance) -> None:
    from collections import defaultdict

    cells = sol.table("cell_credit")
    pol = inst.policy
    for r in cells.itertuples():
        assert r.cell_gwh == pytest.approx(inst.cells[(r.region, r.segment, r.year)])
        assert -1e-9 <= r.credited_gwh <= r.cell_gwh * (1 + 1e-9) + 1e-9, r
        assert inst.regions[r.region].domestic
    by_year = cells.groupby("year")["credit_usd"].sum() if len(cells) else {}
    for r in sol.credits.itertuples():
        assert r.cell_credit_usd == pytest.approx(float(by_year.get(r.year, 0.0)), rel=1e-7, abs=1e-3)
    mats = sol.table("cell_credit_materials")
    contained: dict[tuple[str, str, int], float] = defaultdict(float)
    non_pfe: dict[tuple[str, str, int], float] = defaultdict(float)
    for m in mats.itertuples():
        contained[(m.commodity, m.region, m.year)] += m.contained_t
        if m.graded:
            non_pfe[(m.commodity, m.region, m.year)] += m.non_pfe_t
        assert m.non_pfe_t <= m.contained_t * (1 + 1e-9) + 1e-4, m
    unmet = {(u.commodity, u.region, u.year): u.tonnes for u in sol.unmet.itertuples()}
    from planner.model.families.substitution import member_keys

    members = member_keys(inst)
    by_group: dict[tuple[str, str, int], float] = defaultdict(float)
    for (c, r, y), t in contained.items():  # credited cells are made: their material is delivered
        if (c, r, y) in members:  # within the part of its substitution group's requirement met
            for gid, grp in inst.substitution.items():
                if grp.applies(r, y) and any(mb.commodity == c for mb in grp.members):  # regional groups
                    by_group[(gid, r, y)] += t / grp.member(c).t_per_t
            continue
        assert t <= inst.demand[(c, r, y)] - unmet.get((c, r, y), 0.0) + 1e-4 * max(1.0, t), (c, r, y)
    if by_group:
        s = sol.table("substitution").groupby(["group", "region", "year"])
        met = s["requirement_met_t"].sum()
        for k, t in by_group.items():
            assert t <= met.get(k, 0.0) + 1e-4 * max(1.0, t), k
    d = sol.table("deliveries")
    delivered = {(x.commodity, x.region, x.year): x.non_pfe_t for x in d.itertuples()}
    for k, t in non_pfe.items():  # non-PFE material counted in the pools was delivered non-PFE
        assert t <= delivered.get(k, 0.0) * (1 + 1e-9) + 1e-4, k
    for r in cells[cells["credited_gwh"] > 1e-9].itertuples():
        theta = pol.cell_macr_min[(r.segment, r.year)]
        if theta <= 0:
            continue
        kwh = r.credited_gwh * 1e6
        other = pol.cell_other_materials_cost[(r.segment, r.year)] * kwh
        sub = mats[(mats["region"] == r.region) & (mats["segment"] == r.segment) & (mats["year"] == r.year)]
        total = other + sum(m.reference_price_usd_per_t * m.contained_t for m in sub.itertuples())
        value = (1 - pol.cell_other_materials_pfe_share[(r.segment, r.year)]) * other + sum(
            m.reference_price_usd_per_t * m.non_pfe_t for m in sub.itertuples())
        share = value / total if total > 0 else 1 - pol.cell_other_materials_pfe_share[(r.segment, r.year)]
        assert share >= theta - 1e-6, (r.region, r.segment, r.year, share, theta)


def assert_45x_meets_macr(sol: Solution, inst: CaseInstance) -> None:
    """Every plant-year with 45X has a material-assistance cost ratio at or above the year's threshold:
    inputs at their reference price (graded ones by the grade drawn, spot at its non-PFE share, ungraded at
    the one value of their supply), other materials at 1 - pfe_cost_share; 1 - pfe_cost_share without any."""
    x45 = sol.table("x45")
    inputs = sol.table("plant_inputs")
    theta = inst.policy.x45_macr_min
    for r in x45[x45["credit_usd"] > 1e-3].itertuples():
        prj = inst.projects[r.project]
        assert r.earned and r.output_t > 0, r
        if theta[r.year] <= 0:
            continue  # no test that year
        rows = inputs[(inputs["project"] == r.project) & (inputs["year"] == r.year)]
        total = prj.other_materials_cost * r.output_t
        non_pfe = (1 - prj.pfe_cost_share) * prj.other_materials_cost * r.output_t
        for i in rows.itertuples():
            price = inst.commodities[i.input].macr_price
            if price is None:
                continue
            total += price * i.input_t
            if i.graded:
                spot = i.spot_non_pfe_share if i.spot_non_pfe_share == i.spot_non_pfe_share else 0.0  # NaN: none
                non_pfe += price * (i.non_pfe_t + (spot or 0.0) * i.spot_t)
            else:
                non_pfe += i.non_pfe_value_usd
        share = 1 - prj.pfe_cost_share if total <= 0 else non_pfe / total
        assert share >= theta[r.year] - 1e-6, (r.project, r.year, share, theta[r.year])
        assert r.credit_usd <= r.credit_usd_per_t * r.output_t * (1 + 1e-9) + 1e-3


def assert_graded_balances_close(sol: Solution, inst: CaseInstance) -> None:
    from collections import defaultdict

    from planner.model.sourcing import GRADES, contract_grade, plant_grade, sourcing

    graded = sourcing(inst).graded
    if not graded:
        assert "grade" not in sol.shipments or sol.shipments["grade"].isna().all()
        return
    net: dict[tuple[str, str, str, int], float] = defaultdict(float)
    for r in sol.production.itertuples():
        prj = inst.projects[r.project]
        if prj.commodity in graded:
            g = plant_grade(inst, prj)
            net[(prj.commodity, g, prj.site, r.year)] += (1 - prj.equity_share) * r.output_t
            if prj.partner_region is not None:
                net[(prj.commodity, g, prj.partner_region, r.year)] += prj.equity_share * r.output_t
    for r in sol.imports.itertuples():
        if r.commodity in graded:
            net[(r.commodity, contract_grade(inst.contracts[r.contract]), r.origin, r.year)] += r.tonnes
    for r in sol.shipments.itertuples():
        if r.commodity in graded:
            assert r.grade in GRADES, r
            net[(r.commodity, r.grade, r.from_region, r.year)] -= r.tonnes
            net[(r.commodity, r.grade, r.to_region, r.year)] += r.tonnes
    offtakes = sol.table("offtakes") if "offtakes" in sol.table_names else None
    for r in (offtakes.itertuples() if offtakes is not None else ()):
        if r.taken_t and isinstance(r.project, str):
            prj = inst.projects[r.project]
            if prj.commodity in graded and r.buyer_region != prj.site:
                g = plant_grade(inst, prj)
                net[(prj.commodity, g, prj.site, r.year)] -= r.taken_t
                net[(prj.commodity, g, r.buyer_region, r.year)] += r.taken_t
    inputs = sol.table("plant_inputs")
    for r in inputs[inputs["graded"]].itertuples():
        site = inst.projects[r.project].site
        net[(r.input, "pfe", site, r.year)] -= r.pfe_t
        net[(r.input, "non_pfe", site, r.year)] -= r.non_pfe_t
        # what the plant draws by grade and buys spot is its recipe input, exactly
        assert r.pfe_t + r.non_pfe_t + r.spot_t == pytest.approx(r.input_t, rel=1e-7, abs=1e-4), r
    d = sol.table("deliveries")
    for r in d.itertuples():
        if r.commodity in graded:
            net[(r.commodity, "pfe", r.region, r.year)] -= r.pfe_t
            net[(r.commodity, "non_pfe", r.region, r.year)] -= r.non_pfe_t
            assert r.pfe_t + r.non_pfe_t + r.unmet_t == pytest.approx(r.demand_t, rel=1e-7, abs=1e-4), r
    scale = max([1.0, *(abs(v) for v in net.values())])
    for k, v in net.items():
        assert abs(v) <= 1e-6 * scale + 1e-3, (k, v)


def _assert_substitution(sol: Solution, inst: CaseInstance) -> None:
    if not inst.substitution:
        return
    s = sol.table("substitution")
    for (g, r, y), sub in s.groupby(["group", "region", "year"]):
        grp = inst.substitution[g]
        need = sum(inst.demand.get((mb.commodity, r, y), 0.0) / mb.t_per_t for mb in grp.members)
        assert sub["group_requirement_t"].iloc[0] == pytest.approx(need, rel=1e-9)
        met = float(sub["requirement_met_t"].sum())
        assert met + float(sub["group_unmet_t"].iloc[0]) == pytest.approx(need, rel=1e-7, abs=1e-6), (g, r, y)
        for row in sub.itertuples():
            mb = grp.member(row.commodity)
            assert row.served_t == pytest.approx(row.requirement_met_t * mb.t_per_t, rel=1e-9, abs=1e-9)
            if met > 1e-6:
                assert mb.min_share - 1e-7 <= row.requirement_met_t / met <= mb.max_share + 1e-7, (g, r, y, row)
    unmet = sol.unmet[sol.unmet["commodity"].isin(list(inst.substitution))]
    left = s.groupby(["group", "region", "year"])["group_unmet_t"].first()
    assert float(unmet["tonnes"].sum()) == pytest.approx(float(left[left > 1e-6].sum()), abs=1e-6)


def _assert_operations(sol: Solution, inst: CaseInstance) -> None:
    ops = sol.table("operations")
    if ops.empty:
        return
    out = sol.production.set_index(["project", "year"])["output_t"].to_dict()
    for r in ops.itertuples():
        x = out.get((r.project, r.year), 0.0)
        assert r.output_t == pytest.approx(x, abs=1e-6)
        if r.state in ("mothballed", "cancelled", "retired early", "not yet qualified"):
            assert x <= 1e-6, (r.project, r.year, r.state, x)
        assert x <= r.available_t * (1 + 1e-9) + 1e-6
    com = sol.table("existing_plants").set_index("project")
    for p, r in com.iterrows():
        prj = inst.projects[p]
        if r["decision"] == "cancelled":
            assert prj.status == "committed" and prj.cancellable
            assert sol.builds.set_index("project").loc[p, "decision"] == "cancelled"
        if str(r["decision"]).startswith("retired early"):
            assert prj.early_retirement
        if r["mothballed_years"]:
            assert prj.fixed_om_avoidable > 0


def _deliverable_units(b: Any, inst: CaseInstance, project: str, year: int) -> float:
    """Units of `project` able to deliver in `year` (ramp-up included), from the builds table and the data."""
    prj = inst.projects[project]
    out = 0.0
    for r in b[b["project"] == project].itertuples():
        if r.qualified_year <= year < r.retire_year:
            k = year - r.qualified_year
            out += r.units * (prj.ramp_up[k] if k < len(prj.ramp_up) else 1.0)
    return out


def _assert_offtakes(sol: Solution, inst: CaseInstance, b: Any) -> None:
    if not inst.offtakes:
        return
    o = sol.table("offtakes")
    out = sol.production.set_index(["project", "year"])["output_t"].to_dict()
    penalty = 0.0
    for r in o.itertuples():
        agr = inst.offtakes[r.offtake]
        need = agr.min_t * sum(_deliverable_units(b, inst, p, r.year) / inst.projects[p].units_max for p in agr.plants)
        assert r.minimum_t == pytest.approx(need, rel=1e-9, abs=1e-6), (r.offtake, r.year)
        assert r.taken_t + r.shortfall_t >= need * (1 - 1e-9) - 1e-6, (r.offtake, r.year, r.taken_t, need)
        assert r.shortfall_t <= need * (1 + 1e-9) + 1e-6
        if agr.max_t is not None:
            assert r.taken_t <= agr.max_t * (1 + 1e-9) + 1e-6
        own = sum((1 - inst.projects[p].equity_share) * out.get((p, r.year), 0.0) for p in agr.plants)
        assert r.taken_t <= own * (1 + 1e-9) + 1e-6, (r.offtake, r.year)
        penalty += r.penalty_usd * inst.settings.discount_factor(r.year)
    c = sol.costs
    assert float(c.loc[c["component"] == "penalty_offtake", "discounted_usd"].sum()) == pytest.approx(
        penalty, rel=1e-9, abs=1e-3)


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
