"""Explanations: target duals against finite differences, forced candidates, shortfalls in plain words."""

from __future__ import annotations

from pathlib import Path

import pytest

from factories import tiny_tables
from helpers import cost, instance_of, solve_tables
from planner.explain.analysis import explain
from planner.export.instance_xlsx import write_instance
from planner.instance.records import WhatIf
from planner.run import solve_case
from planner.solve.presets import merge_options

OPTS = merge_options("exact")


def with_target(share: float, year: int = 2028) -> dict:
    t = tiny_tables()
    t["policy"] = [r for r in t["policy"] if r["parameter"] != "localization_target"]
    t["policy"].append({"parameter": "localization_target", "year": year, "commodity": "AAM", "base": None,
                        "localize": share})
    return t


def test_target_dual_equals_finite_difference() -> None:
    # A 40% AAM target in 2028 (400 t) is met by P3 (500 t available in 2028) without using all of it, so
    # the dual is unique: P3's $9,000 - $900 45X against $8,000 imported = $100/t. Tightening the target by
    # one point (+10 t) must cost 10 t x $100.
    loose, tight = solve_tables(with_target(0.40), "localize"), solve_tables(with_target(0.41), "localize")
    dual = loose.localization.query("group == 'AAM' and year == 2028")["target_cost_usd_per_t"].iloc[0]
    assert dual == pytest.approx(100.0)
    assert cost(tight) - cost(loose) == pytest.approx(dual * 10, rel=1e-6)


def test_forcing_a_built_project_changes_nothing_and_an_unbuilt_one_never_helps() -> None:
    inst = instance_of(tiny_tables())
    for case in ("base", "localize"):
        sol = solve_case(inst, case, options=OPTS)
        base_cost = cost(sol)
        builds = sol.builds
        for r in builds[builds["decision"] == "build"].itertuples():
            forced = solve_case(inst, case, options=OPTS,
                                whatif=WhatIf(force=((r.project, int(r.start_year)),)))
            assert cost(forced) == pytest.approx(base_cost, rel=1e-9)
        ci_sets = __import__("planner.cases", fromlist=["apply_case"]).apply_case(inst, case).sets
        for r in builds[builds["decision"] == "not built"].itertuples():
            for s in ci_sets.starts[r.project]:
                forced = solve_case(inst, case, options=OPTS, whatif=WhatIf(force=((r.project, s),)))
                assert cost(forced) >= base_cost - 1e-6


def test_explanation_of_tiny(tmp_path: Path) -> None:
    e = explain(write_instance(tiny_tables(), tmp_path / "tiny.xlsx"), "localize", options=OPTS)
    tc = e.target_costs.set_index(["group", "year"])
    assert tc.loc[("AAM", 2028), "cost_usd_per_t"] == pytest.approx(100.0)
    # per kWh: $100/t x 50% x 1,000 t of AAM / 2 GWh of cells
    assert tc.loc[("AAM", 2028), "cost_usd_per_kwh"] == pytest.approx(100 * 0.5 * 1000 / 2e6)
    assert e.targets_total_usd == pytest.approx(100_610_000 - 98_560_000)
    built = e.built.set_index("project")
    assert built.loc["P3", "value_usd"] > 0 and built.loc["P2", "value_usd"] > 0
    assert any("costs $100 per t" in f for f in e.findings)
    base = explain(tmp_path / "tiny.xlsx", "base", options=OPTS)
    unbuilt = base.unbuilt.set_index("project")
    # P3 forced from 2026 pays its annuity in 2026-2028 (3 x $1M) but is left idle: its $8,100/t net of
    # 45X is dearer than $8,000/t imported. Premium: $3.0M.
    assert unbuilt.loc["P3", "premium_usd"] == pytest.approx(3_000_000)


def test_shortfall_named_with_year_family_and_amount(tmp_path: Path) -> None:
    # A 100% AAM target in 2027 needs 750 t; the only domestic anode plant (P3) qualifies in 2027 at the
    # earliest, at 50% ramp-up: 500 t. 250 t stay out of reach.
    path = write_instance(with_target(1.0, 2027), tmp_path / "tight.xlsx")
    e = explain(path, "localize", options=OPTS)
    row = e.shortfalls.query("what == 'AAM' and year == 2027").iloc[0]
    assert row["kind"] == "target out of reach"
    assert row["short_t"] == pytest.approx(250) and row["achievable_t"] == pytest.approx(500)
    assert "2027 AAM target needs 750 t of qualifying supply; the plan that misses least reaches 500 t (short by " \
           "250 t)" in row["explanation"]
