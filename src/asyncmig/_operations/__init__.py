"""The ``op`` directives and their DDL per dialect.

INTERFACE STUB -- the operations helper replaces this.  Contract used by the
runtime: ``Operations(context)`` is what ``op`` means during one step, where
``context`` is a :class:`asyncmig._runtime.context.MigrationContext`.
"""

from __future__ import annotations

from typing import Any


class Operations:
    """Alembic's ``op``: schema directives bound to one migration context."""

    def __init__(self, context: Any) -> None:
        self.migration_context = context
