"""Turning whatever escapes a database's task into that database's one-line error.

The runner reports per target; an exception that is not an
:class:`~asyncmig.errors.AsyncmigError` (a driver's ``ValueError`` for a bad
port, an ``ExceptionGroup`` from a task group below) must still end as that
target's error in the summary and the JSON report, with no password in it.
The original stays chained as ``__cause__`` for ``--traceback``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

import anyio

from .._urls import mask_text
from ..errors import AsyncmigError, CommandError, MigrationFailed

if TYPE_CHECKING:
    from .._config import DatabaseConfig

__all__ = ("each_database", "in_schema", "raise_first", "unexpected")

T = TypeVar("T")


def _leaf(exc: BaseException) -> BaseException:
    """The first real error inside (nested) exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def unexpected(key: str, masked_url: str, exc: BaseException) -> AsyncmigError:
    """A one-line error for target `key` from an exception asyncmig did not raise itself."""
    leaf = _leaf(exc)
    if isinstance(leaf, AsyncmigError):
        return leaf
    reason = mask_text(" ".join(str(leaf).split())) or "(no message)"
    where = f"database {key!r}" + (f" ({masked_url})" if masked_url else "")
    error = CommandError(
        f"{where}: {type(leaf).__name__}: {reason}; run with --traceback for the details"
    )
    error.__cause__ = leaf
    return error


def in_schema(exc: AsyncmigError, schema: str | None) -> AsyncmigError:
    """`exc`, its message naming the tenant schema it happened in (if it does not yet)."""
    text = str(exc)
    if schema is None or isinstance(exc, MigrationFailed):
        return exc
    if repr(schema) in text or f":{schema}'" in text:  # already named, alone or as db:schema
        return exc
    exc.args = (f"schema {schema!r}: {text}",)
    return exc


async def each_database(
    selected: Sequence[DatabaseConfig], one: Callable[[DatabaseConfig], Awaitable[T]]
) -> tuple[dict[str, T], dict[str, AsyncmigError]]:
    """``one(database)`` for every database at once: the results and the one-line errors."""
    found: dict[str, T] = {}
    failed: dict[str, AsyncmigError] = {}

    async def run(database: DatabaseConfig) -> None:
        try:
            found[database.name] = await one(database)
        except AsyncmigError as exc:
            failed[database.name] = exc
        except Exception as exc:  # not ours: still this database's one-line error
            failed[database.name] = unexpected(database.name, database.masked_url, exc)

    async with anyio.create_task_group() as group:
        for database in selected:
            group.start_soon(run, database)
    return found, failed


def raise_first(selected: Sequence[DatabaseConfig], failed: dict[str, AsyncmigError]) -> None:
    """Raise the error of the first failed database, in configuration order."""
    for database in selected:
        if database.name in failed:
            raise failed[database.name]
