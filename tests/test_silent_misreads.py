"""Inputs that used to be read as a confident wrong plan (exit 0) are now errors or warnings in words.

Each case edits the tiny instance (tests/factories.py) as a planner would in Excel (deleted or
misspelt columns, NaN written by pandas or openpyxl, a tariff typed as a percent, blank years,
absurd magnitudes, look-alike ids), writes it as a real workbook and runs the real command line.
"""

from __future__ import annotations

import math
import re
import unicodedata
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from factories import tiny_tables
from helpers import instance_of
from planner import schema
from planner.cases import validate
from planner.cli.app import app
from planner.errors import InstanceError, cut
from planner.export.instance_xlsx import write_instance
from planner.instance import validate as v
from planner.io.reader import RawSheet, RawWorkbook, workbook_from_tables

runner = CliRunner()


def text(result: Any) -> str:
    return " ".join(result.output.split())


def col(ws: Any, name: str) -> int:
    return next(c.column for c in ws[1] if c.value is not None and str(c.value).split(" [")[0] == name)


def book(tmp: Path, edit: Any = None, tables: Any = None, name: str = "inst.xlsx") -> Path:
    path = write_instance(tables if tables is not None else tiny_tables(), tmp / name)
    if edit is not None:
        wb = openpyxl.load_workbook(path)
        edit(wb)
        wb.save(path)
    return path


def setcell(sheet: str, column: str, row: int, value: Any) -> Any:
    def edit(wb: Any) -> None:
        ws = wb[sheet]
        ws.cell(row=row, column=col(ws, column)).value = value
    return edit


def validate_cli(path: Path) -> tuple[int, str]:
    r = runner.invoke(app, ["validate", str(path)])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    out = text(r)
    assert "Traceback" not in out
    return r.exit_code, out


# --------------------------------------------------------------------------------------------
# missing and misspelt columns
# --------------------------------------------------------------------------------------------

#: every column the header row must hold although its cells may be blank
MUST_HAVE = [(s.name, c.name) for s in schema.TABLE_SHEETS for c in s.columns if c.needs_column] + [
    (schema.POLICY_SHEET, c.name) for c in schema.POLICY_FIXED_COLUMNS if c.needs_column]


def test_money_quantity_share_and_year_columns_must_be_present() -> None:
    """The declaration itself: every optional number column of the schema is marked (none forgotten): it must
    be in the header row, or its absence is declared harmless (`may_be_absent`: the columns of issue 12, which
    a workbook written before them lacks; without them the model is exactly the one before)."""
    numeric = {(s.name, c.name) for s in schema.TABLE_SHEETS for c in s.columns
               if c.kind in ("float", "int", "year", "share", "shares") and not c.required and not c.may_be_absent}
    assert numeric == {m for m in MUST_HAVE if m[0] != schema.POLICY_SHEET}
    absent = {(s.name, c.name) for s in schema.TABLE_SHEETS for c in s.columns if c.may_be_absent}
    assert absent == {("commodities", "market_pfe_share"), ("commodities", "reference_price"),
                      ("projects", "other_materials_cost"), ("projects", "fixed_om_avoidable"),
                      ("projects", "restart_cost"), ("projects", "cancellation_cost"), ("projects", "retirement_cost")}
    assert (schema.POLICY_SHEET, "year") in MUST_HAVE


def _without_column(sheet: str, column: str) -> RawWorkbook:
    """The tiny instance in memory with one column deleted from one sheet (every sheet has a row)."""
    tables: dict[str, list[dict[str, Any]]] = tiny_tables()
    for name in schema.SHEETS_BY_NAME:
        tables.setdefault(name, [])
    raw = workbook_from_tables(tables)
    s = raw.find(sheet)
    assert s is not None
    letter = next(k for k, h in s.headers.items() if h == column)
    raw.sheets[s.name] = RawSheet(s.name, {k: h for k, h in s.headers.items() if k != letter},
                                  tuple(type(r)(r.row, {k: x for k, x in r.values.items() if k != letter})
                                        for r in s.rows))
    return raw


@pytest.mark.parametrize("sheet, column", MUST_HAVE, ids=[f"{s}.{c}" for s, c in MUST_HAVE])
def test_a_missing_number_column_is_an_error(sheet: str, column: str) -> None:
    with pytest.raises(InstanceError) as exc:
        validate(_without_column(sheet, column))
    found = [i for i in exc.value.errors if i.field == column and i.sheet == sheet and i.row == 1]
    assert found, [str(i) for i in exc.value.errors]
    assert f"column '{column}' is missing from the header row" in found[0].message
    assert "silently take the default" in found[0].message


