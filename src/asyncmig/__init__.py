"""asyncmig: async-first schema migrations for SQLAlchemy.

Layout, for a newcomer (imports flow down this list, never up):

- ``_cli``: the argparse front end; the only place that prints.
- ``_commands`` and ``_migrator``: one ``async def`` per command; returns data.
  :class:`Migrator` runs the database commands over scripts and engines it
  keeps between calls; the module-level database commands are one-shot
  Migrators.
- ``_runtime``: the anyio runner, migration context, locks, version table.
- ``_autogenerate``: comparing models with a live database; rendering ops.
- ``_operations``: the ``op`` directives and their DDL per dialect.
- ``_script``: the revision graph and the script files (no database).
- ``_config``: finding and loading the configuration.
- ``errors``: the exception tree (public).

Everything users need is re-exported here by name, and shows as
``asyncmig.X`` (see the end of this file).  Importing asyncmig does not import
SQLAlchemy: commands that need no database stay fast.
"""

import contextlib as _contextlib
import inspect as _inspect

from . import errors as errors
from ._commands.autogen import check as check
from ._commands.checksums import applied_history as applied_history
from ._commands.checksums import repair as repair
from ._commands.checksums import validate as validate
from ._commands.database import current as current
from ._commands.database import downgrade as downgrade
from ._commands.database import ensure_version as ensure_version
from ._commands.database import fleet_summary as fleet_summary
from ._commands.database import is_at_head as is_at_head
from ._commands.database import stamp as stamp
from ._commands.database import upgrade as upgrade
from ._commands.database import wait_for_head as wait_for_head
from ._commands.lint import lint as lint
from ._commands.scripts import branches as branches
from ._commands.scripts import edit as edit
from ._commands.scripts import heads as heads
from ._commands.scripts import history as history
from ._commands.scripts import init as init
from ._commands.scripts import list_templates as list_templates
from ._commands.scripts import merge as merge
from ._commands.scripts import revision as revision
from ._commands.scripts import show as show
from ._config import Config as Config
from ._config import DatabaseConfig as DatabaseConfig
from ._lint.report import LintFinding as LintFinding
from ._lint.report import LintReport as LintReport
from ._migrator import Migrator as Migrator
from ._proxy import context as context
from ._proxy import op as op
from ._reports import AutogenRevision as AutogenRevision
from ._reports import CheckReport as CheckReport
from ._reports import ChecksumProblem as ChecksumProblem
from ._reports import DatabaseReport as DatabaseReport
from ._reports import Difference as Difference
from ._reports import FleetSummary as FleetSummary
from ._reports import JournalEntry as JournalEntry
from ._reports import LedgerEntry as LedgerEntry
from ._reports import RepairReport as RepairReport
from ._reports import RevisionInfo as RevisionInfo
from ._reports import RunReport as RunReport
from ._reports import StepReport as StepReport
from ._reports import TargetFailure as TargetFailure
from ._reports import TemplateInfo as TemplateInfo
from ._reports import ValidateReport as ValidateReport

__all__ = (
    # database commands
    "upgrade",
    "downgrade",
    "stamp",
    "current",
    "ensure_version",
    "is_at_head",
    "wait_for_head",
    "fleet_summary",
    "check",
    "validate",
    "repair",
    "applied_history",
    "lint",
    "Migrator",
    # script commands
    "revision",
    "merge",
    "heads",
    "branches",
    "history",
    "show",
    "edit",
    "init",
    "list_templates",
    # configuration and reports
    "Config",
    "DatabaseConfig",
    "RunReport",
    "DatabaseReport",
    "StepReport",
    "FleetSummary",
    "TargetFailure",
    "RevisionInfo",
    "TemplateInfo",
    "CheckReport",
    "Difference",
    "AutogenRevision",
    "ValidateReport",
    "ChecksumProblem",
    "RepairReport",
    "JournalEntry",
    "LedgerEntry",
    "LintReport",
    "LintFinding",
    # inside migration scripts
    "op",
    "context",
    "errors",
)


def _present_as_public() -> None:
    """Show each class and function of ``__all__`` as ``asyncmig.X`` (in reprs, help, docs).

    A class's annotations are resolved first, in the module that wrote them:
    ``typing.get_type_hints`` (pydantic, cattrs, FastAPI response models)
    looks names up in the module ``__module__`` names, which is now this one.
    """
    for name in __all__:
        value = globals()[name]
        if _inspect.isclass(value):
            # A name only a type checker imports cannot be resolved: left as text.
            with _contextlib.suppress(NameError):
                value.__annotations__ = _inspect.get_annotations(value, eval_str=True)
        elif not _inspect.isfunction(value):
            continue
        value.__module__ = __name__


_present_as_public()
