"""Python source for SQLAlchemy objects: types, columns, constraints, defaults, names.

Every method returns source text that evaluates, in a migration script with
``import sqlalchemy as sa`` and ``from asyncmig import op``, to an equivalent
object.  Imports beyond ``sa`` (``postgresql.``, user type modules) are
collected in :attr:`SourceWriter.imports`.
"""

from __future__ import annotations

import contextlib
import inspect
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.schema import (
    CheckConstraint,
    Column,
    Constraint,
    ForeignKeyConstraint,
    Index,
    PrimaryKeyConstraint,
    UniqueConstraint,
)
from sqlalchemy.sql.elements import ClauseElement, TextClause, conv
from sqlalchemy.types import TypeDecorator, TypeEngine

from .._dialects.behaviour import DialectBehaviour
from .compare_constraints import constraint_name
from .compare_enums import named_enum

__all__ = ("OpF", "SourceWriter", "literal")

_PLAIN = re.compile(r"^[^\"\\\x00-\x1f\x7f]*$")


def literal(value: Any) -> str:
    """A Python literal for a str, bool, int or None (double quotes where possible)."""
    if isinstance(value, str) and _PLAIN.match(value):
        return f'"{value}"'
    return repr(value)


def _type_arguments(type_: TypeEngine[Any]) -> list[Any]:
    """Values of a type's attributes and constructor arguments (class defaults included)."""
    names = set(vars(type_))
    # a C-level or odd constructor has no signature: its instance attributes must do
    with contextlib.suppress(TypeError, ValueError):
        names.update(inspect.signature(type(type_).__init__).parameters)
    return [getattr(type_, name, None) for name in sorted(names)]


@dataclass(frozen=True)
class OpF:
    """A naming-convention name: rendered as ``op.f("...")`` or ``batch_op.f("...")``."""

    name: str

    def render(self, receiver: str) -> str:
        """The call on `receiver` that marks the name as final."""
        return f"{receiver}.f({literal(self.name)})"


