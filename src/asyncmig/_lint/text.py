"""The lint report as text lines (the CLI prints them; nothing here prints)."""

from __future__ import annotations

from .report import LintFinding, LintReport

__all__ = ("finding_lines", "report_lines", "summary")


def finding_lines(finding: LintFinding, *, database: bool = False) -> list[str]:
    """``path:line: severity rule-id (revision) message``, then why and the fix, indented."""
    where = f"[{finding.database}] " if database else ""
    return [
        f"{where}{finding.location}: {finding.severity} {finding.rule} "
        f"({finding.revision}) {finding.message}",
        f"    why: {finding.reason}",
        f"    fix: {finding.fix}",
    ]


def summary(report: LintReport) -> str:
    """One line: how many revisions, errors, warnings and suppressed findings."""
    linted = sum(len(revs) for revs in report.revisions.values())
    errors = len(report.errors)
    warnings = len(report.findings) - errors
    parts = [f"{errors} error(s)", f"{warnings} warning(s)"]
    if report.suppressed:
        parts.append(f"{len(report.suppressed)} suppressed")
    return f"linted {linted} revision(s): {', '.join(parts)}"


def report_lines(report: LintReport) -> list[str]:
    """Every unsuppressed finding, then the summary line."""
    several = len(report.revisions) > 1
    lines: list[str] = []
    for finding in report.findings:
        lines.extend(finding_lines(finding, database=several))
    lines.append(summary(report))
    return lines
