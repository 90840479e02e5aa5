"""The results workbook: round trip, safety of input text, atomic writes, charts, LibreOffice."""

from __future__ import annotations

import dataclasses
import shutil
import zipfile

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from factories import tiny_tables
from helpers import assert_libreoffice_converts, chart_values, file_names
from planner.errors import OutputError
from planner.export.results import DATA_SHEETS, SHEET_ORDER, VIEW_SHEETS, build_workbook, read_results, write_results
from planner.cases import validate
from planner.io.reader import workbook_from_tables
from planner.results.labels import step_label
from planner.results.solution import TABLES, Solution
from planner.run import solve_case
from planner.solve.presets import merge_options

INJECTION = '=HYPERLINK("http://x","click")'


def _solve(tables: dict, case: str, **kw) -> Solution:
    inst = validate(workbook_from_tables(tables, "tiny"))
    return solve_case(inst, case, options=merge_options("exact"), **kw)


@pytest.fixture(scope="module")
def solutions() -> dict[str, Solution]:
    tables = tiny_tables()
    return {case: _solve(tables, case) for case in ("base", "localize")}


@pytest.fixture(scope="module")
def no_plan() -> Solution:
    """Hard targets the tiny instance cannot reach: AAM 90% localized in 2027 (at most 500 of 750 t)."""
    tables = tiny_tables()
    target = next(r for r in tables["policy"] if r["parameter"] == "localization_target")
    target.update(year=2027, localize=0.9)
    sol = _solve(tables, "localize", hard_targets=True)
    assert not sol.has_plan
    return sol


def _expected(df: pd.DataFrame) -> pd.DataFrame:
    """A Solution table as the workbook gives it back: numeric columns (a unit suffix says so) that are all
    None become NaN; other all-None columns (a graded shipment's grade, blank for ungraded commodities)
    come back as None."""
    out = df.copy()
    numeric = ("_t", "_usd", "_usd_per_t", "_share", "year", "tonnes", "utilization")
    for c in out.columns:
        if out[c].dtype == object and len(out) and out[c].isna().all() and str(c).endswith(numeric):
            out[c] = pd.to_numeric(out[c])
    return out.reset_index(drop=True)


def _assert_same(got: pd.DataFrame, want: pd.DataFrame, name: str) -> None:
    assert list(got.columns) == list(want.columns), name
    pd.testing.assert_frame_equal(got, _expected(want), check_dtype=False, check_index_type=False,
                                  check_column_type=False, rtol=1e-9, atol=1e-6, obj=name)


# ------------------------------------------------------------------------------------------ round trip
@pytest.mark.parametrize("case", ["base", "localize"])
def test_round_trip_equals_solution_tables(solutions, tmp_path, case):
    sol = solutions[case]
    path = write_results(sol, tmp_path / f"{case}.xlsx")
    assert path == tmp_path / f"{case}.xlsx" and path.is_file()
    back = read_results(path)
    assert set(back) == {*sol.table_names, "sources"}  # the core tables and those families register
    for name in sol.table_names:
        _assert_same(back[name], sol.table(name), name)
    sources = pd.DataFrame(sol.run_info["sources"], columns=["item", "value", "tag", "source", "note"])
    assert back["sources"].to_dict("records") == sources.to_dict("records")


