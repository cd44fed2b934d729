"""Run one Alembic history under real Alembic and under asyncmig, and compare the schemas.

:func:`check_history` writes the given version scripts twice (one folder per tool, so
neither tool's module cache or bytecode sees the other's), runs ``upgrade head`` and then
``downgrade <target>`` under each tool on a fresh database of its own, snapshots the
schema after each direction and raises :class:`AssertionError` listing every difference
as ``path: alembic | asyncmig``.  When Alembic itself fails, :class:`AlembicFailed` is
raised instead: the case is invalid, or it belongs in ``_intended.py``.

Both tools run in this process, one after the other.  asyncmig aliases ``alembic`` in
``sys.modules`` only while it imports scripts and puts the real Alembic back afterwards;
each tool imports the scripts from its own folder, so the module objects are distinct.
"""

from __future__ import annotations

import io
import itertools
import os
import tempfile
import traceback
import uuid
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("alembic", reason="the compat tests need Alembic: run `nox -s compat`")

import anyio
import sqlalchemy as sa
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from sqlalchemy.engine import make_url

import asyncmig
from tests import _servers
from tests.compat._snapshot import VERSION_TABLE, normalise_sql, snapshot

__all__ = (
    "Backend",
    "Database",
    "AlembicFailed",
    "BACKENDS",
    "check_history",
    "compat_backend",
    "diff",
    "normalise_sql",
    "run_alembic",
    "run_asyncmig",
    "snapshot",
    "write_scripts",
)

BACKENDS = ("sqlite", "postgresql", "mariadb")
_SYNC_DRIVERS = {"postgresql": "postgresql+psycopg2", "mariadb": "mysql+pymysql"}
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "mariadb": "mysql+aiomysql",
}

ALEMBIC_ENV = '''"""A plain online Alembic env: one connection, nothing app-specific."""
from alembic import context
import sqlalchemy as sa

config = context.config
url = config.get_main_option("sqlalchemy.url")


def run(connection):
    context.configure(
        connection=connection,
        version_table="{version_table}",
        transaction_per_migration={per_migration},
    )
    with context.begin_transaction():
        context.run_migrations()


if "+aiosqlite" in url or "+asyncpg" in url or "+aiomysql" in url:
    # An async engine, as Alembic's asyncio template does (op.run_async needs one).
    import asyncio

    from sqlalchemy.ext.asyncio import create_async_engine

    async def main():
        engine = create_async_engine(url, poolclass=sa.pool.NullPool)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(run)
        finally:
            await engine.dispose()

    asyncio.run(main())
else:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            run(connection)
    finally:
        engine.dispose()
'''

ALEMBIC_OFFLINE_ENV = '''"""A plain offline Alembic env: SQL text for the URL's dialect."""
from alembic import context

context.configure(
    url=context.config.get_main_option("sqlalchemy.url"),
    version_table="{version_table}",
    transaction_per_migration={per_migration},
    literal_binds=True,
)
with context.begin_transaction():
    context.run_migrations()
'''


class AlembicFailed(Exception):
    """Alembic itself refused the history: the case is invalid or an intended difference."""


@dataclass(frozen=True)
class Database:
    """One empty database, by the URL each tool uses for it."""

    sync_url: str  # Alembic's and the snapshot's (pysqlite, psycopg2, pymysql)
    async_url: str  # asyncmig's (aiosqlite, asyncpg, aiomysql)


@dataclass(frozen=True)
class Backend:
    """A database kind the histories run on, and how to get fresh empty databases of it."""

    name: str  # "sqlite", "postgresql" or "mariadb"
    admin_url: str | None = None  # the server's sync URL; None for SQLite

    @contextmanager
    def database(self, folder: Path) -> Iterator[Database]:
        """A fresh empty database (a file in `folder` for SQLite), dropped afterwards."""
        if self.name == "sqlite":
            path = folder / f"{uuid.uuid4().hex[:8]}.db"
            yield Database(f"sqlite:///{path}", f"sqlite+aiosqlite:///{path}")
            return
        assert self.admin_url is not None
        name = f"asyncmig_c_{uuid.uuid4().hex[:12]}"
        _admin(self.admin_url, "CREATE DATABASE {name}", name)
        try:
            url = make_url(self.admin_url).set(database=name)
            async_url = url.set(drivername=_ASYNC_DRIVERS[self.name])
            yield Database(
                url.render_as_string(hide_password=False),
                async_url.render_as_string(hide_password=False),
            )
        finally:
            drop = "DROP DATABASE IF EXISTS {name}"
            if self.name == "postgresql":
                drop += " WITH (FORCE)"
            _admin(self.admin_url, drop, name)

    @contextmanager
    def pair(self, folder: Path) -> Iterator[tuple[Database, Database]]:
        """Two fresh empty databases: (Alembic's, asyncmig's)."""
        with self.database(folder) as for_alembic, self.database(folder) as for_asyncmig:
            yield for_alembic, for_asyncmig


