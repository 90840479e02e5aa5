"""The comparison workbook: sheets, failed cases, values against the Comparison, regret, links, safety, charts."""

from __future__ import annotations

import dataclasses
import math
import shutil
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from openpyxl.utils import range_boundaries

from factories import tiny_tables
from helpers import assert_libreoffice_converts, chart_values, file_names, find_cell, sheet_texts
from planner.compare.compare import CaseRun, Comparison, compare, plan_of, regret_matrix
from planner.errors import OutputError
from planner.export.comparison import SHEET_ORDER, build_comparison_workbook, write_comparison
from planner.results.labels import FMT_MUSD
from planner.export.results import write_results
from planner.cases import validate
from planner.io.reader import workbook_from_tables
from planner.results.solution import Solution
from planner.run import solve_case
from planner.solve.presets import merge_options

REASON = "infeasible: the AAM 2027 target cannot be met"
INJECTION = '=HYPERLINK("http://x","click")'


# ------------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def solved() -> dict:
    """The tiny instance's two cases, and each plan evaluated under the other case."""
    inst = validate(workbook_from_tables(tiny_tables(), "tiny"))
    opts = merge_options("exact")
    sols = {c: solve_case(inst, c, options=opts) for c in ("base", "localize")}
    cross = {(a, b): solve_case(inst, b, options=opts, plan=plan_of(sols[a])).status["objective_usd"]
             for a in sols for b in sols if a != b}
    return {"sols": sols, "cross": cross}


def _own(sols: dict[str, Solution]) -> dict[str, float]:
    return {c: s.status["objective_usd"] for c, s in sols.items()}


def _comparison(solved: dict, *, workbooks: dict[str, Path] | None = None, regret: bool = True,
                cases: tuple[str, ...] = ("base", "localize", "broken"), base: str = "base") -> Comparison:
    sols = solved["sols"]
    runs = {c: CaseRun(c, "done", s, seconds=0.1 + i, workbook=str(workbooks[c]) if workbooks else None)
            for i, (c, s) in enumerate(sols.items())}
    runs["broken"] = CaseRun("broken", "failed", error=REASON, seconds=0.05)
    reg = regret_matrix(_own(sols), solved["cross"], list(sols)) if regret else None
    return compare(runs, list(cases), base, instance="Tiny example", instance_path="instances/tiny.xlsx",
                   instance_sha256="abc", regret=reg,
                   options={"preset": "exact", "highs": {"time_limit": 60}, "jobs": 2, "scheduler": "process"})


@pytest.fixture(scope="module")
def written(solved, tmp_path_factory) -> dict:
    """Per-case results workbooks, then the comparison workbook next to them."""
    folder = tmp_path_factory.mktemp("cmp")
    books = {c: write_results(s, folder / f"tiny-{c}-results.xlsx") for c, s in solved["sols"].items()}
    cmp = _comparison(solved, workbooks=books)
    path = write_comparison(cmp, folder / "tiny-comparison.xlsx")
    return {"cmp": cmp, "path": path, "folder": folder, "books": books, "wb": load_workbook(path)}


def _header(ws, row: int = 4) -> dict[str, int]:
    return {c.value: c.column for c in ws[row] if c.value is not None}


def _table(ws, row: int = 4) -> list[dict]:
    """A sheet's table (header on `row`) as records, down to the end of the autofilter."""
    head = _header(ws, row)
    last = range_boundaries(ws.auto_filter.ref)[3]
    return [{h: ws.cell(r, j).value for h, j in head.items()} for r in range(row + 1, last + 1)]


# ------------------------------------------------------------------------------------------ sheets
def test_workbook_has_the_sheets_and_a_header_line_on_each(written):
    wb = written["wb"]
    assert wb.sheetnames == list(SHEET_ORDER)
    for ws in wb.worksheets[1:]:
        line = ws["A1"].value
        assert "Tiny example" in line and "comparison of 3 cases" in line and "base case 'base'" in line, ws.title
    title = wb["summary"]["A1"].value
    assert "Tiny example" in title and "3 cases" in title and "'base'" in title


