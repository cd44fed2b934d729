"""MySQL and MariaDB: DDL commits implicitly, ``GET_LOCK``, a tenant "schema" is a database.

- DDL (:class:`MySQLImpl`, :class:`MariaDBImpl`): ``MODIFY``/``CHANGE`` column, a
  ``DROP`` per kind of constraint.
- Lock: ``GET_LOCK`` on a connection of its own; those names are server-wide
  and at most 64 characters, so the name hashes the schema (the current
  database when none) with the table.
- Tenancy: the connection ``USE``\\s the tenant's database, and the previous
  one afterwards.
- Session: a step's lock timeout is ``lock_wait_timeout`` and
  ``innodb_lock_wait_timeout`` (error 1205 when it runs out); its statement
  timeout is MariaDB's ``max_statement_time`` (MySQL has none for DDL).
- Autogenerate: integer display widths and BOOL stored as TINYINT(1).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import Column, Table, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import (
    CheckConstraint,
    Constraint,
    ForeignKeyConstraint,
    Index,
    PrimaryKeyConstraint,
    UniqueConstraint,
)
from sqlalchemy.sql.compiler import DDLCompiler
from sqlalchemy.types import TypeEngine

from .._operations import ddl
from .._operations.alteration import NOT_GIVEN, ColumnAlteration
from .._operations.impl import DialectImpl
from .._operations.index_ops import NO_TABLE_KEY
from ..errors import OperationNotSupported
from .behaviour import DialectBehaviour
from .generic import Backend, SeparateConnectionLock, Session, Tenancy

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncConnection
    from sqlalchemy.types import TypeEngine

    from .._config import DatabaseConfig


class ModifyColumn(ddl.AlterColumn):
    """``ALTER TABLE t MODIFY c <full spec>`` or ``CHANGE c d <full spec>``."""

    def __init__(
        self,
        table: str,
        column: str,
        *,
        schema: str | None,
        new_name: str | None,
        type_: TypeEngine[Any],
        nullable: bool,
        server_default: Any,
        autoincrement: bool,
        comment: str | None,
    ) -> None:
        super().__init__(table, column, schema=schema)
        self.new_name = new_name
        self.type_ = type_
        self.nullable = nullable
        self.server_default = server_default
        self.autoincrement = autoincrement
        self.comment = comment


class DropTypedConstraint(ddl.AlterTable):
    """MySQL drops each constraint kind with its own words."""

    def __init__(self, table: str, schema: str | None, kind: str, name: str | None) -> None:
        super().__init__(table, schema)
        self.kind = kind
        self.name = name


class MySQLImpl(DialectImpl):
    """MySQL and MariaDB.

    DDL is not transactional here: every CREATE/ALTER/DROP commits implicitly, so a
    failed step leaves the statements before the failure applied
    (``transactional_ddl = False``); write one schema change per revision where that
    matters.  ``alter_column`` restates the whole column (``MODIFY``/``CHANGE``).
    As in Alembic, a ``MODIFY`` restates only
    what it is given: without ``existing_nullable=``, ``existing_server_default=`` and
    ``existing_comment=`` the column becomes NULL, loses its default and its comment.
    Only where no type is given at all (Alembic refuses) is the column read online.
    """

    transactional_ddl = False
    check_drop_words: ClassVar[str] = "CHECK"

    def alter_column(
        self, table_name: str, column_name: str, *, schema: str | None = None, **kw: Any
    ) -> None:
        """A default-only change is ``ALTER COLUMN SET/DROP DEFAULT``; anything else MODIFY."""
        change, _ = ColumnAlteration.split(kw)
        changed = change.changes()
        if "server_default" in changed:
            default = changed["server_default"]
            self.check_identity_change(
                table_name, column_name, default, change.existing_server_default
            )
            if len(changed) == 1:
                self.execute(ddl.ColumnDefault(table_name, column_name, default, schema=schema))
                return
        # Alembic restates only what the script gives (nullability, default, comment),
        # so MODIFY/CHANGE resets the rest, and so does asyncmig.  Where neither type_ nor
        # existing_type is given Alembic refuses; asyncmig then reads the column online
        # (never its comment, which Alembic would not restate either).
        if not self.as_sql and change.type_ is None and change.existing_type is None:
            current = self._current_column(table_name, column_name, schema)
            if current is not None:
                change = _with_current(change, current)
        final_type = change.type_ if change.type_ is not None else change.existing_type
        if final_type is None:
            raise OperationNotSupported(
                "alter_column",
                self.dialect.name,
                "MySQL restates the whole column; give existing_type= (and existing_nullable=, "
                "existing_server_default=) when rendering offline SQL",
            )
        self.execute(
            ModifyColumn(
                table_name,
                column_name,
                schema=schema,
                new_name=change.new_column_name,
                type_=final_type,
                # each property as given, else as the script says it is now
                nullable=changed.get("nullable", change.existing_nullable is not False),
                server_default=changed.get("server_default", change.existing_server_default),
                autoincrement=bool(changed.get("autoincrement", change.existing_autoincrement)),
                comment=changed.get("comment", change.existing_comment),
            )
        )

    def _current_column(
        self, table_name: str, column_name: str, schema: str | None
    ) -> dict[str, Any] | None:
        inspector = sa.inspect(self.connection)
        for column in inspector.get_columns(table_name, schema=schema):
            if column["name"] == column_name:
                return dict(column)
        return None

    def set_column_comment(
        self, table_name: str, column_name: str, comment: str | None, schema: str | None
    ) -> None:
        """MySQL has no COMMENT ON: restate the column with its new comment."""
        self.alter_column(table_name, column_name, schema=schema, comment=comment)

    def drop_constraint(self, constraint: Constraint, *, if_exists: bool = False) -> None:
        """DROP FOREIGN KEY / DROP INDEX / DROP CHECK / DROP PRIMARY KEY by kind."""
        kinds = {
            ForeignKeyConstraint: "FOREIGN KEY",
            UniqueConstraint: "INDEX",
            CheckConstraint: self.check_drop_words,
            PrimaryKeyConstraint: "PRIMARY KEY",
        }
        table = constraint.table
        assert isinstance(table, Table)
        kind = next((word for cls, word in kinds.items() if isinstance(constraint, cls)), None)
        if kind is None:
            super().drop_constraint(constraint, if_exists=if_exists)
            return
        name = None if kind == "PRIMARY KEY" else str(constraint.name)
        self.execute(DropTypedConstraint(table.name, table.schema, kind, name))

    def drop_index(self, index: Index, *, if_exists: bool = False) -> None:
        """MySQL's DROP INDEX names the table."""
        if index.info.get(NO_TABLE_KEY):
            raise OperationNotSupported(
                "drop_index",
                self.dialect.name,
                f"MySQL needs the table: op.drop_index({index.name!r}, table_name='...')",
            )
        super().drop_index(index, if_exists=if_exists)

    def rename_table(self, old: str, new: str, schema: str | None) -> None:
        """MySQL's RENAME TO needs the schema on the new name too."""
        self.execute(_RenameQualified(old, new, schema))


