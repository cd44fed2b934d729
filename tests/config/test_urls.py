"""URL text: sync drivers upgraded to async ones, and passwords masked."""

from __future__ import annotations

import pytest

from asyncmig._config import mask_url, to_async_url
from asyncmig._urls import mask_text


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
        ("postgresql+psycopg2://u@h:5432/db", "postgresql+asyncpg://u@h:5432/db"),
        ("postgresql+pg8000://h/db", "postgresql+asyncpg://h/db"),
        ("postgres://u:p@h/db?sslmode=require", "postgresql+asyncpg://u:p@h/db?sslmode=require"),
        ("sqlite://", "sqlite+aiosqlite://"),
        ("sqlite:///rel/app.db", "sqlite+aiosqlite:///rel/app.db"),
        ("sqlite+pysqlite:////abs/app.db", "sqlite+aiosqlite:////abs/app.db"),
        ("mysql://u:p@h/db", "mysql+aiomysql://u:p@h/db"),
        ("mysql+pymysql://u@h/db?charset=utf8mb4", "mysql+aiomysql://u@h/db?charset=utf8mb4"),
        ("mysql+mysqldb://u@h/db", "mysql+aiomysql://u@h/db"),
        ("mariadb://u@h/db", "mariadb+aiomysql://u@h/db"),
        ("mariadb+pymysql://u@h/db", "mariadb+aiomysql://u@h/db"),
        ("oracle+oracledb://u@h/db", "oracle+oracledb_async://u@h/db"),
        ("mssql+pyodbc://u@dsn", "mssql+aioodbc://u@dsn"),
    ],
)
def test_sync_urls_are_upgraded(given: str, expected: str) -> None:
    """Each sync driver family maps to its async driver; the rest of the URL is kept."""
    assert to_async_url(given) == expected


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://u:p@h/db",
        "postgresql+psycopg://u@h/db",
        "postgresql+psycopg_async://u@h/db",
        "sqlite+aiosqlite:///x.db",
        "mysql+aiomysql://u@h/db",
        "mysql+asyncmy://u@h/db",
        "mariadb+asyncmy://u@h/db",
        "mssql+pymssql://u@h/db",
        "cockroachdb://u@h/db",
        "not a url",
    ],
)
def test_async_and_unknown_urls_are_left_alone(url: str) -> None:
    """Async drivers, unknown dialects and non-URLs come back unchanged."""
    assert to_async_url(url) == url


def test_postgres_alias_keeps_an_async_driver() -> None:
    """postgres+psycopg is renamed to the postgresql dialect with its driver kept."""
    assert to_async_url("postgres+psycopg://h/db") == "postgresql+psycopg://h/db"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql+asyncpg://u:s3cret@h/db", "postgresql+asyncpg://u:***@h/db"),
        ("postgresql://u:p%40ss@h:5432/db", "postgresql://u:***@h:5432/db"),
        ("mysql://u:p@ss/w:rd@h/db", "mysql://u:***@h/db"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        ("postgresql://u:@h/db", "postgresql://u:@h/db"),
        ("sqlite+aiosqlite:///a/b@c.db", "sqlite+aiosqlite:///a/b@c.db"),
        ("postgresql://h/db?user=u&password=pw&x=1", "postgresql://h/db?user=u&password=***&x=1"),
        ("not a url with pw", "not a url with pw"),
    ],
)
def test_mask_url(given: str, expected: str) -> None:
    """Passwords in userinfo and in password= query parameters become ***."""
    assert mask_url(given) == expected


def test_mask_text_masks_urls_inside_sentences() -> None:
    """Every URL embedded in free text is masked, the rest kept."""
    text = "a postgresql://u:pw1@h/db and 'mysql://v:pw2@h/db' end"
    assert mask_text(text) == "a postgresql://u:***@h/db and 'mysql://v:***@h/db' end"
