"""Random Alembic histories, valid by construction, for the differential harness.

`history(backend)` is a hypothesis strategy.  It draws a small revision graph (a linear
run, optionally a branch into two lines that touch disjoint tables and a merge back) and
fills each revision with operations chosen against a model of the schema and its rows as
they stand at that point, so every operation is one Alembic runs successfully on that
backend.  Each operation carries its exact inverse, rendered into ``downgrade()`` in
reverse order, so ``downgrade base`` walks the history back cleanly too.

Names are drawn from one counter per history (tables ``t3``, columns ``c7``, indexes
``ix_9``...), so no two objects ever collide, and a database-generated name is dropped
only where the dialect's rule is predictable (PostgreSQL's ``<table>_<column>_key``...).
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

BACKENDS = ("sqlite", "postgresql", "mariadb")

# Operations left out of generation because asyncmig still diverges from Alembic on them,
# so that the generated-history test stays green while the divergence is open.  Keys are
# "<backend>:<operation>" ("*" for every backend; "batch.<op>" for an op inside
# batch_alter_table); values name the open divergence.  Delete an entry once it is fixed.
EXCLUDED_OPS: dict[str, str] = {}


def excluded(backend: str, operation: str) -> bool:
    """Whether `operation` is left out of generation on `backend` (see EXCLUDED_OPS)."""
    return f"{backend}:{operation}" in EXCLUDED_OPS or f"*:{operation}" in EXCLUDED_OPS


@dataclass(frozen=True)
class Kind:
    """A column type the generator uses, with what it may do on each backend."""

    code: str
    family: str  # how values are made: int, str, bool, num, date, dt, enum, or none
    indexable: bool
    defaults: tuple[str, ...]
    backends: tuple[str, ...] = BACKENDS


KINDS: dict[str, Kind] = {
    "int": Kind("sa.Integer()", "int", True, ('sa.text("0")', '"7"')),
    "bigint": Kind("sa.BigInteger()", "int", True, ('sa.text("3")',)),
    "smallint": Kind("sa.SmallInteger()", "int", True, ()),
    "str20": Kind("sa.String(length=20)", "str", True, ('"ab"', "sa.text(\"'xy'\")")),
    "str40": Kind("sa.String(length=40)", "str", True, ('"it\'s"',)),
    "text": Kind("sa.Text()", "str", False, ()),
    "bool": Kind("sa.Boolean()", "bool", True, ("sa.false()", "sa.true()")),
    "num": Kind("sa.Numeric(precision=10, scale=2)", "num", True, ('sa.text("1.50")',)),
    "float": Kind("sa.Float()", "none", False, ()),
    "date": Kind("sa.Date()", "date", True, ("sa.text(\"'2024-01-01'\")",)),
    "dt": Kind("sa.DateTime()", "dt", True, ("sa.func.now()", 'sa.text("CURRENT_TIMESTAMP")')),
    "json": Kind("sa.JSON()", "none", False, ()),
    "uuid": Kind("sa.Uuid()", "none", False, ()),
    "blob": Kind("sa.LargeBinary()", "none", False, ()),
    "enum": Kind("", "enum", True, ('"a"',)),
    "jsonb": Kind("postgresql.JSONB()", "none", False, (), ("postgresql",)),
    "tstz": Kind("sa.DateTime(timezone=True)", "dt", True, ("sa.func.now()",), ("postgresql",)),
    "intarray": Kind("postgresql.ARRAY(sa.Integer())", "none", False, (), ("postgresql",)),
}
# Type changes whose data survives both ways on every backend (values stay short).
RETYPE: dict[str, tuple[str, ...]] = {
    "int": ("bigint",),
    "bigint": ("int",),
    "str20": ("str40", "text"),
    "str40": ("str20", "text"),
    "text": ("str40",),
}
# Defaults SQLite refuses in ALTER TABLE ADD COLUMN (not constant).
NON_CONSTANT_DEFAULTS = ("sa.func.now()", 'sa.text("CURRENT_TIMESTAMP")')
DEFAULT_VALUES: dict[str, object] = {
    'sa.text("0")': 0,
    '"7"': 7,
    'sa.text("3")': 3,
    '"ab"': "ab",
    "sa.text(\"'xy'\")": "xy",
    '"it\'s"': "it's",
    "sa.false()": False,
    "sa.true()": True,
    'sa.text("1.50")': 1.5,
    "sa.text(\"'2024-01-01'\")": datetime.date(2024, 1, 1),
    '"a"': "a",
}
COMMENTS = ("a comment", "it's quoted", "ünïcode")
NOW = "now"  # a value the database fills in (CURRENT_TIMESTAMP): known non-null, not unique


@dataclass
class Col:
    uid: int
    name: str
    kind: str
    nullable: bool
    default: str | None = None
    comment: str | None = None
    enum: str | None = None  # PostgreSQL type name / enum name


@dataclass
class Cons:
    kind: str  # "uq", "ck", "fk"
    name: str | None  # as written in the script; None leaves naming to the database
    db_name: str | None  # the name in the database where it is predictable
    cols: tuple[int, ...]
    ref: int | None = None  # referred table uid (its single-column primary key)
    ondelete: str | None = None


@dataclass
class Idx:
    name: str
    cols: tuple[int, ...]
    unique: bool


@dataclass
class Table:
    uid: int
    name: str
    cols: list[Col]
    pk: tuple[int, ...]
    cons: list[Cons] = field(default_factory=list)
    idx: list[Idx] = field(default_factory=list)
    comment: str | None = None
    rows: dict[int, dict[int, object]] = field(default_factory=dict)  # pk value -> values
    next_pk: int = 1

    def col(self, uid: int) -> Col:
        return next(c for c in self.cols if c.uid == uid)


@dataclass
class Schema:
    tables: dict[int, Table] = field(default_factory=dict)
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class Revision:
    """One generated revision: its id, parents and the script text."""

    rev: str
    down: tuple[str, ...]
    filename: str
    text: str


class History:
    """A generated history: file name -> script text, in creation order.

    Not a dataclass: hypothesis prints a failing example through its repr, which lists the
    scripts as they are written, one after the other.
    """

    def __init__(self, backend: str, revisions: list[Revision]) -> None:
        self.backend = backend
        self.revisions = revisions

    @property
    def scripts(self) -> dict[str, str]:
        return {r.filename: r.text for r in self.revisions}

    def __repr__(self) -> str:
        parts = [f"History({self.backend}, {len(self.revisions)} revisions)"]
        for r in self.revisions:
            parts.append(f"# ---- {r.filename}\n{r.text}")
        return "\n".join(parts)


def _lit(value: object) -> str:
    if isinstance(value, datetime.datetime):
        return f"datetime.datetime({value.year}, {value.month}, {value.day}, 3, 4, 5)"
    if isinstance(value, datetime.date):
        return f"datetime.date({value.year}, {value.month}, {value.day})"
    return repr(value)


def _value(kind: str, pk: int, updated: bool) -> object:
    """A value for a row: injective in `pk` for int and str, so uniqueness holds."""
    family = KINDS[kind].family
    if family == "int":
        return pk + (500 if updated else 0)
    if family == "str":
        return f"{'u' if updated else 'r'}{pk}"
    if family == "bool":
        return (pk % 2 == 0) != updated
    if family == "num":
        return 2.25 if updated else 1.5
    if family == "date":
        return datetime.date(2024, 2 if updated else 1, 1 + pk % 28)
    if family == "dt":
        return datetime.datetime(2024, 2 if updated else 1, 1 + pk % 28, 3, 4, 5)
    if family == "enum":
        return "b" if updated else "a"
    return None


def _check_sql(col: Col) -> str | None:
    family = KINDS[col.kind].family
    if family == "int":
        return f"{col.name} >= 0"
    if family == "str":
        return f"length({col.name}) > 0"
    return None


class Gen:
    """Draws operations for one revision against the schema model of its branch."""

    def __init__(self, draw: Callable[..., Any], backend: str, counter: list[int]) -> None:
        self.draw = draw
        self.backend = backend
        self.counter = counter
        self.schema = Schema()
        self.owned: set[int] = set()  # tables this branch may change
        self.owned_enums: set[str] = set()
        self.new_enums: set[str] = set()  # created in the current revision
        self.up: list[str] = []
        self.down: list[list[str]] = []
        self.imports: set[str] = set()

    # -- helpers -------------------------------------------------------------------
    def fresh(self, prefix: str) -> str:
        self.counter[0] += 1
        return f"{prefix}{self.counter[0]}"

    def pick(self, items: list[Any] | tuple[Any, ...]) -> Any:
        return self.draw(st.sampled_from(list(items)))

    def flag(self, p: float = 0.5) -> bool:
        # hypothesis draws small integers first and shrinks towards them: 0 means "off"
        return bool(self.draw(st.integers(0, 99)) >= 100 - round(p * 100))

    def mine(self) -> list[Table]:
        return [self.schema.tables[u] for u in sorted(self.owned) if u in self.schema.tables]

    @property
    def pg(self) -> bool:
        return self.backend == "postgresql"

    @property
    def sqlite(self) -> bool:
        return self.backend == "sqlite"

    def kinds(self) -> list[str]:
        return [k for k, v in KINDS.items() if self.backend in v.backends]

    def type_code(self, col: Col, *, creating: bool) -> str:
        if col.kind != "enum":
            return KINDS[col.kind].code
        assert col.enum is not None
        values = ", ".join(repr(v) for v in self.schema.enums[col.enum])
        if self.pg and not (creating and col.enum in self.new_enums):
            self.imports.add("postgresql")
            return f"postgresql.ENUM({values}, name={col.enum!r}, create_type=False)"
        return f"sa.Enum({values}, name={col.enum!r})"

    def col_code(self, t: Table, col: Col, *, creating: bool, inline: Sequence[str] = ()) -> str:
        args = [repr(col.name), self.type_code(col, creating=creating), *inline]
        if col.uid in t.pk:
            args.append("primary_key=True")
            if len(t.pk) > 1 or self.flag(0.3):
                args.append("autoincrement=False")
        args.append(f"nullable={col.nullable}")
        if col.default is not None:
            args.append(f"server_default={col.default}")
        if col.comment is not None:
            args.append(f"comment={col.comment!r}")
        return f"sa.Column({', '.join(args)})"

    def emit(self, up: list[str], down: list[str]) -> None:
        self.up.extend(up)
        self.down.append(down)

    def fk_ok_on_mariadb(self, t: Table, uid: int) -> bool:
        return not any(c.kind == "fk" and c.cols[0] == uid for c in t.cons)

    def pg_name(self, t: Table, cols: tuple[int, ...], suffix: str) -> str | None:
        """PostgreSQL's name for an unnamed constraint, unless another object holds it."""
        if not self.pg:
            return None
        name = "_".join([t.name, *(t.col(u).name for u in cols), suffix])
        taken = {c.db_name for x in self.schema.tables.values() for c in x.cons}
        taken |= {i.name for x in self.schema.tables.values() for i in x.idx}
        return None if name in taken or len(name) > 63 else name

    def used(self, t: Table, uid: int) -> bool:
        """Whether a column is in the primary key, an index, or a constraint of `t`."""
        if uid in t.pk or any(uid in i.cols for i in t.idx):
            return True
        return any(uid in c.cols for c in t.cons)

    def unique_ok(self, t: Table, cols: tuple[int, ...]) -> bool:
        seen = set()
        for row in t.rows.values():
            vals = tuple(row.get(u) for u in cols)
            if None in vals:
                continue
            if NOW in vals or vals in seen:
                return False
            seen.add(vals)
        return True


