"""Lock-safe execution on real servers: step lock timeouts and retries, statement timeouts."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import event, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from asyncmig._commands import database as commands
from asyncmig.errors import MigrationFailed
from tests.runtime._scripts import Rev, query, versions, write_project

pytestmark = pytest.mark.anyio

CREATE_T = 'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))'
ADD_C = 'op.add_column("t", sa.Column("c", sa.Integer))'
RETRY_LOGGER = "asyncmig.runtime"


def _history(upgrade_b2: str = ADD_C, extra_b2: str = "") -> list[Rev]:
    """a1 creates table t; b2 runs `upgrade_b2` on it."""
    return [Rev("a1", None, CREATE_T), Rev("b2", "a1", upgrade_b2, extra=extra_b2)]


@asynccontextmanager
async def _blocker(url: str, release: anyio.Event | None = None) -> AsyncIterator[None]:
    """Another session reads t in an open transaction (PostgreSQL: an ACCESS SHARE lock;
    MariaDB: a metadata lock), ended once `release` is set, or when the block exits."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn, anyio.create_task_group() as group:
            await conn.execute(text("SELECT * FROM t"))  # begins the transaction

            async def commit_on(event: anyio.Event) -> None:
                await event.wait()
                await conn.commit()

            if release is not None:
                group.start_soon(commit_on, release)
            yield
            group.cancel_scope.cancel()
    finally:
        await engine.dispose()


class _SetOnRetry(logging.Handler):
    """Sets an event at each retry line."""

    def __init__(self, event: anyio.Event) -> None:
        super().__init__(logging.WARNING)
        self.event = event

    def emit(self, record: logging.LogRecord) -> None:
        if "retry" in record.getMessage():
            self.event.set()


@contextmanager
def _released_on_retry() -> Iterator[anyio.Event]:
    """An event set at the first retry line (so a blocker commits only once a step waited)."""
    release = anyio.Event()
    handler = _SetOnRetry(release)
    logger = logging.getLogger(RETRY_LOGGER)
    logger.addHandler(handler)
    try:
        yield release
    finally:
        logger.removeHandler(handler)


async def _columns(url: str) -> list[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            found = await conn.run_sync(lambda sync: inspect(sync).get_columns("t"))
            return [column["name"] for column in found]
    finally:
        await engine.dispose()


def _retry_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == RETRY_LOGGER and "retry" in r.msg]


async def _retried_until_the_blocker_commits(
    tmp_path: Path, url: str, caplog: pytest.LogCaptureFixture, applied: str
) -> None:
    options = {"ddl_lock_timeout": "200ms", "ddl_lock_retries": 5}
    config = write_project(tmp_path, url, _history(), options=options)
    await commands.upgrade(config, "a1")
    caplog.set_level(logging.WARNING, RETRY_LOGGER)
    with _released_on_retry() as release:
        async with _blocker(url, release):
            await commands.upgrade(config)
    assert await versions(url) == ["b2"]
    assert "c" in await _columns(url)
    lines = _retry_lines(caplog)
    assert lines, "the step never waited for the blocker"
    assert lines[0].startswith(
        f"database 'main': revision b2 could not take a lock within {applied}; retry 1 of 5 in "
    )


async def _no_retry_leaves_the_database_as_it_was(tmp_path: Path, url: str, applied: str) -> None:
    options = {"ddl_lock_timeout": 0.2, "ddl_lock_retries": 0}
    config = write_project(tmp_path, url, _history(), options=options)
    await commands.upgrade(config, "a1")
    async with _blocker(url):
        with pytest.raises(MigrationFailed) as caught:
            await commands.upgrade(config)
    message = str(caught.value)
    assert "revision b2 failed" in message
    assert f"could not take a lock within {applied} in 1 try (ddl_lock_retries = 0)" in message
    assert await versions(url) == ["a1"]
    assert await _columns(url) == ["id"]


