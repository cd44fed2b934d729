"""Scanning version locations into a graph, the header cache on disk, loading scripts and env.py."""

from __future__ import annotations

import logging
import os
import py_compile
import sys
from pathlib import Path
from typing import Any

import pytest

from asyncmig import _proxy
from asyncmig._config import Config, DatabaseConfig
from asyncmig._script.directory import ScriptDirectory
from asyncmig._script.headers import CACHE_NAME
from asyncmig.errors import ScriptError


def make_config(root: Path, **overrides: Any) -> Config:
    """A configuration whose script location is `root/migrations`."""
    location = root / "migrations"
    (location / "versions").mkdir(parents=True, exist_ok=True)
    values: dict[str, Any] = {
        "path": None,
        "here": root,
        "script_location": location,
        "version_locations": (location / "versions",),
        "databases": {"main": DatabaseConfig("main", "sqlite+aiosqlite://")},
    }
    values.update(overrides)
    return Config(**values)


def write_script(
    folder: Path,
    rev: str,
    down: str | tuple[str, ...] | None = None,
    message: str = "",
    **extra: str,
) -> Path:
    """A minimal Alembic-style script file named `<rev>_x.py`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / extra.pop("name", f"{rev}_x.py")
    body = extra.pop("body", "")
    path.write_text(
        f'"""{message or "step " + rev}\n\nRevision ID: {rev}\n'
        'Create Date: 2026-01-01 00:00:00\n"""\n'
        "from alembic import op\n\n"
        f"revision = {rev!r}\ndown_revision = {down!r}\nbranch_labels = None\n"
        f"depends_on = None\n\n\ndef upgrade():\n    pass\n{body}"
    )
    return path


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """A configuration with three linear scripts, aaa111 <- bbb222 <- ccc333."""
    cfg = make_config(tmp_path)
    versions = cfg.version_locations[0]
    write_script(versions, "aaa111", None, "create account")
    write_script(versions, "bbb222", "aaa111")
    write_script(versions, "ccc333", "bbb222")
    return cfg


def test_scan_builds_the_graph(config: Config) -> None:
    """Scripts in the version location become revisions with path, message and create date."""
    graph = ScriptDirectory(config).revision_map
    assert graph.heads == ("ccc333",)
    rev = graph.get("aaa111")
    assert rev.message == "create account"
    assert rev.create_date == "2026-01-01 00:00:00"
    assert rev.path == str(config.version_locations[0] / "aaa111_x.py")


def test_get_script_gives_path_and_whole_doc(config: Config) -> None:
    """get_script accepts a prefix and returns the file and its whole docstring."""
    script = ScriptDirectory(config).get_script("bbb2")
    assert script.path == config.version_locations[0] / "bbb222_x.py"
    assert script.doc.startswith("step bbb222\n\nRevision ID: bbb222")


def test_non_script_files_are_skipped_or_refused(config: Config) -> None:
    """__init__.py, editor lock files and non-.py files are skipped; other .py files refused."""
    versions = config.version_locations[0]
    (versions / "__init__.py").write_text("")
    (versions / ".#ccc333_x.py").write_text("garbage")
    (versions / "notes.txt").write_text("revision = 'zzz'")
    assert len(ScriptDirectory(config).revision_map) == 3
    (versions / "helpers.py").write_text("def helper():\n    pass\n")
    with pytest.raises(ScriptError, match=r"helpers\.py: not a migration script"):
        _ = ScriptDirectory(config).revision_map


