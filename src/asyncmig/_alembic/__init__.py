"""What ``import alembic`` means inside a migration script loaded by asyncmig.

While asyncmig imports a script (or env.py), ``alembic`` and ``alembic.*``
resolve to this package and its submodules, whether or not Alembic is
installed, so existing Alembic scripts run unchanged.
"""

from .._proxy import context as context
from .._proxy import op as op

__all__ = ("__version__", "context", "op")

# The Alembic release whose behaviour asyncmig is checked against; plugins compare it
# to choose an API (alembic-postgresql-enum: dispatch priorities from 1.18).
__version__ = "1.20.1"
