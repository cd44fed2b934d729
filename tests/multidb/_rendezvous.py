"""Events migration scripts in multidb tests wait on and fire, across databases.

Steps run inside ``run_sync`` (a greenlet on the event loop's thread), so a
script waits with SQLAlchemy's ``await_only``, which lets the loop run other
databases' steps meanwhile.
"""

from __future__ import annotations

import anyio
from sqlalchemy.util import await_only

events: dict[str, anyio.Event] = {}


def reset(*names: str) -> None:
    """Fresh events for one test (call inside the test's event loop)."""
    events.clear()
    events.update({name: anyio.Event() for name in names})


async def _wait(name: str, limit: float) -> None:
    with anyio.fail_after(limit):
        await events[name].wait()


def wait(name: str, timeout: float = 30) -> None:
    """Block the calling step (not the event loop) until `name` is fired."""
    await_only(_wait(name, timeout))


def fire(name: str) -> None:
    """Fire `name`."""
    events[name].set()


def sleep_forever() -> None:
    """Block the calling step until it is cancelled."""
    await_only(anyio.sleep_forever())
