"""Every directive, run on SQLite, PostgreSQL and MariaDB, and checked by reflection."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from asyncmig._operations.naming import DEFAULT_NAMING_CONVENTION
from tests.operations._harness import columns, dialect_of, inspect, rows, run

pytestmark = pytest.mark.anyio

# the convention `asyncmig init` writes into a project's configuration (opt-in)
OPTED_IN = {"naming_convention": dict(DEFAULT_NAMING_CONVENTION)}


def _account(op: Any) -> sa.Table:
    return op.create_table(
        "account",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(100), nullable=False),
        sa.Column("name", sa.String(50)),
    )


def _order(op: Any) -> None:
    op.create_table(
        "order",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer),
    )


async def test_create_table_returns_table_and_reflects(any_database_url: str) -> None:
    """create_table makes the table with its columns, key and index, and returns the Table."""

    def upgrade(op: Any) -> sa.Table:
        return op.create_table(
            "account",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("email", sa.String(100), nullable=False, index=True),
            sa.Column("score", sa.Integer, server_default="7"),
        )

    table = await run(any_database_url, upgrade)
    assert isinstance(table, sa.Table)
    assert table.name == "account"
    cols = await inspect(any_database_url, lambda i: columns(i, "account"))
    assert list(cols) == ["id", "email", "score"]
    assert cols["email"]["nullable"] is False
    assert "7" in str(cols["score"]["default"])
    pk = await inspect(any_database_url, lambda i: i.get_pk_constraint("account"))
    assert pk["constrained_columns"] == ["id"]
    indexes = await inspect(any_database_url, lambda i: i.get_indexes("account"))
    assert [ix["column_names"] for ix in indexes] == [["email"]]


async def test_drop_and_rename_table(any_database_url: str) -> None:
    """rename_table renames, drop_table drops."""
    await run(any_database_url, _account)
    await run(any_database_url, lambda op: op.rename_table("account", "customer"))
    names = await inspect(any_database_url, lambda i: i.get_table_names())
    assert names == ["customer"]
    await run(any_database_url, lambda op: op.drop_table("customer"))
    assert await inspect(any_database_url, lambda i: i.get_table_names()) == []


async def test_add_and_drop_column_keep_rows(any_database_url: str) -> None:
    """add_column with a default fills existing rows; drop_column removes the column."""

    def upgrade(op: Any) -> None:
        table = _account(op)
        op.bulk_insert(table, [{"id": 1, "email": "a@x", "name": "a"}])
        op.add_column("account", sa.Column("level", sa.Integer, nullable=False, server_default="3"))

    await run(any_database_url, upgrade)
    assert await rows(any_database_url, "SELECT id, level FROM account") == [(1, 3)]
    await run(any_database_url, lambda op: op.drop_column("account", "name"))
    cols = await inspect(any_database_url, lambda i: columns(i, "account"))
    assert list(cols) == ["id", "email", "level"]
    assert await rows(any_database_url, "SELECT id, email FROM account") == [(1, "a@x")]


async def test_alter_column_nullable_type_default_rename(any_database_url: str) -> None:
    """alter_column changes nullability, type, server default and name, keeping the rows."""

    def upgrade(op: Any) -> None:
        table = _account(op)
        op.bulk_insert(table, [{"id": 1, "email": "a@x", "name": "ann"}])
        op.alter_column("account", "name", nullable=False, existing_type=sa.String(50))
        op.alter_column(
            "account",
            "name",
            type_=sa.String(200),
            existing_type=sa.String(50),
            existing_nullable=False,
        )
        op.alter_column(
            "account",
            "name",
            server_default="anon",
            existing_type=sa.String(200),
            existing_nullable=False,
        )
        op.alter_column(
            "account",
            "name",
            new_column_name="display_name",
            existing_type=sa.String(200),
            existing_nullable=False,
            existing_server_default="anon",
        )

    await run(any_database_url, upgrade)
    cols = await inspect(any_database_url, lambda i: columns(i, "account"))
    assert "name" not in cols
    display = cols["display_name"]
    assert display["nullable"] is False
    assert display["type"].length == 200
    assert "anon" in str(display["default"])
    assert await rows(any_database_url, "SELECT display_name FROM account") == [("ann",)]


async def test_alter_column_drops_default(any_database_url: str) -> None:
    """alter_column(server_default=None) removes the default."""

    def upgrade(op: Any) -> None:
        op.create_table(
            "t",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("v", sa.Integer, server_default="5"),
        )
        op.alter_column("t", "v", server_default=None, existing_type=sa.Integer())

    await run(any_database_url, upgrade)
    cols = await inspect(any_database_url, lambda i: columns(i, "t"))
    assert cols["v"]["default"] is None


async def test_create_and_drop_index(any_database_url: str) -> None:
    """create_index (unique, if_not_exists) and drop_index (if_exists) round trip."""

    def upgrade(op: Any) -> None:
        _account(op)
        op.create_index("ix_account_email", "account", ["email"], unique=True)
        op.create_index("ix_account_email", "account", ["email"], unique=True, if_not_exists=True)
        op.create_index("ix_account_name_email", "account", ["name", "email"])

    await run(any_database_url, upgrade)
    indexes = await inspect(any_database_url, lambda i: i.get_indexes("account"))
    found = {ix["name"]: (ix["column_names"], bool(ix["unique"])) for ix in indexes}
    assert found == {
        "ix_account_email": (["email"], True),
        "ix_account_name_email": (["name", "email"], False),
    }

    def downgrade(op: Any) -> None:
        op.drop_index("ix_account_name_email", table_name="account")
        op.drop_index("ix_account_email", table_name="account", if_exists=True)
        op.drop_index("ix_account_email", table_name="account", if_exists=True)

    await run(any_database_url, downgrade)
    assert await inspect(any_database_url, lambda i: i.get_indexes("account")) == []


async def test_unique_constraint_create_and_drop(any_database_url: str) -> None:
    """create_unique_constraint(None, ...) takes the configured convention's name."""

    def upgrade(op: Any) -> None:
        table = _account(op)
        op.bulk_insert(table, [{"id": 1, "email": "a@x"}])
        op.create_unique_constraint(None, "account", ["email"])

    await run(any_database_url, upgrade, opts=OPTED_IN)
    uniques = await inspect(any_database_url, lambda i: i.get_unique_constraints("account"))
    assert [(u["name"], u["column_names"]) for u in uniques] == [("uq_account_email", ["email"])]
    await run(
        any_database_url,
        lambda op: op.drop_constraint("uq_account_email", "account", type_="unique"),
    )
    assert await inspect(any_database_url, lambda i: i.get_unique_constraints("account")) == []
    assert await rows(any_database_url, "SELECT id FROM account") == [(1,)]


