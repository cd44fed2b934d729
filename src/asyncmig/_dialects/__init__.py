"""Everything that differs between databases, one module per dialect.

Each module defines a :class:`~.generic.Backend` subclass naming its session
(transactions), migration lock, tenant-schema handling, DDL implementation and
autogenerate behaviour.  :data:`BACKENDS` is the one registry, filled here;
a new dialect is a new module plus one entry below (or :func:`register` from
outside the package).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .generic import Backend
from .mysql import MariaDB, MySQL
from .postgresql import PostgreSQL
from .sqlite import SQLite

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect

__all__ = ("BACKENDS", "Backend", "backend_for", "register")

BACKENDS: dict[str, type[Backend]] = {}


def register(backend: type[Backend]) -> type[Backend]:
    """Serve the dialects `backend.names` with `backend` (usable as a class decorator)."""
    for name in backend.names:
        BACKENDS[name] = backend
    return backend


for _backend in (SQLite, PostgreSQL, MySQL, MariaDB):
    register(_backend)


def backend_for(dialect: Dialect | str) -> type[Backend]:
    """The backend of a dialect (or dialect name); the generic one if none is registered.

    A MariaDB server reached through SQLAlchemy's ``mysql`` dialect (``is_mariadb``)
    gets MariaDB's backend.
    """
    if isinstance(dialect, str):
        name = dialect
    else:
        name = "mariadb" if getattr(dialect, "is_mariadb", False) else dialect.name
    return BACKENDS.get(name, Backend)
