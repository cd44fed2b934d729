"""Alembic scripts unchanged: the helpers scripts call, and what bind.commit() part-way does."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tests.operations._harness import rows, run

pytestmark = pytest.mark.anyio


async def test_get_context_and_bind_like_alembic(database_url: str) -> None:
    """op.get_context() has .dialect and .opts; op.get_bind() has .engine.url and .dialect."""

    def upgrade(op: Any) -> tuple[str, str, str, bool]:
        context = op.get_context()
        bind = op.get_bind()
        return (
            context.dialect.name,
            bind.dialect.name,
            bind.engine.url.drivername,
            context.opts.get("as_sql") is False,
        )

    dialect, bind_dialect, driver, online = await run(database_url, upgrade)
    assert dialect == bind_dialect
    assert driver == sa.engine.make_url(database_url).drivername
    assert online


async def test_run_async_without_the_runtime_reference(database_url: str) -> None:
    """run_async finds the AsyncConnection from the sync one when opts lacks it."""

    async def count(conn: Any) -> int:
        return int((await conn.execute(sa.text("SELECT 41 + 1"))).scalar_one())

    assert (
        await run(database_url, lambda op: op.run_async(count), with_async_connection=False) == 42
    )


async def test_execute_accepts_ddl_elements(database_url: str) -> None:
    """op.execute() runs a DDL element such as CreateTable and DDL()."""
    table = sa.Table("t", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True))

    def upgrade(op: Any) -> None:
        op.execute(sa.schema.CreateTable(table))
        op.execute(sa.DDL("CREATE INDEX ix_t_id ON t (id)"))

    await run(database_url, upgrade)
    assert await rows(database_url, "SELECT count(*) FROM t") == [(0,)]


async def test_bind_commit_part_way_keeps_the_committed_part(database_url: str) -> None:
    """bind.commit() part-way commits the step's work so far; a later failure keeps it."""

    def upgrade(op: Any) -> None:
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))
        op.execute("INSERT INTO t (id) VALUES (1)")
        op.get_bind().commit()
        op.execute("INSERT INTO t (id) VALUES (2)")
        raise RuntimeError("boom after the commit")

    with pytest.raises(RuntimeError, match="boom"):
        await run(database_url, upgrade)
    assert await rows(database_url, "SELECT id FROM t") == [(1,)]