def test_table_sheets_have_bold_headers_frozen_panes_and_autofilter(written):
    wb = written["wb"]
    for name in ("kpis", "deltas", "builds", "supply_mix", "localization"):
        ws = wb[name]
        assert all(c.font.b for c in ws[4] if c.value), name
        assert ws.freeze_panes and ws.freeze_panes[-1] == "5", name
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A4:"), name
        assert all((ws.column_dimensions[c.column_letter].width or 0) >= 8 for c in ws[4] if c.value), name
    head = _header(wb["supply_mix"])
    assert "domestic plants [t]" in head and "imports from China [t]" in head and "total [t]" in head
    assert set(_header(wb["localization"])) >= {"share [%]", "target [%]", "domestic + FTA share [%]",
                                                "shortfall [t]"}


def test_failed_case_is_visible_with_its_reason_everywhere(written):
    wb = written["wb"]
    ws = wb["summary"]
    assert "1 of 3 cases have no plan" in ws["A2"].value and REASON in ws["A2"].value
    broken = find_cell(ws, "broken", column=1)
    row = [c.value for c in ws[broken.row]]
    assert "failed" in row and REASON in row
    assert "done" in [c.value for c in ws[find_cell(ws, "base", column=1).row]]
    for sheet in wb.worksheets:
        assert any(REASON in t for t in sheet_texts(sheet)), sheet.title
    # its columns and rows say n/a or failed, never a number
    kpis = wb["kpis"]
    col = _header(kpis)["broken"]
    assert "FAILED" in kpis.cell(5, col).value and REASON in kpis.cell(5, col).value
    assert {kpis.cell(r, col).value for r in range(6, kpis.max_row + 1)} <= {"n/a", None}
    builds = wb["builds"]
    col = _header(builds)["broken"]
    assert {builds.cell(r, col).value for r in range(5, 8)} == {"n/a"}
    for name in ("supply_mix", "localization"):
        rec = [r for r in _table(wb[name]) if r["case"] == "broken"]
        assert len(rec) == 1 and REASON in next(v for v in rec[0].values() if isinstance(v, str) and "FAILED" in v)


def test_summary_lists_cases_kpis_and_the_safest_plan(written):
    cmp, ws = written["cmp"], written["wb"]["summary"]
    head_row = find_cell(ws, "solve time [s]").row
    head = _header(ws, head_row)
    for case, sol in written["cmp"].runs.items():
        r = find_cell(ws, case, column=1).row
        if sol.status == "done":
            assert ws.cell(r, head["status"]).value == "done"
            assert ws.cell(r, head["total cost [$M]"]).value == pytest.approx(
                sol.solution.status["objective_usd"] / 1e6)
            assert ws.cell(r, head["solve time [s]"]).value == pytest.approx(sol.seconds)
            assert ws.cell(r, head["solve status (or why the case failed)"]).value.startswith("optimal")
    reg = cmp.regret
    assert reg.best_plan == "localize"  # the tiny instance: base's plan misses localize's target
    texts = sheet_texts(ws)
    safest = next(t for t in texts if "smallest worst-case regret" in t)
    assert "'localize'" in safest and f"${reg.max_regret['localize'] / 1e6:,.2f}M" in safest
    kpi_head_row = find_cell(ws, "total cost [$M]", column=2).row
    kh = _header(ws, kpi_head_row)
    assert {"public cost [$M]", "capex committed [$M]", "total cost difference vs base per kWh of cells [$/kWh]", "units built"} <= set(kh)
    r = find_cell(ws, "localize", column=1)
    rows = [c.row for c in ws["A"] if c.value == "localize"]
    r = next(x for x in rows if x > kpi_head_row)
    assert ws.cell(r, kh["capex committed [$M]"]).value == pytest.approx(
        cmp.kpis.at["capex_committed_usd", "localize"] / 1e6)


