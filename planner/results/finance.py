"""A project's NPV and IRR from its yearly cash flows (standard library only).

Cash flows are money of each year, one per year; `npv` discounts them to a chosen year, so a flow
in that year counts in full and a flow k years later is divided by (1 + rate)^k. `irr` is the rate
at which the NPV is zero, found by bisection where the NPV changes sign exactly once between -99%
and +1000% a year; None where it does not (flows all of one sign, or more than one root).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

IRR_LOW, IRR_HIGH = -0.99, 10.0


def npv(flows: Mapping[int, float], rate: float, at: int) -> float:
    """Sum of flow_y / (1 + rate)^(y - at)."""
    return float(sum(v / (1.0 + rate) ** (y - at) for y, v in flows.items()))


def irr(flows: Mapping[int, float], at: int | None = None) -> float | None:
    """The internal rate of return, or None when it is not unique or does not exist."""
    values = [v for v in flows.values() if abs(v) > 1e-9]
    if not values or all(v > 0 for v in values) or all(v < 0 for v in values):
        return None
    at = min(flows) if at is None else at
    grid = [IRR_LOW + (IRR_HIGH - IRR_LOW) * k / 400 for k in range(401)]
    vals = [npv(flows, r, at) for r in grid]
    roots = [(grid[k], grid[k + 1]) for k in range(400) if vals[k] == 0 or (vals[k] < 0) != (vals[k + 1] < 0)]
    if len(roots) != 1:
        return None
    lo, hi = roots[0]
    f_lo = npv(flows, lo, at)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        f_mid = npv(flows, mid, at)
        if f_mid == 0 or hi - lo < 1e-12:
            return mid
        if (f_mid < 0) == (f_lo < 0):
            lo, f_lo = mid, f_mid
        else:
            hi = mid
    result = 0.5 * (lo + hi)
    return result if math.isfinite(result) else None
