"""Every configuration key: defaults, parsing in TOML and ini, interpolation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from asyncmig._config import Config, PostWriteHook
from asyncmig.errors import ConfigError
from tests.config._files import write

NO_ENV: dict[str, str] = {}


def _toml(folder: Path, body: str, env: dict[str, str] | None = None) -> Config:
    write(folder, "asyncmig.toml", 'script_location = "migrations"\n' + body)
    return Config.load(cwd=folder, environ=NO_ENV if env is None else env)


def _ini(folder: Path, body: str, env: dict[str, str] | None = None) -> Config:
    write(folder, "asyncmig.ini", "[asyncmig]\nscript_location = migrations\n" + body)
    return Config.load(cwd=folder, environ=NO_ENV if env is None else env)


def test_defaults(tmp_path: Path) -> None:
    """A config with only script_location gets Alembic's and asyncmig's defaults."""
    config = _toml(tmp_path, "")
    assert config.script_location == tmp_path / "migrations"
    assert config.version_locations == (tmp_path / "migrations" / "versions",)
    assert config.recursive_version_locations is False
    assert config.file_template == "%(rev)s_%(slug)s"
    assert config.timezone is None
    assert config.truncate_slug_length == 40
    assert config.output_encoding == "utf-8"
    assert config.prepend_sys_path == ()
    assert config.post_write_hooks == ()
    assert config.sourceless is False
    assert config.version_table == "asyncmig_version"
    assert config.version_table_schema is None
    assert config.transaction_per_migration is True
    assert config.lock is True
    assert config.lock_timeout is None
    assert config.target_metadata is None
    assert list(config.databases) == ["main"]
    assert config.databases["main"].url is None


def test_ini_defaults_match_toml_defaults(tmp_path: Path) -> None:
    """asyncmig.ini has the same defaults, including the file_template."""
    config = _ini(tmp_path, "")
    assert config.file_template == "%(rev)s_%(slug)s"
    assert config.version_table == "asyncmig_version"
    assert config.version_locations == (tmp_path / "migrations" / "versions",)


def test_alembic_ini_keeps_alembic_version_table(tmp_path: Path) -> None:
    """alembic.ini defaults the version table to alembic_version, so projects run as they are."""
    write(tmp_path, "alembic.ini", "[alembic]\nscript_location = m\n")
    assert Config.load(cwd=tmp_path, environ=NO_ENV).version_table == "alembic_version"
    write(tmp_path, "alembic.ini", "[alembic]\nscript_location = m\nversion_table = mine\n")
    assert Config.load(cwd=tmp_path, environ=NO_ENV).version_table == "mine"


def test_every_key_in_toml(tmp_path: Path) -> None:
    """Each key is read with its type from asyncmig.toml."""
    config = _toml(
        tmp_path,
        """
version_locations = ["v1", "%(here)s/v2", "/abs/v3"]
recursive_version_locations = true
file_template = "%(year)d_%(rev)s_%(slug)s"
timezone = "UTC"
truncate_slug_length = 12
output_encoding = "latin-1"
prepend_sys_path = [".", "src"]
sourceless = "yes"
version_table = "schema_history"
version_table_schema = "meta"
transaction_per_migration = false
lock = "off"
lock_timeout = 7
target_metadata = "myapp.models:Base.metadata"
my_own_key = "kept"
""",
    )
    assert config.version_locations == (tmp_path / "v1", tmp_path / "v2", Path("/abs/v3"))
    assert config.recursive_version_locations is True
    assert config.file_template == "%(year)d_%(rev)s_%(slug)s"
    assert config.timezone == "UTC"
    assert config.truncate_slug_length == 12
    assert config.output_encoding == "latin-1"
    assert config.prepend_sys_path == (tmp_path, tmp_path / "src")
    assert config.sourceless is True
    assert config.version_table == "schema_history"
    assert config.version_table_schema == "meta"
    assert config.transaction_per_migration is False
    assert config.lock is False
    assert config.lock_timeout == 7.0
    assert isinstance(config.lock_timeout, float)
    assert config.target_metadata == "myapp.models:Base.metadata"
    assert config.get_main_option("my_own_key") == "kept"
    assert config.get_main_option("lock") == "off"
    assert config.get_main_option("absent", "fallback") == "fallback"


def test_every_key_in_ini(tmp_path: Path) -> None:
    """Each key is read with its type from asyncmig.ini."""
    config = _ini(
        tmp_path,
        """recursive_version_locations = on
