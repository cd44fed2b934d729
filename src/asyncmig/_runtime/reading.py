"""Read-only access to version tables: current heads, at-head checks, waiting for head.

Nothing here takes the migration lock or creates a version table; a missing
table reads as no revisions (base).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING

import anyio

from ..errors import AsyncmigError
from .connection import leased_engine, open_target
from .failures import unexpected
from .script_cache import ScriptCache
from .targets import Target, live_targets
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
