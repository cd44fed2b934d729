"""``Migrator``: the database commands over one configuration, sharing scripts and engines.

The module-level commands (``asyncmig.upgrade`` and friends) each read the
script directory and open an engine per database, then dispose of it: right
for a deploy step, wasteful for an application that asks ``is_at_head`` on
every health check or waits for head while another process migrates.  A
:class:`Migrator` keeps both for its lifetime: the scripts are read once, on
first use, and each database gets one engine (the application's, borrowed,
else one made on first use and disposed by :meth:`Migrator.aclose`).  The
module-level commands are one-shot Migrators.

What the runtime is handed is always a mapping of engines it treats as
borrowed; a database whose engine could not be made here (no URL, a bad
driver, a broken env.py) is left to the runtime, which makes the same attempt
and reports the failure where it always has: in that database's report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING

from ._commands.autogen import check as _check
from ._commands.preload import runtime_imported
from ._config import Config
from ._docstrings import args_from
from ._reports import CheckReport, FleetSummary, RunReport, StepReport
from .errors import AsyncmigError, CommandError

if TYPE_CHECKING:
    from types import TracebackType

    import anyio
    from sqlalchemy.ext.asyncio import AsyncEngine

    from ._config import DatabaseConfig
    from ._runtime.script_cache import ScriptCache

__all__ = ("Migrator",)

Engines = Mapping[str, "AsyncEngine"]
OnStep = Callable[[StepReport], None]


class Migrator:
    """The database commands over one configuration, sharing scripts and engines across calls.

    Use it as ``async with asyncmig.Migrator(config) as migrator:``, or call
    :meth:`aclose` when done.  One Migrator belongs to one event loop (its
    engines do).  Several tasks may await its methods at once.  The script
    directory is read on first use and kept: scripts written after that are
    not seen (make a new Migrator to see them).

    Args:
        config: The loaded configuration (``asyncmig.Config.load()``).
        engines: The application's engines by database name.  Borrowed: used,
            never disposed.  A database without one gets an engine made on
            its first use (by env.py's ``engine(name, url)`` if it defines
            one) and kept until :meth:`aclose`.
        concurrency: How many targets migrate at once, 1 or more.  None (the
            default): every database at once, and up to 6 tenant schemas of
            one database.
        lock: Whether runs take the migration lock.  None (the default)
            follows the configuration's ``lock`` (itself true by default).
        on_step: Called with each :class:`~asyncmig.StepReport` as soon as
            that step has committed, on the event loop, while other databases
            may still be migrating.
    """

    def __init__(
        self,
        config: Config,
        *,
        engines: Engines | None = None,
        concurrency: int | None = None,
        lock: bool | None = None,
        on_step: OnStep | None = None,
    ) -> None:
        self.config = config
        self.concurrency = concurrency
        self.lock = lock
        self.on_step = on_step
        self._borrowed: dict[str, AsyncEngine] = dict(engines or {})
        self._created: dict[str, AsyncEngine] = {}
        # Made on first use: they need the runtime imported, and an event loop for their locks.
        self._scripts: ScriptCache | None = None
        self._creating: anyio.Lock | None = None
        self._closed = False

    def __repr__(self) -> str:
        source = self.config.path or self.config.here
        return f"<asyncmig.Migrator for {source}{' (closed)' if self._closed else ''}>"

    async def __aenter__(self) -> Migrator:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Dispose the engines this Migrator made (never a borrowed one); again: a no-op."""
        self._closed = True
        made, self._created = self._created, {}
        if not made:
            return
        import anyio

        with anyio.CancelScope(shield=True):  # a cancelled caller still releases its pools
            for engine in made.values():
                await engine.dispose()

    # -- running ----------------------------------------------------------------------------

    async def upgrade(
        self,
        revision: str = "head",
        *,
        sql: bool = False,
        databases: Sequence[str] | None = None,
        concurrency: int | None = None,
        fail_fast: bool = False,
        canary: int = 0,
        max_failures: int | None = None,
        lock: bool | None = None,
        tag: str | None = None,
        on_step: OnStep | None = None,
        raise_on_error: bool = True,
    ) -> RunReport:
        """Upgrade every selected database to a later revision (default: head).

        Args:
            revision: The target: ``head``, ``heads``, a revision id or a unique
                prefix of one, ``branch@head``, ``+2``; with `sql`, ``start:end``.
            sql: Render the SQL into each database's report instead of running it.
            databases: The database names to act on (default: all of them).
            concurrency: This run's `concurrency`; None: the Migrator's.
            fail_fast: On the first failure cancel the other targets, which
                stop at their last committed step and report ``cancelled``
                (with `max_failures`: at the failure that reaches it).
            canary: Migrate this many targets first, alone; if any of them
                fails, start no other (they report ``not-started``).
            max_failures: After this many failed targets start no new one
                (they report ``not-started``); the running ones finish.
                None: every target runs, whatever fails.
            lock: This run's `lock`; None: the Migrator's.
            tag: The ``--tag`` value scripts read with ``context.get_tag_argument()``.
            on_step: This run's `on_step`; None: the Migrator's.
            raise_on_error: Raise the first failed database's error (with the
                whole :class:`~asyncmig.RunReport` as its ``.report``); if false,
                return the report with the failures in it.
        """
        return await self._run(
            "upgrade",
            (revision,),
            sql=sql,
            databases=databases,
            concurrency=concurrency,
            fail_fast=fail_fast,
            canary=canary,
            max_failures=max_failures,
            lock=lock,
            tag=tag,
            on_step=on_step,
            raise_on_error=raise_on_error,
        )

    @args_from(upgrade)
    async def downgrade(
        self,
        revision: str,
        *,
        sql: bool = False,
        databases: Sequence[str] | None = None,
        concurrency: int | None = None,
        fail_fast: bool = False,
        canary: int = 0,
        max_failures: int | None = None,
        lock: bool | None = None,
        tag: str | None = None,
        on_step: OnStep | None = None,
        raise_on_error: bool = True,
    ) -> RunReport:
        """Revert every selected database to a previous revision (with `sql`, ``from:to``).

        The other options are :meth:`upgrade`'s.

        Args:
            revision: The target: ``base``, a revision id or prefix, ``-1``; with
                `sql`, a ``from:to`` range.
        """
        return await self._run(
            "downgrade",
            (revision,),
            sql=sql,
            databases=databases,
            concurrency=concurrency,
            fail_fast=fail_fast,
            canary=canary,
            max_failures=max_failures,
            lock=lock,
            tag=tag,
            on_step=on_step,
            raise_on_error=raise_on_error,
        )

    @args_from(upgrade)
    async def stamp(
        self,
        revisions: str | Sequence[str],
        *,
        sql: bool = False,
        purge: bool = False,
        databases: Sequence[str] | None = None,
        concurrency: int | None = None,
        fail_fast: bool = False,
        canary: int = 0,
        max_failures: int | None = None,
        lock: bool | None = None,
        tag: str | None = None,
        on_step: OnStep | None = None,
        raise_on_error: bool = True,
    ) -> RunReport:
        """Record revisions in the version table without running any migration.

        The other options are :meth:`upgrade`'s.

        Args:
            revisions: The revision (or several, one per branch) to record.
            purge: Empty the version table first, even of revisions the scripts
                do not know.
        """
        return await self._run(
            "stamp",
            (revisions,) if isinstance(revisions, str) else tuple(revisions),
            sql=sql,
            purge=purge,
            databases=databases,
            concurrency=concurrency,
            fail_fast=fail_fast,
            canary=canary,
            max_failures=max_failures,
            lock=lock,
            tag=tag,
            on_step=on_step,
            raise_on_error=raise_on_error,
        )

    @args_from(upgrade)
    async def ensure_version(
        self,
        *,
        sql: bool = False,
        databases: Sequence[str] | None = None,
        lock: bool | None = None,
        on_step: OnStep | None = None,
        raise_on_error: bool = True,
    ) -> RunReport:
        """Create the version table if it does not exist yet; the options are :meth:`upgrade`'s."""
        return await self._run(
            "ensure_version",
            (),
            sql=sql,
            databases=databases,
            lock=lock,
            on_step=on_step,
            raise_on_error=raise_on_error,
        )

    async def _run(
        self,
        command: str,
        revisions: Sequence[str],
        *,
        sql: bool,
        databases: Sequence[str] | None,
        concurrency: int | None = None,
        fail_fast: bool = False,
        canary: int = 0,
        max_failures: int | None = None,
        lock: bool | None = None,
        tag: str | None = None,
        purge: bool = False,
        on_step: OnStep | None,
        raise_on_error: bool,
    ) -> RunReport:
        await runtime_imported(self.config, databases)
        from ._runtime.requests import Request
        from ._runtime.runner import RunOptions, run

        # Offline runs connect to nothing: no engine is made for them.
        engines = self._borrowed if sql else await self._engines(databases)
        request = Request(command, tuple(revisions), purge=purge, tag=tag)  # type: ignore[arg-type]  # a known command
        options = RunOptions(
            sql=sql,
            engines=engines,
            concurrency=self.concurrency if concurrency is None else concurrency,
            fail_fast=fail_fast,
            canary=canary,
            max_failures=max_failures,
            lock=self.lock if lock is None else lock,
            on_step=self.on_step if on_step is None else on_step,
            scripts=self._script_cache(),
        )
        report = await run(self.config, request, databases, options)
        if raise_on_error:
            report.raise_for_errors()
        return report

    # -- reading ----------------------------------------------------------------------------

    async def current(
        self,
        *,
        databases: Sequence[str] | None = None,
        errors: MutableMapping[str, AsyncmigError] | None = None,
    ) -> dict[str, tuple[str, ...]]:
        """The current revision(s) of every selected database (reads only; takes no lock).

        Keys are database names, or ``database:schema`` for tenant schemas.

        Args:
            databases: The database names to read (default: all of them).
            errors: If given, each database that cannot be read puts its error
                here (keyed by database name) and the others are still returned;
                if not, the first such database raises.
        """
        await runtime_imported(self.config, databases)
        from ._runtime.reading import read_current

        engines = await self._engines(databases)
        return await read_current(
            self.config, databases, engines, scripts=self._script_cache(), failures=errors
        )

    async def fleet_summary(self, *, databases: Sequence[str] | None = None) -> FleetSummary:
        """How many targets are at each revision, and which failed last time and why (reads only).

        Tenant schemas are read all at once; each target's last failure is the
        row a failed run left beside its version table (where ``ledger`` is on).

        Args:
            databases: The database names to read (default: all of them).
        """
        await runtime_imported(self.config, databases)
        from ._runtime.fleet_status import read_summary

        engines = await self._engines(databases)
        return await read_summary(self.config, databases, engines, scripts=self._script_cache())

    async def is_at_head(self, *, databases: Sequence[str] | None = None) -> dict[str, bool]:
        """Whether each selected database is at its history's head(s) (reads only).

        Args:
            databases: The database names to read (default: all of them).
        """
        await runtime_imported(self.config, databases)
        from ._runtime.reading import read_current

        heads = await self._heads(databases)
        engines = await self._engines(databases)
        current = await read_current(self.config, databases, engines, scripts=self._script_cache())
        return {key: set(revs) == set(heads[_database_of(key)]) for key, revs in current.items()}

    async def wait_for_head(
        self,
        *,
        timeout: float,  # noqa: ASYNC109  # a polling deadline the error message reports
        interval: float = 0.5,
        databases: Sequence[str] | None = None,
    ) -> dict[str, tuple[str, ...]]:
        """Wait (reading only, no lock) until every selected database is at head.

        Every poll reads through the same engine per database.  Returns what
        :meth:`current` would; on timeout raises :class:`~asyncmig.errors.CommandError`
        naming each database still behind, its revision and its head.

        Args:
            timeout: Seconds to wait, 0 or more (0: check once); a negative
                one is a CommandError, never "forever".
            interval: Seconds between polls, more than 0.
            databases: The database names to wait for (default: all of them).
        """
        await runtime_imported(self.config, databases)
        import anyio

        from ._runtime.reading import read_current

        if not interval > 0:
            raise CommandError(f"interval must be positive, not {interval:g}")
        if not timeout >= 0:  # also NaN
            raise CommandError(
                f"timeout must be 0 (check once) or more seconds, not {timeout:g}; "
                "a negative wait is not 'forever'"
            )
        heads = await self._heads(databases)
        engines = await self._engines(databases)
        deadline = anyio.current_time() + timeout
        while True:
            current = await read_current(
                self.config, databases, engines, scripts=self._script_cache()
            )
            behind = {
                key: revs
                for key, revs in current.items()
                if set(revs) != set(heads[_database_of(key)])
            }
            if not behind:
                return current
            remaining = deadline - anyio.current_time()
            if remaining <= 0:
                detail = "; ".join(
                    f"{key} at {', '.join(revs) or '<base>'} "
                    f"(head {', '.join(heads[_database_of(key)])})"
                    for key, revs in behind.items()
                )
                raise CommandError(
                    f"gave up after {timeout:g}s waiting for head: {detail}; "
                    "run `asyncmig upgrade head` or wait for the runner that is migrating"
                )
            await anyio.sleep(min(interval, remaining))

    async def check(self, *, databases: Sequence[str] | None = None) -> CheckReport:
        """Check whether the models and the databases (at head) agree, as autogenerate would.

        Args:
            databases: The database names to compare (default: all of them).
        """
        await runtime_imported(self.config, databases)
        engines = await self._engines(databases)
        return await _check(self.config, databases=databases, engines=engines)

    # -- what the calls share ---------------------------------------------------------------

    def _script_cache(self) -> ScriptCache:
        if self._scripts is None:
            from ._runtime.script_cache import ScriptCache

            self._scripts = ScriptCache(self.config)
        return self._scripts

    async def _heads(self, databases: Sequence[str] | None) -> dict[str, tuple[str, ...]]:
        """The heads of each selected database's history, by database name."""
        scripts = self._script_cache()
        heads: dict[str, tuple[str, ...]] = {}
        for database in self.config.select(databases):
            _, graph = await scripts.require_graph(database)
            heads[database.name] = graph.heads
        return heads

    async def _engines(self, databases: Sequence[str] | None) -> Engines:
        """An engine for each selected database: borrowed, made earlier, or made now."""
        if self._closed:
            raise RuntimeError(
                "this Migrator is closed (aclose() or the end of its `async with`); make a new one"
            )
        try:
            selected = self.config.select(databases)
        except AsyncmigError:  # an unknown name: the command itself reports it
            return self._borrowed
        missing = [db for db in selected if db.name not in self._borrowed]
        if all(db.name in self._created for db in missing):
            return {**self._created, **self._borrowed}
        if self._creating is None:
            import anyio

            self._creating = anyio.Lock()
        async with self._creating:  # two first calls at once still make one engine each
            for database in missing:
                if database.name not in self._created:
                    await self._make_engine(database)
        return {**self._created, **self._borrowed}

    async def _make_engine(self, database: DatabaseConfig) -> None:
        from ._runtime.engines import lease_engine
        from ._runtime.runner import DEFAULT_SCHEMA_CONCURRENCY

        tenanted = database.schemas is not None or database.schemas_query is not None
        width = self.concurrency or DEFAULT_SCHEMA_CONCURRENCY
        try:
            loaded, _ = await self._script_cache().require_graph(database)
            # Sized as the runner sizes its own: two connections per tenant schema at once.
            lease = await lease_engine(
                database, None, loaded.env_module, connections=2 * width if tenanted else None
            )
        except Exception:
            # Not ours to report: the command makes the same attempt and reports it
            # where it always has (this database's report, or the error raised).
            return
        self._created[database.name] = lease.engine


def _database_of(key: str) -> str:
    """The database name in a ``database`` or ``database:schema`` key (names have no ':')."""
    return key.split(":", 1)[0]
