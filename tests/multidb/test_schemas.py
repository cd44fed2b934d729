"""Tenant schemas: each schema a target with its own version table, on real servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import asyncmig._commands.database as commands
from asyncmig.errors import CommandError
from tests import _servers
from tests.runtime._scripts import Rev, linear, query, write_project

pytestmark = pytest.mark.anyio


async def _execute(url: str, sql: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def _pg_tables(url: str, schema: str) -> set[str]:
    rows = await query(url, f"SELECT tablename FROM pg_tables WHERE schemaname = '{schema}'")
    return {row[0] for row in rows}


async def test_postgresql_schemas_each_get_their_tables(
    tmp_path: Path, postgresql_url: str
) -> None:
    """Unqualified DDL lands in each tenant schema, next to that schema's version table."""
    await _execute(postgresql_url, "CREATE SCHEMA t1")  # t2 is created by the upgrade
    check = Rev(
        "r3",
        "r2",
        "assert op.get_context().schema == op.get_bind().execute("
        "sa.text('SELECT current_schema()')).scalar()",
    )
    config = write_project(
        tmp_path,
        None,
        [*linear("r1", "r2"), check],
        databases={"main": {"url": postgresql_url, "schemas": ["t1", "t2"]}},
    )
    report = await commands.upgrade(config)
    assert [(db.target, db.after) for db in report.databases] == [
        ("main:t1", ("r3",)),
        ("main:t2", ("r3",)),
    ]
    assert {step.schema for step in report.steps} == {"t1", "t2"}
    for schema in ("t1", "t2"):
        assert await _pg_tables(postgresql_url, schema) == {
            "t_r1",
            "t_r2",
            "asyncmig_version",
            "asyncmig_version_ledger",
        }
    assert await _pg_tables(postgresql_url, "public") == set()
    assert await commands.current(config) == {"main:t1": ("r3",), "main:t2": ("r3",)}
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(postgresql_url, pool_size=2, max_overflow=0)
    try:
        assert (await commands.downgrade(config, "r1", engines={"main": engine})).ok
        # The borrowed engine's pooled connections got their search_path back.
        async with engine.connect() as one, engine.connect() as two:
            for conn in (one, two):
                path = (await conn.execute(text("SHOW search_path"))).scalar()
                assert path == '"$user", public'
    finally:
        await engine.dispose()
    assert await _pg_tables(postgresql_url, "t2") == {
        "t_r1",
        "asyncmig_version",
        "asyncmig_version_ledger",
    }


async def test_postgresql_schemas_from_a_query(tmp_path: Path, postgresql_url: str) -> None:
    """`schemas` as SQL runs on the database first; every schema it returns is a target."""
    for name in ("tenant_a", "tenant_b", "other"):
        await _execute(postgresql_url, f"CREATE SCHEMA {name}")
    sql = "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant_%' ORDER BY nspname"
    config = write_project(
        tmp_path,
        None,
        linear("r1"),
        databases={"main": {"url": postgresql_url, "schemas": sql}},
    )
    report = await commands.upgrade(config)
    assert [db.target for db in report.databases] == ["main:tenant_a", "main:tenant_b"]
    assert await _pg_tables(postgresql_url, "other") == set()
    assert await _pg_tables(postgresql_url, "tenant_b") == {
        "t_r1",
        "asyncmig_version",
        "asyncmig_version_ledger",
    }


async def test_failing_schema_query_fails_only_its_database(
    tmp_path: Path, postgresql_url: str
) -> None:
    """A schemas query that fails is that database's error; the others still migrate."""
    lite = f"sqlite+aiosqlite:///{tmp_path}/lite.db"
    config = write_project(
        tmp_path,
        None,
        linear("r1"),
        databases={
            "pg": {"url": postgresql_url, "schemas": "SELECT nope FROM missing_table"},
            "lite": {"url": lite},
        },
    )
    report = await commands.upgrade(config, raise_on_error=False)
    assert {db.database: db.status for db in report.databases} == {"pg": "failed", "lite": "ok"}
    (error,) = report.errors()
    assert isinstance(error, CommandError)
    assert "schemas query" in str(error)
    assert "missing_table" in str(error)


async def test_two_hundred_schemas_in_one_run(tmp_path: Path, postgresql_url: str) -> None:
    """200 tenant schemas on one PostgreSQL database migrate in one run."""
    schemas = [f"tenant_{n}" for n in range(200)]
    config = write_project(
        tmp_path,
        None,
        linear("r1", "r2", "r3"),
        databases={"main": {"url": postgresql_url, "schemas": schemas}},
    )
    report = await commands.upgrade(config)
    assert len(report.databases) == 200
    assert all(db.after == ("r3",) for db in report.databases)
    assert len(report.steps) == 600
    rows = await query(
        postgresql_url,
        "SELECT count(*) FROM pg_tables WHERE tablename = 't_r3' AND schemaname LIKE 'tenant_%'",
    )
    assert rows == [(200,)]
    current = await commands.current(config)
    assert set(current) == {f"main:{s}" for s in schemas}


async def test_offline_sql_enters_each_schema(tmp_path: Path) -> None:
    """--sql with listed schemas renders CREATE SCHEMA and search_path per tenant."""
    config = write_project(
        tmp_path,
        None,
        linear("r1"),
        databases={
            "main": {"url": "postgresql+asyncpg://u@localhost/db", "schemas": ["t1", "T 2"]}
        },
    )
    report = await commands.upgrade(config, sql=True)
    first, second = (db.sql or "" for db in report.databases)
    assert "CREATE SCHEMA IF NOT EXISTS t1" in first
    assert "SET search_path TO t1;" in first
    assert 'SET search_path TO "T 2";' in second
    assert "CREATE TABLE t_r1" in second


@pytest.fixture
def mariadb_tenants() -> Iterator[tuple[str, list[str]]]:
    """A MariaDB scratch database and the names of two tenant databases dropped afterwards."""
    with _servers.scratch_database("mariadb") as url:
        base = url.rsplit("/", 1)[1]
        names = [f"{base}_t1", f"{base}_t2"]
        try:
            yield url, names
        finally:
            for name in names:
                _servers._run(
                    lambda name=name: _servers._admin(url, "DROP DATABASE IF EXISTS {name}", name)
                )


async def test_mariadb_schemas_are_databases(
    tmp_path: Path, mariadb_tenants: tuple[str, list[str]]
) -> None:
    """On MariaDB each tenant is a database of the server, created if missing."""
    url, names = mariadb_tenants
    config = write_project(
        tmp_path, None, linear("r1"), databases={"main": {"url": url, "schemas": names}}
    )
    report = await commands.upgrade(config)
    assert [db.after for db in report.databases] == [("r1",), ("r1",)]
    for name in names:
        rows = await query(
            url,
            "SELECT table_name FROM information_schema.tables "
            f"WHERE table_schema = '{name}' ORDER BY table_name",
        )
        assert [row[0] for row in rows] == ["asyncmig_version", "asyncmig_version_ledger", "t_r1"]
    assert await query(url, "SELECT DATABASE()") == [(url.rsplit("/", 1)[1],)]