def test_money_is_written_in_millions_and_headers_carry_units(solutions, tmp_path):
    sol = solutions["localize"]
    wb = load_workbook(write_results(sol, tmp_path / "r.xlsx"))
    ws = wb["builds"]
    headers = {c.value: c for c in ws[4] if c.value}
    assert "capex [$M]" in headers and "capacity [t/yr]" in headers and "partner equity share [%]" in headers
    col = headers["capex [$M]"].column
    p2 = next(r for r in range(5, ws.max_row + 1) if ws.cell(r, 1).value == "P2")
    assert ws.cell(p2, col).value == pytest.approx(12.0)  # 2 units x $6M, in $M
    assert ws.cell(p2, col).number_format == "#,##0.0"
    assert ws.cell(p2, headers["capacity [t/yr]"].column).number_format == "#,##0"
    loc = wb["localization"]
    lh = {c.value: c.column for c in loc[4] if c.value}
    assert loc.cell(5, lh["share [%]"]).number_format == "0.0%"
    assert loc.cell(5, lh["target cost (shadow price) [$/t]"]).number_format == "#,##0"
    for name in DATA_SHEETS:
        ws = wb[name]
        assert all(c.font.b for c in ws[4] if c.value), name
        assert ws.freeze_panes in ("A5", "B5"), name
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A4:"), name
        assert ws.row_dimensions[3].hidden, name


def test_sheet_order_and_status_on_every_sheet(solutions, tmp_path):
    sol = solutions["localize"]
    wb = load_workbook(write_results(sol, tmp_path / "r.xlsx"))
    assert [n for n in wb.sheetnames if n in SHEET_ORDER] == list(SHEET_ORDER)
    views = [n for n in wb.sheetnames if n in VIEW_SHEETS]
    assert views == list(VIEW_SHEETS) and wb.sheetnames.index(views[0]) == wb.sheetnames.index("kpis") + 1
    assert wb.sheetnames[:16] == ["decision", "summary", "run_info", "builds", "capacity", "production", "supply",
                                  "localization", "imports", "shipments", "credits", "costs", "marginal_costs",
                                  "unmet", "kpis", "localization_views"]
    assert "proven optimal" in wb["summary"]["A2"].value and "proven optimal" in wb["decision"]["A2"].value
    for name in wb.sheetnames[2:]:
        line = wb[name]["A1"].value
        assert "Tiny example" in line and "localize" in line and "proven optimal" in line, name


def test_summary_and_run_info_content(solutions, tmp_path):
    sol = solutions["localize"]
    wb = load_workbook(write_results(sol, tmp_path / "r.xlsx"))
    summary = [c for row in wb["summary"].iter_rows(values_only=True) for c in row if c is not None]
    assert "Plan for Tiny example — case 'localize'" in summary
    assert "Total cost" in summary and "Qualifying share of AAM by the case's rule, 2028" in summary
    assert "Modular cathode plant (P2)" in summary and "Graphite anode plant (P3)" in summary
    assert "Existing cathode plant (P1)" in summary
    assert "45X credit" in summary and "equals the objective" in summary
    objective = next(r[1] for r in wb["summary"].iter_rows(values_only=True)
                     if isinstance(r[0], str) and r[0].startswith("Objective"))
    assert objective == pytest.approx(sol.status["objective_usd"] / 1e6)
    info = [c for row in wb["run_info"].iter_rows(values_only=True) for c in row if c is not None]
    assert sol.run_info["instance_sha256"] in info
    for option, value, source in sol.run_info["solver_options"]:
        assert option in info and source in info
    for package in sol.run_info["versions"]:
        assert package in info
    for step in sol.status["timings"]:
        assert step_label(step) in info  # in words
    assert "localization_target" in info and "exact" in info


# ------------------------------------------------------------------------------------------ safety
def test_input_text_is_never_a_formula(solutions, tmp_path):
    sol = solutions["localize"]
    builds = sol.builds.copy()
    builds.loc[builds["project"] == "P2", "name"] = INJECTION
    builds.loc[builds["project"] == "P2", "partner"] = "#N/A"
    sources = [{"item": "=1+1", "value": "@SUM(A1)", "tag": "+E", "source": "-2+3", "note": "=cmd|' /C calc'!A0"}]
    evil = dataclasses.replace(sol, builds=builds, run_info={**sol.run_info, "sources": sources},
                               messages=("=2*3 should stay text",))
    path = write_results(evil, tmp_path / "evil.xlsx")
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
    wb = load_workbook(path)
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert all(c.data_type == "s" for c in cells)
    hits = [c for c in cells if c.value == INJECTION]
    assert {c.parent.title for c in hits} == {"builds"}
    assert any(c.value == "=2*3 should stay text" for c in cells if c.parent.title == "summary")
    back = read_results(path)
    assert back["builds"].set_index("project").loc["P2", "name"] == INJECTION
    assert back["builds"].set_index("project").loc["P2", "partner"] == "#N/A"
    assert back["sources"].to_dict("records") == sources


