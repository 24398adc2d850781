"""SQLAlchemy 2 async adapters of the engine's ports, for SQLite (the default) and PostgreSQL."""