# -- column and table construction --------------------------------------------------


def _new_col(g: Gen, *, adding_to: Table | None) -> Col:
    kind = g.pick(g.kinds())
    col = Col(g.counter[0] + 1, g.fresh("c"), kind, nullable=True)
    if kind == "enum":
        reuse = [e for e in g.owned_enums if e in g.schema.enums]
        if reuse and (adding_to is not None or g.flag(0.4)):
            col.enum = g.pick(sorted(reuse))
        elif adding_to is not None and g.pg:
            col.kind = "int"
        else:
            col.enum = g.fresh("en")
            g.schema.enums[col.enum] = ("a", "b", "c")
            g.owned_enums.add(col.enum)
            g.new_enums.add(col.enum)
    defaults = list(KINDS[col.kind].defaults)
    if adding_to is not None and g.sqlite:
        defaults = [d for d in defaults if d not in NON_CONSTANT_DEFAULTS]
    if defaults and g.flag(0.35):
        col.default = g.pick(defaults)
    has_rows = adding_to is not None and bool(adding_to.rows)
    can_not_null = col.default is not None or not (has_rows or (adding_to is not None and g.sqlite))
    if can_not_null and KINDS[col.kind].family != "none" and g.flag(0.4):
        col.nullable = False
    if g.flag(0.25):
        col.comment = g.pick(COMMENTS)
    return col


