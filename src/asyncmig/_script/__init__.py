"""Everything about migration scripts that needs no database: graph, files, writing."""
