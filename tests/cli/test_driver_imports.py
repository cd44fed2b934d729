"""A database command imports the driver its URL names, and no other."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli._run import ok

# Drivers asyncmig supports, or that the tests environment has installed, besides SQLite's.
OTHER_DRIVERS = frozenset({"asyncpg", "aiomysql", "asyncmy", "psycopg", "psycopg2", "pymysql"})


def _imported(*args: str, cwd: Path) -> set[str]:
    """Top-level packages `python -X importtime -m asyncmig ARGS` imported (it must succeed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASYNCMIG_")}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "asyncmig", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # Each line: "import time: <self us> | <cumulative us> | <indent><module>".
    return {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }


@pytest.mark.parametrize("command", [("upgrade", "head"), ("current",), ("downgrade", "base")])
def test_a_sqlite_project_imports_no_other_driver(tmp_path: Path, command: tuple[str, ...]) -> None:
    """On the default SQLite project, the command imports aiosqlite and no server driver."""
    ok("init", "migrations", cwd=tmp_path)
    ok("revision", "-m", "one", "--rev-id", "aaa111", cwd=tmp_path)
    if command[0] == "downgrade":
        ok("upgrade", "head", cwd=tmp_path)
    imported = _imported(*command, cwd=tmp_path)
    assert "aiosqlite" in imported  # the listing is read right: the driver in use is in it
    assert "sqlalchemy" in imported
    assert not imported & OTHER_DRIVERS, sorted(imported & OTHER_DRIVERS)
