"""stamp and ensure-version: version rows written without running scripts."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncmig._commands import database as commands
from tests.runtime._scripts import Rev, create, linear, tables, versions, write_project

pytestmark = pytest.mark.anyio


def _two_branches() -> list[Rev]:
    return [
        Rev("root", None, create("root")),
        Rev("left1", "root", create("left1"), labels=("left",)),
        Rev("right1", "root", create("right1"), labels=("right",)),
    ]


async def test_stamp_records_without_running(tmp_path: Path, database_url: str) -> None:
    """stamp writes the version row and runs no script."""
    config = write_project(tmp_path, database_url, linear("a1", "b2"))
    report = await commands.stamp(config, "b2")
    assert [(s.direction, s.to_revisions) for s in report.steps] == [("stamp", ("b2",))]
    assert await versions(database_url) == ["b2"]
    assert not {"t_a1", "t_b2"} & await tables(database_url)


async def test_stamp_several_then_purge(tmp_path: Path, database_url: str) -> None:
    """Several revisions stamp one row each; --purge replaces every row, known or not."""
    config = write_project(tmp_path, database_url, _two_branches())
    await commands.stamp(config, ["left1", "right1"])
    assert await versions(database_url) == ["left1", "right1"]
    report = await commands.stamp(config, "root", purge=True)
    assert [(s.from_revisions, s.to_revisions) for s in report.steps] == [
        (("left1", "right1"), ("root",))
    ]
    assert await versions(database_url) == ["root"]


async def test_purge_repairs_an_unknown_row(tmp_path: Path, database_url: str) -> None:
    """stamp --purge works even when the version table names a revision that is gone."""
    config = write_project(tmp_path, database_url, linear("a1", "b2"))
    await commands.stamp(config, "b2")
    (tmp_path / "migrations" / "versions" / "b2_step.py").unlink()
    config = write_project(tmp_path, database_url)
    await commands.stamp(config, "a1", purge=True)
    assert await versions(database_url) == ["a1"]


async def test_ensure_version_creates_only_the_table(tmp_path: Path, database_url: str) -> None:
    """ensure-version creates an empty version table, and is a no-op the second time."""
    config = write_project(tmp_path, database_url, linear("a1"))
    await commands.ensure_version(config)
    await commands.ensure_version(config)
    assert "asyncmig_version" in await tables(database_url)
    assert await versions(database_url) == []
    assert await commands.current(config) == {"main": ()}
