"""``alembic.operations.ops``: the directive classes under Alembic's names.

The containers (``UpgradeOps``, ``ModifyTableOps`` ...) are what autogenerate
hooks of plugins walk; they are plain lists of operations here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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


class OpContainer(MigrateOperation):
    """A list of operations (``.ops``)."""

    def __init__(self, ops: Sequence[MigrateOperation] = ()) -> None:
        self.ops = list(ops)

    def is_empty(self) -> bool:
        """True when it holds no operation."""
        return not self.ops


class ModifyTableOps(OpContainer):
    """The operations on one table."""

    def __init__(
        self, table_name: str, ops: Sequence[MigrateOperation], schema: str | None = None
    ) -> None:
        super().__init__(ops)
        self.table_name = table_name
        self.schema = schema


class UpgradeOps(OpContainer):
    """The operations of an upgrade."""

    def __init__(
        self, ops: Sequence[MigrateOperation] = (), upgrade_token: str = "upgrades"
    ) -> None:
        super().__init__(ops)
        self.upgrade_token = upgrade_token


class DowngradeOps(OpContainer):
    """The operations of a downgrade."""

    def __init__(
        self, ops: Sequence[MigrateOperation] = (), downgrade_token: str = "downgrades"
    ) -> None:
        super().__init__(ops)
        self.downgrade_token = downgrade_token


class MigrationScript(MigrateOperation):
    """A revision to write: its id and its upgrade and downgrade operations."""

    def __init__(self, rev_id: str | None, upgrade_ops: Any, downgrade_ops: Any, **kw: Any) -> None:
        self.rev_id = rev_id
        self.upgrade_ops = upgrade_ops
        self.downgrade_ops = downgrade_ops
        for key, value in kw.items():
            setattr(self, key, value)


__all__ = (
    "MigrateOperation",
    "OpContainer",
    "ModifyTableOps",
    "UpgradeOps",
    "DowngradeOps",
    "MigrationScript",
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
