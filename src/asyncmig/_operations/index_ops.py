"""Index directives: create_index and drop_index."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.schema import Index
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.types import NULLTYPE

from . import objects
from .base import MigrateOperation, Operations, TableOperation

__all__ = ("CreateIndexOp", "DropIndexOp")

NO_TABLE_KEY = "asyncmig_no_table"
"""``Index.info`` key set when ``drop_index`` was not told the table."""


@Operations.register_operation("create_index")
class CreateIndexOp(TableOperation):
    """``op.create_index(name, table, columns, schema=None, unique=False, **dialect_kw)``."""

    def __init__(
        self,
        index_name: str | None,
        table_name: str,
        columns: Sequence[str | ClauseElement],
        *,
        schema: str | None = None,
        unique: bool = False,
        if_not_exists: bool | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(table_name, schema=schema, **kw)
        self.index_name = index_name
        self.columns = list(columns)
        self.unique = unique
        self.if_not_exists = if_not_exists

    @classmethod
    def create_index(
        cls,
        operations: Operations,
        index_name: str | None,
        table_name: str,
        columns: Sequence[str | ClauseElement],
        **kw: Any,
    ) -> None:
        """Create an index (``postgresql_where=``, ``postgresql_using=``, ... pass through)."""
        operations.invoke(cls(index_name, table_name, columns, **kw))

    def to_index(self, operations: Operations) -> Index:
        """The Index this operation creates."""
        index = objects.index(
            operations.migration_context.opts,
            self.index_name,
            self.table_name,
            self.columns,
            schema=self.schema,
            unique=self.unique,
            **self.kw,
        )
        _add_included_columns(index)
        return index


@Operations.register_operation("drop_index")
class DropIndexOp(MigrateOperation):
    """``op.drop_index(name, table_name=None, schema=None, if_exists=None, **dialect_kw)``."""

    def __init__(
        self,
        index_name: str,
        table_name: str | None = None,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
        **kw: Any,
    ) -> None:
        self.index_name = index_name
        self.table_name = table_name
        self.schema = schema
        self.if_exists = if_exists
        self.kw = kw

    @classmethod
    def drop_index(
        cls, operations: Operations, index_name: str, table_name: str | None = None, **kw: Any
    ) -> None:
        """Drop an index (MySQL needs ``table_name``)."""
        operations.invoke(cls(index_name, table_name, **kw))

    def to_index(self, operations: Operations) -> Index:
        """The Index this operation drops."""
        table = objects.table(
            operations.migration_context.opts, self.table_name or "_unknown", schema=self.schema
        )
        info = {NO_TABLE_KEY: True} if self.table_name is None else {}
        return Index(self.index_name, _table=table, info=info, **self.kw)


def _add_included_columns(index: Index) -> None:
    """Give the stand-in table the INCLUDE columns named by string.

    PostgreSQL's compiler looks ``postgresql_include`` names up on the index's table,
    which otherwise holds only the indexed columns.
    """
    host = index.table
    assert isinstance(host, Table)
    for name in index.dialect_options["postgresql"].get("include") or ():
        if isinstance(name, str) and name not in host.c:
            host.append_column(Column(name, NULLTYPE))


@Operations.implementation_for(CreateIndexOp)
def _create_index(operations: Operations, operation: CreateIndexOp) -> None:
    operations.impl.create_index(
        operation.to_index(operations), if_not_exists=bool(operation.if_not_exists)
    )


@Operations.implementation_for(DropIndexOp)
def _drop_index(operations: Operations, operation: DropIndexOp) -> None:
    operations.impl.drop_index(operation.to_index(operations), if_exists=bool(operation.if_exists))
