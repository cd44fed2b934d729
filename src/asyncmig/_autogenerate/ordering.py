"""Dependency order of tables by their foreign keys, without resolving them.

Reflected tables live in metadata of their own, so SQLAlchemy's sorter (which
resolves every foreign key) cannot be used; the order is computed from the
foreign keys' target names instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.schema import ForeignKeyConstraint, Table

__all__ = ("dependency_order", "referred_key")

TableKey = tuple[str | None, str]


def referred_key(fk: ForeignKeyConstraint, schema_of_unqualified: str | None = None) -> TableKey:
    """(schema, table) a foreign key points at, read from its target spec."""
    parts = fk.elements[0].target_fullname.split(".")
    return (".".join(parts[:-2]) or schema_of_unqualified, parts[-2])


def dependency_order(tables: Iterable[Table]) -> tuple[list[Table], set[int]]:
    """`tables` with referents first, and the ids of foreign keys that form cycles."""
    pending = sorted(tables, key=lambda t: (t.schema or "", t.name))
    keys = {(t.schema, t.name) for t in pending}
    ordered: list[Table] = []
    placed: set[TableKey] = set()
    cyclic: set[int] = set()
    while pending:
        for table in pending:
            deps = _deps(table, keys) - {(table.schema, table.name)}
            if deps <= placed:
                break
        else:
            # a cycle: place the first table anyway; its unmet foreign keys come later
            table = pending[0]
            for fk in table.foreign_key_constraints:
                key = referred_key(fk)
                if key in keys and key not in placed and key != (table.schema, table.name):
                    cyclic.add(id(fk))
        pending.remove(table)
        ordered.append(table)
        placed.add((table.schema, table.name))
    return ordered, cyclic


def _deps(table: Table, keys: set[TableKey]) -> set[TableKey]:
    return {referred_key(fk) for fk in table.foreign_key_constraints} & keys
