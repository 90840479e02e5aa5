"""Words and numbers as people read them: one rule each, used by the terminal and every workbook.

* `gap_text` / `gap_cell`: the optimality gap, everywhere (status line, live line, summary sheet,
  run_info, comparison): a percentage with two significant digits, rounded **up**, so a gap shown
  is never smaller than the real one (the live line never shows the target gap before HiGHS has
  reached it; "proven within 0.0081%" is a true statement).
* **one precision rule for money and shares** (`MONEY_DECIMALS`, `SHARE_DECIMALS`): money in $M with
  one decimal ($240,279.6M), shares in percent with one decimal (24.0%), tonnes and $/t whole. The
  workbooks' number formats (`FMT_MUSD`, `FMT_USD_AS_MUSD`, `FMT_SHARE`, `FMT_T`, used by
  `planner.export.kit`) and the terminal's text (`musd_text`, `share_text`, `tonnes_text`) both come
  from here, so a figure reads the same in a cell and in a sentence.
* `kpi_label`, `component_label`, `status_label`, `step_label`, `definition_label`: internal names in
  words (no sheet, no terminal line shows a key where words are meant).
* `plural`: "1 case", "2 cases".
* `shown`: a path or a name as text that is safe to print or to write into a cell: control
  characters and terminal escape sequences become visible escapes (``\\x1b``), bytes of a file
  name that are not valid UTF-8 show as ``\\xe9``.

Standard library only: the command line imports this before it knows what it will run.
"""

from __future__ import annotations

import math
import os
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

# ---------------------------------------------------------------------------------- gap

#: gaps below this are floating-point noise (HiGHS's own gap tolerances are far larger): shown as 0%
GAP_NOISE = 1e-9


def _gap_decimal(gap: Any) -> Decimal | None:
    """The gap in percent, rounded up to two significant digits; None if unknown."""
    if gap is None or isinstance(gap, bool):
        return None
    try:
        g = float(gap)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(g):
        return None
    if g < GAP_NOISE:
        return Decimal(0)
    pct = Decimal(repr(g)) * 100  # repr: the shortest decimal that is this float (0.0004 -> 0.04, not 0.0400..01)
    quantum = Decimal(1).scaleb(pct.adjusted() - 1)
    up = pct.quantize(quantum, rounding=ROUND_CEILING)
    if up.adjusted() > pct.adjusted():  # 9.95 -> 10: keep two significant digits of the new magnitude
        up = up.quantize(Decimal(1).scaleb(up.adjusted() - 1), rounding=ROUND_CEILING)
    return up


def _gap_places(p: Decimal) -> int:
    return max(0, 1 - p.adjusted()) if p else 0


def gap_text(gap: Any) -> str:
    """'0.0081%', '0.040%', '1.3%', '13%', '0%'; 'unknown' if there is none.

    Two significant digits, rounded up: the gap shown is never smaller than the real one."""
    p = _gap_decimal(gap)
    if p is None:
        return "unknown"
    if not p:
        return "0%"
    return f"{p:.{_gap_places(p)}f}%"


def status_text(termination: str, has_solution: bool, gap: Any) -> str:
    """A solve's status in words: 'optimal', 'feasible, not proven optimal (gap 0.011%, time limit reached)', ..."""
    if termination == "optimal":
        return "optimal"
    if has_solution:
        why = {"time_limit": ", time limit reached", "interrupted": ", interrupted"}.get(termination, "")
        return f"feasible, not proven optimal (gap {gap_text(gap)}{why})"
    return {"infeasible": "infeasible", "unbounded": "unbounded", "interrupted": "interrupted, no plan found",
            "time_limit": "time limit reached, no plan found"}.get(termination, "no plan found")


def gap_cell(gap: Any) -> tuple[float | None, str]:
    """(value, Excel number format) that shows exactly `gap_text(gap)` in a spreadsheet.

    The value is the gap rounded up as in `gap_text` (a fraction, 0.000081 for 0.0081%), so that
    Excel's own rounding of the format cannot differ from the text shown anywhere else."""
    p = _gap_decimal(gap)
    if p is None:
        return None, "General"
    places = _gap_places(p)
    fmt = "0%" if places == 0 else "0." + "0" * places + "%"
    return float(p / 100), fmt


