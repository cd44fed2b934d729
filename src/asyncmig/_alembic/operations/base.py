"""``alembic.operations.base``: where Alembic defines ``Operations``."""

from ..._operations.base import MigrateOperation, Operations
from ..._operations.batch import BatchOperations

__all__ = ("Operations", "BatchOperations", "MigrateOperation")