def test_kpis_and_deltas_match_the_comparison(written):
    cmp, wb = written["cmp"], written["wb"]
    for name, frame in (("kpis", cmp.kpis), ("deltas", cmp.deltas)):
        ws = wb[name]
        head = _header(ws)
        records = {r["key"]: r for r in _table(ws) if r["key"] != "status"}
        assert list(records) == list(frame.index), name
        cases = ["base", "localize"] if name == "kpis" else ["localize"]
        assert ("base" in head) == (name == "kpis")
        for kpi, rec in records.items():
            unit = frame.at[kpi, "unit"]
            assert rec["what it is"] == frame.at[kpi, "note"]
            for case in cases:
                want = frame.at[kpi, case]
                got = rec[case]
                if want is None or (isinstance(want, float) and math.isnan(want)):
                    assert got == "n/a"
                    continue
                if unit == "$":
                    assert rec["unit"] == "$M"
                    assert got == pytest.approx(want / 1e6, abs=1e-6)
                else:
                    assert got == pytest.approx(want, abs=1e-9), (name, kpi, case)
            if unit == "share":
                assert rec["unit"] == ("%" if name == "kpis" else "% points")
                assert "%" in ws.cell(list(records).index(kpi) + (6 if name == "kpis" else 5),
                                      head[cases[-1]]).number_format
    kpis = wb["kpis"]
    total = find_cell(kpis, "total_cost_usd").row
    assert kpis.cell(total, 1).value == "Total cost" and kpis.cell(total, 2).value == "$M"
    assert kpis.cell(total, _header(kpis)["base"]).number_format == "#,##0.0"


def test_build_matrix_matches_and_differences_from_the_base_are_highlighted(written):
    cmp, ws = written["cmp"], written["wb"]["builds"]
    rows = _table(ws)
    assert [r["project"] for r in rows] == cmp.builds["project"].tolist() == ["P2", "P3", "P1"]
    assert [r["kind"] for r in rows] == ["candidate", "candidate", "existing or committed"]
    for rec, want in zip(rows, cmp.builds.to_dict("records"), strict=True):
        for key in ("name", "commodity", "site"):
            assert rec[key] == want[key]
        for case in ("base", "localize"):
            assert rec[case] == want[case]
    assert rows[1]["base"] == "–" and rows[1]["localize"] == "2027 ×1"
    assert [r["built in"] for r in rows] == ["2 of 2", "1 of 2", "2 of 2"]
    head = _header(ws)
    fills = {(r, c): ws.cell(5 + i, head[c]).fill.fgColor.rgb for i, r in enumerate(["P2", "P3", "P1"])
             for c in ("base", "localize")}
    plain = fills[("P2", "localize")]
    assert fills[("P3", "localize")] != plain  # built under localize, not in the base case
    assert fills[("P1", "localize")] == plain and fills[("P3", "base")] == plain


def test_supply_mix_and_localization_match_the_comparison(written):
    cmp, wb = written["cmp"], written["wb"]
    mix = cmp.supply_mix.pivot_table(index=["case", "family", "year"], columns="source", values="tonnes",
                                     aggfunc="sum").fillna(0.0)
    rows = [r for r in _table(wb["supply_mix"]) if r["case"] != "broken"]
    assert len(rows) == len(mix)
    for r in rows:
        want = mix.loc[(r["case"], r["family"], r["year"])]
        for source, value in want.items():
            label = f"imports from {source[8:]} [t]" if source.startswith("imports_") else \
                f"{source.replace('_', ' ')} [t]"
            assert r[label] == pytest.approx(value)
        assert r["total [t]"] == pytest.approx(want.sum())
    loc = cmp.localization.set_index(["case", "group", "year"])
    rows = [r for r in _table(wb["localization"]) if r["case"] != "broken"]
    assert len(rows) == len(loc)
    for r in rows:
        want = loc.loc[(r["case"], r["group"], r["year"])]
        assert r["share [%]"] == pytest.approx(want["share"])
        assert r["domestic + FTA share [%]"] == pytest.approx(want["domestic_fta_share"])
        assert r["shortfall [t]"] == pytest.approx(want["shortfall_t"])
        assert r["target [%]"] == (pytest.approx(want["target_share"]) if want["target_share"] else None)
    assert any(r["target [%]"] == pytest.approx(0.5) for r in rows if r["case"] == "localize")


# ------------------------------------------------------------------------------------------ regret
def _matrix(ws, title_start: str) -> tuple[int, dict[str, int], dict[str, int]]:
    title = next(c for c in ws["A"] if isinstance(c.value, str) and c.value.startswith(title_start))
    head_row = title.row + 1
    cols = {c.value: c.column for c in ws[head_row][1:] if c.value}
    rows = {}
    r = head_row + 1
    while ws.cell(r, 1).value:
        rows[ws.cell(r, 1).value] = r
        r += 1
    return head_row, cols, rows


