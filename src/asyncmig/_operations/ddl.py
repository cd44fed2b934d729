"""DDL elements SQLAlchemy lacks: ALTER TABLE ... ADD/DROP/ALTER COLUMN, RENAME.

Each element compiles through SQLAlchemy's DDL compiler, so identifiers are quoted
by the dialect's preparer and types, defaults and column specifications are
rendered by the dialect itself.  The generic (PostgreSQL-shaped) form is defined
here; dialect modules override one element for one dialect with ``@compiles``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Identity
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateColumn, ExecutableDDLElement
from sqlalchemy.sql.compiler import DDLCompiler
from sqlalchemy.types import TypeEngine

__all__ = (
    "AddColumn",
    "AlterColumn",
    "ColumnDefault",
    "ColumnName",
    "ColumnNullable",
    "ColumnType",
    "DropColumn",
    "RenameTable",
    "alter_table",
    "column_name",
    "default_string",
    "identity_changes",
    "is_identity_change",
    "table_name",
    "type_string",
)


class AlterTable(ExecutableDDLElement):
    """``ALTER TABLE <table> ...``: the common part of every element below."""

    inherit_cache = False

    def __init__(self, table: str, schema: str | None = None) -> None:
        self.table = table
        self.schema = schema


class RenameTable(AlterTable):
    """``ALTER TABLE old RENAME TO new``."""

    def __init__(self, table: str, new_name: str, schema: str | None = None) -> None:
        super().__init__(table, schema)
        self.new_name = new_name


class AddColumn(AlterTable):
    """``ALTER TABLE t ADD COLUMN <spec> [<column constraints>]``; `column` is on a Table."""

    def __init__(
        self,
        table: str,
        column: Column[Any],
        schema: str | None = None,
        if_not_exists: bool = False,
    ) -> None:
        super().__init__(table, schema)
        self.column = column
        self.if_not_exists = if_not_exists
        self.left_out: set[Any] = set()
        """Column constraints the dialect adds with their own ALTER instead."""


class DropColumn(AlterTable):
    """``ALTER TABLE t DROP COLUMN c``."""

    def __init__(
        self, table: str, column: str, schema: str | None = None, if_exists: bool = False
    ) -> None:
        super().__init__(table, schema)
        self.column = column
        self.if_exists = if_exists


class AlterColumn(AlterTable):
    """One change to one column, with what is known of the column as it is."""

    def __init__(
        self,
        table: str,
        column: str,
        schema: str | None = None,
        *,
        existing_type: TypeEngine[Any] | None = None,
        existing_nullable: bool | None = None,
        existing_server_default: Any = None,
        existing_comment: str | None = None,
        existing_autoincrement: bool | None = None,
    ) -> None:
        super().__init__(table, schema)
        self.column = column
        self.existing_type = existing_type
        self.existing_nullable = existing_nullable
        self.existing_server_default = existing_server_default
        self.existing_comment = existing_comment
        self.existing_autoincrement = existing_autoincrement


class ColumnNullable(AlterColumn):
    """``ALTER COLUMN c SET/DROP NOT NULL``."""

    def __init__(self, table: str, column: str, nullable: bool, **kw: Any) -> None:
        super().__init__(table, column, **kw)
        self.nullable = nullable


class ColumnType(AlterColumn):
    """``ALTER COLUMN c TYPE t`` (PostgreSQL: optionally ``USING expr``)."""

    def __init__(
        self, table: str, column: str, type_: TypeEngine[Any], using: Any = None, **kw: Any
    ) -> None:
        super().__init__(table, column, **kw)
        self.type_ = type_
        self.using = using


class ColumnDefault(AlterColumn):
    """``ALTER COLUMN c SET DEFAULT x`` or, for None, ``DROP DEFAULT``."""

    def __init__(self, table: str, column: str, default: Any, **kw: Any) -> None:
        super().__init__(table, column, **kw)
        self.default = default


class ColumnName(AlterColumn):
    """``ALTER TABLE t RENAME c TO d`` (SQLite: ``RENAME COLUMN c TO d``)."""

    def __init__(self, table: str, column: str, new_name: str, **kw: Any) -> None:
        super().__init__(table, column, **kw)
        self.new_name = new_name


def table_name(compiler: DDLCompiler, name: str, schema: str | None) -> str:
    """`name` (schema-qualified where given) quoted by the dialect's preparer."""
    preparer = compiler.preparer
    quoted = preparer.quote(name)
    return f"{preparer.quote_schema(schema)}.{quoted}" if schema else quoted


def column_name(compiler: DDLCompiler, name: str) -> str:
    """A column name quoted by the dialect's preparer."""
    return compiler.preparer.quote(name)


def alter_table(compiler: DDLCompiler, element: AlterTable) -> str:
    """``ALTER TABLE <quoted table>``."""
    return f"ALTER TABLE {table_name(compiler, element.table, element.schema)}"


def type_string(compiler: DDLCompiler, type_: TypeEngine[Any]) -> str:
    """`type_` as the dialect spells it in DDL."""
    return str(compiler.dialect.type_compiler_instance.process(type_))


def default_string(compiler: DDLCompiler, default: Any) -> str | None:
    """A server default (str, text(), expression, DefaultClause) rendered by the dialect."""
    from sqlalchemy.schema import DefaultClause

    if isinstance(default, DefaultClause):
        default = default.arg
    probe: Column[Any] = Column("_", server_default=default)
    return compiler.get_column_default_string(probe)