def test_no_cache_written_with_dontwritebytecode(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With PYTHONDONTWRITEBYTECODE (sys.dont_write_bytecode) no header cache is written."""
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert ScriptDirectory(config).revision_map.get("aaa111").message == "create account"
    assert not (config.version_locations[0] / "__pycache__" / CACHE_NAME).exists()


def test_cache_goes_under_pycache_prefix(
    config: Config, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With PYTHONPYCACHEPREFIX the cache mirrors the folder's path under the prefix."""
    prefix = tmp_path / "prefix"
    monkeypatch.setattr(sys, "pycache_prefix", str(prefix))
    ScriptDirectory(config).revision_map  # noqa: B018
    location = Path(os.path.abspath(config.version_locations[0]))
    assert (prefix.joinpath(*location.parts[1:]) / CACHE_NAME).is_file()
    assert not (location / "__pycache__" / CACHE_NAME).exists()


def test_unwritable_folder_caches_in_the_user_cache(
    config: Config, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A version folder whose __pycache__ cannot be made reads fine and caches per user."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    (config.version_locations[0] / "__pycache__").write_text("not a folder")
    assert ScriptDirectory(config).revision_map.get("aaa111").message == "create account"
    cached = list((tmp_path / "xdg" / "asyncmig").glob(f"*-{CACHE_NAME}"))
    assert len(cached) == 1
    assert ScriptDirectory(config).revision_map.get("aaa111").message == "create account"


def test_cache_is_trusted_while_mtime_and_size_match(config: Config) -> None:
    """An edit that keeps mtime and size is not seen (cache hit); a size change is."""
    ScriptDirectory(config).revision_map  # noqa: B018
    path = config.version_locations[0] / "aaa111_x.py"
    before = path.stat()
    path.write_text(path.read_text().replace("create account", "CREATE ACCOUNT"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert ScriptDirectory(config).revision_map.get("aaa111").message == "create account"
    path.write_text(path.read_text().replace("CREATE ACCOUNT", "create accounts"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert ScriptDirectory(config).revision_map.get("aaa111").message == "create accounts"


def test_cache_disabled_reads_files(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    """With ASYNCMIG_HEADER_CACHE=0 no cache file appears and edits are always seen."""
    monkeypatch.setenv("ASYNCMIG_HEADER_CACHE", "0")
    ScriptDirectory(config).revision_map  # noqa: B018
    assert not (config.version_locations[0] / "__pycache__" / CACHE_NAME).exists()


def test_new_and_removed_files_are_noticed(config: Config) -> None:
    """A later scan sees a new script and forgets a deleted one."""
    ScriptDirectory(config).revision_map  # noqa: B018
    versions = config.version_locations[0]
    write_script(versions, "ddd444", "ccc333")
    assert ScriptDirectory(config).revision_map.heads == ("ddd444",)
    (versions / "ddd444_x.py").unlink()
    assert ScriptDirectory(config).revision_map.heads == ("ccc333",)


def test_recursive_version_locations(tmp_path: Path) -> None:
    """Scripts in subfolders count only with recursive_version_locations."""
    cfg = make_config(tmp_path)
    versions = cfg.version_locations[0]
    write_script(versions, "aaa111", None)
    write_script(versions / "2026" / "01", "bbb222", "aaa111")
    assert len(ScriptDirectory(cfg).revision_map) == 1
    deep = make_config(tmp_path, recursive_version_locations=True)
    graph = ScriptDirectory(deep).revision_map
    assert graph.heads == ("bbb222",)
    assert graph.get("bbb222").path == str(versions / "2026" / "01" / "bbb222_x.py")


def test_several_version_locations(tmp_path: Path) -> None:
    """Every configured version location is scanned into one graph."""
    other = tmp_path / "more_versions"
    cfg = make_config(tmp_path)
    cfg = make_config(tmp_path, version_locations=(*cfg.version_locations, other))
    write_script(cfg.version_locations[0], "aaa111", None)
    write_script(other, "bbb222", "aaa111")
    directory = ScriptDirectory(cfg)
    assert directory.revision_map.heads == ("bbb222",)
    assert (other / "__pycache__" / CACHE_NAME).is_file()


def test_separate_history_uses_its_own_versions(config: Config, tmp_path: Path) -> None:
    """A database's own script_location is scanned from its versions/ folder only."""
    own = tmp_path / "analytics"
    write_script(own / "versions", "xxx999", None)
    directory = ScriptDirectory(config, own)
    assert directory.location == own
    assert directory.revision_map.heads == ("xxx999",)


def test_computed_header_is_imported(tmp_path: Path) -> None:
    """A header whose values are computed is read by importing the script."""
    cfg = make_config(tmp_path)
    path = cfg.version_locations[0] / "calc.py"
    path.write_text(
        '"""computed"""\nPARENT = None\nrevision = "ab" + "c"\ndown_revision = PARENT\n'
    )
    graph = ScriptDirectory(cfg).revision_map
    assert graph.heads == ("abc",)
    assert graph.get("abc").message == "computed"


def _compile(source: Path, target: Path) -> None:
    py_compile.compile(str(source), cfile=str(target), doraise=True)
    source.unlink()


def test_sourceless_reads_compiled_scripts(tmp_path: Path) -> None:
    """With sourceless, .pyc files without a .py (both layouts) are scripts; without, ignored."""
    cfg = make_config(tmp_path, sourceless=True)
    versions = cfg.version_locations[0]
    write_script(versions, "aaa111", None)
    _compile(write_script(versions, "bbb222", "aaa111"), versions / "bbb222_x.pyc")
    tag = sys.implementation.cache_tag
    legacy = versions / "__pycache__" / f"ccc333_x.{tag}.pyc"
    _compile(write_script(versions, "ccc333", "bbb222"), legacy)
    graph = ScriptDirectory(cfg).revision_map
    assert graph.heads == ("ccc333",)
    assert graph.get("bbb222").message == "step bbb222"
    plain = make_config(tmp_path)
    assert len(ScriptDirectory(plain).revision_map) == 1


def test_sourceless_prefers_the_source(tmp_path: Path) -> None:
    """A .pyc beside its .py, or a __pycache__ copy of it, is not read twice."""
    cfg = make_config(tmp_path, sourceless=True)
    versions = cfg.version_locations[0]
    source = write_script(versions, "aaa111", None)
    py_compile.compile(str(source), cfile=str(versions / "aaa111_x.pyc"), doraise=True)
    py_compile.compile(str(source), doraise=True)
    assert len(ScriptDirectory(cfg).revision_map) == 1


def test_load_module_redirects_alembic_and_imports_once(config: Config) -> None:
    """A script's `from alembic import op` is asyncmig's op; the module is imported once."""
    script = ScriptDirectory(config).get_script("aaa111")
    module = script.load_module()
    assert module.op is _proxy.op
    assert ScriptDirectory(config).get_script("aaa111").load_module() is module
    assert callable(module.upgrade)


def test_load_module_error_names_file_and_line(tmp_path: Path) -> None:
    """A script failing at import is a ScriptError with its path and line."""
    cfg = make_config(tmp_path)
    write_script(cfg.version_locations[0], "aaa111", None, body="\nraise RuntimeError('boom')\n")
    script = ScriptDirectory(cfg).get_script("aaa111")
    expected = r"aaa111_x\.py:17: cannot be imported: RuntimeError: boom"
    with pytest.raises(ScriptError, match=expected):
        script.load_module()


def test_env_module_absent_is_none(config: Config) -> None:
    """Without env.py there is no env module."""
    assert ScriptDirectory(config).env_module() is None


def test_env_module_is_imported(config: Config) -> None:
    """An asyncmig env.py is imported and its names are available."""
    (config.script_location / "env.py").write_text(
        "from alembic import context\nTARGET = 'metadata'\nctx = context\n"
    )
    env = ScriptDirectory(config).env_module()
    assert env is not None
    assert env.TARGET == "metadata"
    assert env.ctx is _proxy.context


ALEMBIC_ENV = """
from alembic import context
open({marker!r}, "w").close()

def run_migrations_online():
    context.configure(connection=None, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()

run_migrations_online()
"""


def test_alembic_driver_env_is_not_run(
    tmp_path: Path, config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    """An Alembic env.py is detected without running it, with one warning per process."""
    marker = tmp_path / "env-ran"
    (config.script_location / "env.py").write_text(ALEMBIC_ENV.format(marker=str(marker)))
    with caplog.at_level(logging.WARNING, logger="asyncmig.script"):
        assert ScriptDirectory(config).env_module() is None
        assert ScriptDirectory(config).env_module() is None
    assert not marker.exists()
    warnings = [
        r.getMessage() for r in caplog.records if "drives Alembic's context" in r.getMessage()
    ]
    assert len(warnings) == 1
    assert "reads its settings from the configuration" in warnings[0]
