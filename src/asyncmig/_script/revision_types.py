"""The value types of the revision graph: a script's header, a planned step, a stamp."""

from __future__ import annotations

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
