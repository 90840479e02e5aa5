"""The `planner` command line: thin commands over the library; all printing via cli.console.

The console entry point is `planner.cli.main` (cheap to import; it installs the signal handlers,
then calls `run` here). Outputs follow one set of rules, checked before anything is solved:

* an output is never the input workbook, is an .xlsx workbook (a .csv for `bench`), and its name
  fits the file system (a default name that would not is shortened, and the command says so);
* an existing file is replaced only if the planner wrote it (its results, comparison or
  explanation workbooks carry a mark in their document properties; `bench` recognises its own
  CSV by its header); anything else — an instance, a template, any other file — needs --force;
* a result that cannot be written where asked is saved in one new temporary folder and the
  command exits with 4; if it cannot be written there either, nothing is written and the command
  exits with 74.
* a folder of CSV tables (`--tables DIR`) follows the same rules: it is replaced whole, atomically,
  only if the planner wrote it (its provenance.json carries the mark) or it is empty; anything else
  needs --force, and a folder holding the input workbook is never replaced.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

import typer

from planner.cli import signals
from planner.cli.console import Terminal, name
from planner.errors import InstanceError, OutputError, PlannerError, SolveError, UsageError
from planner.results.labels import plural, shown

app = typer.Typer(
    name="planner",
    help="Active Materials Planner: which U.S. cathode and anode material plants, JVs and import "
    "contracts to commit to, at least cost, under each policy case.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # plain help: wrapped to the width, never cut; and no rich import for --help
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Show details (for solve: the full HiGHS log).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors and the result line.")]
Preset = Annotated[str, typer.Option(help="Solver preset: default, fast, exact, or the path of a .toml file.")]
Gap = Annotated[Optional[float], typer.Option("--gap", help="Relative MIP gap at which to stop (e.g. 0.001).", min=0.0)]
Force = Annotated[bool, typer.Option("--force", help="Replace an existing output even if the planner did not "
                                                     "write it.")]
Tables = Annotated[Optional[Path], typer.Option("--tables", help="Also write every results table as tidy CSV in this "
                                                                 "folder (for BI tools and scripts), with "
                                                                 "provenance.json; written whole or not at all.")]

#: exit code when results could not be written where asked and were saved elsewhere
EXIT_SAVED_ELSEWHERE = 4
#: exit code when results could be written nowhere (sysexits' EX_IOERR)
EXIT_NOT_WRITTEN = 74


class NotWritten(OutputError):
    """The output could be written neither where asked nor in a temporary folder."""

    exit_code = EXIT_NOT_WRITTEN


def _terminal(verbose: bool = False, quiet: bool = False) -> Terminal:
    if verbose and quiet:
        raise typer.BadParameter("choose either --verbose or --quiet")
    return Terminal(1 if verbose else -1 if quiet else 0)


@contextlib.contextmanager
def _guard(term: Terminal) -> Iterator[None]:
    """Turn every expected failure into plain words and an exit code; never a traceback."""
    from planner.export.atomic import on_commit

    on_commit(signals.finishing)  # once an output is in place, a signal no longer stops the command
    try:
        yield
    except typer.Exit:
        raise
    except InstanceError as exc:
        term.issues(exc.issues)
        raise typer.Exit(1) from None
    except PlannerError as exc:
        term.error(str(exc))
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, signals.Interrupted) else None
        term.error(f"{signals.describe(signum)}; nothing was written")
        signals.reported()
        raise typer.Exit(signals.exit_code(signum)) from None
    except Exception as exc:  # a bug: say so plainly, keep the traceback for PLANNER_DEBUG=1
        if os.environ.get("PLANNER_DEBUG"):
            raise
        term.error(f"internal error ({type(exc).__name__}: {exc}). This is a bug in the planner, not in your "
                   "workbook; rerun with PLANNER_DEBUG=1 to see the details and report them.")
        raise typer.Exit(70) from None
    finally:
        _Fallback.folder = None
        _Fallback.used = False


class _Fallback:
    """The one temporary folder of this command where outputs that could not be written were saved."""

    folder: Path | None = None
    used = False


# ---------------------------------------------------------------------------------- outputs
def _safe(case: str) -> str:
    """A case name made safe for a file name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", case).strip("_") or "case"


def _tag(text: str, n: int = 6) -> str:
    """A short, stable tag of a name, to tell apart two names that look alike once made safe."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:n]


def _fit(stem: str, tail: str, folder: Path) -> str:
    """`stem + tail`, with the stem shortened (and tagged, to stay unique) if the file system's name
    limit needs it. `tail` (the case and suffix) is kept."""
    from planner.export.atomic import name_bytes, name_max

    limit = name_max(folder if folder.is_dir() else Path.cwd())
    if name_bytes(stem + tail) <= limit:
        return stem + tail
    tag = "~" + _tag(stem)
    keep = stem
    while keep and name_bytes(keep + tag + tail) > limit:
        keep = keep[:-1]
    return keep + tag + tail


def _replaceable(path: Path, is_ours: Callable[[Path], Any]) -> bool:
    return not path.exists() or (path.is_file() and bool(is_ours(path)))


def _check_output(term: Terminal, out: Path, instance: Path | None, *, force: bool, default: bool,
                  suffix: str = ".xlsx", is_ours: Callable[[Path], Any] | None = None) -> Path:
    """Check an output before any solving; return it (a default name shortened if it had to be).

    Refuses (exit 2): another suffix, the input workbook, a folder, a name longer than the file
    system allows, an existing file the planner did not write (without --force). A default name
    (`<instance>-<case>-results.xlsx`) that is too long keeps its end and loses part of the
    instance's name, tagged to stay unique."""
    from planner.export.atomic import name_bytes, name_max, written_by_planner

    if out.suffix.lower() != suffix:
        kind = "an .xlsx workbook" if suffix == ".xlsx" else f"a {suffix} file"
        raise UsageError(f"the output must be {kind}, not '{out.name}'")
    folder = out.parent if str(out.parent) else Path(".")
    limit = name_max(folder if folder.is_dir() else Path.cwd())
    if name_bytes(out.name) > limit:
        if not default:
            raise UsageError(f"the output name '{out.name}' is {name_bytes(out.name)} bytes long; the file system "
                             f"allows at most {limit}: choose a shorter --output")
        stem = instance.stem if instance is not None and out.name.startswith(instance.stem) else out.stem
        short = folder / _fit(stem, out.name[len(stem):], folder)
        term.info(f"The default output name would be longer than the file system allows ({limit} bytes); "
                  f"shortened to {name(short.name)}")
        out = short
    if instance is not None and out.exists() and instance.exists() and out.resolve() == instance.resolve():
        raise UsageError("the output would overwrite the input workbook; choose another --output")
    if out.is_dir():
        raise UsageError(f"the output {out} is a folder; name a file")
    if not force and not _replaceable(out, is_ours or written_by_planner):
        raise UsageError(f"{out} exists and was not written by the planner; use --force to replace it, or choose "
                         "another output")
    return out


