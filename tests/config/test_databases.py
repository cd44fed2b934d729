"""Databases: one `url`, several tables or sections, overrides and conflicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncmig._config import DEFAULT_DATABASE, Config
from asyncmig.errors import ConfigError
from tests.config._files import write

NO_ENV: dict[str, str] = {}

MULTI_TOML = """
script_location = "m"

[databases.main]
url = "postgresql://app:pw@h/main"

[databases.analytics]
url = "sqlite:///%(here)s/analytics.db"
script_location = "analytics_migrations"
schemas = ["tenant_a", "tenant_b"]
version_table = "an_version"
version_table_schema = "meta"
extra = "kept"

[databases.tenants]
url = "postgresql://app:pw@h/tenants"
schemas = "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant_%%'"
"""


def test_single_url_is_database_main(tmp_path: Path) -> None:
    """`url` makes one database named main, on its async driver."""
    write(tmp_path, "asyncmig.toml", 'script_location = "m"\nurl = "sqlite:///app.db"\n')
    config = Config.load(cwd=tmp_path, environ=NO_ENV)
    assert DEFAULT_DATABASE == "main"
    (database,) = config.select(None)
    assert database.name == "main"
    assert database.url == "sqlite+aiosqlite:///app.db"  # relative stays relative to cwd
    assert database.script_location is None


def test_sqlalchemy_url_key_is_accepted(tmp_path: Path) -> None:
    """Alembic's sqlalchemy.url key gives the main database's URL."""
    write(tmp_path, "alembic.ini", "[alembic]\nscript_location = m\nsqlalchemy.url = sqlite://\n")
    config = Config.load(cwd=tmp_path, environ=NO_ENV)
    assert config.database("main").url == "sqlite+aiosqlite://"


def test_top_level_schemas_apply_to_main(tmp_path: Path) -> None:
    """schemas beside a single url belong to the main database."""
    write(tmp_path, "asyncmig.toml", 'script_location = "m"\nurl = "sqlite://"\nschemas = ["a"]\n')
    assert Config.load(cwd=tmp_path, environ=NO_ENV).database("main").schemas == ("a",)


def test_several_databases_in_toml(tmp_path: Path) -> None:
    """[databases.<name>] tables give each database its url and optional keys."""
    write(tmp_path, "asyncmig.toml", MULTI_TOML)
    config = Config.load(cwd=tmp_path, environ=NO_ENV)
    assert list(config.databases) == ["main", "analytics", "tenants"]
    main, analytics, tenants = config.select([])
    assert main.url == "postgresql+asyncpg://app:pw@h/main"
    assert main.schemas is None
    assert main.version_table is None
    assert analytics.url == f"sqlite+aiosqlite:///{tmp_path.as_posix()}/analytics.db"
    assert analytics.script_location == tmp_path / "analytics_migrations"
    assert analytics.schemas == ("tenant_a", "tenant_b")
    assert analytics.version_table == "an_version"
    assert analytics.version_table_schema == "meta"
    assert analytics.options["extra"] == "kept"
    assert tenants.schemas is None
    assert tenants.schemas_query == (
        "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant_%'"
    )
    assert config.get_section_option("analytics", "extra") == "kept"


def test_several_databases_in_pyproject(tmp_path: Path) -> None:
    """[tool.asyncmig.databases.<name>] works the same in pyproject.toml."""
    write(
        tmp_path,
        "pyproject.toml",
        """
        [project]
        name = "x"

        [tool.asyncmig]
        script_location = "m"

        [tool.asyncmig.databases.one]
        url = "sqlite:///one.db"

        [tool.asyncmig.databases.two]
        url = "sqlite:///two.db"
        schemas_query = "SELECT 1"
        """,
    )
    config = Config.load(cwd=tmp_path, environ=NO_ENV)
    assert [d.name for d in config.select(["two", "one", "two"])] == ["two", "one"]
    assert config.database("two").schemas_query == "SELECT 1"


def test_alembic_multidb_ini(tmp_path: Path) -> None:
    """Alembic's multidb ini: databases = engine1, engine2 and [engine1] sections."""
    write(
        tmp_path,
        "alembic.ini",
        """
        [alembic]
        script_location = %(here)s/alembic
        databases = engine1, engine2

        [engine1]
        sqlalchemy.url = postgresql://scott:tiger@localhost/test1

        [engine2]
        sqlalchemy.url = sqlite:///%(here)s/two.db
        schemas = a, b
        schemas_query =
        """,
    )
    config = Config.load(cwd=tmp_path, environ=NO_ENV)
    assert list(config.databases) == ["engine1", "engine2"]
    assert config.database("engine1").url == "postgresql+asyncpg://scott:tiger@localhost/test1"
    assert config.database("engine2").url == f"sqlite+aiosqlite:///{tmp_path.as_posix()}/two.db"
    assert config.database("engine2").schemas == ("a", "b")
    assert config.database("engine2").schemas_query is None


