"""Build a database with plain SQLAlchemy, compare it with models, run rendered scripts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from asyncmig._autogenerate import (
    AutogenOptions,
    Comparison,
    RenderedMigration,
    compare_metadata,
    render_migration,
)


async def run_sync(url: str, fn: Callable[[Connection], Any]) -> Any:
    """Run `fn` on a sync connection of `url` inside one committed transaction."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(fn)
    finally:
        await engine.dispose()


async def create(url: str, metadata: sa.MetaData) -> None:
    """The database side: `metadata` created with SQLAlchemy's own DDL."""
    await run_sync(url, metadata.create_all)


async def compare(
    url: str, metadata: sa.MetaData | Sequence[sa.MetaData], **options: Any
) -> Comparison:
    """What autogenerate finds between `metadata` and the database at `url`."""
    opts = AutogenOptions(**options)
    result: Comparison = await run_sync(url, lambda c: compare_metadata(c, metadata, options=opts))
    return result


def kinds(diffs: Sequence[Any]) -> list[str]:
    """The kinds of `diffs`, in order."""
    return [d.kind for d in diffs]


def _function(body: str, imports: Sequence[str]) -> Callable[[Any], None]:
    source = "\n".join(["import sqlalchemy as sa", *imports, "", "def step(op):", body, ""])
    namespace: dict[str, Any] = {}
    exec(compile(source, "<rendered migration>", "exec"), namespace)
    fn: Callable[[Any], None] = namespace["step"]
    return fn


async def execute(url: str, body: str, imports: Sequence[str] = ()) -> None:
    """Run a rendered function body with `op` bound to asyncmig's real operations."""
    from asyncmig._operations import Operations
    from asyncmig._runtime.context import MigrationContext

    fn = _function(body, imports)

    def run(conn: Connection) -> None:
        fn(Operations(MigrationContext.configure(conn)))

    await run_sync(url, run)


async def render(url: str, diffs: Sequence[Any], **options: Any) -> RenderedMigration:
    """Render `diffs` for the dialect of `url`."""
    name = sa.engine.make_url(url).get_backend_name()
    return render_migration(diffs, dialect_name=name, **options)


async def apply_both_ways(
    url: str,
    database: sa.MetaData,
    models: sa.MetaData,
    expected: Sequence[str],
    **options: Any,
) -> tuple[Comparison, RenderedMigration]:
    """Build `database`, find `expected` kinds against `models`, run upgrade then downgrade.

    After the upgrade the models and the database must agree; after the downgrade
    the database must be back to `database`.
    """
    await create(url, database)
    diffs = await compare(url, models, **options)
    assert kinds(diffs) == list(expected), [d.describe() for d in diffs]
    rendered = await render(url, diffs)
    await execute(url, rendered.upgrade, rendered.imports)
    left = await compare(url, models, **options)
    assert list(left) == [], f"{[d.describe() for d in left]}\n{rendered.upgrade}"
    await execute(url, rendered.downgrade, rendered.imports)
    back = await compare(url, database, **options)
    assert list(back) == [], f"{[d.describe() for d in back]}\n{rendered.downgrade}"
    return diffs, rendered
