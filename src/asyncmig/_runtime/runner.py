"""The anyio runner: every selected target at once, each isolated, each locked.

One task per target in one task group, bounded by a capacity limiter.  A
target's failure is recorded in its :class:`DatabaseReport` and leaves the
others running (unless ``fail_fast``, which cancels them: they stop at their
last committed step and report ``cancelled``).

Per target (online): lease an engine, connect once, take the migration lock,
then repeatedly begin a transaction, read the version rows inside it, and run
the next unit(s) of the plan with ``run_sync``, committing per step (or once
for all, with ``transaction_per_migration = false``).  If the rows read at
the start of a transaction are not the ones the last commit left -- another
runner got in between, which SQLite's per-transaction lock allows -- the
plan is made again from what is there, so no step ever runs twice.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from .._reports import DatabaseReport, RunReport, StepReport
from ..errors import AsyncmigError, CommandError, LockTimeout
from . import engines as _engines
from .locking import MigrationLock, lock_for
from .offline import render_offline
from .plan import Request, Unit, check_known, plan
from .scripts import ScriptCache
from .steps import (
    TargetSetup,
    begin_and_read,
    context_options,
    ensure_table,
    load_modules,
    run_online,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

    from .._config import Config, DatabaseConfig
    from .._script.revision import RevisionMap


@dataclass(frozen=True)
class Target:
    """What one task migrates: a database, or (multi-tenant) one schema of it."""

    database: DatabaseConfig
    schema: str | None = None

    def version_table(self, config: Config) -> tuple[str, str | None]:
        """The version table's name and schema for this target."""
        name = self.database.version_table or config.version_table
        if self.schema is not None:
            return name, self.schema
        schema = self.database.version_table_schema
        return name, schema if schema is not None else config.version_table_schema


def targets_for(config: Config, databases: Sequence[str] | None) -> list[Target]:
    """The targets of the selected databases (one each, for now)."""
    return [Target(database) for database in config.select(databases)]


@dataclass(frozen=True)
class RunOptions:
    """How to run: offline, borrowed engines, concurrency, locking."""

    sql: bool = False
    engines: Mapping[str, AsyncEngine] | None = None
    concurrency: int | None = None
    fail_fast: bool = False
    lock: bool | None = None  # None: the configuration's `lock`


async def run(
    config: Config, request: Request, databases: Sequence[str] | None, options: RunOptions
) -> RunReport:
    """Run `request` over every selected target and report per target."""
    if options.concurrency is not None and options.concurrency < 1:
        raise CommandError(f"concurrency must be 1 or more, not {options.concurrency}")
    targets = targets_for(config, databases)
    report = RunReport(request.command.replace("_", "-"), request.label)
    report.databases = [DatabaseReport(t.database.name, t.schema) for t in targets]
    runner = _Runner(config, request, options)
    limiter = anyio.CapacityLimiter(options.concurrency or max(1, len(targets)))
    async with anyio.create_task_group() as group:
        for target, db_report in zip(targets, report.databases, strict=True):
            group.start_soon(runner.guarded, target, db_report, limiter, group.cancel_scope)
    return report


class _Runner:
    def __init__(self, config: Config, request: Request, options: RunOptions) -> None:
        self.config = config
        self.request = request
        self.options = options
        self.scripts = ScriptCache(config)

    async def guarded(
        self,
        target: Target,
        report: DatabaseReport,
        limiter: anyio.CapacityLimiter,
        group_scope: anyio.CancelScope,
    ) -> None:
        """Run one target, turning its failure or cancellation into its report."""
        started = time.perf_counter()
        try:
            async with limiter:
                await self.target(target, report)
        except anyio.get_cancelled_exc_class():
            report.status = "cancelled"
            raise
        except AsyncmigError as exc:
            report.status = "failed"
            report.error = exc
            if self.options.fail_fast:
                group_scope.cancel()
        finally:
            report.elapsed_ms = (time.perf_counter() - started) * 1000

    async def target(self, target: Target, report: DatabaseReport) -> None:
        loaded, graph = await self.scripts.require_graph(target.database)
        table, schema = target.version_table(self.config)
        setup = TargetSetup(
            config=self.config,
            database=target.database.name,
            schema=target.schema,
            directory=loaded.directory,
            request=self.request,
            opts=context_options(self.config, table, schema),
        )
        if self.options.sql:
            await render_offline(setup, graph, target.database, report)
            return
        lease = await _engines.lease_engine(
            target.database, self.options.engines, loaded.env_module
        )
        try:
            conn = await _engines.connect(lease.engine, target.database)
            try:
                await self._locked(
                    lease.engine, conn, target=target, setup=setup, graph=graph, report=report
                )
            finally:
                with anyio.CancelScope(shield=True):
                    await _close(conn)
        finally:
            with anyio.CancelScope(shield=True):
                await lease.close()

    async def _locked(
        self,
        engine: AsyncEngine,
        conn: AsyncConnection,
        *,
        target: Target,
        setup: TargetSetup,
        graph: RevisionMap,
        report: DatabaseReport,
    ) -> None:
        name = conn.dialect.name
        session = _engines.session_for(name, self.config.lock_timeout)
        table, schema = target.version_table(self.config)
        lock = lock_for(
            name,
            enabled=self.config.lock if self.options.lock is None else self.options.lock,
            database=target.database.name,
            table=table,
            schema=schema,
            timeout=self.config.lock_timeout,
        )
        try:
            await conn.run_sync(_engines.attach, session)
            try:
                await lock.acquire(engine, session)
            except _engines.CONNECT_ERRORS as exc:
                url = engine.url.render_as_string(hide_password=False)
                raise _engines.unavailable(target.database, url, exc) from None
            await _Migration(self, conn, session, lock, setup, graph, report).run()
        except SQLAlchemyError as exc:
            raise _database_error(target.database, exc) from exc
        finally:
            await lock.release()


