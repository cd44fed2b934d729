"""The value types of the revision graph: a script's header and a planned step."""

from __future__ import annotations

from collections.abc import Sequence
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
    # the script's own `asyncmig = {...}` execution settings, checked: ((key, value), ...)
    settings: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a plan: a script run in one direction, or a stamp (no script).

    `delete` and `insert` are the version-table rows the step removes and adds.
    """

    direction: Literal["upgrade", "downgrade", "stamp"]
    delete: tuple[str, ...]
    insert: tuple[str, ...]
    script: Revision | None = None  # None for a stamp
    purge: bool = False  # stamp --purge: every row goes first

    @property
    def revision(self) -> str:
        """The revision this step is about, as reports name it."""
        if self.script is not None:
            return self.script.revision
        return ", ".join(self.insert) or "base"

    @property
    def message(self) -> str:
        """The script's one-line message (a stamp says what it is)."""
        return self.script.message if self.script is not None else "stamp"

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
        """The version rows once this step has run over `heads`."""
        start = set() if self.purge else set(heads)
        return tuple(sorted((start - set(self.delete)) | set(self.insert)))
