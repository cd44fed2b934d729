"""Creating, cloning and dropping whole databases: one class per dialect, registered by name.

A *server* is where templates and clones live: a PostgreSQL or MariaDB server
reached through an admin URL (any database on it that the user may connect
to), or a folder of SQLite files.  Every identifier goes through the
dialect's identifier preparer.

- PostgreSQL: ``CREATE DATABASE clone TEMPLATE tpl``; no connection is ever
  left open on a template (the admin connection sits on the admin database),
  and "being accessed by other users" is retried briefly.  Drops outlive the
  admin database: once it is gone they go on from the ``postgres`` database.
- MariaDB / MySQL: the template's ``SHOW CREATE TABLE`` statements replayed in
  a new database with foreign key checks off, then ``INSERT ... SELECT`` for
  the tables that hold rows, the tables shared among a few connections (see
  ``COPY_CONNECTIONS``); a template with views, triggers, routines or
  sequences is not cloned that way (``can_clone`` says so and the caller
  migrates instead).
- SQLite: a file copy of the migrated template file.

``ahead`` is how many clones the templates make ahead of the tests by default,
``drops_elsewhere`` whether clones are dropped by a helper process that
outlives the test run (see ``_dropper``): only on PostgreSQL, whose
``DROP DATABASE`` waits for a checkpoint.  On MariaDB the benchmark's clones
were faster with the drops made in the test process, waited for at the end.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import anyio
import anyio.to_thread
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from ..errors import CommandError

__all__ = ("Server", "TemplateState", "server_for")

_SERVERS: dict[str, type[Server]] = {}
_IN_USE_RETRIES = 50
_IN_USE_PAUSE = 0.1
_LOCK_POLL = 0.05
# A MariaDB CREATE TABLE mostly waits for its file and log flushes, so a few
# connections creating tables at once make a clone about 2.5x faster; more than
# four gained nothing in measurements (benchmarks/templates.py).
COPY_CONNECTIONS = 4


def _register(cls: type[Server]) -> type[Server]:
    for name in cls.dialects:
        _SERVERS[name] = cls
    return cls


def server_for(url: str, folder: Path) -> Server:
    """The server behind `url`; SQLite files go in `folder`."""
    backend = make_url(url).get_backend_name()
    try:
        cls = _SERVERS[backend]
    except KeyError:
        raise CommandError(
            f"asyncmig.testing cannot make test databases on {backend}; "
            "use PostgreSQL, MariaDB/MySQL or SQLite"
        ) from None
    return cls(url, folder)


@dataclass
class TemplateState:
    """What one process learnt about a built template (MariaDB keeps its table copies here)."""

    name: str
    url: str
    details: dict[str, Any] = field(default_factory=dict)


class Server:
    """A place to create, clone and drop databases."""

    dialects: ClassVar[tuple[str, ...]] = ()
    ahead: ClassVar[int] = 0
    drops_elsewhere: ClassVar[bool] = False

    def __init__(self, url: str, folder: Path) -> None:
        self.url = url
        self.folder = folder  # SQLite templates
        self.clone_folder = folder  # SQLite clones and scratch files

    async def create(self, name: str) -> str:
        """A new empty database `name` (dropped first if it exists); its URL."""
        return await self.prepare(name)

    def url_of(self, name: str) -> str:
        """The URL of database `name` on this server."""
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    @contextlib.asynccontextmanager
    async def locked(self, name: str) -> AsyncIterator[None]:
        """Hold the server-wide lock for building template `name`."""
        raise NotImplementedError
        yield  # type: ignore[unreachable]  # makes this an async generator, as overriders are

    async def ready(self, name: str) -> bool:
        """Whether template `name` exists and was completely built (call under the lock)."""
        raise NotImplementedError

    async def prepare(self, name: str) -> str:
        """An empty database `name` (dropping a half-built one first); its URL."""
        raise NotImplementedError

    async def finish(self, name: str) -> None:
        """Mark template `name` complete, with its build time, closing nothing on it."""
        raise NotImplementedError

    async def templates(self, prefix: str) -> list[tuple[float, str]]:
        """Complete templates whose names start with `prefix`, as (built at, name)."""
        raise NotImplementedError

    async def names(self, prefix: str) -> list[str]:
        """The databases (clones and scratch databases) whose names start with `prefix`."""
        raise NotImplementedError

    def can_clone(self, state: TemplateState) -> bool:
        """Whether `clone` copies this template faithfully (else: migrate a new database)."""
        return True

    async def clone(self, state: TemplateState, name: str) -> str:
        """A new database `name`, a copy of the template; its URL."""
        raise NotImplementedError

    async def drop(self, name: str) -> None:
        """Drop database `name` if it exists."""
        raise NotImplementedError

    async def close(self) -> None:
        """Release the admin connections."""


class _SQLServer(Server):
    """PostgreSQL and MariaDB: one AUTOCOMMIT admin engine, kept for the session."""

    ahead = 1

    def __init__(self, url: str, folder: Path) -> None:
        super().__init__(url, folder)
        self._engine: AsyncEngine | None = None

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            # Pinged: a drop WITH (FORCE) of the admin database ends its pooled connections.
            self._engine = create_async_engine(
                self.url, isolation_level="AUTOCOMMIT", pool_pre_ping=True
            )
        return self._engine

    def quote(self, name: str) -> str:
        return self.engine.dialect.identifier_preparer.quote(name)

    async def prepare(self, name: str) -> str:
        await self.drop(name)
        await self.execute(f"CREATE DATABASE {self.quote(name)}")
        return self.url_of(name)

    async def execute(self, sql: str, **params: Any) -> Any:
        async with self.engine.connect() as conn:
            result = await conn.execute(text(sql), params)
            return result.fetchall() if result.returns_rows else []

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None


def _lock_key(name: str) -> int:
    digest = hashlib.blake2b(f"asyncmig-template:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


_MARK = "asyncmig template built "
_NO_SUCH_DATABASE = "3D000"  # invalid_catalog_name
_MAINTENANCE_DATABASE = "postgres"


@_register
class PostgreSQLServer(_SQLServer):
    """PostgreSQL: ``CREATE DATABASE ... TEMPLATE``."""

    dialects = ("postgresql",)
    ahead = 2  # two clones in the making at once: faster than one on the benchmark
    drops_elsewhere = True

    @contextlib.asynccontextmanager
    async def locked(self, name: str) -> AsyncIterator[None]:
        async with self.engine.connect() as conn:
            await _poll(conn, "SELECT pg_try_advisory_lock(:key)", key=_lock_key(name))
            try:
                yield
            finally:
                with anyio.CancelScope(shield=True):
                    await conn.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": _lock_key(name)}
                    )

    async def _comment(self, name: str) -> str | None:
        rows = await self.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :n",
            n=name,
        )
        return None if not rows else (rows[0][0] or "")

    async def ready(self, name: str) -> bool:
        return (await self._comment(name) or "").startswith(_MARK)

    async def finish(self, name: str) -> None:
        mark = f"{_MARK}{time.time():.3f}"
        await self.execute(f"COMMENT ON DATABASE {self.quote(name)} IS '{mark}'")

    async def templates(self, prefix: str) -> list[tuple[float, str]]:
        rows = await self.execute(
            "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database "
            "WHERE starts_with(datname, :p)",
            p=prefix,
        )
        return [(float(c[len(_MARK) :]), n) for n, c in rows if (c or "").startswith(_MARK)]

    async def names(self, prefix: str) -> list[str]:
        rows = await self.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, :p)", p=prefix
        )
        return sorted(name for (name,) in rows)

    async def clone(self, state: TemplateState, name: str) -> str:
        sql = f"CREATE DATABASE {self.quote(name)} TEMPLATE {self.quote(state.name)}"
        for attempt in range(_IN_USE_RETRIES):
            try:
                await self.execute(sql)
                break
            except Exception as exc:  # ObjectInUse: another session is on the template
                if (
                    "being accessed by other users" not in str(exc)
                    or attempt == _IN_USE_RETRIES - 1
                ):
                    raise
                await anyio.sleep(_IN_USE_PAUSE)
        return self.url_of(name)

    async def drop(self, name: str) -> None:
        sql = f"DROP DATABASE IF EXISTS {self.quote(name)} WITH (FORCE)"
        try:
            await self.execute(sql)
        except Exception as exc:
            if getattr(getattr(exc, "orig", None), "sqlstate", None) != _NO_SUCH_DATABASE:
                raise
            # The admin database itself is gone (it was a test's own database, say):
            # the server's maintenance database stays for as long as the server does.
            await self.close()
            self.url = self.url_of(_MAINTENANCE_DATABASE)
            await self.execute(sql)


@_register
class MariaDBServer(_SQLServer):
    """MariaDB / MySQL: replay the template's tables in a new database."""

    dialects = ("mysql", "mariadb")

    @contextlib.asynccontextmanager
    async def locked(self, name: str) -> AsyncIterator[None]:
        async with self.engine.connect() as conn:
            await _poll(conn, "SELECT GET_LOCK(:n, 0)", n=name)
            try:
                yield
            finally:
                with anyio.CancelScope(shield=True):
                    await conn.execute(text("SELECT RELEASE_LOCK(:n)"), {"n": name})

    async def ready(self, name: str) -> bool:
        rows = await self.execute(
            "SELECT schema_comment FROM information_schema.schemata WHERE schema_name = :n", n=name
        )
        return bool(rows) and (rows[0][0] or "").startswith(_MARK)

    async def finish(self, name: str) -> None:
        mark = f"{_MARK}{time.time():.3f}"
        await self.execute(f"ALTER DATABASE {self.quote(name)} COMMENT = '{mark}'")

    async def templates(self, prefix: str) -> list[tuple[float, str]]:
        rows = await self.execute(
            "SELECT schema_name, schema_comment FROM information_schema.schemata "
            "WHERE LEFT(schema_name, CHAR_LENGTH(:p)) = :p",
            p=prefix,
        )
        return [(float(c[len(_MARK) :]), n) for n, c in rows if (c or "").startswith(_MARK)]

    async def names(self, prefix: str) -> list[str]:
        rows = await self.execute(
            "SELECT schema_name FROM information_schema.schemata "
            "WHERE LEFT(schema_name, CHAR_LENGTH(:p)) = :p",
            p=prefix,
        )
        return sorted(name for (name,) in rows)

    async def _learn(self, state: TemplateState) -> None:
        """Read the template's DDL and which tables hold rows, once per process."""
        if "tables" in state.details:
            return
        quote = self.quote
        async with self.engine.connect() as conn:
            others = await conn.execute(
                text(
                    "SELECT (SELECT COUNT(*) FROM information_schema.tables "
                    "  WHERE table_schema = :n AND table_type <> 'BASE TABLE')"
                    " + (SELECT COUNT(*) FROM information_schema.triggers"
                    "  WHERE trigger_schema = :n)"
                    " + (SELECT COUNT(*) FROM information_schema.routines"
                    "  WHERE routine_schema = :n)"
                    " + (SELECT COUNT(*) FROM information_schema.events WHERE event_schema = :n)"
                ),
                {"n": state.name},
            )
            state.details["plain"] = others.scalar_one() == 0
            charset = (
                await conn.execute(
                    text(
                        "SELECT default_character_set_name, default_collation_name "
                        "FROM information_schema.schemata WHERE schema_name = :n"
                    ),
                    {"n": state.name},
                )
            ).one()
            state.details["charset"] = tuple(charset)
            names = (
                await conn.execute(
                    text(
                        "SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = :n AND table_type = 'BASE TABLE' ORDER BY table_name"
                    ),
                    {"n": state.name},
                )
            ).scalars()
            tables: list[tuple[str, str, list[str] | None]] = []
            for table in list(names):
                qualified = f"{quote(state.name)}.{quote(table)}"
                ddl = (await conn.execute(text(f"SHOW CREATE TABLE {qualified}"))).one()[1]
                count = (await conn.execute(text(f"SELECT COUNT(*) FROM {qualified}"))).scalar_one()
                columns = None
                if count:
                    columns = list(
                        (
                            await conn.execute(
                                text(
                                    "SELECT column_name FROM information_schema.columns "
                                    "WHERE table_schema = :n AND table_name = :t "
                                    "AND is_generated = 'NEVER' ORDER BY ordinal_position"
                                ),
                                {"n": state.name, "t": table},
                            )
                        ).scalars()
                    )
                tables.append((table, ddl, columns))
            state.details["tables"] = tables

    def can_clone(self, state: TemplateState) -> bool:
        return bool(state.details.get("plain", True))

    async def clone(self, state: TemplateState, name: str) -> str:
        await self._learn(state)
        if not self.can_clone(state):
            return await self.prepare(name)  # the caller migrates it
        charset, collation = state.details["charset"]
        await self.execute(
            f"CREATE DATABASE {self.quote(name)} CHARACTER SET {charset} COLLATE {collation}"
        )
        tables = state.details["tables"]
        async with anyio.create_task_group() as group:
            for first in range(min(COPY_CONNECTIONS, len(tables))):
                group.start_soon(self._copy, state.name, name, tables[first::COPY_CONNECTIONS])
        return self.url_of(name)

    async def _copy(
        self, template: str, name: str, tables: list[tuple[str, str, list[str] | None]]
    ) -> None:
        """Create `tables` in database `name`, then copy their rows in one transaction."""
        quote, new = self.quote, self.quote(name)
        async with self.engine.connect() as conn:
            await conn.execute(text(f"USE {new}"))
            # Off: a table may name in a foreign key one that another connection creates.
            await conn.execute(text("SET SESSION foreign_key_checks = 0"))
            try:
                for _, ddl, _ in tables:
                    await conn.exec_driver_sql(ddl.replace("%", "%%"))
                filled = [(table, columns) for table, _, columns in tables if columns]
                if filled:
                    # One commit, so one log flush, for all the rows.
                    await conn.execute(text("START TRANSACTION"))
                    for table, columns in filled:
                        listed = ", ".join(quote(c) for c in columns)
                        await conn.execute(
                            text(
                                f"INSERT INTO {new}.{quote(table)} ({listed}) "
                                f"SELECT {listed} FROM {quote(template)}.{quote(table)}"
                            )
                        )
                    await conn.execute(text("COMMIT"))
            finally:
                await conn.execute(text("SET SESSION foreign_key_checks = 1"))
                # The pooled connection must not stay on the clone: DROP would wait for it.
                await conn.execute(text(f"USE {quote(template)}"))

    async def drop(self, name: str) -> None:
        await self.execute(f"DROP DATABASE IF EXISTS {self.quote(name)}")