file_template = %%(year)d_%%(rev)s_%%(slug)s
timezone = Europe/Paris
truncate_slug_length = 20
output_encoding = utf-16
sourceless = 1
version_table = vt
version_table_schema = s
transaction_per_migration = no
lock = false
lock_timeout = 0.5
target_metadata = pkg.mod:metadata
my_key = %(here)s/thing
""",
    )
    assert config.recursive_version_locations is True
    assert config.file_template == "%(year)d_%(rev)s_%(slug)s"
    assert config.timezone == "Europe/Paris"
    assert config.truncate_slug_length == 20
    assert config.output_encoding == "utf-16"
    assert config.sourceless is True
    assert config.version_table == "vt"
    assert config.version_table_schema == "s"
    assert config.transaction_per_migration is False
    assert config.lock is False
    assert config.lock_timeout == 0.5
    assert config.target_metadata == "pkg.mod:metadata"
    assert config.get_main_option("my_key") == f"{tmp_path.as_posix()}/thing"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("yes", True),
        ("on", True),
        ("1", True),
        ("false", False),
        ("No", False),
        ("off", False),
        ("0", False),
    ],
)
def test_boolean_spellings(tmp_path: Path, text: str, expected: bool) -> None:
    """Booleans accept true/false, yes/no, on/off and 1/0 in any case."""
    assert _ini(tmp_path, f"lock = {text}\n").lock is expected


def test_toml_double_percent_file_template(tmp_path: Path) -> None:
    """In TOML, Alembic-style %% in file_template means a single %."""
    config = _toml(tmp_path, 'file_template = "%%(rev)s_%%(slug)s_x"\n')
    assert config.file_template == "%(rev)s_%(slug)s_x"


@pytest.mark.parametrize(
    ("separator", "joined"),
    [
        ("os", os.pathsep.join(["a", "b c"])),
        ("space", "a b"),
        ("newline", "\n    a\n    b"),
        (";", "a;b"),
        (":", "a:b"),
    ],
)
def test_ini_version_locations_separators(tmp_path: Path, separator: str, joined: str) -> None:
    """version_locations is split by path_separator in ini, as in Alembic."""
    config = _ini(tmp_path, f"path_separator = {separator}\nversion_locations = {joined}\n")
    assert config.version_locations[0] == tmp_path / "a"
    assert len(config.version_locations) == 2


def test_ini_version_path_separator_is_accepted(tmp_path: Path) -> None:
    """Alembic's older version_path_separator also splits version_locations."""
    config = _ini(tmp_path, "version_path_separator = ;\nversion_locations = a b;c\n")
    assert config.version_locations == (tmp_path / "a b", tmp_path / "c")


def test_ini_version_locations_legacy_split(tmp_path: Path) -> None:
    """Without a separator, version_locations splits on commas and spaces."""
    config = _ini(tmp_path, "version_locations = a, b c\n")
    assert config.version_locations == (tmp_path / "a", tmp_path / "b", tmp_path / "c")


def test_ini_prepend_sys_path_legacy_split_includes_colon(tmp_path: Path) -> None:
    """Without path_separator, prepend_sys_path also splits on colons."""
    config = _ini(tmp_path, "prepend_sys_path = .:src lib\n")
    assert config.prepend_sys_path == (tmp_path, tmp_path / "src", tmp_path / "lib")


def test_ini_prepend_sys_path_with_separator(tmp_path: Path) -> None:
    """With path_separator = newline, prepend_sys_path keeps spaces inside entries."""
    config = _ini(tmp_path, "path_separator = newline\nprepend_sys_path =\n    my src\n    .\n")
    assert config.prepend_sys_path == (tmp_path / "my src", tmp_path)


def test_bad_separator_is_an_error(tmp_path: Path) -> None:
    """An unknown path_separator names the key and the allowed values."""
    with pytest.raises(ConfigError, match=r"path_separator.*space") as caught:
        _ini(tmp_path, "path_separator = comma\nversion_locations = a\n")
    assert "asyncmig.ini" in str(caught.value)


def test_here_in_toml_and_ini(tmp_path: Path) -> None:
    """%(here)s expands to the config file's folder in TOML and in ini."""
    config = _toml(tmp_path, 'url = "sqlite:///%(here)s/app.db"\n')
    assert config.databases["main"].url == f"sqlite+aiosqlite:///{tmp_path.as_posix()}/app.db"
    write(tmp_path / "sub", "asyncmig.ini", "[asyncmig]\nscript_location = %(here)s/m\n")
    config = Config.load(cwd=tmp_path / "sub", environ=NO_ENV)
    assert config.script_location == tmp_path / "sub" / "m"


