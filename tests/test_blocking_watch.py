"""The test suite's own guard: a blocking call in the event loop is noticed."""

from __future__ import annotations

import logging
import time

from tests.conftest import BLOCKING_LIMIT_SECONDS, _SlowCallbacks, _watched_loop


def test_a_blocking_callback_is_reported() -> None:
    """A coroutine that sleeps synchronously past the limit is logged and caught."""
    watcher = _SlowCallbacks()
    logger = logging.getLogger("asyncio")
    # Only this watcher hears it: the suite-wide guard would (rightly) fail this test.
    saved, logger.handlers = logger.handlers, [watcher]
    loop = _watched_loop()
    loop.set_debug(True)

    async def blocks() -> None:
        time.sleep(BLOCKING_LIMIT_SECONDS + 0.1)  # noqa: ASYNC251  # blocking on purpose

    try:
        loop.run_until_complete(blocks())
    finally:
        loop.close()
        logger.handlers = saved
    assert len(watcher.messages) == 1
    assert "took" in watcher.messages[0]
