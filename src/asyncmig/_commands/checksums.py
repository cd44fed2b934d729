"""Commands on the applied-history ledger: validate, repair, history --applied.

Each works on every selected database at once and raises the first
database's failure in configuration order.  ``validate`` and
``applied_history`` only read (one connection per database, no migration
lock, nothing created; tenant schemas through their qualified tables).
``repair`` takes each target's migration lock and creates the ledger if it is
missing, as the first step would.  The runtime and SQLAlchemy are imported on
first use, not with this module (the CLI imports it for its --help texts).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from .._config import Config
from .._reports import ChecksumProblem, JournalEntry, LedgerEntry, RepairReport, ValidateReport
from ..errors import CommandError, RevisionError, UnknownRevision

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncEngine

    from .._config import DatabaseConfig
    from .._runtime.connection import TargetConnection
    from .._runtime.ledger_check import Assessment
    from .._runtime.script_cache import ScriptCache
    from .._script.revision import RevisionMap

__all__ = ("applied_history", "repair", "validate")

Engines = Mapping[str, "AsyncEngine"]
T = TypeVar("T")
# One target's version rows and ledger, as read: (target key, heads, ledger rows).
_Read = tuple[str, tuple[str, ...], list[LedgerEntry]]
_Checked = tuple["Assessment", list[ChecksumProblem]]


async def validate(
    config: Config, *, databases: Sequence[str] | None = None, engines: Engines | None = None
) -> ValidateReport:
    """Compare each applied migration script with the checksum the ledger recorded for it.

    A script edited (line endings aside) or removed since it ran is a problem;
    revisions applied before the ledger existed, or stamped, have nothing to
    compare with and are listed as unrecorded.

    Args:
        config: The loaded configuration (``asyncmig.Config.load()``).
        databases: The database names to check (default: all of them).
        engines: The application's engines by database name, used and never disposed.
    """

    async def one(database: DatabaseConfig, cache: ScriptCache) -> list[_Checked]:
        import anyio.to_thread

        from .._runtime.ledger_check import assess, hash_expected, problems

        loaded = await cache.load(database, graph=False)
        graph: RevisionMap | None = None
        graph_error = None
        try:
            _, graph = await cache.require_graph(database)
        except RevisionError as exc:  # a deleted script can break the graph: do what we can
            graph_error = str(exc)
        read = await _read(config, database, engines, cache)
        location = loaded.directory.location

        def compare() -> list[_Checked]:
            found: list[_Checked] = []
            for key, heads, entries in read:
                assessment = assess(key, heads, entries, graph, location, graph_error=graph_error)
                found.append((assessment, problems(assessment, hash_expected(assessment.expected))))
            return found

        return await anyio.to_thread.run_sync(compare)

    per_target = [pair for pairs in await _each(config, databases, one) for pair in pairs]
    return ValidateReport(
        revisions={a.target: a.heads for a, _ in per_target},
        checked={a.target: tuple(item.revision for item in a.expected) for a, _ in per_target},
        unrecorded={a.target: tuple(a.unrecorded) for a, _ in per_target},
        problems=tuple(problem for _, found in per_target for problem in found),
        notes={a.target: tuple(a.notes) for a, _ in per_target if a.notes},
    )


async def repair(
    config: Config,
    *,
    accept: str | Sequence[str] = (),
    fix: bool = False,
    resolved: str | Sequence[str] = (),
    databases: Sequence[str] | None = None,
    engines: Engines | None = None,
) -> RepairReport:
    """Show and repair what the ledger holds against a database: edits, unfinished steps.

    Each revision in `accept` gets an ``accept`` row holding its script's
    checksum now, in every selected database (or tenant schema) that has it
    applied; ``validate`` and ``upgrade`` compare with that from then on.

    Every step that stopped part-way (killed or failed after an autocommit
    block committed, or part-applied where DDL commits implicitly) is reported
    with where it stopped, what it left behind and what to do.  With `fix`,
    what it left is removed where no server process still works on it
    (PostgreSQL: the invalid index of an interrupted ``CREATE INDEX
    CONCURRENTLY``), and the step is marked resolved where running it again
    from its start is safe.  Each revision in `resolved` is marked resolved as
    it stands: a person has checked the database and undone or finished it.
    ``upgrade`` and ``downgrade`` refuse to run while a step is unresolved.

    Args:
        config: The loaded configuration (``asyncmig.Config.load()``).
        accept: The revision(s) whose edited script a person has checked.
        fix: Remove what unfinished steps left, and resolve those that can run again.
        resolved: The revision(s) of unfinished steps a person has dealt with.
        databases: The database names to repair (default: all of them).
        engines: The application's engines by database name, used and never disposed.
    """
    from .._runtime import recovery

    wanted = (accept,) if isinstance(accept, str) else tuple(accept)
    handled = (resolved,) if isinstance(resolved, str) else tuple(resolved)
    accepted, notes = await _accept_all(config, databases, engines, wanted) if wanted else ((), {})

    async def one(
        database: DatabaseConfig, cache: ScriptCache
    ) -> tuple[list[JournalEntry], dict[str, str]]:
        return await recovery.recover(config, database, engines, cache, fix=fix, resolved=handled)

    found = await _each(config, databases, one)
    unfinished = tuple(entry for entries, _ in found for entry in entries)
    for revision in handled:
        names = {names[revision] for _, names in found}
        if not any(entry.resolved and entry.revision in names for entry in unfinished):
            raise CommandError(
                f"revision {revision} has no unfinished step in any selected database; nothing "
                "to resolve (run `asyncmig repair` to see the unfinished steps)"
            )
    return RepairReport(accepted, notes, unfinished)


async def _accept_all(
    config: Config, databases: Sequence[str] | None, engines: Engines | None, wanted: Sequence[str]
) -> tuple[tuple[LedgerEntry, ...], dict[str, tuple[str, ...]]]:
    """``repair --accept``: the accept rows written in every selected database, and notes."""

    async def one(
        database: DatabaseConfig, cache: ScriptCache
    ) -> tuple[dict[str, str], list[LedgerEntry], dict[str, list[str]]]:
        return await _accept_database(config, database, engines, cache, wanted)

    resolved: dict[str, set[str]] = {revision: set() for revision in wanted}
    accepted: list[LedgerEntry] = []
    notes: dict[str, tuple[str, ...]] = {}
    for names, entries, target_notes in await _each(config, databases, one):
        for revision, full in names.items():
            resolved[revision].add(full)
        accepted.extend(entries)
        notes.update((key, tuple(found)) for key, found in target_notes.items())
    for revision, ids in resolved.items():
        if not ids:
            raise UnknownRevision(revision)
        if not any(entry.revision in ids for entry in accepted):
            raise CommandError(
                f"revision {revision} is not applied in any selected database; nothing to "
                "accept (run `asyncmig current` to see where each database is)"
            )
    return tuple(accepted), notes


async def applied_history(
    config: Config, *, databases: Sequence[str] | None = None, engines: Engines | None = None
) -> dict[str, tuple[LedgerEntry, ...]]:
    """The applied-history ledger of every selected database, oldest row first.

    Keys are database names, or ``database:schema`` for tenant schemas; a
    database without a ledger yet has no rows.

    Args:
        config: The loaded configuration (``asyncmig.Config.load()``).
        databases: The database names to read (default: all of them).
        engines: The application's engines by database name, used and never disposed.
    """

    async def one(database: DatabaseConfig, cache: ScriptCache) -> list[_Read]:
        return await _read(config, database, engines, cache)

    return {
        key: tuple(entries)
        for reads in await _each(config, databases, one)
        for key, _, entries in reads
    }


# -- what they share --------------------------------------------------------------------------


async def _each(
    config: Config,
    databases: Sequence[str] | None,
    one: Callable[[DatabaseConfig, ScriptCache], Awaitable[T]],
) -> list[T]:
    """`one` for every selected database at once; the first failure (config order) raised."""
    from .preload import runtime_imported

    await runtime_imported(config, databases)
    from .._runtime.failures import each_database, raise_first
    from .._runtime.script_cache import ScriptCache

    selected = config.select(databases)
    cache = ScriptCache(config)

    async def run(database: DatabaseConfig) -> T:
        return await one(database, cache)

    found, failures = await each_database(selected, run)
    raise_first(selected, failures)
    return [found[database.name] for database in selected]


async def _read(
    config: Config, database: DatabaseConfig, engines: Engines | None, cache: ScriptCache
) -> list[_Read]:
    """Each target's version rows and ledger rows, on one connection, reading only."""
    from .._runtime import ledger
    from .._runtime import version_table as vt
    from .._runtime.connection import leased_engine, open_target
    from .._runtime.targets import Target, live_targets

    loaded = await cache.load(database, graph=False)
    async with leased_engine(database, engines, loaded.env_module) as lease:
        targets, _ = await live_targets(database, lease.engine)
        if not targets:
            return []
        tables = [(t.key, vt.VersionTable.named(*t.version_table(config))) for t in targets]

        def read(connection: Connection) -> list[_Read]:
            return [
                (
                    key,
                    vt.read_heads(connection, version),
                    ledger.read_entries(connection, version, key),
                )
                for key, version in tables
            ]

        async with open_target(lease.engine, Target(database), config) as tc:
            return await tc.conn.run_sync(read)


