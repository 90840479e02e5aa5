"""The explanation workbook: sheets and order, findings, target costs, candidates, shortfalls, charts, safety."""

from __future__ import annotations

import dataclasses
import errno
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from factories import tiny_tables
from helpers import assert_libreoffice_converts, chart_values, find_cell, sheet_texts
from planner.errors import OutputError
from planner.explain.analysis import Explanation, explain
from planner.export.explanation import EXPLANATION_SHEETS, build_explanation_workbook, write_explanation
from planner.export.instance_xlsx import write_instance
from planner.export.results import SHEET_ORDER, build_workbook, read_results
from planner.solve.presets import merge_options

TINY = Path(__file__).resolve().parents[1] / "instances" / "tiny.xlsx"
INJECTION = '=HYPERLINK("http://x","click")'
HEAD_ROW = 4  # header row of the table sheets


# ------------------------------------------------------------------------------------------ fixtures
def _explain(path: Path, case: str = "localize") -> Explanation:
    return explain(path, case, options=merge_options("exact"), jobs=1)


@pytest.fixture(scope="module")
def tiny() -> Explanation:
    """The tiny instance's localize case: a binding AAM 2028 target at $100/t, both candidates built."""
    return _explain(TINY)


@pytest.fixture(scope="module")
def unreachable(tmp_path_factory) -> Explanation:
    """A 100% AAM target in 2027 that no plan can reach (at most 500 of 750 t)."""
    tables = tiny_tables()
    tables["policy"].append({"parameter": "localization_target", "year": 2027, "commodity": "AAM", "base": 1.0,
                             "localize": 1.0})
    return _explain(write_instance(tables, tmp_path_factory.mktemp("unreach") / "unreachable.xlsx"))


@pytest.fixture(scope="module")
def unbuilt(tmp_path_factory) -> Explanation:
    """An expensive extra candidate the plan does not build, named like formulas."""
    tables = tiny_tables()
    tables["projects"].append({
        "project": "=1+1", "name": INJECTION, "site": "OH", "commodity": "SG", "status": "candidate",
        "units_max": 1, "capacity_per_unit": 800, "capex_per_unit": 90_000_000, "fixed_om_per_unit": 0,
        "variable_cost": 12000, "earliest_start": 2026, "construction_years": 1, "qualification_years": 0,
        "lifetime": 5, "eligible_45x": False})
    return _explain(write_instance(tables, tmp_path_factory.mktemp("unbuilt") / "unbuilt.xlsx"))


