"""What every dialect shares, and what a dialect without a module of its own gets.

A :class:`Backend` names, for one SQLAlchemy dialect, the classes that do
what differs between databases:

- ``session``: how a migration connection begins transactions and runs
  autocommit blocks (:class:`Session`);
- ``lock``: how one runner keeps others out of a version table
  (:class:`MigrationLock`);
- ``tenancy``: how a connection is pointed at a tenant schema (:class:`Tenancy`);
- ``ddl``: how ``op`` directives become DDL (``_operations.impl.DialectImpl``);
- ``autogen``: what autogenerate must know about the database
  (:class:`~.behaviour.DialectBehaviour`);
- ``recovery``: what a step that stopped part-way can leave behind, and how
  ``asyncmig repair`` removes it (:class:`Recovery`).

The classes here are the defaults; each dialect module subclasses what differs.
Sessions, locks and tenancies are synchronous where they run inside
``AsyncConnection.run_sync`` and async where they open connections of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import anyio
from sqlalchemy import event, inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import CreateSchema

from .._operations.impl import DialectImpl
from ..errors import ConfigError, LockTimeout
from .behaviour import DialectBehaviour

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

    from .._config import DatabaseConfig

__all__ = (
    "Backend",
    "Leftover",
    "MigrationLock",
    "Recovery",
    "SeparateConnectionLock",
    "Session",
    "Tenancy",
)

# Polling a lock another runner holds: the first pause, doubling up to the last.
POLL_FIRST = 0.02
POLL_MAX = 0.5


class Session:
    """How a migration connection begins transactions and runs autocommit blocks.

    One instance per target connection; what :meth:`prepare` changed is kept on
    the instance and undone by :meth:`restore`.

    Step timeouts (lock-safe execution): :meth:`apply_timeouts` gives the
    connection a step's lock and statement timeouts, reading the connection's
    own values first, the first time it changes them; :meth:`restore` puts
    those back.  A dialect with such settings overrides :meth:`read_timeouts`
    and :meth:`write_timeouts`; the base class has none and sends nothing.
    """

    #: Whether this dialect has session timeouts that :meth:`write_timeouts` sets.
    has_timeouts: ClassVar[bool] = False

    def __init__(self, lock_timeout: float | None) -> None:
        self.lock_timeout = lock_timeout  # the migration lock's wait, not a step's
        self.immediate = False  # set by a lock that works through write transactions
        self.commits = 0  # commits made while a step ran (autocommit blocks, bind.commit())
        self._own: Any = None  # the connection's own timeouts, once read
        self._applied: tuple[float | None, float | None] | None = None  # None: unknown

    def prepare(self, connection: Connection) -> None:
        """Adjust a freshly checked-out connection for migrating."""

    def restore(self, connection: Connection) -> None:
        """Undo :meth:`prepare` and the step timeouts before the connection returns to its pool."""
        own, self._own = self._own, None
        self._applied = None
        if own is None:
            return
        event.remove(connection, "rollback", self._forget)
        if connection.in_transaction():
            connection.rollback()
        self.write_timeouts(connection, None, None, own)
        connection.commit()

    def apply_timeouts(
        self, connection: Connection, lock: float | None, statement: float | None
    ) -> None:
        """Give the next statements `lock` and `statement` timeouts (seconds; None: the own).

        Sends nothing when this connection already has these values, or when
        neither is set and none was ever changed.
        """
        wanted = (lock, statement)
        if not self.has_timeouts or wanted == self._applied:
            return
        if self._own is None:
            if wanted == (None, None):
                self._applied = wanted
                return
            self._own = self.read_timeouts(connection)
            # a rollback may undo what was set in its transaction: set it again next time
            event.listen(connection, "rollback", self._forget)
        self.write_timeouts(connection, lock, statement, self._own)
        self._applied = wanted

    def _forget(self, connection: Connection) -> None:
        self._applied = None

    def read_timeouts(self, connection: Connection) -> Any:
        """The connection's own timeouts, as :meth:`write_timeouts` takes them back."""
        return None

    def write_timeouts(
        self, connection: Connection, lock: float | None, statement: float | None, own: Any
    ) -> None:
        """Set the timeouts for this session; None stands for the connection's `own` value."""

    def lock_timed_out(self, exc: BaseException) -> bool:
        """Whether `exc` is this database's "could not take a lock in time" error."""
        return False

    def applied_lock_timeout(self, seconds: float) -> float:
        """The lock timeout the database really applies when asked for `seconds`."""
        return seconds

    def begin(self, connection: Connection) -> None:
        """Begin the transaction a step (or all steps) runs in, unless one is open."""
        if not connection.in_transaction():
            connection.begin()

    def locked_out(self, exc: DBAPIError) -> bool:
        """Whether beginning failed because another process holds the database's lock."""
        return False

    def autocommit_enter(self, connection: Connection) -> Any:
        """Commit the current transaction and switch to autocommit; return restore state."""
        if connection.in_transaction():
            connection.commit()
        previous = connection.get_isolation_level()
        connection.execution_options(isolation_level="AUTOCOMMIT")
        return previous

    def autocommit_exit(self, connection: Connection, state: Any) -> None:
        """Leave autocommit and begin a transaction again."""
        if connection.in_transaction():
            connection.commit()
        connection.execution_options(isolation_level=state)
        self.begin(connection)


