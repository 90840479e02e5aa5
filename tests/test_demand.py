"""Demand derivation: cell GWh x chemistry mix x intensity, with interpolation, and case scaling."""

from __future__ import annotations

import pytest

from helpers import instance_of
from planner.cases import apply_case
from planner.errors import InstanceError


def tables() -> dict:
    return {
        "settings": [{"parameter": "first_year", "value": 2025}, {"parameter": "last_year", "value": 2030}],
        "commodities": [{"commodity": "NMC811", "family": "CAM"}, {"commodity": "LFP", "family": "CAM"},
                        {"commodity": "SG", "family": "AAM"}],
        "regions": [{"region": "OH", "domestic": True}],
        "intensity": [
            {"chemistry": "NMC811", "commodity": "NMC811", "t_per_gwh": 1400},
            {"chemistry": "LFP", "commodity": "LFP", "t_per_gwh": 2100},
            # graphite intensity falls from 1000 (2025) to 900 (2030): 980 in 2026
            {"chemistry": "NMC811", "commodity": "SG", "year": 2025, "t_per_gwh": 1000},
            {"chemistry": "NMC811", "commodity": "SG", "year": 2030, "t_per_gwh": 900},
        ],
        "chemistry_mix": [
            {"segment": "EV", "year": 2025, "chemistry": "NMC811", "share": 1.0},
            {"segment": "EV", "year": 2030, "chemistry": "NMC811", "share": 0.5},
            {"segment": "EV", "year": 2030, "chemistry": "LFP", "share": 0.5},
        ],
        "cell_demand": [{"region": "OH", "year": y, "segment": "EV", "gwh": 10} for y in range(2025, 2031)]
        + [{"region": "OH", "year": 2026, "segment": "LFP", "gwh": 1}],
        "material_demand": [{"region": "OH", "year": 2026, "commodity": "SG", "tonnes": 5}],
        "projects": [{"project": "P", "site": "OH", "commodity": "NMC811", "status": "existing",
                      "capacity_per_unit": 1, "earliest_start": 2020}],
        "policy": [{"parameter": "demand_scale", "year": 2030, "base": 1.0, "high": 2.0}],
    }


def test_mix_and_intensity_interpolate() -> None:
    d = instance_of(tables()).base_demand
    # 2026: EV mix NMC811 0.9 / LFP 0.1 (linear from 2025 to 2030); plus 1 GWh of LFP directly
    assert d[("NMC811", "OH", 2026)] == pytest.approx(10 * 0.9 * 1400)
    assert d[("LFP", "OH", 2026)] == pytest.approx(10 * 0.1 * 2100 + 1 * 2100)
    assert d[("SG", "OH", 2026)] == pytest.approx(10 * 0.9 * 980 + 5)
    assert d[("SG", "OH", 2030)] == pytest.approx(10 * 0.5 * 900)


def test_demand_scale_by_case() -> None:
    inst = instance_of(tables())
    assert apply_case(inst, "high").demand[("LFP", "OH", 2030)] == pytest.approx(2 * 10 * 0.5 * 2100)
    assert apply_case(inst, "base").demand[("LFP", "OH", 2030)] == pytest.approx(10 * 0.5 * 2100)


def test_mix_must_sum_to_one_and_name_known_chemistries() -> None:
    t = tables()
    t["chemistry_mix"][1]["share"] = 0.6
    t["chemistry_mix"].append({"segment": "EV", "year": 2025, "chemistry": "NMC9", "share": 0.0})
    with pytest.raises(InstanceError) as e:
        instance_of(t)
    text = str(e.value)
    assert "sum to 1.1" in text and "chemistry 'NMC9' has no intensities" in text
