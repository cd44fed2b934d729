"""``alembic.util`` for plugins loaded by asyncmig: the dispatch registries they decorate with."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ("DispatchPriority", "Dispatcher")

_F = TypeVar("_F", bound=Callable[..., Any])


class DispatchPriority(enum.IntEnum):
    """Where a comparison function runs among those of one target (Alembic >= 1.18)."""

    FIRST = 50
    MEDIUM = 25
    LAST = 10


class Dispatcher:
    """Functions registered per target (a class or a name) and qualifier (a dialect name).

    Plugins register renderers and comparators here at import time so that they
    import unchanged; asyncmig's own autogenerate does not call them.
    """

    def __init__(self) -> None:
        self._registry: dict[tuple[Any, str], list[Callable[..., Any]]] = {}

    def dispatch_for(
        self,
        target: Any,
        *,
        qualifier: str = "default",
        priority: DispatchPriority = DispatchPriority.MEDIUM,
        replace: bool = False,
    ) -> Callable[[_F], _F]:
        """Decorator: register `fn` for `target` (and `qualifier`)."""

        def register(fn: _F) -> _F:
            functions = self._registry.setdefault((target, qualifier), [])
            if replace:
                functions.clear()
            functions.append(fn)
            return fn

        return register

    def dispatch(self, obj: Any, qualifier: str = "default") -> Callable[..., Any]:
        """The function registered for `obj` (its class's nearest base, or the name)."""
        if isinstance(obj, str):
            targets: tuple[Any, ...] = (obj,)
        else:
            targets = (obj if isinstance(obj, type) else type(obj)).__mro__
        for target in targets:
            for wanted in dict.fromkeys((qualifier, "default")):
                functions = self._registry.get((target, wanted))
                if functions:
                    return functions[-1]
        raise ValueError(f"no dispatch function for object: {obj!r}")

    def registered(self, target: Any, qualifier: str = "default") -> tuple[Callable[..., Any], ...]:
        """Every function registered for exactly `target` and `qualifier`, in order."""
        return tuple(self._registry.get((target, qualifier), ()))
