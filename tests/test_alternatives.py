"""`planner alternatives`: near-optimal plans within a cost slack of the optimum (MGA).

Hand-derived: two identical candidates in two states (each serves the 100 t/yr demand for $600k against
$3.0M of imports) tie; the optimum builds one of them and the plan least like it, at slack 0, builds the
other. Invariants: every plan's cost, re-evaluated by holding its builds and re-optimising operations for
cost (Variation(plan=...)), lies within its slack of the optimum; at slack 0 it equals the optimum.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from factories import base, plant

from planner import resources
from planner.cli.app import run
from planner.explore.alternatives import parse_slacks, run_alternatives
from planner.export.alternatives import write_alternatives
from planner.export.instance_xlsx import write_instance
from planner.solve.presets import merge_options
from planner.study import Base, Study, Task, Variation
from planner.study import worker as study_worker

EXACT = merge_options("exact")
TINY = resources.data_dir("instances") / "tiny.xlsx"


@pytest.fixture(autouse=True)
def fresh_worker() -> None:
    study_worker.forget()


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    t = base()
    t["regions"].append({"region": "KY", "domestic": True})
    t["transport"].append({"from_region": "KY", "to_region": "OH", "cost_per_t": 0, "both_ways": False})
    t["projects"] = [plant("P", site="OH"), plant("Q", site="KY")]
    return write_instance(t, tmp_path_factory.mktemp("alt") / "twins.xlsx")


def test_two_equal_cost_plants_are_both_found_as_alternatives(twins: Path) -> None:
    res = run_alternatives(twins, slacks=(0.0,), objectives=(), count=1, options=EXACT, jobs=1)
    # by hand: capex $300k (3-year life, r = 0) + 300 t x $1,000/t = $600k; imports would cost $3.0M
    assert res.optimum_usd == pytest.approx(600_000)
    found = res.found()
    assert all(a.cost_usd == pytest.approx(600_000) for a in found)
    assert all(len(a.built) == 1 for a in found)  # two plants would cost $1.2M: over the cap
    assert set().union(*(a.built for a in found)) == {"P", "Q"}
    mga = next(a for a in found if a.kind == "mga")
    opt = next(a for a in found if a.kind == "optimum")
    assert mga.built != opt.built and not mga.same_as
    com = res.commitments()
    assert set(com.loc[com["verdict"] == "interchangeable", "project"]) == {"P", "Q"}
    assert not (com["verdict"] == "must-have").any()


def _reevaluated(res, base_: Base) -> dict[str, float]:  # noqa: ANN001
    """Each plan's least cost with its builds and signings held (operations re-optimised for cost)."""
    tasks = [Task(a.key, base_, Variation(a.key, plan=a.plan), options=EXACT.highs, preset="exact", tables=("kpis",),
                  duals=False) for a in res.found()]
    with Study(jobs=1) as st:
        out = st.run(tasks)
    assert all(r.done for r in out.values())
    return {k: float(r.kpi("total_cost_usd")) for k, r in out.items()}


def test_every_alternative_is_within_its_slack_when_re_evaluated() -> None:
    slacks = (0.0, 0.05)
    res = run_alternatives(TINY, slacks=slacks, count=2, options=EXACT, jobs=1)
    assert res.optimum_usd is not None and res.found()
    # every objective (both senses where asked) and every MGA plan was answered at every slack
    assert len(res.alternatives) == 1 + len(slacks) * (6 + 2)
    assert all(a.done for a in res.alternatives), [a.error for a in res.alternatives if not a.done]
    again = _reevaluated(res, Base.of(TINY, res.case))
    opt = res.optimum_usd
    for a in res.found():
        cap = opt + a.slack * abs(opt)
        assert a.cost_usd <= cap * (1 + 1e-9) + 1.0, a.key  # the plan found, as solved
        assert again[a.key] <= a.cost_usd * (1 + 1e-9) + 1.0, a.key  # operations re-optimised: no dearer
        assert again[a.key] <= cap * (1 + 1e-9) + 1.0, a.key
        if a.slack == 0.0:
            assert a.cost_usd == pytest.approx(opt, rel=1e-7), a.key
            assert again[a.key] == pytest.approx(opt, rel=1e-7), a.key
    # the secondary objectives move the way they were asked to, within the same cap
    by = {a.key: a for a in res.found()}
    assert by["5%: most us_made"].kpis["us_made_t"] >= by["5%: least us_made"].kpis["us_made_t"] - 1e-6
    assert by["5%: most us_made"].kpis["us_made_t"] >= by["0%: most us_made"].kpis["us_made_t"] - 1e-6
    assert by["5%: least public_cost"].kpis["public_cost_usd"] <= res.alternatives[0].kpis["public_cost_usd"] + 1.0
    assert by["5%: most states"].kpis["states"] >= by["5%: least states"].kpis["states"]