def test_deleted_variable_cost_is_an_error_not_a_cheaper_plan(tmp_path: Path) -> None:
    """The issue's case: variable_cost deleted from projects gave 'no errors' and a lower cost."""
    path = book(tmp_path, lambda wb: wb["projects"].delete_cols(col(wb["projects"], "variable_cost")))
    code, out = validate_cli(path)
    assert code == 1, out
    assert "sheet 'projects', row 1" in out and "column 'variable_cost' is missing from the header row" in out
    assert "default (0)" in out


def test_misspelt_column_is_an_error_naming_the_header(tmp_path: Path) -> None:
    def rename(wb: Any) -> None:
        ws = wb["projects"]
        ws.cell(row=1, column=col(ws, "variable_cost")).value = "varible_cost"

    code, out = validate_cli(book(tmp_path, rename))
    assert code == 1, out
    assert "column 'variable_cost' is missing from the header row (did you mean column J, 'varible_cost'?" in out


def test_look_alike_of_a_present_column_is_an_error(tmp_path: Path) -> None:
    """A second column one typo away from a declared one would be ignored: an error, not a warning."""
    def add(wb: Any) -> None:
        ws = wb["projects"]
        ws.cell(row=1, column=ws.max_column + 1).value = "variable_costs"
        ws.cell(row=2, column=ws.max_column).value = 5

    code, out = validate_cli(book(tmp_path, add))
    assert code == 1, out
    assert "column 'variable_costs' is not a column of this sheet: did you mean 'variable_cost'" in out
    assert "already holds 'variable_cost'" in out


def test_look_alike_optional_column_and_setting(tmp_path: Path) -> None:
    """'descripton' (an optional text column) and the setting 'discount_rat' are errors; 'owner' stays a warning."""
    def edit(wb: Any) -> None:
        ws = wb["regions"]
        ws.cell(row=1, column=col(ws, "description")).value = "descripton"
        ws = wb["projects"]
        ws.cell(row=1, column=ws.max_column + 1).value = "owner"
        st = wb["settings"]
        for r in range(2, st.max_row + 1):
            if st.cell(row=r, column=1).value == "discount_rate":
                st.cell(row=r, column=1).value = "discount_rat"

    code, out = validate_cli(book(tmp_path, edit))
    assert code == 1, out
    assert "column 'descripton' is not a column of this sheet: did you mean 'description'?" in out
    assert "unknown setting 'discount_rat': did you mean 'discount_rate'?" in out
    owner = openpyxl.utils.get_column_letter(len(schema.PROJECTS.columns) + 1)  # after the declared columns
    assert (f"warning sheet 'projects', row 1, column {owner}: column 'owner' is not part of this sheet and is "
            "ignored") in out


def test_edit_distance_is_bounded() -> None:
    assert v.edit_distance("varible_cost", "variable_cost", 2) == 1
    assert v.edit_distance("yaer", "year", 1) == 1  # two neighbours swapped
    assert v.edit_distance("x" * 32_000, "variable_cost", 2) == 3  # refused from the lengths alone
    assert v.near_miss("owner", ["name", "site", "grant"]) is None
    assert v.near_miss("grants", ["grant"]) == "grant"


# --------------------------------------------------------------------------------------------
# NaN and infinity
# --------------------------------------------------------------------------------------------

NAN_CELLS = [
    ("projects", "capex_per_unit", 3, math.nan, "column H (capex_per_unit)"),
    ("projects", "fixed_om_per_unit", 3, math.inf, "column I (fixed_om_per_unit)"),
    ("projects", "grant", 4, math.nan, "column T (grant)"),
    ("projects", "credit_48c_awarded", 2, -math.inf, "column S (credit_48c_awarded)"),
    ("regions", "domestic", 2, math.nan, "column C (domestic)"),
    ("settings", "value", 6, math.nan, "column B (value)"),
    ("contracts", "price", 2, "inf", "column D (price)"),
    ("projects", "variable_cost", 2, "NaN", "column J (variable_cost)"),
]


@pytest.mark.parametrize("sheet, column, row, value, where", NAN_CELLS,
                         ids=[f"{s}.{c}={x}" for s, c, _r, x, _w in NAN_CELLS])
def test_nan_and_infinity_are_errors_with_their_cell(tmp_path: Path, sheet: str, column: str, row: int, value: Any,
                                                     where: str) -> None:
    """openpyxl and pandas write NaN and infinity as an empty number (<v></v>): never a blank, never a plan."""
    code, out = validate_cli(book(tmp_path, setcell(sheet, column, row, value)))
    assert code == 1, out
    assert f"sheet '{sheet}', row {row}, {where}" in out, out
    assert re.search(r"NaN|infinite|far too large", out), out


# --------------------------------------------------------------------------------------------
# shares typed as percents
# --------------------------------------------------------------------------------------------


