"""Checks of a migration history, shared by the pytest plugin and ``asyncmig test-history``.

Each check is an ``async def`` taking the database's :class:`Templates` (which
knows the configuration and where scratch databases are made) and the
options; it returns a :class:`CheckResult` and never raises for a finding.
The checks that need a database make a scratch one and drop it afterwards.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread

from .._config import Config
from .._script.directory import ScriptDirectory
from .._script.revision import RevisionMap
from ..errors import (
    AsyncmigError,
    CommandError,
    CycleDetected,
    DependencyError,
    DuplicateRevision,
    NoTargetMetadata,
)
from ._snapshot import differences, snapshot_url
from ._templates import Clone, Templates, with_url

__all__ = ("CHECKS", "CheckOptions", "CheckResult", "check_history", "run_check")

_SHOWN = 8  # differences listed in one message


@dataclass(frozen=True)
class CheckOptions:
    """Options of the checks: where the stairway starts, and revisions it skips (with why)."""

    start: str | None = None
    skip: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check on one database."""

    name: str
    database: str
    ok: bool
    message: str = ""
    skipped: bool = False


class _Finding(Exception):
    """A check's negative finding (caught by run_check)."""


class _Skip(Exception):
    """The check does not apply to this project (caught by run_check)."""


Check = Callable[[Templates, CheckOptions], Awaitable[str]]
_CHECKS: dict[str, Check] = {}


def _check(fn: Check) -> Check:
    _CHECKS[fn.__name__.lstrip("_")] = fn
    return fn


async def run_check(name: str, templates: Templates, options: CheckOptions) -> CheckResult:
    """Run check `name` on the database behind `templates`."""
    database = templates.database
    try:
        message = await _CHECKS[name](templates, options)
    except _Finding as finding:
        return CheckResult(name, database, False, str(finding))
    except _Skip as skip:
        return CheckResult(name, database, True, str(skip), skipped=True)
    except AsyncmigError as exc:
        return CheckResult(name, database, False, str(exc))
    return CheckResult(name, database, True, message)


def _directory(templates: Templates) -> ScriptDirectory:
    db = templates.config.database(templates.database)
    return ScriptDirectory(templates.config, db.script_location)


async def _graph(templates: Templates) -> RevisionMap:
    directory = _directory(templates)
    return await anyio.to_thread.run_sync(lambda: directory.revision_map)


def _where(graph: RevisionMap, rev: str) -> str:
    return f"{rev} ({graph.get(rev).path})"


@_check
async def _valid_ids(templates: Templates, options: CheckOptions) -> str:
    """No revision id is declared twice and no revision is its own ancestor."""
    try:
        graph = await _graph(templates)
    except (DuplicateRevision, CycleDetected) as exc:
        raise _Finding(str(exc)) from None
    except DependencyError:
        return "ids checked; a missing parent is no_orphan_branches' finding"
    return f"{len(graph)} revision ids, unique and acyclic"


@_check
async def _no_orphan_branches(templates: Templates, options: CheckOptions) -> str:
    """Every parent exists, and of several bases at most one lacks a branch label."""
    try:
        graph = await _graph(templates)
    except DependencyError as exc:
        raise _Finding(str(exc)) from None
    bases = graph.bases
    # One history may go unlabelled; every other base must say which history it starts.
    orphans = [rev for rev in bases if not graph.get(rev).branch_labels]
    if len(orphans) > 1:
        listed = ", ".join(_where(graph, rev) for rev in orphans)
        raise _Finding(
            f"unlabelled base revision(s) beside others: {listed}; "
            "give down_revision its parent, or a branch_labels entry if it starts a new history"
        )
    return f"{len(bases)} base(s)"


