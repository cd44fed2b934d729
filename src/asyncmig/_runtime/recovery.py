"""What ``asyncmig repair`` finds and does about steps that stopped part-way.

Per target, with its migration lock held (so that a step still running is
never taken for one that died): the unresolved journal rows (:mod:`.journal`),
and, for a step that stopped inside an autocommit block, what the dialect's
:class:`~asyncmig._dialects.generic.Recovery` finds left behind that was not
there as the block began (PostgreSQL: invalid indexes).  Then, per step:

- ``--resolved REV``: a person has checked the database (and undone or
  finished the step); the row is marked resolved as it stands.
- ``--fix``: the leftovers no server process is still building are removed;
  the row is marked resolved if running the step again from its start is
  safe: DDL is transactional here, and nothing of the step had committed
  before the block it stopped in (or after) began.  Where DDL commits
  implicitly (MySQL/MariaDB), any statement of the step may have applied, so
  that is never assumed.
- otherwise: what to do, in words.

The journal knows blocks, not statements: a block that ran several
statements before it stopped would repeat those that had finished.  One
statement per block (one ``CREATE INDEX CONCURRENTLY``) is what makes ``--fix``
exact.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING

from .._reports import JournalEntry
from ..errors import RevisionError
from . import journal
from .connection import each_locked_target

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncEngine

    from .._config import Config, DatabaseConfig
    from .._dialects.generic import Leftover, Recovery, Session
    from .connection import TargetConnection
    from .script_cache import ScriptCache

__all__ = ("recover",)

BY_HAND = "marked resolved by hand (asyncmig repair --resolved)"
BY_FIX = "resolved by asyncmig repair --fix: it runs again from its start"


async def recover(
    config: Config,
    database: DatabaseConfig,
    engines: Mapping[str, AsyncEngine] | None,
    cache: ScriptCache,
    *,
    fix: bool,
    resolved: Sequence[str],
) -> tuple[list[JournalEntry], dict[str, str]]:
    """Each unfinished step in `database`'s targets, and what was done about it.

    Returns the entries and, for each of `resolved`, the full revision id it names
    here (itself, when the scripts do not know it: a deleted script's revision).
    """
    loaded = await cache.load(database, graph=False)
    names = {revision: revision for revision in resolved}
    if resolved:
        try:
            _, graph = await cache.require_graph(database)
        except RevisionError:  # a broken graph must not keep a person from resolving
            graph = None
        for revision in resolved:
            try:
                names[revision] = graph.get(revision).revision if graph is not None else revision
            except RevisionError:
                continue
    one = partial(_target, fix=fix, resolved=set(names.values()))
    found = await each_locked_target(config, database, engines, loaded.env_module, one)
    entries = [entry for per_target in found for entry in per_target]
    return entries, names


def _target(
    connection: Connection, tc: TargetConnection, *, fix: bool, resolved: Collection[str]
) -> list[JournalEntry]:
    """One target's unfinished steps, dealt with as asked (the body of one ``run_sync``)."""
    tc.session.begin(connection)
    found = journal.unfinished(connection, tc.version)
    if not found:
        connection.rollback()
        return []
    backend = tc.backend
    recovery = backend.recovery()
    present = recovery.leftovers(connection) if any(i.progress.inside for i in found) else []
    display = backend.display_name or connection.dialect.name
    entries = []
    for item in found:
        progress = item.progress
        left = [lo for lo in present if progress.inside and lo.qualified not in progress.before]
        transactional = backend.ddl.transactional_ddl
        rerun = transactional and progress.statements == 0
        removed: list[Leftover] = []
        how = None
        if item.revision in resolved:
            how = BY_HAND
        elif fix:
            removed = [lo for lo in left if lo.busy is None]
            _remove(connection, tc.session, recovery, removed)
            if rerun and len(removed) == len(left):
                how = BY_FIX
        if how is not None:
            journal.resolve(connection, tc.version, item, how)
        who = f"{item.os_user}, " if item.os_user else ""
        entries.append(
            JournalEntry(
                database=tc.target.key,
                revision=item.revision,
                direction=item.direction,
                stopped=progress.where(display),
                last_block=progress.last_block,
                started_at=item.started_at,
                started_by=f"{who}{progress.runner or 'runner unknown'}",
                committed=progress.statements,
                last_statements=progress.last,
                leftovers=tuple(_described(lo) for lo in left),
                removed=tuple(str(lo) for lo in removed),
                resolved=how is not None,
                advice=_advice(
                    item,
                    [lo for lo in left if lo not in removed],
                    how,
                    rerun,
                    None if transactional else display,
                ),
            )
        )
    connection.commit()
    return entries


def _described(leftover: Leftover) -> str:
    return f"{leftover} ({leftover.busy})" if leftover.busy else str(leftover)


def _remove(
    connection: Connection, session: Session, recovery: Recovery, leftovers: Sequence[Leftover]
) -> None:
    """Remove `leftovers` in autocommit (``DROP INDEX CONCURRENTLY`` refuses a transaction)."""
    if not leftovers:
        return
    state = session.autocommit_enter(connection)
    try:
        for leftover in leftovers:
            recovery.remove(connection, leftover)
    finally:
        session.autocommit_exit(connection, state)


def _advice(
    item: journal.Unfinished,
    left: Sequence[Leftover],
    how: str | None,
    rerun: bool,
    implicit: str | None,
) -> str:
    """What to do next about `item`; once resolved, what the next run does.

    `left`: its leftovers still there; `implicit`: the display name of a
    database whose DDL commits implicitly (None: transactional DDL).
    """
    rev, direction, progress = item.revision, item.direction, item.progress
    if how == BY_HAND:
        return f"{how}; the next {direction} goes on from what the version table says"
    if how == BY_FIX:
        return f"resolved; the next {direction} runs revision {rev} again from its start"
    busy = [leftover for leftover in left if leftover.busy]
    if busy:
        return (
            f"{busy[0].qualified}: {busy[0].busy}, so the interrupted statement is still "
            "running on the server: wait for it to end (or cancel it), then run "
            "`asyncmig repair` again"
        )
    finish = f"finish the step by hand and run `asyncmig stamp {progress.to or rev}`"
    then = f"then run `asyncmig repair --resolved {rev}`"
    drop = ", ".join(str(leftover) for leftover in left)
    if implicit is not None:
        return (
            f"{implicit} commits each DDL statement as it runs, so any part of the step may be "
            f"applied: compare the database with revision {rev}'s {direction}(), then undo what "
            f"ran (or {finish}), {then}"
        )
    if rerun:
        drops = f"drops {drop} and " if drop else ""
        return (
            f"`asyncmig repair --fix` {drops}lets the next {direction} run revision {rev} "
            "again from its start"
        )
    drops = f"; `asyncmig repair --fix` drops {drop}" if drop else ""
    return (
        f"it had committed {progress.statements} statement(s) (the last: {progress.last}), "
        f"which running it again from its start would repeat: undo them (or {finish}), "
        f"{then}{drops}"
    )
