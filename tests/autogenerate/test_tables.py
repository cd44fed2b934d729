"""Table differences: dependency order, the version table, filters and comments."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tests.autogenerate import _harness as h

pytestmark = pytest.mark.anyio


def _shop(metadata: sa.MetaData) -> None:
    sa.Table(
        "line",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("order_id", sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
        sa.Column("sku", sa.String(20), nullable=False, index=True),
        sa.UniqueConstraint("order_id", "sku", name="uq_line_order_sku"),
        sa.CheckConstraint("id > 0", name="ck_line_id"),
    )
    sa.Table(
        "orders",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("customer_id", sa.ForeignKey("customer.id")),
    )
    sa.Table(
        "customer",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(80), unique=True),
    )


async def test_tables_are_created_before_what_points_at_them(database_url: str) -> None:
    """New tables come in foreign-key order, and the downgrade drops them in reverse."""
    models = sa.MetaData()
    _shop(models)

    diffs, rendered = await h.apply_both_ways(
        database_url, sa.MetaData(), models, ["add_table"] * 3
    )

    assert [d.to_dict()["table"] for d in diffs] == ["customer", "orders", "line"]
    up = rendered.upgrade
    assert up.index('"customer"') < up.index('"orders"') < up.index('"line"')
    down = rendered.downgrade
    assert down.index('drop_table("line")') < down.index('drop_table("orders")')
    assert down.index('drop_table("orders")') < down.index('drop_table("customer")')


async def test_removed_tables_are_dropped_and_recreated(database_url: str) -> None:
    """Tables only the database has are dropped in reverse order and rebuilt on downgrade."""
    database = sa.MetaData()
    _shop(database)

    diffs, rendered = await h.apply_both_ways(
        database_url, database, sa.MetaData(), ["remove_table"] * 3
    )

    assert [d.describe() for d in diffs] == [
        "remove table line",
        "remove table orders",
        "remove table customer",
    ]
    assert "create_index" in rendered.downgrade


async def test_foreign_key_cycle_is_split_out(database_url: str) -> None:
    """Two new tables that point at each other get the closing foreign key afterwards."""
    models = sa.MetaData()
    sa.Table(
        "a",
        models,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("b_id", sa.Integer),
        sa.ForeignKeyConstraint(["b_id"], ["b.id"], name="fk_a_b", use_alter=True),
    )
    sa.Table(
        "b",
        models,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("a_id", sa.ForeignKey("a.id", name="fk_b_a")),
    )
    await h.create(database_url, sa.MetaData())
    diffs = await h.compare(database_url, models)
    rendered = await h.render(database_url, diffs, render_as_batch=False)

    assert "create_foreign_key" in rendered.upgrade
    if database_url.startswith("postgresql"):
        await h.execute(database_url, rendered.upgrade, rendered.imports)
        assert list(await h.compare(database_url, models)) == []
        await h.execute(database_url, rendered.downgrade, rendered.imports)
        assert list(await h.compare(database_url, sa.MetaData())) == []


async def test_version_tables_are_never_removed(database_url: str) -> None:
    """The migration tool's own version table is not reported as a removed table."""
    database = sa.MetaData()
    sa.Table("asyncmig_version", database, sa.Column("version_num", sa.String(32)))
    sa.Table("custom_versions", database, sa.Column("version_num", sa.String(32)))
    await h.create(database_url, database)

    assert [d.describe() for d in await h.compare(database_url, sa.MetaData())] == [
        "remove table custom_versions"
    ]
    diffs = await h.compare(database_url, sa.MetaData(), version_tables=("custom_versions",))
    assert [d.describe() for d in diffs] == ["remove table asyncmig_version"]
    assert (
        list(
            await h.compare(
                database_url, sa.MetaData(), version_tables=("asyncmig_version", "custom_versions")
            )
        )
        == []
    )