@_check
async def _single_head(templates: Templates, options: CheckOptions) -> str:
    """Each independent history (revisions linked to one another) has exactly one head."""
    graph = await _graph(templates)
    groups: dict[frozenset[str], list[str]] = {}
    bases = set(graph.bases)
    for head in graph.heads:
        reach = {head}
        stack = [head]
        while stack:
            for parent in graph.get(stack.pop()).down_revision:
                if parent not in reach:
                    reach.add(parent)
                    stack.append(parent)
        key = frozenset(reach & bases)
        joined = next((k for k in groups if k & key), None)
        if joined is None:
            groups[key] = [head]
        else:
            groups[joined | key] = [*groups.pop(joined), head]
    for heads in groups.values():
        if len(heads) > 1:
            raise _Finding(
                f"several heads in one history: {', '.join(_where(graph, h) for h in heads)}; "
                "run `asyncmig merge heads`"
            )
    return f"{len(groups)} history(ies), one head each"


@_check
async def _scripts_import(templates: Templates, options: CheckOptions) -> str:
    """Every script imports and defines upgrade() and downgrade()."""
    directory = _directory(templates)
    db = templates.database

    def scan() -> list[str]:
        problems = []
        for script in directory.iter_scripts():
            try:
                module = script.load_module()
            except AsyncmigError as exc:
                problems.append(str(exc))
                continue
            for fn in ("upgrade", "downgrade"):
                if not callable(getattr(module, f"{fn}_{db}", getattr(module, fn, None))):
                    problems.append(f"{script.path}: no {fn}() function")
        return problems

    problems = await anyio.to_thread.run_sync(scan)
    if problems:
        raise _Finding("; ".join(problems[:_SHOWN]))
    return "every script imports, with both functions"


@_check
async def _offline_sql(templates: Templates, options: CheckOptions) -> str:
    """The whole history renders as SQL (``--sql``), upgrade and downgrade, for the dialect."""
    from .._commands.database import downgrade, upgrade

    config = with_url(templates.config, templates.database, templates.server.url)
    names = [templates.database]
    start = options.start or "base"
    up = await upgrade(config, f"{start}:head", sql=True, databases=names)
    await downgrade(config, f"head:{start}", sql=True, databases=names)
    return f"{len((up.databases[0].sql or '').splitlines())} lines of upgrade SQL"


async def _scratch(
    templates: Templates, use: Callable[[Clone], Awaitable[str]], *, migrated: bool = False
) -> str:
    clone = await (templates.clone() if migrated else templates.empty())
    try:
        return await use(clone)
    finally:
        await templates.drop(clone)


def _order(graph: RevisionMap) -> list[str]:
    return [rev.revision for rev in reversed(list(graph))]


@_check
async def _stairway(templates: Templates, options: CheckOptions) -> str:
    """Base to head one revision at a time: downgrade -1, upgrade +1, and the schema is the same."""
    from .._commands.database import current, downgrade, upgrade

    graph = await _graph(templates)
    order = _order(graph)
    if options.start:
        start = graph.get(options.start).revision
        order = order[order.index(start) + 1 :]
    names = [templates.database]

    async def walk(clone: Clone) -> str:
        config = with_url(templates.config, templates.database, clone.url)
        if options.start:
            await upgrade(config, options.start, databases=names)
        stepped = 0
        for rev in order:
            await upgrade(config, rev, databases=names)
            if rev in options.skip or rev[:12] in options.skip:
                continue
            heads = (await current(config, databases=names)).get(templates.database, ())
            before = await snapshot_url(clone.url)
            # With other branches current, "-1" is ambiguous and "<rev>-1" takes them down
            # too: so step down from `rev`, then bring every head that was current back.
            # From a merge "-1" names no single revision; a parent does.
            parents = graph.get(rev).down_revision
            relative = "-1" if len(heads) == 1 else f"{rev}-1"
            await downgrade(config, parents[0] if len(parents) > 1 else relative, databases=names)
            for head in heads:
                await upgrade(config, head, databases=names)
            after = await snapshot_url(clone.url)
            found = differences(before, after)
            if found:
                raise _Finding(
                    f"{_where(graph, rev)}: the schema after downgrade -1 and upgrade +1 differs: "
                    + "; ".join(found[:_SHOWN])
                )
            stepped += 1
        return f"{stepped} revision(s) stepped down and up, {len(order) - stepped} skipped"

    return await _scratch(templates, walk)


