"""Storage's own failure: what code outside storage catches, never the database library's errors."""

from __future__ import annotations


class StorageError(Exception):
    """The database did not answer as expected; the message is the driver's reason."""
