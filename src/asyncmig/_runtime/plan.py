"""What a command does to one target, as units of work planned from its current heads.

A :class:`Unit` is one migration step (a script run in one direction) or one
version-table change without a script (stamp).  Planning is pure: it reads
the revision graph and the current heads, and never touches a database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .._script.revision import Revision, RevisionMap
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


@dataclass(frozen=True, slots=True)
class Unit:
    """One transaction-sized piece of a plan."""

    direction: Literal["upgrade", "downgrade", "stamp"]
    delete: tuple[str, ...]
    insert: tuple[str, ...]
    script: Revision | None = None  # None for a stamp
    purge: bool = False  # stamp --purge: empty the table first

    @property
    def revision(self) -> str:
        """The revision this unit is about, as reports name it."""
        if self.script is not None:
            return self.script.revision
        return ", ".join(self.insert) or "base"

    @property
    def message(self) -> str:
        """The script's one-line message (stamps say what they record)."""
        if self.script is not None:
            return self.script.message
        return "stamp"

    @property
    def from_revisions(self) -> tuple[str, ...]:
        """Where this step starts, as Alembic's 'Running upgrade a -> b' reads."""
        if self.script is None:
            return self.delete
        if self.direction == "upgrade":
            return self.script.down_revision
        return (self.script.revision,)

    @property
    def to_revisions(self) -> tuple[str, ...]:
        """Where this step ends."""
        if self.script is None:
            return self.insert
        if self.direction == "upgrade":
            return (self.script.revision,)
        return self.script.down_revision

    def heads_after(self, heads: Sequence[str]) -> tuple[str, ...]:
        """The version rows once this unit has run over `heads`."""
        start = set() if self.purge else set(heads)
        return tuple(sorted((start - set(self.delete)) | set(self.insert)))


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


def plan(request: Request, graph: RevisionMap, heads: Sequence[str]) -> list[Unit]:
    """The units that take `heads` to what `request` asks for."""
    if request.command == "ensure_version":
        return []
    if request.command == "stamp":
        change = graph.stamp(() if request.purge else heads, request.revision, purge=request.purge)
        if not request.purge and not change.delete and not change.insert:
            return []
        # With purge the rows deleted are whatever is there; shown as where the stamp starts.
        deleted = tuple(heads) if request.purge else change.delete
        return [Unit("stamp", deleted, change.insert, purge=request.purge)]
    target = _single(request)
    steps = (
        graph.upgrade_plan(heads, target)
        if request.command == "upgrade"
        else graph.downgrade_plan(heads, target)
    )
    return [Unit(step.direction, step.delete, step.insert, step.revision) for step in steps]


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
