"""Intended differences from Alembic: one list, each with its reason.

asyncmig may differ from Alembic only where Alembic refuses a script and asyncmig's
success leaves exactly what Alembic leaves for the same change written as a
``batch_alter_table`` (the README's "Alembic compatibility" section lists these).
Each entry gives the plain op (which Alembic refuses on the backend) and the batch form
Alembic needs; ``test_intended.py`` checks both halves: Alembic does refuse the plain
form, and asyncmig's plain form leaves the schema Alembic's batch form leaves.

A second kind, :class:`Keeps`, is a script Alembic runs but where it silently loses
something issue 11 requires to survive (or loses the user's work); asyncmig keeps it.
``test_intended.py`` checks both halves: Alembic's result lacks it (so the entry goes
when Alembic changes), asyncmig's has it and is otherwise what Alembic leaves.
:class:`KeepsOffline` is the same for ``--sql`` text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.compat._cases import PARENT, PARENT_DOWN, Case

_WHY_RECREATE = (
    "SQLite has no ALTER for this; asyncmig recreates the table as batch_alter_table would,"
    " where Alembic raises"
)


@dataclass(frozen=True)
class Intended:
    """A plain op Alembic refuses on `backend`, and the batch form it accepts instead."""

    id: str
    plain: tuple[str, str]  # upgrade, downgrade bodies as written for asyncmig
    batch: tuple[str, str]  # the same change as Alembic needs it written
    reason: str
    backend: str = "sqlite"
    setup: str = PARENT
    setup_down: str = PARENT_DOWN

    def cases(self) -> tuple[Case, Case]:
        """(the plain case, the batch case): the same history but for the step itself."""
        plain = Case(
            self.id,
            *self.plain,
            backends=(self.backend,),
            setup=self.setup,
            setup_down=self.setup_down,
        )
        batch = Case(
            self.id,
            *self.batch,
            backends=(self.backend,),
            setup=self.setup,
            setup_down=self.setup_down,
        )
        return plain, batch


def _batch(table: str, body: str) -> str:
    lines = "\n".join(f"    {line}" for line in body.strip().splitlines())
    return f'with op.batch_alter_table("{table}") as batch_op:\n{lines}'


INTENDED = [
    Intended(
        "sqlite_create_foreign_key",
        (
            'op.create_foreign_key("fk_child_parent", "child", "parent", ["parent_id"], ["id"])',
            'op.drop_constraint("fk_child_parent", "child", type_="foreignkey")',
        ),
        (
            _batch(
                "child",
                'batch_op.create_foreign_key("fk_child_parent", "parent", ["parent_id"], ["id"])',
            ),
            _batch("child", 'batch_op.drop_constraint("fk_child_parent", type_="foreignkey")'),
        ),
        _WHY_RECREATE,
    ),
    Intended(
        "sqlite_create_unique_constraint",
        (
            'op.create_unique_constraint("uq_parent_code", "parent", ["code"])',
            'op.drop_constraint("uq_parent_code", "parent", type_="unique")',
        ),
        (
            _batch("parent", 'batch_op.create_unique_constraint("uq_parent_code", ["code"])'),
            _batch("parent", 'batch_op.drop_constraint("uq_parent_code", type_="unique")'),
        ),
        _WHY_RECREATE,
    ),
    Intended(
        "sqlite_create_check_constraint",
        (
            'op.create_check_constraint("ck_child_qty", "child", "qty >= 0")',
            'op.drop_constraint("ck_child_qty", "child", type_="check")',
        ),
        (
            _batch("child", 'batch_op.create_check_constraint("ck_child_qty", "qty >= 0")'),
            _batch("child", 'batch_op.drop_constraint("ck_child_qty", type_="check")'),
        ),
        _WHY_RECREATE,
    ),
    Intended(
        "sqlite_alter_column_type",
        (
            'op.alter_column("child", "label", type_=sa.String(80), existing_type=sa.String(40))',
            'op.alter_column("child", "label", type_=sa.String(40), existing_type=sa.String(80))',
        ),
        (
            _batch(
                "child",
                'batch_op.alter_column("label", type_=sa.String(80), existing_type=sa.String(40))',
            ),
            _batch(
                "child",
                'batch_op.alter_column("label", type_=sa.String(40), existing_type=sa.String(80))',
            ),
        ),
        _WHY_RECREATE,
    ),
    Intended(
        "sqlite_alter_column_nullable",
        (
            'op.alter_column("parent", "code", nullable=False, existing_type=sa.String(20))',
            'op.alter_column("parent", "code", nullable=True, existing_type=sa.String(20))',
        ),
        (
            _batch(
                "parent",
                'batch_op.alter_column("code", nullable=False, existing_type=sa.String(20))',
            ),
            _batch(
                "parent",
                'batch_op.alter_column("code", nullable=True, existing_type=sa.String(20))',
            ),
        ),
        _WHY_RECREATE,
    ),
    Intended(
        "sqlite_alter_column_server_default",
        (
            'op.alter_column("child", "qty", server_default="5", existing_type=sa.Integer)',
            'op.alter_column("child", "qty", server_default="0", existing_type=sa.Integer)',
        ),
        (
            _batch(
                "child",
                'batch_op.alter_column("qty", server_default="5", existing_type=sa.Integer)',
            ),
            _batch(
                "child",
                'batch_op.alter_column("qty", server_default="0", existing_type=sa.Integer)',
            ),
        ),
        _WHY_RECREATE,
    ),
    Intended(
        "sqlite_drop_indexed_column",
        (
            'op.create_index("ix_child_label", "child", ["label"])\n'
            'op.drop_column("child", "label")',
            'op.add_column("child", sa.Column("label", sa.String(40)))',
        ),
        (
            'op.create_index("ix_child_label", "child", ["label"])\n'
            + _batch(
                "child", 'batch_op.drop_index("ix_child_label")\nbatch_op.drop_column("label")'
            ),
            'op.add_column("child", sa.Column("label", sa.String(40)))',
        ),
        "SQLite's ALTER TABLE DROP COLUMN refuses a column an index uses; asyncmig drops the"
        " index with its column, as a batch that drops both leaves the table",
    ),
    Intended(
        "mariadb_add_column_named_check",
        (
            'op.add_column("child", sa.Column("size", sa.Integer,'
            ' sa.CheckConstraint("size > 0", name="ck_child_size")))',
            'op.drop_column("child", "size")',
        ),
        (
            'op.add_column("child", sa.Column("size", sa.Integer))\n'
            'op.create_check_constraint("ck_child_size", "child", "size > 0")',
            'op.drop_constraint("ck_child_size", "child", type_="check")\n'
            'op.drop_column("child", "size")',
        ),
        "MariaDB rejects a named CHECK inside ADD COLUMN, which Alembic writes; asyncmig adds"
        " the column, then the constraint, as the two-step form Alembic accepts does",
        backend="mariadb",
    ),
]


# ------------------------------------------------------------------ what Alembic loses

Snapshot = dict[str, Any]


@dataclass(frozen=True)
class Keeps:
    """A script Alembic runs, losing something issue 11 requires to survive; asyncmig keeps it.

    `kept` says whether an upgrade snapshot has the thing; `differs` lists the only
    snapshot paths (after upgrade, as :func:`~tests.compat._harness.diff` prints them)
    where the two tools may differ; `sqlite_added`, when set, is the text asyncmig's
    ``CREATE TABLE`` of `sqlite_table` has and Alembic's lacks, so that removing it
    from asyncmig's gives Alembic's exactly.  After downgrade the schemas are equal.
    """

    id: str
    upgrade: str
    downgrade: str
    lost: str  # what Alembic loses, in a few words
    reason: str
    kept: Callable[[Snapshot], bool]
    differs: tuple[str, ...]
    backends: tuple[str, ...] = ("sqlite",)
    sqlite_table: str = ""
    sqlite_added: str = ""

    def case(self) -> Case:
        """The history both tools run (the parent/child setup, then the step)."""
        return Case(self.id, self.upgrade, self.downgrade, backends=self.backends)


def _sqlite_create(snapshot: Snapshot, table: str) -> str:
    return str(snapshot.get("sqlite_master", {}).get(f"table {table}") or "")


def _table_of(snapshot: Snapshot, table: str) -> Snapshot:
    tables: Snapshot = snapshot["schemas"]["<default>"]["tables"]
    return tables.get(table, {})


_WHY_ISSUE = "issue 11: every {what} must survive every recreate; Alembic's batch loses it silently"

KEEPS = [
    Keeps(
        "batch_collation_kept",
        'op.create_table("coll", sa.Column("id", sa.Integer, primary_key=True),'
        ' sa.Column("a", sa.String(10, collation="NOCASE")))\n'
        + _batch("coll", 'batch_op.add_column(sa.Column("b", sa.Integer))').replace(
            '("coll")', '("coll", recreate="always")'
        ),
        'op.drop_table("coll")',
        "the column's COLLATE NOCASE",
        _WHY_ISSUE.format(what="collation"),
        kept=lambda snap: 'COLLATE "NOCASE"' in _sqlite_create(snap, "coll"),
        differs=("sqlite_master.table coll",),
        sqlite_table="coll",
        sqlite_added='COLLATE "NOCASE"',
    ),
    Keeps(
        "batch_unnamed_check_kept",
        'op.create_table("u", sa.Column("id", sa.Integer, primary_key=True),'
        ' sa.Column("a", sa.Integer), sa.CheckConstraint("a > 0"))\n'
        + _batch("u", 'batch_op.add_column(sa.Column("c", sa.Integer))').replace(
            '("u")', '("u", recreate="always")'
        ),
        'op.drop_table("u")',
        "an unnamed CHECK constraint (Alembic warns and omits it)",
        _WHY_ISSUE.format(what="check constraint"),
        kept=lambda snap: any(
            check.get("sqltext") == "a > 0"
            for check in _table_of(snap, "u").get("check", {}).values()
        ),
        differs=(
            "schemas.<default>.tables.u.check.<unnamed {'sqltext': 'a > 0'}>",
            "sqlite_master.table u",
        ),
        sqlite_table="u",
        sqlite_added="CHECK(a > 0),",
    ),
    Keeps(
        "batch_sqlite_autoincrement_kept_without_table_kwargs",
        'op.create_table("seq", sa.Column("id", sa.Integer, primary_key=True),'
        ' sa.Column("a", sa.Integer), sqlite_autoincrement=True)\n'
        + _batch("seq", 'batch_op.add_column(sa.Column("b", sa.Integer))').replace(
            '("seq")', '("seq", recreate="always")'
        ),
        'op.drop_table("seq")',
        "AUTOINCREMENT (sqlite_autoincrement=True) unless table_kwargs restates it",
        _WHY_ISSUE.format(what="sqlite_autoincrement"),
        # AUTOINCREMENT moves the primary key inline, so the CREATE text differs in
        # more than one word; the columns and constraints reflected must still agree
        kept=lambda snap: "AUTOINCREMENT" in _sqlite_create(snap, "seq"),
        differs=("sqlite_master.table seq",),
    ),
    Keeps(
        "get_bind_commit_in_step",
        """
