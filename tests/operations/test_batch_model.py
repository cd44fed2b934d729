"""batch_alter_table applies every directive to a model of the table, then recreates once.

Expected results were measured by running the same blocks under Alembic 1.20.1 on real
SQLite files and PostgreSQL: constraints are keyed by name (a second one of a name
replaces the first), a drop_index/drop_constraint may name what an earlier drop_column
of the block took with it, an Enum's or Boolean's CHECK is made once by the column's
type, and PostgreSQL's recreate frees the names the new table reuses first.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from asyncmig.errors import CommandError
from tests.operations._harness import columns, inspect, offline, rows, run

pytestmark = pytest.mark.anyio


def _item(op: Any) -> None:
    op.create_table("owner", sa.Column("id", sa.Integer, primary_key=True))
    op.create_table(
        "item",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False, server_default="x"),
        sa.Column("version", sa.Integer),
        sa.Column("note", sa.String(20)),
        sa.UniqueConstraint("note", name="uq_item_note"),
    )
    op.create_index("ix_item_name_version", "item", ["name", "version"], unique=True)
    op.execute("INSERT INTO item (id, name, version, note) VALUES (1, 'a', 1, 'n')")


async def _sqlite_sql(url: str, name: str) -> str:
    found = await rows(url, f"SELECT sql FROM sqlite_master WHERE name = '{name}'")
    return str(found[0][0]) if found else ""


async def test_drop_index_after_drop_column_of_the_same_batch(sqlite_url: str) -> None:
    """drop_column then drop_index of an index on that column, in one block, succeeds."""

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("item") as batch:
            batch.add_column(sa.Column("owner_id", sa.Integer))
            batch.create_foreign_key("fk_item_owner", "owner", ["owner_id"], ["id"])
            batch.drop_column("version")
            batch.drop_index("ix_item_name_version")
            batch.create_index("ix_item_name", ["name"], unique=True)

    await run(sqlite_url, _item)
    await run(sqlite_url, upgrade)
    indexes = await inspect(sqlite_url, lambda i: {ix["name"] for ix in i.get_indexes("item")})
    assert indexes == {"ix_item_name"}
    fks = await inspect(sqlite_url, lambda i: i.get_foreign_keys("item"))
    assert [(fk["name"], fk["constrained_columns"]) for fk in fks] == [
        ("fk_item_owner", ["owner_id"])
    ]
    assert await rows(sqlite_url, "SELECT id, name, note, owner_id FROM item") == [
        (1, "a", "n", None)
    ]


async def test_drop_constraint_after_drop_column_of_the_same_batch(sqlite_url: str) -> None:
    """A named unique constraint taken by drop_column can still be dropped by name."""

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("item") as batch:
            batch.drop_column("note")
            batch.drop_constraint("uq_item_note", type_="unique")

    await run(sqlite_url, _item)
    await run(sqlite_url, upgrade)
    assert await inspect(sqlite_url, lambda i: i.get_unique_constraints("item")) == []


async def test_foreign_key_of_one_name_twice_is_kept_once(sqlite_url: str) -> None:
    """Two batches creating fk_item_owner leave one constraint, the later definition."""

    def first(op: Any) -> None:
        with op.batch_alter_table("item") as batch:
            batch.add_column(sa.Column("owner_id", sa.Integer))
            batch.create_foreign_key("fk_item_owner", "owner", ["owner_id"], ["id"])

    def second(op: Any) -> None:
        with op.batch_alter_table("item") as batch:
            batch.create_foreign_key(
                "fk_item_owner", "owner", ["owner_id"], ["id"], ondelete="CASCADE"
            )

    await run(sqlite_url, _item)
    await run(sqlite_url, first)
    await run(sqlite_url, second)
    fks = await inspect(sqlite_url, lambda i: i.get_foreign_keys("item"))
    assert [(fk["name"], fk["options"].get("ondelete")) for fk in fks] == [
        ("fk_item_owner", "CASCADE")
    ]
    assert (await _sqlite_sql(sqlite_url, "item")).count("FOREIGN KEY") == 1


async def test_unique_constraint_of_an_existing_name_replaces_it(sqlite_url: str) -> None:
    """create_unique_constraint with a name the table has redefines that constraint."""

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("item") as batch:
            batch.create_unique_constraint("uq_item_note", ["note", "version"])

    await run(sqlite_url, _item)
    await run(sqlite_url, upgrade)
    uniques = await inspect(sqlite_url, lambda i: i.get_unique_constraints("item"))
    assert [(u["name"], u["column_names"]) for u in uniques] == [
        ("uq_item_note", ["note", "version"])
    ]


async def test_schema_type_check_constraints_are_made_once(sqlite_url: str) -> None:
    """Enum and Boolean columns with create_constraint=True get one CHECK each."""

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("item", recreate="always") as batch:
            batch.add_column(
                sa.Column("state", sa.Enum("x", "y", name="ck_state", create_constraint=True))
            )
            batch.add_column(sa.Column("flag", sa.Boolean(create_constraint=True)))

    await run(sqlite_url, _item)
    await run(sqlite_url, upgrade)
    sql = await _sqlite_sql(sqlite_url, "item")
    assert sql.count("CONSTRAINT ck_state CHECK") == 1
    assert sql.count("CHECK (flag IN (0, 1))") == 1


async def test_batch_keeps_enum_check_once_on_a_second_recreate(sqlite_url: str) -> None:
    """A table created with an Enum CHECK keeps exactly one copy through a recreate."""

    def create(op: Any) -> None:
        op.create_table(
            "t",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("s", sa.Enum("x", "y", name="ck_s", create_constraint=True)),
        )

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("t", recreate="always") as batch:
            batch.alter_column("id", type_=sa.BigInteger)

    await run(sqlite_url, create)
    await run(sqlite_url, upgrade)
    assert (await _sqlite_sql(sqlite_url, "t")).count("CONSTRAINT ck_s CHECK") == 1


@pytest.mark.postgresql
async def test_recreate_always_on_postgresql_reuses_constraint_names(
    postgresql_url: str,
) -> None:
    """recreate='always' on PostgreSQL keeps a_pkey/a_n_key and Alembic's sequence name."""

    def upgrade(op: Any) -> None:
        op.create_table(
            "a",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("s", sa.Enum("x", "y", name="state_type")),
            sa.Column("n", sa.String(10), unique=True),
        )
        with op.batch_alter_table("a", recreate="always") as batch:
            batch.alter_column("n", type_=sa.String(20))

    await run(postgresql_url, upgrade)
    pk = await inspect(postgresql_url, lambda i: i.get_pk_constraint("a"))
    uniques = await inspect(postgresql_url, lambda i: i.get_unique_constraints("a"))
    assert pk["name"] == "a_pkey"
    assert [u["name"] for u in uniques] == ["a_n_key"]
    sequences = await rows(postgresql_url, "SELECT sequencename FROM pg_sequences")
    assert sequences == [("_alembic_tmp_a_id_seq",)]


