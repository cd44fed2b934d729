"""An asyncio event loop on a thread of its own, for synchronous pytest fixtures.

Fixtures that build templates and clones are synchronous, so that any test
(sync, anyio, pytest-asyncio) can use them; their async work runs here, clear
of whatever loop the test itself runs on.  One loop lives for the session so
that the admin connections are reused from one clone to the next.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ("LoopThread",)

T = TypeVar("T")


class LoopThread:
    """Runs coroutines on a private loop, started on first use."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def run(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Await `fn()` on the private loop and return its result (or raise its error)."""
        if self._loop is None:
            loop = asyncio.new_event_loop()
            self._thread = threading.Thread(
                target=loop.run_forever, name="asyncmig-testing", daemon=True
            )
            self._thread.start()
            self._loop = loop

        async def call() -> T:
            return await fn()

        return asyncio.run_coroutine_threadsafe(call(), self._loop).result()

    def close(self) -> None:
        """Stop the loop and its thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()
        self._loop = self._thread = None
