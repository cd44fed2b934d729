"""Read-only access to version tables: current heads, at-head checks, waiting for head.

Nothing here takes the migration lock or creates a version table; a missing
table reads as no revisions (base).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import anyio
from sqlalchemy.exc import SQLAlchemyError

from ..errors import AsyncmigError, CommandError
from . import engines as _engines
from . import version_table as vt
from .runner import Target, targets_for
from .scripts import ScriptCache

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncEngine

    from .._config import Config


async def read_current(
    config: Config,
    databases: Sequence[str] | None,
    engines: Mapping[str, AsyncEngine] | None,
    scripts: ScriptCache | None = None,
) -> dict[str, tuple[str, ...]]:
    """The version rows of every selected target, read concurrently, in config order."""
    targets = targets_for(config, databases)
    cache = scripts or ScriptCache(config)
    found: dict[str, tuple[str, ...]] = {}
    failures: dict[str, AsyncmigError] = {}

    async def one(target: Target) -> None:
        try:
            found[_key(target)] = await _read_target(config, target, engines, cache)
        except AsyncmigError as exc:
            failures[_key(target)] = exc

    async with anyio.create_task_group() as group:
        for target in targets:
            group.start_soon(one, target)
    for target in targets:
        if _key(target) in failures:
            raise failures[_key(target)]
    return {_key(target): found[_key(target)] for target in targets}


def _key(target: Target) -> str:
    return f"{target.database.name}:{target.schema}" if target.schema else target.database.name


async def _read_target(
    config: Config,
    target: Target,
    engines: Mapping[str, AsyncEngine] | None,
    cache: ScriptCache,
) -> tuple[str, ...]:
    loaded = await cache.load(target.database, graph=False)
    table = vt.version_table(*target.version_table(config))
    lease = await _engines.lease_engine(target.database, engines, loaded.env_module)
    try:
        conn = await _engines.connect(lease.engine, target.database)
        try:

            def read(connection: Connection) -> tuple[str, ...]:
                return vt.read_heads(connection, table)

            return await conn.run_sync(read)
        except SQLAlchemyError as exc:
            reason = " ".join(str(exc).split())
            raise CommandError(
                f"database {target.database.name!r} ({target.database.masked_url}): {reason}"
            ) from exc
        finally:
            with anyio.CancelScope(shield=True):
                await conn.close()
    finally:
        with anyio.CancelScope(shield=True):
            await lease.close()


async def heads_of(
    config: Config, databases: Sequence[str] | None, cache: ScriptCache
) -> dict[str, tuple[str, ...]]:
    """The script heads each selected database's history has."""
    result: dict[str, tuple[str, ...]] = {}
    for target in targets_for(config, databases):
        _, graph = await cache.require_graph(target.database)
        result[_key(target)] = graph.heads
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
    return {name: set(current[name]) == set(heads[name]) for name in current}


async def wait_until_head(
    config: Config,
    databases: Sequence[str] | None,
    engines: Mapping[str, AsyncEngine] | None,
    *,
    timeout: float,  # noqa: ASYNC109  # a polling deadline the error message reports
    interval: float,
) -> dict[str, tuple[str, ...]]:
    """Poll (reading only) until every selected target is at head; CommandError on timeout."""
    if interval <= 0:
        raise CommandError(f"interval must be positive, not {interval:g}")
    cache = ScriptCache(config)
    heads = await heads_of(config, databases, cache)
    deadline = anyio.current_time() + (timeout if timeout >= 0 else math.inf)
    while True:
        current = await read_current(config, databases, engines, cache)
        behind = {name: revs for name, revs in current.items() if set(revs) != set(heads[name])}
        if not behind:
            return current
        remaining = deadline - anyio.current_time()
        if remaining <= 0:
            detail = "; ".join(
                f"{name} at {', '.join(revs) or '<base>'} (head {', '.join(heads[name])})"
                for name, revs in behind.items()
            )
            raise CommandError(
                f"gave up after {timeout:g}s waiting for head: {detail}; "
                "run `asyncmig upgrade head` or wait for the runner that is migrating"
            )
        await anyio.sleep(min(interval, remaining))
