"""add_column / drop_column / alter_column with their options, under both tools."""

# ruff: noqa: E501 (case bodies are migration scripts kept as one readable line each)

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compat._cases import PG, SERVERS, Case, params, run_case

pytestmark = pytest.mark.compat

SQLITE_PG = ("sqlite", "postgresql")


UNNAMED_FK = '"child_extra_fkey" if op.get_bind().dialect.name == "postgresql" else "child_ibfk_1"'


def _add(
    column: str, backends: tuple[str, ...] | None = None, name: str = "", fk: str | None = None
) -> Case:
    """add_column of `column` (named "extra") to child; downgrade drops what it made."""
    down = []
    if "index=True" in column:
        down.append('op.drop_index("ix_child_extra", table_name="child")')
    if fk is not None:
        down.append(f'op.drop_constraint({fk}, "child", type_="foreignkey")')
    down.append('op.drop_column("child", "extra")')
    kwargs = {} if backends is None else {"backends": backends}
    return Case(
        "add_column_" + name, f'op.add_column("child", {column})', "\n".join(down), **kwargs
    )


ADD_COLUMN = [
    _add('sa.Column("extra", sa.String(20))', name="plain"),
    _add(
        'sa.Column("extra", sa.Integer, nullable=False, server_default="7")',
        name="not_null_default",
    ),
    _add(
        'sa.Column("extra", sa.String(20), server_default=sa.text("\'abc\'"))', name="default_text"
    ),
    _add(
        'sa.Column("extra", sa.DateTime, server_default=sa.func.now())',
        name="default_now",
        backends=SERVERS,
    ),
    _add(
        'sa.Column("extra", sa.DateTime, server_default=sa.text("CURRENT_TIMESTAMP"))',
        name="default_current_timestamp",
    ),
    _add(
        'sa.Column("extra", sa.Boolean, server_default=sa.false(), nullable=False)',
        name="default_false",
    ),
    _add('sa.Column("extra", sa.String(20), comment="an extra")', name="comment", backends=SERVERS),
    _add('sa.Column("extra", sa.String(20), unique=True)', name="unique", backends=SERVERS),
    _add('sa.Column("extra", sa.String(20), index=True)', name="index"),
    _add('sa.Column("extra", sa.String(20), index=True, unique=True)', name="index_unique"),
    _add(
        'sa.Column("extra", sa.Integer, sa.ForeignKey("parent.id"))',
        name="fk_unnamed",
        fk=UNNAMED_FK,
        backends=SERVERS,
    ),
    _add(
        'sa.Column("extra", sa.Integer, sa.ForeignKey("parent.id", name="fk_child_extra"))',
        name="fk_named",
        fk='"fk_child_extra"',
        backends=SERVERS,
    ),
    _add(
        'sa.Column("extra", sa.Integer, sa.ForeignKey("parent.id", name="fk_child_extra_c", '
        'ondelete="CASCADE"))',
        name="fk_ondelete",
        fk='"fk_child_extra_c"',
        backends=SERVERS,
    ),
    _add(
        'sa.Column("extra", sa.Integer, sa.CheckConstraint("extra > 0", name="ck_child_extra"))',
        name="check_named",
        backends=SQLITE_PG,
    ),
    _add(
        'sa.Column("extra", sa.Integer, sa.CheckConstraint("extra > 0"))',
        name="check_unnamed",
        backends=SQLITE_PG,
    ),
    _add(
        'sa.Column("extra", postgresql.JSONB, sa.CheckConstraint("jsonb_typeof(extra) = \'object\'",'
        ' name="child_flat_extra"))',
        name="check_jsonb",
        backends=PG,
    ),
    _add('sa.Column("extra", sa.Integer, sa.Identity())', name="identity", backends=PG),
    _add(
        'sa.Column("extra", sa.Integer, sa.Computed("qty * 2", persisted=True))',
        name="computed",
        backends=SERVERS,
    ),
    _add(
        'sa.Column("extra", sa.Integer, sa.Computed("qty * 2"))',
        name="computed_virtual",
        backends=("sqlite", "mariadb"),
    ),
    _add('sa.Column("extra", sa.BigInteger, autoincrement=False)', name="autoincrement_false"),
    _add(
        'sa.Column("extra", sa.Numeric(8, 3), nullable=True, server_default="1.5")',
        name="numeric_default",
    ),
    _add(
        'sa.Column("extra", sa.Enum("a", "b", name="extra_kind"))',
        name="enum",
        backends=("sqlite", "mariadb"),
    ),
    Case(
        "add_column_enum_pg",
        """
sa.Enum("a", "b", name="extra_kind").create(op.get_bind())
op.add_column("child", sa.Column("extra", sa.Enum("a", "b", name="extra_kind")))""",
        """
op.drop_column("child", "extra")
sa.Enum(name="extra_kind").drop(op.get_bind())""",
        backends=PG,
    ),
    Case(
        "add_column_schema",
        """
op.execute("CREATE SCHEMA other")
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), schema="other")
op.add_column("t", sa.Column("x", sa.String(5), unique=True, index=True), schema="other")""",
        """
op.drop_table("t", schema="other")
op.execute("DROP SCHEMA other")""",
        backends=PG,
    ),
    Case(
        "add_column_if_not_exists",
        """
op.add_column("child", sa.Column("extra", sa.Integer))
op.add_column("child", sa.Column("extra", sa.Integer), if_not_exists=True)""",
        'op.drop_column("child", "extra", if_exists=True)',
        backends=PG,
    ),
    Case(
        "add_column_many",
        """
op.add_column("child", sa.Column("e1", sa.Integer))
op.add_column("child", sa.Column("e2", sa.String(5), server_default="z"))
op.add_column("child", sa.Column("e3", sa.Text, nullable=True))""",
        """
op.drop_column("child", "e3")
op.drop_column("child", "e2")
op.drop_column("child", "e1")""",
    ),
]

