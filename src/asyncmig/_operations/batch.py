"""``op.batch_alter_table()``: changes to one table, collected, then applied at once.

On exit the collected directives run either as plain ALTERs (``recreate="never"``,
or ``"auto"`` on a dialect that can do them all in place) or as one table
recreate (``"always"``, or ``"auto"`` when the dialect -- SQLite -- needs it for
any of them), as in Alembic.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Column, Table

from ..errors import CommandError
from .base import Operations, attach
from .column_ops import AddColumnOp, AlterColumnOp, DropColumnOp
from .constraint_ops import (
    CreateCheckConstraintOp,
    CreateExcludeConstraintOp,
    CreateForeignKeyOp,
    CreatePrimaryKeyOp,
    CreateUniqueConstraintOp,
    DropConstraintOp,
)
from .index_ops import CreateIndexOp, DropIndexOp
from .model import RECREATABLE
from .recreate import recreate_for
from .table_ops import CreateTableCommentOp, DropTableCommentOp

__all__ = ("BatchOperations", "batch_alter_table")

_RECREATE = ("auto", "always", "never")


class BatchOperations(Operations):
    """The ``batch_op`` of ``with op.batch_alter_table(name) as batch_op:``."""

    _alembic_class = "BatchOperations"

    def __init__(self, parent: Operations, table_name: str, schema: str | None) -> None:
        super().__init__(parent.migration_context, parent.impl)
        self.parent = parent
        self.table_name = table_name
        self.schema = schema
        self.collected: list[Any] = []

    def invoke(self, operation: Any) -> Any:
        """Collect `operation`; it runs when the batch block ends."""
        self.collected.append(operation)
        return None

    def _where(self) -> dict[str, Any]:
        return {"schema": self.schema}

    def add_column(
        self,
        column: Column[Any],
        insert_before: str | None = None,
        insert_after: str | None = None,
        if_not_exists: bool | None = None,
    ) -> None:
        """Add a column (``insert_before``/``insert_after`` place it in a recreate)."""
        self.invoke(
            AddColumnOp(
                self.table_name,
                column,
                insert_before=insert_before,
                insert_after=insert_after,
                if_not_exists=if_not_exists,
                **self._where(),
            )
        )

    def drop_column(self, column_name: str, **kw: Any) -> None:
        """Drop a column."""
        self.invoke(DropColumnOp(self.table_name, column_name, **self._where(), **kw))

    def alter_column(self, column_name: str, **kw: Any) -> None:
        """Change a column (see ``op.alter_column``)."""
        self.invoke(AlterColumnOp(self.table_name, column_name, **self._where(), **kw))

    def create_unique_constraint(
        self, constraint_name: str | None, columns: Sequence[str], **kw: Any
    ) -> None:
        """Add a UNIQUE constraint."""
        self.invoke(
            CreateUniqueConstraintOp(
                constraint_name, self.table_name, columns, **self._where(), **kw
            )
        )

    def create_primary_key(self, constraint_name: str | None, columns: Sequence[str]) -> None:
        """Add a PRIMARY KEY."""
        self.invoke(CreatePrimaryKeyOp(constraint_name, self.table_name, columns, **self._where()))

    def create_foreign_key(
        self,
        constraint_name: str | None,
        referent_table: str,
        local_cols: Sequence[str],
        remote_cols: Sequence[str],
        referent_schema: str | None = None,
        **kw: Any,
    ) -> None:
        """Add a FOREIGN KEY from this table."""
        self.invoke(
            CreateForeignKeyOp(
                constraint_name,
                self.table_name,
                referent_table,
                local_cols,
                remote_cols,
                source_schema=self.schema,
                referent_schema=referent_schema,
                **kw,
            )
        )

    def create_check_constraint(
        self, constraint_name: str | None, condition: Any, **kw: Any
    ) -> None:
        """Add a CHECK constraint."""
        self.invoke(
            CreateCheckConstraintOp(
                constraint_name, self.table_name, condition, **self._where(), **kw
            )
        )

    def create_exclude_constraint(
        self, constraint_name: str | None, *elements: Any, **kw: Any
    ) -> None:
        """Add a PostgreSQL EXCLUDE constraint."""
        self.invoke(
            CreateExcludeConstraintOp(
                constraint_name, self.table_name, elements, **self._where(), **kw
            )
        )

    def drop_constraint(
        self, constraint_name: str | None, type_: str | None = None, **kw: Any
    ) -> None:
        """Drop a constraint (unnamed ones by their naming-convention name)."""
        self.invoke(
            DropConstraintOp(constraint_name, self.table_name, type_, **self._where(), **kw)
        )

    def create_index(self, index_name: str | None, columns: Sequence[Any], **kw: Any) -> None:
        """Create an index on this table."""
        self.invoke(CreateIndexOp(index_name, self.table_name, columns, **self._where(), **kw))

    def drop_index(self, index_name: str, **kw: Any) -> None:
        """Drop an index of this table."""
        self.invoke(DropIndexOp(index_name, self.table_name, **self._where(), **kw))

    def create_table_comment(self, comment: str | None, **kw: Any) -> None:
        """Set the table's comment."""
        self.invoke(CreateTableCommentOp(self.table_name, comment, **self._where(), **kw))

    def drop_table_comment(self, **kw: Any) -> None:
        """Remove the table's comment."""
        self.invoke(DropTableCommentOp(self.table_name, **self._where(), **kw))


