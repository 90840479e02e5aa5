"""Solve-side reliability: unwritable outputs, badly scaled data, time limits, Ctrl-C."""

from __future__ import annotations

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
    fallback = Path(tempfile.gettempdir()) / "planner-results" / "plan.xlsx"
    assert r.exit_code == 1, text(r)
    assert "does not exist" in text(r) and str(fallback) in text(r)
    assert fallback.exists() and not target.exists()
    assert "Traceback" not in text(r)
    fallback.unlink()


def test_badly_scaled_data_is_warned_in_plain_words() -> None:
    t = tiny_tables()
    t["projects"][0]["capacity_per_unit"] = 1e-8  # 10 micrograms a year: surely a unit mistake
    t["projects"][0]["status"] = "candidate"
    t["projects"][0]["capex_per_unit"] = 1e11
    t["projects"][0]["earliest_start"] = 2026
    sol = solve_tables(t, "base", check=False)
    assert any("badly scaled" in m and "P1" in m for m in sol.messages), sol.messages