class MariaDBImpl(MySQLImpl):
    """MariaDB: as MySQL, but a CHECK constraint is dropped with DROP CONSTRAINT.

    Like MySQL, MariaDB commits every DDL statement implicitly: nothing of a failed
    step's DDL rolls back (``transactional_ddl = False``).
    """

    check_drop_words = "CONSTRAINT"

    def add_column(
        self, table_name: str, column: Column[Any], schema: str | None, if_not_exists: bool
    ) -> None:
        """ADD COLUMN; a named CHECK of the column follows as its own ADD CONSTRAINT.

        MariaDB's column definition takes only an unnamed CHECK: ``CONSTRAINT name
        CHECK`` there is a syntax error (Alembic fails on it), so the column is added
        first and the named check after it, with the same name and condition.
        """
        named = [c for c in column.constraints if isinstance(c, CheckConstraint) and c.name]
        element = ddl.AddColumn(table_name, column, schema, if_not_exists)
        element.left_out.update(named)
        self.execute(element)
        # a table of its own: the check must not join the constraints add_column adds next
        host = Table(table_name, sa.MetaData(), schema=schema)
        for check in sorted(named, key=lambda c: str(c.name)):
            separate = CheckConstraint(check.sqltext, name=check.name)
            host.append_constraint(separate)
            self.add_constraint(separate)


