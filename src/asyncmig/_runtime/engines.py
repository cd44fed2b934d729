"""Engines and connections: create or borrow, connect, and per-dialect sessions.

The runner owns what it creates and nothing else: an engine handed in by the
application (``engines={"main": engine}``) is used and never disposed.  An
``async def engine(name, url)`` factory in ``env.py`` counts as creating one.

A :class:`Session` is the dialect-specific way one migration connection runs
transactions and asyncmig's own version-row writes.  The default relies on
SQLAlchemy's own transactions; SQLite's driver would otherwise run DDL outside
any transaction, so its session puts the driver in autocommit mode and issues
``BEGIN`` itself (``BEGIN IMMEDIATE`` while holding the migration lock).
"""

from __future__ import annotations

import inspect as _inspect
import logging
import re
import sqlite3
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

import anyio
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from ..errors import ConfigError, DatabaseUnavailable

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.sql import Executable
    from sqlalchemy.sql.compiler import SQLCompiler

    from .._config import DatabaseConfig

log = logging.getLogger("asyncmig.runtime")

# Errors that mean "could not reach or log into the server" when connecting.
CONNECT_ERRORS: tuple[type[BaseException], ...] = (DBAPIError, OSError, TimeoutError)


@dataclass
class EngineLease:
    """An engine for one database, and whether this run must dispose it."""

    engine: AsyncEngine
    owned: bool

    async def close(self) -> None:
        """Dispose the engine if this run created it."""
        if self.owned:
            await self.engine.dispose()


async def lease_engine(
    database: DatabaseConfig,
    engines: Mapping[str, AsyncEngine] | None,
    env_module: ModuleType | None,
    *,
    connections: int | None = None,
) -> EngineLease:
    """The application's engine for `database`, else env.py's factory, else a new one.

    `connections`: how many connections the run may hold at once on the
    engine it creates (tenant schemas migrating side by side); its pool is
    sized for them.  Borrowed and factory-made engines keep their own pools.
    """
    if engines and database.name in engines:
        return EngineLease(engines[database.name], owned=False)
    if not database.url:
        if database.url_error is not None:
            raise database.url_error
        raise ConfigError(
            f"database {database.name!r} has no url; set `url` in the configuration, "
            "pass --url, or set ASYNCMIG_URL",
            key="url",
        )
    check_url(database)
    factory = getattr(env_module, "engine", None) if env_module is not None else None
    if callable(factory):
        created = factory(database.name, database.url)
        if _inspect.isawaitable(created):
            created = await created
        if not isinstance(created, AsyncEngine):
            raise ConfigError(
                f"env.py's engine({database.name!r}, url) returned {type(created).__name__}, "
                "not an AsyncEngine; return create_async_engine(url, ...)"
            )
        return EngineLease(created, owned=True)
    try:
        sizing: dict[str, Any] = {}
        if connections is not None and connections > 5:  # 5: SQLAlchemy's default pool_size
            sizing = {"pool_size": connections, "max_overflow": 2}
        return EngineLease(create_async_engine(database.url, **sizing), owned=True)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise ConfigError(
            f"database {database.name!r}: cannot create an engine for {database.masked_url}: "
            f"{exc}; check the driver in the URL (e.g. postgresql+asyncpg://)",
            key="url",
        ) from exc


def check_url(database: DatabaseConfig) -> None:
    """ConfigError unless the URL parses, with a port in range; the URL is never echoed raw.

    A URL SQLAlchemy cannot parse may hold a password where the masking does not
    expect one, so the message shows only its scheme.
    """
    from sqlalchemy.engine import make_url

    text = database.url or ""
    scheme = re.match(r"[A-Za-z][\w.+-]{0,40}(?=://)", text)
    shown = f"{scheme.group(0)}://..." if scheme else "(not shown)"
    problem = None
    try:
        port = make_url(text).port
    except (ArgumentError, ValueError) as exc:
        not_url = isinstance(exc, ArgumentError)
        problem = "is not a valid URL" if not_url else "has a port that is not a number"
    else:
        if port is not None and not 0 < port < 65536:
            problem = f"has port {port}, not between 1 and 65535"
    if problem is not None:
        raise ConfigError(
            f"database {database.name!r}: the url {shown} {problem}; write it as "
            "dialect+driver://user:password@host:port/database",
            key="url",
        )