def _default_value(col: Col) -> object:
    if col.default is None:
        return None
    return DEFAULT_VALUES.get(col.default, NOW)


def _table_code(g: Gen, t: Table, *, creating: bool) -> list[str]:
    """`op.create_table(...)` for the model of `t`, constraints inline, plus its indexes."""
    inline: dict[int, list[str]] = {c.uid: [] for c in t.cols}
    kw: dict[int, list[str]] = {c.uid: [] for c in t.cols}
    indexes = list(t.idx)
    for i in t.idx:
        if creating and i.name == f"ix_{t.name}_{t.col(i.cols[0]).name}":
            kw[i.cols[0]].append("index=True" + (", unique=True" if i.unique else ""))
            indexes.remove(i)
    table_level: list[str] = []
    for c in t.cons:
        given = c.name if creating else c.name or c.db_name
        name = f", name={given!r}" if given else ""
        cols = [t.col(u).name for u in c.cols]
        if c.kind == "fk":
            ref = g.schema.tables.get(c.ref or t.uid, t)
            target = f"{ref.name}.{ref.col(ref.pk[0]).name}"
            od = f", ondelete={c.ondelete!r}" if c.ondelete else ""
            if len(cols) == 1 and g.flag(0.5):
                inline[c.cols[0]].append(f"sa.ForeignKey({target!r}{name}{od})")
            else:
                table_level.append(f"sa.ForeignKeyConstraint({cols!r}, [{target!r}]{name}{od})")
        elif c.kind == "uq" and len(cols) == 1 and not given and not kw[c.cols[0]] and g.flag(0.5):
            kw[c.cols[0]].append("unique=True")
        elif c.kind == "uq":
            table_level.append(f"sa.UniqueConstraint({', '.join(map(repr, cols))}{name})")
        else:
            sql = _check_sql(t.col(c.cols[0]))
            if g.backend != "mariadb" and g.flag(0.4) and (c.name or g.pg):
                inline[c.cols[0]].append(f"sa.CheckConstraint({sql!r}{name})")
            else:
                table_level.append(f"sa.CheckConstraint({sql!r}{name})")
    lines = [f"op.create_table({t.name!r},"]
    lines += [
        f"    {g.col_code(t, c, creating=creating, inline=inline[c.uid] + kw[c.uid])},"
        for c in t.cols
    ]
    if len(t.pk) > 1:
        names = ", ".join(repr(t.col(u).name) for u in t.pk)
        lines.append(f"    sa.PrimaryKeyConstraint({names}),")
    lines += [f"    {x}," for x in table_level]
    if t.comment is not None:
        lines.append(f"    comment={t.comment!r},")
    lines.append(")")
    for i in indexes:
        cols = [t.col(u).name for u in i.cols]
        lines.append(f"op.create_index({i.name!r}, {t.name!r}, {cols!r}, unique={i.unique})")
    return lines


def op_create_table(g: Gen) -> bool:
    uid = g.counter[0] + 1
    t = Table(uid, g.fresh("t"), [], ())
    pk_kind = g.pick(["int", "int", "bigint"])
    pk = Col(g.counter[0] + 1, g.fresh("c"), pk_kind, nullable=False)
    t.cols.append(pk)
    t.pk = (pk.uid,)
    if g.flag(0.15):
        pk2 = Col(g.counter[0] + 1, g.fresh("c"), "int", nullable=False)
        t.cols.append(pk2)
        t.pk = (pk.uid, pk2.uid)
    created_enums = set(g.new_enums)
    for _ in range(g.draw(st.integers(1, 4))):
        t.cols.append(_new_col(g, adding_to=None))
    created_enums = g.new_enums - created_enums
    others = [c for c in t.cols if c.uid not in t.pk]
    # inline and table-level constraints, named or unnamed
    for c in others:
        if KINDS[c.kind].indexable and KINDS[c.kind].family in ("int", "str") and g.flag(0.15):
            t.cons.append(Cons("uq", None, g.pg_name(t, (c.uid,), "key"), (c.uid,)))
        elif _check_sql(c) and g.flag(0.15):
            named = g.flag(0.5)
            name = g.fresh("ck_") if named else None
            db = name or g.pg_name(t, (c.uid,), "check")
            t.cons.append(Cons("ck", name, db, (c.uid,)))
    targets = [x for x in g.mine() if len(x.pk) == 1]
    if targets and g.flag(0.4):
        ref = g.pick(targets)
        fk = Col(g.counter[0] + 1, g.fresh("c"), ref.col(ref.pk[0]).kind, nullable=True)
        t.cols.append(fk)
        name = g.fresh("fk_") if g.flag(0.5) else None
        db = name or g.pg_name(t, (fk.uid,), "fkey")
        od = g.pick([None, "CASCADE", "SET NULL"])
        t.cons.append(Cons("fk", name, db, (fk.uid,), ref.uid, od))
    idx_cols = [c for c in others if KINDS[c.kind].indexable]
    if idx_cols and g.flag(0.3):
        c = g.pick(idx_cols)
        name = f"ix_{t.name}_{c.name}" if g.flag(0.5) else g.fresh("ix_")  # index=True's name
        unique = g.flag(0.3) and KINDS[c.kind].family in ("int", "str")
        if not (unique and any(x.cols == (c.uid,) for x in t.cons)):
            t.idx.append(Idx(name, (c.uid,), unique))
    if len(idx_cols) >= 2 and g.flag(0.2):
        name = g.fresh("uq_")
        t.cons.append(Cons("uq", name, name, (idx_cols[0].uid, idx_cols[1].uid)))
    if g.flag(0.3):
        t.comment = g.pick(COMMENTS)
    g.schema.tables[uid] = t
    g.owned.add(uid)
    up = _table_code(g, t, creating=True)
    down = [f"op.drop_table({t.name!r})"]
    if g.pg:
        g.imports.add("postgresql")
        down += [
            f"postgresql.ENUM(name={e!r}).drop(op.get_bind(), checkfirst=False)"
            for e in sorted(created_enums)
        ]
    g.emit(up, down)
    return True


