"""Check a raw workbook against `planner.schema` and build the frozen `Instance`.

Every check appends an `Issue` (sheet, row, column, plain words) and carries on, so that a
planner sees every problem of a workbook at once. `check_workbook` runs every check of the
workbook itself, the overrides sheet included (its rows are parsed and checked here, with their
positions); whether each case's overrides can be applied is checked by `planner.cases.validate`,
which raises `InstanceError` at the end when any issue is an error (`planner.cases.load_instance`
reads and validates a workbook file).
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from planner import schema
from planner.errors import Issue, cut
from planner.instance.records import (
    Commodity,
    Contract,
    Delay,
    Instance,
    Member,
    Offtake,
    PolicyRow,
    Project,
    Region,
    Settings,
    SubstitutionGroup,
)
from planner.instance.parsed import Override, Parsed, Record, Scenario, Table
from planner.io.reader import BadCell, RawSheet, RawWorkbook, read_workbook, sheet_key

MAX_HORIZON_YEARS = 200
YEAR_RANGE = (1900, 2300)
DEFAULT_CASE = "base"

# --------------------------------------------------------------------------------------------
# plausibility: hard limits (errors) and likely unit mistakes (warnings), in one place
# --------------------------------------------------------------------------------------------

#: no number in a workbook may be larger than this in magnitude: none can be right (world GDP is
#: ~1e14 $/yr) and the solver treats 1e20 as infinite
MAX_MAGNITUDE = 1e15
#: identifiers (ids, references, choices, the key columns of a sheet, case names) longer than this
MAX_ID_CHARS = 100
#: column names (header cells) longer than this are refused without being matched to anything
MAX_HEADER_CHARS = 255
#: characters of an override's filter
MAX_FILTER_CHARS = 1_000
#: shares in a list such as a ramp-up profile
MAX_SHARES = 100
#: entries a sheet may expand to: transport links per commodity, demand terms (cell output x mix x intensity)
MAX_EXPANDED = 2_000_000
#: errors (and, separately, warnings) listed; the rest are counted ("and 12,345 more errors")
MAX_ISSUES = 200
#: name comparisons spent on "did you mean" suggestions in one validation (about a second)
MAX_SUGGESTION_WORK = 200_000
#: whole-number columns whose larger values cannot be right and would make the model explode
#: (one variable per start year and unit, capex spread over every construction year)
HARD_MAXIMA: dict[str, float] = {
    "units_max": 1_000,
    "construction_years": 30,
    "qualification_years": 30,
    "lifetime": 100,
    # quantities and prices beyond which no plan is meaningful (and HiGHS's numerics break down)
    "capacity_per_unit": 1e9,
    "min_take": 1e10,
    "max_volume": 1e10,
    "tonnes": 1e10,
    "gwh": 1e7,
    "t_per_gwh": 1e5,
    "t_per_t": 1e3,
    "variable_cost": 1e9,
    "market_price": 1e9,
    "reference_price": 1e9,
    "other_materials_cost": 1e9,
    "cell_credit": 1e5,
    "cell_other_materials_cost": 1e5,
    "price": 1e9,
    "cost_per_t": 1e9,
    "penalty_unmet_demand": 1e9,
    "penalty_localization": 1e9,
    "penalty_offtake": 1e9,
    "min_t": 1e10,
    "max_t": 1e10,
    "shortfall_penalty": 1e9,
    "capex_per_unit": 1e12,
    "fixed_om_per_unit": 1e12,
    "grant": 1e12,
    "credit_48c_awarded": 1e12,
    "signing_fee": 1e12,
    "restart_cost": 1e12,
    "cancellation_cost": 1e12,
    "retirement_cost": 1e12,
    "demand_scale": 1_000,
}
_T = "t a year: a thousand times the world's output of battery materials"
_PER_T = "$/t: ten thousand times the price of any battery material"
HARD_MAXIMA_WHY: dict[str, str] = {
    "capacity_per_unit": "t/yr per unit: a thousand times the world's largest plants", "min_take": _T,
    "max_volume": _T, "tonnes": _T, "gwh": "GWh a year: thousands of times the world's cell output",
    "t_per_gwh": "t/GWh: a GWh of cells weighs about 6,000 t in all", "t_per_t": "t of input per t of output",
    "variable_cost": _PER_T, "market_price": _PER_T, "price": _PER_T, "cost_per_t": _PER_T,
    "reference_price": _PER_T, "other_materials_cost": _PER_T,
    "cell_credit": "$/kWh: a thousand times the price of a whole cell",
    "cell_other_materials_cost": "$/kWh: a thousand times the price of a whole cell",
    "penalty_unmet_demand": _PER_T, "penalty_localization": _PER_T, "penalty_offtake": _PER_T,
    "min_t": _T, "max_t": _T, "shortfall_penalty": _PER_T,
    "capex_per_unit": "$ per unit: a trillion dollars", "fixed_om_per_unit": "$ a year per unit",
    "grant": "$: a trillion dollars", "credit_48c_awarded": "$: a trillion dollars", "signing_fee": "$",
    "restart_cost": "$: a trillion dollars", "cancellation_cost": "$: a trillion dollars",
    "retirement_cost": "$: a trillion dollars",
    "demand_scale": "a scale is a factor, 1.3 for +30%",
}
#: demand of one commodity in one region and year (after cell output x intensity x demand_scale):
#: above the first no plan is meaningful (an error); above the second it is most likely a unit mistake
MAX_TONNES_PER_YEAR = 1e10
SUSPICIOUS_TONNES_PER_YEAR = 1e8
#: all demand over the horizon priced at penalty_unmet_demand (what is at stake in the plan): above the
#: first the objective is beyond what a plan can mean (10,000 years of world GDP); above the second, warned
MAX_COST_AT_STAKE = 1e18
SUSPICIOUS_COST_AT_STAKE = 1e15


@dataclass(frozen=True)
class UnitHint:
    """A value that is allowed but suggests a unit mistake: warned about, never an error."""

    below: float | None = None  # warn for 0 < value < below
    above: float | None = None  # warn for value > above
    why: str = ""  # what the value suggests, with an example of the right figure


_KT = "quantities are in t, not kt: 30 kt is 30000"
_MUSD = "money is in $, not $M: $750M is 750000000"
_PER_KG = "prices and costs are per tonne, not per kg: $20/kg is 20000 $/t"
#: (sheet, column or policy/settings parameter) -> hint
UNIT_HINTS: dict[tuple[str, str], UnitHint] = {
    ("projects", "capacity_per_unit"): UnitHint(below=100, why="capacities are in t/yr, not kt/yr: 30 kt/yr is 30000"),
    ("projects", "capex_per_unit"): UnitHint(below=10_000, why=_MUSD),
    ("projects", "fixed_om_per_unit"): UnitHint(below=1_000, why=_MUSD),
    ("projects", "credit_48c_awarded"): UnitHint(below=10_000, why=_MUSD),
    ("projects", "grant"): UnitHint(below=10_000, why=_MUSD),
    ("projects", "variable_cost"): UnitHint(below=10, why=_PER_KG),
    ("projects", "restart_cost"): UnitHint(below=1_000, why=_MUSD),
    ("projects", "cancellation_cost"): UnitHint(below=1_000, why=_MUSD),
    ("projects", "retirement_cost"): UnitHint(below=1_000, why=_MUSD),
    ("commodities", "market_price"): UnitHint(below=10, why=_PER_KG),
    ("commodities", "reference_price"): UnitHint(below=10, why=_PER_KG),
    ("contracts", "price"): UnitHint(below=10, why=_PER_KG),
    ("contract_terms", "price"): UnitHint(below=10, why=_PER_KG),
    ("contracts", "max_volume"): UnitHint(below=100, why=_KT),
    ("contract_terms", "max_volume"): UnitHint(below=100, why=_KT),
    ("contracts", "signing_fee"): UnitHint(below=1_000, why=_MUSD),
    ("material_demand", "tonnes"): UnitHint(below=1, why=_KT),
    ("intensity", "t_per_gwh"): UnitHint(below=2, why="intensities are in t/GWh, not kg/kWh: 1.4 kg/kWh is 1400 t/GWh"),
    ("cell_demand", "gwh"): UnitHint(above=100_000, why="cell output is in GWh, not MWh: the whole U.S. makes "
                                                        "about 1,000 GWh of cells a year"),
    ("transport", "cost_per_t"): UnitHint(below=1, why=_PER_KG),
    ("settings", "penalty_unmet_demand"): UnitHint(below=10, why=_PER_KG),
    ("settings", "penalty_localization"): UnitHint(below=10, why=_PER_KG),
    ("settings", "penalty_offtake"): UnitHint(below=10, why=_PER_KG),
    ("offtakes", "min_t"): UnitHint(below=100, why=_KT),
    ("offtakes", "max_t"): UnitHint(below=100, why=_KT),
    ("offtakes", "price"): UnitHint(below=10, why=_PER_KG),
    ("offtakes", "shortfall_penalty"): UnitHint(below=10, why=_PER_KG),
    ("policy", "x48c_budget"): UnitHint(below=10_000, why=_MUSD),
    ("policy", "grant_pool"): UnitHint(below=10_000, why=_MUSD),
    ("policy", "capex_budget"): UnitHint(below=10_000, why=_MUSD),
    ("policy", "capex_budget_total"): UnitHint(below=10_000, why=_MUSD),
    ("policy", "cell_credit"): UnitHint(above=1_000, why="cell figures are per kWh, not per MWh: $35/kWh is 35"),
    ("policy", "cell_other_materials_cost"): UnitHint(above=1_000, why="cell figures are per kWh, not per MWh: "
                                                                          "$25/kWh is 25"),
}


def unit_hint(sheet: str, column: str, x: Any) -> UnitHint | None:
    """The hint a value triggers, or None."""
    h = UNIT_HINTS.get((sheet, column))
    if h is None or isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    if (h.below is not None and 0 < x < h.below) or (h.above is not None and x > h.above):
        return h
    return None


def read_instance_workbook(path: str | Path, *, data: bytes | None = None) -> RawWorkbook:
    """The sheets of an instance workbook (or of its bytes), read but not yet checked."""
    return read_workbook(path, data=data, sheets=instance_sheet)


def instance_sheet(name: str) -> bool:
    """Whether a sheet of this name is read (sheets beginning with '_' and unknown ones are not)."""
    return not name.startswith("_") and sheet_key(name) in _KNOWN_SHEETS


_KNOWN_SHEETS = {schema.SETTINGS_SHEET, schema.POLICY_SHEET, *schema.SHEETS_BY_NAME}


# --------------------------------------------------------------------------------------------
# issue collection and value parsing
# --------------------------------------------------------------------------------------------


class Issues:
    """The problems found so far: the first MAX_ISSUES errors and MAX_ISSUES warnings are kept, the
    others only counted (a workbook with 800,000 bad rows is reported in seconds, not listed)."""

    def __init__(self, file: str):
        self.file = file
        self.items: list[Issue] = []
        self.counts = {"error": 0, "warning": 0}
        self.work = 0  # comparisons spent on suggestions

    def add(self, issue: Issue) -> None:
        self.counts[issue.severity] += 1
        if self.counts[issue.severity] <= MAX_ISSUES:
            self.items.append(issue)

    def extend(self, issues: Any) -> None:
        for i in issues:
            self.add(i)

    def error(self, message: str, sheet: str | None = None, row: int | None = None,
              column: str | None = None, field: str | None = None) -> None:
        self.counts["error"] += 1
        if self.counts["error"] <= MAX_ISSUES:
            self.items.append(Issue("error", message, self.file, sheet, row, column, field))

    def warning(self, message: str, sheet: str | None = None, row: int | None = None,
                column: str | None = None, field: str | None = None) -> None:
        self.counts["warning"] += 1
        if self.counts["warning"] <= MAX_ISSUES:
            self.items.append(Issue("warning", message, self.file, sheet, row, column, field))

    @property
    def has_errors(self) -> bool:
        return self.counts["error"] > 0

    @property
    def full(self) -> bool:
        """No further error would be listed (checks may skip costly suggestions)."""
        return self.counts["error"] >= MAX_ISSUES

    def suggest(self, word: str, choices: Any) -> str:
        """`_suggest` within a budget: none once no further error is listed, and at most
        MAX_SUGGESTION_WORK comparisons in all (3,000 unknown references among 3,000 ids took a
        minute of 'did you mean'). `choices` may be a function giving them (built only if needed)."""
        if self.full or self.work >= MAX_SUGGESTION_WORK:
            return ""
        options = choices() if callable(choices) else choices
        self.work += len(options)
        return _suggest(word, options)

    def listed(self) -> list[Issue]:
        """The kept issues, then one line per severity saying how many more were found."""
        out = list(self.items)
        for severity, n in self.counts.items():
            if n > MAX_ISSUES:
                out.append(Issue(severity, f"{n - MAX_ISSUES:,} more {severity}s were found and are not listed "
                                           f"(only the first {MAX_ISSUES} of each kind are): correct these and run "
                                           "`planner validate` again", self.file))
        return out


class BadValue(ValueError):
    pass


_TRUE = {"true", "yes", "y", "1", "x", "wahr", "vrai"}
_FALSE = {"false", "no", "n", "0", "falsch", "faux"}


def _describe(value: Any) -> str:
    """A value as a message quotes it (text in quotes), cut at 60 characters."""
    if isinstance(value, str):
        return "'" + cut(value.replace("'", "’")) + "'"
    return cut(value)


def _date_text(value: Any) -> str:
    if isinstance(value, _dt.datetime) and value.time() == _dt.time(0):
        return value.date().isoformat()
    return str(value)


def _number(value: Any, what: str) -> float:
    if isinstance(value, BadCell):
        raise BadValue(f"cannot be read: {value}")
    if isinstance(value, bool):
        raise BadValue(f"must be {what}; found the logical value {value}")
    if isinstance(value, (_dt.date, _dt.time, _dt.timedelta)):
        raise BadValue(f"must be {what}; found the date/time {_date_text(value)}: the cell is formatted as a "
                       "date or time; format it as a number")
    if isinstance(value, (int, float)):
        try:
            x = float(value)
        except OverflowError:
            x = math.inf if value > 0 else -math.inf
    elif isinstance(value, str):
        text = value.replace("\u00a0", "").replace(" ", "")
        scale = 1.0
        if text.endswith("%"):
            text, scale = text[:-1], 0.01
        try:
            x = float(text) * scale
        except (ValueError, OverflowError):
            hint = ""
            if any(ch.isdigit() for ch in value):
                hint = (": write the number alone, without units, currency signs or thousands separators, with a "
                        "point as the decimal mark (the column's unit is in its name)")
            raise BadValue(f"must be {what}; found {_describe(value)}{hint}") from None
    else:
        raise BadValue(f"must be {what}; found {_describe(value)}")
    if math.isnan(x):
        raise BadValue(f"must be {what}; found NaN (not a number)")
    if math.isinf(x) or abs(x) > MAX_MAGNITUDE:
        shown = "an infinite value" if math.isinf(x) else f"{x:.3g}"
        raise BadValue(f"must be {what}; found {shown}, which is far too large to be right (numbers are accepted "
                       f"up to {MAX_MAGNITUDE:.0e} in magnitude)")
    return x


def parse_value(kind: str, value: Any) -> Any:
    """Convert one non-blank cell to the Python value of `kind`, or raise BadValue."""
    if isinstance(value, BadCell):
        raise BadValue(f"cannot be read: {value}")
    if kind in ("id", "text", "ref", "enum"):
        if isinstance(value, (_dt.date, _dt.time)):
            raise BadValue(f"must be text; found the date/time {_date_text(value)}")
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            raise BadValue(f"must be text; found {'NaN (not a number)' if math.isnan(value) else 'an infinite value'}")
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        text = str(value).strip()
        if kind != "text" and len(text) > MAX_ID_CHARS:
            raise BadValue(f"is {len(text):,} characters long; identifiers and names of choices may have at most "
                           f"{MAX_ID_CHARS}")
        return text
    if kind == "year" and isinstance(value, (_dt.date, _dt.datetime)):
        raise BadValue(f"must be a year; found the date {_date_text(value)}: write the year alone as a number "
                       f"(e.g. {value.year}), or format the cell as a number if it shows a date")
    if kind in ("int", "year"):
        what = "a year" if kind == "year" else "a whole number"
        x = _number(value, what)
        if not float(x).is_integer():
            raise BadValue(f"must be {what}; found {_describe(value)}")
        n = int(x)
        if kind == "year" and not (YEAR_RANGE[0] <= n <= YEAR_RANGE[1]):
            raise BadValue(f"must be a calendar year; found {n}")
        return n
    if kind in ("float", "share"):
        return _number(value, "a number" if kind == "float" else "a share between 0 and 1")
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE:
            return True
        if isinstance(value, str) and value.strip().lower() in _FALSE:
            return False
        raise BadValue(f"must be TRUE or FALSE; found {_describe(value)}")
    if kind == "shares":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            parts: list[Any] = [value]
        elif isinstance(value, str):
            parts = [p for p in re.split(r"[;,\s]+", value) if p]
        else:
            raise BadValue(f"must be a list of shares such as 0.4;0.7;0.9; found {_describe(value)}")
        if len(parts) > MAX_SHARES:
            raise BadValue(f"holds {len(parts):,} shares; a list may have at most {MAX_SHARES}")
        out = tuple(_number(p, "a list of shares such as 0.4;0.7;0.9") for p in parts)
        if any(not (0.0 <= x <= 1.0) for x in out):
            hint = ""
            if all(0.0 <= x <= 100.0 for x in out):
                hint = f": write {';'.join(f'{x / 100:.6g}' for x in out)} for {';'.join(f'{x:g}' for x in out)}%"
            raise BadValue(f"every share must lie between 0 and 1; found {_describe(value)}{hint}")
        return out
    raise AssertionError(kind)


def _percent_hint(x: float) -> str:
    """': write 0.35 for 35%' for a share typed as a percent (35), else ''."""
    if 1 < x <= 1000:
        return f": write {x / 100:.6g} for {x:g}%"
    return ""


def check_range(col: schema.Column | schema.Parameter, x: Any) -> str | None:
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        if not math.isfinite(x) or abs(x) > MAX_MAGNITUDE:
            return f"is far too large to be right ({float(x):.3g}; numbers are accepted up to {MAX_MAGNITUDE:.0e})"
        top = HARD_MAXIMA.get(col.name)
        if top is not None and x > top:
            shown = f"{x:,.0f}" if float(x).is_integer() else f"{x:g}"
            why = HARD_MAXIMA_WHY.get(col.name, "")
            return f"must be at most {top:,g}; {shown} cannot be right" + (f" ({why})" if why else "")
    if col.kind == "share" and not (0.0 <= x <= 1.0):
        return f"must be a share between 0 and 1; found {x:g}" + _percent_hint(x)
    if col.minimum is not None and isinstance(x, (int, float)):
        strict = getattr(col, "strict_minimum", False)
        if x < col.minimum or (strict and x == col.minimum):
            bound = "greater than" if strict else "at least"
            return f"must be {bound} {col.minimum:g}; found {x:g}"
    if col.maximum is not None and isinstance(x, (int, float)) and x > col.maximum:
        hint = _percent_hint(x) if schema.share_like(col) else ""
        return f"must be at most {col.maximum:g}; found {x:g}{hint}"
    return None


#: an accepted share-like value above 1 (a tariff may reach 10 = 1,000%) is warned about when it reads
#: like a percent: a whole number (5: 500%, or 5%?) or more than this. Duties such as 1.85 stay silent.
PERCENT_LIKE_ABOVE = 3.0


def _percent_warning(col: schema.Column | schema.Parameter, name: str, x: Any, issues: Issues,
                     **where: Any) -> None:
    """Warn about an accepted share-like value (a fraction: 0.05 = 5%) that looks like a percent."""
    if not schema.share_like(col) or isinstance(x, bool) or not isinstance(x, (int, float)) or x <= 1:
        return
    if float(x).is_integer() or x > PERCENT_LIKE_ABOVE:
        issues.warning(f"{name} {x:g} means {100 * x:,.6g}%{' of the price' if col.unit == 'share of price' else ''}; "
                       f"shares are fractions, so if {x:g}% is meant, write {x / 100:.6g}", **where)


def _unbracketed(text: str) -> str:
    """`text` without its [...] and (...) parts (a unit or a note), in one pass: 'gwh [GWh]' -> 'gwh '."""
    out: list[str] = []
    i, n = 0, len(text)
    unclosed: set[str] = set()  # brackets with no closing one further on (never searched for again)
    while i < n:
        ch = text[i]
        close = "]" if ch == "[" else ")" if ch == "(" else None
        if close is not None and close not in unclosed:
            j = text.find(close, i + 1)
            if j >= 0:
                i = j + 1
                continue
            unclosed.add(close)
        out.append(ch)
        i += 1
    return "".join(out)


def norm_name(header: str) -> str:
    """A column or parameter name as it is matched: no unit bracket, lower case, '_' for spaces and '-'.
    Names longer than MAX_HEADER_CHARS match nothing (they are refused where they stand)."""
    header = str(header)
    if len(header) > MAX_HEADER_CHARS:
        return "\0" + header[:MAX_HEADER_CHARS]
    text = _unbracketed(header).strip().lower()
    return re.sub(r"[\s\-]+", "_", text).strip("_")


def edit_distance(a: str, b: str, limit: int) -> int:
    """Edits (insert, delete, replace, swap two neighbours) from a to b if at most `limit`, else
    limit + 1; O(len * limit), so a 32,000-character header costs no more than a short one."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    big = limit + 1
    n = len(b)
    before: list[int] | None = None
    prev = list(range(n + 1))
    for i in range(1, len(a) + 1):
        lo, hi = max(1, i - limit), min(n, i + limit)
        cur = [big] * (n + 1)
        cur[0] = i if i <= limit else big
        for j in range(lo, hi + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if before is not None and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d = min(d, before[j - 2] + 1)
            cur[j] = min(d, big)
        if min(cur[lo - 1:hi + 1]) > limit:
            return big
        before, prev = prev, cur
    return min(prev[n], big)


def near_miss(word: str, names: list[str] | tuple[str, ...]) -> str | None:
    """The declared name `word` is most likely a misspelling of: within 1 edit for names of up to 5
    characters, within 2 for longer ones ('varible_cost' -> 'variable_cost'); None when none is that close."""
    best: tuple[int, str] | None = None
    for name in names:
        limit = 1 if len(name) <= 5 else 2
        d = edit_distance(word, name, limit)
        if 0 < d <= limit and (best is None or d < best[0]):
            best = (d, name)
    return best[1] if best else None


def _suggest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """' (did you mean 'x'?)' for the closest choice, or ''."""
    if len(str(word)) > MAX_HEADER_CHARS or len(choices) > 10_000:
        return ""
    w = str(word).lower()
    close = difflib.get_close_matches(w, [c.lower() for c in choices], n=1, cutoff=0.6)
    if not close and len(w) >= 3:
        close = [c.lower() for c in choices if c.lower().startswith(w) or w in c.lower()][:1]
    if not close:
        return ""
    original = next(c for c in choices if c.lower() == close[0])
    return f" (did you mean '{cut(original)}'?)"


# --------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------


def _find_sheet(raw: RawWorkbook, name: str, issues: Issues, required: bool,
                columns: list[str] | None = None, needed: list[str] | None = None) -> RawSheet | None:
    """The sheet called `name` with a usable header row, or None (absent, empty or unusable: reported).

    `columns` are the sheet's declared column names and `needed` the required ones.
    """
    sheet = raw.find(name)
    if sheet is None:
        if required:
            issues.error(f"required sheet '{name}' is missing" + issues.suggest(name, list(raw.sheets)), sheet=name)
        return None
    if sheet.hidden:
        issues.warning("sheet is hidden in the workbook; it is read like any other", sheet=sheet.name)
    columns, needed = columns or [], needed or []
    if not sheet.headers and not sheet.rows:
        if required:
            issues.error(f"the sheet is empty: row 1 must hold the column names ({', '.join(needed or columns)}) "
                         "and the rows below them the data", sheet=sheet.name, row=1)
        else:
            issues.warning("the sheet is empty and is ignored", sheet=sheet.name)
        return None
    if columns and _header_row_unusable(sheet, columns, needed, issues):
        return None
    _unnamed_columns(sheet, issues)
    return sheet


def _header_row_unusable(sheet: RawSheet, columns: list[str], needed: list[str], issues: Issues) -> bool:
    """True (and reported) when row 1 holds none of the column names but a row below does, or is blank."""
    norms = {norm_name(c) for c in columns}
    if any(norm_name(t) in norms for t in sheet.headers.values()):
        return False
    for r in sheet.rows[:20]:
        hits = sum(1 for v in r.values.values() if isinstance(v, str) and norm_name(v) in norms)
        if hits >= min(2, len(columns)):
            issues.error(f"the column names are in row {r.row}, but must be in row 1: delete the rows above them "
                         "(titles and notes belong in another sheet)", sheet=sheet.name, row=r.row)
            return True
    if not sheet.headers:
        issues.error(f"row 1 is blank: it must hold the column names ({', '.join(needed or columns)})",
                     sheet=sheet.name, row=1)
        return True
    return False


def _unnamed_columns(sheet: RawSheet, issues: Issues) -> None:
    """Values in a column without a name in row 1 are ignored: say so, once per column."""
    first: dict[str, int] = {}
    for r in sheet.rows:
        for letter, v in r.values.items():
            if v is not None and letter not in sheet.headers and letter not in first:
                first[letter] = r.row
    for letter, row in sorted(first.items(), key=lambda kv: (len(kv[0]), kv[0])):
        issues.warning(f"column {letter} holds values (first in row {row}) but has no name in row 1: it is ignored",
                       sheet=sheet.name, row=row, column=letter)


def _missing_column(sheet: RawSheet, col: schema.Column | str, found: dict[str, str], issues: Issues) -> None:
    """Report a missing column the header row must hold, naming the closest unmatched header."""
    name = col if isinstance(col, str) else col.name
    used = set(found.values())
    others = {letter: text for letter, text in sheet.headers.items()
              if letter not in used and len(text) <= MAX_HEADER_CHARS}
    by_norm = {norm_name(t): letter for letter, t in list(others.items())[:MAX_COLUMNS_SUGGESTED]}
    close = [k for k in by_norm if near_miss(k, [name]) == name][:1]
    if not close:
        close = difflib.get_close_matches(name, list(by_norm), n=1, cutoff=0.6)
    if not close:
        close = [k for k in by_norm if len(k) >= 3 and (k in name or name in k)][:1]
    hint, letter = "", None
    if close:
        letter = by_norm[close[0]]
        hint = f" (did you mean column {letter}, '{cut(others[letter], 40)}'? Rename it '{name}')"
    if isinstance(col, schema.Column) and not col.required:
        default = ("blank" if col.default is None else
                   f"{col.default:g}" if isinstance(col.default, float) else str(col.default))
        issues.error(f"column '{name}' is missing from the header row{hint}. It carries "
                     f"{_WHAT_KIND.get(col.kind, 'values')}; without it every row would silently take the default "
                     f"({default}). Add the column (its cells may be left blank for the default)", sheet=sheet.name,
                     row=1, column=letter, field=name)
        return
    issues.error(f"required column '{name}' is missing from the header row{hint}", sheet=sheet.name, row=1,
                 column=letter, field=name)


_WHAT_KIND = {"float": "money or quantities", "int": "quantities", "year": "years", "share": "shares",
              "shares": "shares"}
#: unmatched headers looked at for the closest name of a missing column
MAX_COLUMNS_SUGGESTED = 500


def _hint_issues(sheet: str, shown: str, hits: dict[str, list[tuple[int, Any]]], letters: dict[str, str],
                 unit: dict[str, str], issues: Issues) -> None:
    """One warning per column for values that suggest a unit mistake (see UNIT_HINTS)."""
    for name, found in hits.items():
        h = UNIT_HINTS[(sheet, name)]
        rows_ = sorted({r for r, _ in found})
        rows = ", ".join(str(r) for r in rows_[:6]) + (f" and {len(rows_) - 6} more" if len(rows_) > 6 else "")
        where = f"below {h.below:,g}" if h.below is not None and 0 < found[0][1] < h.below else f"above {h.above:,g}"
        u = f" {unit.get(name)}" if unit.get(name) else ""
        issues.warning(f"{name} is {where}{u} in row{'s' if len(rows_) > 1 else ''} {rows} (e.g. {found[0][1]:,g}); "
                       f"check the unit: {h.why}", sheet=shown, row=found[0][0], column=letters.get(name), field=name)


def _map_headers(
    sheet: RawSheet, names: list[str], issues: Issues, allow_extra: bool,
    must_have: tuple[str, ...] | list[str] = (),
) -> tuple[dict[str, str], dict[str, str]]:
    """Match header cells to declared column names. Returns (name -> letter, extra letter -> text).

    A header within a small edit distance of a declared name ('varible_cost') is an error, not an
    extra column: its values would otherwise be ignored and the column's default used instead. When
    the name it resembles is one of `must_have` and missing, the missing column's error names it.
    """
    by_norm = {norm_name(n): n for n in names}
    found: dict[str, str] = {}
    extra: dict[str, str] = {}
    misses: list[tuple[str, str, str]] = []  # (letter, header text, declared name it resembles)
    for letter, text in sheet.headers.items():
        if len(text) > MAX_HEADER_CHARS:
            issues.error(f"this column name is {len(text):,} characters long ('{cut(text)}'); column names have at "
                         f"most {MAX_HEADER_CHARS}: put notes in another sheet", sheet=sheet.name, row=1,
                         column=letter)
            continue
        key = norm_name(text)
        name = by_norm.get(key)
        if name is None:
            near = near_miss(key, names)
            if near is not None:
                misses.append((letter, text, near))
            elif allow_extra:
                extra[letter] = text
            else:
                issues.warning(
                    f"column '{cut(text)}' is not part of this sheet and is ignored" + issues.suggest(key, names),
                    sheet=sheet.name, row=1, column=letter,
                )
            continue
        if name in found:
            issues.error(
                f"column '{name}' appears twice (also in column {found[name]})",
                sheet=sheet.name, row=1, column=letter, field=name,
            )
            continue
        found[name] = letter
    for letter, text, near in misses:
        if near in must_have and near not in found:
            continue  # reported as the missing column, pointing here
        where = f" (column {found[near]} already holds '{near}')" if near in found else ""
        case = " If it is meant as a case, give the case a name that does not look like a column" if allow_extra else ""
        issues.error(f"column '{cut(text)}' is not a column of this sheet: did you mean '{near}'{where}? Rename or "
                     f"delete it; a misspelt column would be ignored and its values lost.{case}",
                     sheet=sheet.name, row=1, column=letter)
    return found, extra


def read_table(raw: RawWorkbook, spec: schema.Sheet, issues: Issues) -> Table:
    """Parse one table sheet: headers, types, ranges, enums, key uniqueness (not references)."""
    names = [c.name for c in spec.columns]
    sheet = _find_sheet(raw, spec.name, issues, spec.required, names, [c.name for c in spec.columns if c.required])
    if sheet is None:
        return Table("", spec)
    must_have = [c.name for c in spec.columns if c.header_required]
    letters, _ = _map_headers(sheet, names, issues, allow_extra=False, must_have=must_have)
    table = Table(sheet.name, spec, letters)
    for col in spec.columns:
        if col.header_required and col.name not in letters:
            _missing_column(sheet, col, letters, issues)
    if any(c.required and c.name not in letters for c in spec.columns):
        return table
    hints: dict[str, list[tuple[int, Any]]] = {}
    for raw_row in sheet.rows:
        values: dict[str, Any] = {}
        bad: set[str] = set()
        ok = True
        for col in spec.columns:
            letter = letters.get(col.name)
            cell = raw_row.values.get(letter) if letter else None
            if cell is None:
                if col.required:
                    issues.error(
                        f"'{col.name}' is required but the cell is blank",
                        sheet=sheet.name, row=raw_row.row, column=letter, field=col.name,
                    )
                    ok = False
                values[col.name] = col.default
                continue
            try:
                x = parse_value(col.kind, cell)
            except BadValue as exc:
                issues.error(str(exc), sheet=sheet.name, row=raw_row.row, column=letter, field=col.name)
                ok = False
                values[col.name] = None
                continue
            problem = check_range(col, x)
            if problem is None and col.name in spec.key and isinstance(x, str) and len(x) > MAX_ID_CHARS:
                problem = f"is {len(x):,} characters long; the key columns of a sheet may have at most {MAX_ID_CHARS}"
            if problem is None and unit_hint(spec.name, col.name, x) is not None:
                hints.setdefault(col.name, []).append((raw_row.row, x))
            if problem is None:
                _percent_warning(col, col.name, x, issues, sheet=sheet.name, row=raw_row.row, column=letter,
                                 field=col.name)
            if problem is None and col.kind == "enum":
                match = next((c for c in col.choices if c.lower() == str(x).lower()), None)
                if match is None:
                    problem = f"must be one of {', '.join(col.choices)}; found {_describe(x)}" + _suggest(
                        str(x), col.choices
                    )
                x = match
            if problem:
                issues.error(problem, sheet=sheet.name, row=raw_row.row, column=letter, field=col.name)
                ok = False
                bad.add(col.name)
            values[col.name] = x
        if spec.key and spec.columns[0].kind == "id" and values.get(spec.key[0]) is not None:
            table.ids.add(values[spec.key[0]])
        if ok:
            table.records.append(Record(raw_row.row, values))
        else:  # the cells already reported are not checked again
            table.rejected.append(Record(raw_row.row, {k: None if k in bad else v for k, v in values.items()}))
    _hint_issues(spec.name, sheet.name, hints, letters, {c.name: c.unit for c in spec.columns}, issues)
    if spec.key:
        seen: dict[tuple[Any, ...], int] = {}
        for rec in table.records:
            key = tuple(
                rec[k].lower() if isinstance(rec[k], str) else rec[k] for k in spec.key
            )
            if any(rec[k] is None for k in spec.key if spec.column(k).required):
                continue
            if key in seen:
                shown = ", ".join(f"{k}={rec[k]}" for k in spec.key if rec[k] is not None)
                issues.error(
                    f"duplicate entry {shown}: already given in row {seen[key]}",
                    sheet=sheet.name, row=rec.row, column=letters.get(spec.key[0]), field=spec.key[0],
                )
            else:
                seen[key] = rec.row
    return table


def _check_refs(table: Table, ids: dict[str, set[str]], issues: Issues) -> None:
    """Unknown references: remove the offending records after reporting them (rows already rejected for
    another error are checked too, so that all of a row's problems are reported at once)."""
    keep: list[Record] = []
    refs = [col for col in table.spec.columns if col.kind == "ref"]
    known = {col.name: ids.get(col.ref or "", set()) | set(col.ref_extra) for col in refs}
    # case differences are forgiven: one lookup per value, not a scan of every id
    lower = {col.name: {k.lower(): k for k in sorted(known[col.name], reverse=True)} for col in refs}
    choices: dict[str, list[str]] = {}  # for suggestions, sorted once per column, only when needed
    for rec in table.records + table.rejected:
        good = True
        for col in refs:
            value = rec[col.name]
            if value is None or value in known[col.name]:
                continue
            match = lower[col.name].get(value.lower())
            if match is not None:
                rec.values[col.name] = match
                continue
            if col.name not in choices and not issues.full:
                choices[col.name] = sorted(ids.get(col.ref or "", set())) + list(col.ref_extra)
            hint = issues.suggest(value, choices.get(col.name, []))  # within a budget of comparisons
            issues.error(
                f"unknown {col.ref[:-1] if col.ref and col.ref.endswith('s') else col.ref} '{cut(value)}': "
                f"it is not listed in sheet '{col.ref}'" + hint,
                sheet=table.sheet, row=rec.row, column=table.letter(col.name), field=col.name,
            )
            good = False
        if good:
            keep.append(rec)
    rejected = {id(r) for r in table.rejected}
    table.records = [r for r in keep if id(r) not in rejected]


# --------------------------------------------------------------------------------------------
# settings and policy
# --------------------------------------------------------------------------------------------


def _key_value_sheet(raw: RawWorkbook, name: str, params: tuple[schema.Parameter, ...],
                     issues: Issues, at: dict[str, tuple[str, int, str]] | None = None) -> dict[str, Any]:
    columns = [c.name for c in schema.SETTINGS_COLUMNS]
    sheet = _find_sheet(raw, name, issues, True, columns, ["parameter", "value"])
    out: dict[str, Any] = {}
    if sheet is None:
        return out
    letters, _ = _map_headers(sheet, columns, issues, allow_extra=False, must_have=("parameter", "value"))
    for need in ("parameter", "value"):
        if need not in letters:
            _missing_column(sheet, need, letters, issues)
    if "parameter" not in letters or "value" not in letters:
        return out
    by_name = {p.name: p for p in params}
    seen: dict[str, int] = {}
    hints: dict[str, list[tuple[int, Any]]] = {}
    for r in sheet.rows:
        pname = r.values.get(letters["parameter"])
        cell = r.values.get(letters["value"])
        if pname is None:
            if cell is not None:
                issues.error("a value is given without a parameter name", sheet=sheet.name, row=r.row,
                             column=letters["parameter"], field="parameter")
            continue
        if isinstance(pname, BadCell):
            issues.error(f"the parameter name cannot be read: {pname}", sheet=sheet.name, row=r.row,
                         column=letters["parameter"], field="parameter")
            continue
        key = norm_name(str(pname))
        p = by_name.get(key)
        if p is None:
            near = near_miss(key, list(by_name))
            if near is not None:
                issues.error(f"unknown setting '{cut(pname)}': did you mean '{near}'? A misspelt setting would be "
                             "ignored and its default used instead", sheet=sheet.name, row=r.row,
                             column=letters["parameter"], field="parameter")
            else:
                issues.warning(f"unknown setting '{cut(pname)}' is ignored" + issues.suggest(key, list(by_name)),
                               sheet=sheet.name, row=r.row, column=letters["parameter"], field="parameter")
            continue
        if key in seen:
            issues.error(f"setting '{key}' is given twice (also in row {seen[key]})", sheet=sheet.name,
                         row=r.row, column=letters["parameter"], field="parameter")
            continue
        seen[key] = r.row
        if at is not None:
            at[key] = (sheet.name, r.row, letters["value"])
        if cell is None:
            if p.required:
                issues.error(f"setting '{key}' is required but its value is blank: enter "
                             f"{_EXAMPLE_OF.get(p.kind, 'a value')}",
                             sheet=sheet.name, row=r.row, column=letters["value"], field="value")
            continue
        try:
            x = parse_value(p.kind, cell)
        except BadValue as exc:
            issues.error(f"{key} {exc}", sheet=sheet.name, row=r.row, column=letters["value"], field="value")
            continue
        problem = check_range(p, x)
        if problem:
            issues.error(f"{key} {problem}", sheet=sheet.name, row=r.row, column=letters["value"], field="value")
            continue
        _percent_warning(p, key, x, issues, sheet=sheet.name, row=r.row, column=letters["value"], field="value")
        if unit_hint(name, key, x) is not None:
            hints.setdefault(key, []).append((r.row, x))
        out[key] = x
    _hint_issues(name, sheet.name, hints, {k: letters["value"] for k in hints}, {p.name: p.unit for p in params},
                 issues)
    for p in params:
        if p.required and p.name not in out and p.name not in seen:
            issues.error(f"setting '{p.name}' is required: add a row with parameter '{p.name}'", sheet=sheet.name)
    return out


_EXAMPLE_OF = {"year": "a year, e.g. 2030", "int": "a whole number", "float": "a number",
               "share": "a share such as 0.08", "bool": "TRUE or FALSE", "text": "a text"}


def _segment_names(tables: dict[str, Table]) -> dict[str, str]:
    """Cell segments by their lower-case name: the segments of chemistry_mix, and the chemistries of
    intensity (which cell_demand may name directly), each as spelled in its sheet."""
    out = {r["chemistry"].lower(): r["chemistry"] for r in tables["intensity"].records}
    out.update({r["segment"].lower(): r["segment"] for r in tables["chemistry_mix"].records})
    return out


def _read_policy(raw: RawWorkbook, issues: Issues, ids: dict[str, set[str]], segments: dict[str, str] | None = None
                 ) -> dict[str, tuple[PolicyRow, ...]]:
    fixed = [c.name for c in schema.POLICY_FIXED_COLUMNS]
    sheet = _find_sheet(raw, schema.POLICY_SHEET, issues, False, fixed, ["parameter"])
    if sheet is None:
        return {DEFAULT_CASE: ()}
    must_have = [c.name for c in schema.POLICY_FIXED_COLUMNS if c.header_required]
    letters, extra = _map_headers(sheet, fixed, issues, allow_extra=True, must_have=must_have)
    for col in schema.POLICY_FIXED_COLUMNS:
        if col.header_required and col.name not in letters:
            _missing_column(sheet, col, letters, issues)
    if "parameter" not in letters:
        return {}
    cases: dict[str, str] = {}  # letter -> case name
    lower: dict[str, str] = {}
    for letter, text in extra.items():
        name = text.strip()
        if len(name) > MAX_ID_CHARS:
            issues.error(f"the case name in this header cell is {len(name):,} characters long; case names may have "
                         f"at most {MAX_ID_CHARS}", sheet=sheet.name, row=1, column=letter)
            continue
        if name.lower() in lower:
            issues.error(f"case '{name}' appears twice (also in column {lower[name.lower()]})",
                         sheet=sheet.name, row=1, column=letter)
            continue
        lower[name.lower()] = letter
        cases[letter] = name
    if not cases:
        issues.error("the policy sheet has no case column: add at least one column, headed by the case name, "
                     "to the right of the fixed columns", sheet=sheet.name, row=1)
        return {}
    out: dict[str, list[PolicyRow]] = {name: [] for name in cases.values()}
    seen: dict[tuple[Any, ...], int] = {}
    hints: dict[str, list[tuple[int, Any]]] = {}
    hint_letters: dict[str, str] = {}
    names = [p.name for p in schema.POLICY]
    for r in sheet.rows:
        pcell = r.values.get(letters["parameter"])
        if pcell is None:
            if any(r.values.get(k) is not None for k in cases):
                issues.error("values are given without a parameter name", sheet=sheet.name, row=r.row,
                             column=letters["parameter"], field="parameter")
            continue
        if isinstance(pcell, BadCell):
            issues.error(f"the parameter name cannot be read: {pcell}", sheet=sheet.name, row=r.row,
                         column=letters["parameter"], field="parameter")
            continue
        pname = norm_name(str(pcell))
        param = schema.POLICY_BY_NAME.get(pname)
        if param is None:
            issues.error(f"unknown policy parameter '{cut(pcell)}'" + issues.suggest(pname, names), sheet=sheet.name,
                         row=r.row, column=letters["parameter"], field="parameter")
            continue
        qual: dict[str, Any] = {}
        ok = True
        for qname, kind in (("year", "year"), ("region", "ref"), ("commodity", "ref"), ("segment", "text")):
            letter = letters.get(qname)
            cell = r.values.get(letter) if letter else None
            if cell is None:
                qual[qname] = None
                continue
            if qname not in param.qualifiers:
                allowed = ", ".join(param.qualifiers) or "none"
                issues.error(f"'{pname}' does not take a {qname} (it takes: {allowed}); leave the cell blank",
                             sheet=sheet.name, row=r.row, column=letter, field=qname)
                ok = False
                continue
            try:
                x = parse_value(kind, cell)
            except BadValue as exc:
                issues.error(str(exc), sheet=sheet.name, row=r.row, column=letter, field=qname)
                ok = False
                continue
            if qname in ("region", "commodity"):
                # references are matched regardless of case, as in every other sheet
                known = ids["regions"] if qname == "region" else ids["commodities"] | set(schema.FAMILIES)
                match = x if x in known else next((k for k in known if k.lower() == x.lower()), None)
                if match is None:
                    what = "region" if qname == "region" else "commodity or family"
                    issues.error(f"unknown {what} '{cut(x)}'" + issues.suggest(x, lambda: sorted(known)), sheet=sheet.name, row=r.row,
                                 column=letter, field=qname)
                    ok = False
                x = match if match is not None else x
            if qname == "segment":
                match = (segments or {}).get(str(x).lower())
                if match is None:
                    issues.error(f"unknown cell segment '{cut(x)}': it is neither a segment of sheet 'chemistry_mix' "
                                 "nor a chemistry of sheet 'intensity'"
                                 + issues.suggest(str(x), lambda: sorted((segments or {}).values())),
                                 sheet=sheet.name, row=r.row, column=letter, field=qname)
                    ok = False
                x = match if match is not None else x
            qual[qname] = x
        if not ok:
            continue
        key = (pname, qual["year"], qual["region"], qual["commodity"], qual["segment"])
        if key in seen:
            issues.error(f"'{pname}' is given twice for the same year/region/commodity/segment (also in row {seen[key]})",
                         sheet=sheet.name, row=r.row, column=letters["parameter"], field="parameter")
            continue
        seen[key] = r.row
        for letter, case in cases.items():
            cell = r.values.get(letter)
            if cell is None:
                continue
            try:
                x = parse_value(param.kind, cell)
            except BadValue as exc:
                issues.error(f"{pname} {exc}", sheet=sheet.name, row=r.row, column=letter, field=case)
                continue
            problem = check_range(param, x)
            if problem:
                issues.error(f"{pname} {problem}", sheet=sheet.name, row=r.row, column=letter, field=case)
                continue
            _percent_warning(param, pname, x, issues, sheet=sheet.name, row=r.row, column=letter, field=case)
            if unit_hint(schema.POLICY_SHEET, pname, x) is not None:
                hints.setdefault(pname, []).append((r.row, x))
                hint_letters.setdefault(pname, letter)
            out[case].append(PolicyRow(pname, qual["year"], qual["region"], qual["commodity"], x, r.row, letter,
                                       segment=qual["segment"]))
    _hint_issues(schema.POLICY_SHEET, sheet.name, hints, hint_letters, {p.name: p.unit for p in schema.POLICY},
                 issues)
    return {k: tuple(v) for k, v in out.items()}


# --------------------------------------------------------------------------------------------
# the whole workbook
# --------------------------------------------------------------------------------------------


def interpolate(points: dict[int, float], year: int) -> float:
    ys = sorted(points)
    if year <= ys[0]:
        return points[ys[0]]
    if year >= ys[-1]:
        return points[ys[-1]]
    for a, b in zip(ys, ys[1:]):
        if a <= year <= b:
            w = (year - a) / (b - a)
            return points[a] * (1 - w) + points[b] * w
    raise AssertionError


def check_workbook(raw: RawWorkbook) -> tuple[Parsed, Instance | None, Issues]:
    """Every check of the workbook itself; the Instance (None when it cannot be built) and the issues.

    Nothing is raised here: `planner.cases.validate` adds the checks of each case (its scaled demand,
    its overrides applied) and raises `InstanceError` listing every problem at once.
    """
    issues = Issues(raw.path)
    issues.extend(raw.issues)
    parsed = parse(raw, issues)
    inst = assemble_after(parsed, issues)
    if inst is not None:
        _check_policy_years(parsed, inst.settings, issues)
    return parsed, inst, issues


def assemble_after(parsed: Parsed, issues: Issues) -> Instance | None:
    """`assemble`, also when parsing found errors: rows with errors were dropped, and a cross-sheet check
    that trips over a missing row has nothing to add to the errors that dropped it."""
    if not issues.has_errors:
        return assemble(parsed, issues)
    try:
        return assemble(parsed, issues)
    except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError, IndexError):
        return None


