"""Timing whole processes: commands for both tools, environments, caches, statistics."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = (
    "TOOLS",
    "Measurement",
    "Sample",
    "clear_caches",
    "command",
    "environment",
    "run_timed",
)

TOOLS = ("asyncmig", "alembic")
_ERROR_TAIL = 600
# Variables that would point either tool at another configuration or database.
_SCRUBBED = ("ASYNCMIG_URL", "ASYNCMIG_CONFIG", "PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")


@dataclass(frozen=True)
class Sample:
    """One timed process: wall seconds, success, and the end of its stderr on failure."""

    seconds: float
    ok: bool
    error: str = ""
    stdout: str = ""


@dataclass
class Measurement:
    """Repeated samples of one thing under one set of conditions."""

    key: dict[str, Any]
    samples: list[Sample] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every sample succeeded (and there was at least one)."""
        return bool(self.samples) and all(s.ok for s in self.samples)

    @property
    def times(self) -> list[float]:
        """Wall times of the successful samples."""
        return [s.seconds for s in self.samples if s.ok]

    @property
    def median(self) -> float | None:
        """Median wall time of the successful samples, None if none succeeded."""
        return statistics.median(self.times) if self.times else None

    @property
    def minimum(self) -> float | None:
        """Fastest successful sample, None if none succeeded."""
        return min(self.times) if self.times else None

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready record: key fields, times, statistics and the first error."""
        errors = [s.error for s in self.samples if not s.ok]
        return {
            **self.key,
            "ok": self.ok,
            "runs": len(self.samples),
            "failures": len(errors),
            "times": [round(s.seconds, 4) for s in self.samples],
            "median": None if self.median is None else round(self.median, 4),
            "min": None if self.minimum is None else round(self.minimum, 4),
            "error": errors[0] if errors else None,
        }


def command(tool: str, root: Path, *args: str) -> list[str]:
    """The command line running `tool` on the project in `root` with `args`."""
    if tool == "asyncmig":
        return [sys.executable, "-m", "asyncmig", "-c", str(root / "asyncmig.toml"), *args]
    if tool == "alembic":
        return [sys.executable, "-m", "alembic", "-c", str(root / "alembic.ini"), *args]
    raise ValueError(f"unknown tool {tool!r}")


def environment(*, write_bytecode: bool, per_migration: bool = True) -> dict[str, str]:
    """This process's environment with bytecode writing and transaction mode set explicitly."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    if not write_bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["BENCH_TRANSACTION_PER_MIGRATION"] = "true" if per_migration else "false"
    return env


def clear_caches(root: Path) -> None:
    """Remove every ``__pycache__`` below `root`: bytecode and asyncmig's header cache."""
    for folder in sorted(root.rglob("__pycache__"), reverse=True):
        shutil.rmtree(folder, ignore_errors=True)


def run_timed(
    argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float, expect: str | None = None
) -> Sample:
    """Run `argv` to completion and time it; failure, timeout or missing `expect` is not ok."""
    start = time.perf_counter()
    try:
        done = subprocess.run(
            argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return Sample(time.perf_counter() - start, False, f"timed out after {timeout:.0f}s")
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip()[-_ERROR_TAIL:]
        return Sample(seconds, False, f"exit {done.returncode}: {tail}")
    if expect is not None and expect not in done.stdout:
        return Sample(seconds, False, f"output lacks {expect!r}: {done.stdout[:200]!r}")
    return Sample(seconds, True, stdout=done.stdout)
