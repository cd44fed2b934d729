"""The database commands as a library: return values, raising, waiting for head."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from asyncmig._commands import database as commands
from asyncmig.errors import CommandError, MigrationFailed
from tests.runtime._scripts import Rev, linear, write_project

pytestmark = pytest.mark.anyio


async def test_wait_for_head_returns_once_another_runner_finishes(
    tmp_path: Path, database_url: str
) -> None:
    """wait_for_head polls until an upgrade running elsewhere reaches head."""
    config = write_project(tmp_path, database_url, linear("a1", "b2"))
    found: dict[str, tuple[str, ...]] = {}

    async def wait() -> None:
        found.update(await commands.wait_for_head(config, timeout=30, interval=0.05))

    async with anyio.create_task_group() as group:
        group.start_soon(wait)
        await anyio.sleep(0.2)
        assert not found
        await commands.upgrade(config)
    assert found == {"main": ("b2",)}


async def test_wait_for_head_timeout_names_what_is_behind(
    tmp_path: Path, database_url: str
) -> None:
    """On timeout the error names the database, its revision and the head."""
    config = write_project(tmp_path, database_url, linear("a1", "b2"))
    await commands.upgrade(config, "a1")
    with pytest.raises(CommandError) as caught:
        await commands.wait_for_head(config, timeout=0.1, interval=0.05)
    message = str(caught.value)
    assert "main at a1 (head b2)" in message


async def test_is_at_head_and_current(tmp_path: Path, database_url: str) -> None:
    """is_at_head compares the version rows with the heads; current returns the rows."""
    config = write_project(tmp_path, database_url, linear("a1", "b2"))
    await commands.upgrade(config, "a1")
    assert await commands.is_at_head(config) == {"main": False}
    assert await commands.current(config) == {"main": ("a1",)}
    await commands.upgrade(config)
    assert await commands.is_at_head(config) == {"main": True}
    assert await commands.current(config, databases=["main"]) == {"main": ("b2",)}


async def test_raise_on_error_false_returns_the_failure(tmp_path: Path, sqlite_url: str) -> None:
    """raise_on_error=False reports the failure; the default raises it with the report attached."""
    revs = [*linear("a1"), Rev("b2", "a1", "raise ValueError('boom in b2')")]
    config = write_project(tmp_path, sqlite_url, revs)
    report = await commands.upgrade(config, raise_on_error=False)
    assert not report.ok
    assert isinstance(report.databases[0].error, MigrationFailed)
    assert "boom in b2" in str(report.databases[0].error)
    with pytest.raises(MigrationFailed) as caught:
        await commands.upgrade(config)
    assert caught.value.report.command == "upgrade"  # type: ignore[attr-defined]
    assert report.to_dict()["databases"][0]["status"] == "failed"


async def test_report_records_steps_and_timing(tmp_path: Path, sqlite_url: str) -> None:
    """Each step reports database, direction, from -> to and a duration."""
    config = write_project(tmp_path, sqlite_url, linear("a1", "b2"))
    report = await commands.upgrade(config)
    first, second = report.steps
    assert (first.database, first.direction, first.from_revisions, first.to_revisions) == (
        "main",
        "upgrade",
        (),
        ("a1",),
    )
    assert (second.from_revisions, second.to_revisions) == (("a1",), ("b2",))
    assert first.elapsed_ms >= 0
    assert report.databases[0].elapsed_ms >= first.elapsed_ms
    down = await commands.downgrade(config, "base")
    assert [(s.revision, s.from_revisions, s.to_revisions) for s in down.steps] == [
        ("b2", ("b2",), ("a1",)),
        ("a1", ("a1",), ()),
    ]
