"""Lock-safe execution: the timeouts a step runs with, and when a failed step is tried again.

A step's settings are the configuration's (``ddl_lock_timeout``,
``ddl_lock_retries``, ``migration_statement_timeout``) overridden by its
script's own ``asyncmig = {...}``.  The dialect's session applies the
timeouts at the start of the step (:meth:`~.._dialects.generic.Session.apply_timeouts`).

A step that failed because it could not take a lock within its
``ddl_lock_timeout`` is tried again, with its whole batch in a new
transaction, only when nothing of the batch can have stayed committed:

- its transaction was rolled back (transactional DDL) and no step of the
  batch committed anything on its own (an autocommit block, ``bind.commit()``);
- or, where DDL commits as it runs (MySQL/MariaDB), it was the batch's first
  step and none of its statements had completed.

Between tries the runner waits ``min(BACKOFF_CAP, BACKOFF_BASE * 2**n)``
seconds times a random factor in [0.5, 1.5) (n = 0, 1, ...): the jitter keeps
several runners blocked by one transaction from coming back in step.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._config import Config
    from .._script.revision import Step
    from ..errors import MigrationFailed

__all__ = (
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "LockWait",
    "StepSettings",
    "backoff",
    "gave_up",
    "announce_retry",
    "step_settings",
)

log = logging.getLogger("asyncmig.runtime")

BACKOFF_BASE = 0.5
BACKOFF_CAP = 10.0


@dataclass(frozen=True, slots=True)
class StepSettings:
    """How one step runs."""

    lock_timeout: float | None  # each lock wait, at most; None: asyncmig sets none
    retries: int  # tries again after a lock wait ran out (only with lock_timeout)
    statement_timeout: float | None  # None: the connection's own; 0: no limit
    transaction: bool  # False: the script runs in autocommit, outside any transaction


def step_settings(config: Config, step: Step) -> StepSettings:
    """The configuration's settings, overridden by the step's script."""
    own = dict(step.script.settings) if step.script is not None else {}
    lock = own.get("ddl_lock_timeout", config.ddl_lock_timeout)
    retries = own.get("ddl_lock_retries", config.ddl_lock_retries)
    statement = own.get("migration_statement_timeout", config.migration_statement_timeout)
    transaction = own.get("transaction", True)
    return StepSettings(
        lock_timeout=float(lock) if isinstance(lock, int | float) and lock > 0 else None,
        retries=retries if isinstance(retries, int) else config.ddl_lock_retries,
        statement_timeout=float(statement) if isinstance(statement, int | float) else None,
        transaction=transaction is not False,
    )


class LockWait(Exception):  # a signal inside the runner, never raised out of it
    """A batch failed because a step's lock wait ran out (caught by the runner's retry loop)."""

    def __init__(
        self,
        error: MigrationFailed,
        done: Sequence[Step],
        settings: StepSettings,
        *,
        clean: bool,
        waited: float,
    ) -> None:
        super().__init__(str(error))
        self.error = error
        self.done = tuple(done)  # the batch's steps that had run before it (all rolled back)
        self.settings = settings
        self.clean = clean  # nothing of the batch can have stayed committed: safe to retry
        self.waited = waited  # the lock timeout as the database applied it (MySQL: whole s)


def announce_retry(wait: LockWait, retry: int, delay: float) -> None:
    """The WARNING line of one retry (``retry`` counts from 1)."""
    error = wait.error
    schema = f" (schema {error.schema!r})" if error.schema else ""
    log.warning(
        "%s: revision %s could not take a lock within %gs; retry %d of %d in %.1fs",
        f"database {error.database!r}{schema}",
        error.revision,
        wait.waited,
        retry,
        wait.settings.retries,
        delay,
    )


def gave_up(wait: LockWait, tries: int) -> str:
    """What the failure's message adds once no retry follows (`tries` runs so far)."""
    within = f"it could not take a lock within {wait.waited:g}s"
    if not wait.clean:
        return f"{within} and was not tried again, since part of it may have been committed"
    runs = f"{tries} tr{'y' if tries == 1 else 'ies'}"
    return (
        f"{within} in {runs} (ddl_lock_retries = {wait.settings.retries}); run it again once "
        "the transaction holding the lock has ended, or raise ddl_lock_timeout or "
        "ddl_lock_retries"
    )


def backoff(attempt: int) -> float:
    """Seconds to wait before try number ``attempt + 2`` (``attempt`` 0 after the first failure)."""
    # jitter, not secrecy: the random module is right here
    return min(BACKOFF_CAP, BACKOFF_BASE * 2.0**attempt) * random.uniform(0.5, 1.5)