def _without_version_table(snap: dict[str, Any], table: str) -> dict[str, Any]:
    from .._runtime.ledger import ledger_name

    ledger = ledger_name(table)  # the ledger beside it (and its id sequence) is bookkeeping too
    for schema in snap.values():
        if isinstance(schema, dict) and "tables" in schema:
            schema["tables"].pop(table, None)
            schema["tables"].pop(ledger, None)
            if "sequences" in schema:
                schema["sequences"] = [s for s in schema["sequences"] if not s.startswith(ledger)]
    master = snap.get("sqlite_master", {})
    for key in [k for k in master if k.endswith(f" {table}") or table in (master[k] or "")]:
        master.pop(key)
    return snap


@_check
async def _downgrade_leaves_no_trace(templates: Templates, options: CheckOptions) -> str:
    """Upgrade to head then downgrade to base leaves nothing but the version table."""
    from .._commands.database import downgrade, upgrade

    target = options.start or "base"
    names = [templates.database]
    table = (
        templates.config.database(templates.database).version_table
        or templates.config.version_table
    )

    async def round_trip(clone: Clone) -> str:
        config = with_url(templates.config, templates.database, clone.url)
        if options.start:
            await upgrade(config, options.start, databases=names)
        before = _without_version_table(await snapshot_url(clone.url), table)
        await upgrade(config, "head", databases=names)
        await downgrade(config, target, databases=names)
        after = _without_version_table(await snapshot_url(clone.url), table)
        found = differences(before, after)
        if found:
            raise _Finding(f"left after downgrade to {target}: " + "; ".join(found[:_SHOWN]))
        return f"downgrade to {target} left no trace"

    return await _scratch(templates, round_trip)


@_check
async def _models_match(templates: Templates, options: CheckOptions) -> str:
    """The target metadata and the database at head agree (``asyncmig check`` finds nothing)."""
    from .._commands.autogen import check

    async def compare(clone: Clone) -> str:
        config = with_url(templates.config, templates.database, clone.url)
        try:
            report = await check(config, databases=[templates.database])
        except NoTargetMetadata as exc:
            raise _Skip(str(exc)) from exc
        if not report.ok:
            found = [diff.description for diff in report.differences]
            raise _Finding(
                f"{len(found)} difference(s) between the models and head: "
                + "; ".join(found[:_SHOWN])
                + "; run `asyncmig revision --autogenerate`"
            )
        return "models match head"

    return await _scratch(templates, compare, migrated=True)


CHECKS = tuple(_CHECKS)


async def check_history(
    config: Config,
    *,
    checks: Sequence[str] | None = None,
    databases: Sequence[str] | None = None,
    options: CheckOptions | None = None,
    folder: Path,
    on_result: Callable[[CheckResult], None] | None = None,
) -> list[CheckResult]:
    """Run the history checks on each selected database; scratch databases go beside it.

    SQLite scratch files and templates go in `folder`; on a server, scratch
    databases are made and dropped there, and the head template is kept for
    the pytest plugin to reuse.
    """
    selected = list(checks or CHECKS)
    unknown = [name for name in selected if name not in _CHECKS]
    if unknown:
        raise CommandError(
            f"no history check named {', '.join(unknown)}; the checks are {', '.join(CHECKS)}"
        )
    options = options or CheckOptions()
    results: list[CheckResult] = []
    for db in config.select(databases):
        templates = Templates(config, db.name, folder=folder)
        try:
            for name in selected:
                result = await run_check(name, templates, options)
                results.append(result)
                if on_result is not None:
                    on_result(result)
        finally:
            await templates.close()
    return results