@dataclass
class _Migration:
    """One target's transactions, from the first read of its version rows to the last commit."""

    runner: _Runner
    conn: AsyncConnection
    session: _engines.Session
    lock: MigrationLock
    setup: TargetSetup
    graph: RevisionMap
    report: DatabaseReport

    @property
    def request(self) -> Request:
        return self.runner.request

    async def run(self) -> None:
        per_step = self.runner.config.transaction_per_migration
        expected: tuple[str, ...] | None = None
        units: list[Unit] = []
        while True:
            heads = await self._begin()
            if expected is None:
                self.report.before = self.report.after = heads
            if expected is None or heads != expected:
                units = await self._plan(heads)
            if not units:
                if self.request.command == "ensure_version":
                    await self.conn.run_sync(ensure_table, self.setup)
                await self.conn.commit()
                return
            batch = units[:1] if per_step else units
            done: list[StepReport] = []
            for unit in batch:
                done.append(await self._run(unit, heads))
                heads = unit.heads_after(heads)
            await self.conn.commit()
            self.report.steps.extend(done)
            self.report.after = expected = heads
            units = units[len(batch) :]

    async def _begin(self) -> tuple[str, ...]:
        try:
            return await self.conn.run_sync(begin_and_read, self.session, self.setup)
        except DBAPIError as exc:
            if self.lock.locked_out(exc):
                raise LockTimeout(self.setup.database, self.lock.timeout or 0.0) from exc
            raise

    async def _plan(self, heads: tuple[str, ...]) -> list[Unit]:
        if not (self.request.command == "stamp" and self.request.purge):
            check_known(
                self.graph,
                heads,
                database=self.setup.database,
                table=self.setup.context_table(),
                location=str(self.setup.directory.location),
            )
        units = plan(self.request, self.graph, heads)
        await anyio.to_thread.run_sync(load_modules, self.setup, units)
        return units

    async def _run(self, unit: Unit, heads: tuple[str, ...]) -> StepReport:
        started = time.perf_counter()
        try:
            await self.conn.run_sync(run_online, unit, self.setup)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await _rollback(self.conn)
            raise
        return step_report(self.setup, unit, (time.perf_counter() - started) * 1000)


def step_report(setup: TargetSetup, unit: Unit, elapsed_ms: float) -> StepReport:
    """The report line of one unit that ran (and, online, committed)."""
    return StepReport(
        database=setup.database,
        schema=setup.schema,
        revision=unit.revision,
        direction=unit.direction,
        from_revisions=unit.from_revisions,
        to_revisions=unit.to_revisions,
        message=unit.message,
        elapsed_ms=elapsed_ms,
    )


def _database_error(database: DatabaseConfig, exc: SQLAlchemyError) -> AsyncmigError:
    reason = " ".join(str(exc).split()) or type(exc).__name__
    return CommandError(f"database {database.name!r} ({database.masked_url}): {reason}")


async def _rollback(conn: AsyncConnection) -> None:
    try:
        await conn.rollback()
    except Exception:
        await conn.invalidate()


async def _close(conn: AsyncConnection) -> None:
    """Roll back anything open, undo the session's changes, return the connection."""
    try:
        if conn.in_transaction():
            await conn.rollback()
        await conn.run_sync(_engines.detach)
    except Exception:
        # A connection broken mid-step (or by cancellation) must not go back to the pool.
        await conn.invalidate()
    await conn.close()
