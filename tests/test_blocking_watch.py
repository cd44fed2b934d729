"""The suite's guard: a blocking call in the event loop is noticed, a starved loop is not."""

from __future__ import annotations

import logging
import multiprocessing
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from tests._blocking import BLOCKING_LIMIT_SECONDS, SlowCallbacks, watched_loop


def _run_alone(body: Callable[[], None]) -> SlowCallbacks:
    """Run ``body`` as a coroutine on a watched loop that only this watcher hears."""
    watcher = SlowCallbacks()
    logger = logging.getLogger("asyncio")
    # The suite-wide guard would (rightly) fail the blocking case; only this watcher listens.
    saved, logger.handlers = logger.handlers, [watcher]
    loop = watched_loop()
    loop.set_debug(True)

    async def callback() -> None:
        body()

    try:
        loop.run_until_complete(callback())
    finally:
        loop.close()
        logger.handlers = saved
    return watcher


def _spin_forever() -> None:
    while True:
        pass


@contextmanager
def _every_core_busy(hogs_per_core: int) -> Iterator[None]:
    """Processes that keep every CPU busy, so the loop's thread waits to run."""
    processes = [
        multiprocessing.get_context("spawn").Process(target=_spin_forever, daemon=True)
        for _ in range(hogs_per_core * (multiprocessing.cpu_count() or 1))
    ]
    for process in processes:
        process.start()
    try:
        time.sleep(0.5)  # let them start spinning
        yield
    finally:
        for process in processes:
            process.kill()
            process.join()


def test_a_blocking_callback_is_reported() -> None:
    """A coroutine that sleeps synchronously past the limit is logged and caught."""
    watcher = _run_alone(lambda: time.sleep(BLOCKING_LIMIT_SECONDS + 0.1))
    assert len(watcher.messages) == 1
    assert "took" in watcher.messages[0]


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="run-queue wait is read from Linux's /proc"
)
def test_a_callback_that_only_waited_for_a_cpu_is_excused() -> None:
    """Spinning past the limit on a saturated machine counts its CPU share, not wall time."""

    def spin() -> None:
        deadline = time.monotonic() + BLOCKING_LIMIT_SECONDS + 0.3
        while time.monotonic() < deadline:
            pass

    with _every_core_busy(hogs_per_core=4):
        watcher = _run_alone(spin)
    assert watcher.messages == []
    assert len(watcher.excused) == 1
    assert "waiting for a CPU" in watcher.excused[0]
