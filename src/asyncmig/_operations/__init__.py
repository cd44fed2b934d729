"""The ``op`` directives and their DDL per dialect.

Layout: :mod:`.base` holds :class:`Operations` and the registration API
(``register_operation`` / ``implementation_for``); the directives live by concept
in :mod:`.table_ops`, :mod:`.column_ops`, :mod:`.index_ops` and
:mod:`.constraint_ops`, each a
:class:`MigrateOperation` subclass plus its implementation; :mod:`.impl` and the
``impl_<dialect>`` modules turn them into DDL (one class per dialect, registered
by name) using the elements of :mod:`.ddl`; :mod:`.batch`, :mod:`.model` and
:mod:`.recreate` are ``batch_alter_table`` and SQLite's table recreate;
:mod:`.naming` gives constraints their names.

Contract used by the runtime: ``Operations(context)`` is what ``op`` means during
one step, where ``context`` is a :class:`asyncmig._runtime.context.MigrationContext`.
For ``op.run_async()`` the runtime puts the step's ``AsyncConnection`` in
``context.opts["async_connection"]`` (otherwise it is recovered from the sync
connection).
"""

from __future__ import annotations

from . import column_ops, constraint_ops, index_ops, table_ops
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
