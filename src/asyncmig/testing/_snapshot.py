"""A full schema snapshot of a live database, as plain data two snapshots can be compared by.

Tables with their columns (type compiled for the dialect, nullability, default,
comment), primary key, foreign keys, unique and check constraints and indexes;
PostgreSQL enums and sequences; SQLite's stored ``CREATE`` text; the version
table's rows.  SQL text has its whitespace collapsed, so that two databases
that mean the same thing compare equal.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Inspector
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

__all__ = ("differences", "snapshot", "snapshot_url")

_SPACE = re.compile(r"\s+")
_BRACKET_SPACE = re.compile(r"\s*([(),])\s*")
_PG_SYSTEM = {"information_schema", "pg_catalog", "pg_toast"}


def _sql(value: object) -> str | None:
    if value is None:
        return None
    return _BRACKET_SPACE.sub(r"\1", _SPACE.sub(" ", str(value)).strip())


async def snapshot(conn: AsyncConnection) -> dict[str, Any]:
    """Everything a migration can leave in the database `conn` is on, as nested dicts."""
    return await conn.run_sync(snapshot_sync)


async def snapshot_url(url: str) -> dict[str, Any]:
    """:func:`snapshot` of the database at `url` (an async driver URL)."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return await snapshot(conn)
    finally:
        await engine.dispose()


def snapshot_sync(conn: Connection) -> dict[str, Any]:
    """:func:`snapshot` on a synchronous connection."""
    with warnings.catch_warnings():
        # SQLite expression indexes are not reflected (with a warning); sqlite_master has them.
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        inspector = sa.inspect(conn)
        found: dict[str, Any] = {}
        for schema in _schemas(inspector, conn.dialect.name):
            found[schema or "<default>"] = _schema(conn, inspector, schema)
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(
                "SELECT type, name, sql FROM sqlite_master "
                "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
            )
            found["sqlite_master"] = {f"{kind} {name}": _sql(sql) for kind, name, sql in rows}
        return found


def _schemas(inspector: Inspector, dialect: str) -> list[str | None]:
    if dialect != "postgresql":
        return [None]
    default = inspector.default_schema_name
    others = [
        name
        for name in inspector.get_schema_names()
        if name not in _PG_SYSTEM and name != default and not name.startswith("pg_")
    ]
    return [None, *sorted(others)]


def _schema(conn: Connection, inspector: Inspector, schema: str | None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "tables": {
            name: _table(conn, inspector, name, schema)
            for name in sorted(inspector.get_table_names(schema=schema))
        },
        "views": {
            name: _sql(inspector.get_view_definition(name, schema=schema))
            for name in sorted(inspector.get_view_names(schema=schema))
        },
    }
    if conn.dialect.name == "postgresql":
        found["enums"] = {
            enum["name"]: list(enum["labels"])
            for enum in inspector.get_enums(schema=schema or inspector.default_schema_name)  # type: ignore[attr-defined]  # PGInspector
        }
    if conn.dialect.supports_sequences:
        found["sequences"] = sorted(inspector.get_sequence_names(schema=schema))
    return found


def _table(conn: Connection, inspector: Inspector, name: str, schema: str | None) -> dict[str, Any]:
    columns = inspector.get_columns(name, schema=schema)
    table: dict[str, Any] = {
        "columns": [_column(column, conn.dialect) for column in columns],
        "primary_key": _plain(inspector.get_pk_constraint(name, schema=schema)),
        "foreign_keys": _keyed(inspector.get_foreign_keys(name, schema=schema)),
        "unique": _keyed(inspector.get_unique_constraints(name, schema=schema)),
        "check": _keyed(inspector.get_check_constraints(name, schema=schema)),
        "indexes": _keyed(inspector.get_indexes(name, schema=schema)),
    }
    if conn.dialect.supports_comments:
        table["comment"] = inspector.get_table_comment(name, schema=schema).get("text")
    return table


def _column(column: Mapping[str, Any], dialect: sa.Dialect) -> dict[str, Any]:
    try:
        type_text = column["type"].compile(dialect=dialect)
    except sa.exc.CompileError:
        type_text = repr(column["type"])
    found: dict[str, Any] = _plain(
        {
            "name": column["name"],
            "type": type_text,
            "nullable": column["nullable"],
            "default": column.get("default"),
            "comment": column.get("comment"),
            **{key: column[key] for key in ("identity", "computed") if column.get(key)},
        }
    )
    return found


def _keyed(items: list[Any]) -> dict[str, Any]:
    """Named objects by name; unnamed ones under a key made from their content."""
    keyed: dict[str, Any] = {}
    for item in items:
        value = _plain({key: val for key, val in item.items() if key != "name"})
        key = item.get("name") or f"<unnamed {value!r}>"
        while key in keyed:
            key += "'"
        keyed[key] = value
    return dict(sorted(keyed.items()))


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in sorted(value.items(), key=str)}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return _sql(value)


def differences(before: Any, after: Any, path: str = "") -> list[str]:
    """Where two snapshots differ, one line per differing leaf (``path: before != after``)."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[str] = []
        for key in sorted(set(before) | set(after), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in after:
                found.append(f"{where}: gone")
            elif key not in before:
                found.append(f"{where}: new")
            else:
                found.extend(differences(before[key], after[key], where))
        return found
    return [] if before == after else [f"{path}: {before!r} != {after!r}"]