def test_regret_sheet_matches_in_millions_and_marks_the_best_plan(written):
    reg, ws = written["cmp"].regret, written["wb"]["regret"]
    for title, frame in (("Cost of each plan", reg.cost), ("Regret [$M]", reg.regret)):
        _h, cols, rows = _matrix(ws, title)
        assert list(rows) == list(frame.index) and [c for c in cols if c in frame.columns] == list(frame.columns)
        for a in frame.index:
            for b in frame.columns:
                cell = ws.cell(rows[a], cols[b])
                assert cell.value == pytest.approx(frame.at[a, b] / 1e6)
                assert cell.number_format == FMT_MUSD  # money by the one precision rule ($M, one decimal)
    _h, cols, rows = _matrix(ws, "Regret [$M]")
    for plan, r in rows.items():
        assert ws.cell(r, cols["worst-case regret [$M]"]).value == pytest.approx(reg.max_regret[plan] / 1e6)
    best = ws.cell(rows["localize"], 1)
    other = ws.cell(rows["base"], 1)
    assert best.font.b and best.fill.fgColor.rgb != other.fill.fgColor.rgb
    assert "safest plan" in " ".join(str(c.value) for c in ws[rows["localize"]] if c.value)
    assert not any("safest plan" in str(c.value) for c in ws[rows["base"]] if c.value)
    assert ws["A4"].value.startswith("Safest plan: the plan of case 'localize'")


def test_plans_that_cannot_be_evaluated_read_na_with_the_reason(solved, tmp_path):
    why = "P2 cannot be built in 2026 under localize"
    cross = {**solved["cross"], ("base", "localize"): None}
    reg = regret_matrix(_own(solved["sols"]), cross, ["base", "localize"], {("base", "localize"): why})
    cmp = dataclasses.replace(_comparison(solved), regret=reg)
    ws = load_workbook(write_comparison(cmp, tmp_path / "c.xlsx"))["regret"]
    for title in ("Cost of each plan", "Regret [$M]"):
        _h, cols, rows = _matrix(ws, title)
        assert ws.cell(rows["base"], cols["localize"]).value == "n/a"
    _h, cols, rows = _matrix(ws, "Regret [$M]")
    assert ws.cell(rows["base"], cols["worst-case regret [$M]"]).value == "n/a"
    note = find_cell(ws, why)
    assert ws.cell(note.row, 1).value == "base" and ws.cell(note.row, 2).value == "localize"


def test_without_regret_there_is_no_regret_sheet(solved, tmp_path):
    cmp = _comparison(solved, regret=False)
    wb = load_workbook(write_comparison(cmp, tmp_path / "c.xlsx"))
    assert "regret" not in wb.sheetnames
    assert wb.sheetnames == [s for s in SHEET_ORDER if s != "regret"]
    assert any("regret analysis was not run" in t for t in sheet_texts(wb["summary"]))


def test_failed_base_case_and_all_failed_still_write_a_clear_workbook(solved, tmp_path):
    cmp = _comparison(solved, cases=("broken", "base", "localize"), base="broken")
    wb = load_workbook(write_comparison(cmp, tmp_path / "c.xlsx"))
    assert "base case 'broken' has no plan" in wb["deltas"]["A2"].value
    d = wb["deltas"]
    assert {d.cell(r, _header(d)["localize"]).value for r in range(5, d.max_row + 1)} <= {"n/a", None}
    runs = {"broken": CaseRun("broken", "failed", error=REASON), "other": CaseRun("other", "failed", error="timeout")}
    nothing = compare(runs, ["broken", "other"], "broken", instance="Tiny example")
    wb = load_workbook(write_comparison(nothing, tmp_path / "none.xlsx"))
    assert "2 of 2 cases have no plan" in wb["summary"]["A2"].value
    assert not wb["summary"]._charts
    for sheet in wb.worksheets:
        assert any(REASON in t for t in sheet_texts(sheet)) and any("timeout" in t for t in sheet_texts(sheet)), sheet.title


