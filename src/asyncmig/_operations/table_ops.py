"""Table directives: create, drop, rename, comments; plus execute and bulk_insert."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Table
from sqlalchemy.schema import SchemaItem

from . import objects
from .base import MigrateOperation, Operations, TableOperation

__all__ = (
    "BulkInsertOp",
    "CreateTableCommentOp",
    "CreateTableOp",
    "DropTableCommentOp",
    "DropTableOp",
    "ExecuteSQLOp",
    "RenameTableOp",
)


@Operations.register_operation("create_table")
class CreateTableOp(TableOperation):
    """``op.create_table(name, *columns_and_constraints, schema=None, **kw)``."""

    def __init__(
        self,
        table_name: str,
        columns: Sequence[SchemaItem],
        *,
        schema: str | None = None,
        if_not_exists: bool | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(table_name, schema=schema, **kw)
        self.columns = list(columns)
        self.if_not_exists = if_not_exists

    @classmethod
    def create_table(
        cls, operations: Operations, table_name: str, *columns: SchemaItem, **kw: Any
    ) -> Table:
        """Create a table; returns the ``Table`` (handy for ``bulk_insert``)."""
        return operations.invoke(cls(table_name, columns, **kw))  # type: ignore[no-any-return]

    def to_table(self, operations: Operations) -> Table:
        """The Table this operation creates."""
        opts = operations.migration_context.opts
        return objects.table(opts, self.table_name, *self.columns, schema=self.schema, **self.kw)


@Operations.register_operation("drop_table")
class DropTableOp(TableOperation):
    """``op.drop_table(name, schema=None, if_exists=None)``."""

    def __init__(
        self,
        table_name: str,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(table_name, schema=schema, **kw)
        self.if_exists = if_exists

    @classmethod
    def drop_table(cls, operations: Operations, table_name: str, **kw: Any) -> None:
        """Drop a table."""
        operations.invoke(cls(table_name, **kw))


@Operations.register_operation("rename_table")
class RenameTableOp(TableOperation):
    """``op.rename_table(old, new, schema=None)``."""

    def __init__(self, old_table_name: str, new_table_name: str, schema: str | None = None):
        super().__init__(old_table_name, schema=schema)
        self.new_table_name = new_table_name

    @classmethod
    def rename_table(
        cls,
        operations: Operations,
        old_table_name: str,
        new_table_name: str,
        schema: str | None = None,
    ) -> None:
        """Rename a table."""
        operations.invoke(cls(old_table_name, new_table_name, schema))


@Operations.register_operation("create_table_comment")
class CreateTableCommentOp(TableOperation):
    """``op.create_table_comment(table, comment, existing_comment=None, schema=None)``."""

    def __init__(
        self,
        table_name: str,
        comment: str | None,
        *,
        schema: str | None = None,
        existing_comment: str | None = None,
    ) -> None:
        super().__init__(table_name, schema=schema)
        self.comment = comment
        self.existing_comment = existing_comment

    @classmethod
    def create_table_comment(
        cls, operations: Operations, table_name: str, comment: str | None, **kw: Any
    ) -> None:
        """Set a table's comment."""
        operations.invoke(cls(table_name, comment, **kw))


@Operations.register_operation("drop_table_comment")
class DropTableCommentOp(TableOperation):
    """``op.drop_table_comment(table, existing_comment=None, schema=None)``."""

    def __init__(
        self, table_name: str, *, schema: str | None = None, existing_comment: str | None = None
    ) -> None:
        super().__init__(table_name, schema=schema)
        self.existing_comment = existing_comment

    @classmethod
    def drop_table_comment(cls, operations: Operations, table_name: str, **kw: Any) -> None:
        """Remove a table's comment."""
        operations.invoke(cls(table_name, **kw))


@Operations.register_operation("execute")
class ExecuteSQLOp(MigrateOperation):
    """``op.execute(sql, execution_options=None)``: a string, text() or any executable."""

    def __init__(self, sqltext: Any, *, execution_options: Mapping[str, Any] | None = None):
        self.sqltext = sqltext
        self.execution_options = execution_options

    @classmethod
    def execute(
        cls,
        operations: Operations,
        sqltext: Any,
        execution_options: Mapping[str, Any] | None = None,
    ) -> Any:
        """Run one statement (written out, offline)."""
        return operations.invoke(cls(sqltext, execution_options=execution_options))


@Operations.register_operation("bulk_insert")
class BulkInsertOp(MigrateOperation):
    """``op.bulk_insert(table, rows, multiinsert=True)``."""

    def __init__(
        self, table: Any, rows: Sequence[Mapping[str, Any]], *, multiinsert: bool = True
    ) -> None:
        self.table = table
        self.rows = rows
        self.multiinsert = multiinsert

    @classmethod
    def bulk_insert(
        cls,
        operations: Operations,
        table: Any,
        rows: Sequence[Mapping[str, Any]],
        *,
        multiinsert: bool = True,
    ) -> None:
        """Insert rows into a Table or table() construct."""
        operations.invoke(cls(table, rows, multiinsert=multiinsert))


def _stub(operations: Operations, name: str, schema: str | None, **kw: Any) -> Table:
    return objects.table(operations.migration_context.opts, name, schema=schema, **kw)


@Operations.implementation_for(CreateTableOp)
def _create_table(operations: Operations, operation: CreateTableOp) -> Table:
    table = operation.to_table(operations)
    operations.impl.create_table(table, if_not_exists=bool(operation.if_not_exists))
    return table


@Operations.implementation_for(DropTableOp)
def _drop_table(operations: Operations, operation: DropTableOp) -> None:
    table = _stub(operations, operation.table_name, operation.schema, **operation.kw)
    operations.impl.drop_table(table, if_exists=bool(operation.if_exists))


@Operations.implementation_for(RenameTableOp)
def _rename_table(operations: Operations, operation: RenameTableOp) -> None:
    operations.impl.rename_table(operation.table_name, operation.new_table_name, operation.schema)


@Operations.implementation_for(CreateTableCommentOp)
def _create_table_comment(operations: Operations, operation: CreateTableCommentOp) -> None:
    table = _stub(operations, operation.table_name, operation.schema, comment=operation.comment)
    operations.impl.create_table_comment(table)


@Operations.implementation_for(DropTableCommentOp)
def _drop_table_comment(operations: Operations, operation: DropTableCommentOp) -> None:
    table = _stub(operations, operation.table_name, operation.schema)
    operations.impl.drop_table_comment(table)


@Operations.implementation_for(ExecuteSQLOp)
def _execute(operations: Operations, operation: ExecuteSQLOp) -> Any:
    statement = operation.sqltext
    if isinstance(statement, str):
        statement = sa.text(statement)
    if operation.execution_options and hasattr(statement, "execution_options"):
        statement = statement.execution_options(**operation.execution_options)
    return operations.impl.execute(statement)


@Operations.implementation_for(BulkInsertOp)
def _bulk_insert(operations: Operations, operation: BulkInsertOp) -> None:
    # A Table or a lightweight sa.table(): both carry their columns' types.
    operations.impl.bulk_insert(operation.table, operation.rows, multiinsert=operation.multiinsert)
