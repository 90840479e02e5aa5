"""Validate an instance workbook whole: the workbook's own checks, then every case's.

`planner.instance.validate.check_workbook` checks the sheets, cells and references of the workbook;
the checks that need a case applied are here: the scaled demand of each case, and each case's
overrides applied and the records assembled again (so that a case that would break is reported
now, with the overrides row to blame, not when it is solved). Every problem is reported at once.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict, defaultdict
from dataclasses import replace
from pathlib import Path

from planner import schema
from planner.cases.apply import apply_case
from planner.cases.names import case_chain
from planner.cases.overrides import apply_overrides
from planner.errors import InstanceError, cut
from planner.instance.records import Instance, PolicyRow, Settings
from planner.instance.validate import (
    LEFT_OUT,
    MAX_COST_AT_STAKE,
    MAX_TONNES_PER_YEAR,
    SUSPICIOUS_COST_AT_STAKE,
    Issues,
    assemble_after,
    check_workbook,
    read_instance_workbook,
    tonnes_text,
)
from planner.io.reader import MAX_FILE_BYTES, RawWorkbook


def load_instance(path: str | Path, *, data: bytes | None = None) -> Instance:
    """Read and validate an instance workbook (or its bytes). Raises `InstanceError` listing every problem.

    An Instance is frozen, so the few last validated in this process are kept by (path, sha256 of the
    bytes): a command, its study and the solve it runs in this process read the workbook once
    (`planner explain` read and validated it three times, 0.4 s each). Changed bytes are a new key."""
    if data is None:
        try:
            p = Path(path)
            if p.is_file() and p.stat().st_size <= MAX_FILE_BYTES:
                data = p.read_bytes()
        except OSError:
            data = None  # read_workbook says what is wrong with the file, in plain words
    if data is None:
        return validate(read_instance_workbook(path))
    key = (str(path), hashlib.sha256(data).hexdigest())
    inst = _LOADED.get(key)
    if inst is None:
        inst = validate(read_instance_workbook(path, data=data))
        _LOADED[key] = inst
        while len(_LOADED) > LOADED_KEPT:
            _LOADED.popitem(last=False)
    else:
        _LOADED.move_to_end(key)
    return inst


def validated_instance(path: str | Path, sha256: str) -> Instance | None:
    """The Instance of workbook `path` with these bytes, if this process has validated it."""
    return _LOADED.get((str(path), sha256))


LOADED_KEPT = 2  # instances kept validated in one process (a study holds one; compare's sources two)
_LOADED: OrderedDict[tuple[str, str], Instance] = OrderedDict()


def validate(raw: RawWorkbook) -> Instance:
    """Check everything and build the Instance, or raise InstanceError listing every problem."""
    parsed, inst, issues = check_workbook(raw)
    if inst is not None:
        check_scaled_demand(inst.base_demand, parsed.cases, inst.settings, parsed.settings_at, issues)
    if inst is not None and parsed.overrides:
        # every case's overlay must assemble too: report its problems now, not at solve time
        for case in parsed.cases:
            chain = case_chain(parsed.cases, case)
            rows = [o for c in chain for o in parsed.overrides if o.case == c]
            if rows and rows[-1].case == case:
                sub = Issues(raw.path)
                case_inst = assemble_after(apply_overrides(parsed, rows, sub), sub)
                if case_inst is not None and not sub.has_errors:
                    check_scaled_demand(case_inst.base_demand, parsed.cases, case_inst.settings,
                                        parsed.settings_at, sub, only=case)
                for i in sub.listed():
                    if i.severity == "error" or (i.message.endswith(LEFT_OUT) and i not in issues.items):
                        # errors, and the candidates only this case leaves out (no start year in the horizon)
                        issues.add(replace(i, message=f"with the overrides of case '{cut(case)}': {i.message}"))
                    elif i.sheet == "overrides":
                        issues.add(i)
    if inst is not None and not issues.has_errors:
        check_macr_prices(inst, issues)
    if inst is None and not issues.has_errors:  # never an error without words
        issues.error("the instance cannot be built from this workbook, though no single cell could be blamed; "
                     "please report the workbook")
    if issues.has_errors:
        raise InstanceError(issues.listed())
    return replace(inst, warnings=tuple(i for i in issues.listed() if i.severity == "warning"))


def check_scaled_demand(demand: dict[tuple[str, str, int], float], cases: dict[str, tuple[PolicyRow, ...]],
                        settings: Settings, at: dict[str, tuple[str, int, str]], issues: Issues,
                        only: str | None = None) -> None:
    """Products that the cells alone do not show: demand x demand_scale, and all demand priced at
    penalty_unmet_demand (what is at stake), per case, before anything is solved."""
    by_year: dict[int, float] = defaultdict(float)
    top: dict[int, float] = defaultdict(float)
    for (_c, _r, y), t in demand.items():
        by_year[y] += t
        top[y] = max(top[y], t)
    largest = max(top.values(), default=0.0)
    for case, rows in cases.items():
        if only is not None and case != only:
            continue
        for r in rows:
            if r.parameter != "demand_scale" or not isinstance(r.value, (int, float)):
                continue
            base = top.get(r.year, 0.0) if r.year is not None else largest
            if base * r.value > MAX_TONNES_PER_YEAR:
                issues.error(f"demand_scale {r.value:g} turns a demand of {tonnes_text(base)} a year into "
                             f"{tonnes_text(base * r.value)}; "
                             f"no plan for more than {MAX_TONNES_PER_YEAR:.0e} t a year is meaningful (a scale is a "
                             "factor: 1.3 for +30%)", sheet=schema.POLICY_SHEET, row=r.row, column=r.column,
                             field=case)
        scale = {y: 1.0 for y in by_year}
        for y in by_year:  # the largest scale any row of the case (or a case it extends) may give the year
            vals = [r.value for c in case_chain(cases, case) for r in cases.get(c, ())
                    if r.parameter == "demand_scale" and r.year in (y, None) and isinstance(r.value, (int, float))]
            scale[y] = max(vals, default=1.0)
        stake = sum(t * scale[y] for y, t in by_year.items()) * settings.penalty_unmet_demand
        if stake > SUSPICIOUS_COST_AT_STAKE:
            sheet, row, column = at.get("penalty_unmet_demand", (schema.SETTINGS_SHEET, None, None))
            words = (f"all demand over the horizon{f' in case {cut(case)}' if len(cases) > 1 else ''} priced at "
                     f"penalty_unmet_demand ({settings.penalty_unmet_demand:,.0f} $/t) is ${stake:.3g}")
            if stake > MAX_COST_AT_STAKE:
                issues.error(f"{words}, more than the {MAX_COST_AT_STAKE:.0e} $ within which a plan's costs can "
                             "mean anything: check the units of demand and of the penalty", sheet=sheet, row=row,
                             column=column, field="value")
            else:
                issues.warning(f"{words}, far more than the world spends on anything: check the units of demand "
                               "and of the penalty", sheet=sheet, row=row, column=column, field="value")


def check_macr_prices(inst: Instance, issues: Issues) -> None:
    """A material-assistance cost ratio values every material at a price: each recipe input of a plant
    whose 45X has a MACR test in some case, and each active material of cells whose credit has a test,
    needs a reference_price (or a market_price). One error per commodity, naming the tests and cases."""
    need: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))  # commodity -> case -> tests
    tests = ("x45_macr_min", "cell_macr_min")
    for case in inst.cases:
        if not any(r.parameter in tests and isinstance(r.value, (int, float)) and r.value > 0
                   for c in case_chain(inst.cases, case) for r in inst.cases.get(c, ())):
            continue
        ci = apply_case(inst, case)
        pol = ci.policy
        for p in ci.projects.values():
            if not p.eligible_45x or not ci.regions[p.site].domestic:
                continue
            if not any(pol.x45_macr_min[y] > 0 and pol.x45_rate[(p.commodity, y)] > 0 for y in ci.years):
                continue
            for c, _tpt in p.recipe:
                if ci.commodities[c].macr_price is None:
                    need[c][case].add(f"the 45X MACR test of plant {p.base}")
        tested = {(s, y) for (r, s, y) in ci.cells if ci.regions[r].domestic and pol.cell_macr_min[(s, y)] > 0
                  and pol.cell_credit[(s, y)] * pol.cell_credit_phase[(s, y)] > 0}
        for (s, c, y), n in ci.cell_need.items():
            if (s, y) in tested and n > 0 and ci.commodities[c].macr_price is None:
                need[c][case].add(f"the cell credit's test of segment {s}")
    if not need:
        return
    table = inst.parsed.tables["commodities"] if inst.parsed is not None else None
    for c, by_case in sorted(need.items()):
        what = sorted({t for ts in by_case.values() for t in ts})
        cases = sorted(by_case)
        shown = ", ".join(what[:4]) + (f" and {len(what) - 4} more" if len(what) > 4 else "")
        issues.error(f"{c} has neither a reference_price nor a market_price, but {shown} "
                     f"(case{'s' if len(cases) > 1 else ''} {', '.join(cut(x) for x in cases)}) values it: give "
                     "its reference_price ($/t), the price at which a material-assistance cost ratio counts a "
                     "tonne of it",
                     sheet=table.sheet if table is not None else "commodities",
                     row=inst.commodities[c].row, column=table.letter("reference_price") if table else None,
                     field="reference_price")