# ---------------------------------------------------------------------------------- precision: one rule

#: money is shown in millions of dollars ...
MONEY_UNIT = 1e6
#: ... with this many decimals ($240,279.6M), in every workbook and on the terminal
MONEY_DECIMALS = 1
#: shares (0-1) are shown in percent with this many decimals (24.0%)
SHARE_DECIMALS = 1
#: number format of money already in $M (a cell holding 240279.6 shows 240,279.6)
FMT_MUSD = "#,##0" + ("." + "0" * MONEY_DECIMALS if MONEY_DECIMALS else "")
#: number format of money held in $ but shown in $M ($240,279,600,000 shows $240,279.6M; each trailing
#: comma divides by a thousand in Excel and LibreOffice alike), where a column mixes units (KPIs)
FMT_USD_AS_MUSD = '"$"' + FMT_MUSD + ',,"M"'
#: number format of a share held as a fraction (0.24 shows 24.0%)
FMT_SHARE = "0" + ("." + "0" * SHARE_DECIMALS if SHARE_DECIMALS else "") + "%"
#: tonnes and $/t: whole numbers
FMT_T = "#,##0"


# ---------------------------------------------------------------------------------- numbers in text


def finite(x: Any) -> float | None:
    """`x` as a finite float, or None (None, booleans, text that is not a number, NaN, inf)."""
    if x is None or isinstance(x, bool):
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def number_text(x: Any, places: int = 0) -> str:
    """`x` with thousands separators and `places` decimals, rounded as a spreadsheet shows it with
    the format ``#,##0.0…`` (half away from zero, on the value's 15 significant digits), so a number
    in a sentence reads exactly like the same number in a cell; never '-0'."""
    v = finite(x)
    if v is None:
        return "n/a"
    d = Decimal(f"{v:.15g}").quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if d.is_zero():
        d = abs(d)
    return f"{d:,.{places}f}"


def tonnes_text(x: Any) -> str:
    """'25,781 t': whole tonnes, as the sheets show them."""
    return f"{number_text(x)} t"


def musd_text(x: Any) -> str:
    """'$240,279.6M': dollars in $M with `MONEY_DECIMALS` decimals, as the sheets show them ('n/a' for
    a blank or a value that is not a finite number)."""
    v = finite(x)
    if v is None:
        return "n/a"
    text = number_text(v / MONEY_UNIT, MONEY_DECIMALS)
    return f"-${text[1:]}M" if text.startswith("-") else f"${text}M"


def share_text(x: Any) -> str:
    """'24.0%': a share (0-1) in percent with `SHARE_DECIMALS` decimals, as the sheets show it ('n/a' for
    a blank or a value that is not a finite number)."""
    v = finite(x)
    if v is None:
        return "n/a"
    return f"{number_text(100 * v, SHARE_DECIMALS)}%"


# ---------------------------------------------------------------------------------- plurals


def plural(n: Any, singular: str, many: str | None = None) -> str:
    """'1 case', '2 cases', '0 cases'; `many` for irregular plurals."""
    try:
        k = int(n)
        one = k == 1 and float(n) == 1.0
    except (TypeError, ValueError):
        k, one = n, False
    word = singular if one else (many or (singular + ("es" if singular.endswith(("s", "x", "ch", "sh")) else "s")))
    return f"{k:,} {word}" if isinstance(k, int) else f"{k} {word}"


# ---------------------------------------------------------------------------------- names


def shown(x: Any, *, keep_newlines: bool = False) -> str:
    """A path or a name as safe text: non-printable characters (terminal escapes, control and bidi
    characters) as visible escapes, undecodable bytes of a file name as ``\\xNN``."""
    s = os.fsdecode(x) if isinstance(x, bytes | os.PathLike) else str(x)
    if s.isprintable():
        return s
    out = []
    for ch in s:
        o = ord(ch)
        if ch.isprintable() or (keep_newlines and ch in "\n\t"):
            out.append(ch)
        elif 0xDC80 <= o <= 0xDCFF:  # a byte that is not UTF-8, kept by Python's file-name decoding
            out.append(f"\\x{o - 0xDC00:02x}")
        elif o < 0x100:
            out.append(f"\\x{o:02x}")
        elif o <= 0xFFFF:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    return "".join(out)


