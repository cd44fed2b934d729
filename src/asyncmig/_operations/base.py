"""``Operations`` (what ``op`` is during a step) and the directive-registration API.

Directives are :class:`MigrateOperation` subclasses.  ``register_operation(name)``
turns a classmethod of such a class into the method ``Operations.<name>``;
``implementation_for(OpClass)`` registers the function that carries an operation
out.  asyncmig's own directives use exactly this API, and so can third-party
packages written for Alembic (alembic-utils, alembic-postgresql-enum) through the
``alembic.operations`` alias.  ``batch_alter_table`` and the table recreate, which
build on every directive class, are attached here by their modules (``attach``).
"""

from __future__ import annotations

import functools
import sys
import types
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import sqlalchemy as sa
from sqlalchemy.sql.elements import conv

from ..errors import OperationNotSupported

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

__all__ = ("MigrateOperation", "Operations", "TableOperation", "attach")

_OpT = TypeVar("_OpT", bound=type)
_FnT = TypeVar("_FnT", bound=Callable[..., Any])
_ImplFn = Callable[[Any, Any], Any]


class MigrateOperation:
    """Base class of every directive object (Alembic's ``MigrateOperation``)."""

    @functools.cached_property
    def info(self) -> dict[Any, Any]:
        """Free-form data a plugin may attach to the operation."""
        return {}

    def reverse(self) -> MigrateOperation:
        """The operation that undoes this one, where there is one."""
        raise NotImplementedError(f"{type(self).__name__} has no reverse")

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """Autogenerate's diff form of the operation."""
        raise NotImplementedError(f"{type(self).__name__} has no diff tuple")


class TableOperation(MigrateOperation):
    """A directive on one table: its name and schema, and options passed on (``kw``)."""

    def __init__(self, table_name: str, *, schema: str | None = None, **kw: Any) -> None:
        self.table_name = table_name
        self.schema = schema
        self.kw = kw


