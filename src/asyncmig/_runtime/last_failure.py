"""Each tenant's last failure, kept in the tenant: ``<version_table>_failure``.

A fleet's ``current --summary`` says which tenants failed last time and why,
whichever runner (process, pod) ran them, so the record lives beside the
tenant's version table, in the tenant's own schema: at most one row, written
when a step failed, while the runner still holds the tenant's lock (so a
runner that migrates it later never finds a stale row), and deleted by the
next run that migrates it.  Only a step that ran and failed is recorded: bad
input (an unknown revision, an edited script) leaves the schema as it was, and
so does any failure on a plain database (its ledger's failed row says which
step).  Like the ledger, it exists only where ``ledger`` is on.  Writing it is
best-effort and never replaces the tenant's own error.  Everything here is
synchronous, for ``run_sync``.
"""

from __future__ import annotations

import functools
import os
import socket
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    literal,
    select,
    union_all,
)

from .._reports import TargetFailure
from .tenant_versions import chunks, tables_present

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

__all__ = ("clear", "failure_table", "read_one", "read_tenants", "record")

# An error is one line, but a database's message may be long: enough to say why.
_ERROR_WIDTH = 2000


@functools.lru_cache(maxsize=1024)
def failure_table(version_table: str, schema: str | None = None) -> Table:
    """The last-failure table beside `version_table`, on a metadata of its own."""
    return Table(
        f"{version_table}_failure",
        MetaData(),
        Column("command", String(16), nullable=False),
        Column("revision", String(32)),  # the step that failed; NULL: before any step
        Column("error", Text, nullable=False),
        Column("failed_at", DateTime, nullable=False),  # UTC
        Column("runner", String(255), nullable=False),
        schema=schema,
    )


@functools.cache
def _runner() -> str:
    return f"pid {os.getpid()} on {socket.gethostname()}"


def record(connection: Connection, table: Table, failure: dict[str, Any]) -> None:
    """Replace the target's last failure (`failure`: command, revision, error) with this one.

    In the open transaction.
    """
    table.create(connection, checkfirst=True)
    connection.execute(table.delete())
    connection.execute(
        table.insert().values(
            command=failure["command"],
            revision=failure["revision"],
            error=str(failure["error"])[:_ERROR_WIDTH],
            failed_at=datetime.now(UTC).replace(tzinfo=None),
            runner=_runner(),
        )
    )


def clear(connection: Connection, table: Table) -> None:
    """Forget the target's last failure, as it has since succeeded (in the open transaction)."""
    if inspect(connection).has_table(table.name, schema=table.schema):
        connection.execute(table.delete())


def _failure(key: str, row: Any) -> TargetFailure:
    failed_at = row.failed_at
    when = failed_at if isinstance(failed_at, datetime) else datetime.fromisoformat(failed_at)
    return TargetFailure(
        target=key,
        command=str(row.command),
        revision=row.revision,
        error=str(row.error),
        failed_at=when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC),
        runner=str(row.runner),
    )


def read_one(connection: Connection, table: Table, key: str) -> TargetFailure | None:
    """The target's last failure, if one is recorded."""
    if not inspect(connection).has_table(table.name, schema=table.schema):
        return None
    row = connection.execute(select(table)).first()
    return None if row is None else _failure(key, row)


def read_tenants(
    connection: Connection, version_table: str, schemas: Sequence[str], database: str
) -> dict[str, TargetFailure]:
    """The last failure of each tenant in `schemas` that has one, by schema (few queries)."""
    name = failure_table(version_table).name
    present = tables_present(connection, name, schemas)
    found: dict[str, TargetFailure] = {}
    for chunk in chunks([schema for schema in schemas if schema in present]):
        parts = []
        for schema in chunk:
            table = failure_table(version_table, schema)
            parts.append(select(literal(schema, String).label("tenant"), *table.c))
        query = union_all(*parts) if len(parts) > 1 else parts[0]
        for row in connection.execute(query):
            found[str(row.tenant)] = _failure(f"{database}:{row.tenant}", row)
    return found
