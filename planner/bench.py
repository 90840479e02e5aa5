"""`planner bench`: time every phase of the pipeline and compare with HiGHS alone.

Each measurement runs in a fresh process (so that peak memory is that run's own): read and
validate the workbook, build the Pyomo model, hand it to HiGHS (compile + passModel), HiGHS's own
run time for the MILP as HiGHS reports it, the fixed-integer LP re-solve for duals, extraction of
the results tables, and export of the results workbook. The reference, in the same run, is HiGHS
reading the same model written as an MPS file and solving it with the same options, also in a
fresh process. Medians over `repeat` runs.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SIZES = ("S", "M", "L", "XL")


@dataclass(frozen=True)
class Target:
    label: str  # size name or file name
    path: Path
    case: str | None = None  # None: the first case


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kB


def _run_planner(path: str, case: str | None, options: dict[str, Any], preset: str, relax: bool, mps: str,
                 tighten: bool, rounding: str, queue: Any) -> None:
    try:
        t = time.perf_counter()
        from planner.cases import apply_case, load_instance
        from planner.export.results import write_results
        from planner.model.build import build_model
        from planner.results.extract import extract
        from planner.results.labels import status_text
        from planner.solve.highs import solve
        imports = time.perf_counter() - t

        wall0 = time.perf_counter()
        t = time.perf_counter()
        inst = load_instance(path)
        read = time.perf_counter() - t
        t = time.perf_counter()
        ci = apply_case(inst, case)
        m = build_model(ci, tighten=tighten, rounding=rounding)
        build = time.perf_counter() - t
        rep = solve(m, options, relax_integrality=relax, write_mps=mps)
        t = time.perf_counter()
        sol = extract(m, ci, rep, {"instance": inst.name, "instance_path": path, "case": ci.case,
                                   "preset": preset, "solver_options": [], "versions": {}, "sources": []})
        ext = time.perf_counter() - t
        t = time.perf_counter()
        with tempfile.TemporaryDirectory() as d:
            write_results(sol, Path(d) / "bench.xlsx")
        export = time.perf_counter() - t
        wall = time.perf_counter() - wall0
        tm = rep.timings
        queue.put({
            "ok": True, "case": ci.case, "vars": rep.n_cols, "ints": rep.n_int, "rows": rep.n_rows, "nnz": rep.nnz,
            "imports_s": imports, "read_validate_s": read, "build_s": build,
            "handover_s": tm.get("compile", 0.0) + tm.get("handover", 0.0),
            "highs_s": tm.get("highs_milp", 0.0), "duals_s": tm.get("duals", 0.0),
            "duals_highs_s": tm.get("highs_duals", 0.0), "load_s": tm.get("load", 0.0), "extract_s": ext,
            "export_s": export, "wall_s": wall, "peak_rss_mb": _peak_rss_mb(),
            "status": status_text(rep.termination, rep.has_solution, rep.gap), "gap": rep.gap,
        })
    except BaseException as exc:  # report, never hang the parent
        queue.put({"ok": False, "error": f"{type(exc).__name__}: {exc}"})


def _run_mps(mps: str, options: dict[str, Any], relax: bool, queue: Any) -> None:
    try:
        import math

        from planner.solve.highs import new_highs

        h = new_highs()
        t = time.perf_counter()
        h.readModel(mps)
        read = time.perf_counter() - t
        if relax:
            import highspy
            import numpy as np

            lp = h.getLp()
            n = lp.num_col_
            h.changeColsIntegrality(n, np.arange(n, dtype=np.int32),
                                    np.array([highspy.HighsVarType.kContinuous] * n))
        for k, v in options.items():
            h.setOptionValue(k, highspy_inf(v) if isinstance(v, float) and math.isinf(v) else v)
        h.setOptionValue("output_flag", False)
        t = time.perf_counter()
        h.run()
        wall = time.perf_counter() - t
        queue.put({"ok": True, "mps_read_s": read, "mps_highs_s": h.getRunTime(), "mps_wall_s": wall,
                   "mps_peak_rss_mb": _peak_rss_mb()})
    except BaseException as exc:
        queue.put({"ok": False, "error": f"{type(exc).__name__}: {exc}"})


def highspy_inf(v: float) -> float:
    import highspy

    return highspy.kHighsInf


def _in_fresh_process(target: Any, *args: Any) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_measured, args=(target, *args, queue))
    from planner.study.pool import start_process

    start_process(proc)
    try:
        result = queue.get()
    except BaseException:  # Ctrl-C, SIGTERM, SIGHUP: stop the measurement at once
        proc.terminate()
        proc.join(5)
        if proc.is_alive():
            proc.kill()
        raise
    proc.join()
    return result


def _measured(target: Any, *args: Any) -> None:
    """Run a measurement in the fresh process: Ctrl-C is left to the parent, which stops it."""
    from planner.study.pool import worker_signals

    worker_signals()
    target(*args)


def measure(target: Target, *, options: dict[str, Any], preset: str, repeat: int = 1,
            lp_relaxation: bool = False, tighten: bool = False, rounding: str = "sole") -> dict[str, Any]:
    """Median phase times of `repeat` runs of the planner and of the MPS reference."""
    runs: list[dict[str, Any]] = []
    refs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as d:
        mps = os.path.join(d, "model.mps")
        for _ in range(repeat):
            r = _in_fresh_process(_run_planner, str(target.path), target.case, options, preset, lp_relaxation, mps,
                                  tighten, rounding)
            if not r["ok"]:
                return {"instance": target.label, "status": f"failed: {r['error']}"}
            runs.append(r)
            ref = _in_fresh_process(_run_mps, mps, options, lp_relaxation)
            if ref["ok"]:
                refs.append(ref)
    out: dict[str, Any] = {"instance": target.label, "case": runs[0]["case"], "repeat": repeat,
                           "relaxation": "LP" if lp_relaxation else "MILP", "tightened": tighten,
                           "rounding": rounding}
    for k in ("vars", "ints", "rows", "nnz"):
        out[k] = runs[0][k]
    for k, v in runs[0].items():
        if k.endswith("_s") or k.endswith("_mb"):
            out[k] = statistics.median(r[k] for r in runs)
    for k in ("mps_read_s", "mps_highs_s", "mps_wall_s", "mps_peak_rss_mb"):
        out[k] = statistics.median(r[k] for r in refs) if refs else None
    out["status"] = runs[-1]["status"]
    out["gap"] = runs[-1]["gap"]
    wall = out["wall_s"]
    out["non_highs_share"] = (wall - out["highs_s"] - out["duals_highs_s"]) / wall if wall else None
    out["build_handover_us_per_var"] = 1e6 * (out["build_s"] + out["handover_s"]) / max(out["vars"], 1)
    out["duals_share_of_milp"] = out["duals_s"] / out["highs_s"] if out["highs_s"] else None
    ref_rss = out["mps_peak_rss_mb"]
    out["rss_ratio"] = out["peak_rss_mb"] / ref_rss if ref_rss else None
    return out


def targets_for_sizes(sizes: list[str], folder: Path, seed: int = 1) -> list[Target]:
    """S = the bundled default instance; M, L, XL = synthetic instances generated into `folder`."""
    from planner import resources
    from planner.datasets.synthetic import generate, size_preset

    out = []
    for s in sizes:
        s = s.strip().upper()
        if s not in SIZES:
            from planner.errors import UsageError

            raise UsageError(f"unknown size '{s}': use S, M, L or XL")
        if s == "S":
            out.append(Target("S (default instance)", resources.default_instance()))
        else:
            path = folder / f"synthetic-{s}.xlsx"
            generate(path, **{**size_preset(s), "seed": seed})
            out.append(Target(f"{s} (synthetic)", path))
    return out


def write_csv(rows: list[dict[str, Any]], path: str | Path) -> Path:
    """The table as CSV, written atomically; text by the one rule for cells (`planner.export.cells`):
    a label such as ``=HYPERLINK(...)`` or ``+cmd|...`` is written as ``'=HYPERLINK(...)``, never
    as something a spreadsheet would run."""
    import csv
    import io

    from planner.export.atomic import write_bytes
    from planner.export.cells import csv_value

    keys = list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=keys)
    w.writeheader()
    w.writerows({k: csv_value(v) for k, v in r.items()} for r in rows)
    return write_bytes(path, buf.getvalue().encode("utf-8"))


def is_bench_csv(path: str | Path) -> bool:
    """Whether `path` is a table written by `planner bench` (its header starts with the instance and
    names its status): such a file may be replaced without --force."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            head = fh.readline(4096).strip().split(",")
    except OSError:
        return False
    return len(head) >= 2 and head[0] == "instance" and "status" in head


