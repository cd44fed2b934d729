"""Read-only access to version tables: current heads, at-head checks, waiting for head.

Nothing here takes the migration lock or creates a version table; a missing
table reads as no revisions (base).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING

from ..errors import AsyncmigError
from .connection import leased_engine, open_target
from .failures import each_database, raise_first
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

    async def one(database: DatabaseConfig) -> dict[str, tuple[str, ...]]:
        return await _read_database(config, database, engines, cache)

    found, failed = await each_database(selected, one)
    if failures is None:
        raise_first(selected, failed)
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