def test_relative_paths_resolve_against_config_folder(tmp_path: Path) -> None:
    """Relative paths mean the config file's folder, not the current folder."""
    path = write(tmp_path / "conf", "asyncmig.toml", 'script_location = "../mig"\n')
    config = Config.load(path, cwd=tmp_path / "conf" / "..", environ=NO_ENV)
    assert config.script_location == tmp_path / "mig"


def test_package_resource_script_location(tmp_path: Path) -> None:
    """script_location = "package:folder" resolves inside an importable package."""
    write(tmp_path, "asyncmig.toml", 'script_location = "tests.config:migrations"\n')
    config = Config.load(cwd=tmp_path, environ=NO_ENV)
    assert config.script_location == Path(__file__).parent / "migrations"


def test_unknown_package_is_an_error(tmp_path: Path) -> None:
    """A package:resource location whose package is missing names the key."""
    write(tmp_path, "asyncmig.toml", 'script_location = "no_such_pkg_xyz:migrations"\n')
    with pytest.raises(ConfigError, match="script_location") as caught:
        Config.load(cwd=tmp_path, environ=NO_ENV)
    assert "no_such_pkg_xyz" in str(caught.value)


def test_env_variables(tmp_path: Path) -> None:
    """${VAR} and ${VAR:-default} expand from the given environment in every string."""
    env = {"DB_HOST": "db.example", "SCHEMA": ""}
    config = _toml(
        tmp_path,
        """
url = "postgresql://app@${DB_HOST}/${DB_NAME:-appdb}"
version_table_schema = "${SCHEMA:-public}"
version_locations = ["${DIR:-v}"]
literal = "$${NOT_EXPANDED}"
""",
        env,
    )
    assert config.databases["main"].url == "postgresql+asyncpg://app@db.example/appdb"
    assert config.version_table_schema == "public"
    assert config.version_locations == (tmp_path / "v",)
    assert config.get_main_option("literal") == "${NOT_EXPANDED}"


def test_env_variables_in_ini(tmp_path: Path) -> None:
    """${VAR} also expands in ini values, after %-interpolation."""
    config = _ini(tmp_path, "lock_timeout = ${TIMEOUT}\n", {"TIMEOUT": "3"})
    assert config.lock_timeout == 3.0


def test_unset_env_variable_names_file_key_and_variable(tmp_path: Path) -> None:
    """An unset ${VAR} without default is a ConfigError naming file, key and variable."""
    with pytest.raises(ConfigError) as caught:
        _toml(tmp_path, 'version_table = "${MISSING_TABLE}"\n')
    message = str(caught.value)
    assert "asyncmig.toml" in message
    assert "'version_table'" in message
    assert "MISSING_TABLE" in message


def test_unset_env_variable_in_url_waits_until_the_url_is_needed(tmp_path: Path) -> None:
    """An unset ${VAR} in url loads (heads need no URL) and keeps the error for what connects."""
    config = _toml(tmp_path, 'url = "${MISSING_DB_URL}"\n')
    main = config.database("main")
    assert main.url is None
    assert main.url_error is not None
    message = str(main.url_error)
    assert "asyncmig.toml" in message
    assert "'url'" in message
    assert "MISSING_DB_URL" in message


def test_environ_defaults_to_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without an environ argument, os.environ is used."""
    monkeypatch.setenv("ASYNCMIG_TEST_TABLE", "from_env")
    write(
        tmp_path,
        "asyncmig.toml",
        'script_location = "m"\nversion_table = "${ASYNCMIG_TEST_TABLE}"\n',
    )
    monkeypatch.delenv("ASYNCMIG_URL", raising=False)
    monkeypatch.delenv("ASYNCMIG_CONFIG", raising=False)
    assert Config.load(cwd=tmp_path).version_table == "from_env"


def test_post_write_hooks_toml_list(tmp_path: Path) -> None:
    """[[post_write_hooks]] tables with a name, Alembic's TOML form."""
    config = _toml(
        tmp_path,
        """
[[post_write_hooks]]
name = "black"
type = "console_scripts"
entrypoint = "black"
options = "-l 79 REVISION_SCRIPT_FILENAME"

[[post_write_hooks]]
name = "ruff"
type = "module"
module = "ruff"
options = "check --fix REVISION_SCRIPT_FILENAME"
cwd = "%(here)s"
""",
    )
    assert config.post_write_hooks == (
        PostWriteHook("black", "console_scripts", "black", None, "-l 79 REVISION_SCRIPT_FILENAME"),
        PostWriteHook(
            "ruff",
            "module",
            "ruff",
            None,
            "check --fix REVISION_SCRIPT_FILENAME",
            tmp_path.as_posix(),
        ),
    )


