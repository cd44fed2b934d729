"""``alembic.operations`` for scripts and plugins loaded by asyncmig.

``Operations.register_operation`` / ``Operations.implementation_for`` register
third-party directives (alembic-utils, alembic-postgresql-enum) on asyncmig's
``Operations``, so they are usable through ``op`` as under Alembic.
"""

from ..._operations.base import MigrateOperation as MigrateOperation
from ..._operations.base import Operations as Operations
from ..._operations.batch import BatchOperations as BatchOperations
from . import ops as ops
from . import toimpl as toimpl

__all__ = ("Operations", "BatchOperations", "MigrateOperation", "ops", "toimpl")
