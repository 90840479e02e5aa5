"""Solver presets: HiGHS options as data (solvers/*.toml), merged defaults <- preset <- flags."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner import resources
from planner.errors import UsageError

#: options the planner always sets, whatever the preset says (a preset may override them)
BUILTIN: dict[str, Any] = {
    "mip_rel_gap": 1e-4,
    "mip_abs_gap": 1e-6,
    "time_limit": math.inf,
    "threads": 1,
    "presolve": "choose",
    "random_seed": 0,
}
#: options the planner controls itself (logging); a preset may not set them
RESERVED = {"output_flag", "log_to_console", "log_file"}


@dataclass(frozen=True)
class SolverOptions:
    preset: str  # name or path of the preset
    highs: dict[str, Any] = field(default_factory=dict)  # every option passed to HiGHS
    sources: dict[str, str] = field(default_factory=dict)  # option -> builtin | preset | command line

    def describe(self) -> list[tuple[str, str, str]]:
        return [(k, _fmt(v), self.sources.get(k, "")) for k, v in sorted(self.highs.items())]


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "inf" if math.isinf(v) else f"{v:g}"
    return str(v)


def load_preset(name_or_path: str) -> tuple[str, dict[str, Any]]:
    """Read a preset by name (default, fast, exact, ...) or from a .toml path."""
    path = resources.preset_path(name_or_path)
    if path is None:
        candidate = Path(name_or_path)
        names = ", ".join(resources.preset_names())
        if candidate.suffix.lower() == ".toml":
            if not candidate.is_file():
                raise UsageError(f"solver preset file {candidate} not found (built-in presets: {names})")
            path = candidate
        else:
            raise UsageError(f"unknown solver preset '{name_or_path}': use one of {names}, or the path of a .toml file")
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"solver preset {path} cannot be read: {exc}") from None
    if "highs" not in data:
        raise UsageError(f"solver preset {path} has no [highs] table: put the HiGHS options under a line [highs]"
                         + (f" (found {', '.join(sorted(data))} outside it)" if data else ""))
    highs = data["highs"]
    if not isinstance(highs, dict):
        raise UsageError(f"solver preset {path}: [highs] must be a table of options")
    extra = sorted(set(data) - {"highs"})
    if extra:
        raise UsageError(f"solver preset {path}: unknown section(s) {', '.join(extra)}; only [highs] is read")
    bad = sorted(set(highs) & RESERVED)
    if bad:
        raise UsageError(f"solver preset {path}: option(s) {', '.join(bad)} are set by the planner itself")
    return str(path), dict(highs)


def merge_options(preset: str = "default", overrides: dict[str, Any] | None = None) -> SolverOptions:
    """Built-in defaults, then the preset, then command-line overrides (None values are skipped)."""
    source_name, from_preset = load_preset(preset)
    highs = dict(BUILTIN)
    sources = {k: "built-in" for k in BUILTIN}
    for k, v in from_preset.items():
        highs[k] = v
        sources[k] = f"preset {preset}"
    for k, v in (overrides or {}).items():
        if v is not None:
            highs[k] = v
            sources[k] = "command line"
    _check(highs, source_name)
    return SolverOptions(preset=preset, highs=highs, sources=sources)


def _check(options: dict[str, Any], where: str) -> None:
    """Reject unknown option names and values HiGHS would refuse, in plain words."""
    from planner.solve.highs import new_highs

    import highspy

    h = new_highs()
    for k, v in options.items():
        if isinstance(v, float) and math.isinf(v):
            continue
        try:
            status = h.setOptionValue(k, v)
        except Exception as exc:  # wrong type for the option
            raise UsageError(f"{where}: HiGHS option {k} = {v!r} is not valid ({exc})") from None
        if status != highspy.HighsStatus.kOk:
            raise UsageError(f"{where}: HiGHS does not accept option {k} = {v!r} (unknown option or value out of range)")
    gap = options.get("mip_rel_gap", 0)
    if not (0 <= gap < 1):
        raise UsageError(f"the relative gap must be at least 0 and below 1 (0.001 = 0.1%); got {gap}")
    if options.get("time_limit", 1) <= 0:
        raise UsageError("the time limit must be more than 0 seconds")
