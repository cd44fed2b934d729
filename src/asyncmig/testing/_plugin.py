"""The pytest plugin (entry point ``pytest11``): migrated test databases and history checks.

Settings (ini options, or the command-line options that override them):

- ``asyncmig_config`` / ``--asyncmig-config``: the asyncmig configuration file
  (default: asyncmig's usual lookup from the rootdir);
- ``asyncmig_url`` / ``--asyncmig-url``: the server where templates and clones
  are made, as the URL of a database on it (``name=URL`` lines per database);
  default: each configured database's own URL;
- ``asyncmig_databases``: which configured databases (default: all);
- ``asyncmig_keep_templates``: how many templates of one history to keep (5);
- ``asyncmig_clones_ahead``: how many clones of a revision to make ahead of the
  tests that ask for it (default: 1 on a server, 0 on SQLite);
- ``asyncmig_template_dir``: where SQLite templates are kept;
- ``asyncmig_stairway_start``, ``asyncmig_skip`` (``rev: reason`` lines): options of
  the history checks.

Nothing happens unless a test asks for one of the fixtures.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from .._config import Config
from ..errors import AsyncmigError
from ._loop import LoopThread
from ._templates import Clone, Templates

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from ._checks import CheckOptions

__all__ = ()

_STATE = pytest.StashKey["_State"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("asyncmig", "asyncmig migrated test databases")
    group.addoption("--asyncmig-config", help="the asyncmig configuration file")
    group.addoption("--asyncmig-url", action="append", help="server for test databases")
    parser.addini("asyncmig_config", "the asyncmig configuration file", default="")
    parser.addini("asyncmig_url", "server(s) for test databases ([name=]URL)", type="linelist")
    parser.addini("asyncmig_databases", "configured databases to test", type="args")
    parser.addini("asyncmig_keep_templates", "templates kept per history", default="5")
    parser.addini("asyncmig_clones_ahead", "clones made ahead of the tests", default="")
    parser.addini("asyncmig_template_dir", "folder for SQLite templates", default="")
    parser.addini("asyncmig_stairway_start", "first revision of the stairway check", default="")
    parser.addini("asyncmig_skip", "revisions the stairway skips (rev: reason)", type="linelist")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_STATE] = _State(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is not None:
        state.close()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "asyncmig_db_name" in metafunc.fixturenames:
        names = metafunc.config.stash[_STATE].names()
        metafunc.parametrize("asyncmig_db_name", names, ids=names)


def _admin_urls(lines: list[str]) -> dict[str | None, str]:
    found: dict[str | None, str] = {}
    for line in lines:
        name, sep, url = line.partition("=")
        if sep and name.strip().isidentifier():
            found[name.strip()] = url.strip()
        else:
            found[None] = line.strip()
    return found


def _error(message: str) -> NoReturn:
    # A finding about the project's setup, not a bug of the plugin: one line, no traceback.
    pytest.fail(f"asyncmig: error: {message}", pytrace=False)


class _State:
    """Per pytest session: the configuration, the loop and one template cache per database."""

    def __init__(self, pytest_config: pytest.Config) -> None:
        self._pytest = pytest_config
        self._config: Config | None = None
        self._templates: dict[str, Templates] = {}
        self.loop = LoopThread()
        self._clone_folder: Path | None = None

    def option(self, name: str) -> Any:
        given = self._pytest.getoption(name, None)  # --asyncmig-x has dest asyncmig_x
        return given if given else self._pytest.getini(name)

    @property
    def config(self) -> Config:
        if self._config is None:
            path = self.option("asyncmig_config") or None
            root = self._pytest.rootpath
            try:
                self._config = Config.load(root / path if path else None, cwd=root)
            except AsyncmigError as exc:
                _error(str(exc))
        return self._config

    def names(self) -> list[str]:
        wanted = list(self._pytest.getini("asyncmig_databases"))
        names = list(self.config.databases)
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            _error(
                f"asyncmig_databases names {', '.join(unknown)}, "
                f"which the configuration does not have (it has {', '.join(names)})"
            )
        return wanted or names

    def check_options(self) -> CheckOptions:
        from ._checks import CheckOptions

        skip: dict[str, str] = {}
        for line in self._pytest.getini("asyncmig_skip"):
            rev, _, reason = line.partition(":")
            skip[rev.strip()] = reason.strip() or "skipped in asyncmig_skip"
        return CheckOptions(start=self.option("asyncmig_stairway_start") or None, skip=skip)

    def _folder(self) -> Path:
        given = self.option("asyncmig_template_dir")
        if given:
            return self._pytest.rootpath / str(given)
        cache = getattr(self._pytest, "cache", None)
        if cache is not None:
            return Path(str(cache.mkdir("asyncmig-templates")))
        # Shared by xdist workers and later runs of this user.
        return (
            Path(tempfile.gettempdir())
            / f"asyncmig-templates-{os.getuid() if hasattr(os, 'getuid') else 0}"
        )

    def templates(self, name: str, tmp_factory: pytest.TempPathFactory) -> Templates:
        if name not in self._templates:
            if self._clone_folder is None:
                self._clone_folder = tmp_factory.mktemp("asyncmig")
            urls = _admin_urls(list(self.option("asyncmig_url") or []))
            ahead = self._pytest.getini("asyncmig_clones_ahead")
            try:
                self._templates[name] = Templates(
                    self.config,
                    name,
                    admin_url=urls.get(name, urls.get(None)),
                    folder=self._folder(),
                    clone_folder=self._clone_folder,
                    keep=int(self._pytest.getini("asyncmig_keep_templates")),
                    ahead=int(ahead) if ahead else None,
                )
            except AsyncmigError as exc:
                _error(str(exc))
        return self._templates[name]

    def close(self) -> None:
        for templates in self._templates.values():
            self.loop.run(templates.close)
        self._templates.clear()
        self.loop.close()


def _state(request: pytest.FixtureRequest) -> _State:
    return request.config.stash[_STATE]


@pytest.fixture(scope="session")
def asyncmig_config(request: pytest.FixtureRequest) -> Config:
    """The project's asyncmig configuration (``asyncmig_config``, or the usual lookup)."""
    return _state(request).config


