"""MariaDB/MySQL: MODIFY/CHANGE restating the column, per-kind DROP, non-transactional DDL."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from asyncmig._dialects.mysql import MariaDBImpl
from asyncmig.errors import OperationNotSupported
from tests.operations._harness import columns, inspect, offline, rows, run

pytestmark = pytest.mark.anyio


def _table(op: Any) -> sa.Table:
    return op.create_table(
        "t",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("n", sa.Integer, nullable=False, server_default="4", comment="count"),
        sa.Column("label", sa.String(20)),
    )


@pytest.mark.mariadb
async def test_alter_column_online_reads_what_is_not_given(mariadb_url: str) -> None:
    """Without existing_* hints type and default are read and kept; the comment is dropped."""

    def upgrade(op: Any) -> None:
        table = _table(op)
        op.bulk_insert(table, [{"id": 1, "n": 2, "label": "x"}])
        op.alter_column("t", "n", nullable=True)
        op.alter_column("t", "label", new_column_name="title")

    await run(mariadb_url, upgrade)
    cols = await inspect(mariadb_url, lambda i: columns(i, "t"))
    assert list(cols) == ["id", "n", "title"]
    assert cols["n"]["nullable"] is True
    assert isinstance(cols["n"]["type"], sa.Integer)
    assert "4" in str(cols["n"]["default"])
    assert cols["n"]["comment"] is None  # MODIFY without comment=/existing_comment=, as Alembic
    assert cols["title"]["type"].length == 20
    assert await rows(mariadb_url, "SELECT id, n, title FROM t") == [(1, 2, "x")]


@pytest.mark.mariadb
async def test_alter_column_autoincrement(mariadb_url: str) -> None:
    """alter_column(autoincrement=True) makes the key AUTO_INCREMENT."""
    await run(mariadb_url, _table)
    await run(
        mariadb_url,
        lambda op: op.alter_column(
            "t", "id", autoincrement=True, existing_type=sa.Integer(), existing_nullable=False
        ),
    )
    cols = await inspect(mariadb_url, lambda i: columns(i, "t"))
    assert cols["id"]["autoincrement"] is True


@pytest.mark.mariadb
async def test_ddl_is_not_rolled_back(mariadb_url: str) -> None:
    """A failed step leaves its earlier DDL applied: MariaDB commits DDL implicitly."""

    def upgrade(op: Any) -> None:
        _table(op)
        op.add_column("missing", sa.Column("x", sa.Integer))

    with pytest.raises(sa.exc.ProgrammingError):
        await run(mariadb_url, upgrade)
    assert await inspect(mariadb_url, lambda i: i.get_table_names()) == ["t"]


@pytest.mark.mariadb
async def test_mariadb_server_gets_mariadb_impl(mariadb_url: str) -> None:
    """A MariaDB server is served by MariaDBImpl, which says DDL is not transactional."""
    impl = await run(mariadb_url, lambda op: op.impl)
    assert isinstance(impl, MariaDBImpl)
    assert impl.transactional_ddl is False


def test_offline_mysql_sql() -> None:
    """Offline MySQL SQL: MODIFY/CHANGE from existing_* hints, DROP by kind, RENAME with schema."""

    def upgrade(op: Any) -> None:
        op.alter_column(
            "t",
            "n",
            nullable=True,
            existing_type=sa.Integer(),
            existing_server_default="4",
            existing_comment="count",
        )
        op.alter_column(
            "t",
            "n",
            new_column_name="m",
            type_=sa.BigInteger(),
            existing_nullable=False,
            autoincrement=True,
        )
        op.alter_column("t", "m", server_default=None)
        op.drop_constraint("fk_t_a", "t", type_="foreignkey")
        op.drop_constraint("uq_t_a", "t", type_="unique")
        op.drop_constraint("ck_t_a", "t", type_="check")
        op.drop_constraint(None, "t", type_="primary")
        op.drop_index("ix_t_a", "t")
        op.rename_table("t", "u", schema="app")
        op.create_table_comment("u", "hello", schema="app")

    assert offline("mysql", upgrade) == (
        "ALTER TABLE t MODIFY n INTEGER NULL DEFAULT '4' COMMENT 'count';\n\n"
        "ALTER TABLE t CHANGE n m BIGINT NOT NULL AUTO_INCREMENT;\n\n"
        "ALTER TABLE t ALTER COLUMN m DROP DEFAULT;\n\n"
        "ALTER TABLE t DROP FOREIGN KEY fk_t_a;\n\n"
        "ALTER TABLE t DROP INDEX uq_t_a;\n\n"
        "ALTER TABLE t DROP CHECK ck_t_a;\n\n"
        "ALTER TABLE t DROP PRIMARY KEY;\n\n"
        "DROP INDEX ix_t_a ON t;\n\n"
        "ALTER TABLE app.t RENAME TO app.u;\n\n"
        "ALTER TABLE app.u COMMENT 'hello';\n\n"
    )


def test_offline_mariadb_drops_check_with_drop_constraint() -> None:
    """MariaDB spells the CHECK drop DROP CONSTRAINT."""
    sql = offline("mariadb", lambda op: op.drop_constraint("ck_t_a", "t", type_="check"))
    assert sql == "ALTER TABLE t DROP CONSTRAINT ck_t_a;\n\n"


def test_drop_index_without_table_is_refused() -> None:
    """MySQL's DROP INDEX needs the table; leaving it out says so."""
    with pytest.raises(OperationNotSupported, match="table_name"):
        offline("mysql", lambda op: op.drop_index("ix_t_a"))


