"""Slack's rate limits: the fake Slack enforces them (opt-in), the bot's paced client keeps to
them and waits out Retry-After, and card updates coalesce per card. All on a test clock."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.fakeslack import FakeSlack, Workspace
from bot.slack.outbound.card_follower import CardFollower
from bot.slack.outbound.card_updates import (
    CardUpdates,
    Render,
    ResponseUrlRefused,
    through_response_url,
)
from bot.slack.outbound.limits import POST_PER_CHANNEL, TIER_3, Limit
from bot.slack.outbound.paced_client import PacedWebClient
from bot.slack.outbound.pacing import SlackPacer
from tests.support.pacing_clock import PacingClock as Clock

CHANNEL = "C0CHANGES"


@pytest.fixture
def clock() -> Clock:
    """Seconds that move only when something sleeps."""
    return Clock()


@pytest.fixture
async def fake(clock: Clock) -> AsyncIterator[FakeSlack]:
    workspace = Workspace()
    workspace.add_channel(CHANNEL)
    workspace.add_channel("C0OTHER")
    async with FakeSlack(workspace, clock=clock).with_limits() as server:
        yield server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


def plain(fake: FakeSlack, session: aiohttp.ClientSession) -> AsyncWebClient:
    """A client that never retries, to see Slack's answers as they are."""
    return AsyncWebClient(token=fake.workspace.bot_token, base_url=fake.api_url,
                          session=session, retry_handlers=[])


def paced(fake: FakeSlack, session: aiohttp.ClientSession, clock: Clock) -> PacedWebClient:
    return PacedWebClient(pacer=SlackPacer(clock, clock.sleep), token=fake.workspace.bot_token,
                          base_url=fake.api_url, session=session, retry_handlers=[])


async def post(client: AsyncWebClient, channel: str = CHANNEL) -> str:
    return str((await client.chat_postMessage(channel=channel, text="card"))["ts"])


async def test_over_its_limit_a_call_is_answered_429_with_retry_after(
        fake: FakeSlack, session: aiohttp.ClientSession, clock: Clock) -> None:
    client = plain(fake, session)
    ts = await post(client)
    for n in range(TIER_3.burst):
        await client.chat_update(channel=CHANNEL, ts=ts, text=f"v{n}")

    with pytest.raises(SlackApiError) as refused:
        await client.chat_update(channel=CHANNEL, ts=ts, text="over")
    wait = math.ceil(1 / TIER_3.per_s)
    assert refused.value.response.status_code == 429
    assert refused.value.response["error"] == "ratelimited"
    assert refused.value.response.headers["Retry-After"] == str(wait)
    assert fake.limits is not None and fake.limits.early == []

    clock.now += wait - 0.5  # back before Retry-After: refused again, and noted
    with pytest.raises(SlackApiError):
        await client.chat_update(channel=CHANNEL, ts=ts, text="early")
    assert [r.method for r in fake.limits.early] == ["chat.update"]

    clock.now += 0.5
    await client.chat_update(channel=CHANNEL, ts=ts, text="in time")
    assert fake.messages(CHANNEL)[0].text == "in time"


async def test_posts_are_limited_per_channel(fake: FakeSlack, session: aiohttp.ClientSession
                                             ) -> None:
    client = plain(fake, session)
    for _ in range(POST_PER_CHANNEL.burst):
        await post(client)
    with pytest.raises(SlackApiError) as refused:
        await post(client)
    assert refused.value.response.headers["Retry-After"] == "1"
    await post(client, "C0OTHER")  # another channel has its own second


async def test_the_paced_client_keeps_to_the_limit_without_a_single_429(
        fake: FakeSlack, session: aiohttp.ClientSession, clock: Clock) -> None:
    client = paced(fake, session, clock)
    ts = await post(client)
    started = clock.now
    for n in range(20):
        await client.chat_update(channel=CHANNEL, ts=ts, text=f"v{n}")

    assert fake.limits is not None and fake.limits.refusals == []
    assert fake.messages(CHANNEL)[0].text == "v19"
    kept = TIER_3.kept()
    assert clock.now - started >= (20 - kept.burst) / kept.per_s - 1e-6


