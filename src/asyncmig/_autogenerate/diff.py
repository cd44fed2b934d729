"""The differences autogenerate finds between the models and a live database.

Each difference is a frozen dataclass with a ``kind`` (Alembic's names where
Alembic has one: ``add_table``, ``remove_column``, ``modify_nullable`` ...), a
one-line :meth:`Diff.describe` for people and :meth:`Diff.to_dict` for
``check --json``.  The SQLAlchemy objects a renderer needs (the model's
``Column``, the reflected ``Table`` ...) ride along but take no part in
equality, so two diffs are equal when they say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy.schema import (
    CheckConstraint,
    Column,
    ForeignKeyConstraint,
    Index,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
)
from sqlalchemy.types import TypeEngine

__all__ = (
    "AddCheck",
    "AddColumn",
    "AddEnum",
    "AddForeignKey",
    "AddIndex",
    "AddTable",
    "AddUnique",
    "ColumnDiff",
    "Diff",
    "ModifyColumnComment",
    "ModifyDefault",
    "ModifyEnum",
    "ModifyNullable",
    "ModifyPrimaryKey",
    "ModifyTableComment",
    "ModifyType",
    "RemoveCheck",
    "RemoveColumn",
    "RemoveEnum",
    "RemoveForeignKey",
    "RemoveIndex",
    "RemoveTable",
    "RemoveUnique",
    "TableDiff",
)


def _qualified(schema: str | None, name: str) -> str:
    return f"{schema}.{name}" if schema else name


@dataclass(frozen=True)
class Diff:
    """One difference between the target metadata and the database."""

    kind: ClassVar[str] = "diff"

    def describe(self) -> str:
        """A one-line description for people."""
        raise NotImplementedError

    @property
    def _verb(self) -> str:
        """``add``, ``remove`` or ``modify``: how the kind begins."""
        return self.kind.partition("_")[0]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (``kind`` plus the compared fields)."""
        data: dict[str, Any] = {"kind": self.kind}
        for name, spec in self.__dataclass_fields__.items():
            if spec.compare:
                data[name] = getattr(self, name)
        data["description"] = self.describe()
        return data


@dataclass(frozen=True)
class TableDiff(Diff):
    """A difference located on one table."""

    schema: str | None
    table: str

    @property
    def where(self) -> str:
        """The table's qualified name."""
        return _qualified(self.schema, self.table)


@dataclass(frozen=True)
class _TableChange(TableDiff):
    table_obj: Table = field(compare=False, repr=False)

    def describe(self) -> str:
        """Say which table is added or removed."""
        return f"{self._verb} table {self.where}"


@dataclass(frozen=True)
class AddTable(_TableChange):
    """A model table the database lacks."""

    kind: ClassVar[str] = "add_table"


@dataclass(frozen=True)
class RemoveTable(_TableChange):
    """A database table no model declares."""

    kind: ClassVar[str] = "remove_table"


@dataclass(frozen=True)
class ColumnDiff(TableDiff):
    """A difference on one column of a table both sides have."""

    column: str


@dataclass(frozen=True)
class _ColumnChange(ColumnDiff):
    column_obj: Column[Any] = field(compare=False, repr=False)

    def describe(self) -> str:
        """Say which column is added or removed."""
        return f"{self._verb} column {self.where}.{self.column}"


@dataclass(frozen=True)
class AddColumn(_ColumnChange):
    """A model column the database table lacks."""

    kind: ClassVar[str] = "add_column"


@dataclass(frozen=True)
class RemoveColumn(_ColumnChange):
    """A database column the model table lacks."""

    kind: ClassVar[str] = "remove_column"


@dataclass(frozen=True)
class _ModifyColumn(ColumnDiff):
    # what the column is in the database, which alter_column needs as existing_*
    existing_type: TypeEngine[Any] = field(compare=False, repr=False)
    existing_nullable: bool = field(compare=False, repr=False)
    existing_server_default: Any = field(compare=False, repr=False)
    existing_comment: str | None = field(compare=False, repr=False)


@dataclass(frozen=True)
class ModifyNullable(_ModifyColumn):
    """The column's NULL / NOT NULL differs."""

    kind: ClassVar[str] = "modify_nullable"
    old: bool = True
    new: bool = True

    def describe(self) -> str:
        """Say how nullability changes."""
        word = {True: "NULL", False: "NOT NULL"}
        return f"modify nullable {self.where}.{self.column}: {word[self.old]} -> {word[self.new]}"


@dataclass(frozen=True)
class ModifyType(_ModifyColumn):
    """The column's type differs."""

    kind: ClassVar[str] = "modify_type"
    old: str | None = None
    new: str | None = None
    new_type: TypeEngine[Any] | None = field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        """Say how the type changes."""
        return f"modify type {self.where}.{self.column}: {self.old} -> {self.new}"


@dataclass(frozen=True)
class ModifyDefault(_ModifyColumn):
    """The column's server default differs (only with compare_server_default)."""

    kind: ClassVar[str] = "modify_default"
    old: str | None = None
    new: str | None = None
    new_server_default: Any = field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        """Say how the server default changes."""
        return f"modify server default {self.where}.{self.column}: {self.old} -> {self.new}"


@dataclass(frozen=True)
class ModifyColumnComment(_ModifyColumn):
    """The column's comment differs."""

    kind: ClassVar[str] = "modify_comment"
    old: str | None = None
    new: str | None = None

    def describe(self) -> str:
        """Say how the comment changes."""
        return f"modify comment {self.where}.{self.column}: {self.old!r} -> {self.new!r}"


