"""A full schema snapshot of a database, as plain data that two databases can be compared by.

Everything is reflected through SQLAlchemy's Inspector on a sync engine, plus the few
catalogue queries it has no API for (PostgreSQL extensions, SQLite's ``CREATE`` text).
Values are made comparable across two databases: types are compiled for the dialect,
SQL text has its whitespace collapsed, and the database's own name never appears.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Inspector

VERSION_TABLE = "alembic_version"
# asyncmig's applied-history ledger beside it (and its id sequence): intended, never compared.
LEDGER_TABLE = f"{VERSION_TABLE}_ledger"
_PG_SYSTEM_SCHEMAS = {"information_schema", "pg_catalog", "pg_toast"}
_SPACE = re.compile(r"\s+")
# Inside brackets a space carries no meaning: "( a )" and "(a)" are one text.
_BRACKET_SPACE = re.compile(r"\s*([(),])\s*")


def normalise_sql(text: object) -> str | None:
    """SQL text with runs of whitespace collapsed and none around brackets and commas."""
    if text is None:
        return None
    collapsed = _SPACE.sub(" ", str(text)).strip()
    return _BRACKET_SPACE.sub(r"\1", collapsed)


@contextmanager
def _engine(sync_url: str) -> Iterator[Engine]:
    engine = sa.create_engine(sync_url, poolclass=sa.pool.NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def snapshot(sync_url: str) -> dict[str, Any]:
    """Everything a migration can leave in the database at `sync_url`, as nested dicts."""
    # SQLite expression indexes are not reflected (with a warning); sqlite_master holds them.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        return _snapshot(sync_url)


def _snapshot(sync_url: str) -> dict[str, Any]:
    with _engine(sync_url) as engine, engine.connect() as conn:
        inspector = sa.inspect(conn)
        dialect = conn.dialect.name
        result: dict[str, Any] = {"schemas": {}}
        for schema in _schemas(inspector, dialect):
            result["schemas"][schema or "<default>"] = _schema(conn, inspector, schema)
        if dialect == "postgresql":
            result["extensions"] = sorted(
                conn.exec_driver_sql("SELECT extname FROM pg_extension").scalars()
            )
        if dialect == "sqlite":
            result["sqlite_master"] = _sqlite_master(conn)
        result["version"] = _version_rows(conn, inspector)
        return result


def _schemas(inspector: Inspector, dialect: str) -> list[str | None]:
    # Only PostgreSQL has schemas inside one database; elsewhere a schema is another database.
    if dialect != "postgresql":
        return [None]
    default = inspector.default_schema_name
    others = sorted(
        name
        for name in inspector.get_schema_names()
        if name not in _PG_SYSTEM_SCHEMAS and name != default and not name.startswith("pg_temp")
    )
    return [None, *others]


def _schema(conn: Connection, inspector: Inspector, schema: str | None) -> dict[str, Any]:
    dialect = conn.dialect
    tables = {
        name: _table(conn, inspector, name, schema)
        for name in sorted(inspector.get_table_names(schema=schema))
        if name != LEDGER_TABLE
    }
    found: dict[str, Any] = {
        "tables": tables,
        "views": sorted(inspector.get_view_names(schema=schema)),
    }
    if dialect.name == "postgresql":
        found["enums"] = {
            enum["name"]: list(enum["labels"])
            for enum in inspector.get_enums(schema=schema or inspector.default_schema_name)
            if enum.get("visible", True) or schema is not None
        }
    if dialect.supports_sequences:
        found["sequences"] = sorted(
            name
            for name in inspector.get_sequence_names(schema=schema)
            if not name.startswith(LEDGER_TABLE)
        )
    return found


def _table(conn: Connection, inspector: Inspector, name: str, schema: str | None) -> dict[str, Any]:
    dialect = conn.dialect
    columns = inspector.get_columns(name, schema=schema)
    table: dict[str, Any] = {
        "column_order": [column["name"] for column in columns],
        "columns": {column["name"]: _column(column, dialect) for column in columns},
        "primary_key": _plain(inspector.get_pk_constraint(name, schema=schema)),
        "foreign_keys": _keyed(inspector.get_foreign_keys(name, schema=schema), _foreign_key),
        "unique": _keyed(inspector.get_unique_constraints(name, schema=schema), _unique),
        "check": _keyed(inspector.get_check_constraints(name, schema=schema), _check),
        "indexes": _keyed(inspector.get_indexes(name, schema=schema), _index),
        "rows": conn.execute(
            sa.select(sa.func.count()).select_from(sa.table(name, schema=schema))
        ).scalar_one(),
    }
    if dialect.supports_comments:
        table["comment"] = inspector.get_table_comment(name, schema=schema).get("text")
    return table


def _column(column: Mapping[str, Any], dialect: sa.Dialect) -> dict[str, Any]:
    try:
        type_text = column["type"].compile(dialect=dialect)
    except sa.exc.CompileError:
        type_text = repr(column["type"])
    found = {
        "type": type_text,
        "nullable": column["nullable"],
        "default": normalise_sql(column.get("default")),
        "comment": column.get("comment"),
        "autoincrement": column.get("autoincrement"),
    }
    for key in ("identity", "computed"):
        if column.get(key):
            found[key] = _plain(column[key])
    return found


def _foreign_key(fk: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "columns": list(fk["constrained_columns"]),
        "referred": (fk.get("referred_schema"), fk["referred_table"], *fk["referred_columns"]),
        "options": _plain(fk.get("options", {})),
    }


def _unique(uq: Mapping[str, Any]) -> dict[str, Any]:
    return {"columns": list(uq["column_names"]), **_extras(uq, "column_names")}


def _check(ck: Mapping[str, Any]) -> dict[str, Any]:
    return {"sqltext": normalise_sql(ck["sqltext"]), **_extras(ck, "sqltext")}


def _index(index: Mapping[str, Any]) -> dict[str, Any]:
    found = {
        "columns": list(index["column_names"]),
        "unique": bool(index["unique"]),
        **_extras(index, "column_names", "unique"),
    }
    if "expressions" in found:
        found["expressions"] = [normalise_sql(text) for text in found["expressions"]]
    return found


def _extras(item: Mapping[str, Any], *skip: str) -> dict[str, Any]:
    return {key: _plain(value) for key, value in item.items() if key not in {"name", *skip}}


def _keyed(items: list[Any], shape: Any) -> dict[str, Any]:
    """Named objects by name; unnamed ones under a key made from their content."""
    keyed: dict[str, Any] = {}
    for item in items:
        value = shape(item)
        key = item.get("name") or f"<unnamed {value!r}>"
        while key in keyed:  # the same name twice is a difference worth showing
            key += "'"
        keyed[key] = value
    return dict(sorted(keyed.items()))


def _plain(value: Any) -> Any:
    """Reflected values as plain, comparable data (SQL text normalised)."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in sorted(value.items(), key=str)}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return normalise_sql(value) if isinstance(value, str) else value
    return normalise_sql(value)


