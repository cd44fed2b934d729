"""Targets: what one task migrates -- a database, or one tenant schema of it.

A database without ``schemas`` is one target.  With ``schemas`` (a list, or a
query run on the database first) every schema is a target of its own, with
its own version table inside that schema and its own lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .._dialects import backend_for
from ..errors import CommandError, one_line
from . import engines as _engines

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from .._config import Config, DatabaseConfig
    from .._dialects.generic import Tenancy

# Tenant schemas of one database migrating at once when --concurrency is not
# given; each holds two connections (steps and lock), so six fit a default pool.
DEFAULT_SCHEMA_CONCURRENCY = 6


@dataclass(frozen=True)
class Target:
    """What one task migrates: a database, or (multi-tenant) one schema of it."""

    database: DatabaseConfig
    schema: str | None = None

    @property
    def key(self) -> str:
        """``database`` or ``database:schema``, as reports and ``current`` name it."""
        return f"{self.database.name}:{self.schema}" if self.schema else self.database.name

    def version_table(self, config: Config) -> tuple[str, str | None]:
        """The version table's name and schema for this target."""
        name = self.database.version_table or config.version_table
        if self.schema is not None:
            return name, self.schema
        schema = self.database.version_table_schema
        return name, schema if schema is not None else config.version_table_schema


def database_of(key: str) -> str:
    """The database name of a target key (names are identifiers, so never contain ':')."""
    return key.split(":", 1)[0]


def is_tenanted(database: DatabaseConfig) -> bool:
    """Whether the database migrates tenant schemas rather than itself."""
    return database.schemas is not None or database.schemas_query is not None


def targets_for(config: Config, databases: Sequence[str] | None) -> list[Target]:
    """One target per selected database, ignoring schemas (for per-history questions)."""
    return [Target(database) for database in config.select(databases)]


def static_targets(database: DatabaseConfig, dialect_name: str) -> list[Target]:
    """Offline: the targets of a database whose schemas are listed (a query cannot run)."""
    if not is_tenanted(database):
        return [Target(database)]
    backend_for(dialect_name).tenancy(dialect_name).check(database)
    if database.schemas_query is not None:
        raise CommandError(
            f"database {database.name!r}: its schemas come from a query, which --sql cannot "
            "run without a connection; list them in `schemas` for offline SQL, or leave "
            "out --sql"
        )
    return [Target(database, schema) for schema in dict.fromkeys(database.schemas or ())]


async def live_targets(
    database: DatabaseConfig, engine: AsyncEngine
) -> tuple[list[Target], Tenancy | None]:
    """The targets of a database, running its schemas query if it has one."""
    if not is_tenanted(database):
        return [Target(database)], None
    tenancy = backend_for(engine.dialect).tenancy(engine.dialect.name)
    tenancy.check(database)
    schemas = await schema_names(engine, database)
    return [Target(database, schema) for schema in schemas], tenancy


def backend_name(database: DatabaseConfig) -> str:
    """The dialect name of a database's URL (offline, nothing to connect to)."""
    from sqlalchemy.engine import make_url

    return make_url(database.url or "").get_backend_name() if database.url else "default"


async def schema_names(engine: AsyncEngine, database: DatabaseConfig) -> list[str]:
    """The database's tenant schemas: its list, or the rows of its query (first column)."""
    if database.schemas_query is None:
        return list(dict.fromkeys(database.schemas or ()))
    conn = await _engines.connect(engine, database)
    try:
        rows = (await conn.execute(text(database.schemas_query))).all()
    except SQLAlchemyError as exc:
        raise CommandError(
            f"database {database.name!r} ({database.masked_url}): its schemas query "
            f"{database.schemas_query!r} failed: {one_line(exc)}; fix `schemas` in its table"
        ) from exc
    finally:
        with anyio.CancelScope(shield=True):
            await conn.close()
    return list(dict.fromkeys(str(row[0]) for row in rows if row and row[0] is not None))
