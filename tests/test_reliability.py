"""Solve-side reliability: unwritable outputs, badly scaled data, time limits, Ctrl-C."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from typer.testing import CliRunner

from factories import tiny_tables
from helpers import solve_tables
from planner import resources
from planner.cli.app import app

TINY = resources.data_dir("instances") / "tiny.xlsx"


def text(result) -> str:  # noqa: ANN001
    return " ".join(result.output.split())


def test_unwritable_output_is_saved_elsewhere_and_said(tmp_path: Path) -> None:
    target = tmp_path / "no-such-folder" / "plan.xlsx"
    r = CliRunner().invoke(app, ["solve", str(TINY), "-o", str(target)])
    assert r.exit_code == 4, text(r)
    said = re.search(r"saved to (\S+plan\.xlsx) instead", text(r))
    assert "does not exist" in text(r) and said, text(r)
    fallback = Path(said.group(1))
    assert fallback.exists() and not target.exists()
    assert fallback.parent.name.startswith("planner-results-") and Path(tempfile.gettempdir()) in fallback.parents
    assert "Traceback" not in text(r)
    fallback.unlink()
    fallback.parent.rmdir()


def test_outputs_checked_before_solving(tmp_path: Path) -> None:
    for command in ("solve", "explain", "compare"):
        r = CliRunner().invoke(app, [command, str(TINY), "-o", str(tmp_path / "out.csv")])
        assert r.exit_code == 2 and "must be an .xlsx workbook" in text(r), (command, text(r))
    copy = tmp_path / "tiny.xlsx"
    copy.write_bytes(TINY.read_bytes())
    r = CliRunner().invoke(app, ["explain", str(copy), "-o", str(copy)])
    assert r.exit_code == 2 and "overwrite the input" in text(r)


def test_badly_scaled_data_is_warned_in_plain_words() -> None:
    t = tiny_tables()
    t["projects"][0]["capacity_per_unit"] = 1e-8  # 10 micrograms a year: surely a unit mistake
    t["projects"][0]["status"] = "candidate"
    t["projects"][0]["capex_per_unit"] = 1e11
    t["projects"][0]["earliest_start"] = 2026
    sol = solve_tables(t, "base", check=False)
    assert any("badly scaled" in m and "P1" in m for m in sol.messages), sol.messages


# ---------------------------------------------------------------- time limits and Ctrl-C on a hard case
import os
import signal
import subprocess
import sys
import time

import openpyxl
import pytest

from planner.datasets.synthetic import generate, size_preset

HARD_CASE = "strict_localization"  # the synthetic M's hard MILP: minutes with the default preset


@pytest.fixture(scope="module")
def hard(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("hard") / "m.xlsx", **{**size_preset("M"), "seed": 1})


def test_time_limit_returns_the_best_plan_marked_not_proven(hard: Path, tmp_path: Path) -> None:
    out = tmp_path / "limited.xlsx"
    r = CliRunner().invoke(app, ["solve", str(hard), "--case", HARD_CASE, "--time-limit", "3", "-o", str(out)])
    t = text(r)
    assert r.exit_code == 0, t
    assert "feasible, not proven optimal (gap" in t and "time limit reached" in t
    wb = openpyxl.load_workbook(out)
    for name in ("builds", "supply", "costs"):
        assert "not proven optimal" in str(wb[name]["A1"].value), name  # every sheet's header line


def test_time_limit_without_a_plan_exits_3_and_writes_nothing(hard: Path, tmp_path: Path) -> None:
    out = tmp_path / "none.xlsx"
    r = CliRunner().invoke(app, ["solve", str(hard), "--case", HARD_CASE, "--time-limit", "0.001", "-o", str(out)])
    assert r.exit_code == 3, text(r)
    assert "no plan" in text(r) and "--time-limit" in text(r)
    assert not out.exists()


def _interrupt(hard: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "planner", "solve", str(hard), "--case", HARD_CASE, "-o", str(out), *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "COLUMNS": "200"})
    time.sleep(8)  # imports, reading and building take a few seconds; then HiGHS runs for minutes
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


def test_ctrl_c_stops_cleanly_and_writes_nothing(hard: Path, tmp_path: Path) -> None:
    out = tmp_path / "stopped.xlsx"
    r = _interrupt(hard, out)
    assert r.returncode == 130, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    assert "interrupted" in r.stderr and not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no temporary or half-written file


def test_ctrl_c_keep_incumbent_writes_the_best_plan(hard: Path, tmp_path: Path) -> None:
    out = tmp_path / "kept.xlsx"
    r = _interrupt(hard, out, "--keep-incumbent")
    assert r.returncode == 130, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    assert out.exists(), r.stdout + r.stderr
    wb = openpyxl.load_workbook(out)
    head = " ".join(str(c.value) for row in wb["summary"].iter_rows(max_row=6) for c in row if c.value)
    assert "not proven optimal" in head and "interrupted" in head
    assert "interrupted" in str(wb["builds"]["A1"].value)