DROP_COLUMN = [
    Case(
        "drop_column_plain",
        'op.drop_column("child", "label")',
        'op.add_column("child", sa.Column("label", sa.String(40)))',
    ),
    Case(
        "drop_column_with_default",
        'op.drop_column("child", "qty")',
        'op.add_column("child", sa.Column("qty", sa.Integer, server_default="0"))',
    ),
    Case(
        "drop_column_indexed",
        """
op.create_index("ix_child_label", "child", ["label"])
op.drop_index("ix_child_label", table_name="child")
op.drop_column("child", "label")""",
        'op.add_column("child", sa.Column("label", sa.String(40)))',
    ),
    Case(
        "drop_column_with_fk",
        """
op.create_foreign_key("fk_child_parent", "child", "parent", ["parent_id"], ["id"])
op.drop_constraint("fk_child_parent", "child", type_="foreignkey")
op.drop_column("child", "parent_id")""",
        'op.add_column("child", sa.Column("parent_id", sa.Integer))',
        backends=SERVERS,
    ),
    Case(
        "drop_column_mssql_kw_ignored",
        'op.drop_column("child", "label", mssql_drop_default=True)',
        'op.add_column("child", sa.Column("label", sa.String(40)))',
        backends=SERVERS,
    ),
]


def _alter(name: str, upgrade: str, downgrade: str, backends: tuple[str, ...] = SERVERS) -> Case:
    return Case("alter_column_" + name, upgrade, downgrade, backends=backends)


