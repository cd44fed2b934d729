"""batch_alter_table in each recreate mode with each op, and its arguments, under both tools."""

# ruff: noqa: E501 (case bodies are migration scripts kept as one readable line each)

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.compat._cases import ALL, PARENT, PARENT_DOWN, Case, params, run_case

pytestmark = pytest.mark.compat

# A table whose every kind of object must survive a recreate with its name.
ITEM = (
    PARENT
    + """
op.create_table(
    "item",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(50), nullable=False, server_default="n"),
    sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("parent.id", name="fk_item_parent", ondelete="CASCADE")),
    sa.Column("note", sa.String(20), comment="a note"),
    sa.CheckConstraint("name <> ''", name="ck_item_name_set"),
    sa.UniqueConstraint("note", name="uq_item_note"),
)
op.create_index("uq_item_name_version", "item", ["name", "version"], unique=True)
op.create_index("ix_item_parent", "item", ["parent_id"])
op.execute("INSERT INTO parent (id, name) VALUES (1, 'p')")
op.execute("INSERT INTO item (id, name, version, parent_id, note) VALUES (1, 'a', 1, 1, 'x')")
"""
)
ITEM_DOWN = 'op.drop_table("item")\n' + PARENT_DOWN

# One batch op (or a few) per entry: (name, body inside `with ... as batch_op:`).
OPS = {
    "add_column": 'batch_op.add_column(sa.Column("extra", sa.String(10), server_default="e"))',
    "add_column_not_null": 'batch_op.add_column(sa.Column("extra", sa.Integer, nullable=False, server_default="3"))',
    "add_column_fk": 'batch_op.add_column(sa.Column("p2", sa.Integer, sa.ForeignKey("parent.id", name="fk_item_p2")))',
    "drop_column": 'batch_op.drop_index("ix_item_parent")\nbatch_op.drop_constraint("fk_item_parent", type_="foreignkey")\nbatch_op.drop_column("parent_id")',
    "alter_type": 'batch_op.alter_column("note", type_=sa.String(80), existing_type=sa.String(20))',
    "alter_nullable": 'batch_op.alter_column("note", nullable=False, existing_type=sa.String(20))',
    "alter_rename": 'batch_op.alter_column("note", new_column_name="remark", existing_type=sa.String(20))',
    "alter_server_default": 'batch_op.alter_column("name", server_default="zz", existing_type=sa.String(50))',
    "alter_drop_default": 'batch_op.alter_column("name", server_default=None, existing_type=sa.String(50), existing_server_default="n")',
    "create_index": 'batch_op.create_index("ix_item_note_name", ["note", "name"])',
    "drop_index": 'batch_op.drop_index("uq_item_name_version")',
    "create_unique": 'batch_op.create_unique_constraint("uq_item_name", ["name"])',
    "drop_unique": 'batch_op.drop_constraint("uq_item_note", type_="unique")',
    "create_fk": 'batch_op.create_foreign_key("fk_item_version", "parent", ["version"], ["id"])',
    "drop_fk": 'batch_op.drop_constraint("fk_item_parent", type_="foreignkey")',
    "create_check": 'batch_op.create_check_constraint("ck_item_version_max", sa.text("version < 1000000"))',
    "drop_check": 'batch_op.drop_constraint("ck_item_name_set", type_="check")',
    "execute": "batch_op.execute(\"UPDATE item SET note = 'y'\")",
    "class4": """
batch_op.add_column(sa.Column("owner_id", sa.Integer))
batch_op.create_foreign_key("fk_item_owner", "parent", ["owner_id"], ["id"])
batch_op.drop_index("uq_item_name_version")
batch_op.drop_column("version")
batch_op.create_index("uq_item_name", ["name"], unique=True)""",
    "class4_drop_column_first": """
batch_op.add_column(sa.Column("owner_id", sa.Integer))
batch_op.create_foreign_key("fk_item_owner", "parent", ["owner_id"], ["id"])
batch_op.drop_column("version")
batch_op.drop_index("uq_item_name_version")
batch_op.create_index("uq_item_name", ["name"], unique=True)""",
}
# Where Alembic's plain ALTERs (recreate="auto" on a server) cannot run the op as written.
AUTO_SQLITE_ONLY = {"class4_drop_column_first"}
# MariaDB needs the FK's index gone before the column (Alembic emits plain ALTERs there).
AUTO_NOT_MARIADB = {"drop_column"}


def _batch(body: str, args: str = "") -> str:
    return f'with op.batch_alter_table("item"{args}) as batch_op:\n' + textwrap.indent(
        textwrap.dedent(body).strip(), "    "
    )


def _mode_cases() -> list[Case]:
    cases = []
    for name, body in OPS.items():
        auto = ("sqlite",) if name in AUTO_SQLITE_ONLY else ALL
        if name in AUTO_NOT_MARIADB:
            auto = ("sqlite", "postgresql")
        cases.append(
            Case(
                f"batch_{name}_auto", _batch(body), setup=ITEM, setup_down=ITEM_DOWN, backends=auto
            )
        )
        cases.append(
            Case(
                f"batch_{name}_always",
                _batch(body, ', recreate="always"'),
                setup=ITEM,
                setup_down=ITEM_DOWN,
                backends=("sqlite", "postgresql"),
            )
        )
    return cases


