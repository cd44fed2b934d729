"""``alembic.runtime.environment``: ``EnvironmentContext`` is asyncmig's step environment."""

from ..._runtime.environment import Environment as EnvironmentContext

__all__ = ("EnvironmentContext",)
