"""All terminal output of the planner goes through this module (hatch's Terminal idea)."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from planner.errors import Issue

_MONEY_UNIT = 1e6  # the terminal shows money in $M


def money(x: float | None) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"${x / _MONEY_UNIT:,.1f}M"


def tonnes(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x / 1000:,.1f} kt" if abs(x) >= 10_000 else f"{x:,.0f} t"


def share(x: float | None) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}%"


class Terminal:
    """One rich console for results (stdout) and one for problems (stderr), filtered by verbosity."""

    def __init__(self, verbosity: int = 0, *, width: int | None = None):
        self.verbosity = verbosity  # -1 quiet, 0 normal, 1 verbose
        self.out = Console(highlight=False, width=width)
        self.err = Console(stderr=True, highlight=False, width=width)
        for c in (self.out, self.err):
            if width is None and not c.is_terminal:  # logs and pipes: wide enough for the tables
                c.width = 120

    # ---------------------------------------------------------------- plain messages
    def info(self, message: str) -> None:
        if self.verbosity >= 0:
            self.out.print(message)

    def success(self, message: str) -> None:
        if self.verbosity >= 0:
            self.out.print(f"[green]✓[/green] {message}")

    def warn(self, message: str) -> None:
        self.err.print(Text.from_markup("[yellow]warning:[/yellow] ") + Text(message), soft_wrap=True)

    def error(self, message: str) -> None:
        self.err.print(Text.from_markup("[bold red]error:[/bold red] ") + Text(message), soft_wrap=True)

    def issues(self, issues: list[Issue], *, show_warnings: bool = True) -> None:
        """Every problem of a workbook, errors first, one line each: file, sheet, row, column, words."""
        errors = [i for i in issues if i.severity == "error"]
        warnings = [i for i in issues if i.severity == "warning"] if show_warnings else []
        if errors:
            console = self.err
            head = f"[bold red]{len(errors)} error(s)[/bold red]" + (
                f" and {len(warnings)} warning(s)" if warnings else "")
        elif warnings and self.verbosity >= 0:
            console = self.out
            head = f"[yellow]{len(warnings)} warning(s)[/yellow]"
        else:
            return
        console.print(f"{head} in {escape((errors or warnings)[0].file)}:")
        sheets = {s: k for k, s in enumerate(dict.fromkeys(i.sheet for i in issues))}

        def reading_order(i: Issue) -> tuple[int, int, int, str]:  # sheets as first met, then row, column
            col = i.column or ""
            return sheets[i.sheet], i.row if i.row is not None else 0, len(col), col

        for i in sorted(errors, key=reading_order) + sorted(warnings, key=reading_order):
            tag = "[bold red]error[/bold red]" if i.severity == "error" else "[yellow]warning[/yellow]"
            where = i.location.split(", ", 1)[1] if ", " in i.location else ""
            line = Text.from_markup(f"  {tag} ")
            line.append(f"{where}: " if where else "")
            line.append(i.message)
            console.print(line, soft_wrap=True)

    # ---------------------------------------------------------------- live solve line
    @contextlib.contextmanager
    def solving(self, label: str) -> Iterator[Any]:
        """A live status line while HiGHS runs; yields a function taking planner.solve.highs.Progress."""
        if self.verbosity != 0:
            yield lambda _p: None
            return
        label = escape(label)
        with self.out.status(f"{label} …", spinner="dots") as status:
            def update(p: Any) -> None:
                parts = [f"{label}", f"{p.elapsed:,.1f} s"]
                if p.objective is not None:
                    parts.append(f"best plan {money(p.objective * _MONEY_UNIT)}")
                if p.bound is not None:
                    parts.append(f"bound {money(p.bound * _MONEY_UNIT)}")
                if p.gap is not None:
                    parts.append(f"gap {100 * p.gap:.2f}%")
                status.update(" · ".join(parts))

            yield update

    # ---------------------------------------------------------------- renderers
    def instance_summary(self, s: dict[str, Any]) -> None:
        table = Table(show_header=False, box=None, pad_edge=False)
        table.add_column(style="bold")
        table.add_column()
        table.add_row("title", escape(str(s["title"])))
        table.add_row("horizon", f"{s['horizon']} ({s['years']} years), discount rate {100 * s['discount_rate']:.1f}%")
        table.add_row("regions", f"{s['regions']} ({s['domestic_regions']} domestic)")
        table.add_row("commodities", str(s["commodities"]))
        table.add_row("projects", ", ".join(f"{n} {k}" for k, n in s["projects"].items()) or "none")
        table.add_row("joint-venture variants", str(s["joint_ventures"]))
        table.add_row("import contracts", str(s["contracts"]))
        table.add_row("transport links", str(s["transport_links"]))
        table.add_row("demand", ", ".join(f"{k} {tonnes(v)}" for k, v in s["demand_t"].items()) + " over the horizon")
        table.add_row("policy cases", escape(", ".join(s["cases"])))
        self.out.print(table)

    def solution_summary(self, sol: Any, output: str | None = None) -> None:
        """Status, objective, bound, gap, time, plants built and localization against targets."""
        st = sol.status
        ok = st["has_solution"]
        style = "green" if st["proven_optimal"] else ("yellow" if ok else "red")
        if self.verbosity < 0:  # quiet: one result line
            line = f"[{style}]{st['status']}[/{style}]"
            if ok:
                line += f", total cost {money(st['objective_usd'])}"
            self.out.print(line + (f"; results written to {output}" if output else ""))
            return
        head = Table(show_header=False, box=None, pad_edge=False)
        head.add_column(style="bold")
        head.add_column()
        head.add_row("instance", f"{escape(str(sol.run_info['instance']))}  "
                                 f"[dim]({escape(str(sol.run_info['instance_path']))})[/dim]")
        made = []
        if sol.run_info.get("case_extends"):
            made.append("extends " + escape(" -> ".join(sol.run_info["case_extends"])))
        if sol.run_info.get("case_overrides"):
            made.append(f"{len(sol.run_info['case_overrides'])} override(s) of the data, listed in run_info")
        head.add_row("case", escape(sol.case) + ("  [dim](hard targets)[/dim]" if st["hard_targets"] else "")
                     + (f"  [dim]({'; '.join(made)})[/dim]" if made else ""))
        head.add_row("status", f"[{style}]{st['status']}[/{style}]")
        if ok:
            head.add_row("total cost", f"{money(st['objective_usd'])}  [dim](discounted, net of credits, with penalties)[/dim]")
            head.add_row("bound", money(st["bound_usd"]))
            head.add_row("gap", share(st["gap"]))
            k = {r.kpi: r.value for r in sol.kpis.itertuples()}
            head.add_row("cost to industry", money(k.get("cost_to_industry_usd")))
            head.add_row("public cost of credits", money(k.get("public_cost_usd")))
            if k.get("penalties_usd"):
                head.add_row("penalties", f"[yellow]{money(k.get('penalties_usd'))}[/yellow]")
            head.add_row("capex of new builds", money(k.get("capex_committed_usd")))
        head.add_row("time", f"{st['wall_time_s']:.2f} s (HiGHS {st['highs_time_s']:.2f} s), "
                             f"{st['variables']:,} variables ({st['integer_variables']:,} integer), "
                             f"{st['constraints']:,} rows")
        self.out.print(head)
        for m in sol.messages:
            self.out.print(Text(m, style="yellow"), soft_wrap=True)
        if not ok:
            return

        built = sol.builds[sol.builds["decision"] == "build"]
        if self.verbosity >= 0:
            self.out.print(f"[bold]New plants[/bold] ({built['project'].nunique()} project(s), "
                           f"{int(built['units'].sum())} unit(s); one row per start year)")
            t = Table(header_style="bold")
            for col in ("project", "name", "site", "product", "units", "start", "online", "qualified", "capacity",
                        "capex"):
                t.add_column(col, justify="right" if col in ("units", "start", "online", "qualified", "capacity",
                                                             "capex") else "left")
            for r in built.itertuples():
                t.add_row(escape(r.project), escape(r.name), escape(r.site), escape(r.commodity), str(r.units), str(r.start_year), str(r.online_year),
                          str(r.qualified_year), tonnes(r.capacity_t) + "/yr", money(r.capex_usd))
            if len(built) == 0:
                t.add_row("–", "no new plant", "", "", "", "", "", "", "", "")
            self.out.print(t)
            signed = sol.imports[sol.imports["signed"]].groupby(["contract", "origin", "commodity"], as_index=False)[
                "tonnes"].sum() if not sol.imports.empty else None
            if signed is not None and len(signed):
                self.out.print("[bold]Import contracts used[/bold]")
                t = Table(header_style="bold")
                for col in ("contract", "origin", "product", "total over horizon"):
                    t.add_column(col, justify="right" if col.startswith("total") else "left")
                for r in signed.itertuples():
                    t.add_row(escape(r.contract), escape(r.origin), escape(r.commodity), tonnes(r.tonnes))
                self.out.print(t)
            self._localization(sol)
            if not sol.unmet.empty:
                total = sol.unmet["tonnes"].sum()
                self.out.print(f"[yellow]Unmet demand: {tonnes(total)} over the horizon — see sheet 'unmet'.[/yellow]")
        if output:
            self.success(f"results written to [bold]{escape(output)}[/bold]")

    def _localization(self, sol: Any) -> None:
        loc = sol.localization
        if loc.empty:
            return
        targeted = loc[loc["target_share"] > 0]
        years = sorted(set(targeted["year"])) if not targeted.empty else []
        all_years = sorted(set(loc["year"]))
        # show every target year, plus the last year and every fifth year
        show = sorted(set(years) | {all_years[-1]} | {y for y in all_years if y % 5 == 0})
        self.out.print("[bold]Localization[/bold]: qualifying share of demand, (target) where one is set")
        t = Table(header_style="bold")
        t.add_column("group")
        for y in show:
            t.add_column(str(y), justify="right")
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
            t.add_row(escape(str(g)), *cells)
        self.out.print(t)

    # ---------------------------------------------------------------- comparisons
    @contextlib.contextmanager
    def case_progress(self, title: str) -> Iterator[Any]:
        """A live table of cases (queued / solving / done / failed, time, gap); yields the event callback."""
        import time

        from rich.live import Live

        rows: dict[str, dict[str, Any]] = {}
        started: dict[str, float] = {}

        def table() -> Table:
            t = Table(title=escape(title), title_justify="left", header_style="bold")
            for col in ("case", "state", "time", "gap", "total cost", "note"):
                t.add_column(col, justify="right" if col in ("time", "gap", "total cost") else "left")
            for key, r in rows.items():
                state = r["state"]
                style = {"done": "green", "failed": "red", "solving": "cyan"}.get(state, "dim")
                secs = r.get("seconds")
                if secs is None and key in started and state == "solving":
                    secs = time.perf_counter() - started[key]
                t.add_row(escape(key), f"[{style}]{state}[/{style}]", "" if secs is None else f"{secs:.1f} s",
                          share(r.get("gap")) if r.get("gap") is not None else "",
                          money(r.get("objective")) if r.get("objective") is not None else "",
                          escape((r.get("error") or "")[:80]))
            return t

        def event(key: str, state: str, details: dict[str, Any]) -> None:
            rows.setdefault(key, {}).update(details, state=state)
            if state == "solving":
                started.setdefault(key, time.perf_counter())
            if not live_on and self.verbosity >= 0 and state in ("done", "failed"):
                r = rows[key]
                note = f" — {r['error']}" if r.get("error") else ""
                self.out.print(f"  {escape(key)}: {state} in {r.get('seconds', 0):.1f} s{escape(note)}", soft_wrap=True)

        live_on = self.verbosity == 0 and self.out.is_terminal
        if live_on:
            with Live(table(), console=self.out, refresh_per_second=4, get_renderable=table):
                yield event
        else:
            yield event
            if self.verbosity >= 0:
                self.out.print(table())

    def findings(self, expl: Any, output: str | None = None) -> None:
        """The top findings of an explanation, in plain words."""
        if self.verbosity < 0:
            self.out.print(f"{len(expl.findings)} findings" + (f"; written to {output}" if output else ""))
            return
        self.out.print(f"[bold]Why this plan[/bold] ({escape(expl.instance)}, case {escape(expl.case)})")
        for i, f in enumerate(expl.findings, start=1):
            self.out.print(f"{i:>2}. {escape(f)}", soft_wrap=True)
        for what, why in expl.failures.items():
            self.warn(f"re-solve '{what}' failed: {why}")
        if output:
            self.success(f"plan and explanation written to [bold]{escape(output)}[/bold]")

    def bench_row(self, r: dict[str, Any]) -> None:
        self.info(f"  {escape(str(r['instance']))}: {escape(str(r.get('status', '')))}, wall {_sec(r.get('wall_s'))} s, "
                  f"HiGHS {_sec(r.get('highs_s'))} s")

    def bench_table(self, rows: list[dict[str, Any]]) -> None:
        t = Table(title="Time per phase in s (medians), peak memory in MB", title_justify="left", header_style="bold")
        cols = [("instance", "instance", str), ("vars", "vars", _count), ("rows", "rows", _count),
                ("read+validate", "read_validate_s", _sec), ("build", "build_s", _sec),
                ("hand-over", "handover_s", _sec), ("HiGHS", "highs_s", _sec), ("duals", "duals_s", _sec),
                ("extract", "extract_s", _sec), ("export", "export_s", _sec), ("wall", "wall_s", _sec),
                ("not HiGHS", "non_highs_share", share), ("µs/var", "build_handover_us_per_var", _sec),
                ("peak MB", "peak_rss_mb", _count), ("MPS: HiGHS", "mps_highs_s", _sec),
                ("MPS MB", "mps_peak_rss_mb", _count), ("MB ratio", "rss_ratio", _sec)]
        for label, _k, _f in cols:
            t.add_column(label, justify="left" if label == "instance" else "right")
        for r in rows:
            t.add_row(*[f(r.get(k)) if r.get(k) is not None else "–" for _l, k, f in cols])
        self.out.print(t, width=max(self.out.width, 190), crop=False)

    def comparison_summary(self, cmp: Any, output: str | None = None) -> None:
        """KPIs side by side, failed cases with their reasons and, if computed, the regret table."""
        if self.verbosity < 0:
            self.out.print(f"{len(cmp.solved)} case(s) solved, {len(cmp.failed)} failed"
                           + (f"; comparison written to {output}" if output else ""))
            return
        solved = cmp.solved
        rows = [
            ("total cost", "total_cost_usd", money), ("cost to industry", "cost_to_industry_usd", money),
            ("public cost of credits", "public_cost_usd", money), ("penalties", "penalties_usd", money),
            ("capex of new builds", "capex_committed_usd", money), ("plants built", "plants_built", _count),
            ("unmet demand", "unmet_demand_t", tonnes),
            (f"cost of localization vs {cmp.base}", "localization_cost_usd_per_kwh", _per_kwh),
        ]
        def headline(k: str) -> bool:  # localized shares every fifth year and at the end; FEOC shares
            if k.startswith("feoc_import_share_"):
                return True
            if not k.startswith("localized_share_"):
                return False
            year = int(k.rsplit("_", 1)[1])
            return year % 5 == 0 or year == last_year

        years = [int(k.rsplit("_", 1)[1]) for k in cmp.kpis.index if k.startswith("localized_share_")]
        last_year = max(years) if years else 0
        rows += [(k.replace("_", " ").replace("localized share", "localized"), k, share)
                 for k in cmp.kpis.index if headline(k)]
        if solved:
            self.out.print(f"[bold]Cases compared[/bold] (base: {escape(cmp.base)})")
            t = Table(header_style="bold")
            t.add_column("")
            for c in solved:
                t.add_column(escape(c), justify="right")
            for label, key, fmt in rows:
                if key in cmp.kpis.index:
                    t.add_row(escape(label), *[fmt(cmp.kpis.loc[key, c]) for c in solved])
            self.out.print(t)
        for c in cmp.failed:
            self.out.print(f"[red]case {escape(c)} failed:[/red] {escape(str(cmp.runs[c].error))}", soft_wrap=True)
        if cmp.regret is not None and len(cmp.regret.cost):
            reg = cmp.regret
            self.out.print("[bold]Regret[/bold]: extra cost of each case's plan (builds, JVs, contracts fixed) "
                           "when another case comes true, against the best plan found for that case. Penalties "
                           "count: a plan that leaves a case's demand or targets unmet pays the settings' penalty "
                           "prices there")
            t = Table(header_style="bold")
            t.add_column("plan of ↓ / case →")
            for b in reg.cost.columns:
                t.add_column(escape(str(b)), justify="right")
            t.add_column("worst case", justify="right")
            for a in reg.cost.index:
                best = a == reg.best_plan
                cells = [money(reg.regret.loc[a, b]) if reg.regret.loc[a, b] == reg.regret.loc[a, b] else "n/a"
                         for b in reg.cost.columns]
                worst = reg.max_regret.loc[a]
                label = f"[bold green]{escape(str(a))} ★[/bold green]" if best else escape(str(a))
                t.add_row(label, *cells, money(worst) if worst == worst else "n/a")
            self.out.print(t)
            if reg.best_plan:
                self.out.print(f"Smallest worst-case regret: [bold green]{escape(reg.best_plan)}[/bold green] "
                               f"({money(reg.max_regret.loc[reg.best_plan])})")
        if output:
            self.success(f"comparison written to [bold]{escape(output)}[/bold]")


def _sec(x: Any) -> str:
    return "–" if x is None else f"{x:,.2f}"


def _count(x: Any) -> str:
    return "–" if x is None else f"{int(x):,}"


def _per_kwh(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"${x:,.4f}/kWh"