# --------------------------------------------------------------------------------------------
# studies: a study's command against one solve of the same case, in the same run
# --------------------------------------------------------------------------------------------

#: the studies `planner bench --study` times, each as the command a planner runs, with its goal: at most
#: this many times the wall time of one `planner solve` of the case (issue 11)
STUDIES: dict[str, tuple[str, float]] = {
    "explain": ("planner explain INSTANCE --case CASE", 4.0),
    "compare-regret": ("planner compare INSTANCE --cases all --regret", 5.0),
    # the extensive form of every case (planner hedge's last step, built and solved cold) against the sum of
    # the single-case solves (built and solved cold), in one fresh process (issue 14)
    "hedge": ("extensive form of every case of INSTANCE vs the sum of their single-case solves", 3.0),
    # goal in seconds, not a ratio: 1,000 samples of the default instance within 2 minutes on 2 cores (issue 15)
    "risk": ("planner risk INSTANCE --case CASE --samples 1000", 120.0),
}
#: studies whose goal is a wall time [s] rather than a ratio to one solve
ABSOLUTE_GOALS = frozenset({"risk"})


def _command(args: list[str], folder: str) -> float:
    """Wall time of one `planner ...` command in a fresh process (imports, reading and writing included)."""
    import subprocess
    import sys

    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "planner", *args], cwd=folder, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": "200"})
    wall = time.perf_counter() - t
    if p.returncode != 0:
        tail = p.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise RuntimeError(f"`planner {' '.join(args)}` exited with {p.returncode}: {' '.join(tail)}")
    return wall


