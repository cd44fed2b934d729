"""The pytest plugin in an inner pytest session: fixtures, history checks, pytest-xdist."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from asyncmig import Config
from asyncmig.testing import Templates
from asyncmig.testing._servers import server_for
from asyncmig.testing._templates import CLONE_PREFIX
from tests import _servers

from ._project import Step, linear, write_project

pytest_plugins = ["pytester"]

INNER_TESTS = """
import asyncio

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

import asyncmig
from asyncmig.testing import *  # noqa: F403
from asyncmig.testing import with_url


async def _query(url, *statements):
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            result = None
            for statement in statements:
                result = await conn.execute(sa.text(statement))
            return result.all()
    finally:
        await engine.dispose()


def test_head(asyncmig_database):
    assert asyncio.run(_query(asyncmig_database, "SELECT label FROM account")) == [("seed",)]


def test_each_test_gets_its_own(asyncmig_database):
    rows = asyncio.run(
        _query(asyncmig_database, "INSERT INTO item (id) VALUES (5)", "SELECT id FROM item")
    )
    assert rows == [(5,)]


def test_engine(asyncmig_engine):
    async def count():
        async with asyncmig_engine.connect() as conn:
            return (await conn.execute(sa.text("SELECT COUNT(*) FROM item"))).scalar()

    assert asyncio.run(count()) == 0


def test_data_migration(asyncmig_database_at, asyncmig_config):
    url = asyncmig_database_at("{before}")
    assert asyncio.run(_query(url, "SELECT COUNT(*) FROM account")) == [(0,)]
    asyncio.run(asyncmig.upgrade(with_url(asyncmig_config, "main", url), "+1"))
    assert asyncio.run(_query(url, "SELECT label FROM account")) == [("seed",)]
"""


@pytest.fixture
def drop_templates() -> Iterator[list[Path]]:
    """After the test, drop the templates the inner sessions of the listed projects left.

    Request it before ``pytester``: pytester forgets the modules a test imported, and a
    driver imported again in one process crashes it, so no database work may happen
    while pytester's snapshot is active.
    """
    projects: list[Path] = []
    yield projects
    for root in projects:
        config = Config.load(root / "asyncmig.toml")

        async def drop(config: Config = config, root: Path = root) -> None:
            templates = Templates(config, "main", folder=root / "templates")
            history = (await templates.name("head"))[: len("asyncmig_tpl_") + 7]
            for _, name in await templates.server.templates(history):
                await templates.server.drop(name)
            await templates.close()

        _servers._run(drop)


RECORDING_TESTS = """
from sqlalchemy.engine import make_url


def _record(url):
    with open("clones.txt", "a") as out:
        out.write(make_url(url).database + "\\n")


def test_one(asyncmig_database):
    _record(asyncmig_database)


def test_two(asyncmig_database):
    _record(asyncmig_database)


def test_three(asyncmig_database):
    _record(asyncmig_database)
"""


@pytest.fixture
def clones_left() -> Iterator[list[tuple[str, Path]]]:
    """After the test, fail unless the clones named in each (server URL, file) go within 60 s.

    The check runs after pytester's teardown, as in ``drop_templates``.
    """
    given: list[tuple[str, Path]] = []
    yield given
    for url, names in given:
        recorded = names.read_text().split()
        prefix = recorded[0][: len(CLONE_PREFIX) + 9]  # the session's part of the names

        async def left(url: str = url, prefix: str = prefix) -> list[str]:
            server = server_for(url, Path())
            try:
                with anyio.move_on_after(60):
                    while await server.names(prefix):  # noqa: ASYNC110  # the helper's drops
                        await anyio.sleep(0.1)
                return await server.names(prefix)
            finally:
                await server.close()

        assert len(set(recorded)) == 3
        assert _servers._run(left) == []


def _project(pytester: pytest.Pytester, url: str, tag: str, counter: Path) -> None:
    steps = list(linear(tag))
    first = steps[0]
    steps[0] = Step(
        first.rev,
        None,
        f"with open({str(counter)!r}, 'a') as counter:\n    counter.write('built\\n')\n"
        f"{first.upgrade}",
        first.downgrade,
    )
    write_project(pytester.path, url, steps)
    pytester.makeini("[pytest]\nasyncmig_template_dir = templates\n")
    pytester.makepyfile(test_inner=INNER_TESTS.replace("{before}", f"c3{tag}"))


@pytest.mark.slow
def test_fixtures_and_checks_in_one_session(
    any_database_url: str, drop_templates: list[Path], pytester: pytest.Pytester, tag: str
) -> None:
    """Without any conftest, the fixtures work and the star-imported checks are collected."""
    counter = pytester.path / "builds.txt"
    _project(pytester, any_database_url, tag, counter)
    drop_templates.append(pytester.path)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=11, skipped=1)


@pytest.mark.slow
def test_two_xdist_workers_share_templates(
    any_database_url: str, drop_templates: list[Path], pytester: pytest.Pytester, tag: str
) -> None:
    """With -n 2 both workers clone from one template, built once under the server's lock."""
    counter = pytester.path / "builds.txt"
    _project(pytester, any_database_url, tag, counter)
    drop_templates.append(pytester.path)
    only_fixtures = "test_head or test_each or test_engine or test_data"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "-k", only_fixtures)
    result.assert_outcomes(passed=4)
    # One build for head and one for c3, however many workers and tests cloned them.
    assert counter.read_text() == "built\n" * 2


