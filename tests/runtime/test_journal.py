"""The journal of steps that commit as they go: rows while they run, refusal once one stopped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

import asyncmig
from asyncmig._commands import database as commands
from asyncmig._runtime.journal import Progress
from asyncmig.errors import CommandError, MigrationFailed, UnfinishedStep
from tests.runtime._scripts import Rev, query, tables, versions, write_project

pytestmark = pytest.mark.anyio

CREATE_T = 'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))'
LEDGER = "asyncmig_version_ledger"


def _marked(tmp_path: Path, code: str) -> str:
    """`code` that runs only while the file MARKER exists under `tmp_path` (a test removes it)."""
    marker = tmp_path / "MARKER"
    marker.touch()
    return f"if __import__('os').path.exists({str(marker)!r}): {code}"


def _history(tmp_path: Path, upgrade_b2: str) -> list[Rev]:
    """a1 creates table t; b2 runs `upgrade_b2` (written with _marked's MARKER in mind)."""
    return [Rev("a1", None, CREATE_T), Rev("b2", "a1", upgrade_b2)]


async def _journal_rows(url: str) -> list[dict[str, Any]]:
    """The progress of every ledger row that has one, oldest first."""
    found = await query(
        url, f"SELECT progress FROM {LEDGER} WHERE progress IS NOT NULL ORDER BY id"
    )
    return [json.loads(row[0]) for row in found]


async def _execute(url: str, sql: str) -> None:
    """Run one statement and commit it, on an engine of its own."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql(sql)
    finally:
        await engine.dispose()


@contextmanager
def _statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every statement `engine` sends while the block runs."""
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def test_progress_round_trips_and_says_where_it_stopped() -> None:
    """Progress survives JSON, and its description names the block, or the implicit commits."""
    inside = Progress(blocks=2, done=1, statements=3, last="x", before=("public.ix",), to="b2")
    assert Progress.from_json(inside.to_json()) == inside
    assert inside.where("PostgreSQL") == "inside autocommit block 2"
    assert inside.last_block == 1
    after = Progress(blocks=1, done=1)
    assert after.where("PostgreSQL") == "after autocommit block 1"
    assert not after.inside
    step = Progress()
    assert step.where("MySQL/MariaDB") == (
        "part-way (MySQL/MariaDB commits each DDL statement as it runs)"
    )
    assert step.last_block is None


async def test_a_block_is_journaled_while_the_step_runs_and_cleared_after(
    tmp_path: Path, any_database_url: str
) -> None:
    """Mid-step the row says block 1 is done; once the step has committed no row is left."""
    seen = tmp_path / "seen.json"
    upgrade = f"""
        with op.get_context().autocommit_block():
            op.execute("INSERT INTO t (id) VALUES (1)")
        found = op.get_bind().execute(
            sa.text("SELECT progress FROM {LEDGER} WHERE progress IS NOT NULL")
        ).scalars().all()
        __import__("pathlib").Path({str(seen)!r}).write_text(repr(found))
        op.add_column("t", sa.Column("c", sa.Integer))
    """
    config = write_project(tmp_path, any_database_url, _history(tmp_path, upgrade))
    await commands.upgrade(config)
    (row,) = eval(seen.read_text())  # the script saw exactly one row: its own
    progress = json.loads(row)
    assert (progress["blocks"], progress["done"], progress["to"]) == (1, 1, "b2")
    assert progress["statements"] == 1  # the INSERT, not asyncmig's own statements
    assert "INSERT INTO t" in progress["last"]
    assert await _journal_rows(any_database_url) == []
    rows = await query(any_database_url, f"SELECT revision, success FROM {LEDGER} ORDER BY id")
    assert [(rev, bool(ok)) for rev, ok in rows] == [("a1", True), ("b2", True)]


async def test_a_transactional_step_writes_no_journal(tmp_path: Path, database_url: str) -> None:
    """On SQLite and PostgreSQL a step without autocommit blocks sends nothing to the journal."""
    config = write_project(tmp_path, database_url, _history(tmp_path, "pass"))
    engine = create_async_engine(database_url)
    try:
        with _statements(engine) as sent:
            await commands.upgrade(config, engines={"main": engine})
    finally:
        await engine.dispose()
    assert sent
    writes = [s for s in sent if "progress" in s and not s.lstrip().startswith("CREATE TABLE")]
    assert writes == []
    assert await versions(database_url) == ["b2"]


@pytest.mark.mariadb
async def test_every_mariadb_step_is_journaled(tmp_path: Path, mariadb_url: str) -> None:
    """Where DDL commits implicitly each scripted step writes its row first, and deletes it."""
    config = write_project(tmp_path, mariadb_url, _history(tmp_path, "pass"))
    engine = create_async_engine(mariadb_url)
    try:
        with _statements(engine) as sent:
            await commands.upgrade(config, engines={"main": engine})
    finally:
        await engine.dispose()
    inserts = [s for s in sent if s.startswith(f"INSERT INTO {LEDGER}") and "progress" in s]
    deletes = [s for s in sent if s.startswith(f"DELETE FROM {LEDGER}")]
    assert (len(inserts), len(deletes)) == (2, 2)
    assert await _journal_rows(mariadb_url) == []


async def test_a_failure_after_a_block_holds_the_step_until_resolved(
    tmp_path: Path, database_url: str
) -> None:
    """A step failing after its block committed is refused next time; --resolved lets it go on."""
    upgrade = f"""
        with op.get_context().autocommit_block():
            op.execute("INSERT INTO t (id) VALUES (1)")
        {_marked(tmp_path, 'raise RuntimeError("boom")')}
    """
    config = write_project(tmp_path, database_url, _history(tmp_path, upgrade))
    with pytest.raises(MigrationFailed) as failed:
        await commands.upgrade(config)
    text = str(failed.value)
    assert "what it ran up to the end of autocommit block 1 had committed" in text
    assert "holds revision b2 as unfinished until `asyncmig repair` resolves it" in text
    with pytest.raises(UnfinishedStep) as refused:
        await commands.upgrade(config)
    assert (refused.value.revision, refused.value.last_block) == ("b2", 1)
    assert "it stopped after autocommit block 1 (last completed block: 1)" in str(refused.value)
    with pytest.raises(UnfinishedStep):
        await commands.downgrade(config, "base")
    report = await asyncmig.repair(config, fix=True)
    (entry,) = report.unfinished
    assert not report.ok
    assert (entry.revision, entry.committed, entry.resolved) == ("b2", 1, False)
    assert "INSERT INTO t" in entry.last_statements
    assert "undo them" in entry.advice
    assert "`asyncmig repair --resolved b2`" in entry.advice
    await commands.stamp(config, "a1")  # stamp (setting the version table by hand) still runs
    await _execute(database_url, "DELETE FROM t")  # a person undoes what the block did
    (tmp_path / "MARKER").unlink()
    resolved = await asyncmig.repair(config, resolved="b2")
    assert resolved.ok
    assert resolved.unfinished[0].resolved
    await commands.upgrade(config)
    assert await versions(database_url) == ["b2"]
    assert await query(database_url, "SELECT id FROM t") == [(1,)]


async def test_fix_resolves_a_step_that_stopped_in_its_first_block(
    tmp_path: Path, database_url: str
) -> None:
    """Nothing committed before block 1: repair --fix resolves it and the step runs again."""
    upgrade = f"""
        with op.get_context().autocommit_block():
            {_marked(tmp_path, 'raise RuntimeError("died in the block")')}
            op.execute("INSERT INTO t (id) VALUES (1)")
    """
    config = write_project(tmp_path, database_url, _history(tmp_path, upgrade))
    with pytest.raises(MigrationFailed, match="it failed inside autocommit block 1"):
        await commands.upgrade(config)
    with pytest.raises(
        UnfinishedStep, match=r"inside autocommit block 1 \(last completed block: none\)"
    ):
        await commands.upgrade(config)
    (listed,) = (await asyncmig.repair(config)).unfinished
    assert "`asyncmig repair --fix` lets the next upgrade run revision b2 again" in listed.advice
    assert not listed.resolved
    (tmp_path / "MARKER").unlink()
    (fixed,) = (await asyncmig.repair(config, fix=True)).unfinished
    assert fixed.resolved
    assert fixed.advice == "resolved; the next upgrade runs revision b2 again from its start"
    await commands.upgrade(config)
    assert await query(database_url, "SELECT id FROM t") == [(1,)]
    (kept,) = await _journal_rows(database_url)  # history: the stop, and how it was resolved
    assert "repair --fix" in kept["resolved"]


async def test_a_failure_before_any_block_leaves_no_row(tmp_path: Path, database_url: str) -> None:
    """A step that fails before its first autocommit block is just rolled back: nothing held."""
    upgrade = """
        raise RuntimeError("early")
        with op.get_context().autocommit_block():
            op.execute("INSERT INTO t (id) VALUES (1)")
    """
    config = write_project(tmp_path, database_url, _history(tmp_path, upgrade))
    for _ in range(2):  # the second run is the same failure, not a refusal
        with pytest.raises(MigrationFailed, match=r"its transaction was rolled back$"):
            await commands.upgrade(config)
    assert await _journal_rows(database_url) == []


@pytest.mark.mariadb
async def test_mariadb_partial_step_is_held_until_resolved(
    tmp_path: Path, mariadb_url: str
) -> None:
    """A MariaDB step that created a table and then failed is refused until --resolved."""
    upgrade = f"""
        op.create_table("u", sa.Column("id", sa.Integer, primary_key=True))
        {_marked(tmp_path, 'raise RuntimeError("boom")')}
    """
    config = write_project(tmp_path, mariadb_url, _history(tmp_path, upgrade))
    with pytest.raises(MigrationFailed) as failed:
        await commands.upgrade(config)
    assert "may be partly applied" in str(failed.value)
    assert "holds revision b2 as unfinished" in str(failed.value)
    with pytest.raises(UnfinishedStep) as refused:
        await commands.upgrade(config)
    assert refused.value.last_block is None
    assert "(MySQL/MariaDB commits each DDL statement as it runs); the database" in str(
        refused.value
    )
    (entry,) = (await asyncmig.repair(config, fix=True)).unfinished
    assert not entry.resolved
    assert "compare the database with revision b2's upgrade()" in entry.advice
    assert "u" in await tables(mariadb_url)  # --fix touched nothing
    await _execute(mariadb_url, "DROP TABLE u")  # a person undoes what the step did
    (tmp_path / "MARKER").unlink()
    assert (await asyncmig.repair(config, resolved="b2")).ok
    await commands.upgrade(config)
    assert await versions(mariadb_url) == ["b2"]
    assert "u" in await tables(mariadb_url)


@pytest.mark.mariadb
async def test_mariadb_failure_before_any_statement_leaves_no_row(
    tmp_path: Path, mariadb_url: str
) -> None:
    """A MariaDB step whose first statement fails applied nothing: its row goes, nothing held."""
    config = write_project(
        tmp_path,
        mariadb_url,
        _history(tmp_path, 'op.add_column("nope", sa.Column("c", sa.Integer))'),
    )
    for _ in range(2):  # the second run is the same failure, not a refusal
        with pytest.raises(MigrationFailed, match="no statement of the step had completed"):
            await commands.upgrade(config)
    assert await _journal_rows(mariadb_url) == []


async def test_resolved_must_name_an_unfinished_step(tmp_path: Path, sqlite_url: str) -> None:
    """repair --resolved for a revision with no unfinished step is an error; plain repair is not."""
    config = write_project(tmp_path, sqlite_url, _history(tmp_path, "pass"))
    await commands.upgrade(config)
    report = await asyncmig.repair(config)
    assert report.ok
    assert report.unfinished == ()
    with pytest.raises(CommandError, match="revision b2 has no unfinished step"):
        await asyncmig.repair(config, resolved="b2")