class Operations:
    """Alembic's ``op``: schema directives bound to one migration context."""

    _to_impl: ClassVar[dict[type, _ImplFn]] = {}
    _defaults: ClassVar[dict[type, _ImplFn]] = {}  # the first implementation of each class
    _alembic_class: ClassVar[str] = "Operations"
    """The real Alembic's class whose plugin directives this class answers for."""

    # Attached by the modules that build on every directive class, and so on this module
    # (see attach()); the package imports them, so they are there whatever is imported.
    _recreate_table: Callable[[Sequence[Any]], Any]
    """Carry out operations on one table by recreating it (:mod:`.recreate`)."""

    if TYPE_CHECKING:

        def batch_alter_table(self, table_name: str, **kw: Any) -> Any:
            """Group changes to one table; on SQLite they run as one table recreate."""

    def __init__(self, migration_context: Any, impl: Any = None) -> None:
        self.migration_context = migration_context
        self.impl = impl if impl is not None else migration_context.impl

    # -- registration -------------------------------------------------------

    @classmethod
    def register_operation(cls, name: str, sourcename: str | None = None) -> Callable[[_OpT], _OpT]:
        """Class decorator: make ``OpClass.<sourcename or name>`` the method ``cls.<name>``."""

        def register(op_cls: _OpT) -> _OpT:
            source = getattr(op_cls, sourcename or name)

            @functools.wraps(source)
            def directive(self: Operations, *args: Any, **kw: Any) -> Any:
                return source(self, *args, **kw)

            directive.__name__ = name
            directive.__qualname__ = f"{cls.__name__}.{name}"
            setattr(cls, name, directive)
            return op_cls

        return register

    @classmethod
    def implementation_for(
        cls, op_cls: type, replace: bool = False
    ) -> Callable[[_ImplFn], _ImplFn]:
        """Function decorator: `fn(operations, operation)` carries out `op_cls` operations.

        As in Alembic, a class has one implementation: registering a second one is a
        ``ValueError`` unless ``replace=True`` (the replaced one stays reachable
        through ``alembic.operations.toimpl``).
        """

        def register(fn: _ImplFn) -> _ImplFn:
            if op_cls in Operations._to_impl and not replace:
                raise ValueError(
                    f"an implementation for {op_cls.__name__} is already registered; "
                    "pass replace=True to implementation_for() to replace it"
                )
            Operations._to_impl[op_cls] = fn
            Operations._defaults.setdefault(op_cls, fn)
            return fn

        return register

    @classmethod
    @contextmanager
    def context(cls, migration_context: Any) -> Iterator[Operations]:
        """Operations bound to `migration_context`, and ``op`` meaning them, for a block."""
        from .._proxy import activated

        operations = cls(migration_context)
        with activated(operations, migration_context):
            yield operations

    # -- dispatch -----------------------------------------------------------

    def invoke(self, operation: Any) -> Any:
        """Carry out `operation` with its registered implementation (or a table recreate)."""
        impl = self.impl
        if impl.tries_in_place(operation):
            # cheaper than asking the catalog first: the database refuses, and keeps
            # the transaction, exactly when a recreate is needed
            try:
                return self.implementation(operation)(self, operation)
            except sa.exc.OperationalError as exc:
                if not impl.recreate_after(operation, exc):
                    raise
        elif not impl.requires_recreate(self, operation):
            return self.implementation(operation)(self, operation)
        return self._recreate_table([operation])

    @classmethod
    def implementation(cls, operation: Any) -> _ImplFn:
        """The function registered for `operation`'s class (or its nearest base).

        A plugin imported before asyncmig loaded the scripts registered on the real
        Alembic's ``Operations``; its implementations are honoured too.
        """
        for klass in type(operation).__mro__:
            fn = Operations._to_impl.get(klass)
            if fn is not None:
                return fn
        fn = _alembic_implementation(operation)
        if fn is not None:
            return fn
        module = type(operation).__module__
        if module == "alembic" or module.startswith("alembic."):
            raise NotImplementedError(
                f"{type(operation).__name__} is the real Alembic's ({module}): a plugin "
                "imported with Alembic before asyncmig loaded the scripts invoked it; "
                "import the plugin first from a script or env.py so that it uses asyncmig's"
            )
        raise NotImplementedError(
            f"no implementation registered for {type(operation).__name__}; "
            "decorate one with @Operations.implementation_for"
        )

    @classmethod
    def default_implementation(cls, op_cls: type) -> _ImplFn:
        """The first implementation registered for `op_cls` (before any ``replace=True``)."""
        return Operations._defaults[op_cls]

    # -- helpers a script calls directly -------------------------------------

    def get_context(self) -> Any:
        """The MigrationContext of the running step."""
        return self.migration_context

    def get_bind(self) -> Connection:
        """The step's sync Connection (``.dialect``, ``.engine.url``, ``.execute``).

        Offline it is, as under Alembic, a mock connection: ``.dialect`` answers and
        DDL run on it (``sa.Enum(...).create(op.get_bind())``) is written as SQL.
        """
        bind: Connection = self.migration_context.bind
        return bind

    def f(self, name: str) -> conv:
        """Mark `name` as final: the naming convention will not rewrite it."""
        return conv(name)

    def inline_literal(self, value: Any, type_: Any = None) -> Any:
        """A literal rendered inline in SQL (online and offline alike)."""
        return sa.literal(value, type_).render_literal_execute()

    @contextmanager
    def autocommit_block(self) -> Iterator[None]:
        """Run the block outside the step's transaction (e.g. CREATE INDEX CONCURRENTLY)."""
        with self.migration_context.autocommit_block():
            yield

    def run_async(self, fn: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        """Await ``fn(async_connection, *args, **kwargs)`` from inside the step; return its result.

        The step runs inside ``AsyncConnection.run_sync`` (a greenlet); this hands a
        data migration written against SQLAlchemy's asyncio API the AsyncConnection of
        the step, which the runtime gives the context as ``async_connection``.
        """
        from sqlalchemy.util import await_only

        context = self.migration_context
        if context.as_sql or context.connection is None:
            raise OperationNotSupported(
                "run_async",
                f"{context.dialect.name} offline (--sql)",
                "async data migrations need a live connection; guard them with "
                "`if not context.is_offline_mode():`",
            )
        connection = getattr(context, "async_connection", None)
        if connection is None:
            raise OperationNotSupported(
                "run_async",
                context.dialect.name,
                "the step does not run on an AsyncConnection; call it from a step run by "
                "asyncmig's runner",
            )
        return await_only(fn(connection, *args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        # Reached only for names asyncmig has not registered: a plugin imported before
        # asyncmig loaded the scripts registered them on the real Alembic's class.
        directive = None if name.startswith("_") else _alembic_directive(type(self), name)
        if directive is None:
            raise AttributeError(
                f"{type(self).__name__!r} object has no attribute {name!r}: no directive of "
                "that name is registered; a plugin's directives exist once the plugin is "
                "imported (by env.py or the script)"
            )
        return types.MethodType(directive, self)


def attach(name: str) -> Callable[[_FnT], _FnT]:
    """Function decorator: make `fn(operations, ...)` the method ``Operations.<name>``.

    For what builds on every directive class (``batch_alter_table``, the table
    recreate), and so on this module, which therefore cannot import it.
    """

    def register(fn: _FnT) -> _FnT:
        setattr(Operations, name, fn)
        return fn

    return register


# -- directives a plugin registered on the real Alembic -------------------------------


def _real_alembic(name: str) -> types.ModuleType | None:
    """The real Alembic's module `name` if something already imported it (never imports it)."""
    module = sys.modules.get(name)
    if module is None or module.__name__ != name:
        # absent, or asyncmig's alias while scripts load: the loader keeps the real one aside
        from .._script import loader

        module = getattr(loader, "_saved_modules", {}).get(name)
    if module is None or module.__name__ != name:
        return None
    return module


def _is_plugin(obj: Any) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return not (module == "alembic" or module.startswith(("alembic.", "asyncmig.")))


def _alembic_directive(cls: type[Operations], name: str) -> Callable[..., Any] | None:
    """A third-party directive `name` registered on the real Alembic's (Batch)Operations."""
    base = _real_alembic("alembic.operations.base")
    if base is None:
        return None
    fn = getattr(getattr(base, cls._alembic_class, None), name, None)
    # register_operation builds each directive with its op class in the globals
    op_cls = getattr(fn, "__globals__", {}).get("op_cls")
    if not isinstance(fn, types.FunctionType) or op_cls is None or not _is_plugin(op_cls):
        return None
    return fn


def _alembic_implementation(operation: Any) -> _ImplFn | None:
    """A plugin's implementation of `operation` registered on the real Alembic."""
    base = _real_alembic("alembic.operations.base")
    registry = getattr(getattr(base, "Operations", None), "_to_impl", None)
    if registry is None:
        return None
    try:
        fn: _ImplFn = registry.dispatch(operation)
    except ValueError:
        return None
    return fn if _is_plugin(fn) else None
