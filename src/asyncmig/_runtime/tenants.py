"""Tenant schemas: one class per dialect, registered by name.

A database with ``schemas`` migrates each schema as a target of its own: the
version table lives in that schema, and the migration connection is pointed
at it so that unqualified ``op.create_table("x")`` lands there.

- PostgreSQL: the connection's ``search_path`` is set to the tenant schema
  alone (session level, committed, restored before the connection goes back
  to its pool).  Only the tenant's objects resolve unqualified; shared
  objects are written ``public.x``.
- MySQL / MariaDB: a "schema" is a database on the same server; the
  connection ``USE``\\s it, and ``USE``\\s the previous one afterwards.
- SQLite (and any dialect not registered): no schemas; a ConfigError says so.

A missing tenant schema is created (``CREATE SCHEMA``) by upgrade, stamp and
ensure-version, after the migration lock is held; nothing ever drops one.
Everything here except :func:`schema_names` is synchronous and runs inside
``run_sync`` (or writes offline SQL).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

import anyio
from sqlalchemy import inspect, text
from sqlalchemy.schema import CreateSchema

from ..errors import CommandError, ConfigError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncEngine

    from .._config import DatabaseConfig
    from .._operations.impl import DialectImpl

_INFO_KEY = "asyncmig_tenant"


class Tenancy:
    """A dialect without schemas: every use is a ConfigError (the base class)."""

    name: ClassVar[str] = "default"

    def check(self, database: DatabaseConfig) -> None:
        """Fail unless this dialect can migrate `database`'s schemas."""
        raise ConfigError(
            f"database {database.name!r} ({database.masked_url}): the {self.name} dialect has "
            "no tenant schemas; remove `schemas` / `schemas_query` from its table",
            key=f"databases.{database.name}.schemas",
        )

    def exists(self, connection: Connection, schema: str) -> bool:
        """Whether the schema is in the database."""
        return bool(inspect(connection).has_schema(schema))

    def create(self, connection: Connection, schema: str) -> None:
        """Create the schema (the caller checked it is missing)."""
        connection.execute(CreateSchema(schema))

    def enter(self, connection: Connection, schema: str) -> Any:
        """Point the session at `schema`; return what :meth:`leave` needs to undo it."""
        raise NotImplementedError

    def leave(self, connection: Connection, state: Any) -> None:
        """Undo :meth:`enter`."""

    def render(self, impl: DialectImpl, schema: str, *, create: bool) -> None:
        """Offline: write the statements that create (if asked) and enter `schema`."""
        if create:
            impl.execute(CreateSchema(schema, if_not_exists=True))

    @staticmethod
    def quote(connection_or_impl: Any, schema: str) -> str:
        """`schema` quoted by the dialect's identifier preparer, as needed."""
        return str(connection_or_impl.dialect.identifier_preparer.quote(schema))


class SQLiteTenancy(Tenancy):
    """SQLite has attached databases, not schemas; one file per tenant is the SQLite way."""

    name = "sqlite"

    def check(self, database: DatabaseConfig) -> None:
        raise ConfigError(
            f"database {database.name!r} ({database.masked_url}): SQLite has no tenant schemas; "
            "remove `schemas` / `schemas_query` and configure one database (file) per tenant",
            key=f"databases.{database.name}.schemas",
        )


class PostgresTenancy(Tenancy):
    """``search_path`` set to the tenant schema for the whole session."""

    name = "postgresql"

    def check(self, database: DatabaseConfig) -> None:
        return None

    def enter(self, connection: Connection, schema: str) -> Any:
        previous = connection.execute(text("SELECT current_setting('search_path')")).scalar()
        self._set(connection, self.quote(connection, schema))
        return previous

    def leave(self, connection: Connection, state: Any) -> None:
        self._set(connection, str(state))

    @staticmethod
    def _set(connection: Connection, value: str) -> None:
        # Committed at once: a later step's rollback must not undo the setting.
        connection.execute(
            text("SELECT set_config('search_path', :value, false)"), {"value": value}
        )
        connection.commit()

    def render(self, impl: DialectImpl, schema: str, *, create: bool) -> None:
        super().render(impl, schema, create=create)
        impl.static_output(f"SET search_path TO {self.quote(impl, schema)};")


class MySQLTenancy(Tenancy):
    """A tenant "schema" is a database on the same server, selected with ``USE``."""

    name = "mysql"

    def check(self, database: DatabaseConfig) -> None:
        return None

    def enter(self, connection: Connection, schema: str) -> Any:
        if not self.exists(connection, schema):
            # Nothing to migrate there (no version table either); USE would fail.
            return None
        previous = connection.execute(text("SELECT DATABASE()")).scalar()
        connection.exec_driver_sql(f"USE {self.quote(connection, schema)}")
        return previous

    def leave(self, connection: Connection, state: Any) -> None:
        if state is not None:
            connection.exec_driver_sql(f"USE {self.quote(connection, str(state))}")

    def render(self, impl: DialectImpl, schema: str, *, create: bool) -> None:
        super().render(impl, schema, create=create)
        impl.static_output(f"USE {self.quote(impl, schema)};")


class MariaDBTenancy(MySQLTenancy):
    """MariaDB: as MySQL."""

    name = "mariadb"


_TENANCIES: dict[str, type[Tenancy]] = {}


def register_tenancy(cls: type[Tenancy]) -> type[Tenancy]:
    """Register a tenancy class under its dialect name."""
    _TENANCIES[cls.name] = cls
    return cls


for _cls in (SQLiteTenancy, PostgresTenancy, MySQLTenancy, MariaDBTenancy):
    register_tenancy(_cls)


def tenancy_for(dialect_name: str) -> Tenancy:
    """The registered tenancy of a dialect (the base class, which refuses, if none)."""
    found = _TENANCIES.get(dialect_name)
    if found is None:
        instance = Tenancy()
        instance.name = dialect_name  # type: ignore[misc]  # names the dialect in its message
        return instance
    return found()


def attach(connection: Connection, tenancy: Tenancy, schema: str, create: bool) -> None:
    """Create the schema if asked and missing, then point the connection at it."""
    if create and not tenancy.exists(connection, schema):
        tenancy.create(connection, schema)
        connection.commit()
    connection.info[_INFO_KEY] = (tenancy, tenancy.enter(connection, schema))


def detach(connection: Connection) -> None:
    """Undo :func:`attach` (no-op on a connection that was never attached)."""
    found = connection.info.pop(_INFO_KEY, None)
    if found is not None:
        tenancy, state = found
        if connection.in_transaction():
            connection.rollback()
        tenancy.leave(connection, state)


async def schema_names(engine: AsyncEngine, database: DatabaseConfig) -> list[str]:
    """The database's tenant schemas: its list, or the rows of its query (first column)."""
    if database.schemas_query is None:
        return _unique(database.schemas or ())
    from sqlalchemy.exc import SQLAlchemyError

    from . import engines as _engines

    conn = await _engines.connect(engine, database)
    try:
        result = await conn.execute(text(database.schemas_query))
        rows = result.all()
    except SQLAlchemyError as exc:
        reason = " ".join(str(exc).split())
        raise CommandError(
            f"database {database.name!r} ({database.masked_url}): its schemas query "
            f"{database.schemas_query!r} failed: {reason}; fix `schemas` in its table"
        ) from exc
    finally:
        with anyio.CancelScope(shield=True):
            await conn.close()
    names = [str(row[0]) for row in rows if row and row[0] is not None]
    return _unique(names)


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))
