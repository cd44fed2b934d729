"""Autogenerate and check: compare each database, at head, with its models.

Both connect to every selected database at once, read only (no migration
lock, no version table created), insist that the database is at the head of
its history, and compare inside ``run_sync``.  ``check`` reports what it
found; :func:`autogenerate_revision`, what ``revision(autogenerate=True)``
runs, lets env.py's ``process_revision_directives`` have its say, renders the
differences and writes them through the location's ``script.py.mako``
(post-write hooks included).  SQLAlchemy is imported on first use, not with
this module, which imports nothing from the other script commands.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._config import Config
from .._reports import AutogenRevision, CheckReport, Difference, RevisionInfo
from ..errors import CommandError, NoTargetMetadata
from .revision_info import revision_info

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect
    from sqlalchemy.ext.asyncio import AsyncEngine
    from sqlalchemy.schema import MetaData

    from .._autogenerate import Comparison, RenderedMigration
    from .._config import DatabaseConfig
    from .._runtime.metadata import AutogenHooks
    from .._runtime.script_cache import Loaded, ScriptCache
    from .._script.revision import RevisionMap

__all__ = ("check",)  # autogenerate: through scripts.revision(autogenerate=True)

Engines = Mapping[str, "AsyncEngine"]
_NOTE_WIDTH = 92


@dataclass
class _Compared:
    """One database's comparison, and what rendering it needs."""

    database: str
    current: tuple[str, ...]
    comparison: Comparison
    hooks: AutogenHooks
    dialect: Dialect
    opts: dict[str, Any]


async def _compare_all(
    config: Config, databases: Sequence[str] | None, engines: Engines | None
) -> tuple[ScriptCache, list[_Compared]]:
    """Compare every selected database concurrently; raise the first failure in config order."""
    from .preload import runtime_imported

    await runtime_imported(config, databases)
    # deferred: the CLI imports this module for its --help texts
    from .._runtime.failures import each_database, raise_first
    from .._runtime.script_cache import ScriptCache

    selected = config.select(databases)
    cache = ScriptCache(config)

    async def one(database: DatabaseConfig) -> _Compared:
        return await _compare_one(config, database, cache, engines)

    found, failures = await each_database(selected, one)
    raise_first(selected, failures)
    return cache, [found[database.name] for database in selected]


def _models(config: Config, database: DatabaseConfig, loaded: Loaded) -> tuple[MetaData, ...]:
    from .._runtime.metadata import metadata_for

    found = metadata_for(config, database, loaded.env_module)
    if not found:
        raise NoTargetMetadata(
            f"database {database.name!r} has no target metadata to compare with; set "
            '`target_metadata` in env.py or `target_metadata = "myapp.models:Base.metadata"` '
            "in the configuration"
        )
    return found


async def _compare_one(
    config: Config, database: DatabaseConfig, cache: ScriptCache, engines: Engines | None
) -> _Compared:
    import anyio.to_thread
    from sqlalchemy.engine import Connection

    from .._autogenerate import compare_metadata
    from .._runtime import version_table as vt
    from .._runtime.connection import leased_engine, open_target
    from .._runtime.metadata import hooks_for
    from .._runtime.steps import context_options
    from .._runtime.targets import Target

    if database.schemas is not None or database.schemas_query is not None:
        raise CommandError(
            f"database {database.name!r} migrates tenant schemas, which autogenerate cannot "
            "compare yet; point a database entry without `schemas` at one tenant to compare it"
        )
    loaded, graph = await cache.require_graph(database)
    metadata = await anyio.to_thread.run_sync(_models, config, database, loaded)
    hooks = hooks_for(loaded.env_module, database.name)
    name, schema = Target(database).version_table(config)
    table = vt.version_table(name, schema)
    options = hooks.options((name,))
    opts = context_options(
        config,
        name,
        schema,
        {"target_metadata": metadata[0] if len(metadata) == 1 else list(metadata)},
    )

    def compare(connection: Connection) -> tuple[tuple[str, ...], Comparison | None]:
        current = vt.read_heads(connection, vt.VersionTable(table))
        if set(current) != set(graph.heads):
            return current, None
        return current, compare_metadata(connection, metadata, options=options)

    async with (
        leased_engine(database, engines, loaded.env_module) as lease,
        open_target(lease.engine, Target(database), config) as target,
    ):
        current, comparison = await target.conn.run_sync(compare)
        dialect = target.conn.dialect
    if comparison is None:
        raise _behind(database, current, graph)
    return _Compared(database.name, current, comparison, hooks, dialect, opts)


def _behind(database: DatabaseConfig, current: Sequence[str], graph: RevisionMap) -> CommandError:
    return CommandError(
        f"Target database is not up to date: database {database.name!r} is at "
        f"{', '.join(current) or '<base>'}, the head is {', '.join(graph.heads) or '<base>'}; "
        "run `asyncmig upgrade head` first"
    )


def _differences(name: str, diffs: Sequence[Any]) -> list[Difference]:
    return [Difference(name, diff.kind, diff.describe(), diff.to_dict()) for diff in diffs]


async def check(
    config: Config, *, databases: Sequence[str] | None = None, engines: Engines | None = None
) -> CheckReport:
    """Check whether the models and the databases (at head) agree, as autogenerate would see it."""
    _, compared = await _compare_all(config, databases, engines)
    script = _directives(compared, rev_id=None, message=None)
    by_database = script.diffs_by_database() if script is not None else {}
    differences: list[Difference] = []
    for item in compared:
        differences.extend(_differences(item.database, by_database.get(item.database, ())))
    return CheckReport(
        revisions={item.database: item.current for item in compared},
        differences=tuple(differences),
        notes={item.database: tuple(item.comparison.notes) for item in compared},
    )