def parse(raw: RawWorkbook, issues: Issues) -> Parsed:
    """Read every sheet into typed records: types, ranges, enums, keys, references."""
    known = _KNOWN_SHEETS
    by_key: dict[str, list[str]] = defaultdict(list)
    for name in raw.sheets:
        by_key[sheet_key(name)].append(name)
        if sheet_key(name) not in known and not name.startswith("_"):
            issues.warning(f"sheet '{cut(name)}' is not part of an instance and is ignored"
                           + issues.suggest(sheet_key(name), sorted(known)), sheet=name)
    for key, names in by_key.items():
        if key in known and len(names) > 1:
            shown = ", ".join(f"'{cut(n)}'" for n in names)
            issues.error(f"{len(names)} sheets are called '{key}' ({shown}, differing only in spaces or case): keep "
                         f"one; only '{cut(names[0])}' would be read", sheet=names[1])
    at: dict[str, tuple[str, int, str]] = {}
    s = _key_value_sheet(raw, schema.SETTINGS_SHEET, schema.SETTINGS, issues, at)
    tables = {spec.name: read_table(raw, spec, issues) for spec in schema.TABLE_SHEETS}
    ids = {name: t.ids for name, t in tables.items() if t.ids}
    ids.setdefault("regions", set())
    ids.setdefault("commodities", set())
    for t in tables.values():
        _check_refs(t, ids, issues)
    cases = _read_policy(raw, issues, ids, _segment_names(tables))
    _check_extends(cases, issues)
    overrides = _read_overrides(tables["overrides"], cases, issues)
    scenarios = _read_scenarios(tables["scenarios"], cases, issues)
    return Parsed(raw.path, raw.sha256, s, tables, cases, tuple(overrides), tuple(scenarios), at)