def test_blanks_booleans_and_numpy_values(solutions, tmp_path):
    sol = solutions["base"]  # P3 is not built: its years are NaN
    run_info = {**sol.run_info, "extra_count": np.int64(3), "extra_flag": np.bool_(True)}
    status = {**sol.status, "gap": np.float64(0.0), "variables": np.int64(sol.status["variables"])}
    wb = load_workbook(write_results(dataclasses.replace(sol, run_info=run_info, status=status),
                                     tmp_path / "r.xlsx"))
    ws = wb["builds"]
    head = {c.value: c.column for c in ws[3] if c.value}
    p3 = next(r for r in range(5, ws.max_row + 1) if ws.cell(r, 1).value == "P3")
    assert ws.cell(p3, head["start_year"]).value is None
    assert ws.cell(p3, head["partner"]).value is None
    flag = ws.cell(p3, head["x45_eligible"])
    assert flag.value is True and flag.data_type == "b"
    info = [c for row in wb["run_info"].iter_rows(values_only=True) for c in row if c is not None]
    assert "extra count" in info and 3 in info


def test_empty_tables_get_a_sheet_with_header_and_none(solutions, tmp_path):
    sol = solutions["localize"]
    assert sol.unmet.empty
    no_ship = dataclasses.replace(sol, shipments=sol.shipments.iloc[0:0])
    path = write_results(no_ship, tmp_path / "r.xlsx")
    wb = load_workbook(path)
    for name in ("unmet", "shipments"):
        ws = wb[name]
        assert ws["A5"].value == "none"
        assert "none" in ws["A2"].value
        assert [c.value for c in ws[3] if c.value] == list(sol.table(name).columns)
        assert all(c.value for c in ws[4][: len(sol.table(name).columns)])
    back = read_results(path)
    assert back["unmet"].empty and list(back["unmet"].columns) == list(sol.unmet.columns)
    assert back["shipments"].empty and list(back["shipments"].columns) == list(sol.shipments.columns)


