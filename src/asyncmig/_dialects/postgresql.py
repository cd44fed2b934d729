"""PostgreSQL: transactional DDL, an advisory lock, ``search_path`` for tenant schemas.

- DDL (:class:`PostgresqlImpl`): transactional; ``ALTER COLUMN ... TYPE ... USING``;
  EXCLUDE constraints.
- Session: a step's timeouts are ``lock_timeout`` and ``statement_timeout``;
  a lock wait that ran out is SQLSTATE 55P03.  In autocommit blocks the server
  checks that the runner is still there (PostgreSQL 14 and later), so that a
  runner killed there takes its statement with it.

- Statements without parameters (DDL, and ``op.execute`` text that returns no
  rows) go to asyncpg through the simple query protocol: one round trip
  instead of a prepare, an execute, and later a close of the evicted prepared
  statement (:func:`simple_query`).  It runs as SQLAlchemy's ``do_execute``
  step, so the statement is compiled, the cursor events and echo see it, and
  its errors become the same SQLAlchemy exceptions.

- Lock: a session-level advisory lock keyed on the version table, held on a
  connection of its own so that steps which commit, or run in autocommit,
  never release it.
- Tenancy: the connection's ``search_path`` is set to the tenant schema alone
  (session level, committed, restored before the connection goes back to its
  pool); only the tenant's objects resolve unqualified, shared ones are
  written ``public.x``.
- Autogenerate: named enum types, casts in reflected defaults, SERIAL sequences.
- Recovery: the INVALID index a ``CREATE INDEX CONCURRENTLY`` (or ``REINDEX
  CONCURRENTLY``) that died leaves behind, dropped with ``DROP INDEX
  CONCURRENTLY IF EXISTS``, unless the server is still building it.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    Index,
    MetaData,
    Table,
    bindparam,
    column,
    event,
    func,
    not_,
    null,
    select,
    table,
    text,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import AddConstraint, Constraint, DropIndex
from sqlalchemy.sql.compiler import DDLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.util import await_only  # its 2.0 name, which 2.1 keeps

from .._operations import ddl
from .._operations.impl import DialectImpl
from .behaviour import DialectBehaviour
from .generic import Backend, Leftover, Recovery, SeparateConnectionLock, Session, Tenancy

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.engine.reflection import Inspector
    from sqlalchemy.schema import Column
    from sqlalchemy.types import TypeEngine

    from .._config import DatabaseConfig


class PostgresqlImpl(DialectImpl):
    """PostgreSQL: every directive, all of it inside the step's transaction.

    ``alter_column(..., type_=..., postgresql_using="expr")`` adds ``USING expr``;
    ``create_index(..., postgresql_concurrently=True)`` must run inside
    ``op.get_context().autocommit_block()``, as PostgreSQL refuses it in a transaction.
    """

    transactional_ddl = True

    def free_constraint_names(self, table: str, schema: str | None, names: Sequence[str]) -> None:
        """Drop the old table's constraints whose names the recreated table reuses.

        Constraint names are unique per schema here (their indexes are relations), so
        the new table could not take them while the old one holds them.
        """
        host = Table(table, MetaData(), schema=schema)
        for name in names:
            constraint = Constraint(name=name)
            host.append_constraint(constraint)
            self.drop_constraint(constraint)

    def create_exclude_constraint(self, constraint: Constraint) -> None:
        """ALTER TABLE ADD CONSTRAINT ... EXCLUDE USING ..."""
        self.execute(AddConstraint(constraint))


@compiles(ddl.ColumnType, "postgresql")
def _column_type(element: ddl.ColumnType, compiler: DDLCompiler, **kw: Any) -> str:
    column = ddl.column_name(compiler, element.column)
    new_type = ddl.type_string(compiler, element.type_)
    text = f"{ddl.alter_table(compiler, element)} ALTER COLUMN {column} TYPE {new_type}"
    if element.using is not None:
        using = element.using
        rendered = (
            compiler.sql_compiler.process(using, literal_binds=True)
            if isinstance(using, ClauseElement)
            else str(using)
        )
        text += f" USING {rendered}"
    return text


def lock_key(table: str, schema: str | None) -> int:
    """A stable signed 64-bit advisory-lock key for a version table."""
    digest = hashlib.blake2b(f"asyncmig:{schema or ''}.{table}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresAdvisoryLock(SeparateConnectionLock):
    """``pg_try_advisory_lock`` on a dedicated session."""

    def try_statement(self) -> Any:
        return select(func.pg_try_advisory_lock(lock_key(self.table, self.schema)))

    def release_statement(self) -> Any:
        return select(func.pg_advisory_unlock(lock_key(self.table, self.schema)))


class PostgresSession(Session):
    """Step timeouts as ``lock_timeout`` and ``statement_timeout``, set for the session.

    Session level (not ``SET LOCAL``) so that they also hold in autocommit
    blocks; set inside the step's transaction, so a rollback undoes them too.

    From the first autocommit block on, ``client_connection_check_interval``
    makes the server check, while a statement runs, that the runner is still
    connected: a ``CREATE INDEX CONCURRENTLY`` whose runner was killed then
    stops too, leaving an invalid index that ``asyncmig repair --fix`` drops,
    instead of going on unattended, and the journal saying where the step stopped
    stays true.  The connection's own value is put back by :meth:`restore`.
    """

    has_timeouts = True
    #: ``client_connection_check_interval`` in autocommit blocks (milliseconds).
    CLIENT_CHECK_MS: ClassVar[int] = 1000

    def __init__(self, lock_timeout: float | None) -> None:
        super().__init__(lock_timeout)
        self._client_check: str | None = None  # the connection's own value, once changed

    def prepare(self, connection: Connection) -> None:
        super().prepare(connection)
        if connection.dialect.driver == "asyncpg":
            if not event.contains(connection.dialect, "do_execute", simple_query):
                event.listen(connection.dialect, "do_execute", simple_query)
            connection.execution_options(**{SIMPLE_QUERIES: True})

    def autocommit_enter(self, connection: Connection) -> Any:
        state = super().autocommit_enter(connection)
        if self._client_check is None and _server_major(connection) >= 14:
            own = connection.execute(_CURRENT_CLIENT_CHECK).scalar()
            try:
                connection.execute(_SET_CLIENT_CHECK, {"value": str(self.CLIENT_CHECK_MS)})
            except DBAPIError:  # a platform where the server cannot poll its sockets
                return state
            self._client_check = str(own)
        return state

    def restore(self, connection: Connection) -> None:
        super().restore(connection)
        own, self._client_check = self._client_check, None
        if own is not None:
            if connection.in_transaction():
                connection.rollback()
            connection.execute(_SET_CLIENT_CHECK, {"value": own})
            connection.commit()

    def read_timeouts(self, connection: Connection) -> Any:
        row = connection.execute(
            text("SELECT current_setting('lock_timeout'), current_setting('statement_timeout')")
        ).one()
        return tuple(row)

    def write_timeouts(
        self, connection: Connection, lock: float | None, statement: float | None, own: Any
    ) -> None:
        connection.execute(
            text(
                "SELECT set_config('lock_timeout', :lock, false), "
                "set_config('statement_timeout', :statement, false)"
            ),
            {"lock": _ms(lock, own[0]), "statement": _ms(statement, own[1])},
        )

    def lock_timed_out(self, exc: BaseException) -> bool:
        # 55P03 lock_not_available: lock_timeout ran out (or a NOWAIT lock was taken)
        orig = getattr(exc, "orig", None)
        code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        return isinstance(exc, DBAPIError) and code == LOCK_NOT_AVAILABLE


LOCK_NOT_AVAILABLE = "55P03"
#: Execution option: this connection's statements without parameters take the
#: simple query protocol (set on migration connections by PostgresSession.prepare).
SIMPLE_QUERIES = "asyncmig_simple_queries"
# Text that cannot return rows, by its first word (RETURNING excluded below).
_NO_ROWS = re.compile(
    r"\s*(ALTER|CREATE|DROP|COMMENT|GRANT|REVOKE|TRUNCATE|INSERT|UPDATE|DELETE|DO)\b", re.I
)
_RETURNING = re.compile(r"\bRETURNING\b", re.I)
_ROWCOUNT = re.compile(r"(?:UPDATE|DELETE|INSERT \d+) (\d+)")
# The private parts of SQLAlchemy's asyncpg adapter that simple_query relies on.
_ADAPTER_PARTS = frozenset(
    {"_execute_mutex", "_transaction", "_start_transaction", "_connection", "_handle_exception"}
)
_CURSOR_PARTS = frozenset({"_rows", "_rowcount", "_description"})


def simple_query(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
    """SQLAlchemy's ``do_execute`` on asyncpg: a statement without parameters that returns
    no rows, sent through the simple query protocol; False leaves it to the dialect.

    SQLAlchemy's adapter prepares every statement (a round trip), then executes it
    (another); DDL text is never executed twice, so its cached prepared statement
    only pushes another out, whose close is a third round trip.  The simple
    protocol is what ``psql`` sends: one round trip, nothing left on the server.
    The transaction the adapter would begin is begun the same way, and errors
    go through the adapter's translation, so SQLAlchemy wraps them as before.
    """
    if parameters or not context.execution_options.get(SIMPLE_QUERIES):
        return False
    if not (context.isddl or (context.is_text and _returns_no_rows(statement))):
        return False
    adapted = getattr(cursor, "_adapt_connection", None)
    if adapted is None or getattr(cursor, "server_side", True):
        return False  # not SQLAlchemy's plain asyncpg cursor: its own way
    if not _ADAPTER_PARTS.issubset(dir(adapted)) or not _CURSOR_PARTS.issubset(dir(cursor)):
        return False  # a SQLAlchemy whose adapter is built otherwise: the prepared path
    await_only(_simple_query(cursor, adapted, statement))
    return True


def _returns_no_rows(statement: str) -> bool:
    return bool(_NO_ROWS.match(statement)) and not _RETURNING.search(statement)


async def _simple_query(cursor: Any, adapted: Any, statement: str) -> None:
    async with adapted._execute_mutex:
        if adapted._transaction is None:
            await adapted._start_transaction()
        try:
            status = await adapted._connection.execute(statement)
        except Exception as error:
            adapted._handle_exception(error)  # raises the adapter's DBAPI error
    counted = _ROWCOUNT.match(status or "")
    cursor._description = None
    cursor._rows.clear()
    cursor._rowcount = int(counted.group(1)) if counted else -1


_CURRENT_CLIENT_CHECK = select(func.current_setting("client_connection_check_interval"))
_SET_CLIENT_CHECK = select(
    func.set_config("client_connection_check_interval", bindparam("value"), False)
)


def _server_major(connection: Connection) -> int:
    return int((connection.dialect.server_version_info or (0,))[0])


def _ms(seconds: float | None, own: str) -> str:
    """A timeout setting's text: whole milliseconds (at least 1 when set), or the own value."""
    if seconds is None:
        return own
    return str(math.ceil(seconds * 1000)) if seconds > 0 else "0"


