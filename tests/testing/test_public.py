"""The public surface of asyncmig.testing and the plugin's registration."""

from __future__ import annotations

import importlib.metadata

import asyncmig.testing
from asyncmig.testing import CHECKS


def test_all_names_exist_and_are_public() -> None:
    """Every name in asyncmig.testing.__all__ exists and none is private."""
    assert isinstance(asyncmig.testing.__all__, tuple)
    for name in asyncmig.testing.__all__:
        assert not name.startswith("_")
        assert hasattr(asyncmig.testing, name), name


def test_one_test_function_per_check() -> None:
    """A star import brings exactly one test_<check> function per check, in order."""
    tests = [name for name in asyncmig.testing.__all__ if name.startswith("test_")]
    assert tests == [f"test_{name}" for name in CHECKS]


def test_plugin_is_registered_for_pytest() -> None:
    """The installed distribution registers the plugin under pytest11."""
    points = importlib.metadata.entry_points(group="pytest11")
    assert "asyncmig.testing._plugin" in {point.value for point in points}
