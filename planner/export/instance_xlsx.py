"""Write instance workbooks (and the empty template) from tables held in memory.

Everything about the layout comes from `planner.schema`: the sheets in `schema.SHEET_ORDER`,
every declared column of a table sheet (also those no record uses), the `settings` sheet as one
parameter per row, and the `policy` sheet as the fixed columns of `schema.POLICY_FIXED_COLUMNS`
followed by one column per policy case. What is written reads back through
`planner.cases.load_instance` to the same instance as the tables themselves
(`validate(workbook_from_tables(tables))`).

A *documented* workbook (the default) also helps the person who fills it in:

* header cells carry the unit in brackets (``capacity_per_unit [t/yr]``, ignored when reading)
  and a comment with the column's description, kind, default and allowed values;
* a first sheet `_about` (sheets beginning with "_" are not read) explains the conventions and
  lists every sheet, column and parameter;
* the `unit` and `description` cells of settings and policy rows are filled from the schema
  where the tables leave them blank;
* drop-down lists (data validation) on enum and boolean columns and on the parameter column of
  the settings and policy sheets.

An undocumented workbook holds the bare data: plain column names, no comments, no `_about`
sheet, no drop-downs. Both freeze and embolden the header row.

Text is always written as text, never as a formula, even when it begins with "=".
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from planner import schema
from planner.schema import allowed_text, conventions, format_value
from planner.export.atomic import write_bytes, xlsx_bytes
from planner.export.cells import cell_text, looks_like_formula
from planner.instance.validate import DEFAULT_CASE

Tables = dict[str, list[dict[str, Any]]]

ABOUT_SHEET = "_about"
LISTS_SHEET = "_lists"
#: rows (2..VALIDATION_LAST_ROW) that carry the drop-down lists
VALIDATION_LAST_ROW = 1000
#: the longest comma-separated list Excel accepts inline in a list validation (else: a range)
MAX_INLINE_LIST = 250
BOOL_CHOICES = ("TRUE", "FALSE")
#: number format that shows a logical cell as TRUE/FALSE in Excel and LibreOffice alike
BOOL_FORMAT = '"TRUE";"TRUE";"FALSE"'
#: column widths (characters) of the data sheets
MIN_WIDTH, MAX_WIDTH = 8, 50

SETTINGS_COLUMNS = schema.SETTINGS_COLUMNS

#: the two policy cases of the template, and how the second differs from the first
TEMPLATE_CASES = ("current_law", "no_credits")
_NO_CREDITS = {"x45_rate": 0, "x48c_rate": 0, "x48c_budget": 0, "x48c_awarded_paid": False, "grant_pool": 0}


# --------------------------------------------------------------------------------------------
# layout of a sheet, from the schema
# --------------------------------------------------------------------------------------------


def _norm(name: Any) -> str:
    """Column names match without regard to case, spaces, hyphens or a bracketed unit."""
    text = re.sub(r"\[.*?\]|\(.*?\)", "", str(name)).strip().lower()
    return re.sub(r"[\s\-]+", "_", text).strip("_")


def _declared_columns(sheet: str) -> tuple[schema.Column, ...]:
    if sheet == schema.SETTINGS_SHEET:
        return SETTINGS_COLUMNS
    if sheet == schema.POLICY_SHEET:
        return schema.POLICY_FIXED_COLUMNS
    return schema.SHEETS_BY_NAME[sheet].columns


def _parameters(sheet: str) -> tuple[schema.Parameter, ...]:
    if sheet == schema.SETTINGS_SHEET:
        return schema.SETTINGS
    if sheet == schema.POLICY_SHEET:
        return schema.POLICY
    return ()


def _choices(sheet: str, col: schema.Column) -> tuple[str, ...]:
    """Values of the drop-down list of a column, or () when it has none."""
    if col.kind == "bool":
        return BOOL_CHOICES
    if col.kind != "enum":
        return ()
    if col.choices:
        return tuple(col.choices)
    # an enum without declared choices on a key/value sheet names one of its parameters
    return tuple(p.name for p in _parameters(sheet))


def _header(col_name: str, unit: str, documented: bool) -> str:
    return f"{col_name} [{unit}]" if documented and unit else col_name


def _records(tables: Tables) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]]:
    """Split `tables` into schema sheets (by their schema name) and other sheets."""
    known = {n.lower(): n for n in schema.SHEET_ORDER}
    ours: dict[str, list[dict[str, Any]]] = {}
    other: dict[str, list[dict[str, Any]]] = {}
    for name, records in tables.items():
        target = known.get(str(name).strip().lower())
        if target is None:
            if str(name).strip().lower() in (ABOUT_SHEET, LISTS_SHEET):
                raise ValueError(f"sheet name '{name}' is reserved for the generated workbook")
            other[name] = list(records or [])
        elif target in ours:
            raise ValueError(f"sheet '{target}' is given twice in the tables")
        else:
            ours[target] = list(records or [])
    return ours, other


def _layout(sheet: str, records: Sequence[dict[str, Any]]) -> tuple[list[schema.Column], list[str], dict[str, str]]:
    """(declared columns, further column names, record key -> column name).

    Further columns are the case columns of the policy sheet, or keys of records that the schema
    does not declare (written as they are, so that nothing given is lost; the validator will
    report them).
    """
    declared = list(_declared_columns(sheet))
    by_norm = {_norm(c.name): c.name for c in declared}
    mapping: dict[str, str] = {}
    extra: list[str] = []
    for rec in records:
        for key in rec:
            if key in mapping:
                continue
            name = by_norm.get(_norm(key))
            if name is None:
                name = str(key).strip()
                if name not in extra:
                    extra.append(name)
            mapping[key] = name
    if sheet == schema.POLICY_SHEET and not extra:
        # a policy sheet needs a case column; an empty one is the same as no policy sheet
        extra.append(DEFAULT_CASE)
    return declared, extra, mapping


# --------------------------------------------------------------------------------------------
# cells
# --------------------------------------------------------------------------------------------


def _put(cell: Any, value: Any) -> None:
    """Write a value; text by the one rule for cells (`planner.export.cells`: always text, never a
    formula, characters a cell cannot hold escaped), lists as 'a;b;c'."""
    if value is None:
        return
    if isinstance(value, (list, tuple)):
        value = ";".join(format_value(v) for v in value)
    if isinstance(value, str):
        if not value.strip():
            return
        value = cell_text(value)
        cell.value = value
        cell.data_type = "s"
        if looks_like_formula(value):
            cell.quotePrefix = True  # Excel keeps it as text when the cell is edited
        return
    cell.value = value
    if isinstance(value, bool):
        cell.number_format = BOOL_FORMAT  # LibreOffice otherwise may show 1/0


def _comment_text(col: schema.Column, sheet: str) -> str:
    lines = [col.description, ""]
    if col is not SETTINGS_COLUMNS[1]:  # a setting's value has the kind of its parameter
        lines.append(f"Kind: {schema.KIND_TEXT[col.kind]}")
    if col.unit:
        lines.append(f"Unit: {col.unit}")
    if col.required:
        lines.append("Required: a blank cell is an error.")
    else:
        if col.needs_column:
            lines.append("Keep this column: deleting it is an error (its cells may be blank).")
        default = format_value(col.default)
        lines.append(f"Default (blank cell): {default}" if default else "Default (blank cell): none")
    allowed = allowed_text(col, markdown=False)
    if not allowed and col.kind == "enum":
        allowed = "one of the parameters listed in the _about sheet"
    if allowed:
        lines.append(f"Allowed: {allowed}")
    return "\n".join(lines)


def _comment(text: str) -> Any:
    from openpyxl.comments import Comment

    wrapped = sum(max(1, len(textwrap.wrap(line, 48))) for line in text.splitlines())
    c = Comment(text, "planner")
    c.width = 320
    c.height = min(600, 22 + 16 * wrapped)
    return c


def _plain(text: str) -> str:
    """Markdown backticks and links out, for cells."""
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    return text.replace("`", "")


# --------------------------------------------------------------------------------------------
# the workbook
# --------------------------------------------------------------------------------------------


class _Lists:
    """Drop-down lists too long to be written inline live on a hidden sheet."""

    def __init__(self, wb: Any):
        self.wb = wb
        self.ws: Any = None
        self.columns: dict[tuple[str, ...], str] = {}

    def formula(self, values: Sequence[str]) -> str:
        values = tuple(values)
        inline = ",".join(values)
        if len(inline) <= MAX_INLINE_LIST and not any("," in v or '"' in v for v in values):
            return f'"{inline}"'
        from openpyxl.utils import get_column_letter

        if values not in self.columns:
            if self.ws is None:
                self.ws = self.wb.create_sheet(LISTS_SHEET)
                self.ws.sheet_state = "hidden"
            col = len(self.columns) + 1
            for r, v in enumerate(values, start=1):
                _put(self.ws.cell(row=r, column=col), v)
            letter = get_column_letter(col)
            self.columns[values] = f"'{LISTS_SHEET}'!${letter}$1:${letter}${len(values)}"
        return self.columns[values]


def _add_list_validation(ws: Any, lists: _Lists, column: int, values: Sequence[str], what: str) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    letter = get_column_letter(column)
    dv = DataValidation(
        type="list", formula1=lists.formula(values), allow_blank=True, showDropDown=False,
        showErrorMessage=True, errorStyle="warning", errorTitle=f"Not a known {what}",
        error=f"The value is not one of the listed {what}s. Keep it anyway?",
    )
    dv.add(f"{letter}2:{letter}{VALIDATION_LAST_ROW}")
    ws.add_data_validation(dv)


def _style_header(ws: Any, ncols: int, case_from: int | None = None) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    bold = Font(bold=True)
    grey = PatternFill("solid", fgColor="D9D9D9")
    blue = PatternFill("solid", fgColor="DDEBF7")
    for c in range(1, ncols + 1):
        cell = ws.cell(row=1, column=c)
        cell.font = bold
        cell.fill = blue if case_from is not None and c >= case_from else grey
        cell.alignment = Alignment(vertical="top")
    ws.freeze_panes = "A2"


def _print_setup(ws: Any) -> None:
    """Print in landscape, one page wide, header row repeated."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _fit_widths(ws: Any) -> None:
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            text = format_value(cell.value)
            longest = max((len(line) for line in text.splitlines()), default=0)
            widths[cell.column] = max(widths.get(cell.column, 0), longest)
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = max(MIN_WIDTH, min(MAX_WIDTH, width + 2))


