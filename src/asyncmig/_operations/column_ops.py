"""Column directives: add_column, drop_column, alter_column."""

from __future__ import annotations

import warnings
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Column
from sqlalchemy.schema import (
    Constraint,
    ForeignKeyConstraint,
    Index,
    PrimaryKeyConstraint,
    UniqueConstraint,
)

from ..errors import OperationNotSupported
from . import objects
from .base import MigrateOperation, Operations
from .impl import NOT_GIVEN

__all__ = ("AddColumnOp", "AlterColumnOp", "DropColumnOp")


@Operations.register_operation("add_column")
class AddColumnOp(MigrateOperation):
    """``op.add_column(table, Column(...), schema=None, if_not_exists=None)``."""

    def __init__(
        self,
        table_name: str,
        column: Column[Any],
        *,
        schema: str | None = None,
        if_not_exists: bool | None = None,
        **kw: Any,
    ) -> None:
        self.table_name = table_name
        self.column = column
        self.schema = schema
        self.if_not_exists = if_not_exists
        self.kw = kw  # insert_before / insert_after (batch only)

    @classmethod
    def add_column(
        cls, operations: Operations, table_name: str, column: Column[Any], **kw: Any
    ) -> None:
        """Add a column: its CHECKs inline; its foreign keys, unique flag and index as ALTERs."""
        operations.invoke(cls(table_name, column, **kw))


@Operations.register_operation("drop_column")
class DropColumnOp(MigrateOperation):
    """``op.drop_column(table, column, schema=None, if_exists=None)``."""

    def __init__(
        self,
        table_name: str,
        column_name: str,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
        **kw: Any,
    ) -> None:
        self.table_name = table_name
        self.column_name = column_name
        self.schema = schema
        self.if_exists = if_exists
        self.kw = kw

    @classmethod
    def drop_column(
        cls, operations: Operations, table_name: str, column_name: str, **kw: Any
    ) -> None:
        """Drop a column."""
        operations.invoke(cls(table_name, column_name, **kw))


@Operations.register_operation("alter_column")
class AlterColumnOp(MigrateOperation):
    """``op.alter_column(table, column, nullable=, server_default=, type_=, ...)``."""

    def __init__(
        self,
        table_name: str,
        column_name: str,
        *,
        schema: str | None = None,
        nullable: bool | None = None,
        comment: Any = NOT_GIVEN,
        server_default: Any = NOT_GIVEN,
        new_column_name: str | None = None,
        type_: Any = None,
        autoincrement: bool | None = None,
        existing_type: Any = None,
        existing_server_default: Any = None,
        existing_nullable: bool | None = None,
        existing_comment: str | None = None,
        existing_autoincrement: bool | None = None,
        **kw: Any,
    ) -> None:
        self.table_name = table_name
        self.column_name = column_name
        self.schema = schema
        self.nullable = nullable
        self.comment = comment
        self.server_default = server_default
        self.new_column_name = new_column_name
        self.type_ = type_() if isinstance(type_, type) else type_
        self.autoincrement = autoincrement
        self.existing_type = existing_type() if isinstance(existing_type, type) else existing_type
        self.existing_server_default = existing_server_default
        self.existing_nullable = existing_nullable
        self.existing_comment = existing_comment
        self.existing_autoincrement = existing_autoincrement
        self.kw = kw

    @classmethod
    def alter_column(
        cls, operations: Operations, table_name: str, column_name: str, **kw: Any
    ) -> None:
        """Change a column's type, nullability, default, name, comment or autoincrement."""
        operations.invoke(cls(table_name, column_name, **kw))

    def changes(self) -> dict[str, Any]:
        """The properties this operation changes."""
        found: dict[str, Any] = {}
        if self.nullable is not None:
            found["nullable"] = self.nullable
        if self.type_ is not None:
            found["type_"] = self.type_
        if self.server_default is not NOT_GIVEN:
            found["server_default"] = self.server_default
        if self.comment is not NOT_GIVEN:
            found["comment"] = self.comment
        if self.new_column_name is not None:
            found["new_column_name"] = self.new_column_name
        if self.autoincrement is not None:
            found["autoincrement"] = self.autoincrement
        return found


def _column_constraint_order(constraint: Constraint) -> tuple[int, str]:
    # foreign keys, then unique constraints, then the type's own CHECKs; by name within
    kinds = (ForeignKeyConstraint, UniqueConstraint)
    rank = next((i for i, kind in enumerate(kinds) if isinstance(constraint, kind)), len(kinds))
    return (rank, str(constraint.name))


@Operations.implementation_for(AddColumnOp)
def _add_column(operations: Operations, operation: AddColumnOp) -> None:
    opts = operations.migration_context.opts
    column = operation.column
    table = objects.table(opts, operation.table_name, column, schema=operation.schema)
    impl = operations.impl
    # the column's own CHECK constraints are part of its definition (ADD COLUMN ... CHECK)
    impl.add_column(operation.table_name, column, operation.schema, bool(operation.if_not_exists))
    # its ForeignKey, unique=True and its type's CHECK (Boolean, non-native Enum) are table
    # constraints: separate ALTERs, as in Alembic; a primary key cannot be added this way
    kept = [c for c in table.constraints if not isinstance(c, PrimaryKeyConstraint)]
    for constraint in sorted(kept, key=_column_constraint_order):
        if getattr(constraint, "_type_bound", False):
            _add_type_constraint(impl, constraint)
        else:
            impl.add_constraint(constraint)
    for index in sorted(table.indexes, key=lambda ix: str(ix.name)):
        assert isinstance(index, Index)
        impl.create_index(index)
    impl.add_column_comment(operation.table_name, column, operation.schema)


def _add_type_constraint(impl: Any, constraint: Constraint) -> None:
    """A type's implicit CHECK; where ALTER cannot add one (SQLite) it is skipped, as in Alembic."""
    rule = getattr(constraint, "_create_rule", None)
    # the type decides per dialect (e.g. no CHECK for a native BOOLEAN), as in CREATE TABLE
    if rule is not None and not rule(SimpleNamespace(dialect=impl.dialect)):
        return
    try:
        impl.add_constraint(constraint)
    except OperationNotSupported as exc:
        warnings.warn(
            f"the CHECK constraint of a column's type is not added: {exc}",
            stacklevel=4,
        )


@Operations.implementation_for(DropColumnOp)
def _drop_column(operations: Operations, operation: DropColumnOp) -> None:
    operations.impl.drop_column(
        operation.table_name, operation.column_name, operation.schema, bool(operation.if_exists)
    )


@Operations.implementation_for(AlterColumnOp)
def _alter_column(operations: Operations, operation: AlterColumnOp) -> None:
    operations.impl.alter_column(
        operation.table_name,
        operation.column_name,
        schema=operation.schema,
        existing_type=operation.existing_type,
        existing_server_default=operation.existing_server_default,
        existing_nullable=operation.existing_nullable,
        existing_comment=operation.existing_comment,
        existing_autoincrement=operation.existing_autoincrement,
        **operation.changes(),
        **operation.kw,
    )