@pytest.fixture
def asyncmig_db_name(request: pytest.FixtureRequest) -> str:
    """The configured database under test (tests are parametrised over all of them)."""
    return str(getattr(request, "param", _state(request).names()[0]))


@pytest.fixture
def asyncmig_database_at(
    request: pytest.FixtureRequest,
    asyncmig_db_name: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str], str]]:
    """Call with a revision: the URL of a fresh database migrated to it (dropped after the test)."""
    state = _state(request)
    templates = state.templates(asyncmig_db_name, tmp_path_factory)
    made: list[Clone] = []

    def at(revision: str) -> str:
        clone = state.loop.run(lambda: templates.clone(revision))
        made.append(clone)
        return clone.url

    yield at

    async def drop() -> None:
        for clone in made:
            templates.drop_soon(clone)

    state.loop.run(drop)


@pytest.fixture
def asyncmig_database(asyncmig_database_at: Callable[[str], str]) -> str:
    """The URL of a fresh database at head, cloned from a template (dropped after the test)."""
    return asyncmig_database_at("head")


@pytest.fixture
def asyncmig_engine(asyncmig_database: str) -> Iterator[AsyncEngine]:
    """An ``AsyncEngine`` on a fresh database at head (no pool: usable on any event loop)."""
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    engine = create_async_engine(asyncmig_database, poolclass=NullPool)
    yield engine
    engine.sync_engine.dispose()


@pytest.fixture
def asyncmig_history(
    request: pytest.FixtureRequest,
    asyncmig_db_name: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str], None]:
    """Call with a check's name: runs it on this database, failing the test on a finding."""
    from ._checks import run_check

    state = _state(request)
    templates = state.templates(asyncmig_db_name, tmp_path_factory)
    options = state.check_options()

    def check(name: str) -> None:
        result = state.loop.run(lambda: run_check(name, templates, options))
        if result.skipped:
            pytest.skip(result.message)
        if not result.ok:
            pytest.fail(f"{result.name} [{result.database}]: {result.message}", pytrace=False)

    return check
