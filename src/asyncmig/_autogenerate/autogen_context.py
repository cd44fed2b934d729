"""The state one comparison carries: connection, dialect behaviour, options, notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.engine.reflection import Inspector

from .._dialects.behaviour import DialectBehaviour
from .autogen_options import AutogenOptions
from .diff import Diff

__all__ = ("Comparison", "CompareContext")


class Comparison(list[Diff]):
    """The differences found, in a stable order, plus notes for what was not decided.

    Notes are comment lines (an anonymous constraint that cannot be named in a
    script, ...): they belong in the generated file but are not differences, so
    ``check`` does not fail on them.
    """

    notes: tuple[str, ...] = ()

    def with_notes(self, notes: list[str]) -> Comparison:
        """Attach `notes` (deduplicated, in order) and return self."""
        self.notes = tuple(dict.fromkeys((*self.notes, *notes)))
        return self


@dataclass
class CompareContext:
    """What every compare_* function of one run shares."""

    connection: Connection
    inspector: Inspector
    behaviour: DialectBehaviour
    options: AutogenOptions
    default_schema: str | None
    notes: list[str] = field(default_factory=list)

    def schema_key(self, schema: str | None) -> str | None:
        """None for the default schema, the name otherwise."""
        return None if schema is None or schema == self.default_schema else schema

    def parents(self, schema: str | None, table: str | None = None) -> dict[str, str | None]:
        """include_name's ``parent_names`` for an object of `table` in `schema`."""
        names: dict[str, str | None] = {"schema_name": schema}
        if table is not None:
            names["table_name"] = table
            names["schema_qualified_table_name"] = f"{schema}.{table}" if schema else table
        return names

    def object_included(
        self, obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        """Shortcut for the include_object filter."""
        return self.options.object_included(obj, name, type_, reflected, compare_to)
