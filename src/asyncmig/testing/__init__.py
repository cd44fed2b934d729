"""Testing a migration history with pytest: migrated test databases and history checks.

The pytest plugin (installed with ``asyncmig[pytest]``, entry point ``pytest11``)
provides the fixtures ``asyncmig_database`` (the URL of a fresh database at
head, cloned from a cached template), ``asyncmig_engine`` (an ``AsyncEngine``
on one), ``asyncmig_database_at`` (call it with a revision), ``asyncmig_config``
and ``asyncmig_history`` (runs a named check).

The ``test_*`` functions below are the history checks as pytest tests; a test
module collects them all with one line::

    from asyncmig.testing import *  # noqa: F403

``asyncmig test-history`` runs the same checks, by the same names, from the
command line.  :class:`EmptyDatabases` hands out fresh empty databases the same
way (made ahead, dropped in the background).  Layout: ``_templates`` (keys,
build, clone), ``_empty``, ``_ahead`` (made ahead), ``_dropper`` (dropped in the
background), ``_servers`` (one class per dialect), ``_checks``, ``_snapshot``,
``_plugin``.
"""

from __future__ import annotations

from collections.abc import Callable

from ._checks import CHECKS as CHECKS
from ._checks import CheckOptions as CheckOptions
from ._checks import CheckResult as CheckResult
from ._checks import check_history as check_history
from ._checks import run_check as run_check
from ._empty import EmptyDatabases as EmptyDatabases
from ._snapshot import differences as differences
from ._snapshot import snapshot as snapshot
from ._snapshot import snapshot_url as snapshot_url
from ._templates import Clone as Clone
from ._templates import Templates as Templates
from ._templates import with_url as with_url

__all__ = (
    # the history checks, as pytest test functions
    "test_valid_ids",
    "test_no_orphan_branches",
    "test_single_head",
    "test_scripts_import",
    "test_offline_sql",
    "test_stairway",
    "test_downgrade_leaves_no_trace",
    "test_models_match",
    # running checks and making databases without pytest
    "CHECKS",
    "CheckOptions",
    "CheckResult",
    "run_check",
    "check_history",
    "Templates",
    "Clone",
    "EmptyDatabases",
    "with_url",
    "snapshot",
    "snapshot_url",
    "differences",
)

Check = Callable[[str], None]


def test_valid_ids(asyncmig_history: Check) -> None:
    """No revision id is declared twice and no revision is its own ancestor."""
    asyncmig_history("valid_ids")


def test_no_orphan_branches(asyncmig_history: Check) -> None:
    """Every parent revision exists; a second base of one history has a branch label."""
    asyncmig_history("no_orphan_branches")


def test_single_head(asyncmig_history: Check) -> None:
    """Each independent history has exactly one head."""
    asyncmig_history("single_head")


def test_scripts_import(asyncmig_history: Check) -> None:
    """Every script imports and defines upgrade() and downgrade()."""
    asyncmig_history("scripts_import")


def test_offline_sql(asyncmig_history: Check) -> None:
    """The history renders as offline SQL, upgrade and downgrade."""
    asyncmig_history("offline_sql")


def test_stairway(asyncmig_history: Check) -> None:
    """Each revision's downgrade -1 then upgrade +1 leaves the schema it found."""
    asyncmig_history("stairway")


def test_downgrade_leaves_no_trace(asyncmig_history: Check) -> None:
    """Upgrade to head then downgrade to base leaves nothing but the version table."""
    asyncmig_history("downgrade_leaves_no_trace")


def test_models_match(asyncmig_history: Check) -> None:
    """The models and the database at head agree (``asyncmig check``)."""
    asyncmig_history("models_match")
