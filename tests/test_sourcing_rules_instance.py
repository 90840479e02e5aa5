"""instances/sourcing-rules.xlsx: the demonstration of the sourcing rules (planner/datasets/sourcing_rules.py).

Solved once per case; each mechanism of issue 12 is checked where the demonstration shows it, with the
figures derived by hand in the comments.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import assert_invariants
from planner import resources
from planner.cases import apply_case, load_instance
from planner.cases import validate
from planner.cli.app import app
from planner.datasets.sourcing_rules import CASES, tables
from planner.io.reader import workbook_from_tables
from planner.model.sourcing import sourcing
from planner.run import solve_case
from planner.solve.presets import merge_options

PATH = resources.data_dir("instances") / "sourcing-rules.xlsx"
FIELDS = ("settings", "commodities", "regions", "projects", "contracts", "transport", "base_demand", "base_cells",
          "cell_need", "cases", "sources")


@pytest.fixture(scope="module")
def inst():  # noqa: ANN201
    return load_instance(PATH)


@pytest.fixture(scope="module")
def sols(inst):  # noqa: ANN001, ANN201
    return {c: solve_case(inst, c, options=merge_options("default")) for c in CASES}


def test_the_workbook_is_what_its_generator_writes(inst) -> None:  # noqa: ANN001
    want = validate(workbook_from_tables(tables(), "sourcing-rules"))
    for f in FIELDS:
        assert getattr(inst, f) == getattr(want, f), f"{f}: rewrite it with python -m planner.datasets.sourcing_rules"
    assert not inst.warnings and tuple(inst.cases) == CASES


def test_every_case_is_proven_optimal_and_consistent(inst, sols) -> None:  # noqa: ANN001
    for case, sol in sols.items():
        assert sol.status["status"] == "optimal", case
        assert_invariants(sol, apply_case(inst, case))
    assert sourcing(apply_case(inst, "current_law")).graded == {"LFP", "LiOH", "NMC811", "SG", "pCAM"}
    assert not sourcing(apply_case(inst, "no_material_tests")).graded  # no test: no grade, no binary


def test_p1s_sourcing_decides_its_45x(sols) -> None:  # noqa: ANN001
    # P1 (20 kt/yr NMC811, 1 t pCAM + 0.45 t LiOH per t, $500/t other materials half PFE) values its material
    # at W = 12,000 + 0.45 x 12,000 + 500 = $17,900 per t. Spot LiOH (70% PFE) adds 0.3 x 5,400 = $1,620 of
    # non-PFE value, the other materials $250. In 2026 (60%: $10,740) the rest, $8,870, comes cheapest from
    # Korean pCAM ($750/t dearer landed than Chinese, i.e. $0.0625 per $ of value, against $0.155 for
    # Chilean LiOH): 8,870 / 12,000 = 73.9% of its 14,000 t of pCAM = 10,348.3 t, costing $554 per t of
    # output for a 45X of 10% x (3,500 + 0.45 x 12,000) = $890/t. In 2030 (85% and a 75% phase-down: $667/t)
    # it would need all its pCAM and a sixth of its LiOH non-PFE, $958 per t: it forgoes 45X.
    sol = sols["current_law"]
    x = sol.table("x45").set_index(["project", "year"])
    assert x.loc[("P1", 2026), "decided_by"] == "sourcing" and x.loc[("P1", 2026), "earned"]
    assert x.loc[("P1", 2026), "macr_share"] == pytest.approx(0.60)
    assert not x.loc[("P1", 2030), "earned"]
    i = sol.table("plant_inputs").set_index(["project", "input", "year"])
    assert i.loc[("P1", "pCAM", 2026), "non_pfe_t"] == pytest.approx(14_000 * 8_870 / 12_000, rel=1e-6)
    assert i.loc[("P1", "pCAM", 2030), "non_pfe_t"] == pytest.approx(0, abs=1e-6)
    # the candidate LFP plant has no modelled inputs: its 70% ratio decides by the data (met until 2028)
    assert x.loc[("L1", 2028), "decided_by"] == "data" and x.loc[("L1", 2028), "earned"]
    assert not x.loc[("L1", 2029), "earned"] and x.loc[("L1", 2029), "macr_share"] == pytest.approx(0.7)


def test_the_cell_credit_pulls_domestic_cam_and_graphite(sols) -> None:  # noqa: ANN001
    # Ohio's EV cells earn $35/kWh when their ratio meets the threshold: with P1's domestic CAM they meet it
    # in every year to 2029; from 80% on only with non-PFE graphite too, so the plan builds G1 (two units)
    # for them, as it builds L1 for Georgia's storage cells (their own 48E-style test). Without the cell
    # credit neither is built.
    cur, none = sols["current_law"], sols["no_cell_credit"]
    built = set(cur.builds.loc[cur.builds["decision"] == "build", "project"])
    assert built == {"G1", "L1"}
    assert not set(none.builds.loc[none.builds["decision"] == "build", "project"])
    c = cur.table("cell_credit").set_index(["region", "segment", "year"])
    assert c.loc[("OH", "EV", 2026), "credited_share"] == pytest.approx(1.0)
    assert c.loc[("OH", "EV", 2029), "credited_share"] == pytest.approx(1.0)
    assert c.loc[("GA", "ESS", 2029), "credited_share"] == pytest.approx(1.0)
    assert c.loc[("GA", "ESS", 2026), "credited_share"] == pytest.approx(0.0)  # no non-PFE LFP before L1
    assert cur.credits["cell_credit_usd"].sum() == pytest.approx(c["credit_usd"].sum())
    assert none.table("cell_credit").empty


def test_solve_and_compare_run_on_it(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["solve", str(PATH), "-q", "-o", str(tmp_path / "solved.xlsx")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["compare", str(PATH), "--cases", "all", "--jobs", "1", "-o", str(tmp_path / "cmp.xlsx")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "cmp.xlsx").exists()
    assert all((tmp_path / f"sourcing-rules-{c}-results.xlsx").exists() for c in CASES)
