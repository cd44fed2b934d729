"""``alembic.autogenerate.api``: the names plugins annotate their hooks with."""

from __future__ import annotations

from typing import Any

__all__ = ("AutogenContext",)


class AutogenContext:
    """What a plugin's comparator or renderer is handed (imports, opts, connection)."""

    def __init__(
        self,
        migration_context: Any = None,
        metadata: Any = None,
        opts: dict[str, Any] | None = None,
    ) -> None:
        self.migration_context = migration_context
        self.metadata = metadata
        self.opts: dict[str, Any] = dict(opts or {})
        self.imports: set[str] = set()
        self.connection = getattr(migration_context, "connection", None)
        self.dialect = getattr(migration_context, "dialect", None)
