"""The public surface: names in ``asyncmig.__all__``, how they present, their documentation."""

from __future__ import annotations

import importlib
import inspect
import re
import typing
from collections.abc import Callable
from typing import Any

import pytest

import asyncmig
import asyncmig.errors
from asyncmig._commands import database

PUBLIC = [getattr(asyncmig, name) for name in asyncmig.__all__]
CLASSES = [value for value in PUBLIC if inspect.isclass(value)]


def test_all_is_a_tuple_of_importable_names() -> None:
    """`__all__` is a tuple, and `from asyncmig import X` works for each X in it."""
    assert isinstance(asyncmig.__all__, tuple)
    assert len(set(asyncmig.__all__)) == len(asyncmig.__all__)
    namespace: dict[str, Any] = {}
    for name in asyncmig.__all__:
        exec(f"from asyncmig import {name}", namespace)  # the statement users write
        assert namespace[name] is getattr(asyncmig, name)


def test_public_classes_and_functions_present_as_asyncmig_names() -> None:
    """Every class and function in `__all__` says it lives in `asyncmig` (reprs, help, docs)."""
    assert asyncmig.Migrator in CLASSES
    assert asyncmig.Config in CLASSES
    for value in PUBLIC:
        if inspect.isclass(value) or inspect.isfunction(value):
            assert value.__module__ == "asyncmig", value
            assert getattr(asyncmig, value.__name__) is value
    assert repr(asyncmig.RunReport) == "<class 'asyncmig.RunReport'>"


def test_error_classes_present_as_asyncmig_errors_names() -> None:
    """The exception tree shows as `asyncmig.errors.X`, each reachable by that name."""
    assert isinstance(asyncmig.errors.__all__, tuple)
    for name in asyncmig.errors.__all__:
        cls = getattr(asyncmig.errors, name)
        assert cls.__module__ == "asyncmig.errors", name
        assert getattr(importlib.import_module(cls.__module__), cls.__qualname__) is cls


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_public_class_type_hints_resolve(cls: type) -> None:
    """typing.get_type_hints (pydantic, FastAPI) still resolves a class shown as asyncmig.X."""
    hints = typing.get_type_hints(cls)
    assert all(not isinstance(hint, str) for hint in hints.values())


def _documented(fn: Callable[..., Any]) -> list[str]:
    """The parameter names the "Args:" section of `fn`'s docstring describes."""
    doc = inspect.getdoc(fn) or ""
    _, found, args = doc.partition("\nArgs:\n")
    assert found, f"{fn.__qualname__} has no Args section"
    return re.findall(r"^    (\w+):", args, flags=re.MULTILINE)


COMMANDS = [getattr(database, name) for name in database.__all__]
METHODS = [
    method
    for name, method in vars(asyncmig.Migrator).items()
    if inspect.iscoroutinefunction(method) and not name.startswith("_") and name != "aclose"
]


@pytest.mark.parametrize(
    "fn", [asyncmig.Migrator, *METHODS, *COMMANDS], ids=lambda fn: fn.__qualname__
)
def test_every_parameter_is_documented(fn: Callable[..., Any]) -> None:
    """Each parameter of Migrator, its methods and the database commands has its Args entry."""
    target = fn.__init__ if inspect.isclass(fn) else fn
    params = [name for name in inspect.signature(target).parameters if name != "self"]
    assert _documented(fn) == params


def test_module_commands_and_migrator_methods_take_the_same_options() -> None:
    """Each database command takes its Migrator method's options, plus config and engines."""
    assert {fn.__name__ for fn in COMMANDS} | {"check"} == {fn.__name__ for fn in METHODS}
    constructor = set(inspect.signature(asyncmig.Migrator).parameters)
    for command in COMMANDS:
        method = getattr(asyncmig.Migrator, command.__name__)
        from_method = [p for p in inspect.signature(method).parameters if p != "self"]
        from_command = [p for p in inspect.signature(command).parameters if p != "config"]
        assert set(from_command) == set(from_method) | (constructor & set(from_command))
        assert "engines" in from_command
