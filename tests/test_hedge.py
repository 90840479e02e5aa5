"""The hedged plan (`planner hedge`): the scenarios sheet, the two-stage extensive form, its outputs."""

from __future__ import annotations

import pytest

from factories import base, plant, policy
from helpers import instance_of
from planner.errors import InstanceError


def _two_cases() -> dict:
    t = base()
    t["projects"] = [plant()]
    t["policy"] = policy(low={"x45_rate": 0.0}, high={"x45_rate": 0.0})
    return t


# ---------------------------------------------------------------------------------- the scenarios sheet
def test_without_a_scenarios_sheet_every_case_is_equally_likely() -> None:
    inst = instance_of(_two_cases())
    assert [(s.name, s.case, s.probability) for s in inst.scenarios] == [("low", "low", 0.5), ("high", "high", 0.5)]


def test_scenarios_sheet_rows_name_cases_and_probabilities() -> None:
    t = _two_cases()
    t["scenarios"] = [{"scenario": "calm", "case": "LOW", "probability": 0.25},
                      {"scenario": "boom", "case": "high", "probability": 0.75, "note": "demand doubles"}]
    inst = instance_of(t)
    assert [(s.name, s.case, s.probability, s.row) for s in inst.scenarios] == [
        ("calm", "low", 0.25, 2), ("boom", "high", 0.75, 3)]
    assert inst.scenarios[1].note == "demand doubles"


def test_scenarios_sheet_errors_name_sheet_row_and_column() -> None:
    t = _two_cases()
    t["scenarios"] = [{"scenario": "calm", "case": "low", "probability": 0.25},
                      {"scenario": "boom", "case": "hihg", "probability": 0.5},
                      {"scenario": "odd", "case": "low", "probability": 1.5},
                      {"scenario": "calm", "case": "low", "probability": 0.0}]
    with pytest.raises(InstanceError) as exc:
        instance_of(t)
    found = {(i.sheet, i.row, i.column) for i in exc.value.issues if i.severity == "error"}
    words = " ".join(i.message for i in exc.value.issues)
    assert ("scenarios", 3, "B") in found and "unknown case 'hihg'" in words and "high" in words  # suggestion
    assert ("scenarios", 4, "C") in found  # probability above 1
    assert ("scenarios", 5, "A") in found  # a scenario named twice


def test_scenario_probabilities_must_sum_to_one() -> None:
    t = _two_cases()
    t["scenarios"] = [{"scenario": "calm", "case": "low", "probability": 0.3},
                      {"scenario": "boom", "case": "high", "probability": 0.5}]
    with pytest.raises(InstanceError) as exc:
        instance_of(t)
    (issue,) = [i for i in exc.value.issues if i.severity == "error"]
    assert (issue.sheet, issue.row, issue.column) == ("scenarios", 3, "C")
    assert "sum to 0.8, not 1" in issue.message