def op_drop_table(g: Gen) -> bool:
    referenced = {
        c.ref for x in g.schema.tables.values() for c in x.cons if c.kind == "fk" and c.ref != x.uid
    }
    cands = [t for t in g.mine() if t.uid not in referenced]
    if not cands:
        return False
    t = g.pick(cands)
    down = _table_code(g, t, creating=False)
    del g.schema.tables[t.uid]
    g.emit([f"op.drop_table({t.name!r})"], down)
    return True


def op_rename_table(g: Gen) -> bool:
    if not g.mine():
        return False
    t = g.pick(g.mine())
    old, t.name = t.name, g.fresh("t")
    g.emit([f"op.rename_table({old!r}, {t.name!r})"], [f"op.rename_table({t.name!r}, {old!r})"])
    return True


def _comment_call(t: Table, new: str | None, old: str | None) -> str:
    if new is None:
        return f"op.drop_table_comment({t.name!r}, existing_comment={old!r})"
    return f"op.create_table_comment({t.name!r}, {new!r}, existing_comment={old!r})"


def op_table_comment(g: Gen) -> bool:
    if not g.mine():
        return False
    t = g.pick(g.mine())
    old = t.comment
    t.comment = g.pick([c for c in (None, *COMMENTS) if c != old])
    g.emit([_comment_call(t, t.comment, old)], [_comment_call(t, old, t.comment)])
    return True


def op_bulk_insert(g: Gen) -> bool:
    if not g.mine():
        return False
    t = g.pick(g.mine())
    fk_cols = {u for c in t.cons if c.kind == "fk" for u in c.cols}
    given = [c for c in t.cols if c.uid not in fk_cols and KINDS[c.kind].family != "none"]
    given = [c for c in given if c.uid in t.pk or not c.nullable or g.flag(0.7)]
    if any(not c.nullable and c.default is None and c not in given for c in t.cols):
        return False
    rows = []
    for _ in range(g.draw(st.integers(1, 3))):
        pk = t.next_pk
        t.next_pk += 1
        row: dict[int, object] = {c.uid: _value(c.kind, pk, False) for c in given}
        for c in t.cols:
            if c not in given:
                row[c.uid] = _default_value(c)
        for u in t.pk:
            row[u] = pk
        t.rows[pk] = row
        rows.append(row)
    uniq = [c.cols for c in t.cons if c.kind == "uq"] + [i.cols for i in t.idx if i.unique]
    if not all(g.unique_ok(t, u) for u in uniq):
        for r in rows:
            del t.rows[int(r[t.pk[0]])]  # type: ignore[call-overload]
        return False
    g.imports.add("datetime")
    cols = ", ".join(f"sa.column({c.name!r}, {g.type_code(c, creating=False)})" for c in given)
    data = ", ".join(
        "{" + ", ".join(f"{c.name!r}: {_lit(r[c.uid])}" for c in given) + "}" for r in rows
    )
    pkc = t.col(t.pk[0])
    keys = [r[pkc.uid] for r in rows]
    g.emit(
        [f"op.bulk_insert(sa.table({t.name!r}, {cols}), [{data}])"],
        [
            f"op.execute(sa.table({t.name!r}, sa.column({pkc.name!r})).delete()"
            f".where(sa.column({pkc.name!r}).in_({keys!r})))"
        ],
    )
    return True


def _update_sql(g: Gen, t: Table, col: Col, pk: int, value: object) -> str:
    pkc = t.col(t.pk[0])
    family = KINDS[col.kind].family
    if family in ("int", "str") and g.flag(0.5):
        sql_value = "NULL" if value is None else repr(value).replace('"', "'")
        if isinstance(value, str):
            sql_value = "'" + value.replace("'", "''") + "'"
        return f'op.execute("UPDATE {t.name} SET {col.name} = {sql_value} WHERE {pkc.name} = {pk}")'
    type_code = g.type_code(col, creating=False)
    return (
        f"op.execute(sa.table({t.name!r}, sa.column({pkc.name!r}), "
        f"sa.column({col.name!r}, {type_code})).update()"
        f".where(sa.column({pkc.name!r}) == {pk}).values({{{col.name!r}: {_lit(value)}}}))"
    )


