"""Policy cases as overlays: the overrides sheet, parent cases, and their validation."""

from __future__ import annotations

import pytest

from factories import base, plant, policy
from helpers import cost, instance_of, solve_tables
from planner.cases import apply_case
from planner.errors import InstanceError
from planner.model.families.credits_45x import x45_credit


def demand_of(inst, year: int) -> float:  # noqa: ANN001
    return sum(t for (c, r, y), t in inst.demand.items() if y == year)


def test_overrides_apply_in_order_and_to_the_right_rows() -> None:
    t = base()
    t["policy"] = policy(scale_then_add={"x45_rate": 0.0}, add_then_scale={"x45_rate": 0.0})
    t["overrides"] = [
        {"case": "scale_then_add", "sheet": "material_demand", "filter": "year>=2027", "column": "tonnes",
         "operation": "scale", "value": 2},
        {"case": "scale_then_add", "sheet": "material_demand", "filter": "year>=2027", "column": "tonnes",
         "operation": "add", "value": 10},
        {"case": "add_then_scale", "sheet": "material_demand", "filter": "year >= 2027; region in (OH)",
         "column": "tonnes", "operation": "add", "value": 10},
        {"case": "add_then_scale", "sheet": "material_demand", "filter": "year>=2027", "column": "tonnes",
         "operation": "scale", "value": 2},
    ]
    inst = instance_of(t)
    a, b = apply_case(inst, "scale_then_add"), apply_case(inst, "add_then_scale")
    assert [demand_of(a, y) for y in (2026, 2027, 2028)] == [100, 210, 210]
    assert [demand_of(b, y) for y in (2026, 2027, 2028)] == [100, 220, 220]
    assert inst.base_demand[("CAM1", "OH", 2027)] == 100  # the base is untouched
    assert len(a.policy.overrides) == 2 and a.policy.overrides[0]["operation"] == "scale"


def test_family_filter_remove_cascades_and_integer_add() -> None:
    t = base()
    t["commodities"].append({"commodity": "AAM1", "family": "AAM"})
    t["projects"] = [plant("P"), plant("Q", commodity="AAM1", qualification_years=0)]
    t["joint_ventures"] = [{"jv": "PJ", "project": "P", "partner": "OEM", "partner_region": "OH", "equity_share": 0.5}]
    t["policy"] = policy(case={"x45_rate": 0.0})
    t["overrides"] = [
        {"case": "case", "sheet": "projects", "filter": "family=AAM", "column": "capex_per_unit",
         "operation": "scale", "value": 1.2},
        {"case": "case", "sheet": "projects", "filter": "", "column": "qualification_years", "operation": "add",
         "value": 1},
        {"case": "case", "sheet": "projects", "filter": "project=P", "operation": "remove"},
    ]
    ci = apply_case(instance_of(t), "case")
    assert set(ci.projects) == {"Q"}  # P removed, and with it its JV variant PJ
    assert ci.projects["Q"].capex == pytest.approx(360_000)
    assert ci.projects["Q"].qualification_years == 1


def test_case_extends_parent() -> None:
    # parent: 45X at 10% and capex doubled; child: extends parent, drops 45X to 5%, adds a year of qualification
    t = base()
    t["projects"] = [plant(eligible_45x=True)]
    t["policy"] = policy(parent={"x45_rate": 0.10}, child={"extends": "parent", "x45_rate": 0.05})
    t["overrides"] = [
        {"case": "parent", "sheet": "projects", "filter": "project=P", "column": "capex_per_unit",
         "operation": "scale", "value": 2},
        {"case": "child", "sheet": "projects", "filter": "project=P", "column": "qualification_years",
         "operation": "add", "value": 1},
    ]
    inst = instance_of(t)
    child = apply_case(inst, "child")
    assert child.policy.chain == ("parent", "child")
    assert child.projects["P"].capex == 600_000 and child.projects["P"].qualification_years == 1
    assert x45_credit(child)[("P", 2027)] == pytest.approx(0.05 * 1_000)
    parent = apply_case(inst, "parent")
    assert parent.projects["P"].qualification_years == 0
    # child plan by hand: online 2026, qualified 2027; annuity $200k/yr (capex $600k, 3 years) for 3 years,
    # 2026 imported ($1.0M), 2027-28 produced (2 x $100k) minus 45X 200 t x $50: 600k + 1.0M + 200k - 10k
    assert cost(solve_tables(t, "child")) == pytest.approx(1_790_000)