def assemble(parsed: Parsed, issues: Issues) -> Instance | None:
    """Cross-sheet checks and the Instance records; None when errors were found."""
    tables = parsed.tables
    settings = _settings(parsed.settings, parsed.path, issues, parsed.settings_at)
    if settings is None:
        return None
    commodities = {
        r["commodity"]: Commodity(r["commodity"], r["family"], r["name"] or r["commodity"], r["market_price"],
                                  r["market_pfe_share"], r["reference_price"], r.row)
        for r in tables["commodities"].records
    }
    for c in sorted(set(commodities) & set(schema.FAMILIES)):
        issues.error(f"commodity id '{c}' is also the name of a family; rename it", sheet="commodities")
    regions = {
        r["region"]: Region(r["region"], r["name"] or r["region"], bool(r["domestic"]), bool(r["fta"]), bool(r["feoc"]),
                            bool(r["domestic"]) if r["usmca"] is None else bool(r["usmca"]))
        for r in tables["regions"].records
    }
    for rec in tables["regions"].records:
        if rec["domestic"] and rec["feoc"]:
            issues.warning("region is flagged both domestic and FEOC; check the flags", sheet=tables["regions"].sheet,
                           row=rec.row, column=tables["regions"].letter("feoc"), field="feoc")

    demand, gwh, cells, need = _demand(tables, settings, issues)
    transport = _transport(tables["transport"], commodities, issues)
    projects = _projects(tables, settings, transport, issues)
    contracts = _contracts(tables, settings, regions, issues)
    offtakes = _offtakes(tables, settings, projects, transport, issues)
    substitution = _substitution(tables["substitution"], settings, commodities, issues)
    delays = _delays(tables["delays"], projects, issues)

    if not issues.has_errors:  # with errors, rows were dropped and this check would only add noise
        _check_supply_exists(demand, commodities, projects, contracts, issues)
    if issues.has_errors:
        return None
    sources = tuple(dict(r.values) for r in tables["sources"].records)
    return Instance(
        name=settings.title, path=parsed.path, sha256=parsed.sha256, settings=settings, commodities=commodities,
        regions=regions, projects=projects, contracts=contracts, transport=transport,
        base_demand=demand, base_cell_gwh=gwh, base_cells=cells, cell_need=need, cases=parsed.cases,
        sources=sources,
        warnings=tuple(i for i in issues.listed() if i.severity == "warning"), parsed=parsed, offtakes=offtakes,
        substitution=substitution, delays=delays,
    )