def _with_current(change: ColumnAlteration, current: Mapping[str, Any]) -> ColumnAlteration:
    """`change` with the reflected `current` column as its type and its missing hints."""
    default = current.get("default")
    return replace(
        change,
        existing_type=current["type"],
        existing_nullable=(
            current["nullable"] if change.existing_nullable is None else change.existing_nullable
        ),
        existing_server_default=(
            sa.text(default)
            if change.existing_server_default is None and default is not None
            else change.existing_server_default
        ),
        existing_autoincrement=(
            current.get("autoincrement") is True
            if change.existing_autoincrement is None
            else change.existing_autoincrement
        ),
    )


class _RenameQualified(ddl.RenameTable):
    """``ALTER TABLE s.old RENAME TO s.new``."""


@compiles(_RenameQualified, "mysql")
@compiles(_RenameQualified, "mariadb")
def _rename(element: _RenameQualified, compiler: DDLCompiler, **kw: Any) -> str:
    new = ddl.table_name(compiler, element.new_name, element.schema)
    return f"{ddl.alter_table(compiler, element)} RENAME TO {new}"


@compiles(ModifyColumn, "mysql")
@compiles(ModifyColumn, "mariadb")
def _modify(element: ModifyColumn, compiler: DDLCompiler, **kw: Any) -> str:
    parts = [ddl.type_string(compiler, element.type_), "NULL" if element.nullable else "NOT NULL"]
    if element.server_default is not None and element.server_default is not NOT_GIVEN:
        rendered = ddl.default_string(compiler, element.server_default)
        if rendered is not None:
            parts.append(f"DEFAULT {rendered}")
    if element.autoincrement:
        parts.append("AUTO_INCREMENT")
    if element.comment is not None:
        literal = compiler.sql_compiler.render_literal_value(element.comment, sa.String())
        parts.append(f"COMMENT {literal}")
    column = ddl.column_name(compiler, element.column)
    if element.new_name is not None:
        head = f"CHANGE {column} {ddl.column_name(compiler, element.new_name)}"
    else:
        head = f"MODIFY {column}"
    return f"{ddl.alter_table(compiler, element)} {head} {' '.join(parts)}"


@compiles(DropTypedConstraint, "mysql")
@compiles(DropTypedConstraint, "mariadb")
def _drop_typed(element: DropTypedConstraint, compiler: DDLCompiler, **kw: Any) -> str:
    name = f" {compiler.preparer.quote(element.name)}" if element.name else ""
    return f"{ddl.alter_table(compiler, element)} DROP {element.kind}{name}"


def lock_name(table: str, schema: str | None) -> str:
    """A ``GET_LOCK`` name for a version table (server-wide, at most 64 characters)."""
    raw = f"{schema or ''}.{table}"
    return "asyncmig_" + hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


class MySQLNamedLock(SeparateConnectionLock):
    """``GET_LOCK`` / ``RELEASE_LOCK`` on a dedicated session."""

    def __init__(
        self, database: str, table: str, schema: str | None, timeout: float | None
    ) -> None:
        super().__init__(database, table, schema, timeout)
        self._lock_name = ""

    async def name_lock(self, conn: AsyncConnection) -> None:
        current = (await conn.execute(select(func.database()))).scalar()
        self._lock_name = lock_name(self.table, self.schema or current)

    def try_statement(self) -> Any:
        return select(func.get_lock(self._lock_name, 0))

    def release_statement(self) -> Any:
        return select(func.release_lock(self._lock_name))


