"""The seams a new constraint family plugs into, proven with a toy family defined here, not in planner/.

A real family touches three files: its parameter in planner/schema.py, its module under
planner/model/families/ (rows, LaTeX, dual, result table), and one line of the table of contents in
planner/model/build.py. Here the three are stood in for without editing planner/: the parameter is
added to the schema for the test (`monkeypatch`), the family and its table are defined in this
module, and `register_family` stands in for the line in build.py.

The toy family caps a plant's yearly output: `output_cap` (per commodity and year, like `x45_rate`)
limits the output of every plant of the commodity in that year. On the common base of the family
tests (tests/factories.py: 100 t/yr of CAM1 in OH, imports at $10,000/t) with the standard plant P
(100 t/yr, $100k a year, $1,000/t), the plan without a cap builds P and makes 100 t a year:
3 x ($100k + $100k) = $600k. A cap of 60 t in 2027 leaves 40 t to be imported that year:
2026 and 2028 $200k each, 2027 $100k + 60 x $1,000 + 40 x $10,000 = $560k; $960k in all. One more
tonne of cap in 2027 saves $10,000 - $1,000 = $9,000 (the cap's dual).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pyomo.environ as pyo
import pytest

from factories import base, plant, policy
from helpers import cost, instance_of, output
from planner import schema
from planner.cases import apply_case
from planner.export.results import read_results, write_results
from planner.instance.records import Instance, PolicyRow
from planner.model.build import build_model, count_model, families, register_family
from planner.model.core import Context, add_rows
from planner.model.registry import (
    TableContext,
    cost_components,
    register_columns,
    register_cost_component,
    register_table,
    table_specs,
)
from planner.model.units import MASS, PER_T
from planner.run import solve_case
from planner.solve.presets import merge_options

OPTS = merge_options("exact")

# ---------------------------------------------------------------------------------- the toy family
OUTPUT_CAP = schema.Parameter(
    "output_cap", "float", "Most a plant of the commodity may deliver in the year (a test's toy parameter).",
    unit="t/yr", default=None, minimum=0.0, qualifiers=("year", "commodity"))


def add_output_caps(m: pyo.ConcreteModel, ctx: Context) -> None:
    r"""Output caps (a toy family of the tests): a plant's output within the case's cap for its commodity.

    $$x_{p,y} \le \bar x_{c_p,y}$$

    Row `c_output_cap[p, y]`. Dual: the value of one more tonne of cap (≤ 0).
    """
    cap = ctx.pol.output_cap
    prod = ctx.v.get("v_prod", {})
    rows = {(p, y): ([(1.0, prod[p, y])], "<=", cap[(ctx.ci.projects[p].commodity, y)] * MASS)
            for p, y in ctx.sets.prod if cap[(ctx.ci.projects[p].commodity, y)] is not None}
    if not rows:
        return
    add_rows(m, "c_output_cap", rows, "output within the cap")


def report_output_caps(t: TableContext) -> pd.DataFrame:
    cap = t.pol.output_cap
    out = {k: v / MASS for k, v in t.values("v_prod").items()}
    duals = t.duals("c_output_cap")
    rows = []
    for p, y in t.sets.prod:
        c = cap[(t.ci.projects[p].commodity, y)]
        if c is None:
            continue
        d = duals.get((p, y))
        rows.append({"project": p, "year": y, "cap_t": c, "output_t": out.get((p, y), 0.0),
                     "cap_value_usd_per_t": math.nan if d is None else -d / PER_T / t.ci.settings.discount_factor(y)})
    return pd.DataFrame(rows, columns=["project", "year", "cap_t", "output_t", "cap_value_usd_per_t"])


@pytest.fixture
def output_cap_parameter(monkeypatch: pytest.MonkeyPatch) -> None:
    """The toy parameter declared in the schema, for this test only (stands in for an edit of schema.py)."""
    monkeypatch.setattr(schema, "POLICY", (*schema.POLICY, OUTPUT_CAP))
    monkeypatch.setattr(schema, "POLICY_VALUES", (*schema.POLICY_VALUES, OUTPUT_CAP))
    monkeypatch.setitem(schema.POLICY_BY_NAME, OUTPUT_CAP.name, OUTPUT_CAP)


def _instance(cap: dict[int, float]) -> Instance:
    """Base + plant P, case `case`, with output_cap rows (the workbook reader knows no such parameter
    name, so the rows are added to the validated instance as the policy sheet would give them)."""
    t = base()
    t["projects"] = [plant()]
    t["policy"] = policy(case={"x45_rate": 0.0})
    inst = instance_of(t)
    rows = tuple(PolicyRow("output_cap", y, None, "CAM1", v) for y, v in cap.items())
    return dataclasses.replace(inst, cases={"case": inst.cases["case"] + rows})


# ---------------------------------------------------------------------------------- tests
def test_a_new_policy_parameter_is_resolved_without_an_edit_of_cases(output_cap_parameter: None) -> None:
    ci = apply_case(_instance({2027: 60}), "case")
    assert ci.policy.output_cap == {("CAM1", 2026): None, ("CAM1", 2027): 60.0, ("CAM1", 2028): None}
    assert ci.policy["output_cap"] is ci.policy.output_cap
    assert ci.policy.at("output_cap", year=2027, commodity="CAM1", family="CAM") == 60


def test_a_toy_family_adds_its_rows_and_its_table_without_an_edit_of_planner(
        output_cap_parameter: None, tmp_path: Path) -> None:
    inst = _instance({2027: 60})
    with register_family(add_output_caps, before="add_balance"), \
            register_table("output_caps", report_output_caps, description="Output caps and what one more tonne is worth."):
        order = [f.__name__ for f in families()]
        assert order.index("add_output_caps") == order.index("add_balance") - 1
        ci = apply_case(inst, "case")
        m = build_model(ci)
        assert m.c_output_cap.row_keys == [("P", 2027)]  # the only capped plant-year
        assert count_model(ci)["c_output_cap"] == 1  # counted like any family, without building

        sol = solve_case(inst, "case", options=OPTS)
        assert cost(sol) == pytest.approx(960_000)
        assert output(sol, "P") == pytest.approx({2026: 100, 2027: 60, 2028: 100})
        caps = sol.table("output_caps")
        assert caps.to_dict("records") == [pytest.approx(
            {"project": "P", "year": 2027, "cap_t": 60.0, "output_t": 60.0, "cap_value_usd_per_t": 9_000.0})]
        assert sol.table_names[-1] == "output_caps" and "output_caps" in sol.descriptions

        # the results workbook writes the registered table like the others, and reads it back
        path = write_results(sol, tmp_path / "r.xlsx")
        back = read_results(path)
        pd.testing.assert_frame_equal(back["output_caps"], caps, check_dtype=False)

    # taken out again: the same instance, no cap rows, the plain optimum
    assert "add_output_caps" not in [f.__name__ for f in families()]
    assert "output_caps" not in [s.name for s in table_specs()]
    sol = solve_case(inst, "case", options=OPTS)
    assert cost(sol) == pytest.approx(600_000) and "output_caps" not in sol.table_names


def test_a_family_can_add_columns_and_cost_components() -> None:
    # a rebate of $500/t on P's output as a credit component of its own: 300 t x $500 = $150k off the
    # plan's $600k, reported as a credit (public cost) with a column of its own in the credits table
    t = base()
    t["projects"] = [plant()]
    t["policy"] = policy(case={"x45_rate": 0.0})

    def add_rebate(m: Any, ctx: Context) -> None:
        for p, y in ctx.sets.prod:
            ctx.acc.cost[("rebate", y)].append((-500 * PER_T, ctx.v["v_prod"][p, y]))

    def rebate_column(t: TableContext, df: pd.DataFrame) -> pd.DataFrame:
        return df.assign(rebate_usd_per_t=500.0)

    with register_cost_component("rebate", "credit"), register_family(add_rebate), \
            register_columns("production", rebate_column):
        assert cost_components("credit")[-1] == "rebate"
        sol = solve_case(instance_of(t), "case", options=OPTS)
        assert cost(sol) == pytest.approx(450_000)
        assert sol.credits["rebate_usd"].sum() == pytest.approx(150_000)
        assert sol.kpi("public_cost_usd") == pytest.approx(150_000)
        assert (sol.production["rebate_usd_per_t"] == 500).all()
    assert "rebate" not in cost_components()
    with pytest.raises(ValueError, match="rebate"):  # a term of an unregistered component is refused
        with register_family(add_rebate):
            build_model(apply_case(instance_of(t), "case"))


def test_one_case_end_to_end_knows_nothing_of_explanations() -> None:
    # a 50% CAM target nothing can serve, hard: run.solve_case reports the case infeasible; the plain-words
    # explanation (2026 CAM target needs 50 t, none reachable) is composed above it
    from planner.explain.hard_targets import solve_case_explained

    t = base()
    t["policy"] = policy(case={"localization_target": 0.5})
    inst = instance_of(t)
    bare = solve_case(inst, "case", options=OPTS, hard_targets=True)
    assert not bare.has_plan and bare.status["termination"] == "infeasible"
    assert not any("cannot all be met" in m for m in bare.messages)
    told = solve_case_explained(inst, "case", options=OPTS, hard_targets=True)
    text = "\n".join(told.messages)
    assert "cannot all be met" in text and "2026 CAM target needs 50 t" in text
