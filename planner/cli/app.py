"""The `planner` command line: thin commands over the library; all printing via cli.console."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Optional

import typer

from rich.markup import escape

from planner.cli.console import Terminal
from planner.errors import InstanceError, OutputError, PlannerError, SolveError, UsageError

app = typer.Typer(
    name="planner",
    help="Active Materials Planner: which U.S. cathode and anode material plants, JVs and import "
    "contracts to commit to, at least cost, under each policy case.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Show details (for solve: the full HiGHS log).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors and the result line.")]
Preset = Annotated[str, typer.Option(help="Solver preset: default, fast, exact, or the path of a .toml file.")]
Gap = Annotated[Optional[float], typer.Option("--gap", help="Relative MIP gap at which to stop (e.g. 0.001).", min=0.0)]


def _terminal(verbose: bool = False, quiet: bool = False) -> Terminal:
    if verbose and quiet:
        raise typer.BadParameter("choose either --verbose or --quiet")
    return Terminal(1 if verbose else -1 if quiet else 0)


@contextlib.contextmanager
def _guard(term: Terminal) -> Iterator[None]:
    """Turn every expected failure into plain words and an exit code; never a traceback."""
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
    except KeyboardInterrupt:
        term.error("interrupted; nothing was written")
        raise typer.Exit(130) from None
    except Exception as exc:  # a bug: say so plainly, keep the traceback for PLANNER_DEBUG=1
        if os.environ.get("PLANNER_DEBUG"):
            raise
        term.error(f"internal error ({type(exc).__name__}: {exc}). This is a bug in the planner, not in your "
                   "workbook; rerun with PLANNER_DEBUG=1 to see the details and report them.")
        raise typer.Exit(70) from None


#: exit code when results could not be written where asked and were saved elsewhere
EXIT_SAVED_ELSEWHERE = 4


class _Fallback:
    """Remembers whether an output had to be saved somewhere else (the command then exits with 4)."""

    used = False


def _check_output(out: Path, instance: Path) -> None:
    """Refuse, before any solving, an output that is not .xlsx or that would overwrite the input."""
    if out.suffix.lower() != ".xlsx":
        raise UsageError(f"the output must be an .xlsx workbook, not '{out.name}'")
    if out.exists() and instance.exists() and out.resolve() == instance.resolve():
        raise UsageError("the output would overwrite the input workbook; choose another --output")


def _write_safely(term: Terminal, write: Callable[..., Path], obj: object, out: Path, protect: tuple[Path, ...]
                  ) -> Path:
    """Write `obj` to `out`; if that fails, save it in a new temporary folder and say where (never lose it)."""
    try:
        return write(obj, out, protect=protect)
    except OutputError as exc:
        fallback = Path(tempfile.mkdtemp(prefix="planner-results-")) / out.name
        written = write(obj, fallback, protect=protect)
        term.error(f"{exc}. The results were saved to {written} instead.")
        _Fallback.used = True
        return written


def _exit_if_fallback() -> None:
    if _Fallback.used:
        _Fallback.used = False
        raise typer.Exit(EXIT_SAVED_ELSEWHERE)


def _safe(name: str) -> str:
    """A case name made safe for a file name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "case"


def _default_output(instance: Path, case: str) -> Path:
    return Path.cwd() / f"{instance.stem}-{_safe(case)}-results.xlsx"


@app.command()
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
            term.info(f"Using the bundled default instance [bold]{escape(instance.name)}[/bold]")
        inst = load_instance(instance)
        if inst.warnings:
            if term.verbosity >= 1:
                term.issues(list(inst.warnings))
            else:
                term.warn(f"{len(inst.warnings)} warning(s) in the workbook; `planner validate {instance}` lists them")
        options = merge_options(preset, {"time_limit": time_limit, "mip_rel_gap": gap, "threads": threads})
        case_name = resolve_case_name(inst, case)
        out = output or _default_output(instance, case_name)
        _check_output(out, instance)
        from planner.solve.highs import Interrupt

        stop = Interrupt()
        with term.solving(f"Solving {inst.name} [{case_name}] with HiGHS (Ctrl-C stops)") as update:
            sol = solve_case_explained(inst, case_name, options=options, hard_targets=hard_targets,
                                       on_progress=update, stream_log=verbose, interrupt=stop)
        if stop.requested:
            if keep_incumbent and sol.has_plan:
                written = _write_safely(term, write_results, sol, out, (instance,))
                term.solution_summary(sol, output=str(written))
                term.error("interrupted: the best plan found so far was written (not proven optimal)")
            else:
                term.error("interrupted: nothing was written" + ("" if keep_incumbent else
                           " (--keep-incumbent writes the best plan found so far)"))
            raise typer.Exit(130)
        if not sol.has_plan:
            term.solution_summary(sol)
            hint = ""
            if sol.status["termination"] == "time_limit":
                hint = " Raise --time-limit, or try --preset fast."
            raise SolveError(f"no plan: {sol.status['status']}. Nothing was written.{hint}")
        written = _write_safely(term, write_results, sol, out, (instance,))
        term.solution_summary(sol, output=str(written))
        _exit_if_fallback()


