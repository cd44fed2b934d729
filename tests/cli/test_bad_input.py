"""The bad-input corpus: each row a project, a command line, an exit code and a phrase.

Every row runs the real CLI in a subprocess and also checks what must hold for
any bad input: no traceback, no password on stdout or stderr, one
``asyncmig: error:`` line (exit 1) or a usage message (exit 2), and the
database exactly as it was (tables, columns and version rows before and
after).  Rows run on SQLite; rows where the server matters run on PostgreSQL
and MariaDB as well.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests import _servers
from tests.cli._run import run_cli, script_text

SECRET = "S3cretPW"


def script(rev: str, down: str | None, upgrade: str = "", message: str | None = None) -> str:
    """One migration script's text."""
    body = (
        textwrap.dedent(upgrade).strip()
        or f'op.create_table("t_{rev}", sa.Column("id", sa.Integer, primary_key=True))'
    )
    return script_text(rev, down, body, message=message or "")


BASE = {
    "asyncmig.toml": 'script_location = "%(here)s/migrations"\nurl = "{url}"\n',
    "migrations/versions/aaa111_one.py": script("aaa111", None),
    "migrations/versions/bbb222_two.py": script("bbb222", "aaa111"),
}
FAILING = """
op.create_table("half", sa.Column("id", sa.Integer, primary_key=True))
op.execute("INSERT INTO half (id) VALUES (1)")
raise RuntimeError("boom in the step")
"""

Files = dict[str, str | None]


@dataclass(frozen=True)
class Row:
    """One bad input: the project, what runs before, the command, and what must come out."""

    id: str
    argv: tuple[str, ...]
    code: int
    phrase: str
    files: Files = field(default_factory=dict)  # on top of BASE; None deletes a file
    base: bool = True
    before: tuple[tuple[str, ...], ...] = ()  # commands that must succeed first
    after_before: Files = field(default_factory=dict)  # file changes once `before` ran
    env: dict[str, str] = field(default_factory=dict)
    servers: tuple[str, ...] = ()  # postgresql / mariadb besides sqlite
    phrases: dict[str, str] = field(default_factory=dict)  # per dialect, instead of phrase
    changes_on: tuple[str, ...] = ()  # dialects where the database may change (MySQL DDL)
    json: bool = False  # stdout is JSON that carries the error
    creates_nothing: bool = False  # not even an empty SQLite file


def toml(extra: str, url: str = "{url}") -> Files:
    """asyncmig.toml with the base keys plus `extra` lines."""
    return {"asyncmig.toml": f'script_location = "%(here)s/migrations"\nurl = "{url}"\n{extra}\n'}


PG_SECRET_REFUSED = f"postgresql+asyncpg://u:{SECRET}@127.0.0.1:1/db"