# --------------------------------------------------------------------------------------------
# case overlays: the overrides sheet read and checked here (applied by planner.cases.overrides)
# --------------------------------------------------------------------------------------------

_NUMERIC = ("int", "year", "float", "share")
_OPERATOR = re.compile(r"==|!=|<>|<=|>=|=|<|>")
_IN = re.compile(r"\sin\s", re.IGNORECASE)
_COLUMN_NAME = re.compile(r"[A-Za-z_][\w ]*")


def parse_condition(text: str) -> tuple[str, str, str] | None:
    """'year >= 2030' -> ('year', '>=', '2030'); 'region in OH, MI' -> ('region', 'in', 'OH, MI'); None when
    it is not a condition. One pass over the text (no backtracking however long it is)."""
    text = text.strip()
    op = _OPERATOR.search(text)
    word = _IN.search(text)
    if word is not None and (op is None or word.start() < op.start()):
        column, operator, value = text[:word.start()], "in", text[word.end():]
    elif op is not None:
        column, operator, value = text[:op.start()], op.group(0), text[op.end():]
    else:
        return None
    column = column.strip()
    if not _COLUMN_NAME.fullmatch(column):
        return None
    return column, operator, value.strip()


def _check_extends(cases: dict[str, tuple[PolicyRow, ...]], issues: Issues) -> None:
    names = {c.lower(): c for c in cases}
    fixed: dict[str, tuple[PolicyRow, ...]] = {}
    for case, rows in cases.items():
        keep = []
        for r in rows:
            if r.parameter == "extends":
                parent = names.get(str(r.value).lower())
                if parent is None:
                    issues.error(f"case '{case}' extends unknown case '{cut(r.value)}'"
                                 + issues.suggest(str(r.value), list(cases)),
                                 sheet=schema.POLICY_SHEET, row=r.row, field=case)
                    continue
                if parent == case:
                    issues.error(f"case '{case}' cannot extend itself", sheet=schema.POLICY_SHEET, row=r.row, field=case)
                    continue
                r = replace(r, value=parent)
            keep.append(r)
        fixed[case] = tuple(keep)
    cases.update(fixed)
    for case in cases:
        seen = [case]
        cur = case
        while True:
            parent = next((r.value for r in cases[cur] if r.parameter == "extends"), None)
            if parent is None:
                break
            if parent in seen:
                issues.error(f"cases extend each other in a circle: {' -> '.join(seen + [parent])}",
                             sheet=schema.POLICY_SHEET, field=case)
                cases[case] = tuple(r for r in cases[case] if r.parameter != "extends")
                break
            seen.append(parent)
            cur = parent


