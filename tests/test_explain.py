"""Explanations: target duals against finite differences, forced candidates, shortfalls in plain words."""

from __future__ import annotations

import re
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


# ------------------------------------------------------------------------------------------ findings in words
def short_tables() -> dict:
    """tiny.xlsx without its existing cathode plant, and with 100% AAM and CAM targets in every year: the
    cathode demand can be met only from 2027 and only in part (P2 gives at most 1,200 t), so unmet demand
    (1,000.5 t in 2026 — half a tonne, to see one rounding — 300 t in 2027, 800 t in 2028) is the main cost."""
    t = tiny_tables()
    t["projects"] = [p for p in t["projects"] if p["project"] != "P1"]
    t["cell_demand"][0]["gwh"] = 1.0005  # 1,000.5 t of NMC811 in 2026
    t["policy"] = [r for r in t["policy"] if r["parameter"] != "localization_target"]
    for family in ("AAM", "CAM"):
        for y in (2026, 2027, 2028):
            t["policy"].append({"parameter": "localization_target", "year": y, "commodity": family, "base": 1.0,
                                "localize": 1.0})
    return t


@pytest.fixture(scope="module")
def short(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    path = write_instance(short_tables(), tmp_path_factory.mktemp("short") / "short.xlsx")
    return explain(path, "base", options=OPTS)


def _money(text: str) -> list[float]:
    return [float(x.replace(",", "")) for x in re.findall(r"\$([\d,]+\.\d)M", text)]


def test_findings_lead_with_what_the_cost_is_made_of(short) -> None:  # noqa: ANN001
    sol = short.solution
    pen = sol.costs.groupby("component")["discounted_usd"].sum()
    unmet = sol.unmet["tonnes"].sum()
    assert unmet == pytest.approx(2100.5)
    drivers = short.findings[1]
    total = sol.status["objective_usd"]
    # penalties: 2,100.5 t unmet x $250,000 and 750 t of targets missed x $50,000 (no discounting in tiny)
    assert pen["penalty_unmet"] == pytest.approx(2100.5 * 250_000)
    assert drivers.startswith(f"Penalties are ${(pen['penalty_unmet'] + pen['penalty_localization']) / 1e6:,.1f}M of "
                              f"the ${total / 1e6:,.1f}M total")
    assert "2,101 t of demand left unmet" in drivers  # 2,100.5 t: rounded as the sheet shows it
    assert "NMC811 2,101 t in 2026–2028" in short.findings[2] and "out of reach" in short.findings[2]


def test_value_of_a_built_plant_is_explained_as_a_sum_of_its_parts(short) -> None:  # noqa: ANN001
    row = short.built.set_index("project").loc["P2"]
    assert row["value_usd"] == pytest.approx(row["of_which_penalties_usd"] + row["of_which_other_usd"])
    assert row["of_which_penalties_usd"] > row["value_usd"] > 0 > row["of_which_other_usd"]
    text = next(f for f in short.findings if f.startswith("P2 "))
    value, pen, saved = _money(text)
    assert (value, pen, saved) == (round(row["value_usd"] / 1e6, 1), round(row["of_which_penalties_usd"] / 1e6, 1),
                                   round(-row["of_which_other_usd"] / 1e6, 1))
    assert "more in penalties" in text and "saved on the other costs" in text
    assert "of it is avoided penalties" not in text  # never a part larger than its whole


def test_every_shortfall_is_in_the_findings_or_counted(short) -> None:  # noqa: ANN001
    n = len(short.shortfalls)
    assert n == 8  # targets AAM 2026-2027 and CAM 2026-2028, unmet NMC811 2026-2028
    listed = [f for f in short.findings if f in set(short.shortfalls["explanation"])]
    assert len(listed) == 5
    assert short.findings[-1].startswith(f"{n - 5} more shortfalls (") and "on the shortfalls sheet" in \
        short.findings[-1]


def test_tonnes_in_sentences_read_like_the_sheet(short) -> None:  # noqa: ANN001
    row = short.shortfalls.query("what == 'NMC811' and year == 2026").iloc[0]
    assert row["short_t"] == pytest.approx(1000.5)
    # the sheet shows 1,000.5 with the format #,##0 as 1,001 (half away from zero): so does the sentence
    assert "short by 1,001 t" in row["explanation"] and "supplies 0 t" in row["explanation"]
    from planner.results.labels import tonnes_text

    assert tonnes_text(-2.9e-11) == "0 t" and tonnes_text(25780.5) == "25,781 t"


def test_least_shortfall_resolve_is_shown_in_tonnes(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from planner.cli.app import app

    path = write_instance(short_tables(), tmp_path / "short.xlsx")
    r = CliRunner().invoke(app, ["explain", str(path), "-c", "base", "-o", str(tmp_path / "e.xlsx"), "-j", "1"])
    assert r.exit_code == 0, r.output
    line = next(x for x in r.output.splitlines() if "least shortfall" in x and "done" in x and "│" in x)
    assert "t short" in line and "$" not in line  # its objective is tonnes, not money
