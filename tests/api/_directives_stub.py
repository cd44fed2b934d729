"""What src/asyncmig/_directives.pyi must declare, derived from the registered directives.

Directives reach ``Operations`` at import time (``register_operation``), so a
type checker learns of them only from the stub.  Each stub method takes the
directive's own parameters, then the keyword-only ones of the operation
class it builds (``schema=``, ``if_not_exists=`` ...), then ``**kw`` where both
pass unknown keywords on.  ``python -m tests.api._directives_stub`` rewrites
the stub; run ``ruff format`` on it afterwards.  test_typing.py checks the
stub against :func:`expected`.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STUB = Path(__file__).resolve().parents[2] / "src" / "asyncmig" / "_directives.pyi"

HEADER = '''"""``op`` as a type checker sees it: ``Operations`` with each directive spelled out.

Directives are registered on :class:`asyncmig._operations.Operations` when their
modules are imported (``Operations.register_operation``), which a type checker
cannot follow; this stub declares them, so that editors complete
``op.add_column(...)`` and check its arguments.  Only type checkers read it.
Written by ``python -m tests.api._directives_stub`` from the registered
directives; tests/api/test_typing.py fails when it is out of date.
"""

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.schema import SchemaItem

from ._operations import BatchOperations
from ._operations.base import Operations as _Registered

class Operations(_Registered):
    """What ``op`` is during a step: the schema directives of one migration context."""

'''


@dataclass(frozen=True)
class Param:
    """One parameter, its annotation and default as normalised source (None: required)."""

    name: str
    kind: str
    annotation: str
    default: str | None


@dataclass(frozen=True)
class Method:
    """One method of the stub's ``Operations`` (``self`` left out)."""

    name: str
    params: tuple[Param, ...]
    returns: str
    doc: str = ""


def source(text: str) -> str:
    """`text` as Python source, spelled the one way ``ast.unparse`` spells it."""
    return ast.unparse(ast.parse(text, mode="eval").body)


def _param(parameter: inspect.Parameter, kind: inspect._ParameterKind | None = None) -> Param:
    annotation = parameter.annotation
    text = annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)
    default = None
    if parameter.default is not inspect.Parameter.empty:
        default = source(repr(parameter.default))
    return Param(parameter.name, (kind or parameter.kind).name, source(text), default)


def _method(
    name: str, fn: Callable[..., Any], *, extra: Callable[..., Any] | None, returns: str | None
) -> Method:
    """`fn`'s parameters after the first, plus `extra`'s keyword-only ones it passes on."""
    signature = inspect.signature(fn)
    own = list(signature.parameters.values())[1:]
    var_keyword = [p for p in own if p.kind is inspect.Parameter.VAR_KEYWORD]
    params = [_param(p) for p in own if p.kind is not inspect.Parameter.VAR_KEYWORD]
    if extra is not None:
        taken = {p.name for p in params}
        built = inspect.signature(extra).parameters.values()
        params.extend(
            _param(p)
            for p in built
            if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name not in taken
        )
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in built):
            var_keyword = []  # the operation class refuses unknown keywords: so does the stub
    params.extend(_param(p) for p in var_keyword)
    returned = returns or signature.return_annotation
    doc = (inspect.getdoc(fn) or "").splitlines()[0] if inspect.getdoc(fn) else ""
    return Method(name, tuple(params), source(returned), doc)


def expected() -> list[Method]:
    """asyncmig's own directives on Operations, and batch_alter_table, as the stub has them."""
    from asyncmig._operations import Operations
    from asyncmig._operations.batch import batch_alter_table

    methods = [
        _method(
            "batch_alter_table",
            batch_alter_table,
            extra=None,
            returns="AbstractContextManager[BatchOperations]",
        )
    ]
    for name, fn in sorted(vars(Operations).items()):
        wrapped = getattr(fn, "__wrapped__", None)
        op_class = getattr(wrapped, "__self__", None)
        if wrapped is None or not isinstance(op_class, type):
            continue  # not a registered directive
        if not op_class.__module__.startswith("asyncmig."):
            continue  # a plugin's (other tests register some in this process)
        methods.append(_method(name, wrapped, extra=op_class.__init__, returns=None))
    return methods


def declared(text: str) -> list[Method]:
    """The methods the stub's ``Operations`` declares, read from its source."""
    tree = ast.parse(text)
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Operations"]
    methods = []
    for node in cls.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        args = node.args
        params: list[Param] = []
        positional = args.posonlyargs + args.args
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
        defaults += args.defaults
        for arg, default in zip(positional, defaults, strict=True):
            kind = "POSITIONAL_ONLY" if arg in args.posonlyargs else "POSITIONAL_OR_KEYWORD"
            params.append(_declared(arg, kind, default))
        if args.vararg is not None:
            params.append(_declared(args.vararg, "VAR_POSITIONAL", None))
        for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            params.append(_declared(arg, "KEYWORD_ONLY", default))
        if args.kwarg is not None:
            params.append(_declared(args.kwarg, "VAR_KEYWORD", None))
        assert params[0].name == "self", node.name
        returns = ast.unparse(node.returns) if node.returns is not None else "None"
        methods.append(Method(node.name, tuple(params[1:]), returns, ast.get_docstring(node) or ""))
    return methods


def _declared(arg: ast.arg, kind: str, default: ast.expr | None) -> Param:
    annotation = ast.unparse(arg.annotation) if arg.annotation is not None else ""
    return Param(arg.arg, kind, annotation, ast.unparse(default) if default is not None else None)


def render(methods: list[Method]) -> str:
    """The stub's text (one line per signature: ``ruff format`` wraps them)."""
    lines = [HEADER.rstrip("\n")]
    for method in methods:
        parts = ["self"]
        star = False
        for param in method.params:
            text = f"{param.name}: {param.annotation}"
            if param.kind == "VAR_POSITIONAL":
                text, star = f"*{text}", True
            elif param.kind == "VAR_KEYWORD":
                text = f"**{text}"
            elif param.kind == "KEYWORD_ONLY" and not star:
                parts.append("*")
                star = True
            if param.default is not None:
                text += f" = {param.default}"
            parts.append(text)
        opening = f"    def {method.name}("
        if method.name == "batch_alter_table":
            # The registered method takes **kw and passes them on: these are the ones it accepts.
            opening += "  # type: ignore[override]  # it takes **kw, passed on to these\n"
        lines.append(f"{opening}{', '.join(parts)}) -> {method.returns}:")
        lines.append(f'        """{method.doc}"""' if method.doc else "        ...")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    STUB.write_text(render(expected()))
    print(f"wrote {STUB}; now run: ruff format {STUB}")
