"""Ratios against the targets, a plain-text table, and the JSON document."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from harness import Measurement

__all__ = ("Ratio", "ratios", "table")

# Targets from the issues: (bench, comparison, cache or None) -> highest acceptable ratio.
TARGETS: dict[tuple[str, str, str | None], float] = {
    ("heads", "alembic", "warm"): 0.1,
    ("heads", "alembic", "cold"): 0.33,
    ("upgrade", "alembic", None): 0.5,
    ("upgrade", "lowerbound", None): 1.5,
}

Ratio = dict[str, Any]


def _median(found: Measurement | None) -> float | None:
    # A case with some failed runs still has a median of its successful runs;
    # "complete" in the ratio record says whether every run succeeded.
    return None if found is None else found.median


def _target(key: dict[str, Any], versus: str) -> float | None:
    cache = key.get("cache")
    # The issue sets the heads targets for 10,000 revisions; smaller folders are
    # dominated by interpreter start-up and are reported without a target.
    heads_target = key.get("command") == "heads" and key.get("revisions") == 10_000
    targeted = key["bench"] == "upgrade" or heads_target
    if not targeted:
        return None
    return TARGETS.get((key["bench"], versus, cache if key["bench"] == "heads" else None))


def _ratio(
    key: dict[str, Any],
    versus: str,
    ours: Measurement | None,
    theirs: Measurement | None,
    *,
    who: str = "asyncmig",
) -> Ratio:
    mine, other = _median(ours), _median(theirs)
    value = None if mine is None or other is None or other == 0 else mine / other
    target = _target(key, versus) if who == "asyncmig" else None
    return {
        **key,
        "who": who,
        "versus": versus,
        "asyncmig": mine,
        "other": other,
        "ratio": None if value is None else round(value, 3),
        "target": target,
        "met": None if value is None or target is None else value <= target,
        "complete": bool(ours and ours.ok and theirs and theirs.ok),
    }


def _strip(key: dict[str, Any], *names: str) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((k, v) for k, v in key.items() if k not in names))


def ratios(measurements: Sequence[Measurement]) -> list[Ratio]:
    """asyncmig/alembic for every pair; for upgrade phases also asyncmig/lower bound.

    The lower bound is taken in the same transaction mode; with one transaction per
    migration the one-transaction bound is added as ``lowerbound-1tx`` (no target).
    The lower bound's own ratio to Alembic comes too (no target): where it exceeds
    0.5, the 0.5x-Alembic target is out of reach for anything that runs this SQL
    through this driver.
    """
    index = {_strip(m.key): m for m in measurements}
    found: list[Ratio] = []
    for m in measurements:
        if m.key.get("tool") == "lowerbound":
            base = {k: v for k, v in m.key.items() if k != "tool"}
            alembic = index.get(_strip({**m.key, "tool": "alembic"}))
            found.append(_ratio(base, "alembic", m, alembic, who="lowerbound"))
        if m.key.get("tool") != "asyncmig":
            continue
        base = {k: v for k, v in m.key.items() if k != "tool"}
        alembic = index.get(_strip({**m.key, "tool": "alembic"}))
        found.append(_ratio(base, "alembic", m, alembic))
        if m.key["bench"] == "upgrade":
            bound = index.get(_strip({**m.key, "tool": "lowerbound"}))
            found.append(_ratio(base, "lowerbound", m, bound))
            if m.key["per_migration"]:
                one = index.get(_strip({**m.key, "tool": "lowerbound", "per_migration": False}))
                found.append(_ratio(base, "lowerbound-1tx", m, one))
    return found


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:8.3f}"


def _columns(rows: Iterable[Sequence[str]], header: Sequence[str]) -> str:
    rows = [list(header), *[list(r) for r in rows]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def _describe(key: dict[str, Any]) -> str:
    if key["bench"] == "heads":
        return f"{key['command']} {key['shape']} {key['revisions']} {key['cache']}"
    mode = "tpm" if key["per_migration"] else "single"
    return f"{key['phase']} {key['backend']} {key['revisions']} {mode}"


def table(measurements: Sequence[Measurement], found: Sequence[Ratio]) -> str:
    """Both tables as text: the measurements, then the ratios with their targets."""
    rows = []
    for m in measurements:
        status = "ok" if m.ok else f"FAILED ({sum(not s.ok for s in m.samples)}/{len(m.samples)})"
        rows.append(
            [_describe(m.key), m.key["tool"], _seconds(m.median), _seconds(m.minimum), status]
        )
    first = _columns(rows, ["case", "tool", "median s", "min s", "status"])
    ratio_rows = []
    for r in found:
        value = "-" if r["ratio"] is None else f"{r['ratio']:.3f}"
        target = "" if r["target"] is None else f"<= {r['target']}"
        verdict = {True: "met", False: "MISSED", None: ""}[r["met"]]
        if r["ratio"] is not None and not r["complete"]:
            verdict += " (some runs failed)"
        who = r.get("who", "asyncmig")
        ratio_rows.append([_describe(r), f"{who}/{r['versus']}", value, target, verdict])
    second = _columns(ratio_rows, ["case", "ratio of medians", "value", "target", ""])
    return f"{first}\n\n{second}"