def _run_info(path: Path) -> dict[str, Any]:
    """The label -> value pairs of a workbook's run_info sheet."""
    from openpyxl import load_workbook

    ws = load_workbook(path, read_only=True)["run_info"]
    return {str(r[0]): r[1] for r in ws.iter_rows(values_only=True) if r and r[0] is not None and len(r) > 1}


def measure_study(target: Target, study: str, *, case: str, preset: str, repeat: int = 1,
                  jobs: int | None = None) -> dict[str, Any]:
    """Median wall times of `repeat` runs of a study's command and of `planner solve` of `case`, alternated
    (solve, study, solve, study, ...) so that both see the same machine; their ratio, and the load."""
    if study not in STUDIES:
        from planner.errors import UsageError

        raise UsageError(f"unknown study '{study}': use {' or '.join(STUDIES)}")
    path = str(Path(target.path).resolve())
    jobs = jobs or max(1, os.cpu_count() or 1)
    if study == "hedge":
        return _measure_hedge(target, path, preset, repeat)
    solve_args = ["solve", path, "--case", case, "--preset", preset, "-o", "solve.xlsx", "--force", "-q"]
    if study == "explain":
        study_args = ["explain", path, "--case", case, "--preset", preset, "-j", str(jobs), "-o", "study.xlsx",
                      "--force", "-q"]
    elif study == "risk":
        study_args = ["risk", path, "--case", case, "--samples", "1000", "--seed", "1", "--preset", preset,
                      "-j", str(jobs), "-o", "study.xlsx", "--force", "-q"]
    else:
        study_args = ["compare", path, "--cases", "all", "--regret", "--preset", preset, "-j", str(jobs),
                      "-o", "study.xlsx", "--force", "-q"]
    solves: list[float] = []
    studies: list[float] = []
    loads: list[float] = []
    rates: list[float] = []
    outside: list[float] = []
    with tempfile.TemporaryDirectory() as d:
        for _ in range(repeat):
            loads.append(os.getloadavg()[0])
            solves.append(_command(solve_args, d))
            studies.append(_command(study_args, d))
            if study == "risk":
                info = _run_info(Path(d) / "study.xlsx")
                rates.append(float(info.get("samples per second while sampling") or 0.0))
                outside.append(float(info.get("share of the workers' sampling time outside HiGHS") or 0.0))
        loads.append(os.getloadavg()[0])
    solve_s, study_s = statistics.median(solves), statistics.median(studies)
    command, goal = STUDIES[study]
    ratio = study_s / solve_s if solve_s else None
    met = study_s <= goal if study in ABSOLUTE_GOALS else ratio is not None and ratio <= goal
    return {
        "instance": target.label, "study": study, "case": case, "repeat": repeat, "jobs": jobs,
        "solve_wall_s": solve_s, "study_wall_s": study_s, "ratio": ratio,
        "goal_ratio": None if study in ABSOLUTE_GOALS else goal,
        "goal_s": goal if study in ABSOLUTE_GOALS else None,
        "samples_per_s": statistics.median(rates) if rates else None,
        "outside_highs_share": statistics.median(outside) if outside else None,
        "status": "met" if met else "missed",
        "solve_walls_s": " ".join(f"{x:.2f}" for x in solves), "study_walls_s": " ".join(f"{x:.2f}" for x in studies),
        "load_1min": statistics.median(loads), "load_max": max(loads),
        "command": command.replace("INSTANCE", target.label).replace("CASE", case),
    }


