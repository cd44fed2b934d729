"""Op plugins that an Alembic ``env.py`` imports, imported although asyncmig does not run it.

alembic-postgresql-enum is switched on by ``import alembic_postgresql_enum`` in env.py,
and the scripts it writes then call ``op.sync_enum_values`` without importing anything.
asyncmig does not run an Alembic env.py (it drives Alembic's own runtime), so
:func:`import_plugins` imports, with ``alembic`` meaning asyncmig, each module that
env.py imports at its top level and whose distribution is built on Alembic (requires
``alembic``).  Application modules an env.py imports are left alone.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.metadata
import logging
import re
import sys

__all__ = ("import_plugins", "plugin_modules")

log = logging.getLogger("asyncmig.script")

_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@functools.cache
def _built_on_alembic(package: str) -> bool:
    """Whether the installed distribution of top-level `package` requires alembic."""
    for distribution in importlib.metadata.packages_distributions().get(package, ()):
        for requirement in importlib.metadata.requires(distribution) or ():
            match = _REQUIREMENT_NAME.match(requirement)
            if match and match.group(1).lower() == "alembic" and "extra ==" not in requirement:
                return True
    return False


def plugin_modules(source: str) -> list[str]:
    """The modules `source` imports at its top level that belong to Alembic plugins."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    found = []
    for name in dict.fromkeys(names):
        package = name.partition(".")[0]
        if package in ("alembic", "asyncmig") or package in sys.stdlib_module_names:
            continue
        if _built_on_alembic(package):
            found.append(name)
    return found


def import_plugins(source: str, path: str) -> list[str]:
    """Import the Alembic plugins env.py (`source`, at `path`) imports; the ones imported."""
    from .._script.loader import alembic_aliases

    imported = []
    for name in plugin_modules(source):
        try:
            with alembic_aliases():
                importlib.import_module(name)
        except Exception as exc:  # a broken plugin must not stop a run that may not need it
            log.warning("%s: cannot import the Alembic plugin %s: %s", path, name, exc)
        else:
            imported.append(name)
    return imported
