"""``alembic.operations.toimpl``: the built-in implementations, by Alembic's names.

An ``@Operations.implementation_for(CreateTableOp, replace=True)`` replacement
calls ``toimpl.create_table(operations, operation)`` to run the default.
"""

from __future__ import annotations

from typing import Any

from ..._operations.base import Operations
from . import ops

__all__ = (
    "add_column",
    "alter_column",
    "bulk_insert",
    "create_constraint",
    "create_index",
    "create_table",
    "create_table_comment",
    "drop_column",
    "drop_constraint",
    "drop_index",
    "drop_table",
    "drop_table_comment",
    "execute_sql",
    "rename_table",
)


def _default(op_cls: type) -> Any:
    def run(operations: Any, operation: Any) -> Any:
        return Operations.default_implementation(op_cls)(operations, operation)

    return run


add_column = _default(ops.AddColumnOp)
alter_column = _default(ops.AlterColumnOp)
bulk_insert = _default(ops.BulkInsertOp)
create_index = _default(ops.CreateIndexOp)
create_table = _default(ops.CreateTableOp)
create_table_comment = _default(ops.CreateTableCommentOp)
drop_column = _default(ops.DropColumnOp)
drop_constraint = _default(ops.DropConstraintOp)
drop_index = _default(ops.DropIndexOp)
drop_table = _default(ops.DropTableOp)
drop_table_comment = _default(ops.DropTableCommentOp)
execute_sql = _default(ops.ExecuteSQLOp)
rename_table = _default(ops.RenameTableOp)


def create_constraint(operations: Any, operation: Any) -> Any:
    """The default implementation of the constraint op's own class."""
    for klass in type(operation).__mro__:
        if klass in Operations._defaults:
            return Operations._defaults[klass](operations, operation)
    raise NotImplementedError(f"no built-in implementation for {type(operation).__name__}")
