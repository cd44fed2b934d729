"""Templates and clones on SQLite, PostgreSQL and MariaDB: keys, reuse, locking, pruning."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import anyio
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from asyncmig.errors import AsyncmigError
from asyncmig.testing import Templates, snapshot_url

from ._project import Step, linear, table

pytestmark = pytest.mark.anyio


async def _names(templates: Templates, count: int = 0, *, patience: float = 60) -> list[str]:
    """The databases of `templates` on its server, once `count` (or after `patience` s)."""
    deadline = anyio.current_time() + patience
    names = await templates.server.names(templates.prefix)
    while len(names) != count and anyio.current_time() < deadline:
        await anyio.sleep(0.05)
        names = await templates.server.names(templates.prefix)
    return names


async def _rows(url: str, sql: str) -> list[Any]:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(sa.text(sql))
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


async def test_clone_is_at_head_and_independent(make_templates: Any) -> None:
    """Each clone is a separate database at head, with the rows the migrations inserted."""
    templates: Templates = make_templates()
    first, second = await templates.clone(), await templates.clone()
    assert first.url != second.url
    await _rows(first.url, "INSERT INTO item (id, label) VALUES (7, 'x')")
    assert await _rows(first.url, "SELECT id FROM item") == [(7,)]
    assert await _rows(second.url, "SELECT id FROM item") == []
    assert await _rows(second.url, "SELECT id, label FROM account") == [(1, "seed")]
    for clone in (first, second):
        await templates.drop(clone)


async def test_clone_equals_a_migrated_database(make_templates: Any, tag: str) -> None:
    """A clone has exactly the schema (keys, indexes, constraints) a plain migration makes."""
    steps = (
        *linear(tag),
        Step(
            f"e5{tag}",
            f"d4{tag}",
            'op.create_table("line", sa.Column("id", sa.Integer, primary_key=True), '
            'sa.Column("item_id", sa.Integer, sa.ForeignKey("item.id", name="fk_line_item")), '
            'sa.Column("qty", sa.Integer, nullable=False, server_default="1"), '
            'sa.UniqueConstraint("item_id", "qty", name="uq_line"), '
            'sa.CheckConstraint("qty > 0", name="ck_line_qty"))',
            'op.drop_table("line")',
        ),
    )
    templates: Templates = make_templates(steps)
    clone = await templates.clone()
    plain = await templates.empty()
    await templates.migrate(plain.url, "head")
    cloned, migrated = await snapshot_url(clone.url), await snapshot_url(plain.url)
    assert cloned["<default>"]["tables"]["line"]["foreign_keys"]
    assert cloned == migrated
    await templates.drop(clone)
    await templates.drop(plain)


async def test_clone_at_a_revision(make_templates: Any, tag: str) -> None:
    """A clone at an earlier revision has that revision's schema and version row."""
    templates: Templates = make_templates()
    clone = await templates.clone(f"b2{tag}")
    assert await _rows(clone.url, "SELECT version_num FROM asyncmig_version") == [(f"b2{tag}",)]
    snap = await snapshot_url(clone.url)
    columns = [c["name"] for c in snap["<default>"]["tables"]["item"]["columns"]]
    assert columns == ["id", "label"]
    await templates.drop(clone)


async def test_key_follows_contents_not_mtimes(tmp_path: Path, make_templates: Any) -> None:
    """Touching a script keeps the template; editing one, or another target, makes a new one."""
    templates: Templates = make_templates()
    name = await templates.name("head")
    script = next((tmp_path / "project" / "migrations" / "versions").glob("a1*.py"))
    os.utime(script, (1, 1))
    assert await make_templates().name("head") == name
    assert await templates.name("-1") != name
    script.write_text(script.read_text() + "\n# edited\n")
    assert await make_templates().name("head") != name