def _sheet_columns(sheet: str) -> dict[str, schema.Column | schema.Parameter]:
    if sheet == schema.SETTINGS_SHEET:
        return {"parameter": schema.Column("parameter", "text", ""), "value": schema.Column("value", "text", "")}
    return {c.name: c for c in schema.SHEETS_BY_NAME[sheet].columns}


#: how far the scenarios' probabilities may sum from 1 (rounding of products of axes' probabilities)
PROBABILITY_TOLERANCE = 1e-6


def _read_scenarios(t: Table, cases: dict[str, tuple[PolicyRow, ...]], issues: Issues) -> list[Scenario]:
    """The scenarios sheet: each row's case must be a case of the policy sheet; the probabilities sum to 1."""
    out: list[Scenario] = []
    names = {c.lower(): c for c in cases}
    for rec in t.records:
        case = names.get(str(rec["case"]).strip().lower())
        if case is None:
            issues.error(f"unknown case '{cut(rec['case'])}' of scenario '{cut(rec['scenario'])}': it is not a case "
                         "column of the policy sheet" + issues.suggest(str(rec["case"]), list(cases)),
                         sheet=t.sheet, row=rec.row, column=t.letter("case"), field="case")
            continue
        out.append(Scenario(str(rec["scenario"]), case, float(rec["probability"]), rec.row, str(rec["note"] or "")))
    rows = t.records + t.rejected
    if t.records and len(t.records) == len(rows):
        total = sum(float(r["probability"]) for r in t.records)
        if abs(total - 1.0) > PROBABILITY_TOLERANCE:
            last = max(t.records, key=lambda r: r.row)
            issues.error(f"the probabilities of the {len(t.records)} scenarios sum to {total:.6g}, not 1: a hedged "
                         "plan weighs each scenario by its probability; make them add up to 1",
                         sheet=t.sheet, row=last.row, column=t.letter("probability"), field="probability")
    return out


def _read_overrides(t: Table, cases: dict[str, tuple[PolicyRow, ...]], issues: Issues) -> list[Override]:
    out: list[Override] = []
    names = {c.lower(): c for c in cases}
    settings = {p.name: p for p in schema.SETTINGS}

    def err(rec: Record, field_: str, message: str) -> None:
        issues.error(message, sheet=t.sheet, row=rec.row, column=t.letter(field_), field=field_)

    for rec in t.records:
        case = names.get(rec["case"].lower())
        if case is None:
            err(rec, "case", f"unknown case '{cut(rec['case'])}': it is not a case column of the policy sheet"
                + issues.suggest(rec["case"], list(cases)))
            continue
        sheet, op = rec["sheet"], rec["operation"]
        cols = _sheet_columns(sheet)
        has_family = "commodity" in cols or sheet == "recipes"
        ok = True
        conds: list[tuple[str, str, Any]] = []
        if len(rec["filter"] or "") > MAX_FILTER_CHARS:
            err(rec, "filter", f"the filter is {len(rec['filter']):,} characters long; a filter has at most "
                               f"{MAX_FILTER_CHARS:,} (conditions such as project=C05; year>=2030)")
            continue
        for part in [p for p in re.split(r";|\band\b", rec["filter"] or "") if p.strip()]:
            m = parse_condition(part)
            if m is None:
                err(rec, "filter", f"cannot read the condition '{cut(part.strip())}': write column, operator and "
                                   "value, e.g. project=C05 or year>=2030")
                ok = False
                continue
            col, oper, text = norm_name(m[0]), m[1].lower(), m[2]
            oper = {"==": "=", "<>": "!="}.get(oper, oper)
            if col == "family" and has_family:
                kind = "enum"
            elif col in cols:
                kind = cols[col].kind
            else:
                err(rec, "filter", f"sheet '{sheet}' has no column '{cut(col)}'" + issues.suggest(col, list(cols)))
                ok = False
                continue
            if oper in ("<", "<=", ">", ">=") and kind not in _NUMERIC:
                err(rec, "filter", f"'{oper}' needs a numeric column; '{cut(col)}' is not")
                ok = False
                continue
            items = [x.strip() for x in text.strip("()").split(",")] if oper == "in" else [text]
            try:
                vals = tuple(parse_value(kind if kind in _NUMERIC or kind == "bool" else "text", x) for x in items)
            except BadValue as exc:
                err(rec, "filter", f"in '{cut(part.strip())}': {exc}")
                ok = False
                continue
            conds.append((col, oper, vals if oper == "in" else vals[0]))
        column = norm_name(rec["column"]) if rec["column"] else None
        value: Any = rec["value"]
        if op == "remove":
            if sheet in ("commodities", "regions", schema.SETTINGS_SHEET):
                err(rec, "operation", f"rows of '{sheet}' cannot be removed (other sheets refer to them); change "
                                      "the rows that use them instead")
                ok = False
            column, value = None, None
        else:
            if sheet == schema.SETTINGS_SHEET:
                column = column or "value"
                names_ = [c for c in conds if c[0] == "parameter" and c[1] == "="]
                if column != "value" or len(names_) != 1 or norm_name(names_[0][2]) not in settings:
                    err(rec, "filter", "on settings write the filter as parameter=<setting name> and column 'value'")
                    ok = False
                    continue
                target: Any = settings[norm_name(names_[0][2])]
            elif column is None or column not in cols:
                err(rec, "column", f"sheet '{sheet}' has no column '{cut(rec['column'])}'"
                    + issues.suggest(str(rec["column"]), list(cols)) if column else f"'{op}' needs a column to change")
                ok = False
                continue
            else:
                target = cols[column]
            if value is None:
                err(rec, "value", f"'{op}' needs a value")
                ok = False
                continue
            if op in ("scale", "add"):
                if target.kind not in _NUMERIC:
                    err(rec, "operation",
                        f"'{op}' needs a numeric column; '{cut(column)}' is {schema.KIND_TEXT[target.kind]}")
                    ok = False
                    continue
                try:
                    value = parse_value("float", value)
                except BadValue as exc:
                    err(rec, "value", str(exc))
                    ok = False
                    continue
            else:
                try:
                    value = parse_value(target.kind, value)
                except BadValue as exc:
                    err(rec, "value", f"{column} {exc}")
                    ok = False
                    continue
                if target.kind == "enum":
                    match = next((c for c in target.choices if c.lower() == str(value).lower()), None)
                    if match is None:
                        err(rec, "value", f"{column} must be one of {', '.join(target.choices)}")
                        ok = False
                        continue
                    value = match
                problem = check_range(target, value)
                if problem:
                    err(rec, "value", f"{column} {problem}")
                    ok = False
                    continue
        if ok:
            out.append(Override(case, sheet, tuple(conds), column, op, value, rec.row, rec["filter"] or "",
                                rec["note"] or ""))
    return out


