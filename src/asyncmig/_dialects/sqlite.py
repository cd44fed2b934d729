"""SQLite: transactions begun by asyncmig, the write lock as the migration lock, no schemas.

SQLite's Python driver would run DDL outside any transaction, so the session
puts the driver in autocommit mode and issues ``BEGIN`` itself (``BEGIN
IMMEDIATE`` while the migration lock is on, which takes the database's write
lock up front).  Every statement still goes through SQLAlchemy's execution,
so events and echo see ``BEGIN`` and the version-row writes too.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError

from .._operations.impl_sqlite import SQLiteImpl
from ..errors import ConfigError
from .behaviour import DialectBehaviour
from .generic import Backend, MigrationLock, Session, Tenancy

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncEngine

    from .._config import DatabaseConfig

# The primary result codes that mean "another connection holds the lock".
_LOCKED_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


class SQLiteSession(Session):
    """The driver in autocommit mode, ``BEGIN`` issued here, busy timeout set."""

    #: The driver's wait for a lock, at most (its thread cannot be interrupted); the
    #: runner tries again until ``lock_timeout``, so a cancellation gets through between.
    ATTEMPT = 1.0

    def __init__(self, lock_timeout: float | None) -> None:
        super().__init__(lock_timeout)
        self._saved: tuple[Any, Any] | None = None

    def prepare(self, connection: Connection) -> None:
        dbapi = connection.connection.dbapi_connection
        previous_timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
        self._saved = (dbapi.isolation_level, previous_timeout)  # type: ignore[union-attr]  # a live DBAPI connection
        if connection.in_transaction():
            connection.commit()
        dbapi.isolation_level = None  # type: ignore[union-attr]  # see the module docstring
        attempt = self.ATTEMPT if self.lock_timeout is None else self.lock_timeout
        timeout_ms = int(min(self.ATTEMPT, attempt) * 1000)
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {timeout_ms}")
        connection.commit()

    def restore(self, connection: Connection) -> None:
        saved, self._saved = self._saved, None
        if saved is None:
            return
        if connection.in_transaction():
            connection.rollback()
        isolation_level, busy_timeout = saved
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(busy_timeout or 0)}")
        connection.commit()
        connection.connection.dbapi_connection.isolation_level = isolation_level  # type: ignore[union-attr]  # a live DBAPI connection

    def begin(self, connection: Connection) -> None:
        if connection.in_transaction():
            return
        connection.begin()
        connection.exec_driver_sql("BEGIN IMMEDIATE" if self.immediate else "BEGIN")

    def locked_out(self, exc: DBAPIError) -> bool:
        code = getattr(exc.orig, "sqlite_errorcode", None)
        return isinstance(code, int) and (code & 0xFF) in _LOCKED_CODES

    def autocommit_enter(self, connection: Connection) -> Any:
        # The driver is already in autocommit mode; not beginning is enough.
        if connection.in_transaction():
            connection.commit()
        return None

    def autocommit_exit(self, connection: Connection, state: Any) -> None:
        if connection.in_transaction():
            connection.commit()
        self.begin(connection)


class SQLiteImmediateLock(MigrationLock):
    """Every migration transaction takes SQLite's write lock up front (``BEGIN IMMEDIATE``)."""

    async def acquire(self, engine: AsyncEngine, session: Session) -> None:
        session.immediate = True


class SQLiteTenancy(Tenancy):
    """SQLite has attached databases, not schemas; one file per tenant is the SQLite way."""

    def check(self, database: DatabaseConfig) -> None:
        raise ConfigError(
            f"database {database.name!r} ({database.masked_url}): SQLite has no tenant schemas; "
            "remove `schemas` / `schemas_query` and configure one database (file) per tenant",
            key=f"databases.{database.name}.schemas",
        )


class SQLiteBehaviour(DialectBehaviour):
    """SQLite: no ALTER for most changes, so scripts use batch mode; no comments."""

    name = "sqlite"
    batch_by_default = True
    reflects_expression_indexes = False
    supports_comments = False


class SQLite(Backend):
    """SQLite through aiosqlite (or any SQLite driver SQLAlchemy has)."""

    names = ("sqlite",)
    display_name = "SQLite"
    session = SQLiteSession
    lock = SQLiteImmediateLock
    tenancy = SQLiteTenancy
    ddl = SQLiteImpl
    autogen = SQLiteBehaviour
