"""Plays the Slack client: signed requests to the app's /slack/events, or Socket Mode envelopes."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import quote, urlencode

import aiohttp

from bot.sandbox.fakeslack import payloads
from bot.sandbox.fakeslack.server import FakeSlack
from bot.sandbox.fakeslack.state import HANDLES, Ephemeral, Message, ViewRecord

FORM = "application/x-www-form-urlencoded"
ACK_DEADLINE_S = 3.0  # Slack gives up on an unacknowledged envelope after three seconds


def signature(secret: str, timestamp: str, body: str) -> str:
    """Slack's v0 request signature over the exact body bytes."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Reply:
    """The app's answer: HTTP status and body (for Socket Mode, the ack's payload)."""

    status: int
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text) if self.text.startswith("{") else None


class SlackDriver:
    """Sends what a Slack client would, signed with the app's secret, or over Socket Mode."""

    def __init__(self, fake: FakeSlack, url: str = "", signing_secret: str = "",
                 *, socket: bool = False) -> None:
        self.fake = fake
        self.url = url
        self.secret = signing_secret
        self.socket = socket
        self.ack_within_s = ACK_DEADLINE_S
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def post(self, body: str, content_type: str = FORM, *, timestamp: int | None = None,
                   secret: str | None = None, signed: bool = True,
                   signed_body: str | None = None) -> Reply:
        """POST raw bytes to the app, signed unless told otherwise (`signed_body`: sign other
        bytes than those sent, as a tampered request would be)."""
        assert self._session is not None, "use `async with SlackDriver(...)`"
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts}
        if signed:
            signed_text = body if signed_body is None else signed_body
            headers["X-Slack-Signature"] = signature(secret or self.secret, ts, signed_text)
        async with self._session.post(self.url, data=body.encode(), headers=headers) as response:
            return Reply(response.status, await response.text())

    async def _interactive(self, payload: dict[str, Any], kind: str = "interactive") -> Reply:
        if self.socket:
            return await self._over_socket(kind, payload)
        return await self.post("payload=" + quote(json.dumps(payload)))

    async def _over_socket(self, kind: str, payload: dict[str, Any]) -> Reply:
        """Send an envelope; 200 with the ack's payload, or 408 when no ack came in time."""
        envelope_id = await self.fake.socket.send(kind, payload)
        try:
            ack = await self.fake.wait_for(lambda: self.fake.socket.acks.get(envelope_id),
                                           self.ack_within_s)
        except TimeoutError:
            return Reply(408, "")
        return Reply(200, json.dumps((ack or {}).get("payload") or {}))

    async def slash(self, user: str, text: str = "", *, channel: str = "C0CHANGES",
                    command: str = "/change", team_id: str | None = None) -> Reply:
        """Type a slash command in a channel."""
        form = payloads.slash_command(
            self.fake.workspace, user=user, channel=channel, command=command, text=text,
            trigger_id=self.fake.issue_trigger(user),
            response_url=self.fake.issue_response_url(channel, user), team_id=team_id,
        )
        if self.socket:
            return await self._over_socket("slash_commands", dict(form))
        return await self.post(urlencode(form))

    async def click(self, user: str, message: Message, action_id: str,
                    *, team_id: str | None = None, value: str | None = None) -> Reply:
        """Press the button `action_id` on a message, sending the value the button carries
        (`value` picks among buttons sharing an action id)."""
        action = _find_button(message.blocks, action_id, value)
        payload = payloads.block_actions(
            self.fake.workspace, user=user, action=action,
            trigger_id=self.fake.issue_trigger(user),
            response_url=self.fake.issue_response_url(message.channel, user, message.ts),
            message=message, team_id=team_id,
        )
        return await self._interactive(payload)

    async def open_form(self, user: str, message: Message, action_id: str, callback_id: str
                        ) -> ViewRecord | None:
        """Press a button that opens a form: the form once open, or None when the app answered
        the person with an ephemeral message instead (a refusal)."""
        before = {v.id for v in self.fake.open_views(user)}
        told = len(self.fake.ephemerals(user))

        def answered() -> ViewRecord | str | None:
            for view in self.fake.open_views(user):
                if view.id not in before and view.view.get("callback_id") == callback_id:
                    return view
            return next(iter(self.fake.ephemerals(user)[told:]), None)

        await self.click(user, message, action_id)
        found = await self.fake.wait_for(answered)
        return found if isinstance(found, ViewRecord) else None

    async def click_ephemeral(self, user: str, ephemeral: Ephemeral, action_id: str,
                              value: str | None = None) -> Reply:
        """Press a button on a message only `user` sees (such as `/change show`'s card)."""
        message = ephemeral.as_message(self.fake.workspace.bot_user_id)
        action = _find_button(message.blocks, action_id, value)
        payload = payloads.block_actions(
            self.fake.workspace, user=user, action=action,
            trigger_id=self.fake.issue_trigger(user),
            response_url=self.fake.issue_response_url(message.channel, user, message.ts),
            message=message,
        )
        payload["container"]["is_ephemeral"] = True
        return await self._interactive(payload)

    async def click_in_view(self, user: str, view: ViewRecord, action_id: str,
                            value: str | None = None) -> Reply:
        """Press a button inside a modal or the Home tab."""
        action = _find_button(view.view.get("blocks", []), action_id, value)
        payload = payloads.block_actions(self.fake.workspace, user=user, action=action,
                                         trigger_id=self.fake.issue_trigger(user), view=view)
        return await self._interactive(payload)

    async def submit(self, user: str, view: ViewRecord, values: dict[str, dict[str, Any]],
                     *, team_id: str | None = None) -> Reply:
        """Press a modal's submit button; the app's response_action is applied as Slack would."""
        payload = payloads.view_submission(self.fake.workspace, user=user, view=view,
                                           values=values, trigger_id=self.fake.issue_trigger(user),
                                           team_id=team_id)
        shown = view.hash
        reply = await self._interactive(payload)
        if reply.status == 200 and view.hash == shown:  # else a views.update already replaced it
            _apply_view_response(self.fake, view, reply.json or {})
            await self.fake.changed()
        return reply

    async def open_home(self, user: str) -> Reply:
        """Open the app's Home tab, as Slack reports it with app_home_opened."""
        channel = self.fake.workspace.dm_with(user).id
        return await self.event({"type": "app_home_opened", "user": user, "channel": channel,
                                 "tab": "home", "event_ts": f"{time.time():.6f}"})

    async def event(self, event: dict[str, Any], *, team_id: str | None = None,
                    event_id: str | None = None) -> Reply:
        """Deliver an Events API event."""
        if event_id is None:
            event_id = f"Ev{self.fake.state.next_number(HANDLES):08d}"
        body = payloads.event_callback(self.fake.workspace, event, team_id=team_id,
                                       event_id=event_id)
        if self.socket:
            return await self._over_socket("events_api", body)
        return await self.post(json.dumps(body), "application/json")


