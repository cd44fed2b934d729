"""Commands that act on databases: upgrade, downgrade, stamp, current, ensure-version.

``fleet_summary`` is ``current --summary``: how many targets at each revision,
and which failed last time and why.

Each is an ``async def`` that returns data and prints nothing, and can be
awaited from inside a running event loop (an application's lifespan, say).
Each is a one-shot :class:`~asyncmig.Migrator`: it reads the scripts, makes
the engines it needs, and disposes of them before returning.  An application
that calls them repeatedly keeps one Migrator instead.

Failures are raised (the first failed database's error, with the whole
:class:`RunReport` attached as ``.report``) unless ``raise_on_error=False``,
in which case the report carries them.  ``on_step`` is called with each
:class:`StepReport` as soon as that step has committed (on the event loop,
while other databases are still migrating); the returned report holds the
same steps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING

from .._config import Config
from .._docstrings import args_from
from .._migrator import Migrator
from .._reports import FleetSummary, RunReport, StepReport

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from ..errors import AsyncmigError

__all__ = (
    "current",
    "downgrade",
    "ensure_version",
    "fleet_summary",
    "is_at_head",
    "stamp",
    "upgrade",
    "wait_for_head",
)

Engines = Mapping[str, "AsyncEngine"]
OnStep = Callable[[StepReport], None]


@args_from(Migrator, Migrator.upgrade)
async def upgrade(
    config: Config,
    revision: str = "head",
    *,
    sql: bool = False,
    databases: Sequence[str] | None = None,
    engines: Engines | None = None,
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

    As :meth:`asyncmig.Migrator.upgrade`, for one call: `engines`, `concurrency`,
    `lock` and `on_step` are the Migrator's options (see :class:`asyncmig.Migrator`).
    """
    async with Migrator(
        config, engines=engines, concurrency=concurrency, lock=lock, on_step=on_step
    ) as migrator:
        return await migrator.upgrade(
            revision,
            sql=sql,
            databases=databases,
            fail_fast=fail_fast,
            canary=canary,
            max_failures=max_failures,
            tag=tag,
            raise_on_error=raise_on_error,
        )


@args_from(Migrator, Migrator.downgrade)
async def downgrade(
    config: Config,
    revision: str,
    *,
    sql: bool = False,
    databases: Sequence[str] | None = None,
    engines: Engines | None = None,
    concurrency: int | None = None,
    fail_fast: bool = False,
    canary: int = 0,
    max_failures: int | None = None,
    lock: bool | None = None,
    tag: str | None = None,
    on_step: OnStep | None = None,
    raise_on_error: bool = True,
) -> RunReport:
    """Revert every selected database to a previous revision (--sql needs `from:to`).

    As :meth:`asyncmig.Migrator.downgrade`, for one call: `engines`, `concurrency`,
    `lock` and `on_step` are the Migrator's options (see :class:`asyncmig.Migrator`).
    """
    async with Migrator(
        config, engines=engines, concurrency=concurrency, lock=lock, on_step=on_step
    ) as migrator:
        return await migrator.downgrade(
            revision,
            sql=sql,
            databases=databases,
            fail_fast=fail_fast,
            canary=canary,
            max_failures=max_failures,
            tag=tag,
            raise_on_error=raise_on_error,
        )


@args_from(Migrator, Migrator.stamp)
async def stamp(
    config: Config,
    revisions: str | Sequence[str],
    *,
    sql: bool = False,
    purge: bool = False,
    databases: Sequence[str] | None = None,
    engines: Engines | None = None,
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

    As :meth:`asyncmig.Migrator.stamp`, for one call: `engines`, `concurrency`,
    `lock` and `on_step` are the Migrator's options (see :class:`asyncmig.Migrator`).
    """
    async with Migrator(
        config, engines=engines, concurrency=concurrency, lock=lock, on_step=on_step
    ) as migrator:
        return await migrator.stamp(
            revisions,
            sql=sql,
            purge=purge,
            databases=databases,
            fail_fast=fail_fast,
            canary=canary,
            max_failures=max_failures,
            tag=tag,
            raise_on_error=raise_on_error,
        )


@args_from(Migrator, Migrator.ensure_version)
async def ensure_version(
    config: Config,
    *,
    sql: bool = False,
    databases: Sequence[str] | None = None,
    engines: Engines | None = None,
    lock: bool | None = None,
    on_step: OnStep | None = None,
    raise_on_error: bool = True,
) -> RunReport:
    """Create the version table if it does not exist yet.

    As :meth:`asyncmig.Migrator.ensure_version`, for one call: `engines`, `lock` and
    `on_step` are the Migrator's options (see :class:`asyncmig.Migrator`).
    """
    async with Migrator(config, engines=engines, lock=lock, on_step=on_step) as migrator:
        return await migrator.ensure_version(
            sql=sql, databases=databases, raise_on_error=raise_on_error
        )


@args_from(Migrator, Migrator.current)
async def current(
    config: Config,
    *,
    databases: Sequence[str] | None = None,
    engines: Engines | None = None,
    errors: MutableMapping[str, AsyncmigError] | None = None,
) -> dict[str, tuple[str, ...]]:
    """The current revision(s) of every selected database (reads only; takes no lock).

    As :meth:`asyncmig.Migrator.current`, for one call: `engines` is the
    Migrator's option (see :class:`asyncmig.Migrator`).
    """
    async with Migrator(config, engines=engines) as migrator:
        return await migrator.current(databases=databases, errors=errors)


@args_from(Migrator, Migrator.fleet_summary)
async def fleet_summary(
    config: Config,
    *,
    databases: Sequence[str] | None = None,
    engines: Engines | None = None,
) -> FleetSummary:
    """How many targets are at each revision, and which failed last time and why (reads only).

    As :meth:`asyncmig.Migrator.fleet_summary`, for one call: `engines` is the
    Migrator's option (see :class:`asyncmig.Migrator`).
    """
    async with Migrator(config, engines=engines) as migrator:
        return await migrator.fleet_summary(databases=databases)


@args_from(Migrator, Migrator.is_at_head)
async def is_at_head(
    config: Config,
    *,
    databases: Sequence[str] | None = None,
    engines: Engines | None = None,
) -> dict[str, bool]:
    """Whether each selected database is at its history's head(s) (reads only).

    As :meth:`asyncmig.Migrator.is_at_head`, for one call: `engines` is the
    Migrator's option (see :class:`asyncmig.Migrator`).
    """
    async with Migrator(config, engines=engines) as migrator:
        return await migrator.is_at_head(databases=databases)


@args_from(Migrator, Migrator.wait_for_head)
async def wait_for_head(
    config: Config,
    *,
    timeout: float,  # noqa: ASYNC109  # a polling deadline the error message reports
    interval: float = 0.5,
    databases: Sequence[str] | None = None,
    engines: Engines | None = None,
) -> dict[str, tuple[str, ...]]:
    """Wait (reading only, no lock) until every selected database is at head.

    As :meth:`asyncmig.Migrator.wait_for_head`, for one call: `engines` is the
    Migrator's option (see :class:`asyncmig.Migrator`); one engine per database
    serves every poll and is disposed on return.
    """
    async with Migrator(config, engines=engines) as migrator:
        return await migrator.wait_for_head(timeout=timeout, interval=interval, databases=databases)
