"""Projects for lint tests: a base revision that creates the tables, then the script under test."""

from __future__ import annotations

import textwrap
from pathlib import Path

import asyncmig

# "r1" makes the tables (and, on PostgreSQL, the enum) that later revisions find existing.
BASE = """
op.create_table(
    "account",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(20)),
    sa.Column("email", sa.String(50)),
)
op.create_table("other", sa.Column("id", sa.Integer, primary_key=True))
if op.get_bind().dialect.name == "postgresql":
    op.execute("CREATE TYPE mood AS ENUM ('happy', 'sad')")
    op.add_column("account", sa.Column("mood", sa.Text))
"""

# Offline rendering picks the dialect from the URL and never connects to it.
OFFLINE_URLS = {
    "postgresql": "postgresql+asyncpg://nobody@127.0.0.1:1/none",
    "sqlite": "sqlite+aiosqlite:///unused.db",
    "mysql": "mysql+aiomysql://nobody@127.0.0.1:1/none",
}


def script(revision: str, down: str | None, body: str, *, header: str = "") -> str:
    """An Alembic-style script whose upgrade() is `body`."""
    indented = textwrap.indent(textwrap.dedent(body).strip() or "pass", "    ")
    return (
        f'"""{revision}\n\nRevision ID: {revision}\nRevises: {down or ""}\n"""\n'
        f"{header}"
        "from alembic import op\nimport sqlalchemy as sa\n\n"
        f"revision = {revision!r}\ndown_revision = {down!r}\nbranch_labels = None\n"
        "depends_on = None\n\n\n"
        f"def upgrade():\n{indented}\n\n\ndef downgrade():\n    pass\n"
    )


def project(root: Path, url: str, *bodies: str, extra: str = "") -> asyncmig.Config:
    """A project at `root`: r1 (BASE) then r2, r3 ... with `bodies`; its loaded Config."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    down: str | None = None
    for number, body in enumerate((BASE, *bodies), start=1):
        revision = f"r{number}"
        (versions / f"{revision}_step.py").write_text(script(revision, down, body))
        down = revision
    (root / "asyncmig.toml").write_text(
        f'script_location = "%(here)s/migrations"\nurl = "{url}"\n{extra}'
    )
    return asyncmig.Config.load(root / "asyncmig.toml")


def rules_of(report: asyncmig.LintReport) -> list[str]:
    """The rule ids of the unsuppressed findings, in order."""
    return [finding.rule for finding in report.findings]