def _write_sheet(wb: Any, lists: _Lists, sheet: str, records: Sequence[dict[str, Any]], documented: bool) -> None:
    ws = wb.create_sheet(sheet)
    declared, extra, mapping = _layout(sheet, records)
    params = {p.name: p for p in _parameters(sheet)}
    col_index: dict[str, int] = {}
    for i, col in enumerate(declared, start=1):
        cell = ws.cell(row=1, column=i)
        _put(cell, _header(col.name, col.unit, documented))
        if documented:
            cell.comment = _comment(_comment_text(col, sheet))
        col_index[col.name] = i
    first_extra = len(declared) + 1
    for j, name in enumerate(extra, start=first_extra):
        cell = ws.cell(row=1, column=j)
        _put(cell, name)
        if documented and sheet == schema.POLICY_SHEET:
            cell.comment = _comment(
                f"Policy case '{name}': this column holds the case's value of each row's parameter.\n\n"
                "Blank: the parameter's default in this case. The header is the case name."
            )
        col_index[name] = j

    for r, rec in enumerate(records, start=2):
        values = {mapping[k]: v for k, v in rec.items()}
        if documented and params:
            # settings and policy rows: unit and description from the schema where blank
            p = params.get(_norm(values.get(declared[0].name, "")))
            if p is not None:
                for name, text in (("unit", p.unit), ("description", p.description)):
                    if name in col_index and _blank(values.get(name)) and text:
                        values[name] = text
        for name, value in values.items():
            _put(ws.cell(row=r, column=col_index[name]), value)

    _style_header(ws, len(declared) + len(extra), first_extra if sheet == schema.POLICY_SHEET else None)
    if documented:
        for col in declared:
            choices = _choices(sheet, col)
            if choices:
                what = "parameter" if col.kind == "enum" and not col.choices else "value"
                _add_list_validation(ws, lists, col_index[col.name], choices, what)
    _fit_widths(ws)
    _print_setup(ws)
    ws.print_title_rows = "1:1"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _write_other_sheet(wb: Any, name: str, records: Sequence[dict[str, Any]]) -> None:
    ws = wb.create_sheet(str(name))
    names: list[str] = []
    for rec in records:
        for k in rec:
            if k not in names:
                names.append(k)
    for i, n in enumerate(names, start=1):
        _put(ws.cell(row=1, column=i), str(n))
    for r, rec in enumerate(records, start=2):
        for k, v in rec.items():
            _put(ws.cell(row=r, column=names.index(k) + 1), v)
    _style_header(ws, len(names))
    _fit_widths(ws)


