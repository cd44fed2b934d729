"""Offline mode (--sql): the plan rendered as SQL for the URL's dialect, no connection."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from asyncmig._commands import database as commands
from asyncmig.errors import CommandError
from tests.runtime._scripts import linear, write_project

pytestmark = pytest.mark.anyio

# Nothing listens here: offline mode must never try to connect.
PG_URL = "postgresql+asyncpg://someone:secret@127.0.0.1:1/nowhere"


async def test_upgrade_sql_from_base(tmp_path: Path) -> None:
    """From base: CREATE TABLE for the version table, each step's DDL, INSERT then UPDATE."""
    config = write_project(tmp_path, PG_URL, linear("a1", "b2"))
    report = await commands.upgrade(config, "head", sql=True)
    sql = report.databases[0].sql or ""
    assert sql.index("CREATE TABLE asyncmig_version") < sql.index("CREATE TABLE t_a1")
    assert "-- Running upgrade  -> a1" in sql
    assert "INSERT INTO asyncmig_version (version_num) VALUES ('a1')" in sql
    assert "UPDATE asyncmig_version SET version_num='b2'" in sql
    assert sql.count("BEGIN;") == sql.count("COMMIT;") == 2
    assert report.databases[0].after == ("b2",)


async def test_upgrade_sql_range_assumes_start(tmp_path: Path) -> None:
    """`a1:head` renders only the later steps and no CREATE TABLE for the version table."""
    config = write_project(tmp_path, PG_URL, linear("a1", "b2", "c3"))
    report = await commands.upgrade(config, "a1:head", sql=True)
    sql = report.databases[0].sql or ""
    assert "asyncmig_version (" not in sql.split("UPDATE")[0]
    assert "t_a1" not in sql
    assert "CREATE TABLE t_b2" in sql
    assert "CREATE TABLE t_c3" in sql


async def test_downgrade_sql_needs_a_start(tmp_path: Path) -> None:
    """downgrade --sql without `from:to` says how to give the start."""
    config = write_project(tmp_path, PG_URL, linear("a1"))
    with pytest.raises(CommandError, match="from>:<to>"):
        await commands.downgrade(config, "base", sql=True)
    report = await commands.downgrade(config, "a1:base", sql=True)
    sql = report.databases[0].sql or ""
    assert "DROP TABLE t_a1" in sql
    assert "DELETE FROM asyncmig_version WHERE asyncmig_version.version_num = 'a1'" in sql


async def test_stamp_and_ensure_version_sql(tmp_path: Path, sqlite_url: str) -> None:
    """stamp --sql renders the version-table statements; SQLite output needs no server."""
    config = write_project(tmp_path, sqlite_url, linear("a1", "b2"))
    report = await commands.stamp(config, "b2", sql=True)
    sql = report.databases[0].sql or ""
    assert "CREATE TABLE asyncmig_version" in sql
    assert "INSERT INTO asyncmig_version (version_num) VALUES ('b2')" in sql
    assert "t_b2" not in sql
    ensured = await commands.ensure_version(config, sql=True)
    assert "CREATE TABLE asyncmig_version" in (ensured.databases[0].sql or "")
    assert not await anyio.Path(sqlite_url.split("///", 1)[1]).exists()
