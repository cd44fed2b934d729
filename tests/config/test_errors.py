"""Wrong values: each ConfigError names the file, the key and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncmig._config import Config, parse_x_arguments
from asyncmig.errors import ConfigError
from tests.config._files import write

NO_ENV: dict[str, str] = {}


@pytest.mark.parametrize(
    ("line", "key", "expected"),
    [
        ('lock_timeout = "abc"', "lock_timeout", "number of seconds"),
        ("lock_timeout = -1", "lock_timeout", "seconds >= 0"),
        ("lock_timeout = [1]", "lock_timeout", "number of seconds"),
        ("truncate_slug_length = [1]", "truncate_slug_length", "integer"),
        ('truncate_slug_length = "ten"', "truncate_slug_length", "integer"),
        ("truncate_slug_length = 0", "truncate_slug_length", "integer >= 1"),
        ("truncate_slug_length = true", "truncate_slug_length", "integer"),
        ('lock = "maybe"', "lock", "boolean"),
        ("transaction_per_migration = 2", "transaction_per_migration", "boolean"),
        ("sourceless = []", "sourceless", "boolean"),
        ("recursive_version_locations = 1.5", "recursive_version_locations", "boolean"),
        ("timezone = 3", "timezone", "string"),
        ("version_table = []", "version_table", "string"),
        ("version_locations = [1, 2]", "version_locations", "list of strings"),
        ("prepend_sys_path = 5", "prepend_sys_path", "list of strings"),
        ('output_encoding = "no-such-codec"', "output_encoding", "unknown encoding"),
        ('target_metadata = "just_a_module"', "target_metadata", "package.module:attribute"),
        ("url = 5", "url", "string"),
        ('schemas = [1, "a"]', "schemas", "schema names"),
        ("post_write_hooks = 3", "post_write_hooks", "post_write_hooks"),
    ],
)
def test_wrong_type_in_toml(tmp_path: Path, line: str, key: str, expected: str) -> None:
    """A TOML value of the wrong type or form names file, key and the expected type."""
    path = write(tmp_path, "asyncmig.toml", f'script_location = "m"\n{line}\n')
    with pytest.raises(ConfigError) as caught:
        Config.load(cwd=tmp_path, environ=NO_ENV)
    message = str(caught.value)
    assert str(path) in message
    assert f"key {key!r}" in message
    assert expected in message
    assert caught.value.key == key


@pytest.mark.parametrize(
    ("line", "key", "expected"),
    [
        ("lock_timeout = abc", "lock_timeout", "number of seconds"),
        ("truncate_slug_length = 4.5", "truncate_slug_length", "integer"),
        ("lock = sometimes", "lock", "boolean"),
    ],
)
def test_wrong_type_in_ini(tmp_path: Path, line: str, key: str, expected: str) -> None:
    """An ini value that does not parse names file, key and the expected type."""
    path = write(tmp_path, "asyncmig.ini", f"[asyncmig]\nscript_location = m\n{line}\n")
    with pytest.raises(ConfigError) as caught:
        Config.load(cwd=tmp_path, environ=NO_ENV)
    assert str(path) in str(caught.value)
    assert f"key {key!r}" in str(caught.value)
    assert expected in str(caught.value)


def test_missing_script_location_toml(tmp_path: Path) -> None:
    """No script_location: a ConfigError naming the file and the key."""
    path = write(tmp_path, "asyncmig.toml", 'url = "sqlite:///x.db"\n')
    with pytest.raises(ConfigError) as caught:
        Config.load(cwd=tmp_path, environ=NO_ENV)
    assert str(path) in str(caught.value)
    assert "'script_location'" in str(caught.value)


def test_missing_script_location_ini(tmp_path: Path) -> None:
    """An ini main section without script_location names file and key."""
    path = write(tmp_path, "alembic.ini", "[alembic]\nsqlalchemy.url = sqlite://\n")
    with pytest.raises(ConfigError) as caught:
        Config.load(cwd=tmp_path, environ=NO_ENV)
    assert str(path) in str(caught.value)
    assert "'script_location'" in str(caught.value)


def test_missing_script_location_pyproject(tmp_path: Path) -> None:
    """In pyproject.toml the missing key is named with its table."""
    write(tmp_path, "pyproject.toml", "[tool.asyncmig]\nlock = true\n")
    with pytest.raises(ConfigError, match=r"tool\.asyncmig\.script_location"):
        Config.load(cwd=tmp_path, environ=NO_ENV)


def test_bad_percent_interpolation_in_ini(tmp_path: Path) -> None:
    """An ini value with an unknown %(token)s names file and key and says how to escape."""
    path = write(
        tmp_path, "asyncmig.ini", "[asyncmig]\nscript_location = m\nfile_template = %(rev)s\n"
    )
    with pytest.raises(ConfigError) as caught:
        Config.load(cwd=tmp_path, environ=NO_ENV)
    assert str(path) in str(caught.value)
    assert "'file_template'" in str(caught.value)
    assert "%%" in str(caught.value)


def test_unknown_keys_are_not_errors(tmp_path: Path) -> None:
    """Keys asyncmig does not know are kept in options, like Alembic's."""
    write(tmp_path, "asyncmig.toml", 'script_location = "m"\nmy_setting = 3\nflag = true\n')
    config = Config.load(cwd=tmp_path, environ=NO_ENV)
    assert config.options["my_setting"] == "3"
    assert config.options["flag"] == "true"


