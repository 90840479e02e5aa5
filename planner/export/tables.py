"""Every results table as tidy CSV in a folder, for BI tools and scripts (`planner solve --tables DIR`).

The folder holds one ``<table>.csv`` per table of the Solution (the core tables, the views, the tables
families register) and ``sources.csv``, plus ``provenance.json``: what the run-info sheet of the
results workbook says (instance, SHA-256, case, policy rows, overrides, solver options, versions,
times, status) and, per table, its file, rows, description and each column's unit. A comparison
(`planner compare --tables DIR`) writes one such folder per case, named after the case, and at its
top the comparison's own tables (KPIs side by side, the localization views and cost views of every
case, the regret matrices) with a provenance.json of its own.

The values are the tables' own, in base units: money in $ (not $M), tonnes in t, shares 0-1, years
as whole numbers; blank = no value. Text by the one rule of `planner.export.cells`: a cell that a
spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return) is written
after an apostrophe, never as something a spreadsheet would run.

Written atomically: the whole folder is built in a temporary folder next to the target and renamed
into place; an existing folder is replaced in the same step (moved aside, the new one renamed in,
the old one deleted), so the target is always either the old folder or the new one, never half of
either. Only a folder the planner wrote (its provenance.json carries the planner's mark) is
replaced without --force (the command line checks); a folder holding a protected file (the input
workbook) is never replaced.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import OutputError
from planner.export.atomic import WriteError, committing, held_signals
from planner.export.cells import csv_value
from planner.export.kit import suffix_unit

#: the file naming what wrote the folder, and how
PROVENANCE = "provenance.json"
#: the mark a folder of tables the planner wrote carries in its provenance.json
MARK = "Active Materials Planner tables"

_UNITS = {"$M": "$", "$/t": "$/t", "t": "t", "t/yr": "t/yr", "%": "share (0-1)", "": ""}


def column_unit(name: str) -> str:
    """The unit of a column of a CSV table, by the naming convention of the Solution tables ($, not $M)."""
    unit = suffix_unit(name)
    if unit is None:
        return ""
    if name == "year" or name.endswith("_year"):
        return "year"
    return _UNITS.get(unit[1], unit[1])


# ---------------------------------------------------------------------------------- values
def _cell(v: Any) -> Any:
    """A value as a CSV cell: numbers as they are (NaN blank, ±inf as text), text by the one rule."""
    if isinstance(v, np.generic):
        v = v.item()
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)  # the shortest text that reads back as the same float
    if isinstance(v, bool | int):
        return v
    return csv_value(str(v))


def csv_bytes(df: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV: a header of its column names, one line per row."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([csv_value(str(c)) for c in df.columns])
    for row in df.itertuples(index=False, name=None):
        w.writerow([_cell(v) for v in row])
    return buf.getvalue().encode("utf-8")


def read_csv_table(path: str | Path) -> pd.DataFrame:
    """Read back a table written here (text columns as text, blank text as "")."""
    df = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=str)
    out: dict[str, Any] = {}
    for c in df.columns:
        s = df[c]
        num = pd.to_numeric(s.replace({"inf": "inf", "-inf": "-inf"}), errors="coerce")
        if s.isna().all() or (num.notna() | s.isna()).all():
            out[c] = num
        elif set(s.dropna().unique()) <= {"True", "False"}:
            out[c] = s.map({"True": True, "False": False})
        else:
            out[c] = s.fillna("")
    return pd.DataFrame(out, columns=list(df.columns))


def _json_default(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, set | frozenset | tuple):
        return list(v)
    return str(v)


def _json_bytes(data: Mapping[str, Any]) -> bytes:
    def clean(x: Any) -> Any:
        if isinstance(x, float) and not math.isfinite(x):
            return None
        if isinstance(x, dict):
            return {str(k): clean(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [clean(v) for v in x]
        return x

    return (json.dumps(clean(dict(data)), indent=2, ensure_ascii=False, default=_json_default) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------------- what a folder holds
def _solution_files(sol: Any) -> dict[str, bytes]:
    """file name -> bytes of a Solution's folder: every table, the sources, the provenance."""
    files: dict[str, bytes] = {}
    described: dict[str, Any] = {}
    for name in sol.table_names:
        df = sol.table(name) if sol.has_plan or name == "kpis" else sol.table(name).iloc[0:0]
        files[f"{name}.csv"] = csv_bytes(df)
        described[name] = {"file": f"{name}.csv", "rows": int(len(df)),
                           "description": sol.descriptions.get(name, ""),
                           "columns": [{"name": str(c), "unit": column_unit(str(c))} for c in df.columns]}
    sources = pd.DataFrame([dict(s) if isinstance(s, dict) else {"item": s} for s in sol.run_info.get("sources") or []])
    files["sources.csv"] = csv_bytes(sources)
    described["sources"] = {"file": "sources.csv", "rows": int(len(sources)),
                            "description": "Sources of the input data, as given in the instance workbook.",
                            "columns": [{"name": str(c), "unit": ""} for c in sources.columns]}
    run_info = {k: v for k, v in sol.run_info.items() if k != "sources"}
    files[PROVENANCE] = _json_bytes({
        "written_by": MARK, "kind": "results tables", "units": _UNITS_TEXT,
        "run_info": run_info, "status": dict(sol.status), "tables": described,
    })
    return files


