"""Offline (``--sql``) output of both tools for one history, compared statement by statement.

Each tool renders ``upgrade base:head`` (and a downgrade range) as SQL text with no
database, for the dialect of the URL.  The two texts are split into statements and
normalised as follows; nothing else is forgiven:

- whitespace: runs of spaces, tabs and newlines become one space, none is kept around
  brackets and commas, and blank lines between statements are dropped;
- the terminating semicolon of each statement is dropped (statements are split on it);
- the version table's name is replaced by ``<version_table>`` (both tools are configured
  with ``alembic_version``, so this only guards the comparison against the setting);
- a ``RETURNING [<version_table>.]version_num`` that Alembic appends to the version-row
  INSERT is dropped: it is a by-product of SQLAlchemy's implicit returning, returns
  nothing to a script reader and changes nothing in the database;
- BEGIN/COMMIT statements are dropped in the per-case comparison, and compared on their
  own by ``test_offline_transaction_framing`` (one history per backend), so that one
  framing difference does not hide every other difference of every case.

The ``-- Running upgrade a -> b`` comments are compared as they are: they carry the plan.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

from tests.compat._harness import VERSION_TABLE, run_alembic, run_asyncmig, write_scripts
from tests.compat._snapshot import normalise_sql

# Dialect-only URLs: offline mode never connects.
OFFLINE_URLS = {
    "sqlite": ("sqlite:///offline.db", "sqlite+aiosqlite:///offline.db"),
    "postgresql": ("postgresql+psycopg2://u@localhost/db", "postgresql+asyncpg://u@localhost/db"),
    "mariadb": ("mysql+pymysql://u@localhost/db", "mysql+aiomysql://u@localhost/db"),
}
_RETURNING = re.compile(r"\s*RETURNING (<version_table>\.)?version_num$")
_FRAMING = {"BEGIN", "COMMIT"}


class AlembicOfflineFailed(Exception):
    """Alembic itself cannot render the history offline (e.g. it reads from the database)."""


def statements(text: str) -> list[str]:
    """The normalised statements of one tool's ``--sql`` output."""
    found = []
    for chunk in re.split(r";\s*\n|\n\s*\n", text):
        for line in _split_comments(chunk):
            statement = normalise_sql(line.strip().rstrip(";"))
            if not statement:
                continue
            statement = statement.replace(VERSION_TABLE, "<version_table>")
            found.append(_RETURNING.sub("", statement))
    return found


def _split_comments(chunk: str) -> list[str]:
    """A `-- comment` line is a statement of its own; the lines after it are the next one."""
    parts: list[str] = []
    current: list[str] = []
    for line in chunk.splitlines():
        if line.lstrip().startswith("--"):
            parts.extend(["\n".join(current), line])
            current = []
        else:
            current.append(line)
    parts.append("\n".join(current))
    return parts


def render(
    tool: str, backend: str, scripts: Mapping[str, str], *, verb: str, target: str, folder: Path
) -> str:
    """The SQL text `tool` prints for `verb target` on `backend`'s dialect."""
    versions = write_scripts(folder / tool, scripts)
    sync_url, async_url = OFFLINE_URLS[backend]
    if tool == "alembic":
        return run_alembic(folder / tool, versions, sync_url, verb, target, sql=True)
    report = run_asyncmig(folder / tool, versions, async_url, verb, target, sql=True)
    return "".join(database.sql or "" for database in report.databases)


def check_offline(
    backend: str,
    scripts: Mapping[str, str],
    *,
    head: str,
    downgrade_to: str = "base",
    tmp_path: Path,
    framing: bool = False,
) -> None:
    """Assert that both tools print the same statements for upgrade and downgrade --sql.

    `framing` compares the BEGIN/COMMIT statements too (they are dropped otherwise).
    """
    folder = Path(tempfile.mkdtemp(prefix="offline_", dir=tmp_path))
    problems: list[str] = []
    for verb, target in (("upgrade", "head"), ("downgrade", f"{head}:{downgrade_to}")):
        sub = folder / verb
        try:
            expected = statements(
                render("alembic", backend, scripts, verb=verb, target=target, folder=sub)
            )
        except Exception as exc:
            raise AlembicOfflineFailed(f"[{backend}] Alembic --sql {verb} failed: {exc}") from exc
        try:
            got = statements(
                render("asyncmig", backend, scripts, verb=verb, target=target, folder=sub)
            )
        except Exception as exc:
            problems.append(f"{verb}: asyncmig --sql failed where Alembic rendered: {exc}")
            continue
        if not framing:
            expected = [line for line in expected if line not in _FRAMING]
            got = [line for line in got if line not in _FRAMING]
        problems.extend(f"{verb}: {line}" for line in _compare(expected, got))
    if problems:
        listing = "\n".join(f"  {line}" for line in problems)
        raise AssertionError(
            f"[{backend}] asyncmig --sql differs from Alembic's (alembic | asyncmig):\n{listing}"
        )


def _compare(expected: list[str], got: list[str]) -> list[str]:
    found = []
    for index in range(max(len(expected), len(got))):
        left = expected[index] if index < len(expected) else "<none>"
        right = got[index] if index < len(got) else "<none>"
        if left != right:
            found.append(f"statement {index + 1}: {left} | {right}")
    return found
