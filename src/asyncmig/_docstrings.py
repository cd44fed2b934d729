"""Args entries written once and referred to: :func:`args_from`.

The module-level database commands are one-shot :class:`~asyncmig.Migrator`
calls, and Migrator's ``downgrade``, ``stamp`` and ``ensure_version`` take
``upgrade``'s run options.  Their docstrings say where their parameters are
described instead of restating each entry; ``args_from`` completes their
``Args:`` section at import time, so ``help()`` and the API documentation
still describe every parameter, in signature order.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ("args_from",)

F = TypeVar("F", bound=Callable[..., Any])

_HEADING = "\nArgs:\n"
_ENTRY = re.compile(r"^    (\w+):")


def _split(doc: str) -> tuple[str, dict[str, str]]:
    """A cleaned docstring's text before its Args section, and that section's entries."""
    head, found, section = doc.partition(_HEADING)
    entries: dict[str, str] = {}
    name = None
    for line in section.splitlines() if found else ():
        if match := _ENTRY.match(line):
            name = match[1]
            entries[name] = line
        elif name is not None and (line.startswith("        ") or not line.strip()):
            entries[name] += "\n" + line
        else:
            break  # the next section: Returns:, Raises: ...
    return head.rstrip(), {key: text.rstrip() for key, text in entries.items()}


def args_from(*sources: Callable[..., Any]) -> Callable[[F], F]:
    """Complete the decorated function's Args section from `sources` (a class: its ``__init__``'s).

    Each parameter keeps the function's own entry if it has one, else takes the
    first source's that describes it; a parameter none describes is a TypeError
    at import time.
    """

    def complete(fn: F) -> F:
        head, own = _split(inspect.cleandoc(fn.__doc__ or ""))
        found = [_split(inspect.getdoc(source) or "")[1] for source in sources]
        lines = []
        for name in inspect.signature(fn).parameters:
            if name == "self":
                continue
            entry = own.get(name) or next((doc[name] for doc in found if name in doc), None)
            if entry is None:
                raise TypeError(f"{fn.__qualname__}: no description of {name!r} in its sources")
            lines.append(entry)
        fn.__doc__ = f"{head}\n{_HEADING}" + "\n".join(lines) + "\n"
        return fn

    return complete
