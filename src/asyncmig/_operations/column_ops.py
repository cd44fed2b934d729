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
from .alteration import ColumnAlteration, spelled_out, split_options
from .base import MigrateOperation, Operations, TableOperation

__all__ = ("AddColumnOp", "AlterColumnOp", "DropColumnOp")


@Operations.register_operation("add_column")
class AddColumnOp(TableOperation):
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
        super().__init__(table_name, schema=schema, **kw)  # insert_before/_after (batch only)
        self.column = column
        self.if_not_exists = if_not_exists

    @classmethod
    def add_column(
        cls, operations: Operations, table_name: str, column: Column[Any], **kw: Any
    ) -> None:
        """Add a column: its CHECKs inline; its foreign keys, unique flag and index as ALTERs."""
        operations.invoke(cls(table_name, column, **kw))


@Operations.register_operation("drop_column")
class DropColumnOp(TableOperation):
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
        super().__init__(table_name, schema=schema, **kw)
        self.column_name = column_name
        self.if_exists = if_exists

    @classmethod
    def drop_column(
        cls, operations: Operations, table_name: str, column_name: str, **kw: Any
    ) -> None:
        """Drop a column."""
        operations.invoke(cls(table_name, column_name, **kw))


@Operations.register_operation("alter_column")
class AlterColumnOp(ColumnAlteration, MigrateOperation):
    """``op.alter_column(table, column, nullable=, server_default=, type_=, ...)``.

    The options are the fields of :class:`~.alteration.ColumnAlteration`; any other
    keyword (``postgresql_using``) is kept in ``kw`` for the dialect.
    """

    @spelled_out
    def __init__(
        self, table_name: str, column_name: str, *, schema: str | None = None, **kw: Any
    ) -> None:
        options, self.kw = split_options(kw)
        super().__init__(**options)
        self.table_name = table_name
        self.column_name = column_name
        self.schema = schema

    @classmethod
    def alter_column(
        cls, operations: Operations, table_name: str, column_name: str, **kw: Any
    ) -> None:
        """Change a column's type, nullability, default, name, comment or autoincrement."""
        operations.invoke(cls(table_name, column_name, **kw))


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
        **operation.existing(),
        **operation.changes(),
        **operation.kw,
    )