def test_x_argument_without_key_is_an_error() -> None:
    """`-x =value` has no key."""
    with pytest.raises(ConfigError, match="-x"):
        parse_x_arguments(["=value"])


def test_parse_x_arguments() -> None:
    """-x key=value items split at the first '='; a bare key maps to ''."""
    assert parse_x_arguments(["a=1", "b=x=y", "flag", " c =2"]) == {
        "a": "1",
        "b": "x=y",
        "flag": "",
        "c": "2",
    }


def test_typo_of_a_known_key_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    """A near miss of a known key (verison_table) names the key and the one it resembles."""
    write(tmp_path, "asyncmig.toml", 'script_location = "m"\nverison_table = "v"\n')
    with pytest.raises(ConfigError, match=r"'verison_table'.*did you mean version_table\?"):
        Config.load(cwd=tmp_path, environ=NO_ENV)


def test_typo_in_a_database_table_is_an_error(tmp_path: Path) -> None:
    """A near miss inside [databases.<name>] names the table's key."""
    write(
        tmp_path,
        "asyncmig.toml",
        'script_location = "m"\n[databases.a]\nurl = "sqlite://"\ntarget_metadat = "m:x"\n',
    )
    with pytest.raises(ConfigError, match=r"databases\.a\.target_metadat.*target_metadata\?"):
        Config.load(cwd=tmp_path, environ=NO_ENV)


def test_naming_convention_is_a_known_key() -> None:
    """The one list of known keys has naming_convention, so it is never taken for a typo."""
    from asyncmig._config.values import MAIN_KEYS

    assert "naming_convention" in MAIN_KEYS
    assert len(set(MAIN_KEYS)) == len(MAIN_KEYS)


def test_unknown_token_and_unterminated_variable_are_errors(tmp_path: Path) -> None:
    """%(hre)s suggests %(here)s; an unclosed ${ says how to close or escape it."""
    write(tmp_path, "asyncmig.toml", 'script_location = "%(hre)s/m"\n')
    with pytest.raises(ConfigError, match=r"unknown token %\(hre\)s \(did you mean %\(here\)s\?\)"):
        Config.load(cwd=tmp_path, environ=NO_ENV)
    write(tmp_path, "asyncmig.toml", 'script_location = "m"\nversion_table = "${T"\n')
    with pytest.raises(ConfigError, match=r"\$\$\{ for a literal"):
        Config.load(cwd=tmp_path, environ=NO_ENV)
    write(tmp_path, "asyncmig.toml", 'script_location = "m"\nversion_table = "$${T"\n')
    assert Config.load(cwd=tmp_path, environ=NO_ENV).version_table == "${T"


def test_url_override_skips_the_configured_variable(tmp_path: Path) -> None:
    """--url replaces url before ${VAR} is expanded: the unset variable is never read."""
    write(tmp_path, "asyncmig.toml", 'script_location = "m"\nurl = "${DATABASE_URL}"\n')
    config = Config.load(cwd=tmp_path, environ=NO_ENV, url="sqlite:///x.db")
    assert config.database("main").url == "sqlite+aiosqlite:///x.db"
    assert config.database("main").url_error is None
    via_env = Config.load(cwd=tmp_path, environ={"ASYNCMIG_URL": "sqlite:///y.db"})
    assert via_env.database("main").url == "sqlite+aiosqlite:///y.db"
