"""Engines and connections: create or borrow an engine, connect to it.

The runner owns what it creates and nothing else: an engine handed in by the
application (``engines={"main": engine}``) is used and never disposed.  An
``async def engine(name, url)`` factory in ``env.py`` counts as creating one.
"""

from __future__ import annotations

import inspect as _inspect
import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import anyio
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from ..errors import ConfigError, DatabaseUnavailable

if TYPE_CHECKING:
    from .._config import DatabaseConfig

log = logging.getLogger("asyncmig.runtime")

# The function aiosqlite's connection threads run (Python names threads after it).
_AIOSQLITE_WORKER = "_connection_worker_thread"

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
    url = database.require_url("set `url` in the configuration, pass --url, or set ASYNCMIG_URL")
    check_url(database)
    factory = getattr(env_module, "engine", None) if env_module is not None else None
    if callable(factory):
        created = factory(database.name, url)
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
        return EngineLease(create_async_engine(url, **sizing), owned=True)
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
    # The overflow a QueuePool may add is not public: counting only its steady size
    # may run fewer targets at once than the pool could serve, never more.
    return int(size())


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
    """Give the worker thread a failed aiosqlite connect started the moment it needs.

    That thread hands its last result back to the event loop after the
    failure has been raised; if the loop is gone by then (a CLI run ending),
    the thread dies with "Event loop is closed" on stderr.  Only aiosqlite's
    threads (named after their target function) are waited for, never the
    application's.
    """
    fresh = [
        thread
        for thread in threading.enumerate()
        if thread not in before and _AIOSQLITE_WORKER in thread.name
    ]
    with anyio.move_on_after(limit):
        # ASYNC110: a thread, not a task, is waited for; no Event can signal it.
        while any(thread.is_alive() for thread in fresh):  # noqa: ASYNC110
            await anyio.sleep(0.01)
