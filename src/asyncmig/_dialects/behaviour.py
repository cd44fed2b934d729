"""What autogenerate needs to know about a dialect: the generic behaviour.

A behaviour answers the questions whose answer differs between databases: how
a type is spelled once the database has stored it, how a reflected server
default is normalised, which defaults are implicit (PostgreSQL's ``nextval`` of
a SERIAL), whether named enum types exist, and whether scripts use batch mode.
Each dialect's subclass lives in that dialect's module beside this one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from sqlalchemy.engine import Dialect
from sqlalchemy.engine.reflection import Inspector
from sqlalchemy.exc import CompileError, UnsupportedCompilationError
from sqlalchemy.schema import Column
from sqlalchemy.sql.elements import ClauseElement, TextClause
from sqlalchemy.types import TypeEngine

__all__ = ("DialectBehaviour",)

_SPACES = re.compile(r"\s+")


class DialectBehaviour:
    """Generic SQL behaviour; subclasses adjust what their database does differently."""

    name: ClassVar[str] = "default"
    batch_by_default: ClassVar[bool] = False
    """Whether scripts wrap table changes in ``op.batch_alter_table`` unless told otherwise."""
    native_enums: ClassVar[bool] = False
    reflects_expression_indexes: ClassVar[bool] = True
    """Whether reflection sees indexes on expressions (SQLite's skips them)."""
    """Whether ``sa.Enum`` becomes a named type that is created and dropped on its own."""
    supports_comments: ClassVar[bool] = True
    type_aliases: ClassVar[Mapping[str, str]] = {}
    """Compiled type spellings that the database stores as another spelling."""
    system_schemas: ClassVar[frozenset[str]] = frozenset({"information_schema"})
    """Schemas of the database itself, never compared even with include_schemas."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect

    # -- types -------------------------------------------------------------

    def type_signature(self, type_: TypeEngine[Any]) -> str | None:
        """The type's DDL spelling, normalised; None when this dialect cannot compile it."""
        try:
            text = type_.compile(dialect=self.dialect)
        except (CompileError, UnsupportedCompilationError, NotImplementedError):
            return None
        text = _SPACES.sub(" ", text.strip().upper())
        return self.type_aliases.get(text, text)

    # -- server defaults ---------------------------------------------------

    def default_text(self, default: Any) -> str | None:
        """The SQL of a column's server default (model or reflected), or None."""
        if default is None:
            return None
        arg = getattr(default, "arg", default)
        if isinstance(arg, str):
            # a plain string in a model is a literal value, as SQLAlchemy's DDL renders it
            return "'" + arg.replace("'", "''") + "'"
        if isinstance(arg, TextClause):
            return arg.text
        if isinstance(arg, ClauseElement):
            return str(arg.compile(dialect=self.dialect, compile_kwargs={"literal_binds": True}))
        return None

    def normalize_default(self, text: str | None) -> str | None:
        """A server default's SQL reduced to what two spellings of one value share."""
        if text is None:
            return None
        text = text.strip()
        while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
            text = text[1:-1].strip()
        if len(text) >= 2 and text[0] == text[-1] == "'":
            text = text[1:-1]
        return text.lower()

    def implicit_default(self, column: Column[Any]) -> bool:
        """Whether a reflected column's server default comes with its type (not the user's)."""
        return False

    def type_change_keywords(self, column: str, new_type: TypeEngine[Any]) -> dict[str, str]:
        """Extra ``alter_column`` keywords (values as SQL text) a type change needs."""
        return {}

    # -- enums -------------------------------------------------------------

    def reflect_enums(self, inspector: Inspector, schema: str | None) -> dict[str, tuple[str, ...]]:
        """The named enum types of `schema` (empty where the dialect has none)."""
        return {}


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0
