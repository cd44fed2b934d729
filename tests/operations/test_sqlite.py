"""SQLite: what its ALTER cannot do runs as a table recreate keeping rows, indexes and keys."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from asyncmig._operations.naming import DEFAULT_NAMING_CONVENTION
from asyncmig.errors import OperationNotSupported
from tests.operations._harness import columns, inspect, offline, rows, run

pytestmark = pytest.mark.anyio

# the convention `asyncmig init` writes into a project's configuration (opt-in)
OPTED_IN = {"naming_convention": dict(DEFAULT_NAMING_CONVENTION)}


def _schema(op: Any) -> None:
    account = op.create_table(
        "account",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(100), unique=True),
        sa.Column("name", sa.String(50), nullable=False, server_default="anon"),
    )
    op.create_index("ix_account_name", "account", ["name"])
    order = op.create_table(
        "order",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer),
        sa.Column("total", sa.Integer),
    )
    op.bulk_insert(
        account,
        [{"id": 1, "email": "a@x", "name": "ann"}, {"id": 2, "email": "b@x", "name": "bob"}],
    )
    op.bulk_insert(order, [{"id": 10, "account_id": 1, "total": 5}])


async def test_drop_column_with_unique_and_index_trap(sqlite_url: str) -> None:
    """op.drop_column on a column with a unique constraint and an index upgrades and downgrades."""
    await run(sqlite_url, _schema)
    await run(sqlite_url, lambda op: op.create_index("ix_account_email", "account", ["email"]))

    await run(sqlite_url, lambda op: op.drop_column("account", "email"))
    cols = await inspect(sqlite_url, lambda i: columns(i, "account"))
    assert list(cols) == ["id", "name"]
    assert cols["name"]["nullable"] is False
    assert "anon" in str(cols["name"]["default"])
    indexes = await inspect(sqlite_url, lambda i: i.get_indexes("account"))
    assert [ix["name"] for ix in indexes] == ["ix_account_name"]
    assert await rows(sqlite_url, "SELECT id, name FROM account ORDER BY id") == [
        (1, "ann"),
        (2, "bob"),
    ]

    def downgrade(op: Any) -> None:
        op.add_column("account", sa.Column("email", sa.String(100)))
        op.create_unique_constraint("uq_account_email", "account", ["email"])
        op.create_index("ix_account_email", "account", ["email"])

    await run(sqlite_url, downgrade)
    uniques = await inspect(sqlite_url, lambda i: i.get_unique_constraints("account"))
    assert [(u["name"], u["column_names"]) for u in uniques] == [("uq_account_email", ["email"])]
    indexes = await inspect(sqlite_url, lambda i: i.get_indexes("account"))
    assert sorted(ix["name"] for ix in indexes) == ["ix_account_email", "ix_account_name"]
    assert await rows(sqlite_url, "SELECT count(*) FROM account") == [(2,)]


async def test_create_foreign_key_none_trap(sqlite_url: str) -> None:
    """create_foreign_key(None, ...) recreates the table, named by the configured convention."""
    await run(sqlite_url, _schema)
    await run(
        sqlite_url,
        lambda op: op.create_foreign_key(None, "order", "account", ["account_id"], ["id"]),
        opts=OPTED_IN,
    )
    fks = await inspect(sqlite_url, lambda i: i.get_foreign_keys("order"))
    assert [(fk["name"], fk["referred_table"], fk["referred_columns"]) for fk in fks] == [
        ("fk_order_account_id_account", "account", ["id"])
    ]
    assert await rows(sqlite_url, 'SELECT id, account_id, total FROM "order"') == [(10, 1, 5)]

    await run(
        sqlite_url,
        lambda op: op.drop_constraint("fk_order_account_id_account", "order", type_="foreignkey"),
    )
    assert await inspect(sqlite_url, lambda i: i.get_foreign_keys("order")) == []
    assert await rows(sqlite_url, 'SELECT id, account_id, total FROM "order"') == [(10, 1, 5)]


async def test_alter_column_recreates_keeping_rows_and_foreign_keys(sqlite_url: str) -> None:
    """Type, nullability and default changes recreate the table; rows, indexes and FKs survive."""

    def upgrade(op: Any) -> None:
        _schema(op)
        op.create_foreign_key(
            "fk_order_account", "order", "account", ["account_id"], ["id"], ondelete="CASCADE"
        )

    await run(sqlite_url, upgrade)

    def change(op: Any) -> None:
        op.alter_column("order", "total", type_=sa.String(20), existing_type=sa.Integer())
        op.alter_column("order", "total", nullable=False)
        op.alter_column("order", "total", server_default="0")
        op.alter_column("account", "name", nullable=True)

    await run(sqlite_url, change)
    cols = await inspect(sqlite_url, lambda i: columns(i, "order"))
    assert isinstance(cols["total"]["type"], sa.String)
    assert cols["total"]["nullable"] is False
    assert "0" in str(cols["total"]["default"])
    fks = await inspect(sqlite_url, lambda i: i.get_foreign_keys("order"))
    assert [(fk["name"], fk["options"]) for fk in fks] == [
        ("fk_order_account", {"ondelete": "CASCADE"})
    ]
    assert await rows(sqlite_url, 'SELECT id, total FROM "order"') == [(10, "5")]
    account_cols = await inspect(sqlite_url, lambda i: columns(i, "account"))
    assert account_cols["name"]["nullable"] is True
    uniques = await inspect(sqlite_url, lambda i: i.get_unique_constraints("account"))
    assert [u["column_names"] for u in uniques] == [["email"]]
    assert [ix["name"] for ix in await inspect(sqlite_url, lambda i: i.get_indexes("account"))] == [
        "ix_account_name"
    ]
    assert await rows(sqlite_url, "SELECT count(*) FROM account") == [(2,)]


async def test_add_column_with_foreign_key_recreates(sqlite_url: str) -> None:
    """add_column carrying a ForeignKey recreates the table with the key."""
    await run(sqlite_url, _schema)
    await run(
        sqlite_url,
        lambda op: op.add_column(
            "order", sa.Column("payer_id", sa.Integer, sa.ForeignKey("account.id"))
        ),
    )
    fks = await inspect(sqlite_url, lambda i: i.get_foreign_keys("order"))
    assert [(fk["constrained_columns"], fk["referred_table"]) for fk in fks] == [
        (["payer_id"], "account")
    ]
    assert await rows(sqlite_url, 'SELECT id, payer_id FROM "order"') == [(10, None)]


async def test_check_constraint_recreate_is_enforced(sqlite_url: str) -> None:
    """create_check_constraint on an existing table is enforced after the recreate."""
    await run(sqlite_url, _schema)
    await run(sqlite_url, lambda op: op.create_check_constraint("ck_total", "order", "total >= 0"))
    with pytest.raises(sa.exc.IntegrityError):
        await run(sqlite_url, lambda op: op.execute('UPDATE "order" SET total = -1'))
    await run(sqlite_url, lambda op: op.drop_constraint("ck_total", "order", type_="check"))
    await run(sqlite_url, lambda op: op.execute('UPDATE "order" SET total = -1'))
    assert await rows(sqlite_url, 'SELECT total FROM "order"') == [(-1,)]


async def test_drop_unnamed_unique_by_convention_name(sqlite_url: str) -> None:
    """An unnamed UNIQUE (as reflected from SQLite) is dropped by its configured convention name."""
    await run(sqlite_url, _schema)
    await run(
        sqlite_url,
        lambda op: op.drop_constraint("uq_account_email", "account", "unique"),
        opts=OPTED_IN,
    )
    assert await inspect(sqlite_url, lambda i: i.get_unique_constraints("account")) == []


async def test_drop_missing_constraint_names_it(sqlite_url: str) -> None:
    """Dropping a constraint the table does not have says which table and name."""
    await run(sqlite_url, _schema)
    with pytest.raises(Exception, match="'account' has no constraint named 'nope'"):
        await run(sqlite_url, lambda op: op.drop_constraint("nope", "account", "unique"))


async def test_plain_alters_stay_plain(sqlite_url: str) -> None:
    """Renames and an unconstrained drop_column use SQLite's own ALTER (no recreate)."""
    await run(sqlite_url, _schema)
    sql_before = await rows(sqlite_url, "SELECT sql FROM sqlite_master WHERE name = 'order'")

    def change(op: Any) -> None:
        op.alter_column("order", "total", new_column_name="amount")
        op.drop_column("order", "amount")

    await run(sqlite_url, change)
    sql_after = await rows(sqlite_url, "SELECT sql FROM sqlite_master WHERE name = 'order'")
    # an in-place ALTER keeps SQLite's original formatting of the CREATE statement
    assert sql_after[0][0].startswith(sql_before[0][0].split("(")[0])
    assert list(await inspect(sqlite_url, lambda i: columns(i, "order"))) == ["id", "account_id"]


