"""``alembic.operations.ops``: the directive classes under Alembic's names."""

from ..._operations.base import MigrateOperation
from ..._operations.column_ops import AddColumnOp, AlterColumnOp, DropColumnOp
from ..._operations.constraint_ops import (
    CreateCheckConstraintOp,
    CreateExcludeConstraintOp,
    CreateForeignKeyOp,
    CreatePrimaryKeyOp,
    CreateUniqueConstraintOp,
    DropConstraintOp,
)
from ..._operations.constraint_ops import _AddConstraintOp as AddConstraintOp
from ..._operations.index_ops import CreateIndexOp, DropIndexOp
from ..._operations.table_ops import (
    BulkInsertOp,
    CreateTableCommentOp,
    CreateTableOp,
    DropTableCommentOp,
    DropTableOp,
    ExecuteSQLOp,
    RenameTableOp,
)

__all__ = (
    "MigrateOperation",
    "AddConstraintOp",
    "AddColumnOp",
    "AlterColumnOp",
    "DropColumnOp",
    "CreateCheckConstraintOp",
    "CreateExcludeConstraintOp",
    "CreateForeignKeyOp",
    "CreateIndexOp",
    "CreatePrimaryKeyOp",
    "CreateUniqueConstraintOp",
    "DropConstraintOp",
    "DropIndexOp",
    "BulkInsertOp",
    "CreateTableCommentOp",
    "CreateTableOp",
    "DropTableCommentOp",
    "DropTableOp",
    "ExecuteSQLOp",
    "RenameTableOp",
)
