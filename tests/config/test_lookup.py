"""Where the configuration is found, and which source wins when several exist."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from asyncmig._config import Config
from asyncmig.errors import ConfigError
from tests.config._files import write

NO_ENV: dict[str, str] = {}


def _all_sources(folder: Path) -> None:
    write(folder, "asyncmig.toml", 'script_location = "from_toml"\n')
    write(folder, "pyproject.toml", '[tool.asyncmig]\nscript_location = "from_pyproject"\n')
    write(folder, "asyncmig.ini", "[asyncmig]\nscript_location = from_asyncmig_ini\n")
    write(folder, "alembic.ini", "[alembic]\nscript_location = from_alembic_ini\n")


def test_asyncmig_toml_wins_over_every_other_file(tmp_path: Path) -> None:
    """asyncmig.toml is read first when all four files exist."""
    _all_sources(tmp_path)
    config = Config.load(cwd=tmp_path, environ=NO_ENV)
    assert config.path == tmp_path / "asyncmig.toml"
    assert config.script_location == tmp_path / "from_toml"


def test_pyproject_comes_second(tmp_path: Path) -> None:
    """Without asyncmig.toml, pyproject.toml's [tool.asyncmig] is read."""
    _all_sources(tmp_path)
    (tmp_path / "asyncmig.toml").unlink()
    config = Config.load(cwd=tmp_path, environ=NO_ENV)
    assert config.script_location == tmp_path / "from_pyproject"


def test_pyproject_without_table_is_skipped(tmp_path: Path) -> None:
    """A pyproject.toml without [tool.asyncmig] does not stop the search."""
    _all_sources(tmp_path)
    (tmp_path / "asyncmig.toml").unlink()
    write(tmp_path, "pyproject.toml", '[project]\nname = "x"\n[tool.other]\na = 1\n')
    config = Config.load(cwd=tmp_path, environ=NO_ENV)
    assert config.path == tmp_path / "asyncmig.ini"
    assert config.script_location == tmp_path / "from_asyncmig_ini"


def test_alembic_ini_comes_last(tmp_path: Path) -> None:
    """alembic.ini's [alembic] section is read when nothing else exists."""
    write(tmp_path, "alembic.ini", "[alembic]\nscript_location = from_alembic_ini\n")
    config = Config.load(cwd=tmp_path, environ=NO_ENV)
    assert config.script_location == tmp_path / "from_alembic_ini"
    assert config.main_section == "alembic"


def test_explicit_path_wins_over_search(tmp_path: Path) -> None:
    """An explicit path is read even when asyncmig.toml exists in the folder."""
    _all_sources(tmp_path)
    other = write(tmp_path, "conf/other.toml", 'script_location = "elsewhere"\n')
    config = Config.load("conf/other.toml", cwd=tmp_path, environ=NO_ENV)
    assert config.path == other
    assert config.here == other.parent
    assert config.script_location == other.parent / "elsewhere"


def test_asyncmig_config_variable_names_the_file(tmp_path: Path) -> None:
    """ASYNCMIG_CONFIG picks the file when no path is given."""
    _all_sources(tmp_path)
    write(tmp_path, "custom.ini", "[asyncmig]\nscript_location = custom\n")
    config = Config.load(cwd=tmp_path, environ={"ASYNCMIG_CONFIG": "custom.ini"})
    assert config.script_location == tmp_path / "custom"


def test_explicit_path_beats_variable(tmp_path: Path) -> None:
    """The path argument (--config) wins over ASYNCMIG_CONFIG."""
    write(tmp_path, "a.toml", 'script_location = "a"\n')
    write(tmp_path, "b.toml", 'script_location = "b"\n')
    config = Config.load("a.toml", cwd=tmp_path, environ={"ASYNCMIG_CONFIG": "b.toml"})
    assert config.script_location == tmp_path / "a"


def test_explicit_pyproject_reads_tool_table(tmp_path: Path) -> None:
    """An explicit pyproject.toml is read through its [tool.asyncmig] table."""
    write(tmp_path, "pyproject.toml", '[tool.asyncmig]\nscript_location = "m"\n')
    config = Config.load(tmp_path / "pyproject.toml", environ=NO_ENV)
    assert config.script_location == tmp_path / "m"


def test_explicit_alembic_ini_section_name(tmp_path: Path) -> None:
    """`section` picks another ini section, like Alembic's --name."""
    write(tmp_path, "alembic.ini", "[alembic]\nscript_location = a\n[other]\nscript_location = b\n")
    config = Config.load(cwd=tmp_path, environ=NO_ENV, section="other")
    assert config.script_location == tmp_path / "b"
    assert config.get_section_option("alembic", "script_location") == "a"


