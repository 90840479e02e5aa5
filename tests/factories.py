"""Tiny instances as Python tables, readable and diff-able; the hand-derived optima are in tests."""

from __future__ import annotations

import copy
from typing import Any

Tables = dict[str, list[dict[str, Any]]]


def base(**settings: Any) -> Tables:
    """The common base of the family tests (tests/test_families.py): years 2026-2028, discount rate 0,
    one demand region OH (domestic) needing 100 t/yr of CAM1, and a backstop import contract K1 from
    Asia (neither FTA nor FEOC) at $10,000/t with free freight: doing nothing costs $3.0M."""
    st = {"title": "family test", "first_year": 2026, "last_year": 2028, "discount_rate": 0.0,
          "penalty_unmet_demand": 1_000_000, "penalty_localization": 50_000}
    st.update(settings)
    return {
        "settings": [{"parameter": k, "value": v} for k, v in st.items()],
        "commodities": [{"commodity": "CAM1", "family": "CAM"}],
        "regions": [
            {"region": "OH", "domestic": True},
            {"region": "Asia"},
        ],
        "material_demand": [{"region": "OH", "year": y, "commodity": "CAM1", "tonnes": 100} for y in (2026, 2027, 2028)],
        "projects": [],
        "contracts": [{"contract": "K1", "origin": "Asia", "commodity": "CAM1", "price": 10_000}],
        "transport": [{"from_region": "Asia", "to_region": "OH", "cost_per_t": 0, "both_ways": False}],
    }


def plant(pid: str = "P", **kw: Any) -> dict[str, Any]:
    """A "standard" candidate plant: 100 t/yr, capex $300k, 3-year life ($100k/yr at r = 0), $1,000/t."""
    p = {"project": pid, "site": "OH", "commodity": "CAM1", "status": "candidate", "units_max": 1,
         "capacity_per_unit": 100, "capex_per_unit": 300_000, "variable_cost": 1_000, "earliest_start": 2026,
         "construction_years": 0, "qualification_years": 0, "lifetime": 3}
    p.update(kw)
    return p


def policy(**cases: dict[str, Any]) -> list[dict[str, Any]]:
    """Policy rows from {case: {parameter: value}}; a (parameter, year) key may be given as 'param@year'."""
    rows: dict[tuple[str, Any, Any, Any], dict[str, Any]] = {}
    for case, params in cases.items():
        for key, value in params.items():
            name, _, year = key.partition("@")
            name, _, com = name.partition(":")
            k = (name, int(year) if year else None, None, com or None)
            rows.setdefault(k, {"parameter": name, "year": k[1], "commodity": k[3]})[case] = value
    return list(rows.values())


def tiny_tables() -> Tables:
    """The content of instances/tiny.xlsx (see tests/test_tiny.py for its optimum by hand)."""
    return copy.deepcopy(_TINY)


_TINY: Tables = {
    "settings": [
        {"parameter": "title", "value": "Tiny example"},
        {"parameter": "first_year", "value": 2026},
        {"parameter": "last_year", "value": 2028},
        {"parameter": "base_year", "value": 2026},
        {"parameter": "discount_rate", "value": 0.0},
        {"parameter": "currency", "value": "USD"},
        {"parameter": "penalty_unmet_demand", "value": 250000},
        {"parameter": "penalty_localization", "value": 50000},
    ],
    "commodities": [
        {"commodity": "NMC811", "family": "CAM", "name": "NMC811 cathode"},
        {"commodity": "SG", "family": "AAM", "name": "Synthetic graphite anode"},
    ],
    "regions": [
        {"region": "OH", "name": "Ohio cell cluster", "domestic": True, "fta": False, "feoc": False},
        {"region": "China", "name": "China", "domestic": False, "fta": False, "feoc": True},
    ],
    "intensity": [
        {"chemistry": "NMC811", "commodity": "NMC811", "t_per_gwh": 1000},
        {"chemistry": "NMC811", "commodity": "SG", "t_per_gwh": 500},
    ],
    "cell_demand": [
        {"region": "OH", "year": 2026, "segment": "NMC811", "gwh": 1.0},
        {"region": "OH", "year": 2027, "segment": "NMC811", "gwh": 1.5},
        {"region": "OH", "year": 2028, "segment": "NMC811", "gwh": 2.0},
    ],
    "projects": [
        {"project": "P1", "name": "Existing cathode plant", "site": "OH", "commodity": "NMC811",
         "status": "existing", "units_max": 1, "capacity_per_unit": 1200, "capex_per_unit": 0,
         "fixed_om_per_unit": 0, "variable_cost": 20000, "earliest_start": 2020, "construction_years": 0,
         "qualification_years": 0, "lifetime": 20, "eligible_45x": False},
        {"project": "P2", "name": "Modular cathode plant", "site": "OH", "commodity": "NMC811",
         "status": "candidate", "units_max": 2, "capacity_per_unit": 600, "capex_per_unit": 6_000_000,
         "fixed_om_per_unit": 0, "variable_cost": 16000, "earliest_start": 2026, "construction_years": 1,
         "qualification_years": 0, "lifetime": 6, "eligible_45x": True},
        {"project": "P3", "name": "Graphite anode plant", "site": "OH", "commodity": "SG",
         "status": "candidate", "units_max": 1, "capacity_per_unit": 1000, "capex_per_unit": 3_000_000,
         "fixed_om_per_unit": 0, "variable_cost": 9000, "earliest_start": 2026, "construction_years": 0,
         "qualification_years": 1, "ramp_up": "0.5", "lifetime": 3, "eligible_45x": True},
    ],
    "contracts": [
        {"contract": "K1", "origin": "China", "commodity": "SG", "price": 6000, "escalation": 0.0,
         "min_take": 0, "signing_fee": 0},
    ],
    "transport": [
        {"from_region": "China", "to_region": "OH", "cost_per_t": 500, "both_ways": False},
    ],
    "policy": [
        {"parameter": "x45_rate", "unit": "0-1", "base": 0.10, "localize": 0.10},
        {"parameter": "tariff", "region": "China", "unit": "0-1", "base": 0.25, "localize": 0.25},
        {"parameter": "localization_target", "year": 2028, "commodity": "AAM", "unit": "0-1", "base": None,
         "localize": 0.5},
    ],
    "sources": [
        {"item": "all figures", "value": "", "tag": "E",
         "source": "invented for a hand-checkable example", "note": "see tests/test_tiny.py"},
    ],
}
