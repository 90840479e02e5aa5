"""The command line as a planner uses it: real workbooks, real solves, exit codes, no tracebacks."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from factories import tiny_tables
from planner import resources
from planner.cli.app import app
from planner.export.instance_xlsx import write_instance

runner = CliRunner()
TINY = resources.data_dir("instances") / "tiny.xlsx"


def run(*args: str, cwd: Path | None = None) -> Any:
    if cwd is None:
        return runner.invoke(app, list(args))
    with runner.isolated_filesystem(temp_dir=cwd):
        return runner.invoke(app, list(args))


def text(result: Any) -> str:
    """Everything printed (stdout and stderr), with rich's line wrapping undone."""
    return " ".join(result.output.split())


def test_solve_tiny_prints_summary_and_writes_workbook(tmp_path: Path) -> None:
    out = tmp_path / "tiny-results.xlsx"
    r = run("solve", str(TINY), "--case", "localize", "-o", str(out))
    assert r.exit_code == 0, text(r)
    t = text(r)
    assert "optimal" in t and "New plants (2 projects, 3 units" in t and "$100.6M" in t
    assert "AAM" in t and "50.0% (50.0%)" in t  # localization share vs target
    wb = openpyxl.load_workbook(out)
    assert {"summary", "run_info", "builds"} <= set(wb.sheetnames)


def test_solve_without_argument_uses_bundled_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["solve", "-q"])
    assert r.exit_code == 0, text(r)
    written = list(tmp_path.glob("*-results.xlsx"))
    assert len(written) == 1
    assert written[0].name.startswith(resources.default_instance().stem)


def test_validate_info_template(tmp_path: Path) -> None:
    r = run("validate", str(TINY))
    assert r.exit_code == 0 and "no errors" in text(r)
    r = run("info", str(TINY))
    assert r.exit_code == 0 and "2026–2028" in text(r) and "localize" in text(r)
    tpl = tmp_path / "template.xlsx"
    r = run("template", str(tpl))
    assert r.exit_code == 0 and tpl.exists()
    r = run("validate", str(tpl))
    assert r.exit_code == 0, text(r)
    r = run("template", str(tpl))
    assert r.exit_code == 2 and "--force" in text(r)


def test_unknown_case_and_preset_are_usage_errors(tmp_path: Path) -> None:
    r = run("solve", str(TINY), "--case", "locallize", "-o", str(tmp_path / "x.xlsx"))
    assert r.exit_code == 2 and "Did you mean 'localize'" in text(r)
    r = run("solve", str(TINY), "--preset", "turbo", "-o", str(tmp_path / "x.xlsx"))
    assert r.exit_code == 2 and "unknown solver preset" in text(r)
    assert not (tmp_path / "x.xlsx").exists()


def test_output_never_overwrites_input(tmp_path: Path) -> None:
    copy = tmp_path / "tiny.xlsx"
    shutil.copy(TINY, copy)
    before = copy.read_bytes()
    r = run("solve", str(copy), "-o", str(copy))
    assert r.exit_code != 0 and "overwrite" in text(r)
    assert copy.read_bytes() == before


@pytest.mark.parametrize("case", ["localize", "base"])  # base: one single target (a one-variable objective)
def test_hard_targets_infeasible_explained(tmp_path: Path, case: str) -> None:
    t = tiny_tables()
    # a 100% AAM target in 2027: the only domestic anode plant cannot be qualified before 2027 ends
    t["policy"].append({"parameter": "localization_target", "year": 2027, "commodity": "AAM", "base": 1.0,
                        "localize": 1.0})
    path = write_instance(t, tmp_path / "hard.xlsx")
    out = tmp_path / "hard-out.xlsx"
    r = run("solve", str(path), "--case", case, "--hard-targets", "-o", str(out))
    assert r.exit_code == 3, text(r)
    assert "2027 AAM target needs 750 t" in text(r) and "cannot all be met" in text(r)
    assert "Traceback" not in text(r)
    assert not out.exists()


def _corrupt(tmp_path: Path, how: str) -> Path:
    t = tiny_tables()
    if how == "missing sheet":
        del t["projects"]
    elif how == "missing column":
        pass
    elif how == "wrong type":
        t["projects"][1]["capacity_per_unit"] = "six hundred"
    elif how == "unknown reference":
        t["projects"][2]["site"] = "Ohio"
    elif how == "duplicate id":
        t["projects"][2]["project"] = "P2"
    elif how == "negative capacity":
        t["projects"][0]["capacity_per_unit"] = -1200
    elif how == "share outside 0-1":
        t["policy"][0]["base"] = 1.5
    path = tmp_path / f"bad-{how.replace(' ', '_')}.xlsx"
    write_instance(t, path)
    if how in ("missing sheet", "missing column"):  # write_instance writes every sheet and column
        wb = openpyxl.load_workbook(path)
        if how == "missing sheet":
            del wb["projects"]
        else:
            ws = wb["projects"]
            col = next(c.column for c in ws[1] if str(c.value).startswith("capacity_per_unit"))
            ws.delete_cols(col)
        wb.save(path)
    return path


@pytest.mark.parametrize("how, expect", [
    ("missing sheet", ["required sheet 'projects' is missing"]),
    ("missing column", ["projects", "row 1", "capacity_per_unit", "missing"]),
    ("wrong type", ["projects", "row 3", "capacity_per_unit", "must be a number", "six hundred"]),
    ("unknown reference", ["projects", "row 4", "site", "unknown region 'Ohio'", "did you mean 'OH'"]),
    ("duplicate id", ["projects", "row 4", "duplicate", "P2"]),
    ("negative capacity", ["projects", "row 2", "capacity_per_unit", "greater than 0"]),
    ("share outside 0-1", ["policy", "row 2", "base", "between 0 and 1"]),
])
def test_bad_input_is_reported_in_plain_words(tmp_path: Path, how: str, expect: list[str]) -> None:
    path = _corrupt(tmp_path, how)
    before = path.read_bytes()
    out = tmp_path / "out.xlsx"
    for command in (["validate", str(path)], ["solve", str(path), "-o", str(out)]):
        r = run(*command)
        t = text(r)
        assert r.exit_code == 1, t
        assert "Traceback" not in t
        for piece in expect:
            assert piece in t, f"{piece!r} not in: {t}"
    assert not out.exists()
    assert path.read_bytes() == before


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    t = tiny_tables()
    t["projects"][0]["capacity_per_unit"] = -5
    t["projects"][1]["site"] = "Nowhere"
    t["contracts"][0]["price"] = "cheap"
    t["regions"].append({"region": "OH", "name": "again"})
    path = write_instance(t, tmp_path / "many.xlsx")
    r = run("validate", str(path))
    assert r.exit_code == 1
    assert "4 errors" in text(r)


def test_not_a_workbook(tmp_path: Path) -> None:
    p = tmp_path / "notes.xlsx"
    p.write_text("hello")
    r = run("validate", str(p))
    assert r.exit_code == 1 and "not an Excel workbook" in text(r)
    r = run("validate", str(tmp_path / "missing.xlsx"))
    assert r.exit_code == 1 and "file not found" in text(r)
