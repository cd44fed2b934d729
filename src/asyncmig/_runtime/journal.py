"""The journal of steps that commit as they go: how far a half-applied step got.

Most steps run in one transaction: killed part-way, they leave nothing.  Two
kinds commit as they go: a step with autocommit blocks (``CREATE INDEX
CONCURRENTLY``, enum values added on PostgreSQL, a script with ``"transaction":
False``), and every step where DDL commits implicitly (MySQL/MariaDB).  Such a
step has a row in the ledger while it runs (success false, ``progress`` set)
that says how far it got:

- as an autocommit block begins, the row (inserted, or updated to "block k
  begun", with the invalid objects already there) is written in the step's
  transaction, just before the commit that ends it, so it commits together
  with the step's work so far;
- as the block ends, "block k done" is written at once, still in autocommit;
- where DDL commits implicitly, the row is inserted before the step runs, and
  the server's commit before the step's first DDL statement commits it;
- when the step succeeds, the row is deleted in its last transaction, the one
  that writes its version rows and its ledger row.

So a row with ``progress`` outlives only a step that committed part of its
work and then failed, was cancelled, or was killed.  ``upgrade`` and
``downgrade`` stop on it (:class:`~asyncmig.errors.UnfinishedStep`) until
``asyncmig repair`` resolves it (:mod:`.recovery`); it then stays, marked
resolved, as history.  A step without autocommit blocks on a database with
transactional DDL writes nothing here; offline, nothing here runs.
"""

from __future__ import annotations

import functools
import json
import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ..errors import MigrationFailed, UnfinishedStep
from . import ledger

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection

    from .._dialects.generic import Backend
    from .._script.revision import Step
    from .connection import TargetConnection
    from .context import MigrationContext
    from .steps import TargetSetup
    from .version_table import VersionTable

__all__ = (
    "BOOKKEEPING",
    "Progress",
    "StepJournal",
    "Unfinished",
    "after_failure",
    "bookkeeping",
    "check",
    "journaled",
    "resolve",
    "unfinished",
)


#: ``connection.info`` key set while asyncmig writes its own rows inside a step:
#: those statements are not the step's (the step's error does not list them).
BOOKKEEPING = "asyncmig_bookkeeping"
# The commands that run scripts, and so stop on an unfinished step.
_RUNS_SCRIPTS = frozenset({"upgrade", "downgrade"})
# How many of the last statements a row keeps, and how much of each.
_LAST = 3
_WIDTH = 120


@dataclass(frozen=True)
class Progress:
    """How far a step got: the ``progress`` of its ledger row (JSON)."""

    blocks: int = 0  # autocommit blocks begun
    done: int = 0  # autocommit blocks completed
    statements: int = 0  # the step's statements completed (and committed) by the last write
    last: str = ""  # the last few of them, shortened
    before: tuple[str, ...] = ()  # leftovers there already as the last block began
    to: str = ""  # the revisions the step moves the database to ("base": none)
    runner: str = ""  # who ran it: "pid 4242 on web-1"
    resolved: str | None = None  # when and how ``repair`` resolved it

    @property
    def last_block(self) -> int | None:
        """The last autocommit block completed (0: none), None for a step without blocks."""
        return self.done if self.blocks else None

    @property
    def inside(self) -> bool:
        """Whether the step stopped inside an autocommit block."""
        return self.blocks > self.done

    def where(self, dialect: str) -> str:
        """Where the step stopped, for people (`dialect`: the database's display name)."""
        if self.inside:
            return f"inside autocommit block {self.blocks}"
        if self.blocks:
            return f"after autocommit block {self.done}"
        return f"part-way ({dialect} commits each DDL statement as it runs)"

    def to_json(self) -> str:
        data = {key: value for key, value in asdict(self).items() if value not in ("", (), None)}
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Progress:
        data: dict[str, Any] = json.loads(text)
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        known["before"] = tuple(known.get("before", ()))
        return cls(**known)


@functools.cache
def _runner() -> str:
    return f"pid {os.getpid()} on {socket.gethostname()}"


