"""Shared fixtures: the anyio backend and one database URL per configured server.

Server-backed tests take their URLs from the environment:

- ``ASYNCMIG_TEST_POSTGRESQL_URL``, e.g. ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``
- ``ASYNCMIG_TEST_MARIADB_URL``, e.g. ``mysql+aiomysql://root@127.0.0.1:3306/test``

Each test gets a database of its own on that server, so tests (and test
runs) never see each other's tables: the pytest plugin's ``EmptyDatabases``
makes them ahead of the tests and drops them in the background.  Without
a URL the test is skipped with the reason; with
``ASYNCMIG_TEST_REQUIRE_SERVERS=1`` (set by ``.ci/run``) it fails instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests import _blocking, _servers


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, object]]:
    """SQLAlchemy's async engines run on asyncio only; debug mode reports blocking calls."""
    return "asyncio", {"debug": True, "loop_factory": _blocking.watched_loop}


@pytest.fixture(autouse=True)
def _no_blocking_in_event_loop() -> Iterator[None]:
    """Fail any test during which one callback held the event loop too long."""
    watcher = _blocking.SlowCallbacks()
    logger = logging.getLogger("asyncio")
    logger.addHandler(watcher)
    try:
        yield
    finally:
        logger.removeHandler(watcher)
    if watcher.messages:
        pytest.fail("the event loop was blocked: " + "; ".join(watcher.messages))


@pytest.fixture
def sqlite_url(tmp_path: pytest.TempPathFactory) -> str:
    """A fresh SQLite file for this test."""
    return f"sqlite+aiosqlite:///{tmp_path}/test.db"  # type: ignore[operator]


@pytest.fixture(scope="session", autouse=True)
def _scratch_databases_end_with_the_session() -> Iterator[None]:
    """At the session's end, drop the scratch databases made ahead that no test took."""
    yield
    _servers.close()


@pytest.fixture
def postgresql_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test."""
    with _servers.scratch_database("postgresql") as url:
        yield url


@pytest.fixture
def mariadb_url() -> Iterator[str]:
    """A fresh MariaDB database for this test."""
    with _servers.scratch_database("mariadb") as url:
        yield url


@pytest.fixture(
    params=[
        pytest.param("sqlite"),
        pytest.param("postgresql", marks=pytest.mark.postgresql),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    """The runtime's databases: SQLite and PostgreSQL, one test run each."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/test.db"
        return
    with _servers.scratch_database(request.param) as url:
        yield url


@pytest.fixture(
    params=[
        pytest.param("sqlite"),
        pytest.param("postgresql", marks=pytest.mark.postgresql),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ]
)
def any_database_url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    """Every dialect asyncmig supports: SQLite, PostgreSQL and MariaDB."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/test.db"
        return
    with _servers.scratch_database(request.param) as url:
        yield url