def _sqlite_master(conn: Connection) -> dict[str, str | None]:
    rows = conn.exec_driver_sql(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
    )
    found = {}
    for kind, name, sql in rows:
        if name == LEDGER_TABLE:
            continue
        text = normalise_sql(sql)
        found[f"{kind} {name}"] = _constraints_sorted(text) if kind == "table" and text else text
    return found


_TABLE_CONSTRAINT = re.compile(r"^(CONSTRAINT|PRIMARY KEY|UNIQUE|CHECK|FOREIGN KEY)\b", re.I)


def _constraints_sorted(create: str) -> str:
    """A CREATE TABLE with its table-level constraints sorted; columns keep their order.

    The order of table constraints means nothing to SQLite, and Alembic's own batch
    recreate does not keep one (it varies from run to run), so it is not compared.
    """
    start = create.find("(")
    if start < 0 or not create.endswith(")"):
        return create
    parts, depth, current = [], 0, []
    for char in create[start + 1 : -1]:
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        depth += (char == "(") - (char == ")")
        current.append(char)
    parts.append("".join(current))
    columns = [part for part in parts if not _TABLE_CONSTRAINT.match(part)]
    constraints = sorted(part for part in parts if _TABLE_CONSTRAINT.match(part))
    return create[: start + 1] + ",".join(columns + constraints) + ")"


def _version_rows(conn: Connection, inspector: Inspector) -> list[str] | None:
    if not inspector.has_table(VERSION_TABLE):
        return None
    rows = conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
    return sorted(rows)
