"""Test-suite hooks.

In CI (environment variable ``CI`` set to true, as .ci/run and the usual CI services do), the checks
that need an input from outside the repository must run: a skip of the OR-Library checks
(tests/test_orlib.py, benchmarks at PLANNER_ORLIB_DIR) or of the LibreOffice checks (workbooks opened
by ``soffice``) fails the run instead of passing silently. On a developer's machine they still skip,
with their reason in the summary (``-ra``).

A skip is recognised by its reason, which must name its input: the skip markers of those tests say
"OR-Library benchmarks not found at ..." and "LibreOffice (soffice) is not installed"
(tests/test_ci.py checks that every such marker still does).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

pytest_plugins = ["pytester"]

#: words in a skip reason that mark a check CI must run, with what CI must provide for it
REQUIRED_IN_CI = {
    "OR-Library": "the OR-Library benchmarks (set PLANNER_ORLIB_DIR to the folder holding optimal.csv)",
    "LibreOffice": "LibreOffice's soffice on PATH (Debian: apt-get install libreoffice-calc)",
    "mpi-sppy": "mpi-sppy, mpi4py and MPICH (pip install '.[test]' installs them, as '.[mpi]' does)",
}


def in_ci() -> bool:
    """Whether the tests run in CI (``CI`` is true, 1 or yes)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _skip_reason(rep: pytest.TestReport) -> str:
    longrepr: Any = rep.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr or "")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]):  # noqa: ANN201
    outcome = yield
    rep: pytest.TestReport = outcome.get_result()
    if not rep.skipped or hasattr(rep, "wasxfail") or not in_ci():
        return
    reason = _skip_reason(rep)
    for word, needed in REQUIRED_IN_CI.items():
        if word in reason:
            rep.outcome = "failed"
            rep.longrepr = (f"CI=true, yet this check was skipped ({reason}). In CI every check runs: "
                            f"provide {needed}.")
            return