async def test_foreign_key_create_and_drop(any_database_url: str) -> None:
    """create_foreign_key with ondelete; drop_constraint by its configured convention name."""

    def upgrade(op: Any) -> None:
        _account(op)
        _order(op)
        op.create_foreign_key(None, "order", "account", ["account_id"], ["id"], ondelete="CASCADE")

    await run(any_database_url, upgrade, opts=OPTED_IN)
    fks = await inspect(any_database_url, lambda i: i.get_foreign_keys("order"))
    assert len(fks) == 1
    fk = fks[0]
    assert fk["referred_table"] == "account"
    assert fk["constrained_columns"] == ["account_id"]
    assert fk["options"].get("ondelete") == "CASCADE"
    if dialect_of(any_database_url) != "sqlite":  # SQLite reflects no FK names
        assert fk["name"] == "fk_order_account_id_account"
    await run(
        any_database_url,
        lambda op: op.drop_constraint("fk_order_account_id_account", "order", type_="foreignkey"),
    )
    assert await inspect(any_database_url, lambda i: i.get_foreign_keys("order")) == []


async def test_check_constraint_create_and_drop(any_database_url: str) -> None:
    """create_check_constraint is enforced; drop_constraint(type_='check') removes it."""

    def upgrade(op: Any) -> None:
        op.create_table(
            "t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("n", sa.Integer)
        )
        op.create_check_constraint("ck_t_positive", "t", "n > 0")

    await run(any_database_url, upgrade)
    checks = await inspect(any_database_url, lambda i: i.get_check_constraints("t"))
    assert [c["name"] for c in checks] == ["ck_t_positive"]
    with pytest.raises(sa.exc.DBAPIError):
        await run(any_database_url, lambda op: op.execute("INSERT INTO t (id, n) VALUES (1, -1)"))
    await run(any_database_url, lambda op: op.drop_constraint("ck_t_positive", "t", type_="check"))
    assert await inspect(any_database_url, lambda i: i.get_check_constraints("t")) == []


