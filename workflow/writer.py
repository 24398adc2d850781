"""The one write path of every command: read, decide, compare-and-set, audit, outbox, commit,
then tell whoever waits for commits which changes were committed, and which gestures it decided
ask to be answered. The outbox gets every event (`change.event`: cards, people told) and, for
each of the policy's event subscriptions that wants one, a `subscription.event` to POST."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from workflow.codec import event_to_dict
from workflow.commands import Command
from workflow.decide import decide
from workflow.errors import Replayed
from workflow.events import Event
from workflow.gesture import Committed, Gesture, Reply
from workflow.model import ChangeRequest
from workflow.outcome import Decision
from workflow.policy_subscriptions import Subscription
from workflow.ports import OutboxMessage, UnitOfWorkFactory
from workflow.ticket_links import ticket_link

log = logging.getLogger(__name__)

# The commands to decide on a change as read in the transaction, and the change's id (a new
# one for a change this call creates).
Build = Callable[[ChangeRequest | None, str], Sequence[Command]]
# A command's change id (None: create a change), how to build its commands, and the gesture it
# decides (None: not from one), whose key is recorded in the same transaction.
Item = tuple[str | None, Build, Gesture | None]
# Told, once per transaction, every change it committed, as committed (a `Committed`, which
# also names the gestures to answer).
CommitObserver = Callable[[Sequence[ChangeRequest]], None]
# The version of the policy in force (None: not known to this writer).
PolicyVersion = Callable[[], str | None]
EVENT_TOPIC = "change.event"
SUBSCRIPTION_TOPIC = "subscription.event"


@dataclass(frozen=True, slots=True)
class Followers:
    """Who outside ChangeGate follows changes, as the policy in force says at commit: its event
    subscriptions, and the template that makes a ticket a link."""

    subscriptions: Sequence[Subscription] = ()
    ticket_url: str | None = None


NO_FOLLOWERS = Followers()


class Writer:
    """Decides items in one unit of work and commits them together; a single command is a group
    of one. An item that is refused is answered on its own and takes nothing down with it; a
    failed write (a version conflict, a database error) raises, and nothing is committed."""

    def __init__(self, uow: UnitOfWorkFactory, now: Callable[[], datetime],
                 policy_version: PolicyVersion = lambda: None,
                 followers: Callable[[], Followers] = lambda: NO_FOLLOWERS) -> None:
        self._uow = uow
        self._now = now
        self._policy_version = policy_version
        self._followers = followers
        self._observers: list[CommitObserver] = []

    def on_commit(self, observer: CommitObserver) -> None:
        """Call `observer` after every commit with the changes it saved (its failures are only
        logged: the commit stands)."""
        self._observers.append(observer)

    async def write(self, items: Sequence[Item]) -> list[Decision | Exception]:
        """Each item's decision, or the refusal (any error deciding it), in the order given."""
        now, version = self._now(), self._policy_version()
        outcomes: list[Decision | Exception] = []
        saved: list[ChangeRequest] = []
        replies: list[Reply] = []
        async with self._uow() as uow:
            ids = [change_id for change_id, _, _ in items if change_id is not None]
            stored = await uow.changes.get_many(ids) if ids else {}
            adds: list[ChangeRequest] = []
            saves: list[tuple[ChangeRequest, int]] = []
            events: list[Event] = []
            decided: list[Decision | Exception] = []
            for change_id, build, _ in items:
                before = stored.get(change_id) if change_id is not None else None
                new_id = change_id if change_id is not None else await uow.changes.next_id()
                try:
                    fold = decide_all(before, build(before, new_id), now)
                    decided.append(replace(fold, events=versioned(fold.events, version)))
                except Exception as refusal:  # decided alone it would be refused just the same
                    decided.append(refusal)
            taken = await uow.receipts.take_all(_keys(items, decided), now)
            for (change_id, _, gesture), decision in zip(items, decided, strict=True):
                if isinstance(decision, Exception):
                    outcomes.append(decision)
                    continue
                before = stored.get(change_id) if change_id is not None else None
                key = gesture.key if gesture is not None else None
                if decision.changed and key is not None:
                    if key not in taken:  # held by a committed gesture, or by one before it here
                        outcomes.append(Replayed(f"this was submitted already and decided once:"
                                                 f" see {decision.change.id}'s card"))
                        continue
                    taken.discard(key)
                if decision.changed:
                    if before is None:
                        adds.append(decision.change)
                    else:
                        saves.append((decision.change, before.version))
                    events.extend(decision.events)
                    saved.append(decision.change)
                    if gesture is not None and gesture.reply is not None:
                        replies.append(Reply(decision.change, gesture.reply))
                outcomes.append(decision)
            if saved:
                for change in adds:
                    await uow.changes.add(change)
                await uow.changes.update_many(saves)
                seqs = await uow.audit.append(events)
                await uow.outbox.put(outbox_messages(events) + subscription_messages(
                    events, {c.id: c for c in saved}, self._followers(), seqs))
                await uow.commit()
        if saved:
            self._committed(Committed(saved, replies))
        return outcomes

    def _committed(self, changes: Committed) -> None:
        for observer in self._observers:
            try:
                observer(changes)
            except Exception:
                log.exception("a commit observer failed on %s", ", ".join(c.id for c in changes))