def write_instance(tables: Tables, path: str | Path, *, documented: bool = True) -> Path:
    """Write `tables` (sheet name -> records, each a dict column -> value) as an instance workbook.

    Every sheet of `schema.SHEET_ORDER` is written, with every declared column, in schema order;
    sheets and columns the schema does not know are written after them. Records of the `policy`
    sheet hold the fixed columns plus one key per case. The file is replaced atomically.
    """
    import openpyxl

    path = Path(path)
    ours, other = _records(tables)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    lists = _Lists(wb)
    if documented:
        _write_about(wb)
    for sheet in schema.SHEET_ORDER:
        _write_sheet(wb, lists, sheet, ours.get(sheet, []), documented)
    for name, records in other.items():
        _write_other_sheet(wb, name, records)
    if lists.ws is not None:  # keep the hidden list sheet last
        wb.move_sheet(lists.ws, offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(LISTS_SHEET))
    wb.active = 0  # opens on _about (documented) or settings
    write_bytes(path, xlsx_bytes(wb))  # in memory, then atomically: a full disk leaves nothing behind
    return path


# --------------------------------------------------------------------------------------------
# the _about sheet
# --------------------------------------------------------------------------------------------

_ABOUT_WRAP = 110
#: widths of the _about sheet's columns: sheet, column, unit, kind, required, default, allowed, description
_ABOUT_WIDTHS = (16, 24, 10, 22, 10, 12, 30, 90)
_ABOUT_WRAPPED = {7, 8}  # columns whose text wraps


