"""PostgreSQL: USING, partial and CONCURRENTLY indexes, EXCLUDE, deferrable keys, schemas."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from tests.operations._harness import columns, inspect, offline, rows, run

pytestmark = pytest.mark.anyio


@pytest.mark.postgresql
async def test_alter_column_type_using(postgresql_url: str) -> None:
    """alter_column(type_=..., postgresql_using=...) converts the rows with the expression."""

    def upgrade(op: Any) -> None:
        table = op.create_table(
            "t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("n", sa.String(10))
        )
        op.bulk_insert(table, [{"id": 1, "n": "42"}])
        op.alter_column("t", "n", type_=sa.Integer(), postgresql_using="n::integer")

    await run(postgresql_url, upgrade)
    cols = await inspect(postgresql_url, lambda i: columns(i, "t"))
    assert isinstance(cols["n"]["type"], sa.Integer)
    assert await rows(postgresql_url, "SELECT n FROM t") == [(42,)]


@pytest.mark.postgresql
async def test_partial_index_with_using(postgresql_url: str) -> None:
    """create_index passes postgresql_where and postgresql_using through."""

    def upgrade(op: Any) -> None:
        op.create_table(
            "t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("n", sa.Integer)
        )
        op.create_index(
            "ix_t_n", "t", ["n"], postgresql_where=sa.text("n > 0"), postgresql_using="hash"
        )

    await run(postgresql_url, upgrade)
    definition = await rows(
        postgresql_url, "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_t_n'"
    )
    assert "USING hash" in definition[0][0]
    assert "WHERE (n > 0)" in definition[0][0]


@pytest.mark.postgresql
async def test_exclude_constraint(postgresql_url: str) -> None:
    """create_exclude_constraint adds an EXCLUDE constraint the database enforces."""

    def upgrade(op: Any) -> None:
        op.create_table(
            "room", sa.Column("id", sa.Integer, primary_key=True), sa.Column("room", sa.Integer)
        )
        op.create_exclude_constraint("ex_room", "room", ("room", "="), using="btree")

    await run(postgresql_url, upgrade)
    found = await rows(
        postgresql_url, "SELECT conname, contype::text FROM pg_constraint WHERE conname = 'ex_room'"
    )
    assert found == [("ex_room", "x")]
    await run(postgresql_url, lambda op: op.execute("INSERT INTO room VALUES (1, 7)"))
    with pytest.raises(sa.exc.IntegrityError):
        await run(postgresql_url, lambda op: op.execute("INSERT INTO room VALUES (2, 7)"))


@pytest.mark.postgresql
async def test_foreign_key_options_and_schemas(postgresql_url: str) -> None:
    """create_foreign_key honours onupdate, deferrable, initially and both schemas."""

    def upgrade(op: Any) -> None:
        op.execute("CREATE SCHEMA billing")
        op.create_table("account", sa.Column("id", sa.Integer, primary_key=True))
        op.create_table(
            "invoice",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("account_id", sa.Integer),
            schema="billing",
        )
        op.create_foreign_key(
            "fk_invoice_account",
            "invoice",
            "account",
            ["account_id"],
            ["id"],
            source_schema="billing",
            referent_schema="public",
            onupdate="CASCADE",
            deferrable=True,
            initially="DEFERRED",
        )

    await run(postgresql_url, upgrade)
    fks = await inspect(postgresql_url, lambda i: i.get_foreign_keys("invoice", schema="billing"))
    assert len(fks) == 1
    assert fks[0]["name"] == "fk_invoice_account"
    assert fks[0]["referred_table"] == "account"
    assert fks[0]["options"] == {"onupdate": "CASCADE", "deferrable": True, "initially": "DEFERRED"}


@pytest.mark.postgresql
async def test_create_index_concurrently_in_autocommit_block(postgresql_url: str) -> None:
    """CREATE INDEX CONCURRENTLY runs inside op.get_context().autocommit_block()."""
    await run(
        postgresql_url,
        lambda op: op.create_table(
            "t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("n", sa.Integer)
        ),
    )

    def upgrade(op: Any) -> None:
        with op.get_context().autocommit_block():
            op.create_index("ix_t_n", "t", ["n"], postgresql_concurrently=True)

    await run(postgresql_url, upgrade)
    indexes = await inspect(postgresql_url, lambda i: i.get_indexes("t"))
    assert [ix["name"] for ix in indexes] == ["ix_t_n"]


@pytest.mark.postgresql
async def test_ddl_rolls_back_with_the_step(postgresql_url: str) -> None:
    """A failing step leaves no trace: PostgreSQL DDL is transactional."""

    def upgrade(op: Any) -> None:
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))
        op.add_column("missing", sa.Column("x", sa.Integer))

    with pytest.raises(sa.exc.ProgrammingError):
        await run(postgresql_url, upgrade)
    assert await inspect(postgresql_url, lambda i: i.get_table_names()) == []


def test_offline_postgresql_sql() -> None:
    """Offline PostgreSQL SQL for the column, index and constraint directives."""

    def upgrade(op: Any) -> None:
        op.add_column(
            "t", sa.Column("c", sa.Integer, nullable=False, server_default="0", comment="count")
        )
        op.alter_column("t", "c", type_=sa.BigInteger(), postgresql_using="c::bigint")
        op.alter_column("t", "c", nullable=True, new_column_name="d")
        op.create_index("ix_t_d", "t", ["d"], postgresql_concurrently=True, if_not_exists=True)
        op.drop_index("ix_t_d", "t", postgresql_concurrently=True, if_exists=True)
        op.create_exclude_constraint("ex_t", "t", ("d", "="), using="gist", where="d > 0")
        op.drop_constraint("ex_t", "t")
        op.create_table_comment("t", "a table")
        op.drop_table_comment("t")

    assert offline("postgresql", upgrade) == (
        "ALTER TABLE t ADD COLUMN c INTEGER DEFAULT '0' NOT NULL;\n\n"
        "COMMENT ON COLUMN t.c IS 'count';\n\n"
        "ALTER TABLE t ALTER COLUMN c TYPE BIGINT USING c::bigint;\n\n"
        "ALTER TABLE t ALTER COLUMN c DROP NOT NULL;\n\n"
        "ALTER TABLE t RENAME c TO d;\n\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_t_d ON t (d);\n\n"
        "DROP INDEX CONCURRENTLY IF EXISTS ix_t_d;\n\n"
        "ALTER TABLE t ADD CONSTRAINT ex_t EXCLUDE USING gist (d WITH =) WHERE (d > 0);\n\n"
        "ALTER TABLE t DROP CONSTRAINT ex_t;\n\n"
        "COMMENT ON TABLE t IS 'a table';\n\n"
        "COMMENT ON TABLE t IS NULL;\n\n"
    )


def test_offline_create_table_with_types() -> None:
    """create_table renders PostgreSQL types and the naming convention of the target metadata."""
    metadata = sa.MetaData(naming_convention={"uq": "uq_%(table_name)s_%(column_0_name)s"})

    def upgrade(op: Any) -> None:
        op.create_table(
            "t",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("tags", postgresql.ARRAY(sa.String)),
            sa.Column("email", sa.String(50)),
            sa.UniqueConstraint("email"),
            schema="app",
        )

    sql = offline("postgresql", upgrade, opts={"target_metadata": metadata})
    assert "CREATE TABLE app.t (" in sql
    assert "tags VARCHAR[]" in sql
    assert "CONSTRAINT uq_t_email UNIQUE (email)" in sql


@pytest.mark.postgresql
async def test_create_table_creates_enum_type(postgresql_url: str) -> None:
    """create_table with an Enum column creates the ENUM type first, as create_all does."""

    def upgrade(op: Any) -> None:
        op.create_table(
            "person",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("mood", sa.Enum("sad", "ok", "happy", name="mood")),
        )

    await run(postgresql_url, upgrade)
    enums = await inspect(postgresql_url, lambda i: i.get_enums())  # type: ignore[attr-defined]
    assert [(e["name"], e["labels"]) for e in enums] == [("mood", ["sad", "ok", "happy"])]


def test_offline_create_table_with_enum() -> None:
    """Offline, the ENUM type is rendered before the table that uses it."""

    def upgrade(op: Any) -> None:
        op.create_table("person", sa.Column("mood", sa.Enum("sad", "ok", name="mood")))

    assert offline("postgresql", upgrade) == (
        "CREATE TYPE mood AS ENUM ('sad', 'ok');\n\nCREATE TABLE person (\n    mood mood\n);\n\n"
    )


@pytest.mark.postgresql
async def test_alter_column_adds_and_drops_an_identity(postgresql_url: str) -> None:
    """alter_column(server_default=Identity(...)) adds an identity; None drops it again."""

    def upgrade(op: Any) -> None:
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True, autoincrement=False))
        op.alter_column("t", "id", server_default=sa.Identity(start=3), existing_type=sa.Integer)
        op.execute("INSERT INTO t DEFAULT VALUES")

    await run(postgresql_url, upgrade)
    cols = await inspect(postgresql_url, lambda i: columns(i, "t"))
    assert cols["id"]["identity"]["start"] == 3
    assert await rows(postgresql_url, "SELECT id FROM t") == [(3,)]

    def downgrade(op: Any) -> None:
        op.alter_column("t", "id", server_default=None, existing_server_default=sa.Identity())

    await run(postgresql_url, downgrade)
    cols = await inspect(postgresql_url, lambda i: columns(i, "t"))
    assert "identity" not in cols["id"]


@pytest.mark.parametrize(
    ("new", "existing", "expected"),
    [
        (sa.Identity(start=3), None, "ADD GENERATED BY DEFAULT AS IDENTITY (START WITH 3)"),
        (sa.Identity(always=True), None, "ADD GENERATED ALWAYS AS IDENTITY"),
        (
            sa.Identity(start=5, increment=2),
            sa.Identity(start=3),
            "SET INCREMENT BY 2 SET START WITH 5",
        ),
        (
            sa.Identity(cycle=False, maxvalue=5),
            sa.Identity(cycle=True),
            "SET NO CYCLE SET MAXVALUE 5",
        ),
        (sa.Identity(always=True), sa.Identity(), "SET GENERATED ALWAYS"),
        (None, sa.Identity(), "DROP IDENTITY"),
    ],
)
def test_identity_changes_render_as_alembic(new: Any, existing: Any, expected: str) -> None:
    """Adding, altering and dropping an identity render Alembic's statements offline."""

    def upgrade(op: Any) -> None:
        op.alter_column("t", "id", server_default=new, existing_server_default=existing)

    assert offline("postgresql", upgrade) == f"ALTER TABLE t ALTER COLUMN id {expected};\n\n"