def op_update(g: Gen) -> bool:
    cands = [t for t in g.mine() if t.rows]
    if not cands:
        return False
    t = g.pick(cands)
    fk_cols = {u for c in t.cons if c.kind == "fk" for u in c.cols}
    cols = [
        c
        for c in t.cols
        if c.uid not in t.pk and c.uid not in fk_cols and KINDS[c.kind].family != "none"
    ]
    if not cols:
        return False
    col = g.pick(cols)
    pk = g.pick(sorted(t.rows))
    old = t.rows[pk].get(col.uid)
    if old == NOW:
        return False
    t.rows[pk][col.uid] = _value(col.kind, pk, True)
    uniq = [c.cols for c in t.cons if c.kind == "uq"] + [i.cols for i in t.idx if i.unique]
    if not all(g.unique_ok(t, u) for u in uniq if col.uid in u):
        t.rows[pk][col.uid] = old
        return False
    g.imports.add("datetime")
    new = t.rows[pk][col.uid]
    g.emit([_update_sql(g, t, col, pk, new)], [_update_sql(g, t, col, pk, old)])
    return True


# -- operations usable inside batch_alter_table as well as on their own --------------


def _call(batch: bool, meth: str, table: str, args: list[str], at: int = 0) -> str:
    """`op.meth(...)` with the table name at position `at`, or `batch_op.meth(...)`."""
    if batch:
        return f"batch_op.{meth}({', '.join(args)})"
    return f"op.{meth}({', '.join([*args[:at], repr(table), *args[at:]])})"


def sub_add_column(g: Gen, t: Table, batch: bool) -> bool:
    col = _new_col(g, adding_to=t)
    t.cols.append(col)
    inline: list[str] = []
    cons: list[Cons] = []
    if not g.sqlite and KINDS[col.kind].family in ("int", "str") and g.flag(0.3):
        # inline constraints in add_column (a known divergence class, issue 11 item 2);
        # MariaDB's ADD COLUMN takes an unnamed column CHECK only
        name = g.fresh("ck_") if g.pg else None
        n = f", name={name!r}" if name else ""
        inline.append(f"sa.CheckConstraint({_check_sql(col)!r}{n})")
        cons.append(Cons("ck", name, name, (col.uid,)))
    targets = [x for x in g.mine() if len(x.pk) == 1]
    if excluded(g.backend, "add_column.self_fk"):
        targets = [x for x in targets if x is not t]
    if not g.sqlite and targets and col.nullable and g.flag(0.2):
        ref = g.pick(targets)
        col.kind = ref.col(ref.pk[0]).kind
        col.default = None
        col.enum = None
        cons = []
        inline = []
        name = g.fresh("fk_") if (g.pg and g.flag(0.5)) or g.backend == "mariadb" else None
        db = name or g.pg_name(t, (col.uid,), "fkey")
        n = f", name={name!r}" if name else ""
        inline.append(f"sa.ForeignKey('{ref.name}.{ref.col(ref.pk[0]).name}'{n})")
        cons.append(Cons("fk", name, db, (col.uid,), ref.uid))
    t.cons.extend(cons)
    for row in t.rows.values():
        row[col.uid] = _default_value(col)
    up = _call(batch, "add_column", t.name, [g.col_code(t, col, creating=False, inline=inline)])
    down = []
    if g.backend == "mariadb":
        down += [
            _call(batch, "drop_constraint", t.name, [repr(c.db_name), 'type_="foreignkey"'], 1)
            for c in cons
            if c.kind == "fk"
        ]
    down.append(_call(batch, "drop_column", t.name, [repr(col.name)]))
    g.emit([up], down)
    return True


def sub_drop_column(g: Gen, t: Table, batch: bool) -> bool:
    cands = [c for c in t.cols if not g.used(t, c.uid)]
    # the inverse adds the column back to the rows there are now, then restores their values
    cands = [c for c in cands if c.nullable or c.default is not None or not t.rows]
    if g.sqlite:
        # the inverse is a plain ADD COLUMN, which SQLite allows only for some columns
        cands = [
            c
            for c in cands
            if (c.nullable or c.default is not None) and c.default not in NON_CONSTANT_DEFAULTS
        ]
    if batch:
        # restoring the values is an op.execute, which cannot run inside the batch block
        cands = [c for c in cands if all(_restores(c, r) is None for r in t.rows.values())]
    if not cands:
        return False
    col = g.pick(cands)
    t.cols.remove(col)
    down = [_call(batch, "add_column", t.name, [g.col_code(t, col, creating=False)])]
    for pk, row in t.rows.items():
        value = _restores(col, row)
        row.pop(col.uid, None)
        if value is not None:
            down.append(_update_sql(g, t, col, pk, value[0]))
            g.imports.add("datetime")
    g.emit([_call(batch, "drop_column", t.name, [repr(col.name)])], down)
    return True


def _restores(col: Col, row: dict[int, object]) -> tuple[object] | None:
    """The value to put back after re-adding `col` to `row`, if the default does not."""
    value = row.get(col.uid)
    if value == _default_value(col) or value == NOW:
        return None
    return (value,)


def _alter_args(g: Gen, col: Col) -> list[str]:
    """The existing_* arguments that describe `col` as it is (MySQL needs them)."""
    args = [f"existing_type={g.type_code(col, creating=False)}"]
    args.append(f"existing_nullable={col.nullable}")
    if col.default is not None:
        args.append(f"existing_server_default={col.default}")
    if col.comment is not None and not g.sqlite:
        args.append(f"existing_comment={col.comment!r}")
    return args


