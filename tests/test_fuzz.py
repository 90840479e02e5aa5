"""Fuzzing the whole instance schema: mutated workbooks never crash `planner validate` or `planner solve`.

Hypothesis starts from the tiny instance (tests/factories.py) and mutates it over every sheet and
column that planner/schema.py declares: cells get wrong types, blanks, NaN, dates, huge or
negative numbers, unknown ids and odd strings; rows are added, duplicated or dropped; sheets and
columns are dropped or renamed; formulas, merged cells, hidden sheets and title rows are put in
with openpyxl. Each example is written as a real workbook and run through the real command line.

What must hold, whatever the mutation: the exit code is 0, 1, 2 or 3; nothing escapes as an
exception (no traceback); a failing command writes no output file; the input is left unchanged;
and when `validate` passes, `solve` finds a plan or says there is none (0 or 3), never an error.

The run is derandomized (the same examples every time) and bounded: FUZZ_EXAMPLES examples
(override with the environment variable PLANNER_FUZZ_EXAMPLES) take about a minute.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from factories import tiny_tables
from planner import schema
from planner.cli.app import app
from planner.export.instance_xlsx import write_instance

FUZZ_EXAMPLES = int(os.environ.get("PLANNER_FUZZ_EXAMPLES", "300"))
BYTE_EXAMPLES = max(1, FUZZ_EXAMPLES // 2)
#: PLANNER_FUZZ_RANDOM=1 explores new examples on every run (CI keeps the same ones)
DERANDOMIZE = os.environ.get("PLANNER_FUZZ_RANDOM", "") != "1"

runner = CliRunner()

#: every sheet of an instance with its declared columns (policy: fixed columns and the two cases)
COLUMNS: dict[str, list[str]] = {spec.name: [c.name for c in spec.columns] for spec in schema.TABLE_SHEETS}
COLUMNS[schema.SETTINGS_SHEET] = [c.name for c in schema.SETTINGS_COLUMNS]
COLUMNS[schema.POLICY_SHEET] = [c.name for c in schema.POLICY_FIXED_COLUMNS] + ["base", "localize"]
SHEETS = sorted(COLUMNS)

#: a plausible row for every sheet the tiny instance leaves empty, so that mutations reach deeper checks
TEMPLATES: dict[str, dict[str, Any]] = {
    "chemistry_mix": {"segment": "EV", "year": 2027, "chemistry": "NMC811", "share": 1.0},
    "material_demand": {"region": "OH", "year": 2027, "commodity": "SG", "tonnes": 120},
    "recipes": {"project": "P2", "input": "SG", "t_per_t": 0.1},
    "joint_ventures": {"jv": "P2J", "project": "P2", "partner": "OEM", "partner_region": "OH", "equity_share": 0.4,
                       "qualification_years": 0},
    "contract_terms": {"contract": "K1", "year": 2027, "price": 6500, "max_volume": 800},
    "overrides": {"case": "localize", "sheet": "projects", "filter": "project=P2", "column": "capex_per_unit",
                  "operation": "scale", "value": 1.2, "note": "overrun"},
    "cell_demand": {"region": "OH", "year": 2028, "segment": "NMC811", "gwh": 0.5},
    "intensity": {"chemistry": "LFP", "commodity": "SG", "year": 2027, "t_per_gwh": 600},
    "transport": {"from_region": "OH", "to_region": "China", "commodity": "SG", "cost_per_t": 80, "both_ways": True},
    "contracts": {"contract": "K2", "origin": "China", "commodity": "NMC811", "price": 17000, "max_volume": 900},
    "regions": {"region": "QC", "name": "Quebec", "fta": True},
    "commodities": {"commodity": "pCAM", "family": "precursor", "market_price": 9000},
    "sources": {"item": "x", "value": "1", "tag": "S", "source": "somewhere"},
    "settings": {"parameter": "notes", "value": "an unknown setting is ignored"},
    "policy": {"parameter": "localization_target", "year": 2027, "commodity": "CAM", "base": 0.2, "localize": 0.6},
    "projects": {"project": "P4", "site": "OH", "commodity": "SG", "status": "candidate", "units_max": 2,
                 "capacity_per_unit": 400, "capex_per_unit": 2_000_000, "earliest_start": 2026, "ramp_up": "0.5;0.9",
                 "eligible_48c": True, "exclusive_group": "g1"},
}

IDS = ["P1", "P2", "P3", "P2J", "K1", "OH", "China", "QC", "NMC811", "SG", "LFP", "CAM", "AAM", "base", "localize",
       "existing", "committed", "candidate", "scale", "set", "add", "remove", "projects", "EV", "Ohio", "p2", " oh ",
       "ZZ", "x45_rate", "tariff", "extends", "first_year", "last_year", "project=P2", "year>=2027", "family=AAM"]
ODD = ["", " ", "NaN", "nan", "inf", "-inf", "1e999", "TRUE", "no", "yes", "0.4;0.7", "40%", "1,000", "30 kt", "$6M",
       "#N/A", "=1+1", "\u200b", "2026-01-01", "P1\u200b", "[bold]x[/bold]", "a\nb", "Ü∂∑ñ", "-0", "0x10", "1_000"]
NUMBERS = [0, 1, -1, 2, 0.5, 1e-9, 99.9, 2026, 2027, 2028, 2040, 1899, 2301, 1000, 10**6, 10**15, 10**16, 2**63, 1e300,
           -1e300, 0.999999, 1.0000001]

#: text a cell can hold (no control characters, which Excel and openpyxl refuse, no lone surrogates)
cell_text = st.characters(blacklist_categories=("Cs", "Cc"))
values = st.one_of(
    st.none(),
    st.sampled_from(IDS),
    st.sampled_from(ODD),
    st.sampled_from(NUMBERS),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2200, 1, 1)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2200, 1, 1)),
    st.text(alphabet=cell_text, max_size=24),
    st.integers(min_value=100, max_value=40_000).map(lambda n: "x" * n),
)
#: names Excel accepts for a sheet
sheet_names = st.one_of(
    st.sampled_from(["Projects", "projects ", "projcts", "project", "notes", "policy (2)", "Überblick", "_hidden", "1"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="[]:*?/\\'"),
            min_size=1, max_size=31).filter(lambda s: s.strip() != ""),
)
#: values a planner might well type: mostly within range, ids that exist
plausible = st.one_of(
    st.integers(min_value=0, max_value=30),
    st.floats(min_value=0, max_value=2e6, allow_nan=False),
    st.sampled_from(IDS[:16] + [2026, 2027, 2028, 0.25, 0.5, 1, True, False, None]),
)
header_values = st.one_of(st.sampled_from(["capacity", "Capacity Per Unit", "site ", "year [yr]", "Base", "base",
                                           "parameter", "value", "2030"]),
                          st.text(alphabet=cell_text, max_size=12), st.integers(1900, 2100),
                          st.dates(min_value=dt.date(1900, 3, 1)), st.none())


@st.composite
def mutations(draw: Any) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        sheet = draw(st.sampled_from(SHEETS))
        kind = draw(st.sampled_from(["tweak", "tweak", "tweak", "tweak", "template", "template", "cell", "cell",
                                     "cell", "cell", "row", "row", "dup", "drop_row", "extra_column", "drop_sheet",
                                     "rename_sheet", "drop_column", "rename_column", "formula", "merge",
                                     "hide_sheet", "hide_row", "title_rows"]))
        if kind == "tweak":
            out.append(("cell", sheet, draw(st.integers(0, 4)), draw(st.sampled_from(COLUMNS[sheet])),
                        draw(plausible)))
        elif kind == "template":
            out.append(("row", sheet, None, None))
        elif kind == "cell":
            out.append((kind, sheet, draw(st.integers(0, 4)), draw(st.sampled_from(COLUMNS[sheet])), draw(values)))
        elif kind == "row":
            out.append((kind, sheet, draw(st.sampled_from(COLUMNS[sheet])), draw(values)))
        elif kind in ("dup", "drop_row", "hide_row"):
            out.append((kind, sheet, draw(st.integers(0, 3))))
        elif kind == "extra_column":
            out.append((kind, sheet, draw(st.text(alphabet=cell_text, min_size=1, max_size=12).filter(str.strip)),
                        draw(values)))
        elif kind == "rename_sheet":
            out.append((kind, sheet, draw(sheet_names)))
        elif kind in ("drop_column", "rename_column"):
            out.append((kind, sheet, draw(st.sampled_from(COLUMNS[sheet])), draw(header_values)))
        elif kind == "formula":
            out.append((kind, sheet, draw(st.integers(2, 5)), draw(st.integers(1, 8)),
                        draw(st.sampled_from(["=1+1", "=A2", "=1/0", "=SUM(B2:B4)", "=NA()", '="P"&"1"']))))
        elif kind == "merge":
            r, c = draw(st.integers(1, 4)), draw(st.integers(1, 6))
            out.append((kind, sheet, r, c, r + draw(st.integers(0, 2)), c + draw(st.integers(0, 2))))
        else:
            out.append((kind, sheet))
    return out


def _tables(muts: list[tuple[Any, ...]]) -> dict[str, list[dict[str, Any]]]:
    t = tiny_tables()
    for m in muts:
        kind, sheet = m[0], m[1]
        rows = t.setdefault(sheet, [])
        if kind == "cell":
            _, _, i, column, value = m
            if i >= len(rows):
                rows.append(dict(TEMPLATES.get(sheet, {})))
                i = len(rows) - 1
            rows[i][column] = value
        elif kind == "row":
            rec = dict(TEMPLATES.get(sheet, {}))
            if m[2] is not None:
                rec[m[2]] = m[3]
            rows.append(rec)
        elif kind == "dup" and rows:
            rows.append(dict(rows[m[2] % len(rows)]))
        elif kind == "drop_row" and rows:
            rows.pop(m[2] % len(rows))
        elif kind == "extra_column":
            if not rows:
                rows.append(dict(TEMPLATES.get(sheet, {})))
            rows[0][m[2]] = m[3]
    return t


def _header_col(ws: Any, name: str) -> int | None:
    for c in ws[1]:
        if c.value is not None and str(c.value).split(" [")[0].strip().lower() == name.lower():
            return c.column
    return None


def _edit(path: Path, muts: list[tuple[Any, ...]]) -> None:
    """The mutations that need the written workbook: sheets, headers, formulas, merges, hiding."""
    edits = [m for m in muts if m[0] in ("drop_sheet", "rename_sheet", "drop_column", "rename_column", "formula",
                                         "merge", "hide_sheet", "hide_row", "title_rows")]
    if not edits:
        return
    wb = openpyxl.load_workbook(path)
    for m in edits:
        kind, sheet = m[0], m[1]
        ws = next((w for w in wb.worksheets if w.title.strip().lower() == sheet), None)
        if ws is None:
            continue
        if kind == "drop_sheet":
            if len(wb.worksheets) > 1:
                wb.remove(ws)
        elif kind == "rename_sheet":
            if m[2].lower() not in {w.title.lower() for w in wb.worksheets}:
                ws.title = m[2]
        elif kind in ("drop_column", "rename_column"):
            c = _header_col(ws, m[2])
            if c is None:
                continue
            if kind == "drop_column":
                ws.delete_cols(c)
            else:
                ws.cell(row=1, column=c).value = m[3]
        elif kind == "formula":
            ws.cell(row=m[2], column=m[3]).value = m[4]
        elif kind == "merge":
            ws.merge_cells(start_row=m[2], start_column=m[3], end_row=m[4], end_column=m[5])
        elif kind == "hide_sheet":
            if sum(w.sheet_state == "visible" for w in wb.worksheets) > 1:
                ws.sheet_state = "hidden"
        elif kind == "hide_row":
            ws.row_dimensions[2 + m[2]].hidden = True
        elif kind == "title_rows":
            ws.insert_rows(1)
            ws["A1"] = f"{sheet} (draft)"
    wb.save(path)


STATS = {"examples": 0, "valid": 0, "solved": 0, "no_plan": 0}


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=DERANDOMIZE, database=None, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(muts=mutations(), documented=st.booleans())
def test_mutated_workbooks_never_crash(muts: list[tuple[Any, ...]], documented: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="planner-fuzz-") as tmp:
        folder = Path(tmp)
        path = folder / "fuzz.xlsx"
        try:
            write_instance(_tables(muts), path, documented=documented)
        except ValueError:  # the tables cannot be written at all (a reserved sheet name): not an input
            return
        _edit(path, muts)
        before = path.read_bytes()
        out = folder / "out.xlsx"
        codes = {}
        for command in (["validate", str(path)], ["solve", str(path), "-o", str(out), "-q", "--time-limit", "20"]):
            r = runner.invoke(app, command)
            t = " ".join(r.output.split())
            assert r.exception is None or isinstance(r.exception, SystemExit), (muts, t, r.exception)
            assert "Traceback" not in t and "internal error" not in t, (muts, t)
            assert r.exit_code in (0, 1, 2, 3), (muts, r.exit_code, t)
            if r.exit_code != 0:
                assert not out.exists(), (muts, t)
            codes[command[0]] = (r.exit_code, t)
        assert path.read_bytes() == before
        v, s = codes["validate"][0], codes["solve"][0]
        if v == 0:
            assert s in (0, 3), (muts, codes)  # a valid workbook solves, or says there is no plan
        else:
            assert s == v, (muts, codes)  # solve reads the workbook exactly as validate does
        STATS["examples"] += 1
        STATS["valid"] += v == 0
        STATS["solved"] += s == 0
        STATS["no_plan"] += s == 3


@pytest.fixture(scope="module", autouse=True)
def _report() -> Any:
    yield
    if STATS["examples"]:
        print(f"\nfuzz: {STATS['examples']} workbooks, {STATS['valid']} valid, {STATS['solved']} solved, "
              f"{STATS['no_plan']} without a plan")


TINY_BYTES = (Path(__file__).resolve().parent.parent / "instances" / "tiny.xlsx").read_bytes()


@st.composite
def damaged(draw: Any) -> bytes:
    """The bytes of tiny.xlsx, cut, with bytes overwritten, or with a run of bytes repeated or removed."""
    data = bytearray(TINY_BYTES)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["cut", "flip", "flip", "splice", "drop"]))
        i = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "cut":
            del data[i:]
        elif kind == "flip" and data:
            for k in range(draw(st.integers(1, 8))):
                if i + k < len(data):
                    data[i + k] = draw(st.integers(0, 255))
        elif kind == "splice":
            n = draw(st.integers(1, 64))
            data[i:i] = data[i:i + n] * draw(st.integers(1, 4))
        else:
            del data[i:i + draw(st.integers(1, 64))]
    return bytes(data)


@settings(max_examples=BYTE_EXAMPLES, deadline=None, derandomize=DERANDOMIZE, database=None, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=damaged())
def test_damaged_files_never_crash(data: bytes) -> None:
    """Bytes damaged anywhere (zip headers, compressed XML, the directory): refused or read, never a crash."""
    with tempfile.TemporaryDirectory(prefix="planner-fuzz-") as tmp:
        path = Path(tmp) / "damaged.xlsx"
        path.write_bytes(data)
        r = runner.invoke(app, ["validate", str(path)])
        t = " ".join(r.output.split())
        assert r.exception is None or isinstance(r.exception, SystemExit), (t, r.exception)
        assert "Traceback" not in t and "internal error" not in t, t
        assert r.exit_code in (0, 1), t
        assert path.read_bytes() == data