def _check_tables(term: Terminal, folder: Path, instance: Path | None, *, force: bool) -> Path:
    """Check a folder for CSV tables before any solving (the overwrite rule of the outputs); return it."""
    from planner.export.tables import written_by_planner

    parent = folder.parent if str(folder.parent) else Path(".")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--tables {folder} is a file; name a folder")
    if not parent.is_dir():
        raise UsageError(f"--tables {folder}: the folder {parent} does not exist")
    if instance is not None and folder.exists():
        try:
            inside = folder.resolve() in Path(instance).resolve().parents
        except OSError:
            inside = False
        if inside:
            raise UsageError(f"--tables {folder} holds the input workbook; choose another folder")
    if folder.is_dir() and any(folder.iterdir()) and not written_by_planner(folder) and not force:
        raise UsageError(f"{folder} exists and was not written by the planner; use --force to replace it, or "
                         "choose another --tables folder")
    return folder


def _start_workers(jobs: int | None, scheduler: str | None = None) -> None:
    """Start the fork server of a study's worker processes first thing, so that it imports their libraries
    beside this command's own imports and its reading of the workbook (`jobs` None: one per core, the
    commands' default); the module imported here needs the standard library only."""
    from planner.study.forkserver import warm_up

    warm_up(jobs or os.cpu_count() or 1, scheduler)


def _write_safely(term: Terminal, write: Callable[..., Path], obj: object, out: Path, protect: tuple[Path, ...]
                  ) -> Path:
    """Write `obj` to `out`; if that fails, save it in one new temporary folder and say where (never lose
    it); if that fails too, say so: nothing was written (exit 74)."""
    from planner.export.atomic import WriteError

    try:
        return write(obj, out, protect=protect)
    except WriteError as exc:
        first = str(exc)
    tmp = Path(tempfile.gettempdir())
    try:
        if _Fallback.folder is None or not _Fallback.folder.is_dir():
            try:
                _Fallback.folder = Path(tempfile.mkdtemp(prefix="planner-results-"))
            except OSError as exc:
                raise WriteError.of(exc, tmp / "planner-results-") from None
        written = write(obj, _Fallback.folder / out.name, protect=protect)
    except WriteError as exc:
        done = ""
        if _Fallback.folder is not None and _Fallback.used:
            done = f" The outputs saved before it are in {_Fallback.folder}."
        elif _Fallback.folder is not None:
            with contextlib.suppress(OSError):
                _Fallback.folder.rmdir()  # it holds nothing
            _Fallback.folder = None
        raise NotWritten(f"{first}. It could not be saved in the temporary folder {tmp} either ({exc.reason}), so "
                         f"it was not written.{done}") from None
    term.error(f"{first}. The results were saved to {written} instead.")
    _Fallback.used = True
    return written


def _stopped(term: Terminal, written: str) -> NoReturn:
    """A study stopped by a signal after writing what was complete: say what was written, then exit with the
    signal's code (130, 143 or 129)."""
    term.error(f"{signals.describe()}: {written}")
    signals.reported()
    raise typer.Exit(signals.exit_code()) from None


def _exit_if_fallback() -> None:
    if _Fallback.used:
        _Fallback.used = False
        raise typer.Exit(EXIT_SAVED_ELSEWHERE)


def _default_output(instance: Path, case: str, kind: str = "results") -> Path:
    """`<instance>-<case>-<kind>.xlsx` in the current folder (`_check_output` shortens it if it must)."""
    return Path.cwd() / f"{instance.stem}-{_safe(case)}-{kind}.xlsx"


def _case_outputs(instance: Path, cases: Sequence[str], folder: Path, reserved: Path) -> dict[str, Path]:
    """Each case's own results workbook in `folder`: `<instance>-<case>-results.xlsx`, unique.

    Cases whose names are the same once made safe for a file name ('a b', 'a_b', 'a/b') or differ
    only in letter case (file systems may ignore it), and a case whose workbook would be the
    comparison workbook `reserved`, get a short tag of their name: 'a_b-1c2d3e'. A case whose name
    needs no change keeps the plain name."""
    plain = {c: f"{instance.stem}-{_safe(c)}-results.xlsx" for c in cases}
    owners: dict[str, list[str]] = {}
    for c in cases:
        owners.setdefault(plain[c].casefold(), []).append(c)
    taken = {reserved.name.casefold()}
    out: dict[str, Path] = {}
    for c in cases:
        group = owners[plain[c].casefold()]
        keeper = next((x for x in group if _safe(x) == x), group[0])
        if c == keeper and plain[c].casefold() not in taken:
            file = plain[c]
        else:
            n = 6
            file = f"{instance.stem}-{_safe(c)}-{_tag(c, n)}-results.xlsx"
            while file.casefold() in taken and n < 40:
                n += 4
                file = f"{instance.stem}-{_safe(c)}-{_tag(c, n)}-results.xlsx"
        taken.add(file.casefold())
        out[c] = folder / file
    return out