def _policy(t: dict[str, Any], parameter: str, value: Any, **qual: Any) -> None:
    t["policy"].append({"parameter": parameter, **qual, "base": value, "localize": value})


def test_accepted_share_above_one_is_warned_with_its_fraction(tmp_path: Path) -> None:
    t = tiny_tables()
    t["policy"][1]["base"] = 5  # the China tariff typed as 5 (%)
    code, out = validate_cli(book(tmp_path, tables=t))
    assert code == 0, out
    assert "sheet 'policy', row 3" in out
    assert "tariff 5 means 500% of the price; shares are fractions, so if 5% is meant, write 0.05" in out


def test_high_real_duty_is_not_warned() -> None:
    t = tiny_tables()
    t["policy"][1]["base"] = 1.85  # a 185% duty, as in the default instance
    assert not instance_of(t).warnings


@pytest.mark.parametrize("where, value, expect", [
    ("tariff", 35, "tariff must be at most 10; found 35: write 0.35 for 35%"),
    ("discount_rate", 8, "discount_rate must be a share between 0 and 1; found 8: write 0.08 for 8%"),
    ("ramp_up", "40;70", "write 0.4;0.7 for 40;70%"),
    ("escalation", 3, "must be at most 1; found 3: write 0.03 for 3%"),
])
def test_refused_share_says_what_to_write(tmp_path: Path, where: str, value: Any, expect: str) -> None:
    t = tiny_tables()
    if where == "tariff":
        t["policy"][1]["base"] = value
    elif where == "discount_rate":
        t["settings"][4]["value"] = value
    elif where == "ramp_up":
        t["projects"][2]["ramp_up"] = value
    else:
        t["contracts"][0]["escalation"] = value
    code, out = validate_cli(book(tmp_path, tables=t))
    assert code == 1, out
    assert expect in out


# --------------------------------------------------------------------------------------------
# blank years
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("setting, blank", [("last_year", None), ("last_year", " "), ("first_year", None),
                                            ("first_year", " ")])
@pytest.mark.parametrize("command", ["validate", "solve", "info"])
def test_blank_horizon_year_is_reported_at_its_cell(tmp_path: Path, command: str, setting: str, blank: Any) -> None:
    """These exited 1 and printed nothing at all: the blank value was skipped, and the instance then
    could not be built without any error to say why."""
    t = tiny_tables()
    row = next(i for i, r in enumerate(t["settings"]) if r["parameter"] == setting)
    t["settings"][row]["value"] = blank
    path = book(tmp_path, tables=t)
    args = [command, str(path)] + (["-o", str(tmp_path / "out.xlsx")] if command == "solve" else [])
    r = runner.invoke(app, args)
    out = text(r)
    assert r.exit_code == 1, out
    assert (f"sheet 'settings', row {row + 2}, column B (value): setting '{setting}' is required but its value "
            "is blank") in out
    assert not (tmp_path / "out.xlsx").exists()


def test_contract_after_the_horizon_blames_the_typed_cell(tmp_path: Path) -> None:
    """first_year 2040 with last_year blank blamed last_year (column I) and the horizon's end, never typed."""
    t = tiny_tables()
    t["contracts"][0]["first_year"] = 2040
    code, out = validate_cli(book(tmp_path, tables=t))
    assert code == 1, out
    assert "sheet 'contracts', row 2, column H (first_year): first_year 2040 is after the horizon, which ends in 2028" \
        in out
    assert "last_year 2028" not in out and "column I" not in out


# --------------------------------------------------------------------------------------------
# absurd magnitudes, refused or warned about before anything is solved
# --------------------------------------------------------------------------------------------


def _solve(path: Path, tmp: Path) -> tuple[int, str]:
    r = runner.invoke(app, ["solve", str(path), "-o", str(tmp / "out.xlsx")])
    assert not (tmp / "out.xlsx").exists()
    return r.exit_code, text(r)


@pytest.mark.parametrize("command", ["validate", "solve"])
def test_absurd_demand_scale_is_refused(tmp_path: Path, command: str) -> None:
    t = tiny_tables()
    _policy(t, "demand_scale", 1e15)
    path = book(tmp_path, tables=t)
    code, out = validate_cli(path) if command == "validate" else _solve(path, tmp_path)
    assert code == 1, out
    assert "sheet 'policy', row 5" in out and "demand_scale must be at most 1,000" in out
    assert "HiGHS" not in out