def sub_alter_column(g: Gen, t: Table, batch: bool) -> bool:
    cands = [c for c in t.cols if c.uid not in t.pk]
    if not cands:
        return False
    col = g.pick(cands)
    before = copy.copy(col)
    changes = []
    fk = any(col.uid in c.cols for c in t.cons if c.kind == "fk")
    checked = any(col.uid in c.cols for c in t.cons if c.kind == "ck")
    plain_sqlite = g.sqlite and not batch
    options = ["name"] if plain_sqlite else ["name", "nullable", "type", "default", "comment"]
    if g.sqlite:
        options = [o for o in options if o != "comment"]
    for option in g.draw(st.lists(st.sampled_from(options), min_size=1, max_size=3, unique=True)):
        if option == "name" and not checked and not (batch and g.used(t, col.uid)):
            col.name = g.fresh("c")
            changes.append(f"new_column_name={col.name!r}")
        elif option == "nullable" and not fk:
            if col.nullable and any(r.get(col.uid) is None for r in t.rows.values()):
                continue
            col.nullable = not col.nullable
            changes.append(f"nullable={col.nullable}")
        elif option == "type" and col.kind in RETYPE and not g.used(t, col.uid):
            col.kind = g.pick(RETYPE[col.kind])
            changes.append(f"type_={KINDS[col.kind].code}")
        elif option == "default" and not fk:
            defaults = [d for d in KINDS[col.kind].defaults if d != col.default]
            new = g.pick([None, *defaults]) if col.default is not None else None
            if new is None and col.default is None:
                if not defaults:
                    continue
                new = g.pick(defaults)
            col.default = new
            changes.append(f"server_default={new}")
        elif option == "comment":
            col.comment = g.pick([c for c in (None, *COMMENTS) if c != col.comment])
            changes.append(f"comment={col.comment!r}")
    if not changes:
        return False
    inverse = []
    if col.name != before.name:
        inverse.append(f"new_column_name={before.name!r}")
    if col.nullable != before.nullable:
        inverse.append(f"nullable={before.nullable}")
    if col.kind != before.kind:
        inverse.append(f"type_={KINDS[before.kind].code}")
    if col.default != before.default:
        inverse.append(f"server_default={before.default}")
    if col.comment != before.comment:
        inverse.append(f"comment={before.comment!r}")
    up = _call(
        batch, "alter_column", t.name, [repr(before.name), *changes, *_alter_args(g, before)]
    )
    down = _call(batch, "alter_column", t.name, [repr(col.name), *inverse, *_alter_args(g, col)])
    g.emit([up], [down])
    return True


def _index_cols(g: Gen, t: Table) -> list[Col]:
    cols = [c for c in t.cols if KINDS[c.kind].indexable]
    if g.backend == "mariadb":
        # MariaDB uses an index led by a foreign key's column for that key and then refuses
        # to drop it, so such indexes are neither created nor dropped here
        cols = [c for c in cols if g.fk_ok_on_mariadb(t, c.uid)]
    return cols


def sub_create_index(g: Gen, t: Table, batch: bool) -> bool:
    cols = _index_cols(g, t)
    if not cols:
        return False
    picked = g.draw(st.lists(st.sampled_from(cols), min_size=1, max_size=2, unique_by=id))
    uids = tuple(c.uid for c in picked)
    unique = g.flag(0.3) and g.unique_ok(t, uids)
    idx = Idx(g.fresh("ix_"), uids, unique)
    t.idx.append(idx)
    names = [c.name for c in picked]
    extra = [f"unique={unique}"] if unique or g.flag(0.3) else []
    up = _call(batch, "create_index", t.name, [repr(idx.name), repr(names), *extra], 1)
    down = (
        _call(batch, "drop_index", t.name, [repr(idx.name)])
        if batch
        else (f"op.drop_index({idx.name!r}, table_name={t.name!r})")
    )
    g.emit([up], [down])
    return True


def sub_drop_index(g: Gen, t: Table, batch: bool) -> bool:
    cands = t.idx
    if g.backend == "mariadb":
        cands = [i for i in cands if g.fk_ok_on_mariadb(t, i.cols[0])]
    if not cands:
        return False
    idx = g.pick(cands)
    t.idx.remove(idx)
    names = [t.col(u).name for u in idx.cols]
    up = (
        _call(batch, "drop_index", t.name, [repr(idx.name)])
        if batch
        else (f"op.drop_index({idx.name!r}, table_name={t.name!r})")
    )
    down = _call(
        batch, "create_index", t.name, [repr(idx.name), repr(names), f"unique={idx.unique}"], 1
    )
    g.emit([up], [down])
    return True


def _named(g: Gen, prefix: str) -> str | None:
    """A fresh name, or None (database-named) where the dialect's name is predictable."""
    return None if g.pg and g.flag(0.4) else g.fresh(prefix)


def sub_create_unique(g: Gen, t: Table, batch: bool) -> bool:
    cols = [c for c in _index_cols(g, t) if KINDS[c.kind].family in ("int", "str")]
    if not cols:
        return False
    picked = g.draw(st.lists(st.sampled_from(cols), min_size=1, max_size=2, unique_by=id))
    uids = tuple(c.uid for c in picked)
    # a second unique constraint on the same columns is one too many for SQLite's reflection
    same = [c.cols for c in t.cons if c.kind == "uq"] + [i.cols for i in t.idx if i.unique]
    if not g.unique_ok(t, uids) or any(set(u) == set(uids) for u in same):
        return False
    name = _named(g, "uq_")
    db = name or g.pg_name(t, uids, "key")
    if db is None:
        return False
    t.cons.append(Cons("uq", name, db, uids))
    names = [c.name for c in picked]
    up = _call(batch, "create_unique_constraint", t.name, [repr(name), repr(names)], 1)
    down = _call(batch, "drop_constraint", t.name, [repr(db), 'type_="unique"'], 1)
    g.emit([up], [down])
    return True


def _in_acting_fk(t: Table, uid: int) -> bool:
    """Whether column `uid` is in a foreign key with ON DELETE (MariaDB then refuses CHECKs)."""
    return any(uid in c.cols and c.ondelete for c in t.cons if c.kind == "fk")


