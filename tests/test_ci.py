"""CI never passes with its external checks skipped: with CI=true a skip of the OR-Library or LibreOffice
checks fails the run (tests/conftest.py); without CI they skip as before."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

GENERATED = '''
import shutil

import pytest

from test_orlib import pytestmark as orlib_mark  # the real marker: skips when PLANNER_ORLIB_DIR lacks optimal.csv


@orlib_mark
def test_needs_orlib():
    pass


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_needs_soffice():
    pass


@pytest.mark.skipif(True, reason="some other optional thing")
def test_other_skip():
    pass


def test_plain():
    pass
'''


def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *, ci: str | None) -> pytest.RunResult:
    pytester.makeconftest((TESTS / "conftest.py").read_text(encoding="utf-8"))
    pytester.makepyfile(test_generated=GENERATED)
    monkeypatch.setenv("PLANNER_ORLIB_DIR", str(pytester.path / "no-orlib-here"))
    monkeypatch.setenv("PYTHONPATH", str(TESTS))
    monkeypatch.setenv("PATH", str(pytester.mkdir("empty-bin")))  # no soffice (pytest runs by full path)
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-ra")


def test_in_ci_a_missing_orlib_dir_or_soffice_fails_the_run(pytester: pytest.Pytester,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(pytester, monkeypatch, ci="true")
    assert result.ret != 0
    # skip markers act at setup, so pytest reports the two as errors; the unrelated skip stays a skip
    result.assert_outcomes(passed=1, skipped=1, errors=2)
    out = result.stdout.str()
    assert "CI=true, yet this check was skipped (OR-Library benchmarks not found at" in out
    assert "set PLANNER_ORLIB_DIR" in out
    assert "CI=true, yet this check was skipped (LibreOffice (soffice) is not installed)" in out


def test_outside_ci_they_skip(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(pytester, monkeypatch, ci=None)
    assert result.ret == 0
    result.assert_outcomes(passed=1, skipped=3)


def test_every_external_skip_marker_names_its_input() -> None:
    # the hook recognises these skips by their reason: a marker whose condition needs soffice or the
    # OR-Library folder must keep naming it
    needs = {"soffice": "LibreOffice", "ORLIB_DIR": "OR-Library"}
    found = 0
    for path in TESTS.glob("test_*.py"):
        if path.name == "test_ci.py":
            continue
        for m in re.finditer(r"skipif\((.*?)reason=(f?\"[^\"]*\")", path.read_text(encoding="utf-8"), flags=re.S):
            cond, reason = m.groups()
            for key, word in needs.items():
                if key in cond:
                    found += 1
                    assert word in reason, f"{path.name}: the skip reason {reason} must name {word}"
    assert found >= 4  # test_orlib.py and the three LibreOffice checks
