"""Events delivered together (a relay that fell behind) make one thread reply and one DM."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.slack.outbound.delivery import TOPIC
from bot.slack.outbound.notices import POST_CHARS, thread_digest
from tests.slack.harness import CHANNEL, REQUESTER, SENIOR1, SENIOR2, Harness, running_bot
from tests.support.builders import T0
from workflow.codec import event_to_dict
from workflow.events import Event, EventKind
from workflow.ports import OutboxMessage


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path) as harness:
        yield harness


def vote(change_id: str, actor: str, bot: Harness) -> OutboxMessage:
    event = Event(EventKind.RESPONSE, change_id, actor, bot.clock.now(), revision=1,
                  data={"verdict": "approve", "stage": 1})
    return OutboxMessage(TOPIC, change_id, event_to_dict(event))


async def test_two_votes_delivered_at_once_are_one_reply_and_one_dm(bot: Harness) -> None:
    cr = await bot.seed()
    await bot.settled()
    card = await bot.card(cr.id)
    replies_before = len(bot.fake.thread(CHANNEL, card.ts))
    dms_before = len(bot.fake.messages(REQUESTER))
    assert bot.runtime.slack is not None
    delivery = bot.runtime.slack.services.delivery

    later = await delivery.deliver_many([vote(cr.id, SENIOR1, bot), vote(cr.id, SENIOR2, bot)])
    assert later is not None
    await later()

    replies = bot.fake.thread(CHANNEL, card.ts)[replies_before:]
    assert len(replies) == 1
    assert "<@USEN1> approved" in replies[0].text and "<@USEN2> approved" in replies[0].text
    dms = bot.fake.messages(REQUESTER)[dms_before:]
    assert len(dms) == 1 and dms[0].text.count("approved (stage 1)") == 2


def test_a_long_burst_is_split_into_posts_slack_shows_whole() -> None:
    """Each reply stays under POST_CHARS; no line is lost or cut."""
    comment = "x" * 1000
    events = [Event(EventKind.RESPONSE, "CHG-1", f"U{n}", T0, revision=1,
                    data={"verdict": "approve", "stage": 1, "comment": comment})
              for n in range(10)]
    posts = thread_digest(events)
    assert len(posts) > 1 and all(len(p) <= POST_CHARS for p in posts)
    assert "\n".join(posts).count("approved (stage 1)") == 10
