"""MySQL and MariaDB: DDL commits implicitly, ``GET_LOCK``, a tenant "schema" is a database.

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
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from .._operations.impl_mysql import MariaDBImpl, MySQLImpl
from .behaviour import DialectBehaviour
from .generic import Backend, SeparateConnectionLock, Session, Tenancy

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncConnection
    from sqlalchemy.types import TypeEngine

    from .._config import DatabaseConfig
    from .._operations.impl import DialectImpl


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
