"""Facts read from the operation objects the op layer carried out.

Where an operation object is at hand it says more than its SQL: which table
and column, the column's previous type, whether a SQLite batch's recreate is
really a type change rather than a DROP TABLE.  The SQL the operation wrote
still contributes what the object does not show (see :data:`FROM_SQL_TOO`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .facts import Fact, normalise_name, volatile_call

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect

__all__ = ("FROM_SQL_TOO", "facts_from_op", "is_own_op")

FROM_SQL_TOO = frozenset(
    {
        "add_fk",
        "add_check",
        "validate_constraint",
        "lock_timeout",
        "begin",
        "commit",
        "enum_add_value",
        "alter_table",
        "concurrent_statement",
    }
)
"""Fact kinds still read from the SQL of an operation the op objects describe."""

_LENGTH = re.compile(
    r"^(VARCHAR|CHARACTER VARYING|NUMERIC|DECIMAL|VARBINARY)\s*(?:\((\d+)(?:\s*,\s*(\d+))?\))?$"
)


def is_own_op(operation: Any) -> bool:
    """An asyncmig directive other than ``execute`` (whose SQL says everything)."""
    cls = type(operation)
    return cls.__module__.startswith("asyncmig._operations.") and cls.__name__ != "ExecuteSQLOp"


def facts_from_op(operation: Any, dialect: Dialect) -> Iterator[Fact]:  # one dispatch table
    """The facts of one operation object (none for those only its SQL describes)."""
    name = type(operation).__name__
    schema = getattr(operation, "schema", None)
    table_name = getattr(operation, "table_name", None)
    table = normalise_name(table_name, schema) if isinstance(table_name, str) else None
    if name == "CreateTableOp":
        yield Fact("create_table", table)
    elif name == "DropTableOp":
        yield Fact("drop_table", table)
    elif name == "RenameTableOp":
        yield Fact(
            "rename_table", table, detail={"new": normalise_name(operation.new_table_name, schema)}
        )
    elif name == "AddColumnOp":
        yield _add_column(table, operation.column)
    elif name == "DropColumnOp":
        yield Fact("drop_column", table, operation.column_name.lower())
    elif name == "AlterColumnOp":
        yield from _alter_column(table, operation, dialect)
    elif name == "CreateIndexOp":
        concurrently = bool(operation.kw.get("postgresql_concurrently"))
        yield Fact("create_index", table, detail={"concurrently": concurrently})
    elif name == "DropIndexOp":
        concurrently = bool(operation.kw.get("postgresql_concurrently"))
        yield Fact("drop_index", table, detail={"concurrently": concurrently})


def _add_column(table: str | None, column: Any) -> Fact:
    default = column.server_default
    generated = column.computed is not None or column.identity is not None
    arg = getattr(default, "arg", None)
    return Fact(
        "add_column",
        table,
        str(column.name).lower(),
        detail={
            "not_null": column.nullable is False,
            "has_default": default is not None or generated,
            # a plain string default is a quoted literal, never a call
            "volatile": volatile_call(str(arg))
            if arg is not None and not isinstance(arg, str)
            else None,
        },
    )


def _alter_column(table: str | None, operation: Any, dialect: Dialect) -> Iterator[Fact]:
    column = str(operation.column_name).lower()
    if operation.type_ is not None:
        safe = _widening(operation.existing_type, operation.type_, dialect)
        yield Fact("alter_type", table, column, {"safe": safe})
    if operation.nullable is False and operation.existing_nullable is not False:
        yield Fact("set_not_null", table, column)
    if operation.new_column_name is not None:
        yield Fact("rename_column", table, column, {"new": str(operation.new_column_name).lower()})
    if operation.type_ is None and operation.nullable is not False:
        yield Fact("alter_table", table, column)


def _widening(old: Any, new: Any, dialect: Dialect) -> bool:
    """PostgreSQL changes these types without a rewrite: same type, longer varchar, to text."""
    if old is None:
        return False
    try:
        before = old.compile(dialect=dialect).upper()
        after = new.compile(dialect=dialect).upper()
    except Exception:  # a type the dialect cannot render: assume the worst
        return False
    if before == after:
        return True
    old_match, new_match = _LENGTH.match(before), _LENGTH.match(after)
    if old_match and after == "TEXT" and old_match.group(1) in ("VARCHAR", "CHARACTER VARYING"):
        return True
    if not (old_match and new_match) or old_match.group(1) != new_match.group(1):
        return False
    if new_match.group(2) is None:  # unbounded
        return True
    if old_match.group(2) is None or int(new_match.group(2)) < int(old_match.group(2)):
        return False
    return (old_match.group(3) or "0") == (new_match.group(3) or "0")