ROWS = [
    # -- finding and reading the configuration
    Row("no-config", ("heads",), 1, "no configuration found", base=False),
    Row("config-flag-missing", ("-c", "nope.toml", "heads"), 1, "configuration file not found"),
    Row("bad-toml", ("heads",), 1, "not valid TOML", {"asyncmig.toml": "script_location = \n"}),
    Row(
        "bad-ini",
        ("heads",),
        1,
        "[section] header",
        {"asyncmig.toml": None, "asyncmig.ini": "x = 1\n"},
    ),
    Row(
        "no-script-location",
        ("heads",),
        1,
        "script_location is required",
        {"asyncmig.toml": 'url = "{url}"\n'},
    ),
    # -- item 1: a wrong folder is never an empty history
    *(
        Row(
            f"typo-location-{name}",
            argv,
            1,
            "migratoins does not exist",
            {"asyncmig.toml": 'script_location = "%(here)s/migratoins"\nurl = "{url}"\n'},
            creates_nothing=True,
        )
        for name, argv in (
            ("heads", ("heads",)),
            ("history", ("history",)),
            ("upgrade", ("upgrade", "head")),
            ("current-check", ("current", "--check-heads")),
            ("current", ("current",)),
            ("stamp", ("stamp", "head")),
            ("sql", ("upgrade", "head", "--sql")),
            ("branches", ("branches",)),
            ("show", ("show", "head")),
            ("downgrade", ("downgrade", "base")),
            ("ensure-version", ("ensure-version",)),
            ("revision", ("revision", "-m", "new")),
            ("merge", ("merge", "heads")),
            ("check", ("check",)),
        )
    ),
    Row(
        "missing-versions-upgrade",
        ("upgrade", "head"),
        1,
        "its versions folder",
        {
            "migrations/versions/aaa111_one.py": None,
            "migrations/versions/bbb222_two.py": None,
            "asyncmig.toml": 'script_location = "%(here)s/migrations/versions"\nurl = "{url}"\n',
        },
    ),
    Row(
        "missing-version-location-heads",
        ("heads",),
        1,
        "key 'version_locations'",
        toml('version_locations = ["%(here)s/nope"]'),
    ),
    Row(
        "missing-version-location-upgrade",
        ("upgrade", "head"),
        1,
        "nope does not exist",
        toml('version_locations = ["%(here)s/migrations/versions", "%(here)s/nope"]'),
        servers=("postgresql",),
    ),
    Row(
        "location-is-a-file",
        ("heads",),
        1,
        "is not a folder",
        {"asyncmig.toml": 'script_location = "%(here)s/asyncmig.toml"\nurl = "{url}"\n'},
    ),
    Row(
        "empty-versions-is-empty-history",
        ("current", "--check-heads"),
        0,
        "<base>",
        {"migrations/versions/aaa111_one.py": None, "migrations/versions/bbb222_two.py": None},
        before=(("upgrade", "head"),),
    ),
    Row(
        "hex-named-script-needs-no-revision-line",
        ("heads",),
        0,
        "abc123 (head)",
        {
            "migrations/versions/aaa111_one.py": None,
            "migrations/versions/bbb222_two.py": None,
            "migrations/versions/abc123.py": '"""legacy"""\ndown_revision = None\n',
        },
    ),
    # -- unknown keys, tokens, ${VAR}
    Row(
        "typo-key",
        ("upgrade", "head"),
        1,
        "did you mean version_table?",
        toml('verison_table = "v"'),
    ),
    Row(
        "typo-key-database",
        ("heads",),
        1,
        "did you mean url?",
        {
            "asyncmig.toml": 'script_location = "%(here)s/migrations"\n'
            '[databases.main]\nurll = "{url}"\n'
        },
    ),
    Row(
        "typo-key-ini",
        ("heads",),
        1,
        "did you mean lock_timeout?",
        {
            "asyncmig.toml": None,
            "asyncmig.ini": "[asyncmig]\nscript_location = %(here)s/migrations\n"
            "url = {url}\nlock_timout = 3\n",
        },
    ),
    Row(
        "unknown-token-toml",
        ("heads",),
        1,
        "unknown token %(hre)s (did you mean %(here)s?)",
        {"asyncmig.toml": 'script_location = "%(hre)s/migrations"\nurl = "{url}"\n'},
    ),
    Row(
        "unknown-token-ini",
        ("heads",),
        1,
        "unknown token %(hre)s",
        {
            "asyncmig.toml": None,
            "asyncmig.ini": "[asyncmig]\nscript_location = %(hre)s/migrations\n",
        },
    ),
    Row(
        "unknown-file-template-token",
        ("heads",),
        1,
        "unknown token %(revv)s",
        toml('file_template = "%(revv)s_%(slug)s"'),
    ),
    Row(
        "unterminated-env",
        ("heads",),
        1,
        "not a complete ${VAR}",
        toml('version_table = "${TABLE"'),
    ),
    Row(
        "unset-env-other-key",
        ("heads",),
        1,
        "NO_SUCH_TABLE is not set",
        toml('version_table = "${NO_SUCH_TABLE}"'),
    ),
    Row(
        "unset-env-url-upgrade",
        ("upgrade", "head"),
        1,
        "DATABASE_URL is not set",
        toml("", url="${DATABASE_URL}"),
    ),
    Row(
        "unset-env-url-current",
        ("current",),
        1,
        "DATABASE_URL is not set",
        toml("", url="${DATABASE_URL}"),
    ),
    Row(
        "unset-env-url-sql",
        ("upgrade", "head", "--sql"),
        1,
        "DATABASE_URL is not set",
        toml("", url="${DATABASE_URL}"),
    ),
    # -- item 4: overrides override; file-only commands need no URL
    Row("unset-env-url-heads", ("heads",), 0, "bbb222 (head)", toml("", url="${DATABASE_URL}")),
    Row(
        "unset-env-url-history",
        ("history",),
        0,
        "aaa111 -> bbb222",
        toml("", url="${DATABASE_URL}"),
    ),
    Row("unset-env-url-branches", ("branches",), 0, "", toml("", url="${DATABASE_URL}")),
    Row("unset-env-url-show", ("show", "head"), 0, "Rev: bbb222", toml("", url="${DATABASE_URL}")),
    Row(
        "override-url-flag",
        ("--url", "{url}", "current"),
        0,
        "<base>",
        toml("", url="${DATABASE_URL}"),
    ),
    Row(
        "override-url-x",
        ("-x", "url={url}", "current"),
        0,
        "<base>",
        toml("", url="${DATABASE_URL}"),
    ),
    Row(
        "override-url-env",
        ("current",),
        0,
        "<base>",
        toml("", url="${DATABASE_URL}"),
        env={"ASYNCMIG_URL": "{url}"},
    ),
    Row(
        "override-url-after-command",
        ("current", "--url", "{url}"),
        0,
        "<base>",
        toml("", url="${DATABASE_URL}"),
    ),
    Row(
        "override-with-two-databases",
        ("--url", "{url}", "current"),
        1,
        "exactly one configured database",
        {
            "asyncmig.toml": 'script_location = "%(here)s/migrations"\n'
            '[databases.a]\nurl = "{url}"\n'
            '[databases.b]\nurl = "{url}"\nversion_table = "b_version"\n'
        },
    ),
    # -- typed values
    Row(
        "bad-lock-timeout",
        ("heads",),
        1,
        "expected a number of seconds",
        toml('lock_timeout = "soon"'),
    ),
    Row("negative-lock-timeout", ("heads",), 1, ">= 0", toml("lock_timeout = -1")),
    Row(
        "bad-slug-length", ("heads",), 1, "expected an integer", toml('truncate_slug_length = "x"')
    ),
    Row("bad-boolean", ("heads",), 1, "expected a boolean", toml('lock = "maybe"')),
    Row("version-table-integer", ("heads",), 1, "got an integer", toml("version_table = 5")),
    Row("bad-encoding", ("heads",), 1, "unknown encoding", toml('output_encoding = "klingon"')),
    Row("unknown-db", ("--db", "nope", "current"), 1, "no database named 'nope'"),
    Row("x-without-key", ("-x", "=v", "current"), 1, "has no key"),
    # -- item 3: URLs that cannot work, never echoed with their password
    Row(
        "url-port-not-number",
        ("--url", f"postgresql+asyncpg://u:{SECRET}@127.0.0.1:notaport/db", "current"),
        1,
        "port that is not a number",
    ),
    Row(
        "url-port-too-big",
        ("--url", f"postgresql+asyncpg://u:{SECRET}@127.0.0.1:99999999/db", "upgrade", "head"),
        1,
        "not between 1 and 65535",
    ),
    Row(
        "url-port-json",
        (
            "--url",
            f"postgresql+asyncpg://u:{SECRET}@127.0.0.1:notaport/db",
            "upgrade",
            "head",
            "--json",
        ),
        1,
        "port that is not a number",
        json=True,
    ),
    Row(
        "url-current-json",
        ("--url", f"mysql+aiomysql://u:{SECRET}@127.0.0.1:99999999/db", "current", "--json"),
        1,
        "not between 1 and 65535",
        json=True,
    ),
    Row(
        "url-unparseable",
        ("--url", f"u:{SECRET}@nowhere", "upgrade", "head"),
        1,
        "is not a valid URL",
    ),
    Row(
        "url-unknown-driver",
        ("--url", f"postgresql+nodriver://u:{SECRET}@h/db", "upgrade", "head"),
        1,
        "cannot create an engine",
    ),
    Row("url-refused", ("--url", PG_SECRET_REFUSED, "upgrade", "head"), 1, "is unavailable"),
    Row(
        "sqlite-missing-folder",
        ("--url", "sqlite:////nonexistent/folder/x.db", "upgrade", "head"),
        1,
        "is unavailable",
    ),
    Row(
        "url-unparseable-offline",
        ("--url", f"u:{SECRET}@nowhere", "upgrade", "head", "--sql"),
        1,
        "is not a valid URL",
    ),
    Row(
        "url-port-offline",
        ("--url", f"postgresql+asyncpg://u:{SECRET}@h:notaport/db", "upgrade", "head", "--sql"),
        1,
        "port that is not a number",
    ),
    Row(
        "shared-schemeless-url",
        ("current",),
        1,
        "share the URL ***@x",
        {
            "asyncmig.toml": 'script_location = "%(here)s/migrations"\n'
            f'[databases.a]\nurl = "u:{SECRET}@x"\n[databases.b]\nurl = "u:{SECRET}@x"\n'
        },
    ),
    # -- revisions and scripts
    Row(
        "unknown-target",
        ("upgrade", "nope123"),
        1,
        "no revision or branch label 'nope123'",
        servers=("postgresql", "mariadb"),
    ),
    Row("stamp-unknown", ("stamp", "nope123"), 1, "'nope123'"),
    Row(
        "ambiguous-prefix",
        ("show", "aa"),
        1,
        "is ambiguous",
        {"migrations/versions/aaa222_x.py": script("aaa222", "bbb222")},
    ),
    Row(
        "several-heads",
        ("upgrade", "head"),
        1,
        "several heads",
        {"migrations/versions/ccc333_x.py": script("ccc333", "aaa111")},
    ),
    Row(
        "cycle",
        ("heads",),
        1,
        "cycle",
        {"migrations/versions/aaa111_one.py": script("aaa111", "bbb222")},
    ),
    Row(
        "missing-parent",
        ("heads",),
        1,
        "zzz999",
        {"migrations/versions/bbb222_two.py": script("bbb222", "zzz999")},
    ),
    Row(
        "duplicate-revision",
        ("heads",),
        1,
        "declared by more than one file",
        {"migrations/versions/bbb222_copy.py": script("bbb222", "aaa111")},
    ),
    Row(
        "no-revision-line",
        ("heads",),
        1,
        "assigns no `revision",
        {"migrations/versions/notes.py": '"""helper"""\ndown_revision = None\n'},
    ),
    Row(
        "syntax-error",
        ("upgrade", "head"),
        1,
        "syntax error",
        {"migrations/versions/bbb222_two.py": script("bbb222", "aaa111") + "\ndef broken(:\n"},
    ),
    Row(
        "no-upgrade-function",
        ("upgrade", "head"),
        1,
        "has no upgrade() function",
        {
            "migrations/versions/bbb222_two.py": script("bbb222", "aaa111").replace(
                "def upgrade", "def upgrayedd"
            )
        },
    ),
    Row(
        "import-error",
        ("upgrade", "head"),
        1,
        "bbb222_two.py:1: cannot be imported",
        {
            "migrations/versions/bbb222_two.py": "import no_such_module_here\n"
            + script("bbb222", "aaa111")
        },
    ),
    Row("empty-target", ("upgrade", ""), 1, "the revision target is empty"),
    Row("schemas-not-strings", ("current",), 1, "got 1 in the list", toml("schemas = [1, 2]")),
    # -- item 2: what a failed step says is true for the dialect
    Row(
        "failing-step",
        ("upgrade", "head"),
        1,
        "",
        {"migrations/versions/bbb222_two.py": script("bbb222", "aaa111", FAILING)},
        before=(("upgrade", "aaa111"),),
        servers=("postgresql", "mariadb"),
        phrases={
            "sqlite": "its transaction was rolled back",
            "postgresql": "its transaction was rolled back",
            "mariadb": "may be partly applied (statements that had already run: CREATE TABLE half",
        },
        changes_on=("mariadb",),
    ),
    Row(
        "failing-step-json",
        ("upgrade", "head", "--json"),
        1,
        "",
        {"migrations/versions/bbb222_two.py": script("bbb222", "aaa111", FAILING)},
        before=(("upgrade", "aaa111"),),
        servers=("mariadb",),
        json=True,
        phrases={"sqlite": "rolled back", "mariadb": "stamp bbb222"},
        changes_on=("mariadb",),
    ),
    Row(
        "failing-one-transaction",
        ("upgrade", "head"),
        1,
        "",
        {
            **toml("transaction_per_migration = false"),
            "migrations/versions/ccc333_x.py": script("ccc333", "bbb222", FAILING),
        },
        servers=("postgresql", "mariadb"),
        phrases={
            "sqlite": "revisions aaa111..bbb222 rolled back; the database is at <base>",
            "postgresql": "revisions aaa111..bbb222 rolled back; the database is at <base>",
            "mariadb": "may be partly applied",
        },
        changes_on=("mariadb",),
    ),
    Row(
        "unknown-revision-in-database",
        ("upgrade", "head"),
        1,
        "asyncmig stamp",
        before=(("stamp", "bbb222"),),
        after_before={"migrations/versions/bbb222_two.py": None},
        servers=("postgresql",),
    ),
    Row(
        "check-heads-unknown-revision",
        ("current", "--check-heads"),
        1,
        "asyncmig stamp <revision>",
        before=(("stamp", "bbb222"),),
        after_before={"migrations/versions/bbb222_two.py": None},
        servers=("mariadb",),
    ),
    Row(
        "check-heads-behind",
        ("current", "--check-heads"),
        1,
        "run `asyncmig upgrade head`",
        before=(("upgrade", "aaa111"),),
    ),
    Row(
        "downgrade-below-base",
        ("downgrade", "-5"),
        1,
        "",
        before=(("upgrade", "aaa111"),),
        phrases={"sqlite": "-5"},
    ),
    Row(
        "failing-tenant-schema",
        ("upgrade", "head"),
        1,
        "",
        {
            "asyncmig.toml": 'script_location = "%(here)s/migrations"\n'
            '[databases.main]\nurl = "{url}"\nschemas = ["t1", "t2"]\n',
            "migrations/versions/bbb222_two.py": script(
                "bbb222",
                "aaa111",
                "if op.get_context().schema == 't2':\n    raise RuntimeError('tenant boom')",
            ),
        },
        servers=("postgresql",),
        phrases={"sqlite": "SQLite has no tenant schemas", "postgresql": "(schema 't2')"},
        changes_on=("postgresql",),  # schema t1 migrates, as it should
    ),
    Row("init-existing", ("init", "migrations"), 1, "already exists"),
    Row("init-unknown-template", ("init", "-t", "nope", "newdir"), 1, "no template named 'nope'"),
    Row("revision-head-unknown", ("revision", "--head", "nope", "-m", "x"), 1, "'nope'"),
    Row("revision-bad-id", ("revision", "--rev-id", "bad id!", "-m", "x"), 1, "is not allowed"),
    Row(
        "revision-duplicate-id", ("revision", "--rev-id", "aaa111", "-m", "x"), 1, "already exists"
    ),
    Row(
        "revision-version-path",
        ("revision", "--version-path", "/nonexistent", "-m", "x"),
        1,
        "is not one of the version locations",
    ),
    Row("edit-unknown", ("edit", "nope"), 1, "'nope'"),
    Row("merge-one-revision", ("merge", "aaa111"), 1, "two or more revisions"),
    Row("downgrade-sql-without-range", ("downgrade", "-1", "--sql"), 1, "<from>:<to>"),
    Row("history-range-unknown", ("history", "-r", "nope:"), 1, "'nope'"),
    Row("relative-target-unknown", ("upgrade", "head+x"), 1, "'head+x'"),
    # -- usage errors (exit 2)
    Row("wait-negative", ("current", "--check-heads", "--wait", "-5"), 2, "0 or more"),
    Row("wait-nan", ("current", "--check-heads", "--wait", "nan"), 2, "0 or more"),
    Row(
        "wait-without-check",
        ("current", "--wait", "3"),
        2,
        "asyncmig current: error: --wait needs --check-heads",
    ),
    Row("concurrency-zero", ("upgrade", "head", "--concurrency", "0"), 2, "1 or more"),
    Row("unknown-command", ("upgrayedd",), 2, "invalid choice"),
    Row("downgrade-needs-target", ("downgrade",), 2, "required"),
    Row(
        "command-option-before-command",
        ("--concurrency", "2", "upgrade"),
        2,
        "give it after the command: asyncmig upgrade --concurrency",
    ),
    Row("sql-before-command", ("--sql", "upgrade", "head"), 2, "--sql is not a global option"),
    # -- global options in either position, and degraded output
    Row("quiet-after-command", ("history", "-q"), 0, "aaa111"),
    Row("config-after-command", ("heads", "-c", "asyncmig.toml"), 0, "bbb222 (head)"),
    Row("db-after-command", ("current", "--db", "main"), 0, "<base>"),
    Row(
        "ascii-terminal",
        ("history",),
        0,
        "caf? cr?me",
        {"migrations/versions/bbb222_two.py": script("bbb222", "aaa111", message="café crème")},
        env={"PYTHONIOENCODING": "ascii"},
    ),
]


