"""The applied-history ledger: a row per step applied online, in ``<version_table>_ledger``.

Flyway's ``flyway_schema_history`` is the model.  Each row records a revision,
the direction (``upgrade``, ``downgrade``, ``stamp``; ``baseline`` for what was
applied before the ledger existed, ``accept`` for a checksum a person checked
and accepted), the sha256 of the script file (line endings normalised), the
database role and the OS user, the UTC time, the duration, whether it
succeeded, and the asyncmig version.  The version table keeps Alembic's exact
shape: everything asyncmig adds is here.  A step that commits as it goes
(autocommit blocks; any step on MySQL/MariaDB) also has a row while it runs,
with ``progress`` set (:mod:`.journal`); it is deleted when the step finishes,
and stays, marked resolved by ``asyncmig repair``, after one that did not.

The ledger is created in the transaction of the first version-table write
that finds it missing; on a database whose version table already has rows (an
Alembic database, an older asyncmig), every revision below those rows gets a
``baseline`` row then.  A successful step's row is written in the step's own
transaction, so it commits or rolls back with the step.  A failed step's row
is written after the rollback, in a short transaction of its own, and only
where a version table exists (a failed first run leaves a fresh database as it
was); failing to write it never replaces the step's error.  Offline (``--sql``)
nothing here runs: that SQL stays Alembic's.

Files are read (checksums) and the OS user and asyncmig version looked up in a
worker thread, before the steps run (:func:`prepare`); the rest is synchronous
code for ``run_sync``.
"""

from __future__ import annotations

import functools
import getpass
import os
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    inspect,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from .._reports import LedgerEntry
from ..errors import ChecksumMismatch
from . import version_table as vt
from .ledger_check import applied_revisions, assess, file_checksum, hash_expected, problems

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.sql.compiler import SQLCompiler

    from .._script.revision import RevisionMap, Step
    from .connection import TargetConnection
    from .context import MigrationContext
    from .steps import TargetSetup

__all__ = (
    "ensure_beside",
    "exists",
    "insert_one",
    "ledger_name",
    "ledger_table",
    "prepare",
    "read_entries",
    "record_failure",
    "recorded",
    "verify",
)


# setup.opts key: {revision: (checksum, script path)} of the scripts planned, hashed up front.
_SCRIPTS = "asyncmig_ledger_scripts"
# The version tables (one per target connection) whose ledger is known to exist.
_found: weakref.WeakSet[vt.VersionTable] = weakref.WeakSet()


def ledger_name(version_table: str) -> str:
    """The ledger's name: the version table's, plus ``_ledger``."""
    return f"{version_table}_ledger"


@functools.lru_cache(maxsize=1024)
def ledger_table(version_table: str, schema: str | None = None) -> Table:
    """The ledger beside `version_table`, on a metadata of its own (built once per name)."""
    name = ledger_name(version_table)
    return Table(
        name,
        MetaData(),
        Column("id", Integer, autoincrement=True),
        Column("revision", Text, nullable=False),
        Column("direction", String(16), nullable=False),
        Column("checksum", String(64)),
        Column("script", Text),
        Column("db_user", String(512)),
        Column("os_user", String(255)),
        Column("applied_at", DateTime, nullable=False),  # UTC
        Column("duration_ms", Integer),
        Column("success", Boolean, nullable=False),
        Column("asyncmig_version", String(64)),
        Column("progress", Text),  # JSON: how far an unfinished step got (see .journal)
        PrimaryKeyConstraint("id", name=f"{name}_pkc"),
        schema=schema,
    )


def _ledger_of(version: vt.VersionTable) -> Table:
    return ledger_table(version.table.name, version.table.schema)


class _DatabaseRole(FunctionElement[str]):
    """The role the connection acts as: ``CURRENT_USER``, NULL where there are no roles."""

    type = String()
    name = "database_role"
    inherit_cache = True


@compiles(_DatabaseRole)
def _current_user(element: _DatabaseRole, compiler: SQLCompiler, **kw: Any) -> str:
    return "CURRENT_USER"


@compiles(_DatabaseRole, "sqlite")
def _no_role(element: _DatabaseRole, compiler: SQLCompiler, **kw: Any) -> str:
    return "NULL"


