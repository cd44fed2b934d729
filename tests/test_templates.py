"""`init` and `list-templates`: the shipped templates and the files they create."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from mako.template import Template  # type: ignore[import-untyped]  # mako ships no stubs

from asyncmig._config import Config
from asyncmig._project_templates import init, list_templates, templates_root
from asyncmig.errors import CommandError

NO_ENV: dict[str, str] = {}
RENDER_ARGS: dict[str, object] = {
    "up_revision": "1975ea83b712",
    "down_revision": ("aaa111", "bbb222"),
    "branch_labels": None,
    "depends_on": None,
    "message": "add account table",
    "create_date": "2026-11-21 10:00:00",
    "upgrades": None,
    "downgrades": None,
    "imports": "",
}


def test_templates_root_holds_every_template() -> None:
    """templates_root() finds the shipped templates in this checkout."""
    root = templates_root()
    for name in ("generic", "pyproject", "multidb"):
        assert (root / name / "script.py.mako").is_file()
        assert (root / name / "env.py").is_file()


def test_list_templates_names_and_descriptions() -> None:
    """Each template is listed with its README's first line as a one-line description."""
    listed = dict(list_templates())
    assert set(listed) == {"generic", "pyproject", "multidb"}
    for name, description in listed.items():
        assert description, name
        assert "\n" not in description
        first = (templates_root() / name / "README").read_text().splitlines()[0]
        assert description == first.strip()


def test_init_generic(tmp_path: Path) -> None:
    """generic: script directory with versions/, asyncmig.toml in cwd, loadable config."""
    created = init("migrations", cwd=tmp_path)
    folder = tmp_path / "migrations"
    for path in (
        folder,
        folder / "versions",
        folder / "env.py",
        folder / "script.py.mako",
        folder / "README",
        tmp_path / "asyncmig.toml",
    ):
        assert path in created, path
        assert path.exists()
    assert not (folder / "asyncmig.toml").exists()
    text = (tmp_path / "asyncmig.toml").read_text()
    assert 'script_location = "%(here)s/migrations"' in text
    config = Config.load(cwd=tmp_path, environ=NO_ENV)
    assert config.script_location == folder
    assert config.version_locations == (folder / "versions",)
    assert config.database("main").url == f"sqlite+aiosqlite:///{tmp_path.as_posix()}/main.db"


def test_init_nested_directory_and_package(tmp_path: Path) -> None:
    """A nested directory is written relative to the config; --package adds __init__.py."""
    created = init("db/migrations", "generic", cwd=tmp_path, package=True)
    folder = tmp_path / "db" / "migrations"
    assert folder / "__init__.py" in created
    assert (folder / "versions" / "__init__.py").is_file()
    assert Config.load(cwd=tmp_path, environ=NO_ENV).script_location == folder


def test_init_into_existing_empty_directory(tmp_path: Path) -> None:
    """An existing but empty directory is accepted."""
    (tmp_path / "migrations").mkdir()
    created = init("migrations", cwd=tmp_path)
    assert tmp_path / "migrations" not in created
    assert (tmp_path / "migrations" / "versions").is_dir()


def test_init_multidb(tmp_path: Path) -> None:
    """multidb: two SQLite databases, main and analytics, beside the config."""
    init("migrations", "multidb", cwd=tmp_path)
    config = Config.load(cwd=tmp_path, environ=NO_ENV)
    assert list(config.databases) == ["main", "analytics"]
    here = tmp_path.as_posix()
    assert config.database("main").url == f"sqlite+aiosqlite:///{here}/main.db"
    assert config.database("analytics").url == f"sqlite+aiosqlite:///{here}/analytics.db"


def test_init_pyproject_creates_pyproject(tmp_path: Path) -> None:
    """pyproject: without a pyproject.toml, one holding [tool.asyncmig] is created."""
    created = init("migrations", "pyproject", cwd=tmp_path)
    assert tmp_path / "pyproject.toml" in created
    assert not (tmp_path / "asyncmig.toml").exists()
    config = Config.load(cwd=tmp_path, environ=NO_ENV)
    assert config.path == tmp_path / "pyproject.toml"
    assert config.script_location == tmp_path / "migrations"


@pytest.mark.parametrize("trailing_newline", [True, False])
def test_init_pyproject_appends_and_preserves(tmp_path: Path, trailing_newline: bool) -> None:
    """pyproject: an existing pyproject.toml is kept byte for byte, the table appended."""
    original = (
        '[project]\nname = "app"  # keep this comment\nversion = "1"\n\n'
        "[tool.ruff]\nline-length = 100"
    ) + ("\n" if trailing_newline else "")
    (tmp_path / "pyproject.toml").write_bytes(original.encode())
    init("migrations", "pyproject", cwd=tmp_path)
    after = (tmp_path / "pyproject.toml").read_bytes().decode()
    assert after.startswith(original)
    appended = after[len(original) :]
    assert "[tool.asyncmig]" in appended
    data = tomllib.loads(after)
    assert data["project"]["name"] == "app"
    assert data["tool"]["ruff"]["line-length"] == 100
    assert Config.load(cwd=tmp_path, environ=NO_ENV).script_location == tmp_path / "migrations"