def _measure_hedge(target: Target, path: str, preset: str, repeat: int) -> dict[str, Any]:
    """The extensive form of every case (expected cost, default commitment year) against the sum of the cases'
    single solves, both built and solved from nothing (no warm start) with the preset's options, alternated
    in fresh processes; medians of `repeat` runs."""
    runs = []
    loads = [os.getloadavg()[0]]
    for _ in range(repeat):
        runs.append(_in_fresh_process(_hedge_timing, path, preset))
        loads.append(os.getloadavg()[0])
    singles = statistics.median(r["singles_wall_s"] for r in runs)
    ef = statistics.median(r["ef_wall_s"] for r in runs)
    ef_highs = statistics.median(r["ef_highs_s"] for r in runs)
    command, goal = STUDIES["hedge"]
    ratio = ef / singles if singles else None
    last = runs[-1]
    return {
        "instance": target.label, "study": "hedge", "case": f"{last['cases']} cases", "repeat": repeat, "jobs": 1,
        "solve_wall_s": singles, "study_wall_s": ef, "ratio": ratio, "goal_ratio": goal,
        "status": "met" if ratio is not None and ratio <= goal else "missed",
        "solve_walls_s": " ".join(f"{r['singles_wall_s']:.2f}" for r in runs),
        "study_walls_s": " ".join(f"{r['ef_wall_s']:.2f}" for r in runs),
        "singles_highs_s": statistics.median(r["singles_highs_s"] for r in runs), "ef_highs_s": ef_highs,
        "ef_build_s": statistics.median(r["ef_build_s"] for r in runs),
        "ef_non_highs_share": (ef - ef_highs) / ef if ef else None,
        "ef_gap": last["ef_gap"], "ef_columns": last["ef_columns"], "ef_rows": last["ef_rows"],
        "load_1min": statistics.median(loads), "load_max": max(loads),
        "command": command.replace("INSTANCE", target.label),
    }


def _hedge_timing(path: str, preset: str, queue: Any) -> None:
    from planner.cases import apply_case, load_instance
    from planner.model.build import build_model
    from planner.model.extensive import build_extensive
    from planner.solve.presets import merge_options
    from planner.solve.session import Session

    options = merge_options(preset).highs
    inst = load_instance(path)
    cis = [apply_case(inst, c) for c in inst.cases]
    singles = highs = 0.0
    for ci in cis:
        t = time.perf_counter()
        r = Session(build_model(ci)).solve(options, want_duals=False, load=False)
        singles += time.perf_counter() - t
        highs += r.highs_time
    t = time.perf_counter()
    m, _blocks = build_extensive([(ci.case, 1.0 / len(cis), ci) for ci in cis], inst.years[0] + 2)
    built = time.perf_counter() - t
    r = Session(m).solve(options, want_duals=False, load=False)
    queue.put({"cases": len(cis), "singles_wall_s": singles, "singles_highs_s": highs,
               "ef_wall_s": time.perf_counter() - t, "ef_build_s": built, "ef_highs_s": r.highs_time,
               "ef_gap": r.gap, "ef_columns": r.n_cols, "ef_rows": r.n_rows})
