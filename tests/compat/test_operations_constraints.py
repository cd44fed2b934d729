"""Indexes and constraints (create/drop, named and unnamed, dialect options), under both tools."""

# ruff: noqa: E501 (case bodies are migration scripts kept as one readable line each)

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compat._cases import ALL, PG, SERVERS, Case, params, run_case

pytestmark = pytest.mark.compat

# The name each database gives an unnamed constraint, chosen at run time like a real script does.
PG_OR_MARIADB = 'op.get_bind().dialect.name == "postgresql"'

INDEXES = [
    Case(
        "create_index_plain",
        'op.create_index("ix_child_label", "child", ["label"])',
        'op.drop_index("ix_child_label", table_name="child")',
    ),
    Case(
        "create_index_unique",
        'op.create_index("uix_parent_name", "parent", ["name"], unique=True)',
        'op.drop_index("uix_parent_name", table_name="parent")',
    ),
    Case(
        "create_index_multi_column",
        'op.create_index("ix_child_pl", "child", ["parent_id", "label"])',
        'op.drop_index("ix_child_pl", table_name="child")',
    ),
    Case(
        "create_index_op_f",
        'op.create_index(op.f("ix_child_qty"), "child", ["qty"])',
        'op.drop_index(op.f("ix_child_qty"), table_name="child")',
    ),
    Case(
        "create_index_expression",
        'op.create_index("ix_parent_lower", "parent", [sa.text("lower(name)")])',
        'op.drop_index("ix_parent_lower", table_name="parent")',
        backends=("sqlite", "postgresql"),
    ),
    Case(
        "create_index_expression_func",
        'op.create_index("ix_parent_lower_f", "parent", [sa.func.lower(sa.column("name"))])',
        'op.drop_index("ix_parent_lower_f", table_name="parent")',
        backends=("sqlite", "postgresql"),
    ),
    Case(
        "create_index_pg_where",
        'op.create_index("ix_child_part", "child", ["label"], postgresql_where=sa.text("qty > 0"))',
        'op.drop_index("ix_child_part", table_name="child")',
        backends=PG,
    ),
    Case(
        "create_index_sqlite_where",
        'op.create_index("ix_child_part", "child", ["label"], sqlite_where=sa.text("qty > 0"))',
        'op.drop_index("ix_child_part", table_name="child")',
        backends=("sqlite",),
    ),
    Case(
        "create_index_pg_using",
        'op.create_index("ix_parent_hash", "parent", ["name"], postgresql_using="hash")',
        'op.drop_index("ix_parent_hash", table_name="parent")',
        backends=PG,
    ),
    Case(
        "create_index_pg_include",
        'op.create_index("ix_child_inc", "child", ["label"], postgresql_include=["qty"])',
        'op.drop_index("ix_child_inc", table_name="child")',
        backends=PG,
    ),
    Case(
        "create_index_pg_ops",
        'op.create_index("ix_parent_ops", "parent", ["name"], '
        'postgresql_ops={"name": "text_pattern_ops"})',
        'op.drop_index("ix_parent_ops", table_name="parent")',
        backends=PG,
    ),
    Case(
        "create_index_mysql_length",
        'op.create_index("ix_parent_len", "parent", ["name"], mysql_length={"name": 10})',
        'op.drop_index("ix_parent_len", table_name="parent")',
        backends=("mariadb",),
    ),
    Case(
        "create_index_concurrently",
        """
with op.get_context().autocommit_block():
    op.create_index("ix_child_conc", "child", ["label"], postgresql_concurrently=True)""",
        """
with op.get_context().autocommit_block():
    op.drop_index("ix_child_conc", table_name="child", postgresql_concurrently=True)""",
        backends=PG,
    ),
    Case(
        "create_index_if_not_exists",
        """
op.create_index("ix_child_label", "child", ["label"])
op.create_index("ix_child_label", "child", ["label"], if_not_exists=True)""",
        """
op.drop_index("ix_child_label", table_name="child", if_exists=True)
op.drop_index("ix_child_label", table_name="child", if_exists=True)""",
        backends=("sqlite", "postgresql"),
    ),
    Case(
        "create_index_schema",
        """
op.execute("CREATE SCHEMA other")
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("a", sa.Integer),
                schema="other")
op.create_index("ix_other_t_a", "t", ["a"], schema="other")""",
        """
op.drop_index("ix_other_t_a", table_name="t", schema="other")
op.drop_table("t", schema="other")
op.execute("DROP SCHEMA other")""",
        backends=PG,
    ),
    Case(
        "drop_index_then_recreate",
        """
op.create_index("ix_child_label", "child", ["label"])
op.drop_index("ix_child_label", table_name="child")
op.create_index("ix_child_label", "child", ["label", "qty"], unique=True)""",
        'op.drop_index("ix_child_label", table_name="child")',
    ),
]