@functools.cache
def identity() -> tuple[str | None, str | None]:
    """The OS user and asyncmig's version (reads files: first called in a worker thread)."""
    try:
        user: str | None = getpass.getuser()
    except Exception:  # no USER/LOGNAME and no password entry (a bare container)
        user = None
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed: str | None = version("asyncmig")
    except PackageNotFoundError:  # a source tree that is not installed
        installed = None
    return user, installed


def relative_script(location: Path, path: str | None) -> str | None:
    """`path` relative to the script location, as the ledger records it."""
    if path is None:
        return None
    try:
        return Path(os.path.relpath(path, location)).as_posix()
    except ValueError:  # another drive (Windows)
        return Path(path).as_posix()


def row(
    revision: str,
    direction: str,
    *,
    checksum: str | None = None,
    script: str | None = None,
    duration_ms: int | None = None,
    success: bool = True,
) -> dict[str, Any]:
    """One ledger row's values (the database role is filled in by the INSERT itself)."""
    os_user, version = identity()
    return {
        "revision": revision,
        "direction": direction,
        "checksum": checksum,
        "script": script,
        "os_user": os_user,
        "applied_at": datetime.now(UTC).replace(tzinfo=None),
        "duration_ms": duration_ms,
        "success": success,
        "asyncmig_version": version,
    }


def insert(
    connection: Connection, version: vt.VersionTable, rows: Sequence[dict[str, Any]]
) -> None:
    """Write `rows` into the ledger beside `version`."""
    if rows:
        statement = _ledger_of(version).insert().values(db_user=_DatabaseRole())
        connection.execute(statement, list(rows))


def insert_one(connection: Connection, version: vt.VersionTable, values: dict[str, Any]) -> int:
    """Write one row into the ledger beside `version`; return its id."""
    statement = _ledger_of(version).insert().values(db_user=_DatabaseRole())
    key = connection.execute(statement, values).inserted_primary_key
    assert key is not None  # one row, its id generated
    return int(key[0])


def exists(connection: Connection, version: vt.VersionTable) -> bool:
    """Whether the ledger beside `version` is there."""
    table = _ledger_of(version)
    return version in _found or inspect(connection).has_table(table.name, schema=table.schema)


def ensure(
    connection: Connection,
    version: vt.VersionTable,
    graph: RevisionMap,
    location: Path,
    before: Callable[[], Sequence[str]],
    *,
    beside_existing: bool = False,
) -> bool:
    """Create the ledger if it is missing, with a ``baseline`` row per revision applied `before`.

    With `beside_existing`, only where the version table exists.  False: not created.
    """
    if version in _found:
        return True
    table = _ledger_of(version)
    inspector = inspect(connection)
    if not inspector.has_table(table.name, schema=table.schema):
        if beside_existing and not inspector.has_table(
            version.table.name, schema=version.table.schema
        ):
            return False
        heads = before()
        table.create(connection)
        baseline = [
            row(rev, "baseline", script=relative_script(location, graph.get(rev).path))
            for rev in applied_revisions(graph, heads)
        ]
        insert(connection, version, baseline)
    _found.add(version)
    return True


def read_entries(connection: Connection, version: vt.VersionTable, key: str) -> list[LedgerEntry]:
    """Every row of the ledger beside `version`, oldest first; [] without a ledger."""
    table = _ledger_of(version)
    if version not in _found and not inspect(connection).has_table(table.name, schema=table.schema):
        return []
    found = connection.execute(select(table).order_by(table.c.id)).mappings().all()
    return [
        LedgerEntry(
            database=key,
            id=int(r["id"]),
            revision=str(r["revision"]),
            direction=str(r["direction"]),
            checksum=r["checksum"],
            script=r["script"],
            db_user=r["db_user"],
            os_user=r["os_user"],
            applied_at=_utc(r["applied_at"]),
            duration_ms=None if r["duration_ms"] is None else int(r["duration_ms"]),
            success=bool(r["success"]),
            asyncmig_version=r["asyncmig_version"],
        )
        for r in found
    ]


def _utc(value: Any) -> datetime:
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


# -- the runner's hooks -----------------------------------------------------------------


async def prepare(setup: TargetSetup, steps: Sequence[Step]) -> None:
    """Hash the scripts `steps` run, and learn who runs them, in a worker thread."""
    if not setup.config.ledger:
        return
    await anyio.to_thread.run_sync(_prepare, setup, list(steps))