def _admin(admin_url: str, template: str, name: str) -> None:
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        quoted = engine.dialect.identifier_preparer.quote(name)
        with engine.connect() as conn:
            conn.exec_driver_sql(template.format(name=quoted))
    finally:
        engine.dispose()


def make_backend(name: str) -> Backend:
    """The backend `name`; a server one skips (fails under .ci/run) without its URL."""
    if name == "sqlite":
        return Backend("sqlite")
    url = make_url(_servers.server_url(name)).set(drivername=_SYNC_DRIVERS[name])
    return Backend(name, url.render_as_string(hide_password=False))


@pytest.fixture(
    params=[
        pytest.param("sqlite"),
        pytest.param("postgresql", marks=pytest.mark.postgresql),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ]
)
def compat_backend(request: pytest.FixtureRequest) -> Backend:
    """Each backend the compat histories run on: SQLite, PostgreSQL and MariaDB."""
    return make_backend(request.param)


# ------------------------------------------------------------------ running the tools

_counter = itertools.count()


def write_scripts(folder: Path, scripts: Mapping[str, str]) -> Path:
    """Write `scripts` into `folder`/versions and return that folder."""
    versions = folder / "versions"
    versions.mkdir(parents=True)
    for file_name, text in scripts.items():
        (versions / file_name).write_text(text)
    return versions


def _alembic_config(
    folder: Path, versions: Path, url: str, *, offline: bool, per_migration: bool
) -> AlembicConfig:
    env_dir = folder / "alembic_env"
    env_dir.mkdir(exist_ok=True)
    template = ALEMBIC_OFFLINE_ENV if offline else ALEMBIC_ENV
    (env_dir / "env.py").write_text(
        template.format(version_table=VERSION_TABLE, per_migration=per_migration)
    )
    config = AlembicConfig()
    config.set_main_option("script_location", str(env_dir))
    config.set_main_option("version_locations", str(versions))
    config.set_main_option("path_separator", "os")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def run_alembic(
    folder: Path,
    versions: Path,
    url: str,
    verb: str,
    target: str,
    *,
    sql: bool = False,
    per_migration: bool = True,
) -> str:
    """Run Alembic's `verb` (upgrade/downgrade) to `target`; return what it printed (SQL)."""
    config = _alembic_config(folder, versions, url, offline=sql, per_migration=per_migration)
    buffer = io.StringIO()
    config.output_buffer = buffer
    getattr(alembic_command, verb)(config, target, sql=sql)
    return buffer.getvalue()


def _asyncmig_config(
    folder: Path, versions: Path, url: str, *, per_migration: bool
) -> asyncmig.Config:
    env_dir = folder / "asyncmig_env"
    env_dir.mkdir(exist_ok=True)
    return asyncmig.Config.from_mapping(
        {
            "script_location": str(env_dir),
            "version_locations": [str(versions)],
            "url": url,
            "version_table": VERSION_TABLE,
            "transaction_per_migration": per_migration,
        },
        here=folder,
    )


def run_asyncmig(
    folder: Path,
    versions: Path,
    url: str,
    verb: str,
    target: str,
    *,
    sql: bool = False,
    per_migration: bool = True,
) -> Any:
    """Run asyncmig's library `verb` to `target` on `url`; return its report."""
    config = _asyncmig_config(folder, versions, url, per_migration=per_migration)
    command = getattr(asyncmig, verb)

    async def main() -> Any:
        return await command(config, target, sql=sql)

    return anyio.run(main, backend="asyncio")