@pytest.mark.postgresql
async def test_postgresql_step_is_retried_until_the_blocker_commits(
    tmp_path: Path, postgresql_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL: an ALTER blocked by an open transaction times out, is retried, then runs."""
    await _retried_until_the_blocker_commits(tmp_path, postgresql_url, caplog, "0.2s")


@pytest.mark.mariadb
async def test_mariadb_step_is_retried_until_the_blocker_commits(
    tmp_path: Path, mariadb_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """MariaDB: an ALTER waiting on a metadata lock times out (whole seconds), is retried, runs."""
    await _retried_until_the_blocker_commits(tmp_path, mariadb_url, caplog, "1s")


@pytest.mark.postgresql
async def test_postgresql_without_retries_fails_and_changes_nothing(
    tmp_path: Path, postgresql_url: str
) -> None:
    """PostgreSQL, ddl_lock_retries = 0: the step fails once; version row and schema unchanged."""
    await _no_retry_leaves_the_database_as_it_was(tmp_path, postgresql_url, "0.2s")


@pytest.mark.mariadb
async def test_mariadb_without_retries_fails_and_changes_nothing(
    tmp_path: Path, mariadb_url: str
) -> None:
    """MariaDB, ddl_lock_retries = 0: the step fails once; version row and schema unchanged."""
    await _no_retry_leaves_the_database_as_it_was(tmp_path, mariadb_url, "1s")


@pytest.mark.postgresql
async def test_a_retry_reruns_the_whole_transaction(
    tmp_path: Path, postgresql_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """transaction_per_migration = false: the retry runs again every step the rollback undid."""
    history = [
        Rev("a1", None, CREATE_T),
        Rev("b2", "a1", 'op.create_table("u", sa.Column("id", sa.Integer))'),
        Rev("c3", "b2", ADD_C),
    ]
    options = {
        "ddl_lock_timeout": 0.2,
        "ddl_lock_retries": 5,
        "transaction_per_migration": False,
    }
    config = write_project(tmp_path, postgresql_url, history, options=options)
    await commands.upgrade(config, "a1")
    caplog.set_level(logging.WARNING, RETRY_LOGGER)
    with _released_on_retry() as release:
        async with _blocker(postgresql_url, release):
            report = await commands.upgrade(config)
    assert "revision c3 could not take a lock" in _retry_lines(caplog)[0]
    assert [step.revision for step in report.databases[0].steps] == ["b2", "c3"]
    assert await versions(postgresql_url) == ["c3"]
    assert await query(postgresql_url, "SELECT count(*) FROM u") == [(0,)]
    assert await _columns(postgresql_url) == ["id", "c"]


@pytest.mark.postgresql
async def test_committed_work_is_never_retried(
    tmp_path: Path, postgresql_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A step whose autocommit block committed a row is not retried after a lock wait ran out."""
    body = (
        "with op.get_context().autocommit_block():\n"
        '    op.execute("INSERT INTO t (id) VALUES (1)")\n' + ADD_C
    )
    options = {"ddl_lock_timeout": 0.2, "ddl_lock_retries": 5}
    config = write_project(tmp_path, postgresql_url, _history(body), options=options)
    await commands.upgrade(config, "a1")
    caplog.set_level(logging.WARNING, RETRY_LOGGER)
    async with _blocker(postgresql_url):
        with pytest.raises(MigrationFailed, match="was not tried again"):
            await commands.upgrade(config)
    assert _retry_lines(caplog) == []
    assert await query(postgresql_url, "SELECT id FROM t") == [(1,)]
    assert await versions(postgresql_url) == ["a1"]


@pytest.mark.postgresql
async def test_cli_shows_the_retry_on_stderr(tmp_path: Path, postgresql_url: str) -> None:
    """`asyncmig upgrade` prints each retry's warning line on stderr, then succeeds."""
    options = {"ddl_lock_timeout": "200ms", "ddl_lock_retries": 5}
    config = write_project(tmp_path, postgresql_url, _history(), options=options)
    await commands.upgrade(config, "a1")
    env = {**os.environ, "ASYNCMIG_CONFIG": str(tmp_path / "asyncmig.toml")}
    line = b"revision b2 could not take a lock within 0.2s; retry 1 of 5 in "
    release = anyio.Event()
    stderr = b""
    command = [sys.executable, "-m", "asyncmig", "upgrade", "head"]
    async with (
        _blocker(postgresql_url, release),
        await anyio.open_process(command, cwd=tmp_path, env=env) as process,
    ):
        assert process.stderr is not None
        with anyio.fail_after(60):
            async for chunk in process.stderr:
                stderr += chunk
                if line in stderr:
                    release.set()  # the blocker commits: the retry can get the lock
            code = await process.wait()
    assert code == 0, stderr.decode()
    assert line in stderr
    assert await versions(postgresql_url) == ["b2"]


# -- statement timeouts: the application's engine sets a short one -------------------------


def _app_engine(url: str, statement: str) -> AsyncEngine:
    """An application's engine whose every new connection runs `statement` (a 100 ms timeout)."""
    engine = create_async_engine(url, pool_size=2, max_overflow=0)

    @event.listens_for(engine.sync_engine, "connect")
    def set_timeout(dbapi_connection: Any, record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()
        dbapi_connection.commit()  # a rollback (the pool's reset) would undo it on PostgreSQL

    return engine


async def _pooled(engine: AsyncEngine, sql: str) -> list[tuple[Any, ...]]:
    """`sql`'s row on each of the pool's two connections (both checked out at once)."""
    async with engine.connect() as first, engine.connect() as second:
        rows = [tuple((await conn.execute(text(sql))).one()) for conn in (first, second)]
        await first.rollback()
        await second.rollback()
    return sorted(rows, key=repr)


async def _long_step_survives_the_app_timeout(
    tmp_path: Path, url: str, setup: str, sleep: str, settings: str
) -> None:
    history = [Rev("a1", None, f'op.execute("{sleep}")')]
    engine = _app_engine(url, setup)
    try:
        before = await _pooled(engine, settings)
        config = write_project(tmp_path / "off", url, history)
        with pytest.raises(MigrationFailed, match="revision a1 failed"):
            await commands.upgrade(config, engines={"main": engine})
        options = {"migration_statement_timeout": "10s", "ddl_lock_timeout": "3s"}
        config = write_project(tmp_path / "on", url, history, options=options)
        await commands.upgrade(config, engines={"main": engine})
        assert await versions(url) == ["a1"]
        # the borrowed engine's connections are back as the application set them
        assert await _pooled(engine, settings) == before
    finally:
        await engine.dispose()


@pytest.mark.postgresql
async def test_postgresql_statement_timeout_replaces_the_applications(
    tmp_path: Path, postgresql_url: str
) -> None:
    """PostgreSQL: a 0.5 s step fails under the app's 100 ms timeout, runs with 10 s; restored."""
    await _long_step_survives_the_app_timeout(
        tmp_path,
        postgresql_url,
        "SET statement_timeout = 100",
        "SELECT pg_sleep(0.5)",
        "SELECT current_setting('statement_timeout'), current_setting('lock_timeout')",
    )


@pytest.mark.mariadb
async def test_mariadb_statement_timeout_replaces_the_applications(
    tmp_path: Path, mariadb_url: str
) -> None:
    """MariaDB: a 0.5 s step fails under the app's max_statement_time, runs with 10 s; restored."""
    await _long_step_survives_the_app_timeout(
        tmp_path,
        mariadb_url,
        "SET SESSION max_statement_time = 0.1",
        "SELECT SLEEP(0.5)",
        "SELECT @@SESSION.max_statement_time, @@SESSION.lock_wait_timeout, "
        "@@SESSION.innodb_lock_wait_timeout",
    )


@pytest.mark.postgresql
async def test_unconfigured_run_sends_no_timeout_statement(
    tmp_path: Path, postgresql_url: str
) -> None:
    """Without the keys (an Alembic-adopted project) asyncmig reads and sets no timeout."""
    engine = create_async_engine(postgresql_url)
    sent: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    try:
        config = write_project(tmp_path, postgresql_url, _history())
        await commands.upgrade(config, engines={"main": engine})
    finally:
        await engine.dispose()
    assert sent
    assert [s for s in sent if "timeout" in s] == []


# -- per-revision settings --------------------------------------------------------------------

RECORD = (
    "op.execute(\"INSERT INTO seen VALUES ('{rev}', current_setting('lock_timeout'), "
    "current_setting('statement_timeout'))\")"
)


@pytest.mark.postgresql
async def test_revision_settings_override_the_configuration(
    tmp_path: Path, postgresql_url: str
) -> None:
    """A script's `asyncmig = {...}` sets its own step's timeouts; the next has the config's."""
    create = (
        'op.create_table("seen", sa.Column("rev", sa.Text), sa.Column("lock", sa.Text), '
        'sa.Column("statement", sa.Text))\n'
    )
    history = [
        Rev("a1", None, create + RECORD.format(rev="a1")),
        Rev(
            "b2",
            "a1",
            RECORD.format(rev="b2"),
            extra='asyncmig = {"ddl_lock_timeout": "2s", "migration_statement_timeout": 0}',
        ),
        Rev("c3", "b2", RECORD.format(rev="c3")),
    ]
    options = {"ddl_lock_timeout": "5s", "migration_statement_timeout": "1min"}
    config = write_project(tmp_path, postgresql_url, history, options=options)
    await commands.upgrade(config)
    rows = await query(postgresql_url, "SELECT rev, lock, statement FROM seen ORDER BY rev")
    assert rows == [("a1", "5s", "1min"), ("b2", "2s", "0"), ("c3", "5s", "1min")]


@pytest.mark.postgresql
async def test_transaction_false_runs_the_script_outside_a_transaction(
    tmp_path: Path, postgresql_url: str
) -> None:
    """`"transaction": False` lets CREATE INDEX CONCURRENTLY run without an autocommit block."""
    concurrently = 'op.create_index("ix_t_id", "t", ["id"], postgresql_concurrently=True)'
    history = _history(concurrently, extra_b2='asyncmig = {"transaction": False}')
    config = write_project(tmp_path, postgresql_url, history)
    await commands.upgrade(config)
    assert await versions(postgresql_url) == ["b2"]
    indexes = await query(postgresql_url, "SELECT indexname FROM pg_indexes WHERE tablename = 't'")
    assert ("ix_t_id",) in indexes


async def test_sqlite_runs_with_the_settings_and_sends_nothing_for_them(
    tmp_path: Path, sqlite_url: str
) -> None:
    """SQLite has no such timeouts: configured ones change nothing; transaction False still runs."""
    history = _history(ADD_C, extra_b2='asyncmig = {"transaction": False, "ddl_lock_timeout": 1}')
    options = {"ddl_lock_timeout": "5s", "migration_statement_timeout": "1h"}
    config = write_project(tmp_path, sqlite_url, history, options=options)
    engine = create_async_engine(sqlite_url)
    sent: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    try:
        await commands.upgrade(config, engines={"main": engine})
    finally:
        await engine.dispose()
    assert await versions(sqlite_url) == ["b2"]
    assert await _columns(sqlite_url) == ["id", "c"]
    assert [s for s in sent if "timeout" in s and "busy_timeout" not in s] == []
