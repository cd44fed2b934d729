"""The migration lock: many runners at once, timeouts, --no-lock, and a runner killed mid-step."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import anyio
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from asyncmig._commands import database as commands
from asyncmig._dialects.mysql import lock_name
from asyncmig._dialects.postgresql import lock_key
from asyncmig.errors import LockTimeout
from tests.runtime._scripts import Rev, linear, query, versions, write_project

pytestmark = pytest.mark.anyio

REVISIONS = 50
RUNNERS = 16


def _counting_history(count: int) -> list[Rev]:
    """`count` revisions; the first creates table `ran`, each inserts its id into it."""
    revs = []
    down = None
    for number in range(count):
        rev = f"r{number:03d}"
        body = f"op.execute(\"INSERT INTO ran (rev) VALUES ('{rev}')\")"
        if number == 0:
            body = 'op.create_table("ran", sa.Column("rev", sa.String(10)))\n' + body
        revs.append(Rev(rev, down, body))
        down = rev
    return revs


async def _cli(project: Path, *args: str) -> tuple[int, str]:
    env = {**os.environ, "ASYNCMIG_CONFIG": str(project / "asyncmig.toml")}
    result = await anyio.run_process(
        [sys.executable, "-m", "asyncmig", *args], cwd=project, env=env, check=False
    )
    return result.returncode, (result.stdout + result.stderr).decode()


@pytest.mark.postgresql
async def test_sixteen_processes_run_each_step_once(tmp_path: Path, postgresql_url: str) -> None:
    """16 `asyncmig upgrade head` processes started at once: all exit 0, every step ran once."""
    write_project(tmp_path, postgresql_url, _counting_history(REVISIONS))
    results: list[tuple[int, str]] = []

    async def one() -> None:
        results.append(await _cli(tmp_path, "upgrade", "head"))

    async with anyio.create_task_group() as group:
        for _ in range(RUNNERS):
            group.start_soon(one)
    assert [code for code, _ in results] == [0] * RUNNERS, [out for _, out in results]
    ran = [row[0] for row in await query(postgresql_url, "SELECT rev FROM ran")]
    assert sorted(ran) == [f"r{n:03d}" for n in range(REVISIONS)]
    assert await versions(postgresql_url) == [f"r{REVISIONS - 1:03d}"]


async def test_sqlite_runners_in_one_process_run_each_step_once(
    tmp_path: Path, sqlite_url: str
) -> None:
    """Four runners on one SQLite file: each step runs exactly once, whoever runs it."""
    config = write_project(tmp_path, sqlite_url, _counting_history(20))
    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(commands.upgrade, config)
    ran = [row[0] for row in await query(sqlite_url, "SELECT rev FROM ran")]
    assert sorted(ran) == [f"r{n:03d}" for n in range(20)]
    assert await versions(sqlite_url) == ["r019"]


async def test_sqlite_processes_creating_tables_run_each_step_once(
    tmp_path: Path, sqlite_url: str
) -> None:
    """Six CLI processes on one SQLite file, each step a CREATE TABLE: all exit 0, no repeats.

    SQLite's lock ends with each transaction, so runners take turns step by step; a
    runner whose next step another has already run must re-plan, not fail.
    """
    history = _counting_history(30)
    for rev in history[1:]:
        rev.upgrade += f'\nop.create_table("t_{rev.id}", sa.Column("id", sa.Integer))'
    write_project(tmp_path, sqlite_url, history)
    results: list[tuple[int, str]] = []

    async def one() -> None:
        results.append(await _cli(tmp_path, "upgrade", "head"))

    async with anyio.create_task_group() as group:
        for _ in range(6):
            group.start_soon(one)
    assert [code for code, _ in results] == [0] * 6, [out for _, out in results]
    ran = [row[0] for row in await query(sqlite_url, "SELECT rev FROM ran")]
    assert sorted(ran) == [f"r{n:03d}" for n in range(30)]
    assert await versions(sqlite_url) == ["r029"]


_FAILING_RUNNERS = """
import sys
import anyio
from asyncmig import Config, upgrade

async def main() -> None:
    config = Config.load(sys.argv[1], environ={})
    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(upgrade, config)

try:
    anyio.run(main)
except BaseException as exc:
    print(type(exc).__name__, exc.exceptions[0] if hasattr(exc, "exceptions") else exc)
