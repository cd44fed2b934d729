"""``alembic.autogenerate.render``: where plugins register how their ops are written."""

from ..util import Dispatcher

__all__ = ("renderers",)

renderers = Dispatcher()
