"""Read-only access to version tables: current heads, at-head checks, waiting for head.

Nothing here takes the migration lock or creates a version table; a missing
table reads as no revisions (base).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING

import anyio

from ..errors import AsyncmigError, CommandError
from .connection import leased_engine, open_target
from .failures import unexpected
from .scripts import ScriptCache
from .targets import Target, database_of, live_targets, targets_for
from .version_table import VersionTable, read_heads

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
    async with leased_engine(database, engines, loaded.env_module) as lease:
        targets, _ = await live_targets(database, lease.engine)
        if not targets:
            return {}
        # One connection reads every tenant's table, each qualified by its schema.
        async with open_target(lease.engine, Target(database), config) as tc:
            versions = [VersionTable.named(*target.version_table(config)) for target in targets]

            def read(connection: Connection) -> list[tuple[str, ...]]:
                return [read_heads(connection, version) for version in versions]

            rows = await tc.conn.run_sync(read)
    return {target.key: heads for target, heads in zip(targets, rows, strict=True)}


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

    def behind(current: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        return {
            key: revs for key, revs in current.items() if set(revs) != set(heads[database_of(key)])
        }

    current = await read_current(config, databases, engines, cache)
    with anyio.move_on_after(timeout):
        while behind(current):
            await anyio.sleep(interval)
            current = await read_current(config, databases, engines, cache)
    late = behind(current)
    if not late:
        return current
    detail = "; ".join(
        f"{key} at {', '.join(revs) or '<base>'} (head {', '.join(heads[database_of(key)])})"
        for key, revs in late.items()
    )
    raise CommandError(
        f"gave up after {timeout:g}s waiting for head: {detail}; "
        "run `asyncmig upgrade head` or wait for the runner that is migrating"
    )