def _keys(items: Sequence[Item], decided: Sequence[Decision | Exception]) -> list[str]:
    """The gesture keys to record: those of the items whose decision changes something."""
    return [gesture.key for (_, _, gesture), decision in zip(items, decided, strict=True)
            if gesture is not None and gesture.key is not None
            and isinstance(decision, Decision) and decision.changed]


def decide_all(
    before: ChangeRequest | None, commands: Sequence[Command], now: datetime
) -> Decision:
    """Fold several commands on one change into one decision (one transaction); a refusal that
    comes with a passed deadline's events ends the fold, keeping those events."""
    cr = before
    events: list[Event] = []
    for command in commands:
        decision = decide(cr, command, now)
        cr = decision.change
        events.extend(decision.events)
        if decision.refusal is not None:
            return Decision(cr, tuple(events), decision.refusal)
    assert cr is not None
    return Decision(cr, tuple(events))


def versioned(events: Sequence[Event], version: str | None) -> tuple[Event, ...]:
    """Every event carries a policy version: one of a change without a workflow snapshot yet (a
    draft) gets the version in force when it was decided; the others keep their snapshot's."""
    return tuple(replace(e, policy_version=version) if e.policy_version is None else e
                 for e in events)


def outbox_messages(events: Sequence[Event]) -> list[OutboxMessage]:
    """Every event on a change is delivered after commit (cards re-render, people are told)."""
    return [OutboxMessage(EVENT_TOPIC, e.change_id, event_to_dict(e)) for e in events]


def subscription_messages(events: Sequence[Event], changes: Mapping[str, ChangeRequest],
                          followers: Followers, seqs: Sequence[int] | None = None
                          ) -> list[OutboxMessage]:
    """One message per event and subscription that wants it, queued after the events' own (a
    change's card goes first). Each carries where to deliver, a delivery id a receiver drops
    repeats by, the event, its audit seq (when the audit log numbered it in this transaction)
    and the change as committed. Its change id is left out, so a slow receiver never holds up
    the change's cards: receivers order events by audit seq."""
    if not followers.subscriptions:
        return []
    numbered = seqs if seqs is not None and len(seqs) == len(events) else [None] * len(events)
    messages: list[OutboxMessage] = []
    for e, seq in zip(events, numbered, strict=True):
        change = changes.get(e.change_id) if e.change_id is not None else None
        if change is None:
            continue
        for subscription in followers.subscriptions:
            if subscription.wants(e, change):
                messages.append(OutboxMessage(SUBSCRIPTION_TOPIC, None, {
                    "delivery_id": uuid.uuid4().hex,
                    "subscription": subscription.as_payload(),
                    "event": event_to_dict(e),
                    "audit_seq": seq,
                    "change": change_summary(change, followers.ticket_url),
                }))
    return messages


def change_summary(cr: ChangeRequest, ticket_url: str | None) -> dict[str, object]:
    """What a receiver is told of the change besides the event, as committed."""
    content = cr.content
    return {
        "id": cr.id, "title": cr.metadata.title, "state": cr.state.value,
        "requester": cr.requester, "revision": cr.revision, "family": content.family,
        "action": content.action, "target": content.target, "risk": content.risk.value,
        "labels": list(cr.metadata.labels), "ticket": cr.metadata.ticket,
        "ticket_url": ticket_link(ticket_url, cr.metadata.ticket),
        "workflow": cr.workflow.name if cr.workflow else None,
    }
