"""instances/operations.xlsx: the demonstration of offtakes, plant operations and substitution groups.

The workbook is what `planner.datasets.operations` writes; each case solves to proven optimality with the
plan invariants, and each mechanism shows where the data says it should (the reasons are in the module's
docstring): Vianode runs at its GM offtake's minimum, Syrah is mothballed in 2027 and restarted for Tesla in
2028, Epsilon is cancelled, BASF retires early, and both substitution groups move demand between members.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from helpers import assert_invariants
from planner import resources, schema
from planner.cases import apply_case, load_instance, validate
from planner.datasets.operations import CASES, FILE_NAME, tables
from planner.io.reader import workbook_from_tables
from planner.run import solve_case
from planner.solve.presets import merge_options

PATH = resources.data_dir("instances") / FILE_NAME  # the bundled copy, installed or in the checkout
REGENERATE = "regenerate it: python -m planner.datasets.operations"
FIELDS = ("settings", "commodities", "regions", "projects", "contracts", "transport", "base_demand", "cases",
          "offtakes", "substitution", "sources")


@pytest.fixture(scope="module")
def inst() -> Any:
    return load_instance(PATH)


@pytest.fixture(scope="module")
def sols(inst: Any) -> dict[str, Any]:
    return {c: solve_case(inst, c, options=merge_options("default")) for c in CASES}


def test_the_workbook_is_what_the_module_writes(inst: Any) -> None:
    assert PATH.exists(), REGENERATE
    expected = validate(workbook_from_tables(tables()))
    for f in FIELDS:
        assert getattr(inst, f) == getattr(expected, f), f"instances/operations.xlsx differs in {f}; {REGENERATE}"
    assert tuple(inst.cases) == CASES and not inst.warnings
    wb = openpyxl.load_workbook(PATH, read_only=True)
    for name in ("offtakes", "substitution", "projects", "sources"):
        assert name in wb.sheetnames
    for s in inst.sources:
        assert s.get("tag") in schema.SOURCE_TAGS and s.get("source"), s
        if s["tag"] == "E":
            assert "assumption" in (s.get("note") or "").lower(), s


def test_every_case_is_proven_optimal_and_consistent(inst: Any, sols: dict[str, Any]) -> None:
    for c, sol in sols.items():
        assert sol.status["proven_optimal"], (c, sol.status["status"])
        assert_invariants(sol, apply_case(inst, c))


def _states(sol: Any, project: str) -> dict[int, str]:
    o = sol.table("operations")
    sub = o[o["project"] == project]
    return dict(zip(sub["year"].astype(int), sub["state"]))


def test_current_law_shows_each_mechanism(sols: dict[str, Any]) -> None:
    sol = sols["current_law"]
    o = sol.table("offtakes").set_index(["offtake", "year"])
    # Vianode: its output costs more than imported graphite; it delivers exactly the GM minimum, ramped up
    gm = o.loc["OT-GM-VIANODE"]
    assert gm["minimum_t"].tolist() == pytest.approx([15_000 * a for a in (0.4, 0.7, 0.9, 0.95)])
    assert gm["taken_t"].tolist() == pytest.approx(gm["minimum_t"].tolist())
    prod = sol.production.set_index(["project", "year"])["output_t"]
    assert [prod[("A08-1", y)] for y in range(2029, 2033)] == pytest.approx(gm["minimum_t"].tolist())
    # Syrah: qualified 2027, mothballed then, restarted in 2028 for the Tesla agreement
    assert _states(sol, "A01")[2027] == "mothballed"
    assert {_states(sol, "A01")[y] for y in range(2028, 2033)} == {"operating"}
    assert sol.costs.loc[sol.costs["component"] == "restart", "cost_usd"].sum() == pytest.approx(3_000_000)
    # Epsilon is cancelled (the summary says so); BASF retires early
    k = sol.kpis.set_index("kpi")
    assert k.loc["committed_plants_cancelled", "value"] == 1
    assert "Epsilon" in k.loc["committed_plants_cancelled", "note"]
    assert k.loc["plants_retired_early", "value"] == 1 and "BASF" in k.loc["plants_retired_early", "note"]
    c = sol.table("existing_plants").set_index("project")
    assert c.loc["A06-1", "capex_saved_usd"] == pytest.approx(650e6 / 3)  # 2026 of 2024-2026 not yet spent
    # the groups: NMC811 stands in for half of Nevada's NCA; natural graphite above its stated share somewhere
    s = sol.table("substitution")
    nickel = s[(s["group"] == "nickel_cam") & (s["commodity"] == "NMC811")]
    assert nickel["share"].tolist() == pytest.approx([0.5] * len(nickel))
    assert (s["served_t"] - s["stated_demand_t"]).abs().max() > 1_000


def test_the_agreements_and_tariffs_change_the_decisions(sols: dict[str, Any]) -> None:
    free = sols["no_agreements"]
    assert free.table("offtakes").empty
    assert set(_states(free, "A08-1").values()) <= {"idle", "not yet qualified"}  # no agreement: Vianode idles
    assert set(_states(free, "A01").values()) <= {"mothballed", "not yet qualified"}
    high = sols["china_tariffs_high"]
    assert high.kpi("committed_plants_cancelled") == 0  # dear imports: Epsilon is worth finishing
    assert "operating" in set(_states(high, "A06-1").values())


def test_planner_compare_with_regret_holds_the_cancellation(tmp_path: Path) -> None:
    from planner.compare.session import run_comparison

    cmp = run_comparison(PATH, options=merge_options("default"), regret=True)
    assert cmp.solved == list(CASES)
    reg = cmp.regret
    assert reg is not None and not reg.cost.isna().any().any()
    # current law's plan cancels Epsilon: under high tariffs that costs more than that case's own plan
    assert reg.regret.loc["current_law", "china_tariffs_high"] > 1e6


def test_planner_solve_and_compare_run_on_it(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from planner.cli.app import app

    runner = CliRunner()
    r = runner.invoke(app, ["solve", str(PATH), "-o", str(tmp_path / "r.xlsx")])
    out = " ".join(r.output.split())
    assert r.exit_code == 0, out
    assert "Committed plants the plan would cancel: Epsilon" in out and "retires early: BASF" in out
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx", read_only=True)
    assert {"offtakes", "operations", "existing_plants", "substitution"} <= set(wb.sheetnames)
    r = runner.invoke(app, ["compare", str(PATH), "--cases", "current_law,no_agreements", "-o",
                            str(tmp_path / "c.xlsx")])
    assert r.exit_code == 0, " ".join(r.output.split())
    assert (tmp_path / "c.xlsx").is_file()
