"""create_table / drop_table / rename_table and table comments, under both tools."""

# ruff: noqa: E501 (case bodies are migration scripts kept as one readable line each)

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compat._cases import ALL, PG, SERVERS, Case, params, run_case

pytestmark = pytest.mark.compat

NO_SETUP = {"setup": None, "setup_down": ""}


def _table(name: str, *extra: str) -> str:
    columns = ",\n    ".join(extra)
    return f'op.create_table(\n    "{name}",\n    sa.Column("id", sa.Integer, primary_key=True),\n    {columns},\n)'


CASES = [
    Case(
        "create_table_plain",
        'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))',
        'op.drop_table("t")',
        **NO_SETUP,
    ),
    Case(
        "create_table_types",
        _table(
            "t",
            'sa.Column("a", sa.String(30))',
            'sa.Column("b", sa.Text)',
            'sa.Column("c", sa.Boolean)',
            'sa.Column("d", sa.DateTime)',
            'sa.Column("e", sa.Date)',
            'sa.Column("f", sa.Numeric(10, 2))',
            'sa.Column("g", sa.Float)',
            'sa.Column("h", sa.BigInteger)',
            'sa.Column("i", sa.LargeBinary)',
            'sa.Column("j", sa.Time)',
            'sa.Column("k", sa.JSON)',
            'sa.Column("l", sa.SmallInteger)',
            'sa.Column("m", sa.DateTime(timezone=True))',
            'sa.Column("n", sa.Uuid)',
            'sa.Column("o", sa.Interval)',
            'sa.Column("p", sa.Unicode(10))',
        ),
        'op.drop_table("t")',
        **NO_SETUP,
    ),
    Case(
        "create_table_nullable_default_comment",
        _table(
            "t",
            'sa.Column("a", sa.String(30), nullable=False, server_default="x", comment="col a")',
        ),
        'op.drop_table("t")',
        **NO_SETUP,
    ),
    Case(
        "create_table_pk_named",
        """
op.create_table(
    "t",
    sa.Column("a", sa.Integer, nullable=False),
    sa.Column("b", sa.Integer, nullable=False),
    sa.PrimaryKeyConstraint("a", "b", name="t_pk"),
)""",
        'op.drop_table("t")',
        **NO_SETUP,
    ),
    Case(
        "create_table_pk_unnamed_composite",
        """
op.create_table(
    "t",
    sa.Column("a", sa.Integer, nullable=False),
    sa.Column("b", sa.String(10), nullable=False),
    sa.PrimaryKeyConstraint("a", "b"),
)""",
        'op.drop_table("t")',
        **NO_SETUP,
    ),
    Case(
        "create_table_unique_inline_column",
        _table("t", 'sa.Column("a", sa.String(30), unique=True)'),
        'op.drop_table("t")',
        **NO_SETUP,
    ),
    Case(
        "create_table_unique_named",
        _table(
            "t",
            'sa.Column("a", sa.String(30))',
            'sa.Column("b", sa.Integer)',
            'sa.UniqueConstraint("a", "b", name="uq_t_ab")',
        ),
        'op.drop_table("t")',
        **NO_SETUP,
    ),
    Case(
        "create_table_unique_unnamed",
        _table("t", 'sa.Column("a", sa.String(30))', 'sa.UniqueConstraint("a")'),
        'op.drop_table("t")',
        **NO_SETUP,
    ),
    Case(
        "create_table_index_inline_column",
        _table("t", 'sa.Column("a", sa.String(30), index=True)'),
        'op.drop_table("t")',
        **NO_SETUP,
    ),
    Case(
        "create_table_index_object",
        _table("t", 'sa.Column("a", sa.String(30))', 'sa.Index("ix_t_a_named", "a", unique=True)'),
        'op.drop_table("t")',
        **NO_SETUP,
    ),
    Case(
        "create_table_check_named",
        _table("t", 'sa.Column("a", sa.Integer)', 'sa.CheckConstraint("a > 0", name="ck_t_a_pos")'),
        'op.drop_table("t")',
        **NO_SETUP,
    ),
    Case(
        "create_table_check_unnamed",
        _table("t", 'sa.Column("a", sa.Integer)', 'sa.CheckConstraint("a > 0")'),
        'op.drop_table("t")',
        **NO_SETUP,
    ),
    Case(
        "create_table_check_in_column",
        _table("t", 'sa.Column("a", sa.Integer, sa.CheckConstraint("a < 100", name="ck_col_a"))'),
        'op.drop_table("t")',
        backends=("sqlite", "postgresql"),
        **NO_SETUP,
    ),
    Case(
        "create_table_fk_unnamed",
        _table("t2", 'sa.Column("pid", sa.Integer, sa.ForeignKey("parent.id"))'),
        'op.drop_table("t2")',
    ),
    Case(
        "create_table_fk_named_options",
        _table(
            "t2",
            'sa.Column("pid", sa.Integer)',
            'sa.ForeignKeyConstraint(["pid"], ["parent.id"], name="fk_t2_parent", ondelete="CASCADE",'
            ' onupdate="SET NULL")',
        ),
        'op.drop_table("t2")',
    ),
    Case(
        "create_table_fk_deferrable",
        _table(
            "t2",
            'sa.Column("pid", sa.Integer)',
            'sa.ForeignKeyConstraint(["pid"], ["parent.id"], name="fk_t2_def", deferrable=True,'
            ' initially="DEFERRED")',
        ),
        'op.drop_table("t2")',
        backends=("sqlite", "postgresql"),
    ),
    Case(
        "create_table_fk_self",
        _table("node", 'sa.Column("up", sa.Integer, sa.ForeignKey("node.id", name="fk_node_up"))'),
        'op.drop_table("node")',
        **NO_SETUP,
    ),
    Case(
        "create_table_fk_column_named",
        _table(
            "t2", 'sa.Column("pid", sa.Integer, sa.ForeignKey("parent.id", name="fk_col_named"))'
        ),
        'op.drop_table("t2")',
    ),
    Case(
        "create_table_autoincrement_false",
        """
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True, autoincrement=False))""",
        'op.drop_table("t")',
        **NO_SETUP,
    ),
    Case(
        "create_table_identity",
        """
op.create_table("t", sa.Column("id", sa.Integer, sa.Identity(start=5, increment=2), primary_key=True))""",
        'op.drop_table("t")',
        backends=PG,
        **NO_SETUP,
    ),
    Case(
        "create_table_computed",
        _table(
            "t", 'sa.Column("a", sa.Integer)', 'sa.Column("b", sa.Integer, sa.Computed("a * 2"))'
        ),
        'op.drop_table("t")',
        backends=("sqlite", "mariadb"),
        **NO_SETUP,
    ),
    Case(
        "create_table_computed_persisted",
        _table(
            "t",
            'sa.Column("a", sa.Integer)',
            'sa.Column("b", sa.Integer, sa.Computed("a + 1", persisted=True))',
        ),
        'op.drop_table("t")',
        **NO_SETUP,
    ),
    Case(
        "create_table_comment",
        """
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), comment="the t table")""",
        'op.drop_table("t")',
        backends=SERVERS,
        **NO_SETUP,
    ),
    Case(
        "create_table_sqlite_autoincrement",
        """
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sqlite_autoincrement=True)""",
        'op.drop_table("t")',
        backends=("sqlite",),
        **NO_SETUP,
    ),
    Case(
        "create_table_mysql_engine_charset",
        """
op.create_table(
    "t",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("a", sa.String(20, collation="utf8mb4_bin")),
    mysql_engine="InnoDB",
    mysql_charset="utf8mb4",
)""",
        'op.drop_table("t")',
        backends=("mariadb",),
        **NO_SETUP,
    ),
    Case(
        "create_table_pg_array_jsonb",
        _table(
            "t",
            'sa.Column("a", postgresql.ARRAY(sa.Integer))',
            'sa.Column("b", postgresql.JSONB)',
            'sa.Column("c", postgresql.TSVECTOR)',
            'sa.Column("d", postgresql.INET)',
        ),
        'op.drop_table("t")',
        backends=PG,
        **NO_SETUP,
    ),
    Case(
        "create_table_returns_table_for_bulk_insert",
        """
t = op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("a", sa.String(5)))
op.bulk_insert(t, [{"id": 1, "a": "x"}, {"id": 2, "a": "y"}])""",
        'op.drop_table("t")',
        **NO_SETUP,
    ),
    Case(
        "create_table_if_not_exists",
        """
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), if_not_exists=True)""",
        'op.drop_table("t", if_exists=True)\nop.drop_table("t", if_exists=True)',
        **NO_SETUP,
    ),
    Case(
        "create_table_schema",
        """
op.execute("CREATE SCHEMA other")
op.create_table(
    "t",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("pid", sa.Integer, sa.ForeignKey("public.parent.id")),
    sa.Column("a", sa.String(10), index=True, unique=True),
    schema="other",
)""",
        'op.drop_table("t", schema="other")\nop.execute("DROP SCHEMA other")',
        backends=PG,
    ),
    Case(
        "drop_table",
        'op.drop_table("child")',
        """
op.create_table("child", sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("parent_id", sa.Integer), sa.Column("label", sa.String(40)),
                sa.Column("qty", sa.Integer, server_default="0"))""",
    ),
    Case(
        "drop_table_with_fk_and_index",
        """
op.create_table("t2", sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("pid", sa.Integer, sa.ForeignKey("parent.id"), index=True))
op.drop_table("t2")""",
        "pass",
    ),
    Case("rename_table", 'op.rename_table("child", "kid")', 'op.rename_table("kid", "child")'),
    Case(
        "rename_table_with_fk_index",
        """
op.create_index("ix_child_label", "child", ["label"])
op.rename_table("child", "kid")""",
        """
op.rename_table("kid", "child")
op.drop_index("ix_child_label", table_name="child")""",
    ),
    Case(
        "rename_table_schema",
        """
op.execute("CREATE SCHEMA other")
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), schema="other")
op.rename_table("t", "t_new", schema="other")""",
        """
op.drop_table("t_new", schema="other")
op.execute("DROP SCHEMA other")""",
        backends=PG,
    ),
    Case(
        "create_table_comment_op",
        'op.create_table_comment("parent", "parents here")',
        'op.drop_table_comment("parent", existing_comment="parents here")',
        backends=SERVERS,
    ),
    Case(
        "create_table_comment_replace",
        """
op.create_table_comment("parent", "first")
op.create_table_comment("parent", "second", existing_comment="first")""",
        'op.drop_table_comment("parent")',
        backends=SERVERS,
    ),
    Case(
        "column_comment_quotes",
        _table("t", """sa.Column("a", sa.Integer, comment="it's 100% \\"q\\"")"""),
        'op.drop_table("t")',
        backends=SERVERS,
        **NO_SETUP,
    ),
]

assert {backend for case in CASES for backend in case.backends} <= set(ALL)


@pytest.mark.parametrize(("case", "backend"), params(CASES))
def test_table_operation(case: Case, backend: str, tmp_path: Path) -> None:
    """The table op leaves the schema Alembic leaves, after upgrade and after downgrade."""
    run_case(case, backend, tmp_path)
