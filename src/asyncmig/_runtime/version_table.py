"""The version table: one row per current head, Alembic's shape.

``version_num VARCHAR(32) NOT NULL`` with a primary key constraint named
``<table>_pkc``, as Alembic's ``alembic_version`` has, so pointing
``version_table`` at ``alembic_version`` adopts an Alembic database.  The
table is created on the first write only; reads of a missing table return no
heads.  What a connection knows about the table travels in its
:class:`VersionTable`, passed explicitly.  Everything here is synchronous and
runs inside ``run_sync`` (or writes offline SQL through the context's dialect
implementation).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import (
    Column,
    MetaData,
    PrimaryKeyConstraint,
    Select,
    String,
    Table,
    Update,
    bindparam,
    inspect,
    select,
)
from sqlalchemy.schema import CreateTable

from ..errors import CommandError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from .context import MigrationContext


@functools.lru_cache(maxsize=1024)
def version_table(name: str, schema: str | None = None) -> Table:
    """The version table, as a ``Table`` on a metadata of its own (built once per name)."""
    return Table(
        name,
        MetaData(),
        Column("version_num", String(32), nullable=False),
        PrimaryKeyConstraint("version_num", name=f"{name}_pkc"),
        schema=schema,
    )


class VersionTable:
    """One target's version table, and whether its connection has found (or made) it.

    A table once found is not looked up again: a migration's steps never drop
    it, and asking the catalog twice per step costs more than many steps do on
    a server.  The state lives as long as the target's connection is open, so a
    rolled-back creation never outlives the run.
    """

    def __init__(self, table: Table) -> None:
        self.table = table
        self.known = False

    @classmethod
    def named(cls, name: str, schema: str | None = None) -> VersionTable:
        """A fresh state for the version table called `name` in `schema`."""
        return cls(version_table(name, schema))

    def exists(self, connection: Connection) -> bool:
        """Whether the table is in the database."""
        if not self.known:
            table = self.table
            self.known = bool(inspect(connection).has_table(table.name, schema=table.schema))
        return self.known


@dataclass(frozen=True)
class _Statements:
    """The statements run on every step, built once per table (SQLAlchemy then caches
    their compiled form: online they carry bound parameters, not literals)."""

    select: Select[tuple[str]]
    update: Update


@functools.lru_cache(maxsize=1024)
def _statements(table: Table) -> _Statements:
    column = table.c.version_num
    return _Statements(
        select=select(column),
        update=table.update()
        .where(column == bindparam("old"))
        .values(version_num=bindparam("new")),
    )


def read_heads(connection: Connection, version: VersionTable) -> tuple[str, ...]:
    """The rows of the version table, sorted; () if it does not exist yet."""
    if not version.exists(connection):
        return ()
    rows = connection.execute(_statements(version.table).select).scalars().all()
    return tuple(sorted(str(row) for row in rows))


def ensure(context: MigrationContext) -> None:
    """Create the version table if it is missing (offline: always render CREATE TABLE)."""
    version = context.version
    if context.connection is None:
        context.impl.execute(CreateTable(version.table))
    elif not version.exists(context.connection):
        version.table.create(context.connection)
        version.known = True


def apply(context: MigrationContext, delete: Sequence[str], insert: Sequence[str]) -> None:
    """Swap version rows: UPDATE for one-for-one, DELETE / INSERT otherwise.

    Online, each statement must touch exactly the rows it names; anything else
    means another process changed the table under us, and the step's
    transaction must not commit.
    """
    if not delete and not insert:
        return
    table = context.version.table
    if context.connection is not None:
        ensure(context)  # offline, the runner renders CREATE TABLE once, up front
    column = table.c.version_num
    if len(delete) == 1 and len(insert) == 1:
        if context.connection is not None:
            _write(
                context,
                _statements(table).update,
                {"old": delete[0], "new": insert[0]},
                expected=1,
                what=f"update {delete[0]} -> {insert[0]}",
            )
            return
        _write(
            context,
            table.update().where(column == delete[0]).values(version_num=insert[0]),
            expected=1,
            what=f"update {delete[0]} -> {insert[0]}",
        )
        return
    if delete:
        _write(
            context,
            table.delete().where(
                column == delete[0] if len(delete) == 1 else column.in_(list(delete))
            ),
            expected=len(delete),
            what=f"delete {', '.join(delete)}",
        )
    for revision in insert:
        _write(
            context,
            table.insert().values(version_num=revision),
            expected=1,
            what=f"insert {revision}",
        )


def purge(context: MigrationContext) -> None:
    """Delete every row (``stamp --purge``)."""
    table = context.version.table
    if context.connection is None:
        context.impl.execute(table.delete())
    elif context.version.exists(context.connection):
        context.connection.execute(table.delete())


def _write(
    context: MigrationContext,
    statement: object,
    parameters: dict[str, str] | None = None,
    *,
    expected: int,
    what: str,
) -> None:
    if context.connection is None:
        context.impl.execute(statement)
        return
    result = context.connection.execute(
        statement,  # type: ignore[call-overload]  # DML on the version table
        parameters or {},
    )
    rowcount = int(result.rowcount)
    if rowcount != expected:
        table = context.version.table
        name = f"{table.schema}.{table.name}" if table.schema else table.name
        raise CommandError(
            f"database {context.database!r}: version table {name} changed under this run "
            f"({what} touched {rowcount} rows, expected {expected}); another process "
            "is migrating it: run `asyncmig current` and try again"
        )