def capacity(engine: AsyncEngine) -> int | None:
    """How many connections the engine's pool hands out at once (None: no limit)."""
    pool = engine.sync_engine.pool
    size = getattr(pool, "size", None)
    if not callable(size):
        return None
    # QueuePool keeps its overflow limit private; -1 there means unlimited.
    overflow = getattr(pool, "_max_overflow", 0)
    if not isinstance(overflow, int) or overflow < 0:
        return None
    return int(size()) + overflow


def unavailable(
    database: DatabaseConfig, url: str | None, exc: BaseException
) -> DatabaseUnavailable:
    """DatabaseUnavailable for a failed connect, with any password scrubbed from the reason."""
    from sqlalchemy.engine import make_url

    masked = database.masked_url
    cause: BaseException = exc
    password = None
    if url:
        try:
            password = make_url(url).password
        except ArgumentError:
            password = None
    if password and password in str(exc):
        cause = ConnectionError(str(exc).replace(str(password), "***"))
    error = DatabaseUnavailable(database.name, masked, cause)
    error.__cause__ = None if cause is not exc else exc
    return error


async def connect(engine: AsyncEngine, database: DatabaseConfig) -> AsyncConnection:
    """One connection, or DatabaseUnavailable naming the masked URL."""
    before = set(threading.enumerate())
    try:
        return await engine.connect()
    except CONNECT_ERRORS as exc:
        await _settle_threads(before)
        url = engine.url.render_as_string(hide_password=False)
        raise unavailable(database, url, exc) from None


async def _settle_threads(before: set[threading.Thread], limit: float = 1.0) -> None:
    """Give worker threads a failed connect started (aiosqlite's) the moment they need.

    Such a thread hands its last result back to the event loop after the
    failure has been raised; if the loop is gone by then (a CLI run ending),
    the thread dies with "Event loop is closed" on stderr.
    """
    deadline = anyio.current_time() + limit
    fresh = [thread for thread in threading.enumerate() if thread not in before]
    # ASYNC110 is ignored below: a thread, not a task, is waited for; no Event can signal it.
    while any(t.is_alive() for t in fresh) and anyio.current_time() < deadline:  # noqa: ASYNC110
        await anyio.sleep(0.01)


class Session:
    """How a migration connection begins transactions and runs autocommit blocks."""

    name: ClassVar[str] = "default"

    def __init__(self, lock_timeout: float | None) -> None:
        self.lock_timeout = lock_timeout
        self.immediate = False  # set by a lock that works through write transactions

    def prepare(self, connection: Connection) -> None:
        """Adjust a freshly checked-out connection for migrating."""

    def restore(self, connection: Connection) -> None:
        """Undo :meth:`prepare` before the connection goes back to its pool."""

    def begin(self, connection: Connection) -> None:
        """Begin the transaction a step (or all steps) runs in."""
        if not connection.in_transaction():
            connection.begin()

    def write(
        self, connection: Connection, statement: Executable, parameters: Mapping[str, Any]
    ) -> int:
        """Run one of asyncmig's own version-row statements; the rows it touched."""
        result = connection.execute(statement, dict(parameters))
        return int(result.rowcount)

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


