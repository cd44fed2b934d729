"""What to compare: the options of one autogenerate run, and the env.py filters.

The filters keep Alembic's signatures so an existing ``env.py`` works as it is:

- ``include_name(name, type_, parent_names) -> bool`` sees reflected names before
  anything is reflected (``type_`` is ``"schema"``, ``"table"``, ``"column"``,
  ``"index"``, ``"unique_constraint"`` or ``"foreign_key_constraint"``);
- ``include_object(object, name, type_, reflected, compare_to) -> bool`` sees
  every object of either side, with its counterpart when there is one.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ("DEFAULT_VERSION_TABLES", "AutogenOptions", "IncludeName", "IncludeObject")

IncludeObject = Callable[[Any, "str | None", str, bool, Any], bool]
IncludeName = Callable[["str | None", str, Mapping[str, "str | None"]], bool]

DEFAULT_VERSION_TABLES: tuple[str, ...] = ("asyncmig_version", "alembic_version")
"""Migration bookkeeping tables that are never reported as removed."""


@dataclass(frozen=True)
class AutogenOptions:
    """How one database is compared with its target metadata."""

    include_object: IncludeObject | None = None
    include_name: IncludeName | None = None
    include_schemas: bool = False
    """Compare every schema the database has (filtered by include_name), not only the default."""
    compare_type: bool = True
    compare_server_default: bool = False
    version_tables: Collection[str] = DEFAULT_VERSION_TABLES
    """Names of the migration tool's own tables; skipped in every schema."""
    default_schema: str | None = None
    """The schema that unqualified model tables live in; None asks the connection."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Room for options a later version adds without breaking callers."""

    def name_included(
        self, name: str | None, type_: str, parents: Mapping[str, str | None]
    ) -> bool:
        """Whether include_name lets a reflected name through."""
        return self.include_name is None or bool(self.include_name(name, type_, parents))

    def object_included(
        self, obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        """Whether include_object lets an object through."""
        return self.include_object is None or bool(
            self.include_object(obj, name, type_, reflected, compare_to)
        )
