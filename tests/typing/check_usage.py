"""Example uses of the public API, for mypy (strict) only: `nox -s typecheck` checks this file.

Nothing here runs.  Each ``type: ignore[code]`` below is a mistake mypy must
catch: under ``warn_unused_ignores`` (part of strict) an ignore that is not
needed is itself an error, so if ``op`` or ``context`` fell back to ``Any``
(and an editor had nothing to complete) this file would stop type-checking.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, assert_type

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

import asyncmig
from asyncmig import context, op

if TYPE_CHECKING:
    from asyncmig._operations import BatchOperations
    from asyncmig._runtime.context import MigrationContext


def upgrade() -> None:
    """A migration script's upgrade(), written against `op` and `context`."""
    op.add_column("account", sa.Column("email", sa.String(200)), schema="public")
    table = op.create_table("audit", sa.Column("id", sa.Integer, primary_key=True))
    assert_type(table, sa.Table)
    op.bulk_insert(table, [{"id": 1}])
    op.create_index("ix_account_email", "account", ["email"], unique=True)
    op.drop_constraint("fk_account_owner", "account", type_="foreignkey")
    with op.batch_alter_table("account", recreate="always") as batch:
        assert_type(batch, BatchOperations)
        batch.drop_column("legacy")
    assert_type(context.get_context(), MigrationContext)
    assert_type(context.is_offline_mode(), bool)
    assert_type(context.get_tag_argument(), str | None)
    if not context.is_offline_mode():
        op.execute("UPDATE account SET email = lower(email)")

    op.add_column("account")  # type: ignore[call-arg]
    op.add_column(sa.Column("x", sa.Integer), "account")  # type: ignore[arg-type]
    op.drop_table_comment("account", comment="gone")  # type: ignore[call-arg]
    context.get_contex()  # type: ignore[attr-defined]


async def lifespan(config: asyncmig.Config) -> None:
    """An application migrating at start-up and answering health checks from one Migrator."""
    engine = create_async_engine("sqlite+aiosqlite:///app.db")
    steps: list[asyncmig.StepReport] = []
    async with asyncmig.Migrator(config, engines={"main": engine}, on_step=steps.append) as m:
        report = await m.upgrade("head", databases=["main"], tag="deploy-42")
        assert_type(report, asyncmig.RunReport)
        assert_type(await m.current(), dict[str, tuple[str, ...]])
        assert_type(await m.is_at_head(), dict[str, bool])
        await m.wait_for_head(timeout=30, interval=0.5)
        await m.downgrade("-1", fail_fast=True, raise_on_error=False)
        await m.stamp(["a1", "b2"], purge=True)
        await m.ensure_version(sql=True)
        assert_type(await m.check(), asyncmig.CheckReport)
        await m.upgrade(revision=3)  # type: ignore[arg-type]
        await m.current(database="main")  # type: ignore[call-arg]
    asyncmig.Migrator(config, lock="yes")  # type: ignore[arg-type]
    assert_type(await asyncmig.upgrade(config, "head", lock=False), asyncmig.RunReport)
