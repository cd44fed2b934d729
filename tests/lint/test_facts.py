"""Reading facts from SQL text (op.execute strings): no database, no event loop."""

from __future__ import annotations

from asyncmig._lint.facts import facts_from_sql, normalise_name


def _kinds(sql: str) -> list[tuple[str, str | None, str | None]]:
    return [(f.kind, f.table, f.column) for f in facts_from_sql(sql)]


def test_alter_table_actions_split_at_top_level_commas() -> None:
    """One ALTER TABLE with several actions gives one fact per action (parentheses respected)."""
    sql = 'ALTER TABLE "Public"."Acct" ADD COLUMN a numeric(10, 2) NOT NULL, DROP COLUMN b'
    assert _kinds(sql) == [("add_column", "public.acct", "a"), ("drop_column", "public.acct", "b")]


def test_comments_and_several_statements() -> None:
    """Comments are ignored and a string of several statements gives each one's facts."""
    sql = "-- cleanup\nDROP TABLE a, b; /* note */ ALTER TABLE c RENAME TO d;"
    assert _kinds(sql) == [
        ("drop_table", "a", None),
        ("drop_table", "b", None),
        ("rename_table", "c", None),
    ]


def test_not_valid_and_not_null_check() -> None:
    """A CHECK (col IS NOT NULL) NOT VALID is recognised with its column and flag."""
    (fact,) = facts_from_sql("ALTER TABLE t ADD CONSTRAINT nn CHECK (email IS NOT NULL) NOT VALID")
    assert (fact.kind, fact.column, fact.detail["not_valid"], fact.detail["name"]) == (
        "add_check",
        "email",
        True,
        "nn",
    )


def test_drop_not_null_is_not_a_dropped_column() -> None:
    """ALTER COLUMN ... DROP NOT NULL and DROP CONSTRAINT are not column drops."""
    kinds = _kinds("ALTER TABLE t ALTER COLUMN c DROP NOT NULL, DROP CONSTRAINT ck")
    assert [k for k, _, _ in kinds] == ["alter_table", "alter_table"]


def test_lock_timeout_forms() -> None:
    """SET, SET LOCAL and set_config() of lock_timeout; zero means off."""
    facts = list(
        facts_from_sql(
            "SET lock_timeout = '2s'; SET LOCAL lock_timeout TO 0; "
            "SELECT set_config('lock_timeout', '4s', true)"
        )
    )
    assert [(f.detail["local"], f.detail["off"]) for f in facts] == [
        (False, False),
        (True, True),
        (True, False),
    ]


def test_names_are_normalised() -> None:
    """Quotes are dropped and case folded; a schema is prefixed when given apart."""
    assert normalise_name('"My"."T"') == "my.t"
    assert normalise_name("t", "s") == "s.t"
    assert normalise_name("`t`") == "t"
