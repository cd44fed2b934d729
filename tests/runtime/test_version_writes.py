"""The version-row writes of every step: checked against what they touch, and visible in logs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from asyncmig._commands import database as commands
from asyncmig.errors import CommandError
from tests.runtime._scripts import Rev, create, drop, linear, tables, versions, write_project

pytestmark = pytest.mark.anyio


async def test_version_row_changed_by_a_step_fails_it(tmp_path: Path, database_url: str) -> None:
    """A step that empties the version table: its update touches no row, the step rolls back."""
    revs = [
        *linear("a1"),
        Rev("b2", "a1", create("b2") + '\nop.execute("DELETE FROM asyncmig_version")'),
    ]
    config = write_project(tmp_path, database_url, revs)
    with pytest.raises(CommandError, match=r"changed under this run \(update a1 -> b2 touched 0"):
        await commands.upgrade(config)
    assert await versions(database_url) == ["a1"]
    assert "t_b2" not in await tables(database_url)


async def test_sqlite_begin_and_version_update_are_logged(
    tmp_path: Path, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """SQLite's BEGIN IMMEDIATE and version update skip SQLAlchemy's echo: asyncmig logs them."""
    config = write_project(tmp_path, sqlite_url, linear("a1", "b2"))
    with caplog.at_level(logging.DEBUG, logger="asyncmig.runtime"):
        await commands.upgrade(config)
    lines = [r.getMessage() for r in caplog.records if r.name == "asyncmig.runtime"]
    assert sum(line.startswith("BEGIN IMMEDIATE") for line in lines) == 2, lines
    updates = [line for line in lines if line.startswith("UPDATE asyncmig_version")]
    assert updates == [
        "UPDATE asyncmig_version SET version_num=? WHERE asyncmig_version.version_num = ? "
        "('b2', 'a1')"
    ], lines
    assert await versions(sqlite_url) == ["b2"]


async def test_merge_point_swaps_several_version_rows(tmp_path: Path, database_url: str) -> None:
    """Upgrading into a merge deletes both heads' rows at once; downgrading brings them back."""
    revs = [
        Rev("root", None, create("root"), drop("root")),
        Rev("left", "root", create("left"), drop("left")),
        Rev("right", "root", create("right"), drop("right")),
        Rev("joined", ("left", "right"), create("joined"), drop("joined")),
    ]
    config = write_project(tmp_path, database_url, revs)
    await commands.upgrade(config, "left")
    await commands.upgrade(config, "right")
    assert await versions(database_url) == ["left", "right"]
    await commands.upgrade(config)
    assert await versions(database_url) == ["joined"]
    await commands.downgrade(config, "left")  # unapplies the merge only: right is not above left
    assert await versions(database_url) == ["left", "right"]
    assert "t_joined" not in await tables(database_url)
