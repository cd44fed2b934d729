"""Suppression comments: ``# asyncmig: allow <rule-id>[, <rule-id>] -- <reason>``.

A comment anywhere in a script suppresses those rules for that whole script.
The reason is required: a comment without one suppresses nothing and is
itself a finding (``invalid-suppression``), as is one naming an unknown rule.
Comments are found with :mod:`tokenize`, so text inside strings never counts.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

from .rules import RULES

__all__ = ("Suppression", "read_suppressions")

_ALLOW = re.compile(r"^#\s*asyncmig\s*:\s*allow\b(?P<rest>.*)$", re.IGNORECASE)
_KNOWN = frozenset(item.id for item in RULES)


@dataclass(frozen=True)
class Suppression:
    """One allow comment: its rules, its reason (None if missing), its line, what is wrong."""

    rules: tuple[str, ...]
    reason: str | None
    line: int
    problem: str | None = None  # why it suppresses nothing


def read_suppressions(source: str) -> list[Suppression]:
    """Every allow comment of a script's source (unparseable source: none)."""
    found: list[Suppression] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return found
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        match = _ALLOW.match(token.string.strip())
        if match is not None:
            found.append(_parse(match.group("rest"), token.start[0]))
    return found


def _parse(rest: str, line: int) -> Suppression:
    names_part, dashes, reason_part = rest.partition("--")
    names = tuple(name for name in re.split(r"[\s,]+", names_part.strip()) if name)
    reason = reason_part.strip() if dashes else ""
    if not names:
        return Suppression((), reason or None, line, "it names no rule")
    unknown = [name for name in names if name not in _KNOWN]
    if unknown:
        return Suppression(names, reason or None, line, f"unknown rule {', '.join(unknown)}")
    if not reason:
        return Suppression(names, None, line, "it gives no reason after ' -- '")
    return Suppression(names, reason, line)
