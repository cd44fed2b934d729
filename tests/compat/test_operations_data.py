"""bulk_insert, execute in every form, transactions inside a step, and run_async, under both tools."""

# ruff: noqa: E501 (case bodies are migration scripts kept as one readable line each)

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compat._cases import PG, Case, params, run_case

pytestmark = pytest.mark.compat

PARENT_T = 'parent = sa.table("parent", sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("code", sa.String))'

CASES = [
    Case(
        "bulk_insert_table",
        f"""
{PARENT_T}
op.bulk_insert(parent, [{{"id": 1, "name": "a", "code": "x"}}, {{"id": 2, "name": "b", "code": None}}])""",
        'op.execute("DELETE FROM parent")',
    ),
    Case(
        "bulk_insert_single_inserts",
        f"""
{PARENT_T}
op.bulk_insert(parent, [{{"id": 1, "name": "a"}}, {{"id": 2, "name": "b"}}], multiinsert=False)""",
        'op.execute("DELETE FROM parent")',
    ),
    Case(
        "bulk_insert_types",
        """
t = op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("d", sa.Date), sa.Column("b", sa.Boolean), sa.Column("n", sa.Numeric(6, 2)))
import datetime, decimal
op.bulk_insert(t, [{"id": 1, "d": datetime.date(2024, 2, 29), "b": True, "n": decimal.Decimal("1.50")}])""",
        'op.drop_table("t")',
    ),
    Case(
        "execute_string",
        "op.execute(\"INSERT INTO parent (id, name) VALUES (1, 'one')\")",
        'op.execute("DELETE FROM parent")',
    ),
    Case(
        "execute_text",
        "op.execute(sa.text(\"INSERT INTO parent (id, name) VALUES (2, 'two')\"))",
        'op.execute(sa.text("DELETE FROM parent"))',
    ),
    Case(
        "execute_text_bindparams",
        'op.execute(sa.text("INSERT INTO parent (id, name) VALUES (:i, :n)").bindparams(i=3, n="three"))',
        'op.execute("DELETE FROM parent")',
    ),
    Case(
        "execute_table_insert",
        f"""
{PARENT_T}
op.execute(parent.insert().values(id=4, name="four"))""",
        'op.execute("DELETE FROM parent")',
    ),
    Case(
        "execute_table_update",
        f"""
{PARENT_T}
op.execute(parent.insert().values(id=5, name="five"))
op.execute(parent.update().where(parent.c.id == op.inline_literal(5)).values(code=op.inline_literal("upd")))""",
        'op.execute("DELETE FROM parent")',
    ),
    Case(
        "execute_table_delete",
        f"""
{PARENT_T}
op.execute(parent.insert().values(id=6, name="six"))
op.execute(parent.delete().where(parent.c.id == 6))""",
        "pass",
    ),
    Case(
        "execute_ddl_element",
        """
op.execute(sa.schema.DDL("CREATE VIEW v_parent AS SELECT id, name FROM parent"))""",
        'op.execute(sa.schema.DDL("DROP VIEW v_parent"))',
    ),
    Case(
        "execute_create_index_element",
        """
op.execute(sa.schema.CreateIndex(sa.Index("ix_ddl_label", sa.Table("child", sa.MetaData(), sa.Column("label", sa.String(40))).c.label)))""",
        'op.drop_index("ix_ddl_label", table_name="child")',
    ),
    Case(
        "execute_execution_options",
        'op.execute("INSERT INTO parent (id, name) VALUES (8, \'e\')", execution_options={"no_parameters": True})',
        'op.execute("DELETE FROM parent")',
    ),
    Case(
        "get_bind_execute_select_update",
        """
bind = op.get_bind()
bind.execute(sa.text("INSERT INTO parent (id, name) VALUES (1, 'a'), (2, 'b')"))
for row in bind.execute(sa.text("SELECT id, name FROM parent ORDER BY id")).fetchall():
    bind.execute(sa.text("UPDATE parent SET code = :c WHERE id = :i"), {"c": row.name * 2, "i": row.id})""",
        'op.execute("DELETE FROM parent")',
    ),
    Case(
        "autocommit_block_execute",
        """
with op.get_context().autocommit_block():
    op.execute("INSERT INTO parent (id, name) VALUES (1, 'a')")
op.execute("INSERT INTO parent (id, name) VALUES (2, 'b')")""",
        'op.execute("DELETE FROM parent")',
    ),
    Case(
        "autocommit_block_ddl",
        """
with op.get_context().autocommit_block():
    op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))
op.create_index("ix_t_id", "t", ["id"])""",
        'op.drop_table("t")',
    ),
    Case(
        "context_dialect_branch",
        """
if op.get_context().dialect.name == "postgresql":
    op.create_table("pg_only", sa.Column("id", sa.Integer, primary_key=True))
else:
    op.create_table("other", sa.Column("id", sa.Integer, primary_key=True))
op.create_table("t_" + op.get_bind().dialect.name, sa.Column("id", sa.Integer, primary_key=True))""",
        'op.execute("SELECT 1")',
    ),
    Case(
        "transaction_per_migration_false",
        """
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))
op.execute("INSERT INTO t (id) VALUES (1)")""",
        'op.drop_table("t")',
        per_migration=False,
    ),
    Case(
        "version_rows_midway",
        'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))',
        'op.drop_table("t")',
        downgrade_to="s0",
    ),
    Case(
        "run_async",
        """
async def fill(conn, name):
    await conn.execute(sa.text("INSERT INTO parent (id, name) VALUES (1, :n)"), {"n": name})

op.run_async(fill, "async")""",
        'op.execute("DELETE FROM parent")',
        alembic_async=True,
    ),
    Case(
        "pg_function_trigger",
        '''
op.execute("""CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.qty := 1; RETURN NEW; END $$""")
op.execute("CREATE TRIGGER child_touch BEFORE INSERT ON child FOR EACH ROW EXECUTE FUNCTION touch()")
op.execute("INSERT INTO child (id) VALUES (1)")''',
        """
op.execute("DELETE FROM child")
op.execute("DROP TRIGGER child_touch ON child")
op.execute("DROP FUNCTION touch()")""",
        backends=PG,
    ),
]


@pytest.mark.parametrize(("case", "backend"), params(CASES))
def test_data_operation(case: Case, backend: str, tmp_path: Path) -> None:
    """The data op or step-level transaction control leaves what Alembic leaves."""
    run_case(case, backend, tmp_path)
