"""Ctrl-C, SIGTERM and SIGHUP sent to a real `planner` process, whenever they arrive.

The promise (docs/reliability.md): exit 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP, no
traceback, no temporary file in the output folder or in TMPDIR, and either nothing written or —
when the signal comes once an output is in place — the command finishes and exits 0.

Signals are sent at moments the test can see: during imports (with `python -X importtime`, each
import is reported as it completes), once the live solve line is on the terminal (a pseudo-terminal,
so the program draws it as it would for a person), and right inside the atomic writer (a listener of
the writer's commit raises a real signal there).
"""

from __future__ import annotations

import contextlib
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from planner import resources

TINY = resources.data_dir("instances") / "tiny.xlsx"
SIGNALS = {"SIGINT": 130, "SIGTERM": 143, "SIGHUP": 129}


def _start(args: list[str], tmp_path: Path, *, terminal: bool = False, importtime: bool = False
           ) -> tuple[subprocess.Popen, int | None]:
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(tmpdir), "COLUMNS": "120"}
    cmd = [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "planner", *args]

    def default_signals() -> None:  # whatever the test runner ignores, the program starts as from a shell
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_DFL)

    # a session of its own: whatever the program leaves behind can be stopped after the test (`_end`)
    if terminal:
        master, slave = pty.openpty()
        p = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=subprocess.PIPE, cwd=tmp_path, env=env,
                             preexec_fn=default_signals, start_new_session=True)
        os.close(slave)
        return p, master
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path, env=env,
                         preexec_fn=default_signals, start_new_session=True)
    return p, None


def _end(p: subprocess.Popen, master: int | None = None) -> bytes:
    """The program's stderr once it has ended; any process it left in its session is stopped."""
    try:
        _out, err = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        err = b"(the program did not end within 120 s)"
    finally:
        if master is not None:
            os.close(master)
        try:
            os.killpg(p.pid, signal.SIGKILL)  # stray workers of a program that did not stop them
        except ProcessLookupError:
            pass
        if p.poll() is None:
            p.wait()
    return err


def _wait_for(fd: int, marker: bytes, limit: float = 180) -> bytes:
    """Read `fd` until `marker` shows (a deadline only so that a broken program cannot hang the tests)."""
    seen = b""
    deadline = time.monotonic() + limit
    while marker not in seen:
        assert time.monotonic() < deadline, seen[-2000:]
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the program ended
                break
            if not chunk:
                break
            seen += chunk
    assert marker in seen, seen[-2000:]
    return seen


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _assert_stopped_cleanly(p: subprocess.Popen, err: bytes, code: int, tmp_path: Path) -> None:
    text = err.decode("utf-8", "replace")
    assert p.returncode == code, text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text and "Exception ignored" not in text, text
    assert "nothing was written" in text, text
    assert _files(tmp_path) == ["tmpdir"], _files(tmp_path)  # no output, no temporary file anywhere


