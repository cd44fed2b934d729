"""Index, unique, foreign key, check and primary key differences, applied both ways."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tests.autogenerate import _harness as h

pytestmark = pytest.mark.anyio

CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _pair(*items: Any, parent: bool = False) -> sa.MetaData:
    """A MetaData with `item` (a table's extra columns/constraints) on table `item`."""
    metadata = sa.MetaData(naming_convention=CONVENTION)
    sa.Table(
        "parent",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(10), nullable=False),
        sa.UniqueConstraint("code"),
    )
    sa.Table(
        "item",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("parent_id", sa.Integer),
        sa.Column("a", sa.Integer),
        sa.Column("b", sa.Integer),
        *items,
    )
    return metadata


async def test_index_added_removed_and_changed(database_url: str) -> None:
    """A new index, a dropped one, and one whose columns changed (dropped and recreated)."""
    database = _pair(sa.Index("ix_gone", "a"), sa.Index("ix_changed", "a"))
    models = _pair(sa.Index("ix_changed", "a", "b"), sa.Index("ix_new", "b", unique=True))

    diffs, _ = await h.apply_both_ways(
        database_url, database, models, ["remove_index", "remove_index", "add_index", "add_index"]
    )

    assert [d.describe() for d in diffs] == [
        "remove index ix_changed on item (a)",
        "remove index ix_gone on item (a)",
        "add index ix_changed on item (a, b)",
        "add unique index ix_new on item (b)",
    ]


async def test_unique_constraints(database_url: str) -> None:
    """Unique constraints are added, removed and changed by name."""
    database = _pair(sa.UniqueConstraint("a", name="uq_old"), sa.UniqueConstraint("b", name="uq_c"))
    models = _pair(
        sa.UniqueConstraint("a", "b", name="uq_c"), sa.UniqueConstraint("b", name="uq_new")
    )

    diffs, _ = await h.apply_both_ways(
        database_url,
        database,
        models,
        ["remove_unique_constraint"] * 2 + ["add_unique_constraint"] * 2,
    )

    assert {d.to_dict()["name"] for d in diffs} == {"uq_old", "uq_c", "uq_new"}


async def test_unnamed_unique_matches_by_columns(database_url: str) -> None:
    """A model unique constraint without a name matches the database's by its columns."""
    metadata = sa.MetaData()
    sa.Table(
        "t",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("u", sa.Integer, unique=True),
    )
    await h.create(database_url, metadata)

    assert list(await h.compare(database_url, metadata)) == []