@attach("batch_alter_table")
@contextmanager
def batch_alter_table(  # noqa: PLR0917  (positional order is Alembic's, scripts rely on it)
    operations: Operations,
    table_name: str,
    schema: str | None = None,
    recreate: str = "auto",
    partial_reordering: Sequence[Sequence[str]] | None = None,
    copy_from: Table | None = None,
    table_args: Sequence[Any] = (),
    table_kwargs: Mapping[str, Any] | None = None,
    reflect_args: Sequence[Any] = (),
    reflect_kwargs: Mapping[str, Any] | None = None,
    naming_convention: Mapping[Any, Any] | None = None,
) -> Iterator[BatchOperations]:
    """Collect changes to `table_name`; apply them when the block ends without error."""
    if recreate not in _RECREATE:
        raise CommandError(
            f"batch_alter_table({table_name!r}): recreate={recreate!r} is not one of "
            f"{', '.join(_RECREATE)}"
        )
    batch = BatchOperations(operations, table_name, schema)
    yield batch
    ops = batch.collected
    if not ops and recreate != "always":
        return  # Alembic recreates even an empty block when told "always"
    impl = operations.impl
    knows_table = copy_from is not None or not (
        operations.migration_context.as_sql or operations.migration_context.connection is None
    )
    needed = recreate == "always" or (
        recreate == "auto"
        and (
            any(impl.requires_recreate(operations, op) for op in ops)
            # the dialect's own rule for a batch (SQLite: anything but a plain add_column
            # or an index), where the table's definition is at hand
            or (knows_table and impl.batch_recreates(ops))
        )
    )
    if not needed:
        _refuse_placement(table_name, ops)
        for op in ops:
            Operations.implementation(op)(operations, op)
        return
    # what the new table's definition cannot absorb (op.execute, plugin directives)
    # runs after the recreate, in the order given
    absorbed = [op for op in ops if isinstance(op, RECREATABLE)]
    if absorbed or recreate == "always":
        recreate_for(
            operations,
            absorbed,
            table_name=table_name,
            schema=schema,
            copy_from=copy_from,
            table_args=table_args,
            table_kwargs=table_kwargs,
            reflect_args=reflect_args,
            reflect_kwargs=reflect_kwargs,
            partial_reordering=partial_reordering or (),
            naming_convention=naming_convention,
        )
    for op in ops:
        if not isinstance(op, RECREATABLE):
            Operations.implementation(op)(operations, op)


def _refuse_placement(table_name: str, ops: Sequence[Any]) -> None:
    """ALTER TABLE ADD COLUMN cannot place a column: refuse, as Alembic does."""
    for op in ops:
        if isinstance(op, AddColumnOp) and (
            op.kw.get("insert_before") is not None or op.kw.get("insert_after") is not None
        ):
            raise CommandError(
                f"batch_alter_table({table_name!r}): insert_before/insert_after on "
                f"{op.column.name!r} need a table recreate; pass recreate='always'"
            )
