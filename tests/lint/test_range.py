"""Which revisions lint looks at: unapplied (read from a real database), --all, ranges."""

from __future__ import annotations

from pathlib import Path

import pytest

import asyncmig
from asyncmig.errors import CommandError
from tests.lint._project import project

pytestmark = pytest.mark.anyio

STEPS = ('op.drop_column("account", "email")', 'op.rename_table("other", "elsewhere")')


def _sqlite(tmp_path: Path) -> asyncmig.Config:
    return project(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'app.db'}", *STEPS)


async def test_default_range_is_what_the_database_has_not_applied(tmp_path: Path) -> None:
    """On a SQLite database at r2, lint reads `current` and lints r3 only."""
    config = _sqlite(tmp_path)
    await asyncmig.upgrade(config, "r2")
    report = await asyncmig.lint(config)
    assert report.revisions == {"main": ("r3",)}
    assert [(f.rule, f.revision) for f in report.findings] == [("renaming-table", "r3")]


async def test_default_range_on_a_database_at_head_is_empty(tmp_path: Path) -> None:
    """Nothing is left to lint once every revision is applied."""
    config = _sqlite(tmp_path)
    await asyncmig.upgrade(config, "head")
    report = await asyncmig.lint(config)
    assert report.revisions == {"main": ()}
    assert report.ok


async def test_all_and_explicit_ranges(tmp_path: Path) -> None:
    """--all lints every revision; start:end, current:, and one revision alone as asked."""
    config = _sqlite(tmp_path)
    await asyncmig.upgrade(config, "r1")
    assert (await asyncmig.lint(config, all_revisions=True)).revisions == {
        "main": ("r1", "r2", "r3")
    }
    assert (await asyncmig.lint(config, "r1:r3")).revisions == {"main": ("r2", "r3")}
    assert (await asyncmig.lint(config, ":r2")).revisions == {"main": ("r1", "r2")}
    assert (await asyncmig.lint(config, "current:")).revisions == {"main": ("r2", "r3")}
    assert (await asyncmig.lint(config, "r2")).revisions == {"main": ("r2",)}


async def test_unreachable_database_is_one_clear_error(tmp_path: Path) -> None:
    """When `current` cannot be read, the error says so and how to lint without it."""
    config = project(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'x.db'}", *STEPS)
    with pytest.raises(CommandError, match=r"cannot read which revisions database 'main'.*--all"):
        await asyncmig.lint(config)
    assert (await asyncmig.lint(config, all_revisions=True)).revisions["main"] == ("r1", "r2", "r3")


async def test_range_and_all_together_is_refused(tmp_path: Path) -> None:
    """Giving a range and --all at once is a usage mistake, reported as such."""
    with pytest.raises(CommandError, match="not both"):
        await asyncmig.lint(_sqlite(tmp_path), "r1:r2", all_revisions=True)


async def test_default_range_on_postgresql(tmp_path: Path, postgresql_url: str) -> None:
    """On a real PostgreSQL database at r2, r3 is linted with PostgreSQL's rules."""
    config = project(
        tmp_path,
        postgresql_url,
        *STEPS,
        'op.create_index("ix_account_name", "account", ["name"])',
    )
    await asyncmig.upgrade(config, "r2")
    report = await asyncmig.lint(config)
    assert report.revisions == {"main": ("r3", "r4")}
    assert [(f.rule, f.revision) for f in report.findings if f.severity == "error"] == [
        ("renaming-table", "r3"),
        ("creating-index-non-concurrently", "r4"),
    ]
