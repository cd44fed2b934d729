"""Every tenant schema's version rows in a handful of queries, without the lock.

A run over a fleet at head would otherwise connect, lock and read once per
tenant only to find nothing to do.  Here one connection asks the catalog
(``information_schema.tables``, which every dialect with tenant schemas has)
which tenants have a version table, then reads all of those tables at once:
one ``UNION ALL`` of ``SELECT '<schema>', version_num FROM <schema>.<table>``
per chunk of tenants, every name quoted by SQLAlchemy.  A tenant without the
table is at base.  The read is a snapshot taken before any lock: it only ever
lets a run skip a tenant that has nothing to do; every other tenant is read
again under its lock before anything runs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import anyio
from sqlalchemy import String, column, literal, select, table, union_all
from sqlalchemy.exc import SQLAlchemyError

from . import engines as _engines
from .version_table import version_table

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncEngine

    from .._config import DatabaseConfig

__all__ = ("chunks", "read_tenant_heads", "tables_present", "tenant_heads")

log = logging.getLogger("asyncmig.runtime")

# Tenants per statement: well under every server's limit on a statement's size.
_CHUNK = 500

_TABLES = table("tables", column("table_schema"), column("table_name"), schema="information_schema")


def chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    """`items` in slices small enough for one statement each."""
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def tables_present(connection: Connection, name: str, schemas: Sequence[str]) -> set[str]:
    """The schemas among `schemas` that have a table called `name`."""
    present: set[str] = set()
    for chunk in chunks(schemas):
        query = select(_TABLES.c.table_schema).where(
            _TABLES.c.table_name == name, _TABLES.c.table_schema.in_(list(chunk))
        )
        present.update(str(row[0]) for row in connection.execute(query))
    return present


def read_tenant_heads(
    connection: Connection, name: str, schemas: Sequence[str]
) -> dict[str, tuple[str, ...]]:
    """The version rows (sorted) of table `name` in each of `schemas` (() where it is missing)."""
    present = tables_present(connection, name, schemas)
    found: dict[str, list[str]] = {schema: [] for schema in schemas}
    for chunk in chunks([schema for schema in schemas if schema in present]):
        parts = [
            select(
                literal(schema, String).label("tenant"),
                version_table(name, schema).c.version_num,
            )
            for schema in chunk
        ]
        query = union_all(*parts) if len(parts) > 1 else parts[0]
        for tenant, revision in connection.execute(query):
            found[str(tenant)].append(str(revision))
    return {schema: tuple(sorted(revisions)) for schema, revisions in found.items()}


async def tenant_heads(
    engine: AsyncEngine, database: DatabaseConfig, name: str, schemas: Sequence[str]
) -> dict[str, tuple[str, ...]] | None:
    """:func:`read_tenant_heads` on a connection of its own; None if the read failed.

    A failure here is not the run's: every tenant is then read under its lock as usual.
    """
    conn = await _engines.connect(engine, database)
    try:
        return await conn.run_sync(read_tenant_heads, name, list(schemas))
    except SQLAlchemyError:
        log.debug("database %r: the tenants' versions could not be read at once", database.name)
        return None
    finally:
        with anyio.CancelScope(shield=True):
            if conn.in_transaction():
                await conn.rollback()
            await conn.close()
