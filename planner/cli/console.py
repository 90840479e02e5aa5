"""All terminal output of the planner goes through this module (hatch's Terminal idea).

Three rules hold for everything printed here:

* **Names are shown safely.** Every path, file name, case, project or other name that comes from
  outside goes through `name()` (markup) or `plain()` (plain text): terminal escape sequences and
  control characters become visible escapes, undecodable bytes of a file name show as ``\\xe9``,
  and square brackets are never read as rich markup.
* **Tables are never cut.** Columns wrap at spaces and fold long words; a table that cannot fit
  the width (COLUMNS, or the terminal's) is printed as one block per row instead. Output to a
  pipe or a file is as wide as COLUMNS says, or 200 columns when COLUMNS is not set.
* **One rule for gaps and plurals** (`planner.results.labels`): the same gap text as every workbook.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from planner.errors import Issue
from planner.results.labels import MONEY_UNIT, gap_text, kpi_label, musd_text, plural, share_text, shown

_MONEY_UNIT = MONEY_UNIT  # the terminal shows money in $M, by the one precision rule of planner.results.labels
#: width of output that goes to a pipe or a file when COLUMNS does not say (wide enough for `bench`)
PIPE_WIDTH = 200
#: warnings of a workbook printed by the commands that go on with it (solve, info, compare, explain)
MAX_WARNINGS_SHOWN = 10


def name(x: Any) -> str:
    """A path or a name from outside, safe inside a rich markup string."""
    return escape(shown(x))


def plain(message: Any) -> str:
    """A message (plain text, possibly several lines) with names from outside shown safely."""
    return shown(message, keep_newlines=True)


def money(x: float | None) -> str:
    """Money by the one precision rule (`planner.results.labels.musd_text`): '$1,234.5M'; '–' when unknown."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return musd_text(x)


def tonnes(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x / 1000:,.1f} kt" if abs(x) >= 10_000 else f"{x:,.0f} t"


def share(x: float | None) -> str:
    """A share by the one precision rule (`planner.results.labels.share_text`): '24.0%'; '–' when unknown."""
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else share_text(x)


def _table(title: str | None = None, **kw: Any) -> Table:
    return Table(title=title, title_justify="left", header_style="bold", **kw)


def _column(t: Table, header: str, *, right: bool = False) -> None:
    """A column that wraps at spaces and folds a word too long for it: never an ellipsis."""
    t.add_column(header, justify="right" if right else "left", overflow="fold")


