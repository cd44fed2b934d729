"""Real Alembic plugins (alembic-utils, alembic-postgresql-enum) run unchanged under asyncmig.

The same version scripts run under real Alembic and under asyncmig on fresh PostgreSQL
databases; the schema snapshot and the catalogue text of what the plugins create
(functions, views, triggers, enum labels) must be the same after each direction.

The plugins are imported at the top of this module, with the real Alembic, as an
application that imported them before calling asyncmig would: their directives land on
the real ``alembic.operations.Operations``, which asyncmig honours.  One test imports
them afresh in a subprocess instead, where they bind asyncmig's ``alembic`` alias.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("alembic", reason="the compat tests need Alembic: run `nox -s compat`")
pytest.importorskip("alembic_utils", reason="needs alembic-utils (the compat dependency group)")
pytest.importorskip(
    "alembic_postgresql_enum", reason="needs alembic-postgresql-enum (the compat dependency group)"
)

import alembic_postgresql_enum  # noqa: F401  (registers op.sync_enum_values, as env.py would)
import alembic_utils.reversible_op  # registers op.create_entity / replace_entity / drop_entity
import sqlalchemy as sa

from tests.compat._harness import (
    Backend,
    Database,
    diff,
    make_backend,
    normalise_sql,
    run_alembic,
    run_asyncmig,
    snapshot,
    write_scripts,
)

pytestmark = [pytest.mark.compat, pytest.mark.postgresql]

_HEADER = """
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
import alembic_postgresql_enum
from alembic_utils.pg_extension import PGExtension
from alembic_utils.pg_function import PGFunction
from alembic_utils.pg_trigger import PGTrigger
from alembic_utils.pg_view import PGView

upper = PGFunction(
    schema="public",
    signature="shout(t text)",
    definition="returns text as $$ select upper(t) $$ language sql;",
)
upper2 = PGFunction(
    schema="public",
    signature="shout(t text)",
    definition="returns text as $$ select upper(t) || '!' $$ language sql;",
)
touch = PGFunction(
    schema="public",
    signature="touch()",
    definition="returns trigger as $$ begin new.n := 1; return new; end; $$ language plpgsql;",
)
trigger = PGTrigger(
    schema="public",
    signature="t_touch",
    on_entity="public.t",
    definition="BEFORE INSERT ON public.t FOR EACH ROW EXECUTE FUNCTION public.touch()",
)
view = PGView(schema="public", signature="t_view", definition="select id, n from public.t")
view2 = PGView(
    schema="public", signature="t_view", definition="select id, n, n + 1 as m from public.t"
)
trgm = PGExtension(schema="public", signature="pg_trgm")
"""

ENTITIES = {
    "a1_entities.py": '"""entities"""\nrevision = "a1"\ndown_revision = None\n'
    + _HEADER
    + """

def upgrade():
    op.create_table(
        "t",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("n", sa.Integer),
        sa.Column("state", postgresql.ENUM("new", "done", name="state_type")),
    )
    op.create_entity(trgm)
    op.create_entity(upper)
    op.create_entity(touch)
    op.create_entity(trigger)
    op.create_entity(view)


def downgrade():
    op.drop_entity(view)
    op.drop_entity(trigger)
    op.drop_entity(touch)
    op.drop_entity(upper)
    op.drop_entity(trgm)
    op.drop_table("t")
    op.execute("DROP TYPE state_type")
""",
    "b2_changes.py": '"""changes"""\nrevision = "b2"\ndown_revision = "a1"\n'
    + _HEADER
    + """

def upgrade():
    op.replace_entity(upper2)
    op.replace_entity(view2)
    op.sync_enum_values("public", "state_type", ["new", "doing", "done"], [("t", "state")])


def downgrade():
    op.sync_enum_values("public", "state_type", ["new", "done"], [("t", "state")])
    op.replace_entity(view)
    op.replace_entity(upper)
