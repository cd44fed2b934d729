"""batch_alter_table: recreate modes, copy_from, reflect_args, table_kwargs, ordering, naming."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from asyncmig.errors import CommandError, OperationNotSupported
from tests.operations._harness import columns, inspect, offline, rows, run

pytestmark = pytest.mark.anyio


def _account(op: Any) -> None:
    table = op.create_table(
        "account",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(100)),
        sa.Column("flag", sa.Integer),
    )
    op.bulk_insert(table, [{"id": 1, "email": "a@x", "flag": 1}])


_SOURCE = sa.Table(
    "t",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("a", sa.Integer),
    sa.Column("b", sa.Integer),
)


def test_recreate_always_recreates_on_postgresql() -> None:
    """recreate='always' moves and copies even where ALTER would do."""

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("t", recreate="always", copy_from=_SOURCE) as batch:
            batch.alter_column("a", nullable=False)

    sql = offline("postgresql", upgrade)
    assert sql.startswith("CREATE TABLE _alembic_tmp_t (")
    assert "a INTEGER NOT NULL" in sql
    assert "INSERT INTO _alembic_tmp_t (id, a, b) SELECT t.id, t.a, t.b" in sql
    assert "ALTER TABLE _alembic_tmp_t RENAME TO t;" in sql


def test_recreate_auto_is_plain_on_postgresql() -> None:
    """recreate='auto' uses plain ALTERs where the dialect has them."""

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("t") as batch:
            batch.alter_column("a", nullable=False)
            batch.drop_column("b")

    assert offline("postgresql", upgrade) == (
        "ALTER TABLE t ALTER COLUMN a SET NOT NULL;\n\nALTER TABLE t DROP COLUMN b;\n\n"
    )


def test_recreate_never_on_sqlite_refuses_what_alter_cannot_do() -> None:
    """recreate='never' on SQLite says the change needs a recreate."""

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("t", recreate="never") as batch:
            batch.alter_column("a", nullable=False)

    with pytest.raises(OperationNotSupported, match="batch_alter_table"):
        offline("sqlite", upgrade)


def test_bad_recreate_value() -> None:
    """An unknown recreate= value names the table and the choices."""
    with pytest.raises(CommandError, match=r"'t'.*auto, always, never"):
        offline("sqlite", lambda op: op.batch_alter_table("t", recreate="sometimes").__enter__())


def test_partial_reordering_and_table_kwargs() -> None:
    """partial_reordering orders the columns; table_kwargs reach CREATE TABLE."""

    def upgrade(op: Any) -> None:
        with op.batch_alter_table(
            "t",
            copy_from=_SOURCE,
            partial_reordering=[("b", "a")],
            table_kwargs={"sqlite_autoincrement": True},
        ) as batch:
            batch.add_column(sa.Column("c", sa.Integer), insert_before="a")
            batch.alter_column("a", type_=sa.BigInteger())

    sql = offline("sqlite", upgrade)
    create = sql.split(";")[0]
    assert create.index("id INTEGER") < create.index("c INTEGER") < create.index("b INTEGER")
    assert create.index("b INTEGER") < create.index("a BIGINT")
    assert "AUTOINCREMENT" in create
    # Integer to BigInteger keeps the affinity: copied without a CAST, as by Alembic
    assert "INSERT INTO _alembic_tmp_t (id, b, a) SELECT t.id, t.b, t.a \n" in sql


async def test_reflect_args_override_reflection(sqlite_url: str) -> None:
    """reflect_args replaces a reflected column's definition in the recreated table."""
    await run(sqlite_url, _account)

    def upgrade(op: Any) -> None:
        with op.batch_alter_table(
            "account", reflect_args=[sa.Column("flag", sa.Boolean(create_constraint=False))]
        ) as batch:
            batch.alter_column("email", nullable=False)

    await run(sqlite_url, upgrade)
    cols = await inspect(sqlite_url, lambda i: columns(i, "account"))
    assert isinstance(cols["flag"]["type"], sa.Boolean)
    assert cols["email"]["nullable"] is False
    assert await rows(sqlite_url, "SELECT id, email, flag FROM account") == [(1, "a@x", 1)]


async def test_batch_naming_convention_names_unnamed_constraints(sqlite_url: str) -> None:
    """An unnamed foreign key is dropped by the name the batch's naming_convention gives it."""

    def upgrade(op: Any) -> None:
        _account(op)
        op.create_table(
            "order",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id")),
        )

    await run(sqlite_url, upgrade)

    def drop(op: Any) -> None:
        with op.batch_alter_table(
            "order", naming_convention={"fk": "fk_%(table_name)s_%(column_0_name)s"}
        ) as batch:
            batch.drop_constraint("fk_order_account_id", type_="foreignkey")

    await run(sqlite_url, drop)
    assert await inspect(sqlite_url, lambda i: i.get_foreign_keys("order")) == []


async def test_batch_copy_from_online(sqlite_url: str) -> None:
    """copy_from is used instead of reflection online too, and rows are copied."""
    await run(sqlite_url, _account)
    source = sa.Table(
        "account",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(100)),
        sa.Column("flag", sa.Integer),
    )

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("account", copy_from=source) as batch:
            batch.drop_column("flag")
            batch.create_unique_constraint("uq_account_email", ["email"])

    await run(sqlite_url, upgrade)
    assert list(await inspect(sqlite_url, lambda i: columns(i, "account"))) == ["id", "email"]
    uniques = await inspect(sqlite_url, lambda i: i.get_unique_constraints("account"))
    assert [u["name"] for u in uniques] == ["uq_account_email"]
    assert await rows(sqlite_url, "SELECT id, email FROM account") == [(1, "a@x")]


async def test_batch_recreate_keeps_incoming_foreign_keys(sqlite_url: str) -> None:
    """Recreating a table other tables refer to keeps their foreign keys and rows."""

    def upgrade(op: Any) -> None:
        _account(op)
        order = op.create_table(
            "order",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id")),
        )
        op.bulk_insert(order, [{"id": 1, "account_id": 1}])

    await run(sqlite_url, upgrade)

    def change(op: Any) -> None:
        with op.batch_alter_table("account") as batch:
            batch.alter_column("email", type_=sa.String(200))

    await run(sqlite_url, change)
    fks = await inspect(sqlite_url, lambda i: i.get_foreign_keys("order"))
    assert [fk["referred_table"] for fk in fks] == ["account"]
    assert await rows(
        sqlite_url, 'SELECT o.id, a.email FROM "order" o JOIN account a ON a.id = o.account_id'
    ) == [(1, "a@x")]


async def test_execute_in_a_recreating_batch_runs_after_the_recreate(sqlite_url: str) -> None:
    """batch_op.execute() in a recreating batch runs once the new table is in place."""
    await run(sqlite_url, _account)

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("account") as batch:
            batch.add_column(sa.Column("level", sa.Integer, nullable=False, server_default="0"))
            batch.alter_column("email", nullable=False)
            batch.execute("UPDATE account SET level = 9")

    await run(sqlite_url, upgrade)
    assert await rows(sqlite_url, "SELECT id, level FROM account") == [(1, 9)]
