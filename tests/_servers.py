"""Scratch databases on the test servers named by the environment."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import pytest

ENV_VARS = {
    "postgresql": "ASYNCMIG_TEST_POSTGRESQL_URL",
    "mariadb": "ASYNCMIG_TEST_MARIADB_URL",
}
REQUIRE_SERVERS = os.environ.get("ASYNCMIG_TEST_REQUIRE_SERVERS") == "1"

T = TypeVar("T")


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


def _with_database(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


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


@contextmanager
def scratch_database(kind: str) -> Iterator[str]:
    """Create a uniquely named database on the server, yield its URL, drop it."""
    admin_url = server_url(kind)
    name = f"asyncmig_t_{uuid.uuid4().hex[:12]}"
    _run(lambda: _admin(admin_url, "CREATE DATABASE {name}", name))
    try:
        yield _with_database(admin_url, name)
    finally:
        drop = "DROP DATABASE IF EXISTS {name}"
        if kind == "postgresql":
            drop += " WITH (FORCE)"
        _run(lambda: _admin(admin_url, drop, name))
