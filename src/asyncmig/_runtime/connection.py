"""Opening a target: lease an engine, connect, lock, enter the schema; undo it all on exit.

:func:`open_target` is the one way the runtime gets a connection to migrate,
read or compare one target.  Everything that belongs to that connection
(session, lock, tenancy, version-table state) is in the
:class:`TargetConnection` it yields, which the code inside ``run_sync``
receives explicitly.  Closing runs under a shield, in reverse: roll back and
leave the schema, release the lock, restore the session, return the
connection (or discard it if any of that failed).  A failure while closing
never replaces the error that made the block exit.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.lowlevel
from sqlalchemy.exc import SQLAlchemyError

from .._dialects import backend_for
from .._dialects.generic import Backend, MigrationLock, Session, Tenancy
from ..errors import AsyncmigError, CommandError, one_line
from . import engines as _engines
from .targets import live_targets
from .version_table import VersionTable

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

    from .._config import Config, DatabaseConfig
    from .targets import Target

log = logging.getLogger("asyncmig.runtime")
T = TypeVar("T")


@dataclass
class TargetConnection:
    """One target's open connection and everything that belongs to it."""

    conn: AsyncConnection
    target: Target
    backend: type[Backend]
    session: Session
    lock: MigrationLock
    version: VersionTable
    tenancy: Tenancy | None = None
    #: Begins, commits and rollbacks are awaited shielded from cancellation, which
    #: arrives right after: aiosqlite's worker thread cannot be interrupted, and
    #: SQLAlchemy's clean-up of a lock wait cancelled under it can leave a close
    #: waiting forever at loop shutdown.
    shielded: bool = False

    async def call(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """``await fn(*args)``, shielded from cancellation on SQLite (delivered right after)."""
        if not self.shielded:
            return await fn(*args)
        with anyio.CancelScope(shield=True):
            result = await fn(*args)
        await anyio.lowlevel.checkpoint_if_cancelled()
        return result

    async def rollback(self) -> None:
        """Roll back the open transaction; a connection that cannot is discarded."""
        await _rollback(self.conn)

    async def try_sync(self, failure: str, fn: Callable[..., T], *args: Any) -> T | None:
        """``run_sync(fn, *args)`` at best effort: on failure, log `failure`, roll back, None."""
        try:
            return await self.conn.run_sync(fn, *args)
        except Exception:
            log.warning("database %r: %s", self.target.database.name, failure, exc_info=True)
            await self.rollback()
            return None


@asynccontextmanager
async def leased_engine(
    database: DatabaseConfig,
    engines: Mapping[str, AsyncEngine] | None,
    env_module: ModuleType | None,
    *,
    connections: int | None = None,
) -> AsyncIterator[_engines.EngineLease]:
    """The database's engine (see :func:`~._engines.lease_engine`), disposed if ours."""
    lease = await _engines.lease_engine(database, engines, env_module, connections=connections)
    try:
        yield lease
    finally:
        with anyio.CancelScope(shield=True):
            await lease.close()


@asynccontextmanager
async def open_target(
    engine: AsyncEngine,
    target: Target,
    config: Config,
    *,
    lock: bool = False,
    tenancy: Tenancy | None = None,
    create_schema: bool = False,
) -> AsyncIterator[TargetConnection]:
    """Connect to `target`, prepare the session, take the lock and enter the schema.

    `lock`: take the migration lock (writers); readers pass False.  `tenancy`:
    point the connection at the target's schema (steps write unqualified
    names); `create_schema` creates it first if it is missing.  Database errors
    inside the block become one CommandError naming the target.
    """
    backend = backend_for(engine.dialect)
    table, schema = target.version_table(config)
    async with AsyncExitStack() as stack:
        conn = await _engines.connect(engine, target.database)
        stack.push_async_exit(_guarded(_close, conn))
        tc = TargetConnection(
            conn=conn,
            target=target,
            backend=backend,
            session=backend.session(config.lock_timeout),
            lock=(backend.lock if lock else MigrationLock)(
                target.database.name, table, schema, config.lock_timeout
            ),
            version=VersionTable.named(table, schema),
            shielded=engine.dialect.name == "sqlite",
        )
        try:
            await tc.call(conn.run_sync, tc.session.prepare)
            stack.push_async_exit(_guarded(_restore, conn, tc.session))
            try:
                await tc.lock.acquire(engine, tc.session)
            except _engines.CONNECT_ERRORS as exc:
                url = engine.url.render_as_string(hide_password=False)
                raise _engines.unavailable(target.database, url, exc) from None
            stack.push_async_exit(_guarded(_release, tc))
            if tenancy is not None and target.schema is not None:
                state = await conn.run_sync(_enter, tenancy, target.schema, create_schema)
                stack.push_async_exit(_guarded(conn.run_sync, _leave, tenancy, state))
                tc.tenancy = tenancy
            yield tc
        except SQLAlchemyError as exc:
            raise database_error(target.key, target.database.masked_url, exc) from exc


def database_error(key: str, masked_url: str, exc: SQLAlchemyError) -> AsyncmigError:
    """A database error as one line naming the target and its (masked) URL."""
    return CommandError(f"database {key!r} ({masked_url}): {one_line(exc)}")


async def _release(tc: TargetConnection) -> None:
    await tc.lock.release()


async def _restore(conn: AsyncConnection, session: Session) -> None:
    try:
        await conn.run_sync(session.restore)
    except Exception:
        await conn.invalidate()  # a half-restored connection must not go back to the pool
        raise


def _enter(connection: Connection, tenancy: Tenancy, schema: str, create: bool) -> Any:
    if create and not tenancy.exists(connection, schema):
        tenancy.create(connection, schema)
        connection.commit()
    return tenancy.enter(connection, schema)


def _leave(connection: Connection, tenancy: Tenancy, state: Any) -> None:
    if connection.in_transaction():
        connection.rollback()
    tenancy.leave(connection, state)


async def each_locked_target(
    config: Config,
    database: DatabaseConfig,
    engines: Mapping[str, AsyncEngine] | None,
    env_module: ModuleType | None,
    fn: Callable[[Connection, TargetConnection], T],
) -> list[T]:
    """``fn(connection, tc)`` in each target of `database` in turn, under its migration lock.

    For the commands that write beside the migrations (``repair``): `fn` is the
    body of one ``run_sync`` and ends its own transaction.
    """
    results = []
    async with leased_engine(database, engines, env_module) as lease:
        targets, tenancy = await live_targets(database, lease.engine)
        for target in targets:
            async with open_target(
                lease.engine, target, config, lock=config.lock, tenancy=tenancy
            ) as tc:
                results.append(await tc.call(tc.conn.run_sync, fn, tc))
    return results


_ExitFn = Callable[
    [type[BaseException] | None, BaseException | None, TracebackType | None], Awaitable[bool]
]


def _guarded(fn: Callable[..., Awaitable[Any]], *args: Any) -> _ExitFn:
    """An exit callback running ``fn(*args)`` shielded; its failure never hides another."""

    async def exit_(
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        with anyio.CancelScope(shield=True):
            try:
                await fn(*args)
            except Exception:
                if exc is None:
                    raise
                log.warning("while closing after an error, this failed too", exc_info=True)
        return False

    return exit_


async def _close(conn: AsyncConnection) -> None:
    """The last exit callback: roll back what is open, return the connection (or discard it)."""
    if conn.in_transaction():
        await _rollback(conn)
    await conn.close()


async def _rollback(conn: AsyncConnection) -> None:
    try:
        await conn.rollback()
    except Exception:
        # A connection broken mid-step (or by cancellation) must not go back to the pool.
        await conn.invalidate()
