"""What a family registers besides its rows (no Pyomo here: the results layer reads it too).

Every `register_*` function of the model returns a `Registration`, which takes the registration
back (`.remove()`, or at the end of a `with` block).
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType


class Registration:
    """A registration that can be taken back: `.remove()`, or use it as a context manager."""

    def __init__(self, remove: Callable[[], None]) -> None:
        self._remove: Callable[[], None] | None = remove

    def remove(self) -> None:
        if self._remove is not None:
            self._remove()
            self._remove = None

    def __enter__(self) -> Registration:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.remove()
