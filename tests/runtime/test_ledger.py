"""The applied-history ledger: a row per step, failures, adoption, validation and repair."""

from __future__ import annotations

import getpass
import hashlib
import logging
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

import asyncmig
from asyncmig._commands import database as commands
from asyncmig.errors import ChecksumMismatch, CommandError, MigrationFailed, UnknownRevision
from tests.runtime._scripts import (
    Rev,
    create,
    drop,
    linear,
    load,
    query,
    tables,
    versions,
    write_project,
)

pytestmark = pytest.mark.anyio

LEDGER = "asyncmig_version_ledger"
COLUMNS = (
    "revision, direction, checksum, script, db_user, os_user, applied_at, duration_ms, "
    "success, asyncmig_version"
)


async def ledger_rows(url: str, table: str = LEDGER) -> list[dict[str, Any]]:
    """Every ledger row, oldest first, by column name."""
    names = [name.strip() for name in COLUMNS.split(",")]
    found = await query(url, f"SELECT {COLUMNS} FROM {table} ORDER BY id")
    return [dict(zip(names, row, strict=True)) for row in found]


async def execute(url: str, *statements: str) -> None:
    """Run statements and commit them, on an engine of its own."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


async def database_role(url: str) -> str | None:
    """What the database says the connection's role is (None on SQLite, which has none)."""
    if url.startswith("sqlite"):
        return None
    sql = "SELECT CURRENT_USER()" if url.startswith("mysql") else "SELECT current_user"
    return str((await query(url, sql))[0][0])


def sha256_of(path: Path) -> str:
    """The checksum the ledger should record: the file's bytes, line endings normalised."""
    data = path.read_bytes().replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return hashlib.sha256(data).hexdigest()


def script(root: Path, rev: str) -> Path:
    """The file of revision `rev` in a project written by write_project."""
    return root / "migrations" / "versions" / f"{rev}_step.py"


async def test_each_step_writes_a_row_with_every_field(
    tmp_path: Path, any_database_url: str
) -> None:
    """upgrade, downgrade and stamp each leave one row: who, when, checksum, duration, version."""
    url = any_database_url
    config = write_project(tmp_path, url, linear("a1", "b2"))
    started = datetime.now(UTC)
    await commands.upgrade(config)
    await commands.downgrade(config, "-1")
    await commands.stamp(config, "b2")
    rows = await ledger_rows(url)
    assert [(r["revision"], r["direction"]) for r in rows] == [
        ("a1", "upgrade"),
        ("b2", "upgrade"),
        ("b2", "downgrade"),
        ("b2", "stamp"),
    ]
    role = await database_role(url)
    for row in rows:
        assert row["db_user"] == role
        assert row["os_user"] == getpass.getuser()
        assert row["asyncmig_version"] == version("asyncmig")
        assert bool(row["success"]) is True
        applied = row["applied_at"]
        when = applied if isinstance(applied, datetime) else datetime.fromisoformat(applied)
        assert started - timedelta(seconds=2) <= when.replace(tzinfo=UTC) <= datetime.now(UTC)
    for row in rows[:3]:
        rev = row["revision"]
        assert row["checksum"] == sha256_of(script(tmp_path, rev))
        assert row["script"] == f"versions/{rev}_step.py"
        assert row["duration_ms"] >= 0
    assert rows[3]["checksum"] is None  # a stamp runs no script
    assert rows[3]["script"] is None


async def test_failed_step_gets_a_row_after_its_rollback(
    tmp_path: Path, any_database_url: str
) -> None:
    """A step that raises is recorded with success false; the earlier step's row stays."""
    url = any_database_url
    revs = [*linear("a1"), Rev("b2", "a1", 'raise RuntimeError("boom")')]
    config = write_project(tmp_path, url, revs)
    with pytest.raises(MigrationFailed, match="boom"):
        await commands.upgrade(config)
    rows = await ledger_rows(url)
    assert [(r["revision"], r["direction"], bool(r["success"])) for r in rows] == [
        ("a1", "upgrade", True),
        ("b2", "upgrade", False),
    ]
    assert rows[1]["checksum"] == sha256_of(script(tmp_path, "b2"))
    assert await versions(url) == ["a1"]


async def test_failed_first_step_leaves_a_fresh_database_empty(
    tmp_path: Path, database_url: str
) -> None:
    """With no version table yet, a failed step creates neither it nor the ledger."""
    config = write_project(tmp_path, database_url, [Rev("a1", None, 'raise RuntimeError("x")')])
    with pytest.raises(MigrationFailed):
        await commands.upgrade(config)
    assert await tables(database_url) == set()


