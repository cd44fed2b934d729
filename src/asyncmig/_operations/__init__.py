"""The ``op`` directives and the generic DDL they become.

Layout: :mod:`.base` holds :class:`Operations` and the registration API
(``register_operation`` / ``implementation_for``); the directives live by concept
in :mod:`.table_ops`, :mod:`.column_ops`, :mod:`.index_ops` and
:mod:`.constraint_ops`, each a
:class:`MigrateOperation` subclass plus its implementation; :mod:`.impl` turns
them into DDL using the elements of :mod:`.ddl` (each dialect's subclass of it is in
``asyncmig._dialects``); :mod:`.batch`, :mod:`.model` and
:mod:`.recreate` are ``batch_alter_table`` and SQLite's table recreate;
:mod:`.naming` gives constraints their names; :mod:`.alteration` (a leaf) holds the
``NOT_GIVEN`` marker and ``alter_column``'s options, shared by directives and dialects.

Contract used by the runtime: ``Operations(context)`` is what ``op`` means during
one step, where ``context`` is a :class:`asyncmig._runtime.context.MigrationContext`.
For ``op.run_async()`` the runtime gives the context the step's
``AsyncConnection`` as ``context.async_connection``.
"""

from __future__ import annotations

# Importing registers: the directives on Operations, batch_alter_table and the table
# recreate on it too, each dialect's implementation by name.  Whichever submodule is
# imported first, this runs first, so nothing depends on the order of imports.
from . import column_ops, constraint_ops, index_ops, table_ops
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
