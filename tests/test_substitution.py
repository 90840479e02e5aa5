"""Substitution groups in demand (sheet `substitution`), each optimum derived by hand.

Common base (tests/factories.py `base`): years 2026-2028, r = 0, OH needs 100 t/yr of CAM1, the import K1
from Asia costs $10,000/t with free freight (doing nothing: $3.0M). A second cathode CAM2 is imported by K2
from Asia (free freight) at a price each test sets.
"""

from __future__ import annotations

from typing import Any

import pytest

from factories import base
from helpers import cost, instance_of, solve_tables
from planner.errors import InstanceError

Tables = dict[str, list[dict[str, Any]]]


def _with_cam2(price: float, demand: float = 0.0) -> Tables:
    t = base()
    t["commodities"].append({"commodity": "CAM2", "family": "CAM"})
    t["contracts"].append({"contract": "K2", "origin": "Asia", "commodity": "CAM2", "price": price})
    if demand:
        t["material_demand"] += [{"region": "OH", "year": y, "commodity": "CAM2", "tonnes": demand}
                                 for y in (2026, 2027, 2028)]
    return t


def _member(c: str, lo: float = 0.0, hi: float = 1.0, ratio: float = 1.0, **kw: Any) -> dict[str, Any]:
    return {"group": "G", "commodity": c, "min_share": lo, "max_share": hi, "t_per_t": ratio, **kw}


def _shares(sol: Any, year: int = 2027) -> dict[str, float]:
    s = sol.table("substitution")
    sub = s[s["year"] == year]
    return dict(zip(sub["commodity"], sub["share"]))


def test_a_group_meets_demand_with_the_cheaper_member_up_to_its_share() -> None:
    # CAM1 and CAM2 100 t each, CAM2 at $8,000. Rigid: 3 x ($1.0M + $0.8M) = $5.4M. As a group the requirement
    # is 200 t; CAM2 is cheaper but may meet at most 60%: 120 t CAM2 + 80 t CAM1 = $960k + $800k a year: $5.28M.
    t = _with_cam2(8_000, demand=100)
    assert cost(solve_tables(t)) == pytest.approx(5_400_000)
    t["substitution"] = [_member("CAM1", lo=0.3), _member("CAM2", hi=0.6)]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(5_280_000)
    assert _shares(sol) == pytest.approx({"CAM1": 0.4, "CAM2": 0.6})
    s = sol.table("substitution")
    assert s.loc[s["commodity"] == "CAM2", "served_t"].tolist() == pytest.approx([120, 120, 120])
    assert s["group_requirement_t"].tolist() == pytest.approx([200] * 6)
    # one more tonne of requirement is met at the margin by the mix the bounds allow, 60% CAM2 and 40% CAM1:
    # 0.6 x $8,000 + 0.4 x $10,000 = $8,800 (the dual of the group's row)
    assert s["requirement_cost_usd_per_t"].tolist() == pytest.approx([8_800] * 6)
    # the supply table puts on each member the demand it serves
    sup = sol.supply.set_index(["commodity", "year"])
    assert sup.loc[("CAM2", 2027), "demand_t"] == pytest.approx(120)
    assert sup.loc[("CAM1", 2027), "demand_t"] == pytest.approx(80)


def test_a_minimum_share_binds_when_the_other_member_is_cheaper() -> None:
    # as above, CAM2 may meet everything but CAM1 must meet at least 30%: 140 t CAM2 + 60 t CAM1 a year
    t = _with_cam2(8_000, demand=100)
    t["substitution"] = [_member("CAM1", lo=0.3), _member("CAM2")]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(3 * (140 * 8_000 + 60 * 10_000))
    assert _shares(sol) == pytest.approx({"CAM1": 0.3, "CAM2": 0.7})


@pytest.mark.parametrize("price, used", [(16_000, True), (21_000, False)])
def test_the_equivalence_ratio_prices_a_member_per_tonne_of_requirement(price: float, used: bool) -> None:
    # Only CAM1 is demanded (100 t/yr). CAM2 stands in at 0.5 t per t of requirement (a Si-C-like blend), at most
    # 40% of it. At $16,000/t CAM2 costs $8,000 per t of requirement, less than CAM1's $10,000: it meets 40%:
    # 20 t of CAM2 ($320k) + 60 t of CAM1 ($600k) a year: $2.76M. At $21,000/t ($10,500 per t of requirement)
    # it is not used: $3.0M.
    t = _with_cam2(price)
    t["substitution"] = [_member("CAM1"), _member("CAM2", hi=0.4, ratio=0.5)]
    sol = solve_tables(t)
    s = sol.table("substitution").set_index(["commodity", "year"])
    if used:
        assert cost(sol) == pytest.approx(2_760_000)
        assert s.loc[("CAM2", 2027), "served_t"] == pytest.approx(20)
        assert s.loc[("CAM2", 2027), "requirement_met_t"] == pytest.approx(40)
        assert s.loc[("CAM1", 2027), "served_t"] == pytest.approx(60)
    else:
        assert cost(sol) == pytest.approx(3_000_000)
        assert s.loc[("CAM2", 2027), "served_t"] == pytest.approx(0.0, abs=1e-6)