# ---------------------------------------------------------------------------------- labels

_KPI_LABELS = {
    "total_cost_usd": "Total cost",
    "cost_to_industry_usd": "Cost to industry",
    "resource_cost_usd": "Resource cost",
    "public_cost_usd": "Public cost of credits",
    "tariff_revenue_usd": "Tariff revenue",
    "net_fiscal_cost_usd": "Net fiscal cost (credits less tariff revenue)",
    "penalties_usd": "Penalties",
    "sunk_capex_usd": "Sunk capex of existing and committed plants",
    "plants_idle": "Existing and committed plants that deliver nothing",
    "capex_committed_usd": "Capex of new builds",
    "capex_planner_usd": "Capex of new builds, planner's share",
    "plants_built": "Plants built",
    "units_built": "Units built",
    "contracts_signed": "Contracts signed",
    "unmet_demand_t": "Unmet demand",
    "cell_output_gwh": "Cell output",
    "cell_output_gwh_discounted": "Cell output, discounted",
    "cost_difference_usd_per_kwh": "Total cost difference vs the base case per kWh of cells",
    "committed_plants_cancelled": "Committed plants cancelled",
    "plants_retired_early": "Plants retired early",
}
_KPI_PATTERNS = (  # prefix, label with {g} group and {y} year
    ("localized_share_", "Qualifying share of {g} by the case's rule, {y}"),
    ("domestic_fta_share_", "Domestic + FTA share of {g}, {y}"),
)

_WORDS = {"feoc": "FEOC", "fta": "FTA", "x45": "45X", "45x": "45X", "48c": "48C", "x48c": "48C", "om": "O&M",
          "kpi": "KPI", "highs": "HiGHS", "gwh": "GWh", "kwh": "kWh", "jv": "JV"}


def words(name: str) -> str:
    """An internal snake_case name in words: 'feoc_import_share' -> 'FEOC import share'."""
    return " ".join(_WORDS.get(w.lower(), w) for w in str(name).split("_") if w)


_IDLE_LABELS = {  # idle_capacity_<what>_<year>
    "t": "Idle capacity of existing and committed plants, {y}",
    "share": "Idle share of existing and committed capacity, {y}",
    "capex_usd": "Capex of idle existing and committed capacity, {y}",
    "support_usd": "Public support received by idle capacity, {y}",
}


def _localized_label(k: str) -> str | None:
    """'localized_us_made_tonnes_CAM_2030' -> 'Localized (U.S.-made, by tonnes): CAM, 2030'."""
    rest = k[len("localized_"):]
    for key, text in LOCALIZATION_DEFINITIONS:
        for basis in ("tonnes", "value"):
            prefix = f"{key}_{basis}_"
            if rest.startswith(prefix) and "_" in rest[len(prefix):]:
                g, y = rest[len(prefix):].rsplit("_", 1)
                if y.isdigit():
                    return f"Localized ({text}, by {basis}): {g}, {y}"
    return None


def kpi_label(kpi: str, *, base: str | None = None) -> str:
    """The words of a KPI ('Capex of new builds, planner's share'); the unit is shown separately."""
    k = str(kpi)
    if k in _KPI_LABELS:
        text = _KPI_LABELS[k]
        if base is not None and k == "cost_difference_usd_per_kwh":
            text = f"Total cost difference vs {base} per kWh of cells"
        return text
    if k.startswith("localized_") and (text := _localized_label(k)) is not None:
        return text
    if k.startswith("idle_capacity_") and "_" in k[len("idle_capacity_"):]:
        what, y = k[len("idle_capacity_"):].rsplit("_", 1)
        if what in _IDLE_LABELS and y.isdigit():
            return _IDLE_LABELS[what].format(y=y)
    for prefix, pattern in _KPI_PATTERNS:
        if k.startswith(prefix) and "_" in k[len(prefix):]:
            g, y = k[len(prefix):].rsplit("_", 1)
            if y.isdigit():
                return pattern.format(g=g, y=y)
    if k.startswith("feoc_import_share_"):
        return f"Share of {k[len('feoc_import_share_'):]} imported from FEOC suppliers"
    for suffix in ("_usd_per_kwh", "_usd_per_t", "_usd", "_gwh", "_t"):
        if k.endswith(suffix):
            k = k[: -len(suffix)]
            break
    text = words(k)
    return text[:1].upper() + text[1:]


