"""Commands that act on databases: upgrade, downgrade, stamp, current, ensure-version.

Each is an ``async def`` that returns data and prints nothing, and can be
awaited from inside a running event loop (an application's lifespan, say).
Failures are raised (the first failed database's error, with the whole
:class:`RunReport` attached as ``.report``) unless ``raise_on_error=False``,
in which case the report carries them.

``on_step`` is called with each :class:`StepReport` as soon as that step has
committed (on the event loop, while other databases are still migrating);
the returned report holds the same steps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING

from .._config import Config
from .._reports import RunReport, StepReport
from .preload import runtime_imported

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from ..errors import AsyncmigError

__all__ = (
    "current",
    "downgrade",
    "ensure_version",
    "history_current",
    "is_at_head",
    "stamp",
    "upgrade",
    "wait_for_head",
)

Engines = Mapping[str, "AsyncEngine"]
OnStep = Callable[[StepReport], None]


async def _run(
    config: Config,
    command: str,
    revisions: Sequence[str],
    *,
    sql: bool,
    databases: Sequence[str] | None,
    engines: Engines | None,
    concurrency: int | None = None,
    fail_fast: bool = False,
    lock: bool | None = None,
    tag: str | None = None,
    purge: bool = False,
    on_step: OnStep | None = None,
    raise_on_error: bool,
) -> RunReport:
    await runtime_imported(config, databases)
    from .._runtime.plan import Request
    from .._runtime.runner import RunOptions, run

    request = Request(command, tuple(revisions), purge=purge, tag=tag)  # type: ignore[arg-type]  # a known command
    options = RunOptions(
        sql=sql,
        engines=engines,
        concurrency=concurrency,
        fail_fast=fail_fast,
        lock=lock,
        on_step=on_step,
    )
    report = await run(config, request, databases, options)
    if raise_on_error:
        report.raise_for_errors()
    return report


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
    """Upgrade every selected database to a later revision (default: head)."""
    return await _run(
        config,
        "upgrade",
        (revision,),
        sql=sql,
        databases=databases,
        engines=engines,
        concurrency=concurrency,
        fail_fast=fail_fast,
        lock=lock,
        tag=tag,
        on_step=on_step,
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
    """Revert every selected database to a previous revision (--sql needs `from:to`)."""
    return await _run(
        config,
        "downgrade",
        (revision,),
        sql=sql,
        databases=databases,
        engines=engines,
        concurrency=concurrency,
        fail_fast=fail_fast,
        lock=lock,
        tag=tag,
        on_step=on_step,
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
    """Record revisions in the version table without running any migration."""
    return await _run(
        config,
        "stamp",
        (revisions,) if isinstance(revisions, str) else tuple(revisions),
        sql=sql,
        purge=purge,
        databases=databases,
        engines=engines,
        concurrency=concurrency,
        fail_fast=fail_fast,
        lock=lock,
        tag=tag,
        on_step=on_step,
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
    """Create the version table if it does not exist yet."""
    return await _run(
        config,
        "ensure_version",
        (),
        sql=sql,
        databases=databases,
        engines=engines,
        lock=lock,
        on_step=on_step,
        raise_on_error=raise_on_error,
    )


async def current(
    config: Config,
    *,
    databases: Sequence[str] | None = None,
    engines: Engines | None = None,
    errors: MutableMapping[str, AsyncmigError] | None = None,
) -> dict[str, tuple[str, ...]]:
    """The current revision(s) of every selected database (reads only; takes no lock).

    Keys are database names, or ``database:schema`` for tenant schemas.  The
    first database that cannot be read raises, unless `errors` is given: then
    each such database's error is put there and the others are still returned.
    """
    await runtime_imported(config, databases)
    from .._runtime.reading import read_current

    return await read_current(config, databases, engines, failures=errors)


async def history_current(
    config: Config, *, database: str | None = None, engines: Engines | None = None
) -> tuple[str, ...]:
    """The current revisions of one database, for ``history -i`` and ``current`` ranges."""
    names = [database] if database else None
    await runtime_imported(config, names)
    from .._runtime.reading import read_current

    found = await read_current(config, names, engines)
    if len(found) > 1:
        from ..errors import CommandError

        raise CommandError(
            f"'current' is ambiguous with several databases ({', '.join(found)}); "
            "pick one with --db"
        )
    return next(iter(found.values()), ())


async def is_at_head(
    config: Config,
    *,
    databases: Sequence[str] | None = None,
    engines: Engines | None = None,
) -> dict[str, bool]:
    """Whether each selected database is at its history's head(s) (reads only)."""
    await runtime_imported(config, databases)
    from .._runtime.reading import at_head

    return await at_head(config, databases, engines)


async def wait_for_head(
    config: Config,
    *,
    timeout: float,  # noqa: ASYNC109  # a polling deadline the error message reports
    interval: float = 0.5,
    databases: Sequence[str] | None = None,
    engines: Engines | None = None,
) -> dict[str, tuple[str, ...]]:
    """Wait (reading only, no lock) until every selected database is at head.

    `timeout` is in seconds, 0 or more (0: check once); a negative one is a
    CommandError, never "forever".
    """
    await runtime_imported(config, databases)
    from .._runtime.reading import wait_until_head

    return await wait_until_head(config, databases, engines, timeout=timeout, interval=interval)