def _settings(s: dict[str, Any], path: str, issues: Issues,
              at: dict[str, tuple[str, int, str]] | None = None) -> Settings | None:
    if "first_year" not in s or "last_year" not in s:
        return None  # reported where the setting is read (missing, blank or not a year)
    first, last = s["first_year"], s["last_year"]
    sheet, row, column = (at or {}).get("last_year", (schema.SETTINGS_SHEET, None, None))
    if last < first:
        issues.error(f"last_year {last} is before first_year {first}", sheet=sheet, row=row, column=column,
                     field="value")
        return None
    if last - first + 1 > MAX_HORIZON_YEARS:
        issues.error(f"the horizon {first}-{last} is longer than {MAX_HORIZON_YEARS} years", sheet=sheet, row=row,
                     column=column, field="value")
        return None
    defaults = {p.name: p.default for p in schema.SETTINGS}
    get = lambda k: s.get(k, defaults[k])  # noqa: E731
    return Settings(
        title=s.get("title") or Path(path).stem,
        first_year=first, last_year=last, base_year=s.get("base_year", first),
        discount_rate=get("discount_rate"), currency=get("currency"),
        penalty_unmet_demand=get("penalty_unmet_demand"), penalty_localization=get("penalty_localization"),
        penalty_offtake=get("penalty_offtake"),
        developer_discount_rate=get("developer_discount_rate"),
    )


