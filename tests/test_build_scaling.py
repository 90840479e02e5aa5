"""A guard against quadratic model construction (not a timing benchmark: `planner bench` measures).

Building and compiling a model four times larger may take at most about four times as long; the
margin is generous (x2.5 on the time per variable) so that a noisy machine does not fail it, while
an accidental dense loop (time per variable growing with size) does.
"""

from __future__ import annotations

import time

from planner.cases import apply_case
from planner.datasets.synthetic import generate_tables
from planner.cases import validate
from planner.io.reader import workbook_from_tables
from planner.model.build import build_model
from planner.solve.highs import compile_model


def _seconds_per_variable(scale: int) -> tuple[float, int]:
    tables = generate_tables(projects=40 * scale, regions=6 * scale, years=11, commodities=6, contracts=12, seed=3)
    ci = apply_case(validate(workbook_from_tables(tables)), None)
    _ = ci.sets
    best = float("inf")
    n = 0
    for _rep in range(2):  # best of two: a guard, not a measurement
        t = time.perf_counter()
        cm = compile_model(build_model(ci))
        best = min(best, time.perf_counter() - t)
        n = len(cm.cols)
    return best / n, n


def test_build_time_grows_linearly() -> None:
    _seconds_per_variable(1)  # warm up imports and caches
    small, n_small = _seconds_per_variable(1)
    large, n_large = _seconds_per_variable(4)
    assert n_large > 3 * n_small
    assert large <= 2.5 * small, f"{1e6 * small:.1f} µs/var at {n_small} variables, {1e6 * large:.1f} at {n_large}"
