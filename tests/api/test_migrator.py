"""asyncmig.Migrator: the database commands sharing one script directory and one engine each."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import QueuePool

import asyncmig
from asyncmig._commands import database as commands
from asyncmig._script.directory import ScriptDirectory
from asyncmig.errors import AsyncmigError, CommandError, ConfigError, MigrationFailed
from tests import _servers
from tests.runtime._scripts import Rev, linear, query, tables, versions, write_project

pytestmark = pytest.mark.anyio


@dataclass
class Watch:
    """Every SQLAlchemy engine that opened a connection while the test ran, in order."""

    engines: list[Engine] = field(default_factory=list)
    connections: int = 0  # Connection objects handed out (one per read, poll or run)

    def on_connect(self, conn: Connection) -> None:
        self.connections += 1
        if not any(engine is conn.engine for engine in self.engines):
            self.engines.append(conn.engine)

    def of(self, url: str) -> list[Engine]:
        """The engines that connected to the database `url` names."""
        database = make_url(url).database
        return [engine for engine in self.engines if engine.url.database == database]


@pytest.fixture
def watch() -> Iterator[Watch]:
    """Record the engines that connect, through SQLAlchemy's public engine_connect event."""
    seen = Watch()
    event.listen(Engine, "engine_connect", seen.on_connect)
    try:
        yield seen
    finally:
        event.remove(Engine, "engine_connect", seen.on_connect)


def disposed(engine: Engine) -> bool:
    """Whether the engine was disposed: its pool replaced by an empty one."""
    pool = engine.pool
    assert isinstance(pool, QueuePool)
    return pool.checkedin() == 0 and pool.checkedout() == 0


FACTORY_ENV = """
from pathlib import Path
from sqlalchemy.ext.asyncio import create_async_engine

async def engine(name, url):
    with Path(__file__).with_name("factory-calls").open("a") as calls:
        calls.write(name + "\\n")
    return create_async_engine(url)
"""


async def execute(url: str, sql: str) -> None:
    """Run one statement and commit it, on an engine of its own."""
    from sqlalchemy import text

    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def factory_calls(tmp_path: Path) -> list[str]:
    """The database names env.py's engine() factory was called for, in order."""
    path = anyio.Path(tmp_path / "migrations" / "factory-calls")
    return (await path.read_text()).split() if await path.exists() else []


async def test_one_engine_serves_every_call(tmp_path: Path, sqlite_url: str, watch: Watch) -> None:
    """Upgrade, reads, downgrade, stamp: one engine, kept open between calls, disposed at exit."""
    config = write_project(tmp_path, sqlite_url, linear("a1", "b2"))
    async with asyncmig.Migrator(config) as migrator:
        await migrator.upgrade("a1")
        assert await migrator.current() == {"main": ("a1",)}
        assert await migrator.is_at_head() == {"main": False}
        await migrator.upgrade()
        assert await migrator.wait_for_head(timeout=0) == {"main": ("b2",)}
        await migrator.downgrade("a1")
        await migrator.stamp("b2")
        await migrator.ensure_version()
        (engine,) = watch.of(sqlite_url)
        assert not disposed(engine)  # its connection waits in the pool for the next call
    assert watch.connections >= 8
    assert disposed(engine)


async def test_module_functions_still_make_and_dispose_an_engine_per_call(
    tmp_path: Path, sqlite_url: str, watch: Watch
) -> None:
    """The one-shot commands each use a fresh engine and dispose of it before returning."""
    config = write_project(tmp_path, sqlite_url, linear("a1"))
    await commands.upgrade(config)
    assert await commands.current(config) == {"main": ("a1",)}
    assert await commands.is_at_head(config) == {"main": True}
    engines = watch.of(sqlite_url)
    assert len(engines) == 3
    assert all(disposed(engine) for engine in engines)