INDEXES += [
    Case(
        "create_index_desc",
        'op.create_index("ix_child_qty_desc", "child", [sa.text("qty DESC")])',
        'op.drop_index("ix_child_qty_desc", table_name="child")',
    ),
    Case(
        "create_table_inline_partial_index",
        """
op.create_table(
    "t",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("a", sa.Integer),
    sa.Index("ix_t_a_part", "a", postgresql_where=sa.text("a > 1"), sqlite_where=sa.text("a > 1")),
)""",
        'op.drop_table("t")',
        backends=("sqlite", "postgresql"),
    ),
    Case(
        "create_table_inline_expression_index",
        """
op.create_table(
    "t",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("a", sa.String(10)),
    sa.Index("ix_t_lower_a", sa.text("lower(a)")),
)""",
        'op.drop_table("t")',
        backends=("sqlite", "postgresql"),
    ),
    Case(
        "drop_index_if_exists",
        'op.drop_index("ix_nothing", table_name="child", if_exists=True)',
        backends=("sqlite", "postgresql"),
    ),
]

CONSTRAINTS = [
    Case(
        "create_unique_named",
        'op.create_unique_constraint("uq_parent_code", "parent", ["code"])',
        'op.drop_constraint("uq_parent_code", "parent", type_="unique")',
        backends=SERVERS,
    ),
    Case(
        "create_unique_unnamed",
        'op.create_unique_constraint(None, "parent", ["code"])',
        f'op.drop_constraint("parent_code_key" if {PG_OR_MARIADB} else "code", "parent", type_="unique")',
        backends=SERVERS,
    ),
    Case(
        "create_unique_multi",
        'op.create_unique_constraint("uq_parent_nc", "parent", ["name", "code"])',
        'op.drop_constraint("uq_parent_nc", "parent", type_="unique")',
        backends=SERVERS,
    ),
    Case(
        "create_unique_deferrable",
        'op.create_unique_constraint("uq_parent_def", "parent", ["code"], '
        'deferrable=True, initially="DEFERRED")',
        'op.drop_constraint("uq_parent_def", "parent", type_="unique")',
        backends=PG,
    ),
    Case(
        "create_fk_named",
        'op.create_foreign_key("fk_child_parent", "child", "parent", ["parent_id"], ["id"])',
        'op.drop_constraint("fk_child_parent", "child", type_="foreignkey")',
        backends=SERVERS,
    ),
    Case(
        "create_fk_unnamed",
        'op.create_foreign_key(None, "child", "parent", ["parent_id"], ["id"])',
        f'op.drop_constraint("child_parent_id_fkey" if {PG_OR_MARIADB} else "child_ibfk_1", "child", '
        'type_="foreignkey")',
        backends=SERVERS,
    ),
    Case(
        "create_fk_options",
        'op.create_foreign_key("fk_child_parent_o", "child", "parent", ["parent_id"], '
        '["id"], ondelete="CASCADE", onupdate="RESTRICT")',
        'op.drop_constraint("fk_child_parent_o", "child", type_="foreignkey")',
        backends=SERVERS,
    ),
    Case(
        "create_fk_deferrable",
        'op.create_foreign_key("fk_child_parent_d", "child", "parent", '
        '["parent_id"], ["id"], deferrable=True, initially="DEFERRED")',
        'op.drop_constraint("fk_child_parent_d", "child", type_="foreignkey")',
        backends=PG,
    ),
    Case(
        "create_fk_match_full",
        'op.create_foreign_key("fk_child_parent_m", "child", "parent", '
        '["parent_id"], ["id"], match="FULL")',
        'op.drop_constraint("fk_child_parent_m", "child", type_="foreignkey")',
        backends=PG,
    ),
    Case(
        "create_fk_schema",
        """
op.execute("CREATE SCHEMA other")
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("pid", sa.Integer),
                schema="other")
op.create_foreign_key("fk_other_t", "t", "parent", ["pid"], ["id"], source_schema="other",
                      referent_schema="public")""",
        """
op.drop_constraint("fk_other_t", "t", schema="other", type_="foreignkey")
op.drop_table("t", schema="other")
op.execute("DROP SCHEMA other")""",
        backends=PG,
    ),
    Case(
        "create_check_named",
        'op.create_check_constraint("ck_child_qty", "child", "qty >= 0")',
        'op.drop_constraint("ck_child_qty", "child", type_="check")',
        backends=SERVERS,
    ),
    Case(
        "create_check_unnamed",
        'op.create_check_constraint(None, "child", sa.column("qty") >= 0)',
        'op.drop_constraint("child_qty_check" if '
        + PG_OR_MARIADB
        + ' else "CONSTRAINT_1", "child", '
        'type_="check")',
        backends=SERVERS,
    ),
    Case(
        "create_check_expression",
        'op.create_check_constraint("ck_child_expr", "child", '
        'sa.and_(sa.column("qty") >= 0, sa.column("qty") < 1000))',
        'op.drop_constraint("ck_child_expr", "child", type_="check")',
        backends=SERVERS,
    ),
    Case(
        "create_primary_key",
        """
op.create_table("t", sa.Column("a", sa.Integer, nullable=False), sa.Column("b", sa.Integer, nullable=False))
op.create_primary_key("pk_t", "t", ["a", "b"])""",
        'op.drop_table("t")',
        backends=SERVERS,
    ),
    Case(
        "create_primary_key_unnamed",
        """
op.create_table("t", sa.Column("a", sa.Integer, nullable=False))
op.create_primary_key(None, "t", ["a"])""",
        'op.drop_table("t")',
        backends=SERVERS,
    ),
    Case(
        "drop_primary_key",
        """
op.create_table("t", sa.Column("a", sa.Integer, nullable=False), sa.PrimaryKeyConstraint("a", name="pk_t2"))
op.drop_constraint("pk_t2", "t", type_="primary")""",
        'op.drop_table("t")',
        backends=PG,
    ),
    Case(
        "drop_constraint_if_exists",
        """
op.drop_constraint("no_such_constraint", "child", type_="unique", if_exists=True)""",
        backends=PG,
    ),
    Case(
        "create_exclude_constraint",
        """
op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
op.create_exclude_constraint("ex_child_label", "child", ("label", "="), using="gist")""",
        """
op.drop_constraint("ex_child_label", "child")
op.execute("DROP EXTENSION btree_gist")""",
        backends=PG,
    ),
    Case(
        "constraint_naming_op_f",
        'op.create_unique_constraint(op.f("uq_child_label"), "child", ["label"])',
        'op.drop_constraint(op.f("uq_child_label"), "child", type_="unique")',
        backends=SERVERS,
    ),
]

CASES = INDEXES + CONSTRAINTS
assert {backend for case in CASES for backend in case.backends} <= set(ALL)


@pytest.mark.parametrize(("case", "backend"), params(CASES))
def test_constraint_operation(case: Case, backend: str, tmp_path: Path) -> None:
    """The index or constraint op leaves the schema Alembic leaves, up and down."""
    run_case(case, backend, tmp_path)