async def test_primary_key_create_and_drop(any_database_url: str) -> None:
    """create_primary_key adds a key; drop_constraint(None, type_='primary') drops it (opted in)."""

    def upgrade(op: Any) -> None:
        op.create_table("t", sa.Column("a", sa.Integer, nullable=False), sa.Column("b", sa.Integer))
        op.create_primary_key(None, "t", ["a"])

    await run(any_database_url, upgrade, opts=OPTED_IN)
    pk = await inspect(any_database_url, lambda i: i.get_pk_constraint("t"))
    assert pk["constrained_columns"] == ["a"]
    await run(
        any_database_url,
        lambda op: op.drop_constraint(None, "t", type_="primary"),
        opts=OPTED_IN,
    )
    pk = await inspect(any_database_url, lambda i: i.get_pk_constraint("t"))
    assert pk["constrained_columns"] == []


async def test_execute_forms_and_bulk_insert(any_database_url: str) -> None:
    """execute takes a string, text() and a Core statement; bulk_insert inserts all rows."""

    def upgrade(op: Any) -> None:
        table = _account(op)
        op.bulk_insert(table, [{"id": 1, "email": "a"}, {"id": 2, "email": "b"}])
        op.bulk_insert(table, [{"id": 3, "email": "c"}], multiinsert=False)
        op.execute("UPDATE account SET name = 'x' WHERE id = 1")
        op.execute(sa.text("UPDATE account SET name = 'y' WHERE id = 2"))
        light = sa.table("account", sa.column("id"), sa.column("name"))
        op.execute(light.update().where(light.c.id == 3).values(name=op.inline_literal("z")))

    await run(any_database_url, upgrade)
    got = await rows(any_database_url, "SELECT id, name FROM account ORDER BY id")
    assert got == [(1, "x"), (2, "y"), (3, "z")]


async def test_get_bind_and_context(any_database_url: str) -> None:
    """get_bind() is the step's connection (.engine.url, .dialect); the context has the async."""

    def upgrade(op: Any) -> tuple[str, str, bool]:
        bind = op.get_bind()
        context = op.get_context()
        return (
            bind.engine.url.get_backend_name(),
            bind.dialect.name,
            context.async_connection is not None,
        )

    backend, dialect, has_async = await run(any_database_url, upgrade)
    assert dialect == dialect_of(any_database_url)
    assert backend == sa.engine.make_url(any_database_url).get_backend_name()
    assert has_async


async def test_run_async_awaits_against_async_connection(any_database_url: str) -> None:
    """run_async(fn) awaits fn(AsyncConnection) from inside the step and returns its result."""

    async def data(conn: Any) -> int:
        await conn.execute(sa.text("INSERT INTO account (id, email) VALUES (5, 'e')"))
        result = await conn.execute(sa.text("SELECT count(*) FROM account"))
        return int(result.scalar_one())

    def upgrade(op: Any) -> int:
        _account(op)
        return op.run_async(data)  # type: ignore[no-any-return]

    assert await run(any_database_url, upgrade) == 1
    assert await rows(any_database_url, "SELECT id FROM account") == [(5,)]


