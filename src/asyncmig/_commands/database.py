"""Commands that act on databases: upgrade, downgrade, stamp, current, ensure-version.

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
from .._migrator import Migrator
from .._reports import RunReport, StepReport

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from ..errors import AsyncmigError

__all__ = (
    "current",
    "downgrade",
    "ensure_version",
    "is_at_head",
    "stamp",
    "upgrade",
    "wait_for_head",
)

Engines = Mapping[str, "AsyncEngine"]
OnStep = Callable[[StepReport], None]


async def upgrade(
    config: Config,
    revision: str = "head",
    *,
    sql: bool = False,
    databases: Sequence[str] | None = None,
    engines: Engines | None = None,
    concurrency: int | None = None,
    fail_fast: bool = False,
    lock: bool | None = None,
    tag: str | None = None,
    on_step: OnStep | None = None,
    raise_on_error: bool = True,
) -> RunReport:
    """Upgrade every selected database to a later revision (default: head).

    Args:
        config: The loaded configuration (``asyncmig.Config.load()``).
        revision: The target: ``head``, ``heads``, a revision id or a unique
            prefix of one, ``branch@head``, ``+2``; with `sql`, ``start:end``.
        sql: Render the SQL into each database's report instead of running it.
        databases: The database names to act on (default: all of them).
        engines: The application's engines by database name, used and never
            disposed; the other databases get an engine for this call only.
        concurrency: How many targets migrate at once, 1 or more (default:
            every database at once, and up to 6 tenant schemas of one).
        fail_fast: On the first failure cancel the other targets, which stop
            at their last committed step and report ``cancelled``.
        lock: Whether to take the migration lock; None (the default) follows
            the configuration's ``lock``.
        tag: The ``--tag`` value scripts read with ``context.get_tag_argument()``.
        on_step: Called with each StepReport as soon as that step has committed.
        raise_on_error: Raise the first failure (true) or return it in the report.
    """
    async with Migrator(
        config, engines=engines, concurrency=concurrency, lock=lock, on_step=on_step
    ) as migrator:
        return await migrator.upgrade(
            revision,
            sql=sql,
            databases=databases,
            fail_fast=fail_fast,
            tag=tag,
            raise_on_error=raise_on_error,
        )


async def downgrade(
    config: Config,
    revision: str,
    *,
    sql: bool = False,
    databases: Sequence[str] | None = None,
    engines: Engines | None = None,
    concurrency: int | None = None,
    fail_fast: bool = False,
    lock: bool | None = None,
    tag: str | None = None,
    on_step: OnStep | None = None,
    raise_on_error: bool = True,
) -> RunReport:
    """Revert every selected database to a previous revision (--sql needs `from:to`).

    Args:
        config: The loaded configuration (``asyncmig.Config.load()``).
        revision: The target: ``base``, a revision id or prefix, ``-1``; with
            `sql`, a ``from:to`` range.
        sql: Render the SQL into each database's report instead of running it.
        databases: The database names to act on (default: all of them).
        engines: The application's engines by database name, used and never disposed.
        concurrency: How many targets migrate at once, 1 or more.
        fail_fast: On the first failure cancel the other targets.
        lock: Whether to take the migration lock; None: the configuration's ``lock``.
        tag: The ``--tag`` value scripts read with ``context.get_tag_argument()``.
        on_step: Called with each StepReport as soon as that step has committed.
        raise_on_error: Raise the first failure (true) or return it in the report.
    """
    async with Migrator(
        config, engines=engines, concurrency=concurrency, lock=lock, on_step=on_step
    ) as migrator:
        return await migrator.downgrade(
            revision,
            sql=sql,
            databases=databases,
            fail_fast=fail_fast,
            tag=tag,
            raise_on_error=raise_on_error,
        )


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
    lock: bool | None = None,
    tag: str | None = None,
    on_step: OnStep | None = None,
    raise_on_error: bool = True,
) -> RunReport:
    """Record revisions in the version table without running any migration.

    Args:
        config: The loaded configuration (``asyncmig.Config.load()``).
        revisions: The revision (or several, one per branch) to record.
        sql: Render the SQL into each database's report instead of running it.
        purge: Empty the version table first, even of revisions the scripts
            do not know.
        databases: The database names to act on (default: all of them).
        engines: The application's engines by database name, used and never disposed.
        concurrency: How many targets are stamped at once, 1 or more.
        fail_fast: On the first failure cancel the other targets.
        lock: Whether to take the migration lock; None: the configuration's ``lock``.
        tag: The ``--tag`` value scripts read with ``context.get_tag_argument()``.
        on_step: Called with each StepReport as soon as that change has committed.
        raise_on_error: Raise the first failure (true) or return it in the report.
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
            tag=tag,
            raise_on_error=raise_on_error,
        )


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

    Args:
        config: The loaded configuration (``asyncmig.Config.load()``).
        sql: Render the SQL into each database's report instead of running it.
        databases: The database names to act on (default: all of them).
        engines: The application's engines by database name, used and never disposed.
        lock: Whether to take the migration lock; None: the configuration's ``lock``.
        on_step: Called with each StepReport as soon as it has committed.
        raise_on_error: Raise the first failure (true) or return it in the report.
    """
    async with Migrator(config, engines=engines, lock=lock, on_step=on_step) as migrator:
        return await migrator.ensure_version(
            sql=sql, databases=databases, raise_on_error=raise_on_error
        )


async def current(
    config: Config,
    *,
    databases: Sequence[str] | None = None,
    engines: Engines | None = None,
    errors: MutableMapping[str, AsyncmigError] | None = None,
) -> dict[str, tuple[str, ...]]:
    """The current revision(s) of every selected database (reads only; takes no lock).

    Keys are database names, or ``database:schema`` for tenant schemas.

    Args:
        config: The loaded configuration (``asyncmig.Config.load()``).
        databases: The database names to read (default: all of them).
        engines: The application's engines by database name, used and never disposed.
        errors: If given, each database that cannot be read puts its error
            here (keyed by database name) and the others are still returned;
            if not, the first such database raises.
    """
    async with Migrator(config, engines=engines) as migrator:
        return await migrator.current(databases=databases, errors=errors)


async def is_at_head(
    config: Config,
    *,
    databases: Sequence[str] | None = None,
    engines: Engines | None = None,
) -> dict[str, bool]:
    """Whether each selected database is at its history's head(s) (reads only).

    Args:
        config: The loaded configuration (``asyncmig.Config.load()``).
        databases: The database names to read (default: all of them).
        engines: The application's engines by database name, used and never disposed.
    """
    async with Migrator(config, engines=engines) as migrator:
        return await migrator.is_at_head(databases=databases)


async def wait_for_head(
    config: Config,
    *,
    timeout: float,  # noqa: ASYNC109  # a polling deadline the error message reports
    interval: float = 0.5,
    databases: Sequence[str] | None = None,
    engines: Engines | None = None,
) -> dict[str, tuple[str, ...]]:
    """Wait (reading only, no lock) until every selected database is at head.

    One engine per database serves every poll; it is disposed on return.

    Args:
        config: The loaded configuration (``asyncmig.Config.load()``).
        timeout: Seconds to wait, 0 or more (0: check once); a negative one
            is a CommandError, never "forever".
        interval: Seconds between polls, more than 0.
        databases: The database names to wait for (default: all of them).
        engines: The application's engines by database name, used and never disposed.
    """
    async with Migrator(config, engines=engines) as migrator:
        return await migrator.wait_for_head(timeout=timeout, interval=interval, databases=databases)