class PostgresTenancy(Tenancy):
    """``search_path`` set to the tenant schema for the whole session."""

    def check(self, database: DatabaseConfig) -> None:
        return None

    def enter(self, connection: Connection, schema: str) -> Any:
        previous = connection.execute(text("SELECT current_setting('search_path')")).scalar()
        self._set(connection, self.quote(connection, schema))
        return previous

    def leave(self, connection: Connection, state: Any) -> None:
        self._set(connection, str(state))

    @staticmethod
    def _set(connection: Connection, value: str) -> None:
        # Committed at once: a later step's rollback must not undo the setting.
        connection.execute(
            text("SELECT set_config('search_path', :value, false)"), {"value": value}
        )
        connection.commit()

    def render(self, impl: DialectImpl, schema: str, *, create: bool) -> None:
        super().render(impl, schema, create=create)
        impl.static_output(f"SET search_path TO {self.quote(impl, schema)};")


_PG_INDEX = table(
    "pg_index", column("indexrelid"), column("indrelid"), column("indisvalid"), schema="pg_catalog"
)
_PG_CLASS = table(
    "pg_class", column("oid"), column("relname"), column("relnamespace"), schema="pg_catalog"
)
_PG_NAMESPACE = table("pg_namespace", column("oid"), column("nspname"), schema="pg_catalog")
# CREATE INDEX / REINDEX running now, with the index they build (PostgreSQL 12 and later).
_PG_BUILDING = table(
    "pg_stat_progress_create_index", column("index_relid"), column("pid"), schema="pg_catalog"
)


