"""Tenant fleets on a real PostgreSQL: locks tried not waited on, fast skips, canary, policy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

import asyncmig
from asyncmig._config import Config
from asyncmig._dialects import backend_for
from asyncmig._reports import StepReport
from tests.runtime._scripts import Rev, write_project

pytestmark = pytest.mark.anyio

# Fails in every tenant named in public.broken, so a test picks which tenants fail.
_BREAKABLE = """
bind = op.get_bind()
broken = bind.execute(sa.text(
    "SELECT count(*) FROM public.broken WHERE name = current_schema()"
)).scalar()
if broken:
    raise RuntimeError("tenant " + op.get_context().schema + " is broken")
op.create_table("t_r1", sa.Column("id", sa.Integer, primary_key=True))
"""


def _history() -> list[Rev]:
    return [
        Rev("r1", None, _BREAKABLE, 'op.drop_table("t_r1")'),
        Rev(
            "r2",
            "r1",
            'op.create_table("t_r2", sa.Column("id", sa.Integer, primary_key=True))',
            'op.drop_table("t_r2")',
        ),
    ]


def _project(tmp_path: Path, url: str, schemas: list[str], **options: Any) -> Config:
    return write_project(
        tmp_path,
        None,
        _history(),
        options=options,
        databases={"main": {"url": url, "schemas": schemas}},
    )


async def _execute(url: str, *statements: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture
async def engine(postgresql_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine of the test's own, to hold tenants' locks as another runner would."""
    made = create_async_engine(postgresql_url)
    await _execute(postgresql_url, "CREATE TABLE public.broken (name text)")
    try:
        yield made
    finally:
        await made.dispose()


@asynccontextmanager
async def _held(engine: AsyncEngine, schema: str) -> AsyncIterator[anyio.Event]:
    """Hold `schema`'s migration lock (as another runner would) until the event is set."""
    lock = backend_for(engine.dialect).lock("main", "asyncmig_version", schema, None)
    assert await lock.try_acquire(engine)
    release = anyio.Event()

    async def holder() -> None:
        await release.wait()
        await lock.release()

    async with anyio.create_task_group() as group:
        group.start_soon(holder)
        try:
            yield release
        finally:
            release.set()


async def test_a_locked_tenant_is_passed_over_and_migrated_later(
    tmp_path: Path, postgresql_url: str, engine: AsyncEngine
) -> None:
    """With one slot, a tenant another runner holds waits at the back; the others go first."""
    config = _project(tmp_path, postgresql_url, ["a", "b", "c"], lock_timeout=30)
    order: list[str | None] = []
    async with _held(engine, "b") as release:

        def on_step(step: StepReport) -> None:
            order.append(step.schema)
            if step.schema == "c" and step.revision == "r2":
                release.set()

        report = await asyncmig.upgrade(config, concurrency=1, on_step=on_step)
    assert order == ["a", "a", "c", "c", "b", "b"]
    assert report.migrated == ["main:a", "main:b", "main:c"]
    assert report.done_by_others == []


async def test_a_tenant_finished_by_another_runner_ends_up_to_date(
    tmp_path: Path, postgresql_url: str, engine: AsyncEngine
) -> None:
    """The tenant another runner migrated while this one waited is reported done by it."""
    config = _project(tmp_path, postgresql_url, ["a", "b"], lock_timeout=30)
    async with _held(engine, "b") as release:
        done = anyio.Event()

        async def other_runner() -> None:
            await done.wait()
            await _execute(
                postgresql_url,
                "CREATE SCHEMA b",
                "CREATE TABLE b.asyncmig_version (version_num varchar(32) PRIMARY KEY)",
                "INSERT INTO b.asyncmig_version VALUES ('r2')",
            )
            release.set()

        def on_step(step: StepReport) -> None:
            if step.schema == "a" and step.revision == "r2":
                done.set()

        async with anyio.create_task_group() as group:
            group.start_soon(other_runner)
            report = await asyncmig.upgrade(config, concurrency=1, on_step=on_step)
    b = report.databases[1]
    assert (b.target, b.status, b.steps, b.after) == ("main:b", "ok", [], ("r2",))
    assert report.migrated == ["main:a"]
    assert report.done_by_others == ["main:b"]


async def test_a_fleet_at_head_is_skipped_without_locking_any_tenant(
    tmp_path: Path, postgresql_url: str, engine: AsyncEngine
) -> None:
    """A rerun reads every tenant at once: one whose lock is held does not make it wait."""
    schemas = ["a", "Tenant B", "c"]  # a name that must be quoted
    config = _project(tmp_path, postgresql_url, schemas, lock_timeout=1)
    assert (await asyncmig.upgrade(config)).migrated == ["main:a", "main:Tenant B", "main:c"]
    async with _held(engine, "Tenant B"):
        report = await asyncmig.upgrade(config)
    assert report.ok
    assert report.up_to_date == ["main:a", "main:Tenant B", "main:c"]
    assert [db.after for db in report.databases] == [("r2",)] * 3


