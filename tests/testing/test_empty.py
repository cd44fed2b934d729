"""Empty test databases made ahead and dropped in the background, and the suite's use of them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import anyio.lowlevel
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from asyncmig.testing import Clone, EmptyDatabases
from asyncmig.testing._ahead import MadeAhead
from asyncmig.testing._servers import server_for
from tests import _servers

pytestmark = pytest.mark.anyio


async def _tables(url: str, create: str | None = None) -> list[str]:
    """The tables of the database at `url`, after creating table `create` in it."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            if create:
                await conn.execute(sa.text(f"CREATE TABLE {create} (id INTEGER)"))
            return sorted(await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


async def _names(empties: EmptyDatabases, count: int = 0, *, patience: float = 60) -> list[str]:
    """The databases of `empties` on its server, once `count` (or after `patience` s)."""
    names = await empties.server.names(empties.prefix)
    with anyio.move_on_after(patience):
        while len(names) != count:
            await anyio.sleep(0.05)  # the drops may be another process's
            names = await empties.server.names(empties.prefix)
    return names


@pytest.fixture
async def empties(any_database_url: str, tmp_path: Path) -> AsyncIterator[EmptyDatabases]:
    """EmptyDatabases on the test's server (SQLite: files in the test's folder), closed after."""
    made = EmptyDatabases(any_database_url, folder=tmp_path, prefix="asyncmig_te_")
    yield made
    await made.close()
    try:
        assert await _names(made) == []  # every database of it dropped, by now or soon after
    finally:
        await made.server.close()  # the admin connection _names opened again


async def test_each_database_is_new_empty_and_its_own(empties: EmptyDatabases) -> None:
    """Two databases taken are distinct and empty; a table made in one is not in the other."""
    first, second = await empties.take(), await empties.take()
    assert first.url != second.url
    assert first.name.startswith(empties.prefix)
    assert empties.prefix.startswith("asyncmig_te_")
    assert await _tables(first.url, create="mine") == ["mine"]
    assert await _tables(second.url) == []
    empties.drop_soon(first)
    empties.drop_soon(second)


async def test_made_ahead_from_the_second_take_and_all_dropped(empties: EmptyDatabases) -> None:
    """After the second take `ahead` more are made; close drops them and the ones given back."""
    empties.ahead = 2
    first = await empties.take()
    assert await _names(empties, 1, patience=0) == [first.name]  # nothing made ahead yet
    taken = [first, await empties.take()]
    made = await _names(empties, 4)  # the two taken and two made ahead
    assert {database.name for database in taken} < set(made)
    taken.append(await empties.take())
    assert taken[2].name in made  # one made ahead, handed out
    assert await _tables(taken[2].url) == []
    for database in taken:
        empties.drop_soon(database)
    await empties.close()
    assert await _names(empties) == []


async def test_given_back_databases_are_gone_after_close(empties: EmptyDatabases) -> None:
    """A database given back with drop_soon is dropped, by the helper (PostgreSQL) or close."""
    database = await empties.take()
    empties.drop_soon(database)
    await empties.close()
    assert await _names(empties) == []


async def test_made_ahead_counts_and_leftovers() -> None:
    """MadeAhead makes one per take, plus `ahead` spares from the second take; leftovers."""
    made: list[int] = []

    async def make() -> int:
        made.append(len(made))
        return made[-1]

    stock = MadeAhead(make)
    assert await stock.take(2) == 0
    assert made == [0]
    assert await stock.take(2) == 1
    await anyio.lowlevel.checkpoint()  # the spares start
    assert made == [0, 1, 2, 3]
    assert await stock.take(2) == 2
    assert sorted(await stock.leftovers()) == [3, 4]
    assert await stock.leftovers() == []


async def test_made_ahead_failure_reaches_the_taker() -> None:
    """A spare whose making failed raises in the take that gets it; leftovers skip it."""
    calls = 0

    async def make() -> Clone:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise OSError("server gone")
        return Clone(f"db{calls}", f"sqlite:///db{calls}")

    stock = MadeAhead(make)
    await stock.take(1)
    await stock.take(1)  # starts the third, which fails
    with pytest.raises(OSError, match="server gone"):
        await stock.take(1)
    assert [clone.name for clone in await stock.leftovers()] == []


@pytest.mark.parametrize("attempt", range(3))
def test_suite_scratch_databases_are_fresh(any_database_url: str, attempt: int) -> None:
    """The suite's fixture hands each test a database no earlier test wrote to."""
    assert _servers.PREFIX == "asyncmig_t_"
    if not any_database_url.startswith("sqlite"):
        assert f"/{_servers.PREFIX}" in any_database_url
    assert _servers._run(lambda: _tables(any_database_url, create="seen")) == ["seen"]


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param("postgresql", marks=pytest.mark.postgresql),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ],
)
def test_scratch_databases_held_at_once_are_distinct(kind: str) -> None:
    """Two scratch databases held at once on one server are two empty databases."""
    with _servers.scratch_database(kind) as one, _servers.scratch_database(kind) as two:
        assert one != two
        assert _servers._run(lambda: _tables(one, create="mine")) == ["mine"]
        assert _servers._run(lambda: _tables(two)) == []


@pytest.mark.postgresql
@pytest.mark.parametrize("any_database_url", ["postgresql"], indirect=True)
async def test_postgresql_drops_outlive_the_admin_database(any_database_url: str) -> None:
    """A server whose admin database was dropped still drops, from the maintenance database."""
    server = server_for(any_database_url, Path())
    other = server_for(_servers.server_url("postgresql"), Path())
    name = f"asyncmig_te_{uuid.uuid4().hex[:8]}"
    try:
        await server.create(name)
        await other.drop(make_url(any_database_url).database or "")
        await server.drop(name)
        assert await other.names(name) == []
    finally:
        await other.drop(name)
        await server.close()
        await other.close()