def _demand(tables: dict[str, Table], st: Settings, issues: Issues
            ) -> tuple[dict[tuple[str, str, int], float], dict[int, float], dict[tuple[str, str, int], float],
                       dict[tuple[str, str, int], float]]:
    """Demand in tonnes by (commodity, region, year); cell output in GWh by year and by (region, segment,
    year); what a GWh of each segment needs, t by (segment, commodity, year)."""
    years = set(st.years)
    it = tables["intensity"]
    points: dict[str, dict[str, dict[int | None, float]]] = defaultdict(lambda: defaultdict(dict))
    every_year_row: dict[tuple[str, str], int] = {}
    for r in it.records:
        points[r["chemistry"]][r["commodity"]][r["year"]] = r["t_per_gwh"]
        if r["year"] is None:
            every_year_row.setdefault((r["chemistry"], r["commodity"]), r.row)
    intensity: dict[str, dict[str, dict[int, float]]] = defaultdict(dict)  # chemistry -> commodity -> year -> t
    for chem, coms in points.items():
        for com, pts in coms.items():
            if None in pts and len(pts) > 1:
                row = every_year_row[(chem, com)]
                issues.error(f"the intensity of {com} in {chem} is given both for every year (blank year) and for "
                             "specific years; keep one form", sheet=it.sheet, row=row, column=it.letter("year"),
                             field="year")
                continue
            if None in pts:
                intensity[chem][com] = {y: pts[None] for y in years}
            else:
                given = {int(y): v for y, v in pts.items() if y is not None}
                intensity[chem][com] = {y: interpolate(given, y) for y in years}
    chem_lower = {c.lower(): c for c in intensity}

    mix_t = tables["chemistry_mix"]
    mix_points: dict[str, dict[str, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    totals: dict[tuple[str, int], list[Any]] = {}
    for r in mix_t.records:
        chem = chem_lower.get(r["chemistry"].lower())
        if chem is None:
            issues.error(f"chemistry '{cut(r['chemistry'])}' has no intensities in sheet 'intensity'"
                         + issues.suggest(r["chemistry"], lambda: sorted(intensity)), sheet=mix_t.sheet, row=r.row,
                         column=mix_t.letter("chemistry"), field="chemistry")
            continue
        mix_points[r["segment"]][chem][r["year"]] = r["share"]
        tot = totals.setdefault((r["segment"], r["year"]), [0.0, r.row])
        tot[0] += r["share"]
    for (seg, y), (tot, row) in totals.items():
        if abs(tot - 1.0) > 1e-6:
            issues.error(f"the shares of segment '{cut(seg)}' in {y} sum to {tot:.4g}, not 1", sheet=mix_t.sheet,
                         row=row, column=mix_t.letter("share"), field="share")
    seg_lower = {k.lower(): k for k in mix_points}

    def mix(seg: str, year: int) -> dict[str, float]:
        chems = mix_points[seg]
        given = sorted({y for pts in chems.values() for y in pts})
        return {c: interpolate({y: pts.get(y, 0.0) for y in given}, year) for c, pts in chems.items()}

    demand: dict[tuple[str, str, int], float] = defaultdict(float)
    where: dict[tuple[str, str, int], tuple[str, int, str | None, str]] = {}  # first row adding to a demand
    gwh: dict[int, float] = defaultdict(float)
    outside: dict[str, list[Record]] = defaultdict(list)
    cd = tables["cell_demand"]
    # every row of cell_demand adds a term per chemistry of its segment and commodity of the chemistry:
    # count them before computing any (a few thousand rows times thousands of chemistries would not end)
    seg_terms = {seg.lower(): sum(len(intensity[c]) for c in chems) for seg, chems in mix_points.items()}
    chem_terms = {c.lower(): len(coms) for c, coms in intensity.items()}
    terms = sum(seg_terms.get(k, chem_terms.get(k, 0)) for k in (r["segment"].lower() for r in cd.records))
    if terms > MAX_EXPANDED:
        issues.error(f"cell_demand x chemistry_mix x intensity make {terms:,} demand terms, more than the "
                     f"{MAX_EXPANDED:,} an instance can hold: use fewer segments, chemistries or commodities",
                     sheet=cd.sheet)
        return {}, {}, {}, {}
    names = _segment_names(tables)
    cells: dict[tuple[str, str, int], float] = defaultdict(float)  # (region, segment, year) -> GWh
    need: dict[tuple[str, str, int], float] = {}  # (segment, commodity, year) -> t per GWh
    mixes: dict[tuple[str, int], dict[str, float]] = {}
    for r in cd.records:
        if r["year"] not in years:
            outside["cell_demand"].append(r)
            continue
        gwh[r["year"]] += r["gwh"]
        seg = r["segment"]
        if seg.lower() in seg_lower:
            k = (seg_lower[seg.lower()], r["year"])
            if k not in mixes:
                mixes[k] = mix(*k)
            shares = mixes[k]
        elif seg.lower() in chem_lower:
            shares = {chem_lower[seg.lower()]: 1.0}
        else:
            issues.error(f"segment '{cut(seg)}' is neither a segment of sheet 'chemistry_mix' nor a chemistry of sheet "
                         "'intensity'" + issues.suggest(seg, lambda: sorted(mix_points) + sorted(intensity)),
                         sheet=cd.sheet, row=r.row, column=cd.letter("segment"), field="segment")
            continue
        segment = names.get(seg.lower(), seg)
        cells[(r["region"], segment, r["year"])] += r["gwh"]
        for chem, share in shares.items():
            for com, tpg in intensity[chem].items():
                key = (com, r["region"], r["year"])
                demand[key] += r["gwh"] * share * tpg[r["year"]]
                where.setdefault(key, (cd.sheet, r.row, cd.letter("gwh"), "gwh"))
        for com in {c for chem in shares for c in intensity[chem]}:
            need[(segment, com, r["year"])] = sum(share * intensity[chem][com][r["year"]]
                                                  for chem, share in shares.items() if com in intensity[chem])
    md = tables["material_demand"]
    for r in md.records:
        if r["year"] not in years:
            outside["material_demand"].append(r)
            continue
        key = (r["commodity"], r["region"], r["year"])
        demand[key] += r["tonnes"]
        where.setdefault(key, (md.sheet, r.row, md.letter("tonnes"), "tonnes"))
    _check_demand_size(demand, where, issues)
    for name, recs in outside.items():
        t = tables[name]
        rows = ", ".join(str(r.row) for r in recs[:8]) + (f" and {len(recs) - 8} more" if len(recs) > 8 else "")
        found = sorted({r["year"] for r in recs})
        shown = ", ".join(str(y) for y in found[:5]) + (", ..." if len(found) > 5 else "")
        issues.warning(f"{len(recs)} demand row(s) ({rows}) lie outside the horizon {st.first_year}-{st.last_year} "
                       f"(years {shown}) and are ignored", sheet=t.sheet, row=recs[0].row, column=t.letter("year"),
                       field="year")
    return ({k: v for k, v in demand.items() if v > 0}, dict(gwh), {k: v for k, v in cells.items() if v > 0},
            {k: v for k, v in need.items() if v > 0})


def tonnes_text(x: float) -> str:
    return f"{x:,.0f} t" if x < 1e12 else f"{x:.3g} t"


def _check_demand_size(demand: dict[tuple[str, str, int], float],
                       where: dict[tuple[str, str, int], tuple[str, int, str | None, str]], issues: Issues) -> None:
    """Demand that no plan can meaningfully serve (cell output x intensity beyond MAX_TONNES_PER_YEAR) is an
    error at the row that makes it; demand above SUSPICIOUS_TONNES_PER_YEAR gets one warning."""
    huge = sorted((k for k, v in demand.items() if v > MAX_TONNES_PER_YEAR), key=lambda k: -demand[k])
    for key in huge[:10]:
        sheet, row, column, field_ = where[key]
        how = "cell output (gwh) x t_per_gwh of sheet 'intensity'" if field_ == "gwh" else "the tonnes given"
        issues.error(f"this row makes the demand for {key[0]} in {key[1]} in {key[2]} {tonnes_text(demand[key])} "
                     f"({how}); no plan for more than {MAX_TONNES_PER_YEAR:.0e} t a year (a thousand times the "
                     "world's output of battery materials) is meaningful: check the units (t, GWh, t/GWh)",
                     sheet=sheet, row=row, column=column, field=field_)
    if len(huge) > 10:
        issues.error(f"{len(huge) - 10} more demands exceed {MAX_TONNES_PER_YEAR:.0e} t a year")
    big = [k for k, v in demand.items() if SUSPICIOUS_TONNES_PER_YEAR < v <= MAX_TONNES_PER_YEAR]
    if big:
        key = max(big, key=lambda k: demand[k])
        sheet, row, column, field_ = where[key]
        issues.warning(f"{len(big)} demand(s) exceed {SUSPICIOUS_TONNES_PER_YEAR:,.0f} t a year, e.g. "
                       f"{tonnes_text(demand[key])} of {key[0]} in {key[1]} in {key[2]} (this row adds to it): far more "
                       "than the world makes; check the units (t, GWh, t/GWh)",
                       sheet=sheet, row=row, column=column, field=field_)


def _transport(t: Table, commodities: dict[str, Commodity], issues: Issues) -> dict[tuple[str, str, str], float]:
    general: dict[tuple[str, str, str], float] = {}
    specific: dict[tuple[str, str, str], float] = {}
    links = sum((1 if r["commodity"] else len(commodities)) * (2 if r["both_ways"] else 1) for r in t.records)
    if links > MAX_EXPANDED:
        issues.error(f"the transport links make {links:,} links of a commodity between two regions (a link with "
                     f"a blank commodity counts once per commodity), more than the {MAX_EXPANDED:,} an instance can "
                     "hold", sheet=t.sheet)
        return {}
    for r in t.records:
        a, b = r["from_region"], r["to_region"]
        if a == b:
            issues.error("a link must join two different regions", sheet=t.sheet, row=r.row,
                         column=t.letter("to_region"), field="to_region")
            continue
        coms = [r["commodity"]] if r["commodity"] else list(commodities)
        target = specific if r["commodity"] else general
        for c in coms:
            target[(c, a, b)] = r["cost_per_t"]
            if r["both_ways"]:
                target.setdefault((c, b, a), r["cost_per_t"])
    out = dict(general)
    out.update(specific)
    return out


def _projects(tables: dict[str, Table], st: Settings, transport: dict[tuple[str, str, str], float],
              issues: Issues) -> dict[str, Project]:
    pt = tables["projects"]
    recipes: dict[str, list[tuple[str, float]]] = defaultdict(list)
    out: dict[str, Project] = {}
    rows = {r["project"]: r for r in pt.records}
    rt = tables["recipes"]
    for r in rt.records:
        prj = rows.get(r["project"])
        if prj is not None and prj["commodity"] == r["input"]:
            issues.error("a plant cannot consume its own output", sheet=rt.sheet, row=r.row,
                         column=rt.letter("input"), field="input")
            continue
        recipes[r["project"]].append((r["input"], r["t_per_t"]))
    for r in pt.records:
        status = r["status"]
        latest = r["latest_start"]
        if latest is not None and latest < r["earliest_start"]:
            issues.error(f"latest_start {latest} is before earliest_start {r['earliest_start']}", sheet=pt.sheet,
                         row=r.row, column=pt.letter("latest_start"), field="latest_start")
        if status != "candidate" and latest is not None:
            issues.warning(f"latest_start is ignored for a {status} plant", sheet=pt.sheet, row=r.row,
                           column=pt.letter("latest_start"), field="latest_start")
            latest = None
        p = Project(
            id=r["project"], name=r["name"] or r["project"], site=r["site"], commodity=r["commodity"],
            status=status, units_max=r["units_max"], capacity=r["capacity_per_unit"], capex=r["capex_per_unit"],
            fixed_om=r["fixed_om_per_unit"], variable_cost=r["variable_cost"], earliest_start=r["earliest_start"],
            latest_start=latest, construction_years=r["construction_years"],
            qualification_years=r["qualification_years"], ramp_up=tuple(r["ramp_up"] or ()), lifetime=r["lifetime"],
            eligible_45x=bool(r["eligible_45x"]), eligible_48c=bool(r["eligible_48c"]),
            credit_48c_awarded=r["credit_48c_awarded"], grant=r["grant"], feoc_owned=bool(r["feoc_owned"]),
            pfe_cost_share=r["pfe_cost_share"], exclusive_group=r["exclusive_group"],
            recipe=tuple(recipes.get(r["project"], ())), other_materials_cost=r["other_materials_cost"],
            base=r["project"], row=r.row,
            fixed_om_avoidable=r["fixed_om_avoidable"] or 0.0, restart_cost=r["restart_cost"] or 0.0,
            cancellable=bool(r["cancellable"]), cancellation_cost=r["cancellation_cost"] or 0.0,
            early_retirement=bool(r["early_retirement"]), retirement_cost=r["retirement_cost"] or 0.0,
        )
        if p.other_materials_cost > p.variable_cost:
            issues.error(f"other_materials_cost {p.other_materials_cost:,.6g} $/t exceeds variable_cost "
                         f"{p.variable_cost:,.6g} $/t, of which it is a part (the materials not modelled as "
                         "commodities)", sheet=pt.sheet, row=r.row, column=pt.letter("other_materials_cost"),
                         field="other_materials_cost")
        _check_operations(p, r, pt, st, issues)
        if status == "candidate" and (why := left_out(p, st)) is not None:
            field_, words = why
            issues.warning(f"candidate {p.id} {words}", sheet=pt.sheet, row=r.row, column=pt.letter(field_),
                           field=field_)
        out[p.id] = p
    jt = tables["joint_ventures"]
    for r in jt.records:
        base = out.get(r["project"])
        if base is None:
            continue
        if r["jv"] in out:
            issues.error(f"JV id '{r['jv']}' is already used by a project", sheet=jt.sheet, row=r.row,
                         column=jt.letter("jv"), field="jv")
            continue
        if base.status != "candidate":
            issues.error(f"project {base.id} is {base.status}: only candidate projects can have JV variants",
                         sheet=jt.sheet, row=r.row, column=jt.letter("project"), field="project")
            continue
        eq = r["equity_share"]
        if not (0.0 < eq < 1.0):
            issues.error(f"equity_share must lie strictly between 0 and 1; found {eq:g}", sheet=jt.sheet,
                         row=r.row, column=jt.letter("equity_share"), field="equity_share")
            continue
        pr = r["partner_region"]
        if pr != base.site and (base.commodity, base.site, pr) not in transport:
            issues.error(f"the partner's offtake cannot reach region {pr} from the site {base.site}: add a "
                         f"transport link for {base.commodity}", sheet=jt.sheet, row=r.row,
                         column=jt.letter("partner_region"), field="partner_region")
            continue
        out[r["jv"]] = replace(
            base, id=r["jv"], name=f"{base.name} (JV with {r['partner']})",
            qualification_years=r["qualification_years"] if r["qualification_years"] is not None
            else base.qualification_years,
            feoc_owned=bool(r["feoc_owned"]) if r["feoc_owned"] is not None else base.feoc_owned,
            base=base.id, partner=r["partner"], partner_region=pr, equity_share=eq, row=r.row,
        )
        # a variant its project's own warning does not cover: it qualifies more slowly than its project
        if left_out(base, st) is None and (why := left_out(out[r["jv"]], st)) is not None:
            field_ = "qualification_years" if r["qualification_years"] is not None else "project"
            issues.warning(f"joint venture {r['jv']} {why[1]}", sheet=jt.sheet, row=r.row, column=jt.letter(field_),
                           field=field_)
    return out


#: how the words of `left_out` end (the case overlays look for them)
LEFT_OUT = "it is left out (never built)"


def left_out(p: Project, st: Settings) -> tuple[str, str] | None:
    """Why candidate `p` has no start year in the horizon (and so is never built): the project column to
    blame and the words; None when it has one.

    The same rule as the start years of `planner.instance.sets.build_sets`: from the later of its
    earliest start and the horizon's first year to the earlier of its latest start and the last year,
    only those from which it is qualified by the last year."""
    if p.latest_start is not None and p.latest_start < st.first_year:
        return "latest_start", (f"must start by {p.latest_start} (latest_start), before the horizon begins in "
                                f"{st.first_year}: " + LEFT_OUT)
    q = p.qualified_year(max(p.earliest_start, st.first_year))
    if q > st.last_year:
        return "earliest_start", (f"cannot be qualified before the horizon ends (earliest qualified year {q} > "
                                  f"{st.last_year}): " + LEFT_OUT)
    return None


def _check_operations(p: Project, r: Record, pt: Table, st: Settings, issues: Issues) -> None:
    """Warnings for operating decisions a plant cannot take (the values are then ignored)."""
    def warn(field_: str, text: str) -> None:
        issues.warning(text, sheet=pt.sheet, row=r.row, column=pt.letter(field_), field=field_)

    if p.status == "candidate":
        for col in ("fixed_om_avoidable", "restart_cost", "cancellable", "cancellation_cost", "early_retirement",
                    "retirement_cost"):
            if r[col]:
                warn(col, f"{col} is ignored for a candidate: a candidate is built when the plan needs it (no "
                          "mothball, cancellation or early retirement decision)")
        return
    if p.cancellable and p.status != "committed":
        warn("cancellable", f"cancellable is ignored for an {p.status} plant: only a committed plant not yet online "
                            "can be cancelled (early_retirement applies to a plant that is online)")
    elif p.cancellable and p.online_year(p.earliest_start) <= st.first_year:
        warn("cancellable", f"cancellable is ignored: the plant is online by {p.online_year(p.earliest_start)}, "
                            f"before the horizon's first year {st.first_year} (early_retirement applies instead)")
    elif p.cancellation_cost and not p.cancellable:
        warn("cancellation_cost", "cancellation_cost is ignored: the plant is not cancellable")
    if p.retirement_cost and not p.early_retirement:
        warn("retirement_cost", "retirement_cost is ignored: the plant may not retire early (early_retirement)")
    if p.restart_cost and not p.fixed_om_avoidable:
        warn("restart_cost", "restart_cost is ignored: with no avoidable fixed O&M (fixed_om_avoidable) the plant is "
                             "never mothballed")
    if p.fixed_om_avoidable and not p.fixed_om:
        warn("fixed_om_avoidable", "fixed_om_avoidable is ignored: the plant has no fixed O&M to save")


def _contracts(tables: dict[str, Table], st: Settings, regions: dict[str, Region], issues: Issues
               ) -> dict[str, Contract]:
    ct = tables["contracts"]
    terms: dict[str, dict[int, Record]] = defaultdict(dict)
    tt = tables["contract_terms"]
    for r in tt.records:
        terms[r["contract"]][r["year"]] = r
    out: dict[str, Contract] = {}
    for r in ct.records:
        f = r["first_year"] if r["first_year"] is not None else st.first_year
        l = r["last_year"] if r["last_year"] is not None else st.last_year
        if l < f:  # blame the cell that was typed, not the default of a blank one
            if r["last_year"] is None:
                issues.error(f"first_year {f} is after the horizon, which ends in {st.last_year}; last_year is blank, "
                             "so the contract would end with the horizon before it begins: correct first_year (or "
                             "give last_year)", sheet=ct.sheet, row=r.row, column=ct.letter("first_year"),
                             field="first_year")
            elif r["first_year"] is None:
                issues.error(f"last_year {l} is before the horizon, which begins in {st.first_year}; first_year is "
                             "blank, so the contract would begin with the horizon after it ends: correct last_year "
                             "(or give first_year)", sheet=ct.sheet, row=r.row, column=ct.letter("last_year"),
                             field="last_year")
            else:
                issues.error(f"last_year {l} is before first_year {f}", sheet=ct.sheet, row=r.row,
                             column=ct.letter("last_year"), field="last_year")
            continue
        if f > st.last_year or l < st.first_year:
            issues.warning(f"the contract delivers in {f}-{l}, outside the horizon {st.first_year}-{st.last_year}: "
                           "it can never be used", sheet=ct.sheet, row=r.row,
                           column=ct.letter("first_year" if f > st.last_year else "last_year"),
                           field="first_year" if f > st.last_year else "last_year")
        mx = r["max_volume"]
        if mx is not None and r["min_take"] > mx:
            issues.error(f"min_take {r['min_take']:g} exceeds max_volume {mx:g}", sheet=ct.sheet, row=r.row,
                         column=ct.letter("min_take"), field="min_take")
            continue
        price, mins, maxs = {}, {}, {}
        for y in st.years:
            price[y] = r["price"] * (1.0 + r["escalation"]) ** (y - st.base_year)
            mins[y] = r["min_take"]
            maxs[y] = mx
            t = terms[r["contract"]].get(y)
            if t is not None:
                price[y] = t["price"] if t["price"] is not None else price[y]
                mins[y] = t["min_take"] if t["min_take"] is not None else mins[y]
                maxs[y] = t["max_volume"] if t["max_volume"] is not None else maxs[y]
                if maxs[y] is not None and mins[y] > maxs[y]:
                    issues.error(f"in {y} min_take {mins[y]:g} exceeds max_volume {maxs[y]:g}", sheet=tt.sheet,
                                 row=t.row, column=tt.letter("min_take"), field="min_take")
        for y, t in terms[r["contract"]].items():
            if not (f <= y <= l) or y not in price:
                issues.warning(f"terms for {y} lie outside the contract's delivery years {f}-{l} (or the horizon) "
                               "and are ignored", sheet=tt.sheet, row=t.row, column=tt.letter("year"), field="year")
        origin = regions.get(r["origin"])
        if r["feoc"] is None and origin is None:  # the origin's row has errors (reported): nothing to add
            continue
        feoc = r["feoc"] if r["feoc"] is not None else origin.feoc
        out[r["contract"]] = Contract(
            id=r["contract"], origin=r["origin"], commodity=r["commodity"], price=price, min_take=mins,
            max_volume=maxs, first_year=f, last_year=l, signing_fee=r["signing_fee"], feoc=bool(feoc), row=r.row,
        )
    return out


def _offtakes(tables: dict[str, Table], st: Settings, projects: dict[str, Project],
              transport: dict[tuple[str, str, str], float], issues: Issues) -> dict[str, Offtake]:
    """The offtake agreements: each names a project (covering its JV variants too) or one JV variant."""
    ot = tables["offtakes"]
    known = {str(k).lower(): k for k in tables["projects"].ids | tables["joint_ventures"].ids}
    variants: dict[str, list[str]] = defaultdict(list)
    for p in projects.values():
        if p.is_jv:
            variants[p.base].append(p.id)
    out: dict[str, Offtake] = {}
    minimum: dict[str, float] = defaultdict(float)  # plant -> sum of the minimums it carries
    first_row: dict[str, int] = {}
    for r in ot.records:
        named = known.get(str(r["project"]).lower())
        if named is None:
            issues.error(f"unknown project '{cut(r['project'])}': it is neither a project of sheet 'projects' nor a "
                         "JV variant of sheet 'joint_ventures'" + issues.suggest(r["project"], lambda: sorted(known.values())),
                         sheet=ot.sheet, row=r.row, column=ot.letter("project"), field="project")
            continue
        mx = r["max_t"]
        if mx is not None and r["min_t"] > mx:
            issues.error(f"min_t {r['min_t']:g} exceeds max_t {mx:g}", sheet=ot.sheet, row=r.row,
                         column=ot.letter("min_t"), field="min_t")
            continue
        f = r["first_year"] if r["first_year"] is not None else st.first_year
        l = r["last_year"] if r["last_year"] is not None else st.last_year
        if l < f:
            blamed = "last_year" if r["last_year"] is not None else "first_year"
            issues.error(f"last_year {l} is before first_year {f}" + ("" if r["last_year"] is not None else
                         f" (last_year is blank: the horizon ends in {st.last_year})"), sheet=ot.sheet, row=r.row,
                         column=ot.letter(blamed), field=blamed)
            continue
        if f > st.last_year or l < st.first_year:
            issues.warning(f"the agreement runs {f}-{l}, outside the horizon {st.first_year}-{st.last_year}: it never "
                           "applies", sheet=ot.sheet, row=r.row,
                           column=ot.letter("first_year" if f > st.last_year else "last_year"),
                           field="first_year" if f > st.last_year else "last_year")
        if named not in projects:
            continue  # the project's own row has errors (reported there)
        plants = (named, *variants.get(named, ())) if not projects[named].is_jv else (named,)
        reach_ok = True
        for pid in plants:
            p = projects[pid]
            if p.site != r["buyer_region"] and (p.commodity, p.site, r["buyer_region"]) not in transport:
                issues.error(f"the offtake cannot reach region {r['buyer_region']} from the site {p.site} of "
                             f"{'JV variant ' if p.is_jv else 'project '}{pid}: add a transport link for {p.commodity}",
                             sheet=ot.sheet, row=r.row, column=ot.letter("buyer_region"), field="buyer_region")
                reach_ok = False
                break
        if not reach_ok:
            continue
        for pid in plants:
            minimum[pid] += r["min_t"]
            first_row.setdefault(pid, r.row)
        out[r["offtake"]] = Offtake(
            id=r["offtake"], project=named, plants=plants, buyer_region=r["buyer_region"], min_t=r["min_t"],
            max_t=mx, first_year=f, last_year=l, price=r["price"], shortfall_penalty=r["shortfall_penalty"], row=r.row,
        )
    for pid, total in minimum.items():
        p = projects[pid]
        if total > p.capacity * p.units_max * (1 + 1e-9):
            issues.warning(f"the minimums of the offtakes of {pid} add up to {total:,.0f} t a year, more than its "
                           f"capacity of {p.capacity * p.units_max:,.0f} t: the excess is a shortfall every year",
                           sheet=ot.sheet, row=first_row[pid], column=ot.letter("min_t"), field="min_t")
    return out


def _delays(t: Table, projects: dict[str, Project], issues: Issues) -> dict[str, Delay]:
    """Schedule risk (read by `planner risk` only): a row per project, JV variant or status."""
    from planner.schema import STATUSES

    known = {str(k).lower(): k for k in projects}
    out: dict[str, Delay] = {}
    for r in t.records:
        raw = str(r["applies_to"]).strip()
        status = raw.lower() if raw.lower() in STATUSES else None
        pid = known.get(raw.lower()) if status is None else None
        if status is None and pid is None:
            issues.error(f"'{cut(raw)}' is neither a project or JV variant nor a status (existing, committed, "
                         "candidate)" + issues.suggest(raw, lambda: sorted([*projects, *STATUSES])),
                         sheet=t.sheet, row=r.row, column=t.letter("applies_to"), field="applies_to")
            continue
        bad = False
        for kind in ("construction", "qualification"):
            p1, p2 = r[f"{kind}_1"] or 0.0, r[f"{kind}_2"] or 0.0
            if p1 + p2 > 1.0 + 1e-9:
                issues.error(f"{kind}_1 + {kind}_2 = {p1 + p2:g}: the probabilities of one and of two extra years "
                             "add up to more than 1", sheet=t.sheet, row=r.row, column=t.letter(f"{kind}_2"),
                             field=f"{kind}_2")
                bad = True
        ab = r["abandonment"] or 0.0
        what = status or projects[pid].status  # type: ignore[index]
        if ab > 0 and what != "committed":
            issues.error(f"abandonment is for committed projects; {cut(raw)} is "
                         + ("a status" if status else f"{what}") + (f" ({what})" if status else ""),
                         sheet=t.sheet, row=r.row, column=t.letter("abandonment"), field="abandonment")
            bad = True
        if bad:
            continue
        c1, c2, q1, q2 = (r[k] or 0.0 for k in ("construction_1", "construction_2", "qualification_1", "qualification_2"))
        key = status or pid
        out[key] = Delay(key, (max(0.0, 1.0 - c1 - c2), c1, c2), (max(0.0, 1.0 - q1 - q2), q1, q2), ab, r.row)  # type: ignore[arg-type]
    return out


def _substitution(t: Table, st: Settings, commodities: dict[str, Commodity], issues: Issues
                  ) -> dict[str, SubstitutionGroup]:
    """Substitution groups: two or more members of one family whose shares can add up to the whole requirement,
    one region and one span of years per group, no commodity in two groups that overlap."""
    rows: dict[str, list[Record]] = defaultdict(list)
    names: dict[str, str] = {}  # lower case -> the group's name as first written
    for r in t.records:
        g = names.setdefault(str(r["group"]).lower(), r["group"])
        rows[g].append(r)
    taken = {c.lower() for c in commodities} | {f.lower() for f in schema.FAMILIES}

    def err(r: Record, field_: str, text: str) -> None:
        issues.error(text, sheet=t.sheet, row=r.row, column=t.letter(field_), field=field_)

    out: dict[str, SubstitutionGroup] = {}
    for g, recs in rows.items():
        first = recs[0]
        ok = True
        if g.lower() in taken:
            err(first, "group", f"the group name '{cut(g)}' is also the name of a commodity or a family; rename it")
            ok = False
        if len(recs) < 2:
            err(first, "group", f"group '{cut(g)}' has one member ({first['commodity']}): a substitution group needs at "
                                "least two")
            ok = False
        fams = {commodities[r["commodity"]].family for r in recs if r["commodity"] in commodities}
        if len(fams) > 1:
            fam0 = commodities[first["commodity"]].family if first["commodity"] in commodities else None
            for r in recs:
                if r["commodity"] in commodities and commodities[r["commodity"]].family != fam0:
                    err(r, "commodity", f"{r['commodity']} is {commodities[r['commodity']].family}, but group "
                                        f"'{cut(g)}' began with {first['commodity']} ({fam0}): the members of a group "
                                        "must be of one family")
            ok = False
        for col in ("region", "first_year", "last_year"):
            for r in recs[1:]:
                if r[col] != first[col]:
                    err(r, col, f"{col} {_describe(r[col]) if r[col] is not None else 'blank'} differs from the group's "
                                f"first row (row {first.row}: {_describe(first[col]) if first[col] is not None else 'blank'}); "
                                "a group has one region and one span of years")
                    ok = False
        for r in recs:
            if r["min_share"] > r["max_share"]:
                err(r, "min_share", f"min_share {r['min_share']:g} exceeds max_share {r['max_share']:g}")
                ok = False
        lo, hi = sum(r["min_share"] for r in recs), sum(r["max_share"] for r in recs)
        if lo > 1 + 1e-9:
            err(first, "min_share", f"the min_share of group '{cut(g)}' add up to {lo:g}, more than 1")
            ok = False
        if hi < 1 - 1e-9:
            err(first, "max_share", f"the max_share of group '{cut(g)}' add up to {hi:g}, less than 1: the group's "
                                    "requirement could never be met")
            ok = False
        f = first["first_year"] if first["first_year"] is not None else st.first_year
        last = first["last_year"] if first["last_year"] is not None else st.last_year
        if last < f:
            err(first, "last_year" if first["last_year"] is not None else "first_year",
                f"last_year {last} is before first_year {f}")
            ok = False
        if ok:
            out[g] = SubstitutionGroup(g, tuple(Member(r["commodity"], r["min_share"], r["max_share"], r["t_per_t"], r.row)
                                                for r in recs), first["region"], f, last)
    # a commodity's demand can be replaced by one group only
    groups = list(out.values())
    for i, a in enumerate(groups):
        for b in groups[i + 1:]:
            common = {m.commodity for m in a.members} & {m.commodity for m in b.members}
            overlap = (a.region is None or b.region is None or a.region == b.region) and \
                a.first_year <= b.last_year and b.first_year <= a.last_year
            if common and overlap:
                r = next(m for m in b.members if m.commodity in common)
                issues.error(f"{r.commodity} is in groups '{cut(a.id)}' and '{cut(b.id)}', which overlap in region "
                             "and years: a commodity's demand can be replaced by one group only", sheet=t.sheet,
                             row=r.row, column=t.letter("commodity"), field="commodity")
    return out


def _check_policy_years(parsed: Parsed, st: Settings, issues: Issues) -> None:
    """Policy rows for a year outside the horizon never apply: one warning per row."""
    rows: dict[int, int] = {}
    for case_rows in parsed.cases.values():
        for r in case_rows:
            if r.year is not None and not (st.first_year <= r.year <= st.last_year):
                rows[r.row] = r.year
    for row, year in sorted(rows.items()):
        issues.warning(f"the year {year} lies outside the horizon {st.first_year}-{st.last_year}: this row never "
                       "applies", sheet=schema.POLICY_SHEET, row=row, field="year")


def _check_supply_exists(demand: dict[tuple[str, str, int], float], commodities: dict[str, Commodity],
                         projects: dict[str, Project], contracts: dict[str, Contract], issues: Issues) -> None:
    # a market price only supplies plants' recipe inputs, never demand
    supplied = {p.commodity for p in projects.values()} | {k.commodity for k in contracts.values()}
    for c in sorted({c for (c, _r, _y) in demand} - supplied):
        issues.warning(f"there is demand for {c} but no plant or import contract can supply it: "
                       "it will be reported as unmet", sheet="commodities")
