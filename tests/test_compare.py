"""Policy cases side by side: parallel and Dask runs, failures, comparison tables, regret."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from factories import tiny_tables
from planner.compare.compare import penalty_words, regret_matrix
from planner.compare.session import run_comparison
from planner.export.instance_xlsx import write_instance
from planner.solve.presets import merge_options

OPTS = merge_options("exact")


@pytest.fixture(scope="module")
def multi_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tiny.xlsx plus two cases: `dear_capex` (extends localize, candidate capex doubled) and
    `unreachable` (a 100% AAM target in 2027, out of reach: infeasible with hard targets)."""
    t = tiny_tables()
    for row in t["policy"]:
        row["dear_capex"] = None
        row["unreachable"] = row.get("localize")
    t["policy"].append({"parameter": "extends", "dear_capex": "localize"})
    t["policy"].append({"parameter": "localization_target", "year": 2027, "commodity": "AAM", "unreachable": 1.0})
    t["overrides"] = [{"case": "dear_capex", "sheet": "projects", "filter": "status=candidate",
                       "column": "capex_per_unit", "operation": "scale", "value": 2, "note": "capex overrun"}]
    return write_instance(t, tmp_path_factory.mktemp("cmp") / "multi.xlsx")


def signature(cmp) -> dict:  # noqa: ANN001
    return {c: (round(cmp.runs[c].solution.status["objective_usd"], 4),
                tuple(map(tuple, cmp.runs[c].solution.builds[["project", "units", "start_year"]]
                          .fillna(0).astype(str).values)))
            for c in cmp.solved}


@pytest.fixture(scope="module")
def serial(multi_case: Path):  # noqa: ANN201
    return run_comparison(multi_case, cases="base,localize,dear_capex", options=OPTS, jobs=1, regret=True)


def test_comparison_tables(serial) -> None:  # noqa: ANN001
    cmp = serial
    assert cmp.solved == ["base", "localize", "dear_capex"] and not cmp.failed
    k = cmp.kpis
    assert k.loc["total_cost_usd", "base"] == pytest.approx(98_560_000)
    assert k.loc["total_cost_usd", "localize"] == pytest.approx(100_610_000)
    assert cmp.deltas.loc["total_cost_usd", "localize"] == pytest.approx(2_050_000)
    # total cost difference vs the base case per kWh of cells: $2.05M over 4.5 GWh of cells (no discounting in tiny)
    assert k.loc["cost_difference_usd_per_kwh", "localize"] == pytest.approx(2_050_000 / 4.5e6)
    # dear capex: the parent's target still applies (extends localize); P2's modules cost twice as much
    assert cmp.runs["dear_capex"].solution.localization.query("group == 'AAM' and year == 2028")["share"].iloc[0] \
        == pytest.approx(0.5)
    assert cmp.build_units.loc["P3", "base"] == 0 and cmp.build_units.loc["P3", "localize"] == 1
    assert cmp.build_start.loc["P3", "localize"] == 2027
    assert set(cmp.supply_mix["case"]) == {"base", "localize", "dear_capex"}


def test_regret_diagonal_zero_off_diagonal_nonnegative(serial) -> None:  # noqa: ANN001
    reg = serial.regret
    assert reg is not None
    for c in reg.cost.index:
        assert reg.regret.loc[c, c] == pytest.approx(0, abs=1e-6)
    # each case's own (exact) plan is the cheapest plan under that case: no other plan beats it
    for b in reg.cost.columns:
        for a in reg.cost.index:
            assert reg.cost.loc[b, b] <= reg.cost.loc[a, b] * (1 + 1e-9), (a, b)
    # base's plan (no anode plant) under localize misses the 2028 target: 500 t x $50,000 penalty
    # instead of localize's $2.05M; its regret there is $25M + $98.56M - $100.61M = $22.95M
    assert reg.regret.loc["base", "localize"] == pytest.approx(22_950_000)
    assert reg.best_plan in ("localize", "dear_capex")