def test_offline_alter_without_type_is_refused() -> None:
    """Offline, MySQL's alter_column needs existing_type and says so."""
    with pytest.raises(OperationNotSupported, match="existing_type"):
        offline("mysql", lambda op: op.alter_column("t", "n", nullable=False))


def test_exclude_constraint_not_supported_offline() -> None:
    """create_exclude_constraint is refused on MySQL, naming the alternative."""
    with pytest.raises(OperationNotSupported, match="PostgreSQL only"):
        offline("mysql", lambda op: op.create_exclude_constraint("ex", "t", ("a", "=")))


def test_impl_registry_by_name() -> None:
    """Each dialect name maps to its implementation class."""
    from asyncmig._dialects import BACKENDS

    names = {name: backend.ddl.__name__ for name, backend in BACKENDS.items()}
    assert names["mysql"] == "MySQLImpl"
    assert names["mariadb"] == "MariaDBImpl"
    assert names["postgresql"] == "PostgresqlImpl"
    assert names["sqlite"] == "SQLiteImpl"


def test_rename_and_modify_render_as_alembic() -> None:
    """CHANGE a b (no COLUMN keyword); MODIFY restates only the comment it was given."""

    def upgrade(op: Any) -> None:
        op.alter_column("t", "a", new_column_name="b", existing_type=sa.String(5))
        op.alter_column("t", "b", nullable=False, existing_type=sa.String(5), existing_comment="c")
        op.alter_column("t", "b", nullable=True, existing_type=sa.String(5))

    assert offline("mysql", upgrade) == (
        "ALTER TABLE t CHANGE a b VARCHAR(5) NULL;\n\n"
        "ALTER TABLE t MODIFY b VARCHAR(5) NOT NULL COMMENT 'c';\n\n"
        "ALTER TABLE t MODIFY b VARCHAR(5) NULL;\n\n"
    )


@pytest.mark.mariadb
async def test_alter_column_with_a_type_restates_only_what_is_given(mariadb_url: str) -> None:
    """Given a type, MODIFY reads nothing back: NOT NULL, default and comment go, as in Alembic."""
    await run(mariadb_url, _table)
    await run(
        mariadb_url,
        lambda op: op.alter_column("t", "n", type_=sa.BigInteger(), existing_type=sa.Integer()),
    )
    cols = await inspect(mariadb_url, lambda i: columns(i, "t"))
    assert isinstance(cols["n"]["type"], sa.BigInteger)
    assert (cols["n"]["nullable"], cols["n"]["default"], cols["n"]["comment"]) == (True, None, None)