@app.command()
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
    quiet: Quiet = False,
) -> None:
    """Run policy cases side by side (in parallel) and write a comparison workbook."""
    term = _terminal(False, quiet)
    with _guard(term):
        from planner.compare.session import default_jobs, run_comparison
        from planner.export.comparison import write_comparison
        from planner.export.results import write_results
        from planner.compare.runner import mark_written
        from planner.solve.presets import merge_options

        options = merge_options(preset, {"time_limit": time_limit, "mip_rel_gap": gap})
        out = output or Path.cwd() / f"{instance.stem}-comparison.xlsx"
        _check_output(out, instance)
        n_jobs = jobs or default_jobs()
        with term.case_progress(f"Solving cases of {instance.name}") as event:
            cmp = run_comparison(instance, cases=cases, base=base, options=options, jobs=n_jobs,
                                 scheduler=scheduler, regret=regret, hard_targets=hard_targets, on_event=event)
        runs = dict(cmp.runs)
        for c, run in runs.items():
            if run.status == "done" and run.solution is not None:
                path = out.parent / _default_output(instance, c).name
                written = _write_safely(term, write_results, run.solution, path, (instance,))
                runs[c] = mark_written(run, str(written))
        from dataclasses import replace

        cmp = replace(cmp, runs=runs)
        written = _write_safely(term, write_comparison, cmp, out, (instance,))
        term.comparison_summary(cmp, output=str(written))
        _exit_if_fallback()
        if not cmp.solved:
            raise SolveError("no case could be solved")


@app.command()
def explain(
    instance: Annotated[Path, typer.Argument(help="Instance workbook (.xlsx).")],
    case: Annotated[Optional[str], typer.Option("--case", "-c", help="Policy case. Default: the first.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Workbook with the plan and its explanation. Default: <instance>-<case>-explained.xlsx in the current folder.")] = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", help="Re-solves run at once. Default: the number of cores.", min=1)] = None,
    preset: Preset = "default",
    time_limit: Annotated[Optional[float], typer.Option("--time-limit", help="Seconds per solve.", min=0.001)] = None,
    gap: Gap = None,
    hard_targets: Annotated[bool, typer.Option("--hard-targets", help="Localization targets as hard constraints; if they cannot be met, say which and why.")] = False,
    quiet: Quiet = False,
) -> None:
    """Explain a plan: cost of each localization target, why candidates are (not) built, shortfalls in plain words."""
    term = _terminal(False, quiet)
    with _guard(term):
        from planner.compare.session import default_jobs
        from planner.explain.analysis import explain as run_explain
        from planner.export.explanation import write_explanation
        from planner.solve.presets import merge_options

        from planner.cases import resolve_case_name
        from planner.cases import load_instance

        options = merge_options(preset, {"time_limit": time_limit, "mip_rel_gap": gap})
        case_name = resolve_case_name(load_instance(instance), case)
        out = output or Path.cwd() / f"{instance.stem}-{_safe(case_name)}-explained.xlsx"
        _check_output(out, instance)
        with term.case_progress(f"Explaining {instance.name}") as event:
            expl = run_explain(instance, case_name, options=options, jobs=jobs or default_jobs(), on_event=event,
                               hard_targets=hard_targets)
        written = _write_safely(term, write_explanation, expl, out, (instance,))
        term.findings(expl, output=str(written))
        _exit_if_fallback()


