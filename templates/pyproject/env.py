"""The migration environment, imported by asyncmig before it runs or writes migrations.

Everything in this file is optional; delete what you do not need.  asyncmig
imports it (it is not run as a script), then reads the names below.
"""

# The MetaData that `asyncmig revision --autogenerate` compares with the database,
# e.g. `from myapp.models import Base` and `target_metadata = Base.metadata`.
# The configuration's `target_metadata = "myapp.models:Base.metadata"` does the same.
target_metadata = None


# Return False to leave an object out of autogenerate's comparison.
# def include_object(object, name, type_, reflected, compare_to):
#     return True


# Build the engine yourself (pool settings, connect_args, ...); `url` is the configured one.
# async def engine(name, url):
#     from sqlalchemy.ext.asyncio import create_async_engine
#     return create_async_engine(url)
