"""Connections: unreachable servers, rejected logins, borrowed engines, concurrent calls."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import QueuePool

from asyncmig._commands import database as commands
from asyncmig.errors import DatabaseUnavailable
from tests.runtime._scripts import linear, tables, versions, write_project

pytestmark = pytest.mark.anyio


async def test_unreachable_server_is_one_line(tmp_path: Path) -> None:
    """A server nobody listens on gives one line naming the database and the masked URL."""
    url = "postgresql+asyncpg://someone:hunter2-secret@127.0.0.1:1/nowhere"
    config = write_project(tmp_path, url, linear("a1"))
    with pytest.raises(DatabaseUnavailable) as caught:
        await commands.upgrade(config)
    message = str(caught.value)
    assert "\n" not in message
    assert "'main'" in message
    assert "someone:***@127.0.0.1:1/nowhere" in message
    assert "hunter2-secret" not in message
    with pytest.raises(DatabaseUnavailable):
        await commands.current(config)


async def test_sqlite_file_that_cannot_be_opened(tmp_path: Path) -> None:
    """A SQLite path in a missing folder is reported as unavailable, not as a crash."""
    url = f"sqlite+aiosqlite:///{tmp_path}/missing/dir/db.sqlite"
    config = write_project(tmp_path, url, linear("a1"))
    report = await commands.upgrade(config, raise_on_error=False)
    assert report.databases[0].status == "failed"
    assert isinstance(report.databases[0].error, DatabaseUnavailable)


@pytest.mark.postgresql
async def test_rejected_login_masks_the_password(tmp_path: Path, postgresql_url: str) -> None:
    """A login the server rejects is reported with the password masked, never in clear."""
    url = (
        make_url(postgresql_url)
        .set(username="asyncmig_no_such_role", password="pw-s3cr3t-value")
        .render_as_string(hide_password=False)
    )
    config = write_project(tmp_path, url, linear("a1"))
    with pytest.raises(DatabaseUnavailable) as caught:
        await commands.upgrade(config)
    message = str(caught.value)
    assert "pw-s3cr3t-value" not in message
    assert "asyncmig_no_such_role:***@" in message
    assert "asyncmig_no_such_role" in message.split(" is unavailable: ")[1]


async def test_borrowed_engine_is_used_and_not_disposed(tmp_path: Path, database_url: str) -> None:
    """engines={"main": engine} runs on the application's engine and leaves it usable."""
    config = write_project(tmp_path, "postgresql+asyncpg://unused@127.0.0.1:1/x", linear("a1"))
    engine = create_async_engine(database_url)
    try:
        await commands.upgrade(config, engines={"main": engine})
        assert await commands.current(config, engines={"main": engine}) == {"main": ("a1",)}
        async with engine.connect() as conn:  # still open: not disposed
            assert conn.dialect.name == make_url(database_url).get_backend_name()
        pool = engine.pool
        assert isinstance(pool, QueuePool)
        assert pool.checkedout() == 0  # its connection went back to the pool
    finally:
        await engine.dispose()
    assert "t_a1" in await tables(database_url)


async def test_two_concurrent_calls_in_one_process(tmp_path: Path, database_url: str) -> None:
    """Two upgrades awaited at once on one database both succeed and each step runs once."""
    config = write_project(tmp_path, database_url, linear("a1", "b2", "c3"))
    reports = []

    async def one() -> None:
        reports.append(await commands.upgrade(config))

    async with anyio.create_task_group() as group:
        group.start_soon(one)
        group.start_soon(one)
    assert sorted(len(r.steps) for r in reports) in ([0, 3], [1, 2])
    assert sum(len(r.steps) for r in reports) == 3
    assert await versions(database_url) == ["c3"]
    await commands.downgrade(config, "base")
    await commands.upgrade(config)  # safe to call again in the same process
    assert await versions(database_url) == ["c3"]


async def test_multidb_failure_is_isolated(tmp_path: Path, sqlite_url: str) -> None:
    """One database failing does not stop another; the report has a status per database."""
    good = sqlite_url
    bad = f"sqlite+aiosqlite:///{tmp_path}/missing/dir/db.sqlite"
    config = write_project(
        tmp_path, None, linear("a1", "b2"), databases={"good": {"url": good}, "bad": {"url": bad}}
    )
    report = await commands.upgrade(config, raise_on_error=False)
    statuses = {db.database: db.status for db in report.databases}
    assert statuses == {"good": "ok", "bad": "failed"}
    assert not report.ok
    assert await versions(good) == ["b2"]
    with pytest.raises(DatabaseUnavailable):
        await commands.upgrade(config, databases=["bad"])
    assert (await commands.upgrade(config, databases=["good"])).ok


async def test_fail_fast_cancels_the_rest(tmp_path: Path, sqlite_url: str) -> None:
    """fail_fast stops the run: a database still waiting for its turn never starts."""
    bad = f"sqlite+aiosqlite:///{tmp_path}/missing/dir/db.sqlite"
    config = write_project(
        tmp_path,
        None,
        linear("a1", "b2"),
        databases={"bad": {"url": bad}, "later": {"url": sqlite_url}},
    )
    report = await commands.upgrade(config, concurrency=1, fail_fast=True, raise_on_error=False)
    statuses = {db.database: db.status for db in report.databases}
    assert statuses == {"bad": "failed", "later": "not-started"}
    assert "asyncmig_version" not in await tables(sqlite_url)


async def test_env_engine_factory_is_used(tmp_path: Path, database_url: str) -> None:
    """An `async def engine(name, url)` in env.py creates the engine the run uses."""
    config = write_project(tmp_path, database_url, linear("a1"))
    (tmp_path / "migrations" / "env.py").write_text(
        "from pathlib import Path\n"
        "from sqlalchemy.ext.asyncio import create_async_engine\n\n"
        "async def engine(name, url):\n"
        "    Path(__file__).with_name('factory-called').write_text(name)\n"
        "    return create_async_engine(url)\n"
    )
    await commands.upgrade(config)
    marker = anyio.Path(tmp_path / "migrations" / "factory-called")
    assert await marker.read_text() == "main"
    assert await versions(database_url) == ["a1"]
