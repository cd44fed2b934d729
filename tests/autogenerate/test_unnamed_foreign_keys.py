"""Foreign keys the database holds without a name: autogenerate notes what it cannot drop."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tests.autogenerate import _harness as h

pytestmark = pytest.mark.anyio


def _with_fk(**options: Any) -> sa.MetaData:
    """Tables parent and item, item.parent_id referring to parent.id with `options` (if any)."""
    metadata = sa.MetaData()
    sa.Table("parent", metadata, sa.Column("id", sa.Integer, primary_key=True))
    fk = [sa.ForeignKeyConstraint(["parent_id"], ["parent.id"], **options)] if options else []
    sa.Table(
        "item",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("parent_id", sa.Integer),
        *fk,
    )
    return metadata


async def test_unnamed_foreign_key_left_in_the_database_is_a_note(sqlite_url: str) -> None:
    """A reflected foreign key with no name, gone from the models, is noted, not dropped."""
    await h.create(sqlite_url, _with_fk(ondelete="CASCADE"))
    models = _with_fk()

    diffs = await h.compare(sqlite_url, models)

    assert list(diffs) == []
    assert diffs.notes == (
        "unnamed foreign key on item (parent_id) is not in the models; it cannot be dropped "
        "by name: drop it by hand if unwanted",
    )


async def test_unnamed_foreign_key_with_changed_options_is_a_note(sqlite_url: str) -> None:
    """A foreign key whose options changed but that has no name is neither dropped nor added."""
    await h.create(sqlite_url, _with_fk(ondelete="CASCADE"))
    models = _with_fk(ondelete="SET NULL")

    diffs = await h.compare(sqlite_url, models)

    assert list(diffs) == []
    assert diffs.notes == (
        "foreign key on item (parent_id) changed options but has no name in the database: "
        "recreate it by hand",
    )