def test_regret_in_money_alone_says_that_penalties_drive_it(serial) -> None:  # noqa: ANN001
    reg = serial.regret
    # base's plan under localize: its $22.95M of regret is the $25M penalty for the missed target less the $2.05M
    # the anode plant costs: in money alone, base's plan is $2.05M cheaper under localize than localize's own plan
    assert reg.sunk.notna().all().all() and reg.penalties.notna().all().all()  # known for every evaluation
    assert reg.penalties.loc["base", "localize"] == pytest.approx(25_000_000)
    assert reg.penalties.loc["localize", "localize"] == pytest.approx(0)
    money = reg.cost_without_penalties
    assert money.loc["base", "localize"] == pytest.approx(98_560_000)
    assert reg.regret_without_penalties.loc["base", "localize"] == pytest.approx(0)
    assert reg.regret_without_penalties.loc["localize", "localize"] == pytest.approx(2_050_000)
    assert reg.max_regret_without_penalties.loc["base"] == pytest.approx(0)
    assert reg.best_plan_without_penalties == "base" != reg.best_plan
    assert reg.penalties_drive
    words = penalty_words(reg)
    assert words.startswith("Penalties drive this regret: counting money alone, the safest plan is the plan of case "
                            "'base'")


def test_regret_matrix_with_penalties_by_hand() -> None:
    # A's plan: 100 under A, 260 under B (50 of it penalties); B's plan: 200 under B, 130 under A.
    own = {"A": 100.0, "B": 200.0}
    reg = regret_matrix(own, {("A", "B"): 260.0, ("B", "A"): 130.0}, ["A", "B"],
                        penalties={("A", "A"): 0.0, ("B", "B"): 0.0, ("A", "B"): 50.0, ("B", "A"): 0.0})
    # regret A: (0, 60), B: (30, 0) -> B safest (30); in money A: (0, 10), B: (30, 0) -> A safest (10)
    assert reg.best_plan == "B" and reg.max_regret["B"] == pytest.approx(30)
    assert reg.best_plan_without_penalties == "A" and reg.max_regret_without_penalties["A"] == pytest.approx(10)
    assert reg.penalty_share_of_worst_regret == pytest.approx(0.0)  # B's worst regret (under A) is all money
    assert reg.penalties_drive  # the safest plan changes
    # B's plan under A now pays 60 of penalties: regret B (70, 0), A (0, 60) -> A safest (60); in money A (0, 10),
    # B (10, 0): a tie, the first (A). Penalties are 1 - 10/60 of A's worst regret: they drive it.
    reg = regret_matrix(own, {("A", "B"): 260.0, ("B", "A"): 170.0}, ["A", "B"],
                        penalties={("A", "A"): 0.0, ("B", "B"): 0.0, ("A", "B"): 50.0, ("B", "A"): 60.0})
    assert reg.best_plan == "A" == reg.best_plan_without_penalties
    assert reg.penalty_share_of_worst_regret == pytest.approx(1 - 10 / 60)
    assert reg.penalties_drive
    # without penalties anywhere: regret is money, nothing drives it
    reg = regret_matrix(own, {("A", "B"): 210.0, ("B", "A"): 130.0}, ["A", "B"],
                        penalties={k: 0.0 for k in (("A", "A"), ("B", "B"), ("A", "B"), ("B", "A"))})
    assert reg.penalty_share_of_worst_regret == pytest.approx(0.0) and not reg.penalties_drive
    assert penalty_words(reg).startswith("Counting money alone, the safest plan is the same")


def test_parallel_equals_serial(multi_case: Path, serial) -> None:  # noqa: ANN001
    """Two workers give the serial run's plans, and exactly its regret matrix: each plan evaluation dives from
    the basis of its case's own solve, whichever worker runs it and whatever that worker solved before."""
    par = run_comparison(multi_case, cases="base,localize,dear_capex", options=OPTS, jobs=2, regret=True)
    assert signature(par) == signature(serial)
    pd.testing.assert_frame_equal(par.regret.cost, serial.regret.cost, check_exact=True)


