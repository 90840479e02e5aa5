"""Locate the bundled instances and solver presets, installed or in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent

DEFAULT_INSTANCE = "us-active-materials.xlsx"


def _candidates(kind: str) -> list[Path]:
    # a wheel carries copies in planner/_data/; a source checkout (editable install) has them at the top
    return [_PACKAGE / "_data" / kind, checkout_dir(kind)]


def checkout_dir(kind: str) -> Path:
    """The folder `instances` or `solvers` at the top of the source checkout: where the dataset generators
    (`python -m planner.datasets.…`) write the bundled instances."""
    return _PACKAGE.parent / kind


def data_dir(kind: str) -> Path:
    """The folder `instances` or `solvers` shipped with the package."""
    for path in _candidates(kind):
        if path.is_dir():
            return path
    raise FileNotFoundError(f"the bundled '{kind}' folder is missing from this installation")


def default_instance() -> Path:
    return data_dir("instances") / DEFAULT_INSTANCE


def preset_path(name: str) -> Path | None:
    path = data_dir("solvers") / f"{name}.toml"
    return path if path.is_file() else None


def preset_names() -> list[str]:
    return sorted(p.stem for p in data_dir("solvers").glob("*.toml"))