def _one_line(exc: BaseException) -> str:
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return " / ".join(line.strip() for line in text.splitlines() if line.strip())


# ------------------------------------------------------------------ comparing


def diff(alembic: Any, other: Any, path: str = "") -> list[str]:
    """Every leaf where the two snapshots differ, as ``path: alembic | asyncmig``."""
    if isinstance(alembic, dict) and isinstance(other, dict):
        found: list[str] = []
        for key in sorted({*alembic, *other}, key=str):
            child = f"{path}.{key}" if path else str(key)
            if key not in alembic:
                found.append(f"{child}: <absent> | {other[key]!r}")
            elif key not in other:
                found.append(f"{child}: {alembic[key]!r} | <absent>")
            else:
                found.extend(diff(alembic[key], other[key], child))
        return found
    if alembic != other:
        return [f"{path or '<root>'}: {alembic!r} | {other!r}"]
    return []


def _side(
    tool: str,
    folder: Path,
    scripts: Mapping[str, str],
    database: Database,
    *,
    downgrade_to: str,
    per_migration: bool,
    alembic_async: bool = False,
) -> dict[str, Any]:
    """Run one tool up then down; the snapshots, or the error that stopped it."""
    tool_folder = folder / tool
    versions = write_scripts(tool_folder, scripts)
    run = run_alembic if tool == "alembic" else run_asyncmig
    sync = tool == "alembic" and not alembic_async
    url = database.sync_url if sync else database.async_url
    result: dict[str, Any] = {}
    for verb, target in (("upgrade", "head"), ("downgrade", downgrade_to)):
        try:
            # A warning is behaviour, not failure: both tools go on past it (pytest's
            # filterwarnings=error would otherwise stop one of them mid-history).
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                run(tool_folder, versions, url, verb, target, per_migration=per_migration)
        except Exception as exc:
            result["error"] = (verb, _one_line(exc))
            return result
        result[verb] = snapshot(database.sync_url)
    return result


def check_history(
    backend: Backend,
    scripts: Mapping[str, str],
    *,
    downgrade_to: str = "base",
    tmp_path: Path,
    transaction_per_migration: bool = True,
    alembic_scripts: Mapping[str, str] | None = None,
    alembic_async: bool = False,
) -> None:
    """Assert that asyncmig leaves the schemas Alembic leaves, after upgrade and downgrade.

    `alembic_scripts`, when given, is what Alembic runs instead of `scripts` (an intended
    difference: asyncmig's plain op against the batch Alembic needs for the same result).
    `alembic_async` runs Alembic's env on the async driver (for ``op.run_async``).
    """
    folder = Path(tempfile.mkdtemp(prefix=f"h{next(_counter)}_", dir=tmp_path))
    with backend.pair(folder) as (for_alembic, for_asyncmig):
        reference = _side(
            "alembic",
            folder,
            alembic_scripts or scripts,
            for_alembic,
            downgrade_to=downgrade_to,
            per_migration=transaction_per_migration,
            alembic_async=alembic_async,
        )
        if "error" in reference:
            verb, message = reference["error"]
            raise AlembicFailed(
                f"[{backend.name}] Alembic itself failed on {verb}: {message}\n"
                "(the case is invalid, or an intended difference for _intended.py)"
            )
        ours = _side(
            "asyncmig",
            folder,
            scripts,
            for_asyncmig,
            downgrade_to=downgrade_to,
            per_migration=transaction_per_migration,
        )
    problems: list[str] = []
    if "error" in ours:
        verb, message = ours["error"]
        problems.append(f"asyncmig failed on {verb} where Alembic succeeded: {message}")
    for verb in ("upgrade", "downgrade"):
        if verb in ours:
            problems.extend(f"{verb}: {line}" for line in diff(reference[verb], ours[verb]))
    if problems:
        listing = "\n".join(f"  {line}" for line in problems)
        raise AssertionError(
            f"[{backend.name}] asyncmig differs from Alembic (path: alembic | asyncmig):\n{listing}"
        )


def env_flag(name: str) -> bool:
    """True when the environment variable `name` is set to 1."""
    return os.environ.get(name) == "1"
