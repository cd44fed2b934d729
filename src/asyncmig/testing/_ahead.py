"""Things made ahead of the tests that take them: clones of a template, empty databases.

The first taker waits for its own; from the second take on, up to ``ahead``
more are started in the background once the taker has its one, so that they
are made while the taker's test runs and never compete with a thing a taker
waits for (beyond the others made ahead).  A session that takes one thing
makes no spare.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

__all__ = ("MadeAhead",)

T = TypeVar("T")


class MadeAhead(Generic[T]):
    """A stock of things from `make`, kept `ahead` deep once a second one was taken."""

    def __init__(self, make: Callable[[], Coroutine[Any, Any, T]]) -> None:
        self._make = make
        self._taken = 0
        self._made: collections.deque[asyncio.Task[T]] = collections.deque()

    async def take(self, ahead: int) -> T:
        """One thing, made ahead if one is ready or in the making (call on the event loop)."""
        self._taken += 1
        made = self._made
        thing = await (made.popleft() if made else self._make())
        if self._taken > 1:
            loop = asyncio.get_running_loop()
            while len(made) < ahead:
                made.append(loop.create_task(self._make()))
        return thing

    async def leftovers(self) -> list[T]:
        """Wait for the things in the making; those nobody took (failed ones are left out)."""
        made, self._made = self._made, collections.deque()
        results = await asyncio.gather(*made, return_exceptions=True)
        return [result for result in results if not isinstance(result, BaseException)]
