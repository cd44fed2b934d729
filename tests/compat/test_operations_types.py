"""Types with their own DDL (enums), and server defaults of each form, under both tools."""

# ruff: noqa: E501 (case bodies are migration scripts kept as one readable line each)

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compat._cases import ALL, PG, SERVERS, Case, params, run_case

pytestmark = pytest.mark.compat

NO_SETUP = {"setup": None, "setup_down": ""}
DROP_STATE = 'sa.Enum(name="state_type").drop(op.get_bind(), checkfirst=True)'

ENUMS = [
    Case(
        "enum_create_table",
        """
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("s", sa.Enum("new", "done", name="state_type")))""",
        f'op.drop_table("t")\n{DROP_STATE}',
        **NO_SETUP,
    ),
    Case(
        "enum_two_tables_one_revision",
        """
op.create_table("t1", sa.Column("id", sa.Integer, primary_key=True), sa.Column("s", sa.Enum("new", "done", name="state_type")))
op.create_table("t2", sa.Column("id", sa.Integer, primary_key=True), sa.Column("s", sa.Enum("new", "done", name="state_type")))""",
        f'op.drop_table("t2")\nop.drop_table("t1")\n{DROP_STATE}',
        backends=PG,
        **NO_SETUP,
    ),
    Case(
        "enum_shared_object_two_tables",
        """
state = sa.Enum("new", "done", name="state_type")
op.create_table("t1", sa.Column("id", sa.Integer, primary_key=True), sa.Column("s", state))
op.create_table("t2", sa.Column("id", sa.Integer, primary_key=True), sa.Column("s", state))""",
        f'op.drop_table("t2")\nop.drop_table("t1")\n{DROP_STATE}',
        backends=PG,
        **NO_SETUP,
    ),
    Case(
        "enum_pg_ENUM_create_table",
        """
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("s", postgresql.ENUM("a", "b", name="kind")))""",
        'op.drop_table("t")\npostgresql.ENUM(name="kind").drop(op.get_bind())',
        backends=PG,
        **NO_SETUP,
    ),
    Case(
        "enum_pg_ENUM_create_type_false",
        """
postgresql.ENUM("a", "b", name="kind").create(op.get_bind())
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("s", postgresql.ENUM("a", "b", name="kind", create_type=False)))""",
        'op.drop_table("t")\npostgresql.ENUM(name="kind").drop(op.get_bind())',
        backends=PG,
        **NO_SETUP,
    ),
    Case(
        "enum_checkfirst_create",
        """
sa.Enum("x", "y", name="state_type").create(op.get_bind(), checkfirst=True)
sa.Enum("x", "y", name="state_type").create(op.get_bind(), checkfirst=True)""",
        DROP_STATE,
        backends=PG,
        **NO_SETUP,
    ),
    Case(
        "enum_drop_table_keeps_type",
        """
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("s", sa.Enum("new", "done", name="state_type")))
op.drop_table("t")""",
        DROP_STATE,
        backends=PG,
        **NO_SETUP,
    ),
    Case(
        "enum_add_value_autocommit",
        """
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("s", sa.Enum("new", "done", name="state_type")))
with op.get_context().autocommit_block():
    op.execute("ALTER TYPE state_type ADD VALUE 'late'")""",
        f'op.drop_table("t")\n{DROP_STATE}',
        backends=PG,
        **NO_SETUP,
    ),
    Case(
        "enum_schema",
        """
op.execute("CREATE SCHEMA other")
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("s", sa.Enum("a", "b", name="kind", schema="other")), schema="other")""",
        'op.drop_table("t", schema="other")\nop.execute("DROP TYPE other.kind")\nop.execute("DROP SCHEMA other")',
        backends=PG,
        **NO_SETUP,
    ),
    Case(
        "enum_non_native",
        """
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("s", sa.Enum("new", "done", name="state_type", native_enum=False)))""",
        'op.drop_table("t")',
        **NO_SETUP,
    ),
    Case(
        "enum_create_constraint",
        """
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("s", sa.Enum("new", "done", name="state_type", native_enum=False, create_constraint=True)))""",
        'op.drop_table("t")',
        backends=("sqlite", "postgresql"),
        **NO_SETUP,
    ),
    Case(
        "enum_mariadb_native",
        """
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("s", sa.Enum("new", "done", name="state_type")))
op.add_column("t", sa.Column("m", mysql.ENUM("p", "q")))""",
        'op.drop_table("t")',
        backends=("mariadb",),
        **NO_SETUP,
    ),
    Case(
        "boolean_create_constraint",
        """
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("b", sa.Boolean(create_constraint=True, name="ck_t_b")))""",
        'op.drop_table("t")',
        backends=("sqlite", "mariadb"),
        **NO_SETUP,
    ),
    Case(
        "enum_add_column_two_columns",
        """
sa.Enum("a", "b", name="kind").create(op.get_bind())
op.add_column("child", sa.Column("k1", postgresql.ENUM("a", "b", name="kind", create_type=False)))
op.add_column("child", sa.Column("k2", postgresql.ENUM("a", "b", name="kind", create_type=False)))""",
        'op.drop_column("child", "k2")\nop.drop_column("child", "k1")\nsa.Enum(name="kind").drop(op.get_bind())',
        backends=PG,
    ),
    Case(
        "enum_alter_column_to_enum",
        """
sa.Enum("a", "b", name="kind").create(op.get_bind())
op.alter_column("child", "label", type_=sa.Enum("a", "b", name="kind"), existing_type=sa.String(40), postgresql_using="label::kind")""",
        'op.alter_column("child", "label", type_=sa.String(40), existing_type=sa.Enum("a", "b", name="kind"))\nsa.Enum(name="kind").drop(op.get_bind())',
        backends=PG,
    ),
]