class SQLiteSession(Session):
    """SQLite: the driver in autocommit mode, ``BEGIN`` issued here, busy timeout set.

    Through aiosqlite, every statement SQLAlchemy runs costs three trips to the
    driver's thread (open a cursor, execute, close it); ``BEGIN`` and the
    version-row update, run on every step, go to the driver in one trip instead
    (logged on ``asyncmig.runtime`` at DEBUG level, as SQLAlchemy's echo no
    longer sees them).  Their SQL still comes from SQLAlchemy's compiler.
    """

    name = "sqlite"
    #: The driver's wait for a lock, at most (its thread cannot be interrupted); the
    #: runner tries again until ``lock_timeout``, so a cancellation gets through between.
    _ATTEMPT = 1.0
    _STATE_KEY = "asyncmig_sqlite_state"
    _COMPILED_KEY = "asyncmig_sqlite_compiled"

    def prepare(self, connection: Connection) -> None:
        dbapi = connection.connection.dbapi_connection
        previous_timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
        connection.info[self._STATE_KEY] = (dbapi.isolation_level, previous_timeout)  # type: ignore[union-attr]  # a live DBAPI connection
        if connection.in_transaction():
            connection.commit()
        dbapi.isolation_level = None  # type: ignore[union-attr]  # see class docstring
        attempt = self._ATTEMPT if self.lock_timeout is None else self.lock_timeout
        timeout_ms = int(min(self._ATTEMPT, attempt) * 1000)
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(timeout_ms)}")
        connection.commit()

    def restore(self, connection: Connection) -> None:
        connection.info.pop(self._COMPILED_KEY, None)
        state = connection.info.pop(self._STATE_KEY, None)
        if state is None:
            return
        if connection.in_transaction():
            connection.rollback()
        isolation_level, busy_timeout = state
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(busy_timeout or 0)}")
        connection.commit()
        connection.connection.dbapi_connection.isolation_level = isolation_level  # type: ignore[union-attr]  # a live DBAPI connection

    def begin(self, connection: Connection) -> None:
        if connection.in_transaction():
            return
        connection.begin()
        self._direct(connection, "BEGIN IMMEDIATE" if self.immediate else "BEGIN", ())

    def write(
        self, connection: Connection, statement: Executable, parameters: Mapping[str, Any]
    ) -> int:
        if not _is_aiosqlite(connection):
            return super().write(connection, statement, parameters)
        compiled = self._compile(connection, statement)
        params = compiled.construct_params(dict(parameters))
        values = tuple(params[name] for name in compiled.positiontup or ())
        return self._direct(connection, compiled.string, values)

    def _compile(self, connection: Connection, statement: Executable) -> SQLCompiler:
        cache: dict[Executable, SQLCompiler] = connection.info.setdefault(self._COMPILED_KEY, {})
        compiled = cache.get(statement)
        if compiled is None:
            # IN lists rendered as one "?" per value: the string is run as it is.
            compiled = cache[statement] = statement.compile(  # type: ignore[attr-defined]  # every Executable here is a DML ClauseElement, compiled by a SQLCompiler
                dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
            )
        return compiled

    def _direct(self, connection: Connection, sql: str, values: tuple[Any, ...]) -> int:
        """Run `sql` on the driver in one trip (aiosqlite), else through SQLAlchemy."""
        if not _is_aiosqlite(connection):
            return int(connection.exec_driver_sql(sql, values).rowcount)
        from sqlalchemy.util import await_only

        log.debug("%s %r", sql, values)
        driver = connection.connection.driver_connection
        try:
            cursor = await_only(driver.execute(sql, values))  # type: ignore[union-attr]  # a live aiosqlite connection
        except sqlite3.Error as exc:
            raise DBAPIError.instance(sql, values, exc, sqlite3.Error) from exc
        return int(cursor.rowcount)

    def autocommit_enter(self, connection: Connection) -> Any:
        # The driver is already in autocommit mode; not beginning is enough.
        if connection.in_transaction():
            connection.commit()
        return None

    def autocommit_exit(self, connection: Connection, state: Any) -> None:
        if connection.in_transaction():
            connection.commit()
        self.begin(connection)


def _is_aiosqlite(connection: Connection) -> bool:
    return connection.dialect.driver == "aiosqlite"


_SESSIONS: dict[str, type[Session]] = {}


def register_session(cls: type[Session]) -> type[Session]:
    """Register a session class under its dialect name."""
    _SESSIONS[cls.name] = cls
    return cls


register_session(SQLiteSession)


def session_for(dialect_name: str, lock_timeout: float | None) -> Session:
    """The registered session for a dialect, else the default."""
    return _SESSIONS.get(dialect_name, Session)(lock_timeout)


SESSION_INFO_KEY = "asyncmig_session"


def session_of(connection: Connection) -> Session:
    """The session a migration connection was prepared with (default if none)."""
    found = connection.info.get(SESSION_INFO_KEY)
    return found if isinstance(found, Session) else Session(None)


def attach(connection: Connection, session: Session) -> None:
    """Prepare `connection` and remember its session (read by autocommit blocks)."""
    session.prepare(connection)
    connection.info[SESSION_INFO_KEY] = session


def detach(connection: Connection) -> None:
    """Undo :func:`attach`."""
    session = connection.info.pop(SESSION_INFO_KEY, None)
    if isinstance(session, Session):
        session.restore(connection)
