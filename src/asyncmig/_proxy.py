"""``op`` and ``context``: names a script imports once, resolved per step.

Each migration step runs with its own :class:`~asyncmig._operations.Operations`
and environment, set in :data:`contextvars` for the duration of that step
inside ``run_sync``.  Two databases migrating concurrently in one process
therefore never see each other's objects.

To a type checker ``op`` is :class:`~asyncmig._operations.Operations` with
every directive declared (``_directives.pyi``: directives are registered at
import time, out of a checker's sight) and ``context`` is the step's
:class:`~asyncmig._runtime.environment.Environment` (Alembic's
``EnvironmentContext``), so that editors complete ``op.add_column(...)`` and
``context.get_context()``.  At run time both are proxies.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, cast

from .errors import AsyncmigError

if TYPE_CHECKING:
    from ._directives import Operations
    from ._runtime.environment import Environment

_operations: ContextVar[Any] = ContextVar("asyncmig_operations", default=None)
_environment: ContextVar[Any] = ContextVar("asyncmig_environment", default=None)


class _Proxy:
    __slots__ = ("_name", "_var")

    def __init__(self, name: str, var: ContextVar[Any]) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_var", var)

    def _target(self) -> Any:
        target = self._var.get()
        if target is None:
            raise AsyncmigError(
                f"asyncmig.{self._name} is only usable while a migration step runs "
                "(inside upgrade()/downgrade() of a script run by asyncmig)"
            )
        return target

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._target(), name, value)

    def __repr__(self) -> str:
        return f"<asyncmig.{self._name} proxy>"


op = cast("Operations", _Proxy("op", _operations))
"""The migration directives of the step that is running (``op.create_table`` ...)."""

context = cast("Environment", _Proxy("context", _environment))
"""The environment of the step that is running (Alembic's ``context``)."""


@contextmanager
def activated(operations: Any, environment: Any) -> Iterator[None]:
    """Make `operations` and `environment` what ``op`` and ``context`` mean, for a block."""
    op_token = _operations.set(operations)
    env_token = _environment.set(environment)
    try:
        yield
    finally:
        _environment.reset(env_token)
        _operations.reset(op_token)