class PostgresRecovery(Recovery):
    """Invalid indexes: what a ``CREATE INDEX CONCURRENTLY`` that died leaves behind.

    Such an index is in the catalog, maintained on every write, and used by no
    query; the way out is to drop it and build it again.  One that a server
    process is still building (the statement outlived its client) is reported
    as busy and left alone.
    """

    def leftovers(self, connection: Connection) -> list[Leftover]:
        index, owner = _PG_CLASS.alias("index_class"), _PG_CLASS.alias("table_class")
        joined = (
            _PG_INDEX.join(index, index.c.oid == _PG_INDEX.c.indexrelid)
            .join(owner, owner.c.oid == _PG_INDEX.c.indrelid)
            .join(_PG_NAMESPACE, _PG_NAMESPACE.c.oid == index.c.relnamespace)
        )
        building = _server_major(connection) >= 12
        pid = _PG_BUILDING.c.pid if building else null()
        if building:
            joined = joined.outerjoin(
                _PG_BUILDING, _PG_BUILDING.c.index_relid == _PG_INDEX.c.indexrelid
            )
        query = (
            select(_PG_NAMESPACE.c.nspname, index.c.relname, owner.c.relname, pid)
            .select_from(joined)
            .where(not_(_PG_INDEX.c.indisvalid))
            .where(_PG_NAMESPACE.c.nspname.not_in(("pg_catalog", "pg_toast")))
            .order_by(_PG_NAMESPACE.c.nspname, index.c.relname)
        )
        return [
            Leftover(
                "invalid index",
                schema,
                name,
                owner_name,
                busy=None if backend is None else f"server process {backend} is still building it",
            )
            for schema, name, owner_name, backend in connection.execute(query)
        ]

    def remove(self, connection: Connection, leftover: Leftover) -> None:
        owner = Table(leftover.table, MetaData(), schema=leftover.schema)
        index = Index(leftover.name, _table=owner, postgresql_concurrently=True)
        connection.execute(DropIndex(index, if_exists=True))


