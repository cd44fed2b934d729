"""Commands that read or write the script directory and need no database.

Each is an ``async def`` that returns data and prints nothing; file work runs
in a worker thread so the event loop never blocks.  ``history -i`` and
``current`` ranges are the exception: they ask the database commands (imported
lazily, so that ``heads`` never loads SQLAlchemy) for the current revisions.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar, overload

from .._config import Config
from .._reports import AutogenRevision, RevisionInfo, TemplateInfo
from .._script.directory import ScriptDirectory
from .._script.revision import Revision, RevisionMap
from ..errors import CommandError
from .revision_info import revision_info

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

T = TypeVar("T")

__all__ = (
    "branches",
    "edit",
    "heads",
    "history",
    "init",
    "list_templates",
    "merge",
    "revision",
    "show",
)


def _directory(config: Config, database: str | None) -> ScriptDirectory:
    """The script directory of `database` (its own history, if it has one)."""
    location = config.database(database).script_location if database else None
    return ScriptDirectory(config, location)


def _scan(config: Config, database: str | None) -> tuple[ScriptDirectory, RevisionMap]:
    directory = _directory(config, database)
    return directory, directory.revision_map


async def _in_thread(fn: Callable[[], T]) -> T:
    # anyio is imported here, not at module level: the CLI answers `heads` and
    # friends through the synchronous cores below without starting an event loop.
    import anyio.to_thread

    return await anyio.to_thread.run_sync(fn)


def _with_doc(directory: ScriptDirectory, graph: RevisionMap, rev: Revision) -> RevisionInfo:
    return revision_info(graph, rev, doc=directory.get_script(rev.revision).doc)


def list_heads(
    config: Config, *, resolve_dependencies: bool = False, database: str | None = None
) -> list[RevisionInfo]:
    """:func:`heads`, synchronously (for the CLI and worker threads)."""
    directory, graph = _scan(config, database)
    ids = graph.heads_with_dependencies() if resolve_dependencies else graph.heads
    return [_with_doc(directory, graph, graph.get(rev)) for rev in ids]


def list_branches(config: Config, *, database: str | None = None) -> list[RevisionInfo]:
    """:func:`branches`, synchronously."""
    directory, graph = _scan(config, database)
    return [
        _with_doc(directory, graph, rev) for rev in graph if graph.is_branch_point(rev.revision)
    ]


def list_history(
    config: Config,
    rev_range: str | None = None,
    *,
    current: Sequence[str] = (),
    database: str | None = None,
    marked: bool = False,
) -> list[RevisionInfo]:
    """:func:`history`, synchronously, given the current revisions (if they matter).

    `marked`: the current revisions were read to be marked (``history -i``).
    """
    directory, graph = _scan(config, database)
    marks = current if marked else None
    return [
        revision_info(graph, rev, marks, doc=directory.get_script(rev.revision).doc)
        for rev in graph.history(rev_range, current)
    ]


def list_shown(
    config: Config,
    revisions: str = "head",
    *,
    current: Sequence[str] = (),
    database: str | None = None,
) -> list[RevisionInfo]:
    """:func:`show`, synchronously, given the current revisions (if they matter)."""
    directory, graph = _scan(config, database)
    ids = current if revisions == "current" else graph.resolve(revisions, current)
    marks = current if needs_current(revisions) else None
    return [
        revision_info(graph, graph.get(rev), marks, doc=directory.get_script(rev).doc)
        for rev in ids
    ]


def needs_current(target: str | None) -> bool:
    """Whether a target, or a side of a ``start:end`` range, is the symbol ``current``.

    Only the whole symbol reads the database, as in Alembic: a branch label or
    id that merely contains the word (``recurrent@head``) is resolved from the files.
    """
    return target is not None and "current" in target.strip().split(":")


async def heads(
    config: Config, *, resolve_dependencies: bool = False, database: str | None = None
) -> list[RevisionInfo]:
    """Show the heads of the script directory."""
    return await _in_thread(
        partial(list_heads, config, resolve_dependencies=resolve_dependencies, database=database)
    )


async def branches(config: Config, *, database: str | None = None) -> list[RevisionInfo]:
    """Show the branch points of the script directory."""
    return await _in_thread(partial(list_branches, config, database=database))


async def _current_heads(
    config: Config, database: str | None, *, union: bool = False
) -> tuple[str, ...]:
    """The current revisions of one database (or, with `union`, of every selected one)."""
    from .database import current

    found = await current(config, databases=[database] if database else None)
    if union:
        return tuple(dict.fromkeys(rev for revs in found.values() for rev in revs))
    if len(found) > 1:
        raise CommandError(
            f"'current' is ambiguous with several databases ({', '.join(found)}); "
            "pick one with --db"
        )
    return next(iter(found.values()), ())


async def history(
    config: Config,
    rev_range: str | None = None,
    *,
    indicate_current: bool = False,
    database: str | None = None,
) -> list[RevisionInfo]:
    """List revisions newest first, optionally within ``start:end``."""
    in_range = needs_current(rev_range)
    # Marking current revisions works across databases; a `current` range needs one.
    current = (
        await _current_heads(config, database, union=not in_range)
        if indicate_current or in_range
        else ()
    )
    return await _in_thread(
        partial(
            list_history,
            config,
            rev_range,
            current=current,
            database=database,
            marked=indicate_current,
        )
    )


async def show(
    config: Config, revisions: str = "head", *, database: str | None = None
) -> list[RevisionInfo]:
    """Show the revision(s) a target names (``head``, ``heads``, an id, a label...)."""
    current = await _current_heads(config, database) if needs_current(revisions) else ()
    return await _in_thread(
        partial(list_shown, config, revisions, current=current, database=database)
    )


@overload
async def revision(
    config: Config,
    message: str | None = None,
    *,
    head: str | None = None,
    splice: bool = False,
    branch_label: str | Sequence[str] | None = None,
    depends_on: str | Sequence[str] | None = None,
    version_path: str | Path | None = None,
    rev_id: str | None = None,
    database: str | None = None,
    autogenerate: Literal[False] = False,
    databases: Sequence[str] | None = None,
    engines: Mapping[str, AsyncEngine] | None = None,
) -> RevisionInfo: ...


@overload
async def revision(
    config: Config,
    message: str | None = None,
    *,
    head: str | None = None,
    splice: bool = False,
    branch_label: str | Sequence[str] | None = None,
    depends_on: str | Sequence[str] | None = None,
    version_path: str | Path | None = None,
    rev_id: str | None = None,
    database: str | None = None,
    autogenerate: Literal[True],
    databases: Sequence[str] | None = None,
    engines: Mapping[str, AsyncEngine] | None = None,
) -> AutogenRevision | None: ...


@overload
async def revision(
    config: Config,
    message: str | None = None,
    *,
    head: str | None = None,
    splice: bool = False,
    branch_label: str | Sequence[str] | None = None,
    depends_on: str | Sequence[str] | None = None,
    version_path: str | Path | None = None,
    rev_id: str | None = None,
    database: str | None = None,
    autogenerate: bool,
    databases: Sequence[str] | None = None,
    engines: Mapping[str, AsyncEngine] | None = None,
) -> RevisionInfo | None: ...


async def revision(
    config: Config,
    message: str | None = None,
    *,
    head: str | None = None,
    splice: bool = False,
    branch_label: str | Sequence[str] | None = None,
    depends_on: str | Sequence[str] | None = None,
    version_path: str | Path | None = None,
    rev_id: str | None = None,
    database: str | None = None,
    autogenerate: bool = False,
    databases: Sequence[str] | None = None,
    engines: Mapping[str, AsyncEngine] | None = None,
) -> RevisionInfo | None:
    """Create a new revision script from the location's ``script.py.mako``.

    With `autogenerate`, its functions turn the database (at head) into the
    target metadata (an :class:`~asyncmig.AutogenRevision`); None if env.py's
    ``process_revision_directives`` dropped it.  Autogenerate compares
    `databases` (default: `database`, or every database), which share one history.
    """
    if databases is not None and (database is not None or not autogenerate):
        raise CommandError(
            "`databases` selects the databases autogenerate compares; a plain revision "
            "takes `database`, and the two do not go together"
        )
    if autogenerate:
        # The one way into autogenerate, imported on use: listing scripts never loads it.
        from .autogen import autogenerate_revision

        return await autogenerate_revision(
            config,
            message,
            head=head,
            splice=splice,
            branch_label=branch_label,
            depends_on=depends_on,
            version_path=version_path,
            rev_id=rev_id,
            databases=[database] if database else databases,
            engines=engines,
        )
    labels = [branch_label] if isinstance(branch_label, str) else list(branch_label or ())
    depends = [depends_on] if isinstance(depends_on, str) else list(depends_on or ())

    def write() -> RevisionInfo:
        directory = _directory(config, database)
        script = directory.generate_revision(
            message,
            rev_id=rev_id,
            head=head,
            splice=splice,
            branch_labels=labels,
            depends_on=depends,
            version_path=version_path,
        )
        return revision_info(directory.revision_map, script.revision, doc=script.doc)

    return await _in_thread(write)


async def merge(
    config: Config,
    revisions: str | Sequence[str] = "heads",
    *,
    message: str | None = None,
    branch_label: str | Sequence[str] | None = None,
    rev_id: str | None = None,
    database: str | None = None,
) -> RevisionInfo:
    """Create a merge revision joining two or more revisions (default: all heads)."""
    wanted = [revisions] if isinstance(revisions, str) else list(revisions)
    labels = [branch_label] if isinstance(branch_label, str) else list(branch_label or ())

    def write() -> RevisionInfo:
        directory = _directory(config, database)
        graph = directory.revision_map
        parents: list[str] = []
        for target in wanted:
            for rev in graph.resolve(target):
                if rev not in parents:
                    parents.append(rev)
        if len(parents) < 2:
            raise CommandError(
                f"merge needs two or more revisions; {' '.join(wanted)} names only "
                f"{', '.join(parents) or 'none'}"
            )
        script = directory.generate_revision(
            message, rev_id=rev_id, head=parents, splice=True, branch_labels=labels
        )
        return revision_info(directory.revision_map, script.revision, doc=script.doc)

    return await _in_thread(write)


def _editor() -> list[str]:
    for variable in ("VISUAL", "EDITOR"):
        if value := os.environ.get(variable):
            return shlex.split(value)
    for fallback in ("sensible-editor", "vim", "vi", "nano"):
        if found := shutil.which(fallback):
            return [found]
    raise CommandError("no editor found: set the EDITOR environment variable")


async def edit(config: Config, revision: str = "head", *, database: str | None = None) -> Path:
    """Open a revision's script in ``$VISUAL`` / ``$EDITOR``; return its path."""
    directory, graph = await _in_thread(partial(_scan, config, database))
    if revision == "current":
        ids: Sequence[str] = await _current_heads(config, database)
    else:
        ids = graph.resolve(revision)
    if len(ids) != 1:
        raise CommandError(f"{revision!r} names {len(ids)} revisions; edit takes exactly one")
    path = directory.get_script(ids[0]).path
    command = [*_editor(), str(path)]

    def run() -> int:
        return subprocess.run(command, check=False).returncode

    status = await _in_thread(run)
    if status:
        raise CommandError(f"the editor {command[0]!r} exited with status {status} on {path}")
    return path


async def init(
    directory: str | Path,
    template: str = "generic",
    *,
    package: bool = False,
    cwd: str | Path | None = None,
) -> list[Path]:
    """Create a script directory and its configuration from a template."""
    from .. import _project_templates as _templates

    return await _in_thread(lambda: _templates.init(directory, template, cwd=cwd, package=package))


async def list_templates() -> list[TemplateInfo]:
    """The templates ``init`` can use."""
    from .. import _project_templates as _templates

    found = await _in_thread(_templates.list_templates)
    return [TemplateInfo(name, description) for name, description in found]