async def test_exclude_constraint_not_supported(sqlite_url: str) -> None:
    """create_exclude_constraint names the directive, SQLite and the alternative."""
    await run(sqlite_url, _schema)
    with pytest.raises(OperationNotSupported, match=r"create_exclude_constraint.*sqlite"):
        await run(
            sqlite_url,
            lambda op: op.create_exclude_constraint("ex", "order", ("total", "=")),
        )


def test_offline_recreate_without_definition_is_refused() -> None:
    """Offline, a directive needing a recreate asks for batch_alter_table(copy_from=...)."""
    with pytest.raises(OperationNotSupported, match="copy_from"):
        offline("sqlite", lambda op: op.alter_column("t", "c", nullable=False))


def test_offline_recreate_with_copy_from_renders_statements() -> None:
    """Offline batch with copy_from renders CREATE / INSERT SELECT / DROP / RENAME / indexes."""
    source = sa.Table(
        "t",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("c", sa.Integer),
        sa.Column("d", sa.String(10), index=True),
    )

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("t", copy_from=source) as batch:
            batch.alter_column("c", nullable=False, type_=sa.BigInteger())
            batch.drop_column("d")
            batch.create_index("ix_t_c", ["c"])

    sql = offline("sqlite", upgrade)
    assert sql == (
        "CREATE TABLE _alembic_tmp_t (\n"
        "    id INTEGER NOT NULL, \n"
        "    c BIGINT NOT NULL, \n"
        "    PRIMARY KEY (id)\n"
        ");\n\n"
        "INSERT INTO _alembic_tmp_t (id, c) SELECT t.id, t.c \n"
        "FROM t;\n\n"
        "DROP TABLE t;\n\n"
        "ALTER TABLE _alembic_tmp_t RENAME TO t;\n\n"
        "CREATE INDEX ix_t_c ON t (c);\n\n"
    )