def _shortened(statements: Sequence[str]) -> str:
    shown = statements[-_LAST:]
    cut = [text if len(text) <= _WIDTH else text[: _WIDTH - 3] + "..." for text in shown]
    return "; ".join(cut)


def _table(version: VersionTable) -> Table:
    return ledger.ledger_table(version.table.name, version.table.schema)


@contextmanager
def bookkeeping(connection: Connection) -> Iterator[None]:
    """Mark the statements run inside as asyncmig's own, not the step's."""
    info = connection.info
    outer = info.get(BOOKKEEPING, False)
    info[BOOKKEEPING] = True
    try:
        yield
    finally:
        info[BOOKKEEPING] = outer


# -- writing, while a step runs ------------------------------------------------------------


class StepJournal:
    """One running step's row: written only once the step starts committing part-way."""

    def __init__(self, context: MigrationContext, setup: TargetSetup, step: Step) -> None:
        self.context = context
        self.setup = setup
        self.step = step
        self.statements: list[str] = []  # the step's completed statements (run_step fills it)
        self.progress = Progress(to=" ".join(step.to_revisions) or "base", runner=_runner())
        self.row: int | None = None
        self.depth = 0  # autocommit blocks open; only the outermost one is journaled

    def begin(self) -> None:
        """Where DDL commits implicitly: the row, before the step (its first DDL commits it)."""
        if self.step.script is not None and not self.context.impl.transactional_ddl:
            self._write(self.progress)

    @contextmanager
    def block(self) -> Iterator[None]:
        """Around an autocommit block: "block k begun", written before the commit that opens it."""
        self.depth += 1
        try:
            if self.depth == 1:
                connection = self.connection
                with bookkeeping(connection):
                    before = _backend(self.context).recovery().snapshot(connection)
                progress = self.progress
                self._write(
                    replace(
                        progress,
                        blocks=progress.blocks + 1,
                        before=before,
                        statements=len(self.statements),
                        last=_shortened(self.statements),
                    )
                )
            yield
        finally:
            self.depth -= 1

    def block_done(self) -> None:
        """Right after the block, still in autocommit: "block k done", committed at once."""
        if self.depth == 1:
            progress = self.progress
            self._write(
                replace(
                    progress,
                    done=progress.blocks,
                    statements=len(self.statements),
                    last=_shortened(self.statements),
                )
            )

    def finished(self) -> None:
        """The step succeeded: delete its row, in the transaction that records the step."""
        if self.row is None:
            return
        table = _table(self.context.version)
        with bookkeeping(self.connection):
            self.connection.execute(table.delete().where(table.c.id == self.row))
        self.row = None

    @property
    def connection(self) -> Connection:
        connection = self.context.connection
        assert connection is not None  # online only
        return connection

    def _write(self, progress: Progress) -> None:
        connection, version = self.connection, self.context.version
        with bookkeeping(connection):
            if self.row is None:
                ledger.ensure_beside(self.context, self.setup)
                values = ledger.row(self.step.revision, self.step.direction, success=False)
                values["progress"] = progress.to_json()
                self.row = ledger.insert_one(connection, version, values)
            else:
                table = _table(version)
                update = table.update().where(table.c.id == self.row)
                connection.execute(update.values(progress=progress.to_json()))
        self.progress = progress


def _backend(context: MigrationContext) -> type[Backend]:
    from .._dialects import backend_for

    return backend_for(context.dialect)


@contextmanager
def journaled(
    context: MigrationContext, setup: TargetSetup, step: Step
) -> Iterator[StepJournal | None]:
    """The step run inside is journaled; its row (if any) is deleted once it has succeeded.

    Without the ledger (``ledger = false``) there is nowhere to journal: nothing is.
    """
    if not setup.config.ledger:
        yield None
        return
    journal = StepJournal(context, setup, step)
    context.journal = journal
    journal.begin()
    yield journal
    journal.finished()


# -- reading: what stopped part-way ------------------------------------------------------------


@dataclass(frozen=True)
class Unfinished:
    """A step's ledger row that says it stopped part-way, and is not resolved."""

    id: int
    revision: str
    direction: str
    started_at: datetime  # UTC
    os_user: str | None
    progress: Progress = field(default_factory=Progress)


