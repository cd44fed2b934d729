"""What a command does to one target: the steps planned from its current heads.

A :class:`~asyncmig._script.revision.Step` is one script run in one direction,
or one version-table change without a script (stamp).  Planning is pure: it
reads the revision graph and the current heads, and never touches a database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from .._script.revision import RevisionMap, Step
from ..errors import CommandError, RevisionError, UnknownRevision

Command = Literal["upgrade", "downgrade", "stamp", "ensure_version"]


@dataclass(frozen=True, slots=True)
class Request:
    """A database command as the runner receives it."""

    command: Command
    revision: tuple[str, ...] = ()  # the target(s) as given; several only for stamp
    purge: bool = False
    tag: str | None = None

    @property
    def label(self) -> str | None:
        """The target as a report shows it."""
        return " ".join(self.revision) if self.revision else None


def check_known(
    graph: RevisionMap, heads: Sequence[str], *, database: str, table: str, location: str
) -> None:
    """Fail if the version table names a revision no script has, saying how to repair it."""
    for head in heads:
        try:
            found: str | None = graph.get(head).revision
        except RevisionError:  # unknown, or (as a row must be a full id) ambiguous
            found = None
        if found != head:
            raise UnknownRevision(
                head,
                f"database {database!r}: the version table {table} records revision {head!r}, "
                f"which no script in {location} has; restore that script, or record where the "
                "database really is with `asyncmig stamp <revision>` (add --purge to replace "
                "every row)",
            )


def plan(request: Request, graph: RevisionMap, heads: Sequence[str]) -> list[Step]:
    """The steps that take `heads` to what `request` asks for."""
    if request.command == "ensure_version":
        return []
    if request.command == "stamp":
        step = graph.stamp(() if request.purge else heads, request.revision, purge=request.purge)
        if request.purge:
            # the rows deleted are whatever is there, shown as where the stamp starts
            return [replace(step, delete=tuple(heads))]
        return [step] if step.delete or step.insert else []
    target = _single(request)
    if request.command == "upgrade":
        return graph.upgrade_plan(heads, target)
    return graph.downgrade_plan(heads, target)


def _single(request: Request) -> str:
    if len(request.revision) != 1:
        raise CommandError(f"{request.command} takes exactly one target revision")
    return request.revision[0]


def split_range(request: Request) -> tuple[str | None, Request]:
    """Offline: the assumed start of a ``start:end`` target, and the request for ``end``."""
    if len(request.revision) != 1 or ":" not in request.revision[0]:
        if request.command == "downgrade":
            raise CommandError(
                "downgrade --sql needs the revision to start from, as `<from>:<to>` "
                "(e.g. `asyncmig downgrade --sql head:base`): offline there is no "
                "database to read it from"
            )
        return None, request
    start, _, end = request.revision[0].partition(":")
    if not end:
        raise CommandError(f"{request.revision[0]!r}: give the end of the range after ':'")
    return start or None, Request(request.command, (end,), request.purge, request.tag)