def test_a_solve_without_a_plan_reads_as_no_plan(solved, tmp_path):
    """A case that ran but found no plan (hard targets the tiny instance cannot reach) is not a result."""
    tables = tiny_tables()
    target = next(r for r in tables["policy"] if r["parameter"] == "localization_target")
    target.update(year=2027, localize=0.9)
    inst = validate(workbook_from_tables(tables, "tiny"))
    hard = solve_case(inst, "localize", options=merge_options("exact"), hard_targets=True)
    assert not hard.has_plan
    runs = {"base": CaseRun("base", "done", solved["sols"]["base"]), "hard": CaseRun("hard", "done", hard)}
    cmp = compare(runs, ["base", "hard"], "base", instance="Tiny example")
    wb = load_workbook(write_comparison(cmp, tmp_path / "c.xlsx"))
    assert "NO PLAN" in wb["summary"]["A2"].value and "'hard'" in wb["summary"]["A2"].value
    kpis = wb["kpis"]
    col = _header(kpis)["hard"]
    assert "NO PLAN" in kpis.cell(5, col).value
    assert {kpis.cell(r, col).value for r in range(6, kpis.max_row + 1)} <= {"n/a", None}
    assert {r["hard"] for r in _table(wb["builds"])} == {"n/a"}
    for sheet in wb.worksheets:
        assert any("NO PLAN" in t for t in sheet_texts(sheet)), sheet.title


# ------------------------------------------------------------------------------------------ links
def test_links_point_to_each_case_workbook_relative_to_the_comparison(written):
    ws, folder = written["wb"]["summary"], written["folder"]
    for book in written["books"].values():
        cell = find_cell(ws, book.name)
        assert cell.hyperlink is not None and cell.hyperlink.target == book.name
        assert (folder / unquote(cell.hyperlink.target)).resolve() == book.resolve()
    broken = find_cell(ws, "broken", column=1).row
    assert ws.cell(broken, find_cell(ws, "results workbook").column).value == "not written"
    contents = find_cell(ws, "regret", column=1)
    assert contents.hyperlink.location == "'regret'!A1" or contents.hyperlink.target == "#'regret'!A1"


def test_links_into_another_folder_stay_relative(solved, tmp_path):
    (tmp_path / "cases").mkdir()
    (tmp_path / "out").mkdir()
    books = {c: write_results(s, tmp_path / "cases" / f"tiny {c}.xlsx") for c, s in solved["sols"].items()}
    path = write_comparison(_comparison(solved, workbooks=books), tmp_path / "out" / "cmp.xlsx")
    ws = load_workbook(path)["summary"]
    for book in books.values():
        cell = find_cell(ws, book.name)
        assert cell.hyperlink.target == f"../cases/{book.name.replace(' ', '%20')}"
        assert (path.parent / unquote(cell.hyperlink.target)).resolve() == book.resolve()


# ------------------------------------------------------------------------------------------ safety
def test_input_text_is_never_a_formula(solved, tmp_path):
    sols = solved["sols"]

    def renamed(sol: Solution) -> Solution:
        b = sol.builds.copy()
        b.loc[b["project"] == "P3", "project"] = "=1+1"
        b.loc[b["project"] == "P2", "name"] = INJECTION
        b.loc[b["project"] == "P2", "partner"] = "@SUM(A1)"
        return dataclasses.replace(sol, builds=b)

    evil = {"=1+1": renamed(sols["base"]), "-2+3": renamed(sols["localize"])}
    runs = {c: CaseRun(c, "done", s) for c, s in evil.items()}
    runs["+E"] = CaseRun("+E", "failed", error="=cmd|' /C calc'!A0")
    reg = regret_matrix({"=1+1": 1e8, "-2+3": 1.1e8}, {("=1+1", "-2+3"): 1.2e8, ("-2+3", "=1+1"): 1.05e8},
                        ["=1+1", "-2+3"], {})
    cmp = compare(runs, ["=1+1", "-2+3", "+E"], "=1+1", instance="=SUM(1)", regret=reg,
                  options={"preset": "=2*3"})
    path = write_comparison(cmp, tmp_path / "evil.xlsx")
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
    wb = load_workbook(path)
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert all(c.data_type == "s" for c in cells)
    assert _header(wb["kpis"])["=1+1"] and _header(wb["kpis"])["-2+3"]
    builds = _table(wb["builds"])
    assert "=1+1" in [r["project"] for r in builds]
    assert next(r for r in builds if r["project"] == "P2")["name"] == INJECTION
    assert next(r for r in builds if r["project"] == "P2")["JV partner"] == "@SUM(A1)"
    assert any("=cmd|' /C calc'!A0" in t for t in sheet_texts(wb["summary"]))
    assert "=SUM(1)" in wb["run_info"]["A1"].value
    assert "=2*3" in sheet_texts(wb["run_info"])
    _h, cols, rows = _matrix(wb["regret"], "Regret [$M]")
    assert set(rows) == {"=1+1", "-2+3"} and "=1+1" in cols


