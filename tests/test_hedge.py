"""The hedged plan (`planner hedge`): the scenarios sheet, the two-stage extensive form, its outputs."""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from factories import base, plant, policy
from helpers import assert_libreoffice_converts, instance_of
from planner.errors import InstanceError
from planner.export.hedge import write_hedge
from planner.export.instance_xlsx import write_instance
from planner.hedge import Hedge, run_hedge
from planner.run import solve_case
from planner.solve.presets import merge_options


def _two_cases() -> dict:
    t = base()
    t["projects"] = [plant()]
    t["policy"] = policy(low={"x45_rate": 0.0}, high={"x45_rate": 0.0})
    return t


# ---------------------------------------------------------------------------------- the scenarios sheet
def test_without_a_scenarios_sheet_every_case_is_equally_likely() -> None:
    inst = instance_of(_two_cases())
    assert [(s.name, s.case, s.probability) for s in inst.scenarios] == [("low", "low", 0.5), ("high", "high", 0.5)]


def test_scenarios_sheet_rows_name_cases_and_probabilities() -> None:
    t = _two_cases()
    t["scenarios"] = [{"scenario": "calm", "case": "LOW", "probability": 0.25},
                      {"scenario": "boom", "case": "high", "probability": 0.75, "note": "demand doubles"}]
    inst = instance_of(t)
    assert [(s.name, s.case, s.probability, s.row) for s in inst.scenarios] == [
        ("calm", "low", 0.25, 2), ("boom", "high", 0.75, 3)]
    assert inst.scenarios[1].note == "demand doubles"


def test_scenarios_sheet_errors_name_sheet_row_and_column() -> None:
    t = _two_cases()
    t["scenarios"] = [{"scenario": "calm", "case": "low", "probability": 0.25},
                      {"scenario": "boom", "case": "hihg", "probability": 0.5},
                      {"scenario": "odd", "case": "low", "probability": 1.5},
                      {"scenario": "calm", "case": "low", "probability": 0.0}]
    with pytest.raises(InstanceError) as exc:
        instance_of(t)
    found = {(i.sheet, i.row, i.column) for i in exc.value.issues if i.severity == "error"}
    words = " ".join(i.message for i in exc.value.issues)
    assert ("scenarios", 3, "B") in found and "unknown case 'hihg'" in words and "high" in words  # suggestion
    assert ("scenarios", 4, "C") in found  # probability above 1
    assert ("scenarios", 5, "A") in found  # a scenario named twice


def test_scenario_probabilities_must_sum_to_one() -> None:
    t = _two_cases()
    t["scenarios"] = [{"scenario": "calm", "case": "low", "probability": 0.3},
                      {"scenario": "boom", "case": "high", "probability": 0.5}]
    with pytest.raises(InstanceError) as exc:
        instance_of(t)
    (issue,) = [i for i in exc.value.issues if i.severity == "error"]
    assert (issue.sheet, issue.row, issue.column) == ("scenarios", 3, "C")
    assert "sum to 0.8, not 1" in issue.message


# ---------------------------------------------------------------------------------- the hedged plan
def _hedge_tables(p_high: float = 0.3) -> dict:
    """Two scenarios, years 2026-2028, discount rate 0, 100 t/yr of CAM1 in OH (see factories.base).

    * high: the import K1 costs $10,000/t; low: $500/t.
    * P: 100 t/yr, capex $300k ($100k per in-horizon year), $1,000/t. Q: 100 t/yr, capex $150k ($50k per
      year), $3,000/t. Either may start in 2026, 2027 or 2028 (a start pays capex only for its years in the
      horizon).

    Own optima: high builds P in 2026 (300k + 300 t x 1,000 = $600k; Q would cost 150k + 900k); low imports
    everything (300 t x 500 = $150k). With --commit-until 2026 the first stage is what starts in 2026:
    * nothing: high then builds P in 2027 (1.0M of imports in 2026 + 200k + 200k = $1.4M), low $150k;
    * P: high $600k; low 300k + 150k of imports (P idles: $1,000/t > $500/t) = $450k;
    * Q: high 150k + 300k (Q runs in 2026) + P from 2027 (200k + 200k) = $850k; low 150k + 150k = $300k.
    With P(high) = 0.3 the expected costs are 525k, 495k and 465k: the hedge builds Q, which neither
    scenario's own optimum builds, and defers P, which high's own optimum builds in 2026.
    """
    t = base()
    t["projects"] = [plant("P"), plant("Q", capex_per_unit=150_000, variable_cost=3_000)]
    t["policy"] = policy(high={"x45_rate": 0.0}, low={"x45_rate": 0.0})
    t["overrides"] = [{"case": "low", "sheet": "contracts", "filter": "contract=K1", "column": "price",
                       "operation": "set", "value": 500}]
    t["scenarios"] = [{"scenario": "high", "case": "high", "probability": p_high},
                      {"scenario": "low", "case": "low", "probability": 1 - p_high}]
    return t


