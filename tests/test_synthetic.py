"""The synthetic instance generator: reproducible from its seed, valid at every size, shaped like the
default instance, solvable, and sized as its presets promise."""

from __future__ import annotations

import math

import pyomo.environ as pyo
import pytest

from helpers import solve_tables
from planner.cases import apply_case
from planner.datasets.synthetic import (
    NEIGHBOURS,
    ORIGINS,
    SIZE_TARGETS,
    generate,
    generate_tables,
    model_size,
    size_preset,
)
from planner.cases import load_instance, validate
from planner.io.reader import workbook_from_tables
from planner.model.build import build_model

SMALL = dict(projects=40, regions=20, years=6, commodities=5, contracts=10, seed=7)

#: small and edge-case arguments that must all give a clean workbook
COMBOS = (
    dict(projects=1, regions=1, years=1, commodities=1, contracts=0, seed=0),
    dict(projects=3, regions=1, years=1, commodities=2, contracts=2, seed=1),
    dict(projects=5, regions=2, years=2, commodities=2, contracts=1, seed=2, cases=1),
    dict(projects=12, regions=6, years=4, commodities=4, contracts=6, seed=3, cases=8, first_year=2030),
    dict(SMALL, cases=6),
)


def clean(tables):  # noqa: ANN001, ANN201
    inst = validate(workbook_from_tables(tables))  # raises on any error
    assert not inst.warnings, [w.message for w in inst.warnings]
    return inst


def test_same_seed_same_tables_and_parts_drawn_independently() -> None:
    a, b = generate_tables(**SMALL), generate_tables(**SMALL)
    assert a == b
    other = generate_tables(**{**SMALL, "seed": 8})
    assert other != a
    assert other["projects"] != a["projects"] and other["material_demand"] != a["material_demand"]
    # more contracts or cases change the contracts and policy, not the plants or the demand
    more = generate_tables(**{**SMALL, "contracts": 30, "cases": 5})
    for sheet in ("projects", "joint_ventures", "material_demand", "transport", "regions"):
        assert more[sheet] == a[sheet], sheet


@pytest.mark.parametrize("kw", COMBOS, ids=lambda kw: "-".join(f"{k[0]}{v}" for k, v in kw.items()))
def test_small_and_edge_cases_validate_cleanly(kw) -> None:  # noqa: ANN001
    tables = generate_tables(**kw)
    inst = clean(tables)
    n = kw["commodities"]
    fams = [c.family for c in inst.commodities.values()]
    assert fams.count("CAM") + fams.count("AAM") == n
    if n >= 2:
        assert "CAM" in fams and "AAM" in fams
    assert ("precursor" in fams) == (n >= 4)
    assert len(inst.years) == kw["years"] and inst.years[0] == kw.get("first_year", 2025)
    assert sum(r.domestic for r in inst.regions.values()) == kw["regions"]
    origins = [r for r in inst.regions.values() if r.id in ORIGINS]
    assert any(r.feoc for r in origins) and any(r.fta for r in origins)
    assert any(not r.fta and not r.feoc for r in origins)
    assert len(inst.cases) == kw.get("cases", 3)
    assert len([p for p in inst.projects.values() if not p.is_jv]) == kw["projects"]
    assert len(inst.contracts) == kw["contracts"]
    assert tables["sources"][0]["value"] == "synthetic" and f"seed={kw['seed']}" in tables["sources"][0]["note"]
    for case in inst.cases:  # every case applies and yields index sets and demand
        ci = apply_case(inst, case)
        assert ci.sets.years and ci.demand