def test_workbooks_rendered_by_the_workers_are_the_callers(multi_case: Path, tmp_path: Path) -> None:
    """With `render`, each case's results workbook is rendered by the worker that solved it; written as it
    came, it reads back exactly as the workbook the caller renders of the same solution."""
    import pandas as pd

    from planner.export.results import read_results, results_bytes, write_results

    par = run_comparison(multi_case, cases="base,localize", options=OPTS, jobs=2, regret=True, render=results_bytes)
    for c in ("base", "localize"):
        run = par.runs[c]
        assert run.rendered is not None and run.rendered[:2] == b"PK"  # a zip: an .xlsx file
        theirs = read_results(write_results(run.solution, tmp_path / f"{c}-worker.xlsx", rendered=run.rendered))
        ours = read_results(write_results(run.solution, tmp_path / f"{c}-here.xlsx"))
        assert theirs.keys() == ours.keys()
        for name in ours:
            pd.testing.assert_frame_equal(theirs[name], ours[name], check_dtype=False)
    # without workers (jobs=1) nothing is rendered ahead: the caller renders each workbook when it writes it
    serial = run_comparison(multi_case, cases="base,localize", options=OPTS, jobs=1, render=results_bytes)
    assert all(r.rendered is None for r in serial.runs.values())


def test_dask_local_cluster_equals_serial(multi_case: Path, serial) -> None:  # noqa: ANN001
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        dsk = run_comparison(multi_case, cases="base,localize,dear_capex", options=OPTS,
                             scheduler=cl.scheduler_address)
    assert signature(dsk) == signature(serial)


def test_failing_case_reported_others_finish(multi_case: Path) -> None:
    events: list[tuple[str, str]] = []
    cmp = run_comparison(multi_case, cases="all", options=OPTS, jobs=2, hard_targets=True,
                         on_event=lambda k, s, d: events.append((k, s)))
    assert cmp.failed == ["unreachable"]
    assert "2027 AAM target needs" in cmp.runs["unreachable"].error
    assert set(cmp.solved) == {"base", "localize", "dear_capex"}
    assert ("unreachable", "failed") in events and ("base", "done") in events


def test_cli_compare_writes_comparison_and_case_workbooks(multi_case: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from planner.cli.app import app

    out = tmp_path / "cmp.xlsx"
    r = CliRunner().invoke(app, ["compare", str(multi_case), "--cases", "base,localize", "--regret", "--jobs", "1",
                                 "--preset", "exact", "-o", str(out)])
    text = " ".join(r.output.split())
    assert r.exit_code == 0, text
    assert out.exists()
    assert (tmp_path / "multi-base-results.xlsx").exists() and (tmp_path / "multi-localize-results.xlsx").exists()
    assert "Regret" in text and "Smallest worst-case regret: localize" in text
    assert "$98.6M" in text and "$100.6M" in text


def test_cost_per_kwh_only_between_cases_with_the_same_demand() -> None:
    from planner.compare.compare import _cost_per_kwh

    base = {"total_cost_usd": 100e6, "cell_output_gwh": 4.5, "cell_output_gwh_discounted": 4.0}
    same = {"total_cost_usd": 104e6, "cell_output_gwh": 4.5, "cell_output_gwh_discounted": 4.0}
    more = {"total_cost_usd": 300e6, "cell_output_gwh": 13.0, "cell_output_gwh_discounted": 11.0}
    assert _cost_per_kwh(same, base) == pytest.approx(4e6 / 4e6)  # $1 per discounted kWh
    assert _cost_per_kwh(more, base) is None


def test_the_comparison_as_csv_tables_with_regret_in_money_alone(serial, tmp_path: Path) -> None:  # noqa: ANN001
    import json

    from planner.export.tables import read_csv_table, write_comparison_tables, written_by_planner

    folder = write_comparison_tables(serial, tmp_path / "tables")
    assert written_by_planner(folder)
    prov = json.loads((folder / "provenance.json").read_text())
    assert "regret" in json.dumps(prov) and "kpis" in json.dumps(prov)
    reg = read_csv_table(folder / "regret.csv").set_index(["plan_of", "evaluated_under"])
    row = reg.loc[("base", "localize")]
    # the hand-derived figures of test_regret_in_money_alone_says_that_penalties_drive_it
    assert row["regret_usd"] == pytest.approx(22_950_000)
    assert row["penalties_usd"] == pytest.approx(25_000_000)
    assert row["cost_without_penalties_usd"] == pytest.approx(98_560_000)
    assert row["regret_without_penalties_usd"] == pytest.approx(0)
    assert reg.loc[("localize", "localize"), "regret_without_penalties_usd"] == pytest.approx(2_050_000)
    # one folder per case with every results table
    for case in serial.solved:
        sub = [p for p in folder.iterdir() if p.is_dir() and case in p.name]
        assert sub and (sub[0] / "builds.csv").exists(), case
