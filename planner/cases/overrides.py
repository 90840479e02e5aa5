"""A case's overrides applied: matching rows, combining values, assembling the records again.

The overrides sheet is parsed and checked, with the position of every problem, by
`planner.instance.validate` (`Override` rows); applying them to a copy of the parsed tables
happens here, for `apply_case` and for the check at load that every case's overlay assembles
(`planner.cases.load`).
"""

from __future__ import annotations

import math
from typing import Any

from planner import schema
from planner.errors import InstanceError, cut
from planner.instance.parsed import Override, Parsed, Record, Table
from planner.instance.records import Instance
from planner.instance.validate import Issues, assemble, check_range, norm_name


def matches(rec: Record, conds: tuple[tuple[str, str, Any], ...], family: dict[str, str]) -> bool:
    def norm(v: Any) -> Any:
        return v.lower() if isinstance(v, str) else v

    for col, op, want in conds:
        have = family.get(rec["commodity"] or rec["input"] or "") if col == "family" else rec[col]
        if have is None:
            return False
        h = norm(have)
        if op == "in":
            if h not in {norm(w) for w in want}:
                return False
            continue
        w = norm(want)
        try:
            ok = {"=": h == w, "!=": h != w, "<": h < w, "<=": h <= w, ">": h > w, ">=": h >= w}[op]
        except TypeError:
            return False
        if not ok:
            return False
    return True


def apply_overrides(parsed: Parsed, overrides: list[Override], issues: Issues) -> Parsed:
    """A copy of `parsed` with the override rows applied in order."""
    tables = {
        name: Table(t.sheet, t.spec, dict(t.letters), [Record(r.row, dict(r.values)) for r in t.records], ids=set(t.ids))
        for name, t in parsed.tables.items()
    }
    settings = dict(parsed.settings)
    family = {r["commodity"]: r["family"] for r in tables["commodities"].records}
    osheet = parsed.tables["overrides"].sheet or "overrides"
    for o in overrides:
        where = {"sheet": osheet, "row": o.row, "field": "value"}
        if o.sheet == schema.SETTINGS_SHEET:
            pname = norm_name(next(v for c, op, v in o.conditions if c == "parameter"))
            param = next(p for p in schema.SETTINGS if p.name == pname)
            cur = settings.get(pname, param.default)
            new = combine(o, cur)
            problem = None if new is None else check_range(param, new)
            if new is None or problem:
                issues.error(f"case '{o.case}': {pname} {problem or 'has no value to ' + o.operation}", **where)
                continue
            settings[pname] = int(round(new)) if param.kind in ("int", "year") else new
            continue
        t = tables[o.sheet]
        hits = [r for r in t.records if matches(r, o.conditions, family)]
        if not hits:
            issues.warning(f"case '{o.case}': the filter '{cut(o.filter_text)}' matches no row of sheet '{o.sheet}'",
                           sheet=osheet, row=o.row, field="filter")
            continue
        if o.operation == "remove":
            t.records = [r for r in t.records if r not in hits]
            if o.sheet == "projects":
                gone = {r["project"] for r in hits}
                gone_jvs = {r["jv"] for r in tables["joint_ventures"].records if r["project"] in gone}
                for dep in ("recipes", "joint_ventures"):
                    tables[dep].records = [r for r in tables[dep].records if r["project"] not in gone]
                _drop_offtakes(tables["offtakes"], gone | gone_jvs)
            if o.sheet == "joint_ventures":
                _drop_offtakes(tables["offtakes"], {r["jv"] for r in hits})
            if o.sheet == "contracts":
                gone = {r["contract"] for r in hits}
                tables["contract_terms"].records = [r for r in tables["contract_terms"].records
                                                    if r["contract"] not in gone]
            continue
        col = t.spec.column(o.column or "")
        for r in hits:
            new = combine(o, r[col.name])
            if new is None:
                continue  # scaling or adding to a blank (e.g. unlimited) leaves it blank
            if isinstance(new, float) and not math.isfinite(new):
                issues.error(f"case '{o.case}' makes {col.name} of sheet '{o.sheet}' row {r.row} infinite", **where)
                continue
            if col.kind in ("int", "year"):
                new = int(round(new))
            problem = check_range(col, new)
            if problem:
                issues.error(f"case '{o.case}' makes {col.name} of sheet '{o.sheet}' row {r.row} invalid: {problem}",
                             **where)
                continue
            if col.kind == "ref":
                known = tables[col.ref].ids if col.ref in tables else set()
                if new not in known and new not in col.ref_extra:
                    issues.error(f"case '{o.case}': unknown {col.ref} '{new}'" + issues.suggest(str(new), lambda: sorted(known)),
                                 **where)
                    continue
            r.values[col.name] = new
    return Parsed(parsed.path, parsed.sha256, settings, tables, parsed.cases, parsed.overrides, parsed.settings_at)


def _drop_offtakes(t: Table, plants: set[str]) -> None:
    """Remove the offtakes naming one of `plants` (names compared as the sheet compares them, ignoring case)."""
    gone = {str(p).lower() for p in plants}
    t.records = [r for r in t.records if str(r["project"]).lower() not in gone]


def combine(o: Override, current: Any) -> Any:
    if o.operation == "set":
        return o.value
    if current is None:
        return None
    return current * o.value if o.operation == "scale" else current + o.value


def rebuild(parsed: Parsed, overrides: list[Override]) -> Instance:
    """The instance as a case's overrides make it (raises InstanceError when they break it)."""
    issues = Issues(parsed.path)
    inst = assemble(apply_overrides(parsed, overrides, issues), issues)
    if inst is None and not issues.has_errors:
        issues.error("the case's overrides leave no instance to solve; please report the workbook")
    if issues.has_errors:
        raise InstanceError(issues.listed())
    return inst