class MigrationLock:
    """No lock: the base class, used with ``lock = false`` and for unknown dialects."""

    #: Whether the lock stays held between the migration's transactions, so that
    #: the version rows cannot change under the runner between two steps.
    spans_transactions: ClassVar[bool] = False
    #: Whether :meth:`try_acquire` can tell "held by another runner" without waiting.
    can_try: ClassVar[bool] = False

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

    async def try_acquire(self, engine: AsyncEngine) -> bool:
        """Take the lock if it is free, without waiting; False: another runner holds it."""
        raise NotImplementedError


async def poll(attempt: AsyncConnection, statement: Any, lock: MigrationLock) -> None:
    """Run a non-blocking attempt until it returns true, or LockTimeout after the timeout.

    The first attempt always runs (a timeout of 0 means "try once").
    """
    if (await attempt.execute(statement)).scalar():
        return
    delay = POLL_FIRST
    try:
        with anyio.fail_after(lock.timeout):
            while True:
                await anyio.sleep(delay)
                if (await attempt.execute(statement)).scalar():
                    return
                delay = min(delay * 2, POLL_MAX)
    except TimeoutError:
        raise LockTimeout(lock.database, lock.timeout or 0.0) from None


class SeparateConnectionLock(MigrationLock):
    """A lock held by a connection of its own, in autocommit mode.

    Steps that commit, or run in autocommit, never release it.  A connection
    whose acquisition or release failed is invalidated rather than pooled: the
    server session ends, and with it any lock the attempt may have taken.
    """

    spans_transactions = True
    can_try = True

    def __init__(
        self, database: str, table: str, schema: str | None, timeout: float | None
    ) -> None:
        super().__init__(database, table, schema, timeout)
        self._conn: AsyncConnection | None = None

    def try_statement(self) -> Any:
        """A select that takes the lock without waiting and returns whether it did."""
        raise NotImplementedError

    def release_statement(self) -> Any:
        """A select that gives the lock back."""
        raise NotImplementedError

    async def name_lock(self, conn: AsyncConnection) -> None:
        """Work out the lock's identity on the server, if it depends on the connection."""

    async def acquire(self, engine: AsyncEngine, session: Session) -> None:
        conn = await engine.connect()
        try:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await self.name_lock(conn)
            await poll(conn, self.try_statement(), self)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await conn.invalidate()
                await conn.close()
            raise
        self._conn = conn

    async def try_acquire(self, engine: AsyncEngine) -> bool:
        conn = await engine.connect()
        try:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await self.name_lock(conn)
            taken = bool((await conn.execute(self.try_statement())).scalar())
        except BaseException:
            with anyio.CancelScope(shield=True):
                await conn.invalidate()
                await conn.close()
            raise
        if not taken:  # nothing is held: the connection goes back to the pool as it was
            with anyio.CancelScope(shield=True):
                await conn.close()
            return False
        self._conn = conn
        return True

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with anyio.CancelScope(shield=True):
            try:
                await conn.execute(self.release_statement())
            except BaseException:
                await conn.invalidate()
                raise
            finally:
                await conn.close()


class Tenancy:
    """A dialect without schemas: every use is a ConfigError (the base class)."""

    def __init__(self, dialect_name: str) -> None:
        self.dialect_name = dialect_name

    def check(self, database: DatabaseConfig) -> None:
        """Fail unless this dialect can migrate `database`'s schemas."""
        raise ConfigError(
            f"database {database.name!r} ({database.masked_url}): the {self.dialect_name} "
            "dialect has no tenant schemas; remove `schemas` / `schemas_query` from its table",
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


@dataclass(frozen=True)
class Leftover:
    """Something a statement that died part-way left in the database (an invalid index)."""

    kind: str  # what it is, for people: "invalid index"
    schema: str | None
    name: str
    table: str  # the table it belongs to
    busy: str | None = None  # why it must not be touched yet (a server still building it)

    @property
    def qualified(self) -> str:
        """``schema.name`` (or the name alone)."""
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def __str__(self) -> str:
        return f"{self.kind} {self.qualified} on {self.table}"


class Recovery:
    """What a step that stopped part-way can leave behind: the base class, nothing.

    Synchronous, for ``run_sync``.  :meth:`snapshot` runs as an autocommit block
    begins (its names are journaled), so that :meth:`leftovers` can later tell
    what the block left from what was there before.
    """

    def leftovers(self, connection: Connection) -> list[Leftover]:
        """Every leftover in the database now."""
        return []

    def snapshot(self, connection: Connection) -> tuple[str, ...]:
        """The qualified names of :meth:`leftovers`, sorted."""
        return tuple(sorted(item.qualified for item in self.leftovers(connection)))

    def remove(self, connection: Connection, leftover: Leftover) -> None:
        """Remove `leftover` (the connection is in autocommit mode)."""
        raise NotImplementedError


class Backend:
    """Everything asyncmig does differently on one dialect (these are the defaults)."""

    #: The SQLAlchemy dialect names (``dialect.name``) this backend serves.
    names: ClassVar[tuple[str, ...]] = ()
    #: How messages name the database ("MySQL/MariaDB").
    display_name: ClassVar[str] = ""
    session: ClassVar[type[Session]] = Session
    lock: ClassVar[type[MigrationLock]] = MigrationLock
    tenancy: ClassVar[type[Tenancy]] = Tenancy
    ddl: ClassVar[type[DialectImpl]] = DialectImpl
    autogen: ClassVar[type[DialectBehaviour]] = DialectBehaviour
    recovery: ClassVar[type[Recovery]] = Recovery
