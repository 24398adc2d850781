"""Alembic migrations of the ChangeGate schema; `storage.migrate` runs them."""