# ---------------------------------------------------------------------------------- commands
@app.command(short_help="Solve one policy case; write the results workbook.")
def solve(
    instance: Annotated[Optional[Path], typer.Argument(help="Instance workbook (.xlsx). Default: the bundled default instance.", show_default=False)] = None,
    case: Annotated[Optional[str], typer.Option("--case", "-c", help="Policy case (a column of the policy sheet). Default: the first.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Results workbook. Default: <instance>-<case>-results.xlsx in the current folder.")] = None,
    preset: Preset = "default",
    time_limit: Annotated[Optional[float], typer.Option("--time-limit", help="Seconds before HiGHS returns its best plan.", min=0.001)] = None,
    gap: Gap = None,
    threads: Annotated[Optional[int], typer.Option("--threads", help="HiGHS threads.", min=0)] = None,
    hard_targets: Annotated[bool, typer.Option("--hard-targets", help="Make localization targets hard constraints (no priced shortfall).")] = False,
    keep_incumbent: Annotated[bool, typer.Option("--keep-incumbent", help="On Ctrl-C, write the best plan found so far (marked not proven optimal) instead of nothing.")] = False,
    no_frontier: Annotated[bool, typer.Option("--no-frontier", help="When the plan misses a target or leaves demand unmet, do not look for the earliest year each can be met (auxiliary solves; the frontier sheet is then left out).")] = False,
    tables: Tables = None,
    force: Force = False,
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    """Solve one policy case and write the results workbook."""
    term = _terminal(verbose, quiet)
    with _guard(term):
        from planner import resources
        from planner.cases import resolve_case_name
        from planner.export.results import write_results
        from planner.cases import load_instance
        from planner.explain.hard_targets import solve_case_explained
        from planner.solve.presets import merge_options

        if instance is None:
            instance = resources.default_instance()
            term.info(f"Using the bundled default instance [bold]{name(instance.name)}[/bold]")
        inst = load_instance(instance)
        term.workbook_warnings(list(inst.warnings), instance)
        options = merge_options(preset, {"time_limit": time_limit, "mip_rel_gap": gap, "threads": threads})
        case_name = resolve_case_name(inst, case)
        out = _check_output(term, output or _default_output(instance, case_name), instance, force=force,
                            default=output is None)
        if tables is not None:
            tables = _check_tables(term, tables, instance, force=force)
        from planner.solve.highs import Interrupt

        stop = Interrupt()
        with term.solving(f"Solving {inst.name} [{case_name}] with HiGHS (Ctrl-C stops)") as update:
            sol = solve_case_explained(inst, case_name, options=options, hard_targets=hard_targets,
                                       on_progress=update, stream_log=verbose, interrupt=stop)
        if stop.requested:
            code = signals.exit_code()
            if keep_incumbent and sol.has_plan:
                written = _write_safely(term, write_results, sol, out, (instance,))
                term.solution_summary(sol, output=str(written))
                term.error(f"{signals.describe()}: the best plan found so far was written (not proven optimal)")
            else:
                term.error(f"{signals.describe()}: nothing was written" + ("" if keep_incumbent else
                           " (--keep-incumbent writes the best plan found so far)"))
            signals.reported()
            raise typer.Exit(code)
        if not sol.has_plan:
            term.solution_summary(sol)
            hint = ""
            if sol.status["termination"] == "time_limit":
                hint = " Raise --time-limit, or try --preset fast."
            raise SolveError(f"no plan: {sol.status['status']}. Nothing was written.{hint}")
        if not no_frontier:
            sol = _with_frontier(term, inst, sol, options, hard_targets)
        written = _write_safely(term, write_results, sol, out, (instance,))
        term.solution_summary(sol, output=str(written))
        if tables is not None:
            from planner.export.tables import write_tables

            folder = _write_safely(term, write_tables, sol, tables, (instance,))
            term.success(f"tables written to [bold]{name(folder)}[/bold] (CSV, with provenance.json)")
        _exit_if_fallback()


def _with_frontier(term: Terminal, inst: Any, sol: Any, options: Any, hard_targets: bool,
                   skip: str = "--no-frontier skips this.") -> Any:
    """`sol` with its feasibility frontier when the plan misses a target or leaves demand unmet (said on the
    terminal first: it takes auxiliary solves, and `skip` says how to do without); `sol` itself when it
    misses nothing."""
    from planner.explore.frontier import HOW, frontier, missed_groups, with_frontier

    groups = missed_groups(inst, sol, hard_targets=hard_targets)
    if not groups:
        return sol
    names = ", ".join(f"{g.name} {g.kind}" if g.kind != "demand" else f"{g.name} demand" for g, _m in groups)
    term.info(f"The plan of case '{shown(sol.case)}' misses {plural(len(groups), 'target or demand', 'targets or demands')} "
              f"in some year ({names}): finding the earliest year each can be met, whatever the cost ({HOW}). {skip}")
    with term.solving("Feasibility frontier: auxiliary solves of the same model"):
        table = frontier(inst, sol, options=options, hard_targets=hard_targets, groups=groups)
    return with_frontier(sol, table)


@app.command(short_help="Solve policy cases side by side; write a comparison workbook.")
def compare(
    instance: Annotated[Path, typer.Argument(help="Instance workbook (.xlsx).")],
    cases: Annotated[str, typer.Option("--cases", help="Cases to run: all, or names separated by commas.")] = "all",
    base: Annotated[Optional[str], typer.Option("--base", help="Case the others are compared with. Default: the first.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Comparison workbook. Default: <instance>-comparison.xlsx in the current folder; each case's own workbook is written next to it.")] = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", help="Cases solved at once on this machine. Default: the number of cores.", min=1)] = None,
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="Address of a Dask distributed scheduler (e.g. tcp://10.0.0.5:8786) to run the cases on a cluster.")] = None,
    regret: Annotated[bool, typer.Option("--regret", help="Re-optimise every case's plan under every other case: cost and regret matrices.")] = False,
    preset: Preset = "default",
    time_limit: Annotated[Optional[float], typer.Option("--time-limit", help="Seconds per case before HiGHS returns its best plan.", min=0.001)] = None,
    gap: Gap = None,
    hard_targets: Annotated[bool, typer.Option("--hard-targets", help="Localization targets as hard constraints.")] = False,
    keep_incumbent: Annotated[bool, typer.Option("--keep-incumbent", help="On Ctrl-C, write the results workbooks of the cases solved so far (complete results only; the comparison needs every case and is not written).")] = False,
    frontier: Annotated[bool, typer.Option("--frontier", help="For each case whose plan misses a target or leaves demand unmet, also find the earliest year each can be met (auxiliary solves, as planner solve does; the case's workbook gets its frontier sheet).")] = False,
    tables: Annotated[Optional[Path], typer.Option("--tables", help="Also write the tables as tidy CSV in this folder: the comparison's own, and one subfolder per case with every results table; with provenance.json; written whole or not at all.")] = None,
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Run policy cases side by side (in parallel) and write a comparison workbook.

    Cases without a plan are shown as such in the comparison; if no case has a plan, nothing is
    written (exit 3)."""
    term = _terminal(False, quiet)
    with _guard(term):
        _start_workers(jobs, scheduler)
        from dataclasses import replace

        from planner.compare.session import mark_written
        from planner.compare.session import default_jobs, run_comparison
        from planner.export.comparison import write_comparison
        from planner.export.results import results_bytes, write_results
        from planner.solve.presets import merge_options

        options = merge_options(preset, {"time_limit": time_limit, "mip_rel_gap": gap})
        out = _check_output(term, output or Path.cwd() / f"{instance.stem}-comparison.xlsx", instance, force=force,
                            default=output is None)
        if tables is not None:
            tables = _check_tables(term, tables, instance, force=force)
        folder = out.parent if str(out.parent) else Path(".")
        paths: dict[str, Path] = {}

        loaded: list[Any] = []

        def before_solving(inst: Any, names: list[str]) -> None:  # every output checked before any solve
            loaded.append(inst)
            term.workbook_warnings(list(inst.warnings), instance)
            paths.update(_case_outputs(instance, names, folder, out))
            for c in names:
                paths[c] = _check_output(term, paths[c], instance, force=force, default=True)

        n_jobs = jobs or default_jobs()
        finished: dict[str, Any] = {}
        try:
            with term.case_progress(f"Solving cases of {instance.name}") as event:
                # the workers render each case's workbook beside the other solves (with --frontier the
                # workbook waits for the frontier's solves, here, after the study)
                cmp = run_comparison(instance, cases=cases, base=base, options=options, jobs=n_jobs,
                                     scheduler=scheduler, regret=regret, hard_targets=hard_targets, on_event=event,
                                     before_solving=before_solving, on_case=finished.__setitem__,
                                     render=None if frontier else results_bytes)
        except KeyboardInterrupt:
            solved = {c: r for c, r in finished.items() if r.status == "done" and r.solution is not None}
            if not keep_incumbent or not solved:
                raise
            for c, run in solved.items():  # each a complete result; the comparison is not
                _write_safely(term, partial(write_results, rendered=run.rendered), run.solution, paths[c],
                              (instance,))
            _stopped(term, f"the results of the {plural(len(solved), 'case')} solved before the stop were written "
                           f"({', '.join(shown(c) for c in solved)}); the comparison needs every case and was not "
                           "written")
        if not cmp.solved:
            term.comparison_summary(cmp)
            raise SolveError(f"no case has a plan ({', '.join(shown(c) for c in cmp.cases)}). Nothing was written.")
        runs = dict(cmp.runs)
        if frontier:  # each case's own frontier, in its own workbook (the comparison reads none of it)
            for c, run in runs.items():
                if run.status == "done" and run.solution is not None:
                    runs[c] = replace(run, rendered=None,  # the workbook shows the frontier: rendered below
                                      solution=_with_frontier(term, loaded[0], run.solution, options,
                                                              hard_targets, skip="Without --frontier it is not looked for."))
        for c, run in runs.items():
            if run.status == "done" and run.solution is not None:
                written = _write_safely(term, partial(write_results, rendered=run.rendered), run.solution,
                                        paths[c], (instance,))
                runs[c] = mark_written(run, str(written))
        cmp = replace(cmp, runs=runs)
        written = _write_safely(term, write_comparison, cmp, out, (instance,))
        term.comparison_summary(cmp, output=str(written))
        if tables is not None:
            from planner.export.tables import write_comparison_tables

            where = _write_safely(term, write_comparison_tables, cmp, tables, (instance,))
            term.success(f"tables written to [bold]{name(where)}[/bold] (CSV, one folder per case, with "
                         "provenance.json)")
        if cmp.failed:
            term.warn(f"{len(cmp.failed)} of {plural(len(cmp.cases), 'case')} have no plan "
                      f"({', '.join(cmp.failed)}): the comparison shows them as failed, with the reason")
        _exit_if_fallback()


@app.command(short_help="What to commit now under uncertain cases: a two-stage hedged plan.")
def hedge(
    instance: Annotated[Path, typer.Argument(help="Instance workbook (.xlsx).")],
    scenarios: Annotated[str, typer.Option("--scenarios", help="Scenarios to hedge over: all, or names separated by commas (the scenarios sheet's, or case names without one; probabilities are scaled to sum to 1).")] = "all",
    commit_until: Annotated[Optional[int], typer.Option("--commit-until", help="Last year whose decisions (builds, signings, cancellations, early retirements) are committed now, shared by every scenario. Default: the first year + 2.")] = None,
    objective: Annotated[str, typer.Option("--objective", help="expected (least expected cost), cvar:ALPHA:WEIGHT (expected cost + WEIGHT x CVaR at ALPHA, e.g. cvar:0.9:1) or minmax-regret.")] = "expected",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Hedge workbook. Default: <instance>-hedge.xlsx in the current folder.")] = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", help="Scenario solves at once on this machine. Default: the number of cores.", min=1)] = None,
    decompose: Annotated[bool, typer.Option("--decompose", help="Progressive hedging with mpi-sppy instead of the extensive form, on the ranks of an MPI run (mpiexec -n 3 planner hedge INSTANCE --decompose; needs pip install '.[mpi]'): prints its bounds, gap and commitments; writes no workbook.")] = False,
    preset: Preset = "default",
    time_limit: Annotated[Optional[float], typer.Option("--time-limit", help="Seconds per solve before HiGHS returns its best plan.", min=0.001)] = None,
    gap: Gap = None,
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Solve each scenario alone, then the hedged plan of all of them: what to commit now (no-regret,
    hedge, wait), its expected cost, CVaR, regret, EVPI and VSS; write the hedge workbook."""
    term = _terminal(False, quiet)
    with _guard(term):
        if not decompose:
            _start_workers(jobs)
        from planner.compare.session import default_jobs
        from planner.export.hedge import write_hedge
        from planner.hedge import run_hedge
        from planner.solve.presets import merge_options

        options = merge_options(preset, {"time_limit": time_limit, "mip_rel_gap": gap})
        if decompose:
            if objective not in (None, "expected"):
                raise UsageError(f"--decompose minimises the expected cost only; --objective {objective} needs the "
                                 "extensive form (leave out --decompose)")
            if output is not None:
                raise UsageError("--decompose prints its bounds, gap and commitments and writes no workbook: leave out "
                                 "-o, or leave out --decompose for the hedge workbook")
            _hedge_decomposed(term, instance, scenarios, commit_until, time_limit, gap)
            return
        out = _check_output(term, output or Path.cwd() / f"{instance.stem}-hedge.xlsx", instance, force=force,
                            default=output is None)

        def before_solving(inst: Any, _chosen: Any) -> None:
            term.workbook_warnings(list(inst.warnings), instance)

        with term.case_progress(f"Hedging over the scenarios of {instance.name}") as event:
            h = run_hedge(instance, scenarios=scenarios, commit_until=commit_until, objective=objective,
                          options=options, jobs=jobs or default_jobs(), on_event=event, before_solving=before_solving)
        written = _write_safely(term, write_hedge, h, out, (instance,))
        term.hedge_summary(h, output=str(written))
        _exit_if_fallback()