@pytest.fixture(scope="module")
def written(tiny, unreachable, unbuilt, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("expl")
    out = {}
    for name, expl in (("tiny", tiny), ("unreachable", unreachable), ("unbuilt", unbuilt)):
        path = write_explanation(expl, folder / f"{name}-explanation.xlsx")
        out[name] = {"expl": expl, "path": path, "wb": load_workbook(path)}
    return out


# ------------------------------------------------------------------------------------------ helpers
def _table_at(ws, head_row: int) -> list[dict]:
    """The records of the table whose header is on `head_row`, down to the first row that is blank after its
    first cell (a blank line or a note under the table)."""
    head = {c.value: c.column for c in ws[head_row] if c.value is not None}
    out, r = [], head_row + 1
    while any(ws.cell(r, j).value is not None for j in head.values() if j > 1):
        out.append({h: ws.cell(r, j).value for h, j in head.items()})
        r += 1
    return out


def _series(wb, chart) -> dict[str, tuple[list, list]]:
    """title -> (categories, values) of each series of a chart."""
    out = {}
    for s in chart.series:
        cat = s.cat.numRef.f if s.cat.numRef is not None else s.cat.strRef.f
        out[chart_values(wb, s.tx.strRef.f)[0]] = (chart_values(wb, cat), chart_values(wb, s.val.numRef.f))
    return out


# ------------------------------------------------------------------------------------------ sheets
def test_sheets_follow_the_summary_then_the_results_workbook(written):
    wb = written["tiny"]["wb"]
    results = build_workbook(written["tiny"]["expl"].solution).sheetnames  # the results workbook's own sheets
    assert results[:2] == ["decision", "summary"] and set(SHEET_ORDER) <= set(results)
    assert wb.sheetnames == ["decision", "summary", *EXPLANATION_SHEETS, *results[2:]]
    assert EXPLANATION_SHEETS == ("findings", "target_costs", "marginal_chart", "candidates", "shortfalls",
                                  "how_computed")


def test_every_explanation_sheet_names_instance_case_and_status(written):
    wb = written["tiny"]["wb"]
    for name in EXPLANATION_SHEETS:
        line = wb[name]["A1"].value
        assert "Tiny example" in line and "case localize" in line and "proven optimal" in line, name
        assert wb[name]["A2"].value, name  # what the sheet shows
    # the summary's contents list links to the explanation sheets too
    summary = wb["summary"]
    for name in EXPLANATION_SHEETS:
        assert find_cell(summary, name, column=1).hyperlink is not None


def test_the_results_sheets_are_the_plans_results_workbook(written):
    back = read_results(written["tiny"]["path"])
    sol = written["tiny"]["expl"].solution
    assert back["kpis"].set_index("kpi").loc["total_cost_usd", "value"] == pytest.approx(sol.kpi("total_cost_usd"))
    assert len(back["marginal_costs"]) == len(sol.marginal_costs)


# ------------------------------------------------------------------------------------------ findings
def test_findings_are_numbered_with_the_cost_of_all_targets(written):
    expl, ws = written["tiny"]["expl"], written["tiny"]["wb"]["findings"]
    assert expl.findings
    for i, text in enumerate(expl.findings, start=1):
        cell = find_cell(ws, text, column=2)
        assert ws.cell(cell.row, 1).value == i
        assert cell.alignment.wrap_text
    assert any("$100 per t" in t for t in sheet_texts(ws))
    label = find_cell(ws, "cost of all localization targets [$M]", column=1)
    value = ws.cell(label.row + 1, 1)
    assert value.value == pytest.approx(expl.targets_total_usd / 1e6) and value.number_format == "#,##0.0"
    assert any(t.startswith("none: every re-solve") for t in sheet_texts(ws))


def test_failed_resolves_are_listed_with_why_and_what_is_na(tiny, tmp_path):
    failed = dataclasses.replace(tiny, targets_total_usd=None,
                                 failures={"without targets": "time limit reached", "without P3": "=crash()"})
    wb = load_workbook(write_explanation(failed, tmp_path / "failed.xlsx"))
    ws = wb["findings"]
    texts = sheet_texts(ws)
    for key, why, what in (("without targets", "time limit reached", "cost of all localization targets"),
                           ("without P3", "=crash()", "the value of P3")):
        cell = find_cell(ws, key, column=1)
        text = ws.cell(cell.row, 2).value
        assert text.startswith(f"failed: {why}") and what in text
    assert any(t.startswith("n/a: the re-solve without targets failed (time limit reached)") for t in texts)
    for name in EXPLANATION_SHEETS:  # row 3 of every explanation sheet says so
        assert "2 re-solves failed" in wb[name]["A3"].value and "time limit reached" in wb[name]["A3"].value


# ------------------------------------------------------------------------------------------ target costs
def test_target_cost_reads_back_as_the_explanation_computed_it(written):
    expl, ws = written["tiny"]["expl"], written["tiny"]["wb"]["target_costs"]
    rows = _table_at(ws, HEAD_ROW)
    assert len(rows) == len(expl.target_costs) == 1
    row = rows[0]
    want = expl.target_costs.iloc[0]
    assert row["group (family or commodity)"] == "AAM" and row["year"] == 2028
    assert row["target cost [$/t of qualifying supply]"] == pytest.approx(want["cost_usd_per_t"]) == 100
    assert row["target cost [$/kWh of cells]"] == pytest.approx(want["cost_usd_per_kwh"]) == pytest.approx(0.025)
    assert row["target [% of demand]"] == pytest.approx(0.5)
    assert row["required qualifying supply [t]"] == pytest.approx(500)
    assert row["binding"] == "yes"
    assert "shadow price" in row["how computed (details: how_computed)"]
    assert "2.00 GWh" in row["how computed (details: how_computed)"]
    head = {c.value: c.column for c in ws[HEAD_ROW] if c.value}
    assert ws.cell(HEAD_ROW + 1, head["target cost [$/kWh of cells]"]).number_format == "#,##0.0000"
    assert ws.auto_filter.ref == f"A{HEAD_ROW}:J{HEAD_ROW + 1}" and ws.freeze_panes == "C5"


def test_a_missed_target_is_red_and_priced_at_the_penalty(written):
    expl, ws = written["unreachable"]["expl"], written["unreachable"]["wb"]["target_costs"]
    rows = {r["year"]: r for r in _table_at(ws, HEAD_ROW)}
    assert set(rows) == {2027, 2028}
    assert rows[2027]["shortfall [t]"] == pytest.approx(250)
    assert rows[2027]["target cost [$/t of qualifying supply]"] == pytest.approx(
        expl.target_costs.set_index("year").loc[2027, "cost_usd_per_t"])
    assert "penalty" in rows[2027]["how computed (details: how_computed)"]
    cell = find_cell(ws, 2027, column=2)
    assert cell.font.color is not None and cell.font.color.rgb.endswith("9C0006")


# ------------------------------------------------------------------------------------------ candidates
def _candidate_tables(ws) -> tuple[list[dict], list[dict]]:
    first = find_cell(ws, "premium [$M]").row
    second = find_cell(ws, "value [$M]", column=6).row
    return _table_at(ws, first), _table_at(ws, second)


def test_candidate_tables_match_the_explanation_and_are_sorted(written):
    expl, ws = written["unbuilt"]["expl"], written["unbuilt"]["wb"]["candidates"]
    unbuilt, built = _candidate_tables(ws)
    assert [r["project"] for r in unbuilt] == expl.unbuilt["project"].tolist() == ["=1+1"]
    assert [r["project"] for r in built] == expl.built["project"].tolist() == ["P2", "P3"]
    for got, want in zip(unbuilt, expl.unbuilt.to_dict("records"), strict=True):
        assert got["name"] == want["name"] == INJECTION
        assert got["premium [$M]"] == pytest.approx(want["premium_usd"] / 1e6)
        assert got["premium [$/t of qualified output]"] == pytest.approx(want["premium_usd_per_t"])
        assert got["earliest start"] == want["earliest_start"]
        assert got["earliest qualified year"] == want["earliest_qualified"]
        assert got["capacity [t/yr]"] == pytest.approx(want["capacity_t"])
        assert got["note"] == want["note"]
    for got, want in zip(built, expl.built.to_dict("records"), strict=True):
        assert got["value [$M]"] == pytest.approx(want["value_usd"] / 1e6)
        assert (got["commodity"], got["site"], got["note"]) == (want["commodity"], want["site"], want["note"])
    values = [r["value [$M]"] for r in built]
    assert values == sorted(values, reverse=True)
    premiums = [r["premium [$M]"] for r in unbuilt]
    assert premiums == sorted(premiums)


def test_without_unbuilt_candidates_the_table_says_none(written):
    ws = written["tiny"]["wb"]["candidates"]
    assert "none: every candidate is built" in sheet_texts(ws)
    assert len(ws._charts) == 1  # only the value chart


# ------------------------------------------------------------------------------------------ shortfalls
def test_shortfall_of_the_unreachable_target_is_explained(written):
    expl, ws = written["unreachable"]["expl"], written["unreachable"]["wb"]["shortfalls"]
    assert len(expl.shortfalls) == 1
    rows = _table_at(ws, HEAD_ROW)
    assert len(rows) == 1
    row, want = rows[0], expl.shortfalls.iloc[0]
    assert row["kind"] == "target out of reach" and row["what (commodity or group)"] == "AAM" and row["year"] == 2027
    assert row["short [t]"] == pytest.approx(250) and row["need [t]"] == pytest.approx(750)
    assert row["achievable [t]"] == pytest.approx(500)
    assert row["explanation"] == want["explanation"] and "at most 500 t" in row["explanation"]
    cell = find_cell(ws, want["explanation"])
    assert cell.alignment.wrap_text and ws.column_dimensions[cell.column_letter].width >= 80
    assert ws.row_dimensions[cell.row].height > 15
    # the plan's findings carry it too
    assert any(want["explanation"] == t for t in sheet_texts(written["unreachable"]["wb"]["findings"]))


def test_no_shortfall_reads_none(written):
    ws = written["tiny"]["wb"]["shortfalls"]
    assert ws.cell(HEAD_ROW + 1, 1).value == "none: all demand is met and every localization target is reached"


# ------------------------------------------------------------------------------------------ how computed
def test_how_computed_lists_the_notes_and_the_sources_of_each_sheet(written):
    expl, ws = written["tiny"]["expl"], written["tiny"]["wb"]["how_computed"]
    for item, how in expl.notes.itertuples(index=False):
        cell = find_cell(ws, item, column=1)
        assert ws.cell(cell.row, 2).value == how
    for name in EXPLANATION_SHEETS[:-1]:
        assert find_cell(ws, name, column=1).hyperlink is not None
    assert expl.instance_sha256 in sheet_texts(ws)


# ------------------------------------------------------------------------------------------ charts
def test_charts_draw_the_explanations_numbers(written):
    wb = written["unbuilt"]["wb"]
    expl = written["unbuilt"]["expl"]

    (target,) = wb["target_costs"]._charts
    assert _series(wb, target) == {"AAM": ([2028], [pytest.approx(100)])}

    charts = wb["marginal_chart"]._charts
    assert len(charts) == 1  # no value dwarfs the others in the tiny instance: no second chart
    lines = _series(wb, charts[0])
    assert set(lines) == {"NMC811 — OH", "SG — OH"}
    mc = expl.marginal_costs.set_index(["commodity", "region", "year"])["marginal_cost_usd_per_t"]
    for label, (years, vals) in lines.items():
        c, r = label.split(" — ")
        assert years == [2026, 2027, 2028]
        assert vals == pytest.approx([mc[(c, r, y)] for y in years])
    assert "region that takes most" in str(charts[0].title.tx.rich.p[0].r[0].t)

    premium, value = wb["candidates"]._charts
    (cats, vals), = _series(wb, premium).values()
    assert cats == ["=1+1 " + INJECTION[:28] + "…"] and vals == pytest.approx([expl.unbuilt["premium_usd"][0] / 1e6])
    (cats, vals), = _series(wb, value).values()
    assert cats == ["P2 Modular cathode plant", "P3 Graphite anode plant"]
    assert vals == pytest.approx((expl.built["value_usd"] / 1e6).tolist())


def test_a_value_that_dwarfs_the_others_gets_a_second_marginal_chart(tiny, tmp_path):
    sol = tiny.solution
    mc = sol.marginal_costs.copy()
    mc.loc[(mc["commodity"] == "SG") & (mc["year"] == 2027), "marginal_cost_usd_per_t"] = 250_000.0
    expl = dataclasses.replace(tiny, solution=dataclasses.replace(sol, marginal_costs=mc))
    wb = load_workbook(write_explanation(expl, tmp_path / "spike.xlsx"))
    full, cut = wb["marginal_chart"]._charts
    # 2028: the $8,000 import plus half a tonne for the AAM target at $100/t (tests/test_marginal_costs.py)
    assert _series(wb, full)["SG — OH"][1] == pytest.approx([8000, 250_000, 8050])
    assert _series(wb, cut)["SG — OH"][1] == [pytest.approx(8000), None, pytest.approx(8050)]


# ------------------------------------------------------------------------------------------ no targets
def test_a_case_without_targets_says_so(tmp_path):
    expl = _explain(TINY, "base")
    assert expl.target_costs.empty and expl.targets_total_usd is None
    wb = load_workbook(write_explanation(expl, tmp_path / "base.xlsx"))
    assert wb["target_costs"].cell(HEAD_ROW + 1, 1).value == "none: the case sets no localization target"
    assert not wb["target_costs"]._charts
    assert "n/a: the case sets no localization target" in sheet_texts(wb["findings"])


# ------------------------------------------------------------------------------------------ safety
def test_input_text_is_never_a_formula(written):
    path = written["unbuilt"]["path"]
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                data = z.read(name)
                assert b"<f>" not in data and b"<f " not in data, name
    wb = written["unbuilt"]["wb"]
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert all(c.data_type == "s" for c in cells)
    hits = {c.parent.title for c in cells if c.value == "=1+1"}
    assert {"candidates", "builds"} <= hits
    assert any(c.value == INJECTION for c in cells if c.parent.title == "candidates")


def test_protected_input_is_refused_and_left_untouched(tiny, tmp_path):
    src = tmp_path / "instance.xlsx"
    shutil.copy(TINY, src)
    before = src.read_bytes()
    with pytest.raises(OutputError, match="input workbook"):
        write_explanation(tiny, src, protect=(src,))
    assert src.read_bytes() == before
    assert {p.name for p in tmp_path.iterdir()} == {"instance.xlsx"}


def test_writes_replace_the_file_atomically_and_leave_no_temporary_files(tiny, tmp_path, monkeypatch):
    target = tmp_path / "explanation.xlsx"
    target.write_bytes(b"old")
    assert write_explanation(tiny, target) == target
    assert load_workbook(target).sheetnames[2] == "findings"
    with pytest.raises(OutputError, match="xlsx"):
        write_explanation(tiny, tmp_path / "explanation.csv")
    with pytest.raises(OutputError):
        write_explanation(tiny, tmp_path / "missing-folder" / "e.xlsx")

    def full_disk(fd, data):  # half a file, then the disk is full (the OS-level write of the atomic writer)
        os.write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    before = target.read_bytes()
    monkeypatch.setattr("planner.export.atomic._os_write", full_disk)
    with pytest.raises(OutputError, match="is full"):
        write_explanation(tiny, target)
    assert target.read_bytes() == before
    assert {p.name for p in tmp_path.iterdir()} == {"explanation.xlsx"}


def test_build_in_memory_matches_what_is_written(tiny):
    wb = build_explanation_workbook(tiny)
    assert wb.sheetnames[:len(EXPLANATION_SHEETS) + 2] == ["decision", "summary", *EXPLANATION_SHEETS]


# ------------------------------------------------------------------------------------------ LibreOffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_converts_the_workbook_to_pdf(written, tmp_path):
    path = shutil.copy(written["unreachable"]["path"], tmp_path / "explanation.xlsx")
    assert_libreoffice_converts(path, tmp_path)