"""


async def test_sqlite_runners_cancelled_waiting_for_the_lock_exit(
    tmp_path: Path, sqlite_url: str
) -> None:
    """One of three runners on one SQLite file fails: the others, waiting for the write
    lock, are cancelled, and the process ends (aiosqlite's thread once kept it alive)."""
    history = _counting_history(8)
    history[5].upgrade = 'op.execute("SELECT * FROM missing")'
    write_project(tmp_path, sqlite_url, history)
    with anyio.fail_after(60):
        result = await anyio.run_process(
            [sys.executable, "-c", _FAILING_RUNNERS, str(tmp_path / "asyncmig.toml")],
            check=False,
        )
    output = result.stdout.decode()
    assert "revision r005 failed" in output, output
    assert "no such table: missing" in output, output
    assert await versions(sqlite_url) == ["r004"]


@pytest.mark.postgresql
async def test_postgresql_lock_timeout(tmp_path: Path, postgresql_url: str) -> None:
    """With the advisory lock held elsewhere, lock_timeout gives LockTimeout; lock=False runs."""
    config = write_project(tmp_path, postgresql_url, linear("a1"), options={"lock_timeout": 1})
    engine = create_async_engine(postgresql_url)
    try:
        async with engine.connect() as holder:
            key = lock_key("asyncmig_version", None)
            await holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            with pytest.raises(LockTimeout) as caught:
                await commands.upgrade(config)
            assert "'main'" in str(caught.value)
            assert "1s" in str(caught.value)
            assert await commands.current(config) == {"main": ()}  # reading takes no lock
            await commands.upgrade(config, lock=False)
            await holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    finally:
        await engine.dispose()
    assert await versions(postgresql_url) == ["a1"]


@pytest.mark.mariadb
async def test_mariadb_lock_timeout_and_upgrade(tmp_path: Path, mariadb_url: str) -> None:
    """MariaDB: GET_LOCK held elsewhere times out; once released the upgrade runs."""
    config = write_project(tmp_path, mariadb_url, linear("a1", "b2"), options={"lock_timeout": 1})
    engine = create_async_engine(mariadb_url)
    try:
        async with engine.connect() as holder:
            database = (await holder.execute(text("SELECT DATABASE()"))).scalar()
            name = lock_name("asyncmig_version", database)
            assert (await holder.execute(text("SELECT GET_LOCK(:n, 0)"), {"n": name})).scalar()
            with pytest.raises(LockTimeout):
                await commands.upgrade(config)
            await holder.execute(text("SELECT RELEASE_LOCK(:n)"), {"n": name})
    finally:
        await engine.dispose()
    await commands.upgrade(config)
    assert await versions(mariadb_url) == ["b2"]
    assert await commands.current(config) == {"main": ("b2",)}


async def test_sqlite_lock_timeout(tmp_path: Path, sqlite_url: str) -> None:
    """SQLite: a write transaction held elsewhere makes the runner give up after lock_timeout."""
    config = write_project(tmp_path, sqlite_url, linear("a1"), options={"lock_timeout": 0.5})
    engine = create_async_engine(sqlite_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as holder:
            await holder.exec_driver_sql("BEGIN IMMEDIATE")
            with pytest.raises(LockTimeout):
                await commands.upgrade(config)
            await holder.exec_driver_sql("ROLLBACK")
    finally:
        await engine.dispose()
    await commands.upgrade(config)
    assert await versions(sqlite_url) == ["a1"]


async def test_killed_runner_leaves_previous_revision(tmp_path: Path, database_url: str) -> None:
    """kill -9 during a step: the database stays at the step before, and the next run finishes."""
    marker = tmp_path / "in-step"
    slow = Rev(
        "b2",
        "a1",
        """
        op.create_table("t_b2", sa.Column("id", sa.Integer, primary_key=True))
        import os, pathlib
        if os.environ.get("ASYNCMIG_TEST_MARKER"):
            pathlib.Path(os.environ["ASYNCMIG_TEST_MARKER"]).write_text("x")
            time.sleep(120)
        """,
    )
    config = write_project(tmp_path, database_url, [*linear("a1"), slow])
    env = {
        **os.environ,
        "ASYNCMIG_CONFIG": str(tmp_path / "asyncmig.toml"),
        "ASYNCMIG_TEST_MARKER": str(marker),
    }
    process = await anyio.open_process(
        [sys.executable, "-m", "asyncmig", "upgrade", "head"], cwd=tmp_path, env=env
    )
    try:
        with anyio.fail_after(60):
            while not await anyio.Path(marker).exists():
                assert process.returncode is None, "the runner exited before reaching the step"
                await anyio.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await process.aclose()
    assert await commands.current(config) == {"main": ("a1",)}
    report = await commands.upgrade(config)
    assert [step.revision for step in report.steps] == ["b2"]
    assert await versions(database_url) == ["b2"]


@pytest.mark.postgresql
async def test_cancelled_mid_step_rolls_back_and_frees_the_lock(
    tmp_path: Path, postgresql_url: str
) -> None:
    """Cancelling the caller during a step rolls it back and releases the advisory lock."""
    revs = [*linear("a1"), Rev("b2", "a1", 'op.execute("SELECT pg_sleep(60)")')]
    config = write_project(tmp_path, postgresql_url, revs)
    engine = create_async_engine(postgresql_url, isolation_level="AUTOCOMMIT")
    sleeping = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE query LIKE 'SELECT pg_sleep(60)%' AND state = 'active'"
    )
    try:
        async with engine.connect() as watcher:
            async with anyio.create_task_group() as group:
                group.start_soon(commands.upgrade, config)
                with anyio.fail_after(60):
                    while not (await watcher.execute(sleeping)).scalar():  # noqa: ASYNC110  # polling the server
                        await anyio.sleep(0.05)
                group.cancel_scope.cancel()
            key = lock_key("asyncmig_version", None)
            got = await watcher.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key})
            assert got.scalar() is True
            await watcher.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    finally:
        await engine.dispose()
    assert await versions(postgresql_url) == ["a1"]
