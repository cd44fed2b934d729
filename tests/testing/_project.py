"""Write small asyncmig projects (config, scripts, models) for the plugin's tests."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SCRIPT = '''"""{message}

Revision ID: {rev}
Revises: {down_text}
Create Date: 2026-12-01 10:00:00
"""
import sqlalchemy as sa
from asyncmig import op

revision = {rev!r}
down_revision = {down!r}
branch_labels = {labels!r}
depends_on = None


def upgrade() -> None:
{upgrade}


def downgrade() -> None:
{downgrade}
'''


@dataclass(frozen=True)
class Step:
    """One revision: its id, parent(s) and the bodies of its two functions."""

    rev: str
    down: str | tuple[str, ...] | None
    upgrade: str
    downgrade: str
    labels: tuple[str, ...] | None = None


def table(rev: str, down: str | None, name: str) -> Step:
    """A revision that creates table `name` (id, label) and drops it on downgrade."""
    return Step(
        rev,
        down,
        f'op.create_table("{name}", sa.Column("id", sa.Integer, primary_key=True), '
        f'sa.Column("label", sa.String(40), nullable=True))',
        f'op.drop_table("{name}")',
    )


def linear(tag: str = "") -> tuple[Step, ...]:
    """Four revisions (a1, b2, c3, d4, each id suffixed by `tag`): tables, an index, a row."""
    a, b, c, d = (f"{rev}{tag}" for rev in ("a1", "b2", "c3", "d4"))
    return (
        table(a, None, "account"),
        table(b, a, "item"),
        Step(
            c,
            b,
            'op.add_column("item", sa.Column("price", sa.Integer, nullable=True))\n'
            'op.create_index("ix_item_price", "item", ["price"])',
            'op.drop_index("ix_item_price", table_name="item")\nop.drop_column("item", "price")',
        ),
        Step(
            d,
            c,
            "op.execute(\"INSERT INTO account (id, label) VALUES (1, 'seed')\")",
            'op.execute("DELETE FROM account")',
        ),
    )


LINEAR = linear()


def write_project(
    root: Path,
    url: str,
    steps: Sequence[Step] = LINEAR,
    *,
    models: str | None = None,
    module: str = "models_mod",
    extra: str = "",
) -> Path:
    """An asyncmig.toml and its scripts under `root`; returns the config file."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    for step in steps:
        down_text = ", ".join(step.down) if isinstance(step.down, tuple) else (step.down or "")
        (versions / f"{step.rev}_step.py").write_text(
            SCRIPT.format(
                message=f"step {step.rev}",
                rev=step.rev,
                down=step.down,
                down_text=down_text,
                labels=step.labels,
                upgrade=textwrap.indent(step.upgrade, "    "),
                downgrade=textwrap.indent(step.downgrade, "    "),
            )
        )
    lines = ['script_location = "%(here)s/migrations"', f"url = {url!r}"]
    if models is not None:
        # A module name per test: a module once imported stays in sys.modules.
        (root / f"{module}.py").write_text(models)
        lines.append(f'target_metadata = "{module}:metadata"')
        lines.append('prepend_sys_path = ["%(here)s"]')
    config = root / "asyncmig.toml"
    config.write_text("\n".join(lines) + "\n" + extra)
    return config
