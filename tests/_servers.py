"""Scratch databases on the test servers named by the environment.

Each scratch database comes from the pytest plugin's :class:`EmptyDatabases`,
one per server for the test session: made ahead while the previous test runs,
dropped in the background (on PostgreSQL by the plugin's drop helper process,
which may finish a few seconds after the run).  :func:`close` ends them all.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest

from asyncmig.testing import EmptyDatabases
from asyncmig.testing._loop import LoopThread

ENV_VARS = {
    "postgresql": "ASYNCMIG_TEST_POSTGRESQL_URL",
    "mariadb": "ASYNCMIG_TEST_MARIADB_URL",
}
REQUIRE_SERVERS = os.environ.get("ASYNCMIG_TEST_REQUIRE_SERVERS") == "1"
# The suite's scratch databases are named asyncmig_t_<session>_<database>.
PREFIX = "asyncmig_t_"

T = TypeVar("T")

_loop = LoopThread()
_empties: dict[str, EmptyDatabases] = {}


def server_url(kind: str) -> str:
    """The admin URL of a server, or skip (fail under .ci/run) when none is set."""
    url = os.environ.get(ENV_VARS[kind])
    if not url:
        reason = f"{kind} tests need {ENV_VARS[kind]} (.ci/run sets it)"
        if REQUIRE_SERVERS:
            pytest.fail(f"{reason}, but ASYNCMIG_TEST_REQUIRE_SERVERS=1 forbids skipping")
        pytest.skip(reason)
    return url


def _run(fn: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine on a private loop in a thread, clear of any test's loop."""
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(fn())  # type: ignore[arg-type]
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


async def _admin(url: str, template: str, name: str) -> None:
    """Run `template` with ``{name}`` replaced by the quoted database name."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        quoted = engine.dialect.identifier_preparer.quote(name)
        async with engine.connect() as conn:
            await conn.execute(text(template.format(name=quoted)))
    finally:
        await engine.dispose()


def _empty_databases(kind: str, url: str) -> EmptyDatabases:
    if kind not in _empties:
        folder = Path(tempfile.gettempdir()) / f"asyncmig-tests-{os.getuid()}"
        _empties[kind] = EmptyDatabases(url, folder=folder, prefix=PREFIX)
    return _empties[kind]


@contextmanager
def scratch_database(kind: str) -> Iterator[str]:
    """A new empty database on the server, no other test's; dropped after (in the background)."""
    empties = _empty_databases(kind, server_url(kind))
    database = _loop.run(empties.take)
    try:
        yield database.url
    finally:

        async def drop() -> None:
            empties.drop_soon(database)

        _loop.run(drop)


def close() -> None:
    """Drop the scratch databases made ahead and hand the last drops over (end of session)."""
    try:
        for empties in _empties.values():
            _loop.run(empties.close)
    finally:
        _empties.clear()
        _loop.close()