class MySQLSession(Session):
    """A step's lock timeout as ``lock_wait_timeout`` (metadata locks: DDL) and
    ``innodb_lock_wait_timeout`` (row locks: data), whole seconds, at least 1.

    MySQL has no statement timeout for DDL or writes (``max_execution_time``
    covers ``SELECT`` only), so a statement timeout is not set here.
    """

    has_timeouts = True
    #: The session variables this server has, the lock ones first.
    variables: ClassVar[tuple[str, ...]] = ("lock_wait_timeout", "innodb_lock_wait_timeout")

    def read_timeouts(self, connection: Connection) -> Any:
        columns = ", ".join(f"@@SESSION.{name}" for name in self.variables)
        return tuple(connection.execute(text(f"SELECT {columns}")).one())

    def write_timeouts(
        self, connection: Connection, lock: float | None, statement: float | None, own: Any
    ) -> None:
        values = dict(zip(self.variables, self.values(lock, statement, own), strict=True))
        assignments = ", ".join(f"SESSION {name} = :{name}" for name in self.variables)
        connection.execute(text(f"SET {assignments}"), values)

    def values(self, lock: float | None, statement: float | None, own: Any) -> tuple[Any, ...]:
        """The variables' values for these timeouts (None: the connection's `own`)."""
        wait = own[:2] if lock is None else (int(self.applied_lock_timeout(lock)),) * 2
        return tuple(wait)

    def applied_lock_timeout(self, seconds: float) -> float:
        return float(max(1, math.ceil(seconds)))

    def lock_timed_out(self, exc: BaseException) -> bool:
        orig = getattr(exc, "orig", None)
        args: tuple[Any, ...] = getattr(orig, "args", ())
        return isinstance(exc, DBAPIError) and bool(args) and args[0] == ER_LOCK_WAIT_TIMEOUT


class MariaDBSession(MySQLSession):
    """MySQL's, and the statement timeout as ``max_statement_time`` (seconds; 0: no limit)."""

    variables = (*MySQLSession.variables, "max_statement_time")

    def values(self, lock: float | None, statement: float | None, own: Any) -> tuple[Any, ...]:
        return (*super().values(lock, statement, own), own[2] if statement is None else statement)


# "Lock wait timeout exceeded": a metadata or row lock not granted within the timeout.
ER_LOCK_WAIT_TIMEOUT = 1205


class MySQLTenancy(Tenancy):
    """A tenant "schema" is a database on the same server, selected with ``USE``."""

    def check(self, database: DatabaseConfig) -> None:
        return None

    def enter(self, connection: Connection, schema: str) -> Any:
        if not self.exists(connection, schema):
            # Nothing to migrate there (no version table either); USE would fail.
            return None
        previous = connection.execute(text("SELECT DATABASE()")).scalar()
        connection.exec_driver_sql(f"USE {self.quote(connection, schema)}")
        return previous

    def leave(self, connection: Connection, state: Any) -> None:
        if state is not None:
            connection.exec_driver_sql(f"USE {self.quote(connection, str(state))}")

    def render(self, impl: DialectImpl, schema: str, *, create: bool) -> None:
        super().render(impl, schema, create=create)
        impl.static_output(f"USE {self.quote(impl, schema)};")


_DISPLAY_WIDTH = re.compile(r"^(TINYINT|SMALLINT|MEDIUMINT|INT|INTEGER|BIGINT)\(\d+\)")


class MySQLBehaviour(DialectBehaviour):
    """MySQL / MariaDB: integer display widths and BOOL stored as TINYINT(1)."""

    name = "mysql"
    system_schemas = frozenset({"information_schema", "mysql", "performance_schema", "sys"})
    type_aliases: ClassVar[Mapping[str, str]] = {"BOOL": "TINYINT", "INT": "INTEGER"}

    def type_signature(self, type_: TypeEngine[Any]) -> str | None:
        """Drop the display width MySQL reports for integer types."""
        text = super().type_signature(type_)
        if text is None:
            return None
        text = _DISPLAY_WIDTH.sub(r"\1", text)
        return self.type_aliases.get(text, text)


class MySQL(Backend):
    """MySQL through aiomysql or asyncmy."""

    names = ("mysql",)
    display_name = "MySQL/MariaDB"
    session = MySQLSession
    lock = MySQLNamedLock
    tenancy = MySQLTenancy
    ddl = MySQLImpl
    autogen = MySQLBehaviour


class MariaDB(MySQL):
    """MariaDB: MySQL's backend with MariaDB's DDL where the two differ."""

    names = ("mariadb",)
    session = MariaDBSession
    ddl = MariaDBImpl