def _find_button(blocks: list[dict[str, Any]], action_id: str,
                 value: str | None = None) -> dict[str, Any]:
    for block in blocks:
        elements = block.get("elements", []) if block.get("type") == "actions" else []
        if block.get("accessory"):
            elements = [block["accessory"]]
        for element in elements:
            if element.get("action_id") == action_id and value in (None, element.get("value")):
                return {"type": element["type"], "action_id": action_id,
                        "block_id": block.get("block_id", ""), "value": element.get("value", ""),
                        "text": element.get("text", {})}
    raise LookupError(f"no button {action_id!r} in these blocks")


def _apply_view_response(fake: FakeSlack, view: ViewRecord, body: dict[str, Any]) -> None:
    """What Slack does with a view_submission answer: keep (errors), update, clear or close."""
    action = body.get("response_action")
    if action == "errors":
        return
    if action == "update" and isinstance(body.get("view"), dict):
        view.view = body["view"]
        view.hash = hashlib.sha1(json.dumps(view.view, sort_keys=True).encode()).hexdigest()[:20]
        fake.state.put_view(view)
        return
    stack = [v for v in fake.state.views.values() if v.root_id == view.root_id]
    for record in stack if action == "clear" or view.id == view.root_id else [view]:
        record.closed = True
        fake.state.put_view(record)