async def test_batch_naming_convention_names_the_reflected_unnamed_constraints(
    sqlite_url: str,
) -> None:
    """naming_convention names unnamed constraints, which keep those names in the new table."""
    convention = {
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    }

    def create(op: Any) -> None:
        op.create_table("owner", sa.Column("id", sa.Integer, primary_key=True))
        op.create_table(
            "t",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("a", sa.Integer),
            sa.Column("b", sa.Integer),
            sa.Column("o", sa.Integer, sa.ForeignKey("owner.id")),
            sa.UniqueConstraint("a"),
            sa.UniqueConstraint("b"),
        )

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("t", naming_convention=convention) as batch:
            batch.drop_constraint("uq_t_a", type_="unique")

    await run(sqlite_url, create)
    await run(sqlite_url, upgrade)
    uniques = await inspect(sqlite_url, lambda i: i.get_unique_constraints("t"))
    fks = await inspect(sqlite_url, lambda i: i.get_foreign_keys("t"))
    assert [(u["name"], u["column_names"]) for u in uniques] == [("uq_t_b", ["b"])]
    assert [fk["name"] for fk in fks] == ["fk_t_o_owner"]


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_insert_before_without_a_recreate_is_refused(dialect: str) -> None:
    """insert_before in a batch that runs as ALTERs is refused, as under Alembic."""

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("t") as batch:
            batch.add_column(sa.Column("c", sa.Integer), insert_before="a")

    with pytest.raises(CommandError, match="recreate='always'"):
        offline(dialect, upgrade)