ALTER_COLUMN = [
    _alter(
        "nullable",
        'op.alter_column("child", "label", existing_type=sa.String(40), nullable=False)',
        'op.alter_column("child", "label", existing_type=sa.String(40), nullable=True)',
    ),
    _alter(
        "type",
        'op.alter_column("child", "label", type_=sa.String(80), existing_type=sa.String(40))',
        'op.alter_column("child", "label", type_=sa.String(40), existing_type=sa.String(80))',
    ),
    _alter(
        "type_text",
        'op.alter_column("child", "label", type_=sa.Text, existing_type=sa.String(40))',
        'op.alter_column("child", "label", type_=sa.String(40), existing_type=sa.Text)',
    ),
    _alter(
        "type_using",
        """
op.alter_column("child", "label", type_=sa.Integer, existing_type=sa.String(40),
                postgresql_using="label::integer")""",
        """
op.alter_column("child", "label", type_=sa.String(40), existing_type=sa.Integer)""",
        backends=PG,
    ),
    _alter(
        "server_default_set",
        'op.alter_column("child", "label", server_default="none", existing_type=sa.String(40))',
        'op.alter_column("child", "label", server_default=None, existing_type=sa.String(40))',
    ),
    _alter(
        "server_default_text",
        'op.alter_column("child", "qty", server_default=sa.text("42"), existing_type=sa.Integer)',
        'op.alter_column("child", "qty", server_default="0", existing_type=sa.Integer)',
    ),
    _alter(
        "server_default_drop",
        'op.alter_column("child", "qty", server_default=None, '
        'existing_type=sa.Integer, existing_server_default="0")',
        'op.alter_column("child", "qty", server_default="0", existing_type=sa.Integer)',
    ),
    _alter(
        "rename",
        'op.alter_column("child", "label", new_column_name="title", existing_type=sa.String(40))',
        'op.alter_column("child", "title", new_column_name="label", existing_type=sa.String(40))',
    ),
    _alter(
        "rename_keeps_default",
        'op.alter_column("child", "qty", new_column_name="amount", '
        'existing_type=sa.Integer, existing_server_default="0")',
        'op.alter_column("child", "amount", new_column_name="qty", existing_type=sa.Integer, '
        'existing_server_default="0")',
    ),
    _alter(
        "comment",
        'op.alter_column("child", "label", comment="what it says", existing_type=sa.String(40))',
        'op.alter_column("child", "label", comment=None, existing_comment="what it says", '
        "existing_type=sa.String(40))",
    ),
    _alter(
        "combined",
        """
op.alter_column("child", "label", new_column_name="title", type_=sa.String(100), nullable=False,
                server_default="t", comment="a title", existing_type=sa.String(40))""",
        """
op.alter_column("child", "title", new_column_name="label", type_=sa.String(40), nullable=True,
                server_default=None, comment=None, existing_type=sa.String(100))""",
    ),
    _alter(
        "type_and_nullable",
        """
op.alter_column("child", "qty", type_=sa.BigInteger, nullable=False, existing_type=sa.Integer,
                existing_server_default="0")""",
        """
op.alter_column("child", "qty", type_=sa.Integer, nullable=True, existing_type=sa.BigInteger,
                existing_server_default="0")""",
    ),
    _alter(
        "autoincrement_mariadb",
        """
op.alter_column("child", "id", existing_type=sa.Integer, autoincrement=True, nullable=False)""",
        "pass",
        backends=("mariadb",),
    ),
    _alter(
        "existing_nullable_mariadb",
        """
op.alter_column("parent", "name", type_=sa.String(90), existing_type=sa.String(50),
                existing_nullable=False)""",
        """
op.alter_column("parent", "name", type_=sa.String(50), existing_type=sa.String(90),
                existing_nullable=False)""",
    ),
    _alter(
        "identity_add",
        """
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True, autoincrement=False))
op.alter_column("t", "id", server_default=sa.Identity(start=3), existing_type=sa.Integer)""",
        'op.drop_table("t")',
        backends=PG,
    ),
    _alter(
        "schema",
        """
op.execute("CREATE SCHEMA other")
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("a", sa.String(5)),
                schema="other")
op.alter_column("t", "a", type_=sa.String(50), nullable=False, schema="other",
                existing_type=sa.String(5))""",
        """
op.drop_table("t", schema="other")
op.execute("DROP SCHEMA other")""",
        backends=PG,
    ),
]

CASES = ADD_COLUMN + DROP_COLUMN + ALTER_COLUMN


@pytest.mark.parametrize(("case", "backend"), params(CASES))
def test_column_operation(case: Case, backend: str, tmp_path: Path) -> None:
    """The column op leaves the schema Alembic leaves, after upgrade and after downgrade."""
    run_case(case, backend, tmp_path)
