"""What the commands write and print: warnings, names, overwrites, file names, full disks, widths, labels.

Every test runs the real command line on real workbooks (the tiny instance, solved by HiGHS); tests that
need a full disk mount a small tmpfs (the tests run as root here and in CI) and fill it.
"""

from __future__ import annotations

import csv
import errno
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from factories import tiny_tables
from planner import resources
from planner.cli.app import app
from planner.export.instance_xlsx import write_instance
from planner.solve.presets import merge_options

TINY = resources.data_dir("instances") / "tiny.xlsx"
runner = CliRunner()


def run(*args: Any, cwd: Path | None = None) -> Any:
    if cwd is not None:
        old = Path.cwd()
        os.chdir(cwd)
        try:
            return runner.invoke(app, [str(a) for a in args])
        finally:
            os.chdir(old)
    return runner.invoke(app, [str(a) for a in args])


def text(result: Any) -> str:
    return " ".join(result.output.split())


def planner(*args: Any, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    """The real `planner` program in a fresh process, output piped (bytes)."""
    return subprocess.run([sys.executable, "-m", "planner", *map(os.fsdecode, args)], capture_output=True,
                          cwd=cwd, env={**os.environ, **(env or {})}, timeout=timeout)


def a_foreign_workbook(path: Path) -> bytes:
    wb = Workbook()
    wb.active["A1"] = "a person's own workbook"
    wb.save(path)
    return path.read_bytes()


# ------------------------------------------------------------------------------------------ warnings
def test_solve_and_info_print_the_warnings_themselves(tmp_path: Path) -> None:
    t = tiny_tables()
    for r in t["commodities"]:
        r.update({f"remark {k}": "x" for k in range(1, 13)})  # 12 extra columns: 12 warnings
    path = write_instance(t, tmp_path / "warn.xlsx")
    for args in (("solve", path, "-c", "base", "-o", tmp_path / "out.xlsx"), ("info", path)):
        r = run(*args)
        assert r.exit_code == 0, text(r)
        t_ = text(r)
        assert "12 warnings in" in t_
        for k in range(1, 11):  # the first ten, in reading order
            assert f"column 'remark {k}' is not part of this sheet and is ignored" in t_, (args[0], k)
        assert "'remark 11'" not in t_ and "'remark 12'" not in t_
        assert f"2 more; `planner validate {path}` lists them all" in t_


# ------------------------------------------------------------------------------------------ bench
def test_bench_on_a_broken_workbook_exits_1_with_its_problems(tmp_path: Path) -> None:
    t = tiny_tables()
    t["contracts"][0]["price"] = "cheap"
    path = write_instance(t, tmp_path / "broken.xlsx")
    r = run("bench", path, "-o", tmp_path / "bench.csv")
    assert r.exit_code == 1, text(r)
    assert "sheet 'contracts', row 2, column" in text(r) and "must be a number" in text(r)
    assert not (tmp_path / "bench.csv").exists()


INJECTIONS = ('=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)")


def test_bench_rounding_choice_is_recorded_and_checked(tmp_path: Path) -> None:
    out = tmp_path / "bench.csv"
    r = run("bench", TINY, "--rounding", "all", "-o", out)
    assert r.exit_code == 0, text(r)
    rows = list(csv.DictReader(out.open(newline="")))
    assert [row["rounding"] for row in rows] == ["all"] and rows[0]["status"] == "optimal"
    r = run("bench", TINY, "--rounding", "most", "-o", tmp_path / "other.csv")
    assert r.exit_code == 2 and "--rounding must be one of sole, all, off, not 'most'" in text(r), text(r)
    assert not (tmp_path / "other.csv").exists()


def test_bench_csv_and_workbooks_keep_formula_text_as_text(tmp_path: Path) -> None:
    t = tiny_tables()
    for r in t["policy"]:
        r["+cmd|' /C calc'!A0"] = r.pop("base")
    t["projects"][1]["name"] = "-2+3"
    t["projects"][2]["name"] = "@SUM(1+1)"
    path = write_instance(t, tmp_path / '=HYPERLINK("evil","y").xlsx')
    out = tmp_path / "bench.csv"
    r = run("bench", path, "--case", "+cmd|' /C calc'!A0", "-o", out)
    assert r.exit_code == 0, text(r)
    rows = list(csv.DictReader(out.open(newline="")))
    assert rows[0]["instance"] == "'" + path.name and rows[0]["case"] == "'+cmd|' /C calc'!A0"
    for row in rows:  # no text cell of the CSV starts like a formula
        assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in row.values()), row
    # the same rule in a workbook: stored as text, and marked as text the way a leading apostrophe marks it
    res = tmp_path / "r.xlsx"
    assert run("solve", path, "-c", "+cmd|' /C calc'!A0", "-o", res).exit_code == 0
    ws = load_workbook(res)["builds"]
    names = {c.value: c for row in ws.iter_rows(min_row=5) for c in row if c.value in INJECTIONS}
    assert set(names) == {"-2+3", "@SUM(1+1)"}
    assert all(c.data_type == "s" and c.quotePrefix for c in names.values())


# ------------------------------------------------------------------------------------------ compare
@pytest.fixture(scope="module")
def with_unreachable(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tiny.xlsx plus a case whose 100% AAM target in 2027 is out of reach (no plan with hard targets)."""
    t = tiny_tables()
    for row in t["policy"]:
        row["unreachable"] = row.get("localize")
    t["policy"].append({"parameter": "localization_target", "year": 2027, "commodity": "AAM", "unreachable": 1.0})
    return write_instance(t, tmp_path_factory.mktemp("unreachable") / "u.xlsx")


def test_compare_with_a_case_without_plan_writes_it_as_failed_and_says_so(with_unreachable: Path,
                                                                           tmp_path: Path) -> None:
    out = tmp_path / "cmp.xlsx"
    r = run("compare", with_unreachable, "--cases", "base,unreachable", "--hard-targets", "-j", "1", "-o", out)
    assert r.exit_code == 0, text(r)
    assert "1 of 2 cases have no plan (unreachable)" in text(r)
    wb = load_workbook(out)
    assert "unreachable" in wb["summary"]["A2"].value and "no plan" in wb["summary"]["A2"].value
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp.xlsx", "u-base-results.xlsx"]


def test_compare_without_any_plan_exits_3_and_writes_nothing(with_unreachable: Path, tmp_path: Path) -> None:
    r = run("compare", with_unreachable, "--cases", "unreachable", "--hard-targets", "-j", "1",
            "-o", tmp_path / "cmp.xlsx")
    assert r.exit_code == 3, text(r)
    assert "no case has a plan" in text(r) and "Nothing was written" in text(r)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def look_alike(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tiny.xlsx with its cases renamed 'a b', 'a_b' and 'a/b': the same once made safe for a file name."""
    t = tiny_tables()
    for r in t["policy"]:
        v = r.pop("base")
        r.pop("localize")
        r["a b"], r["a_b"], r["a/b"] = v, v, v
    return write_instance(t, tmp_path_factory.mktemp("alike") / "names.xlsx")


def _links(path: Path) -> dict[str, Path]:
    """case -> the results workbook the comparison's summary links to."""
    ws = load_workbook(path)["summary"]
    out = {}
    for row in ws.iter_rows():
        for c in row:
            if c.hyperlink is not None and str(c.value).endswith("-results.xlsx"):
                out[ws.cell(c.row, 1).value] = path.parent / c.value
    return out


def test_case_workbooks_never_overwrite_each_other_or_the_comparison(look_alike: Path, tmp_path: Path) -> None:
    out = tmp_path / "cmp.xlsx"
    r = run("compare", look_alike, "-j", "1", "-o", out)
    assert r.exit_code == 0, text(r)
    links = _links(out)
    assert set(links) == {"a b", "a_b", "a/b"} and len(set(links.values())) == 3
    assert links["a_b"].name == "names-a_b-results.xlsx"  # the name that needs no change keeps it
    for case, path in links.items():
        info = [c for row in load_workbook(path)["run_info"].iter_rows(values_only=True) for c in row]
        assert case in info, (case, path)
    # -o naming a case's workbook: the comparison goes there, the case's workbook gets another name
    again = tmp_path / "again"
    again.mkdir()
    clash = again / "names-a_b-results.xlsx"
    r = run("compare", look_alike, "-j", "1", "-o", clash)
    assert r.exit_code == 0, text(r)
    assert "deltas" in load_workbook(clash).sheetnames  # still the comparison
    links = _links(clash)
    assert clash not in links.values() and all(p.exists() for p in links.values()) and len(set(links.values())) == 3


# ------------------------------------------------------------------------------------------ names
def test_names_with_escapes_or_undecodable_bytes_are_printed_safely(tmp_path: Path) -> None:
    escape = tmp_path / "\x1b[31mred.xlsx"
    latin1 = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9.xlsx"))
    for path in (escape, latin1):
        path.write_bytes(TINY.read_bytes())
        for args in (("validate", path), ("solve", path, "-o", tmp_path / "out.xlsx", "--force"),
                     ("info", tmp_path / "missing-\x1b[2J.xlsx")):
            p = planner(*args)
            out = p.stdout + p.stderr
            assert b"\x1b" not in out, (args, out)  # no escape sequence reaches the terminal
            assert b"Traceback" not in out and b"internal error" not in out, out
            assert p.returncode == (1 if args[0] == "info" else 0), out
        shown = (p := planner("validate", path)).stdout
        assert (b"\\x1b[31mred.xlsx" if path == escape else b"caf\\xe9.xlsx") in shown, shown


# ------------------------------------------------------------------------------------------ long names
def test_a_default_name_too_long_is_shortened_and_said(tmp_path: Path) -> None:
    long = tmp_path / ("i" * 240 + ".xlsx")
    long.write_bytes(TINY.read_bytes())
    work = tmp_path / "work"
    work.mkdir()
    r = run("solve", long, "-c", "base", cwd=work)
    assert r.exit_code == 0, text(r)
    assert "shortened to" in text(r)
    [written] = list(work.iterdir())
    assert len(os.fsencode(written.name)) <= 255 and written.name.endswith("-base-results.xlsx")
    assert "File name too long" not in text(r) and "internal error" not in text(r)


def test_an_output_name_too_long_is_refused_before_solving(tmp_path: Path) -> None:
    r = run("solve", TINY, "-o", tmp_path / ("o" * 300 + ".xlsx"))
    assert r.exit_code == 2, text(r)
    assert "is 305 bytes long; the file system allows at most 255" in text(r)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------ overwrite rule
def test_only_the_planners_own_outputs_are_replaced_without_force(tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    before = a_foreign_workbook(out)
    for args in (("solve", TINY, "-o", out), ("explain", TINY, "-j", "1", "-o", out),
                 ("compare", TINY, "-j", "1", "-o", out), ("template", out), ("generate", "-o", out)):
        r = run(*args)
        assert r.exit_code == 2, (args, text(r))
        assert "was not written by the planner; use --force" in text(r)
        assert out.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]
    r = run("solve", TINY, "-o", out, "--force")
    assert r.exit_code == 0, text(r)
    first = out.read_bytes()
    r = run("solve", TINY, "-c", "localize", "-o", out)  # the planner's own results: replaced
    assert r.exit_code == 0, text(r)
    assert out.read_bytes() != first
    # compare checks each case's workbook before solving anything
    (tmp_path / "tiny-localize-results.xlsx").write_bytes(before)
    r = run("compare", TINY, "-j", "1", "-o", tmp_path / "cmp.xlsx")
    assert r.exit_code == 2 and "tiny-localize-results.xlsx exists" in text(r), text(r)
    assert not (tmp_path / "cmp.xlsx").exists() and not (tmp_path / "tiny-base-results.xlsx").exists()
    # bench replaces its own table only
    table = tmp_path / "bench.csv"
    table.write_text("a,b\n1,2\n")
    r = run("bench", TINY, "-o", table)
    assert r.exit_code == 2 and "use --force" in text(r), text(r)
    assert table.read_text() == "a,b\n1,2\n"


# ------------------------------------------------------------------------------------------ full disks
FILLER = "filler"


def _fill(folder: Path) -> None:
    """Fill the file system of `folder`, but for 8 KB: room for Python's probe of a temporary folder (so
    TMPDIR is still taken), none for a workbook (the tiny instance's results take 30 KB)."""
    with open(folder / FILLER, "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        fh.truncate(max(0, fh.tell() - 8192))


@pytest.fixture
def full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """make(name) -> a folder whose file system has no space left.

    A 64 KB tmpfs, filled: real ENOSPC from the kernel (the tests run as root here and in CI). Where
    mounting is impossible, ENOSPC is raised by the atomic writer's OS-level write for files in that
    folder (a real OSError, not a solver mock), and the commands run in this process."""
    mounted: list[Path] = []
    simulated: list[Path] = []

    def make(name: str) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
                            capture_output=True).returncode == 0
        if ok:
            mounted.append(folder)
            _fill(folder)
            return folder
        if os.environ.get("CI") and os.geteuid() == 0:
            pytest.fail("cannot mount a tmpfs as root in CI")
        simulated.append(folder)
        import planner.export.atomic as atomic

        real = os.write

        def write(fd: int, data: Any) -> int:
            if any(os.readlink(f"/proc/self/fd/{fd}").startswith(str(f)) for f in simulated):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real(fd, data)

        monkeypatch.setattr(atomic, "_os_write", write)
        return folder

    make.simulated = simulated  # type: ignore[attr-defined]
    yield make
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def _planner_in(make: Any, args: list[Any], tmpdir: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """Run the command line: a real process on real full file systems, else in this process."""
    if not make.simulated:
        p = planner(*args, env={"TMPDIR": str(tmpdir)})
        return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")
    unraisable: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))
    r = runner.invoke(app, [str(a) for a in args])
    return r.exit_code, r.output + "".join(f"Exception ignored in: {u.object}" for u in unraisable)


@pytest.mark.parametrize("command", ["solve", "explain", "compare"])
def test_a_full_disk_saves_elsewhere_in_plain_words(command: str, full: Any, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    disk = full("disk")
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    args = [command, TINY, "-o", disk / "out.xlsx", *(["-j", "1"] if command != "solve" else [])]
    code, out = _planner_in(full, args, tmpdir, monkeypatch)
    said = " ".join(out.split())
    assert code == 4, said
    assert "is full" in said and "The results were saved to" in said, said
    assert "Traceback" not in out and "Exception ignored" not in out and "internal error" not in out, out
    assert [p.name for p in disk.iterdir()] == [FILLER]  # no temporary file left behind
    [saved] = list(tmpdir.glob("planner-results-*"))
    names = sorted(p.name for p in saved.iterdir())
    assert "out.xlsx" in names
    first = ["summary"] if command == "compare" else ["decision", "summary"]  # a plan's workbooks open on the decision
    assert load_workbook(saved / "out.xlsx").sheetnames[:len(first)] == first


def test_a_full_temporary_folder_does_not_matter_and_two_full_disks_write_nothing(
        full: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tmpdir = full("tmp")
    ok = tmp_path / "ok"
    ok.mkdir()
    code, out = _planner_in(full, ["solve", TINY, "-o", ok / "out.xlsx"], tmpdir, monkeypatch)
    assert code == 0, out
    assert (ok / "out.xlsx").exists() and [p.name for p in tmpdir.iterdir()] == [FILLER]
    disk = full("disk")
    code, out = _planner_in(full, ["solve", TINY, "-o", disk / "out.xlsx"], tmpdir, monkeypatch)
    said = " ".join(out.split())
    assert code == 74, said
    assert "could not be saved in the temporary folder" in said and "so it was not written" in said, said
    assert "Traceback" not in out and "Exception ignored" not in out
    assert [p.name for p in disk.iterdir()] == [FILLER] and [p.name for p in tmpdir.iterdir()] == [FILLER]


# ------------------------------------------------------------------------------------------ widths
def test_tables_and_help_are_never_cut_when_narrow_or_piped(look_alike: Path, tmp_path: Path) -> None:
    env = {"COLUMNS": "80"}
    help_ = planner("solve", "--help", env=env).stdout.decode()
    assert "<instance>-<case>-results.xlsx" in help_ and "…" not in help_ and "..." not in help_
    top = planner("--help", env=env).stdout.decode()
    body = [line for line in top.splitlines() if not line.startswith("Usage:")]  # '[ARGS]...' is syntax
    assert not any("…" in line or "..." in line for line in body) and "bench" in top, top
    t = tiny_tables()
    long = "a_policy_case_with_a_rather_long_name_for_the_columns"
    for r in t["policy"]:
        r[long] = r.pop("localize")
    path = write_instance(t, tmp_path / "long.xlsx")
    p = planner("compare", path, "--regret", "-j", "1", "-o", tmp_path / "c.xlsx", env=env)
    out = p.stdout.decode()
    assert p.returncode == 0, out + p.stderr.decode()
    assert "…" not in out and long in out.replace("\n", "").replace(" ", "")
    # the bench table (17 columns) at 80 columns: one block per instance, every header whole
    from io import StringIO

    from rich.console import Console

    from planner.cli.console import Terminal

    term = Terminal()
    buf = StringIO()
    term.out = Console(file=buf, width=80)
    term.bench_table([{"instance": "S (default instance)", "vars": 27463, "rows": 1934, "read_validate_s": 0.3,
                       "peak_rss_mb": 210.0, "mps_highs_s": 3.1, "rss_ratio": 1.4}])
    shown = buf.getvalue()
    assert "…" not in shown and all(len(line) <= 80 for line in shown.splitlines())
    for header in ("read+validate", "hand-over", "not HiGHS", "MPS: HiGHS", "MB ratio", "S (default instance)"):
        assert header in shown, header


# ------------------------------------------------------------------------------------------ labels
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def _label_cells(wb: Any) -> list[tuple[str, str, str]]:
    """(sheet, cell, text) of every label a planner reads: header cells (shaded), the first column of the
    summary and run_info sheets, and the 'indicator', 'component' and 'step' columns."""
    out = []
    for ws in wb.worksheets:
        label_cols: set[int] = set()
        for row in ws.iter_rows():
            for c in row:
                if not isinstance(c.value, str):
                    continue
                # the header shading (its alpha byte depends on the writer: 00 from openpyxl, FF from XlsxWriter)
                header = (c.fill is not None and c.fill.fgColor is not None and isinstance(c.fill.fgColor.rgb, str)
                          and c.fill.fgColor.rgb[-6:] == "D9E1F2")
                if header and c.value in ("indicator", "component", "step", "size"):
                    label_cols.add(c.column)
                if header or c.column in label_cols or (ws.title in ("summary", "run_info") and c.column == 1):
                    out.append((ws.title, c.coordinate, c.value))
    return out


def test_labels_are_words_and_no_target_is_blank(tmp_path: Path) -> None:
    r = run("compare", TINY, "--regret", "-j", "1", "-o", tmp_path / "c.xlsx")
    assert r.exit_code == 0, text(r)
    r = run("explain", TINY, "-c", "localize", "-j", "1", "-o", tmp_path / "e.xlsx")
    assert r.exit_code == 0, text(r)
    for name in ("c.xlsx", "e.xlsx", "tiny-base-results.xlsx"):
        wb = load_workbook(tmp_path / name)
        allowed = set(wb.sheetnames) | {"cell_demand", "localization_target", "x45_rate"}  # sheet, parameter names
        allowed |= set(merge_options("default").highs)  # HiGHS's own option names, as run_info lists them
        labels = _label_cells(wb)
        assert {s for s, _c, _v in labels} >= {"summary", "kpis"}, name  # the headers were found
        for sheet, cell, value in labels:
            bad = [w for w in SNAKE.findall(value) if w not in allowed]
            assert not bad, (name, sheet, cell, value)
    kpis = load_workbook(tmp_path / "tiny-base-results.xlsx")["kpis"]
    head = [c.value for c in kpis[4]]
    assert head[:4] == ["indicator", "value", "unit", "what it counts"]
    shown = [kpis.cell(r, 1).value for r in range(5, kpis.max_row + 1)]
    assert "Capex of new builds, planner's share" in shown and "Cell output" in shown
    assert "Share of AAM imported from FEOC suppliers" in shown
    loc = load_workbook(tmp_path / "tiny-base-results.xlsx")["localization"]  # base: no target at all
    col = [c.value for c in loc[4]].index("target [%]") + 1
    assert all(loc.cell(r, col).value is None for r in range(5, loc.max_row + 1))
    r = run("validate", TINY)
    assert "1 contract," in text(r) and "2 cases:" in text(r) and "(s)" not in text(r)


def test_comparison_names_the_cost_difference_for_what_it_is(tmp_path: Path) -> None:
    r = run("compare", TINY, "-j", "1", "-o", tmp_path / "c.xlsx")
    assert r.exit_code == 0, text(r)
    assert "Total cost difference vs base per kWh of cells" in text(r)
    assert "cost of localization" not in text(r).lower()
    kpis = load_workbook(tmp_path / "c.xlsx")["kpis"]
    labels = [kpis.cell(r, 1).value for r in range(5, kpis.max_row + 1)]
    assert "Total cost difference vs base per kWh of cells" in labels


# ------------------------------------------------------------------------------------------ start-up
def test_the_command_line_starts_without_the_heavy_libraries() -> None:
    code = ("import sys, atexit\n"
            "heavy = ('pandas', 'pyomo', 'highspy', 'openpyxl', 'numpy')\n"
            "import planner.cli.app\n"
            "print('app:', sorted(m for m in heavy if m in sys.modules))\n"
            "atexit.register(lambda: print('help:', sorted(m for m in heavy if m in sys.modules)))\n"
            "from planner.cli import main\n"
            "main(['--help'])\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "app: []" in p.stdout and "help: []" in p.stdout, p.stdout
    p = subprocess.run([sys.executable, "-c", "import sys, planner; print(sorted(sys.modules) == sorted(set("
                        "sys.modules))); from planner import solve_case; print(callable(solve_case))"],
                       capture_output=True, text=True, timeout=120)
    assert p.stdout.split() == ["True", "True"], p.stderr


# ------------------------------------------------------------------------------------------ the gap
def _excel_text(value: float, fmt: str) -> str:
    """What a spreadsheet shows for a percentage format such as 0.0000% (the value is already rounded)."""
    places = len(fmt.split(".")[1]) - 1 if "." in fmt else 0
    return f"{100 * value:.{places}f}%"


def test_one_rounding_rule_for_the_gap_everywhere(tmp_path: Path) -> None:
    import dataclasses
    from io import StringIO

    from rich.console import Console

    from planner.cli.console import Terminal, live_line
    from planner.export.comparison import write_comparison
    from planner.export.results import write_results
    from planner.results.labels import gap_text
    from planner.run import solve_case
    from planner.compare.compare import CaseRun, compare
    from planner.solve.highs import Progress
    from planner.solve.presets import merge_options

    sol = solve_case(TINY, "localize", options=merge_options("exact"))
    sol = dataclasses.replace(sol, status={**sol.status, "gap": 8.11e-5})  # proven within the 0.01% tolerance
    shown = "0.0082%"  # two significant digits, rounded up: never smaller than the real gap
    assert gap_text(8.11e-5) == shown and gap_text(4e-4) == "0.040%" and gap_text(0.0234) == "2.4%"
    wb = load_workbook(write_results(sol, tmp_path / "r.xlsx"))
    assert f"(gap {shown})" in wb["summary"]["A2"].value and f"(gap {shown})" in wb["builds"]["A1"].value
    for sheet in ("summary", "run_info"):
        cell = next(c for row in wb[sheet].iter_rows() for c in row if c.value in ("Gap", "gap") and c.column == 1)
        value = wb[sheet].cell(cell.row, 2)
        assert _excel_text(value.value, value.number_format) == shown, (sheet, value.value, value.number_format)
    cmp = compare({"localize": CaseRun("localize", "done", sol)}, ["localize"], "localize")
    ws = load_workbook(write_comparison(cmp, tmp_path / "c.xlsx"))["run_info"]
    head = next(c for row in ws.iter_rows() for c in row if c.value == "gap")
    value = ws.cell(head.row + 1, head.column)
    assert _excel_text(value.value, value.number_format) == shown
    term = Terminal()
    buf = StringIO()
    term.out = Console(file=buf, width=120)
    term.solution_summary(sol)
    assert f"gap               {shown}" in buf.getvalue() or f"gap {shown}" in " ".join(buf.getvalue().split())
    # the live line: with a target gap of 0.01%, a gap of 0.0104% is shown as 0.011%, never as 0.01%
    line = live_line("Solving", Progress(elapsed=3.0, objective=100.0, bound=99.9896, gap=1.04e-4))
    assert line.endswith("gap 0.011%"), line


def test_solve_writes_every_table_as_csv_and_keeps_the_overwrite_rule(tmp_path: Path) -> None:
    import json

    folder = tmp_path / "tables"
    args = ["solve", str(TINY), "--case", "localize", "-o", str(tmp_path / "r.xlsx"), "--tables", str(folder), "-q"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    with open(folder / "builds.csv", newline="") as f:
        builds = {row["project"]: row for row in csv.DictReader(f)}
    assert builds["P3"]["decision"] == "build"  # localize builds the anode plant (tests/test_tiny.py)
    prov = json.loads((folder / "provenance.json").read_text())
    assert prov["run_info"]["case"] == "localize" and "builds" in prov["tables"]
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0  # the planner's own folder: replaced
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    r = runner.invoke(app, ["solve", str(TINY), "--case", "localize", "-o", str(tmp_path / "r2.xlsx"), "--tables",
                            str(foreign), "-q"])  # a folder the planner did not write: refused, untouched
    assert r.exit_code == 2 and (foreign / "notes.txt").read_text() == "mine", r.output
