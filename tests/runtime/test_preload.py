"""The first database command of a process imports the runtime off the event loop."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.runtime._scripts import linear, write_project

# Run in a fresh interpreter: asyncmig imported, SQLAlchemy and the runtime not yet.
_PROBE = """
import asyncio, logging, sys
import asyncmig

assert "sqlalchemy" not in sys.modules, "importing asyncmig imported SQLAlchemy"
slow = []

class Slow(logging.Handler):
    def emit(self, record):
        if record.getMessage().startswith("Executing "):
            slow.append(record.getMessage())

logging.getLogger("asyncio").addHandler(Slow())

async def main():
    asyncio.get_running_loop().slow_callback_duration = 0.25
    config = asyncmig.Config.load(sys.argv[1], environ={})
    await asyncmig.upgrade(config)
    print("current", (await asyncmig.current(config))["main"])

asyncio.run(main(), debug=True)
print("slow callbacks", len(slow), slow)
"""


def test_first_upgrade_does_not_hold_the_loop_while_importing(
    tmp_path: Path, sqlite_url: str
) -> None:
    """Importing SQLAlchemy, the runtime and the driver happens in a worker thread."""
    write_project(tmp_path, sqlite_url, linear("a1", "b2"))
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(tmp_path / "asyncmig.toml")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "current ('b2',)" in done.stdout, done.stdout
    assert "slow callbacks 0 []" in done.stdout, done.stdout