class Terminal:
    """One rich console for results (stdout) and one for problems (stderr), filtered by verbosity."""

    def __init__(self, verbosity: int = 0, *, width: int | None = None):
        self.verbosity = verbosity  # -1 quiet, 0 normal, 1 verbose
        self.out = Console(highlight=False, width=width)
        self.err = Console(stderr=True, highlight=False, width=width)
        columns = os.environ.get("COLUMNS", "")
        for c in (self.out, self.err):
            if width is None and not c.is_terminal and not columns.isdigit():
                c.width = PIPE_WIDTH  # logs and pipes: wide enough for the tables

    # ---------------------------------------------------------------- plain messages
    def _say(self, console: Console, *parts: Any, **kw: Any) -> None:
        """Print, and never fail because the terminal has gone (a closed terminal, a broken pipe)."""
        try:
            console.print(*parts, **kw)
        except (OSError, ValueError):
            pass

    def info(self, message: str) -> None:
        if self.verbosity >= 0:
            self._say(self.out, message)

    def success(self, message: str) -> None:
        if self.verbosity >= 0:
            self._say(self.out, f"[green]✓[/green] {message}")

    def warn(self, message: str) -> None:
        self._say(self.err, Text.from_markup("[yellow]warning:[/yellow] ") + Text(plain(message)), soft_wrap=True)

    def error(self, message: str) -> None:
        self._say(self.err, Text.from_markup("[bold red]error:[/bold red] ") + Text(plain(message)), soft_wrap=True)

    def issues(self, issues: list[Issue], *, show_warnings: bool = True) -> None:
        """Every problem of a workbook, errors first, one line each: file, sheet, row, column, words."""
        errors = [i for i in issues if i.severity == "error"]
        warnings = [i for i in issues if i.severity == "warning"] if show_warnings else []
        if errors:
            console = self.err
            head = f"[bold red]{plural(len(errors), 'error')}[/bold red]" + (
                f" and {plural(len(warnings), 'warning')}" if warnings else "")
        elif warnings and self.verbosity >= 0:
            console = self.out
            head = f"[yellow]{plural(len(warnings), 'warning')}[/yellow]"
        else:
            return
        self._say(console, f"{head} in {name((errors or warnings)[0].file)}:")
        self._issue_lines(console, _ordered(errors, issues) + _ordered(warnings, issues))

    def _issue_lines(self, console: Console, issues: list[Issue]) -> None:
        for i in issues:
            tag = "[bold red]error[/bold red]" if i.severity == "error" else "[yellow]warning[/yellow]"
            where = i.location.split(", ", 1)[1] if ", " in i.location else ""
            line = Text.from_markup(f"  {tag} ")
            line.append(plain(f"{where}: ") if where else "")
            line.append(plain(i.message))
            self._say(console, line, soft_wrap=True)

    def workbook_warnings(self, warnings: list[Issue], instance: Any) -> None:
        """The warnings of a workbook a command goes on with: the first ten, then how many more and
        where to see them all (`planner validate`); on stderr, since the results go to stdout."""
        if not warnings:
            return
        if self.verbosity < 0:
            self.warn(f"{plural(len(warnings), 'warning')} in the workbook; `planner validate {shown(instance)}` "
                      "lists them")
            return
        shown_ = warnings if self.verbosity >= 1 else _ordered(warnings, warnings)[:MAX_WARNINGS_SHOWN]
        self._say(self.err, f"[yellow]{plural(len(warnings), 'warning')}[/yellow] in {name(warnings[0].file)}:")
        self._issue_lines(self.err, _ordered(shown_, warnings))
        if len(warnings) > len(shown_):
            self._say(self.err, Text(f"  {len(warnings) - len(shown_):,} more; `planner validate "
                                     f"{plain(instance)}` lists them all"), soft_wrap=True)

    # ---------------------------------------------------------------- tables
    def table(self, t: Table, console: Console | None = None) -> None:
        """Print a table whole: as a table if it fits the width, else one block per row
        ("first cell", then "header: value" lines), so that no header or name is ever cut."""
        console = console or self.out
        try:
            # the narrowest the table can be without cutting a word (measured without the width's clamp)
            fits = Measurement.get(console, console.options.update_width(10**6), t).minimum <= console.width
        except Exception:  # noqa: BLE001 - measuring is only a layout choice
            fits = True
        if fits:
            self._say(console, t)
            return
        if t.title:
            self._say(console, t.title if isinstance(t.title, Text) else Text.from_markup(str(t.title)),
                      soft_wrap=True)
        cols = t.columns
        n = max((len(c._cells) for c in cols), default=0)

        def text(x: Any) -> Text:
            return x if isinstance(x, Text) else console.render_str(str(x)) if x is not None else Text("")

        for r in range(n):
            first = text(cols[0]._cells[r]) if cols and r < len(cols[0]._cells) else Text("")
            head = text(cols[0].header) if cols and cols[0].header and t.show_header else Text("")
            line = Text.assemble(head, ": " if head.plain else "", first)
            line.stylize("bold")
            self._say(console, line, soft_wrap=True)
            for c in cols[1:]:
                cell = text(c._cells[r]) if r < len(c._cells) else Text("")
                label = text(c.header) if t.show_header else Text("")
                self._say(console, Text.assemble("  ", label, ": " if label.plain else "", cell), soft_wrap=True)

    # ---------------------------------------------------------------- live solve line
    @contextlib.contextmanager
    def solving(self, label: str) -> Iterator[Any]:
        """A live status line while HiGHS runs; yields a function taking planner.solve.highs.Progress."""
        if self.verbosity != 0:
            yield lambda _p: None
            return
        label = escape(plain(label))
        with self.out.status(f"{label} …", spinner="dots") as status:
            def update(p: Any) -> None:
                status.update(live_line(label, p))

            yield update

    # ---------------------------------------------------------------- renderers
    def instance_summary(self, s: dict[str, Any]) -> None:
        table = Table(show_header=False, box=None, pad_edge=False)
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        table.add_row("title", name(s["title"]))
        table.add_row("horizon", f"{s['horizon']} ({plural(s['years'], 'year')}), discount rate "
                                 f"{100 * s['discount_rate']:.1f}%")
        table.add_row("regions", f"{s['regions']} ({s['domestic_regions']} domestic)")
        table.add_row("commodities", str(s["commodities"]))
        table.add_row("projects", ", ".join(f"{n} {k}" for k, n in s["projects"].items()) or "none")
        table.add_row("joint-venture variants", str(s["joint_ventures"]))
        table.add_row("import contracts", str(s["contracts"]))
        if s.get("offtakes"):
            table.add_row("offtake agreements", str(s["offtakes"]))
        if s.get("substitution_groups"):
            table.add_row("substitution groups", str(s["substitution_groups"]))
        table.add_row("transport links", str(s["transport_links"]))
        table.add_row("demand", ", ".join(f"{name(k)} {tonnes(v)}" for k, v in s["demand_t"].items())
                      + " over the horizon")
        table.add_row("policy cases", ", ".join(name(c) for c in s["cases"]))
        self.table(table)

    def solution_summary(self, sol: Any, output: str | None = None) -> None:
        """Status, objective, bound, gap, time, plants built and localization against targets."""
        st = sol.status
        ok = st["has_solution"]
        style = "green" if st["proven_optimal"] else ("yellow" if ok else "red")
        if self.verbosity < 0:  # quiet: one result line
            line = f"[{style}]{escape(st['status'])}[/{style}]"
            if ok:
                line += f", total cost {money(st['objective_usd'])}"
            self._say(self.out, line + (f"; results written to {name(output)}" if output else ""), soft_wrap=True)
            return
        head = Table(show_header=False, box=None, pad_edge=False)
        head.add_column(style="bold")
        head.add_column(overflow="fold")
        head.add_row("instance", f"{name(sol.run_info['instance'])}  "
                                 f"[dim]({name(sol.run_info['instance_path'])})[/dim]")
        made = []
        if sol.run_info.get("case_extends"):
            made.append("extends " + name(" -> ".join(sol.run_info["case_extends"])))
        if sol.run_info.get("case_overrides"):
            made.append(f"{plural(len(sol.run_info['case_overrides']), 'override')} of the data, listed in run_info")
        head.add_row("case", name(sol.case) + ("  [dim](hard targets)[/dim]" if st["hard_targets"] else "")
                     + (f"  [dim]({'; '.join(made)})[/dim]" if made else ""))
        head.add_row("status", f"[{style}]{escape(st['status'])}[/{style}]")
        if ok:
            head.add_row("total cost", f"{money(st['objective_usd'])}  [dim](discounted, net of credits, with penalties)[/dim]")
            head.add_row("bound", money(st["bound_usd"]))
            head.add_row("gap", gap_text(st["gap"]))
            k = {r.kpi: r.value for r in sol.kpis.itertuples()}
            head.add_row("cost to industry", f"{money(k.get('cost_to_industry_usd'))}  [dim](cash: resource cost + "
                                             "tariffs − credits; discounted)[/dim]")
            if "resource_cost_usd" in k:
                head.add_row("resource cost", f"{money(k.get('resource_cost_usd'))}  [dim](without tariffs and "
                                              "credits)[/dim]")
            head.add_row("public cost of credits", money(k.get("public_cost_usd")))
            if "net_fiscal_cost_usd" in k:
                head.add_row("fiscal flows", f"credits {money(k.get('public_cost_usd'))} − tariff revenue "
                                             f"{money(k.get('tariff_revenue_usd'))} = net fiscal cost "
                                             f"{money(k.get('net_fiscal_cost_usd'))}")
            if k.get("penalties_usd"):
                fr = sol.extra.get("frontier") if hasattr(sol, "extra") else None
                when = "; when each missed target or demand can be met: feasibility frontier below" if (
                    fr is not None and not fr.empty) else ""
                head.add_row("penalties", f"[yellow]{money(k.get('penalties_usd'))}[/yellow]  [dim](apart: in no cost "
                                          f"view{when})[/dim]")
            if k.get("sunk_capex_usd"):
                head.add_row("sunk capex", f"{money(k.get('sunk_capex_usd'))}  [dim](existing and committed plants; "
                                           "apart)[/dim]")
            head.add_row("capex of new builds", money(k.get("capex_committed_usd")))
        head.add_row("time", f"{st['wall_time_s']:.2f} s (HiGHS {st['highs_time_s']:.2f} s), "
                             f"{plural(st['variables'], 'variable')} ({st['integer_variables']:,} integer), "
                             f"{plural(st['constraints'], 'row')}")
        self.table(head)
        for m in sol.messages:
            self._say(self.out, Text(plain(m), style="yellow"), soft_wrap=True)
        if not ok:
            return

        built = sol.builds[sol.builds["decision"] == "build"]
        if self.verbosity >= 0:
            self._say(self.out, f"[bold]New plants[/bold] ({plural(built['project'].nunique(), 'project')}, "
                                f"{plural(int(built['units'].sum()), 'unit')}; one row per start year)")
            t = _table()
            for col in ("project", "name", "site", "product", "units", "start", "online", "qualified", "capacity",
                        "capex"):
                _column(t, col, right=col in ("units", "start", "online", "qualified", "capacity", "capex"))
            for r in built.itertuples():
                t.add_row(name(r.project), name(r.name), name(r.site), name(r.commodity), str(r.units),
                          str(r.start_year), str(r.online_year), str(r.qualified_year), tonnes(r.capacity_t) + "/yr",
                          money(r.capex_usd))
            if len(built) == 0:
                t.add_row("–", "no new plant", "", "", "", "", "", "", "", "")
            self.table(t)
            signed = sol.imports[sol.imports["signed"]].groupby(["contract", "origin", "commodity"], as_index=False)[
                "tonnes"].sum() if not sol.imports.empty else None
            if signed is not None and len(signed):
                self._say(self.out, "[bold]Import contracts used[/bold]")
                t = _table()
                for col in ("contract", "origin", "product", "total over horizon"):
                    _column(t, col, right=col.startswith("total"))
                for r in signed.itertuples():
                    t.add_row(name(r.contract), name(r.origin), name(r.commodity), tonnes(r.tonnes))
                self.table(t)
            self._localization(sol)
            k = {r.kpi: (r.value, r.note) for r in sol.kpis.itertuples()}
            for key in ("committed_plants_cancelled", "plants_retired_early"):
                value, note = k.get(key, (None, ""))
                if value:  # the plan's decisions on existing and committed plants (sheet 'existing_plants')
                    self._say(self.out, Text(plain(note[:1].upper() + note[1:]) + " (see sheet 'existing_plants').",
                                             style="yellow"), soft_wrap=True)
            self._definitions(sol)
            from planner.results.headline import idle_flag  # pandas: imported when a plan is shown

            flag = idle_flag(sol)
            if flag:
                self._say(self.out, Text(plain(flag[0]), style="yellow"), soft_wrap=True)
            if not sol.unmet.empty:
                total = sol.unmet["tonnes"].sum()
                self._say(self.out, f"[yellow]Unmet demand: {tonnes(total)} over the horizon — see sheet "
                                    "'unmet'.[/yellow]")
            self._frontier(sol)
        if output:
            self.success(f"results written to [bold]{name(output)}[/bold]")

    def _frontier(self, sol: Any) -> None:
        """The feasibility frontier, group by group: when each missed target or demand can be met."""
        fr = sol.extra.get("frontier") if hasattr(sol, "extra") else None
        if fr is None or fr.empty:
            return
        from planner.explore.frontier import HOW

        self._say(self.out, f"[bold]Feasibility frontier[/bold] (the earliest year each missed target or demand can be "
                            f"met in every later year, whatever the cost; {escape(HOW)}; sheet 'frontier')",
                  soft_wrap=True)
        for v in fr["verdict"]:
            self._say(self.out, Text("  " + plain(str(v)), style="yellow"), soft_wrap=True)

    def _localization(self, sol: Any) -> None:
        loc = sol.localization
        if loc.empty:
            return
        targeted = loc[loc["target_share"] > 0]
        years = sorted(set(targeted["year"])) if not targeted.empty else []
        all_years = sorted(set(loc["year"]))
        # show every target year, plus the last year and every fifth year
        show = sorted(set(years) | {all_years[-1]} | {y for y in all_years if y % 5 == 0})
        self._say(self.out, "[bold]Localization by the case's rule[/bold] (what its targets count): qualifying share of "
                            "demand, (target) where one is set")
        t = _table()
        _column(t, "group")
        for y in show:
            _column(t, str(y), right=True)
        for g, sub in loc.groupby("group", sort=False):
            sub = sub.set_index("year")
            cells = []
            for y in show:
                if y not in sub.index:
                    cells.append("–")
                    continue
                r = sub.loc[y]
                text = share(r["share"])
                if r["target_share"] > 0:
                    miss = r["share"] + 1e-9 < r["target_share"]
                    text += f" ({share(r['target_share'])})"
                    text = f"[red]{text}[/red]" if miss else f"[green]{text}[/green]"
                cells.append(text)
            t.add_row(name(g), *cells)
        self.table(t)

    def _definitions(self, sol: Any) -> None:
        """The headline (which definition it uses) and the four definitions of localization in the headline year."""
        from planner.results.headline import localization_grid, localization_headline

        grid = localization_grid(sol)
        if grid.empty:
            return
        self._say(self.out, Text(plain(localization_headline(sol)), style="bold"), soft_wrap=True)
        groups = list(dict.fromkeys(grid["group"].tolist()))
        year = int(grid["year"].iloc[0])
        t = _table()
        _column(t, f"localization in {year}")
        for g in groups:
            _column(t, f"{plain(g)} by t", right=True)
            _column(t, f"{plain(g)} by value", right=True)
        for d in dict.fromkeys(grid["definition"].tolist()):
            sub = grid[grid["definition"] == d].set_index("group")
            cells = []
            for g in groups:
                cells += [share(float(sub.loc[g, "share"])) if g in sub.index else "–",
                          share(float(sub.loc[g, "value_share"])) if g in sub.index else "–"]
            t.add_row(name(d), *cells)
        self.table(t)

    # ---------------------------------------------------------------- comparisons
    @contextlib.contextmanager
    def case_progress(self, title: str) -> Iterator[Any]:
        """A live table of cases (queued / solving / done / failed, time, gap); yields the event callback."""
        import time

        from rich.live import Live

        rows: dict[str, dict[str, Any]] = {}
        started: dict[str, float] = {}

        def table() -> Table:
            t = _table(name(title))
            for col in ("case", "state", "time", "gap", "objective", "note"):
                _column(t, col, right=col in ("time", "gap", "objective"))
            for key, r in rows.items():
                state = r["state"]
                style = {"done": "green", "failed": "red", "solving": "cyan", "stopped": "yellow"}.get(state, "dim")
                secs = r.get("seconds")
                if secs is None and key in started and state == "solving":
                    secs = time.perf_counter() - started[key]
                t.add_row(name(key), f"[{style}]{state}[/{style}]", "" if secs is None else f"{secs:.1f} s",
                          gap_text(r.get("gap")) if r.get("gap") is not None else "",
                          money(r.get("objective")) if r.get("objective") is not None else
                          f"{tonnes(r['shortfall_t'])} short" if r.get("shortfall_t") is not None else
                          tonnes(r["value_t"]) if r.get("value_t") is not None else "",
                          name(_cut(r.get("error") or "", 200)))
            return t

        def event(key: str, state: str, details: dict[str, Any]) -> None:
            rows.setdefault(key, {}).update(details, state=state)
            if state == "solving":
                started.setdefault(key, time.perf_counter())
            if not live_on and self.verbosity >= 0 and state in ("done", "failed"):
                r = rows[key]
                note = f" — {r['error']}" if r.get("error") else ""
                self._say(self.out, f"  {name(key)}: {state} in {r.get('seconds', 0):.1f} s{name(note)}",
                          soft_wrap=True)

        live_on = self.verbosity == 0 and self.out.is_terminal
        try:
            if live_on:
                with Live(table(), console=self.out, refresh_per_second=4, get_renderable=table):
                    yield event
            else:
                yield event
                if self.verbosity >= 0:
                    self.table(table())
        except KeyboardInterrupt:  # Ctrl-C, SIGTERM, SIGHUP: what had finished, what had not
            states = [r["state"] for r in rows.values()]
            ended = sum(1 for x in states if x in ("done", "failed"))
            stopped = sum(1 for x in states if x in ("stopped", "solving"))
            never = len(states) - ended - stopped
            parts = [f"{stopped} stopped while solving" if stopped else "", f"{never} never started" if never else ""]
            rest = " and ".join(x for x in parts if x)
            self._say(self.err, Text(f"{ended} of {plural(len(states), 'solve')} had finished when the command was "
                                     f"stopped" + (f"; {rest}" if rest else "")), soft_wrap=True)
            raise

    def findings(self, expl: Any, output: str | None = None) -> None:
        """The top findings of an explanation, in plain words."""
        if self.verbosity < 0:
            self._say(self.out, plural(len(expl.findings), "finding")
                      + (f"; written to {name(output)}" if output else ""), soft_wrap=True)
            return
        self._say(self.out, f"[bold]Why this plan[/bold] ({name(expl.instance)}, case {name(expl.case)})")
        for i, f in enumerate(expl.findings, start=1):
            self._say(self.out, f"{i:>2}. {name(f)}", soft_wrap=True)
        for what, why in expl.failures.items():
            self.warn(f"re-solve '{what}' failed: {why}")
        if output:
            self.success(f"plan and explanation written to [bold]{name(output)}[/bold]")

    def bench_row(self, r: dict[str, Any]) -> None:
        self.info(f"  {name(r['instance'])}: {name(r.get('status', ''))}, wall {_sec(r.get('wall_s'))} s, "
                  f"HiGHS {_sec(r.get('highs_s'))} s")

    def bench_table(self, rows: list[dict[str, Any]]) -> None:
        t = _table("Time per phase in s (medians), peak memory in MB")
        cols = [("instance", "instance", name), ("vars", "vars", _count), ("rows", "rows", _count),
                ("read+validate", "read_validate_s", _sec), ("build", "build_s", _sec),
                ("hand-over", "handover_s", _sec), ("HiGHS", "highs_s", _sec), ("duals", "duals_s", _sec),
                ("extract", "extract_s", _sec), ("export", "export_s", _sec), ("wall", "wall_s", _sec),
                ("not HiGHS", "non_highs_share", share), ("µs/var", "build_handover_us_per_var", _sec),
                ("peak MB", "peak_rss_mb", _count), ("MPS: HiGHS", "mps_highs_s", _sec),
                ("MPS MB", "mps_peak_rss_mb", _count), ("MB ratio", "rss_ratio", _sec)]
        for label, _k, _f in cols:
            _column(t, label, right=label != "instance")
        for r in rows:
            t.add_row(*[f(r.get(k)) if r.get(k) is not None else "–" for _l, k, f in cols])
        self.table(t)

    def study_bench_table(self, rows: list[dict[str, Any]]) -> None:
        """`planner bench --study`: each study's wall time against one solve of the case, and the ratio."""
        t = _table("Studies against one solve: wall time in s (medians), ratio, goal, machine load (1 min)")
        cols = [("instance", "instance", name), ("study", "study", name), ("case", "case", name),
                ("runs", "repeat", _count), ("workers", "jobs", _count), ("one solve [s]", "solve_wall_s", _sec),
                ("study [s]", "study_wall_s", _sec), ("ratio", "ratio", _times), ("goal", "goal_ratio", _times),
                ("goal [s]", "goal_s", _sec), ("samples/s", "samples_per_s", _sec),
                ("not HiGHS", "outside_highs_share", share), ("", "status", name), ("load", "load_1min", _sec)]
        for label, _k, _f in cols:
            _column(t, label, right=label not in ("instance", "study", "case", ""))
        for r in rows:
            t.add_row(*[f(r.get(k)) if r.get(k) is not None else "–" for _l, k, f in cols])
        self.table(t)

    def alternatives_summary(self, res: Any, output: str | None = None) -> None:
        """`planner alternatives`: one line per plan found (cost above the optimum, U.S.-made share, PFE share,
        public cost, states, builds), then the must-haves of each slack."""
        found = res.found()
        if self.verbosity < 0:
            self._say(self.out, f"{plural(len(found), 'plan')} found" + (f"; written to {name(output)}" if output else ""),
                      soft_wrap=True)
            return
        t = _table(f"Plans within {', '.join(f'{s * 100:g}%' for s in res.slacks)} of the least cost "
                   f"({name(res.instance)}, case {name(res.case)})")
        for col in ("plan", "cost", "above", "U.S.-made", "PFE", "public cost", "states", "builds"):
            _column(t, col, right=col in ("cost", "above", "U.S.-made", "PFE", "public cost", "states"))
        for a in res.alternatives:
            if not a.done:
                t.add_row(name(a.key), f"[red]{a.state}[/red]", "", "", "", "", "", name(_cut(a.error or "", 120)))
                continue
            k = a.kpis
            above = res.pct_above(a)
            builds = "same as " + a.same_as if a.same_as else ", ".join(sorted(a.built)) or "none"
            t.add_row(name(a.key), money(a.cost_usd), share(above) if above is not None else "",
                      share(k.get("us_made_share")), share(k.get("pfe_supply_share")), money(k.get("public_cost_usd")),
                      _count(k.get("states")), name(builds))
        self.table(t)
        rows = res.commitments()
        for s in res.slacks:
            sub = rows[rows["slack_share"] == s]
            if sub.empty:
                continue
            must = sub.loc[sub["verdict"] == "must-have", "project"].tolist()
            some = sub.loc[sub["verdict"] == "interchangeable", "project"].tolist()
            self._say(self.out, f"within {s * 100:g}%: must-have {name(', '.join(must)) or 'none'}; interchangeable "
                      f"{name(', '.join(some)) or 'none'} ({plural(int(sub['plans'].iloc[0]), 'plan')} found)",
                      soft_wrap=True)
        if output:
            self.success(f"alternatives written to [bold]{name(output)}[/bold]")

    @contextlib.contextmanager
    def sample_progress(self, title: str, total: int) -> Iterator[Any]:
        """`planner risk`: samples done, samples per second and the running estimate of the headline
        probability (with its standard error); yields the callback `planner.explore.risk.run_risk` calls."""
        import time

        t0 = time.perf_counter()
        state: dict[str, Any] = {"n": 0, "p": None, "key": None}

        def line() -> str:
            n = state["n"]
            rate = n / max(time.perf_counter() - t0, 1e-9)
            text = f"{name(title)}: {n:,} of {total:,} samples, {rate:.1f} per second"
            if state["p"] is not None:
                p = state["p"]
                se = math.sqrt(p * (1 - p) / n) if n else 0.0
                g, y = state["key"]
                text += f"; P({name(g)} target met in {y}) ≈ {100 * p:.1f}% ± {100 * se:.1f}%"
            return text + " (Ctrl-C keeps the samples done)"

        status = self.out.status(line()) if self.verbosity >= 0 and self.out.is_terminal else None
        last = [0.0]

        def on_sample(res: Any) -> None:
            state["n"] = res.n
            key = res.headline()
            if key is not None:
                state["key"], state["p"] = key, res.p(key)
            now = time.perf_counter()
            if status is not None and now - last[0] > 0.1:
                status.update(line())
                last[0] = now
            elif status is None and self.verbosity >= 0 and (res.n % max(1, total // 10) == 0 or res.n == total):
                self._say(self.out, "  " + line(), soft_wrap=True)

        try:
            if status is not None:
                with status:
                    yield on_sample
            else:
                yield on_sample
        finally:
            if self.verbosity >= 0:
                self._say(self.out, line().replace(" (Ctrl-C keeps the samples done)", ""), soft_wrap=True)

    def risk_summary(self, res: Any, output: str | None = None) -> None:
        """`planner risk`: P(target met) by group and year, the earliest likely year, the sample count."""
        if self.verbosity < 0:
            self._say(self.out, f"{res.n:,} samples" + (f"; written to {name(output)}" if output else ""),
                      soft_wrap=True)
            return
        tp = res.target_probabilities()
        if tp.empty:
            self.info(f"The case {name(res.case)} sets no localization target: only qualification and cost figures.")
        else:
            t = _table(f"P(localization target met), {res.n:,} samples (seed {res.seed}); plan: {name(res.plan_source)}")
            for col in ("group", "year", "target", "P(met)", "± s.e.", "without delays", "expected shortfall"):
                _column(t, col, right=col not in ("group",))
            for r in tp.itertuples():
                t.add_row(name(r.group), str(r.year), share(r.target_share), share(r.p_met_share),
                          share(r.standard_error_share), "met" if r.met_without_delays else "missed",
                          tonnes(r.expected_shortfall_t))
            self.table(t)
            for r in res.earliest_likely().itertuples():
                y, d = _year(r.earliest_year_p80), _year(r.earliest_year_without_delays)
                self._say(self.out, f"{name(r.group)}: " + (f"target met with probability ≥ 80% from {y} on" if y
                          else "target not met with probability ≥ 80% in every year to the horizon's end")
                          + (f" (without delays: from {d})" if d else " (without delays: not met every year)"),
                          soft_wrap=True)
        if res.failed:
            self.warn(f"{len(res.failed)} samples failed and are left out: "
                      f"{name(_cut(next(iter(res.failed.values())), 200))}")
        if output:
            self.success(f"schedule risk written to [bold]{name(output)}[/bold]")

    def comparison_summary(self, cmp: Any, output: str | None = None) -> None:
        """KPIs side by side, failed cases with their reasons and, if computed, the regret table."""
        if self.verbosity < 0:
            self._say(self.out, f"{plural(len(cmp.solved), 'case')} solved, {len(cmp.failed)} failed"
                      + (f"; comparison written to {name(output)}" if output else ""), soft_wrap=True)
            return
        solved = cmp.solved
        rows = [
            ("total cost", "total_cost_usd", money), ("cost to industry", "cost_to_industry_usd", money),
            ("resource cost", "resource_cost_usd", money), ("public cost of credits", "public_cost_usd", money),
            ("tariff revenue", "tariff_revenue_usd", money), ("net fiscal cost", "net_fiscal_cost_usd", money),
            ("penalties (apart)", "penalties_usd", money), ("sunk capex (apart)", "sunk_capex_usd", money),
            ("capex of new builds", "capex_committed_usd", money), ("plants built", "plants_built", _count),
            ("unmet demand", "unmet_demand_t", tonnes),
            (kpi_label("cost_difference_usd_per_kwh", base=shown(cmp.base)), "cost_difference_usd_per_kwh",
             _per_kwh),
        ]

        def headline(k: str) -> bool:  # localized shares every fifth year and at the end; FEOC shares; the four
            if k.startswith("feoc_import_share_") or k.startswith("idle_capacity_t_"):  # definitions by tonnes
                return True
            if k.startswith("localized_") and "_tonnes_" in k:
                return True
            if not k.startswith("localized_share_"):
                return False
            year = int(k.rsplit("_", 1)[1])
            return year % 5 == 0 or year == last_year

        years = [int(k.rsplit("_", 1)[1]) for k in cmp.kpis.index if k.startswith("localized_share_")]
        fmt_of = {k: (share if str(cmp.kpis.loc[k, "unit"]) == "share" else tonnes) for k in cmp.kpis.index}
        last_year = max(years) if years else 0
        rows += [(kpi_label(k), k, fmt_of[k]) for k in cmp.kpis.index if headline(k)]
        if solved:
            self._say(self.out, f"[bold]Cases compared[/bold] (base: {name(cmp.base)})")
            t = _table()
            _column(t, "")
            for c in solved:
                _column(t, name(c), right=True)
            for label, key, fmt in rows:
                if key in cmp.kpis.index:
                    t.add_row(name(label), *[fmt(cmp.kpis.loc[key, c]) for c in solved])
            self.table(t)
        for c in cmp.failed:
            self._say(self.out, f"[red]case {name(c)} has no plan:[/red] {name(cmp.runs[c].error)}", soft_wrap=True)
        if cmp.regret is not None and len(cmp.regret.cost):
            reg = cmp.regret
            self._say(self.out, "[bold]Regret[/bold]: extra cost of each case's plan (builds, JVs, contracts, cancellations "
                                "and early retirements fixed) "
                                "when another case comes true, against the best plan found for that case. Penalties "
                                "count: a plan that leaves a case's demand or targets unmet pays the settings' "
                                "penalty prices there", soft_wrap=True)
            t = _table()
            _column(t, "plan of ↓ / case →")
            for b in reg.cost.columns:
                _column(t, name(b), right=True)
            _column(t, "worst case", right=True)
            money_worst = reg.max_regret_without_penalties
            if money_worst is not None:
                _column(t, "worst, no penalties", right=True)
            for a in reg.cost.index:
                best = a == reg.best_plan
                cells = [money(reg.regret.loc[a, b]) if reg.regret.loc[a, b] == reg.regret.loc[a, b] else "n/a"
                         for b in reg.cost.columns]
                worst = reg.max_regret.loc[a]
                label = f"[bold green]{name(a)} ★[/bold green]" if best else name(a)
                extra = [] if money_worst is None else [
                    money(money_worst.loc[a]) if money_worst.loc[a] == money_worst.loc[a] else "n/a"]
                t.add_row(label, *cells, money(worst) if worst == worst else "n/a", *extra)
            self.table(t)
            if reg.best_plan:
                self._say(self.out, f"Smallest worst-case regret: [bold green]{name(reg.best_plan)}[/bold green] "
                                    f"({money(reg.max_regret.loc[reg.best_plan])})")
            from planner.compare.compare import penalty_words

            said = penalty_words(reg)
            if said:
                self._say(self.out, Text(plain(said), style="yellow" if reg.penalties_drive else ""), soft_wrap=True)
        if output:
            self.success(f"comparison written to [bold]{name(output)}[/bold]")

    def hedge_summary(self, h: Any, output: str | None = None) -> None:
        """The hedge's commitments (no-regret, hedge, wait), its headline figures and every plan's costs."""
        m = h.metrics
        counts = h.commitment_counts
        if self.verbosity < 0:
            self._say(self.out, f"expected cost {money(m['expected_cost_usd'])}; "
                      + (", ".join(f"{v} {k}" for k, v in counts.items()) or "nothing committed")
                      + (f"; written to {name(output)}" if output else ""), soft_wrap=True)
            return
        self._say(self.out, f"[bold]Commitments up to {h.commit_until}[/bold] ({name(m['objective'])})")
        t = _table()
        for col in ("label", "decision", "item", "year", "units", "own optima committing it"):
            _column(t, col, right=col in ("year", "units"))
        style = {"no-regret": "green", "hedge": "cyan", "wait": "yellow"}
        for r in h.commitments.itertuples():
            st = style.get(r.label, "")
            t.add_row(f"[{st}]{r.label}[/{st}]", name(r.decision), name(r.item),
                      "" if r.year != r.year or r.year is None else str(int(r.year)),
                      "" if r.units != r.units or r.units is None else str(int(r.units)),
                      name(r.scenarios_committing or "none"))
        if len(h.commitments):
            self.table(t)
        else:
            self._say(self.out, "  nothing is committed before the commitment year in any plan")
        alpha_key = next(k for k in m if k.startswith("cvar_"))
        self._say(self.out, f"Expected cost of the hedge [bold]{money(m['expected_cost_usd'])}[/bold]; "
                            f"CVaR {alpha_key.split('_')[1]} {money(m[alpha_key])}; worst regret "
                            f"{money(m['worst_regret_usd'])}; EVPI {money(m['evpi_usd'])}; VSS {money(m['vss_usd'])} "
                            f"(against the plan of {name(m['ev_scenario'])}, the most probable scenario)",
                  soft_wrap=True)
        t = _table()
        _column(t, "plan ↓ / scenario →")
        names = h.scenarios["scenario"].tolist()
        for n in names:
            _column(t, name(n), right=True)
        _column(t, "expected", right=True)
        _column(t, "worst regret", right=True)
        for p in h.plans.itertuples():
            sub = h.costs[h.costs["plan"] == p.plan].set_index("scenario")
            cells = [money(sub.at[n, "cost_usd"]) if sub.at[n, "cost_usd"] == sub.at[n, "cost_usd"] else "n/a"
                     for n in names]
            label = f"[bold]{name(p.plan)}[/bold]" if p.plan == "hedge" else name(p.plan)
            t.add_row(label, *cells, money(p.expected_cost_usd) if p.expected_cost_usd == p.expected_cost_usd else "n/a",
                      money(p.worst_regret_usd) if p.worst_regret_usd == p.worst_regret_usd else "n/a")
        self.table(t)
        for note in h.notes:
            self.info(note)
        if output:
            self.success(f"hedge written to [bold]{name(output)}[/bold]")

    def decomposed_summary(self, d: Any, commit_until: int) -> None:
        """`planner hedge --decompose`: the bounds of progressive hedging and the best plan's commitments."""
        gap = "–" if d.gap is None else f"{d.gap:.2%}"
        self._say(self.out, f"Progressive hedging over {d.scenarios} scenarios on {d.ranks} ranks, {d.iterations} "
                            f"iterations: best plan found (inner bound) [bold]{money(d.inner_bound_usd)}[/bold], lower "
                            f"bound (outer) {money(d.outer_bound_usd)}, gap {gap}", soft_wrap=True)
        taken = [(var, k) for var, vals in d.first_stage.items() for k, x in vals.items() if x > 0.5]
        if not taken:
            self._say(self.out, f"Commitments up to {commit_until}: none")
            return
        t = _table(f"Commitments up to {commit_until} (best plan found)")
        for col in ("decision", "item", "year", "units"):
            _column(t, col, right=col in ("year", "units"))
        words = {"v_units": "build", "b_build": "build", "b_sign": "sign", "b_cancel": "cancel",
                 "b_retire": "retire early"}
        for var, k in taken:
            if var == "b_build":
                continue  # shown by its units
            item, year = (k[0], str(k[1])) if isinstance(k, tuple) else (k, "")
            units = str(int(d.first_stage[var][k])) if var == "v_units" else ""
            t.add_row(words[var], name(item), year, units)
        self.table(t)


def live_line(label: str, p: Any) -> str:
    """The live line while HiGHS runs: elapsed time, best plan, bound and gap (planner.solve.highs.Progress).

    The gap is rounded up (`gap_text`): it never shows the target gap before HiGHS has reached it."""
    parts = [label, f"{p.elapsed:,.1f} s"]
    if p.objective is not None:
        parts.append(f"best plan {money(p.objective * _MONEY_UNIT)}")
    if p.bound is not None:
        parts.append(f"bound {money(p.bound * _MONEY_UNIT)}")
    if p.gap is not None and p.objective is not None:
        parts.append(f"gap {gap_text(p.gap)}")
    return " · ".join(parts)


def _ordered(selected: list[Issue], every: list[Issue]) -> list[Issue]:
    """`selected` in reading order: sheets as first met in `every`, then row, then column."""
    sheets = {s: k for k, s in enumerate(dict.fromkeys(i.sheet for i in every))}

    def key(i: Issue) -> tuple[int, int, int, str]:
        col = i.column or ""
        return sheets.get(i.sheet, len(sheets)), i.row if i.row is not None else 0, len(col), col

    return sorted(selected, key=key)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _sec(x: Any) -> str:
    return "–" if x is None else f"{x:,.2f}"


def _times(x: Any) -> str:
    return "–" if x is None else f"{x:,.1f}×"


def _year(x: Any) -> int | None:
    try:
        return None if x is None or x != x else int(x)  # NaN and pandas' NA are blank
    except (TypeError, ValueError):
        return None


def _count(x: Any) -> str:
    return "–" if x is None else f"{int(x):,}"


def _per_kwh(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"${x:,.4f}/kWh"
