"""Autogenerate: compare the models with a live database, write the migration.

Layout, in the order data flows:

- ``options``: :class:`AutogenOptions`, the env.py filters and switches;
- ``compare`` (+ ``compare_columns``, ``compare_constraints``, ``compare_enums``):
  reflection through an ``Inspector`` on a sync connection, producing the
  :mod:`diff` records; ``dialects`` holds what differs per database;
- ``steps`` turns each difference into the ``op`` calls that apply and undo it,
  ordered by dependency; ``calls`` writes them (batch blocks where needed) and
  ``render_types`` writes types, columns and constraints as source;
- ``render``: :func:`render_migration` / :func:`render_multidb`, the bodies of
  ``upgrade()`` and ``downgrade()``;
- ``directives``: env.py's ``process_revision_directives`` hook, run on the
  differences before they are rendered.

Everything here is synchronous: the runtime calls :func:`compare_metadata`
inside ``AsyncConnection.run_sync``.
"""

from __future__ import annotations

from .autogen_context import Comparison as Comparison
from .autogen_options import AutogenOptions as AutogenOptions
from .compare import compare_metadata as compare_metadata
from .diff import Diff as Diff
from .directives import MigrationScript as MigrationScript
from .directives import run_revision_directives as run_revision_directives
from .render import RenderedMigration as RenderedMigration
from .render import render_migration as render_migration
from .render import render_multidb as render_multidb

__all__ = (
    "AutogenOptions",
    "Comparison",
    "Diff",
    "MigrationScript",
    "RenderedMigration",
    "compare_metadata",
    "render_migration",
    "render_multidb",
    "run_revision_directives",
)