def _hedge_decomposed(term: Terminal, instance: Path, scenarios: str, commit_until: int | None,
                      time_limit: float | None, gap: float | None) -> None:
    """`planner hedge --decompose`: progressive hedging on this MPI run's ranks; rank 0 reports."""
    from planner.cases import load_instance
    from planner.hedge import decompose, select_scenarios

    if not decompose.available():
        raise UsageError("--decompose needs mpi-sppy and mpi4py: pip install 'planner[mpi]' (or '.[mpi]' in the "
                         "repository), then run it under mpiexec, e.g. mpiexec -n 3 planner hedge INSTANCE --decompose")
    inst = load_instance(instance)
    chosen, note = select_scenarios(inst, scenarios)
    until = inst.years[0] + 2 if commit_until is None else commit_until
    result = decompose.run_decomposed(instance, chosen, until, time_limit=time_limit,
                                      rel_gap=gap if gap is not None else 1e-3)
    from mpi4py import MPI

    if MPI.COMM_WORLD.rank == 0:
        if note:
            term.info(note)
        term.decomposed_summary(result, until)


@app.command(short_help="Explain a plan: target costs, builds, shortfalls.")
def explain(
    instance: Annotated[Path, typer.Argument(help="Instance workbook (.xlsx).")],
    case: Annotated[Optional[str], typer.Option("--case", "-c", help="Policy case. Default: the first.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Workbook with the plan and its explanation. Default: <instance>-<case>-explained.xlsx in the current folder.")] = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", help="Re-solves run at once. Default: the number of cores.", min=1)] = None,
    preset: Preset = "default",
    time_limit: Annotated[Optional[float], typer.Option("--time-limit", help="Seconds per solve.", min=0.001)] = None,
    gap: Gap = None,
    hard_targets: Annotated[bool, typer.Option("--hard-targets", help="Localization targets as hard constraints; if they cannot be met, say which and why.")] = False,
    keep_incumbent: Annotated[bool, typer.Option("--keep-incumbent", help="On Ctrl-C once the plan is solved, write the explanation with the re-solves that finished (the figures that need the others are marked n/a).")] = False,
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Explain a plan: cost of each localization target, why candidates are (not) built, shortfalls in plain words."""
    term = _terminal(False, quiet)
    with _guard(term):
        _start_workers(jobs)
        from planner.cases import resolve_case_name
        from planner.compare.session import default_jobs
        from planner.explain.analysis import explain as run_explain
        from planner.export.explanation import write_explanation
        from planner.cases import load_instance
        from planner.solve.presets import merge_options

        options = merge_options(preset, {"time_limit": time_limit, "mip_rel_gap": gap})
        inst = load_instance(instance)
        term.workbook_warnings(list(inst.warnings), instance)
        case_name = resolve_case_name(inst, case)
        out = _check_output(term, output or _default_output(instance, case_name, "explained"), instance,
                            force=force, default=output is None)
        with term.case_progress(f"Explaining {instance.name}") as event:
            expl = run_explain(instance, case_name, options=options, jobs=jobs or default_jobs(), on_event=event,
                               hard_targets=hard_targets, keep_partial=keep_incumbent)
        written = _write_safely(term, write_explanation, expl, out, (instance,))
        term.findings(expl, output=str(written))
        if expl.stopped:
            _stopped(term, f"the explanation was written with the re-solves that finished before the stop; the "
                           f"figures that need the {plural(len(expl.failures), 're-solve')} without a result show as "
                           "n/a")
        _exit_if_fallback()


@app.command(short_help="Near-optimal alternative plans (MGA); write a workbook.")
def alternatives(
    instance: Annotated[Path, typer.Argument(help="Instance workbook (.xlsx).")],
    case: Annotated[Optional[str], typer.Option("--case", "-c", help="Policy case. Default: the first.")] = None,
    slack: Annotated[str, typer.Option("--slack", help="Cost slacks: each plan's total cost at most (1 + slack) x the optimum; shares separated by commas (0.01 or 1%).")] = "0.01,0.02,0.05",
    objectives: Annotated[str, typer.Option("--objectives", help="Secondary objectives, separated by commas: us_made (most and least U.S.-made CAM+AAM), feoc (least PFE supply), public_cost (least credits and grants), states (most and fewest states with a plant).")] = "us_made,feoc,public_cost,states",
    count: Annotated[int, typer.Option("--count", "-n", help="Maximally different plans per slack (each least like the plans found before it).", min=0)] = 2,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Alternatives workbook. Default: <instance>-<case>-alternatives.xlsx in the current folder.")] = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", help="Solves at once. Default: the number of cores.", min=1)] = None,
    preset: Preset = "default",
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds per alternative's solve (the optimum's follows the preset).", min=0.001)] = 60.0,
    gap: Annotated[float, typer.Option("--gap", help="Relative MIP gap of each alternative's secondary objective (its cost is within the slack whatever the gap).", min=0.0)] = 0.01,
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Near-optimal alternatives: within each cost slack of the optimum, the plans that do best on other
    objectives, and plans as different as possible from each other; must-have and interchangeable commitments."""
    term = _terminal(False, quiet)
    with _guard(term):
        _start_workers(jobs)
        from planner.cases import load_instance, resolve_case_name
        from planner.compare.session import default_jobs
        from planner.explore.alternatives import parse_objectives, parse_slacks, run_alternatives
        from planner.export.alternatives import write_alternatives
        from planner.solve.presets import merge_options

        slacks, objs = parse_slacks(slack), parse_objectives(objectives)
        options = merge_options(preset)
        inst = load_instance(instance)
        term.workbook_warnings(list(inst.warnings), instance)
        case_name = resolve_case_name(inst, case)
        out = _check_output(term, output or _default_output(instance, case_name, "alternatives"), instance,
                            force=force, default=output is None)
        with term.case_progress(f"Alternatives of {instance.name} [{case_name}]") as event:
            res = run_alternatives(instance, case=case_name, slacks=slacks, objectives=objs, count=count,
                                   options=options, jobs=jobs or default_jobs(), on_event=event, gap=gap,
                                   time_limit=time_limit)
        if res.optimum_usd is None:
            term.alternatives_summary(res)
            raise SolveError("the least-cost plan was not found, so no alternative can be bounded by it. "
                             "Nothing was written.")
        written = _write_safely(term, write_alternatives, res, out, (instance,))
        term.alternatives_summary(res, output=str(written))
        if res.stopped:
            _stopped(term, f"the workbook holds the {plural(len(res.found()), 'plan')} found before the stop; the "
                           "questions not answered are listed as cancelled")
        _exit_if_fallback()


@app.command(short_help="Schedule risk of a plan (Monte Carlo of delays); write a workbook.")
def risk(
    instance: Annotated[Path, typer.Argument(help="Instance workbook (.xlsx); its delays sheet gives the delay probabilities.")],
    case: Annotated[Optional[str], typer.Option("--case", "-c", help="Policy case the samples are solved under. Default: the first.")] = None,
    plan: Annotated[Optional[Path], typer.Option("--plan", help="Results workbook whose plan (builds, contracts, cancellations, retirements) is held. Default: the case's least-cost plan.")] = None,
    plan_case: Annotated[Optional[str], typer.Option("--plan-case", help="Hold the least-cost plan of this case instead.")] = None,
    samples: Annotated[int, typer.Option("--samples", "-n", help="Monte Carlo samples.", min=1)] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same samples.")] = 0,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Risk workbook. Default: <instance>-<case>-risk.xlsx in the current folder.")] = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", help="Solves at once. Default: the number of cores.", min=1)] = None,
    preset: Preset = "default",
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Schedule risk: the probability that a plan meets each localization target when construction and
    qualification slip (delays sheet), with fan charts of localized share and cost."""
    term = _terminal(False, quiet)
    with _guard(term):
        _start_workers(jobs)
        from planner.cases import load_instance, resolve_case_name
        from planner.compare.session import default_jobs
        from planner.explore.risk import run_risk
        from planner.export.risk import write_risk
        from planner.solve.presets import merge_options

        if plan is not None and plan_case is not None:
            raise UsageError("give either --plan or --plan-case, not both")
        options = merge_options(preset)
        inst = load_instance(instance)
        term.workbook_warnings(list(inst.warnings), instance)
        case_name = resolve_case_name(inst, case)
        if plan_case is not None:
            resolve_case_name(inst, plan_case)
        out = _check_output(term, output or _default_output(instance, case_name, "risk"), instance, force=force,
                            default=output is None)
        fixed = None
        source = ""
        if plan is not None:
            from planner.export.results import read_results
            from planner.results.plan import plan_from_tables

            fixed = plan_from_tables(read_results(plan), case="")
            source = f"the plan of {plan.name}"
        with term.sample_progress(f"Sampling {instance.name} [{case_name}]", samples) as on_sample:
            res = run_risk(instance, case=case_name, plan=fixed, plan_case=plan_case, plan_source=source,
                           samples=samples, seed=seed, options=options, jobs=jobs or default_jobs(),
                           on_sample=on_sample)
        if not res.n:
            raise SolveError("no sample was solved. Nothing was written.")
        written = _write_safely(term, write_risk, res, out, (instance,))
        term.risk_summary(res, output=str(written))
        if res.stopped:
            _stopped(term, f"the workbook holds the {res.n:,} samples finished before the stop (of {res.samples:,} "
                           "asked); its probabilities and standard errors are those of these samples")
        _exit_if_fallback()


@app.command(short_help="Write a synthetic instance (for benchmarks).")
def generate(
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the synthetic instance (.xlsx).")],
    size: Annotated[Optional[str], typer.Option("--size", help="A size preset (S, M ≈ 50k, L ≈ 250k, XL ≈ 1M variables) instead of the counts below.")] = None,
    projects: Annotated[int, typer.Option(help="Plants (existing, committed, candidate).", min=1)] = 30,
    regions: Annotated[int, typer.Option(help="Domestic demand regions (six supply-origin countries and, from 6, a few FTA plant sites come on top).", min=1)] = 10,
    years: Annotated[int, typer.Option(help="Years in the horizon.", min=1)] = 11,
    commodities: Annotated[int, typer.Option(help="CAM and AAM commodities (from 4, one precursor comes on top).", min=1)] = 8,
    contracts: Annotated[int, typer.Option(help="Import contracts.", min=0)] = 10,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same instance.")] = 1,
    cases: Annotated[int, typer.Option(help="Policy cases.", min=1)] = 3,
    force: Force = False,
) -> None:
    """Write a synthetic instance with the structure and magnitudes of the default one (for benchmarks)."""
    term = _terminal()
    with _guard(term):
        from planner.datasets.synthetic import generate as gen

        output = _check_output(term, output, None, force=force, default=False)
        if size:
            from planner.datasets.synthetic import size_preset

            try:
                kwargs = {**size_preset(size), "seed": seed}
            except (KeyError, ValueError):
                raise UsageError(f"unknown size '{size}': use S, M, L or XL") from None
        else:
            kwargs = dict(projects=projects, regions=regions, years=years, commodities=commodities,
                          contracts=contracts, seed=seed, cases=cases)
        path = _write_safely(term, lambda _o, p, protect: gen(p, **kwargs), None, output, ())
        term.success(f"synthetic instance written to [bold]{name(path)}[/bold] (seed {seed})")
        _exit_if_fallback()


@app.command(short_help="Time each phase of a solve against HiGHS alone.")
def bench(
    instances: Annotated[Optional[list[Path]], typer.Argument(help="Instance workbooks to time (besides --sizes).")] = None,
    sizes: Annotated[Optional[str], typer.Option("--sizes", help="Built-in sizes: S (default instance), M ≈ 50k, L ≈ 250k, XL ≈ 1M variables (synthetic), e.g. S,M,L.")] = None,
    repeat: Annotated[int, typer.Option("--repeat", help="Runs per instance; medians are reported.", min=1)] = 1,
    lp_relaxation: Annotated[bool, typer.Option("--lp-relaxation", help="Solve the LP relaxation instead of the MILP (for XL).")] = False,
    tighten: Annotated[bool, typer.Option("--tighten", help="Add the market-limit rows (an optional tightening of the LP relaxation).")] = False,
    rounding: Annotated[str, typer.Option("--rounding", help="Where to add the market-rounding rows: sole (products made at one site; the default), all (every site with a candidate) or off.")] = "sole",
    case: Annotated[Optional[str], typer.Option("--case", "-c", help="Case to solve in every instance. Default: each instance's first.")] = None,
    preset: Preset = "default",
    time_limit: Annotated[Optional[float], typer.Option("--time-limit", help="Seconds per HiGHS run.", min=0.001)] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV file of the table.")] = Path("bench.csv"),
    seed: Annotated[int, typer.Option(help="Seed of the synthetic sizes.")] = 1,
    study: Annotated[Optional[str], typer.Option("--study", help="Time studies instead: explain, compare-regret, hedge, risk (several separated by commas): each command's wall time against one `planner solve` of the case, alternated in the same run, with their ratio (medians of --repeat runs; default instance unless instances are given); hedge: the extensive form of every case against the sum of their single-case solves; risk: 1,000 samples, goal 120 s.")] = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", help="Workers of the studies timed by --study. Default: the number of cores.", min=1)] = None,
    force: Force = False,
) -> None:
    """Time each phase (read, build, hand-over, HiGHS, duals, extract, export) and peak memory, against HiGHS
    solving the same model from an MPS file; with --study, time a study against one solve."""
    term = _terminal()
    with _guard(term):
        from planner.bench import Target, is_bench_csv, measure, targets_for_sizes, write_csv
        from planner.model.core import ROUNDING
        from planner.solve.presets import merge_options

        if rounding not in ROUNDING:
            raise UsageError(f"--rounding must be one of {', '.join(ROUNDING)}, not '{rounding}'")
        options = merge_options(preset, {"time_limit": time_limit})
        output = _check_output(term, output, None, force=force, default=False, suffix=".csv", is_ours=is_bench_csv)
        if study:
            _bench_studies(term, study, instances, case, options.preset, repeat, jobs, output)
            return
        targets = [Target(p.name, p) for p in (instances or [])]
        if targets:
            from planner.cases import resolve_case_name
            from planner.cases import load_instance

            for t in targets:  # a broken workbook stops the run with its problems, before any timing
                inst = load_instance(t.path)
                if case:
                    resolve_case_name(inst, case)
        rows = []
        with tempfile.TemporaryDirectory() as folder:
            if sizes:
                with term.out.status("generating synthetic instances …"):
                    targets += targets_for_sizes(sizes.split(","), Path(folder), seed)
            if case:
                from dataclasses import replace as _replace

                targets = [_replace(t, case=case) for t in targets]
            if not targets:
                raise UsageError("give instance files or --sizes (e.g. --sizes S,M,L)")
            for t in targets:
                with term.out.status(f"benchmarking {name(t.label)} ({plural(repeat, 'run')}) …"):
                    rows.append(measure(t, options=options.highs, preset=options.preset, repeat=repeat,
                                        lp_relaxation=lp_relaxation, tighten=tighten, rounding=rounding))
                term.bench_row(rows[-1])
        term.bench_table(rows)
        written = _write_safely(term, lambda r, p, protect: write_csv(r, p), rows, output, ())
        term.success(f"table written to [bold]{name(written)}[/bold]")
        _exit_if_fallback()


def _bench_studies(term: Terminal, studies: str, instances: list[Path] | None, case: str | None, preset: str,
                   repeat: int, jobs: int | None, output: Path) -> None:
    """`planner bench --study ...`: each study's command against one solve of its case."""
    from planner import resources
    from planner.bench import STUDIES, Target, measure_study, write_csv
    from planner.cases import load_instance, resolve_case_name

    names = [x.strip() for x in studies.split(",") if x.strip()]
    unknown = [x for x in names if x not in STUDIES]
    if unknown or not names:
        raise UsageError(f"unknown study '{', '.join(unknown)}': use {' or '.join(STUDIES)}")
    paths = list(instances or [resources.default_instance()])
    rows = []
    for path in paths:
        inst = load_instance(path)  # a broken workbook stops the run with its problems, before any timing
        case_name = resolve_case_name(inst, case)
        for s in names:
            with term.out.status(f"timing {s} and one solve of {name(path.name)} [{name(case_name)}] "
                                 f"({plural(repeat, 'run')}) …"):
                rows.append(measure_study(Target(path.name, path), s, case=case_name, preset=preset, repeat=repeat,
                                          jobs=jobs))
            term.info(f"  {name(path.name)} {s}: {rows[-1]['study_wall_s']:.2f} s against one solve "
                      f"{rows[-1]['solve_wall_s']:.2f} s ({rows[-1]['ratio']:.1f}x)")
    term.study_bench_table(rows)
    written = _write_safely(term, lambda r, p, protect: write_csv(r, p), rows, output, ())
    term.success(f"table written to [bold]{name(written)}[/bold]")
    _exit_if_fallback()


