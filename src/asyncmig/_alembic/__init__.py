"""What ``import alembic`` means inside a migration script loaded by asyncmig.

While asyncmig imports a script (or env.py), ``alembic`` and ``alembic.*``
resolve to this package and its submodules, whether or not Alembic is
installed, so existing Alembic scripts run unchanged.

Op plugins (alembic-utils, alembic-postgresql-enum) import ``alembic.operations``,
``alembic.operations.ops``, ``alembic.autogenerate`` (``comparators``,
``renderers``, ``api.AutogenContext``) and ``alembic.util.DispatchPriority``;
the names they need are here.  A plugin first imported by a script binds these,
and its directives land on asyncmig's ``Operations``.  A plugin the application
imported earlier with the real Alembic installed bound the real one: asyncmig
then honours the directives and implementations it registered on the real
``alembic.operations.Operations`` (see ``_operations.base``).  Either way a
plugin binds one of the two for the life of the process.
"""

from .._proxy import context as context
from .._proxy import op as op

__all__ = ("__version__", "context", "op")

# The Alembic release whose behaviour asyncmig is checked against; plugins compare it
# to choose an API (alembic-postgresql-enum: dispatch priorities from 1.18).
__version__ = "1.20.1"