def sub_create_check(g: Gen, t: Table, batch: bool) -> bool:
    cols = [c for c in t.cols if _check_sql(c) and c.uid not in t.pk]
    if g.backend == "mariadb":
        cols = [c for c in cols if not _in_acting_fk(t, c.uid)]
    if not cols:
        return False
    col = g.pick(cols)
    name = _named(g, "ck_")
    db = name or g.pg_name(t, (col.uid,), "check")
    if db is None:
        return False
    t.cons.append(Cons("ck", name, db, (col.uid,)))
    up = _call(batch, "create_check_constraint", t.name, [repr(name), repr(_check_sql(col))], 1)
    down = _call(batch, "drop_constraint", t.name, [repr(db), 'type_="check"'], 1)
    g.emit([up], [down])
    return True


def sub_create_fk(g: Gen, t: Table, batch: bool) -> bool:
    targets = [x for x in g.mine() if len(x.pk) == 1]
    if not targets:
        return False
    ref = g.pick(targets)
    kind = ref.col(ref.pk[0]).kind
    cols = [
        c
        for c in t.cols
        if c.kind == kind
        and c.nullable
        and c.default is None  # rows inserted later get NULL, which any key accepts
        and c.uid not in t.pk
        and not any(c.uid in x.cols for x in t.cons if x.kind == "fk")
        and all(r.get(c.uid) is None for r in t.rows.values())
    ]
    if g.backend == "mariadb":
        leading = {i.cols[0] for i in t.idx} | {x.cols[0] for x in t.cons if x.kind == "uq"}
        cols = [c for c in cols if c.uid not in leading]
    added = []
    if cols:
        col = g.pick(cols)
    else:
        # no column fits: add one for the key first, as scripts usually do
        col = Col(g.counter[0] + 1, g.fresh("c"), kind, nullable=True)
        t.cols.append(col)
        for row in t.rows.values():
            row[col.uid] = None
        added = [_call(batch, "add_column", t.name, [g.col_code(t, col, creating=False)])]
    name = _named(g, "fk_")
    db = name or g.pg_name(t, (col.uid,), "fkey") or g.fresh("fk_")
    name = name or (db if db.startswith("fk_") else None)
    od = g.pick([None, "CASCADE"])
    if g.backend == "mariadb" and any(col.uid in x.cols for x in t.cons if x.kind == "ck"):
        od = None  # MariaDB refuses a referential action on a column a CHECK uses
    t.cons.append(Cons("fk", name, db, (col.uid,), ref.uid, od))
    refcol = ref.col(ref.pk[0]).name
    args = [repr(name), repr(ref.name), repr([col.name]), repr([refcol])]
    if od:
        args.append(f"ondelete={od!r}")
    up = _call(batch, "create_foreign_key", t.name, args, 1)
    down = [_call(batch, "drop_constraint", t.name, [repr(db), 'type_="foreignkey"'], 1)]
    if added:
        down.append(_call(batch, "drop_column", t.name, [repr(col.name)]))
    g.emit([*added, up], down)
    return True


def sub_drop_constraint(g: Gen, t: Table, batch: bool) -> bool:
    cands = [c for c in t.cons if c.db_name is not None]
    if g.backend == "mariadb":
        cands = [c for c in cands if c.kind != "uq" or g.fk_ok_on_mariadb(t, c.cols[0])]
    if g.sqlite:
        cands = [c for c in cands if c.name is not None]
    if not cands:
        return False
    c = g.pick(cands)
    if c.kind == "uq" and not g.unique_ok(t, c.cols):
        return False
    t.cons.remove(c)
    type_ = {"uq": "unique", "ck": "check", "fk": "foreignkey"}[c.kind]
    up = _call(batch, "drop_constraint", t.name, [repr(c.db_name), f"type_={type_!r}"], 1)
    names = [t.col(u).name for u in c.cols]
    if c.kind == "uq":
        down = _call(batch, "create_unique_constraint", t.name, [repr(c.db_name), repr(names)], 1)
    elif c.kind == "ck":
        sql = _check_sql(t.col(c.cols[0]))
        down = _call(batch, "create_check_constraint", t.name, [repr(c.db_name), repr(sql)], 1)
    else:
        ref = g.schema.tables.get(c.ref or t.uid, t)
        args = [repr(c.db_name), repr(ref.name), repr(names), repr([ref.col(ref.pk[0]).name])]
        if c.ondelete:
            args.append(f"ondelete={c.ondelete!r}")
        down = _call(batch, "create_foreign_key", t.name, args, 1)
    g.emit([up], [down])
    return True


SubOp = Callable[[Gen, Table, bool], bool]
SUB_OPS: dict[str, SubOp] = {
    "add_column": sub_add_column,
    "drop_column": sub_drop_column,
    "alter_column": sub_alter_column,
    "create_index": sub_create_index,
    "drop_index": sub_drop_index,
    "create_unique_constraint": sub_create_unique,
    "create_check_constraint": sub_create_check,
    "create_foreign_key": sub_create_fk,
    "drop_constraint": sub_drop_constraint,
}
# What SQLite's plain ALTER TABLE can do; everything else goes through batch_alter_table.
SQLITE_PLAIN = ("add_column", "drop_column", "alter_column", "create_index", "drop_index")


def _plain(name: str) -> Callable[[Gen], bool]:
    def run(g: Gen) -> bool:
        if not g.mine():
            return False
        return SUB_OPS[name](g, g.pick(g.mine()), False)

    return run