def _prepare(setup: TargetSetup, steps: Sequence[Step]) -> None:
    identity()
    scripts: dict[str, tuple[str | None, str | None]] = setup.opts.setdefault(_SCRIPTS, {})
    for step in steps:
        script = step.script
        if script is None or script.revision in scripts:
            continue
        location = setup.directory.location
        digest = file_checksum(script.path) if script.path is not None else None
        scripts[script.revision] = (digest, relative_script(location, script.path))


def _step_row(setup: TargetSetup, step: Step, started: float, *, success: bool) -> dict[str, Any]:
    digest = script = None
    if step.script is not None:
        digest, script = setup.opts.get(_SCRIPTS, {}).get(step.script.revision, (None, None))
    elapsed = round((time.perf_counter() - started) * 1000)
    return row(
        step.revision,
        step.direction,
        checksum=digest,
        script=script,
        duration_ms=elapsed,
        success=success,
    )


@contextmanager
def recorded(context: MigrationContext, setup: TargetSetup, step: Step) -> Iterator[None]:
    """Time the step run inside; once it has succeeded, write its row in its own transaction."""
    started = time.perf_counter()
    yield
    if not setup.config.ledger:
        return
    connection = context.connection
    assert connection is not None  # online only
    version = context.version

    def before() -> Sequence[str]:
        # The rows as they were before this step: the step's own change undone.
        if step.purge:
            return step.delete
        now = set(vt.read_heads(connection, version))
        return sorted((now - set(step.insert)) | set(step.delete))

    directory = setup.directory
    ensure(connection, version, directory.revision_map, directory.location, before)
    insert(connection, version, [_step_row(setup, step, started, success=True)])


def ensure_beside(context: MigrationContext, setup: TargetSetup) -> None:
    """Create the ledger beside the version table if it is missing (``ensure-version``)."""
    if not setup.config.ledger:
        return
    connection = context.connection
    assert connection is not None  # online only
    version = context.version
    directory = setup.directory
    ensure(
        connection,
        version,
        directory.revision_map,
        directory.location,
        lambda: vt.read_heads(connection, version),
    )


async def record_failure(
    tc: TargetConnection,
    setup: TargetSetup,
    step: Step,
    started: float,
    error: BaseException | None = None,
) -> None:
    """After a failed step's rollback, its row (success false) in a short transaction of its own.

    Best-effort: a failure here is logged, never raised.  Nothing is written for
    a cancelled step, nor where there is no version table yet.
    """
    if not setup.config.ledger:
        return
    if error is not None and not isinstance(error, Exception):
        return  # cancelled or interrupted: get out at once
    values = _step_row(setup, step, started, success=False)
    await tc.try_sync(
        f"the failed step {step.revision} could not be recorded in the ledger",
        _write_failure,
        tc,
        setup,
        values,
    )


def _write_failure(
    connection: Connection, tc: TargetConnection, setup: TargetSetup, values: dict[str, Any]
) -> None:
    version = tc.version
    _found.discard(version)  # the rollback may have taken its creation with it
    tc.session.begin(connection)
    directory = setup.directory
    fresh = vt.VersionTable(version.table)  # nor is the version table's cached state sure now
    if ensure(
        connection,
        version,
        directory.revision_map,
        directory.location,
        lambda: vt.read_heads(connection, fresh),
        beside_existing=True,
    ):
        insert(connection, version, [values])
        connection.commit()
    else:
        connection.rollback()


async def verify(
    tc: TargetConnection, setup: TargetSetup, graph: RevisionMap, heads: Sequence[str]
) -> None:
    """``upgrade`` with ``validate_on_migrate``: stop before any step if an applied script changed.

    Runs in the transaction that read `heads`; on a mismatch nothing has been written.
    """
    config = setup.config
    if setup.request.command != "upgrade" or not (config.ledger and config.validate_on_migrate):
        return
    key = f"{setup.database}:{setup.schema}" if setup.schema else setup.database
    entries = await tc.conn.run_sync(read_entries, tc.version, key)
    if not any(entry.checksum for entry in entries):
        return
    known = [head for head in heads if head in graph]  # an unknown one is the plan's to report
    location = setup.directory.location

    def compare() -> list[Any]:
        assessment = assess(key, known, entries, graph, location)
        return problems(assessment, hash_expected(assessment.expected))

    found = await anyio.to_thread.run_sync(compare)
    if found:
        first = found[0]
        raise ChecksumMismatch(
            database=setup.database,
            revision=first.revision,
            path=first.path,
            recorded=first.recorded,
            actual=first.actual,
            others=[problem.revision for problem in found[1:]],
        )
