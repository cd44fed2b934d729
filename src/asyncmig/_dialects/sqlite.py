"""SQLite: ALTER where SQLite has it, table recreates elsewhere; asyncmig's own transactions.

DDL: SQLite's ALTER TABLE covers little, so most changes become a table
recreate (:class:`SQLiteImpl`).

SQLite's Python driver would run DDL outside any transaction, so the session
puts the driver in autocommit mode and issues ``BEGIN`` itself (``BEGIN
IMMEDIATE`` while the migration lock is on, which takes the database's write
lock up front).  Every statement still goes through SQLAlchemy's execution,
so events and echo see ``BEGIN`` and the version-row writes too.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import Table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import Computed, Constraint, DefaultClause
from sqlalchemy.sql.elements import ClauseElement

from .._operations.alteration import ColumnAlteration
from .._operations.column_ops import AddColumnOp, AlterColumnOp, DropColumnOp
from .._operations.constraint_ops import DropConstraintOp, _AddConstraintOp
from .._operations.impl import DialectImpl
from .._operations.index_ops import CreateIndexOp, DropIndexOp
from .._operations.model import RECREATABLE
from ..errors import ConfigError, OperationNotSupported
from .behaviour import DialectBehaviour
from .generic import Backend, MigrationLock, Session, Tenancy

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncEngine

    from .._config import DatabaseConfig

_DROP_COLUMN_SINCE = (3, 35, 0)
_IN_PLACE = frozenset({"new_column_name", "comment"})  # what alter_column changes in place
_DROP_REFUSED = re.compile(
    r"cannot drop (PRIMARY KEY|UNIQUE) column|error in (table|index) .* after drop column"
)


class SQLiteImpl(DialectImpl):
    """SQLite.

    SQLite's ALTER TABLE can add a plain column, rename a column or a table and
    (since 3.35) drop an unconstrained column.  Every other change -- column type,
    nullability or default, adding a column with a key, constraint or foreign key,
    dropping a column that carries a constraint or an index, adding or dropping a
    constraint -- is carried out as a table recreate (see ``_operations.recreate``), inside
    the step's transaction, keeping the rows, the indexes and the foreign keys.
    With ``PRAGMA foreign_keys=ON`` the DROP TABLE of a recreate checks (and
    cascades) references to the table, as SQLite always does; the pragma cannot
    change inside a transaction, so switch it off on the engine for such steps.

    DDL is transactional on SQLite; the runtime opens the step's transaction with
    an explicit BEGIN, as the sqlite3 module does not before DDL (offline, ``--sql``
    output has no BEGIN/COMMIT, as Alembic's has none on SQLite).  Comments do not
    exist on SQLite: ``comment=``, ``create_table_comment`` and
    ``drop_table_comment`` are accepted and ignored, as ``metadata.create_all`` does.
    """

    transactional_ddl = True
    # Alembic writes no BEGIN/COMMIT into SQLite's --sql output; neither does asyncmig
    offline_transactions = False

    def _server_version(self) -> tuple[int, ...]:
        version = self.dialect.server_version_info
        if version is None:
            import sqlite3

            version = sqlite3.sqlite_version_info
        return tuple(int(part) for part in version if isinstance(part, int))

    def reflect_table(self, name: str, schema: str | None, *args: Any, **kw: Any) -> Table:
        """Reflection, plus AUTOINCREMENT and collations, which SQLAlchemy does not reflect."""
        table = super().reflect_table(name, schema, *args, **kw)
        master = sa.table("sqlite_master", sa.column("name"), sa.column("sql"), schema=schema)
        connection = self.connection
        assert connection is not None  # reflection happens online only
        sql = connection.execute(
            sa.select(master.c.sql).where(master.c.name == name)
        ).scalar_one_or_none()
        if sql and "AUTOINCREMENT" in str(sql).upper():
            table.dialect_kwargs["sqlite_autoincrement"] = True
        collations = _collations(str(sql or ""))
        for column in table.columns:
            collation = collations.get(column.name.lower())
            if collation is not None and hasattr(column.type, "collation"):
                column.type.collation = collation
        return table

    def requires_recreate(self, operations: Any, operation: Any) -> bool:
        """True for every change SQLite's ALTER TABLE cannot make in place."""
        if isinstance(operation, (_AddConstraintOp, DropConstraintOp)):
            return not _is_exclude(operation)
        if isinstance(operation, AlterColumnOp):
            return bool(set(operation.changes()) - _IN_PLACE)
        if isinstance(operation, AddColumnOp):
            column = operation.column
            # a CHECK inside the column is part of ADD COLUMN, which SQLite takes as it
            # is; so is NOT NULL without a default (refused only if the table has rows,
            # which a recreate could not fill either); unique=True with index=True is a
            # unique index, not a constraint: CREATE UNIQUE INDEX after ADD COLUMN
            unique_constraint = column.unique and not column.index
            return bool(column.primary_key or unique_constraint or column.foreign_keys)
        if isinstance(operation, DropColumnOp):
            return self._drop_needs_recreate(operation)
        return False

    def batch_recreates(self, ops: Sequence[Any]) -> bool:
        """Alembic's rule on SQLite: a batch is recreated unless it only adds plain columns
        (no SQL-expression default, no stored computed value) and creates or drops indexes.
        """
        for op in ops:
            if isinstance(op, AddColumnOp):
                default = op.column.server_default
                if isinstance(default, DefaultClause) and isinstance(default.arg, ClauseElement):
                    return True
                if isinstance(default, Computed) and default.persisted:
                    return True
                # Alembic's batch adds the table-level constraints a column brings (an
                # Enum's or Boolean's CHECK, UNIQUE, FOREIGN KEY) as separate directives
                probe = Table("_probe", sa.MetaData(), op.column._copy())
                if any(c is not probe.primary_key for c in probe.constraints):
                    return True
            elif isinstance(op, RECREATABLE) and not isinstance(op, (CreateIndexOp, DropIndexOp)):
                return True
        return False

    def tries_in_place(self, operation: Any) -> bool:
        """A plain ``op.drop_column`` online: SQLite refuses it when the column is keyed."""
        return (
            isinstance(operation, DropColumnOp)
            and not operation.if_exists
            and not self.as_sql
            and self.connection is not None
            and self._server_version() >= _DROP_COLUMN_SINCE
        )

    def recreate_after(self, operation: Any, error: Exception) -> bool:
        """SQLite's refusals of DROP COLUMN that a recreate of the table answers.

        A key, an index or a table constraint on the column; a view or trigger that
        uses it is the user's to change first.  The failed statement leaves the
        transaction open and unchanged.
        """
        # SQLite gives these refusals no error code of their own (SQLITE_ERROR, as for
        # any error): the message tells a refusal from, say, a view that uses the column.
        orig = getattr(error, "orig", error)
        return (
            isinstance(operation, DropColumnOp)
            and getattr(orig, "sqlite_errorcode", None) == sqlite3.SQLITE_ERROR
            and bool(_DROP_REFUSED.search(str(orig)))
        )

    def _drop_needs_recreate(self, operation: DropColumnOp) -> bool:
        old_sqlite = self._server_version() < _DROP_COLUMN_SINCE
        if self.as_sql or self.connection is None:
            # the table's definition is unknown offline: a plain DROP COLUMN it is
            # (old SQLite has none at all, and the recreate then asks for copy_from)
            return old_sqlite
        if old_sqlite:
            return True
        inspector = sa.inspect(self.connection)
        name, table, schema = operation.column_name, operation.table_name, operation.schema
        if not inspector.has_table(table, schema=schema):
            return False  # let the database say so
        pk = inspector.get_pk_constraint(table, schema=schema)
        keyed: list[list[Any]] = [
            list(pk.get("constrained_columns") or []),
            *(u["column_names"] for u in inspector.get_unique_constraints(table, schema=schema)),
            *(ix["column_names"] for ix in inspector.get_indexes(table, schema=schema)),
            *(fk["constrained_columns"] for fk in inspector.get_foreign_keys(table, schema=schema)),
        ]
        if any(name in cols for cols in keyed):
            return True
        checks = inspector.get_check_constraints(table, schema=schema)
        return any(name.lower() in str(ck["sqltext"]).lower() for ck in checks)

    def alter_column(
        self, table_name: str, column_name: str, *, schema: str | None = None, **kw: Any
    ) -> None:
        """In place only a rename is possible; comments do not exist here."""
        change, _ = ColumnAlteration.split(kw)
        others = set(change.changes()) - _IN_PLACE
        if others:
            raise OperationNotSupported(
                "alter_column",
                "sqlite",
                f"SQLite cannot change {', '.join(sorted(others))} in place; use "
                f"op.batch_alter_table({table_name!r}) (recreate='auto') for a table recreate",
            )
        if change.new_column_name is not None:
            super().alter_column(
                table_name, column_name, new_column_name=change.new_column_name, schema=schema
            )

    def add_constraint(self, constraint: Constraint) -> None:
        """Reached only with batch_alter_table(recreate='never')."""
        raise OperationNotSupported(
            "add_constraint",
            "sqlite",
            "SQLite cannot add a constraint to an existing table; drop recreate='never' "
            "so the table is recreated",
        )

    def drop_constraint(self, constraint: Constraint, *, if_exists: bool = False) -> None:
        """Reached only with batch_alter_table(recreate='never')."""
        raise OperationNotSupported(
            "drop_constraint",
            "sqlite",
            "SQLite cannot drop a constraint of an existing table; drop recreate='never' "
            "so the table is recreated",
        )

    def create_table_comment(self, table: Table) -> None:
        """SQLite has no comments: nothing to do."""

    def drop_table_comment(self, table: Table) -> None:
        """SQLite has no comments: nothing to do."""

    def set_column_comment(
        self, table_name: str, column_name: str, comment: str | None, schema: str | None
    ) -> None:
        """SQLite has no comments: nothing to do."""


_COLLATE = re.compile(r"\bCOLLATE\s+(\"[^\"]+\"|'[^']+'|`[^`]+`|\[[^\]]+\]|\w+)", re.I)


def _collations(create_sql: str) -> dict[str, str]:
    """Column name (lower case) -> COLLATE name, from a CREATE TABLE statement."""
    start = create_sql.find("(")
    found: dict[str, str] = {}
    for part in _top_level_parts(create_sql[start + 1 : create_sql.rfind(")")]):
        head = _COLUMN_NAME.match(part)
        if head is None or head.group(1).upper() in _TABLE_CONSTRAINT_WORDS:
            continue
        match = _COLLATE.search(_outside_parentheses(head.group(2)))
        if match:
            found[_unquote(head.group(1)).lower()] = _unquote(match.group(1))
    return found


_COLUMN_NAME = re.compile(r"(\"[^\"]+\"|'[^']+'|`[^`]+`|\[[^\]]+\]|\S+)\s+(.*)", re.S)
_TABLE_CONSTRAINT_WORDS = {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"}


def _top_level_parts(text: str) -> list[str]:
    """`text` split at the commas outside parentheses and quotes."""
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'`[":
            quote = "]" if char == "[" else char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return parts


def _outside_parentheses(text: str) -> str:
    """`text` without what parentheses enclose (a CHECK's or a default's own COLLATE)."""
    depth, kept = 0, []
    for char in text:
        depth += char == "("
        if depth == 0:
            kept.append(char)
        depth -= char == ")"
    return "".join(kept)


def _unquote(word: str) -> str:
    if word[:1] in "\"'`[" and len(word) > 1:
        return word[1:-1]
    return word


def _is_exclude(operation: Any) -> bool:
    return type(operation).__name__ == "CreateExcludeConstraintOp"


# The primary result codes that mean "another connection holds the lock".
_LOCKED_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


class SQLiteSession(Session):
    """The driver in autocommit mode, ``BEGIN`` issued here, busy timeout set."""

    #: The driver's wait for a lock, at most (its thread cannot be interrupted); the
    #: runner tries again until ``lock_timeout``, so a cancellation gets through between.
    ATTEMPT = 1.0

    def __init__(self, lock_timeout: float | None) -> None:
        super().__init__(lock_timeout)
        self._saved: tuple[Any, Any] | None = None

    def prepare(self, connection: Connection) -> None:
        dbapi = connection.connection.dbapi_connection
        previous_timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
        self._saved = (dbapi.isolation_level, previous_timeout)  # type: ignore[union-attr]  # a live DBAPI connection
        if connection.in_transaction():
            connection.commit()
        dbapi.isolation_level = None  # type: ignore[union-attr]  # see the module docstring
        attempt = self.ATTEMPT if self.lock_timeout is None else self.lock_timeout
        timeout_ms = int(min(self.ATTEMPT, attempt) * 1000)
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {timeout_ms}")
        connection.commit()

    def restore(self, connection: Connection) -> None:
        saved, self._saved = self._saved, None
        if saved is None:
            return
        if connection.in_transaction():
            connection.rollback()
        isolation_level, busy_timeout = saved
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(busy_timeout or 0)}")
        connection.commit()
        connection.connection.dbapi_connection.isolation_level = isolation_level  # type: ignore[union-attr]  # a live DBAPI connection

    def begin(self, connection: Connection) -> None:
        if connection.in_transaction():
            return
        connection.begin()
        connection.exec_driver_sql("BEGIN IMMEDIATE" if self.immediate else "BEGIN")

    def locked_out(self, exc: DBAPIError) -> bool:
        code = getattr(exc.orig, "sqlite_errorcode", None)
        return isinstance(code, int) and (code & 0xFF) in _LOCKED_CODES

    def autocommit_enter(self, connection: Connection) -> Any:
        # The driver is already in autocommit mode; not beginning is enough.
        if connection.in_transaction():
            connection.commit()
        return None

    def autocommit_exit(self, connection: Connection, state: Any) -> None:
        if connection.in_transaction():
            connection.commit()
        self.begin(connection)


class SQLiteImmediateLock(MigrationLock):
    """Every migration transaction takes SQLite's write lock up front (``BEGIN IMMEDIATE``)."""

    async def acquire(self, engine: AsyncEngine, session: Session) -> None:
        session.immediate = True


class SQLiteTenancy(Tenancy):
    """SQLite has attached databases, not schemas; one file per tenant is the SQLite way."""

    def check(self, database: DatabaseConfig) -> None:
        raise ConfigError(
            f"database {database.name!r} ({database.masked_url}): SQLite has no tenant schemas; "
            "remove `schemas` / `schemas_query` and configure one database (file) per tenant",
            key=f"databases.{database.name}.schemas",
        )


class SQLiteBehaviour(DialectBehaviour):
    """SQLite: no ALTER for most changes, so scripts use batch mode; no comments."""

    name = "sqlite"
    batch_by_default = True
    reflects_expression_indexes = False
    supports_comments = False


class SQLite(Backend):
    """SQLite through aiosqlite (or any SQLite driver SQLAlchemy has)."""

    names = ("sqlite",)
    display_name = "SQLite"
    session = SQLiteSession
    lock = SQLiteImmediateLock
    tenancy = SQLiteTenancy
    ddl = SQLiteImpl
    autogen = SQLiteBehaviour