async def test_recreate_keeps_collation_and_autoincrement(sqlite_url: str) -> None:
    """A recreate keeps COLLATE and AUTOINCREMENT, which SQLAlchemy does not reflect."""

    def create(op: Any) -> None:
        op.create_table(
            "t",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("code", sa.String(20, collation="NOCASE"), unique=True),
            sa.Column("n", sa.Integer),
            sqlite_autoincrement=True,
        )

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("t") as batch:
            batch.alter_column("n", type_=sa.BigInteger)

    await run(sqlite_url, create)
    await run(sqlite_url, upgrade)
    sql = await _sqlite_sql(sqlite_url, "t")
    assert 'code VARCHAR(20) COLLATE "NOCASE"' in sql
    assert "AUTOINCREMENT" in sql
    assert "n BIGINT" in sql


async def test_recreate_always_with_an_empty_block_recreates(sqlite_url: str) -> None:
    """recreate='always' with no directive still rebuilds the table, as Alembic does."""

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("item", recreate="always"):
            pass

    await run(sqlite_url, _item)
    await run(sqlite_url, upgrade)
    # SQLite keeps the name as ALTER TABLE ... RENAME TO wrote it: quoted
    assert (await _sqlite_sql(sqlite_url, "item")).startswith('CREATE TABLE "item"')
    assert await rows(sqlite_url, "SELECT id, name FROM item") == [(1, "a")]


async def test_changing_an_enum_type_replaces_its_check(sqlite_url: str) -> None:
    """A type change swaps the Enum's CHECK; a recreating rename drops it (existing_type given)."""
    old = sa.Enum("x", "y", name="ck_state", create_constraint=True)

    def create(op: Any) -> None:
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("s", old))

    def upgrade(op: Any) -> None:
        new = sa.Enum("x", "y", "z", name="ck_state", create_constraint=True)
        with op.batch_alter_table("t") as batch:
            batch.alter_column("s", type_=new, existing_type=old)
        with op.batch_alter_table("t") as batch:
            batch.alter_column("s", new_column_name="state", existing_type=new, nullable=False)

    await run(sqlite_url, create)
    await run(sqlite_url, upgrade)
    sql = await _sqlite_sql(sqlite_url, "t")
    assert "ck_state" not in sql
    assert "state VARCHAR(1) NOT NULL" in sql


def test_values_are_cast_only_where_the_type_affinity_changes() -> None:
    """Offline SQL casts a column going String -> Integer, not Integer -> BigInteger."""
    source = sa.Table(
        "t",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("a", sa.Integer),
        sa.Column("b", sa.String(10)),
        sa.Column("j", sa.Text),
    )

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("t", copy_from=source) as batch:
            batch.alter_column("a", type_=sa.BigInteger)
            batch.alter_column("b", type_=sa.Integer)
            batch.alter_column("j", type_=sa.JSON)

    sql = offline("sqlite", upgrade)
    assert "SELECT t.id, t.a, CAST(t.b AS INTEGER) AS b, t.j \nFROM t;" in sql