# ------------------------------------------------------------------------------------------ atomic writes
def test_protected_input_is_refused_and_untouched(solved, tmp_path):
    cmp = _comparison(solved)
    source = tmp_path / "input.xlsx"
    source.write_bytes(b"the input workbook")
    before = file_names(tmp_path)
    with pytest.raises(OutputError, match="input workbook"):
        write_comparison(cmp, source, protect=(source,))
    with pytest.raises(OutputError, match="input workbook"):
        write_comparison(cmp, tmp_path / "." / "input.xlsx", protect=(str(source),))
    assert source.read_bytes() == b"the input workbook"
    assert file_names(tmp_path) == before


def test_writes_replace_the_file_and_leave_no_temporary_files(solved, tmp_path):
    target = tmp_path / "comparison.xlsx"
    write_comparison(_comparison(solved, regret=False), target)
    write_comparison(_comparison(solved), target)
    assert file_names(tmp_path) == {"comparison.xlsx"}
    assert "regret" in load_workbook(target).sheetnames
    with pytest.raises(OutputError):
        write_comparison(_comparison(solved), tmp_path / "missing-folder" / "c.xlsx")
    with pytest.raises(OutputError, match="xlsx"):
        write_comparison(_comparison(solved), tmp_path / "c.csv")
    assert file_names(tmp_path) == {"comparison.xlsx"}


# ------------------------------------------------------------------------------------------ charts
def test_charts_draw_the_kpis_and_the_localized_shares(solved, written):
    cmp = written["cmp"]
    assert len(build_comparison_workbook(cmp)["summary"].charts) == 5
    wb = written["wb"]
    charts = wb["summary"]._charts
    assert len(charts) == 5  # KPI bars, one line chart per group (AAM, CAM), the four definitions per group

    def series(chart) -> dict[str, tuple[list, list]]:
        out = {}
        for s in chart.series:
            cats = chart_values(wb, s.cat.numRef.f if s.cat.numRef else s.cat.strRef.f)
            out[chart_values(wb, s.tx.strRef.f)[0]] = (cats, chart_values(wb, s.val.numRef.f))
        return out

    bars = series(charts[0])
    assert set(bars) == {"total cost", "cost to industry", "resource cost", "public cost", "capex committed"}
    cats, vals = bars["total cost"]
    assert cats == ["base", "localize", "broken (no plan)"]
    assert vals[:2] == pytest.approx([cmp.kpis.at["total_cost_usd", c] / 1e6 for c in ("base", "localize")])
    assert vals[2] is None
    assert bars["capex committed"][1][:2] == pytest.approx([12.0, 15.0])

    loc = cmp.localization.set_index(["case", "group", "year"])["share"]
    aam = series(charts[1])
    years = sorted(cmp.localization["year"].unique().tolist())
    assert set(aam) == {"base", "localize", "localize target"}
    for case in ("base", "localize"):
        assert aam[case][0] == years
        assert aam[case][1] == pytest.approx([loc[(case, "AAM", y)] for y in years])
    assert aam["localize target"][1] == [None, None, pytest.approx(0.5)]
    dashed = [s.graphicalProperties.line.prstDash for s in charts[1].series]
    assert dashed[2] == "dash" and "dash" not in dashed[:2]
    assert set(series(charts[2])) == {"base", "localize"}  # no CAM target in either case
    lv = cmp.localization_views.set_index(["case", "group", "year", "definition"])["share"]
    for chart, group in ((charts[3], "AAM"), (charts[4], "CAM")):  # the headline year (2028): definitions x cases
        defs = series(chart)
        assert set(defs) == {"base", "localize"}
        for case, (cats, vals) in defs.items():
            assert cats == ["U.S.-made", "North-America-made (USMCA)", "North-America-made + FTA imports",
                            "non-PFE supply"]
            assert vals == pytest.approx([lv[(case, group, 2028, d)] for d in cats])


# ------------------------------------------------------------------------------------------ LibreOffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_converts_the_workbook_to_pdf(written, tmp_path):
    path = shutil.copy(written["path"], tmp_path / "comparison.xlsx")
    assert_libreoffice_converts(path, tmp_path)