async def test_two_processes_sharing_the_budget_wait_out_every_retry_after(
        fake: FakeSlack, session: aiohttp.ClientSession, clock: Clock) -> None:
    """Two clients each keep to the limit, together they exceed it: each waits out the 429s it
    is answered, never retrying early, and every update lands. (Taking turns, neither calls while
    the other waits; concurrent replicas do not share a Retry-After, so CHANGEGATE_REPLICAS has
    each keep to its share, as the next test shows.)"""
    first, second = paced(fake, session, clock), paced(fake, session, clock)
    ts = await post(first)
    for n in range(8):
        for client, name in ((first, "a"), (second, "b")):
            await client.chat_update(channel=CHANNEL, ts=ts, text=f"{name}{n}")

    assert fake.limits is not None
    assert fake.limits.refusals, "the shared budget was never exceeded"
    assert fake.limits.early == []
    assert first.pacer.refusals + second.pacer.refusals == len(fake.limits.refusals)
    assert fake.messages(CHANNEL)[0].text == "b7"
    assert fake.messages(CHANNEL)[0].edits == 16


async def test_replicas_each_keeping_their_share_are_never_answered_429(
        fake: FakeSlack, session: aiohttp.ClientSession, clock: Clock) -> None:
    """The same turns as above, but each of three replicas keeps to a third of the limits
    (CHANGEGATE_REPLICAS=3): together they stay inside Slack's, so no call is refused."""
    replicas = [PacedWebClient(pacer=SlackPacer(clock, clock.sleep, replicas=3),
                               token=fake.workspace.bot_token, base_url=fake.api_url,
                               session=session, retry_handlers=[]) for _ in range(3)]
    ts = await post(replicas[0])
    started = clock.now
    for n in range(8):
        for i, client in enumerate(replicas):
            await client.chat_update(channel=CHANNEL, ts=ts, text=f"{i}:{n}")

    assert fake.limits is not None and fake.limits.refusals == []
    assert fake.messages(CHANNEL)[0].edits == 24
    # together they still use the whole rate: 24 updates, all but a burst at 50 a minute
    assert clock.now - started <= (24 - 3 + 1) / TIER_3.per_s


def test_a_replica_share_divides_rate_and_burst_but_never_below_one_call() -> None:
    assert TIER_3.kept(1) == Limit(50, 4)
    assert TIER_3.kept(2) == Limit(25, 2)
    assert TIER_3.kept(5) == Limit(10, 1)
    assert POST_PER_CHANNEL.kept(3).burst == 1


async def test_a_429_is_sent_again_only_after_its_retry_after(
        fake: FakeSlack, session: aiohttp.ClientSession, clock: Clock) -> None:
    client = paced(fake, session, clock)
    ts = await post(client)
    fake.fail_next("chat.update", retry_after=7)
    refused_at = clock.now

    await client.chat_update(channel=CHANNEL, ts=ts, text="final")

    assert clock.now - refused_at >= 7
    assert fake.messages(CHANNEL)[0].text == "final"
    assert [c.status for c in fake.calls_to("chat.update")] == [429, 200]


def render(version: int, text: str, sent: list[str] | None = None) -> Render:
    async def shown() -> None:
        if sent is not None:
            sent.append(text)

    return Render(version, text, {"text": text}, shown)


