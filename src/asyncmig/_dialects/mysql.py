"""MySQL and MariaDB: DDL commits implicitly, ``GET_LOCK``, a tenant "schema" is a database.

- Lock: ``GET_LOCK`` on a connection of its own; those names are server-wide
  and at most 64 characters, so the name hashes the schema (the current
  database when none) with the table.
- Tenancy: the connection ``USE``\\s the tenant's database, and the previous
  one afterwards.
- Autogenerate: integer display widths and BOOL stored as TINYINT(1).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import func, select, text

from .._operations.impl_mysql import MariaDBImpl, MySQLImpl
from .behaviour import DialectBehaviour
from .generic import Backend, SeparateConnectionLock, Tenancy

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
    lock = MySQLNamedLock
    tenancy = MySQLTenancy
    ddl = MySQLImpl
    autogen = MySQLBehaviour


class MariaDB(MySQL):
    """MariaDB: MySQL's backend with MariaDB's DDL where the two differ."""

    names = ("mariadb",)
    ddl = MariaDBImpl