@dataclass
class SourceWriter:
    """Renders objects for one dialect and collects the imports they need."""

    behaviour: DialectBehaviour
    user_module_prefix: str | None = None
    imports: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    # -- names and SQL ------------------------------------------------------

    def name(self, item: Any) -> str | OpF | None:
        """The item's name as source: ``op.f(...)`` for naming-convention names."""
        name = constraint_name(item)
        if name is None:
            return None
        return OpF(name) if isinstance(item.name, conv) else literal(name)

    def name_text(self, item: Any, receiver: str = "op") -> str:
        """:meth:`name` as text (``None`` when unnamed)."""
        name = self.name(item)
        if name is None:
            return "None"
        return name.render(receiver) if isinstance(name, OpF) else name

    def sql(self, element: Any) -> str:
        """SQL text of an expression, compiled for the dialect with literal values."""
        if isinstance(element, str):
            return element
        if isinstance(element, TextClause):
            return element.text
        return str(
            element.compile(
                dialect=self.behaviour.dialect,
                compile_kwargs={"literal_binds": True, "include_table": False},
            )
        )

    def server_default(self, default: Any) -> str:
        """A server default: a string literal as given, SQL as ``sa.text(...)``."""
        if default is None:
            return "None"
        arg = getattr(default, "arg", default)
        if isinstance(arg, str):
            return literal(arg)
        if isinstance(arg, ClauseElement):
            return f"sa.text({literal(self.sql(arg))})"
        return literal(str(arg))

    def sql_default(self, sql: str | None) -> str:
        """A default known only as SQL text (reflected)."""
        return "None" if sql is None else f"sa.text({literal(sql)})"

    # -- types ---------------------------------------------------------------

    def type_(self, type_: TypeEngine[Any]) -> str:
        """A type, with its module prefix and the import that prefix needs."""
        enum = named_enum(type_)
        if (
            enum is not None
            and self.behaviour.native_enums
            and not isinstance(type_, TypeDecorator)
        ):
            # the type is created by its own step (add_enum), never by the table
            self.imports.add("from sqlalchemy.dialects import postgresql")
            args = [literal(v) for v in enum.enums]
            args.append(f"name={literal(enum.name)}")
            if enum.schema:
                args.append(f"schema={literal(enum.schema)}")
            args.append("create_type=False")
            return f"postgresql.ENUM({', '.join(args)})"
        module = type(type_).__module__
        text = repr(type_)
        # nested types (ARRAY's item_type, JSONB's astext_type) need their own prefix
        for value in _type_arguments(type_):
            if isinstance(value, TypeEngine):
                pattern = r"(?<![\w.])" + re.escape(repr(value))
                rendered = self.type_(value)
                text = re.sub(pattern, rendered.replace("\\", "\\\\"), text, count=1)
        if module.startswith("sqlalchemy.dialects."):
            dialect_module = module.split(".")[2]
            self.imports.add(f"from sqlalchemy.dialects import {dialect_module}")
            return f"{dialect_module}.{text}"
        if module.startswith("sqlalchemy."):
            return f"sa.{text}"
        if self.user_module_prefix is not None:
            return f"{self.user_module_prefix}{text}"
        self.imports.add(f"import {module}")
        return f"{module}.{text}"

    # -- columns and constraints -------------------------------------------------

    def column(self, column: Column[Any]) -> str:
        """``sa.Column(...)`` without its foreign keys (those are rendered as constraints)."""
        args = [literal(column.name), self.type_(column.type)]
        if column.primary_key and isinstance(column.autoincrement, bool):
            args.append(f"autoincrement={column.autoincrement}")
        args.append(f"nullable={bool(column.nullable)}")
        if column.server_default is not None and not self.behaviour.implicit_default(column):
            args.append(f"server_default={self.server_default(column.server_default)}")
        if column.comment:
            args.append(f"comment={literal(column.comment)}")
        return f"sa.Column({', '.join(args)})"

    def constraint(self, item: Constraint) -> str | None:
        """A table-level constraint for ``create_table``; None for ones a type makes itself."""
        named = self.name_text(item)
        name = [] if named == "None" else [f"name={named}"]
        if isinstance(item, PrimaryKeyConstraint):
            if not item.columns:
                return None
            cols = [literal(c.name) for c in item.columns]
            return f"sa.PrimaryKeyConstraint({', '.join(cols + name)})"
        if isinstance(item, ForeignKeyConstraint):
            return f"sa.ForeignKeyConstraint({', '.join(self.fk_args(item) + name)})"
        if isinstance(item, UniqueConstraint):
            cols = [literal(c.name) for c in item.columns]
            return f"sa.UniqueConstraint({', '.join(cols + name)})"
        if isinstance(item, CheckConstraint) and not getattr(item, "_type_bound", False):
            return f"sa.CheckConstraint({', '.join([literal(self.sql(item.sqltext)), *name])})"
        return None

    def fk_args(self, fk: ForeignKeyConstraint) -> list[str]:
        """Local and remote column lists plus the options of a foreign key."""
        local = "[" + ", ".join(literal(c) for c in fk.column_keys) + "]"
        remote = "[" + ", ".join(literal(e.target_fullname) for e in fk.elements) + "]"
        return [local, remote, *self.fk_options(fk)]

    def fk_options(self, fk: ForeignKeyConstraint) -> list[str]:
        """``ondelete=`` ... keywords a foreign key sets."""
        options = []
        for key in ("ondelete", "onupdate", "deferrable", "initially"):
            value = getattr(fk, key)
            if value is not None:
                options.append(f"{key}={literal(value)}")
        return options

    def index_columns(self, index: Index) -> str:
        """An index's columns: names, or ``sa.text(...)`` for expressions."""
        items = []
        for expr in index.expressions:
            name = getattr(expr, "name", None)
            if isinstance(expr, Column) or (getattr(expr, "table", None) is not None and name):
                items.append(literal(name))
            else:
                items.append(f"sa.text({literal(self.sql(expr))})")
        return "[" + ", ".join(items) + "]"