# -- the database, before and after --------------------------------------------------------


def _sync_url(url: str) -> str:
    for async_name, sync_name in (
        ("sqlite+aiosqlite", "sqlite"),
        ("postgresql+asyncpg", "postgresql+psycopg2"),
        ("mysql+aiomysql", "mysql+pymysql"),
    ):
        if url.startswith(async_name + "://"):
            return sync_name + url[len(async_name) :]
    return url


def snapshot(url: str) -> Any:
    """Tables, their columns, row counts, and every version row."""
    from sqlalchemy import create_engine, inspect, text

    if url.startswith("sqlite") and not Path(url.split("///", 1)[1]).exists():
        return {}, {}, {}  # what connecting would find (it creates the file)
    engine = create_engine(_sync_url(url))
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            tables = sorted(inspector.get_table_names())
            shape = {t: sorted(c["name"] for c in inspector.get_columns(t)) for t in tables}
            rows = {
                t: sorted(r[0] for r in conn.execute(text(f"SELECT version_num FROM {t}")))
                for t in tables
                if t.endswith("version")
            }
            # The ledger beside the version table records a failed step on purpose:
            # only its successful rows must stay as they were.
            data = {
                t: conn.execute(
                    text(
                        f"SELECT COUNT(*) FROM {t}"
                        + (" WHERE success" if t.endswith("_ledger") else "")
                    )
                ).scalar()
                for t in tables
                if not t.endswith("version")
            }
    finally:
        engine.dispose()
    return shape, rows, data


