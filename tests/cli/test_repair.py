"""`asyncmig repair` after a runner was killed (kill -9) inside a step that commits as it goes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tests.cli._run import ok, run_cli, script_text

pytestmark = pytest.mark.anyio

CREATE_T = 'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))'
CONCURRENTLY = """
with op.get_context().autocommit_block():
    op.create_index("ix_t_id", "t", ["id"], postgresql_concurrently=True)
"""
# How long to wait for the server to show (or stop showing) a statement.
PATIENCE = 60


def _project(root: Path, url: str, upgrade_b2: str) -> Path:
    """a1 creates table t; b2 runs `upgrade_b2`."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "asyncmig.toml").write_text(f'script_location = "%(here)s/migrations"\nurl = "{url}"\n')
    (versions / "a1_t.py").write_text(script_text("a1", None, CREATE_T, 'op.drop_table("t")'))
    (versions / "b2_step.py").write_text(script_text("b2", "a1", upgrade_b2))
    return root


async def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``asyncmig ARGS`` in a subprocess, off the event loop."""
    return await anyio.to_thread.run_sync(lambda: run_cli(*args, cwd=cwd))


async def _ok(*args: str, cwd: Path) -> str:
    """``asyncmig ARGS``, which must exit 0; its stdout."""
    return await anyio.to_thread.run_sync(lambda: ok(*args, cwd=cwd))


async def _rows(engine: AsyncEngine, sql: str) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        return [tuple(row) for row in await conn.execute(text(sql))]


async def _until(engine: AsyncEngine, sql: str, *, present: bool) -> list[tuple[Any, ...]]:
    """Poll `sql` until it returns rows (or, with `present` false, none); those rows."""
    with anyio.fail_after(PATIENCE):
        while True:
            rows = await _rows(engine, sql)
            if bool(rows) == present:
                return rows
            await anyio.sleep(0.1)


async def _kill_while(project: Path, engine: AsyncEngine, running: str) -> int:
    """Start ``asyncmig upgrade head``, kill -9 it once `running` (SQL) shows its statement.

    Returns what `running`'s row names (the server's id for that session).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASYNCMIG_") or "_TEST_" in k}
    command = [sys.executable, "-m", "asyncmig", "upgrade", "head"]
    quiet = subprocess.DEVNULL
    async with await anyio.open_process(
        command, cwd=project, env=env, stdout=quiet, stderr=quiet
    ) as process:
        try:
            ((session,),) = await _until(engine, running, present=True)
        finally:
            process.send_signal(signal.SIGKILL)
            code = await process.wait()
    assert code == -signal.SIGKILL
    return int(session)


def test_repair_with_nothing_unfinished_says_so(tmp_path: Path, sqlite_url: str) -> None:
    """Plain `asyncmig repair` on a healthy database prints one line and exits 0."""
    project = _project(tmp_path, sqlite_url, "pass")
    ok("-q", "upgrade", "head", cwd=project)
    assert ok("repair", cwd=project) == "no unfinished steps\n"
    assert '"unfinished": []' in ok("repair", "--json", cwd=project)


@pytest.mark.postgresql
async def test_kill_inside_create_index_concurrently_is_detected_and_repaired(
    tmp_path: Path, postgresql_url: str
) -> None:
    """kill -9 in CREATE INDEX CONCURRENTLY: upgrade refuses, repair --fix drops the index."""
    project = _project(tmp_path, postgresql_url, CONCURRENTLY)
    await _ok("-q", "upgrade", "a1", cwd=project)
    engine = create_async_engine(postgresql_url)
    building = (
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND query LIKE 'CREATE INDEX CONCURRENTLY%'"
    )
    valid = "SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_t_id'::regclass"
    try:
        async with engine.connect() as blocker:
            # a writer's open transaction: the index build waits for it to end
            await blocker.execute(text("INSERT INTO t (id) VALUES (1)"))
            await _kill_while(project, engine, building)
            # its runner gone, the server stops the build too, while the writer still waits
            await _until(engine, building, present=False)
            await blocker.rollback()
        assert await _rows(engine, valid) == [(False,)]

        refused = await _cli("upgrade", "head", cwd=project)
        assert refused.returncode == 1
        assert (
            "revision b2 (upgrade) did not finish: it stopped inside autocommit block 1 "
            "(last completed block: none)"
        ) in refused.stderr
        assert "run `asyncmig repair`" in refused.stderr

        listed = await _cli("repair", cwd=project)
        assert listed.returncode == 1
        assert "[main]   left behind: invalid index public.ix_t_id on t\n" in listed.stdout
        assert "`asyncmig repair --fix` drops invalid index public.ix_t_id on t" in listed.stdout
        assert await _rows(engine, valid) == [(False,)]  # listing changes nothing

        fixed = await _ok("repair", "--fix", cwd=project)
        assert "[main]   removed: invalid index public.ix_t_id on t\n" in fixed
        assert "done: resolved; the next upgrade runs revision b2 again from its start" in fixed
        assert await _rows(engine, "SELECT to_regclass('ix_t_id') IS NULL") == [(True,)]

        await _ok("-q", "upgrade", "head", cwd=project)
        assert await _rows(engine, valid) == [(True,)]
        assert (await _ok("current", cwd=project)).strip() == "b2 (head)"
    finally:
        await engine.dispose()