async def test_wait_for_head_polls_through_one_engine(
    tmp_path: Path, sqlite_url: str, watch: Watch
) -> None:
    """Every poll of wait_for_head reads through the same engine, also from the module function."""
    config = write_project(tmp_path, sqlite_url, linear("a1", "b2"))
    found: dict[str, tuple[str, ...]] = {}
    async with asyncmig.Migrator(config) as migrator:
        await migrator.upgrade("a1")

        async def wait() -> None:
            found.update(await migrator.wait_for_head(timeout=30, interval=0.02))

        start = watch.connections
        async with anyio.create_task_group() as group:
            group.start_soon(wait)
            await anyio.sleep(0.3)
            assert not found
            polls = watch.connections - start
            await migrator.upgrade()
    assert found == {"main": ("b2",)}
    assert polls >= 5
    assert len(watch.of(sqlite_url)) == 1

    await commands.downgrade(config, "a1")
    engines, start = len(watch.engines), watch.connections
    with pytest.raises(CommandError, match=r"main at a1 \(head b2\)"):
        await commands.wait_for_head(config, timeout=0.3, interval=0.02)
    assert watch.connections - start >= 5
    assert len(watch.engines) == engines + 1  # one engine for all of the function's polls


async def test_borrowed_engine_is_used_and_never_disposed(
    tmp_path: Path, sqlite_url: str, watch: Watch
) -> None:
    """engines={"main": engine} runs every call on it and leaves it open after aclose()."""
    config = write_project(tmp_path, "postgresql+asyncpg://unused@127.0.0.1:1/x", linear("a1"))
    engine = create_async_engine(sqlite_url)
    try:
        migrator = asyncmig.Migrator(config, engines={"main": engine})
        await migrator.upgrade()
        assert await migrator.current() == {"main": ("a1",)}
        await migrator.aclose()
        assert watch.engines == [engine.sync_engine]
        assert not disposed(engine.sync_engine)
        async with engine.connect() as conn:  # still usable
            assert conn.dialect.name == "sqlite"
    finally:
        await engine.dispose()


async def test_closed_migrator_refuses_work_and_closes_once(
    tmp_path: Path, sqlite_url: str
) -> None:
    """After `async with` a Migrator raises on use; aclose() again is harmless."""
    config = write_project(tmp_path, sqlite_url, linear("a1"))
    async with asyncmig.Migrator(config) as migrator:
        await migrator.upgrade()
    await migrator.aclose()
    assert "(closed)" in repr(migrator)
    with pytest.raises(RuntimeError, match="closed"):
        await migrator.current()
    with pytest.raises(RuntimeError, match="closed"):
        await migrator.upgrade()


async def test_env_engine_factory_called_once_per_database(tmp_path: Path, sqlite_url: str) -> None:
    """env.py's engine() makes the engine on first use, once; offline runs make none."""
    config = write_project(tmp_path, sqlite_url, linear("a1", "b2"))
    (tmp_path / "migrations" / "env.py").write_text(FACTORY_ENV)
    async with asyncmig.Migrator(config) as migrator:
        offline = await migrator.upgrade("base:a1", sql=True)
        assert "CREATE TABLE t_a1" in (offline.databases[0].sql or "")
        assert await factory_calls(tmp_path) == []
        await migrator.upgrade()
        await migrator.current()
        await migrator.is_at_head()
        await migrator.downgrade("base")
    assert await factory_calls(tmp_path) == ["main"]
    await commands.current(config)
    await commands.current(config)
    assert await factory_calls(tmp_path) == ["main", "main", "main"]


