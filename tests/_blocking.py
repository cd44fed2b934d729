"""The suite's guard against blocking calls inside the event loop.

asyncio's debug mode logs every callback that holds the loop longer than
``slow_callback_duration``, but it measures wall time: on a loaded machine
(sixteen migration processes on two cores, say) a callback that never blocks
can wait seconds for a CPU.  On Linux the loop thread's run-queue wait is read
from ``/proc/thread-self/schedstat`` after each ``select()``, and a slow
callback only counts as blocking when its time minus that wait is still over
the limit.  Elsewhere wall time is all there is.
"""

from __future__ import annotations

import asyncio
import logging
import selectors
from pathlib import Path
from typing import Any

# A callback that holds the event loop longer than this is a blocking call in async code.
BLOCKING_LIMIT_SECONDS = 1.0

_SCHEDSTAT = Path("/proc/thread-self/schedstat")


def _run_queue_wait() -> float | None:
    """Seconds this thread has spent runnable but not running, where Linux says."""
    try:
        fields = _SCHEDSTAT.read_text().split()
    except OSError:
        return None
    return int(fields[1]) / 1e9


class _MarkingSelector:
    """Delegates to the loop's selector and notes the run-queue wait when it returns."""

    def __init__(self, inner: selectors.BaseSelector) -> None:
        self._inner = inner
        self.wait_at_wakeup = _run_queue_wait()

    def select(self, timeout: float | None = None) -> list[Any]:
        events = self._inner.select(timeout)
        self.wait_at_wakeup = _run_queue_wait()
        return events

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def watched_loop() -> asyncio.AbstractEventLoop:
    """A debug-ready event loop whose slow callbacks can be told from starved ones."""
    loop = asyncio.SelectorEventLoop()
    loop.slow_callback_duration = BLOCKING_LIMIT_SECONDS
    loop._selector = _MarkingSelector(loop._selector)  # type: ignore[attr-defined]
    return loop


def _starved_seconds() -> float:
    """Run-queue wait since the running loop's last wake-up (0 where unknown)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return 0.0
    selector = getattr(loop, "_selector", None)
    if not isinstance(selector, _MarkingSelector) or selector.wait_at_wakeup is None:
        return 0.0
    now = _run_queue_wait()
    return 0.0 if now is None else now - selector.wait_at_wakeup


class SlowCallbacks(logging.Handler):
    """Collects asyncio's slow-callback warnings that were not the scheduler's doing."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.excused: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not message.startswith("Executing "):
            return
        took = record.args[-1] if isinstance(record.args, tuple) and record.args else None
        starved = _starved_seconds()
        if isinstance(took, float) and took - starved < BLOCKING_LIMIT_SECONDS:
            self.excused.append(f"{message} (of which {starved:.3f} s waiting for a CPU)")
            return
        self.messages.append(message)
