"""The rows that follow a change (responses, review groups, authors, people): written as the
difference from what the same transaction read, so an approval adds a row or two instead of
rewriting every child table; the differences of several changes go out together."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.sql.errors import UniqueViolation, translated
from storage.sql.projection import (
    Row,
    author_rows,
    people_rows,
    response_rows,
    review_group_rows,
)
from storage.sql.schema import change_authors, change_people, responses, review_groups
from workflow.errors import ConcurrencyConflict
from workflow.model import ChangeRequest

Child = tuple[Table, Callable[[ChangeRequest], list[Row]], tuple[str, ...]]
CHILDREN: Sequence[Child] = (
    (responses, response_rows, ("position",)),
    (review_groups, review_group_rows, ("group_name",)),
    (change_authors, author_rows, ("person",)),
    (change_people, people_rows, ("person",)),
)


@dataclass
class ChildWrites:
    """Row changes of every child table, gathered over one or more saves."""

    cleared: dict[str, list[str]] = field(default_factory=dict)  # table -> change ids
    deleted: dict[str, list[Row]] = field(default_factory=dict)  # table -> key rows
    updated: dict[str, list[Row]] = field(default_factory=dict)
    inserted: dict[str, list[Row]] = field(default_factory=dict)

    def add(self, change: ChangeRequest, before: ChangeRequest | None) -> None:
        """What takes the rows from `before` (as stored) to `change`; without `before`, every
        row is replaced."""
        for table, rows_of, key in CHILDREN:
            new = rows_of(change)
            if before is None:
                self.cleared.setdefault(table.name, []).append(change.id)
                self.inserted.setdefault(table.name, []).extend(new)
                continue
            old = {_key(row, key): row for row in rows_of(before)}
            fresh = {_key(row, key): row for row in new}
            self.deleted.setdefault(table.name, []).extend(
                old[k] for k in old.keys() - fresh.keys())
            self.updated.setdefault(table.name, []).extend(
                fresh[k] for k in old.keys() & fresh.keys() if old[k] != fresh[k])
            self.inserted.setdefault(table.name, []).extend(
                row for k, row in fresh.items() if k not in old)

    async def write(self, conn: AsyncConnection, change_id: str) -> None:
        """Deletes and updates first, so a response ended and a new one of the same person
        never meet in the live-response index; one statement per table and kind."""
        for table, _, key in CHILDREN:
            ids = self.cleared.get(table.name)
            if ids:
                async with translated(change_id):
                    await conn.execute(delete(table).where(table.c.change_id.in_(ids)))
            gone = self.deleted.get(table.name, [])
            if len(gone) == 1:
                async with translated(change_id):
                    await conn.execute(delete(table).where(_is(table, gone[0], key)))
            elif gone:
                async with translated(change_id):
                    await conn.execute(delete(table).where(_by_key(table, key)),
                                       [_key_params(row, key) for row in gone])
        for table, _, key in CHILDREN:
            changed = self.updated.get(table.name, [])
            if len(changed) == 1:
                async with translated(change_id):
                    await conn.execute(update(table).where(_is(table, changed[0], key))
                                       .values(_values(changed[0], key)))
            elif changed:
                async with translated(change_id):
                    await conn.execute(update(table).where(_by_key(table, key)),
                                       [{**_key_params(row, key), **_values(row, key)}
                                        for row in changed])
        for table, _, _ in CHILDREN:
            await _insert(conn, table, change_id, self.inserted.get(table.name, []))


async def _insert(conn: AsyncConnection, table: Table, change_id: str, rows: list[Row]) -> None:
    if not rows:
        return
    try:
        async with translated(change_id):
            if len(rows) == 1:
                await conn.execute(insert(table).values(rows[0]))
            else:
                await conn.execute(insert(table), rows)
    except UniqueViolation:
        # A second live response of one person: another writer got there first.
        raise ConcurrencyConflict(change_id) from None


def _key(row: Row, key: tuple[str, ...]) -> tuple[Any, ...]:
    return (row["change_id"], *(row[k] for k in key))


def _is(table: Table, row: Row, key: tuple[str, ...]) -> Any:
    return and_(table.c.change_id == row["change_id"], *(table.c[k] == row[k] for k in key))


def _by_key(table: Table, key: tuple[str, ...]) -> Any:
    return and_(table.c.change_id == bindparam("k_change_id"),
                *(table.c[k] == bindparam(f"k_{k}") for k in key))


def _key_params(row: Row, key: tuple[str, ...]) -> Row:
    return {"k_change_id": row["change_id"], **{f"k_{k}": row[k] for k in key}}


def _values(row: Row, key: tuple[str, ...]) -> Row:
    return {k: v for k, v in row.items() if k != "change_id" and k not in key}