@pytest.fixture(scope="module")
def long_solve(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic instance whose solve takes half a minute with the exact preset (`EXACT`: gap 0; about 2 s
    with the default preset since it stopped restarting the root): a signal sent once HiGHS runs always
    finds it running, however fast the machine (the default instance may be solved before the signal lands)."""
    from planner.datasets.synthetic import generate, size_preset

    return generate(tmp_path_factory.mktemp("instance") / "M.xlsx", **size_preset("M"))


#: the preset of the commands a signal interrupts: proving the optimum to gap 0 keeps HiGHS running (M: ~30 s)
EXACT = ["--preset", "exact"]


def _signal_while_running(p: subprocess.Popen, signum: int) -> None:
    assert p.poll() is None, "the command ended before the signal could be sent: the test proves nothing"
    p.send_signal(signum)


@pytest.mark.parametrize("name", list(SIGNALS))
def test_a_signal_during_the_solve_stops_it_cleanly(name: str, tmp_path: Path, long_solve: Path) -> None:
    p, master = _start(["solve", str(long_solve), "-o", "out.xlsx", *EXACT], tmp_path, terminal=True)
    assert master is not None
    try:
        _wait_for(master, b"Solving")  # the live line: HiGHS is running
        _signal_while_running(p, getattr(signal, name))
    finally:
        err = _end(p, master)
    _assert_stopped_cleanly(p, err, SIGNALS[name], tmp_path)


@pytest.mark.parametrize("module", ["typer._click", "numpy"])  # the command line loads; pandas loads
def test_ctrl_c_while_the_program_starts_is_not_a_traceback(module: str, tmp_path: Path) -> None:
    p, _ = _start(["solve", str(TINY), "-o", "out.xlsx"], tmp_path, importtime=True)
    assert p.stderr is not None
    try:
        seen = _wait_for(p.stderr.fileno(), f" {module}\n".encode())  # "import time: ... |   numpy"
        p.send_signal(signal.SIGINT)
    finally:
        err = seen + _end(p)
    _assert_stopped_cleanly(p, err, 130, tmp_path)


def test_sigterm_stops_the_workers_of_compare(tmp_path: Path, long_solve: Path) -> None:
    p, master = _start(["compare", str(long_solve), "-j", "2", "-o", "c.xlsx", *EXACT], tmp_path, terminal=True)
    assert master is not None
    children: list[str] = []
    alive: list[str] = []
    try:
        _wait_for(master, b"solving")
        children = _children(p.pid)
        _signal_while_running(p, signal.SIGTERM)
        try:
            p.wait(timeout=120)
        except subprocess.TimeoutExpired:
            pass
        # no worker is left solving once the parent has exited: it stopped them itself (the resource
        # tracker, a child too, leaves on its own a moment later)
        deadline = time.monotonic() + 15
        alive = children
        while alive and time.monotonic() < deadline:
            alive = [c for c in children if Path(f"/proc/{c}").exists()
                     and Path(f"/proc/{c}/stat").read_text().split()[2] not in ("Z", "X")]
            time.sleep(0.2)
    finally:
        err = _end(p, master)
    assert len(children) >= 3 and not alive, (children, alive)  # the resource tracker and the workers
    _assert_stopped_cleanly(p, err, 143, tmp_path)


DRIVER = """
import signal, sys
import planner.export.atomic as atomic
import planner.export.results as results
when = sys.argv[1]
if when == "commit":  # a real SIGINT at the moment the finished workbook is moved into place
    atomic._commit_listeners.append(lambda: signal.raise_signal(signal.SIGINT))
else:  # a real SIGINT while the workbook is being built, before anything is on disk
    build = results.build_workbook
    def interrupted(sol):
        signal.raise_signal(signal.SIGINT)
        return build(sol)
    results.build_workbook = interrupted
from planner.cli import main
main(sys.argv[2:])
"""


def test_ctrl_c_while_writing_leaves_nothing_or_finishes(tmp_path: Path) -> None:
    before = tmp_path / "before"
    before.mkdir()
    p = subprocess.run([sys.executable, "-c", DRIVER, "build", "solve", str(TINY), "-o", str(before / "out.xlsx")],
                       capture_output=True, env={**os.environ, "TMPDIR": str(tmp_path)})
    err = p.stderr.decode()
    assert p.returncode == 130 and "Traceback" not in err and "nothing was written" in err, err
    assert _files(before) == []
    during = tmp_path / "during"
    during.mkdir()
    p = subprocess.run([sys.executable, "-c", DRIVER, "commit", "solve", str(TINY), "-o", str(during / "out.xlsx")],
                       capture_output=True, env={**os.environ, "TMPDIR": str(tmp_path)})
    err = p.stderr.decode()
    assert p.returncode == 0, err  # the workbook was in place: the command finished, and says so
    assert "Traceback" not in err and "the command finished and its output is complete" in err, err
    assert _files(during) == ["out.xlsx"] and load_workbook(during / "out.xlsx").sheetnames[:2] == ["decision", "summary"]


# ------------------------------------------------------------------------------------------------ studies
@pytest.fixture(scope="module")
def many_resolves(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic S instance: its plan solves in seconds, then `explain` has some thirty re-solves to run
    in its workers, and `compare` three cases: a signal once the first solve has ended finds the rest running."""
    from planner.datasets.synthetic import generate, size_preset

    return generate(tmp_path_factory.mktemp("instance") / "S.xlsx", **size_preset("S"))


def _children(pid: int) -> list[str]:
    """Every process below `pid`: its children and theirs (the workers are forked by a fork server, a
    child of the command, so they are its grandchildren)."""
    out: list[str] = []
    todo = [str(pid)]
    while todo:
        q = todo.pop()
        for task in Path(f"/proc/{q}/task").glob("*"):
            with contextlib.suppress(OSError):
                kids = (task / "children").read_text().split()
                out += kids
                todo += kids
    return out


def _alive(pids: list[str], within: float = 15) -> list[str]:
    """Which of `pids` still run after a moment (zombies do not count: they have ended)."""
    deadline = time.monotonic() + within
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [c for c in pids if Path(f"/proc/{c}").exists()
                 and Path(f"/proc/{c}/stat").read_text().split()[2] not in ("Z", "X")]
        time.sleep(0.2)
    return alive


def _ctrl_c(p: subprocess.Popen) -> None:
    """Ctrl-C as a terminal sends it: to every process of the foreground group, the workers too."""
    assert p.poll() is None, "the command ended before the signal could be sent: the test proves nothing"
    os.killpg(p.pid, signal.SIGINT)


def test_ctrl_c_stops_every_worker_of_compare(tmp_path: Path, long_solve: Path) -> None:
    p, master = _start(["compare", str(long_solve), "-j", "2", "--regret", "-o", "c.xlsx", *EXACT], tmp_path, terminal=True)
    assert master is not None
    children: list[str] = []
    alive: list[str] = []
    try:
        _wait_for(master, b"solving")  # the live table: two workers are solving
        children = _children(p.pid)
        _ctrl_c(p)
        try:
            p.wait(timeout=120)
        except subprocess.TimeoutExpired:
            pass
        alive = _alive(children)
    finally:
        err = _end(p, master)
    assert len(children) >= 3 and not alive, (children, alive)  # the resource tracker and the workers
    _assert_stopped_cleanly(p, err, 130, tmp_path)


def test_ctrl_c_stops_every_worker_of_explain(tmp_path: Path, many_resolves: Path) -> None:
    p, _ = _start(["explain", str(many_resolves), "-j", "2", "-o", "e.xlsx"], tmp_path)
    assert p.stdout is not None
    children: list[str] = []
    alive: list[str] = []
    try:
        out = _wait_for(p.stdout.fileno(), b"plan: done")  # the plan is solved
        if out.count(b": done in") < 2:
            out += _wait_for(p.stdout.fileno(), b": done in")  # and a re-solve: the workers run the others
        children = _children(p.pid)
        _ctrl_c(p)
        try:
            p.wait(timeout=120)
        except subprocess.TimeoutExpired:
            pass
        alive = _alive(children)
    finally:
        err = _end(p)
    assert len(children) >= 3 and not alive, (children, alive)  # the resource tracker and the workers
    _assert_stopped_cleanly(p, err, 130, tmp_path)
    text = err.decode()
    assert "had finished when the command was stopped" in text and "never started" in text, text
    assert b"Traceback" not in out


def test_ctrl_c_with_keep_incumbent_writes_only_complete_results(tmp_path: Path, many_resolves: Path) -> None:
    # explain: the plan and the re-solves that finished are written; the others are n/a, with why
    p, _ = _start(["explain", str(many_resolves), "-j", "2", "--keep-incumbent", "-o", "e.xlsx"], tmp_path)
    assert p.stdout is not None
    try:
        seen = _wait_for(p.stdout.fileno(), b": done in", limit=180)
        if seen.count(b": done in") < 2:
            _wait_for(p.stdout.fileno(), b": done in", limit=180)  # the plan and one re-solve
        _ctrl_c(p)
    finally:
        err = _end(p)
    text = err.decode()
    assert p.returncode == 130 and "Traceback" not in text, text
    assert "the explanation was written with the re-solves that finished" in text, text
    assert _files(tmp_path) == ["e.xlsx", "tmpdir"]
    wb = load_workbook(tmp_path / "e.xlsx")
    said = " ".join(str(c) for row in wb["findings"].iter_rows(values_only=True) for c in row if c)
    assert "not started: the study was stopped" in said or "stopped before its solve finished" in said, said
    # compare, one case after the other: the cases solved before the stop are written, the comparison is not
    out = tmp_path / "cmp"
    out.mkdir()
    p, _ = _start(["compare", str(many_resolves), "-j", "1", "--keep-incumbent", "-o", "c.xlsx"], out)
    assert p.stdout is not None
    try:
        _wait_for(p.stdout.fileno(), b": done in", limit=180)
        _ctrl_c(p)
    finally:
        err = _end(p)
    text = err.decode()
    assert p.returncode == 130 and "Traceback" not in text, text
    assert "solved before the stop were written" in text and "the comparison needs every case" in text, text
    written = [f for f in _files(out) if f.endswith(".xlsx")]
    assert written and all(f.endswith("-results.xlsx") for f in written), written
