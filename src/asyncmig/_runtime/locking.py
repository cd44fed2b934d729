"""The migration lock: one class per dialect, registered by name.

Only one runner may migrate a database (or a tenant schema's version table)
at a time.  The lock is keyed on the version table's schema and name, so two
histories with two version tables in one database do not block each other.

- PostgreSQL: a session-level advisory lock, held on a connection of its own
  so that steps which commit, or run in autocommit, never release it.
- MySQL / MariaDB: ``GET_LOCK`` on a connection of its own (the name includes
  the current database, as those locks are server-wide).
- SQLite: every migration transaction begins ``BEGIN IMMEDIATE``, which holds
  the database's write lock; the busy timeout is the lock timeout.

Acquisition polls with a non-blocking attempt, so a cancelled runner never
leaves a lock request queued on the server; release is shielded from
cancellation.
"""

from __future__ import annotations

import hashlib
import math
from typing import ClassVar

import anyio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..errors import LockTimeout
from .engines import Session

_POLL_FIRST = 0.02
_POLL_MAX = 0.5


def lock_key(table: str, schema: str | None) -> int:
    """A stable signed 64-bit key for a version table (PostgreSQL advisory locks)."""
    digest = hashlib.blake2b(f"asyncmig:{schema or ''}.{table}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_name(table: str, schema: str | None) -> str:
    """A ``GET_LOCK`` name for a version table (MySQL / MariaDB).

    Those names are server-wide and at most 64 characters, so the schema is
    always part of it and the whole is hashed.
    """
    raw = f"{schema or ''}.{table}"
    return "asyncmig_" + hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


class MigrationLock:
    """No lock: the base class, used with ``lock = false`` and for unknown dialects."""

    name: ClassVar[str] = "none"
    #: Whether the lock stays held between the migration's transactions, so that
    #: the version rows cannot change under the runner between two steps.
    spans_transactions: ClassVar[bool] = False

    def __init__(
        self, database: str, table: str, schema: str | None, timeout: float | None
    ) -> None:
        self.database = database
        self.table = table
        self.schema = schema
        self.timeout = timeout

    async def acquire(self, engine: AsyncEngine, session: Session) -> None:
        """Block until this runner holds the lock, or raise LockTimeout."""

    async def release(self) -> None:
        """Give the lock back; safe to call when it was never taken."""

    def locked_out(self, exc: BaseException) -> bool:
        """Whether a database error raised while migrating means "the lock is taken"."""
        return False

    async def _poll(self, attempt: AsyncConnection, statement: object) -> None:
        """Run a non-blocking attempt until it returns true or the timeout passes."""
        deadline = math.inf if self.timeout is None else anyio.current_time() + self.timeout
        delay = _POLL_FIRST
        while True:
            got = (await attempt.execute(statement)).scalar()  # type: ignore[call-overload]  # a select
            if got:
                return
            remaining = deadline - anyio.current_time()
            if remaining <= 0:
                raise LockTimeout(self.database, self.timeout or 0.0)
            await anyio.sleep(min(delay, remaining))
            delay = min(delay * 2, _POLL_MAX)


class _SeparateConnectionLock(MigrationLock):
    """A lock held by a connection of its own, in autocommit mode."""

    spans_transactions = True

    def __init__(
        self, database: str, table: str, schema: str | None, timeout: float | None
    ) -> None:
        super().__init__(database, table, schema, timeout)
        self._conn: AsyncConnection | None = None

    def _try_statement(self) -> object:
        raise NotImplementedError

    def _release_statement(self) -> object:
        raise NotImplementedError

    async def _name_lock(self, conn: AsyncConnection) -> None:
        """Work out the lock's identity on the server, if it depends on the connection."""

    async def acquire(self, engine: AsyncEngine, session: Session) -> None:
        conn = await engine.connect()
        try:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await self._name_lock(conn)
            await self._poll(conn, self._try_statement())
        except BaseException:
            with anyio.CancelScope(shield=True):
                await conn.close()
            raise
        self._conn = conn

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with anyio.CancelScope(shield=True):
            try:
                await conn.execute(self._release_statement())  # type: ignore[call-overload]  # a select
            except BaseException:
                # Ending the server session frees its locks even when the release failed.
                await conn.invalidate()
                raise
            finally:
                await conn.close()


class PostgresAdvisoryLock(_SeparateConnectionLock):
    """``pg_try_advisory_lock`` on a dedicated session."""

    name = "postgresql"

    def _try_statement(self) -> object:
        return select(func.pg_try_advisory_lock(lock_key(self.table, self.schema)))

    def _release_statement(self) -> object:
        return select(func.pg_advisory_unlock(lock_key(self.table, self.schema)))


class MySQLNamedLock(_SeparateConnectionLock):
    """``GET_LOCK`` / ``RELEASE_LOCK`` on a dedicated session."""

    name = "mysql"

    def __init__(
        self, database: str, table: str, schema: str | None, timeout: float | None
    ) -> None:
        super().__init__(database, table, schema, timeout)
        self._lock_name = ""

    async def _name_lock(self, conn: AsyncConnection) -> None:
        current = (await conn.execute(select(func.database()))).scalar()
        self._lock_name = lock_name(self.table, self.schema or current)

    def _try_statement(self) -> object:
        return select(func.get_lock(self._lock_name, 0))

    def _release_statement(self) -> object:
        return select(func.release_lock(self._lock_name))


class MariaDBNamedLock(MySQLNamedLock):
    """MariaDB uses MySQL's named locks."""

    name = "mariadb"


class SQLiteImmediateLock(MigrationLock):
    """Every migration transaction takes SQLite's write lock up front."""

    name = "sqlite"

    async def acquire(self, engine: AsyncEngine, session: Session) -> None:
        session.immediate = True

    def locked_out(self, exc: BaseException) -> bool:
        return "database is locked" in str(exc)


_LOCKS: dict[str, type[MigrationLock]] = {}


def register_lock(cls: type[MigrationLock]) -> type[MigrationLock]:
    """Register a lock class under its dialect name."""
    _LOCKS[cls.name] = cls
    return cls


for _cls in (PostgresAdvisoryLock, MySQLNamedLock, MariaDBNamedLock, SQLiteImmediateLock):
    register_lock(_cls)


def lock_for(
    dialect_name: str,
    *,
    enabled: bool,
    database: str,
    table: str,
    schema: str | None,
    timeout: float | None,
) -> MigrationLock:
    """The registered lock for a dialect (or no lock when disabled or unknown)."""
    cls = _LOCKS.get(dialect_name, MigrationLock) if enabled else MigrationLock
    return cls(database, table, schema, timeout)
