"""Write files atomically: a temporary file in the target folder, then one rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from planner.errors import OutputError


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