async def test_foreign_keys_added_removed_and_changed(database_url: str) -> None:
    """Foreign keys are added, dropped, and recreated when their ON DELETE changes."""
    database = _pair(
        sa.ForeignKeyConstraint(["parent_id"], ["parent.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["b"], ["parent.id"]),
    )
    models = _pair(
        sa.ForeignKeyConstraint(["parent_id"], ["parent.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["a"], ["parent.id"]),
    )

    diffs, rendered = await h.apply_both_ways(
        database_url, database, models, ["remove_fk", "remove_fk", "add_fk", "add_fk"]
    )

    assert [d.describe() for d in diffs] == [
        "remove foreign key fk_item_parent_id_parent on item (parent_id) -> parent(id)",
        "remove foreign key fk_item_b_parent on item (b) -> parent(id)",
        "add foreign key fk_item_a_parent on item (a) -> parent(id)",
        "add foreign key fk_item_parent_id_parent on item (parent_id) -> parent(id)",
    ]
    up = rendered.upgrade
    # foreign keys are dropped first and created last
    assert up.index("drop_constraint") < up.index("create_foreign_key")
    assert 'op.f("fk_item_a_parent")' in up or 'batch_op.f("fk_item_a_parent")' in up


async def test_foreign_key_to_a_new_table_comes_after_it(database_url: str) -> None:
    """A foreign key on an existing table to a new table is created after that table."""
    database = sa.MetaData()
    sa.Table(
        "item", database, sa.Column("id", sa.Integer, primary_key=True), sa.Column("p", sa.Integer)
    )
    models = sa.MetaData(naming_convention=CONVENTION)
    sa.Table(
        "item",
        models,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("p", sa.ForeignKey("parent.id")),
    )
    sa.Table("parent", models, sa.Column("id", sa.Integer, primary_key=True))

    _, rendered = await h.apply_both_ways(database_url, database, models, ["add_table", "add_fk"])

    assert rendered.upgrade.index("create_table") < rendered.upgrade.index("create_foreign_key")
    down = rendered.downgrade
    assert down.index("drop_constraint") < down.index("drop_table")


async def test_named_check_constraints(database_url: str) -> None:
    """Named check constraints are added and removed."""
    database = _pair(sa.CheckConstraint("a > 0", name="old_positive"))
    models = _pair(sa.CheckConstraint("b > 0", name="b_positive"))

    diffs, rendered = await h.apply_both_ways(
        database_url, database, models, ["remove_check_constraint", "add_check_constraint"]
    )

    assert [d.to_dict()["name"] for d in diffs] == ["ck_item_old_positive", "ck_item_b_positive"]
    assert "b > 0" in rendered.upgrade


async def test_anonymous_check_constraint_is_a_note(database_url: str) -> None:
    """An unnamed check constraint is not guessed at: the script says so in a note."""
    database = sa.MetaData()
    sa.Table(
        "t", database, sa.Column("id", sa.Integer, primary_key=True), sa.Column("a", sa.Integer)
    )
    models = sa.MetaData()
    sa.Table(
        "t",
        models,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("a", sa.Integer),
        sa.CheckConstraint("a > 0"),
    )
    await h.create(database_url, database)

    diffs = await h.compare(database_url, models)

    assert list(diffs) == []
    assert any("unnamed check constraints on t" in note for note in diffs.notes)
    rendered = await h.render(database_url, diffs)
    assert rendered.empty
    assert rendered.notes == diffs.notes


async def test_primary_key_change(database_url: str) -> None:
    """A primary key over other columns is dropped and recreated, and back."""
    database = sa.MetaData()
    sa.Table(
        "t",
        database,
        sa.Column("a", sa.Integer, primary_key=True),
        sa.Column("b", sa.Integer, nullable=False),
    )
    models = sa.MetaData()
    sa.Table(
        "t",
        models,
        sa.Column("a", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("b", sa.Integer, primary_key=True, autoincrement=False),
    )

    diffs, _ = await h.apply_both_ways(database_url, database, models, ["modify_primary_key"])

    assert diffs[0].describe() == "modify primary key t: (a) -> (a, b)"


async def test_naming_convention_names_render_through_op_f(database_url: str) -> None:
    """Names the naming convention made are wrapped in op.f() so they are not converted twice."""
    models = _pair(sa.Index(None, "a"), sa.CheckConstraint("a > 1", name="a_min"))

    _, rendered = await h.apply_both_ways(database_url, sa.MetaData(), models, ["add_table"] * 2)

    assert 'op.f("uq_parent_code")' in rendered.upgrade
    assert 'op.f("ix_item_a")' in rendered.upgrade
    assert 'op.f("ck_item_a_min")' in rendered.upgrade


async def test_expression_index_round_trip(database_url: str) -> None:
    """An index on an expression is rendered as sa.text() and created both ways."""
    models = sa.MetaData()
    table = sa.Table(
        "person",
        models,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(80)),
    )
    sa.Index("ix_person_email_lower", sa.func.lower(table.c.email))

    _, rendered = await h.apply_both_ways(database_url, sa.MetaData(), models, ["add_table"])

    assert 'sa.text("lower(email)")' in rendered.upgrade


async def test_convention_names_follow_the_batch_receiver(sqlite_url: str) -> None:
    """Inside a batch block, convention names are written batch_op.f() both ways and run."""
    database = sa.MetaData()
    sa.Table(
        "p",
        database,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(5)),
    )
    models = sa.MetaData(naming_convention=CONVENTION)
    sa.Table(
        "p",
        models,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(5), unique=True),
    )

    _, rendered = await h.apply_both_ways(sqlite_url, database, models, ["add_unique_constraint"])

    assert 'batch_op.create_unique_constraint(batch_op.f("uq_p_code")' in rendered.upgrade
    assert 'batch_op.drop_constraint(batch_op.f("uq_p_code")' in rendered.downgrade
