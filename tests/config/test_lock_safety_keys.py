"""The lock-safe execution keys: durations with units, defaults, what `init` writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncmig._config import Config
from asyncmig._config.values import duration
from asyncmig._project_templates import init
from asyncmig.errors import ConfigError
from tests.config._files import write

NO_ENV: dict[str, str] = {}


def _toml(folder: Path, body: str) -> Config:
    write(folder, "asyncmig.toml", 'script_location = "migrations"\n' + body)
    return Config.load(cwd=folder, environ=NO_ENV)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (5, 5.0),
        (0.25, 0.25),
        ("7", 7.0),
        ("500ms", 0.5),
        ("5s", 5.0),
        ("1.5 s", 1.5),
        ("10min", 600.0),
        ("1h", 3600.0),
        ("2H", 7200.0),
        ("0", 0.0),
    ],
)
def test_duration_forms(value: object, seconds: float) -> None:
    """A duration is a number of seconds, or a number with ms, s, min or h."""
    assert duration(value) == seconds


@pytest.mark.parametrize("value", ["soon", "5 sec", "5m", "ms", "inf", True, [1], None])
def test_not_a_duration(value: object) -> None:
    """Anything else is not a duration (None), including bools and units PostgreSQL lacks."""
    assert duration(value) is None


def test_defaults_leave_the_connection_alone(tmp_path: Path) -> None:
    """Without the keys (an adopted Alembic project) no timeout is set and 3 retries apply."""
    config = _toml(tmp_path, "")
    assert config.ddl_lock_timeout is None
    assert config.ddl_lock_retries == 3
    assert config.migration_statement_timeout is None


def test_keys_in_toml_and_ini(tmp_path: Path) -> None:
    """The keys parse in TOML and in ini; 0 turns the lock timeout off but means no statement
    limit; lock_timeout takes units too."""
    config = _toml(
        tmp_path / "toml",
        'ddl_lock_timeout = "10s"\nddl_lock_retries = 0\n'
        'migration_statement_timeout = "20min"\nlock_timeout = "2min"\n',
    )
    assert (config.ddl_lock_timeout, config.ddl_lock_retries) == (10.0, 0)
    assert (config.migration_statement_timeout, config.lock_timeout) == (1200.0, 120.0)
    write(
        tmp_path / "ini",
        "asyncmig.ini",
        "[asyncmig]\nscript_location = m\nddl_lock_timeout = 0\n"
        "ddl_lock_retries = 7\nmigration_statement_timeout = 0\n",
    )
    config = Config.load(cwd=tmp_path / "ini", environ=NO_ENV)
    assert (config.ddl_lock_timeout, config.ddl_lock_retries) == (None, 7)
    assert config.migration_statement_timeout == 0.0


@pytest.mark.parametrize(
    ("line", "key", "expected"),
    [
        ('ddl_lock_timeout = "soon"', "ddl_lock_timeout", "a duration such as '500ms'"),
        ('migration_statement_timeout = "-5s"', "migration_statement_timeout", "seconds"),
        ("migration_statement_timeout = -5", "migration_statement_timeout", ">= 0"),
        ("ddl_lock_retries = -1", "ddl_lock_retries", "integer >= 0"),
        ('ddl_lock_retries = "often"', "ddl_lock_retries", "an integer"),
        ("ddl_lock_timout = 5", "ddl_lock_timout", "did you mean ddl_lock_timeout?"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, line: str, key: str, expected: str) -> None:
    """A wrong value, or a near miss of a new key, is a ConfigError naming the key."""
    with pytest.raises(ConfigError) as caught:
        _toml(tmp_path, line + "\n")
    assert caught.value.key == key
    assert expected in str(caught.value)


def test_ddl_lock_timeout_is_no_longer_a_typo_of_lock_timeout(tmp_path: Path) -> None:
    """ddl_lock_timeout is a known key, not a near miss of lock_timeout."""
    assert _toml(tmp_path, 'ddl_lock_timeout = "5s"\n').lock_timeout is None


@pytest.mark.parametrize("template", ["generic", "multidb", "pyproject"])
def test_init_writes_conservative_timeouts(tmp_path: Path, template: str) -> None:
    """A project made by `asyncmig init` waits 5 s for a table lock and allows 1 h a statement."""
    init("migrations", template=template, cwd=tmp_path)
    config = Config.load(cwd=tmp_path, environ=NO_ENV)
    assert config.ddl_lock_timeout == 5.0
    assert config.ddl_lock_retries == 3
    assert config.migration_statement_timeout == 3600.0
