"""`alembic` means asyncmig only to the thread loading scripts, never to the rest of the process."""

from __future__ import annotations

import builtins
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import asyncmig._alembic
from asyncmig import _proxy
from asyncmig._script.loader import alembic_aliases, load_file
from tests.script._alembic_window import run_window


def _fake_alembic(site: Path) -> Path:
    """A top-level package `alembic` (with an `op` module) standing in for the real one."""
    package = site / "alembic"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("MARK = 'the application side'\n")
    (package / "op.py").write_text("")
    return package


@pytest.fixture(scope="module")
def window(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """One run of the two threads, with a stand-in Alembic installed: (its package, results)."""
    folder = tmp_path_factory.mktemp("window")
    package = _fake_alembic(folder / "site")
    return package, run_window(folder / "run", site=folder / "site")


def test_another_thread_gets_its_own_alembic_while_scripts_load(
    window: tuple[Path, dict[str, Any]],
) -> None:
    """While a script is mid-import, another thread imports the application's `alembic`."""
    package, found = window
    assert found["other_alembic_file"] == str(package / "__init__.py")
    assert found["other_op_name"] == "alembic.op"
    assert found["sys_modules_alembic_file"] == str(package / "__init__.py")


def test_scripts_keep_asyncmig_op_when_the_real_one_is_in_sys_modules(
    window: tuple[Path, dict[str, Any]],
) -> None:
    """A script importing alembic after another thread loaded the real one still gets asyncmig's."""
    _, found = window
    assert found["script_op_before"] is True
    assert found["script_op_after"] is True
    assert found["script_context"] is True
    assert found["script_alembic"] is True


def test_the_import_hook_is_there_only_while_scripts_load(
    window: tuple[Path, dict[str, Any]],
) -> None:
    """builtins.__import__ is wrapped during the window, and is the original one afterwards."""
    _, found = window
    assert found["other_thread_during_window_hook"] is True
    assert found["import_restored"] is True


def test_a_thread_outside_the_block_is_never_aliased(monkeypatch: pytest.MonkeyPatch) -> None:
    """In process: while one thread's block is active, another thread's `import alembic` is not."""
    application = ModuleType("alembic")
    monkeypatch.setitem(sys.modules, "alembic", application)
    before = builtins.__import__
    inside = threading.Event()
    seen: dict[str, object] = {}

    def other() -> None:
        inside.wait(10)
        import alembic

        seen["alembic"] = alembic

    thread = threading.Thread(target=other)
    thread.start()
    with alembic_aliases():
        inside.set()
        thread.join(10)
        import alembic

        assert alembic is asyncmig._alembic
    assert seen["alembic"] is application
    assert builtins.__import__ is before


def test_nested_loads_share_one_hook(tmp_path: Path) -> None:
    """A script whose import loads another script sees asyncmig's op in both, one hook in place."""
    inner = tmp_path / "inner.py"
    inner.write_text("import builtins\nHOOK = builtins.__import__\nfrom alembic import op\n")
    outer = tmp_path / "outer.py"
    outer.write_text(
        "import builtins\nfrom asyncmig._script.loader import load_file\n"
        f"INNER = load_file({str(inner)!r})\nHOOK = builtins.__import__\nfrom alembic import op\n"
    )
    before = builtins.__import__
    module = load_file(outer)
    assert module.op is _proxy.op
    assert module.INNER.op is _proxy.op
    assert module.HOOK is module.INNER.HOOK
    assert module.HOOK is not before
    assert builtins.__import__ is before