async def test_scripts_are_read_once(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The script directory is scanned on first use and shared by every later call."""
    config = write_project(tmp_path, sqlite_url, linear("a1", "b2"))
    scans: list[Path] = []
    original = ScriptDirectory._scan

    def counting(self: ScriptDirectory) -> object:
        scans.append(self.location)
        return original(self)

    monkeypatch.setattr(ScriptDirectory, "_scan", counting)
    async with asyncmig.Migrator(config) as migrator:
        await migrator.upgrade()
        await migrator.current()
        await migrator.is_at_head()
        await migrator.wait_for_head(timeout=0)
        await migrator.downgrade("base")
    assert scans == [tmp_path / "migrations"]


async def test_first_calls_at_once_make_one_engine(
    tmp_path: Path, sqlite_url: str, watch: Watch
) -> None:
    """Several tasks reading through a fresh Migrator at once share the one engine it makes."""
    config = write_project(tmp_path, sqlite_url, linear("a1"))
    results: list[dict[str, tuple[str, ...]]] = []
    async with asyncmig.Migrator(config) as migrator:

        async def read() -> None:
            results.append(await migrator.current())

        async with anyio.create_task_group() as group:
            for _ in range(4):
                group.start_soon(read)
    assert results == [{"main": ()}] * 4
    assert len(watch.of(sqlite_url)) == 1


async def test_stamp_purge_and_ensure_version(tmp_path: Path, sqlite_url: str) -> None:
    """ensure_version creates the table only; stamp records revisions, purge empties first."""
    config = write_project(tmp_path, sqlite_url, linear("a1", "b2"))
    async with asyncmig.Migrator(config) as migrator:
        report = await migrator.ensure_version()
        assert report.ok
        assert await tables(sqlite_url) == {"asyncmig_version", "asyncmig_version_ledger"}
        assert await migrator.current() == {"main": ()}
        await migrator.stamp("b2")
        assert await migrator.current() == {"main": ("b2",)}
        # nothing ran
        assert await tables(sqlite_url) == {"asyncmig_version", "asyncmig_version_ledger"}
        await execute(sqlite_url, "UPDATE asyncmig_version SET version_num = 'zz9'")
        with pytest.raises(AsyncmigError, match="zz9"):
            await migrator.stamp("a1")
        stamped = await migrator.stamp(["a1"], purge=True)
        assert [step.to_revisions for step in stamped.steps] == [("a1",)]
        assert await versions(sqlite_url) == ["a1"]


async def test_on_step_and_options_per_call(tmp_path: Path, sqlite_url: str) -> None:
    """The Migrator's on_step hears each step; per-call options replace the Migrator's."""
    config = write_project(tmp_path, sqlite_url, linear("a1", "b2", "c3"))
    heard: list[str] = []
    per_call: list[str] = []
    async with asyncmig.Migrator(config, on_step=lambda s: heard.append(s.revision)) as migrator:
        await migrator.upgrade("a1")
        await migrator.upgrade("b2", on_step=lambda s: per_call.append(s.revision))
        with pytest.raises(CommandError, match="concurrency must be 1 or more, not 0"):
            await migrator.upgrade(concurrency=0)
        down = await migrator.downgrade("base", tag="rollback-7")
    assert heard == ["a1", "b2", "a1"]
    assert per_call == ["b2"]
    assert [step.revision for step in down.steps] == ["b2", "a1"]
    async with asyncmig.Migrator(config, concurrency=0) as migrator:
        with pytest.raises(CommandError, match="concurrency must be 1 or more"):
            await migrator.upgrade()


async def test_failures_raise_or_are_reported(tmp_path: Path, sqlite_url: str) -> None:
    """A failing step raises with the report attached, or is returned with raise_on_error=False."""
    revs = [*linear("a1"), Rev("b2", "a1", "raise ValueError('boom in b2')")]
    config = write_project(tmp_path, sqlite_url, revs)
    async with asyncmig.Migrator(config) as migrator:
        report = await migrator.upgrade(raise_on_error=False, fail_fast=True)
        assert report.databases[0].status == "failed"
        assert isinstance(report.databases[0].error, MigrationFailed)
        with pytest.raises(MigrationFailed, match="boom in b2"):
            await migrator.upgrade()
        assert await migrator.current() == {"main": ("a1",)}


async def test_databases_that_cannot_be_used_fail_as_before(
    tmp_path: Path, sqlite_url: str
) -> None:
    """An unknown name, a missing URL: the same errors and reports as the module functions."""
    config = write_project(
        tmp_path, None, linear("a1"), databases={"good": {"url": sqlite_url}, "nourl": {}}
    )
    async with asyncmig.Migrator(config) as migrator:
        with pytest.raises(ConfigError) as unknown:
            await migrator.upgrade(databases=["nope"])
        report = await migrator.upgrade(raise_on_error=False)
        statuses = {db.database: db.status for db in report.databases}
        assert statuses == {"good": "ok", "nourl": "failed"}
        errors: dict[str, AsyncmigError] = {}
        assert await migrator.current(errors=errors) == {"good": ("a1",)}
        assert list(errors) == ["nourl"]
        assert isinstance(errors["nourl"], ConfigError)
    with pytest.raises(ConfigError) as before:
        await commands.upgrade(config, databases=["nope"])
    assert str(before.value) == str(unknown.value)
    old = await commands.upgrade(config, raise_on_error=False)
    assert str(old.databases[1].error) == str(report.databases[1].error)


async def test_wait_for_head_arguments_and_timeout(tmp_path: Path, sqlite_url: str) -> None:
    """A bad timeout or interval is a CommandError; a timeout names what is behind."""
    config = write_project(tmp_path, sqlite_url, linear("a1", "b2"))
    async with asyncmig.Migrator(config) as migrator:
        await migrator.upgrade("a1")
        with pytest.raises(CommandError, match="not 'forever'"):
            await migrator.wait_for_head(timeout=-1)
        with pytest.raises(CommandError, match="interval must be positive"):
            await migrator.wait_for_head(timeout=1, interval=0)
        with pytest.raises(CommandError, match=r"gave up after 0.1s.*main at a1 \(head b2\)"):
            await migrator.wait_for_head(timeout=0.1, interval=0.02)


CHECK_ENV = """
import sqlalchemy as sa

target_metadata = sa.MetaData()
sa.Table("t_a1", target_metadata, sa.Column("id", sa.Integer, primary_key=True))
sa.Table("extra", target_metadata, sa.Column("id", sa.Integer, primary_key=True))
"""


async def test_check_compares_through_the_shared_engine(
    tmp_path: Path, sqlite_url: str, watch: Watch
) -> None:
    """check reports the models' differences, reading through the Migrator's engine."""
    config = write_project(tmp_path, sqlite_url, linear("a1"))
    (tmp_path / "migrations" / "env.py").write_text(CHECK_ENV)
    async with asyncmig.Migrator(config) as migrator:
        with pytest.raises(CommandError, match="not up to date"):
            await migrator.check()
        await migrator.upgrade()
        report = await migrator.check(databases=["main"])
    assert report.revisions == {"main": ("a1",)}
    assert [d.description for d in report.differences] == ["add table extra"]
    assert len(watch.of(sqlite_url)) == 1


@pytest.fixture
def other_postgresql_url() -> Iterator[str]:
    """A second fresh PostgreSQL database for this test."""
    with _servers.scratch_database("postgresql") as url:
        yield url


@pytest.mark.postgresql
async def test_two_postgresql_databases_one_engine_each(
    tmp_path: Path, postgresql_url: str, other_postgresql_url: str, watch: Watch
) -> None:
    """Two databases migrate together; every later call reuses each one's engine."""
    urls = {"orders": postgresql_url, "users": other_postgresql_url}
    config = write_project(
        tmp_path, None, linear("a1", "b2"), databases={n: {"url": u} for n, u in urls.items()}
    )
    async with asyncmig.Migrator(config) as migrator:
        report = await migrator.upgrade("a1")
        assert [db.database for db in report.databases] == ["orders", "users"]
        assert await migrator.is_at_head() == {"orders": False, "users": False}
        await migrator.upgrade(databases=["users"])
        assert await migrator.current() == {"orders": ("a1",), "users": ("b2",)}
        await migrator.upgrade()
        assert await migrator.wait_for_head(timeout=5) == {"orders": ("b2",), "users": ("b2",)}
        made = [watch.of(url) for url in urls.values()]
        assert [len(engines) for engines in made] == [1, 1]
        assert not any(disposed(engines[0]) for engines in made)
    assert all(disposed(engines[0]) for engines in made)
    assert await versions(postgresql_url) == ["b2"]


LOCK_SEEN = Rev(
    "a1",
    None,
    """
    op.create_table("seen", sa.Column("n", sa.Integer))
    held = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )).scalar()
    op.execute(f"INSERT INTO seen VALUES ({held})")
    """,
    'op.drop_table("seen")',
)


@pytest.mark.postgresql
async def test_lock_none_follows_the_configuration(tmp_path: Path, postgresql_url: str) -> None:
    """lock=None takes the lock as the configuration says; True or False overrides it."""

    async def held(config: asyncmig.Config, lock: bool | None) -> int:
        async with asyncmig.Migrator(config, lock=lock) as migrator:
            await migrator.upgrade()
            (row,) = await query(postgresql_url, "SELECT n FROM seen")
            await migrator.downgrade("base")
        return int(row[0])

    locking = write_project(tmp_path / "on", postgresql_url, [LOCK_SEEN])
    assert await held(locking, None) == 1
    assert await held(locking, False) == 0
    unlocked = write_project(tmp_path / "off", postgresql_url, [LOCK_SEEN], options={"lock": False})
    assert await held(unlocked, None) == 0
    assert await held(unlocked, True) == 1