@app.command(short_help="Check a workbook; list every problem at once.")
def validate(
    instance: Annotated[Path, typer.Argument(help="Instance workbook (.xlsx).")],
    quiet: Quiet = False,
) -> None:
    """Check a workbook and list every problem at once (exit 1 on errors)."""
    term = _terminal(False, quiet)
    with _guard(term):
        from planner.cases import load_instance

        inst = load_instance(instance)
        term.issues(list(inst.warnings))
        s = inst.summary()
        term.success(f"{name(instance)}: no errors, {plural(len(inst.warnings), 'warning')}. {s['horizon']}, "
                     f"{plural(sum(s['projects'].values()), 'project')}, {plural(s['contracts'], 'contract')}, "
                     f"{plural(len(s['cases']), 'case')}: {', '.join(name(c) for c in s['cases'])}")


@app.command(short_help="Write an empty instance workbook to fill in.")
def template(
    output: Annotated[Path, typer.Argument(help="Where to write the empty instance workbook (.xlsx).")],
    force: Force = False,
) -> None:
    """Write an empty instance workbook: every sheet and column, units, descriptions, examples, drop-downs."""
    term = _terminal()
    with _guard(term):
        from planner.export.instance_xlsx import write_template

        output = _check_output(term, output, None, force=force, default=False)
        written = _write_safely(term, lambda _o, p, protect: write_template(p), None, output, ())
        term.success(f"template written to [bold]{name(written)}[/bold]; fill it in, then run "
                     f"`planner validate {name(written)}`")
        _exit_if_fallback()


@app.command(short_help="Show what an instance holds.")
def info(instance: Annotated[Path, typer.Argument(help="Instance workbook (.xlsx).")]) -> None:
    """Show what an instance holds: horizon, regions, commodities, projects, contracts, cases."""
    term = _terminal()
    with _guard(term):
        from planner.cases import load_instance

        inst = load_instance(instance)
        term.instance_summary(inst.summary())
        term.workbook_warnings(list(inst.warnings), instance)


def _version(value: bool) -> None:
    if value:
        from planner.run import versions

        v = versions()
        _terminal().info(f"planner {v['active-materials-planner']} (pyomo {v['pyomo']}, highspy {v['highspy']})")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")] = False,
) -> None:
    """Active Materials Planner."""


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line (no signal handling: `planner.cli.main` does that) and return its exit code."""
    try:
        app(args=list(argv) if argv is not None else None, prog_name="planner")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


def main() -> None:
    """The console entry point (kept for callers of `planner.cli.app:main`)."""
    from planner.cli import main as _main

    _main()