def _default(name: str, column: str, backends: tuple[str, ...] = ALL) -> Case:
    return Case(
        "server_default_" + name,
        f'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), {column})',
        'op.drop_table("t")',
        backends=backends,
        **NO_SETUP,
    )


SERVER_DEFAULTS = [
    _default("string", 'sa.Column("a", sa.String(20), server_default="hello")'),
    _default("string_quote", """sa.Column("a", sa.String(20), server_default="it's")"""),
    _default("empty_string", 'sa.Column("a", sa.String(20), server_default="")'),
    _default("integer_text", 'sa.Column("a", sa.Integer, server_default=sa.text("5"))'),
    _default("negative", 'sa.Column("a", sa.Integer, server_default="-1")'),
    _default("numeric", 'sa.Column("a", sa.Numeric(6, 2), server_default="1.25")'),
    _default("true", 'sa.Column("a", sa.Boolean, server_default=sa.true())'),
    _default(
        "text_false",
        'sa.Column("a", sa.Boolean, server_default=sa.text("false"))',
        backends=SERVERS,
    ),
    _default("now", 'sa.Column("a", sa.DateTime, server_default=sa.func.now())', backends=SERVERS),
    _default(
        "current_timestamp",
        'sa.Column("a", sa.DateTime, server_default=sa.text("CURRENT_TIMESTAMP"))',
    ),
    _default(
        "sqlite_datetime",
        """sa.Column("a", sa.DateTime, server_default=sa.text("(datetime('now'))"))""",
        backends=("sqlite",),
    ),
    _default(
        "pg_uuid",
        'sa.Column("a", sa.Uuid, server_default=sa.text("gen_random_uuid()"))',
        backends=PG,
    ),
    _default(
        "pg_json",
        """sa.Column("a", postgresql.JSONB, server_default=sa.text("'{}'::jsonb"))""",
        backends=PG,
    ),
    _default(
        "pg_array",
        """sa.Column("a", postgresql.ARRAY(sa.Text), server_default="{}")""",
        backends=PG,
    ),
    _default(
        "pg_interval",
        """sa.Column("a", sa.Interval, server_default=sa.text("'1 day'::interval"))""",
        backends=PG,
    ),
    _default(
        "literal_expression",
        'sa.Column("a", sa.Integer, server_default=sa.literal_column("3") + 4)',
        backends=PG,
    ),
    _default(
        "mariadb_on_update",
        'sa.Column("a", sa.TIMESTAMP, server_default=sa.text("CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP"))',
        backends=("mariadb",),
    ),
    _default("fetched_value", 'sa.Column("a", sa.Integer, server_default=sa.FetchedValue())'),
]

CASES = ENUMS + SERVER_DEFAULTS


@pytest.mark.parametrize(("case", "backend"), params(CASES))
def test_type_operation(case: Case, backend: str, tmp_path: Path) -> None:
    """The type or default leaves the schema Alembic leaves, up and down."""
    run_case(case, backend, tmp_path)