@app.command()
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
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a synthetic instance with the structure and magnitudes of the default one (for benchmarks)."""
    term = _terminal()
    with _guard(term):
        from planner.datasets.synthetic import generate as gen

        if output.exists() and not force:
            raise UsageError(f"{output} exists; use --force to overwrite it")
        if size:
            from planner.datasets.synthetic import size_preset

            try:
                kwargs = {**size_preset(size), "seed": seed}
            except (KeyError, ValueError):
                raise UsageError(f"unknown size '{size}': use S, M, L or XL") from None
        else:
            kwargs = dict(projects=projects, regions=regions, years=years, commodities=commodities,
                          contracts=contracts, seed=seed, cases=cases)
        path = gen(output, **kwargs)
        term.success(f"synthetic instance written to [bold]{escape(str(path))}[/bold] (seed {seed})")


@app.command()
def bench(
    instances: Annotated[Optional[list[Path]], typer.Argument(help="Instance workbooks to time (besides --sizes).")] = None,
    sizes: Annotated[Optional[str], typer.Option("--sizes", help="Built-in sizes: S (default instance), M ≈ 50k, L ≈ 250k, XL ≈ 1M variables (synthetic), e.g. S,M,L.")] = None,
    repeat: Annotated[int, typer.Option("--repeat", help="Runs per instance; medians are reported.", min=1)] = 1,
    lp_relaxation: Annotated[bool, typer.Option("--lp-relaxation", help="Solve the LP relaxation instead of the MILP (for XL).")] = False,
    tighten: Annotated[bool, typer.Option("--tighten", help="Add the market-limit rows (an optional tightening of the LP relaxation).")] = False,
    case: Annotated[Optional[str], typer.Option("--case", "-c", help="Case to solve in every instance. Default: each instance's first.")] = None,
    preset: Preset = "default",
    time_limit: Annotated[Optional[float], typer.Option("--time-limit", help="Seconds per HiGHS run.", min=0.001)] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV file of the table.")] = Path("bench.csv"),
    seed: Annotated[int, typer.Option(help="Seed of the synthetic sizes.")] = 1,
) -> None:
    """Time each phase (read, build, hand-over, HiGHS, duals, extract, export) and peak memory, against HiGHS
    solving the same model from an MPS file."""
    term = _terminal()
    with _guard(term):
        import tempfile as _tf

        from planner.bench import Target, measure, targets_for_sizes
        from planner.solve.presets import merge_options

        options = merge_options(preset, {"time_limit": time_limit})
        rows = []
        with _tf.TemporaryDirectory() as folder:
            targets = [Target(p.name, p) for p in (instances or [])]
            if sizes:
                with term.out.status("generating synthetic instances …"):
                    targets += targets_for_sizes(sizes.split(","), Path(folder), seed)
            if case:
                from dataclasses import replace as _replace

                targets = [_replace(t, case=case) for t in targets]
            if not targets:
                raise UsageError("give instance files or --sizes (e.g. --sizes S,M,L)")
            for t in targets:
                with term.out.status(f"benchmarking {t.label} ({repeat} run(s)) …"):
                    rows.append(measure(t, options=options.highs, preset=options.preset, repeat=repeat,
                                        lp_relaxation=lp_relaxation, tighten=tighten))
                term.bench_row(rows[-1])
        term.bench_table(rows)
        import csv

        from planner.export.atomic import atomic_path

        keys = list(dict.fromkeys(k for r in rows for k in r))
        with atomic_path(output) as tmp, open(tmp, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=keys)
            w.writeheader()
            w.writerows(rows)
        term.success(f"table written to [bold]{escape(str(output))}[/bold]")


@app.command()
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
        term.success(f"{escape(str(instance))}: no errors, {len(inst.warnings)} warning(s). {s['horizon']}, "
                     f"{sum(s['projects'].values())} projects, {s['contracts']} contracts, "
                     f"{len(s['cases'])} case(s): {escape(', '.join(s['cases']))}")


@app.command()
def template(
    output: Annotated[Path, typer.Argument(help="Where to write the empty instance workbook (.xlsx).")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write an empty instance workbook: every sheet and column, units, descriptions, examples, drop-downs."""
    term = _terminal()
    with _guard(term):
        from planner.export.instance_xlsx import write_template

        if output.exists() and not force:
            raise UsageError(f"{output} exists; use --force to overwrite it")
        if output.suffix.lower() != ".xlsx":
            raise UsageError("the template must be an .xlsx file")
        write_template(output)
        term.success(f"template written to [bold]{escape(str(output))}[/bold]; fill it in, then run "
                     f"`planner validate {escape(str(output))}`")


@app.command()
def info(instance: Annotated[Path, typer.Argument(help="Instance workbook (.xlsx).")]) -> None:
    """Show what an instance holds: horizon, regions, commodities, projects, contracts, cases."""
    term = _terminal()
    with _guard(term):
        from planner.cases import load_instance

        inst = load_instance(instance)
        term.instance_summary(inst.summary())
        if inst.warnings:
            term.warn(f"{len(inst.warnings)} warning(s); `planner validate {instance}` lists them")


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


def main() -> None:
    app()
