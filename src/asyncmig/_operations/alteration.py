"""What ``alter_column`` changes: its options and the NOT_GIVEN marker, in one place.

A leaf module (it imports nothing of the package), so that the directive modules,
:mod:`.model` and the ``impl`` modules can all use it without importing each other.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, TypeVar

__all__ = ("NOT_GIVEN", "ColumnAlteration", "split_options", "spelled_out")

_FnT = TypeVar("_FnT", bound=Callable[..., Any])

NOT_GIVEN: Any = False
"""Alembic's marker for "leave unchanged" in ``server_default=`` and ``comment=``."""


@dataclass(eq=False, repr=False)
class ColumnAlteration:
    """The options of ``alter_column``: what changes, and what the column is now.

    The one place they are listed: :class:`~.column_ops.AlterColumnOp` is one (plus
    its table and column, and :func:`spelled_out` shows them in its signature); the
    dialect implementations read theirs with :meth:`split`.  Each default means "not
    given" (unchanged; for an ``existing_*`` hint, unknown).  No ``__eq__``: an
    operation is more than its options.
    """

    nullable: bool | None = None
    comment: Any = NOT_GIVEN
    server_default: Any = NOT_GIVEN
    new_column_name: str | None = None
    type_: Any = None
    autoincrement: bool | None = None
    existing_type: Any = None
    existing_server_default: Any = None
    existing_nullable: bool | None = None
    existing_comment: str | None = None
    existing_autoincrement: bool | None = None

    def __post_init__(self) -> None:
        # a type class stands for its instance (type_=sa.Integer), as in Column()
        if isinstance(self.type_, type):
            self.type_ = self.type_()
        if isinstance(self.existing_type, type):
            self.existing_type = self.existing_type()

    @classmethod
    def split(cls, kw: Mapping[str, Any]) -> tuple[ColumnAlteration, dict[str, Any]]:
        """`kw` as an alteration and the other keywords (e.g. ``postgresql_using``)."""
        options, rest = split_options(kw)
        return cls(**options), rest

    def changes(self) -> dict[str, Any]:
        """The properties this alteration changes (the options given, hints aside)."""
        return {
            f.name: value
            for f in fields(ColumnAlteration)
            if not f.name.startswith("existing_")
            and (value := getattr(self, f.name)) is not f.default
        }

    def existing(self) -> dict[str, Any]:
        """Every ``existing_*`` hint: what the caller says the column is now."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(ColumnAlteration)
            if f.name.startswith("existing_")
        }


_NAMES = frozenset(f.name for f in fields(ColumnAlteration))


def split_options(kw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """`kw` as (its alter_column options, the other keywords)."""
    options = {key: value for key, value in kw.items() if key in _NAMES}
    return options, {key: value for key, value in kw.items() if key not in _NAMES}


def spelled_out(fn: _FnT) -> _FnT:
    """Decorator: `fn`'s signature, as tools read it, names the options before its ``**kw``.

    `fn` takes the options through ``**kw``; editors and the typing stub see each one
    with its type and default, as if they were keyword parameters of `fn`.
    """
    signature = inspect.signature(fn)
    own = list(signature.parameters.values())
    options = [
        inspect.Parameter(
            f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=f.type
        )
        for f in fields(ColumnAlteration)
    ]
    rest = [p for p in own if p.kind is not inspect.Parameter.VAR_KEYWORD]
    var_keyword = [p for p in own if p.kind is inspect.Parameter.VAR_KEYWORD]
    spelled = signature.replace(parameters=[*rest, *options, *var_keyword])
    # a function takes any attribute, and inspect.signature() reads this one first
    fn.__signature__ = spelled  # type: ignore[attr-defined]  # (see the line above)
    return fn