def _write_about(wb: Any) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    ws = wb.create_sheet(ABOUT_SHEET)
    bold = Font(bold=True)
    grey = PatternFill("solid", fgColor="D9D9D9")
    row = 1

    def text(line: str, font: Any = None) -> None:
        nonlocal row
        for part in textwrap.wrap(_plain(line), _ABOUT_WRAP) or [""]:
            cell = ws.cell(row=row, column=1)
            _put(cell, part)
            if font is not None:
                cell.font = font
            row += 1

    def bullet(line: str) -> None:
        nonlocal row
        parts = textwrap.wrap(_plain(line), _ABOUT_WRAP - 2) or [""]
        for k, part in enumerate(parts):
            _put(ws.cell(row=row, column=1), ("• " if k == 0 else "  ") + part)
            row += 1

    def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        nonlocal row
        for c, h in enumerate(header, start=1):
            cell = ws.cell(row=row, column=c)
            _put(cell, h)
            cell.font = bold
            cell.fill = grey
        row += 1
        for values in rows:
            lines = 1
            for c, v in enumerate(values, start=1):
                cell = ws.cell(row=row, column=c)
                text = _plain(format_value(v))
                _put(cell, text)
                wrap = c in _ABOUT_WRAPPED
                cell.alignment = Alignment(vertical="top", wrap_text=wrap)
                if wrap and text:
                    lines = max(lines, len(textwrap.wrap(text, int(_ABOUT_WIDTHS[c - 1] * 1.15)) or [""]))
            if lines > 1:  # neither Excel nor LibreOffice fits the height of generated rows
                ws.row_dimensions[row].height = 15 * lines
            row += 1

    def blank() -> None:
        nonlocal row
        row += 1

    text("Instance workbook of the Active Materials Planner", Font(bold=True, size=14))
    text("This sheet is not read (sheets whose name begins with '_' are ignored). It explains how to fill in "
         "the others. Each header cell also carries a comment with its column's description.")
    blank()
    text("Conventions", Font(bold=True, size=12))
    for c in conventions():
        bullet(c)
    blank()
    text("Sheets", Font(bold=True, size=12))
    column_header = ("sheet", "column", "unit", "kind", "required", "default", "allowed values", "description")
    for name in schema.SHEET_ORDER:
        blank()
        if name == schema.SETTINGS_SHEET:
            text(f"{name} (required)", bold)
            text(schema.SETTINGS_DESCRIPTION)
            table(("sheet", "parameter", "unit", "kind", "required", "default", "allowed values", "description"),
                  [(name, p.name, p.unit, schema.KIND_TEXT[p.kind], "yes" if p.required else "",
                    "" if p.required else p.default, allowed_text(p, markdown=False), p.description)
                   for p in schema.SETTINGS])
        elif name == schema.POLICY_SHEET:
            text(f"{name} (optional)", bold)
            text(schema.POLICY_DESCRIPTION)
            table(column_header, [_column_row(name, c) for c in schema.POLICY_FIXED_COLUMNS])
            text("Further columns: one per policy case, headed by the case name. Policy parameters "
                 "(qualifiers: which of year, region, commodity a row may fill):")
            table(("sheet", "parameter", "unit", "kind", "qualifiers", "default", "allowed values", "description"),
                  [(name, p.name, p.unit, schema.KIND_TEXT[p.kind], ", ".join(p.qualifiers), p.default,
                    allowed_text(p, markdown=False), p.description) for p in schema.POLICY])
        else:
            s = schema.SHEETS_BY_NAME[name]
            key = f"; key: {', '.join(s.key)}" if s.key else ""
            text(f"{name} ({'required' if s.required else 'optional'}{key})", bold)
            text(s.description)
            table(column_header, [_column_row(name, c) for c in s.columns])
    from openpyxl.utils import get_column_letter

    for i, w in enumerate(_ABOUT_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    _print_setup(ws)


def _column_row(sheet: str, c: schema.Column) -> tuple[Any, ...]:
    allowed = allowed_text(c, markdown=False)
    if not allowed and c.kind == "enum":
        allowed = "a parameter listed below"
    return (sheet, c.name, c.unit, schema.KIND_TEXT[c.kind], schema.required_text(c),
            "" if c.required else c.default, allowed, c.description)


# --------------------------------------------------------------------------------------------
# the template
# --------------------------------------------------------------------------------------------


def template_tables() -> Tables:
    """The template's content: every sheet with the schema's example rows.

    Settings and policy rows come from `Parameter.example`; the policy sheet has two example
    cases, the second (`no_credits`) without production, investment credits and grants. A
    parameter whose example names a template case (a case extending another) is given only in
    the cases after that one, so that no case names itself or a later case.
    """
    tables: Tables = {schema.SETTINGS_SHEET: [
        {"parameter": p.name, "value": p.example} for p in schema.SETTINGS
    ]}
    for name in schema.SHEET_ORDER:
        if name in schema.SHEETS_BY_NAME:
            tables[name] = [dict(ex) for ex in schema.SHEETS_BY_NAME[name].examples]

    def example(p: schema.Parameter, case: str) -> Any:
        if isinstance(p.example, str) and p.example in TEMPLATE_CASES:
            return p.example if TEMPLATE_CASES.index(p.example) < TEMPLATE_CASES.index(case) else None
        return _NO_CREDITS.get(p.name, p.example) if case == TEMPLATE_CASES[1] else p.example

    tables[schema.POLICY_SHEET] = [
        {"parameter": p.name, **{case: example(p, case) for case in TEMPLATE_CASES}} for p in schema.POLICY
    ]
    _make_consistent(tables)
    return tables


def _make_consistent(tables: Tables) -> None:
    """Complete the schema's example rows so that the template validates without warnings.

    Each step does nothing once the schema's examples are consistent by themselves:

    1. the horizon (settings `last_year`) is extended until every candidate example can be
       qualified and run through its ramp-up;
    2. every cell_demand example (region, segment) gets a row for each year of the horizon
       (same GWh), so that demand does not stop after the first year;
    3. a commodity with demand but no example plant or contract gets an import contract, a copy
       of the first contract example for that commodity.
    """
    # The steps need to know what some columns mean; they name them through the schema, so that
    # a renamed sheet or column fails here loudly rather than silently doing nothing.
    P, D, C, I, M = (schema.PROJECTS, schema.CELL_DEMAND, schema.CONTRACTS, schema.INTENSITY,
                     schema.MATERIAL_DEMAND)
    settings = {r["parameter"]: r for r in tables[schema.SETTINGS_SHEET]}
    first_row, last_row = settings.get("first_year"), settings.get("last_year")
    if first_row is None or last_row is None or first_row["value"] is None or last_row["value"] is None:
        return
    first, last = int(first_row["value"]), int(last_row["value"])

    def get(rec: dict[str, Any], spec: schema.Sheet, col: str) -> Any:
        v = rec.get(spec.column(col).name)
        return spec.column(col).default if v is None else v

    # 1. horizon
    for rec in tables.get(P.name, []):
        if get(rec, P, "status") != "candidate":
            continue
        ramp = get(rec, P, "ramp_up") or ""
        ramp_years = len([x for x in re.split(r"[;,\s]+", format_value(ramp)) if x])
        start = max(int(get(rec, P, "earliest_start")), first)
        qualified = start + int(get(rec, P, "construction_years")) + int(get(rec, P, "qualification_years"))
        last = max(last, qualified + ramp_years)
    last_row["value"] = last

    # 2. demand in every year
    demand = tables.get(D.name, [])
    year, where = D.column("year").name, [k for k in D.key if k != "year"]
    given = {tuple(r.get(k) for k in D.key) for r in demand}
    for rec in list(demand):
        for y in range(first, last + 1):
            key = tuple(y if k == year else rec.get(k) for k in D.key)
            if key not in given:
                demand.append({**rec, year: y})
                given.add(key)
    demand.sort(key=lambda r: (*(str(r.get(k)) for k in where), r.get(year) or 0))

    # 3. a supply for every commodity with demand
    com = "commodity"
    demanded = [get(r, I, com) for r in tables.get(I.name, [])] + [get(r, M, com) for r in tables.get(M.name, [])]
    contracts = tables.get(C.name, [])
    supplied = {get(r, P, com) for r in tables.get(P.name, [])} | {get(r, C, com) for r in contracts}
    ident = C.key[0]
    for c in dict.fromkeys(demanded):
        if c is None or c in supplied or not contracts:
            continue
        base = contracts[0]
        contracts.append({**base, ident: f"{base.get(ident)}_{c}", com: c})
        supplied.add(c)


def write_template(path: str | Path) -> Path:
    """An instance workbook with every sheet and column, example rows, drop-downs and `_about`."""
    return write_instance(template_tables(), path, documented=True)
