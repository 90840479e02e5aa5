"""OR-Library capacitated facility location (Beasley) instances as planner instance tables.

Mapping: one year, no discounting, lifetime 1 (so capex is charged once, in full); each
warehouse i is a candidate project in its own region with capacity cap_i and capex f_i; each
customer j is a demand region needing d_j t; the cost of serving all of j from i, c_ij, becomes a
transport cost of c_ij / d_j per tonne on the link i -> j. Demand may be split, as in the
published optima.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ORLIB_DIR = Path(os.environ.get("PLANNER_ORLIB_DIR", ROOT.parent / "shared" / "benchmarks" / "orlib-cap"))


def published_optima() -> dict[str, float]:
    with open(ORLIB_DIR / "optimal.csv", newline="") as fh:
        return {r["instance"]: float(r["optimal_value"]) for r in csv.DictReader(fh)}


def orlib_tables(name: str) -> dict[str, list[dict[str, Any]]]:
    tokens = (ORLIB_DIR / f"{name}.txt").read_text().split()
    pos = 0

    def nxt() -> str:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    m, n = int(nxt()), int(nxt())
    warehouses = [(float(nxt()), float(nxt())) for _ in range(m)]
    customers = []
    for _ in range(n):
        d = float(nxt())
        customers.append((d, [float(nxt()) for _ in range(m)]))
    year = 2030
    regions = [{"region": f"W{i + 1}", "domestic": True} for i in range(m)]
    regions += [{"region": f"C{j + 1}", "domestic": True} for j in range(n)]
    projects = [
        {"project": f"W{i + 1}", "site": f"W{i + 1}", "commodity": "X", "status": "candidate", "units_max": 1,
         "capacity_per_unit": cap, "capex_per_unit": fixed, "variable_cost": 0, "earliest_start": year,
         "construction_years": 0, "qualification_years": 0, "lifetime": 1}
        for i, (cap, fixed) in enumerate(warehouses)
    ]
    demand = [{"region": f"C{j + 1}", "year": year, "commodity": "X", "tonnes": d} for j, (d, _) in enumerate(customers)]
    transport = [
        {"from_region": f"W{i + 1}", "to_region": f"C{j + 1}", "commodity": "X", "cost_per_t": costs[i] / d,
         "both_ways": False}
        for j, (d, costs) in enumerate(customers) for i in range(m)
    ]
    return {
        "settings": [
            {"parameter": "title", "value": f"OR-Library {name}"},
            {"parameter": "first_year", "value": year},
            {"parameter": "last_year", "value": year},
            {"parameter": "discount_rate", "value": 0.0},
            {"parameter": "penalty_unmet_demand", "value": 1e6},
        ],
        "commodities": [{"commodity": "X", "family": "CAM"}],
        "regions": regions,
        "material_demand": demand,
        "projects": projects,
        "transport": transport,
    }
