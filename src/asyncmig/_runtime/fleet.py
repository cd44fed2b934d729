"""Which targets a run starts: the canary, the failure policy, and why the rest did not start.

A run over many targets (a tenant fleet) starts them as the concurrency
allows; before a target starts it asks :meth:`Gate.admit`.

- ``canary``: the first N targets admitted are the canary; every other target
  waits until the whole canary has finished, and starts only if none of it
  failed.
- ``max_failures`` (K): after K failures no new target starts; the running
  ones finish.  ``fail_fast`` cancels the running ones too, at the failure
  that stops the run: alone it stops at the first failure (K = 1), with
  ``max_failures`` at the K-th.  Neither: every target runs (continue).

A target the gate turned away reports ``not-started``; one the run cancelled
reports ``cancelled``.
"""

from __future__ import annotations

from dataclasses import dataclass

import anyio

from ..errors import CommandError

__all__ = ("FailurePolicy", "Gate", "Ticket")


@dataclass(frozen=True)
class Ticket:
    """A target let in by the gate; `canary`: one of the first N."""

    canary: bool


@dataclass(frozen=True)
class FailurePolicy:
    """When a run stops starting targets, and whether it cancels the running ones."""

    canary: int = 0  # the first N targets run alone; one failure among them stops the run
    max_failures: int | None = None  # stop starting targets after this many failures
    fail_fast: bool = False  # at the failure that stops the run, cancel the running targets

    def __post_init__(self) -> None:
        if self.canary < 0:
            raise CommandError(f"canary must be 0 or more, not {self.canary}")
        if self.max_failures is not None and self.max_failures < 1:
            raise CommandError(f"max_failures must be 1 or more, not {self.max_failures}")

    @property
    def limit(self) -> int | None:
        """The failures after which no target starts (None: never stop)."""
        return 1 if self.fail_fast and self.max_failures is None else self.max_failures


class Gate:
    """One run's admissions: counts canaries and failures, and says why it stopped."""

    def __init__(self, policy: FailurePolicy) -> None:
        self.policy = policy
        self.failures = 0
        self.stopped: str | None = None  # why no more targets start
        self.scope: anyio.CancelScope | None = None  # the run's, cancelled by fail_fast
        self._canaries_left = policy.canary
        self._canaries_running = 0
        self._canary_done = anyio.Event()
        if policy.canary == 0:
            self._canary_done.set()

    async def admit(self) -> Ticket | None:
        """Let the next target start (it waits for the canary first); None: it must not."""
        if self.stopped is not None:
            return None
        if self._canaries_left > 0:
            self._canaries_left -= 1
            self._canaries_running += 1
            return Ticket(canary=True)
        await self._canary_done.wait()
        return Ticket(canary=False) if self.stopped is None else None

    def finished(self, ticket: Ticket, *, failed: bool) -> None:
        """A target that :meth:`admit` let in has ended."""
        if failed:
            self.failures += 1
            if ticket.canary:
                self._stop(f"a canary target failed (canary = {self.policy.canary})")
            limit = self.policy.limit
            if limit is not None and self.failures >= limit:
                self._stop(
                    "the run stopped at its first failure (fail-fast)"
                    if self.policy.max_failures is None
                    else f"{self.failures} target(s) failed (max-failures = {limit})"
                )
        if ticket.canary:
            self._canaries_running -= 1
            if self._canaries_running == 0 and self._canaries_left == 0:
                self._canary_done.set()

    def failed_outside(self) -> None:
        """A failure before any target of a database could start (its scripts, its engine)."""
        self.finished(Ticket(canary=False), failed=True)

    def _stop(self, why: str) -> None:
        if self.stopped is None:
            self.stopped = why
        self._canary_done.set()
        if self.policy.fail_fast and self.scope is not None:
            self.scope.cancel()
