"""Development sessions: tests (the default), server test runs, lint, typecheck, bench."""

from __future__ import annotations

import os

import nox

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["tests"]

PYPROJECT = nox.project.load_toml("pyproject.toml")
SERVER_DEFAULTS = {
    "ASYNCMIG_TEST_POSTGRESQL_URL": "postgresql+asyncpg://postgres@127.0.0.1:5432/test",
    "ASYNCMIG_TEST_MARIADB_URL": "mysql+aiomysql://root@127.0.0.1:3306/test",
}


def _install(session: nox.Session, *groups: str) -> None:
    deps = [dep for group in groups for dep in nox.project.dependency_groups(PYPROJECT, group)]
    session.install("-e", ".", *deps)


def _run_tests(session: nox.Session, *args: str, env: dict[str, str] | None = None) -> None:
    """Install the package and the tests group, then run pytest with `args` and posargs.

    tests/compat needs Alembic (the compat group) and runs in its own session, `compat`.
    """
    _install(session, "tests")
    session.run("pytest", "--ignore=tests/compat", *args, *session.posargs, env=env or {})


@nox.session
def tests(session: nox.Session) -> None:
    """Every test; server tests run where ASYNCMIG_TEST_*_URL is set, else skip with the reason."""
    _run_tests(session)


@nox.session
def tests_postgres(session: nox.Session) -> None:
    """The PostgreSQL tests against the local server (or ASYNCMIG_TEST_POSTGRESQL_URL)."""
    name = "ASYNCMIG_TEST_POSTGRESQL_URL"
    url = os.environ.get(name, SERVER_DEFAULTS[name])
    _run_tests(session, "-m", "postgresql", env={name: url, "ASYNCMIG_TEST_REQUIRE_SERVERS": "1"})


@nox.session
def tests_mariadb(session: nox.Session) -> None:
    """The MariaDB tests against the local server (or ASYNCMIG_TEST_MARIADB_URL)."""
    name = "ASYNCMIG_TEST_MARIADB_URL"
    url = os.environ.get(name, SERVER_DEFAULTS[name])
    _run_tests(session, "-m", "mariadb", env={name: url, "ASYNCMIG_TEST_REQUIRE_SERVERS": "1"})


@nox.session
def compat(session: nox.Session) -> None:
    """Differential tests against real Alembic on SQLite, PostgreSQL and MariaDB.

    The servers default to the local ones and must be reachable (nothing is skipped).
    `nox -s compat -- --long` runs thousands of generated histories instead of 200.
    """
    _install(session, "compat")  # includes the tests group
    env = {name: os.environ.get(name, default) for name, default in SERVER_DEFAULTS.items()}
    env["ASYNCMIG_TEST_REQUIRE_SERVERS"] = "1"
    args = list(session.posargs)
    if "--long" in args:
        args.remove("--long")
        env["ASYNCMIG_COMPAT_LONG"] = "1"
    session.run("pytest", "tests/compat", "-n", "2", *args, env=env)


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff: lint rules and formatting."""
    _install(session, "lint")
    session.run("ruff", "check", "src", "tests", "benchmarks", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "benchmarks", "noxfile.py")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Mypy, strict, on the package, then on example uses of its API (tests/typing)."""
    _install(session, "typing")
    session.run("mypy")
    # Not a pytest test: mypy is in the typing group, not the tests group.
    session.run("mypy", "tests/typing")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks beside Alembic; pass e.g. `-- --quick` for a smaller run."""
    _install(session, "bench")
    session.run("python", "benchmarks/run.py", *session.posargs)
