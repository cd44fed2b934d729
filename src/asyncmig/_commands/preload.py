"""Import what a database command runs on, in a worker thread, before it runs.

The runtime, SQLAlchemy and the drivers are imported lazily, so that the
commands that only read script files stay fast.  An import reads files (and,
the first time after an install, compiles them): done inside an ``async def``
it would hold the event loop of the application awaiting asyncmig, for
seconds on a cold start.  Each database command therefore awaits
:func:`runtime_imported` first; once everything is imported it costs a few
dictionary lookups.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import AsyncmigError

if TYPE_CHECKING:
    from .._config import Config

__all__ = ("runtime_imported",)

_RUNTIME = (
    "asyncmig._runtime.runner",
    "asyncmig._runtime.reading",
    "asyncmig._operations",
    "asyncmig._dialects",
)
_dialects_seen: set[str] = set()


async def runtime_imported(config: Config, databases: Sequence[str] | None = None) -> None:
    """Import the runtime, and the dialect and driver of each selected database, off the loop."""
    urls = _urls(config, databases)
    if all(name in sys.modules for name in _RUNTIME) and urls <= _dialects_seen:
        return
    import anyio.to_thread

    await anyio.to_thread.run_sync(_import_all, urls)


def _urls(config: Config, databases: Sequence[str] | None) -> set[str]:
    try:
        selected = config.select(databases)
    except AsyncmigError:  # an unknown name: the command itself reports it
        return set()
    return {db.url for db in selected if db.url}


def _import_all(urls: set[str]) -> None:
    for name in _RUNTIME:
        importlib.import_module(name)
    from sqlalchemy.engine import make_url

    for url in urls - _dialects_seen:
        _dialects_seen.add(url)
        # A bad URL or a missing driver is the command's to report, with its key.
        with contextlib.suppress(Exception):
            make_url(url).get_dialect().import_dbapi()
