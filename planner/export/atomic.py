"""Write files atomically: a temporary file in the target folder, then one rename.

* A workbook is serialised in memory first (the output workbooks by `planner.export.kit`, whose
  writer keeps every part in memory; instance workbooks by `xlsx_bytes`, openpyxl's writer with each
  sheet's XML kept in memory instead of temporary files in TMPDIR), then written to a temporary
  file next to the target with plain OS writes, flushed to disk, and renamed into place. A failure at any
  step — a full disk, a quota, no permission, a name too long — raises `OutputError` in plain
  words and leaves the target as it was and no temporary file behind; nothing is left for a
  garbage collector to flush later ("Exception ignored in: ZipFile.__del__").
* Signals (Ctrl-C, SIGTERM, SIGHUP) are held for the few steps that must not be cut in two:
  creating the temporary file, and renaming it into place together with telling the listeners
  registered with `on_commit` (the command line: from then on it finishes instead of stopping).
* Workbooks the planner writes carry a mark in their document properties (`MARK_PROPERTY`, a
  custom property written by `planner.export.kit.Book`; earlier versions wrote the same property
  with openpyxl), so that a command may replace its own earlier output but never, without --force,
  a workbook a person made (`written_by_planner`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

from planner.errors import OutputError

if TYPE_CHECKING:
    from openpyxl import Workbook

#: custom document property naming the planner as the writer of a workbook, and which kind it is
MARK_PROPERTY = "Active Materials Planner output"
#: the OS-level write of the atomic writer (a test makes it fail with a real ENOSPC where it cannot
#: mount a small full file system)
_os_write = os.write
#: called right before a finished file replaces its target (see `on_commit`)
_commit_listeners: list[Callable[[], None]] = []
_SIGNALS = tuple(s for s in (getattr(signal, n, None) for n in ("SIGINT", "SIGTERM", "SIGHUP")) if s is not None)
#: longest file name assumed when the file system does not say
DEFAULT_NAME_MAX = 255


def on_commit(listener: Callable[[], None]) -> None:
    """Call `listener` whenever a finished output is about to replace its target (once per file)."""
    if listener not in _commit_listeners:
        _commit_listeners.append(listener)


def committing() -> None:
    """Tell the listeners of `on_commit` that a finished output is about to replace its target."""
    for listener in _commit_listeners:
        listener()


def name_max(folder: str | Path) -> int:
    """The longest file name (in bytes) the file system of `folder` allows."""
    try:
        n = os.pathconf(folder, "PC_NAME_MAX")
        return int(n) if n and n > 0 else DEFAULT_NAME_MAX
    except (OSError, ValueError, AttributeError):
        return DEFAULT_NAME_MAX


def name_bytes(name: str) -> int:
    """Length of a file name in bytes, as the file system counts it."""
    return len(os.fsencode(name))


def why(exc: OSError, target: Path) -> str:
    """Plain words for an OSError met while writing `target`."""
    folder = target.parent if str(target.parent) else Path(".")
    code = exc.errno
    if code == errno.ENOSPC:
        return f"the disk holding {folder} is full"
    if code == getattr(errno, "EDQUOT", -1):
        return f"the disk quota for {folder} is used up"
    if code in (errno.EACCES, errno.EPERM):
        return f"no permission to write in {folder}"
    if code == errno.EROFS:
        return f"{folder} is on a read-only file system"
    if code == errno.ENAMETOOLONG:
        return (f"the name '{target.name}' is too long for the file system ({name_bytes(target.name)} bytes; at "
                f"most {name_max(folder) if folder.exists() else DEFAULT_NAME_MAX})")
    if code == errno.ENOENT:
        return f"the folder {folder} does not exist"
    if code == errno.EISDIR:
        return f"{target} is a folder"
    return exc.strerror or str(exc)


class WriteError(OutputError):
    """An output could not be written; `reason` says why in words, `errno` as a code (ENOSPC, ...)."""

    def __init__(self, target: str | Path, reason: str, code: int | None = None):
        super().__init__(f"cannot write {target}: {reason}")
        self.target = str(target)
        self.reason = reason
        self.errno = code

    @classmethod
    def of(cls, exc: OSError, target: Path) -> WriteError:
        return cls(target, why(exc, target), exc.errno)


@contextlib.contextmanager
def held_signals() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP while the block runs; deliver them afterwards.

    Only in the main thread (elsewhere Python cannot set handlers, and signals go to the main
    thread anyway). A signal the process ignores stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    saved: dict[int, object] = {}

    def hold(signum: int, _frame: object) -> None:
        held.append(signum)

    try:
        for s in _SIGNALS:
            cur = signal.getsignal(s)
            if cur is signal.SIG_IGN or cur is None:
                continue
            saved[s] = cur
            signal.signal(s, hold)
    except (ValueError, OSError):  # pragma: no cover - not the main interpreter
        pass
    try:
        yield
    finally:
        for s, h in saved.items():
            signal.signal(s, h)  # type: ignore[arg-type]
        for s in dict.fromkeys(held):
            signal.raise_signal(s)  # now handled by the handler that was in place


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _refuse_protected(target: Path, protect: tuple[str | Path, ...]) -> None:
    for p in protect:
        try:
            if target.resolve() == Path(p).resolve():
                raise OutputError(f"refusing to overwrite the input workbook {target}; choose another output name")
        except OSError:
            pass


@contextlib.contextmanager
def atomic_path(target: str | Path, *, protect: tuple[str | Path, ...] = ()) -> Iterator[Path]:
    """Yield a temporary path next to `target`; on success it replaces `target` in one step.

    On any exception the temporary file is removed and `target` is left untouched. `protect` lists
    files that must never be overwritten (the input workbook).
    """
    target = Path(target)
    _refuse_protected(target, protect)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise WriteError(target, f"the folder {folder} does not exist", errno.ENOENT)
    # a short prefix: the temporary name must fit wherever the target's name fits
    prefix = f".{target.stem[:40]}."
    tmp_path: Path | None = None
    try:
        with held_signals():
            try:
                fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
            except OSError as exc:
                raise WriteError.of(exc, target) from None
            os.close(fd)
            tmp_path = Path(tmp)
        yield tmp_path
        with held_signals():
            try:
                # mkstemp makes the file private (0600); give it the permissions of a normally created file
                os.chmod(tmp_path, 0o666 & ~_umask())
                committing()
                os.replace(tmp_path, target)
            except OSError as exc:
                raise WriteError.of(exc, target) from None
    finally:
        if tmp_path is not None:
            with held_signals(), contextlib.suppress(OSError):
                tmp_path.unlink(missing_ok=True)


def write_bytes(target: str | Path, data: bytes, *, protect: tuple[str | Path, ...] = ()) -> Path:
    """Write `data` to `target` atomically (temporary file, flushed to disk, renamed); return the path."""
    target = Path(target)
    with atomic_path(target, protect=protect) as tmp:
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_TRUNC)
        except OSError as exc:
            raise WriteError.of(exc, target) from None
        try:
            view = memoryview(data)
            while view:
                n = _os_write(fd, view)
                view = view[n:]
            os.fsync(fd)  # a full disk may only show when the data reach it
        except OSError as exc:
            raise WriteError.of(exc, target) from None
        finally:
            with contextlib.suppress(OSError):
                os.close(fd)
    return target


def xlsx_bytes(wb: Workbook) -> bytes:
    """The .xlsx file of `wb`, built in memory.

    openpyxl's own `save` streams each sheet's XML through a temporary file in TMPDIR and writes
    the zip straight to the target: a full TMPDIR or target then fails half-way, and the unclosed
    zip complains again when it is garbage-collected. Here each sheet is serialised into memory
    and the zip into a buffer; the caller writes the bytes in one go."""
    import datetime

    from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
    from openpyxl.worksheet._writer import WorksheetWriter
    from openpyxl.writer.excel import ExcelWriter

    class _InMemory(ExcelWriter):
        def write_worksheet(self, ws):  # type: ignore[no-untyped-def]  # openpyxl's, with BytesIO
            ws._drawing = SpreadsheetDrawing()
            ws._drawing.charts = ws._charts
            ws._drawing.images = ws._images
            writer = WorksheetWriter(ws, out=BytesIO())
            writer.write()
            ws._rels = writer._rels
            self._archive.writestr(ws.path[1:], writer.read())
            self.manifest.append(ws)

    buf = BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        wb.properties.modified = datetime.datetime.now(tz=datetime.timezone.utc).replace(tzinfo=None)
        _InMemory(wb, archive).write_data()
    return buf.getvalue()


#: the custom-properties part is tiny; anything bigger is not ours
_MAX_CUSTOM_PART = 64 * 1024


def written_by_planner(path: str | Path) -> str | None:
    """The kind of planner output `path` is ('results', 'comparison', 'explanation'), or None.

    Reads only the zip directory and the small custom-properties part (never the sheets, never
    parsing XML), so checking a large or hostile file is cheap and safe."""
    path = Path(path)
    try:
        if not path.is_file():
            return None
        with zipfile.ZipFile(path) as z:
            info = z.getinfo("docProps/custom.xml")
            if info.file_size > _MAX_CUSTOM_PART:
                return None
            text = z.read(info).decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile, ValueError, RuntimeError, NotImplementedError):
        return None
    at = text.find(f'name="{MARK_PROPERTY}"')
    if at < 0:
        return None
    start = text.find("<vt:lpwstr", at)  # '<vt:lpwstr>' (XlsxWriter) or '<vt:lpwstr xmlns:vt="...">' (openpyxl)
    start = text.find(">", start) + 1 if start >= 0 else -1
    end = text.find("</vt:lpwstr>", start)
    return text[start:end] if 0 < start <= end else "output"


def save_workbook(serialize: Callable[[], bytes], path: str | Path, *, what: str,
                  protect: tuple[str | Path, ...] = ()) -> Path:
    """Build a workbook's bytes with `serialize()` and save them to `path` atomically; return the path.

    The name is checked before anything is built; the workbook is built and serialised in memory
    (`planner.export.kit.Book`, which also writes the planner's mark), then written to a temporary
    file next to `path` and renamed into place, so on any error `path` is left as it was. `what`
    names the workbook in messages ("results workbook"); `protect` lists files that must never be
    overwritten (the input workbook): writing onto one raises `OutputError`.
    """
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise OutputError(f"cannot write {target}: the {what} must be an .xlsx file")
    _refuse_protected(target, protect)
    try:
        data = serialize()
    except OSError as exc:  # pragma: no cover - nothing is written to disk while serialising
        raise WriteError(target, f"the {what} could not be built ({exc.strerror or exc})", exc.errno) from None
    return write_bytes(target, data, protect=protect)
