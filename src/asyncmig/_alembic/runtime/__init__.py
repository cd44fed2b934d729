"""``alembic.runtime`` for scripts loaded by asyncmig."""
