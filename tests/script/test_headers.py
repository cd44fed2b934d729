"""Reading script headers without importing them, and the header cache."""

from __future__ import annotations

import ast
import marshal
import types
from pathlib import Path

import pytest

from asyncmig._script import headers
from asyncmig._script.headers import (
    CACHE_FORMAT,
    CACHE_NAME,
    Header,
    HeaderCache,
    parse_source,
)
from asyncmig.errors import ScriptError

CLASSIC = '''"""add account table

Revision ID: 1975ea83b712
Revises: 0a1b2c3d4e5f
Create Date: 2026-11-21 10:00:00.123456

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '1975ea83b712'
down_revision = '0a1b2c3d4e5f'
branch_labels = None
depends_on = None


def upgrade():
    revision = "not-this-one"
    op.create_table("account", sa.Column("id", sa.Integer, primary_key=True))
'''

ANNOTATED = '''"""merge the two branches

Revision ID: ccc333
Revises: aaa111, bbb222
Create Date: 2026-01-02 03:04:05

"""
from typing import Sequence, Union

from alembic import op

revision: str = "ccc333"
down_revision: Union[str, Sequence[str], None] = (
    "aaa111",  # the main line
    "bbb222",
)
branch_labels: str | Sequence[str] | None = ("feature",)
depends_on: Union[str, Sequence[str], None] = ["ddd444",
                                               "shared"]


def upgrade() -> None:
    pass
'''


@pytest.fixture
def no_ast_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any whole-file ast.parse, to prove the quick scan handled the file."""

    def refuse(*args: object, **kwargs: object) -> ast.Module:
        raise AssertionError("ast.parse was called")

    only_here = types.SimpleNamespace(**vars(ast))
    only_here.parse = refuse
    monkeypatch.setattr(headers, "ast", only_here)


@pytest.mark.usefixtures("no_ast_parse")
def test_classic_header_without_parsing_the_file() -> None:
    """Alembic's classic header is read by the quick scan; assignments in functions are ignored."""
    header = parse_source(CLASSIC, "x.py")
    assert header is not None
    assert header.revision == "1975ea83b712"
    assert header.down_revision == ("0a1b2c3d4e5f",)
    assert (header.branch_labels, header.depends_on) == ((), ())
    assert header.message == "add account table"
    assert header.create_date == "2026-11-21 10:00:00.123456"
    assert header.doc.startswith("add account table\n\nRevision ID: 1975ea83b712")


@pytest.mark.usefixtures("no_ast_parse")
def test_annotated_and_multiline_header_without_parsing_the_file() -> None:
    """Annotated assignments and literals spread over several lines are read by the quick scan."""
    header = parse_source(ANNOTATED, "x.py")
    assert header is not None
    assert header.revision == "ccc333"
    assert header.down_revision == ("aaa111", "bbb222")
    assert header.branch_labels == ("feature",)
    assert header.depends_on == ("ddd444", "shared")
    assert header.message == "merge the two branches"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('down_revision = "a1"', ("a1",)),
        ("down_revision = None  # a base", ()),
        ("down_revision = ('a1', 'b2')", ("a1", "b2")),
        ('down_revision: str | None = "a1"', ("a1",)),
        ("down_revision: Union[str, None] = None", ()),
        ('down_revision = ""', ()),
    ],
)
def test_down_revision_forms(line: str, expected: tuple[str, ...]) -> None:
    """Every way Alembic writes down_revision gives the same tuple of ids."""
    header = parse_source(f'revision = "r1"\n{line}\n', "x.py")
    assert header is not None
    assert header.down_revision == expected


def test_single_quoted_and_escaped_docstrings() -> None:
    """One-line docstrings and docstrings with escapes are decoded like Python does."""
    one = parse_source("'one line'\nrevision = 'r1'\ndown_revision = None\n", "x.py")
    assert one is not None
    assert one.doc == "one line"
    escaped = parse_source('"""tab\\there"""\nrevision = "r1"\ndown_revision = None\n', "x.py")
    assert escaped is not None
    assert escaped.message == "tab\there"


def test_windows_line_endings_and_bom() -> None:
    """CRLF files with a byte-order mark read the same as LF files."""
    text = "\ufeff" + ANNOTATED.replace("\n", "\r\n")
    header = parse_source(text, "x.py")
    assert header == parse_source(ANNOTATED, "x.py")


def test_no_docstring_gives_empty_message() -> None:
    """A script without a docstring has an empty message and no create date."""
    header = parse_source("import os\nrevision = 'r1'\ndown_revision = None\n", "x.py")
    assert header is not None
    assert (header.message, header.create_date) == ("", None)


def test_repeated_name_falls_back_to_python_semantics() -> None:
    """A second top-level `revision =` (here inside a string) is settled by parsing the file."""
    text = 'revision = "r1"\ndown_revision = None\nSQL = """\nrevision = "zzz"\n"""\n'
    header = parse_source(text, "x.py")
    assert header is not None
    assert header.revision == "r1"


def test_statements_on_one_line_fall_back_to_ast() -> None:
    """`revision = 'a'; down_revision = None` is not a literal line but is still read."""
    header = parse_source("revision = 'r1'; down_revision = 'r0'\n", "x.py")
    assert header is not None
    assert header.down_revision == ("r0",)


