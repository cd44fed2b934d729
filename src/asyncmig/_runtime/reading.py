"""Read-only access to version tables: current heads, at-head checks, waiting for head.

Nothing here takes the migration lock or creates a version table; a missing
table reads as no revisions (base).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING

import anyio
from sqlalchemy.exc import SQLAlchemyError

from ..errors import AsyncmigError, CommandError
from . import engines as _engines
from . import version_table as vt
from .failures import unexpected
from .scripts import ScriptCache
from .targets import database_of, live_targets, targets_for

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncEngine

    from .._config import Config, DatabaseConfig


async def read_current(
    config: Config,
    databases: Sequence[str] | None,
    engines: Mapping[str, AsyncEngine] | None,
    scripts: ScriptCache | None = None,
    failures: MutableMapping[str, AsyncmigError] | None = None,
) -> dict[str, tuple[str, ...]]:
    """The version rows of every selected target, read concurrently, in config order.

    Keys are database names, or ``database:schema`` for tenant schemas.  A
    database that cannot be read raises its error -- unless `failures` is
    given, which then collects it (keyed by database name) while the other
    databases are still reported.
    """
    selected = config.select(databases)
    cache = scripts or ScriptCache(config)
    found: dict[str, dict[str, tuple[str, ...]]] = {}
    failed: dict[str, AsyncmigError] = {}

    async def one(database: DatabaseConfig) -> None:
        try:
            found[database.name] = await _read_database(config, database, engines, cache)
        except AsyncmigError as exc:
            failed[database.name] = exc
        except Exception as exc:  # not ours: still this database's one-line error
            failed[database.name] = unexpected(database.name, database.masked_url, exc)

    async with anyio.create_task_group() as group:
        for database in selected:
            group.start_soon(one, database)
    if failures is None:
        for database in selected:
            if database.name in failed:
                raise failed[database.name]
    else:
        failures.update((db.name, failed[db.name]) for db in selected if db.name in failed)
    return {key: revs for db in selected for key, revs in found.get(db.name, {}).items()}


async def _read_database(
    config: Config,
    database: DatabaseConfig,
    engines: Mapping[str, AsyncEngine] | None,
    cache: ScriptCache,
) -> dict[str, tuple[str, ...]]:
    loaded = await cache.load(database, graph=False)
    lease = await _engines.lease_engine(database, engines, loaded.env_module)
    try:
        targets, _ = await live_targets(database, lease.engine)
        if not targets:
            return {}
        conn = await _engines.connect(lease.engine, database)
        try:
            tables = [vt.version_table(*target.version_table(config)) for target in targets]

            def read(connection: Connection) -> list[tuple[str, ...]]:
                try:
                    return [vt.read_heads(connection, table) for table in tables]
                finally:
                    vt.forget(connection)

            rows = await conn.run_sync(read)
        except SQLAlchemyError as exc:
            reason = " ".join(str(exc).split())
            raise CommandError(
                f"database {database.name!r} ({database.masked_url}): {reason}"
            ) from exc
        finally:
            with anyio.CancelScope(shield=True):
                await conn.close()
        return {target.key: heads for target, heads in zip(targets, rows, strict=True)}
    finally:
        with anyio.CancelScope(shield=True):
            await lease.close()


async def heads_of(
    config: Config, databases: Sequence[str] | None, cache: ScriptCache
) -> dict[str, tuple[str, ...]]:
    """The script heads each selected database's history has, by database name."""
    result: dict[str, tuple[str, ...]] = {}
    for target in targets_for(config, databases):
        _, graph = await cache.require_graph(target.database)
        result[target.database.name] = graph.heads
    return result


async def at_head(
    config: Config,
    databases: Sequence[str] | None,
    engines: Mapping[str, AsyncEngine] | None,
) -> dict[str, bool]:
    """Whether each selected target's version rows are exactly its history's heads."""
    cache = ScriptCache(config)
    heads = await heads_of(config, databases, cache)
    current = await read_current(config, databases, engines, cache)
    return {key: set(revs) == set(heads[database_of(key)]) for key, revs in current.items()}


async def wait_until_head(
    config: Config,
    databases: Sequence[str] | None,
    engines: Mapping[str, AsyncEngine] | None,
    *,
    timeout: float,  # noqa: ASYNC109  # a polling deadline the error message reports
    interval: float,
) -> dict[str, tuple[str, ...]]:
    """Poll (reading only) until every selected target is at head; CommandError on timeout."""
    if not interval > 0:
        raise CommandError(f"interval must be positive, not {interval:g}")
    if not timeout >= 0:  # also NaN
        raise CommandError(
            f"timeout must be 0 (check once) or more seconds, not {timeout:g}; "
            "a negative wait is not 'forever'"
        )
    cache = ScriptCache(config)
    heads = await heads_of(config, databases, cache)
    deadline = anyio.current_time() + timeout
    while True:
        current = await read_current(config, databases, engines, cache)
        behind = {
            key: revs for key, revs in current.items() if set(revs) != set(heads[database_of(key)])
        }
        if not behind:
            return current
        remaining = deadline - anyio.current_time()
        if remaining <= 0:
            detail = "; ".join(
                f"{key} at {', '.join(revs) or '<base>'} "
                f"(head {', '.join(heads[database_of(key)])})"
                for key, revs in behind.items()
            )
            raise CommandError(
                f"gave up after {timeout:g}s waiting for head: {detail}; "
                "run `asyncmig upgrade head` or wait for the runner that is migrating"
            )
        await anyio.sleep(min(interval, remaining))