_UNITS_TEXT = ("money in $ (money of each year unless the column says discounted), tonnes in t (t/yr for "
               "capacities), shares as fractions 0-1, $/t per tonne, years as whole numbers; a blank cell has no "
               "value")


def case_folders(cases: Sequence[str]) -> dict[str, str]:
    """A folder name per case: the case made safe for a file name, tagged where two would clash."""
    import hashlib

    def safe(c: str) -> str:
        return re.sub(r"[^A-Za-z0-9._-]+", "_", c).strip("_.") or "case"

    out: dict[str, str] = {}
    taken: set[str] = set()
    for c in cases:
        name = safe(c)
        if name != c or name.casefold() in taken:
            name = f"{name}-{hashlib.sha1(c.encode('utf-8', 'surrogatepass')).hexdigest()[:6]}"
        taken.add(name.casefold())
        out[c] = name
    return out


def _comparison_files(cmp: Any) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    folders = case_folders(list(cmp.cases))
    solved = [c for c in cmp.cases if cmp.runs[c].status == "done" and cmp.runs[c].solution is not None
              and cmp.runs[c].solution.has_plan]
    for c in solved:
        for name, data in _solution_files(cmp.runs[c].solution).items():
            files[f"{folders[c]}/{name}"] = data
    k = cmp.kpis.reset_index()
    long = [{"kpi": r["kpi"], "case": c, "value": r[c], "unit": r["unit"]} for r in k.to_dict("records")
            for c in solved if c in k.columns]
    tables: dict[str, pd.DataFrame] = {
        "kpis": pd.DataFrame(long, columns=["kpi", "case", "value", "unit"]),
        "localization": cmp.localization,
        "localization_views": cmp.localization_views,
        "cost_views": cmp.cost_views,
        "supply_mix": cmp.supply_mix,
    }
    if cmp.regret is not None:
        reg = cmp.regret
        sunk = reg.sunk if reg.sunk is not None else reg.cost * math.nan
        pens = reg.penalties if reg.penalties is not None else reg.cost * math.nan
        money = reg.regret_without_penalties if reg.regret_without_penalties is not None else reg.cost * math.nan
        rows = [{"plan_of": a, "evaluated_under": b, "cost_usd": reg.cost.at[a, b], "regret_usd": reg.regret.at[a, b],
                 "sunk_capex_usd": sunk.at[a, b], "cost_without_sunk_usd": reg.cost_without_sunk.at[a, b],
                 "penalties_usd": pens.at[a, b], "cost_without_penalties_usd": reg.cost.at[a, b] - pens.at[a, b],
                 "regret_without_penalties_usd": money.at[a, b]}
                for a in reg.cost.index for b in reg.cost.columns]
        tables["regret"] = pd.DataFrame(rows, columns=["plan_of", "evaluated_under", "cost_usd", "regret_usd",
                                                       "sunk_capex_usd", "cost_without_sunk_usd", "penalties_usd",
                                                       "cost_without_penalties_usd", "regret_without_penalties_usd"])
    described = {}
    for name, df in tables.items():
        files[f"{name}.csv"] = csv_bytes(df)
        described[name] = {"file": f"{name}.csv", "rows": int(len(df)),
                           "columns": [{"name": str(c), "unit": column_unit(str(c))} for c in df.columns]}
    files[PROVENANCE] = _json_bytes({
        "written_by": MARK, "kind": "comparison tables", "units": _UNITS_TEXT,
        "instance": cmp.instance, "instance_path": cmp.instance_path, "instance_sha256": cmp.instance_sha256,
        "base": cmp.base, "options": cmp.options,
        "cases": {c: {"status": cmp.runs[c].status, "error": cmp.runs[c].error,
                      "folder": folders[c] if c in solved else None} for c in cmp.cases},
        "tables": described,
    })
    return files