#: the four definitions of localization the results report (key, words), strictest first
LOCALIZATION_DEFINITIONS = (
    ("us_made", "U.S.-made"),
    ("north_america", "North-America-made (USMCA)"),
    ("north_america_fta", "North-America-made + FTA imports"),
    ("non_pfe", "non-PFE supply"),
)
#: what each definition counts, in a sentence
DEFINITION_NOTES = {
    "us_made": "output of plants sited in the U.S. and imports from U.S. origins",
    "north_america": "output of plants and imports from the U.S., Canada and Mexico (regions marked usmca, or "
                     "domestic)",
    "north_america_fta": "North-America-made plus output and imports from U.S. free-trade-agreement partners "
                         "(by origin, whoever owns the supplier)",
    "non_pfe": "supply from non-PFE sources, what the credits test: plants neither FEOC-owned nor sited in a FEOC "
               "jurisdiction, contracts whose supplier is not a FEOC, spot purchases at their market's declared "
               "non-PFE share (without a declared share: PFE-unknown, not counted)",
}


def definition_label(key: str) -> str:
    """A localization definition in words ('U.S.-made')."""
    return dict(LOCALIZATION_DEFINITIONS).get(str(key), words(str(key)))


def definition_key(label: str) -> str:
    """The key of a localization definition given in words (the words themselves if none)."""
    for k, v in LOCALIZATION_DEFINITIONS:
        if v == label:
            return k
    return label


_COMPONENT_LABELS = {
    "capex": "capex", "capex_sunk": "capex of existing and committed plants (sunk)", "fixed_om": "fixed O&M", "variable": "variable operating cost",
    "purchases": "spot purchases", "imports": "import contracts", "tariffs": "tariffs",
    "take_or_pay": "take-or-pay", "signing_fees": "contract signing fees", "transport": "transport",
    "credit_45x": "45X credit", "credit_48c": "48C credit", "grants": "grants",
    "penalty_unmet": "penalty: unmet demand", "penalty_localization": "penalty: missed localization",
    "restart": "restarts after mothballing", "cancellation": "cancellation costs", "retirement": "early retirement costs",
    "penalty_offtake": "penalty: offtake minimum not taken",
}


def component_label(component: str) -> str:
    """Plain words for a cost component of the `costs` table."""
    return _COMPONENT_LABELS.get(str(component), words(str(component)))


def component_key(label: str) -> str:
    """The cost component a label of `component_label` stands for (the label itself if none)."""
    for k, v in _COMPONENT_LABELS.items():
        if v == label:
            return k
    return label


_STATUS_LABELS = {
    "termination": "termination", "model_status": "HiGHS model status", "has_solution": "has a plan",
    "proven_optimal": "proven optimal", "objective_usd": "objective (total discounted cost) [$]",
    "bound_usd": "best bound [$]", "gap": "gap", "wall_time_s": "wall time [s]",
    "highs_time_s": "time inside HiGHS [s]", "variables": "variables", "integer_variables": "integer variables",
    "constraints": "constraints", "nonzeros": "nonzeros", "duals": "duals", "hard_targets": "hard targets",
    "status": "status", "fixed_plan_of": "plan fixed to that of case", "what_if": "what-if",
    "start": "started from", "tables": "tables computed",
}


def status_label(key: str) -> str:
    """Words for a key of a Solution's status or run_info."""
    return _STATUS_LABELS.get(str(key), words(str(key)))


_STEP_LABELS = {
    "read_validate": "read and validate the workbook", "build": "build the model",
    "compile": "compile the model for HiGHS", "handover": "hand the model to HiGHS", "run": "HiGHS run (wall clock)",
    "highs_milp": "HiGHS, its own clock", "highs_duals": "HiGHS duals re-solve, its own clock",
    "duals": "duals re-solve (wall clock)", "load": "load the solution", "extract": "extract the tables",
    "export": "write the workbook", "wall_time_s": "wall time of the solve", "highs_time_s": "inside HiGHS",
}


def step_label(step: str) -> str:
    """Words for a timing step ('read_validate' -> 'read and validate the workbook')."""
    return _STEP_LABELS.get(str(step), words(str(step)))