async def test_include_object_and_include_name_filter(database_url: str) -> None:
    """include_name hides reflected tables; include_object hides objects of either side."""
    database = sa.MetaData()
    sa.Table("legacy", database, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("kept", database, sa.Column("id", sa.Integer, primary_key=True))
    await h.create(database_url, database)
    models = sa.MetaData()
    sa.Table(
        "kept", models, sa.Column("id", sa.Integer, primary_key=True), sa.Column("x", sa.Integer)
    )
    sa.Table("new", models, sa.Column("id", sa.Integer, primary_key=True))

    def include_name(name: str | None, type_: str, parents: Any) -> bool:
        return not (type_ == "table" and name == "legacy")

    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
        return not (type_ == "column" and name == "x")

    everything = await h.compare(database_url, models)
    assert [d.describe() for d in everything] == [
        "add table new",
        "remove table legacy",
        "add column kept.x",
    ]
    filtered = await h.compare(
        database_url, models, include_name=include_name, include_object=include_object
    )
    assert [d.describe() for d in filtered] == ["add table new"]


async def test_several_metadata_objects_are_merged(database_url: str) -> None:
    """target_metadata may be a list: all of their tables are the models."""
    first, second = sa.MetaData(), sa.MetaData()
    sa.Table("one", first, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("two", second, sa.Column("id", sa.Integer, primary_key=True))
    await h.create(database_url, first)

    diffs = await h.compare(database_url, [first, second])

    assert [d.describe() for d in diffs] == ["add table two"]


@pytest.mark.postgresql
async def test_table_comment(postgresql_url: str) -> None:
    """A table comment is set, changed and removed both ways."""
    database = sa.MetaData()
    sa.Table("t", database, sa.Column("id", sa.Integer, primary_key=True), comment="old")
    models = sa.MetaData()
    sa.Table("t", models, sa.Column("id", sa.Integer, primary_key=True), comment="new")

    await h.apply_both_ways(postgresql_url, database, models, ["modify_table_comment"])


@pytest.mark.postgresql
async def test_table_comment_removed(postgresql_url: str) -> None:
    """Removing a table comment renders drop_table_comment and restores it on downgrade."""
    database = sa.MetaData()
    sa.Table("t", database, sa.Column("id", sa.Integer, primary_key=True), comment="old")
    models = sa.MetaData()
    sa.Table("t", models, sa.Column("id", sa.Integer, primary_key=True))

    _, rendered = await h.apply_both_ways(
        postgresql_url, database, models, ["modify_table_comment"]
    )

    assert "drop_table_comment" in rendered.upgrade


@pytest.mark.postgresql
async def test_other_schemas_with_include_schemas(postgresql_url: str) -> None:
    """include_schemas compares every schema; model tables in a schema are compared there."""
    await h.run_sync(postgresql_url, lambda c: c.execute(sa.text("CREATE SCHEMA extra")))
    database = sa.MetaData()
    sa.Table("old", database, sa.Column("id", sa.Integer, primary_key=True), schema="extra")
    models = sa.MetaData()
    sa.Table("fresh", models, sa.Column("id", sa.Integer, primary_key=True), schema="extra")

    diffs, rendered = await h.apply_both_ways(
        postgresql_url, database, models, ["add_table", "remove_table"], include_schemas=True
    )

    assert 'schema="extra"' in rendered.upgrade
    assert [d.to_dict()["schema"] for d in diffs] == ["extra", "extra"]


async def test_possible_table_rename_is_a_note(database_url: str) -> None:
    """A table added and one removed are not guessed to be a rename; a note says it may be."""
    database = sa.MetaData()
    sa.Table("client", database, sa.Column("id", sa.Integer, primary_key=True))
    models = sa.MetaData()
    sa.Table("customer", models, sa.Column("id", sa.Integer, primary_key=True))

    _, rendered = await h.apply_both_ways(
        database_url, database, models, ["add_table", "remove_table"]
    )

    assert any("op.rename_table()" in note for note in rendered.notes)
