"""Data flows one way: the layers below are checked by importing them in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _imported_packages(module: str) -> set[str]:
    code = f"import sys, {module}; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


@pytest.mark.parametrize("module", [
    "planner.compare.compare", "planner.compare.session", "planner.compare.runner",  # works on Solutions
    "planner.results.solution",
    "planner.export.results", "planner.export.comparison", "planner.export.explanation",
])
def test_comparison_results_and_export_never_import_pyomo(module: str) -> None:
    assert "pyomo" not in _imported_packages(module)


def test_model_never_reads_excel() -> None:
    loaded = _imported_packages("planner.model.build")
    assert "pyomo" in loaded  # the check can fail: the model does import Pyomo
    assert "openpyxl" not in loaded
