"""Writing new scripts: ids, parents, file names, create dates, rendering and hooks."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path
from typing import Any

import pytest

from asyncmig._config import Config, DatabaseConfig, PostWriteHook
from asyncmig._script.directory import ScriptDirectory
from asyncmig._script.writer import create_date, format_as_comma, script_filename, slugify
from asyncmig.errors import (
    CommandError,
    ConfigError,
    MultipleHeads,
    ScriptError,
    UnknownRevision,
)

TEMPLATE = '''"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

"""
from alembic import op
${imports if imports else ""}
# databases: ${", ".join(databases)}
# extra: ${context.get("extra", "-")}

revision: str = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
'''

SHIPPED = Path(__file__).resolve().parents[2] / "templates" / "generic" / "script.py.mako"


def make_config(root: Path, **overrides: Any) -> Config:
    """A configuration with `root/migrations` holding the test template."""
    location = root / "migrations"
    (location / "versions").mkdir(parents=True, exist_ok=True)
    (location / "script.py.mako").write_text(TEMPLATE)
    values: dict[str, Any] = {
        "path": None,
        "here": root,
        "script_location": location,
        "version_locations": (location / "versions",),
        "databases": {
            "main": DatabaseConfig("main", "sqlite+aiosqlite://"),
            "audit": DatabaseConfig("audit", "sqlite+aiosqlite://"),
        },
    }
    values.update(overrides)
    return Config(**values)


@pytest.fixture
def directory(tmp_path: Path) -> ScriptDirectory:
    """An empty script directory with the test template."""
    return ScriptDirectory(make_config(tmp_path))


def test_slug_like_alembic() -> None:
    """Words are lowercased and joined by _, punctuation dropped, long slugs cut at a word."""
    assert slugify("Add user's E-mail!", 40) == "add_user_s_e_mail"
    assert slugify(None, 40) == ""
    assert slugify("create the account table now", 20) == "create_the_account_"


def test_file_name_tokens() -> None:
    """Every file_template token is filled in from the id, slug and create date."""
    when = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    template = (
        "%(year)d/%(month).2d/%(day).2d_%(hour).2d%(minute).2d%(second).2d"
        "_%(epoch)s_%(rev)s_%(slug)s"
    )
    config = Config(
        path=None,
        here=Path("/"),
        script_location=Path("/m"),
        version_locations=(Path("/m/versions"),),
        databases={},
        file_template=template,
        recursive_version_locations=True,
    )
    name = script_filename(config, "abc", "Hello world", when)
    assert name == f"2026/03/04_050607_{int(when.timestamp())}_abc_hello_world.py"


def test_subfolder_template_needs_recursive_scan(tmp_path: Path) -> None:
    """A file_template with '/' is refused unless recursive_version_locations is on."""
    config = make_config(tmp_path, file_template="%(year)d/%(rev)s")
    with pytest.raises(ConfigError, match=r"file_template.*recursive_version_locations"):
        script_filename(config, "abc", None, dt.datetime(2026, 1, 1))


def test_unknown_file_template_token(tmp_path: Path) -> None:
    """An unknown token in file_template is a ConfigError naming the key and the tokens."""
    config = make_config(tmp_path, file_template="%(rev)s_%(nope)s")
    with pytest.raises(ConfigError, match=r"key 'file_template'.*%\(nope\)s"):
        script_filename(config, "abc", None, dt.datetime(2026, 1, 1))


def test_create_date_time_zones(tmp_path: Path) -> None:
    """No timezone: naive local time; a zone (any case): aware; unknown: ConfigError."""
    assert create_date(make_config(tmp_path)).tzinfo is None
    aware = create_date(make_config(tmp_path, timezone="utc"))
    assert aware.utcoffset() == dt.timedelta(0)
    paris = create_date(make_config(tmp_path, timezone="Europe/Paris"))
    assert str(paris.tzinfo) == "Europe/Paris"
    with pytest.raises(ConfigError, match=r"key 'timezone'.*Mars/Olympus"):
        create_date(make_config(tmp_path, timezone="Mars/Olympus"))


def test_comma_filter() -> None:
    """The `comma` template filter renders None, one id and several ids."""
    assert format_as_comma(None) == ""
    assert format_as_comma("a") == "a"
    assert format_as_comma(("a", "b")) == "a, b"


def test_first_revision_is_a_base(directory: ScriptDirectory) -> None:
    """The first script has down_revision None, the message, and a 12-hex-digit id."""
    script = directory.generate_revision("Create account")
    rev = script.revision
    assert len(rev.revision) == 12
    int(rev.revision, 16)
    assert rev.down_revision == ()
    assert rev.message == "Create account"
    assert script.path.name == f"{rev.revision}_create_account.py"
    text = script.path.read_text()
    assert "# databases: main, audit" in text
    assert "Revises: \n" in text


def test_chain_and_map_refresh(directory: ScriptDirectory) -> None:
    """A second revision builds on the head, and the directory's graph sees it at once."""
    directory.generate_revision("one", rev_id="aaa111")
    script = directory.generate_revision("two", rev_id="bbb222")
    assert script.revision.down_revision == ("aaa111",)
    assert directory.revision_map.heads == ("bbb222",)
    assert "Revises: aaa111\n" in script.path.read_text()


def test_rev_id_checks(directory: ScriptDirectory) -> None:
    """Ids with characters that mean something in targets or paths, or already used, are refused."""
    for bad in ("a-b", "a@b", "a:b", "a+b", "a/b", "a b", "head", ""):
        with pytest.raises(CommandError, match="not allowed"):
            directory.generate_revision("x", rev_id=bad)
    directory.generate_revision("x", rev_id="aaa111")
    with pytest.raises(CommandError, match="'aaa111' already exists"):
        directory.generate_revision("again", rev_id="aaa111")


def test_several_heads_need_head(directory: ScriptDirectory) -> None:
    """With two heads and no --head, the error asks for --head (a MultipleHeads)."""
    directory.generate_revision("one", rev_id="aaa111")
    directory.generate_revision("two", rev_id="bbb222", head="base")
    with pytest.raises(MultipleHeads, match="--head"):
        directory.generate_revision("three")
    script = directory.generate_revision("three", head="bbb222", rev_id="ccc333")
    assert script.revision.down_revision == ("bbb222",)


def test_branching_off_a_non_head_needs_splice(directory: ScriptDirectory) -> None:
    """--head at a revision that is not a head is refused without splice."""
    directory.generate_revision("one", rev_id="aaa111")
    directory.generate_revision("two", rev_id="bbb222")
    with pytest.raises(CommandError, match=r"aaa111 is not a head.*--splice"):
        directory.generate_revision("side", head="aaa111")
    script = directory.generate_revision("side", head="aaa111", splice=True, rev_id="ccc333")
    assert script.revision.down_revision == ("aaa111",)
    assert set(directory.revision_map.heads) == {"bbb222", "ccc333"}


def test_merge_of_several_parents(directory: ScriptDirectory) -> None:
    """A list of heads gives a merge script whose down_revision is a tuple."""
    directory.generate_revision("one", rev_id="aaa111")
    directory.generate_revision("two", rev_id="bbb222", head="base")
    script = directory.generate_revision("join", head=["aaa111", "bbb222"], rev_id="ccc333")
    assert script.revision.down_revision == ("aaa111", "bbb222")
    assert "Revises: aaa111, bbb222\n" in script.path.read_text()
    assert directory.revision_map.heads == ("ccc333",)


def test_branch_label_and_depends_on(directory: ScriptDirectory) -> None:
    """Labels are written; depends_on partial ids become full ids, labels stay labels."""
    directory.generate_revision("one", rev_id="aaa111")
    directory.generate_revision("feature", rev_id="fff111", head="base", branch_labels=["feat"])
    script = directory.generate_revision(
        "uses both", head="aaa111", depends_on=["fff", "feat"], rev_id="ccc333"
    )
    assert script.revision.depends_on == ("fff111", "feat")
    assert directory.get_script("feat").revision.branch_labels == ("feat",)
    with pytest.raises(CommandError, match="'feat' is already used"):
        directory.generate_revision("dup", head="ccc333", branch_labels=["feat"])
    with pytest.raises(UnknownRevision):
        directory.generate_revision("bad dep", head="ccc333", depends_on=["zzz999"])


def test_version_path_choice(tmp_path: Path) -> None:
    """--version-path must be a version location; with several, the parent's one is used."""
    base = make_config(tmp_path)
    other = tmp_path / "other_versions"
    other.mkdir()
    config = make_config(tmp_path, version_locations=(*base.version_locations, other))
    directory = ScriptDirectory(config)
    with pytest.raises(CommandError, match="--version-path"):
        directory.generate_revision("one")
    with pytest.raises(CommandError, match="not one of the version locations"):
        directory.generate_revision("one", version_path=tmp_path / "elsewhere")
    first = directory.generate_revision("one", version_path=other, rev_id="aaa111")
    assert first.path.parent == other
    second = directory.generate_revision("two", rev_id="bbb222")
    assert second.path.parent == other
    relative = directory.generate_revision(
        "three", version_path="migrations/versions", rev_id="ccc333"
    )
    assert relative.path.parent == base.version_locations[0]


def test_subfolders_are_created(tmp_path: Path) -> None:
    """A file_template with folders creates them, and the scan finds the script there."""
    config = make_config(
        tmp_path, file_template="%(year)d/%(rev)s_%(slug)s", recursive_version_locations=True
    )
    directory = ScriptDirectory(config)
    script = directory.generate_revision("deep", rev_id="aaa111")
    assert script.path.parent.parent == config.version_locations[0]
    assert ScriptDirectory(config).revision_map.heads == ("aaa111",)


def test_template_args_and_encoding(tmp_path: Path) -> None:
    """template_args reach the template, and the file is written in output_encoding."""
    config = make_config(tmp_path, output_encoding="latin-1")
    # Mako would take a literal coding line as its own; an expression passes it through.
    coding = '${"# -*- coding: latin-1 -*-"}\n'
    (config.script_location / "script.py.mako").write_text(coding + TEMPLATE)
    script = ScriptDirectory(config).generate_revision(
        "café", rev_id="aaa111", template_args={"extra": "yes", "upgrades": "op.f()"}
    )
    data = script.path.read_bytes()
    assert "café".encode("latin-1") in data
    text = data.decode("latin-1")
    assert "# extra: yes" in text
    assert "    op.f()" in text
    assert script.revision.message == "café"


def test_missing_template(tmp_path: Path) -> None:
    """Without script.py.mako the error names the missing file."""
    config = make_config(tmp_path)
    (config.script_location / "script.py.mako").unlink()
    with pytest.raises(ScriptError, match=r"script\.py\.mako: template not found"):
        ScriptDirectory(config).generate_revision("x")


def test_broken_template_names_its_line(tmp_path: Path) -> None:
    """A template that fails while rendering is reported with its line."""
    config = make_config(tmp_path)
    (config.script_location / "script.py.mako").write_text("line one\n${undefined_name.attr}\n")
    with pytest.raises(ScriptError, match=r"script\.py\.mako:2: cannot render"):
        ScriptDirectory(config).generate_revision("x")


def test_hooks_run_before_the_script_is_read_back(tmp_path: Path) -> None:
    """Post-write hooks run on the new file; a failing one keeps the file and raises."""
    program = tmp_path / "tag.sh"
    program.write_text('#!/bin/sh\nsed -i "1s/.*/\\"\\"\\"reformatted/" "$1"\n')
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    hook = PostWriteHook(name="tag", type="exec", executable=str(program))
    directory = ScriptDirectory(make_config(tmp_path, post_write_hooks=(hook,)))
    script = directory.generate_revision("original", rev_id="aaa111")
    assert script.revision.message == "reformatted"
    failing = PostWriteHook(name="nope", type="exec", executable="false")
    strict = ScriptDirectory(make_config(tmp_path, post_write_hooks=(failing,)))
    with pytest.raises(ScriptError, match="'nope'"):
        strict.generate_revision("kept", rev_id="bbb222")
    assert (tmp_path / "migrations" / "versions" / "bbb222_kept.py").is_file()


def test_the_shipped_generic_template_renders(tmp_path: Path) -> None:
    """The `init` template's script.py.mako renders scripts this directory reads back."""
    config = make_config(tmp_path)
    (config.script_location / "script.py.mako").write_text(SHIPPED.read_text())
    directory = ScriptDirectory(config)
    directory.generate_revision("one", rev_id="aaa111")
    merged = directory.generate_revision("two", rev_id="bbb222", branch_labels=["lbl"])
    assert merged.revision.down_revision == ("aaa111",)
    assert merged.revision.branch_labels == ("lbl",)
    assert merged.revision.create_date is not None