def test_ini_schemas_query(tmp_path: Path) -> None:
    """In ini, schemas_query holds the SQL that lists tenant schemas."""
    write(
        tmp_path,
        "asyncmig.ini",
        "[asyncmig]\nscript_location = m\nurl = sqlite://\nschemas_query = SELECT name FROM t\n",
    )
    assert Config.load(cwd=tmp_path, environ=NO_ENV).database("main").schemas_query == (
        "SELECT name FROM t"
    )


def test_ini_database_without_section_is_an_error(tmp_path: Path) -> None:
    """A name in `databases` without its section names the file and the missing section."""
    path = write(
        tmp_path,
        "asyncmig.ini",
        "[asyncmig]\nscript_location = m\ndatabases = a, b\n[a]\nurl = sqlite://\n",
    )
    with pytest.raises(ConfigError) as caught:
        Config.load(cwd=tmp_path, environ=NO_ENV)
    assert str(path) in str(caught.value)
    assert "[b]" in str(caught.value)
    assert "'databases'" in str(caught.value)


def test_unknown_database_lists_configured_names(tmp_path: Path) -> None:
    """select() with an unknown name says which databases exist."""
    write(tmp_path, "asyncmig.toml", MULTI_TOML)
    config = Config.load(cwd=tmp_path, environ=NO_ENV)
    with pytest.raises(ConfigError, match=r"'nope'.*main, analytics, tenants"):
        config.select(["main", "nope"])
    with pytest.raises(ConfigError, match="main, analytics, tenants"):
        config.database("nope")


def test_url_with_databases_is_an_error(tmp_path: Path) -> None:
    """A top-level url beside [databases.*] is ambiguous and named."""
    write(tmp_path, "asyncmig.toml", 'url = "sqlite://"\n' + MULTI_TOML)
    with pytest.raises(ConfigError, match=r"'url'.*databases"):
        Config.load(cwd=tmp_path, environ=NO_ENV)


def test_database_name_must_be_identifier(tmp_path: Path) -> None:
    """A database name that cannot be part of upgrade_<name>() is rejected."""
    write(
        tmp_path, "asyncmig.toml", 'script_location = "m"\n[databases.my-db]\nurl = "sqlite://"\n'
    )
    with pytest.raises(ConfigError, match="my-db"):
        Config.load(cwd=tmp_path, environ=NO_ENV)


def test_same_url_and_version_table_conflict(tmp_path: Path) -> None:
    """Two databases on one URL and one version table are named in the error."""
    write(
        tmp_path,
        "asyncmig.toml",
        """
script_location = "m"
[databases.first]
url = "postgresql://u:topsecret@h/db"
[databases.second]
url = "postgresql+asyncpg://u:topsecret@h/db"
""",
    )
    with pytest.raises(ConfigError) as caught:
        Config.load(cwd=tmp_path, environ=NO_ENV)
    message = str(caught.value)
    assert "'first'" in message
    assert "'second'" in message
    assert "topsecret" not in message


def test_same_url_different_version_tables_is_fine(tmp_path: Path) -> None:
    """Two databases on one URL with their own version tables may coexist."""
    write(
        tmp_path,
        "asyncmig.toml",
        """
script_location = "m"
[databases.first]
url = "sqlite:///x.db"
[databases.second]
url = "sqlite:///x.db"
version_table = "second_version"
[databases.third]
url = "sqlite:///x.db"
version_table_schema = "other"
""",
    )
    assert len(Config.load(cwd=tmp_path, environ=NO_ENV).databases) == 3