def test_no_plan_still_writes_a_clear_workbook(no_plan, tmp_path):
    path = write_results(no_plan, tmp_path / "none.xlsx")
    wb = load_workbook(path)
    assert [n for n in wb.sheetnames if n in SHEET_ORDER] == list(SHEET_ORDER)
    views = [n for n in wb.sheetnames if n in VIEW_SHEETS]
    assert views == list(VIEW_SHEETS) and wb.sheetnames.index(views[0]) == wb.sheetnames.index("kpis") + 1
    ws = wb["summary"]
    assert "NO PLAN" in ws["A2"].value and "infeasible" in ws["A2"].value
    text = [c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    for message in no_plan.messages:
        assert message in text
    assert not ws._charts
    back = read_results(path)
    for name in no_plan.table_names:
        assert back[name].empty and list(back[name].columns) == list(no_plan.table(name).columns), name
        assert "no plan" in wb[name]["A2"].value


def test_feasible_not_proven_optimal_is_said_everywhere(solutions, tmp_path):
    sol = solutions["localize"]
    status = {**sol.status, "termination": "time_limit", "proven_optimal": False, "gap": 0.0234}
    wb = load_workbook(write_results(dataclasses.replace(sol, status=status), tmp_path / "r.xlsx"))
    # the gap rounded up to two significant digits, the one rule everywhere
    assert "feasible, not proven optimal, gap 2.4%" in wb["summary"]["A2"].value
    assert "feasible, not proven optimal, gap 2.4%" in wb["decision"]["A2"].value
    for name in wb.sheetnames[2:]:
        assert "feasible, not proven optimal, gap 2.4%" in wb[name]["A1"].value, name


# ------------------------------------------------------------------------------------------ atomic writes
def test_protected_input_is_never_overwritten(solutions, tmp_path):
    source = tmp_path / "input.xlsx"
    source.write_bytes(b"the input workbook")
    before = file_names(tmp_path)
    with pytest.raises(OutputError, match="input workbook"):
        write_results(solutions["base"], source, protect=(source,))
    with pytest.raises(OutputError, match="input workbook"):  # same file, other spelling
        write_results(solutions["base"], tmp_path / "." / "input.xlsx", protect=(str(source),))
    assert source.read_bytes() == b"the input workbook"
    assert file_names(tmp_path) == before


def test_writes_replace_the_file_and_leave_no_temporary_files(solutions, tmp_path):
    target = tmp_path / "results.xlsx"
    write_results(solutions["base"], target)
    write_results(solutions["localize"], target)  # overwrite an older result
    assert file_names(tmp_path) == {"results.xlsx"}
    assert read_results(target)["builds"]["decision"].tolist() == ["existing", "build", "build"]
    with pytest.raises(OutputError):
        write_results(solutions["base"], tmp_path / "missing-folder" / "r.xlsx")
    with pytest.raises(OutputError, match="xlsx"):
        write_results(solutions["base"], tmp_path / "r.csv")
    assert file_names(tmp_path) == {"results.xlsx"}


# ------------------------------------------------------------------------------------------ charts
def test_charts_draw_the_right_data(solutions, tmp_path):
    sol = solutions["localize"]
    assert len(build_workbook(sol)["summary"].charts) == 5
    wb = load_workbook(write_results(sol, tmp_path / "r.xlsx"))
    charts = wb["summary"]._charts
    assert len(charts) == 5
    years = sorted(sol.credits["year"])

    def series(chart) -> dict[str, list]:
        out = {}
        for s in chart.series:
            assert chart_values(wb, s.cat.numRef.f if s.cat.numRef else s.cat.strRef.f) == years
            out[chart_values(wb, s.tx.strRef.f)[0]] = chart_values(wb, s.val.numRef.f)
        return out

    cap = series(charts[0])
    want = sol.capacity.groupby(["commodity", "year"])["qualified_t"].sum()
    assert set(cap) == set(sol.capacity["commodity"])
    for c, vals in cap.items():
        assert vals == pytest.approx([want.get((c, y), 0.0) for y in years])

    loc = series(charts[1])
    share = sol.localization.set_index(["group", "year"])["share"]
    assert loc["AAM share"] == pytest.approx([share[("AAM", y)] for y in years])
    assert loc["CAM share"] == pytest.approx([share[("CAM", y)] for y in years])
    assert loc["AAM target"] == [None, None, pytest.approx(0.5)]  # target only where the case sets one
    assert "CAM target" not in loc

    cost = series(charts[2])
    per_year = sol.costs.groupby("year")["cost_usd"].sum() / 1e6
    totals = [sum(v[i] for v in cost.values()) for i in range(len(years))]
    assert totals == pytest.approx(per_year.loc[years].tolist())
    assert "45X credit" in cost and min(cost["45X credit"]) < 0


# ------------------------------------------------------------------------------------------ LibreOffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_converts_the_workbook_to_pdf(solutions, tmp_path):
    path = write_results(solutions["localize"], tmp_path / "results.xlsx")
    assert_libreoffice_converts(path, tmp_path)


def test_read_results_refuses_other_files(tmp_path):
    bogus = tmp_path / "bogus.xlsx"
    bogus.write_text("not a workbook")
    with pytest.raises(OutputError):
        read_results(bogus)
