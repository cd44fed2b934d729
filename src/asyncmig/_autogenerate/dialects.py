"""What autogenerate needs to know about each dialect: one class per dialect, by name.

A behaviour answers the questions whose answer differs between databases: how a
type is spelled once the database has stored it, how a reflected server default
is normalised, which defaults are implicit (PostgreSQL's ``nextval`` of a
SERIAL), whether named enum types exist, and whether scripts use batch mode.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

from sqlalchemy.engine import Dialect
from sqlalchemy.engine.reflection import Inspector
from sqlalchemy.exc import CompileError, UnsupportedCompilationError
from sqlalchemy.schema import Column
from sqlalchemy.sql.elements import ClauseElement, TextClause
from sqlalchemy.types import TypeEngine

__all__ = ("DialectBehaviour", "behaviour_for", "register")

_B = TypeVar("_B", bound="type[DialectBehaviour]")
_REGISTRY: dict[str, type[DialectBehaviour]] = {}


def register(*names: str) -> Callable[[_B], _B]:
    """Class decorator: the behaviour for the dialects called `names`."""

    def decorate(cls: _B) -> _B:
        for name in names:
            _REGISTRY[name] = cls
        return cls

    return decorate


def behaviour_for(dialect_name: str) -> type[DialectBehaviour]:
    """The behaviour class registered for `dialect_name` (the generic one otherwise)."""
    return _REGISTRY.get(dialect_name, DialectBehaviour)


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


@register("sqlite")
class SQLiteBehaviour(DialectBehaviour):
    """SQLite: no ALTER for most changes, so scripts use batch mode; no comments."""

    name = "sqlite"
    batch_by_default = True
    reflects_expression_indexes = False
    supports_comments = False


_CAST = re.compile(r"::[\w\s\".\[\]]+(\(\d+(,\s*\d+)?\))?(\[\])?$")
_NEXTVAL = re.compile(r"^nextval\('.*_seq'::regclass\)$", re.IGNORECASE)


@register("postgresql")
class PostgreSQLBehaviour(DialectBehaviour):
    """PostgreSQL: named enum types, casts in reflected defaults, SERIAL sequences."""

    name = "postgresql"
    native_enums = True
    system_schemas = frozenset({"information_schema", "pg_catalog", "pg_toast"})
    type_aliases: ClassVar[Mapping[str, str]] = {
        "FLOAT": "DOUBLE PRECISION",
        "FLOAT(53)": "DOUBLE PRECISION",
        "DOUBLE": "DOUBLE PRECISION",
        "FLOAT(24)": "REAL",
    }

    def normalize_default(self, text: str | None) -> str | None:
        """Strip the casts PostgreSQL adds to stored defaults (``'x'::character varying``)."""
        if text is None:
            return None
        text = text.strip()
        while True:
            stripped = _CAST.sub("", text).strip()
            if stripped == text:
                break
            text = stripped
        return super().normalize_default(text)

    def implicit_default(self, column: Column[Any]) -> bool:
        """A SERIAL column's ``nextval(...)`` default belongs to the type, not the model."""
        default = self.default_text(column.server_default)
        return default is not None and bool(_NEXTVAL.match(default.strip()))

    def type_change_keywords(self, column: str, new_type: TypeEngine[Any]) -> dict[str, str]:
        """An explicit cast, which PostgreSQL needs between most types (text to integer)."""
        quoted = self.dialect.identifier_preparer.quote(column)
        return {"postgresql_using": f"{quoted}::{new_type.compile(dialect=self.dialect)}"}

    def reflect_enums(self, inspector: Inspector, schema: str | None) -> dict[str, tuple[str, ...]]:
        """Enum types visible in `schema` (the default schema when None)."""
        found: dict[str, tuple[str, ...]] = {}
        for info in inspector.get_enums(schema=schema or None):  # type: ignore[attr-defined]  # PGInspector
            found[info["name"]] = tuple(info["labels"])
        return found


_DISPLAY_WIDTH = re.compile(r"^(TINYINT|SMALLINT|MEDIUMINT|INT|INTEGER|BIGINT)\(\d+\)")


@register("mysql", "mariadb")
class MySQLBehaviour(DialectBehaviour):
    """MySQL / MariaDB: integer display widths and BOOL stored as TINYINT(1)."""

    name = "mysql"
    system_schemas = frozenset({"information_schema", "mysql", "performance_schema", "sys"})
    type_aliases: ClassVar[Mapping[str, str]] = {"BOOL": "TINYINT", "INT": "INTEGER"}

    def type_signature(self, type_: TypeEngine[Any]) -> str | None:
        """Drop the display width MySQL reports for integer types."""
        text = super().type_signature(type_)
        if text is None:
            return None
        text = _DISPLAY_WIDTH.sub(r"\1", text)
        return self.type_aliases.get(text, text)