def _write(tables: dict, folder: Path, name: str = "hedge.xlsx") -> Path:
    path = folder / name
    write_instance(tables, path)
    return path


def _hedge(path: Path, **kw: Any) -> Hedge:
    return run_hedge(path, options=merge_options("exact"), jobs=1, **kw)


def _cost(h: Hedge, plan: str, scenario: str) -> float:
    c = h.costs
    return float(c.loc[(c["plan"] == plan) & (c["scenario"] == scenario), "cost_usd"].iloc[0])


def test_hedge_builds_what_no_own_optimum_builds_and_defers_the_rest(tmp_path: Path) -> None:
    h = _hedge(_write(_hedge_tables(), tmp_path), commit_until=2026)
    own = h.scenarios.set_index("scenario")["own_cost_usd"]
    assert own["high"] == pytest.approx(600_000) and own["low"] == pytest.approx(150_000)
    assert _cost(h, "hedge", "high") == pytest.approx(850_000) and _cost(h, "hedge", "low") == pytest.approx(300_000)
    assert h.metrics["expected_cost_usd"] == pytest.approx(0.3 * 850_000 + 0.7 * 300_000)  # 465k
    # the single-case plans: their commitments held, the rest re-optimised
    assert _cost(h, "plan of high", "low") == pytest.approx(450_000)
    assert _cost(h, "plan of low", "high") == pytest.approx(1_400_000)
    plans = h.plans.set_index("plan")["expected_cost_usd"]
    assert plans["plan of high"] == pytest.approx(495_000) and plans["plan of low"] == pytest.approx(525_000)
    # EVPI = 465k - (0.3 x 600k + 0.7 x 150k); VSS against the most probable scenario's (low's) plan
    assert h.metrics["wait_and_see_usd"] == pytest.approx(285_000)
    assert h.metrics["evpi_usd"] == pytest.approx(180_000)
    assert h.metrics["ev_scenario"] == "low" and h.metrics["vss_usd"] == pytest.approx(60_000)
    assert h.metrics["worst_regret_usd"] == pytest.approx(250_000)  # high: 850k - 600k
    labels = {(r.decision, r.item): (r.label, r.year, r.units) for r in h.commitments.itertuples()}
    assert labels[("build", "Q")] == ("hedge", 2026, 1)
    assert labels[("build", "P")][0] == "wait"
    assert set(labels) == {("build", "Q"), ("build", "P")}
    rec = h.recourse
    assert rec[["scenario", "project", "start_year", "units"]].values.tolist() == [["high", "P", 2027, 1]]


def test_cvar_and_minimax_regret_objectives_by_hand(tmp_path: Path) -> None:
    path = _write(_hedge_tables(), tmp_path)
    # CVaR at 0.5: the worst half of the probability. P: (0.3 x 600k + 0.2 x 450k) / 0.5 = 540k; Q: (0.3 x 850k
    # + 0.2 x 300k) / 0.5 = 630k; nothing: (0.3 x 1.4M + 0.2 x 150k) / 0.5 = 900k. Expected + CVaR: P 1,035k,
    # Q 1,095k, nothing 1,425k: P is committed.
    h = _hedge(path, commit_until=2026, objective="cvar:0.5:1")
    assert h.metrics["objective_value_usd"] == pytest.approx(1_035_000)
    assert h.metrics["cvar_0.5_usd"] == pytest.approx(540_000)
    assert {(r.item, r.label) for r in h.commitments.itertuples()} == {("P", "hedge")}
    # worst regret: nothing 800k, P 300k, Q max(250k, 150k) = 250k
    h = _hedge(path, commit_until=2026, objective="minmax-regret")
    assert h.metrics["worst_regret_usd"] == pytest.approx(250_000)
    assert {(r.item, r.label) for r in h.commitments.itertuples()} == {("Q", "hedge"), ("P", "wait")}