_CAST = re.compile(r"::[\w\s\".\[\]]+(\(\d+(,\s*\d+)?\))?(\[\])?$")
_NEXTVAL = re.compile(r"^nextval\('.*_seq'::regclass\)$", re.IGNORECASE)


class PostgreSQLBehaviour(DialectBehaviour):
    """PostgreSQL: named enum types, casts in reflected defaults, SERIAL sequences."""

    name = "postgresql"
    native_enums = True
    system_schemas = frozenset({"information_schema", "pg_catalog", "pg_toast"})
    type_aliases: ClassVar[Mapping[str, str]] = {
        "FLOAT": "DOUBLE PRECISION",
        "FLOAT(53)": "DOUBLE PRECISION",
        "DOUBLE": "DOUBLE PRECISION",
        "FLOAT(24)": "REAL",
    }

    def normalize_default(self, text: str | None) -> str | None:
        """Strip the casts PostgreSQL adds to stored defaults (``'x'::character varying``)."""
        if text is None:
            return None
        text = text.strip()
        while True:
            stripped = _CAST.sub("", text).strip()
            if stripped == text:
                break
            text = stripped
        return super().normalize_default(text)

    def implicit_default(self, column: Column[Any]) -> bool:
        """A SERIAL column's ``nextval(...)`` default belongs to the type, not the model."""
        default = self.default_text(column.server_default)
        return default is not None and bool(_NEXTVAL.match(default.strip()))

    def type_change_keywords(self, column: str, new_type: TypeEngine[Any]) -> dict[str, str]:
        """An explicit cast, which PostgreSQL needs between most types (text to integer)."""
        quoted = self.dialect.identifier_preparer.quote(column)
        return {"postgresql_using": f"{quoted}::{new_type.compile(dialect=self.dialect)}"}

    def reflect_enums(self, inspector: Inspector, schema: str | None) -> dict[str, tuple[str, ...]]:
        """Enum types visible in `schema` (the default schema when None)."""
        found: dict[str, tuple[str, ...]] = {}
        for info in inspector.get_enums(schema=schema or None):  # type: ignore[attr-defined]  # PGInspector
            found[info["name"]] = tuple(info["labels"])
        return found


class PostgreSQL(Backend):
    """PostgreSQL through asyncpg (or any PostgreSQL driver SQLAlchemy has)."""

    names = ("postgresql",)
    display_name = "PostgreSQL"
    session = PostgresSession
    lock = PostgresAdvisoryLock
    tenancy = PostgresTenancy
    ddl = PostgresqlImpl
    autogen = PostgreSQLBehaviour
    recovery = PostgresRecovery