class InFlight:
    """A card update's send through chat.update that counts the most calls in flight at once."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._flying = 0
        self.most = 0

    async def __call__(self, channel: str, card_ts: str, message: Any) -> None:
        self._flying += 1
        self.most = max(self.most, self._flying)
        try:
            await self._client.chat_update(channel=channel, ts=card_ts, **message)
        finally:
            self._flying -= 1


async def test_coalescing_sends_the_latest_render_with_one_update_in_flight(
        fake: FakeSlack, session: aiohttp.ClientSession) -> None:
    client = plain(fake, session)
    ts = await post(client)
    send = InFlight(client)
    updates = CardUpdates(send)
    sent: list[str] = []
    hold = fake.hold_next("chat.update")
    first = asyncio.create_task(updates.update(CHANNEL, ts, render(1, "v1", sent)))
    await hold.arrived.wait()
    for version in (2, 3, 4):  # while v1 is in flight: each replaces the one waiting
        await updates.update(CHANNEL, ts, render(version, f"v{version}", sent))
    hold.release()
    await first
    await updates.settle()

    assert [c.args["text"] for c in fake.calls_to("chat.update")] == ["v1", "v4"]
    assert sent == ["v1", "v4"] and send.most == 1
    await updates.update(CHANNEL, ts, render(3, "v3"))  # older than what the card shows
    assert len(fake.calls_to("chat.update")) == 2
    assert fake.messages(CHANNEL)[0].text == "v4"


async def test_without_room_an_update_waits_in_its_cards_own_task(
        fake: FakeSlack, session: aiohttp.ClientSession) -> None:
    client = plain(fake, session)
    ts = await post(client)
    room = False

    async def wait(_: float) -> None:
        nonlocal room
        room = True

    async def now() -> Render:  # the card as current state renders it when its turn comes
        return render(3, "v3")

    updates = CardUpdates(lambda c, t, m: client.chat_update(channel=c, ts=t, **m),
                          lambda: 0.0 if room else 1.0, wait)
    await updates.update(CHANNEL, ts, render(1, "v1"))
    await updates.update(CHANNEL, ts, replace(render(2, "v2"), fresh=now))
    assert not updates.idle(CHANNEL, ts)
    await updates.settle()
    assert [c.args["text"] for c in fake.calls_to("chat.update")] == ["v3"]
    assert updates.idle(CHANNEL, ts)


async def test_the_follower_takes_each_marked_change_once_oldest_first(clock: Clock) -> None:
    followed: list[tuple[str, int]] = []

    async def follow(change_id: str, version: int) -> None:
        followed.append((change_id, version))

    follower = CardFollower(follow, SlackPacer(clock, clock.sleep), clock.sleep)
    changes = [SimpleNamespace(id=i, version=v)
               for i, v in (("CHG-1", 2), ("CHG-2", 5), ("CHG-1", 3), ("CHG-3", 1))]
    follower.committed(changes)  # type: ignore[arg-type]
    await follower.close()  # the loop is not needed: run it by hand
    for _ in range(4):
        await follower.run_once()
    assert followed == [("CHG-1", 3), ("CHG-2", 5), ("CHG-3", 1)]  # with the latest committed


def through(texts: list[str], fail: bool = False) -> Any:
    """A `via` that notes what it would show (or is refused, as a used-up response_url)."""

    async def via(message: Any) -> None:
        if fail:
            raise ResponseUrlRefused("404 used_url")
        texts.append(message["text"])

    return via


async def test_a_render_with_a_via_goes_out_at_once_while_chat_update_has_no_room(
        fake: FakeSlack, session: aiohttp.ClientSession) -> None:
    client = plain(fake, session)
    ts = await post(client)
    sent: list[str] = []
    replaced: list[str] = []
    updates = CardUpdates(lambda c, t, m: client.chat_update(channel=c, ts=t, **m),
                          lambda: 60.0, lambda _: asyncio.Event().wait())

    await updates.update(CHANNEL, ts, replace(render(2, "v2", sent), via=through(replaced)))

    assert replaced == ["v2"] and sent == ["v2"]
    assert not fake.calls_to("chat.update") and updates.idle(CHANNEL, ts)


async def test_a_via_render_overtakes_a_card_waiting_for_the_budget_which_then_sends_nothing_older(
        fake: FakeSlack, session: aiohttp.ClientSession) -> None:
    client = plain(fake, session)
    ts = await post(client)
    room = asyncio.Event()
    replaced: list[str] = []

    async def wait(_: float) -> None:
        await room.wait()

    updates = CardUpdates(lambda c, t, m: client.chat_update(channel=c, ts=t, **m),
                          lambda: 0.0 if room.is_set() else 60.0, wait)
    await updates.update(CHANNEL, ts, render(1, "v1"))  # waits in the card's task
    assert not updates.idle(CHANNEL, ts)

    await updates.update(CHANNEL, ts, replace(render(2, "v2"), via=through(replaced)))
    assert replaced == ["v2"]
    room.set()
    await updates.settle()
    assert not fake.calls_to("chat.update")  # v1 was replaced before it went, never after v2


async def test_a_via_render_does_not_wait_for_an_update_in_flight_or_queued_at_the_pacer(
        fake: FakeSlack, session: aiohttp.ClientSession) -> None:
    client = plain(fake, session)
    ts = await post(client)
    replaced: list[str] = []
    hold = fake.hold_next("chat.update")
    updates = CardUpdates(lambda c, t, m: client.chat_update(channel=c, ts=t, **m))
    first = asyncio.create_task(updates.update(CHANNEL, ts, render(1, "v1")))
    await hold.arrived.wait()

    await updates.update(CHANNEL, ts, replace(render(2, "v2"), via=through(replaced)))
    assert replaced == ["v2"]  # while v1 is still in flight
    assert not updates.idle(CHANNEL, ts)

    hold.release()
    await first
    await updates.settle()
    assert [c.args["text"] for c in fake.calls_to("chat.update")] == ["v1"]
    assert updates.idle(CHANNEL, ts)


async def test_a_refused_via_leaves_the_render_to_chat_update_when_it_has_room(
        fake: FakeSlack, session: aiohttp.ClientSession) -> None:
    client = plain(fake, session)
    ts = await post(client)
    room = asyncio.Event()

    async def wait(_: float) -> None:
        room.set()

    updates = CardUpdates(lambda c, t, m: client.chat_update(channel=c, ts=t, **m),
                          lambda: 0.0 if room.is_set() else 60.0, wait)

    await updates.update(CHANNEL, ts, replace(render(2, "v2"), via=through([], fail=True)))
    await updates.settle()

    assert [c.args["text"] for c in fake.calls_to("chat.update")] == ["v2"]
    assert fake.messages(CHANNEL)[0].text == "v2"


async def test_through_response_url_replaces_the_clicked_message_and_says_when_it_is_used_up(
        fake: FakeSlack, session: aiohttp.ClientSession) -> None:
    client = plain(fake, session)
    ts = await post(client)
    replace_card = through_response_url(fake.issue_response_url(CHANNEL, "U1", ts), session)

    for n in range(5):
        await replace_card({"text": f"v{n}", "blocks": []})
    assert fake.messages(CHANNEL)[0].text == "v4"
    with pytest.raises(ResponseUrlRefused):
        await replace_card({"text": "v5", "blocks": []})


async def test_what_a_card_is_told_after_its_via_post_may_update_it_again_without_a_deadlock(
        fake: FakeSlack, session: aiohttp.ClientSession) -> None:
    client = plain(fake, session)
    ts = await post(client)
    updates = CardUpdates(lambda c, t, m: client.chat_update(channel=c, ts=t, **m),
                          lambda: 60.0, lambda _: asyncio.Event().wait())
    entered, release = asyncio.Event(), asyncio.Event()
    replaced: list[str] = []

    async def slow(message: Any) -> None:
        entered.set()
        await release.wait()
        replaced.append(message["text"])

    async def caught_up() -> None:  # as delivery's catch-up does after a render lands late
        await updates.update(CHANNEL, ts, render(3, "v3"))

    first = asyncio.create_task(updates.update(
        CHANNEL, ts, Render(1, "v1", {"text": "v1"}, caught_up, via=slow)))
    await entered.wait()
    second = asyncio.create_task(updates.update(
        CHANNEL, ts, replace(render(2, "v2"), via=through(replaced))))
    await asyncio.sleep(0)
    release.set()

    async with asyncio.timeout(5):
        await asyncio.gather(first, second)
    assert replaced[0] == "v1" and replaced[-1] == "v3"  # v3 took v2's unused response_url
    assert not fake.calls_to("chat.update")


async def test_serial_updates_keep_one_chat_update_of_all_cards_in_flight_and_send_the_latest(
        fake: FakeSlack, session: aiohttp.ClientSession) -> None:
    client = plain(fake, session)
    first_ts, second_ts = await post(client), await post(client)
    send = InFlight(client)
    updates = CardUpdates(send, serial=True)
    hold = fake.hold_next("chat.update")
    first = asyncio.create_task(updates.update(CHANNEL, first_ts, render(1, "a1")))
    await hold.arrived.wait()
    # Another card's renders wait for the turn, newest replacing older, none sent beside a1.
    await updates.update(CHANNEL, second_ts, render(1, "b1"))
    await updates.update(CHANNEL, second_ts, render(2, "b2"))
    assert not updates.idle(CHANNEL, second_ts) and send.most == 1
    hold.release()
    await first
    await updates.settle()

    assert [c.args["text"] for c in fake.calls_to("chat.update")] == ["a1", "b2"]
    assert send.most == 1 and updates.idle(CHANNEL, second_ts)


async def test_a_via_takes_a_render_waiting_for_its_serial_turn(
        fake: FakeSlack, session: aiohttp.ClientSession) -> None:
    client = plain(fake, session)
    first_ts, second_ts = await post(client), await post(client)
    replaced: list[str] = []
    updates = CardUpdates(lambda c, t, m: client.chat_update(channel=c, ts=t, **m), serial=True)
    hold = fake.hold_next("chat.update")
    first = asyncio.create_task(updates.update(CHANNEL, first_ts, render(1, "a1")))
    await hold.arrived.wait()
    await updates.update(CHANNEL, second_ts, render(1, "b1"))  # waits for its turn

    await updates.update(CHANNEL, second_ts, replace(render(2, "b2"), via=through(replaced)))
    assert replaced == ["b2"]
    hold.release()
    await first
    await updates.settle()
    assert [c.args["text"] for c in fake.calls_to("chat.update")] == ["a1"]  # b1 never after b2
