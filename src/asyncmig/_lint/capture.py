"""Run scripts offline through the real op layer, keeping each operation with its SQL.

The scripts run exactly as ``upgrade --sql`` runs them: an offline migration
context of the database's dialect, ``op`` bound by the runtime's own
machinery, every statement rendered by the dialect implementation.  Two
things are added from the outside, without changing the op layer: the
context's output is a tap that keeps each written statement as one chunk, and
``op`` is an :class:`Operations` subclass that notes which chunks each
operation (or ``batch_alter_table`` block) wrote, and from which script line.
Chunks no operation wrote (DDL run on ``op.get_bind()``, the ``COMMIT;`` /
``BEGIN;`` around an ``autocommit_block``) are kept as actions of their own.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, Any

from .._operations import Operations
from .._proxy import activated
from .._runtime.environment import Environment
from .._runtime.steps import script_function
from .._script.tracebacks import script_line

if TYPE_CHECKING:
    from .._runtime.context import MigrationContext
    from .._runtime.steps import TargetSetup
    from .._script.revision import Step

__all__ = ("Action", "StepCapture", "capture_steps")


@dataclass(frozen=True)
class Action:
    """What one operation (or batch block, or bare statement) wrote."""

    ops: tuple[Any, ...]  # empty for a statement no operation wrote
    chunks: tuple[str, ...]
    line: int | None


@dataclass
class StepCapture:
    """One revision's actions, in order, and how it ended."""

    revision: str
    path: str
    actions: list[Action] = field(default_factory=list)
    error: str | None = None
    error_line: int | None = None


class _Tap(io.StringIO):
    """An offline output that keeps every write (one statement each) as a chunk."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []

    def write(self, text: str) -> int:
        self.chunks.append(text)
        return len(text)


@dataclass
class _Span:
    start: int
    end: int
    ops: list[Any]
    line: int | None


class _Recorder:
    def __init__(self, tap: _Tap, path: str) -> None:
        self.tap = tap
        self.path = os.path.realpath(path)
        self.spans: list[_Span] = []
        self.depth = 0

    @contextmanager
    def span(self, ops: list[Any]) -> Iterator[None]:
        if self.depth:  # an operation carried out by another: the outer one owns the SQL
            yield
            return
        span = _Span(len(self.tap.chunks), -1, ops, self._line())
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
            span.end = len(self.tap.chunks)
            self.spans.append(span)

    def _line(self) -> int | None:
        frame: FrameType | None = sys._getframe(2)  # the script's frame is a few levels up
        while frame is not None:
            name = frame.f_code.co_filename
            if name == self.path or os.path.realpath(name) == self.path:
                return frame.f_lineno
            frame = frame.f_back
        return None

    def actions(self, first: int) -> list[Action]:
        found: list[Action] = []
        index = first
        for span in sorted(self.spans, key=lambda s: s.start):
            found.extend(
                Action((), (chunk,), None) for chunk in self.tap.chunks[index : span.start]
            )
            found.append(
                Action(tuple(span.ops), tuple(self.tap.chunks[span.start : span.end]), span.line)
            )
            index = max(index, span.end)
        found.extend(Action((), (chunk,), None) for chunk in self.tap.chunks[index:])
        return found


class _CapturingOperations(Operations):
    """``op`` for the linter: the real directives, each noted with the SQL it wrote."""

    def __init__(self, context: MigrationContext, recorder: _Recorder) -> None:
        super().__init__(context)
        self._recorder = recorder

    def invoke(self, operation: Any) -> Any:
        with self._recorder.span([operation]):
            return super().invoke(operation)

    @contextmanager
    def batch_alter_table(self, table_name: str, *args: Any, **kw: Any) -> Iterator[Any]:
        ops: list[Any] = []
        with self._recorder.span(ops), super().batch_alter_table(table_name, *args, **kw) as batch:
            yield batch
            ops.extend(batch.collected)


def capture_steps(
    setup: TargetSetup, steps: Sequence[Step], url: str
) -> tuple[list[StepCapture], MigrationContext]:
    """Run every step's script offline (in this thread) and return what each wrote."""
    tap = _Tap()
    context = setup.context(url=url, output=tap)
    captured: list[StepCapture] = []
    for step in steps:
        if step.script is None:
            continue
        path = step.script.path or step.script.revision
        capture = StepCapture(step.revision, str(path))
        first = len(tap.chunks)
        recorder = _Recorder(tap, str(path))
        module = setup.modules[step.script.revision]
        fn = script_function(module, step, setup.database, str(path))
        environment = Environment(
            context,
            script=setup.directory,
            revision_argument=setup.request.label,
            starting_revision=context.opts.get("starting_rev"),
            tag=None,
        )
        try:
            with activated(_CapturingOperations(context, recorder), environment):
                fn()
        except Exception as exc:  # reported as a finding, linting goes on
            capture.error = f"{type(exc).__name__}: {exc}"
            capture.error_line = script_line(str(path), exc.__traceback__)
        capture.actions = recorder.actions(first)
        captured.append(capture)
    return captured, context
