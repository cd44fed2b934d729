"""The version-row writes of every step: checked against what they touch, and visible to events."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import create_async_engine

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


async def test_begin_and_version_writes_reach_sqlalchemy_events(
    tmp_path: Path, database_url: str
) -> None:
    """Every statement asyncmig sends (SQLite's BEGIN, version writes) fires SQLAlchemy's events."""
    config = write_project(tmp_path, database_url, linear("a1", "b2"))
    engine = create_async_engine(database_url)
    seen: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(" ".join(statement.split()))

    try:
        await commands.upgrade(config, engines={"main": engine})
    finally:
        await engine.dispose()
    if engine.dialect.name == "sqlite":
        assert seen.count("BEGIN IMMEDIATE") == 2, seen
    inserts = [s for s in seen if s.startswith("INSERT INTO asyncmig_version ")]
    updates = [s for s in seen if s.startswith("UPDATE asyncmig_version SET version_num")]
    assert len(inserts) == 1, seen
    assert len(updates) == 1, seen
    assert await versions(database_url) == ["b2"]


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
