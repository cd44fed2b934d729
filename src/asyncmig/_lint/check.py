"""Apply the rules to captured actions, in order, over one database's linted range.

State carried from statement to statement: the tables created earlier in the
range (a new table is nobody's "existing table"), whether a transaction is
open, which lock_timeout is in force (session-wide ``SET``, or ``SET LOCAL``
until the transaction ends), the CHECK (col IS NOT NULL) constraints added
and validated, and the enum values added in the open transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .facts import Fact, facts_from_sql, split_statements
from .opfacts import FROM_SQL_TOO, facts_from_op, is_own_op
from .report import LintFinding
from .rules import rule

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect

    from .capture import Action, StepCapture

__all__ = ("Checker",)

# Statements on an existing table that take PostgreSQL's ACCESS EXCLUSIVE lock.
_ACCESS_EXCLUSIVE = frozenset(
    {
        "add_column",
        "drop_column",
        "alter_type",
        "set_not_null",
        "rename_column",
        "rename_table",
        "drop_table",
        "alter_table",
        "add_check",
    }
)


@dataclass
class _Where:
    revision: str
    path: str
    line: int | None
    statement: str | None


@dataclass
class Checker:
    """The rules' state for one database; feed it every step of the range in order."""

    database: str
    family: str
    dialect: Dialect
    transactional: bool
    per_step: bool = True
    configured_timeout: bool = False  # ddl_lock_timeout set in the configuration
    created: set[str] = field(default_factory=set)
    in_transaction: bool = False
    session_timeout: bool = False
    local_timeout: bool = False
    pending_checks: dict[tuple[str, str], str] = field(default_factory=dict)
    proven_not_null: set[tuple[str, str]] = field(default_factory=set)
    new_values: dict[str, str] = field(default_factory=dict)  # value -> enum type
    _units: int = 0
    _lock_flagged: bool = False

    def step(self, capture: StepCapture) -> list[LintFinding]:
        """The findings of one revision's actions."""
        if self.per_step or self._units == 0:
            self._begin()
        self._units += 1
        self._lock_flagged = False
        findings: list[LintFinding] = []
        for action in capture.actions:
            findings.extend(self._action(capture, action))
        if capture.error is not None:
            where = _Where(capture.revision, capture.path, capture.error_line, None)
            findings.extend(self._flag("script-not-linted", where, capture.error))
        if self.per_step:
            self._commit()
        return findings

    # -- transactions -----------------------------------------------------------

    def _begin(self) -> None:
        self.in_transaction = self.transactional

    def _commit(self) -> None:
        self.in_transaction = False
        self.local_timeout = False
        self.new_values.clear()

    # -- facts --------------------------------------------------------------------

    def _facts(self, action: Action) -> Iterator[tuple[Fact, str | None]]:
        statements = [text for chunk in action.chunks for text in split_statements(chunk)]
        own = [op for op in action.ops if is_own_op(op)]
        first = statements[0] if statements else None
        for op in own:
            for fact in facts_from_op(op, self.dialect):
                yield fact, first
        for text in statements:
            for fact in facts_from_sql(text):
                if not own or fact.kind in FROM_SQL_TOO:
                    yield fact, text

    def _action(self, capture: StepCapture, action: Action) -> Iterator[LintFinding]:
        for fact, statement in self._facts(action):
            where = _Where(capture.revision, capture.path, action.line, statement)
            yield from self._uses_new_value(fact, where)
            yield from self._fact(fact, where)

    def _created(self, table: str) -> None:
        self.created.update((table, _bare(table)))

    def _existing(self, table: str | None) -> bool:
        return table is not None and table not in self.created

    def _fact(self, fact: Fact, where: _Where) -> Iterator[LintFinding]:  # one dispatch table
        kind, table, detail = fact.kind, fact.table, fact.detail
        existing = self._existing(table)
        if kind == "begin":
            self.in_transaction = True
        elif kind == "commit":
            self._commit()
        elif kind == "lock_timeout":
            if detail["local"]:
                self.local_timeout = self.in_transaction and not detail["off"]
            else:
                self.session_timeout = not detail["off"]
        elif kind == "create_table" and table is not None:
            self._created(table)
        elif kind == "rename_table" and table is not None:
            if not existing:
                self._created(str(detail["new"]))
            else:
                yield from self._flag(
                    "renaming-table", where, f"renames table {table} to {detail['new']}"
                )
        elif kind == "drop_table" and existing:
            yield from self._flag("dropping-table", where, f"drops table {table}")
        elif kind == "drop_column" and existing:
            yield from self._flag("dropping-column", where, f"drops column {table}.{fact.column}")
        elif kind == "rename_column" and existing:
            yield from self._flag(
                "renaming-column", where, f"renames column {table}.{fact.column} to {detail['new']}"
            )
        elif kind == "add_column" and existing:
            yield from self._add_column(fact, where)
        elif kind == "alter_type" and existing and not detail.get("safe"):
            yield from self._flag(
                "changing-column-type", where, f"changes the type of {table}.{fact.column}"
            )
        elif (
            kind == "set_not_null" and existing and (table, fact.column) not in self.proven_not_null
        ):
            yield from self._flag(
                "setting-not-null-without-check", where, f"sets {table}.{fact.column} NOT NULL"
            )
        elif kind in ("create_index", "drop_index", "concurrent_statement"):
            yield from self._index(fact, where, existing)
        elif kind == "add_fk" and existing and not detail["not_valid"]:
            yield from self._flag(
                "adding-foreign-key-without-not-valid", where, f"adds a foreign key to {table}"
            )
        elif kind == "add_check":
            yield from self._check(fact, where, existing)
        elif kind == "validate_constraint" and table is not None:
            column = self.pending_checks.pop((table, str(detail["name"])), None)
            if column is not None:
                self.proven_not_null.add((table, column))
        elif kind == "enum_add_value" and self.in_transaction:
            self.new_values[str(detail["value"])] = str(detail["type"])
        if existing and kind in _ACCESS_EXCLUSIVE:
            yield from self._lock(fact, where)

    def _add_column(self, fact: Fact, where: _Where) -> Iterator[LintFinding]:
        name = f"{fact.table}.{fact.column}"
        if fact.detail["not_null"] and not fact.detail["has_default"]:
            yield from self._flag(
                "adding-not-null-column", where, f"adds {name} NOT NULL without a default"
            )
        if fact.detail.get("volatile"):
            yield from self._flag(
                "adding-volatile-default",
                where,
                f"adds {name} with the volatile default {fact.detail['volatile']}",
            )

    def _index(self, fact: Fact, where: _Where, existing: bool) -> Iterator[LintFinding]:
        concurrently = fact.kind == "concurrent_statement" or fact.detail.get("concurrently")
        if concurrently and self.in_transaction:
            yield from self._flag(
                "concurrently-in-transaction", where, "runs CONCURRENTLY in a transaction"
            )
        if fact.kind == "create_index" and existing and not concurrently:
            yield from self._flag(
                "creating-index-non-concurrently",
                where,
                f"creates an index on {fact.table} without CONCURRENTLY",
            )
        if fact.kind == "drop_index" and not concurrently:
            yield from self._lock(fact, where)

    def _check(self, fact: Fact, where: _Where, existing: bool) -> Iterator[LintFinding]:
        table, name, column = fact.table, fact.detail.get("name"), fact.column
        if table is not None and column is not None:
            if fact.detail["not_valid"] and name:
                self.pending_checks[(table, str(name))] = column
            elif not fact.detail["not_valid"]:
                self.proven_not_null.add((table, column))
        if existing and not fact.detail["not_valid"]:
            yield from self._flag(
                "adding-check-without-not-valid", where, f"adds a CHECK constraint to {table}"
            )

    def _uses_new_value(self, fact: Fact, where: _Where) -> Iterator[LintFinding]:
        if not self.new_values or fact.kind == "enum_add_value" or where.statement is None:
            return
        for value, type_name in self.new_values.items():
            if re.search("'" + re.escape(value.replace("'", "''")) + "'", where.statement):
                yield from self._flag(
                    "enum-value-used-in-same-transaction",
                    where,
                    f"uses {value!r}, added to {type_name} in the same transaction",
                )
                return

    def _lock(self, fact: Fact, where: _Where) -> Iterator[LintFinding]:
        if self._lock_flagged or self.configured_timeout or self.session_timeout:
            return
        if self.local_timeout and self.in_transaction:
            return
        self._lock_flagged = True  # once per revision: the fix is one SET per step
        yield from self._flag(
            "missing-lock-timeout",
            where,
            f"takes an ACCESS EXCLUSIVE lock on {fact.table} with no lock_timeout set",
        )

    def _flag(self, rule_id: str, where: _Where, message: str) -> Iterator[LintFinding]:
        found = rule(rule_id)
        severity = found.severity(self.family)
        if severity is None:
            return
        yield LintFinding(
            rule=rule_id,
            severity=severity,
            database=self.database,
            revision=where.revision,
            path=where.path,
            line=where.line,
            message=message,
            reason=found.reason,
            fix=found.fix,
            statement=where.statement,
        )


def _bare(table: str) -> str:
    return table.rsplit(".", 1)[-1]