async def test_concurrent_builders_build_once(
    make_templates: Any, tmp_path: Path, tag: str
) -> None:
    """Two builders at once (two workers): one migrates, the other waits and reuses it."""
    counter = tmp_path / "builds.txt"
    first = linear(tag)[0]
    counted = Step(
        first.rev,
        None,
        f"with open({str(counter)!r}, 'a') as counter:\n    counter.write('built\\n')\n"
        f"{first.upgrade}",
        first.downgrade,
    )
    steps = (counted, *linear(tag)[1:])
    one: Templates = make_templates(steps)
    two: Templates = make_templates()
    names: list[str] = []

    async def build(templates: Templates) -> None:
        names.append((await templates.template()).name)

    async with anyio.create_task_group() as group:
        group.start_soon(build, one)
        group.start_soon(build, two)
    assert names[0] == names[1]
    assert counter.read_text() == "built\n"


async def test_old_templates_are_pruned(make_templates: Any, tmp_path: Path, tag: str) -> None:
    """Past `keep` templates of one history, the oldest are dropped after a build."""
    templates: Templates = make_templates(keep=1)
    old = (await templates.template()).name
    newer = make_templates((*linear(tag), table(f"e5{tag}", f"d4{tag}", "extra")), keep=1)
    new = (await newer.template()).name
    history = new[: len("asyncmig_tpl_") + 7]
    assert [name for _, name in await newer.server.templates(history)] == [new]
    assert old != new


async def test_failed_build_leaves_no_template(make_templates: Any, tag: str) -> None:
    """A migration that fails while building raises, and leaves no half-built template behind."""
    steps = (
        *linear(tag),
        Step(f"e5{tag}", f"d4{tag}", 'op.execute("SELECT nope FROM nowhere")', ""),
    )
    templates: Templates = make_templates(steps)
    with pytest.raises(AsyncmigError, match=f"e5{tag}"):
        await templates.template()
    assert not await templates.server.ready(await templates.name("head"))


@pytest.mark.mariadb
@pytest.mark.parametrize("any_database_url", ["mariadb"], indirect=True)
async def test_mariadb_view_is_migrated_not_copied(make_templates: Any, tag: str) -> None:
    """On MariaDB a template with a view is not copied table by table: clones are migrated."""
    steps = (
        *linear(tag),
        Step(
            f"e5{tag}",
            f"d4{tag}",
            'op.execute("CREATE VIEW account_names AS SELECT label FROM account")',
            'op.execute("DROP VIEW account_names")',
        ),
    )
    templates: Templates = make_templates(steps)
    clone = await templates.clone()
    assert not templates.server.can_clone(await templates.template())
    assert await _rows(clone.url, "SELECT label FROM account_names") == [("seed",)]
    await templates.drop(clone)


async def test_clones_are_made_ahead_and_the_unused_ones_dropped(make_templates: Any) -> None:
    """From a revision's second clone on, `ahead` more are made; close drops those not taken."""
    templates: Templates = make_templates()
    templates.ahead = 2
    taken = [await templates.clone() for _ in range(3)]
    assert len({clone.name for clone in taken}) == 3
    assert await _rows(taken[2].url, "SELECT id, label FROM account") == [(1, "seed")]
    made = await _names(templates, 5)  # the three taken and two made ahead
    assert {clone.name for clone in taken} < set(made)
    assert len(made) == 5
    for clone in taken:
        await templates.drop(clone)
    await templates.close()
    assert await _names(templates) == []


async def test_clones_dropped_soon_are_gone_after_close(make_templates: Any) -> None:
    """drop_soon: a helper process (PostgreSQL) or close itself drops the clone."""
    templates: Templates = make_templates()
    templates.ahead = 0
    clone = await templates.clone()
    templates.drop_soon(clone)
    await templates.close()
    assert await _names(templates) == []


@pytest.mark.postgresql
@pytest.mark.parametrize("any_database_url", ["postgresql"], indirect=True)
async def test_without_a_helper_process_clones_are_dropped_in_place(
    make_templates: Any, tmp_path: Path
) -> None:
    """When the drop helper cannot start (here: its log folder is a file), close drops them."""
    templates: Templates = make_templates()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    stuck = Templates(templates.config, "main", folder=blocker, ahead=0)
    clone = await stuck.clone()
    stuck.drop_soon(clone)
    await stuck.close()
    assert await _names(stuck, patience=0) == []  # at once: no helper to wait for
    await stuck.server.close()
