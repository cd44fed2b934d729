"""Comparing what the ledger says ran with the script files on disk (``validate``).

Synchronous; :func:`assess` and :func:`hash_expected` look at files, so callers
run them in a worker thread.  A revision counts as applied when it is below (or is) a current head
by the revision graph, following ``down_revision`` and ``depends_on`` as an
upgrade does.  Its *deciding* ledger row is the latest successful row that
names it: an ``upgrade`` or ``accept`` row carries the checksum the file must
still have; a ``baseline`` row (applied before the ledger), a ``stamp``
(applied without running the script) or a later ``downgrade`` (re-applied by
a stamp since) carries none, so the revision is only counted as unrecorded.

When the graph cannot place a version row (its script was deleted) or cannot
be built at all, the applied set falls back to what the ledger records: every
revision whose deciding row is not a downgrade, found by the script path the
row recorded.  The report's notes say so.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .._reports import ChecksumProblem, LedgerEntry
from ..errors import RevisionError

if TYPE_CHECKING:
    from .._script.revision import RevisionMap

__all__ = (
    "Assessment",
    "applied_revisions",
    "assess",
    "checksum",
    "file_checksum",
    "hash_expected",
    "problems",
)

# Directions whose row records the checksum the script must still have.
_CHECKED = frozenset({"upgrade", "accept"})


def checksum(data: bytes) -> str:
    """sha256 (hex) of a script's bytes, line endings normalised to ``\\n``."""
    return hashlib.sha256(data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")).hexdigest()


def file_checksum(path: str | Path) -> str | None:
    """:func:`checksum` of the file at `path`; None if it does not exist (or cannot be read)."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    return checksum(data)


def applied_revisions(graph: RevisionMap, heads: Iterable[str]) -> list[str]:
    """Every revision at or below `heads` (those the graph knows), oldest first."""
    seen: set[str] = set()
    stack = [head for head in heads if head in graph]
    while stack:
        rid = stack.pop()
        if rid in seen:
            continue
        seen.add(rid)
        revision = graph.get(rid)
        stack.extend(revision.down_revision)
        for dependency in revision.depends_on:
            try:
                stack.append(graph.get(dependency).revision)
            except RevisionError:  # the graph was built, so this is resolvable; be safe anyway
                continue
    return [rev.revision for rev in reversed(list(graph)) if rev.revision in seen]


def _named(entry: LedgerEntry) -> tuple[str, ...]:
    # A stamp row names its revisions as reports do: "a1, b2" (or "base").
    if entry.direction == "stamp":
        return tuple(entry.revision.split(", "))
    return (entry.revision,)


def deciding_rows(entries: Iterable[LedgerEntry]) -> dict[str, LedgerEntry]:
    """The latest successful row naming each revision (entries in ledger order)."""
    latest: dict[str, LedgerEntry] = {}
    for entry in entries:
        if entry.success:
            for revision in _named(entry):
                latest[revision] = entry
    return latest


@dataclass(frozen=True)
class Expected:
    """An applied revision whose script must still have the checksum its row recorded."""

    revision: str
    checksum: str
    path: str | None  # where the file is now (the graph's path), or the recorded one


@dataclass
class Assessment:
    """What one target's comparison needs: the scripts to hash, and what was learnt already."""

    target: str
    heads: tuple[str, ...]
    expected: list[Expected]
    unrecorded: list[str]
    missing: list[ChecksumProblem]
    notes: list[str]


def assess(
    target: str,
    heads: Sequence[str],
    entries: Sequence[LedgerEntry],
    graph: RevisionMap | None,
    location: Path,
    *,
    graph_error: str | None = None,
) -> Assessment:
    """Which applied scripts of `target` to compare, and which are already known to be gone.

    Looks at files (whether a recorded script still exists): run it in a worker thread.

    `location` is the script location recorded script paths are relative to;
    `graph` is None when it could not be built (`graph_error` says why).
    """
    deciding = deciding_rows(entries)
    result = Assessment(target, tuple(heads), [], [], [], [])
    unknown = [head for head in heads if graph is None or head not in graph]
    applied = applied_revisions(graph, heads) if graph is not None else []
    if graph is None:
        result.notes.append(
            f"the revision graph cannot be built ({graph_error}); only the revisions the "
            "ledger records as applied were checked, by the script paths it recorded"
        )
    elif unknown:
        result.notes.append(
            f"the version table names {', '.join(unknown)}, which no script has, so the "
            "revisions below it are not known; the revisions the ledger records as applied "
            "were checked too"
        )
    if unknown or graph is None:
        recorded = [rev for rev, row in deciding.items() if row.direction != "downgrade"]
        applied = list(dict.fromkeys([*applied, *recorded, *unknown]))
    for revision in applied:
        row = deciding.get(revision)
        known = graph is not None and revision in graph
        path = graph.get(revision).path if graph is not None and known else None
        if path is None and row is not None and row.script is not None:
            path = str(location / row.script)
        if not known and (path is None or not os.path.exists(path)):
            result.missing.append(
                ChecksumProblem(
                    target,
                    revision,
                    "missing",
                    path,
                    row.checksum if row is not None else None,
                    None,
                )
            )
        elif row is not None and row.direction in _CHECKED and row.checksum is not None:
            result.expected.append(Expected(revision, row.checksum, path))
        else:
            result.unrecorded.append(revision)
    return result


def hash_expected(expected: Sequence[Expected]) -> dict[str, str | None]:
    """The checksum of each expected revision's file now (None: gone); reads files."""
    return {
        item.revision: file_checksum(item.path) if item.path is not None else None
        for item in expected
    }


def problems(assessment: Assessment, actual: Mapping[str, str | None]) -> list[ChecksumProblem]:
    """The missing scripts, then every expected script whose checksum is not the recorded one."""
    found = list(assessment.missing)
    for item in assessment.expected:
        now = actual.get(item.revision)
        if now == item.checksum:
            continue
        kind: Literal["edited", "missing"] = "missing" if now is None else "edited"
        found.append(
            ChecksumProblem(assessment.target, item.revision, kind, item.path, item.checksum, now)
        )
    return found