def op_batch(g: Gen) -> bool:
    """A `batch_alter_table` block of one to three operations on one table."""
    cands = g.mine()
    if g.sqlite:
        # Alembic's recreate leaves unnamed CHECK constraints out, with a warning
        cands = [t for t in cands if not any(c.kind == "ck" and not c.name for c in t.cons)]
    if excluded(g.backend, "batch.function_default"):
        cands = [t for t in cands if not any(c.default in NON_CONSTANT_DEFAULTS for c in t.cols)]
    if not cands:
        return False
    t = g.pick(cands)
    up, down = g.up, g.down
    g.up, g.down = [], []
    names = [n for n in SUB_OPS if not excluded(g.backend, f"batch.{n}")]
    touched: set[str] = set()
    for _ in range(g.draw(st.integers(1, 3))):
        # Alembic's batch resolves every op against the table as it was reflected, so an op
        # may not name a column, index or constraint that an earlier op of the block named
        saved, mark_up, mark_down = copy.deepcopy(t), len(g.up), len(g.down)
        if not SUB_OPS[g.pick(names)](g, t, True):
            continue
        named = set(re.findall(r"'(\w+)'", "\n".join(g.up[mark_up:])))
        if named & touched:
            del g.up[mark_up:], g.down[mark_down:]
            g.schema.tables[t.uid] = t = saved
            continue
        touched |= named
    body_up, body_down = g.up, [line for block in reversed(g.down) for line in block]
    g.up, g.down = up, down
    if not body_up:
        return False
    mode = g.pick(['"auto"', '"auto"', '"always"']) if g.sqlite else '"auto"'
    head = f"with op.batch_alter_table({t.name!r}, recreate={mode}) as batch_op:"
    g.emit([head, *("    " + x for x in body_up)], [head, *("    " + x for x in body_down)])
    return True


def _op_table(backend: str) -> dict[str, Callable[[Gen], bool]]:
    ops: dict[str, Callable[[Gen], bool]] = {
        "create_table": op_create_table,
        "drop_table": op_drop_table,
        "rename_table": op_rename_table,
        "bulk_insert": op_bulk_insert,
        "execute_update": op_update,
        "batch_alter_table": op_batch,
    }
    if backend != "sqlite":  # SQLite keeps no comments
        ops["table_comment"] = op_table_comment
    for name in SUB_OPS:
        if backend != "sqlite" or name in SQLITE_PLAIN:
            ops[name] = _plain(name)
    return {k: v for k, v in ops.items() if not excluded(backend, k)}


# -- revisions and the graph ---------------------------------------------------------


# Drawn twice as often: the ones that make data and cross-table structure for the rest.
WEIGHTED = ("create_table", "bulk_insert", "execute_update", "create_foreign_key")


def _rev_id(n: int, salt: str) -> str:
    return hashlib.sha1(f"{salt}:{n}".encode()).hexdigest()[:12]


def _revision(g: Gen, rev: str, down: tuple[str, ...], *, min_ops: int, max_ops: int) -> Revision:
    g.up, g.down, g.imports, g.new_enums = [], [], set(), set()
    ops = _op_table(g.backend)
    names = sorted(ops) + [n for n in WEIGHTED if n in ops]
    wanted = g.draw(st.integers(min_ops, max_ops))
    attempts = 0
    while len(g.down) < wanted and attempts < 4 * wanted + 4:
        attempts += 1
        name = "create_table" if not g.mine() else g.pick(names)
        ops[name](g)
    down_value = "None" if not down else repr(down[0]) if len(down) == 1 else repr(down)
    header = [
        f'"""generated revision {rev}',
        "",
        f"Revision ID: {rev}",
        f"Revises: {', '.join(down)}",
        "Create Date: 2026-01-01 00:00:00",
        '"""',
    ]
    imports = ["import datetime"] if "datetime" in g.imports else []
    imports += ["", "import sqlalchemy as sa", "from alembic import op"]
    if "postgresql" in g.imports or g.pg:
        imports.append("from sqlalchemy.dialects import postgresql")
    body = [
        *header,
        *imports,
        "",
        f"revision = {rev!r}",
        f"down_revision = {down_value}",
        "branch_labels = None",
        "depends_on = None",
        "",
        "",
        "def upgrade() -> None:",
        *(f"    {x}" for x in g.up or ["pass"]),
        "",
        "",
        "def downgrade() -> None:",
        *(f"    {x}" for block in reversed(g.down) for x in block),
    ]
    if not g.down:
        body.append("    pass")
    return Revision(rev, down, f"{rev}_generated.py", "\n".join(body) + "\n")


@st.composite
def history(draw: Callable[..., Any], backend: str) -> History:
    """A strategy for a valid history of 2-8 revisions on `backend`, merges included."""
    counter = [0]
    salt = str(draw(st.integers(0, 2**16)))
    g = Gen(draw, backend, counter)
    revisions: list[Revision] = []

    def add(down: tuple[str, ...], min_ops: int = 1, max_ops: int = 3) -> str:
        rev = _rev_id(len(revisions), salt)
        revisions.append(_revision(g, rev, down, min_ops=min_ops, max_ops=max_ops))
        return rev

    head = add((), min_ops=1, max_ops=3)
    for _ in range(draw(st.integers(1, 2))):
        head = add((head,))
    if draw(st.booleans()):
        # two lines from one point, each changing only its own tables, then a merge
        base_schema, base_owned, base_enums = g.schema, g.owned, set(g.owned_enums)
        shared = sorted(base_owned)
        split = draw(st.lists(st.booleans(), min_size=len(shared), max_size=len(shared)))
        ends = []
        schemas = []
        for side in (True, False):
            g.schema = copy.deepcopy(base_schema)
            g.owned = {u for u, s in zip(shared, split, strict=True) if s == side}
            g.owned_enums = set(base_enums)
            tip = head
            for _ in range(draw(st.integers(1, 2))):
                tip = add((tip,))
            ends.append(tip)
            schemas.append((g.schema, set(g.owned)))
        merged = copy.deepcopy(base_schema)
        for schema, owned in schemas:
            for u in set(merged.tables) & owned:
                del merged.tables[u]
            for u in owned:
                if u in schema.tables:
                    merged.tables[u] = schema.tables[u]
            merged.enums.update(schema.enums)
        g.schema = merged
        g.owned = set(merged.tables)
        g.owned_enums = set(merged.enums)
        head = add(tuple(ends), min_ops=0, max_ops=2)
    if len(revisions) < 8 and draw(st.booleans()):
        head = add((head,))
    return History(backend, revisions)
