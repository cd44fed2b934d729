"""``alembic.autogenerate.compare``: where plugins register schema comparators."""

from ..util import Dispatcher

__all__ = ("comparators",)

comparators = Dispatcher()
