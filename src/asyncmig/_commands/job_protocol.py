"""What the parent of a ``--jobs`` run and its worker processes say to each other.

One JSON document per line.  The parent writes to a worker's stdin: first
``{"setup": ...}`` (how to load the configuration and what to run: the
configuration path, ``-x`` arguments and URL override travel here, never on
a command line, since they may hold a password), then ``{"chunk": id,
"targets": [[database, schema or null], ...]}`` for each share of targets it
hands out, ``{"cancel": true}`` to stop (fail-fast), and ``{"end": true}``
when there is no more work.  The worker writes to its stdout ``{"step":
...}`` as each step commits, ``{"done": id, "reports": [...]}`` when a chunk
has finished, and ``{"fatal": message}`` if it cannot run at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .._reports import DatabaseReport, StepReport
from ..errors import CommandError

__all__ = ("Setup", "TargetKey", "decode", "encode", "report_from_dict", "step_from_dict")

TargetKey = tuple[str, str | None]  # (database, schema or None)


@dataclass(frozen=True)
class Setup:
    """Everything a worker needs besides its chunks (sent once, on stdin)."""

    config_path: str | None
    cwd: str
    url: str | None
    x_arguments: dict[str, str]
    command: str
    revisions: tuple[str, ...]
    purge: bool = False
    tag: str | None = None
    concurrency: int | None = None
    fail_fast: bool = False
    lock: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "config_path": self.config_path,
            "cwd": self.cwd,
            "url": self.url,
            "x_arguments": self.x_arguments,
            "command": self.command,
            "revisions": list(self.revisions),
            "purge": self.purge,
            "tag": self.tag,
            "concurrency": self.concurrency,
            "fail_fast": self.fail_fast,
            "lock": self.lock,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Setup:
        return cls(**{**data, "revisions": tuple(data["revisions"])})


def encode(message: dict[str, Any]) -> bytes:
    """One protocol line."""
    return (json.dumps(message, separators=(",", ":")) + "\n").encode()


def decode(line: bytes | str) -> dict[str, Any]:
    """One protocol line back (a line that is not a JSON object raises ValueError)."""
    data = json.loads(line)
    if not isinstance(data, dict):
        raise ValueError(f"not a protocol message: {line!r}")
    return data


def step_from_dict(data: dict[str, Any]) -> StepReport:
    """A :class:`StepReport` from :meth:`StepReport.to_dict`."""
    return StepReport(
        database=data["database"],
        schema=data["schema"],
        revision=data["revision"],
        direction=data["direction"],
        from_revisions=tuple(data["from"]),
        to_revisions=tuple(data["to"]),
        message=data["message"],
        elapsed_ms=float(data["elapsed_ms"]),
    )


def report_from_dict(data: dict[str, Any]) -> DatabaseReport:
    """A :class:`DatabaseReport` from :meth:`DatabaseReport.to_dict` (its error as one line)."""
    error = data.get("error")
    return DatabaseReport(
        database=data["database"],
        schema=data["schema"],
        before=tuple(data["before"]),
        after=tuple(data["after"]),
        steps=[step_from_dict(step) for step in data["steps"]],
        elapsed_ms=float(data["elapsed_ms"]),
        status=data["status"],
        error=None if error is None else CommandError(error),
        done_by_other=bool(data.get("done_by_other", False)),
    )