# -- running a row -------------------------------------------------------------------------


def _write(root: Path, files: Files, url: str) -> None:
    for name, content in files.items():
        path = root / name
        if content is None:
            path.unlink(missing_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content.replace("{url}", url), encoding="utf-8")


def _fill(text: str, url: str) -> str:
    return text.replace("{url}", url)


def check_row(row: Row, dialect: str, url: str, root: Path) -> None:
    """Run one row and assert everything a bad input must satisfy."""
    if row.base:
        _write(root, dict(BASE), url)
    _write(root, row.files, url)
    env = {k: _fill(v, url) for k, v in row.env.items()}
    for argv in row.before:
        done = run_cli(*argv, cwd=root)
        assert done.returncode == 0, done.stderr
    _write(root, row.after_before, url)
    before = snapshot(url)
    result = run_cli(*(_fill(a, url) for a in row.argv), cwd=root, env=env)
    out, err = result.stdout, result.stderr
    shown = f"exit {result.returncode}\nstdout:\n{out}\nstderr:\n{err}"
    assert result.returncode == row.code, shown
    assert "Traceback" not in out + err, shown
    assert SECRET not in out + err, shown
    phrase = row.phrases.get(dialect, row.phrase)
    lines = [line for line in err.splitlines() if line.strip()]
    if row.code == 1:
        errors = [line for line in lines if line.startswith("asyncmig: error: ")]
        assert len(errors) == 1, shown
        assert phrase in errors[0], shown
    elif row.code == 2:
        assert lines, shown
        assert "error:" in lines[-1], shown
        assert phrase in lines[-1], shown
    else:
        assert phrase in out, shown
    if row.json:
        report = json.loads(out)
        entries = report["databases"] if "databases" in report else list(report.values())
        texts = [e["error"] for e in entries if isinstance(e, dict) and e.get("error")]
        assert len(texts) == 1, out
        assert phrase in texts[0], out
    if dialect not in row.changes_on:
        assert snapshot(url) == before, shown
    if row.creates_nothing and dialect == "sqlite":
        assert not (root / "main.db").exists(), shown


def _cases() -> Iterator[Any]:
    for row in ROWS:
        yield pytest.param(row, "sqlite", id=f"{row.id}-sqlite")
        for server in row.servers:
            yield pytest.param(
                row, server, id=f"{row.id}-{server}", marks=getattr(pytest.mark, server)
            )


@pytest.mark.parametrize(("row", "dialect"), list(_cases()))
def test_bad_input(row: Row, dialect: str, tmp_path: Path) -> None:
    """Each bad input: its exit code and one-line error; no traceback, password or change."""
    if dialect == "sqlite":
        check_row(row, dialect, f"sqlite+aiosqlite:///{tmp_path}/main.db", tmp_path)
        return
    with _servers.scratch_database(dialect) as scratch:
        url = scratch
        if dialect == "postgresql":  # trust authentication: the password is carried, unused
            from sqlalchemy.engine import make_url

            url = make_url(scratch).set(password=SECRET).render_as_string(hide_password=False)
        check_row(row, dialect, url, tmp_path)


def test_corpus_is_large_enough() -> None:
    """The corpus keeps at least 60 rows, each with a unique id."""
    assert len(ROWS) >= 60
    assert len({row.id for row in ROWS}) == len(ROWS)
