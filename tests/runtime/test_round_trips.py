"""Statements on their shortest way to the server, still SQLAlchemy's all the way.

On asyncpg, statements without parameters that return no rows take the simple
query protocol (one round trip, nothing prepared); everything else is as it was.
Whatever way a statement takes, SQLAlchemy compiled it, its cursor events and
echo see it, and its errors are SQLAlchemy's exceptions.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from asyncmig._commands import database as commands
from asyncmig.errors import MigrationFailed
from tests.runtime._scripts import Rev, create, tables, versions, write_project

pytestmark = pytest.mark.anyio

# A step that writes through every kind of statement: DDL, text DML, rows read back.
BUSY_STEP = """
op.create_table("t_a1", sa.Column("id", sa.Integer, primary_key=True))
op.create_index("ix_t_a1_id", "t_a1", ["id"])
op.execute("INSERT INTO t_a1 (id) VALUES (1), (2)")
bind = op.get_bind()
assert type(bind) is sa.engine.Connection, type(bind)
assert bind.execute(sa.text("UPDATE t_a1 SET id = id + 10")).rowcount == 2
assert bind.execute(sa.text("SELECT count(*) FROM t_a1")).scalar() == 2
added = bind.execute(sa.text("INSERT INTO t_a1 (id) VALUES (3) RETURNING id")).scalar()
assert added == 3, added
"""


def _busy(tmp_path: Path, url: str) -> Any:
    revs = [Rev("a1", None, BUSY_STEP, 'op.drop_table("t_a1")'), Rev("b2", "a1", create("b2"))]
    return write_project(tmp_path, url, revs, options={"ledger": False})


def _normal(statement: str) -> str:
    return " ".join(statement.split())


async def test_every_statement_reaches_the_cursor_events(tmp_path: Path, database_url: str) -> None:
    """DDL, text, and the version-row writes each fire before_ and after_cursor_execute."""
    config = _busy(tmp_path, database_url)
    engine = create_async_engine(database_url)
    before: list[str] = []
    after: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: before.append(a[2]))
    event.listen(engine.sync_engine, "after_cursor_execute", lambda *a: after.append(a[2]))
    try:
        await commands.upgrade(config, engines={"main": engine})
    finally:
        await engine.dispose()
    assert before == after
    seen = [_normal(s) for s in after]
    for start in (
        "CREATE TABLE t_a1",
        "CREATE INDEX ix_t_a1_id",
        "INSERT INTO t_a1 (id) VALUES (1), (2)",
        "UPDATE t_a1 SET id",
        "CREATE TABLE t_b2",
        "INSERT INTO asyncmig_version",
        "UPDATE asyncmig_version SET version_num",
    ):
        assert any(s.startswith(start) for s in seen), (start, seen)
    assert await versions(database_url) == ["b2"]


async def test_echo_logs_every_statement(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An engine with echo logs the step's DDL and the version writes."""
    config = _busy(tmp_path, database_url)
    engine = create_async_engine(database_url, echo=True)
    try:
        with caplog.at_level(logging.INFO, logger="sqlalchemy.engine.Engine"):
            await commands.upgrade(config, engines={"main": engine})
    finally:
        await engine.dispose()
    logged = [_normal(r.getMessage()) for r in caplog.records]
    for start in ("CREATE TABLE t_a1", "CREATE INDEX ix_t_a1_id", "INSERT INTO asyncmig_version"):
        assert any(m.startswith(start) for m in logged), (start, logged)


async def _plain_error(engine: AsyncEngine, statements: list[str]) -> BaseException:
    """The error of the last statement run on a plain SQLAlchemy connection (prepared)."""
    async with engine.connect() as conn:
        for statement in statements[:-1]:
            await conn.execute(sa.text(statement))
        try:
            await conn.execute(sa.text(statements[-1]))
        except sa.exc.DBAPIError as exc:
            return exc
    raise AssertionError("the statement did not fail")