def test_identity_given_again_unchanged_renders_nothing() -> None:
    """An identity restated with no option changed needs no statement."""

    def upgrade(op: Any) -> None:
        op.alter_column(
            "t", "id", server_default=sa.Identity(), existing_server_default=sa.Identity(start=4)
        )

    assert offline("postgresql", upgrade) == ""


def test_identity_to_plain_default_is_refused() -> None:
    """Replacing an identity by a plain default in one alter_column says what to do instead."""
    from asyncmig.errors import OperationNotSupported

    def upgrade(op: Any) -> None:
        op.alter_column("t", "id", server_default="5", existing_server_default=sa.Identity())

    with pytest.raises(OperationNotSupported, match=r"t\.id: an identity and a plain"):
        offline("postgresql", upgrade)


def test_create_index_include_columns() -> None:
    """create_index(postgresql_include=[...]) renders INCLUDE with the named columns."""

    def upgrade(op: Any) -> None:
        op.create_index("ix", "t", ["a"], postgresql_include=["b", "Weird"], schema="s")

    assert offline("postgresql", upgrade) == 'CREATE INDEX ix ON s.t (a) INCLUDE (b, "Weird");\n\n'


@pytest.mark.postgresql
async def test_create_index_include_online(postgresql_url: str) -> None:
    """An INCLUDE index is created on the server with its included column."""

    def upgrade(op: Any) -> None:
        op.create_table(
            "t",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("a", sa.Integer),
            sa.Column("b", sa.Integer),
        )
        op.create_index("ix_t_a", "t", ["a"], postgresql_include=["b"])

    await run(postgresql_url, upgrade)
    indexes = await inspect(postgresql_url, lambda i: i.get_indexes("t"))
    assert indexes[0]["dialect_options"]["postgresql_include"] == ["b"]