@_register
class SQLiteServer(Server):
    """SQLite: files in a folder; a clone is a file copy."""

    dialects = ("sqlite",)

    def url_of(self, name: str) -> str:
        return make_url(self.url).set(database=str(self.path(name))).render_as_string(False)

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.db"

    @contextlib.asynccontextmanager
    async def locked(self, name: str) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(lambda: self.folder.mkdir(parents=True, exist_ok=True))
        lock_path = self.folder / f"{name}.lock"
        handle = await anyio.to_thread.run_sync(lambda: open(lock_path, "a+b"))  # noqa: SIM115
        try:
            await anyio.to_thread.run_sync(_file_lock(handle.fileno()))
            yield
        finally:
            handle.close()  # closing releases the lock

    async def ready(self, name: str) -> bool:
        return await anyio.to_thread.run_sync(self.path(name).exists)

    async def prepare(self, name: str) -> str:
        building = self.folder / f"{name}.building"
        await anyio.to_thread.run_sync(lambda: _unlink(building))
        return make_url(self.url).set(database=str(building)).render_as_string(False)

    async def finish(self, name: str) -> None:
        building = self.folder / f"{name}.building"
        await anyio.to_thread.run_sync(os.replace, building, self.path(name))

    async def templates(self, prefix: str) -> list[tuple[float, str]]:
        def scan() -> list[tuple[float, str]]:
            return [
                (path.stat().st_mtime, path.stem)
                for path in self.folder.glob(f"{prefix}*.db")
                if path.is_file()
            ]

        return await anyio.to_thread.run_sync(scan)

    async def names(self, prefix: str) -> list[str]:
        def scan() -> list[str]:
            return sorted(path.stem for path in self.clone_folder.glob(f"{prefix}*.db"))

        return await anyio.to_thread.run_sync(scan)

    async def create(self, name: str) -> str:
        target = self.clone_folder / f"{name}.db"

        def make() -> None:
            _unlink(target)
            target.touch()  # an empty file is an empty database; names() lists it

        await anyio.to_thread.run_sync(make)
        return make_url(self.url).set(database=str(target)).render_as_string(False)

    async def clone(self, state: TemplateState, name: str) -> str:
        target = self.clone_folder / f"{name}.db"
        await anyio.to_thread.run_sync(shutil.copyfile, self.path(state.name), target)
        return make_url(self.url).set(database=str(target)).render_as_string(False)

    async def drop(self, name: str) -> None:
        def unlink() -> None:
            _unlink(self.path(name))
            _unlink(self.clone_folder / f"{name}.db")

        await anyio.to_thread.run_sync(unlink)


def _unlink(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()


def _file_lock(fd: int) -> Callable[[], None]:
    def lock() -> None:
        if sys.platform == "win32":  # pragma: no cover - msvcrt locks a byte range
            import msvcrt

            while True:
                try:
                    msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                    return
                except OSError:
                    time.sleep(_LOCK_POLL)
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)

    return lock


async def _poll(conn: AsyncConnection, sql: str, **params: Any) -> None:
    # A non-blocking attempt in a loop: a cancelled waiter leaves no request queued.
    while not (await conn.execute(text(sql), params)).scalar():  # noqa: ASYNC110  # a server lock
        await anyio.sleep(_LOCK_POLL)