ARGUMENTS = [
    Case(
        "batch_never_add_column",
        _batch(OPS["add_column"], ', recreate="never"'),
        setup=ITEM,
        setup_down=ITEM_DOWN,
    ),
    Case(
        "batch_two_batches_same_fk_name",
        f"""
{_batch('batch_op.create_foreign_key("fk_item_dup", "parent", ["version"], ["id"])')}
{_batch('batch_op.create_foreign_key("fk_item_dup", "parent", ["version"], ["id"])')}""",
        setup=ITEM,
        setup_down=ITEM_DOWN,
        backends=("sqlite",),
    ),
    Case(
        "batch_reverse_downgrade",
        _batch(OPS["add_column"] + "\n" + OPS["create_index"]),
        _batch('batch_op.drop_index("ix_item_note_name")\nbatch_op.drop_column("extra")'),
        setup=ITEM,
        setup_down=ITEM_DOWN,
    ),
    Case(
        "batch_sqlite_autoincrement_kept",
        """
op.create_table("seq", sa.Column("id", sa.Integer, primary_key=True), sa.Column("a", sa.Integer), sqlite_autoincrement=True)
with op.batch_alter_table("seq", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
    batch_op.add_column(sa.Column("b", sa.Integer))""",
        'op.drop_table("seq")',
        backends=("sqlite",),
    ),
    Case(
        "batch_unnamed_constraints_kept",
        """
op.create_table("u", sa.Column("id", sa.Integer, primary_key=True), sa.Column("a", sa.Integer, sa.ForeignKey("parent.id")), sa.Column("b", sa.String(5), unique=True))
with op.batch_alter_table("u", recreate="always") as batch_op:
    batch_op.add_column(sa.Column("c", sa.Integer))""",
        'op.drop_table("u")',
        backends=("sqlite",),
    ),
    Case(
        "batch_copy_from",
        """
meta = sa.MetaData()
item = sa.Table("item", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(50), nullable=False, server_default="n"), sa.Column("version", sa.Integer, nullable=False, server_default="0"), sa.Column("parent_id", sa.Integer), sa.Column("note", sa.String(20)))
with op.batch_alter_table("item", copy_from=item) as batch_op:
    batch_op.add_column(sa.Column("extra", sa.Integer))""",
        setup=ITEM,
        setup_down=ITEM_DOWN,
        backends=("sqlite",),
    ),
    Case(
        "batch_table_args",
        """
with op.batch_alter_table("item", recreate="always", table_args=(sa.CheckConstraint("id > 0", name="ck_item_id"),)) as batch_op:
    batch_op.add_column(sa.Column("extra", sa.Integer))""",
        setup=ITEM,
        setup_down=ITEM_DOWN,
        backends=("sqlite",),
    ),
    Case(
        "batch_reflect_args",
        """
with op.batch_alter_table("item", recreate="always", reflect_args=[sa.Column("note", sa.Text)]) as batch_op:
    batch_op.add_column(sa.Column("extra", sa.Integer))""",
        setup=ITEM,
        setup_down=ITEM_DOWN,
        backends=("sqlite",),
    ),
    Case(
        "batch_naming_convention_drop_unnamed_fk",
        """
op.create_table("w", sa.Column("id", sa.Integer, primary_key=True), sa.Column("pid", sa.Integer, sa.ForeignKey("parent.id")))
with op.batch_alter_table("w", naming_convention={"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}) as batch_op:
    batch_op.drop_constraint("fk_w_pid_parent", type_="foreignkey")""",
        'op.drop_table("w")',
        backends=("sqlite",),
    ),
    Case(
        "batch_partial_reordering",
        """
with op.batch_alter_table("item", partial_reordering=[("note", "name")]) as batch_op:
    batch_op.add_column(sa.Column("extra", sa.Integer))""",
        setup=ITEM,
        setup_down=ITEM_DOWN,
        backends=("sqlite",),
    ),
    Case(
        "batch_add_column_insert_before",
        """
with op.batch_alter_table("item", recreate="always") as batch_op:
    batch_op.add_column(sa.Column("first", sa.Integer), insert_before="name")
    batch_op.add_column(sa.Column("after", sa.Integer), insert_after="version")""",
        setup=ITEM,
        setup_down=ITEM_DOWN,
        backends=("sqlite",),
    ),
    Case(
        "batch_create_table_comment",
        """
with op.batch_alter_table("item") as batch_op:
    batch_op.create_table_comment("items")""",
        setup=ITEM,
        setup_down=ITEM_DOWN,
        backends=("postgresql", "mariadb"),
    ),
    Case(
        "batch_alter_pk",
        """
op.create_table("k", sa.Column("a", sa.Integer, nullable=False), sa.Column("b", sa.Integer, nullable=False), sa.PrimaryKeyConstraint("a", name="pk_k"))
with op.batch_alter_table("k", recreate="always") as batch_op:
    batch_op.drop_constraint("pk_k", type_="primary")
    batch_op.create_primary_key("pk_k2", ["a", "b"])""",
        'op.drop_table("k")',
        backends=("sqlite", "postgresql"),
    ),
]

CASES = _mode_cases() + ARGUMENTS


@pytest.mark.parametrize(("case", "backend"), params(CASES))
def test_batch_operation(case: Case, backend: str, tmp_path: Path) -> None:
    """The batch leaves the schema Alembic's batch leaves, up and down."""
    run_case(case, backend, tmp_path)
