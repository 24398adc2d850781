"""The fake Slack for benchmarks: keeps no call journal (it would grow by gigabytes of views) and
notes when each card update that shows a given approver arrives."""

from __future__ import annotations

import asyncio
import re
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.sandbox.fakeslack import FakeSlack

MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")


def shown(message: Mapping[str, Any]) -> str:
    """What a card update makes the card show, as one text to search and fingerprint."""
    return f"{message.get('blocks', '')}{message.get('text', '')}"


class NoJournal(list[Any]):
    """A call journal that forgets every call."""

    def append(self, _: Any) -> None:
        return None


@dataclass
class Awaited:
    """A click waiting to be shown on its card."""

    index: int
    user: str
    sent: float


@dataclass
class RecordingSlack(FakeSlack):
    """Resolves, for each click, the first update of its card that names the clicker: a
    chat.update, or a post to the click's response_url replacing the card."""

    calls: list[Any] = field(default_factory=NoJournal)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    sent_at: dict[int, float] = field(default_factory=dict)
    shown_at: dict[int, float] = field(default_factory=dict)
    _waiting: dict[tuple[str, str], list[Awaited]] = field(
        default_factory=lambda: defaultdict(list))
    _all_shown: asyncio.Event = field(default_factory=asyncio.Event)
    expected: int = 0

    def expect(self, index: int, channel: str, ts: str, user: str) -> None:
        """Call just before sending click `index` on the card at (channel, ts)."""
        now = time.perf_counter()
        self.sent_at[index] = now
        self._waiting[(channel, ts)].append(Awaited(index, user, now))

    async def all_shown(self, within_s: float) -> bool:
        """Whether every expected click was shown on its card in time."""
        try:
            await asyncio.wait_for(self._all_shown.wait(), within_s)
        except TimeoutError:
            return False
        return True

    def _call(self, method: str, args: dict[str, Any], token: str | None
              ) -> tuple[int, dict[str, Any], dict[str, str]]:
        status, body, headers = super()._call(method, args, token)
        self.counts[method] += 1
        if method == "chat.update" and body.get("ok"):
            self._resolve(str(args.get("channel")), str(args.get("ts")),
                          shown(args))
        return status, body, headers

    async def _response_url(self, request: web.Request) -> web.Response:
        handle = self.state.response_urls.get(request.match_info["handle"])
        answer = await super()._response_url(request)
        self.counts["response_url"] += 1
        if answer.status == 200 and handle is not None and handle.message_ts:
            body = await request.json()
            if isinstance(body, dict) and body.get("replace_original"):
                self._replaced(handle.channel, handle.message_ts, body)
        return answer

    def _replaced(self, channel: str, ts: str, body: dict[str, Any]) -> None:
        """A card replaced through a response_url, shown as the body says."""
        self._resolve(channel, ts, shown(body))

    def _resolve(self, channel: str, ts: str, shown: str) -> None:
        waiting = self._waiting.get((channel, ts))
        if not waiting:
            return
        now = time.perf_counter()
        named = set(MENTION.findall(shown))
        still = [a for a in waiting if a.user not in named]
        for awaited in waiting:
            if awaited.user in named:
                self.shown_at[awaited.index] = now
        self._waiting[(channel, ts)] = still
        if self.expected and len(self.shown_at) >= self.expected:
            self._all_shown.set()