def _directives(compared: Sequence[_Compared], *, rev_id: str | None, message: str | None) -> Any:
    """env.py's process_revision_directives run on the differences (None: it wrote nothing)."""
    from .._autogenerate import run_revision_directives
    from .._runtime.context import MigrationContext

    first = compared[0]
    context = MigrationContext.configure(
        dialect=first.dialect, opts=first.opts, database=first.database
    )
    return run_revision_directives(
        first.hooks.process_revision_directives,
        context,
        first.current,
        rev_id=rev_id,
        message=message,
        diffs={item.database: list(item.comparison) for item in compared},
    )


def _body(rendered: RenderedMigration, notes: Sequence[str], *, upgrade: bool) -> str:
    """A function body for the template, which indents only its first line."""
    text = rendered.upgrade if upgrade else rendered.downgrade
    lines = []
    if upgrade:
        for note in notes:
            lines.extend(
                textwrap.wrap(
                    note,
                    _NOTE_WIDTH,
                    initial_indent="    # NOTE: ",
                    subsequent_indent="    #   ",
                    break_on_hyphens=False,
                )
            )
    lines.extend(text.splitlines())
    return "\n".join(lines).strip()


def _render(
    compared: Sequence[_Compared], diffs: Mapping[str, Sequence[Any]], extra_imports: set[str]
) -> tuple[dict[str, object], dict[str, tuple[str, ...]]]:
    """The template arguments and each database's notes."""
    from .._autogenerate import Comparison, render_migration

    args: dict[str, object] = {}
    imports: set[str] = set(extra_imports)
    notes: dict[str, tuple[str, ...]] = {}
    for item in compared:
        kept = Comparison(diffs.get(item.database, ())).with_notes(list(item.comparison.notes))
        rendered = render_migration(
            kept,
            dialect_name=item.dialect.name,
            render_as_batch=item.hooks.render_as_batch,
            user_module_prefix=item.hooks.user_module_prefix,
            dialect=item.dialect,
        )
        notes[item.database] = rendered.notes
        imports.update(rendered.imports)
        args[f"{item.database}_upgrades"] = _body(rendered, rendered.notes, upgrade=True)
        args[f"{item.database}_downgrades"] = _body(rendered, (), upgrade=False)
    if len(compared) == 1:
        only = compared[0].database
        args["upgrades"] = args[f"{only}_upgrades"]
        args["downgrades"] = args[f"{only}_downgrades"]
    args["imports"] = "\n".join(sorted(imports))
    return args, notes


def _require_per_database_template(loaded: Loaded, names: Sequence[str]) -> None:
    template = Path(loaded.directory.location) / "script.py.mako"
    try:
        text = template.read_text(encoding="utf-8")
    except OSError:
        return  # the writer reports a missing template
    if "_upgrades" not in text:
        raise CommandError(
            f"{template} has no per-database functions, so the changes of "
            f"{', '.join(names)} cannot go into one script; use the multidb template's "
            "script.py.mako (upgrade_<name>() per database) or pick one database with --db"
        )


async def autogenerate_revision(
    config: Config,
    message: str | None = None,
    *,
    head: str | None = None,
    splice: bool = False,
    branch_label: str | Sequence[str] | None = None,
    depends_on: str | Sequence[str] | None = None,
    version_path: str | Path | None = None,
    rev_id: str | None = None,
    databases: Sequence[str] | None = None,
    engines: Engines | None = None,
) -> AutogenRevision | None:
    """Write a revision whose functions turn each database (at head) into its models.

    What :func:`~asyncmig.revision` runs with ``autogenerate=True``: call that.
    Returns None when env.py's ``process_revision_directives`` removed the script.
    """
    import anyio.to_thread

    selected = config.select(databases)
    locations = {db.script_location for db in selected}
    if len(locations) > 1:
        raise CommandError(
            f"databases {', '.join(db.name for db in selected)} keep separate histories; "
            "autogenerate one at a time with --db"
        )
    cache, compared = await _compare_all(config, databases, engines)
    loaded, _ = await cache.require_graph(selected[0])
    script = _directives(compared, rev_id=rev_id, message=message)
    if script is None:
        return None
    diffs = script.diffs_by_database()
    args, notes = _render(compared, diffs, set(script.imports))
    labels = [branch_label] if isinstance(branch_label, str) else list(branch_label or ())
    if script.branch_label:
        labels = (
            [script.branch_label]
            if isinstance(script.branch_label, str)
            else list(script.branch_label)
        )
    depends = [depends_on] if isinstance(depends_on, str) else list(depends_on or ())
    if script.depends_on:
        depends = (
            [script.depends_on] if isinstance(script.depends_on, str) else list(script.depends_on)
        )

    def write() -> RevisionInfo:
        if len(compared) > 1:
            _require_per_database_template(loaded, [item.database for item in compared])
        directory = loaded.directory
        written = directory.generate_revision(
            script.message,
            rev_id=script.rev_id,
            head=script.head if script.head is not None else head,
            splice=splice,
            branch_labels=labels,
            depends_on=depends,
            version_path=version_path,
            template_args=args,
        )
        return revision_info(directory.revision_map, written.revision, doc=written.doc)

    info = await anyio.to_thread.run_sync(write)
    differences = [
        d for item in compared for d in _differences(item.database, diffs.get(item.database, ()))
    ]
    base = {spec.name: getattr(info, spec.name) for spec in fields(RevisionInfo)}
    return AutogenRevision(**base, differences=tuple(differences), notes=notes)