@pytest.mark.postgresql
async def test_repair_leaves_an_index_that_is_still_being_built(
    tmp_path: Path, postgresql_url: str
) -> None:
    """An invalid index a server process is still building is reported busy, never dropped."""
    marker = tmp_path / "MARKER"
    marker.touch()
    upgrade = f"""
with op.get_context().autocommit_block():
    if __import__("os").path.exists({str(marker)!r}):
        raise RuntimeError("stopped")
    op.create_index("ix_t_id", "t", ["id"], postgresql_concurrently=True)
"""
    project = _project(tmp_path, postgresql_url, upgrade)
    await _ok("-q", "upgrade", "a1", cwd=project)
    assert (await _cli("upgrade", "head", cwd=project)).returncode == 1  # stopped in block 1
    engine = create_async_engine(postgresql_url)
    try:
        async with engine.connect() as writer, engine.connect() as builder:
            await writer.execute(text("INSERT INTO t (id) VALUES (1)"))
            await builder.execution_options(isolation_level="AUTOCOMMIT")
            async with anyio.create_task_group() as group:
                # someone else's CREATE INDEX CONCURRENTLY, waiting for the writer
                statement = text("CREATE INDEX CONCURRENTLY ix_other ON t (id)")
                group.start_soon(builder.execute, statement)
                building = (
                    "SELECT 1 FROM pg_stat_progress_create_index WHERE datname = current_database()"
                )
                await _until(engine, building, present=True)
                busy = await _cli("repair", "--fix", cwd=project)
                await writer.rollback()
        assert busy.returncode == 1
        assert "public.ix_other on t (server process " in busy.stdout
        assert "is still building it)" in busy.stdout
        assert "removed:" not in busy.stdout
        assert "wait for it to end (or cancel it)" in busy.stdout
        valid = "SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_other'::regclass"
        assert await _rows(engine, valid) == [(True,)]  # it finished, untouched

        marker.unlink()
        assert "done: resolved" in await _ok("repair", "--fix", cwd=project)
        await _ok("-q", "upgrade", "head", cwd=project)
    finally:
        await engine.dispose()


@pytest.mark.mariadb
async def test_kill_on_mariadb_is_refused_until_marked_resolved(
    tmp_path: Path, mariadb_url: str
) -> None:
    """kill -9 after a MariaDB step created a table: refused, explained, --resolved goes on."""
    marker = tmp_path / "MARKER"
    marker.touch()
    upgrade = f"""
op.create_table("u", sa.Column("id", sa.Integer, primary_key=True))
if __import__("os").path.exists({str(marker)!r}):
    op.execute("SELECT SLEEP(30)")
"""
    project = _project(tmp_path, mariadb_url, upgrade)
    await _ok("-q", "upgrade", "a1", cwd=project)
    engine = create_async_engine(mariadb_url)
    sleeping = (
        "SELECT id FROM information_schema.processlist "
        "WHERE db = DATABASE() AND info LIKE 'SELECT SLEEP%'"
    )
    try:
        session = await _kill_while(project, engine, sleeping)
        async with engine.connect() as conn:
            await conn.execute(text(f"KILL {session}"))  # the server need not sleep on

        refused = await _cli("upgrade", "head", cwd=project)
        assert refused.returncode == 1
        assert (
            "revision b2 (upgrade) did not finish: it stopped part-way (MySQL/MariaDB commits "
            "each DDL statement as it runs)"
        ) in refused.stderr

        explained = await _cli("repair", "--fix", cwd=project)
        assert explained.returncode == 1
        assert "compare the database with revision b2's upgrade()" in explained.stdout
        assert "`asyncmig repair --resolved b2`" in explained.stdout
        assert await _rows(engine, "SHOW TABLES LIKE 'u'") == [("u",)]  # --fix left it

        async with engine.begin() as conn:
            await conn.execute(text("DROP TABLE u"))  # a person undoes the half-applied step
        marker.unlink()
        resolved = await _ok("repair", "--resolved", "b2", cwd=project)
        assert "done: marked resolved by hand" in resolved
        await _ok("-q", "upgrade", "head", cwd=project)
        assert (await _ok("current", cwd=project)).strip() == "b2 (head)"
        assert await _rows(engine, "SHOW TABLES LIKE 'u'") == [("u",)]
    finally:
        await engine.dispose()