# ---------------------------------------------------------------------------------- writing
def written_by_planner(folder: str | Path) -> bool:
    """Whether `folder` is a folder of tables the planner wrote (its provenance.json carries the mark)."""
    p = Path(folder) / PROVENANCE
    try:
        if not p.is_file() or p.stat().st_size > 50_000_000:
            return False
        with open(p, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("written_by") == MARK


def _holds(folder: Path, protect: Sequence[str | Path]) -> Path | None:
    """A protected file inside `folder` (at any depth), or None."""
    try:
        root = folder.resolve()
    except OSError:
        return None
    for p in protect:
        try:
            q = Path(p).resolve()
        except OSError:
            continue
        if root == q or root in q.parents:
            return q
    return None


def write_folder(files: Mapping[str, bytes], target: str | Path, *, protect: Sequence[str | Path] = ()) -> Path:
    """Write `files` (relative path -> bytes) as the folder `target`, atomically (see the module)."""
    target = Path(target)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise WriteError(target, f"the folder {parent} does not exist", errno.ENOENT)
    held = _holds(target, protect)
    if held is not None:
        raise OutputError(f"refusing to replace {target}: it holds the input workbook {held}")
    if target.exists() and not target.is_dir():
        raise WriteError(target, f"{target} is a file, not a folder", errno.ENOTDIR)
    tmp: Path | None = None
    old: Path | None = None
    try:
        with held_signals():
            try:
                tmp = Path(tempfile.mkdtemp(prefix=f".{target.name[:40]}.", suffix=".tmp", dir=parent))
            except OSError as exc:
                raise WriteError.of(exc, target) from None
        try:
            for rel, data in files.items():
                path = tmp / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view):]
                    os.fsync(fd)
                finally:
                    os.close(fd)
            os.chmod(tmp, 0o777 & ~_umask())
        except OSError as exc:
            raise WriteError.of(exc, target) from None
        with held_signals():
            try:
                committing()
                if target.exists():
                    old = Path(tempfile.mkdtemp(prefix=f".{target.name[:40]}.", suffix=".old", dir=parent))
                    os.rmdir(old)
                    os.rename(target, old)
                try:
                    os.rename(tmp, target)
                except OSError:
                    if old is not None:
                        os.rename(old, target)  # put the old folder back: the target is as it was
                        old = None
                    raise
                tmp = None
            except OSError as exc:
                raise WriteError.of(exc, target) from None
    finally:
        for leftover in (tmp, old):
            if leftover is not None:
                with held_signals(), contextlib.suppress(OSError):
                    shutil.rmtree(leftover)
    return target


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_tables(sol: Any, folder: str | Path, *, protect: Sequence[str | Path] = ()) -> Path:
    """Every table of `sol` as CSV in `folder`, with provenance.json; atomically. Returns the folder."""
    return write_folder(_solution_files(sol), folder, protect=protect)


def write_comparison_tables(cmp: Any, folder: str | Path, *, protect: Sequence[str | Path] = ()) -> Path:
    """A comparison's tables in `folder`: its own tables and one subfolder per case with a plan; atomically."""
    return write_folder(_comparison_files(cmp), folder, protect=protect)


__all__ = ["MARK", "PROVENANCE", "case_folders", "column_unit", "csv_bytes", "read_csv_table", "write_comparison_tables",
           "write_folder", "write_tables", "written_by_planner"]