def test_one_scenario_hedge_is_the_case_solved_alone(tmp_path: Path) -> None:
    t = _hedge_tables()
    path = _write(t, tmp_path)
    h = _hedge(path, scenarios="high")
    assert h.scenarios["probability"].tolist() == [1.0] and h.notes  # scaled from 0.3, and said so
    alone = solve_case(instance_of(t), "high", options=merge_options("exact"))
    assert h.metrics["expected_cost_usd"] == pytest.approx(alone.status["objective_usd"])
    assert h.metrics["evpi_usd"] == pytest.approx(0.0, abs=1e-3)


def test_commit_until_before_the_horizon_gives_each_own_optimum(tmp_path: Path) -> None:
    h = _hedge(_write(_hedge_tables(), tmp_path), commit_until=2025)
    assert h.metrics["expected_cost_usd"] == pytest.approx(0.3 * 600_000 + 0.7 * 150_000)
    assert h.metrics["evpi_usd"] == pytest.approx(0.0, abs=1e-3)
    assert h.commitments.empty and any("before the horizon" in n for n in h.notes)
    assert h.solve["integer_columns"] > 0 and "v_first_units" not in str(h.solve)


def _random_tables(seed: int) -> dict:
    rng = random.Random(seed)
    t = base()
    t["projects"] = [plant(f"P{i}", capacity_per_unit=rng.choice([50, 100, 150]),
                           capex_per_unit=rng.randrange(100_000, 600_000, 50_000),
                           variable_cost=rng.randrange(500, 4_000, 250), units_max=rng.choice([1, 2]))
                     for i in range(3)]
    cases = ["alpha", "beta", "gamma"]
    t["policy"] = policy(**{c: {"x45_rate": 0.0} for c in cases})
    t["overrides"] = [{"case": c, "sheet": "contracts", "filter": "contract=K1", "column": "price",
                       "operation": "set", "value": rng.randrange(500, 12_000, 500)} for c in cases[1:]]
    t["overrides"] += [{"case": "gamma", "sheet": "material_demand", "filter": "year>=2027", "column": "tonnes",
                        "operation": "scale", "value": rng.choice([0.5, 1.5, 2.0])}]
    w = [rng.random() + 0.1 for _ in cases]
    t["scenarios"] = [{"scenario": c, "case": c, "probability": round(x / sum(w), 6)} for c, x in zip(cases, w)]
    t["scenarios"][-1]["probability"] = round(1 - sum(s["probability"] for s in t["scenarios"][:-1]), 6)
    return t


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_hedge_properties_on_random_small_instances(tmp_path: Path, seed: int) -> None:
    h = _hedge(_write(_random_tables(seed), tmp_path), commit_until=2026)
    tol = 1e-6 * max(1.0, abs(h.metrics["expected_cost_usd"]))
    assert h.metrics["evpi_usd"] >= -tol
    assert h.metrics["vss_usd"] >= -tol
    for r in h.plans.itertuples():  # no single-case plan is cheaper on average than the hedge
        assert r.expected_cost_usd >= h.metrics["expected_cost_usd"] - tol, r.plan
    for r in h.scenarios.itertuples():  # nor is any scenario cheaper than its own optimum
        assert r.hedge_cost_usd >= r.own_cost_usd - tol
    assert (h.commitments["label"].isin(["no-regret", "hedge", "wait"])).all()


