"""What a failure says is true: per dialect, per transaction mode, per tenant schema."""

from __future__ import annotations

from pathlib import Path

import pytest

import asyncmig._commands.database as commands
from asyncmig._runtime.failures import in_schema, unexpected
from asyncmig.errors import CommandError, LockTimeout, MigrationFailed
from tests.runtime._scripts import Rev, linear, tables, versions, write_project

pytestmark = pytest.mark.anyio

PARTLY = """
op.create_table(
    "half", sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", sa.String(40))
)
op.get_bind().execute(
    sa.text("INSERT INTO half (id, v) VALUES (:i, :v)"), {"i": 1, "v": "param-secret"}
)
op.execute("UPDATE half SET v = 'literal-secret'")
raise RuntimeError("boom")
"""


async def test_mariadb_failure_says_partly_applied_and_lists_statements(
    tmp_path: Path, mariadb_url: str
) -> None:
    """On MariaDB the error lists the statements that ran (no parameters) and how to go on."""
    config = write_project(tmp_path, mariadb_url, [*linear("r1"), Rev("r2", "r1", PARTLY)])
    report = await commands.upgrade(config, raise_on_error=False)
    (db,) = report.databases
    error = db.error
    assert isinstance(error, MigrationFailed)
    text = str(error)
    assert "rolled back" not in text
    assert "may be partly applied" in text
    assert "CREATE TABLE half" in text
    assert "INSERT INTO half" in text
    assert "param-secret" not in text
    assert "literal-secret" not in text
    assert "SET v = '***'" in text
    assert "`asyncmig stamp r2`" in text
    assert "the version table says r1" in text
    assert len(error.statements) == 3
    assert "half" in await tables(mariadb_url)  # the truth the message tells
    assert await versions(mariadb_url) == ["r1"]
    assert report.to_dict()["databases"][0]["error"] == text


async def test_transactional_failure_says_rolled_back(tmp_path: Path, database_url: str) -> None:
    """On SQLite and PostgreSQL the failed step's transaction was rolled back, and it says so."""
    config = write_project(tmp_path, database_url, [*linear("r1"), Rev("r2", "r1", PARTLY)])
    report = await commands.upgrade(config, raise_on_error=False)
    text = str(report.databases[0].error)
    assert text.endswith("its transaction was rolled back")
    assert "half" not in await tables(database_url)
    assert await versions(database_url) == ["r1"]


async def test_one_transaction_failure_names_every_revision_rolled_back(
    tmp_path: Path, database_url: str
) -> None:
    """transaction_per_migration = false: the earlier steps' rollback is named, and the base."""
    config = write_project(
        tmp_path,
        database_url,
        [*linear("f1", "f2"), Rev("f3", "f2", PARTLY)],
        options={"transaction_per_migration": False},
    )
    report = await commands.upgrade(config, raise_on_error=False)
    (db,) = report.databases
    assert "revisions f1..f2 rolled back; the database is at <base>" in str(db.error)
    assert db.after == ()
    assert db.steps == []
    assert not {"t_f1", "t_f2", "half"} & await tables(database_url)


async def test_one_transaction_failure_on_mariadb_reports_the_version_table(
    tmp_path: Path, mariadb_url: str
) -> None:
    """On MariaDB earlier steps of one transaction were committed by DDL: the report says so."""
    config = write_project(
        tmp_path,
        mariadb_url,
        [*linear("f1", "f2"), Rev("f3", "f2", PARTLY)],
        options={"transaction_per_migration": False},
    )
    report = await commands.upgrade(config, raise_on_error=False)
    (db,) = report.databases
    text = str(db.error)
    assert "rolled back" not in text
    now = await versions(mariadb_url)
    assert f"the version table says {', '.join(now) or '<base>'}" in text
    assert db.after == tuple(now)


async def test_negative_wait_is_refused(tmp_path: Path, sqlite_url: str) -> None:
    """wait_for_head(timeout=-1) is an error, not a wait forever."""
    config = write_project(tmp_path, sqlite_url, linear("r1"))
    with pytest.raises(CommandError, match="0 \\(check once\\) or more"):
        await commands.wait_for_head(config, timeout=-1)


async def test_zero_wait_checks_once(tmp_path: Path, sqlite_url: str) -> None:
    """wait_for_head(timeout=0) checks once and reports who is behind."""
    config = write_project(tmp_path, sqlite_url, linear("r1"))
    with pytest.raises(CommandError, match="gave up after 0s"):
        await commands.wait_for_head(config, timeout=0)


async def test_failing_tenant_schema_is_named_in_the_error(
    tmp_path: Path, postgresql_url: str
) -> None:
    """The error line of a failing tenant schema names the schema, not only the database."""
    fail_in_t2 = Rev(
        "r2",
        "r1",
        "if op.get_context().schema == 't2':\n    raise RuntimeError('tenant boom')",
    )
    config = write_project(
        tmp_path,
        None,
        [*linear("r1"), fail_in_t2],
        databases={"main": {"url": postgresql_url, "schemas": ["t1", "t2"]}},
    )
    report = await commands.upgrade(config, raise_on_error=False)
    failed = [db for db in report.databases if db.error is not None]
    assert [db.target for db in failed] == ["main:t2"]
    assert "schema 't2'" in str(failed[0].error)


def test_other_errors_of_a_schema_get_its_name() -> None:
    """An error that does not name its tenant schema is prefixed with it, once."""
    error = in_schema(LockTimeout("main", 3), "tenant_a")
    assert str(error).startswith("schema 'tenant_a': database 'main'")
    assert in_schema(error, "tenant_a") is error
    assert str(in_schema(error, "tenant_a")).count("tenant_a") == 1


def test_unexpected_errors_become_one_masked_line() -> None:
    """An ExceptionGroup around a ValueError becomes one line, with URLs in it masked."""
    group = ExceptionGroup("x", [ValueError("bad postgresql://u:pw@h/db\nsecond line")])
    error = unexpected("main", "postgresql://u:***@h/db", group)
    assert "\n" not in str(error)
    assert ":pw@" not in str(error)
    assert "ValueError" in str(error)
    assert isinstance(error.__cause__, ValueError)
