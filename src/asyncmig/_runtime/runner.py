"""The anyio runner: every selected target at once, each isolated, each locked.

One task per database in one task group; a database with tenant schemas
(a list, or a query run first) spawns one task per schema.  Targets run
bounded by ``--concurrency`` overall (default: all databases) and, for the
schemas of one database, by :data:`DEFAULT_SCHEMA_CONCURRENCY` unless
``--concurrency`` is given.  A target's failure is recorded in its
:class:`DatabaseReport` and leaves the others running (unless ``fail_fast``,
which cancels them: they stop at their last committed step and report
``cancelled``).  The schemas of one database share one engine.

Per target (online): connect once, take the migration lock, point the
connection at the tenant schema (if any), then repeatedly begin a
transaction, read the version rows inside it, and run the next unit(s) of
the plan with ``run_sync``, committing per step (or once for all, with
``transaction_per_migration = false``).  ``on_step`` hears of each step as
soon as it has committed.  The version rows are read once, after the lock is
taken; each later transaction starts from the rows the last commit left.
Where the lock ends with each transaction (SQLite), another runner may get
in between: a step that then fails (its table already there, or its version
row gone) makes the runner read the rows again, and if they moved, the plan
is made again from what is there instead of failing, so no step ever runs
twice.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, TypeVar

import anyio
import anyio.lowlevel
import anyio.to_thread
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from .._reports import DatabaseReport, RunReport, StepReport
from ..errors import AsyncmigError, CommandError, LockTimeout, MigrationFailed
from . import engines as _engines
from . import tenants as _tenants
from . import version_table as _vt
from .failures import in_schema, unexpected
from .locking import MigrationLock, lock_for
from .offline import render_offline
from .plan import Request, Unit, check_known, plan
from .scripts import Loaded, ScriptCache
from .steps import (
    ROLLED_BACK,
    TargetSetup,
    begin,
    begin_and_read,
    context_options,
    ensure_table,
    load_modules,
    run_online,
)
from .targets import (
    DEFAULT_SCHEMA_CONCURRENCY,
    Target,
    backend_name,
    is_tenanted,
    live_targets,
    static_targets,
    targets_for,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

    from .._config import Config, DatabaseConfig
    from .._script.revision import RevisionMap
    from .tenants import Tenancy

__all__ = ("DEFAULT_SCHEMA_CONCURRENCY", "RunOptions", "Target", "run", "targets_for")

OnStep = Callable[[StepReport], None]
T = TypeVar("T")

# Waiting for a lock that a begin found taken: the first pause, doubling up to the last.
_RETRY_FIRST = 0.01
_RETRY_MAX = 0.2

# Commands that may create a missing tenant schema (they write a version table).
_CREATING = frozenset({"upgrade", "stamp", "ensure_version"})


@dataclass(frozen=True)
class RunOptions:
    """How to run: offline, borrowed engines, concurrency, locking, live step reports."""

    sql: bool = False
    engines: Mapping[str, AsyncEngine] | None = None
    concurrency: int | None = None
    fail_fast: bool = False
    lock: bool | None = None  # None: the configuration's `lock`
    on_step: OnStep | None = None  # called on the event loop right after each step commits
    scripts: ScriptCache | None = None  # share loaded script directories with the caller


async def run(
    config: Config, request: Request, databases: Sequence[str] | None, options: RunOptions
) -> RunReport:
    """Run `request` over every selected target and report per target."""
    if options.concurrency is not None and options.concurrency < 1:
        raise CommandError(f"concurrency must be 1 or more, not {options.concurrency}")
    selected = config.select(databases)
    report = RunReport(request.command.replace("_", "-"), request.label)
    runner = _Runner(config, request, options)
    per_database: list[list[DatabaseReport]] = [[] for _ in selected]
    async with anyio.create_task_group() as group:
        runner.scope = group.cancel_scope
        for database, reports in zip(selected, per_database, strict=True):
            group.start_soon(runner.database, database, reports)
    report.databases = [db for reports in per_database for db in reports]
    return report


@dataclass(frozen=True)
class _Shared:
    """What the targets of one database share: scripts, graph, engine, tenancy."""

    loaded: Loaded
    graph: RevisionMap
    engine: AsyncEngine | None  # None offline
    tenancy: Tenancy | None
    limiter: anyio.CapacityLimiter


class _Runner:
    def __init__(self, config: Config, request: Request, options: RunOptions) -> None:
        self.config = config
        self.request = request
        self.options = options
        self.scripts = options.scripts or ScriptCache(config)
        self.limiter = anyio.CapacityLimiter(options.concurrency or math.inf)
        self.scope: anyio.CancelScope | None = None

    def _failed(self) -> None:
        if self.options.fail_fast and self.scope is not None:
            self.scope.cancel()

    async def database(self, database: DatabaseConfig, reports: list[DatabaseReport]) -> None:
        """Migrate one database's targets; a failure before any target ran is its report."""
        try:
            await self._database(database, reports)
        except anyio.get_cancelled_exc_class():
            if not reports:
                reports.append(DatabaseReport(database.name, status="cancelled"))
            raise
        except AsyncmigError as exc:
            reports.append(DatabaseReport(database.name, status="failed", error=exc))
            self._failed()
        except Exception as exc:  # anything else still ends as this database's one error
            error = unexpected(database.name, database.masked_url, exc)
            failed = [r for r in reports if r.status == "failed"]
            if not failed:
                reports.append(DatabaseReport(database.name, status="failed", error=error))
            self._failed()

    async def _database(self, database: DatabaseConfig, reports: list[DatabaseReport]) -> None:
        loaded, graph = await self.scripts.require_graph(database)
        tenanted = is_tenanted(database)
        width = (self.options.concurrency or DEFAULT_SCHEMA_CONCURRENCY) if tenanted else 1
        limiter = anyio.CapacityLimiter(width)
        if self.options.sql:
            if database.url:  # the dialect comes from it: it must parse
                _engines.check_url(database)
            targets = static_targets(database, backend_name(database))
            tenancy = _tenants.tenancy_for(backend_name(database)) if tenanted else None
            shared = _Shared(loaded, graph, None, tenancy, limiter)
            await self._targets(targets, reports, shared)
            return
        lease = await _engines.lease_engine(
            database,
            self.options.engines,
            loaded.env_module,
            connections=2 * width if tenanted else None,
        )
        try:
            targets, tenancy = await live_targets(database, lease.engine)
            if not targets:  # a schemas query that found none
                reports.append(DatabaseReport(database.name, status="skipped"))
                return
            room = None if lease.owned else _engines.capacity(lease.engine)
            if room is not None and room // 2 < width:
                # Each target holds two connections (steps, lock); more targets than the
                # pool can serve in full would each hold one and wait forever for the other.
                limiter = anyio.CapacityLimiter(max(1, room // 2))
            shared = _Shared(loaded, graph, lease.engine, tenancy, limiter)
            await self._targets(targets, reports, shared)
        finally:
            with anyio.CancelScope(shield=True):
                await lease.close()

    async def _targets(
        self, targets: Sequence[Target], reports: list[DatabaseReport], shared: _Shared
    ) -> None:
        async with anyio.create_task_group() as group:
            for target in targets:
                report = DatabaseReport(target.database.name, target.schema)
                reports.append(report)
                group.start_soon(self.guarded, target, report, shared)

    async def guarded(self, target: Target, report: DatabaseReport, shared: _Shared) -> None:
        """Run one target, turning its failure or cancellation into its report."""
        try:
            # The database's own limit first, so a waiting schema never holds a global slot.
            async with shared.limiter, self.limiter:
                started = time.perf_counter()
                try:
                    await self.target(target, report, shared)
                finally:
                    report.elapsed_ms = (time.perf_counter() - started) * 1000
        except anyio.get_cancelled_exc_class():
            report.status = "cancelled"
            raise
        except AsyncmigError as exc:
            report.status = "failed"
            report.error = in_schema(exc, target.schema)
            self._failed()
        except Exception as exc:  # not ours: still this target's one-line error
            report.status = "failed"
            report.error = unexpected(target.key, target.database.masked_url, exc)
            self._failed()

    async def target(self, target: Target, report: DatabaseReport, shared: _Shared) -> None:
        """Migrate one target (or render its SQL)."""
        table, schema = target.version_table(self.config)
        # Resolving the target metadata may import the user's models: not on the loop.
        opts = await anyio.to_thread.run_sync(
            partial(
                context_options,
                self.config,
                table,
                schema,
                database=target.database.name,
                env_module=shared.loaded.env_module,
            )
        )
        setup = TargetSetup(
            config=self.config,
            database=target.database.name,
            schema=target.schema,
            directory=shared.loaded.directory,
            request=self.request,
            opts=opts,
        )
        if shared.engine is None:
            await render_offline(setup, shared.graph, target.database, report)
            for step in report.steps:
                self._announce(step)
            return
        conn = await _engines.connect(shared.engine, target.database)
        try:
            await self._locked(
                shared.engine, conn, target=target, setup=setup, shared=shared, report=report
            )
        finally:
            with anyio.CancelScope(shield=True):
                await _close(conn)

    def _announce(self, step: StepReport) -> None:
        if self.options.on_step is not None:
            self.options.on_step(step)

    async def _locked(
        self,
        engine: AsyncEngine,
        conn: AsyncConnection,
        *,
        target: Target,
        setup: TargetSetup,
        shared: _Shared,
        report: DatabaseReport,
    ) -> None:
        name = conn.dialect.name
        shielded = name == "sqlite"
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
            await _call(shielded, conn.run_sync, _engines.attach, session)
            try:
                await lock.acquire(engine, session)
            except _engines.CONNECT_ERRORS as exc:
                url = engine.url.render_as_string(hide_password=False)
                raise _engines.unavailable(target.database, url, exc) from None
            if target.schema is not None and shared.tenancy is not None:
                create = self.request.command in _CREATING
                await conn.run_sync(_tenants.attach, shared.tenancy, target.schema, create)
            migration = _Migration(
                self, conn, session, lock, setup, shared.graph, report, shielded=shielded
            )
            await migration.run()
        except SQLAlchemyError as exc:
            raise _database_error(target, exc) from exc
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
    #: Await begins, commits and rollbacks shielded from cancellation, which then arrives
    #: right after: aiosqlite's worker thread cannot be interrupted, and SQLAlchemy's
    #: clean-up of a lock wait cancelled under it can leave a close waiting forever at
    #: loop shutdown.  A step itself stays cancellable (``--fail-fast``) and rolls back.
    shielded: bool = False

    @property
    def request(self) -> Request:
        return self.runner.request

    async def _db(self, fn: Callable[..., Awaitable[T]], *args: object) -> T:
        return await _call(self.shielded, fn, *args)

    async def run(self) -> None:
        heads = await self._begin()
        self.report.before = self.report.after = heads
        units = await self._plan(heads)
        if not units:
            if self.request.command == "ensure_version":
                await self._db(self.conn.run_sync, ensure_table, self.setup)
            await self._db(self.conn.commit)
            return
        per_step = self.runner.config.transaction_per_migration
        verified = True  # the open transaction read `heads` itself
        while units:
            batch = units[:1] if per_step else units
            try:
                done, after = await self._batch(batch, heads)
            except (AsyncmigError, SQLAlchemyError):
                if verified:
                    raise
                # The transaction trusted the rows our last commit left, and without a
                # lock spanning transactions another runner may have moved them since:
                # then its steps are not ours to repeat, and the plan is made again.
                current = await self._begin()
                if current == heads:
                    await self._db(_rollback, self.conn)
                    raise
                self.report.after = heads = current
                verified = True
                units = await self._plan(heads)
                if not units:
                    await self._db(self.conn.commit)
                    return
                continue
            await self._db(self.conn.commit)
            self.report.steps.extend(done)
            self.report.after = heads = after
            for step in done:
                self.runner._announce(step)
            units = units[len(batch) :]
            if units:
                await self._open(begin)
                verified = self.lock.spans_transactions

    async def _batch(
        self, batch: Sequence[Unit], heads: tuple[str, ...]
    ) -> tuple[list[StepReport], tuple[str, ...]]:
        done: list[StepReport] = []
        for unit in batch:
            try:
                done.append(await self._run(unit, heads))
            except MigrationFailed as exc:
                raise await self._truthful(exc, done) from exc.__cause__
            heads = unit.heads_after(heads)
        return done, heads

    async def _truthful(self, exc: MigrationFailed, done: Sequence[StepReport]) -> MigrationFailed:
        """The failure, saying what the rollback really undid."""
        if exc.outcome != ROLLED_BACK:
            # DDL committed as it ran: what the version table says now is the truth.
            try:
                now = await self._begin()
                await self._db(_rollback, self.conn)
            except (AsyncmigError, SQLAlchemyError):
                return exc
            self.report.after = now
            return exc.restated(f"{exc.outcome}; the version table says {_revs(now)}")
        if not done:
            return exc
        first, last = done[0].revision, done[-1].revision
        span = f"revision {first}" if first == last else f"revisions {first}..{last}"
        return exc.restated(
            f"its transaction was rolled back, and with it (transaction_per_migration = false) "
            f"{span} rolled back; the database is at {_revs(done[0].from_revisions)}"
        )

    async def _begin(self) -> tuple[str, ...]:
        """Begin a transaction and read the version rows in it."""
        return await self._open(begin_and_read)

    async def _open(self, start: Callable[[Connection, _engines.Session, TargetSetup], T]) -> T:
        """Begin the next transaction with `start`, waiting for the lock up to its timeout.

        SQLite waits for its write lock inside the driver, a busy timeout at a time
        (see :class:`~._engines.SQLiteSession`); between tries the wait is ours, and
        cancellable.
        """
        timeout = self.lock.timeout
        deadline = math.inf if timeout is None else anyio.current_time() + timeout
        delay = _RETRY_FIRST
        while True:
            try:
                return await self._db(self.conn.run_sync, start, self.session, self.setup)
            except DBAPIError as exc:
                if not self.lock.locked_out(exc):
                    raise
                await self._db(_rollback, self.conn)
                remaining = deadline - anyio.current_time()
                if remaining <= 0:
                    raise LockTimeout(self.setup.database, timeout or 0.0) from exc
            await anyio.sleep(min(delay, remaining))
            delay = min(delay * 2, _RETRY_MAX)

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


async def _call(shielded: bool, fn: Callable[..., Awaitable[T]], *args: object) -> T:
    """``await fn(*args)``, shielded from cancellation if asked (delivered right after)."""
    if not shielded:
        return await fn(*args)
    with anyio.CancelScope(shield=True):
        result = await fn(*args)
    await anyio.lowlevel.checkpoint_if_cancelled()
    return result


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


def _revs(revisions: Sequence[str]) -> str:
    return ", ".join(revisions) or "<base>"


def _database_error(target: Target, exc: SQLAlchemyError) -> AsyncmigError:
    reason = " ".join(str(exc).split()) or type(exc).__name__
    return CommandError(f"database {target.key!r} ({target.database.masked_url}): {reason}")


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
        await conn.run_sync(_detach)
    except Exception:
        # A connection broken mid-step (or by cancellation) must not go back to the pool.
        await conn.invalidate()
    await conn.close()


def _detach(connection: Connection) -> None:
    """Leave the tenant schema, then undo the session's changes (before the pool gets it)."""
    _vt.forget(connection)
    _tenants.detach(connection)
    _engines.detach(connection)