@pytest.mark.parametrize(
    ("body", "statements"),
    [
        (
            'op.create_table("t_x", sa.Column("id", sa.Integer))\n'
            'op.create_table("t_x", sa.Column("id", sa.Integer))',
            ["CREATE TABLE t_x (id INTEGER)", "CREATE TABLE t_x (id INTEGER)"],
        ),
        ('op.execute("ALTER TABLE missing ADD COLUMN c INTEGER")', None),
        ('op.execute("INSERT INTO missing (id) VALUES (1)")', None),
    ],
    ids=["ddl", "text-ddl", "text-dml"],
)
async def test_failing_statement_raises_sqlalchemys_exception(
    tmp_path: Path, database_url: str, body: str, statements: list[str] | None
) -> None:
    """A failing statement's error is the SQLAlchemy class and message a plain connection gets."""
    config = write_project(tmp_path, database_url, [Rev("a1", None, body)])
    engine = create_async_engine(database_url)
    try:
        with pytest.raises(MigrationFailed) as failed:
            await commands.upgrade(config, engines={"main": engine})
        if statements is None:
            statements = [body.split('"')[1]]
        expected = await _plain_error(engine, statements)
    finally:
        await engine.dispose()
    cause = failed.value.cause
    assert type(cause) is type(expected)
    assert isinstance(cause, sa.exc.DBAPIError)
    assert type(cause.orig) is type(expected.orig)  # type: ignore[attr-defined]  # DBAPIError
    assert str(cause.orig) == str(expected.orig)  # type: ignore[attr-defined]  # DBAPIError
    assert "asyncmig_version" not in await tables(database_url)  # rolled back


@pytest.mark.postgresql
async def test_asyncpg_sends_parameterless_statements_unprepared(
    tmp_path: Path, postgresql_url: str
) -> None:
    """On asyncpg, DDL and row-less text are never prepared; the version writes still are.

    The server's pg_prepared_statements lists what the migration connection
    prepared (SQLAlchemy keeps its last 100 prepared statements open).
    """
    config = _busy(tmp_path, postgresql_url)
    engine = create_async_engine(postgresql_url)
    migrating: list[Any] = []

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def remember(conn: sa.engine.Connection, *args: object) -> None:
        if _normal(str(args[1])).startswith("CREATE TABLE t_a1"):
            migrating.append(conn.connection.driver_connection)

    try:
        await commands.upgrade(config, engines={"main": engine})
        (driver,) = migrating
        rows = await driver.fetch("SELECT statement FROM pg_prepared_statements")
    finally:
        await engine.dispose()
    prepared = [_normal(row["statement"]) for row in rows]
    assert any(s.startswith("UPDATE asyncmig_version SET version_num") for s in prepared)
    assert any(s.startswith("SELECT count(*) FROM t_a1") for s in prepared)  # rows: prepared
    assert any(s.startswith("INSERT INTO t_a1 (id) VALUES (3) RETURNING") for s in prepared)
    for start in (
        "CREATE TABLE",
        "CREATE INDEX",
        "INSERT INTO t_a1 (id) VALUES (1)",
        "UPDATE t_a1",
    ):
        assert not any(s.startswith(start) for s in prepared), (start, prepared)


@pytest.mark.postgresql
async def test_other_connections_of_the_engine_keep_preparing(
    tmp_path: Path, postgresql_url: str
) -> None:
    """After a migration on the engine, its other connections still prepare DDL as before."""
    config = write_project(tmp_path, postgresql_url, [Rev("a1", None, create("a1"))])
    engine = create_async_engine(postgresql_url)
    try:
        await commands.upgrade(config, engines={"main": engine})
        async with engine.connect() as conn:
            await conn.execute(sa.text("CREATE TABLE t_plain (id INTEGER)"))
            rows = await conn.exec_driver_sql("SELECT statement FROM pg_prepared_statements")
            prepared = [_normal(str(row[0])) for row in rows]
            await conn.rollback()
    finally:
        await engine.dispose()
    assert "CREATE TABLE t_plain (id INTEGER)" in prepared