async def test_a_failed_canary_leaves_the_other_tenants_not_started(
    tmp_path: Path, postgresql_url: str, engine: AsyncEngine
) -> None:
    """--canary 2: one of the first two fails, so none of the rest starts."""
    schemas = [f"t{i}" for i in range(6)]
    config = _project(tmp_path, postgresql_url, schemas)
    await _execute(postgresql_url, "INSERT INTO public.broken VALUES ('t1')")
    report = await asyncmig.upgrade(config, canary=2, raise_on_error=False)
    statuses = [db.status for db in report.databases]
    assert statuses == ["ok", "failed", *["not-started"] * 4]
    assert report.stopped == "a canary target failed (canary = 2)"
    assert not report.ok
    rows = await _rows(postgresql_url, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 't_'")
    assert sorted(rows) == ["t0", "t1"]  # the others were never even created


async def test_a_passing_canary_lets_the_rest_run(
    tmp_path: Path, postgresql_url: str, engine: AsyncEngine
) -> None:
    """--canary 2 with a failure after the canary: the run continues (the default policy)."""
    config = _project(tmp_path, postgresql_url, [f"t{i}" for i in range(5)])
    await _execute(postgresql_url, "INSERT INTO public.broken VALUES ('t3')")
    report = await asyncmig.upgrade(config, canary=2, raise_on_error=False)
    assert [db.status for db in report.databases] == ["ok", "ok", "ok", "failed", "ok"]
    assert report.stopped is None


async def test_max_failures_stops_starting_tenants(
    tmp_path: Path, postgresql_url: str, engine: AsyncEngine
) -> None:
    """--max-failures 2: after the second failure no tenant starts; continue runs them all."""
    schemas = [f"t{i}" for i in range(6)]
    config = _project(tmp_path, postgresql_url, schemas)
    await _execute(postgresql_url, "INSERT INTO public.broken VALUES ('t0'), ('t1'), ('t3')")
    report = await asyncmig.upgrade(config, concurrency=1, max_failures=2, raise_on_error=False)
    assert [db.status for db in report.databases] == [
        "failed",
        "failed",
        *["not-started"] * 4,
    ]
    assert report.stopped == "2 target(s) failed (max-failures = 2)"
    report = await asyncmig.upgrade(config, concurrency=1, raise_on_error=False)
    statuses = ["failed", "failed", "ok", "failed", "ok", "ok"]
    assert [db.status for db in report.databases] == statuses
    assert report.stopped is None


async def test_fail_fast_alone_stops_at_the_first_failure(
    tmp_path: Path, postgresql_url: str, engine: AsyncEngine
) -> None:
    """--fail-fast: the first failure stops the run; what never started says so."""
    config = _project(tmp_path, postgresql_url, ["t0", "t1", "t2"])
    await _execute(postgresql_url, "INSERT INTO public.broken VALUES ('t0')")
    report = await asyncmig.upgrade(config, concurrency=1, fail_fast=True, raise_on_error=False)
    assert [db.status for db in report.databases] == ["failed", "not-started", "not-started"]
    assert report.stopped == "the run stopped at its first failure (fail-fast)"


async def test_the_summary_counts_revisions_and_keeps_each_last_failure(
    tmp_path: Path, postgresql_url: str, engine: AsyncEngine
) -> None:
    """current --summary: counts per revision; each failure kept in its tenant until fixed."""
    config = _project(tmp_path, postgresql_url, [f"t{i}" for i in range(5)])
    await _execute(postgresql_url, "INSERT INTO public.broken VALUES ('t1'), ('t4')")
    await asyncmig.upgrade(config, raise_on_error=False)
    summary = await asyncmig.fleet_summary(config)
    assert summary.counts() == {"main": {"r2": 3, "<base>": 2}}
    assert summary.behind == ["main:t1", "main:t4"]
    assert [(f.target, f.command, f.revision) for f in summary.failures] == [
        ("main:t1", "upgrade", "r1"),
        ("main:t4", "upgrade", "r1"),
    ]
    assert all("is broken" in failure.error for failure in summary.failures)
    await _execute(postgresql_url, "DELETE FROM public.broken")
    report = await asyncmig.upgrade(config)
    assert report.migrated == ["main:t1", "main:t4"]
    summary = await asyncmig.fleet_summary(config)
    assert summary.counts() == {"main": {"r2": 5}}
    assert summary.failures == ()
    assert summary.ok


async def _rows(url: str, sql: str) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return [row[0] for row in (await conn.execute(text(sql))).all()]
    finally:
        await engine.dispose()
