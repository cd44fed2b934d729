"""Each ``asyncmig._operations`` module can be the first one a process imports.

The directives, ``batch_alter_table``, the table recreate and the dialect
implementations register themselves as their modules are imported; these tests
pin that none of that depends on which module happens to be imported first.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import asyncmig._operations

PACKAGE = Path(asyncmig._operations.__file__).parent
MODULES = sorted(path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__")

# After importing only the module named in argv[1]: everything is registered.
CHECK = """
import importlib, sys
importlib.import_module(sys.argv[1])
from asyncmig._operations.base import Operations
from asyncmig._dialects import BACKENDS
missing = [
    name
    for name in ("create_table", "add_column", "alter_column", "create_index",
                 "create_foreign_key", "batch_alter_table", "_recreate_table")
    if not hasattr(Operations, name)
]
dialects = {"sqlite", "postgresql", "mysql", "mariadb"} - set(BACKENDS)
assert not missing and not dialects, (missing, dialects)
"""


def test_modules_found() -> None:
    """The package's modules are found on disk (the tests below cover each)."""
    assert {"base", "batch", "impl", "model", "recreate"} <= set(MODULES)


@pytest.mark.slow
@pytest.mark.parametrize("name", MODULES)
def test_module_imports_first(name: str, tmp_path: Path) -> None:
    """Importing `name` first in a fresh interpreter works and registers every part."""
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", CHECK, f"asyncmig._operations.{name}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
