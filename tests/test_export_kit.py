"""The sheet-writing kit every output workbook is written with: values, tidy tables, charts, links, the mark,
printing and provenance, read back with openpyxl (the reader a planner's tools would use)."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.packaging.custom import StringProperty

from helpers import chart_values
from planner.errors import OutputError
from planner.export import kit
from planner.export.atomic import MARK_PROPERTY, written_by_planner
from planner.export.kit import (
    FMT_BOOL,
    FMT_MUSD,
    FMT_SHARE,
    FMT_T,
    FMT_TEXT,
    Book,
    Chart,
    Column,
    Grid,
    Pair,
    Section,
    Styled,
    Table,
)

FORMULAS = ("=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", '=HYPERLINK("http://x","y")')


def _save(book_of, tmp_path: Path, name: str = "k.xlsx", kind: str = "results") -> Path:
    return kit.save(book_of, tmp_path / name, what="test workbook", kind=kind)


def _tidy() -> pd.DataFrame:
    """A tidy table with every kind of column the Solution tables have."""
    return pd.DataFrame({
        "project": ["P1", "=1+1", None, "bell\x07"],
        "capacity_t": [1000.0, 2500.5, np.nan, 0.0],
        "capex_usd": [12e6, np.inf, -3.5e6, np.nan],
        "equity_share": [0.5, 0.0, np.nan, 1.0],
        "start_year": [2026, 2027, 2028, 2029],
        "flag": [True, False, True, False],
        "mixed": [1, "two", None, 3.5],
        "note": ["", "-2+3", "plain", None],
    })


# ------------------------------------------------------------------------------------------ the mark
def test_the_mark_is_written_and_workbooks_of_the_previous_writer_are_recognised(tmp_path):
    def build():
        book = Book()
        book.sheet("a").put(1, 1, "x")
        return book

    assert written_by_planner(_save(build, tmp_path, "new.xlsx", kind="comparison")) == "comparison"
    # the previous version wrote the same custom property with openpyxl: still the planner's own output
    old = Workbook()
    old.custom_doc_props.append(StringProperty(name=MARK_PROPERTY, value="results"))
    old.save(tmp_path / "old.xlsx")
    assert written_by_planner(tmp_path / "old.xlsx") == "results"
    foreign = Workbook()
    foreign.custom_doc_props.append(StringProperty(name="Author's own", value="results"))
    foreign.save(tmp_path / "foreign.xlsx")
    assert written_by_planner(tmp_path / "foreign.xlsx") is None


# ------------------------------------------------------------------------------------------ text
def test_text_is_never_a_formula_whichever_way_it_is_written(tmp_path):
    def build():
        book = Book()
        ws = book.sheet("s")
        for i, text in enumerate(FORMULAS, start=1):
            ws.put(i, 1, text)  # a single cell
            ws.put(i, 2, text, link="#'s'!A1")  # a link's text
        ws.grid(10, ["grid"], [[t] for t in FORMULAS])
        df = pd.DataFrame({"name": list(FORMULAS)})
        ws.table(20, Table((Column("name", "name"),)), df)  # column by column
        ws.table(30, Table((Column("name", "name"),)), df.to_dict("records"), row_style=lambda r: None)  # by row
        ws.block(40, "block", ("case", list(FORMULAS), FMT_TEXT), [("v", [1, 2, 3, 4, 5])], FMT_T)
        return book

    path = _save(build, tmp_path)
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
    ws = load_workbook(path)["s"]
    cells = [c for row in ws.iter_rows() for c in row if c.value in FORMULAS]
    assert len(cells) == 6 * len(FORMULAS)
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)


def test_characters_a_workbook_cannot_hold_become_visible_escapes(tmp_path):
    def build():
        book = Book()
        ws = book.sheet("s")
        ws.put(1, 1, "a\x1bb\x00c\ufffe")
        ws.table(3, Table((Column("t", "t"),)), pd.DataFrame({"t": ["x\x07y"]}))
        return book

    ws = load_workbook(_save(build, tmp_path))["s"]
    assert ws["A1"].value == "a\\x1bb\\x00c\\ufffe"
    assert ws["A4"].value == "x\\x07y"


# ------------------------------------------------------------------------------------------ tidy tables
def test_tidy_table_round_trip_with_units_formats_and_scales(tmp_path):
    df = _tidy()

    def build():
        book = Book()
        kit.tidy_sheet(book.sheet("t"), df, line="instance · case · optimal", description="a table",
                       labels={"equity_share": "partner equity share"})
        return book

    wb = load_workbook(_save(build, tmp_path))
    ws = wb["t"]
    head = {c.value: c for c in ws[4] if c.value}
    assert list(head) == ["project", "capacity [t/yr]", "capex [$M]", "partner equity share [%]", "start year",
                          "flag", "mixed", "note"]
    assert ws.row_dimensions[3].hidden and [c.value for c in ws[3] if c.value] == list(df.columns)
    assert ws.freeze_panes == "A5" and ws.auto_filter.ref == "A4:H8" and ws.print_title_rows.replace("$", "") == "4:4"
    capex = head["capex [$M]"].column
    assert ws.cell(5, capex).value == pytest.approx(12.0) and ws.cell(5, capex).number_format == FMT_MUSD
    assert ws.cell(6, capex).value == "inf"
    assert ws.cell(5, head["capacity [t/yr]"].column).number_format == FMT_T
    assert ws.cell(5, head["partner equity share [%]"].column).number_format == FMT_SHARE
    flag = ws.cell(5, head["flag"].column)
    assert flag.value is True and flag.data_type == "b" and flag.number_format == FMT_BOOL
    back = kit.read_tidy(ws)
    assert list(back.columns) == list(df.columns)
    assert back["project"].tolist() == ["P1", "=1+1", "", "bell\\x07"]
    assert back["capex_usd"].tolist()[:3] == pytest.approx([12e6, math.inf, -3.5e6]) and math.isnan(back["capex_usd"][3])
    assert back["capacity_t"].tolist()[:2] == pytest.approx([1000.0, 2500.5]) and math.isnan(back["capacity_t"][2])
    assert back["start_year"].tolist() == [2026, 2027, 2028, 2029]
    assert back["flag"].tolist() == [True, False, True, False]
    assert back["mixed"].tolist() == [1, "two", None, 3.5]
    assert back["note"].tolist() == ["", "-2+3", "plain", ""]


def test_column_by_column_and_row_by_row_write_the_same_cells(tmp_path):
    """The fast path for long tables is the same as writing each record."""
    df = _tidy()
    cols = kit.tidy_columns(df)

    def build():
        book = Book()
        book.sheet("fast").table(1, Table(cols), df)
        book.sheet("rows").table(1, Table(cols), df.to_dict("records"), row_style=lambda r: None)
        return book

    wb = load_workbook(_save(build, tmp_path))

    def cells(ws):
        return [(c.coordinate, c.value, c.data_type, c.number_format, bool(c.quotePrefix))
                for row in ws.iter_rows() for c in row if c.value is not None]

    assert cells(wb["fast"]) == cells(wb["rows"])


def test_a_table_longer_than_a_sheet_is_refused_in_words():
    book = Book()
    with pytest.raises(OutputError, match="at most 1,048,576"):
        book.sheet("s").table(4, Table((Column("n", "n", fmt=FMT_T),)), pd.DataFrame({"n": np.zeros(kit.MAX_ROWS)}))


def test_styled_values_na_spans_and_wrapped_text(tmp_path):
    long = "word " * 60

    def build():
        book = Book()
        ws = book.sheet("s")
        cols = (Column("a", "a", width=10), Column("b", "b", "$M", FMT_MUSD, na=True, note="what b counts"),
                Column("c", "c", width=20, wrap=True, span=2))
        ws.table(1, Table(cols), [{"a": Styled("x", kit.RED), "b": None, "c": long},
                                  {"a": "y", "b": Styled(2.5, kit.BOLD), "c": "short"}])
        return book

    ws = load_workbook(_save(build, tmp_path))["s"]
    assert ws["A1"].value == "a" and ws["B1"].value == "b [$M]" and ws["C1"].value == "c"
    assert ws["B1"].comment is not None and ws["B1"].comment.text == "what b counts"
    assert ws["A2"].font.color.rgb.endswith("9C0006") and ws["B2"].value == "n/a"
    assert ws["B3"].value == 2.5 and ws["B3"].font.b and ws["B3"].number_format == FMT_MUSD
    assert "C2:D2" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["C2"].alignment.wrap_text and ws.row_dimensions[2].height > 3 * 15


# ------------------------------------------------------------------------------------------ charts
def test_charts_described_as_data_refer_to_their_blocks(tmp_path):
    def build():
        book = Book()
        data = book.sheet("data")
        block, _row = data.block(1, "shares", ("year", [2026, 2027, 2028], kit.FMT_YEAR),
                                 [("AAM share", [0.1, 0.2, 0.3]), ("AAM target", [None, None, 0.5])], FMT_SHARE)
        summary = book.sheet("summary")
        summary.chart(Chart("line", "Localized share", block.chart_series(dashed=(False, True)), "year",
                            "share of demand", "0%", value_min=0, value_max=1), 1, 1)
        bars, _row = data.block(10, "bars", ("project", ["P1", "=1+1"], FMT_TEXT), [("value [$M]", [3.0, 1.0])],
                                FMT_MUSD)
        summary.chart(Chart("bar", "Value", bars.chart_series(("1F77B4",), markers=False), value_title="$M",
                            legend=None, top_down=True), 20, 1)
        assert len(summary.charts) == 2
        return book

    wb = load_workbook(_save(build, tmp_path))
    line, bar = wb["summary"]._charts
    series = {chart_values(wb, s.tx.strRef.f)[0]: s for s in line.series}
    assert set(series) == {"AAM share", "AAM target"}
    for s in series.values():
        assert chart_values(wb, s.cat.numRef.f) == [2026, 2027, 2028]
    assert chart_values(wb, series["AAM share"].val.numRef.f) == pytest.approx([0.1, 0.2, 0.3])
    assert chart_values(wb, series["AAM target"].val.numRef.f) == [None, None, 0.5]
    assert series["AAM target"].graphicalProperties.line.prstDash == "dash"
    assert series["AAM share"].graphicalProperties.line.prstDash != "dash"
    assert line.title.tx.rich.p[0].r[0].t == "Localized share"
    assert line.y_axis.scaling.min == 0 and line.y_axis.scaling.max == 1
    (s,) = bar.series
    assert chart_values(wb, s.cat.strRef.f) == ["P1", "=1+1"] and chart_values(wb, s.val.numRef.f) == [3.0, 1.0]
    assert bar.x_axis.scaling.orientation == "maxMin"  # the first project on top


# ------------------------------------------------------------------------------------------ links
def test_links_show_their_text_inside_and_between_workbooks(tmp_path):
    def build():
        book = Book()
        ws = book.sheet("summary")
        book.sheet("other sheet")
        ws.put(1, 1, "other sheet", kit.LINK, link="#'other sheet'!A1")
        ws.put(2, 1, "case a.xlsx", kit.LINK, link="../cases/case%20a.xlsx")
        return book

    ws = load_workbook(_save(build, tmp_path))["summary"]
    assert ws["A1"].value == "other sheet" and ws["A1"].hyperlink.location == "'other sheet'!A1"
    assert ws["A2"].value == "case a.xlsx" and ws["A2"].hyperlink.target == "../cases/case%20a.xlsx"


# ------------------------------------------------------------------------------------------ layout
def test_head_rows_wrap_across_the_sheet_and_printing_fits_the_page_width(tmp_path):
    def build():
        book = Book()
        narrow = book.sheet("narrow")
        narrow.head("instance · case", "what the sheet shows " * 10, "2 re-solves failed", "bad")
        narrow.table(4, Table((Column("a", "a", width=20), Column("b", "b", width=20)), repeat_header=True),
                     [{"a": 1, "b": 2}])
        wide = book.sheet("wide")
        wide.widths({j: 20 for j in range(1, 9)})
        wide.put(1, 8, "far right")
        return book

    wb = load_workbook(_save(build, tmp_path))
    narrow, wide = wb["narrow"], wb["wide"]
    assert {"A2:B2", "A3:B3"} <= {str(r) for r in narrow.merged_cells.ranges}
    assert narrow["A2"].alignment.wrap_text and narrow.row_dimensions[2].height > 15
    assert narrow["A3"].font.color.rgb.endswith("9C0006")
    assert narrow.page_setup.orientation == "portrait" and wide.page_setup.orientation == "landscape"
    for ws in (narrow, wide):
        assert ws.sheet_properties.pageSetUpPr.fitToPage and (ws.page_setup.fitToWidth or 1) == 1  # 1: the default
        assert ws.page_setup.fitToHeight == 0 and int(ws.page_setup.paperSize) == 1  # US Letter
    assert narrow.print_title_rows.replace("$", "") == "4:4"


def test_provenance_sections_in_order(tmp_path):
    def build():
        book = Book()
        kit.provenance(book.sheet("run_info"), "instance · case", "how it was made", instance=("inst", "a.xlsx", "abc"),
                       sections=[Section("Solver", (Pair("preset", "exact", note="named preset"),
                                                    Grid(("option", "value"), (("time_limit", 60),),
                                                         intro="every option")))],
                       versions={"xlsxwriter": "3.2"}, warnings=["a warning"])
        return book

    ws = load_workbook(_save(build, tmp_path))["run_info"]
    col_a = [c.value for c in ws["A"] if c.value is not None]
    order = [col_a.index(t) for t in ("Instance", "Solver", "Package versions", "Validation warnings")]
    assert order == sorted(order)
    assert col_a[:2] == ["instance · case", "how it was made"]
    texts = [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    for value in ("inst", "a.xlsx", "abc", "exact", "named preset", "every option", "time_limit", 60, "3.2",
                  "a warning"):
        assert value in texts, value


# ------------------------------------------------------------------------------------------ instance workbooks
def test_instance_workbooks_follow_the_same_text_rule(tmp_path):
    """The template and instance writer (openpyxl) writes text by the same rule as the kit."""
    from factories import tiny_tables
    from planner.export.instance_xlsx import write_instance

    t = tiny_tables()
    t["projects"][0]["name"] = "bell\x07plant"  # a control character: escaped, never a broken file
    t["projects"][1]["name"] = "\t=1+1"  # a tab first: a spreadsheet could read it as a formula
    ws = load_workbook(write_instance(t, tmp_path / "i.xlsx"))["projects"]
    names = {c.value: c for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str)}
    assert "bell\\x07plant" in names and not names["bell\\x07plant"].quotePrefix
    assert names["\t=1+1"].quotePrefix and names["\t=1+1"].data_type == "s"


@pytest.mark.parametrize("fmt", [None, kit.FMT_T, kit.FMT_SHARE, kit.FMT_MUSD, kit.FMT_USD_AS_MUSD, kit.FMT_USD,
                                 kit.FMT_YEAR, kit.FMT_NUMBER, kit.FMT_SECONDS])
def test_a_column_is_as_wide_as_its_widest_value_shown(fmt: str | None) -> None:
    """A table's width is fitted to a few candidate values of each column (the largest and smallest number,
    a blank, ±inf; each distinct text): the widest of those is the widest of every value, shown as the
    table shows it (a number's text grows with its size on either side of zero, also where it rounds
    to zero and loses its sign)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    def shown(values: list, scale: float) -> int:
        out = 0
        for v in values:
            v = kit.plain(v)
            if kit.is_number(v):
                v = v * scale
            out = max(out, kit.shown_width(kit.NA if v is None else v, fmt))
        return out

    number = st.one_of(st.floats(-1e12, 1e12), st.floats(-1.0, 1.0), st.integers(-10**9, 10**9),
                       st.sampled_from([math.nan, math.inf, -math.inf, -0.004, 0.004, -0.0499, 9.995, -9.995]))

    @settings(max_examples=150, deadline=None)
    @given(st.lists(number, min_size=1, max_size=40), st.sampled_from([1.0, 1e-6, 100.0]))
    def check(values: list, scale: float) -> None:
        s = pd.Series(values, dtype=float)
        assert shown(kit._widest_candidates(s), scale) == shown(s.tolist(), scale)
        texts = pd.Series([f"name {int(abs(v)) % 97}" if isinstance(v, int) else None for v in values], dtype=object)
        assert shown(kit._widest_candidates(texts), scale) == shown(texts.tolist(), scale)

    check()
