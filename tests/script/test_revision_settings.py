"""A script's own `asyncmig = {...}` settings: read with the header, never by importing."""

from __future__ import annotations

import ast
import types
from pathlib import Path

import pytest

from asyncmig._config import Config, DatabaseConfig
from asyncmig._script import headers
from asyncmig._script.directory import ScriptDirectory
from asyncmig._script.headers import CACHE_NAME, parse_source
from asyncmig.errors import ScriptError

HEADER = '"""step"""\nrevision = "a1"\ndown_revision = None\n'
# A script that fails if imported: reading its settings must not import it.
SCRIPT = (
    HEADER + "asyncmig = {\n"
    '    "ddl_lock_timeout": "2s",  # this table is busy\n'
    '    "ddl_lock_retries": 10,\n'
    '    "migration_statement_timeout": None,\n'
    '    "transaction": False,\n'
    "}\n"
    'raise RuntimeError("imported")\n'
)
EXPECTED = (
    ("ddl_lock_retries", 10),
    ("ddl_lock_timeout", 2.0),
    ("migration_statement_timeout", None),
    ("transaction", False),
)


def _config(root: Path) -> Config:
    location = root / "migrations"
    (location / "versions").mkdir(parents=True)
    return Config(
        path=None,
        here=root,
        script_location=location,
        version_locations=(location / "versions",),
        databases={"main": DatabaseConfig("main", "sqlite+aiosqlite://")},
    )


def test_settings_are_read_and_normalised() -> None:
    """The dict literal is read (over several lines, with comments) into checked values."""
    header = parse_source(SCRIPT, "a1_step.py")
    assert header is not None
    assert header.revision == "a1"
    assert header.settings == EXPECTED


def test_a_script_without_settings_has_none() -> None:
    """No `asyncmig = ...`: no settings, and `import asyncmig` in a script is not one."""
    header = parse_source(HEADER + "import asyncmig\n", "a1_step.py")
    assert header is not None
    assert header.settings == ()


def test_settings_come_from_the_header_cache_without_importing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan caches the settings; a second scan reads them from the cache, parsing nothing."""
    config = _config(tmp_path)
    versions = config.version_locations[0]
    (versions / "a1_step.py").write_text(SCRIPT)
    assert ScriptDirectory(config).revision_map.get("a1").settings == EXPECTED
    assert (versions / "__pycache__" / CACHE_NAME).is_file()

    def refuse(*args: object, **kwargs: object) -> ast.Module:
        raise AssertionError("the script was parsed again")

    only_here = types.SimpleNamespace(**vars(ast))
    only_here.parse = refuse
    monkeypatch.setattr(headers, "ast", only_here)
    assert ScriptDirectory(config).revision_map.get("a1").settings == EXPECTED


def test_computed_header_keeps_literal_settings(tmp_path: Path) -> None:
    """A script imported for its computed header keeps its settings; `import asyncmig` is none."""
    config = _config(tmp_path)
    versions = config.version_locations[0]
    (versions / "calc.py").write_text(
        'revision = "ab" + "c"\ndown_revision = None\nasyncmig = {"ddl_lock_timeout": 3}\n'
    )
    (versions / "uses.py").write_text(
        'import asyncmig\nrevision = "de" + "f"\ndown_revision = "abc"\n'
    )
    graph = ScriptDirectory(config).revision_map
    assert graph.get("abc").settings == (("ddl_lock_timeout", 3.0),)
    assert graph.get("def").settings == ()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            'asyncmig = {"ddl_lock_timout": "2s"}',
            "unknown setting 'ddl_lock_timout' (did you mean 'ddl_lock_timeout'?); "
            "the settings are ddl_lock_timeout, ddl_lock_retries, migration_statement_timeout, "
            "transaction",
        ),
        (
            'asyncmig = {"ddl_lock_timeout": "soon"}',
            "asyncmig['ddl_lock_timeout'] is 'soon'; write a number of seconds or a duration "
            "such as '500ms', '5s', '10min', '1h', or 0 (off)",
        ),
        (
            'asyncmig = {"ddl_lock_retries": -1}',
            "asyncmig['ddl_lock_retries'] is -1; write an integer >= 0",
        ),
        (
            'asyncmig = {"transaction": "no"}',
            "asyncmig['transaction'] is 'no'; write True or False",
        ),
        (
            'asyncmig = {"migration_statement_timeout": -1}',
            "asyncmig['migration_statement_timeout'] is -1; write a number of seconds",
        ),
        (
            "asyncmig = settings()",
            "asyncmig = ... must be a literal dict (it is read without importing the script)",
        ),
        ('asyncmig = ["ddl_lock_timeout"]', "asyncmig = ... must be a dict of settings, not list"),
    ],
)
def test_bad_settings_are_one_line_errors(line: str, expected: str) -> None:
    """A wrong key or value, or a computed dict, names the file, the line and what to write."""
    with pytest.raises(ScriptError) as caught:
        parse_source(HEADER + line + "\n", "a1_step.py")
    message = str(caught.value)
    assert message.startswith("a1_step.py:4: ")
    assert expected in message
    assert "\n" not in message


def test_computed_settings_are_an_error_even_with_a_computed_header() -> None:
    """A computed `asyncmig = ...` is never read by importing the script, whatever else it has."""
    with pytest.raises(ScriptError, match="must be a literal dict"):
        parse_source('revision = "a" + "1"\ndown_revision = None\nasyncmig = dict()\n', "x.py")
