"""What a statement does, as far as the rules care: facts read from rendered SQL.

A :class:`Fact` is one schema change ("add column x to t, NOT NULL, no
default") or one session event (``SET lock_timeout``, ``COMMIT``).  The rules
never read SQL themselves; they read facts, which come from the operation
objects (:mod:`.opfacts`) where the op layer produced the statement, and from
the SQL text here otherwise (``op.execute`` strings, DDL run on ``op.get_bind()``).
Parsing is deliberately shallow: the leading keywords of one statement, split
into the ``ALTER TABLE`` actions at top-level commas.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ("Fact", "VOLATILE_FUNCTIONS", "facts_from_sql", "normalise_name", "volatile_call")


@dataclass(frozen=True)
class Fact:
    """One thing a statement does, named by `kind`; `table` is normalised (``schema.name``)."""

    kind: str
    table: str | None = None
    column: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


# PostgreSQL functions whose value differs per row: as a column default they make
# ADD COLUMN rewrite the table even on 11+ (now()/CURRENT_TIMESTAMP are STABLE: no rewrite).
VOLATILE_FUNCTIONS = (
    "random",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "txid_current",
)
_VOLATILE = re.compile(r"\b(" + "|".join(VOLATILE_FUNCTIONS) + r")\s*\(", re.IGNORECASE)
_SERIAL = re.compile(r"\b(small|big)?serial\b", re.IGNORECASE)

_IDENT = r'(?:"(?:[^"]|"")+"|`[^`]+`|\[[^\]]+\]|[\w$]+)'
_NAME = rf"{_IDENT}(?:\s*\.\s*{_IDENT})?"
_FLAGS = re.IGNORECASE | re.DOTALL


def volatile_call(text: str) -> str | None:
    """The volatile function (or serial type) `text` calls, if any."""
    found = _VOLATILE.search(text)
    if found:
        return found.group(1).lower() + "()"
    serial = _SERIAL.search(text)
    return serial.group(0).lower() if serial else None


def normalise_name(name: str, schema: str | None = None) -> str:
    """``"Schema"."Table"`` -> ``schema.table``: quotes dropped, case folded, for matching."""
    parts = [_unquote(part) for part in re.findall(_IDENT, name)]
    if schema and len(parts) == 1:
        parts.insert(0, _unquote(schema))
    return ".".join(part.lower() for part in parts)


def _unquote(part: str) -> str:
    if part[:1] in '"`[' and len(part) > 1:
        return part[1:-1].replace('""', '"')
    return part


def strip_comments(sql: str) -> str:
    """`sql` without ``--`` and ``/* */`` comments, whitespace collapsed (strings kept)."""
    out: list[str] = []
    index, size = 0, len(sql)
    while index < size:
        char = sql[index]
        if char == "'":
            end = index + 1
            while end < size:
                if sql[end] == "'" and sql[end + 1 : end + 2] == "'":
                    end += 2
                    continue
                if sql[end] == "'":
                    break
                end += 1
            out.append(sql[index : end + 1])
            index = end + 1
        elif sql.startswith("--", index):
            newline = sql.find("\n", index)
            index = size if newline < 0 else newline
        elif sql.startswith("/*", index):
            close = sql.find("*/", index + 2)
            index = size if close < 0 else close + 2
        else:
            out.append(char)
            index += 1
    return " ".join("".join(out).split()).rstrip(";").strip()


def _split_top_level(text: str, separator: str) -> list[str]:
    """`text` cut at each `separator` outside quotes and parentheses (pieces unstripped)."""
    parts: list[str] = []
    depth, start, quote = 0, 0, ""
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == separator and depth <= 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def split_statements(sql: str) -> list[str]:
    """Statements of one chunk of SQL, split at semicolons outside quotes and parentheses."""
    return [text for part in _split_top_level(sql, ";") if (text := strip_comments(part))]


def _split_nested(text: str) -> list[str]:
    return [part for part in (p.strip() for p in _split_top_level(text, ",")) if part]


_CREATE_TABLE = re.compile(
    rf"^CREATE\s+(?:(?:GLOBAL\s+|LOCAL\s+)?(?:TEMP|TEMPORARY|UNLOGGED)\s+)?TABLE\s+"
    rf"(?:IF\s+NOT\s+EXISTS\s+)?({_NAME})",
    _FLAGS,
)
_ALTER_TABLE = re.compile(
    rf"^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?({_NAME})\s*\*?\s+(.*)$", _FLAGS
)
_RENAME_TABLE_MYSQL = re.compile(rf"^RENAME\s+TABLE\s+({_NAME})\s+TO\s+({_NAME})", _FLAGS)
_DROP_TABLE = re.compile(
    r"^DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(.*?)(?:\s+(?:CASCADE|RESTRICT))?$", _FLAGS
)
_CREATE_INDEX = re.compile(
    rf"^CREATE\s+(?:UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"
    rf"(?:{_NAME}\s+)?ON\s+(?:ONLY\s+)?({_NAME})",
    _FLAGS,
)
_DROP_INDEX = re.compile(r"^DROP\s+INDEX\s+(CONCURRENTLY\s+)?", _FLAGS)
_REINDEX = re.compile(r"^REINDEX\b.*?\bCONCURRENTLY\b", _FLAGS)
_ADD_VALUE = re.compile(
    rf"^ALTER\s+TYPE\s+({_NAME})\s+ADD\s+VALUE\s+(?:IF\s+NOT\s+EXISTS\s+)?'((?:[^']|'')*)'",
    _FLAGS,
)
_SET_LOCK_TIMEOUT = re.compile(
    r"^SET\s+(LOCAL\s+|SESSION\s+)?lock_timeout\s*(?:=|TO)\s*(.+)$", _FLAGS
)
_SET_CONFIG_LOCK_TIMEOUT = re.compile(
    r"^SELECT\s+set_config\s*\(\s*'lock_timeout'\s*,\s*'([^']*)'\s*,\s*(\w+)\s*\)", _FLAGS
)
_BEGIN = re.compile(r"^(BEGIN|START\s+TRANSACTION)\b", _FLAGS)
_COMMIT = re.compile(r"^(COMMIT|END|ROLLBACK)\b(?!\s+PREPARED)", _FLAGS)

_ADD_COLUMN = re.compile(
    rf"^ADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?({_IDENT})\s+(.*)$", _FLAGS
)
_ADD_CONSTRAINT = re.compile(
    rf"^ADD\s+(?:CONSTRAINT\s+({_IDENT})\s+)?(FOREIGN\s+KEY|CHECK|UNIQUE|PRIMARY\s+KEY|EXCLUDE)\b(.*)$",
    _FLAGS,
)
_VALIDATE = re.compile(rf"^VALIDATE\s+CONSTRAINT\s+({_IDENT})", _FLAGS)
_DROP_COLUMN = re.compile(rf"^DROP\s+(?:COLUMN\s+)?(?:IF\s+EXISTS\s+)?({_IDENT})(?:\s|$)", _FLAGS)
_DROP_OTHER = re.compile(r"^DROP\s+(CONSTRAINT|INDEX|KEY|PRIMARY|FOREIGN|CHECK|DEFAULT)\b", _FLAGS)
_RENAME_COLUMN = re.compile(rf"^RENAME\s+(?:COLUMN\s+)?({_IDENT})\s+TO\s+({_IDENT})", _FLAGS)
_RENAME_TO = re.compile(rf"^RENAME\s+(?:TO|AS)\s+({_NAME})", _FLAGS)
_ALTER_COLUMN = re.compile(rf"^ALTER\s+(?:COLUMN\s+)?({_IDENT})\s+(.*)$", _FLAGS)
_MODIFY = re.compile(rf"^MODIFY\s+(?:COLUMN\s+)?({_IDENT})\s+(.*)$", _FLAGS)
_CHANGE = re.compile(rf"^CHANGE\s+(?:COLUMN\s+)?({_IDENT})\s+({_IDENT})\s+(.*)$", _FLAGS)
_NOT_NULL_CHECK = re.compile(rf"^\(*\s*({_IDENT})\s+IS\s+NOT\s+NULL\s*\)*$", _FLAGS)
_ZERO = re.compile(r"^'?\s*(0+\s*(ms|s|min)?|default)\s*'?$", re.IGNORECASE)


def _column(name: str) -> str:
    return _unquote(name).lower()


def facts_from_sql(sql: str) -> Iterator[Fact]:
    """The facts of every statement in `sql`."""
    for statement in split_statements(sql):
        yield from _statement_facts(statement)


def _statement_facts(text: str) -> Iterator[Fact]:  # one dispatch table
    if _BEGIN.match(text):
        yield Fact("begin")
        return
    if _COMMIT.match(text):
        yield Fact("commit")
        return
    if found := _SET_LOCK_TIMEOUT.match(text):
        local = (found.group(1) or "").strip().upper() == "LOCAL"
        yield Fact(
            "lock_timeout", detail={"local": local, "off": bool(_ZERO.match(found.group(2)))}
        )
        return
    if found := _SET_CONFIG_LOCK_TIMEOUT.match(text):
        local = found.group(2).lower() == "true"
        yield Fact(
            "lock_timeout", detail={"local": local, "off": bool(_ZERO.match(found.group(1)))}
        )
        return
    if found := _CREATE_TABLE.match(text):
        yield Fact("create_table", normalise_name(found.group(1)))
        return
    if found := _CREATE_INDEX.match(text):
        yield Fact(
            "create_index",
            normalise_name(found.group(2)),
            detail={"concurrently": bool(found.group(1)), "statement": text},
        )
        return
    if found := _DROP_INDEX.match(text):
        yield Fact("drop_index", detail={"concurrently": bool(found.group(1)), "statement": text})
        return
    if _REINDEX.match(text):
        yield Fact("concurrent_statement", detail={"statement": text})
        return
    if found := _ADD_VALUE.match(text):
        value = found.group(2).replace("''", "'")
        yield Fact(
            "enum_add_value", detail={"type": normalise_name(found.group(1)), "value": value}
        )
        return
    if found := _DROP_TABLE.match(text):
        for name in _split_nested(found.group(1)):
            yield Fact("drop_table", normalise_name(name))
        return
    if found := _RENAME_TABLE_MYSQL.match(text):
        yield Fact("rename_table", normalise_name(found.group(1)), detail={"new": found.group(2)})
        return
    if found := _ALTER_TABLE.match(text):
        table = normalise_name(found.group(1))
        for action in _split_nested(found.group(2)):
            yield from _action_facts(table, action)
        return
    yield Fact("other", detail={"statement": text})


def _action_facts(table: str, action: str) -> Iterator[Fact]:  # one dispatch table
    if found := _ADD_CONSTRAINT.match(action):
        kind = " ".join(found.group(2).upper().split())
        name = _column(found.group(1)) if found.group(1) else None
        not_valid = bool(re.search(r"\bNOT\s+VALID\b", action, re.IGNORECASE))
        if kind == "FOREIGN KEY":
            yield Fact("add_fk", table, detail={"name": name, "not_valid": not_valid})
        elif kind == "CHECK":
            body = found.group(3).strip()
            body = re.sub(r"\s+NOT\s+VALID\s*$", "", body, flags=re.IGNORECASE)
            nn = _NOT_NULL_CHECK.match(body)
            yield Fact(
                "add_check",
                table,
                _column(nn.group(1)) if nn else None,
                detail={"name": name, "not_valid": not_valid},
            )
        else:
            yield Fact("alter_table", table, detail={"action": action})
        return
    if found := _VALIDATE.match(action):
        yield Fact("validate_constraint", table, detail={"name": _column(found.group(1))})
        return
    if found := _ADD_COLUMN.match(action):
        rest = found.group(2)
        default = re.search(r"\bDEFAULT\b(.*)$", rest, _FLAGS)
        generated = bool(re.search(r"\b(GENERATED|AUTO_INCREMENT|IDENTITY)\b", rest, re.IGNORECASE))
        yield Fact(
            "add_column",
            table,
            _column(found.group(1)),
            detail={
                "not_null": bool(re.search(r"\bNOT\s+NULL\b", rest, re.IGNORECASE)),
                "has_default": default is not None or generated or bool(_SERIAL.search(rest)),
                "volatile": volatile_call(default.group(1)) if default else volatile_call(rest),
            },
        )
        return
    if _DROP_OTHER.match(action):
        yield Fact("alter_table", table, detail={"action": action})
        return
    if found := _DROP_COLUMN.match(action):
        yield Fact("drop_column", table, _column(found.group(1)))
        return
    if found := _RENAME_TO.match(action):
        yield Fact("rename_table", table, detail={"new": normalise_name(found.group(1))})
        return
    if found := _RENAME_COLUMN.match(action):
        yield Fact(
            "rename_column", table, _column(found.group(1)), {"new": _column(found.group(2))}
        )
        return
    if found := _ALTER_COLUMN.match(action):
        yield from _alter_column(table, _column(found.group(1)), found.group(2))
        return
    if found := _MODIFY.match(action):
        yield Fact("alter_type", table, _column(found.group(1)), {"safe": False})
        return
    if found := _CHANGE.match(action):
        old, new = _column(found.group(1)), _column(found.group(2))
        if old != new:
            yield Fact("rename_column", table, old, {"new": new})
        yield Fact("alter_type", table, old, {"safe": False})
        return
    yield Fact("alter_table", table, detail={"action": action})


def _alter_column(table: str, column: str, rest: str) -> Iterator[Fact]:
    if re.match(r"^(SET\s+DATA\s+)?TYPE\b", rest, re.IGNORECASE):
        yield Fact("alter_type", table, column, {"safe": False})
    elif re.match(r"^SET\s+NOT\s+NULL\b", rest, re.IGNORECASE):
        yield Fact("set_not_null", table, column)
    else:
        yield Fact("alter_table", table, column, {"action": rest})