def test_post_write_hooks_toml_table(tmp_path: Path) -> None:
    """[post_write_hooks.<name>] tables are accepted too, in file order."""
    config = _toml(
        tmp_path,
        """
[post_write_hooks.fmt]
type = "exec"
executable = "ruff"
options = "format REVISION_SCRIPT_FILENAME"

[post_write_hooks.lint]
type = "console_scripts"
entrypoint = "flake8"
""",
    )
    assert [h.name for h in config.post_write_hooks] == ["fmt", "lint"]
    assert config.post_write_hooks[0].executable == "ruff"
    assert config.post_write_hooks[1].options == ""


def test_post_write_hooks_ini(tmp_path: Path) -> None:
    """Alembic's [post_write_hooks] section: hooks = a, b and a.type, a.entrypoint, ..."""
    config = _ini(
        tmp_path,
        """
[post_write_hooks]
hooks = black, fmt
black.type = console_scripts
black.entrypoint = black
black.options = -q REVISION_SCRIPT_FILENAME
black.cwd = %(here)s
fmt.type = exec
fmt.executable = %(here)s/bin/fmt
""",
    )
    black, fmt = config.post_write_hooks
    assert black == PostWriteHook(
        "black",
        "console_scripts",
        "black",
        None,
        "-q REVISION_SCRIPT_FILENAME",
        tmp_path.as_posix(),
    )
    assert fmt.type == "exec"
    assert fmt.executable == f"{tmp_path.as_posix()}/bin/fmt"


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ("hooks = a\n", "a.type"),
        ("hooks = a\na.type = blackhole\n", "a.type"),
        ("hooks = a\na.type = exec\n", "a.executable"),
        ("hooks = a\na.type = console_scripts\n", "a.entrypoint"),
        ("hooks = a\na.type = module\n", "a.module"),
    ],
)
def test_bad_hooks_name_the_key(tmp_path: Path, body: str, key: str) -> None:
    """An incomplete or unknown hook is a ConfigError naming the hook's key."""
    with pytest.raises(ConfigError) as caught:
        _ini(tmp_path, "[post_write_hooks]\n" + body)
    assert f"post_write_hooks.{key}" in str(caught.value)
    assert "asyncmig.ini" in str(caught.value)


def test_toml_hook_without_name_is_an_error(tmp_path: Path) -> None:
    """A [[post_write_hooks]] entry without a name is reported."""
    with pytest.raises(ConfigError, match="post_write_hooks"):
        _toml(tmp_path, '[[post_write_hooks]]\ntype = "exec"\nexecutable = "x"\n')


def test_pyproject_keys_are_prefixed_in_errors(tmp_path: Path) -> None:
    """In pyproject.toml the key is named with its tool.asyncmig prefix."""
    write(tmp_path, "pyproject.toml", '[tool.asyncmig]\nscript_location = "m"\nlock = "maybe"\n')
    with pytest.raises(ConfigError, match=r"tool\.asyncmig\.lock"):
        Config.load(cwd=tmp_path, environ=NO_ENV)


def test_sections_of_ini_file(tmp_path: Path) -> None:
    """get_section_option reads another section of the same ini file, interpolated."""
    config = _ini(tmp_path, "[extra]\nwhere = %(here)s/x\n[loggers]\nfmt = %(levelname)s\n")
    assert config.get_section_option("extra", "where") == f"{tmp_path.as_posix()}/x"
    # A section asyncmig does not read is kept as written when it cannot be interpolated.
    assert config.get_section_option("loggers", "fmt") == "%(levelname)s"
    assert config.get_section_option("asyncmig", "script_location") == "migrations"
    assert config.get_section_option("nope", "x", "d") == "d"


def test_x_arguments_are_kept(tmp_path: Path) -> None:
    """-x items are parsed and kept on the config."""
    write(tmp_path, "asyncmig.toml", 'script_location = "m"\n')
    config = Config.load(cwd=tmp_path, environ=NO_ENV, x_arguments=["tenant=a", "dry"])
    assert dict(config.x_arguments) == {"tenant": "a", "dry": ""}
