"""The compat tests' fixtures, registered only where Alembic (the oracle) is installed."""

from __future__ import annotations

import importlib.util

if importlib.util.find_spec("alembic") is not None:
    from tests.compat._harness import compat_backend

    __all__ = ("compat_backend",)