async def test_run_async_passes_extra_arguments(any_database_url: str) -> None:
    """run_async(fn, *args, **kw) awaits fn(AsyncConnection, *args, **kw), as Alembic's does."""

    async def data(conn: Any, row_id: int, *, email: str) -> str:
        await conn.execute(
            sa.text("INSERT INTO account (id, email) VALUES (:i, :e)"), {"i": row_id, "e": email}
        )
        return email

    def upgrade(op: Any) -> str:
        _account(op)
        return op.run_async(data, 7, email="x@y")  # type: ignore[no-any-return]

    assert await run(any_database_url, upgrade) == "x@y"
    assert await rows(any_database_url, "SELECT id, email FROM account") == [(7, "x@y")]


async def test_table_comments(any_database_url: str) -> None:
    """create/drop_table_comment set and clear the comment (ignored on SQLite)."""
    await run(any_database_url, _account)
    await run(any_database_url, lambda op: op.create_table_comment("account", "people"))
    if dialect_of(any_database_url) == "sqlite":  # no comments to reflect: accepted, ignored
        await run(any_database_url, lambda op: op.drop_table_comment("account"))
        assert await inspect(any_database_url, lambda i: i.get_table_names()) == ["account"]
        return
    comment = await inspect(any_database_url, lambda i: i.get_table_comment("account"))
    assert comment["text"] == "people"
    await run(any_database_url, lambda op: op.drop_table_comment("account"))
    comment = await inspect(any_database_url, lambda i: i.get_table_comment("account"))
    assert not comment["text"]


async def test_alter_column_comment(any_database_url: str) -> None:
    """alter_column(comment=...) sets a column comment (ignored on SQLite)."""
    await run(any_database_url, _account)
    await run(
        any_database_url,
        lambda op: op.alter_column(
            "account", "name", comment="full name", existing_type=sa.String(50)
        ),
    )
    cols = await inspect(any_database_url, lambda i: columns(i, "account"))
    expected = None if dialect_of(any_database_url) == "sqlite" else "full name"
    assert cols["name"].get("comment") == expected
    assert cols["name"]["nullable"] is True


async def test_batch_alter_table(any_database_url: str) -> None:
    """batch_alter_table applies its directives on every dialect and keeps the rows."""

    def upgrade(op: Any) -> None:
        table = _account(op)
        op.bulk_insert(table, [{"id": 1, "email": "a@x", "name": "a"}])
        with op.batch_alter_table("account") as batch:
            batch.add_column(sa.Column("level", sa.Integer, server_default="1"))
            batch.alter_column("name", new_column_name="nick", existing_type=sa.String(50))
            batch.create_unique_constraint("uq_account_email", ["email"])
            batch.create_index("ix_account_level", ["level"])

    await run(any_database_url, upgrade)
    cols = await inspect(any_database_url, lambda i: columns(i, "account"))
    assert list(cols) == ["id", "email", "nick", "level"]
    uniques = await inspect(any_database_url, lambda i: i.get_unique_constraints("account"))
    assert [u["column_names"] for u in uniques] == [["email"]]
    assert await rows(any_database_url, "SELECT id, nick, level FROM account") == [(1, "a", 1)]


async def test_schema_argument(any_database_url: str) -> None:
    """Directives accept schema= (the database's default schema, named explicitly)."""
    schema = await inspect(any_database_url, lambda i: i.default_schema_name)

    def upgrade(op: Any) -> None:
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), schema=schema)
        op.add_column("t", sa.Column("v", sa.Integer), schema=schema)
        op.create_index("ix_t_v", "t", ["v"], schema=schema)
        op.rename_table("t", "u", schema=schema)
        op.drop_index("ix_t_v", table_name="u", schema=schema)
        op.drop_column("u", "v", schema=schema)

    await run(any_database_url, upgrade)
    assert await inspect(any_database_url, lambda i: i.get_table_names(schema=schema)) == ["u"]
    assert list(await inspect(any_database_url, lambda i: columns(i, "u"))) == ["id"]


async def test_missing_table_fails_with_database_error(any_database_url: str) -> None:
    """A directive naming a missing table fails with the database's own error."""
    with pytest.raises(sa.exc.DBAPIError):
        await run(any_database_url, lambda op: op.add_column("nope", sa.Column("v", sa.Integer)))