async def test_old_sqlite_drops_any_column_by_recreate(sqlite_url: str) -> None:
    """Before SQLite 3.35 (no DROP COLUMN) even a plain column is dropped by a recreate."""
    await run(sqlite_url, _schema)

    def downgrade(op: Any) -> None:
        op.get_context().dialect.server_version_info = (3, 31, 1)
        op.drop_column("order", "total")

    await run(sqlite_url, downgrade)
    sql = await rows(sqlite_url, "SELECT sql FROM sqlite_master WHERE name = 'order'")
    assert "total" not in sql[0][0]
    assert await rows(sqlite_url, 'SELECT id, account_id FROM "order"') == [(10, 1)]


async def test_recreate_keeps_sqlite_autoincrement(sqlite_url: str) -> None:
    """A table made with sqlite_autoincrement keeps AUTOINCREMENT through a recreate."""

    def upgrade(op: Any) -> None:
        op.create_table(
            "t",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("v", sa.Integer),
            sqlite_autoincrement=True,
        )
        op.alter_column("t", "v", nullable=False)

    await run(sqlite_url, upgrade)
    sql = await rows(sqlite_url, "SELECT sql FROM sqlite_master WHERE name = 't'")
    assert "AUTOINCREMENT" in sql[0][0]
    assert "v INTEGER NOT NULL" in sql[0][0]