def test_disjoint_tenant_schemas_do_not_conflict(tmp_path: Path) -> None:
    """Same URL with disjoint schema lists is fine; overlapping lists conflict."""
    body = """
script_location = "m"
[databases.first]
url = "postgresql://h/db"
schemas = ["a", "b"]
[databases.second]
url = "postgresql://h/db"
schemas = [{}]
"""
    write(tmp_path, "asyncmig.toml", body.format('"c"'))
    assert len(Config.load(cwd=tmp_path, environ=NO_ENV).databases) == 2
    write(tmp_path, "asyncmig.toml", body.format('"b"'))
    with pytest.raises(ConfigError, match="'first' and 'second'"):
        Config.load(cwd=tmp_path, environ=NO_ENV)


@pytest.mark.parametrize("origin", ["argument", "x", "env"])
def test_url_overrides_single_database(tmp_path: Path, origin: str) -> None:
    """--url, -x url= and ASYNCMIG_URL replace the single database's URL, upgraded."""
    write(tmp_path, "asyncmig.toml", 'script_location = "m"\nurl = "sqlite:///config.db"\n')
    kwargs: dict[str, object] = {"cwd": tmp_path, "environ": NO_ENV}
    if origin == "argument":
        kwargs["url"] = "postgresql://h/db"
    elif origin == "x":
        kwargs["x_arguments"] = ["url=postgresql://h/db"]
    else:
        kwargs["environ"] = {"ASYNCMIG_URL": "postgresql://h/db"}
    config = Config.load(**kwargs)  # type: ignore[arg-type]
    assert config.database("main").url == "postgresql+asyncpg://h/db"


def test_url_override_precedence(tmp_path: Path) -> None:
    """The url argument beats -x url, which beats ASYNCMIG_URL, which beats the file."""
    write(tmp_path, "asyncmig.toml", 'script_location = "m"\nurl = "sqlite:///file.db"\n')
    env = {"ASYNCMIG_URL": "sqlite:///env.db"}
    x = ["url=sqlite:///x.db"]
    load = Config.load
    assert load(cwd=tmp_path, environ=env).database("main").url.endswith("/env.db")  # type: ignore[union-attr]
    assert load(cwd=tmp_path, environ=env, x_arguments=x).database("main").url.endswith("/x.db")  # type: ignore[union-attr]
    config = load(cwd=tmp_path, environ=env, x_arguments=x, url="sqlite:///arg.db")
    assert config.database("main").url == "sqlite+aiosqlite:///arg.db"


def test_url_override_without_configured_url(tmp_path: Path) -> None:
    """An override supplies the URL when the file has none."""
    write(tmp_path, "asyncmig.toml", 'script_location = "m"\n')
    config = Config.load(cwd=tmp_path, environ=NO_ENV, url="sqlite://")
    assert config.database("main").url == "sqlite+aiosqlite://"


def test_url_override_with_several_databases_is_an_error(tmp_path: Path) -> None:
    """An override cannot pick among several databases; the error names them."""
    write(tmp_path, "asyncmig.toml", MULTI_TOML)
    with pytest.raises(ConfigError, match=r"--url.*main, analytics, tenants"):
        Config.load(cwd=tmp_path, environ=NO_ENV, url="sqlite://")
    with pytest.raises(ConfigError, match="ASYNCMIG_URL"):
        Config.load(cwd=tmp_path, environ={"ASYNCMIG_URL": "sqlite://"})


def test_multidb_override_allowed_with_one_database_table(tmp_path: Path) -> None:
    """A single [databases.<name>] table takes the override under its own name."""
    write(tmp_path, "asyncmig.toml", 'script_location = "m"\n[databases.only]\nurl = "sqlite://"\n')
    config = Config.load(cwd=tmp_path, environ=NO_ENV, url="postgresql://h/d")
    assert config.database("only").url == "postgresql+asyncpg://h/d"


def test_database_without_url(tmp_path: Path) -> None:
    """A database may have no URL (commands such as heads need none)."""
    write(tmp_path, "asyncmig.toml", 'script_location = "m"\n')
    database = Config.load(cwd=tmp_path, environ=NO_ENV).database("main")
    assert database.url is None
    assert database.masked_url == ""