def unfinished(connection: Connection, version: VersionTable) -> list[Unfinished]:
    """The unresolved rows of steps that stopped part-way beside `version`, oldest first."""
    if not ledger.exists(connection, version):
        return []
    table = _table(version)
    columns = (table.c.id, table.c.revision, table.c.direction, table.c.applied_at)
    query = (
        select(*columns, table.c.os_user, table.c.progress)
        .where(table.c.progress.is_not(None))
        .order_by(table.c.id)
    )
    found = [
        Unfinished(
            int(row.id),
            str(row.revision),
            str(row.direction),
            _utc(row.applied_at),
            row.os_user,
            Progress.from_json(row.progress),
        )
        for row in connection.execute(query)
    ]
    return [item for item in found if item.progress.resolved is None]


def _utc(value: Any) -> datetime:
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def resolve(connection: Connection, version: VersionTable, item: Unfinished, how: str) -> None:
    """Mark `item` resolved (`how`: what was done), in the open transaction."""
    os_user, _ = ledger.identity()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    by = f" by {os_user}" if os_user else ""
    progress = replace(item.progress, resolved=f"{when}{by}: {how}")
    table = _table(version)
    update = table.update().where(table.c.id == item.id)
    connection.execute(update.values(progress=progress.to_json()))


# -- the runner's hooks ------------------------------------------------------------------


async def check(tc: TargetConnection, setup: TargetSetup) -> None:
    """Before any step of ``upgrade`` or ``downgrade``: stop if a step stopped part-way before."""
    if setup.request.command not in _RUNS_SCRIPTS or not setup.config.ledger:
        return
    found = await tc.conn.run_sync(unfinished, tc.version)
    if not found:
        return
    first = found[0]
    raise UnfinishedStep(
        database=setup.database,
        revision=first.revision,
        direction=first.direction,
        stopped=first.progress.where(tc.backend.display_name or tc.conn.dialect.name),
        last_block=first.progress.last_block,
        others=[item.revision for item in found[1:]],
    )


async def after_failure(
    tc: TargetConnection, step: Step, error: MigrationFailed, commits: int, *, rolled_back: bool
) -> MigrationFailed:
    """After a failed step's rollback: keep its row if it committed part of its work.

    `commits`: the session's commit count before the step ran; `rolled_back`:
    the error says its transaction was rolled back (and nothing else).  A row with
    nothing of the step committed (where DDL commits implicitly, the server
    commits it before a first statement that then fails) is deleted, so that a
    retry or the next run starts afresh.  A row kept makes the error say so.
    Best-effort: a failure here is logged, and the step's own error returned.
    """
    committed = tc.session.commits != commits
    if step.script is None or (tc.backend.ddl.transactional_ddl and not committed):
        return error  # no autocommit block began: nothing was journaled
    drop = not committed and not error.statements
    kept = await tc.try_sync(
        f"what the failed step {step.revision} committed could not be read from the ledger",
        _settle,
        tc,
        step,
        drop,
    )
    if kept is None:
        return error
    rev = step.revision
    held = f"asyncmig holds revision {rev} as unfinished until `asyncmig repair` resolves it"
    if not rolled_back:  # it already says what may be applied
        return error.restated(f"{error.outcome}; {held}")
    committed_part = (
        f"it failed inside autocommit block {kept.blocks}, and what it ran before that block "
        "and in it had committed"
        if kept.inside
        else f"what it ran up to the end of autocommit block {kept.done} had committed"
    )
    return error.restated(f"{error.outcome}, but {committed_part}; {held}")


def _settle(
    connection: Connection, tc: TargetConnection, step: Step, drop: bool
) -> Progress | None:
    """The failed step's unresolved row's progress (None: none, or `drop` deleted it)."""
    tc.session.begin(connection)
    mine = [
        item
        for item in unfinished(connection, tc.version)
        if (item.revision, item.direction) == (step.revision, step.direction)
    ]
    if not mine:
        connection.rollback()
        return None
    if drop:
        table = _table(tc.version)
        connection.execute(table.delete().where(table.c.id == mine[-1].id))
        connection.commit()
        return None
    connection.rollback()
    return mine[-1].progress
