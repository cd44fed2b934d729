"""The live progress view of a run: a bar redrawn in place on a terminal, plain lines elsewhere.

The CLI owns the one :class:`Progress` of a run and feeds it what it hears:
each committed step, each finished target.  On a terminal (the stream the
view writes to, stderr) the last line is a bar -- targets done of the total,
steps, rate, time remaining -- redrawn at most ten times a second; lines the
CLI prints go above it.  Elsewhere (a pipe, a CI log) the view writes a plain
``progress:`` line at most every ``interval`` seconds, and nothing in a run
shorter than that.  Standard library only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ("PLAIN_INTERVAL_VARIABLE", "Progress")

# Environment variable: seconds between plain progress lines (0: one per change).
PLAIN_INTERVAL_VARIABLE = "ASYNCMIG_PROGRESS_INTERVAL"
_DEFAULT_PLAIN_INTERVAL = 10.0
_REDRAW_INTERVAL = 0.1
_BAR_WIDTH = 24
_CLEAR_LINE = "\r\x1b[K"


def plain_interval(environ: dict[str, str] | os._Environ[str] = os.environ) -> float:
    """The seconds between plain lines (`PLAIN_INTERVAL_VARIABLE`, else 10; bad values: 10)."""
    try:
        value = float(environ.get(PLAIN_INTERVAL_VARIABLE, ""))
    except ValueError:
        return _DEFAULT_PLAIN_INTERVAL
    return value if value >= 0 else _DEFAULT_PLAIN_INTERVAL


class Progress:
    """Counts of a run, shown on `stream` (a bar if it is a terminal, else plain lines)."""

    def __init__(
        self,
        stream: TextIO,
        *,
        total: int | None = None,
        terminal: bool | None = None,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.total = total
        self.terminal = _is_terminal(stream) if terminal is None else terminal
        self.interval = plain_interval() if interval is None else interval
        self.clock = clock
        self.started = clock()
        self.targets_done = 0
        self.failed = 0
        self.steps = 0
        self._shown_at = self.started  # last redraw (terminal) or plain line
        self._bar_visible = False
        self._last_plain = ""

    # -- what the run reports ---------------------------------------------------------------

    def set_total(self, total: int) -> None:
        """The number of targets, once known."""
        self.total = total
        self._refresh()

    def step(self) -> None:
        """One step committed."""
        self.steps += 1
        self._refresh()

    def target_done(self, *, failed: bool = False) -> None:
        """One target finished (ok, skipped, failed or cancelled)."""
        self.targets_done += 1
        self.failed += failed
        self._refresh(force=True)

    def line(self, text: str, stream: TextIO) -> None:
        """Print `text` on `stream` above the bar (the bar is redrawn under it)."""
        if self._bar_visible:
            self.stream.write(_CLEAR_LINE)
            self.stream.flush()
            self._bar_visible = False
        stream.write(text + "\n")
        stream.flush()
        if self.terminal:
            self._draw()

    def close(self) -> None:
        """Take the bar off the screen (the run's summary follows)."""
        if self._bar_visible:
            self.stream.write(_CLEAR_LINE)
            self.stream.flush()
            self._bar_visible = False

    # -- rendering ----------------------------------------------------------------------------

    def text(self, *, width: int | None = None) -> str:
        """The counts as one line: targets, steps, rate, time remaining (and a bar if `width`)."""
        elapsed = max(self.clock() - self.started, 1e-9)
        total = "?" if self.total is None else str(self.total)
        parts = [f"{self.targets_done}/{total} targets"]
        if self.failed:
            parts.append(f"{self.failed} failed")
        parts.append(f"{self.steps} steps")
        parts.append(f"{self.steps / elapsed:.1f} steps/s")
        parts.append(f"{_clock_time(elapsed)} elapsed")
        remaining = self.remaining(elapsed)
        parts.append("? left" if remaining is None else f"{_clock_time(remaining)} left")
        counts = ", ".join(parts)
        if width is None:
            return counts
        fraction = self.targets_done / self.total if self.total else 0.0
        filled = round(_BAR_WIDTH * min(fraction, 1.0))
        bar = "[" + "#" * filled + "-" * (_BAR_WIDTH - filled) + f"] {fraction:4.0%} "
        return (bar + counts)[: max(width - 1, 0)]

    def remaining(self, elapsed: float) -> float | None:
        """Seconds left at the rate targets have finished so far (None: not known yet)."""
        if not self.total or not self.targets_done:
            return None
        left = max(self.total - self.targets_done, 0)
        return elapsed / self.targets_done * left

    def _refresh(self, *, force: bool = False) -> None:
        now = self.clock()
        if self.terminal:
            if force or now - self._shown_at >= _REDRAW_INTERVAL:
                self._draw()
            return
        if now - self._shown_at < self.interval and not (force and self.interval == 0):
            return
        counts = self.text()
        if self.interval == 0 and counts == self._last_plain:
            return
        self._shown_at = now
        self._last_plain = counts
        self.stream.write(f"progress: {counts}\n")
        self.stream.flush()

    def _draw(self) -> None:
        self._shown_at = self.clock()
        width = shutil.get_terminal_size(fallback=(80, 24)).columns
        with contextlib.suppress(OSError, ValueError, AttributeError):
            width = os.get_terminal_size(self.stream.fileno()).columns
        self.stream.write(_CLEAR_LINE + self.text(width=width))
        self.stream.flush()
        self._bar_visible = True


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _clock_time(seconds: float) -> str:
    whole = int(seconds + 0.5)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