op.execute("INSERT INTO parent (id, name) VALUES (1, 'a')")
op.get_bind().commit()
op.execute("INSERT INTO parent (id, name) VALUES (2, 'b')")""",
        'op.execute("DELETE FROM parent")',
        "every statement after the commit, and its own version row",
        "after get_bind().commit() Alembic's autobegun transaction is never committed, so"
        " the user's later statements and the version row vanish at the end of the run;"
        " asyncmig commits them",
        kept=lambda snap: snap["version"] == ["c1"] and _table_of(snap, "parent").get("rows") == 2,
        differs=("schemas.<default>.tables.parent.rows", "version"),
        backends=("sqlite", "postgresql", "mariadb"),
    ),
]


@dataclass(frozen=True)
class KeepsOffline:
    """An offline (--sql) case whose Alembic text is not what the script says; asyncmig's is.

    asyncmig's statements equal Alembic's once `alembic_text` is replaced by `ours`.
    """

    case_id: str  # a per-operation case that test_offline.py would otherwise compare
    alembic_text: str
    ours: str
    reason: str


KEEPS_OFFLINE = [
    KeepsOffline(
        "column_comment_quotes",
        "%%",
        "%",
        "Alembic's --sql prints a % in a comment as %% (the driver's pyformat escaping),"
        " which is not the comment's text; asyncmig prints the comment as written",
    ),
]
