"""Offline (--sql) rendering of the dialect-independent directives and helpers."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from asyncmig._operations.naming import DEFAULT_NAMING_CONVENTION
from asyncmig.errors import OperationNotSupported
from tests.operations._harness import offline

# the convention `asyncmig init` writes into a project's configuration (opt-in)
OPTED_IN = {"naming_convention": dict(DEFAULT_NAMING_CONVENTION)}


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_create_and_drop_table(dialect: str) -> None:
    """create_table / drop_table render CREATE TABLE IF NOT EXISTS and DROP TABLE IF EXISTS."""

    def upgrade(op: Any) -> None:
        op.create_table(
            "t",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            if_not_exists=True,
        )
        op.drop_table("t", if_exists=True)

    assert offline(dialect, upgrade) == (
        "CREATE TABLE IF NOT EXISTS t (\n    id INTEGER NOT NULL, \n    PRIMARY KEY (id)\n);\n\n"
        "DROP TABLE IF EXISTS t;\n\n"
    )


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_execute_and_bulk_insert_render_literals(dialect: str) -> None:
    """execute (str, text(), DDL, Core) and bulk_insert render with inline literals."""
    table = sa.table("t", sa.column("id", sa.Integer), sa.column("name", sa.String))

    def upgrade(op: Any) -> None:
        op.execute("DELETE FROM t")
        op.execute(sa.text("DELETE FROM t WHERE id = 1"))
        op.execute(sa.DDL("CREATE VIEW v AS SELECT 1"))
        op.execute(table.update().values(name=op.inline_literal("o'k")))
        op.bulk_insert(table, [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}], multiinsert=True)

    assert offline(dialect, upgrade) == (
        "DELETE FROM t;\n\n"
        "DELETE FROM t WHERE id = 1;\n\n"
        "CREATE VIEW v AS SELECT 1;\n\n"
        "UPDATE t SET name='o''k';\n\n"
        "INSERT INTO t (id, name) VALUES (1, 'a');\n\n"
        "INSERT INTO t (id, name) VALUES (2, 'b');\n\n"
    )


def test_f_bypasses_the_naming_convention() -> None:
    """op.f() names are used as given; plain names get the target convention applied."""
    metadata = sa.MetaData(naming_convention={"ck": "ck_%(table_name)s_%(constraint_name)s"})

    def upgrade(op: Any) -> None:
        op.create_check_constraint("positive", "t", "n > 0")
        op.create_check_constraint(op.f("ck_exact"), "t", "n > 0")

    assert offline("postgresql", upgrade, opts={"target_metadata": metadata}) == (
        "ALTER TABLE t ADD CONSTRAINT ck_t_positive CHECK (n > 0);\n\n"
        "ALTER TABLE t ADD CONSTRAINT ck_exact CHECK (n > 0);\n\n"
    )


def test_default_convention_names_unnamed_constraints() -> None:
    """None names come from the configured convention: the same on every dialect."""

    def upgrade(op: Any) -> None:
        op.create_unique_constraint(None, "t", ["email"])
        op.create_foreign_key(None, "t", "u", ["u_id"], ["id"], referent_schema="s")
        op.create_primary_key(None, "t", ["id"])
        op.create_index(None, "t", ["email"])

    assert offline("postgresql", upgrade, opts=OPTED_IN) == (
        "ALTER TABLE t ADD CONSTRAINT uq_t_email UNIQUE (email);\n\n"
        "ALTER TABLE t ADD CONSTRAINT fk_t_u_id_u FOREIGN KEY(u_id) REFERENCES s.u (id);\n\n"
        "ALTER TABLE t ADD CONSTRAINT pk_t PRIMARY KEY (id);\n\n"
        "CREATE INDEX ix_t_email ON t (email);\n\n"
    )


def test_target_convention_wins_over_default() -> None:
    """The target metadata's convention names unnamed constraints where it has a pattern."""
    metadata = sa.MetaData(naming_convention={"uq": "%(table_name)s_%(column_0_name)s_key"})
    sql = offline(
        "postgresql",
        lambda op: op.create_unique_constraint(None, "t", ["email"]),
        opts={"target_metadata": metadata},
    )
    assert sql == "ALTER TABLE t ADD CONSTRAINT t_email_key UNIQUE (email);\n\n"


def test_drop_constraint_name_from_columns() -> None:
    """drop_constraint(None, columns=...) derives the name the configured convention gave."""

    def downgrade(op: Any) -> None:
        op.drop_constraint(None, "t", type_="foreignkey", columns=["u_id"], referent_table="u")
        op.drop_constraint(None, "t", type_="unique", columns=["email"])

    assert offline("postgresql", downgrade, opts=OPTED_IN) == (
        "ALTER TABLE t DROP CONSTRAINT fk_t_u_id_u;\n\n"
        "ALTER TABLE t DROP CONSTRAINT uq_t_email;\n\n"
    )


def test_drop_constraint_without_any_name_is_refused() -> None:
    """drop_constraint(None) with nothing to derive a name from says what to give."""
    with pytest.raises(OperationNotSupported, match=r"columns=\[\.\.\.\]"):
        offline("postgresql", lambda op: op.drop_constraint(None, "t", type_="unique"))


def test_run_async_refused_offline() -> None:
    """run_async() says there is no connection offline, and what to do (get_bind: test_compat)."""

    def upgrade(op: Any) -> None:
        op.run_async(lambda conn: conn)

    with pytest.raises(OperationNotSupported, match="is_offline_mode"):
        offline("postgresql", upgrade)


def test_autocommit_block_offline() -> None:
    """autocommit_block renders COMMIT before and BEGIN after the block."""

    def upgrade(op: Any) -> None:
        with op.get_context().autocommit_block():
            op.create_index("ix_t_a", "t", ["a"], postgresql_concurrently=True)

    assert offline("postgresql", upgrade) == (
        "COMMIT;\n\nCREATE INDEX CONCURRENTLY ix_t_a ON t (a);\n\nBEGIN;\n\n"
    )


@pytest.mark.parametrize("dialect", ["sqlite", "mysql"])
def test_autocommit_block_offline_unframed(dialect: str) -> None:
    """Where --sql writes no BEGIN/COMMIT (SQLite, MySQL), autocommit_block writes none either."""

    def upgrade(op: Any) -> None:
        with op.get_context().autocommit_block():
            op.create_index("ix_t_a", "t", ["a"])

    assert offline(dialect, upgrade) == "CREATE INDEX ix_t_a ON t (a);\n\n"


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_column_directives_with_schema(dialect: str) -> None:
    """add_column / drop_column / create_index / drop_index qualify with schema=."""

    def upgrade(op: Any) -> None:
        op.add_column("t", sa.Column("c", sa.Integer), schema="s")
        op.create_index("ix_t_c", "t", ["c"], schema="s")
        op.drop_index("ix_t_c", "t", schema="s")
        op.drop_column("t", "c", schema="s")

    sql = offline(dialect, upgrade)
    assert "ALTER TABLE s.t ADD COLUMN c INTEGER;" in sql
    assert "ix_t_c ON " in sql
    assert "ALTER TABLE s.t DROP COLUMN c;" in sql
