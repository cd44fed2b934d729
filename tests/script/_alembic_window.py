"""A subprocess: one thread imports `alembic` while another is mid-way through loading a script.

The script blocks on an event after its first ``from alembic import op``, which
holds asyncmig's aliases active on the loading thread; the other thread then
imports ``alembic`` and ``alembic.op``, and the script, released, imports them
again.  What each side got is printed as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

_GATE = """
import threading

entered = threading.Event()
release = threading.Event()
"""

_SCRIPT = '''"""A migration script whose import waits for the other thread to import alembic."""
import window_gate
from alembic import op as op_before

window_gate.entered.set()
if not window_gate.release.wait(30):
    raise RuntimeError("the other thread never released the script")

import alembic
from alembic import context, op
'''

_DRIVER = """
import builtins
import json
import sys
import threading
from types import ModuleType

import window_gate

import asyncmig._alembic
from asyncmig import _proxy
from asyncmig._script.loader import load_file

import_before = builtins.__import__
loaded = {}
seen = {}


def load():
    loaded["module"] = load_file(sys.argv[1])


def other():
    import alembic
    from alembic import op

    seen["alembic"] = alembic
    seen["op"] = op
    seen["hooked"] = builtins.__import__ is not import_before


loader_thread = threading.Thread(target=load)
loader_thread.start()
if not window_gate.entered.wait(30):
    raise SystemExit("the script never started")
other_thread = threading.Thread(target=other)
other_thread.start()
other_thread.join(30)
window_gate.release.set()
loader_thread.join(30)
module = loaded["module"]
print(json.dumps({
    "other_alembic_file": seen["alembic"].__file__,
    "other_op_name": seen["op"].__name__ if isinstance(seen["op"], ModuleType) else None,
    "other_thread_during_window_hook": seen["hooked"],
    "script_op_before": module.op_before is _proxy.op,
    "script_op_after": module.op is _proxy.op,
    "script_context": module.context is _proxy.context,
    "script_alembic": module.alembic is asyncmig._alembic,
    "sys_modules_alembic_file": getattr(sys.modules.get("alembic"), "__file__", None),
    "import_restored": builtins.__import__ is import_before,
}))
"""


def run_window(folder: Path, site: Path | None = None) -> dict[str, Any]:
    """Run the two threads in a fresh interpreter (`site` first on sys.path); what each got."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "window_gate.py").write_text(textwrap.dedent(_GATE))
    (folder / "driver.py").write_text(textwrap.dedent(_DRIVER))
    script = folder / "versions" / "aaa111_window.py"
    script.parent.mkdir(exist_ok=True)
    script.write_text(_SCRIPT)
    paths = [str(folder)] + ([str(site)] if site is not None else [])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    result = subprocess.run(
        [sys.executable, str(folder / "driver.py"), str(script)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    found: dict[str, Any] = json.loads(result.stdout)
    return found