def test_computed_values_ask_for_an_import() -> None:
    """A header value that is not a literal makes parse_source return None."""
    text = "PARENT = 'r0'\nrevision = 'r1'\ndown_revision = PARENT\n"
    assert parse_source(text, "x.py") is None
    assert parse_source("from .common import *\n", "x.py") is None


def test_not_a_script_is_an_error_naming_the_file() -> None:
    """A .py file that assigns no revision is refused, as Alembic does."""
    with pytest.raises(ScriptError, match=r"helpers\.py: not a migration script"):
        parse_source("def helper():\n    return 1\n", "versions/helpers.py")


def test_legacy_hex_file_name_gives_the_revision() -> None:
    """Alembic's oldest layout, `<hex id>.py` without `revision =`, is still read."""
    header = parse_source("down_revision = None\n", "versions/1a2b3c.py")
    assert header is not None
    assert header.revision == "1a2b3c"


def test_missing_down_revision_is_an_error() -> None:
    """A script without down_revision is refused with advice."""
    with pytest.raises(ScriptError, match="down_revision = None"):
        parse_source("revision = 'r1'\n", "x.py")


def test_wrong_types_are_errors() -> None:
    """A non-string id in down_revision is refused, naming the file."""
    with pytest.raises(ScriptError, match=r"x\.py: down_revision must be"):
        parse_source("revision = 'r1'\ndown_revision = 5\n", "x.py")


def test_syntax_error_in_header_names_file_and_line() -> None:
    """A header the quick scan cannot read and Python cannot parse gives file and line."""
    with pytest.raises(ScriptError, match=r"x\.py:2: syntax error"):
        parse_source("revision = 'r1'\ndown_revision = (\n", "x.py")


def test_cache_round_trip(tmp_path: Path) -> None:
    """A stored header comes back only while mtime and size are unchanged."""
    header = Header.from_doc("r1", ("r0",), ("lbl",), ("dep",), "msg\n\nCreate Date: today")
    assert (header.message, header.create_date) == ("msg", "today")
    cache = HeaderCache(tmp_path, enabled=True)
    cache.store("a.py", 111, 22, header)
    cache.save()
    assert (tmp_path / "__pycache__" / CACHE_NAME).is_file()
    again = HeaderCache(tmp_path, enabled=True)
    assert again.lookup("a.py", 111, 22) == header
    assert again.lookup("a.py", 112, 22) is None
    assert again.lookup("a.py", 111, 23) is None


def test_cache_drops_vanished_files(tmp_path: Path) -> None:
    """Entries for files not seen in a scan are removed when the cache is saved."""
    cache = HeaderCache(tmp_path, enabled=True)
    cache.store("a.py", 1, 1, Header("a"))
    cache.store("b.py", 1, 1, Header("b"))
    cache.save()
    second = HeaderCache(tmp_path, enabled=True)
    assert second.lookup("a.py", 1, 1) is not None
    second.save()
    assert HeaderCache(tmp_path, enabled=True).lookup("b.py", 1, 1) is None


def test_cache_ignores_other_formats_and_garbage(tmp_path: Path) -> None:
    """A cache file of another format version, a bad entry, or garbage is ignored."""
    target = tmp_path / "__pycache__" / CACHE_NAME
    target.parent.mkdir()
    entry = (1, 1, tuple(Header("a")))
    target.write_bytes(marshal.dumps((CACHE_FORMAT + 1, {"a.py": entry})))
    assert HeaderCache(tmp_path, enabled=True).lookup("a.py", 1, 1) is None
    target.write_bytes(marshal.dumps((CACHE_FORMAT, {"a.py": (1, 1, ("a", "too few"))})))
    assert HeaderCache(tmp_path, enabled=True).lookup("a.py", 1, 1) is None
    target.write_bytes(b"{not marshal")
    assert HeaderCache(tmp_path, enabled=True).lookup("a.py", 1, 1) is None


def test_cache_disabled_by_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ASYNCMIG_HEADER_CACHE=0 neither writes nor reads the cache."""
    enabled = HeaderCache(tmp_path, enabled=True)
    enabled.store("a.py", 1, 1, Header("a"))
    enabled.save()
    monkeypatch.setenv("ASYNCMIG_HEADER_CACHE", "0")
    disabled = HeaderCache(tmp_path)
    assert disabled.lookup("a.py", 1, 1) is None
    disabled.store("b.py", 1, 1, Header("b"))
    disabled.save()
    monkeypatch.delenv("ASYNCMIG_HEADER_CACHE")
    assert HeaderCache(tmp_path).lookup("b.py", 1, 1) is None


def test_cache_write_failure_is_silent(tmp_path: Path) -> None:
    """When the cache folder cannot be created, saving does nothing and raises nothing."""
    (tmp_path / "__pycache__").write_text("a file where the folder should be")
    cache = HeaderCache(tmp_path, enabled=True)
    cache.store("a.py", 1, 1, Header("a"))
    cache.save()
    assert (tmp_path / "__pycache__").read_text().startswith("a file")
    assert list(tmp_path.iterdir()) == [tmp_path / "__pycache__"]
