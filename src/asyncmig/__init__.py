"""asyncmig: async-first schema migrations for SQLAlchemy.

Layout, for a newcomer (imports flow down this list, never up):

- ``_cli``: the argparse front end; the only place that prints.
- ``_commands``: one ``async def`` per command; returns data.
- ``_runtime``: the anyio runner, migration context, locks, version table.
- ``_operations``: the ``op`` directives and their DDL per dialect.
- ``_script``: the revision graph and the script files (no database).
- ``_config``: finding and loading the configuration.
- ``errors``: the exception tree (public).

Everything users need is re-exported here by name.
"""

from . import errors as errors
from ._proxy import context as context
from ._proxy import op as op

__all__ = (
    "context",
    "errors",
    "op",
)