def _keyed(op: Any) -> None:
    op.execute(
        "CREATE TABLE keyed (id INTEGER PRIMARY KEY, plain INTEGER, uniq INTEGER UNIQUE, "
        "checked INTEGER, indexed INTEGER, pointed INTEGER, "
        "CHECK (checked > 0), FOREIGN KEY (pointed) REFERENCES keyed (id))"
    )
    op.create_index("ix_keyed_indexed", "keyed", ["indexed"])
    op.execute("INSERT INTO keyed VALUES (1, 2, 3, 4, 5, NULL), (2, 6, 7, 8, 9, 1)")


@pytest.mark.parametrize("column", ["plain", "uniq", "checked", "indexed", "pointed"])
async def test_drop_column_refused_in_place_is_recreated(sqlite_url: str, column: str) -> None:
    """Whatever keys the column (UNIQUE, CHECK, index, FOREIGN KEY), op.drop_column drops it."""
    await run(sqlite_url, _keyed)
    await run(sqlite_url, lambda op: op.drop_column("keyed", column))
    cols = await inspect(sqlite_url, lambda i: columns(i, "keyed"))
    expected = ["id", "plain", "uniq", "checked", "indexed", "pointed"]
    expected.remove(column)
    assert list(cols) == expected
    kept = ", ".join(expected)
    assert len(await rows(sqlite_url, f"SELECT {kept} FROM keyed")) == 2
    indexes = await inspect(sqlite_url, lambda i: i.get_indexes("keyed"))
    assert [ix["name"] for ix in indexes] == ([] if column == "indexed" else ["ix_keyed_indexed"])


async def test_drop_column_used_by_a_view_is_the_users_to_fix(sqlite_url: str) -> None:
    """A view using the column is not recreated around: SQLite's message, nothing changed."""
    await run(sqlite_url, _keyed)
    view = "CREATE VIEW plain_view AS SELECT plain FROM keyed"
    await run(sqlite_url, lambda op: op.execute(view))
    with pytest.raises(sa.exc.OperationalError, match="view plain_view"):
        await run(sqlite_url, lambda op: op.drop_column("keyed", "plain"))
    assert "plain" in await inspect(sqlite_url, lambda i: columns(i, "keyed"))


async def test_add_column_unique_index_is_alter_plus_index(sqlite_url: str) -> None:
    """add_column(index=True, unique=True) is ADD COLUMN + CREATE UNIQUE INDEX, no recreate."""
    await run(sqlite_url, _schema)
    sql_before = await rows(sqlite_url, "SELECT sql FROM sqlite_master WHERE name = 'order'")

    def change(op: Any) -> None:
        op.add_column("order", sa.Column("code", sa.String(20), index=True, unique=True))

    await run(sqlite_url, change)
    sql_after = await rows(sqlite_url, "SELECT sql FROM sqlite_master WHERE name = 'order'")
    # ADD COLUMN splices the column into SQLite's original text (a recreate rewrites it)
    assert sql_after[0][0] == sql_before[0][0].replace(
        "total INTEGER, ", "total INTEGER, code VARCHAR(20), "
    )
    indexes = await inspect(sqlite_url, lambda i: i.get_indexes("order"))
    assert {(ix["name"], tuple(ix["column_names"]), bool(ix["unique"])) for ix in indexes} >= {
        ("ix_order_code", ("code",), True)
    }


def test_add_column_unique_index_offline() -> None:
    """Offline, add_column(index=True, unique=True) renders what Alembic renders."""

    def upgrade(op: Any) -> None:
        op.add_column("t", sa.Column("code", sa.String(20), index=True, unique=True))

    assert offline("sqlite", upgrade) == (
        "ALTER TABLE t ADD COLUMN code VARCHAR(20);\n\n"
        "CREATE UNIQUE INDEX ix_t_code ON t (code);\n\n"
    )


def test_rename_column_keeps_the_column_keyword() -> None:
    """SQLite's rename renders RENAME COLUMN a TO b, as Alembic does there."""
    assert offline("sqlite", lambda op: op.alter_column("t", "a", new_column_name="b")) == (
        "ALTER TABLE t RENAME COLUMN a TO b;\n\n"
    )
