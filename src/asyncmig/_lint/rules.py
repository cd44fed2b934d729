"""The lint rules: a stable id, a severity per dialect, a one-line reason and the fix.

Severity ``error`` means the statement, as written, can take the application
down or lose data on a table in use (a lock held for a time that grows with the
table, a rewrite, a refusal, a running reader broken); ``warning`` means it is
risky depending on circumstances the linter cannot see.  A dialect a rule does
not list is not checked by it (SQLite has one writer and no lock queue, so the
lock rules are PostgreSQL's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ("RULES", "Rule", "Severity", "dialect_family", "rule")

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Rule:
    """One rule: what it flags (`reason`), what to do instead (`fix`), how bad, where."""

    id: str
    reason: str
    fix: str
    severities: dict[str, Severity]  # dialect family -> severity; "*" for every dialect

    def severity(self, family: str) -> Severity | None:
        """The rule's severity on `family`, None where it does not apply."""
        return self.severities.get(family, self.severities.get("*"))


_PG = "postgresql"
_AUTOCOMMIT = "with op.get_context().autocommit_block():"

RULES: tuple[Rule, ...] = (
    Rule(
        "adding-not-null-column",
        "a NOT NULL column without a default cannot be added to a table that has rows "
        "(PostgreSQL and SQLite refuse; MySQL fills in an implicit default silently)",
        "add it nullable (or with a server_default), backfill it, then make it NOT NULL "
        "in a later revision",
        {"*": "error"},
    ),
    Rule(
        "adding-volatile-default",
        "a volatile default (random(), gen_random_uuid(), clock_timestamp(), nextval()/serial) "
        "makes ADD COLUMN rewrite the whole table under an ACCESS EXCLUSIVE lock, on every "
        "PostgreSQL version (before 11, any default did; now() and constants are fine on 11+)",
        "add the column without a default, then ALTER COLUMN ... SET DEFAULT (new rows only) "
        "and backfill existing rows in batches",
        {_PG: "error"},
    ),
    Rule(
        "changing-column-type",
        "changing a column's type rewrites the table (PostgreSQL: under an ACCESS EXCLUSIVE "
        "lock; MySQL: a table copy; SQLite: a recreate) and breaks readers of the old type",
        "add a column of the new type, write both, backfill, move readers, then drop the old "
        "one (widening a varchar, or varchar to text, is exempt on PostgreSQL)",
        {_PG: "error", "mysql": "error", "*": "warning"},
    ),
    Rule(
        "dropping-column",
        "dropping a column destroys its data, and a running application that still selects "
        "it fails",
        "deploy the application without the column first, then drop it in a later release "
        "(suppress with that reason)",
        {"*": "error"},
    ),
    Rule(
        "dropping-table",
        "dropping a table destroys its data, and a running application that still reads it fails",
        "deploy the application without the table first, then drop it in a later release "
        "(suppress with that reason)",
        {"*": "error"},
    ),
    Rule(
        "renaming-column",
        "a running application that still reads the old column name fails as soon as the "
        "rename commits",
        "add the new column, write both, backfill, move readers, then drop the old one",
        {"*": "error"},
    ),
    Rule(
        "renaming-table",
        "a running application that still reads the old table name fails as soon as the "
        "rename commits",
        "create the new table (or a view under the old name) and move readers before the old "
        "name goes",
        {"*": "error"},
    ),
    Rule(
        "creating-index-non-concurrently",
        "CREATE INDEX on an existing PostgreSQL table blocks every write to it until the "
        "index is built",
        f"create it with postgresql_concurrently=True inside `{_AUTOCOMMIT}`",
        {_PG: "error"},
    ),
    Rule(
        "concurrently-in-transaction",
        "CREATE/DROP INDEX CONCURRENTLY and REINDEX CONCURRENTLY cannot run inside a "
        "transaction block: PostgreSQL refuses them and the step fails",
        f"run the statement inside `{_AUTOCOMMIT}`",
        {_PG: "error"},
    ),
    Rule(
        "adding-foreign-key-without-not-valid",
        "adding a foreign key to an existing PostgreSQL table checks every row while it "
        "blocks writes to both tables",
        "add it NOT VALID (postgresql_not_valid=True, or op.execute), then VALIDATE "
        "CONSTRAINT in a later step, which lets writes go on",
        {_PG: "error"},
    ),
    Rule(
        "adding-check-without-not-valid",
        "adding a CHECK constraint to an existing PostgreSQL table checks every row under an "
        "ACCESS EXCLUSIVE lock",
        "add it NOT VALID (postgresql_not_valid=True, or op.execute), then VALIDATE "
        "CONSTRAINT in a later step, which lets reads and writes go on",
        {_PG: "error"},
    ),
    Rule(
        "setting-not-null-without-check",
        "SET NOT NULL scans the whole PostgreSQL table under an ACCESS EXCLUSIVE lock unless "
        "a validated CHECK (col IS NOT NULL) already proves it (PostgreSQL 12+)",
        "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it, then SET NOT NULL "
        "(and drop the CHECK)",
        {_PG: "error"},
    ),
    Rule(
        "enum-value-used-in-same-transaction",
        "a value added by ALTER TYPE ... ADD VALUE cannot be used before its transaction "
        "commits (PostgreSQL 12+: 'unsafe use of new value'; before 12 ADD VALUE cannot run "
        "in a transaction at all)",
        f"add the value inside `{_AUTOCOMMIT}`, or use it in a later revision",
        {_PG: "error"},
    ),
    Rule(
        "missing-lock-timeout",
        "DDL that takes an ACCESS EXCLUSIVE lock queues behind any long transaction and every "
        "query on the table queues behind it: without a lock_timeout that is an outage",
        "start the step with op.execute(\"SET LOCAL lock_timeout = '5s'\"), or set "
        "ddl_lock_timeout in the configuration",
        {_PG: "warning"},
    ),
    Rule(
        "invalid-suppression",
        "a suppression comment must name known rules and give a reason after ' -- '",
        "write `# asyncmig: allow <rule-id> -- <why it is safe here>`",
        {"*": "error"},
    ),
    Rule(
        "script-not-linted",
        "the script failed when run offline (as --sql does), so the linter saw only what it "
        "did before the failure",
        "guard online-only code with `if not context.is_offline_mode():`",
        {"*": "warning"},
    ),
)

_BY_ID = {item.id: item for item in RULES}


def rule(rule_id: str) -> Rule:
    """The rule with this id."""
    return _BY_ID[rule_id]


def dialect_family(name: str) -> str:
    """The family rules are keyed by: ``mariadb`` is ``mysql``."""
    return "mysql" if name in ("mysql", "mariadb") else name
