"""`planner risk`: schedule risk by Monte Carlo over construction and qualification delays.

Hand-derived: one committed plant serving the whole demand (100 t/yr of CAM1 in OH) qualified in the
first year, against a 50% localization target every year, imports from Asia (which do not qualify) as the
only other supply. With a 50% chance of one extra year of construction, the first year's target is met
exactly when the plant does not slip: probability 0.5; the later years' always. With no delay at all,
every probability is 0 or 1 and equals the plan's own result without delays.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from factories import base, plant, policy

from planner.cli.app import run
from planner.errors import InstanceError
from planner.explore.risk import draw, plant_risks, run_risk
from planner.cases import apply_case, load_instance
from planner.export.instance_xlsx import write_instance
from planner.export.risk import write_risk
from planner.solve.presets import merge_options
from planner.study import worker as study_worker

EXACT = merge_options("exact")
ZERO = [{"applies_to": s, "construction_1": 0, "construction_2": 0, "qualification_1": 0, "qualification_2": 0}
        for s in ("existing", "committed", "candidate")]


@pytest.fixture(autouse=True)
def fresh_worker() -> None:
    study_worker.forget()


def one_plant(folder: Path, delays: list[dict], **kw: object) -> Path:
    t = base()
    t["projects"] = [plant("P", status="committed", **kw)]
    t["policy"] = policy(case={"localization_target": 0.5})
    t["delays"] = delays
    return write_instance(t, folder / "one.xlsx")


def test_a_fifty_percent_slip_meets_the_first_target_half_the_time(tmp_path: Path) -> None:
    path = one_plant(tmp_path, [{"applies_to": "P", "construction_1": 0.5, "construction_2": 0, "qualification_1": 0,
                                 "qualification_2": 0}])
    res = run_risk(path, samples=400, seed=7, options=EXACT, jobs=1)
    assert res.n == 400 and not res.failed
    tp = res.target_probabilities().set_index("year")
    p, se = tp.loc[2026, "p_met_share"], tp.loc[2026, "standard_error_share"]
    assert se == pytest.approx(math.sqrt(p * (1 - p) / 400))
    assert abs(p - 0.5) <= 3 * math.sqrt(0.25 / 400)  # within three standard errors of 0.5
    # the slip is exactly the draw: met in 2026 iff the plant did not slip
    slipped = res.draws.extra[:, 0] > 0
    assert p == pytest.approx(1 - slipped.mean())
    assert tp.loc[2027, "p_met_share"] == 1.0 and tp.loc[2028, "p_met_share"] == 1.0
    assert bool(tp.loc[2026, "met_without_delays"])
    # a slipped sample: the 100 t of 2026 come from Asia, 50 t short of the target
    assert tp.loc[2026, "expected_shortfall_t"] == pytest.approx(50.0 * slipped.mean(), abs=1e-6)
    q = res.qualified_by().set_index("project")
    assert q.loc["P", "p_2026_share"] == pytest.approx(p) and q.loc["P", "p_2027_share"] == 1.0
    assert res.earliest_likely().set_index("group").loc["CAM", "earliest_year_p80"] == 2027


def test_without_delays_every_probability_is_the_plans_own_result(tmp_path: Path) -> None:
    # qualified only in 2027: the 2026 target is missed by the plan itself, the others met
    path = one_plant(tmp_path, ZERO, qualification_years=1)
    res = run_risk(path, samples=20, seed=1, options=EXACT, jobs=1)
    tp = res.target_probabilities()
    assert set(tp["p_met_share"]) <= {0.0, 1.0}
    assert (tp["p_met_share"] == tp["met_without_delays"].astype(float)).all()
    assert tp.set_index("year").loc[2026, "p_met_share"] == 0.0
    fan = res.share_fan()
    assert (fan["p10_share"] == fan["p90_share"]).all()
    assert np.allclose(fan["p50_share"], fan["without_delays_share"])
    # each sample is a linear programme (every integer held, warm basis): the same costs as the plan's own solve
    cost = res.cost_fan()
    assert np.allclose(cost["p10_usd"], cost["without_delays_usd"]) and np.allclose(cost["p90_usd"], cost["without_delays_usd"])


def test_the_same_seed_gives_the_same_samples_with_any_number_of_workers(tmp_path: Path) -> None:
    path = one_plant(tmp_path, [{"applies_to": "committed", "construction_1": 0.3, "construction_2": 0.2,
                                 "qualification_1": 0.2, "qualification_2": 0.1, "abandonment": 0.1}])
    a = run_risk(path, samples=30, seed=11, options=EXACT, jobs=1)
    b = run_risk(path, samples=30, seed=11, options=EXACT, jobs=2)
    assert a.met == b.met
    assert a.total_cost == pytest.approx(b.total_cost)
    c = run_risk(path, samples=30, seed=12, options=EXACT, jobs=1)
    assert not np.array_equal(a.draws.extra, c.draws.extra)


def test_draws_follow_the_delays_sheet_then_the_status_then_the_defaults(tmp_path: Path) -> None:
    path = one_plant(tmp_path, [{"applies_to": "committed", "construction_1": 0.0, "construction_2": 1.0,
                                 "qualification_1": 0, "qualification_2": 0}])
    inst = load_instance(path)
    ci = apply_case(inst, "case")
    from planner.instance.records import FixedPlan

    pl = plant_risks(ci, inst, FixedPlan(source_case="case", units={}))
    assert [(p.project, p.source, p.construction) for p in pl] == [("P", "status committed", (0.0, 0.0, 1.0))]
    d = draw(pl, 50, 0)
    assert (d.extra == 2).all() and not d.abandoned.any()


def test_bad_delays_are_reported_with_sheet_row_and_column(tmp_path: Path) -> None:
    path = one_plant(tmp_path, [
        {"applies_to": "nowhere", "construction_1": 0.1, "construction_2": 0, "qualification_1": 0, "qualification_2": 0},
        {"applies_to": "candidate", "construction_1": 0.7, "construction_2": 0.6, "qualification_1": 0,
         "qualification_2": 0, "abandonment": 0.2},
    ])
    with pytest.raises(InstanceError) as exc:
        load_instance(path)
    issues = [i for i in exc.value.issues if i.sheet == "delays"]
    assert {(i.row, i.column) for i in issues} == {(2, "A"), (3, "C"), (3, "F")}
    assert any("neither a project" in i.message for i in issues)
    assert any("more than 1" in i.message for i in issues)
    assert any("committed projects" in i.message for i in issues)


def test_the_command_writes_the_workbook_and_holds_a_plan_from_a_results_workbook(tmp_path: Path) -> None:
    path = one_plant(tmp_path, [{"applies_to": "P", "construction_1": 0.5, "construction_2": 0, "qualification_1": 0,
                                 "qualification_2": 0}])
    results = tmp_path / "results.xlsx"
    assert run(["solve", str(path), "--preset", "exact", "-o", str(results)]) == 0
    out = tmp_path / "risk.xlsx"
    assert run(["risk", str(path), "--plan", str(results), "--samples", "40", "--seed", "3", "--jobs", "1",
                "--preset", "exact", "-o", str(out)]) == 0
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["targets", "earliest", "qualification", "share_fan", "cost_fan", "fan_charts", "samples",
                             "run_info"]
    assert len(wb["fan_charts"]._charts) == 2  # noqa: SLF001 - the share of CAM and the cost
    ws = wb["targets"]
    assert [ws.cell(r, 2).value for r in range(5, 8)] == [2026, 2027, 2028]
    info = [c for row in wb["run_info"].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert "the plan of results.xlsx" in info
    # the same seed, the same figures
    again = run_risk(path, samples=40, seed=3, options=EXACT, jobs=1)
    p = again.target_probabilities().set_index("year").loc[2026, "p_met_share"]
    assert ws.cell(5, 5).value == pytest.approx(p)
    assert run(["risk", str(path), "--plan", str(results), "--plan-case", "case", "-o", str(out)]) == 2


def test_write_risk_is_marked(tmp_path: Path) -> None:
    from planner.export.atomic import written_by_planner

    path = one_plant(tmp_path, ZERO)
    res = run_risk(path, samples=3, seed=0, options=EXACT, jobs=1)
    assert written_by_planner(write_risk(res, tmp_path / "r.xlsx")) == "risk"


def test_the_workbook_opens_in_libreoffice(tmp_path: Path) -> None:
    from helpers import assert_libreoffice_converts

    path = one_plant(tmp_path, [{"applies_to": "P", "construction_1": 0.5, "construction_2": 0, "qualification_1": 0,
                                 "qualification_2": 0}])
    res = run_risk(path, samples=20, seed=0, options=EXACT, jobs=1)
    assert_libreoffice_converts(write_risk(res, tmp_path / "risk.xlsx"), tmp_path)


def test_a_stop_keeps_the_samples_finished(tmp_path: Path) -> None:
    path = one_plant(tmp_path, [{"applies_to": "P", "construction_1": 0.5, "construction_2": 0, "qualification_1": 0,
                                 "qualification_2": 0}])

    def on_sample(res) -> None:  # noqa: ANN001
        if res.n == 5:
            raise KeyboardInterrupt  # as a Ctrl-C in the main thread would

    res = run_risk(path, samples=200, seed=7, options=EXACT, jobs=2, on_sample=on_sample)
    assert res.stopped and 5 <= res.n < 200
    full = run_risk(path, samples=200, seed=7, options=EXACT, jobs=1)
    assert all(res.met[i] == full.met[i] for i in res.done)  # the samples kept are those of the full run
    tp = res.target_probabilities()
    assert (tp["samples"] == res.n).all()
    wb = openpyxl.load_workbook(write_risk(res, tmp_path / "stopped.xlsx"))
    assert "stopped early" in wb["targets"].cell(1, 1).value


def test_a_plan_read_back_from_a_results_workbook_is_the_plan_solved(tmp_path: Path) -> None:
    from planner import resources
    from planner.export.results import read_results, write_results
    from planner.results.plan import plan_from_tables, plan_of
    from planner.run import solve_case

    tiny = resources.data_dir("instances") / "tiny.xlsx"
    sol = solve_case(load_instance(tiny), "base", options=EXACT)
    back = plan_from_tables(read_results(write_results(sol, tmp_path / "r.xlsx")), case=sol.case)
    assert back == plan_of(sol) and back.units
