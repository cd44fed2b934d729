"""Run directives the way the runner does: inside ``AsyncConnection.run_sync``.

``run(url, fn)`` opens an AsyncEngine, begins a transaction, builds a
MigrationContext on the sync connection (with the AsyncConnection as
``async_connection``, as the runtime gives it) and calls ``fn(op)``.
``inspect(url, fn)`` calls ``fn(inspector)`` on a fresh connection.
``offline(dialect, fn)`` renders ``fn(op)`` as SQL text.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from asyncmig._operations import Operations
from asyncmig._runtime.context import MigrationContext

T = TypeVar("T")


async def run(
    url: str,
    fn: Callable[[Any], T],
    *,
    opts: Mapping[str, Any] | None = None,
    with_async_connection: bool = True,
) -> T:
    """Call ``fn(op)`` in one transaction on `url`, as one migration step."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:

            def step(sync_conn: sa.Connection) -> T:
                # as the runner does: the step owns its transaction (so autocommit_block
                # and a script's bind.commit() can end it part-way)
                context = MigrationContext.configure(
                    sync_conn,
                    opts=dict(opts or {}),
                    async_connection=conn if with_async_connection else None,
                )
                sync_conn.begin()
                try:
                    result = fn(Operations(context))
                except BaseException:
                    if sync_conn.in_transaction():
                        sync_conn.rollback()
                    raise
                if sync_conn.in_transaction():
                    sync_conn.commit()
                return result

            return await conn.run_sync(step)
    finally:
        await engine.dispose()


async def inspect(url: str, fn: Callable[[sa.Inspector], T]) -> T:
    """Call ``fn(inspector)`` on a fresh connection to `url`."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(lambda sync_conn: fn(sa.inspect(sync_conn)))
    finally:
        await engine.dispose()


async def rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    """The rows `sql` returns on `url`."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            result = await conn.execute(sa.text(sql))
            return [tuple(row) for row in result]
    finally:
        await engine.dispose()


def offline(
    dialect: str, fn: Callable[[Any], object], *, opts: Mapping[str, Any] | None = None
) -> str:
    """The SQL text ``fn(op)`` renders for `dialect` in offline mode."""
    output = io.StringIO()
    context = MigrationContext.configure(dialect_name=dialect, output=output, opts=opts)
    fn(Operations(context))
    return output.getvalue()


def dialect_of(url: str) -> str:
    """The SQLAlchemy dialect name of `url`."""
    return sa.engine.make_url(url).get_dialect().name


def columns(inspector: sa.Inspector, table: str) -> dict[str, dict[str, Any]]:
    """The reflected columns of `table`, by name."""
    return {c["name"]: dict(c) for c in inspector.get_columns(table)}