@dataclass(frozen=True)
class ModifyTableComment(TableDiff):
    """The table's comment differs."""

    kind: ClassVar[str] = "modify_table_comment"
    old: str | None = None
    new: str | None = None

    def describe(self) -> str:
        """Say how the table comment changes."""
        return f"modify table comment {self.where}: {self.old!r} -> {self.new!r}"


@dataclass(frozen=True)
class ModifyPrimaryKey(TableDiff):
    """The table's primary key covers other columns."""

    kind: ClassVar[str] = "modify_primary_key"
    old: tuple[str, ...] = ()
    new: tuple[str, ...] = ()
    old_obj: PrimaryKeyConstraint | None = field(default=None, compare=False, repr=False)
    new_obj: PrimaryKeyConstraint | None = field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        """Say how the primary key changes."""
        return (
            f"modify primary key {self.where}: ({', '.join(self.old)}) -> ({', '.join(self.new)})"
        )


@dataclass(frozen=True)
class _NamedDiff(TableDiff):
    name: str | None
    columns: tuple[str, ...]

    def _label(self, what: str) -> str:
        name = f" {self.name}" if self.name else ""
        return f"{what}{name} on {self.where} ({', '.join(self.columns)})"


@dataclass(frozen=True)
class _IndexChange(_NamedDiff):
    unique: bool = False
    index: Index = field(default=None, compare=False, repr=False)  # type: ignore[assignment]  # always given

    def describe(self) -> str:
        """Say which index is added or removed."""
        return f"{self._verb} " + self._label("unique index" if self.unique else "index")


@dataclass(frozen=True)
class AddIndex(_IndexChange):
    """A model index the database lacks (or that changed: remove + add)."""

    kind: ClassVar[str] = "add_index"


@dataclass(frozen=True)
class RemoveIndex(_IndexChange):
    """A database index the model lacks."""

    kind: ClassVar[str] = "remove_index"


@dataclass(frozen=True)
class _UniqueChange(_NamedDiff):
    constraint: UniqueConstraint = field(default=None, compare=False, repr=False)  # type: ignore[assignment]  # always given

    def describe(self) -> str:
        """Say which unique constraint is added or removed."""
        return f"{self._verb} " + self._label("unique constraint")


@dataclass(frozen=True)
class AddUnique(_UniqueChange):
    """A model unique constraint the database lacks."""

    kind: ClassVar[str] = "add_unique_constraint"


@dataclass(frozen=True)
class RemoveUnique(_UniqueChange):
    """A database unique constraint the model lacks."""

    kind: ClassVar[str] = "remove_unique_constraint"


@dataclass(frozen=True)
class _ForeignKeyChange(_NamedDiff):
    referent: str = ""
    constraint: ForeignKeyConstraint = field(default=None, compare=False, repr=False)  # type: ignore[assignment]  # always given

    def describe(self) -> str:
        """Say which foreign key is added or removed."""
        return f"{self._verb} " + self._label("foreign key") + f" -> {self.referent}"


@dataclass(frozen=True)
class AddForeignKey(_ForeignKeyChange):
    """A model foreign key the database lacks (or whose options changed)."""

    kind: ClassVar[str] = "add_fk"


@dataclass(frozen=True)
class RemoveForeignKey(_ForeignKeyChange):
    """A database foreign key the model lacks."""

    kind: ClassVar[str] = "remove_fk"


@dataclass(frozen=True)
class _CheckChange(_NamedDiff):
    constraint: CheckConstraint = field(default=None, compare=False, repr=False)  # type: ignore[assignment]  # always given

    def describe(self) -> str:
        """Say which check constraint is added or removed."""
        return f"{self._verb} check constraint {self.name} on {self.where}"


@dataclass(frozen=True)
class AddCheck(_CheckChange):
    """A named model check constraint the database lacks."""

    kind: ClassVar[str] = "add_check_constraint"


@dataclass(frozen=True)
class RemoveCheck(_CheckChange):
    """A named database check constraint the model lacks."""

    kind: ClassVar[str] = "remove_check_constraint"


@dataclass(frozen=True)
class _EnumDiff(Diff):
    schema: str | None
    name: str
    values: tuple[str, ...]

    def describe(self) -> str:
        """Say which enum type is created or dropped."""
        return f"{self._verb} enum {_qualified(self.schema, self.name)} ({', '.join(self.values)})"


@dataclass(frozen=True)
class AddEnum(_EnumDiff):
    """A named enum type (PostgreSQL) the models use and the database lacks."""

    kind: ClassVar[str] = "add_enum"


@dataclass(frozen=True)
class RemoveEnum(_EnumDiff):
    """A named enum type (PostgreSQL) only removed tables or columns used."""

    kind: ClassVar[str] = "remove_enum"


@dataclass(frozen=True)
class ModifyEnum(_EnumDiff):
    """A named enum type (PostgreSQL) whose values differ; ``values`` are the model's."""

    kind: ClassVar[str] = "modify_enum"
    old_values: tuple[str, ...] = ()

    def describe(self) -> str:
        """Say how the enum's values change."""
        return (
            f"modify enum {_qualified(self.schema, self.name)}: "
            f"({', '.join(self.old_values)}) -> ({', '.join(self.values)})"
        )
