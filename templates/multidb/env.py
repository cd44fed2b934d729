"""The migration environment, imported by asyncmig before it runs or writes migrations.

Everything in this file is optional; delete what you do not need.  asyncmig
imports it (it is not run as a script), then reads the names below.
"""

# The MetaData per database that `asyncmig revision --autogenerate` compares,
# keyed by the names in the configuration's [databases.<name>] tables.
target_metadata = {"main": None, "analytics": None}


# Return False to leave an object out of autogenerate's comparison.
# def include_object(object, name, type_, reflected, compare_to):
#     return True


# Build each database's engine yourself; `name` is the database, `url` its configured URL.
# async def engine(name, url):
#     from sqlalchemy.ext.asyncio import create_async_engine
#     return create_async_engine(url)
