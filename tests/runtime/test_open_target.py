"""open_target: one way to open a target, and its close, which never hides the error in flight."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from asyncmig import Config
from asyncmig._runtime.connection import open_target
from asyncmig._runtime.targets import Target
from asyncmig.errors import CommandError
from tests.runtime._scripts import linear, write_project

pytestmark = pytest.mark.anyio


class _StepError(Exception):
    """What the block raises."""


async def _fail_release(engine: AsyncEngine, config: Config, *, raise_in_block: bool) -> None:
    """Open the main target with its lock, make giving the lock back fail, maybe raise."""

    async with open_target(engine, Target(config.database("main")), config, lock=True) as tc:
        release = tc.lock.release

        async def broken_release() -> None:
            await release()  # the lock's own connection still goes back
            raise RuntimeError("the lock's connection is gone")

        tc.lock.release = broken_release  # type: ignore[method-assign]  # a release that fails
        if raise_in_block:
            raise _StepError


async def test_a_failing_lock_release_does_not_replace_the_error(
    tmp_path: Path, database_url: str
) -> None:
    """The block's own error comes out even when giving the lock back fails too."""
    config = write_project(tmp_path, database_url, linear("a1"))
    engine = create_async_engine(database_url)
    try:
        with pytest.raises(_StepError):
            await _fail_release(engine, config, raise_in_block=True)
        async with engine.connect() as conn:  # the engine is still usable afterwards
            assert (await conn.execute(text("SELECT 1"))).scalar() == 1
    finally:
        await engine.dispose()


async def test_a_failing_lock_release_is_raised_when_nothing_else_failed(
    tmp_path: Path, sqlite_url: str
) -> None:
    """Without another error in flight, the failed release is the error."""
    config = write_project(tmp_path, sqlite_url, linear("a1"))
    engine = create_async_engine(sqlite_url)
    try:
        with pytest.raises(RuntimeError, match="connection is gone"):
            await _fail_release(engine, config, raise_in_block=False)
    finally:
        await engine.dispose()


async def test_database_errors_in_the_block_name_the_target(
    tmp_path: Path, sqlite_url: str
) -> None:
    """A SQLAlchemy error inside the block is one CommandError naming the database."""
    config = write_project(tmp_path, sqlite_url, linear("a1"))
    engine = create_async_engine(sqlite_url)
    try:
        with pytest.raises(CommandError, match=r"database 'main' \(.*\): .*no such table"):
            async with open_target(engine, Target(config.database("main")), config) as tc:
                await tc.conn.execute(text("SELECT * FROM missing_table"))
    finally:
        await engine.dispose()
