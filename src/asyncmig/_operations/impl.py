"""Dialect implementations: one class per dialect name, registered.

INTERFACE STUB -- the operations helper replaces this.  Contract used by the
runtime: ``impl_for(context)`` returns the context's DialectImpl;
``impl.execute(construct_or_sql)`` runs it on ``context.connection`` or,
offline, writes it (literal binds, ``;`` terminated) to ``context.output``;
``impl.static_output(text)`` writes a line verbatim offline;
``impl.transactional_ddl`` says whether DDL rolls back on this dialect.
"""

from __future__ import annotations

from typing import Any


class DialectImpl:
    """Turns directives into DDL for one dialect."""

    name = "default"
    transactional_ddl = False

    def __init__(self, context: Any) -> None:
        self.context = context

    def execute(self, construct: Any, params: Any = None) -> Any:
        raise NotImplementedError

    def static_output(self, text: str) -> None:
        raise NotImplementedError


def impl_for(context: Any) -> DialectImpl:
    """The registered implementation for ``context.dialect.name``."""
    raise NotImplementedError