@pytest.mark.slow
@pytest.mark.parametrize(
    "any_database_url",
    [
        pytest.param("postgresql", marks=pytest.mark.postgresql),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ],
    indirect=True,
)
def test_clones_are_dropped_after_the_session(
    any_database_url: str,
    drop_templates: list[Path],
    clones_left: list[tuple[str, Path]],
    pytester: pytest.Pytester,
    tag: str,
) -> None:
    """Every clone a session made (taken or made ahead) is dropped once it has ended."""
    write_project(pytester.path, any_database_url, linear(tag))
    pytester.makeini("[pytest]\nasyncmig_template_dir = templates\n")
    pytester.makepyfile(test_inner=RECORDING_TESTS)
    drop_templates.append(pytester.path)
    clones_left.append((any_database_url, pytester.path / "clones.txt"))
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=3)


@pytest.mark.slow
@pytest.mark.parametrize("any_database_url", ["sqlite"], indirect=True)
def test_a_failing_check_fails_its_test(
    any_database_url: str, pytester: pytest.Pytester, tag: str
) -> None:
    """Two heads fail test_single_head with the check's message, and nothing else."""
    steps = (*linear(tag), Step(f"x8{tag}", f"b2{tag}", "pass", "pass"))
    write_project(pytester.path, any_database_url, steps)
    pytester.makepyfile(test_history="from asyncmig.testing import *  # noqa: F403\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-k", "single_head")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*single_head ?main?: several heads in one history*x8{tag}*"])


@pytest.mark.slow
@pytest.mark.parametrize("any_database_url", ["sqlite"], indirect=True)
def test_config_option_names_the_project(
    any_database_url: str, pytester: pytest.Pytester, tag: str
) -> None:
    """--asyncmig-config finds a project outside the rootdir; a wrong path is a one-line error."""
    write_project(pytester.path / "db", any_database_url, linear(tag))
    pytester.makepyfile(
        test_one="def test_head(asyncmig_database):\n    assert asyncmig_database\n"
    )
    good = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--asyncmig-config=db/asyncmig.toml"
    )
    good.assert_outcomes(passed=1)
    bad = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--asyncmig-config=nope.toml")
    assert bad.ret != 0
    bad.stdout.fnmatch_lines(["*asyncmig: error: *nope.toml*"])
    assert "Traceback" not in bad.stdout.str()
    assert "_plugin.py" not in bad.stdout.str()


@pytest.mark.slow
@pytest.mark.parametrize("any_database_url", ["sqlite"], indirect=True)
def test_each_configured_database_and_the_ini_options(
    any_database_url: str, pytester: pytest.Pytester, tag: str
) -> None:
    """Tests run once per configured database; asyncmig_skip lets a known leak pass the stairway."""
    steps = list(linear(tag))
    d4 = steps[3]
    steps[3] = Step(
        d4.rev, d4.down, d4.upgrade, 'op.create_table("junk", sa.Column("id", sa.Integer))'
    )
    config = write_project(pytester.path, any_database_url, steps)
    folder = Path(any_database_url.split("///", 1)[1]).parent
    config.write_text(
        'script_location = "%(here)s/migrations"\n'
        f'[databases.app]\nurl = "sqlite+aiosqlite:///{folder}/app.db"\n'
        f'[databases.audit]\nurl = "sqlite+aiosqlite:///{folder}/audit.db"\n'
    )
    pytester.makeini(f"[pytest]\nasyncmig_skip =\n    d4{tag}: leaves junk, fixed in e5\n")
    pytester.makepyfile(
        test_history="from asyncmig.testing import test_stairway  # noqa: F401\n"
        "def test_head(asyncmig_database, asyncmig_db_name):\n"
        "    assert asyncmig_db_name in {'app', 'audit'}\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*test_stairway?app? PASSED*", "*test_stairway?audit? PASSED*"])


def _readme_example() -> str:
    """The first Python block of the README's section on pytest."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("## Testing with pytest", 1)[1].split("\n## ", 1)[0]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


@pytest.mark.slow
@pytest.mark.parametrize("any_database_url", ["sqlite"], indirect=True)
def test_readme_example_runs_as_written(
    any_database_url: str, pytester: pytest.Pytester, tag: str
) -> None:
    """The README's example, at most five lines, runs as it is: its test and the checks pass."""
    example = _readme_example()
    assert len(example.splitlines()) <= 5
    write_project(pytester.path, any_database_url, linear(tag))
    pytester.makepyfile(test_readme=example)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=8, skipped=1)  # models_match: the project has no models
    result.stdout.fnmatch_lines(["*test_stairway?main? PASSED*", "*test_signup?main? PASSED*"])