def test_structure_and_magnitudes_follow_the_default_instance() -> None:
    tables = generate_tables(**size_preset("M"))
    inst = clean(tables)
    projects = tables["projects"]
    fixed = [p for p in projects if p["status"] != "candidate"]
    assert 0.05 <= len(fixed) / len(projects) <= 0.15
    recipe = {r["project"]: r for r in tables["recipes"]}
    assert recipe, "high-Ni plants consume the precursor"
    price = {c["commodity"]: c["market_price"] for c in tables["commodities"]}
    for p in projects:
        units_cap = p["capacity_per_unit"] * p["units_max"]
        assert 10_000 <= p["capacity_per_unit"] <= 150_000 and units_cap <= 6 * 30_000 + 1
        assert p["construction_years"] in (0, 1, 2, 3) and p["qualification_years"] in (1, 2)
        assert p["lifetime"] == 20 and p["ramp_up"] == "0.4;0.7;0.9;0.95"
        if p["status"] != "existing":
            per_t = p["capex_per_unit"] / p["capacity_per_unit"]
            assert 13_000 * 0.999 <= per_t <= 56_000 * 1.001
            assert p["fixed_om_per_unit"] == pytest.approx(0.03 * p["capex_per_unit"], rel=0.01)
        r = recipe.get(p["project"])
        full = p["variable_cost"] + (r["t_per_t"] * price[r["input"]] if r else 0.0)
        assert 4_000 <= full <= 40_000
        assert p["eligible_45x"] == inst.regions[p["site"]].domestic
    groups = [p["exclusive_group"] for p in projects if p["exclusive_group"]]
    assert groups and all(groups.count(g) == 2 for g in groups)
    assert any(p["units_max"] > 1 for p in projects)
    # joint ventures: ~10% of candidates, equity 0.3-0.5, offtake over a direct link
    cands = [p for p in projects if p["status"] == "candidate"]
    jvs = tables["joint_ventures"]
    assert 0.04 <= len(jvs) / len(cands) <= 0.2
    for j in jvs:
        assert 0.3 <= j["equity_share"] <= 0.5
        jv = inst.projects[j["jv"]]
        assert jv.partner_region == jv.site or (jv.commodity, jv.site, jv.partner_region) in inst.transport
    # contracts: China cheapest where it sells, take-or-pay at most 30% of the maximum
    contracts = tables["contracts"]
    for c in {k["commodity"] for k in contracts}:
        offers = [k for k in contracts if k["commodity"] == c]
        china = [k["price"] for k in offers if k["origin"] == "China"]
        if china:
            assert min(china) <= min(k["price"] for k in offers)
    assert any(k["max_volume"] is None for k in contracts)
    assert any(k["min_take"] > 0 for k in contracts) and any(k["signing_fee"] > 0 for k in contracts)
    for k in contracts:
        if k["min_take"]:
            assert k["min_take"] <= 0.3 * k["max_volume"] + 100
    # demand: tens of kt per commodity in the first year, growing
    first, last = inst.years[0], inst.years[-1]
    tot = {y: {} for y in (first, last)}
    for (c, _r, y), t in inst.base_demand.items():
        if y in tot:
            tot[y][c] = tot[y].get(c, 0.0) + t
    for c, t in tot[first].items():
        assert 2_000 <= t <= 100_000, c  # Si-C-type commodities are the small ones
        growth = (tot[last][c] / t) ** (1 / (last - first)) - 1
        assert 0.04 <= growth <= 0.2, (c, growth)
    assert tables["cell_demand"] and inst.base_cell_gwh
    # a sparse network: every domestic/site region linked to its nearest neighbours, the rest by origins
    links: dict[str, set[str]] = {}
    for (c, i, j) in inst.transport:
        if c == "CAM01" and i not in ORIGINS:
            links.setdefault(i, set()).add(j)
    nodes = [r for r in inst.regions if r not in ORIGINS]
    assert all(len(links[r]) >= NEIGHBOURS for r in nodes)
    assert sum(len(v) for v in links.values()) <= 2 * NEIGHBOURS * len(nodes)
    for o in ORIGINS:
        assert {j for (c, i, j) in inst.transport if c == "CAM01" and i == o} == \
            {r for r in inst.regions if inst.regions[r].domestic}


