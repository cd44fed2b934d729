"""``alembic.autogenerate`` for plugins loaded by asyncmig.

Plugins such as alembic-utils and alembic-postgresql-enum register comparators
and renderers at import time; these registries accept them so the plugins
import and their ``op`` directives run.  asyncmig's autogenerate is its own
and does not consult them.
"""

from . import api as api
from . import compare as compare
from . import render as render
from .compare import comparators as comparators
from .render import renderers as renderers

__all__ = ("api", "compare", "comparators", "render", "renderers")
