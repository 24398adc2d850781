"""The three lists of a person's App Home, each a count and its first page: only the changes a
tab shows are decoded, however long the lists are."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, not_, select

from storage.reads import Page
from storage.sql.engines import Database
from storage.sql.queries import (
    approved_by_conditions,
    awaiting_conditions,
    needs_action_conditions,
)
from storage.sql.schema import change_people, change_requests
from workflow.codec import change_from_dict
from workflow.model import TERMINAL_STATES, State

cr = change_requests
OPEN = sorted(s.value for s in State if s not in TERMINAL_STATES)
IN_REVIEW = (State.DRAFT.value, State.PENDING_REVIEW.value)
ENDED_APPLY = (State.APPLIED.value, State.FAILED.value)


class HomeReads:
    """Awaiting my approval, my open requests, and the rest involving me that is past review."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def awaiting(self, person: str, groups: Collection[str], limit: int) -> Page:
        """Oldest first."""
        if not groups:
            return Page(0, [])
        where = and_(*awaiting_conditions(person, groups))
        return await self._page(select(cr.c.data).where(where), where,
                                (cr.c.created_at, cr.c.number), limit)

    async def open_requests(self, person: str, limit: int) -> Page:
        """The person's requests not yet settled, newest first."""
        where = and_(cr.c.requester == person, cr.c.state.in_(OPEN))
        return await self._page(select(cr.c.data).where(where), where,
                                (cr.c.created_at.desc(), cr.c.number.desc()), limit)

    async def owed_reviews(self, person: str, limit: int) -> Page:
        """Oldest first. An applied or failed change has a deadline only while a required
        post-implementation review is owed (recording it disarms the reminder)."""
        where = and_(cr.c.requester == person, cr.c.state.in_(ENDED_APPLY),
                     cr.c.next_deadline.is_not(None))
        return await self._page(select(cr.c.data).where(where), where,
                                (cr.c.created_at, cr.c.number), limit)

    async def needs_action(self, person: str, since: datetime, limit: int) -> Page:
        """Newest first."""
        where = and_(*needs_action_conditions(person, since))
        return await self._page(select(cr.c.data).where(where), where,
                                (cr.c.created_at.desc(), cr.c.number.desc()), limit)

    async def approved_by(self, person: str, limit: int) -> Page:
        """Newest first."""
        where = and_(*approved_by_conditions(person))
        return await self._page(select(cr.c.data).where(where), where,
                                (cr.c.created_at.desc(), cr.c.number.desc()), limit)

    async def decided(self, person: str, limit: int) -> Page:
        """Changes the person took part in, past review, but not their own open requests;
        latest saved first."""
        mine_open = and_(cr.c.requester == person, cr.c.state.in_(OPEN))
        where = and_(change_people.c.person == person, cr.c.state.not_in(IN_REVIEW),
                     not_(mine_open))
        joined = cr.join(change_people, change_people.c.change_id == cr.c.id)
        return await self._page(select(cr.c.data).select_from(joined).where(where), where,
                                (cr.c.updated_at.desc(), cr.c.number.desc()), limit,
                                joined)

    async def _page(self, query: Select[Any], where: ColumnElement[bool],
                    order: tuple[Any, ...], limit: int, source: Any = cr) -> Page:
        counting = select(func.count()).select_from(source).where(where)
        async with self._db.read() as conn:
            total = int(await conn.scalar(counting) or 0)
            data = (await conn.scalars(query.order_by(*order).limit(limit))).all() \
                if total and limit > 0 else []
        return Page(total, [change_from_dict(d) for d in data])