async def _accept_database(
    config: Config,
    database: DatabaseConfig,
    engines: Engines | None,
    cache: ScriptCache,
    wanted: Sequence[str],
) -> tuple[dict[str, str], list[LedgerEntry], dict[str, list[str]]]:
    """Accept rows in each target of `database` that has the revisions applied.

    Returns the revisions its history knows (as asked: full id), the rows written, and notes.
    """
    import anyio.to_thread

    from .._runtime.connection import each_locked_target
    from .._runtime.ledger import identity, relative_script
    from .._runtime.ledger_check import file_checksum

    loaded, graph = await cache.require_graph(database)
    resolved: dict[str, str] = {}
    for revision in wanted:
        try:
            resolved[revision] = graph.get(revision).revision
        except UnknownRevision:
            continue  # another database's history, perhaps
    if not resolved:
        return {}, [], {}
    location = loaded.directory.location

    def hashed() -> dict[str, tuple[str | None, str | None]]:
        identity()  # looked up once, here in a worker thread (it reads files)
        found = {}
        for revision in dict.fromkeys(resolved.values()):
            path = graph.get(revision).path
            found[revision] = (
                file_checksum(path) if path else None,
                relative_script(location, path),
            )
        return found

    scripts = await anyio.to_thread.run_sync(hashed)
    for revision, (digest, script) in scripts.items():
        if digest is None:
            raise CommandError(f"revision {revision}: its script {script} cannot be read")
    accept = partial(_accept, graph=graph, location=location, scripts=scripts)
    per_target = await each_locked_target(config, database, engines, loaded.env_module, accept)
    written = [entry for _, entries, _ in per_target for entry in entries]
    notes = {
        key: [f"revision {revision} is not applied here; nothing recorded" for revision in skipped]
        for key, _, skipped in per_target
        if skipped
    }
    return resolved, written, notes


def _accept(
    connection: Connection,
    tc: TargetConnection,
    *,
    graph: RevisionMap,
    location: Path,
    scripts: Mapping[str, tuple[str | None, str | None]],
) -> tuple[str, list[LedgerEntry], list[str]]:
    """Write an accept row for each of `scripts` applied here (the body of one ``run_sync``)."""
    from .._runtime import ledger
    from .._runtime import version_table as vt
    from .._runtime.ledger_check import applied_revisions

    tc.session.begin(connection)
    heads = vt.read_heads(connection, tc.version)
    applied = set(applied_revisions(graph, heads))
    todo = [revision for revision in scripts if revision in applied]
    skipped = [revision for revision in scripts if revision not in applied]
    key = tc.target.key
    if not todo:
        return key, [], skipped
    ledger.ensure(connection, tc.version, graph, location, lambda: heads)
    rows = [
        ledger.row(revision, "accept", checksum=scripts[revision][0], script=scripts[revision][1])
        for revision in todo
    ]
    ledger.insert(connection, tc.version, rows)
    entries = ledger.read_entries(connection, tc.version, key)[-len(todo) :]
    connection.commit()
    return key, entries, skipped