""",
}

_CATALOGUE = {
    "functions": (
        "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = 'public' AND p.prokind = 'f' ORDER BY 1"
    ),
    "triggers": (
        "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1"
    ),
    "views": ("SELECT viewname, definition FROM pg_views WHERE schemaname = 'public' ORDER BY 1"),
    "enum_labels": (
        "SELECT t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) "
        "FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid GROUP BY 1 ORDER BY 1"
    ),
}


def _state(sync_url: str) -> dict[str, Any]:
    """The schema snapshot plus the catalogue text of the plugins' objects."""
    state = snapshot(sync_url)
    engine = sa.create_engine(sync_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            for key, query in _CATALOGUE.items():
                found = conn.exec_driver_sql(query).all()
                # pg_trgm's own functions are the extension's; only the plugins' count here
                state[key] = {name: normalise_sql(text) for name, text in found}
    finally:
        engine.dispose()
    return state


def _asyncmig_in_process(folder: Path, versions: Path, database: Database, verb: str) -> None:
    report = run_asyncmig(folder, versions, database.async_url, verb, _TARGETS[verb])
    assert report.ok, [str(db.error) for db in report.databases]


_TARGETS = {"upgrade": "head", "downgrade": "base"}


def _compare(
    backend: Backend,
    tmp_path: Path,
    scripts: dict[str, str],
    run_ours: Callable[[Path, Path, Database, str], None],
) -> None:
    """Up then down under each tool; every state asyncmig leaves is Alembic's."""
    with backend.pair(tmp_path) as (for_alembic, for_asyncmig):
        theirs_folder, ours_folder = tmp_path / "alembic", tmp_path / "asyncmig"
        theirs_versions = write_scripts(theirs_folder, scripts)
        ours_versions = write_scripts(ours_folder, scripts)
        for verb in ("upgrade", "downgrade"):
            run_alembic(theirs_folder, theirs_versions, for_alembic.sync_url, verb, _TARGETS[verb])
            run_ours(ours_folder, ours_versions, for_asyncmig, verb)
            differences = diff(_state(for_alembic.sync_url), _state(for_asyncmig.sync_url))
            assert not differences, f"after {verb} (alembic | asyncmig):\n" + "\n".join(differences)
            if verb == "upgrade":
                assert _state(for_asyncmig.sync_url)["enum_labels"] == {
                    "state_type": "new,doing,done"
                }


@pytest.fixture
def postgresql() -> Backend:
    """The PostgreSQL server the plugins need (skips without it, fails under .ci/run)."""
    return make_backend("postgresql")


def test_plugins_bound_to_real_alembic_match_alembic(postgresql: Backend, tmp_path: Path) -> None:
    """alembic-utils and sync_enum_values, imported with the real Alembic, match Alembic."""
    assert alembic_utils.reversible_op.Operations.__module__.startswith("alembic.")
    _compare(postgresql, tmp_path, ENTITIES, _asyncmig_in_process)


_FRESH = """
import json, sys
import anyio
import asyncmig

async def main():
    config = asyncmig.Config.from_mapping(
        {{"script_location": {env!r}, "version_locations": [{versions!r}], "url": {url!r},
          "version_table": "alembic_version"}},
        here={folder!r},
    )
    report = await getattr(asyncmig, {verb!r})(config, {target!r})
    import alembic_utils.reversible_op as plugin
    print(json.dumps({{
        "ok": report.ok,
        "errors": [str(db.error) for db in report.databases if db.error],
        "bound_to": plugin.Operations.__module__,
        "real_alembic_imported": any(
            getattr(m, "__name__", "") == "alembic" for m in list(sys.modules.values())
        ),
    }}))

anyio.run(main, backend="asyncio")
"""


def _asyncmig_fresh_process(folder: Path, versions: Path, database: Database, verb: str) -> None:
    env = folder / "asyncmig_env"
    env.mkdir(exist_ok=True)
    code = _FRESH.format(
        env=str(env),
        versions=str(versions),
        url=database.async_url,
        folder=str(folder),
        verb=verb,
        target=_TARGETS[verb],
    )
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["ok"], result["errors"]
    # the plugins were first imported by a script, under asyncmig's `alembic` alias
    assert result["bound_to"] == "asyncmig._operations.base"
    assert not result["real_alembic_imported"]


def test_plugins_imported_by_scripts_under_asyncmig_match_alembic(
    postgresql: Backend, tmp_path: Path
) -> None:
    """In a fresh process the plugins bind asyncmig's alias, import and match Alembic."""
    _compare(postgresql, tmp_path, ENTITIES, _asyncmig_fresh_process)


def test_plugin_offline_sql_matches_alembic(postgresql: Backend, tmp_path: Path) -> None:
    """--sql renders alembic-utils' entities as Alembic does, statement by statement."""
    scripts = {"a1_entities.py": ENTITIES["a1_entities.py"]}
    url = "postgresql+psycopg2://u@localhost/offline"
    theirs = run_alembic(
        tmp_path / "alembic",
        write_scripts(tmp_path / "alembic", scripts),
        url,
        "upgrade",
        "head",
        sql=True,
    )
    report = run_asyncmig(
        tmp_path / "asyncmig",
        write_scripts(tmp_path / "asyncmig", scripts),
        "postgresql+asyncpg://u@localhost/offline",
        "upgrade",
        "head",
        sql=True,
    )
    ours = report.databases[0].sql or ""

    def statements(text: str) -> list[str | None]:
        # the plugins' statements; the version table's own are the offline harness's to compare
        kept = [line for line in text.splitlines() if not line.startswith("--")]
        found = [normalise_sql(s) for s in "\n".join(kept).split(";") if s.strip()]
        return [s for s in found if "alembic_version" not in (s or "")]

    assert any("CREATE VIEW" in (s or "").upper() for s in statements(theirs)), theirs
    assert statements(ours) == statements(theirs)


_ENV_ENABLED = {
    "a1_enum.py": '''"""an enum the plugin syncs; the script itself imports no plugin"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "a1"
down_revision = None


def upgrade():
    op.create_table(
        "t",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("state", postgresql.ENUM("new", "done", name="state_type")),
    )
    op.sync_enum_values("public", "state_type", ["new", "doing", "done"], [("t", "state")])


def downgrade():
    op.drop_table("t")
    op.execute("DROP TYPE state_type")
''',
}


def _alembic_project(folder: Path, url: str) -> None:
    """`alembic init`'s project, with the plugin switched on in env.py as its README says."""
    subprocess.run(
        [sys.executable, "-m", "alembic", "init", "migrations"],
        cwd=folder,
        check=True,
        capture_output=True,
    )
    env = folder / "migrations" / "env.py"
    env.write_text("import alembic_postgresql_enum\n" + env.read_text())
    ini = folder / "alembic.ini"
    lines = [
        f"sqlalchemy.url = {url}" if line.startswith("sqlalchemy.url") else line
        for line in ini.read_text().splitlines()
    ]
    ini.write_text("\n".join(lines) + "\n")
    for name, text in _ENV_ENABLED.items():
        (folder / "migrations" / "versions" / name).write_text(text)


def test_plugin_switched_on_in_alembic_env_py(postgresql: Backend, tmp_path: Path) -> None:
    """`import alembic_postgresql_enum` in an Alembic env.py enables op.sync_enum_values."""
    with postgresql.pair(tmp_path) as (for_alembic, for_asyncmig):
        states = []
        for tool, database in (("alembic", for_alembic), ("asyncmig", for_asyncmig)):
            folder = tmp_path / tool
            folder.mkdir()
            _alembic_project(folder, database.sync_url)
            done = subprocess.run(
                [sys.executable, "-m", tool, "upgrade", "head"],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert done.returncode == 0, f"{tool}: {done.stderr}"
            states.append(_state(database.sync_url))
    assert not diff(*states), "\n".join(diff(*states))
    assert states[1]["enum_labels"] == {"state_type": "new,doing,done"}
