"""``current --summary``: every target's revision and last failure, read without the lock.

Per database one connection: tenant schemas are read all at once
(:func:`~.tenant_versions.read_tenant_heads` and
:func:`~.last_failure.read_tenants`), a plain database by its own tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import anyio

from .._reports import FleetSummary, TargetFailure
from . import engines as _engines
from . import last_failure
from .connection import leased_engine
from .failures import each_database
from .script_cache import ScriptCache
from .targets import live_targets
from .tenant_versions import read_tenant_heads
from .version_table import VersionTable, read_heads

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncEngine

    from .._config import Config, DatabaseConfig
    from .targets import Target

__all__ = ("read_summary",)


@dataclass
class _Found:
    heads: tuple[str, ...]
    revisions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    failures: list[TargetFailure] = field(default_factory=list)


async def read_summary(
    config: Config,
    databases: Sequence[str] | None,
    engines: Mapping[str, AsyncEngine] | None,
    scripts: ScriptCache | None = None,
) -> FleetSummary:
    """Every selected target's revision, counted, with the last failure of each that has one."""
    selected = config.select(databases)
    cache = scripts or ScriptCache(config)

    async def one(database: DatabaseConfig) -> _Found:
        _, graph = await cache.require_graph(database)
        found = _Found(tuple(sorted(graph.heads)))
        loaded = await cache.load(database, graph=False)
        async with leased_engine(database, engines, loaded.env_module) as lease:
            targets, tenancy = await live_targets(database, lease.engine)
            if not targets:
                return found
            conn = await _engines.connect(lease.engine, database)
            try:
                await conn.run_sync(_read, config, targets, tenancy is not None, found)
            finally:
                with anyio.CancelScope(shield=True):
                    await conn.rollback()
                    await conn.close()
        return found

    results, failed = await each_database(selected, one)
    revisions: dict[str, tuple[str, ...]] = {}
    failures: list[TargetFailure] = []
    for database in selected:
        if database.name in results:
            revisions.update(results[database.name].revisions)
            failures.extend(results[database.name].failures)
    return FleetSummary(
        revisions=revisions,
        heads={name: found.heads for name, found in results.items()},
        failures=tuple(failures),
        errors={name: str(error) for name, error in failed.items()},
    )


def _read(
    connection: Connection, config: Config, targets: Sequence[Target], tenanted: bool, found: _Found
) -> None:
    name, _ = targets[0].version_table(config)
    database = targets[0].database.name
    if tenanted:
        schemas = [target.schema for target in targets if target.schema is not None]
        heads = read_tenant_heads(connection, name, schemas)
        found.revisions.update((f"{database}:{schema}", heads[schema]) for schema in schemas)
        if config.ledger:
            failed = last_failure.read_tenants(connection, name, schemas, database)
            found.failures.extend(failed[schema] for schema in schemas if schema in failed)
        return
    for target in targets:
        table, schema = target.version_table(config)
        found.revisions[target.key] = read_heads(connection, VersionTable.named(table, schema))
        if config.ledger:
            failure = last_failure.read_one(
                connection, last_failure.failure_table(table, schema), target.key
            )
            if failure is not None:
                found.failures.append(failure)
