"""Write files atomically: a temporary file in the target folder, then one rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from planner.errors import OutputError

if TYPE_CHECKING:
    from openpyxl import Workbook


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(target: str | Path, *, protect: tuple[str | Path, ...] = ()) -> Iterator[Path]:
    """Yield a temporary path next to `target`; on success it replaces `target` in one step.

    On any exception the temporary file is removed and `target` is left untouched. `protect` lists
    files that must never be overwritten (the input workbook).
    """
    target = Path(target)
    for p in protect:
        try:
            if target.resolve() == Path(p).resolve():
                raise OutputError(f"refusing to overwrite the input workbook {target}; choose another output name")
        except OSError:
            pass
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.exists():
        raise OutputError(f"cannot write {target}: the folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix + ".tmp", dir=folder)
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"cannot write in {folder}: {exc.strerror or exc}") from None
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        try:
            # mkstemp makes the file private (0600); give it the permissions of a normally created file
            os.chmod(tmp_path, 0o666 & ~_umask())
            os.replace(tmp_path, target)
        except OSError as exc:
            raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def save_workbook(build: Callable[[], Workbook], path: str | Path, *, what: str,
                  protect: tuple[str | Path, ...] = ()) -> Path:
    """Build a workbook with `build()` and save it to `path` atomically; return the path.

    The name is checked before anything is built; the workbook is built in memory, saved to a
    temporary file next to `path` and renamed into place, so on any error `path` is left as it was.
    `what` names the workbook in messages ("results workbook"); `protect` lists files that must
    never be overwritten (the input workbook): writing onto one raises `OutputError`.
    """
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise OutputError(f"cannot write {target}: the {what} must be an .xlsx file")
    wb = build()
    with atomic_path(target, protect=protect) as tmp:
        try:
            wb.save(tmp)
        except OSError as exc:
            raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target
