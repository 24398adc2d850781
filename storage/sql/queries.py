"""Read queries the bot needs (home tab, lists, timers, history), on the reader engine, indexed."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select

from storage.audit_chain import AuditRow
from storage.ports.deadlines import Deadline
from storage.reads import ENDED_UNAPPLIED, STILL_OPEN
from storage.sql.audit_trail import to_audit_row
from storage.sql.engines import Database
from storage.sql.schema import (
    audit_events,
    change_authors,
    change_people,
    change_requests,
    responses,
    review_groups,
)
from workflow.codec import change_from_dict
from workflow.model import ChangeRequest, State, Verdict

LIMIT = 50
cr = change_requests


def awaiting_conditions(person: str, groups: Collection[str]) -> list[ColumnElement[bool]]:
    """In review, its active stage takes one of `groups`, not requested or authored by the
    person (four eyes), not answered by them on the current revision."""
    waiting = select(review_groups.c.change_id).where(
        review_groups.c.group_name.in_(sorted(groups))
    )
    responded = exists().where(
        responses.c.change_id == cr.c.id,
        responses.c.revision == cr.c.revision,
        responses.c.person == person,
        responses.c.ended.is_(None),
    )
    authored = exists().where(
        change_authors.c.change_id == cr.c.id, change_authors.c.person == person
    )
    return [cr.c.id.in_(waiting), cr.c.state == State.PENDING_REVIEW.value, ~responded,
            ~authored]


def approved_by_conditions(person: str) -> list[ColumnElement[bool]]:
    """Still open, its current revision carrying the person's live approval
    (storage.reads.approved_by)."""
    approved = exists().where(
        responses.c.change_id == cr.c.id,
        responses.c.revision == cr.c.revision,
        responses.c.person == person,
        responses.c.ended.is_(None),
        responses.c.verdict == Verdict.APPROVE.value,
    )
    return [cr.c.state.in_(sorted(s.value for s in STILL_OPEN)), approved]


def needs_action_conditions(person: str, since: datetime | None) -> list[ColumnElement[bool]]:
    """The person's own changes that wait for them (storage.reads.needs_action): an applied or
    failed change has a deadline only while its required review is owed."""
    owed = and_(cr.c.state.in_((State.APPLIED.value, State.FAILED.value)),
                cr.c.next_deadline.is_not(None))
    ended: ColumnElement[bool] = cr.c.state.in_(sorted(s.value for s in ENDED_UNAPPLIED))
    if since is not None:
        ended = and_(ended, cr.c.updated_at >= since)
    return [cr.c.requester == person,
            or_(cr.c.state == State.APPLY_UNKNOWN.value, owed, ended)]


class Queries:
    """Lists of changes and histories; none of them takes the writer's lock."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def db(self) -> Database:
        return self._db

    async def get(self, change_id: str) -> ChangeRequest | None:
        """One change as committed, read without the writer's lock."""
        found = await self._changes(select(cr.c.data).where(cr.c.id == change_id))
        return found[0] if found else None

    async def deadline_of(self, change_id: str) -> datetime | None:
        """The change's next deadline (an indexed column, nothing decoded)."""
        async with self._db.read() as conn:
            found: datetime | None = await conn.scalar(
                select(cr.c.next_deadline).where(cr.c.id == change_id))
        return found

    async def involving(self, person: str, limit: int = LIMIT) -> list[ChangeRequest]:
        """Changes the person requested, wrote, answered or commented on, latest saved first."""
        query = (
            select(cr.c.data)
            .join(change_people, change_people.c.change_id == cr.c.id)
            .where(change_people.c.person == person)
            .order_by(cr.c.updated_at.desc(), cr.c.number.desc())
            .limit(limit)
        )
        return await self._changes(query)

    async def latest_event(
        self, change_id: str, *, skip: Collection[str] = ()
    ) -> AuditRow | None:
        """The change's newest audit event, leaving out events of the `skip` kinds."""
        query = select(audit_events).where(audit_events.c.change_id == change_id)
        if skip:
            query = query.where(audit_events.c.kind.not_in(sorted(skip)))
        query = query.order_by(audit_events.c.seq.desc()).limit(1)
        async with self._db.read() as conn:
            row = (await conn.execute(query)).first()
        return to_audit_row(row) if row is not None else None

    async def pending_for(
        self, person: str, groups: Collection[str], limit: int = LIMIT
    ) -> list[ChangeRequest]:
        """Changes in review whose active stage needs one of `groups`, oldest first.

        Leaves out changes the person already responded to on the current revision and those
        they requested or authored (four eyes).
        """
        if not groups:
            return []
        query = (
            select(cr.c.data)
            .where(*awaiting_conditions(person, groups))
            .order_by(cr.c.created_at, cr.c.number)
            .limit(limit)
        )
        return await self._changes(query)

    async def requested_by(self, person: str, limit: int = LIMIT) -> list[ChangeRequest]:
        """The person's own requests, newest first."""
        query = (
            select(cr.c.data)
            .where(cr.c.requester == person)
            .order_by(cr.c.created_at.desc(), cr.c.number.desc())
            .limit(limit)
        )
        return await self._changes(query)

    async def in_state(self, state: State, limit: int = LIMIT, *, oldest_first: bool = False
                       ) -> list[ChangeRequest]:
        """Changes in one state, newest first (or oldest first), the first `limit` of them."""
        order = ((cr.c.created_at, cr.c.number) if oldest_first
                 else (cr.c.created_at.desc(), cr.c.number.desc()))
        query = select(cr.c.data).where(cr.c.state == state.value).order_by(*order).limit(limit)
        return await self._changes(query)

    async def deadlines(self, until: datetime | None = None, limit: int = 1000) -> list[Deadline]:
        """Next deadline of every change that has one (up to `until`), soonest first.

        Timers are re-armed from this at start-up; a sweeper asks for those already due.
        """
        query = select(cr.c.id, cr.c.next_deadline).where(cr.c.next_deadline.is_not(None))
        if until is not None:
            query = query.where(cr.c.next_deadline <= until)
        query = query.order_by(cr.c.next_deadline, cr.c.number).limit(limit)
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [Deadline(row.id, row.next_deadline) for row in rows]

    async def history(self, change_id: str) -> list[AuditRow]:
        """Every audit event of one change, in order, across all its revisions."""
        query = (
            select(audit_events)
            .where(audit_events.c.change_id == change_id)
            .order_by(audit_events.c.seq)
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [to_audit_row(row) for row in rows]

    async def _changes(self, query: Select[Any]) -> list[ChangeRequest]:
        async with self._db.read() as conn:
            data: Sequence[Any] = (await conn.scalars(query)).all()
        return [change_from_dict(d) for d in data]