@pytest.mark.parametrize(
    ("directive", "recreated"),
    [
        (lambda batch: batch.alter_column("name", new_column_name="title"), True),
        (lambda batch: batch.drop_column("note"), True),
        (lambda batch: batch.create_table_comment("items"), True),
        (lambda batch: batch.add_column(sa.Column("extra", sa.Integer)), False),
        (lambda batch: batch.create_index("ix_item_note", ["note"]), False),
        (
            lambda batch: batch.add_column(
                sa.Column("extra", sa.Integer, server_default=sa.text("(1 + 1)"))
            ),
            True,
        ),
        (
            lambda batch: batch.add_column(
                sa.Column("kind", sa.Enum("a", "b", name="ck_kind", create_constraint=True))
            ),
            True,
        ),
    ],
    ids=[
        "rename",
        "drop-column",
        "table-comment",
        "add-column",
        "create-index",
        "sql-default",
        "enum-check",
    ],
)
async def test_sqlite_auto_batch_recreates_as_alembic_decides(
    sqlite_url: str, directive: Any, recreated: bool
) -> None:
    """recreate='auto' on SQLite rebuilds unless the block only adds plain columns or indexes."""

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("item") as batch:
            directive(batch)

    await run(sqlite_url, _item)
    await run(sqlite_url, upgrade)
    # only a table rebuilt by ALTER TABLE ... RENAME TO has its name quoted
    assert (await _sqlite_sql(sqlite_url, "item")).startswith('CREATE TABLE "item"') is recreated


def test_not_null_add_column_without_default_is_a_plain_alter_on_sqlite() -> None:
    """ADD COLUMN n NOT NULL with no default stays an ALTER, as under Alembic (no recreate)."""
    column = sa.Column("n", sa.Integer, nullable=False)
    sql = offline("sqlite", lambda op: op.add_column("t", column))
    assert sql == "ALTER TABLE t ADD COLUMN n INTEGER NOT NULL;\n\n"


@pytest.mark.postgresql
async def test_recreate_on_postgresql_keeps_comments(postgresql_url: str) -> None:
    """A PostgreSQL recreate writes the table's and columns' comments again, as Alembic's does."""

    def upgrade(op: Any) -> None:
        op.create_table(
            "a",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("note", sa.String(10), comment="a note"),
            comment="the a table",
        )
        with op.batch_alter_table("a", recreate="always") as batch:
            batch.alter_column("note", type_=sa.String(20))

    await run(postgresql_url, upgrade)
    note = await inspect(postgresql_url, lambda i: columns(i, "a")["note"])
    table = await inspect(postgresql_url, lambda i: i.get_table_comment("a"))
    assert note["comment"] == "a note"
    assert table["text"] == "the a table"


async def test_reflected_sqlite_defaults_are_parenthesised_as_alembic_batch_does(
    sqlite_url: str,
) -> None:
    """A recreate parenthesises a reflected default unless one digit, quoted or parenthesised."""

    def create(op: Any) -> None:
        op.create_table(
            "d",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("now", sa.DateTime, server_default=sa.func.now()),
            sa.Column("ten", sa.Integer, server_default=sa.text("10")),
            sa.Column("one", sa.Integer, server_default=sa.text("1")),
            sa.Column("word", sa.String(5), server_default="ab"),
            sa.Column("sum", sa.Integer, server_default=sa.text("(1 + 2)")),
        )

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("d", recreate="always") as batch:
            batch.add_column(sa.Column("z", sa.Integer))

    await run(sqlite_url, create)
    await run(sqlite_url, upgrade)
    sql = await _sqlite_sql(sqlite_url, "d")
    assert "now DATETIME DEFAULT (CURRENT_TIMESTAMP)" in sql
    assert "ten INTEGER DEFAULT (10)" in sql
    assert "one INTEGER DEFAULT 1," in sql
    assert "word VARCHAR(5) DEFAULT 'ab'" in sql
    assert "sum INTEGER DEFAULT (1 + 2)" in sql
