"""Instance workbooks written by planner.export.instance_xlsx: template, tiny.xlsx, round trips."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter, range_boundaries

from factories import tiny_tables
from planner import schema
from planner.errors import InstanceError
from planner.export.instance_xlsx import (
    ABOUT_SHEET,
    BOOL_CHOICES,
    LISTS_SHEET,
    TEMPLATE_CASES,
    VALIDATION_LAST_ROW,
    write_instance,
    write_template,
)
from planner.cases import load_instance, validate
from planner.io.reader import workbook_from_tables

REPO = Path(__file__).resolve().parent.parent
TINY = REPO / "instances" / "tiny.xlsx"
FIELDS = ("settings", "commodities", "regions", "projects", "contracts", "transport", "base_demand", "cases")
REGENERATE = (
    "regenerate it: /tmp/venv/bin/python -c \"import sys; sys.path.insert(0, 'tests'); "
    "from factories import tiny_tables; from planner.export.instance_xlsx import write_instance; "
    "write_instance(tiny_tables(), 'instances/tiny.xlsx')\""
)


def _norm(header: Any) -> str:
    text = re.sub(r"\[.*?\]", "", str(header)).strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def _headers(ws: Any) -> dict[str, int]:
    """Column name (unit bracket removed) -> column index."""
    return {_norm(c.value): c.column for c in ws[1] if c.value is not None}


def _load(path: Path) -> Any:
    try:
        return load_instance(path)
    except InstanceError as exc:  # show every issue, not just the exception's summary
        pytest.fail("the workbook does not validate:\n" + "\n".join(str(i) for i in exc.issues))


def _assert_same_instance(a: Any, b: Any) -> None:
    for f in FIELDS:
        assert getattr(a, f) == getattr(b, f), f"instances differ in {f}"


@pytest.fixture(scope="module")
def expected_tiny() -> Any:
    return validate(workbook_from_tables(tiny_tables()))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_template(tmp_path_factory.mktemp("template") / "template.xlsx")


# --------------------------------------------------------------------------------------------
# the template
# --------------------------------------------------------------------------------------------


def test_template_validates(template: Path) -> None:
    inst = _load(template)
    assert list(inst.cases) == list(TEMPLATE_CASES)
    assert inst.projects and inst.commodities and inst.regions and inst.base_demand


def test_template_is_consistent(template: Path) -> None:
    """No warnings: the example rows fit together (see instance_xlsx._make_consistent)."""
    inst = _load(template)
    assert not inst.warnings, "template warnings:\n" + "\n".join(str(w) for w in inst.warnings)


def test_template_has_every_sheet_column_and_example(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames[0] == ABOUT_SHEET
    listed = [n for n in wb.sheetnames if not n.startswith("_")]
    assert listed == list(schema.SHEET_ORDER)
    for spec in schema.TABLE_SHEETS:
        ws = wb[spec.name]
        assert list(_headers(ws)) == [c.name for c in spec.columns], spec.name
        assert ws.max_row - 1 >= len(spec.examples), spec.name
    settings = wb[schema.SETTINGS_SHEET]
    given = {settings.cell(row=r, column=1).value for r in range(2, settings.max_row + 1)}
    assert given == {p.name for p in schema.SETTINGS}
    policy = wb[schema.POLICY_SHEET]
    heads = list(_headers(policy))
    assert heads == [c.name for c in schema.POLICY_FIXED_COLUMNS] + list(TEMPLATE_CASES)
    names = [policy.cell(row=r, column=1).value for r in range(2, policy.max_row + 1)]
    assert names == [p.name for p in schema.POLICY]


def test_filled_template_gives_another_instance(template: Path, tmp_path: Path) -> None:
    """A planner fills in the template with openpyxl (as with Excel): replace and append rows."""
    wb = openpyxl.load_workbook(template)

    def put(ws: Any, row: int, **values: Any) -> None:
        cols = _headers(ws)
        for name, value in values.items():
            ws.cell(row=row, column=cols[name], value=value)

    def clear(ws: Any) -> None:
        ws.delete_rows(2, ws.max_row)

    st = wb[schema.SETTINGS_SHEET]
    for r in range(2, st.max_row + 1):
        name = st.cell(row=r, column=1).value
        if name == "title":
            st.cell(row=r, column=2, value="Filled template")
        if name == "last_year":
            st.cell(row=r, column=2, value=2030)

    reg = wb["regions"]
    put(reg, reg.max_row + 1, region="QC", name="Quebec", fta=True)

    com = wb["commodities"]
    put(com, com.max_row + 1, commodity="LFP", family="CAM", name="LFP cathode", market_price=12000)

    intensity = wb["intensity"]
    put(intensity, intensity.max_row + 1, chemistry="LFP", commodity="LFP", t_per_gwh=2100)

    demand = wb["cell_demand"]
    clear(demand)
    for i, y in enumerate(range(2026, 2031)):
        put(demand, 2 + i, region="OH", year=y, segment="LFP", gwh=10 + 5 * i)

    prj = wb["projects"]
    clear(prj)
    put(prj, 2, project="Q1", name="Quebec LFP plant", site="QC", commodity="LFP", status="candidate",
        units_max=3, capacity_per_unit=10000, capex_per_unit=2e8, variable_cost=9000, earliest_start=2026,
        construction_years=1, ramp_up="0.5;0.9", eligible_45x=False)
    put(prj, 3, project="O1", name="Ohio LFP plant", site="OH", commodity="LFP", status="committed",
        capacity_per_unit=15000, variable_cost=10000, earliest_start=2025, construction_years=2)
    offtakes = wb["offtakes"]  # the example names a project the planner replaced
    clear(offtakes)
    put(offtakes, 2, offtake="OT1", project="O1", buyer_region="OH", min_t=5000)

    contracts = wb["contracts"]
    clear(contracts)
    transport = wb["transport"]
    put(transport, transport.max_row + 1, from_region="QC", to_region="OH", cost_per_t=120, both_ways=True)

    pol = wb[schema.POLICY_SHEET]
    col = pol.max_column + 1
    pol.cell(row=1, column=col, value="high_tariff")
    for r in range(2, pol.max_row + 1):
        if pol.cell(row=r, column=1).value == "tariff":
            pol.cell(row=r, column=col, value=0.5)
    r = pol.max_row + 1
    put(pol, r, parameter="localization_target", year=2030, commodity="CAM")
    pol.cell(row=r, column=col, value=0.8)

    path = tmp_path / "filled.xlsx"
    wb.save(path)
    inst = _load(path)
    assert inst.settings.title == "Filled template"
    assert inst.settings.last_year == 2030
    assert set(inst.projects) == {"Q1", "O1"}
    assert inst.projects["Q1"].ramp_up == (0.5, 0.9)
    assert inst.projects["O1"].status == "committed"
    assert inst.contracts == {}
    assert inst.regions["QC"].fta and not inst.regions["QC"].domestic
    assert inst.transport[("LFP", "OH", "QC")] == 120
    assert inst.base_demand[("LFP", "OH", 2030)] == pytest.approx(30 * 2100)
    assert list(inst.cases) == [*TEMPLATE_CASES, "high_tariff"]
    high = {(p.parameter, p.year, p.commodity): p.value for p in inst.cases["high_tariff"]}
    assert high == {("tariff", None, None): 0.5, ("localization_target", 2030, "CAM"): 0.8}


# --------------------------------------------------------------------------------------------
# tiny.xlsx and round trips
# --------------------------------------------------------------------------------------------


def test_tiny_xlsx_equals_the_factory_tables(expected_tiny: Any) -> None:
    assert TINY.exists(), f"{TINY} is missing; {REGENERATE}"
    inst = _load(TINY)
    for f in FIELDS:
        assert getattr(inst, f) == getattr(expected_tiny, f), f"instances/tiny.xlsx differs in {f}; {REGENERATE}"


def test_tiny_xlsx_has_every_declared_column() -> None:
    wb = openpyxl.load_workbook(TINY)
    for spec in schema.TABLE_SHEETS:
        assert list(_headers(wb[spec.name])) == [c.name for c in spec.columns], f"{spec.name}: {REGENERATE}"


@pytest.mark.parametrize("documented", [True, False])
def test_round_trip(tmp_path: Path, expected_tiny: Any, documented: bool) -> None:
    path = write_instance(tiny_tables(), tmp_path / "tiny.xlsx", documented=documented)
    assert path == tmp_path / "tiny.xlsx"
    inst = _load(path)
    _assert_same_instance(inst, expected_tiny)
    assert inst.sources == expected_tiny.sources
    assert not [p for p in tmp_path.iterdir() if p.name != "tiny.xlsx"], "temporary files left behind"


def test_documented_and_plain_headers(tmp_path: Path) -> None:
    doc = openpyxl.load_workbook(write_instance(tiny_tables(), tmp_path / "doc.xlsx"))
    plain = openpyxl.load_workbook(write_instance(tiny_tables(), tmp_path / "plain.xlsx", documented=False))
    assert ABOUT_SHEET in doc.sheetnames and ABOUT_SHEET not in plain.sheetnames
    cap = schema.SHEETS_BY_NAME["projects"].column("capacity_per_unit")
    heads = {_norm(c.value): c for c in doc["projects"][1]}
    assert heads[cap.name].value == f"{cap.name} [{cap.unit}]"
    assert cap.description in heads[cap.name].comment.text
    assert schema.KIND_TEXT[cap.kind] in heads[cap.name].comment.text
    assert [c.value for c in plain["projects"][1]] == [c.name for c in schema.SHEETS_BY_NAME["projects"].columns]
    assert all(c.comment is None for c in plain["projects"][1])
    for wb in (doc, plain):
        assert wb["projects"].freeze_panes == "A2"
        assert wb["projects"]["A1"].font.b
    # settings and policy rows get unit and description from the schema
    st = doc[schema.SETTINGS_SHEET]
    cols = _headers(st)
    row = next(r for r in range(2, st.max_row + 1) if st.cell(row=r, column=1).value == "penalty_unmet_demand")
    p = next(p for p in schema.SETTINGS if p.name == "penalty_unmet_demand")
    assert st.cell(row=row, column=cols["unit"]).value == p.unit
    assert st.cell(row=row, column=cols["description"]).value == p.description
    pol = doc[schema.POLICY_SHEET]
    cols = _headers(pol)
    row = next(r for r in range(2, pol.max_row + 1) if pol.cell(row=r, column=1).value == "tariff")
    assert pol.cell(row=row, column=cols["description"]).value == schema.POLICY_BY_NAME["tariff"].description
    # the _about sheet lists every sheet and column
    about = "\n".join(str(c.value) for row in doc[ABOUT_SHEET].iter_rows() for c in row if c.value is not None)
    for spec in schema.TABLE_SHEETS:
        assert spec.name in about
        for c in spec.columns:
            assert c.name in about
    for p in (*schema.SETTINGS, *schema.POLICY):
        assert p.name in about


def test_empty_policy_gets_a_case_column(tmp_path: Path) -> None:
    tables = tiny_tables()
    del tables["policy"]
    inst = _load(write_instance(tables, tmp_path / "nopolicy.xlsx"))
    assert inst.cases == validate(workbook_from_tables(tables)).cases


def test_text_is_never_a_formula(tmp_path: Path) -> None:
    tables = tiny_tables()
    tables["projects"][0]["name"] = "=HYPERLINK(\"http://example.com\")"
    tables["projects"][0]["description"] = "+1 more"
    tables["sources"][0]["note"] = "=1+1"
    path = write_instance(tables, tmp_path / "formula.xlsx")
    wb = openpyxl.load_workbook(path)  # not data_only: formulas would show as formulas
    ws = wb["projects"]
    cols = _headers(ws)
    cell = ws.cell(row=2, column=cols["name"])
    assert cell.value == "=HYPERLINK(\"http://example.com\")"
    assert cell.data_type == "s"
    assert ws.cell(row=2, column=cols["description"]).data_type == "s"
    assert wb["sources"].cell(row=2, column=_headers(wb["sources"])["note"]).data_type == "s"
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
    inst = _load(path)
    assert inst.projects["P1"].name == "=HYPERLINK(\"http://example.com\")"
    assert inst.sources[0]["note"] == "=1+1"


# --------------------------------------------------------------------------------------------
# drop-down lists
# --------------------------------------------------------------------------------------------


def _list_values(wb: Any, formula: str) -> list[str]:
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    sheet, ref = formula.rsplit("!", 1)
    ws = wb[sheet.strip("'")]
    min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
    return [str(ws.cell(row=r, column=min_col).value) for r in range(min_row, max_row + 1)]


def _validations(wb: Any, sheet: str) -> dict[str, list[str]]:
    """Column letter -> list values, for list validations covering rows 2..VALIDATION_LAST_ROW."""
    out: dict[str, list[str]] = {}
    for dv in wb[sheet].data_validations.dataValidation:
        if dv.type != "list":
            continue
        for rng in dv.sqref.ranges:
            min_col, min_row, max_col, max_row = rng.bounds
            if min_row <= 2 and max_row >= VALIDATION_LAST_ROW:
                for c in range(min_col, max_col + 1):
                    out[get_column_letter(c)] = _list_values(wb, dv.formula1)
    return out


@pytest.mark.parametrize("which", ["tiny", "template"])
def test_every_enum_and_bool_column_has_a_drop_down(which: str, template: Path, tmp_path: Path) -> None:
    path = template if which == "template" else write_instance(tiny_tables(), tmp_path / "tiny.xlsx")
    wb = openpyxl.load_workbook(path)
    for spec in schema.TABLE_SHEETS:
        lists = _validations(wb, spec.name)
        cols = _headers(wb[spec.name])
        for c in spec.columns:
            letter = get_column_letter(cols[c.name])
            if c.kind == "enum":
                assert lists.get(letter) == list(c.choices), f"{spec.name}.{c.name}"
            elif c.kind == "bool":
                assert lists.get(letter) == list(BOOL_CHOICES), f"{spec.name}.{c.name}"
    pol = _validations(wb, schema.POLICY_SHEET)
    assert pol[get_column_letter(_headers(wb[schema.POLICY_SHEET])["parameter"])] == [p.name for p in schema.POLICY]
    st = _validations(wb, schema.SETTINGS_SHEET)
    assert st[get_column_letter(_headers(wb[schema.SETTINGS_SHEET])["parameter"])] == [p.name for p in schema.SETTINGS]
    if LISTS_SHEET in wb.sheetnames:
        assert wb[LISTS_SHEET].sheet_state == "hidden"


def test_long_lists_live_on_a_hidden_sheet(tmp_path: Path) -> None:
    """A list longer than Excel's 255-character limit for inline lists is given as a range."""
    from planner.export.instance_xlsx import _Lists

    wb = openpyxl.Workbook()
    lists = _Lists(wb)
    short = lists.formula(("a", "b"))
    assert short == '"a,b"'
    long_values = tuple(f"parameter_{i:03d}" for i in range(40))
    formula = lists.formula(long_values)
    assert formula.startswith(f"'{LISTS_SHEET}'!")
    assert lists.formula(long_values) == formula  # written once
    assert _list_values(wb, formula) == list(long_values)
    assert wb[LISTS_SHEET].sheet_state == "hidden"


def test_a_workbook_edited_between_two_loads_is_read_again(tmp_path: Path) -> None:
    # load_instance keeps the instances it validated by path and content: loading the same bytes again
    # gives the same (frozen) Instance without reading it again; a workbook edited on disk is a new key
    # and is read again, never served from the earlier one
    path = tmp_path / "tiny.xlsx"
    path.write_bytes(TINY.read_bytes())
    first = load_instance(path)
    assert load_instance(path) is first
    wb = openpyxl.load_workbook(path)
    st = wb[schema.SETTINGS_SHEET]
    for r in range(2, st.max_row + 1):
        if st.cell(row=r, column=1).value == "title":
            st.cell(row=r, column=2, value="Edited between two loads")
    wb.save(path)
    second = load_instance(path)
    assert second is not first and second.sha256 != first.sha256
    assert second.settings.title == "Edited between two loads" != first.settings.title
