"""One ``async def`` per command: they return data and print nothing.

``scripts`` needs no database (and never imports SQLAlchemy); ``database``
runs plans against databases through the runtime, imported on first use.
"""
