"""One ``op`` call as data, and how it is written plainly or inside a batch block.

A call keeps its table apart from its other arguments, so the same call is
written ``op.add_column("t", col)`` or, grouped under
``with op.batch_alter_table("t") as batch_op:``, ``batch_op.add_column(col)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .render_types import OpF, literal

__all__ = ("Call", "write_calls")

Arg = str | OpF
LINE_LIMIT = 99
INDENT = "    "


@dataclass(frozen=True)
class Call:
    """``op.<method>(*head, table, *tail, schema=...)``."""

    method: str
    head: tuple[Arg, ...] = ()
    tail: tuple[Arg, ...] = ()
    table: str | None = None
    """The table the call alters; None for calls that are never batched."""
    schema: str | None = None
    table_keyword: str | None = None
    """Pass the table as this keyword (``drop_index(name, table_name=...)``)."""
    schema_keyword: str = "schema"
    batch: bool = True
    """Whether the call goes into a batch block when batch mode is on."""
    comment: tuple[str, ...] = field(default=())
    """Comment lines written above the call."""

    @property
    def table_key(self) -> tuple[str | None, str] | None:
        """(schema, table) for grouping into batch blocks."""
        return None if self.table is None or not self.batch else (self.schema, self.table)

    def args(self, receiver: str, *, in_batch: bool) -> list[str]:
        """The argument list as source, for `receiver` (``op`` or ``batch_op``)."""

        def text(arg: Arg) -> str:
            return arg.render(receiver) if isinstance(arg, OpF) else arg

        args = [text(a) for a in self.head]
        if in_batch or self.table is None:
            return args + [text(a) for a in self.tail]
        if self.table_keyword is None:
            args.append(literal(self.table))
        args.extend(text(a) for a in self.tail)
        if self.table_keyword is not None:
            args.append(f"{self.table_keyword}={literal(self.table)}")
        if self.schema is not None:
            args.append(f"{self.schema_keyword}={literal(self.schema)}")
        return args


def _format(function: str, args: Sequence[str], indent: str) -> list[str]:
    one_line = f"{indent}{function}({', '.join(args)})"
    if len(one_line) <= LINE_LIMIT and "\n" not in one_line:
        return [one_line]
    lines = [f"{indent}{function}("]
    lines.extend(f"{indent}{INDENT}{arg}," for arg in args)
    lines.append(f"{indent})")
    return lines


def write_calls(calls: Sequence[Call], *, batch: bool) -> list[str]:
    """Function-body lines for `calls`; in batch mode, runs on one table share a block."""
    lines: list[str] = []
    index = 0
    while index < len(calls):
        call = calls[index]
        key = call.table_key if batch else None
        if key is None:
            lines.extend(f"{INDENT}# {c}" for c in call.comment)
            lines.extend(_format(f"op.{call.method}", call.args("op", in_batch=False), INDENT))
            index += 1
            continue
        group = [call]
        while index + len(group) < len(calls) and calls[index + len(group)].table_key == key:
            group.append(calls[index + len(group)])
        schema, table = key
        block_args = [literal(table)] + ([f"schema={literal(schema)}"] if schema else [])
        lines.append(f"{INDENT}with op.batch_alter_table({', '.join(block_args)}) as batch_op:")
        for member in group:
            inner = INDENT * 2
            lines.extend(f"{inner}# {c}" for c in member.comment)
            lines.extend(
                _format(f"batch_op.{member.method}", member.args("batch_op", in_batch=True), inner)
            )
        lines.append("")
        index += len(group)
    while lines and not lines[-1]:
        lines.pop()
    return lines