@pytest.mark.parametrize("row, message", [
    ({"case": "nocase", "sheet": "projects", "filter": "project=P", "column": "capex_per_unit", "operation": "set",
      "value": 1}, "unknown case 'nocase'"),
    ({"case": "case", "sheet": "projects", "filter": "plant=P", "column": "capex_per_unit", "operation": "set",
      "value": 1}, "sheet 'projects' has no column 'plant'"),
    ({"case": "case", "sheet": "projects", "filter": "project=P", "column": "capex", "operation": "set",
      "value": 1}, "has no column 'capex' (did you mean 'capex_per_unit'?)"),
    ({"case": "case", "sheet": "projects", "filter": "project=P", "column": "capex_per_unit", "operation": "set",
      "value": "lots"}, "must be a number; found 'lots'"),
    ({"case": "case", "sheet": "projects", "filter": "project=P", "column": "name", "operation": "scale",
      "value": 2}, "'scale' needs a numeric column"),
    ({"case": "case", "sheet": "regions", "filter": "region=OH", "operation": "remove"}, "cannot be removed"),
    ({"case": "case", "sheet": "projects", "filter": "project=P", "column": "capacity_per_unit",
      "operation": "scale", "value": -1}, "makes capacity_per_unit of sheet 'projects' row 2 invalid"),
    ({"case": "case", "sheet": "projects", "filter": "project=P", "column": "site", "operation": "set",
      "value": "Mars"}, "unknown regions 'Mars'"),
])
def test_bad_overrides_are_reported_with_their_row(row: dict, message: str) -> None:
    t = base()
    t["projects"] = [plant()]
    t["policy"] = policy(case={"x45_rate": 0.0})
    t["overrides"] = [row]
    with pytest.raises(InstanceError) as e:
        instance_of(t)
    text = str(e.value)
    assert message in text, text
    assert "sheet 'overrides', row 2" in text


def test_extends_unknown_or_circular() -> None:
    t = base()
    t["policy"] = policy(a={"extends": "b"}, b={"extends": "a"}, c={"extends": "zz"})
    with pytest.raises(InstanceError) as e:
        instance_of(t)
    text = str(e.value)
    assert "circle" in text and "extends unknown case 'zz'" in text


def test_override_matching_nothing_is_a_warning() -> None:
    t = base()
    t["projects"] = [plant()]
    t["policy"] = policy(case={"x45_rate": 0.0})
    t["overrides"] = [{"case": "case", "sheet": "projects", "filter": "project=NOPE", "column": "capex_per_unit",
                       "operation": "scale", "value": 2}]
    inst = instance_of(t)
    assert any("matches no row" in str(w) for w in inst.warnings)


def test_policy_references_ignore_case_like_every_sheet() -> None:
    t = base()
    t["regions"].append({"region": "China", "feoc": True})
    t["policy"] = [{"parameter": "tariff", "region": "china", "commodity": "cam", "case": 0.5}]
    ci = apply_case(instance_of(t), "case")
    assert {r.region for r in ci.policy.rows} == {"China"} and {r.commodity for r in ci.policy.rows} == {"CAM"}


def test_an_override_may_set_a_reference_to_a_known_id() -> None:
    # a case moves plant P to region MI: the override's value is checked against the ids of sheet
    # 'regions' (they used to be lost when the tables were copied for the case, so every such override
    # was reported as naming an unknown region)
    t = base()
    t["regions"].append({"region": "MI", "domestic": True})
    t["transport"].append({"from_region": "MI", "to_region": "OH", "cost_per_t": 0, "both_ways": True})
    t["projects"] = [plant("P")]
    t["policy"] = policy(case={"x45_rate": 0.0})
    t["overrides"] = [{"case": "case", "sheet": "projects", "filter": "project=P", "column": "site",
                       "operation": "set", "value": "MI"}]
    ci = apply_case(instance_of(t), "case")
    assert ci.projects["P"].site == "MI"


def test_removing_a_project_removes_its_offtakes_and_those_of_its_jv_variants() -> None:
    t = base()
    t["projects"] = [plant("P"), plant("Q")]
    t["joint_ventures"] = [{"jv": "PJ", "project": "P", "partner": "OEM", "partner_region": "OH", "equity_share": 0.5}]
    t["offtakes"] = [{"offtake": "A", "project": "P", "buyer_region": "OH", "min_t": 10},
                     {"offtake": "B", "project": "pj", "buyer_region": "OH", "min_t": 10},
                     {"offtake": "C", "project": "Q", "buyer_region": "OH", "min_t": 10}]
    t["policy"] = policy(case={"x45_rate": 0.0}, other={"x45_rate": 0.0})
    t["overrides"] = [{"case": "case", "sheet": "projects", "filter": "project=P", "operation": "remove"},
                      {"case": "other", "sheet": "joint_ventures", "filter": "jv=PJ", "operation": "remove"}]
    inst = instance_of(t)
    assert inst.offtakes["A"].plants == ("P", "PJ") and inst.offtakes["B"].plants == ("PJ",)
    assert set(apply_case(inst, "case").offtakes) == {"C"}
    other = apply_case(inst, "other").offtakes
    assert set(other) == {"A", "C"} and other["A"].plants == ("P",)
