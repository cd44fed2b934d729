"""Every known case where asyncmig leaves a different schema than Alembic: one registry.

Keys are per-operation case ids, either ``<case>`` (every backend the case runs on) or
``<case>-<backend>``; values say in one line what differs.  Each entry marks its tests
``xfail(strict=True)``: a fix makes the test XPASS, which fails, and whoever fixed it
deletes the entry here.
"""

from __future__ import annotations

KNOWN: dict[str, str] = {}

# Offline (--sql) cases, keyed like KNOWN; see _offline.py for what is normalised.
KNOWN_OFFLINE: dict[str, str] = {}
