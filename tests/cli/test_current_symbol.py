"""Only the revision symbol ``current`` reads the database, through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli._run import fails, ok

# Nothing listens on port 1: connecting is refused at once.
UNREACHABLE = "postgresql+asyncpg://nobody@127.0.0.1:1/nowhere"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A SQLite project: aaa111 on the main line, bbb222 on a branch labelled `recurrent`."""
    ok("init", "migrations", cwd=tmp_path)
    ok("revision", "-m", "main line", "--rev-id", "aaa111", cwd=tmp_path)
    ok(
        "revision",
        "-m",
        "side",
        "--head",
        "base",
        "--branch-label",
        "recurrent",
        "--rev-id",
        "bbb222",
        cwd=tmp_path,
    )
    return tmp_path


def test_a_label_containing_current_reads_no_database(project: Path) -> None:
    """`show recurrent@head` and a range naming it work with an unreachable URL configured."""
    shown = json.loads(ok("--url", UNREACHABLE, "show", "recurrent@head", "--json", cwd=project))
    assert [info["revision"] for info in shown] == ["bbb222"]
    assert "is_current" not in shown[0]  # left out: the database was not read
    history = ok("--url", UNREACHABLE, "history", "-r", "base:recurrent@head", cwd=project)
    assert "bbb222" in history
    assert "aaa111" not in history


def test_read_only_show_creates_no_sqlite_file(project: Path) -> None:
    """Reading a label that contains "current" leaves the project's SQLite file uncreated."""
    ok("show", "recurrent@head", cwd=project)
    ok("history", "-r", "recurrent@head:", cwd=project)
    assert not (project / "main.db").exists()


def test_show_current_still_reads_the_database(project: Path) -> None:
    """`show current` asks the database: its revision when reachable, its error when not."""
    error = fails("--url", UNREACHABLE, "show", "current", cwd=project)
    assert "127.0.0.1" in error
    ok("upgrade", "recurrent@head", cwd=project)
    shown = json.loads(ok("show", "current", "--json", cwd=project))
    assert [(info["revision"], info["is_current"]) for info in shown] == [("bbb222", True)]


def test_a_current_range_side_still_reads_the_database(project: Path) -> None:
    """`history -r current:` reads the database, so an unreachable URL is its error."""
    error = fails("--url", UNREACHABLE, "history", "-r", "current:", cwd=project)
    assert "127.0.0.1" in error
