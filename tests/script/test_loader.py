"""`alembic` aliasing and importing script files once, with errors naming file and line."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType

import pytest

import asyncmig._alembic
from asyncmig import _proxy
from asyncmig._script import loader
from asyncmig._script.loader import alembic_aliases, load_file
from asyncmig.errors import ScriptError

SCRIPT = """
from alembic import op, context
import alembic
import alembic as again
"""


class _Blocker(importlib.abc.MetaPathFinder):
    """Acts as if Alembic were not installed."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == "alembic" or fullname.startswith("alembic."):
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None


@pytest.fixture(autouse=True)
def no_alembic_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start every test with no `alembic` module imported (restored afterwards)."""
    for name in [n for n in sys.modules if n == "alembic" or n.startswith("alembic.")]:
        monkeypatch.delitem(sys.modules, name)


@pytest.fixture
def hidden_alembic() -> Iterator[None]:
    """Make `import alembic` fail, as on a machine without Alembic."""
    blocker = _Blocker()
    sys.meta_path.insert(0, blocker)
    yield
    sys.meta_path.remove(blocker)


@pytest.fixture
def throwaway_submodule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A module `asyncmig._alembic.throwaway_sub` that exists only for this test."""
    folder = tmp_path / "extra"
    folder.mkdir()
    (folder / "throwaway_sub.py").write_text("MARK = 'asyncmig side'\n")
    monkeypatch.setattr(asyncmig._alembic, "__path__", [*asyncmig._alembic.__path__, str(folder)])
    yield "throwaway_sub"
    sys.modules.pop("asyncmig._alembic.throwaway_sub", None)


def _alembic_entries() -> dict[str, ModuleType]:
    return {n: m for n, m in sys.modules.items() if n == "alembic" or n.startswith("alembic.")}


def test_alembic_means_asyncmig_inside_and_nothing_after() -> None:
    """Inside the block `alembic` is asyncmig._alembic; afterwards sys.modules is as before."""
    with alembic_aliases():
        import alembic
        from alembic import context, op

        assert alembic is asyncmig._alembic
        assert op is _proxy.op
        assert context is _proxy.context
    assert _alembic_entries() == {}


@pytest.mark.usefixtures("hidden_alembic")
def test_works_without_alembic_installed(tmp_path: Path) -> None:
    """With Alembic absent, scripts still import `alembic`, and the absence is kept after."""
    path = tmp_path / "s.py"
    path.write_text(SCRIPT)
    module = load_file(path)
    assert module.op is _proxy.op
    assert module.alembic is asyncmig._alembic
    with pytest.raises(ModuleNotFoundError):
        import alembic  # noqa: F401
    assert _alembic_entries() == {}


def test_restores_a_real_alembic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An application's own `alembic` (a stand-in here) is back in sys.modules after the block."""
    package = tmp_path / "site" / "alembic"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("MARK = 'real'\n")
    (package / "sub.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    import alembic
    import alembic.sub

    before = _alembic_entries()
    assert alembic.MARK == "real"
    with alembic_aliases():
        import alembic as inside

        assert inside is asyncmig._alembic
        with pytest.raises(ModuleNotFoundError, match="asyncmig provides"):
            import alembic.sub
    assert _alembic_entries() == before


def test_submodules_alias_to_asyncmig(throwaway_submodule: str) -> None:
    """`alembic.<sub>` resolves to `asyncmig._alembic.<sub>`, one module object for both names."""
    with alembic_aliases():
        module = __import__(f"alembic.{throwaway_submodule}", fromlist=["MARK"])
    assert module.MARK == "asyncmig side"
    assert module is sys.modules[f"asyncmig._alembic.{throwaway_submodule}"]
    assert module.__spec__.name == f"asyncmig._alembic.{throwaway_submodule}"
    assert module.__name__ == f"asyncmig._alembic.{throwaway_submodule}"
    assert _alembic_entries() == {}


def test_real_alembic_submodules_are_never_reached() -> None:
    """A submodule asyncmig does not provide is a clear ImportError, even with Alembic installed."""
    with alembic_aliases(), pytest.raises(ModuleNotFoundError, match=r"'alembic\.script'"):
        import alembic.script  # noqa: F401


def test_nesting_keeps_aliases_until_the_outer_exit() -> None:
    """A nested block leaves the aliases in place for the rest of the outer one."""
    with alembic_aliases():
        with alembic_aliases():
            pass
        import alembic

        assert alembic is asyncmig._alembic
    assert _alembic_entries() == {}


def test_load_file_imports_once_with_unique_names(tmp_path: Path) -> None:
    """Each path is imported once; same-named files in two folders are two modules."""
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "rev.py").write_text(
            f"WHO = {folder!r}\nCOUNT = []\nCOUNT.append(1)\n"
        )
    first = load_file(tmp_path / "a" / "rev.py")
    assert load_file(tmp_path / "a" / "rev.py") is first
    second = load_file(tmp_path / "b" / "rev.py")
    assert (first.WHO, second.WHO, first.COUNT) == ("a", "b", [1])
    assert first.__name__ != second.__name__
    assert loader.loaded_module(tmp_path / "b" / "rev.py") is second


def test_dataclasses_work_in_scripts(tmp_path: Path) -> None:
    """A script defining a dataclass imports (its module is registered while it runs)."""
    path = tmp_path / "dc.py"
    path.write_text("from dataclasses import dataclass\n@dataclass\nclass Row:\n    x: int\n")
    assert load_file(path).Row(1).x == 1


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    """A syntax error is a one-line ScriptError with the script's path and line."""
    path = tmp_path / "bad.py"
    path.write_text("x = 1\ndef upgrade(:\n    pass\n")
    with pytest.raises(ScriptError, match=r"bad\.py:2: syntax error") as caught:
        load_file(path)
    assert "\n" not in str(caught.value)


def test_import_error_names_file_and_line(tmp_path: Path) -> None:
    """An import failing at load time names the script line that triggered it."""
    path = tmp_path / "imp.py"
    path.write_text("import os\nimport no_such_module_for_asyncmig_tests\n")
    with pytest.raises(ScriptError, match=r"imp\.py:2: cannot be imported: ModuleNotFoundError"):
        load_file(path)
    # a failed import is not remembered: fixing the file fixes the next load
    path.write_text("import os\n")
    assert load_file(path).os is not None


def test_sys_path_is_prepended(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """prepend_sys_path folders are on sys.path before the script is imported."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "asyncmig_test_helper_mod.py").write_text("VALUE = 42\n")
    path = tmp_path / "uses.py"
    path.write_text("from asyncmig_test_helper_mod import VALUE\n")
    assert load_file(path, sys_path=[lib]).VALUE == 42
    assert sys.path[0] == str(lib)
    sys.modules.pop("asyncmig_test_helper_mod", None)


def test_threads_each_get_asyncmig_objects(tmp_path: Path) -> None:
    """Scripts loaded from several threads at once all see asyncmig's op, and nothing leaks."""
    paths = []
    for number in range(8):
        path = tmp_path / f"t{number}.py"
        path.write_text(SCRIPT + "import time\ntime.sleep(0.01)\n")
        paths.append(path)
    results: dict[int, ModuleType] = {}

    def work(number: int) -> None:
        results[number] = load_file(paths[number])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(module.op is _proxy.op for module in results.values())
    assert len(results) == 8
    assert _alembic_entries() == {}
