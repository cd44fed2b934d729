"""Running plans against databases: engines, locks, transactions, version tables."""