def test_init_pyproject_refuses_existing_table(tmp_path: Path) -> None:
    """pyproject: an existing [tool.asyncmig] is not touched."""
    original = '[tool.asyncmig]\nscript_location = "old"\n'
    (tmp_path / "pyproject.toml").write_text(original)
    with pytest.raises(CommandError, match=r"\[tool\.asyncmig\]"):
        init("migrations", "pyproject", cwd=tmp_path)
    assert (tmp_path / "pyproject.toml").read_text() == original
    assert not (tmp_path / "migrations").exists()


def test_init_pyproject_refuses_when_append_would_break(tmp_path: Path) -> None:
    """pyproject: a file whose `tool` is an inline table cannot take [tool.asyncmig]."""
    original = "tool = { other = { a = 1 } }\n"
    (tmp_path / "pyproject.toml").write_text(original)
    with pytest.raises(CommandError, match="by hand"):
        init("migrations", "pyproject", cwd=tmp_path)
    assert (tmp_path / "pyproject.toml").read_text() == original


def test_init_pyproject_refuses_broken_pyproject(tmp_path: Path) -> None:
    """pyproject: a pyproject.toml that does not parse is reported, not extended."""
    (tmp_path / "pyproject.toml").write_text("[project\n")
    with pytest.raises(CommandError, match="not valid TOML"):
        init("migrations", "pyproject", cwd=tmp_path)


def test_init_pyproject_refuses_when_asyncmig_toml_exists(tmp_path: Path) -> None:
    """pyproject: an asyncmig.toml would shadow the new table, so init refuses."""
    (tmp_path / "asyncmig.toml").write_text('script_location = "x"\n')
    with pytest.raises(CommandError, match=r"asyncmig\.toml"):
        init("migrations", "pyproject", cwd=tmp_path)


def test_init_refuses_non_empty_directory(tmp_path: Path) -> None:
    """A directory with files in it is refused and left alone."""
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "keep.txt").write_text("x")
    with pytest.raises(CommandError, match="not empty"):
        init("migrations", cwd=tmp_path)
    assert not (tmp_path / "asyncmig.toml").exists()


def test_init_refuses_a_file_as_directory(tmp_path: Path) -> None:
    """A path that is a file cannot become the script directory."""
    (tmp_path / "migrations").write_text("x")
    with pytest.raises(CommandError, match="not a folder"):
        init("migrations", cwd=tmp_path)


def test_init_refuses_existing_config(tmp_path: Path) -> None:
    """An existing asyncmig.toml is not overwritten, and nothing is created."""
    (tmp_path / "asyncmig.toml").write_text("# mine\n")
    with pytest.raises(CommandError, match="already exists"):
        init("migrations", cwd=tmp_path)
    assert (tmp_path / "asyncmig.toml").read_text() == "# mine\n"
    assert not (tmp_path / "migrations").exists()


def test_init_refuses_unknown_template(tmp_path: Path) -> None:
    """An unknown template name lists the known ones."""
    with pytest.raises(CommandError, match="generic, multidb, pyproject"):
        init("migrations", "nope", cwd=tmp_path)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("template", ["generic", "pyproject"])
def test_script_template_renders_valid_module(template: str) -> None:
    """script.py.mako renders a module with Alembic's header and asyncmig's op."""
    text = Template(filename=str(templates_root() / template / "script.py.mako")).render(
        **RENDER_ARGS
    )
    namespace: dict[str, object] = {}
    exec(compile(text, "script.py", "exec"), namespace)
    assert namespace["revision"] == "1975ea83b712"
    assert namespace["down_revision"] == ("aaa111", "bbb222")
    assert "Revision ID: 1975ea83b712\n" in text
    assert "Revises: aaa111, bbb222\n" in text
    assert "Create Date: 2026-11-21 10:00:00\n" in text
    assert "from asyncmig import op\n" in text
    assert "import sqlalchemy as sa\n" in text
    assert callable(namespace["upgrade"])
    assert callable(namespace["downgrade"])


def test_script_template_renders_autogenerate_code() -> None:
    """upgrades/downgrades text lands in the function bodies; None renders `pass`."""
    args = {**RENDER_ARGS, "down_revision": None, "upgrades": 'op.drop_table("x")'}
    text = Template(filename=str(templates_root() / "generic" / "script.py.mako")).render(**args)
    assert "Revises: \n" in text
    assert "down_revision = None\n" in text
    assert '    op.drop_table("x")\n' in text
    assert "def downgrade() -> None:\n    pass\n" in text


def test_multidb_script_template_has_function_per_database() -> None:
    """The multidb template renders upgrade_<name>()/downgrade_<name>() for each database."""
    args = {**RENDER_ARGS, "databases": ["main", "analytics"], "main_upgrades": "op.f()"}
    text = Template(filename=str(templates_root() / "multidb" / "script.py.mako")).render(**args)
    compile(text, "script.py", "exec")
    for name in ("main", "analytics"):
        assert f"def upgrade_{name}() -> None:" in text
        assert f"def downgrade_{name}() -> None:" in text
    assert "def upgrade_main() -> None:\n    op.f()\n" in text
    assert "def upgrade() -> None:" not in text


def test_env_py_templates_are_importable(tmp_path: Path) -> None:
    """Each env.py runs without error and defines target_metadata."""
    for name in ("generic", "pyproject", "multidb"):
        namespace: dict[str, object] = {}
        source = (templates_root() / name / "env.py").read_text()
        exec(compile(source, "env.py", "exec"), namespace)
        assert "target_metadata" in namespace