@pytest.mark.parametrize("command", ["validate", "solve"])
def test_demand_product_beyond_any_plan_is_refused(tmp_path: Path, command: str) -> None:
    """Each cell is within its limits, their product (1e7 GWh x 1e5 t/GWh = 1e12 t) is not: on main 1e30 t
    validated with a unit warning and failed with 'HiGHS stopped with status Empty'."""
    t = tiny_tables()
    t["cell_demand"][2]["gwh"] = 1e7
    t["intensity"][0]["t_per_gwh"] = 1e5
    path = book(tmp_path, tables=t)
    code, out = validate_cli(path) if command == "validate" else _solve(path, tmp_path)
    assert code == 1, out
    assert "sheet 'cell_demand', row 4, column D (gwh): this row makes the demand for NMC811 in OH in 2028 " \
           "1e+12 t" in out
    assert "HiGHS" not in out and "Empty" not in out


def test_scaled_demand_beyond_any_plan_is_refused() -> None:
    """demand_scale 900 is allowed alone; on 2e7 t of demand it makes 1.8e10 t a year."""
    t = tiny_tables()
    t["material_demand"] = [{"region": "OH", "year": 2027, "commodity": "SG", "tonnes": 2e7}]
    _policy(t, "demand_scale", 900, year=2027)
    with pytest.raises(InstanceError) as exc:
        instance_of(t)
    e = [i for i in exc.value.errors if i.sheet == "policy"]
    assert e and e[0].row == 5 and "demand_scale 900 turns a demand of 20,000,750 t a year into 18,000,675,000 t" in \
        e[0].message


def test_suspicious_magnitudes_are_warned() -> None:
    t = tiny_tables()
    t["material_demand"] = [{"region": "OH", "year": 2027, "commodity": "SG", "tonnes": 5e8}]
    warnings = [str(w) for w in instance_of(t).warnings]
    assert any("1 demand(s) exceed 100,000,000 t a year, e.g. 500,000,750 t of SG in OH in 2027" in w
               for w in warnings), warnings
    assert not any("priced at penalty_unmet_demand" in w for w in warnings)  # 1.25e14 $ at stake: not warned
    t["settings"][6]["value"] = 1e8  # penalty 1e8 $/t: 5e8 t x 1e8 $/t = 5e16 $ at stake
    warnings = [str(w) for w in instance_of(t).warnings]
    assert any("penalty_unmet_demand (100,000,000 $/t) is $5e+16" in w for w in warnings), warnings


# --------------------------------------------------------------------------------------------
# identifiers in another Unicode normal form
# --------------------------------------------------------------------------------------------

COMPOSED = unicodedata.normalize("NFC", "Ré")
DECOMPOSED = unicodedata.normalize("NFD", "Ré")


def test_ids_are_matched_in_one_normal_form(tmp_path: Path) -> None:
    assert COMPOSED != DECOMPOSED
    t = tiny_tables()
    t["regions"].append({"region": COMPOSED, "name": "Réunion", "domestic": False})
    t["transport"].append({"from_region": DECOMPOSED, "to_region": "OH", "cost_per_t": 900, "both_ways": False})
    t["contracts"].append({"contract": "K2", "origin": DECOMPOSED + " ", "commodity": "SG", "price": 6100})
    code, out = validate_cli(book(tmp_path, tables=t))
    assert code == 0, out
    inst = instance_of(t)
    assert COMPOSED in inst.regions and DECOMPOSED not in inst.regions
    assert inst.contracts["K2"].origin == COMPOSED


def test_ids_differing_only_in_normal_form_are_duplicates(tmp_path: Path) -> None:
    t = tiny_tables()
    t["regions"] += [{"region": COMPOSED}, {"region": DECOMPOSED}]
    code, out = validate_cli(book(tmp_path, tables=t))
    assert code == 1, out
    assert "sheet 'regions', row 5, column A (region): duplicate entry region=Ré: already given in row 4" in out


# --------------------------------------------------------------------------------------------
# messages: words, not Python internals; long cells cut
# --------------------------------------------------------------------------------------------

INTERNALS = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception)\b|Traceback|rId\d|amplification|xmlSAX2|list index")


def test_long_values_are_cut_in_messages(tmp_path: Path) -> None:
    long = "case " + "x" * 32_000
    t = tiny_tables()
    t["overrides"] = [{"case": long, "sheet": "projects", "filter": "project=P2", "column": "capex_per_unit",
                       "operation": "scale", "value": 1.2}]
    t["projects"][0]["status"] = "y" * 90
    code, out = validate_cli(book(tmp_path, tables=t))
    assert code == 1, out
    assert "unknown case '" + cut(long) + "': it is not a case column" in out
    assert "found '" + "y" * 59 + "…'" in out
    assert not re.search(r"x{80}|y{80}", out), "a long cell is echoed whole"
    assert not INTERNALS.search(out)


def test_cut() -> None:
    assert cut("a" * 100) == "a" * 59 + "…"
    assert cut("short") == "short"
    assert cut("two\nlines\x1b[2J") == "two lines [2J"
