"""What ``lint`` returns: findings per revision, and whether any is an error."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ("LintFinding", "LintReport")


@dataclass(frozen=True, slots=True)
class LintFinding:
    """One rule broken by one statement (or one step) of one revision."""

    rule: str
    severity: str  # "error" or "warning"
    database: str
    revision: str
    path: str
    line: int | None
    message: str  # what this statement does, in words
    reason: str  # the rule's one-line reason
    fix: str  # the rule's fix
    statement: str | None = None
    suppressed: str | None = None  # the reason given in the script's allow comment

    @property
    def location(self) -> str:
        """``path:line`` (or the path alone)."""
        return f"{self.path}:{self.line}" if self.line else self.path

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # every field, in order: each is JSON-ready


@dataclass(slots=True)
class LintReport:
    """Every finding of one lint run; suppressed ones are kept apart, with their reasons."""

    revisions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # database -> linted
    findings: list[LintFinding] = field(default_factory=list)
    suppressed: list[LintFinding] = field(default_factory=list)

    @property
    def errors(self) -> list[LintFinding]:
        """The error-level findings that no comment suppressed."""
        return [finding for finding in self.findings if finding.severity == "error"]

    @property
    def ok(self) -> bool:
        """True when no error-level finding is left (warnings do not fail a run)."""
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "revisions": {name: list(revs) for name, revs in self.revisions.items()},
            "findings": [finding.to_dict() for finding in self.findings],
            "suppressed": [finding.to_dict() for finding in self.suppressed],
        }
