"""Database URL text: mask passwords, upgrade sync drivers to async ones.

Pure string handling on purpose: SQLAlchemy's ``make_url`` would make every
command pay for importing SQLAlchemy, and commands such as ``heads`` need no
database at all.  The parsing follows SQLAlchemy's URL grammar
(``dialect+driver://user:password@host:port/database?query``).
"""

from __future__ import annotations

import re

__all__ = ("mask_text", "mask_url", "mask_url_strictly", "to_async_url")

MASK = "***"

_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][\w.+-]*)://(?P<rest>.*)$", re.DOTALL)
_QUERY_SECRET = re.compile(r"(?P<key>[?&](?:password|passwd|pwd)=)(?P<value>[^&#]*)", re.I)
# A URL embedded in free text ends at whitespace or a quote character.
_EMBEDDED = re.compile(r"[A-Za-z][\w.+-]*://[^\s'\"<>]+")

# dialect -> (async scheme, the sync drivers that upgrade to it); None is "no driver given".
_SYNC_TO_ASYNC: dict[str, tuple[str, frozenset[str | None]]] = {
    "postgresql": (
        "postgresql+asyncpg",
        frozenset({None, "psycopg2", "psycopg2cffi", "pg8000"}),
    ),
    "postgres": (
        "postgresql+asyncpg",
        frozenset({None, "psycopg2", "psycopg2cffi", "pg8000", "asyncpg"}),
    ),
    "sqlite": ("sqlite+aiosqlite", frozenset({None, "pysqlite"})),
    "mysql": (
        "mysql+aiomysql",
        frozenset({None, "pymysql", "mysqldb", "mysqlconnector", "cymysql", "mariadbconnector"}),
    ),
    # SQLAlchemy accepts mariadb+aiomysql, which keeps MariaDB's dialect flags on.
    "mariadb": (
        "mariadb+aiomysql",
        frozenset({None, "pymysql", "mysqldb", "mysqlconnector", "cymysql", "mariadbconnector"}),
    ),
    "oracle": ("oracle+oracledb_async", frozenset({None, "cx_oracle", "oracledb"})),
    "mssql": ("mssql+aioodbc", frozenset({None, "pyodbc"})),
}


def _split_userinfo(rest: str) -> tuple[str, str, str] | None:
    """``(user, password, after)`` when the authority carries a password, else None."""
    authority_end = len(rest)
    for stop in ("?", "#"):
        index = rest.find(stop)
        if index != -1:
            authority_end = min(authority_end, index)
    at = rest.rfind("@", 0, authority_end)
    if at == -1:
        return None
    colon = rest.find(":", 0, at)
    if colon == -1 or "/" in rest[:colon]:
        return None
    # Everything up to the last "@" counts as the password: an unescaped "@" in a
    # password must not leave its tail visible.
    return rest[:colon], rest[colon + 1 : at], rest[at:]


def mask_url(url: str) -> str:
    """A URL with any password replaced by ``***``.

    Both the ``user:password@`` part and ``password=`` query parameters are
    masked.  Text that is not a URL comes back unchanged.
    """
    match = _SCHEME.match(url)
    if match is None:
        return url
    rest = match["rest"]
    parts = _split_userinfo(rest)
    if parts is not None:
        user, password, after = parts
        rest = f"{user}:{MASK}{after}" if password else rest
    rest = _QUERY_SECRET.sub(lambda m: m["key"] + (MASK if m["value"] else ""), rest)
    return f"{match['scheme']}://{rest}"


def mask_url_strictly(url: str) -> str:
    """:func:`mask_url`, and for text that is not a URL, everything up to its last ``@`` masked.

    A configured URL that lost its scheme (``user:password@host``) is still a secret.
    """
    if _SCHEME.match(url) is None and "@" in url:
        return f"{MASK}@{url.rsplit('@', 1)[1]}"
    return mask_url(url)


def mask_text(text: str) -> str:
    """Free text with the password of every URL in it masked."""
    if _SCHEME.match(text) and not any(ch.isspace() for ch in text):
        return mask_url(text)
    return _EMBEDDED.sub(lambda m: mask_url(m.group(0)), text)


def to_async_url(url: str) -> str:
    """Upgrade a sync driver URL to its async driver (``postgresql://`` -> ``+asyncpg``).

    ``postgresql``/``postgres`` go to asyncpg, ``sqlite`` to aiosqlite,
    ``mysql``/``mariadb`` to aiomysql, ``oracle`` to oracledb's async mode and
    ``mssql+pyodbc`` to aioodbc.  Async drivers (asyncpg, aiosqlite,
    psycopg, asyncmy, aiomysql, ...) and unknown dialects are left alone.
    """
    match = _SCHEME.match(url)
    if match is None:
        return url
    dialect, _, driver = match["scheme"].partition("+")
    rule = _SYNC_TO_ASYNC.get(dialect.lower())
    if rule is None:
        return url
    target, sync_drivers = rule
    if (driver.lower() or None) not in sync_drivers:
        if dialect.lower() == "postgres":
            # SQLAlchemy dropped the "postgres" alias; keep the driver, fix the name.
            return f"postgresql+{driver}://{match['rest']}"
        return url
    return f"{target}://{match['rest']}"
