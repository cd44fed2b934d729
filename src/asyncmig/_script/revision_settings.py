"""A script's own execution settings: ``asyncmig = {...}`` at its top level.

A revision may override, for its own step, what the configuration says about
lock-safe execution::

    asyncmig = {"ddl_lock_timeout": "10s", "ddl_lock_retries": 0, "transaction": False}

The dict is read with the header (without importing the script), so it must
be a literal.  Its values are checked here and kept normalised (seconds as
floats), as ``((key, value), ...)`` sorted by key, which the header cache
stores as it is.
"""

from __future__ import annotations

from collections.abc import Mapping

from .._config.values import DURATION_FORM, duration, suggestion
from ..errors import ScriptError

__all__ = ("EXAMPLE", "SETTINGS", "Settings", "read_settings")

Settings = tuple[tuple[str, object], ...]

EXAMPLE = 'asyncmig = {"ddl_lock_timeout": "10s", "transaction": False}'
# Each setting and what its value must be (the message's wording).
SETTINGS = {
    "ddl_lock_timeout": f"{DURATION_FORM}, or 0 (off)",
    "ddl_lock_retries": "an integer >= 0",
    "migration_statement_timeout": f"{DURATION_FORM}, or None (the connection's own)",
    "transaction": "True or False",
}


def read_settings(value: object, path: str, line: int | None = None) -> Settings:
    """The checked settings of ``asyncmig = value``; ScriptError naming the file and the key."""
    if not isinstance(value, Mapping):
        raise ScriptError(
            f"asyncmig = ... must be a dict of settings, not {type(value).__name__}; "
            f"write e.g. {EXAMPLE}",
            path=path,
            line=line,
        )
    checked: dict[str, object] = {}
    for key, item in value.items():
        if key not in SETTINGS:
            hint = suggestion(str(key), list(SETTINGS), "{!r}")
            raise ScriptError(
                f"asyncmig = {{...}} has an unknown setting {key!r}{hint}; the settings are "
                f"{', '.join(SETTINGS)}",
                path=path,
                line=line,
            )
        normalised = _checked(key, item)
        if normalised is _WRONG:
            raise ScriptError(
                f"asyncmig[{key!r}] is {item!r}; write {SETTINGS[key]}", path=path, line=line
            )
        checked[key] = normalised
    return tuple(sorted(checked.items()))


_WRONG = object()


def _checked(key: str, value: object) -> object:
    """The normalised value, or ``_WRONG``."""
    if key == "transaction":
        return value if isinstance(value, bool) else _WRONG
    if key == "ddl_lock_retries":
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        return value if ok else _WRONG
    if value is None:  # "off" for a lock timeout, "the connection's own" for a statement's
        return None
    seconds = duration(value)
    return seconds if seconds is not None and seconds >= 0 else _WRONG
