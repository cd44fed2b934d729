"""The version table: one row per current head, Alembic's shape.

``version_num VARCHAR(32) NOT NULL`` with a primary key constraint named
``<table>_pkc``, as Alembic's ``alembic_version`` has, so pointing
``version_table`` at ``alembic_version`` adopts an Alembic database.  The
table is created on the first write only; reads of a missing table return no
heads.  Everything here is synchronous and runs inside ``run_sync`` (or
writes offline SQL through the context's dialect implementation).
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


_SEEN_KEY = "asyncmig_version_tables"


def exists(connection: Connection, table: Table) -> bool:
    """Whether the version table is in the database.

    A table once found (or created) is remembered on the connection until
    :func:`forget`: a migration's steps never drop it, and asking the catalog
    twice per step costs more than many steps do on a server.  The runner
    forgets when a target ends, so a rolled-back creation never outlives it.
    """
    seen: set[tuple[str | None, str]] = connection.info.setdefault(_SEEN_KEY, set())
    key = (table.schema, table.name)
    if key in seen:
        return True
    found = bool(inspect(connection).has_table(table.name, schema=table.schema))
    if found:
        seen.add(key)
    return found


def forget(connection: Connection) -> None:
    """Drop what :func:`exists` remembered on this connection."""
    connection.info.pop(_SEEN_KEY, None)


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


def read_heads(connection: Connection, table: Table) -> tuple[str, ...]:
    """The rows of the version table, sorted; () if it does not exist yet."""
    if not exists(connection, table):
        return ()
    rows = connection.execute(_statements(table).select).scalars().all()
    return tuple(sorted(str(row) for row in rows))


def ensure(context: MigrationContext) -> None:
    """Create the version table if it is missing (offline: always render CREATE TABLE)."""
    table = context.version_table_object
    if context.connection is None:
        context.impl.execute(CreateTable(table))
    elif not exists(context.connection, table):
        table.create(context.connection)
        context.connection.info.setdefault(_SEEN_KEY, set()).add((table.schema, table.name))


def apply(context: MigrationContext, delete: Sequence[str], insert: Sequence[str]) -> None:
    """Swap version rows: UPDATE for one-for-one, DELETE / INSERT otherwise.

    Online, each statement must touch exactly the rows it names; anything else
    means another process changed the table under us, and the step's
    transaction must not commit.
    """
    if not delete and not insert:
        return
    table = context.version_table_object
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
    table = context.version_table_object
    if context.connection is None:
        context.impl.execute(table.delete())
    elif exists(context.connection, table):
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
    from .engines import session_of

    rowcount = session_of(context.connection).write(
        context.connection,
        statement,  # type: ignore[arg-type]  # DML on the version table
        parameters or {},
    )
    if rowcount != expected:
        name = (
            f"{context.version_table_schema}.{context.version_table}"
            if (context.version_table_schema)
            else context.version_table
        )
        raise CommandError(
            f"database {context.database!r}: version table {name} changed under this run "
            f"({what} touched {rowcount} rows, expected {expected}); another process "
            "is migrating it: run `asyncmig current` and try again"
        )
