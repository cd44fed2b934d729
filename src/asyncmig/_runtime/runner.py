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

Several runners (processes, pods) may run the same fleet at once, with no
coordinator: where the dialect's lock can be tried without waiting (a lock
on a connection of its own), a runner that finds a target's lock held puts
the target back in the queue, migrates others, and comes back to it; the
target then reads as done by another runner.  Tenant schemas already where
the run asks them to go are found in one read of every tenant's version
table (:mod:`.tenant_versions`) and never connected to one by one.  The
canary and the failure policy decide which targets start (:mod:`.fleet`).
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

import anyio
import anyio.to_thread
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from .._dialects import backend_for
from .._dialects.generic import POLL_FIRST, POLL_MAX
from .._reports import DatabaseReport, RunReport, StepReport
from .._script.revision import Step
from ..errors import AsyncmigError, CommandError, LockTimeout, MigrationFailed
from . import engines as _engines
from . import journal, last_failure, ledger
from .connection import TargetConnection, database_error, leased_engine, open_target
from .failures import in_schema, unexpected
from .fleet import FailurePolicy, Gate, Ticket
from .lock_safety import LockWait, announce_retry, backoff, gave_up, step_settings
from .offline import render_offline
from .requests import Request, check_known, plan
from .script_cache import Loaded, ScriptCache
from .steps import (
    ROLLED_BACK,
    TargetSetup,
    begin,
    context_options,
    ensure_table,
    load_modules,
    run_online,
    step_report,
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
from .tenant_versions import tenant_heads

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncEngine

    from .._config import Config, DatabaseConfig
    from .._dialects.generic import MigrationLock, Tenancy
    from .._script.revision import RevisionMap

__all__ = ("DEFAULT_SCHEMA_CONCURRENCY", "RunOptions", "Target", "run", "targets_for")

OnStep = Callable[[StepReport], None]

# Waiting for SQLite's write lock a begin found taken: the first pause, doubling up to the last.
_RETRY_FIRST = 0.01
_RETRY_MAX = 0.2

# Commands that may create a missing tenant schema (they write a version table).
_CREATING = frozenset({"upgrade", "stamp", "ensure_version"})
# Commands whose tenants at the asked revision are skipped after one read of them all.
_SKIPPING = frozenset({"upgrade", "downgrade"})
# What `_Runner.target` returns when another runner holds the target's lock.
_BUSY = True

log = logging.getLogger("asyncmig.runtime")


@dataclass(frozen=True)
class RunOptions:
    """How to run: offline, borrowed engines, concurrency, locking, live step reports."""

    sql: bool = False
    engines: Mapping[str, AsyncEngine] | None = None
    concurrency: int | None = None
    fail_fast: bool = False
    canary: int = 0  # the first N targets run alone; a failure among them stops the run
    max_failures: int | None = None  # no new target starts after this many failures
    lock: bool | None = None  # None: the configuration's `lock`
    on_step: OnStep | None = None  # called on the event loop right after each step commits
    scripts: ScriptCache | None = None  # share loaded script directories with the caller


async def run(
    config: Config, request: Request, databases: Sequence[str] | None, options: RunOptions
) -> RunReport:
    """Run `request` over every selected target and report per target."""
    if options.concurrency is not None and options.concurrency < 1:
        raise CommandError(f"concurrency must be 1 or more, not {options.concurrency}")
    policy = FailurePolicy(options.canary, options.max_failures, options.fail_fast)
    selected = config.select(databases)
    report = RunReport(request.command.replace("_", "-"), request.label)
    runner = _Runner(config, request, options, Gate(policy))
    per_database: list[list[DatabaseReport]] = [[] for _ in selected]
    async with anyio.create_task_group() as group:
        runner.gate.scope = group.cancel_scope
        for database, reports in zip(selected, per_database, strict=True):
            group.start_soon(runner.database, database, reports)
    report.databases = [db for reports in per_database for db in reports]
    report.stopped = runner.gate.stopped
    return report


@dataclass(eq=False)
class _Pending:
    """A target in its database's queue, with what its earlier tries found."""

    target: Target
    report: DatabaseReport
    behind: bool  # the fleet's read found it behind: arriving there later was another runner
    ticket: Ticket | None = None  # let in by the gate (kept while it waits for a lock)
    busy_since: float | None = None  # first found held by another runner (monotonic)
    busy_at: float = -math.inf  # last found held (monotonic)
    retry_at: float = 0.0  # monotonic
    delay: float = POLL_FIRST  # the pause before its next try, doubling up to POLL_MAX


@dataclass(eq=False)
class _Reread:
    """The tenants found held by another runner, read again at once before their next try."""

    lock: anyio.Lock = field(default_factory=anyio.Lock)
    at: float = -math.inf  # when the last read began (monotonic)
    heads: dict[str, tuple[str, ...]] = field(default_factory=dict)
    spread: bool = False  # the queue was rotated to a random start (see _Runner._spread)


@dataclass(frozen=True)
class _Shared:
    """What the targets of one database share: scripts, graph, engine, tenancy."""

    loaded: Loaded
    graph: RevisionMap
    engine: AsyncEngine | None  # None offline
    tenancy: Tenancy | None
    limiter: anyio.CapacityLimiter
    reread: _Reread = field(default_factory=_Reread)


class _Runner:
    def __init__(self, config: Config, request: Request, options: RunOptions, gate: Gate) -> None:
        self.config = config
        self.request = request
        self.options = options
        self.gate = gate
        self.scripts = options.scripts or ScriptCache(config)
        self.limiter = anyio.CapacityLimiter(options.concurrency or math.inf)
        self.lock = config.lock if options.lock is None else options.lock

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
            self.gate.failed_outside()
        except Exception as exc:  # anything else still ends as this database's one error
            error = unexpected(database.name, database.masked_url, exc)
            failed = [r for r in reports if r.status == "failed"]
            if not failed:
                reports.append(DatabaseReport(database.name, status="failed", error=error))
            self.gate.failed_outside()

    async def _database(self, database: DatabaseConfig, reports: list[DatabaseReport]) -> None:
        loaded, graph = await self.scripts.require_graph(database)
        tenanted = is_tenanted(database)
        width = (self.options.concurrency or DEFAULT_SCHEMA_CONCURRENCY) if tenanted else 1
        limiter = anyio.CapacityLimiter(width)
        if self.options.sql:
            if database.url:  # the dialect comes from it: it must parse
                _engines.check_url(database)
            targets = static_targets(database, backend_name(database))
            tenancy = (
                backend_for(backend_name(database)).tenancy(backend_name(database))
                if tenanted
                else None
            )
            shared = _Shared(loaded, graph, None, tenancy, limiter)
            await self._targets(targets, reports, shared)
            return
        async with leased_engine(
            database,
            self.options.engines,
            loaded.env_module,
            connections=2 * width if tenanted else None,
        ) as lease:
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

    async def _targets(
        self, targets: Sequence[Target], reports: list[DatabaseReport], shared: _Shared
    ) -> None:
        """Run the targets from one queue, as many at once as the database's limit allows.

        A target whose lock another runner holds goes to the back of the queue, so
        it is tried again once every other target had its turn.
        """
        known = await self._read_fleet(targets, shared)
        queue: deque[_Pending] = deque()
        for target in targets:
            report = DatabaseReport(target.database.name, target.schema)
            reports.append(report)
            heads = known.get(target.schema) if target.schema is not None else None
            if heads is not None and self._arrived(shared.graph, heads):
                report.before = report.after = heads
                continue
            report.status = "not-started"  # until it does
            queue.append(_Pending(target, report, behind=heads is not None))
        workers = int(min(shared.limiter.total_tokens, len(queue)))
        async with anyio.create_task_group() as group:
            for _ in range(workers):
                group.start_soon(self._work, queue, shared)

    async def _work(self, queue: deque[_Pending], shared: _Shared) -> None:
        while queue:
            item = queue.popleft()
            while True:
                wait = item.retry_at - time.monotonic()
                if wait > 0:
                    await anyio.sleep(wait)
                if item.busy_since is not None and await self._done_meanwhile(item, queue, shared):
                    break
                if not await self.guarded(item, shared):
                    break
                if not (item.ticket and item.ticket.canary):
                    # A canary keeps its worker: the others may all be waiting for it.
                    self._spread(queue, shared)
                    queue.append(item)
                    break

    async def _read_fleet(
        self, targets: Sequence[Target], shared: _Shared
    ) -> dict[str, tuple[str, ...]]:
        """Every tenant's version rows in one read, where that can skip tenants ({}: not read)."""
        if shared.engine is None or shared.tenancy is None or len(targets) < 2:
            return {}
        if self.request.command not in _SKIPPING:
            return {}
        database = targets[0].database
        name, _ = targets[0].version_table(self.config)
        schemas = [target.schema for target in targets if target.schema is not None]
        found = await tenant_heads(shared.engine, database, name, schemas)
        return found or {}

    @staticmethod
    def _spread(queue: deque[_Pending], shared: _Shared) -> None:
        """On the first target found held, go on from a random place in the queue, once.

        Runners started together walk the same queue from its start, and would
        keep finding each other's targets held; from random places they rarely do.
        A runner alone never gets here, and keeps the configuration's order.
        """
        if shared.reread.spread or len(queue) < 2:
            return
        shared.reread.spread = True
        queue.rotate(random.randrange(len(queue)))  # spreading work, not a secret

    async def _done_meanwhile(
        self, item: _Pending, queue: deque[_Pending], shared: _Shared
    ) -> bool:
        """Whether another runner finished `item` since it was found held (then it is done).

        The tenants waiting for another runner are read again all at once, so that
        coming back to each of them costs no lock and no connection of its own.
        """
        schema = item.target.schema
        if schema is None or shared.engine is None or shared.tenancy is None:
            return False
        if self.request.command not in _SKIPPING:
            return False
        reread = shared.reread
        async with reread.lock:
            if reread.at < item.busy_at or schema not in reread.heads:
                waiting = [schema] + [
                    other.target.schema
                    for other in queue
                    if other.busy_since is not None and other.target.schema is not None
                ]
                began = time.monotonic()
                name, _ = item.target.version_table(self.config)
                found = await tenant_heads(shared.engine, item.target.database, name, waiting)
                if found is None:
                    return False
                reread.at = began
                reread.heads.update(found)
        heads = reread.heads[schema]
        if not self._arrived(shared.graph, heads):
            return False
        report = item.report
        report.before = report.after = heads
        report.status = "ok"
        report.done_by_other = True
        self._finished(item, failed=False)
        return True

    def _arrived(self, graph: RevisionMap, heads: tuple[str, ...]) -> bool:
        """Whether a target at `heads` has nothing to do (a surprise there is not skipped)."""
        if not all(head in graph for head in heads):
            return False
        try:
            return not plan(self.request, graph, heads)
        except AsyncmigError:
            return False

    async def guarded(self, item: _Pending, shared: _Shared) -> bool:
        """Run one target when the gate lets it, turning its outcome into its report.

        True: another runner holds its lock (nothing ran); it is to be tried again
        at ``item.retry_at``, unless ``lock_timeout`` has passed since it was first
        found held.  If it is then where it should be, that other runner did it
        (as it did where the fleet's read found it behind).
        """
        target, report = item.target, item.report
        try:
            if item.ticket is None:
                item.ticket = await self.gate.admit()
                if item.ticket is None:
                    return False
            # The database's own limit first, so a waiting schema never holds a global slot.
            async with shared.limiter, self.limiter:
                if self.gate.stopped is not None:
                    self._finished(item, failed=False)
                    return False
                report.status = "ok"
                began = time.perf_counter()
                try:
                    outcome = await self.target(target, report, shared)
                finally:
                    report.elapsed_ms += (time.perf_counter() - began) * 1000
            if outcome is _BUSY:
                report.status = "not-started"
                now = time.monotonic()
                item.busy_since = now if item.busy_since is None else item.busy_since
                item.busy_at = now
                timeout = self.config.lock_timeout
                if timeout is not None and now - item.busy_since >= timeout:
                    raise LockTimeout(target.key, timeout)
                item.retry_at = now + item.delay
                item.delay = min(item.delay * 2, POLL_MAX)
                return True
            if (item.behind or item.busy_since is not None) and not report.steps:
                report.done_by_other = not self.options.sql
            self._finished(item, failed=False)
        except anyio.get_cancelled_exc_class():
            if report.status == "ok":
                report.status = "cancelled"
            raise
        except AsyncmigError as exc:
            report.status = "failed"
            report.error = in_schema(exc, target.schema)
            self._finished(item, failed=True)
        except Exception as exc:  # not ours: still this target's one-line error
            report.status = "failed"
            report.error = unexpected(target.key, target.database.masked_url, exc)
            self._finished(item, failed=True)
        return False

    def _finished(self, item: _Pending, *, failed: bool) -> None:
        ticket, item.ticket = item.ticket, None
        if ticket is not None:
            self.gate.finished(ticket, failed=failed)

    async def target(self, target: Target, report: DatabaseReport, shared: _Shared) -> bool:
        """Migrate one target (or render its SQL); True (_BUSY): another runner holds its lock."""
        table, schema = target.version_table(self.config)
        # The lock first: a target another runner holds costs one statement, nothing more.
        held = None if shared.engine is None else await self._try_lock(shared.engine, target)
        if held is False:
            return _BUSY
        try:
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
                return not _BUSY
            async with open_target(
                shared.engine,
                target,
                self.config,
                lock=self.lock and held is None,
                tenancy=shared.tenancy,
                create_schema=self.request.command in _CREATING,
            ) as tc:
                await self._migrate(tc, setup, shared, report)
        finally:
            if held is not None:
                await held.release()
        return not _BUSY

    async def _try_lock(
        self, engine: AsyncEngine, target: Target
    ) -> MigrationLock | Literal[False] | None:
        """The target's lock, taken without waiting where the dialect can try it.

        False: another runner holds it.  None: not tried (no lock, or one that
        :func:`open_target` takes by waiting, as SQLite's write lock).
        """
        backend = backend_for(engine.dialect)
        if not (self.lock and backend.lock.can_try):
            return None
        table, schema = target.version_table(self.config)
        lock = backend.lock(target.database.name, table, schema, self.config.lock_timeout)
        try:
            taken = await lock.try_acquire(engine)
        except _engines.CONNECT_ERRORS as exc:
            url = engine.url.render_as_string(hide_password=False)
            raise _engines.unavailable(target.database, url, exc) from None
        except SQLAlchemyError as exc:
            raise database_error(target.key, target.database.masked_url, exc) from exc
        return lock if taken else False

    async def _migrate(
        self, tc: TargetConnection, setup: TargetSetup, shared: _Shared, report: DatabaseReport
    ) -> None:
        """Run the migration; keep its failure in the target (or forget the last one)."""
        try:
            await _Migration(self, tc, setup, shared.graph, report).run()
        except MigrationFailed as exc:
            # Only a tenant's step that ran and failed: bad input (an unknown revision, an
            # edited script), and any failure on a plain database, leave the schema as it was.
            if self.config.ledger and tc.target.schema is not None:
                await self._keep_failure(tc, exc.revision, str(in_schema(exc, tc.target.schema)))
            raise
        if self.config.ledger and report.steps and tc.target.schema is not None:
            await self._keep_failure(tc, None, None)

    async def _keep_failure(
        self, tc: TargetConnection, revision: str | None, message: str | None
    ) -> None:
        """Record the target's failure (`message`), or clear the last one (None); best-effort."""
        table = last_failure.failure_table(*tc.target.version_table(self.config))
        with anyio.CancelScope(shield=True):
            try:
                if message is None:
                    await tc.conn.run_sync(_committed, tc, last_failure.clear, table)
                else:
                    failure = {
                        "command": self.request.command.replace("_", "-"),
                        "revision": revision,
                        "error": message,
                    }
                    await tc.conn.run_sync(_committed, tc, last_failure.record, table, failure)
            except Exception:
                log.warning(
                    "database %r: its last failure could not be %s",
                    tc.target.key,
                    "cleared" if message is None else "recorded",
                    exc_info=True,
                )
                await tc.rollback()

    def _announce(self, step: StepReport) -> None:
        if self.options.on_step is not None:
            self.options.on_step(step)


@dataclass
class _Migration:
    """One target's transactions, from the first read of its version rows to the last commit."""

    runner: _Runner
    tc: TargetConnection
    setup: TargetSetup
    graph: RevisionMap
    report: DatabaseReport

    async def run(self) -> None:
        """Plan from the version rows, then run and commit step by step (or all at once).

        Where the lock ends with each transaction (SQLite), the rows read for the
        plan may move between two of them: a step that then fails makes the plan
        be made again from what is there, so no step ever runs twice.
        """
        heads = await self._begin(read=True)
        self.report.before = self.report.after = heads
        await journal.check(self.tc, self.setup)  # a step that stopped part-way: repair first
        await ledger.verify(self.tc, self.setup, self.graph, heads)  # validate_on_migrate
        steps = await self._plan(heads)
        if not steps and self.runner.request.command == "ensure_version":
            await self.tc.call(self.tc.conn.run_sync, ensure_table, self.tc, self.setup)
        per_step = self.runner.config.transaction_per_migration
        verified = True  # this transaction read `heads` itself
        while steps:
            batch = steps[:1] if per_step else steps
            try:
                done = await self._run_batch(batch)
            except (AsyncmigError, SQLAlchemyError):
                moved = None if verified else await self._moved(heads)
                if moved is None:
                    raise
                self.report.after = heads = moved
                steps = await self._plan(heads)
                verified = True
                continue
            await self.tc.call(self.tc.conn.commit)
            for step, step_report_ in done:
                self.report.after = heads = step.heads_after(heads)
                self.report.steps.append(step_report_)
                self.runner._announce(step_report_)
            steps = steps[len(batch) :]
            if steps:
                await self._begin(read=False)
                verified = self.tc.lock.spans_transactions
        await self.tc.call(self.tc.conn.commit)

    async def _run_batch(self, batch: Sequence[Step]) -> list[tuple[Step, StepReport]]:
        """Run `batch` in the open transaction, and again in a new one after a lock wait ran
        out where nothing of it can have stayed committed (see :mod:`.lock_safety`)."""
        tries = 1
        while True:
            try:
                return await self._try_batch(batch)
            except LockWait as wait:
                if not wait.clean or tries > wait.settings.retries:
                    exc = await self._truthful(wait.error, wait.done)
                    restated = exc.restated(f"{exc.outcome}; {gave_up(wait, tries)}")
                    raise restated from wait.error.__cause__
                delay = backoff(tries - 1)
                announce_retry(wait, tries, delay)
                await anyio.sleep(delay)
                tries += 1
                await self._begin(read=False)

    async def _try_batch(self, batch: Sequence[Step]) -> list[tuple[Step, StepReport]]:
        """Run `batch` in the open transaction; a failure says what its rollback undid."""
        done: list[tuple[Step, StepReport]] = []
        commits = self.tc.session.commits
        for step in batch:
            started = time.perf_counter()
            before = self.tc.session.commits
            try:
                await self.tc.conn.run_sync(run_online, self.tc, self.setup, step)
            except MigrationFailed as exc:
                with anyio.CancelScope(shield=True):
                    await self.tc.rollback()
                    await ledger.record_failure(self.tc, self.setup, step, started)
                    if self.setup.config.ledger:
                        exc = await journal.after_failure(
                            self.tc, step, exc, before, rolled_back=exc.outcome == ROLLED_BACK
                        )
                settings = step_settings(self.setup.config, step)
                if settings.lock_timeout is not None and self.tc.session.lock_timed_out(exc.cause):
                    clean = self.tc.session.commits == commits and (
                        exc.outcome == ROLLED_BACK or not (done or exc.statements)
                    )
                    waited = self.tc.session.applied_lock_timeout(settings.lock_timeout)
                    done_steps = [s for s, _ in done]
                    wait = LockWait(exc, done_steps, settings, clean=clean, waited=waited)
                    raise wait from exc.__cause__
                raise await self._truthful(exc, [s for s, _ in done]) from exc.__cause__
            except BaseException as exc:
                with anyio.CancelScope(shield=True):
                    await self.tc.rollback()
                    await ledger.record_failure(self.tc, self.setup, step, started, exc)
                raise
            elapsed = (time.perf_counter() - started) * 1000
            done.append((step, step_report(self.setup, step, elapsed)))
        return done

    async def _moved(self, heads: tuple[str, ...]) -> tuple[str, ...] | None:
        """The version rows, if another runner moved them from `heads` since our last commit.

        Called after a failure in a transaction that trusted that commit: then the
        other runner's steps are not ours to repeat.  None (rolled back): they did not move.
        """
        current = await self._begin(read=True)
        if current != heads:
            return current
        await self.tc.call(self.tc.rollback)
        return None

    async def _truthful(self, exc: MigrationFailed, done: Sequence[Step]) -> MigrationFailed:
        """The failure, saying what the rollback really undid."""
        if exc.outcome != ROLLED_BACK:
            # DDL committed as it ran: what the version table says now is the truth.
            try:
                now = await self._begin(read=True)
                await self.tc.call(self.tc.rollback)
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

    async def _begin(self, *, read: bool) -> tuple[str, ...]:
        """Begin the next transaction (reading the version rows if asked).

        SQLite waits for its write lock inside the driver, a busy timeout at a
        time; between tries the wait is ours, and cancellable, up to ``lock_timeout``.
        """
        tc = self.tc

        async def attempt() -> tuple[str, ...] | DBAPIError:
            # shielded without a checkpoint after: a begin that got the lock is kept
            outcome: tuple[str, ...] | DBAPIError
            with anyio.CancelScope(shield=tc.shielded):
                try:
                    outcome = await tc.conn.run_sync(begin, tc, self.setup, read)
                except DBAPIError as exc:
                    if not tc.session.locked_out(exc):
                        raise
                    await tc.rollback()
                    outcome = exc
            return outcome

        result = await attempt()
        delay = _RETRY_FIRST
        with anyio.move_on_after(tc.lock.timeout):
            while isinstance(result, DBAPIError):
                await anyio.sleep(delay)
                delay = min(delay * 2, _RETRY_MAX)
                result = await attempt()
        if isinstance(result, DBAPIError):
            raise LockTimeout(self.setup.database, tc.lock.timeout or 0.0) from result
        return result

    async def _plan(self, heads: tuple[str, ...]) -> list[Step]:
        request = self.runner.request
        if not (request.command == "stamp" and request.purge):
            check_known(
                self.graph,
                heads,
                database=self.setup.database,
                table=self.setup.context_table(),
                location=str(self.setup.directory.location),
            )
        steps = plan(request, self.graph, heads)
        await anyio.to_thread.run_sync(load_modules, self.setup, steps)
        await ledger.prepare(self.setup, steps)  # the ledger's checksums, off the loop
        return steps


def _committed(
    connection: Connection, tc: TargetConnection, fn: Callable[..., None], *args: Any
) -> None:
    """``fn(connection, *args)`` in a transaction of its own, committed."""
    if connection.in_transaction():
        connection.rollback()
    tc.session.begin(connection)
    fn(connection, *args)
    connection.commit()


def _revs(revisions: Sequence[str]) -> str:
    return ", ".join(revisions) or "<base>"
