"""``alembic.runtime.migration``: ``MigrationContext`` is asyncmig's."""

from ..._runtime.context import MigrationContext

__all__ = ("MigrationContext",)