# ---------------------------------------------------------------------------------- command line and workbook
def test_cli_hedge_writes_the_workbook_and_prints_the_commitments(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from planner.cli.app import app

    path = _write(_hedge_tables(), tmp_path)
    out = tmp_path / "out.xlsx"
    r = CliRunner().invoke(app, ["hedge", str(path), "--commit-until", "2026", "-o", str(out), "-j", "1",
                                 "--preset", "exact"])
    said = " ".join(r.output.replace("│", " ").replace("┃", " ").split())
    assert r.exit_code == 0, said
    assert "hedge build Q 2026 1 none" in said and "wait build P" in said and "$0.5M" in said
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["summary", "commitments", "costs", "plans", "scenarios", "recourse", "run_info",
                             "chart_data"]
    assert len(wb["summary"]._charts) == 2
    texts = [str(c.value) for row in wb["run_info"].iter_rows() for c in row if c.value is not None]
    assert "hedge.xlsx" in " ".join(texts) and "2026" in texts
    # the workbook is the planner's: replaced without --force; other files need it; bad arguments exit 2
    again = CliRunner().invoke(app, ["hedge", str(path), "--commit-until", "2026", "-o", str(out), "-j", "1"])
    assert again.exit_code == 0, again.output
    other = tmp_path / "other.xlsx"
    other.write_bytes(b"not ours")
    for args in (["-o", str(other)], ["--objective", "cvar:2:1"], ["--scenarios", "nope"],
                 ["--commit-until", "2040"], ["-o", str(path)]):
        bad = CliRunner().invoke(app, ["hedge", str(path), *args])
        assert bad.exit_code == 2, (args, bad.output)
        assert "Traceback" not in bad.output


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_hedge_workbook_opens_in_libreoffice(tmp_path: Path) -> None:
    h = _hedge(_write(_hedge_tables(), tmp_path), commit_until=2026)
    out = write_hedge(h, tmp_path / "hedge-out.xlsx")
    assert_libreoffice_converts(out, tmp_path)


def test_ctrl_c_while_the_scenarios_solve_stops_everything_cleanly(tmp_path: Path) -> None:
    """Ctrl-C once the live table shows the scenarios solving: exit 130, no traceback, nothing written, no worker
    left (the study layer's stop, reused)."""
    from planner.datasets.synthetic import generate, size_preset
    from test_signals import _alive, _assert_stopped_cleanly, _children, _ctrl_c, _end, _start, _wait_for

    (tmp_path / "instance").mkdir()
    instance = generate(tmp_path / "instance" / "M.xlsx", **size_preset("M"))
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    p, master = _start(["hedge", str(instance), "-j", "2", "-o", "h.xlsx"], run_dir, terminal=True)
    assert master is not None
    children: list[str] = []
    alive: list[str] = []
    try:
        _wait_for(master, b"solving")
        children = _children(p.pid)
        _ctrl_c(p)
        try:
            p.wait(timeout=120)
        except Exception:  # noqa: BLE001 - _end below stops it and the assertions say what happened
            pass
        alive = _alive(children)
    finally:
        err = _end(p, master)
    assert children and not alive, (children, alive)
    _assert_stopped_cleanly(p, err, 130, run_dir)


# ---------------------------------------------------------------------------------- decomposition (mpi-sppy)
def _mpiexec() -> str | None:
    import importlib.util
    import sys

    if importlib.util.find_spec("mpi4py") is None or importlib.util.find_spec("mpisppy") is None:
        return None
    near = Path(sys.executable).parent / "mpiexec"  # the mpich wheel's, in the environment's bin
    return str(near) if near.exists() else shutil.which("mpiexec")


_DECOMPOSE = """
import json, sys
from mpi4py import MPI
from planner.cases import load_instance
from planner.hedge.decompose import run_decomposed
path, out = sys.argv[1], sys.argv[2]
d = run_decomposed(path, list(load_instance(path).scenarios), 2026, max_iterations=10)
if MPI.COMM_WORLD.rank == 0:
    first = {var: [[list(k) if isinstance(k, tuple) else k, x] for k, x in vals.items()] for var, vals in d.first_stage.items()}
    json.dump({"inner": d.inner_bound_usd, "outer": d.outer_bound_usd, "gap": d.gap, "first": first, "ranks": d.ranks}, open(out, "w"))
"""


@pytest.mark.skipif(_mpiexec() is None, reason="mpi4py and mpi-sppy are not installed (pip install '.[mpi]')")
def test_decomposed_hedge_on_two_ranks_agrees_with_the_extensive_form_within_its_gap(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    path = _write(_hedge_tables(), tmp_path)
    script, out = tmp_path / "decompose.py", tmp_path / "decomposed.json"
    script.write_text(_DECOMPOSE, encoding="utf-8")
    proc = subprocess.run([_mpiexec(), "-n", "2", sys.executable, str(script), str(path), str(out)],  # type: ignore[list-item]
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    d = json.loads(out.read_text(encoding="utf-8"))
    ef = _hedge(path, commit_until=2026).metrics["expected_cost_usd"]  # 465k, by hand above
    tol = 1e-6 * ef
    assert d["ranks"] == 2
    assert d["outer"] <= ef + tol <= d["inner"] + 2 * tol  # the extensive form's optimum lies between the bounds
    assert d["inner"] - d["outer"] <= d["gap"] * abs(d["inner"]) + tol  # ... within the reported gap
    # with two ranks the lower bound is PH's trivial bound: the expected cost with perfect foresight
    assert d["outer"] == pytest.approx(0.3 * 600_000 + 0.7 * 150_000)
    # the inner bound is the exact expected cost of the first stage it reports (by hand above: nothing 525k, P 495k,
    # Q 465k). Which candidates mpi-sppy's xhat spoke has evaluated when the hub stops depends on how fast each rank
    # ran (the spoke works asynchronously): on a loaded machine it may stop at P's 495k, still within the gap
    first = dict(((k[0], k[1]), x) for k, x in d["first"]["v_units"])
    assert set(first) == {("P", 2026), ("Q", 2026)} and all(x in (0.0, 1.0) for x in first.values())
    by_hand = {(0.0, 0.0): 525_000, (1.0, 0.0): 495_000, (0.0, 1.0): 465_000}
    assert (first[("P", 2026)], first[("Q", 2026)]) in by_hand
    assert d["inner"] == pytest.approx(by_hand[(first[("P", 2026)], first[("Q", 2026)])])


def test_decompose_outside_mpi_is_a_usage_error(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from planner.cli.app import app

    r = CliRunner().invoke(app, ["hedge", str(_write(_hedge_tables(), tmp_path)), "--decompose"])
    assert r.exit_code == 2, r.output
    assert "mpiexec" in r.output and "Traceback" not in r.output


def test_an_early_retirement_is_a_commitment_each_plan_keeps(tmp_path: Path) -> None:
    # tests/test_operations.py's existing plant E: fixed O&M $200k/yr, no demand in 2028; kept: 3 x $200k + 200 t x
    # $1,000 = $800k; retired from 2028 at a $50k fee: $400k + $200k + $50k = $650k. With the retirement in the first
    # stage (commit until 2028), each scenario's plan holds it: under the other scenario it costs $650k too (a plan
    # that forgot the retirement would cost $800k).
    t = base()
    t["material_demand"] = [{"region": "OH", "year": y, "commodity": "CAM1", "tonnes": 100} for y in (2026, 2027)]
    t["projects"] = [plant("E", status="existing", earliest_start=2020, capex_per_unit=0, lifetime=20,
                           fixed_om_per_unit=200_000, early_retirement=True, retirement_cost=50_000)]
    t["policy"] = policy(a={"x45_rate": 0.0}, b={"x45_rate": 0.0})  # two scenarios, the same world
    h = _hedge(_write(t, tmp_path), commit_until=2028)
    assert h.metrics["expected_cost_usd"] == pytest.approx(650_000)
    for plan in ("a", "b"):  # each plan's commitments under the other scenario: the retirement held
        for scenario in ("a", "b"):
            assert _cost(h, f"plan of {plan}", scenario) == pytest.approx(650_000), (plan, scenario)


@pytest.mark.parametrize("extra, said", [(["--objective", "minmax-regret"], "expected cost only"),
                                         (["-o", "h.xlsx"], "writes no workbook")])
def test_decompose_refuses_options_it_would_ignore(tmp_path: Path, extra: list[str], said: str) -> None:
    from typer.testing import CliRunner

    from planner.cli.app import app

    r = CliRunner().invoke(app, ["hedge", str(_write(_hedge_tables(), tmp_path)), "--decompose", *extra])
    assert r.exit_code == 2 and said in " ".join(r.output.split()), r.output