def test_a_group_applies_only_in_its_region_and_years() -> None:
    # the cheaper CAM2 ($8,000) may replace CAM1 entirely, in OH from 2027: 2026 stays CAM1 ($1.0M), 2027-28
    # CAM2 ($0.8M each): $2.6M. In another region (MI) the group would not apply: $3.0M.
    t = _with_cam2(8_000)
    t["substitution"] = [_member("CAM1", region="OH", first_year=2027), _member("CAM2", region="OH", first_year=2027)]
    assert cost(solve_tables(t)) == pytest.approx(2_600_000)
    t["regions"].append({"region": "MI", "domestic": True})
    for r in t["substitution"]:
        r["region"] = "MI"
    assert cost(solve_tables(t)) == pytest.approx(3_000_000)


def test_a_group_requirement_left_unmet_is_priced_and_reported_under_the_group() -> None:
    # CAM1's import is capped at 60 t/yr and CAM2 has no supply: 40 t of requirement a year unmet, at the
    # $1,000,000/t penalty of the base: 3 x ($600k + $40M)
    t = _with_cam2(8_000)
    t["contracts"] = [t["contracts"][0] | {"max_volume": 60}]
    t["substitution"] = [_member("CAM1"), _member("CAM2")]
    sol = solve_tables(t)
    assert cost(sol) == pytest.approx(3 * (600_000 + 40_000_000))
    u = sol.unmet
    assert u["commodity"].tolist() == ["G", "G", "G"] and u["tonnes"].tolist() == pytest.approx([40, 40, 40])
    assert sol.kpi("unmet_demand_t") == pytest.approx(120)


def test_substitution_mistakes_are_reported_with_sheet_row_and_column() -> None:
    t = _with_cam2(8_000)
    t["commodities"].append({"commodity": "AAM1", "family": "AAM"})
    t["regions"].append({"region": "MI", "domestic": True})
    t["substitution"] = [
        {"group": "A", "commodity": "CAM1"},  # row 2: a group of one
        {"group": "B", "commodity": "CAM1", "min_share": 0.6, "max_share": 0.5},  # row 3: min above max
        {"group": "B", "commodity": "CAM2", "max_share": 0.4},  # row 4
        {"group": "C", "commodity": "CAM1", "region": "OH"},  # row 5
        {"group": "C", "commodity": "AAM1", "region": "MI"},  # row 6: another family, another region
        {"group": "CAM2", "commodity": "CAM1"},  # row 7: named like a commodity
        {"group": "CAM2", "commodity": "CAM2"},  # row 8
        {"group": "D", "commodity": "CAM1", "max_share": 0.3},  # row 9: shares cannot reach 1
        {"group": "D", "commodity": "CAM2", "max_share": 0.3},  # row 10
    ]
    with pytest.raises(InstanceError) as e:
        instance_of(t)
    found = {(i.row, i.field): i.message for i in e.value.errors if i.sheet == "substitution"}
    assert "needs at least two" in found[(2, "group")]
    assert "min_share 0.6 exceeds max_share 0.5" in found[(3, "min_share")]
    assert "must be of one family" in found[(6, "commodity")]
    assert "differs from the group's first row" in found[(6, "region")]
    assert "also the name of a commodity" in found[(7, "group")]
    assert "add up to 0.6, less than 1" in found[(9, "max_share")]
    assert all(i.column for i in e.value.errors if i.sheet == "substitution")


def test_a_commodity_in_two_overlapping_groups_is_an_error() -> None:
    t = _with_cam2(8_000)
    t["commodities"].append({"commodity": "CAM3", "family": "CAM"})
    t["substitution"] = [_member("CAM1"), _member("CAM2"),
                         {"group": "H", "commodity": "CAM2", "first_year": 2028},  # row 4: overlaps G in 2028
                         {"group": "H", "commodity": "CAM3", "first_year": 2028}]
    with pytest.raises(InstanceError) as e:
        instance_of(t)
    assert any(i.row == 4 and i.field == "commodity" and "groups 'G' and 'H'" in i.message for i in e.value.errors)