def test_transport_costs_100_usd_per_t_per_1000_road_km() -> None:
    tables = generate_tables(projects=5, regions=3, years=2, commodities=2, contracts=2, seed=4)
    xy = {}
    for r in tables["regions"]:
        if r["domestic"]:
            x, y = r["description"].split("(")[1].split(")")[0].split(",")
            xy[r["region"]] = (float(x), float(y.split()[0]))
    for t in tables["transport"]:
        if t["from_region"] in xy and t["to_region"] in xy:
            km = 1.2 * math.dist(xy[t["from_region"]], xy[t["to_region"]])
            assert t["cost_per_t"] == pytest.approx(km * 0.1, abs=1.0)


def test_written_workbook_reads_back_to_the_same_instance(tmp_path) -> None:  # noqa: ANN001
    kw = dict(projects=12, regions=6, years=4, commodities=4, contracts=6, seed=3, cases=6)
    path = generate(tmp_path / "synthetic.xlsx", **kw)
    disk = load_instance(path)
    mem = validate(workbook_from_tables(generate_tables(**kw)))
    assert not disk.warnings
    assert disk.projects.keys() == mem.projects.keys()
    assert disk.base_demand == pytest.approx(mem.base_demand)
    assert disk.transport == mem.transport and disk.cases.keys() == mem.cases.keys()


def test_preset_s_solves_with_a_plan() -> None:
    sol = solve_tables(generate_tables(**size_preset("S")))  # checks the plan invariants
    assert sol.has_plan and sol.status["gap"] <= 1e-9
    assert (sol.builds["decision"] == "build").any()
    s = sol.supply
    assert s[[c for c in s.columns if c.startswith("imports_")]].to_numpy().sum() > 0
    assert s["domestic_plants_t"].sum() > 0
    assert sol.unmet["tonnes"].sum() == pytest.approx(0.0, abs=1e-3)


def test_strict_localization_builds_more_and_keeps_the_invariants() -> None:
    tables = generate_tables(projects=20, regions=5, years=8, commodities=4, contracts=8, seed=5)
    base = solve_tables(tables, "current_law")
    strict = solve_tables(tables, "strict_localization")
    n = lambda sol: int((sol.builds["decision"] == "build").sum())  # noqa: E731
    assert strict.has_plan and n(strict) > n(base)


def test_model_size_counts_exactly_what_the_model_builds() -> None:
    tables = generate_tables(**SMALL, cases=5)
    inst = validate(workbook_from_tables(tables))
    for case in ("current_law", "ira_like"):  # ira_like adds 48C awards and 45X stacking
        m = build_model(apply_case(inst, case))
        size = model_size(tables, case)
        built = {c.name: len(c) for c in m.component_objects((pyo.Var, pyo.Constraint))}
        assert {k: v for k, v in size.items() if k.startswith(("v_", "b_", "c_"))} == \
            {k: v for k, v in built.items() if v}
        assert size["variables"] == sum(len(v) for v in m.component_objects(pyo.Var))
        assert size["constraints"] == sum(len(c) for c in m.component_objects(pyo.Constraint))
        assert size["integer_variables"] == sum(
            1 for comp in m.component_objects(pyo.Var) for v in comp.values() if not v.is_continuous())


@pytest.mark.parametrize("name", ["M", "L", "XL"])
def test_presets_land_near_their_variable_counts(name: str) -> None:
    kw = size_preset(name)
    target = SIZE_TARGETS[name]
    assert target is not None
    n = model_size(generate_tables(**kw))["variables"]
    assert 0.65 * target <= n <= 1.35 * target, (name, n)
    if name == "XL":
        assert kw["projects"] * 0.9 >= 1500 and kw["regions"] >= 50 and kw["years"] >= 26
        assert kw["commodities"] >= 12


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown size preset"):
        size_preset("XXL")
    with pytest.raises(ValueError, match="regions"):
        generate_tables(projects=3, regions=0, years=2, commodities=2, contracts=1, seed=0)
    assert size_preset("m") == size_preset("M")
