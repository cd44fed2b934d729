"""The script tests pin the header cache, which PYTHONDONTWRITEBYTECODE turns off."""

from __future__ import annotations

import sys

import pytest


@pytest.fixture(autouse=True)
def _bytecode_writing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run as if PYTHONDONTWRITEBYTECODE were unset (tests that need it set it again)."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(sys, "pycache_prefix", None)