async def test_rolled_back_batch_takes_its_rows_with_it(tmp_path: Path, database_url: str) -> None:
    """transaction_per_migration = false: the failure undoes the batch's rows, then is recorded."""
    revs = [*linear("a1"), Rev("b2", "a1", 'raise RuntimeError("boom")')]
    config = write_project(
        tmp_path, database_url, revs, options={"transaction_per_migration": False}
    )
    with pytest.raises(MigrationFailed):
        await commands.upgrade(config)
    assert await tables(database_url) == set()  # the ledger was created in the batch: gone too
    await commands.upgrade(config, "a1")
    with pytest.raises(MigrationFailed):
        await commands.upgrade(config)
    rows = await ledger_rows(database_url)
    assert [(r["revision"], bool(r["success"])) for r in rows] == [("a1", True), ("b2", False)]


async def test_a_failure_to_record_the_failure_keeps_the_steps_error(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """When the failed step's row cannot be written, the step's own error is still raised."""
    broken = f"""
    op.execute("DROP TABLE {LEDGER}")
    op.execute("CREATE TABLE {LEDGER} (other INTEGER)")
    op.get_bind().commit()
    raise RuntimeError("the step's own error")
    """
    config = write_project(tmp_path, database_url, [*linear("a1"), Rev("b2", "a1", broken)])
    caplog.set_level(logging.WARNING, "asyncmig.runtime")
    with pytest.raises(MigrationFailed, match="the step's own error"):
        await commands.upgrade(config)
    assert any("could not be recorded in the ledger" in r.getMessage() for r in caplog.records)
    assert await versions(database_url) == ["a1"]


async def test_adopting_a_database_records_what_it_had_as_baseline(
    tmp_path: Path, any_database_url: str
) -> None:
    """An Alembic database's applied revisions get baseline rows; then steps as usual."""
    url = any_database_url
    await execute(
        url,
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
        "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))",
        "INSERT INTO alembic_version (version_num) VALUES ('b2')",
        "CREATE TABLE t_a1 (id INTEGER PRIMARY KEY)",
        "CREATE TABLE t_b2 (id INTEGER PRIMARY KEY)",
    )
    # Alembic's version table: the ledger is asked for (it is off there by default)
    options = {"version_table": "alembic_version", "ledger": True}
    config = write_project(tmp_path, url, linear("a1", "b2", "c3"), options=options)
    await commands.upgrade(config)
    rows = await ledger_rows(url, "alembic_version_ledger")
    assert [(r["revision"], r["direction"], r["checksum"]) for r in rows[:2]] == [
        ("a1", "baseline", None),
        ("b2", "baseline", None),
    ]
    assert [(r["revision"], r["direction"]) for r in rows[2:]] == [("c3", "upgrade")]
    report = await asyncmig.validate(config)
    assert report.ok
    assert report.checked == {"main": ("c3",)}
    assert report.unrecorded == {"main": ("a1", "b2")}
    assert await versions(url, "alembic_version") == ["c3"]


async def test_adopted_database_records_a_failed_first_step(
    tmp_path: Path, database_url: str
) -> None:
    """A version table with rows but no ledger: a failed step creates it (baseline + failure)."""
    config = write_project(
        tmp_path, database_url, [*linear("a1"), Rev("b2", "a1", 'raise RuntimeError("x")')]
    )
    await execute(
        database_url,
        "CREATE TABLE asyncmig_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
        "INSERT INTO asyncmig_version (version_num) VALUES ('a1')",
    )
    with pytest.raises(MigrationFailed):
        await commands.upgrade(config)
    rows = await ledger_rows(database_url)
    assert [(r["revision"], r["direction"], bool(r["success"])) for r in rows] == [
        ("a1", "baseline", True),
        ("b2", "upgrade", False),
    ]


async def test_ensure_version_creates_the_ledger_beside_it(tmp_path: Path, sqlite_url: str) -> None:
    """ensure-version makes the (empty) ledger with the version table."""
    config = write_project(tmp_path, sqlite_url, linear("a1"))
    await commands.ensure_version(config)
    assert await tables(sqlite_url) == {"asyncmig_version", LEDGER}
    assert await ledger_rows(sqlite_url) == []


async def test_offline_sql_knows_nothing_of_the_ledger(tmp_path: Path, sqlite_url: str) -> None:
    """upgrade --sql renders Alembic's statements only, and touches no database."""
    config = write_project(tmp_path, sqlite_url, linear("a1", "b2"))
    report = await commands.upgrade(config, sql=True)
    sql = report.databases[0].sql or ""
    assert "CREATE TABLE asyncmig_version" in sql
    assert "ledger" not in sql
    assert await tables(sqlite_url) == set()


async def test_edited_script_stops_upgrade_until_accepted(
    tmp_path: Path, any_database_url: str
) -> None:
    """An applied script edited: validate names it, upgrade refuses untouched; accept clears it."""
    url = any_database_url
    config = write_project(tmp_path, url, linear("a1", "b2"))
    await commands.upgrade(config, "b2")
    edited = script(tmp_path, "a1")
    edited.write_text(edited.read_text() + "\n# tidied\n")
    report = await asyncmig.validate(config)
    assert not report.ok
    (problem,) = report.problems
    assert (problem.revision, problem.kind, problem.path) == ("a1", "edited", str(edited))
    assert problem.actual == sha256_of(edited)
    write_project(tmp_path, url, [Rev("c3", "b2", create("c3"), drop("c3"))])
    before = await ledger_rows(url)
    with pytest.raises(ChecksumMismatch, match=r"a1_step\.py.*repair --accept a1"):
        await commands.upgrade(config)
    assert await versions(url) == ["b2"]
    assert "t_c3" not in await tables(url)
    assert await ledger_rows(url) == before
    repaired = await asyncmig.repair(config, accept="a1")
    assert [(e.revision, e.direction, e.checksum) for e in repaired.accepted] == [
        ("a1", "accept", sha256_of(edited))
    ]
    assert (await asyncmig.validate(config)).ok
    await commands.upgrade(config)
    assert await versions(url) == ["c3"]


async def test_validate_on_migrate_false_skips_the_check(tmp_path: Path, sqlite_url: str) -> None:
    """With validate_on_migrate = false an edited applied script does not stop upgrade."""
    write_project(tmp_path, sqlite_url, linear("a1"), options={"validate_on_migrate": False})
    config = load(tmp_path)
    assert config.validate_on_migrate is False
    await commands.upgrade(config)
    script(tmp_path, "a1").write_text(script(tmp_path, "a1").read_text() + "# edited\n")
    options = {"validate_on_migrate": False}
    write_project(tmp_path, sqlite_url, [Rev("b2", "a1", create("b2"))], options=options)
    await commands.upgrade(load(tmp_path))
    assert await versions(sqlite_url) == ["b2"]
    assert not (await asyncmig.validate(config)).ok  # validate itself still sees it


async def test_line_endings_alone_are_not_an_edit(tmp_path: Path, sqlite_url: str) -> None:
    """A script checked out with CRLF (or CR) line endings keeps its checksum."""
    config = write_project(tmp_path, sqlite_url, linear("a1", "b2"))
    await commands.upgrade(config, "a1")
    path = script(tmp_path, "a1")
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert (await asyncmig.validate(config)).ok
    await commands.upgrade(config)
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\r"))
    assert (await asyncmig.validate(config)).ok


async def test_missing_scripts_are_reported(tmp_path: Path, sqlite_url: str) -> None:
    """A deleted head script, and a deleted middle one (the graph breaks): both named missing."""
    revs = linear("a1", "b2", "c3")
    config = write_project(tmp_path, sqlite_url, revs)
    await commands.upgrade(config)
    script(tmp_path, "c3").unlink()
    report = await asyncmig.validate(load(tmp_path))
    assert [(p.revision, p.kind) for p in report.problems] == [("c3", "missing")]
    assert "no script has" in report.notes["main"][0]
    script(tmp_path, "b2").unlink()
    write_project(tmp_path, sqlite_url, revs[2:])  # c3 back as it was, b2 gone
    report = await asyncmig.validate(load(tmp_path))
    assert [(p.revision, p.kind, p.path) for p in report.problems] == [
        ("b2", "missing", str(script(tmp_path, "b2")))
    ]
    assert "cannot be built" in report.notes["main"][0]


async def test_repair_refuses_what_is_not_applied(tmp_path: Path, sqlite_url: str) -> None:
    """accept names an unknown revision, or one not applied: an error, nothing written."""
    config = write_project(tmp_path, sqlite_url, linear("a1", "b2"))
    await commands.upgrade(config, "a1")
    with pytest.raises(UnknownRevision):
        await asyncmig.repair(config, accept="zz9")
    with pytest.raises(CommandError, match="not applied"):
        await asyncmig.repair(config, accept="b2")
    assert (await asyncmig.repair(config)).accepted == ()  # without --accept: no accept row
    assert [r["direction"] for r in await ledger_rows(sqlite_url)] == ["upgrade"]


async def test_applied_history_reads_every_row(tmp_path: Path, sqlite_url: str) -> None:
    """applied_history returns the ledger's rows as LedgerEntry, oldest first; none before."""
    config = write_project(tmp_path, sqlite_url, linear("a1", "b2"))
    assert await asyncmig.applied_history(config) == {"main": ()}
    await commands.upgrade(config)
    entries = (await asyncmig.applied_history(config))["main"]
    assert [(e.revision, e.direction, e.success) for e in entries] == [
        ("a1", "upgrade", True),
        ("b2", "upgrade", True),
    ]
    assert entries[0].applied_at.tzinfo is UTC
    assert entries[0].id < entries[1].id


@pytest.mark.postgresql
async def test_each_tenant_schema_has_its_own_ledger(tmp_path: Path, postgresql_url: str) -> None:
    """With tenant schemas the ledger sits in each schema, beside its version table."""
    config = write_project(
        tmp_path,
        None,
        linear("a1"),
        databases={"main": {"url": postgresql_url, "schemas": ["t1", "t2"]}},
    )
    await commands.upgrade(config)
    for schema in ("t1", "t2"):
        rows = await ledger_rows(postgresql_url, f"{schema}.{LEDGER}")
        assert [(r["revision"], r["direction"]) for r in rows] == [("a1", "upgrade")]
    found = await asyncmig.applied_history(config)
    assert sorted(found) == ["main:t1", "main:t2"]
    script(tmp_path, "a1").write_text(script(tmp_path, "a1").read_text() + "# edited\n")
    report = await asyncmig.validate(config)
    assert sorted(p.database for p in report.problems) == ["main:t1", "main:t2"]
    accepted = await asyncmig.repair(config, accept="a1")
    assert sorted(e.database for e in accepted.accepted) == ["main:t1", "main:t2"]
    assert (await asyncmig.validate(config)).ok


def _alembic_ini(root: Path, url: str, extra: str = "") -> asyncmig.Config:
    """Turn the project under `root` into an Alembic one: an alembic.ini beside its scripts."""
    (root / "asyncmig.toml").unlink()
    (root / "alembic.ini").write_text(
        f"[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = {url}\n{extra}"
    )
    return asyncmig.Config.load(root / "alembic.ini", environ={})


async def test_an_alembic_ini_project_gets_no_ledger(tmp_path: Path, sqlite_url: str) -> None:
    """An alembic.ini read as it is (alembic_version) leaves Alembic's schema: no ledger."""
    write_project(tmp_path, sqlite_url, linear("a1", "b2"))
    config = _alembic_ini(tmp_path, sqlite_url)
    await commands.upgrade(config)
    assert await tables(sqlite_url) == {"alembic_version", "t_a1", "t_b2"}
    await commands.downgrade(config, "base")
    assert await tables(sqlite_url) == {"alembic_version"}


async def test_ledger_true_turns_it_on_in_an_alembic_ini(tmp_path: Path, sqlite_url: str) -> None:
    """`ledger = true` in [alembic] records the steps there too."""
    write_project(tmp_path, sqlite_url, linear("a1"))
    config = _alembic_ini(tmp_path, sqlite_url, "ledger = true\n")
    await commands.upgrade(config)
    assert "alembic_version_ledger" in await tables(sqlite_url)
    rows = await ledger_rows(sqlite_url, "alembic_version_ledger")
    assert [(row["revision"], row["direction"]) for row in rows] == [("a1", "upgrade")]


async def test_alembic_version_table_means_no_ledger_unless_asked(
    tmp_path: Path, sqlite_url: str
) -> None:
    """version_table = "alembic_version" in asyncmig.toml: no ledger by default, as Alembic."""
    options = {"version_table": "alembic_version"}
    config = write_project(tmp_path, sqlite_url, linear("a1"), options=options)
    await commands.upgrade(config)
    assert await tables(sqlite_url) == {"alembic_version", "t_a1"}
    config = write_project(
        tmp_path, sqlite_url, linear("a1", "b2"), options={**options, "ledger": True}
    )
    await commands.upgrade(config)
    rows = await ledger_rows(sqlite_url, "alembic_version_ledger")
    directions = [(row["revision"], row["direction"]) for row in rows]
    assert directions == [("a1", "baseline"), ("b2", "upgrade")]


async def test_ledger_false_keeps_an_asyncmig_project_to_the_version_table(
    tmp_path: Path, sqlite_url: str
) -> None:
    """`ledger = false` in asyncmig.toml: no ledger, and upgrade validates nothing."""
    config = write_project(tmp_path, sqlite_url, linear("a1"), options={"ledger": False})
    await commands.upgrade(config)
    assert await tables(sqlite_url) == {"asyncmig_version", "t_a1"}
