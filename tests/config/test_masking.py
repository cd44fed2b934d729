"""Passwords never appear in repr(), str() or ConfigError messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncmig._config import Config
from asyncmig.errors import ConfigError
from tests.config._files import write

SECRET = "hunter2xyz"
NO_ENV: dict[str, str] = {}


def _multi(tmp_path: Path) -> Config:
    write(
        tmp_path,
        "asyncmig.toml",
        f"""
script_location = "m"
db_password = "{SECRET}"

[databases.main]
url = "postgresql://app:{SECRET}@h/main"

[databases.other]
url = "mysql://app:{SECRET}@h/other?password={SECRET}"
""",
    )
    return Config.load(cwd=tmp_path, environ=NO_ENV, x_arguments=[f"password={SECRET}"])


def test_config_repr_and_str_mask_passwords(tmp_path: Path) -> None:
    """repr() and str() of Config and DatabaseConfig show *** instead of the password."""
    config = _multi(tmp_path)
    assert config.database("main").url == f"postgresql+asyncpg://app:{SECRET}@h/main"
    for text in (repr(config), str(config), repr(config.database("other"))):
        assert SECRET not in text
        assert "***" in text
    assert str(config.database("main")) == repr(config.database("main"))
    assert config.database("main").masked_url == "postgresql+asyncpg://app:***@h/main"


def test_env_supplied_password_is_masked(tmp_path: Path) -> None:
    """A password that came from ${VAR} is masked like one written in the file."""
    write(tmp_path, "asyncmig.toml", 'script_location = "m"\nurl = "postgresql://u:${PW}@h/db"\n')
    config = Config.load(cwd=tmp_path, environ={"PW": SECRET})
    assert SECRET in (config.database("main").url or "")
    assert SECRET not in repr(config)


def _error(tmp_path: Path, name: str, text: str, **kwargs: object) -> str:
    write(tmp_path, name, text)
    with pytest.raises(ConfigError) as caught:
        Config.load(cwd=tmp_path, environ=NO_ENV, **kwargs)  # type: ignore[arg-type]
    return str(caught.value)


@pytest.mark.parametrize(
    ("name", "text", "kwargs"),
    [
        # conflicting databases
        (
            "asyncmig.toml",
            f'script_location = "m"\n[databases.a]\nurl = "postgresql://u:{SECRET}@h/d"\n'
            f'[databases.b]\nurl = "postgresql://u:{SECRET}@h/d"\n',
            {},
        ),
        # override with several databases
        (
            "asyncmig.toml",
            '[databases.a]\nurl = "sqlite://"\n[databases.b]\nurl = "sqlite:///b"\n'
            'script_location = "m"\n',
            {"url": f"postgresql://u:{SECRET}@h/d"},
        ),
        # an ini file that repeats the URL key
        (
            "asyncmig.ini",
            f"[asyncmig]\nscript_location = m\nurl = postgresql://u:{SECRET}@h/d\n"
            f"url = postgresql://u:{SECRET}@h/e\n",
            {},
        ),
        # an ini URL with a bare % (needs %%)
        (
            "asyncmig.ini",
            f"[asyncmig]\nscript_location = m\nurl = postgresql://u:{SECRET}%@h\n",
            {},
        ),
        # a broken TOML line holding the URL
        ("asyncmig.toml", f'script_location = "m"\nurl = postgresql://u:{SECRET}@h/d\n', {}),
        # the URL key with a wrong type near it
        ("asyncmig.toml", f'script_location = "m"\nurl = ["postgresql://u:{SECRET}@h/d"]\n', {}),
        # a bad -x argument
        (
            "asyncmig.toml",
            'script_location = "m"\n',
            {"x_arguments": [f"=postgresql://u:{SECRET}@h"]},
        ),
        # a wrong boolean whose text is a URL
        ("asyncmig.toml", f'script_location = "m"\nlock = "postgresql://u:{SECRET}@h/d"\n', {}),
    ],
)
def test_errors_never_show_passwords(
    tmp_path: Path, name: str, text: str, kwargs: dict[str, object]
) -> None:
    """Every ConfigError built around a URL shows it masked, if at all."""
    message = _error(tmp_path, name, text, **kwargs)
    assert SECRET not in message
