"""The ``op`` directives and their DDL per dialect.

Layout: :mod:`.base` holds :class:`Operations` and the registration API
(``register_operation`` / ``implementation_for``); the directives live by concept
in :mod:`.table_ops`, :mod:`.column_ops`, :mod:`.index_ops` and
:mod:`.constraint_ops`, each a
:class:`MigrateOperation` subclass plus its implementation; :mod:`.impl` and the
``impl_<dialect>`` modules turn them into DDL (one class per dialect, registered
by name) using the elements of :mod:`.ddl`; :mod:`.batch`, :mod:`.model` and
:mod:`.recreate` are ``batch_alter_table`` and SQLite's table recreate;
:mod:`.naming` gives constraints their names; :mod:`.alteration` (a leaf) holds the
``NOT_GIVEN`` marker and ``alter_column``'s options, shared by directives and dialects.

Contract used by the runtime: ``Operations(context)`` is what ``op`` means during
one step, where ``context`` is a :class:`asyncmig._runtime.context.MigrationContext`.
For ``op.run_async()`` the runtime puts the step's ``AsyncConnection`` in
``context.opts["async_connection"]`` (otherwise it is recovered from the sync
connection).
"""

from __future__ import annotations

# Importing registers: the directives on Operations, batch_alter_table and the table
# recreate on it too, each dialect's implementation by name.  Whichever submodule is
# imported first, this runs first, so nothing depends on the order of imports.
from . import column_ops, constraint_ops, index_ops, table_ops
from . import impl_mysql as impl_mysql
from . import impl_postgresql as impl_postgresql
from . import impl_sqlite as impl_sqlite
from . import recreate as recreate
from .base import MigrateOperation as MigrateOperation
from .base import Operations as Operations
from .batch import BatchOperations as BatchOperations
from .naming import DEFAULT_NAMING_CONVENTION as DEFAULT_NAMING_CONVENTION

__all__ = (
    "Operations",
    "BatchOperations",
    "MigrateOperation",
    "DEFAULT_NAMING_CONVENTION",
    "column_ops",
    "constraint_ops",
    "index_ops",
    "table_ops",
)
