"""The revision graph: parse targets, find heads and bases, plan upgrades and downgrades.

INTERFACE STUB -- the revision-graph helper replaces the bodies; the names,
signatures and dataclass fields below are the contract the rest of asyncmig
codes against.  Pure, synchronous, no I/O, never imports sqlalchemy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Revision:
    """One script's place in the graph, as read from its header."""

    revision: str
    down_revision: tuple[str, ...] = ()  # () for a base, 2+ for a merge point
    branch_labels: tuple[str, ...] = ()  # labels declared by this script itself
    depends_on: tuple[str, ...] = ()  # ids, partial ids or branch labels, as written
    path: str | None = None  # the script file, for error messages
    message: str = ""  # the first line of the docstring
    create_date: str | None = None  # "Create Date:" from the docstring, if any


@dataclass(frozen=True, slots=True)
class Step:
    """One script run in one direction, and the version-table rows it changes."""

    revision: Revision
    direction: Literal["upgrade", "downgrade"]
    delete: tuple[str, ...]  # version-table rows this step removes
    insert: tuple[str, ...]  # version-table rows this step adds


@dataclass(frozen=True, slots=True)
class VersionChange:
    """The version-table rows a stamp removes and adds (no script runs)."""

    delete: tuple[str, ...]
    insert: tuple[str, ...]


class RevisionMap:
    """An immutable, validated revision graph."""

    def __init__(self, revisions: Iterable[Revision]) -> None:
        raise NotImplementedError

    @property
    def heads(self) -> tuple[str, ...]:
        """Revisions nothing revises, in a stable order."""
        raise NotImplementedError

    @property
    def bases(self) -> tuple[str, ...]:
        """Revisions with no down_revision, in a stable order."""
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def __iter__(self) -> Iterable[Revision]:
        """Every revision, newest first (heads first), as `history` lists them."""
        raise NotImplementedError

    def get(self, ident: str) -> Revision:
        """A revision by full id, unique prefix or branch label."""
        raise NotImplementedError

    def children(self, revision: str) -> tuple[str, ...]:
        """Ids of the revisions whose down_revision includes this one."""
        raise NotImplementedError

    def branch_labels(self, revision: str) -> frozenset[str]:
        """Every label that names this revision's branch (its own and inherited)."""
        raise NotImplementedError

    def is_head(self, revision: str) -> bool:
        raise NotImplementedError

    def is_base(self, revision: str) -> bool:
        raise NotImplementedError

    def is_branch_point(self, revision: str) -> bool:
        raise NotImplementedError

    def is_merge_point(self, revision: str) -> bool:
        raise NotImplementedError

    def resolve(self, target: str, current: Sequence[str] = ()) -> tuple[str, ...]:
        """The set of heads a target names, given the current version rows."""
        raise NotImplementedError

    def upgrade_plan(self, current: Sequence[str], target: str) -> list[Step]:
        """Steps, in order, that take `current` up to `target`."""
        raise NotImplementedError

    def downgrade_plan(self, current: Sequence[str], target: str) -> list[Step]:
        """Steps, in order, that take `current` down to `target`."""
        raise NotImplementedError

    def stamp(
        self, current: Sequence[str], targets: Sequence[str], *, purge: bool = False
    ) -> VersionChange:
        """The version-table change that stamps `targets` over `current`."""
        raise NotImplementedError

    def history(self, rev_range: str | None = None, current: Sequence[str] = ()) -> list[Revision]:
        """Revisions in a `start:end` range (either side optional), newest first."""
        raise NotImplementedError

    def heads_with_dependencies(self) -> tuple[str, ...]:
        """Heads once dependencies are resolved (`heads --resolve-dependencies`)."""
        raise NotImplementedError