def test_the_workbook_and_the_command(twins: Path, tmp_path: Path) -> None:
    out = tmp_path / "alt.xlsx"
    code = run(["alternatives", str(twins), "--slack", "0,1%", "--count", "1", "--jobs", "1", "--preset", "exact",
                "-o", str(out)])
    assert code == 0
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["alternatives", "matrix", "commitments", "tradeoff", "run_info"]
    ws = wb["alternatives"]
    header = [c.value for c in ws[4]]
    assert header[0] == "alternative"
    keys = [ws.cell(r, 1).value for r in range(5, ws.max_row + 1)]
    assert keys[0] == "optimum" and "0%: different plan 1" in keys and "1%: most states" in keys
    assert len(wb["tradeoff"]._charts) == 1  # noqa: SLF001 - the native chart is there
    m = wb["matrix"]
    assert {m.cell(r, 1).value for r in range(5, m.max_row + 1)} == {"P", "Q"}
    info = [c for row in wb["run_info"].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert str(twins.resolve()) in info and "slacks" in info
    # a second run replaces the planner's own workbook; a file the planner did not write needs --force
    other = tmp_path / "mine.xlsx"
    openpyxl.Workbook().save(other)
    assert run(["alternatives", str(twins), "--slack", "0", "--count", "0", "--objectives", "states", "--jobs", "1",
                "-o", str(other)]) == 2


def test_bad_slacks_and_objectives_are_refused_in_words(twins: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_slacks("1%,0.02") == (0.01, 0.02)
    assert run(["alternatives", str(twins), "--slack", "two", "-o", str(tmp_path / "a.xlsx")]) == 2
    assert "--slack" in capsys.readouterr().err
    assert run(["alternatives", str(twins), "--objectives", "beauty", "-o", str(tmp_path / "a.xlsx")]) == 2
    assert "unknown objective beauty" in capsys.readouterr().err
    assert not (tmp_path / "a.xlsx").exists()


def test_write_alternatives_is_atomic_and_marked(twins: Path, tmp_path: Path) -> None:
    from planner.export.atomic import written_by_planner

    res = run_alternatives(twins, slacks=(0.0,), objectives=(), count=0, options=EXACT, jobs=1)
    p = write_alternatives(res, tmp_path / "a.xlsx")
    assert written_by_planner(p) == "alternatives"


def test_the_workbook_opens_in_libreoffice(twins: Path, tmp_path: Path) -> None:
    from helpers import assert_libreoffice_converts

    res = run_alternatives(twins, slacks=(0.0, 0.01), objectives=("us_made",), count=1, options=EXACT, jobs=1)
    assert_libreoffice_converts(write_alternatives(res, tmp_path / "alternatives.xlsx"), tmp_path)


def test_a_stop_keeps_the_plans_found(twins: Path, tmp_path: Path) -> None:
    seen: list[str] = []

    def on_event(key: str, state: str, _details: dict) -> None:
        if state == "done":
            seen.append(key)
            if len(seen) == 3:
                raise KeyboardInterrupt  # as a Ctrl-C in the main thread would

    res = run_alternatives(twins, slacks=(0.0, 0.01), objectives=("us_made", "states"), count=1, options=EXACT,
                           jobs=1, on_event=on_event)
    assert res.stopped and res.optimum_usd == pytest.approx(600_000)
    assert 1 <= len(res.found()) < len(res.alternatives)
    assert {a.state for a in res.alternatives} <= {"done", "cancelled", "stopped"}
    from planner.export.kit import read_tidy

    wb = openpyxl.load_workbook(write_alternatives(res, tmp_path / "stopped.xlsx"))
    back = read_tidy(wb["alternatives"])  # the key row is intact; the questions not answered are listed as such
    assert list(back["alternative"]) == [a.key for a in res.alternatives]
    assert "cancelled" in set(back["state"]) and "Without a plan" in wb["alternatives"].cell(2, 1).value