def test_nothing_found_lists_places_and_suggests_init(tmp_path: Path) -> None:
    """No configuration: the error names every file looked for and suggests init."""
    with pytest.raises(ConfigError) as caught:
        Config.load(cwd=tmp_path, environ=NO_ENV)
    message = str(caught.value)
    for name in ("asyncmig.toml", "pyproject.toml", "asyncmig.ini", "alembic.ini"):
        assert str(tmp_path / name) in message
    assert "asyncmig init" in message


def test_missing_explicit_file_is_named(tmp_path: Path) -> None:
    """A --config path that does not exist is a ConfigError naming it."""
    with pytest.raises(ConfigError, match=r"nope\.toml"):
        Config.load("nope.toml", cwd=tmp_path, environ=NO_ENV)


def test_missing_variable_file_is_named(tmp_path: Path) -> None:
    """An ASYNCMIG_CONFIG naming a missing file says it came from the variable."""
    with pytest.raises(ConfigError, match=r"ASYNCMIG_CONFIG.*gone\.ini"):
        Config.load(cwd=tmp_path, environ={"ASYNCMIG_CONFIG": "gone.ini"})


def test_ini_without_section_is_an_error(tmp_path: Path) -> None:
    """asyncmig.ini without [asyncmig] is an error naming the file and the section."""
    path = write(tmp_path, "asyncmig.ini", "[other]\nscript_location = x\n")
    with pytest.raises(ConfigError) as caught:
        Config.load(cwd=tmp_path, environ=NO_ENV)
    assert str(path) in str(caught.value)
    assert "[asyncmig]" in str(caught.value)


def test_explicit_pyproject_without_table_is_an_error(tmp_path: Path) -> None:
    """An explicit pyproject.toml without [tool.asyncmig] names the missing table."""
    path = write(tmp_path, "pyproject.toml", '[project]\nname = "x"\n')
    with pytest.raises(ConfigError, match=r"\[tool\.asyncmig\]") as caught:
        Config.load(path, environ=NO_ENV)
    assert str(path) in str(caught.value)


def test_broken_toml_names_file_and_line(tmp_path: Path) -> None:
    """Invalid TOML is a ConfigError with the file and the parser's line."""
    path = write(tmp_path, "asyncmig.toml", 'script_location = "m"\nurl = = 3\n')
    with pytest.raises(ConfigError) as caught:
        Config.load(cwd=tmp_path, environ=NO_ENV)
    assert str(path) in str(caught.value)
    assert "line 2" in str(caught.value)


def test_broken_pyproject_names_file_and_line(tmp_path: Path) -> None:
    """A pyproject.toml that does not parse is reported, not skipped."""
    path = write(tmp_path, "pyproject.toml", "[tool.asyncmig\n")
    with pytest.raises(ConfigError) as caught:
        Config.load(cwd=tmp_path, environ=NO_ENV)
    assert str(path) in str(caught.value)
    assert "line 1" in str(caught.value)


def test_broken_ini_names_file_and_line(tmp_path: Path) -> None:
    """An ini line that is not key = value is reported with its line number."""
    path = write(tmp_path, "asyncmig.ini", "[asyncmig]\nscript_location = m\nnot a pair\n")
    with pytest.raises(ConfigError) as caught:
        Config.load(cwd=tmp_path, environ=NO_ENV)
    assert str(path) in str(caught.value)
    assert "line 3" in str(caught.value)


def test_ini_without_any_header_names_line(tmp_path: Path) -> None:
    """An ini file with no section header is reported with line 1."""
    write(tmp_path, "asyncmig.ini", "script_location = m\n")
    with pytest.raises(ConfigError, match="line 1"):
        Config.load(cwd=tmp_path, environ=NO_ENV)


def test_from_mapping_uses_here(tmp_path: Path) -> None:
    """Config.from_mapping resolves paths and %(here)s against `here`; path is None."""
    config = Config.from_mapping(
        {"script_location": "m", "url": "sqlite:///%(here)s/x.db"}, here=tmp_path, environ=NO_ENV
    )
    assert config.path is None
    assert config.script_location == tmp_path / "m"
    assert config.databases["main"].url == f"sqlite+aiosqlite:///{tmp_path.as_posix()}/x.db"


def test_loading_does_not_import_sqlalchemy(tmp_path: Path) -> None:
    """Loading a configuration never imports SQLAlchemy (commands like heads stay fast)."""
    write(tmp_path, "asyncmig.toml", 'script_location = "m"\nurl = "postgresql://u:p@h/d"\n')
    code = (
        "import sys; from asyncmig._config import Config; "
        f"Config.load(cwd={str(tmp_path)!r}, environ={{}}); print('sqlalchemy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