@compiles(RenameTable)
def _rename_table(element: RenameTable, compiler: DDLCompiler, **kw: Any) -> str:
    return f"{alter_table(compiler, element)} RENAME TO {compiler.preparer.quote(element.new_name)}"


@compiles(AddColumn)
def _add_column(element: AddColumn, compiler: DDLCompiler, **kw: Any) -> str:
    guard = " IF NOT EXISTS" if element.if_not_exists else ""
    column = element.column
    if element.left_out:
        spec = compiler.get_column_specification(column)
        kept = [c for c in column.constraints if c not in element.left_out]
        spec = " ".join([spec, *(compiler.process(c) for c in kept)])
    else:
        # CreateColumn, not the bare specification: a CHECK given inside the Column
        # belongs to the column's definition, as in CREATE TABLE
        spec = compiler.process(CreateColumn(column), **kw)
    return f"{alter_table(compiler, element)} ADD COLUMN{guard} {spec}"


@compiles(DropColumn)
def _drop_column(element: DropColumn, compiler: DDLCompiler, **kw: Any) -> str:
    guard = " IF EXISTS" if element.if_exists else ""
    return (
        f"{alter_table(compiler, element)} DROP COLUMN{guard} "
        f"{column_name(compiler, element.column)}"
    )


def _alter_column(compiler: DDLCompiler, element: AlterColumn) -> str:
    return f"{alter_table(compiler, element)} ALTER COLUMN {column_name(compiler, element.column)}"


@compiles(ColumnNullable)
def _column_nullable(element: ColumnNullable, compiler: DDLCompiler, **kw: Any) -> str:
    action = "DROP NOT NULL" if element.nullable else "SET NOT NULL"
    return f"{_alter_column(compiler, element)} {action}"


@compiles(ColumnType)
def _column_type(element: ColumnType, compiler: DDLCompiler, **kw: Any) -> str:
    return f"{_alter_column(compiler, element)} TYPE {type_string(compiler, element.type_)}"


_IDENTITY_OPTIONS = (
    "cache",
    "cycle",
    "increment",
    "maxvalue",
    "minvalue",
    "nomaxvalue",
    "nominvalue",
    "start",
)
"""The sequence options an identity change compares, in the order Alembic writes them."""


def identity_changes(new: Identity, existing: Identity) -> list[str]:
    """The ``SET ...`` clauses turning identity `existing` into `new` (options left None
    in `new` are unchanged, as in Alembic)."""
    changes = []
    if bool(new.always) != bool(existing.always):
        changes.append("GENERATED ALWAYS" if new.always else "GENERATED BY DEFAULT")
    for name in _IDENTITY_OPTIONS:
        value = getattr(new, name)
        if value is not None and value != getattr(existing, name):
            changes.append(name)
    return changes


def _identity_default(element: ColumnDefault, compiler: DDLCompiler) -> str:
    new, existing = element.default, element.existing_server_default
    if new is None:
        return f"{_alter_column(compiler, element)} DROP IDENTITY"
    assert isinstance(new, Identity)
    if not isinstance(existing, Identity):
        kind = "ALWAYS" if new.always else "BY DEFAULT"
        options = compiler.get_identity_options(new)
        suffix = f" ({options})" if options else ""
        return f"{_alter_column(compiler, element)} ADD GENERATED {kind} AS IDENTITY{suffix}"
    clauses = []
    for change in identity_changes(new, existing):
        if change.startswith("GENERATED"):
            clauses.append(f"SET {change}")
        else:
            # the option alone, rendered by SQLAlchemy as in CREATE SEQUENCE
            clauses.append(
                f"SET {compiler.get_identity_options(Identity(**{change: getattr(new, change)}))}"
            )
    return f"{_alter_column(compiler, element)} {' '.join(clauses)}"


def is_identity_change(default: Any, existing: Any) -> bool:
    """True when an ``alter_column`` default change adds, alters or drops an identity."""
    return isinstance(default, Identity) or (default is None and isinstance(existing, Identity))


@compiles(ColumnDefault)
def _column_default(element: ColumnDefault, compiler: DDLCompiler, **kw: Any) -> str:
    if is_identity_change(element.default, element.existing_server_default):
        return _identity_default(element, compiler)
    rendered = default_string(compiler, element.default) if element.default is not None else None
    action = f"SET DEFAULT {rendered}" if rendered is not None else "DROP DEFAULT"
    return f"{_alter_column(compiler, element)} {action}"


@compiles(ColumnName)
def _column_name(element: ColumnName, compiler: DDLCompiler, **kw: Any) -> str:
    # the generic (PostgreSQL) spelling Alembic writes: no COLUMN keyword
    return (
        f"{alter_table(compiler, element)} RENAME "
        f"{column_name(compiler, element.column)} TO {column_name(compiler, element.new_name)}"
    )


@compiles(ColumnName, "sqlite")
def _column_name_sqlite(element: ColumnName, compiler: DDLCompiler, **kw: Any) -> str:
    return (
        f"{alter_table(compiler, element)} RENAME COLUMN "
        f"{column_name(compiler, element.column)} TO {column_name(compiler, element.new_name)}"
    )
