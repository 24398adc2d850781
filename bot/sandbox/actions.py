"""What a person does on the page, sent to the bot as Slack would: signed, as that person."""

from __future__ import annotations

import json
from typing import Any

from bot.sandbox.fakeslack.driver import Reply, SlackDriver
from bot.sandbox.fakeslack.server import FakeSlack
from bot.sandbox.fakeslack.state import Ephemeral, ViewRecord
from bot.sandbox.inputs import state_values
from bot.sandbox.viewer import zone

Json = dict[str, Any]


class ActionError(ValueError):
    """The page asked for something that does not exist or is not this person's."""


class Actions:
    """Turns page requests into slash commands, clicks, submissions and events for the bot."""

    def __init__(self, fake: FakeSlack, driver: SlackDriver) -> None:
        self.fake = fake
        self.driver = driver

    async def perform(self, body: Json) -> Json:
        """Carry out one request of the page; the answer says what the person should see."""
        user = str(body.get("as", ""))
        if user not in self.fake.workspace.users:
            raise ActionError(f"no sandbox user {user!r}")
        kind = body.get("kind")
        if kind == "slash":
            return await self._slash(user, body)
        if kind == "click":
            return await self._click(user, body)
        if kind == "submit":
            return await self._submit(user, body)
        if kind == "close":
            self.fake.close_view(self._view(user, body))
            return {"ok": True}
        if kind == "home":
            return _answer(await self.driver.open_home(user), "the Home tab")
        raise ActionError(f"unknown kind of action {kind!r}")

    async def _slash(self, user: str, body: Json) -> Json:
        command = str(body.get("command") or "/change")
        channel = str(body.get("channel", ""))
        known = self.fake.workspace.channels.get(channel)
        if known is None or known.user not in (None, user):
            raise ActionError(f"no conversation {channel!r} for {user}")
        reply = await self.driver.slash(user, str(body.get("text", "")), channel=channel,
                                        command=command)
        if reply.status == 404:
            return {"ok": False, "error": f"{command} is not a command of this app"}
        if reply.status == 200 and reply.text.strip():
            await self._immediate(channel, user, reply)
        return _answer(reply, command)

    async def _immediate(self, channel: str, user: str, reply: Reply) -> None:
        """A slash command answered in its HTTP response: Slack shows it to the typist only."""
        body: Json = reply.json if isinstance(reply.json, dict) else {"text": reply.text}
        text = str(body.get("text") or "")
        blocks: list[Json] = body["blocks"] if isinstance(body.get("blocks"), list) else []
        self.fake.state.put_ephemeral(Ephemeral(channel, user, text, blocks, "response",
                                                self.fake.state.next_ts()))
        await self.fake.changed()

    async def _click(self, user: str, body: Json) -> Json:
        action_id = str(body.get("action_id", ""))
        value = body.get("value")
        value = str(value) if value is not None else None
        surface = body.get("surface")
        try:
            if surface == "message":
                key = (str(body.get("channel", "")), str(body.get("ts", "")))
                message = self.fake.state.messages.get(key)
                if message is None:
                    raise ActionError("that message is gone")
                reply = await self.driver.click(user, message, action_id, value=value)
            elif surface == "ephemeral":
                reply = await self.driver.click_ephemeral(user, self._ephemeral(user, body),
                                                          action_id, value)
            elif surface == "home":
                home = self.fake.state.homes.get(user)
                if home is None:
                    raise ActionError("the Home tab is not published yet")
                reply = await self.driver.click_in_view(user, home, action_id, value)
            else:
                reply = await self.driver.click_in_view(user, self._view(user, body), action_id,
                                                        value)
        except LookupError:
            raise ActionError(f"no button {action_id!r} there any more") from None
        return _answer(reply, "the button")

    async def _submit(self, user: str, body: Json) -> Json:
        view = self._view(user, body)
        typed = body.get("values") if isinstance(body.get("values"), dict) else {}
        assert isinstance(typed, dict)
        values, missing = state_values(view.view.get("blocks") or [], typed,
                                       zone(self.fake.workspace.users[user]))
        if missing:
            return {"ok": False, "errors": missing}  # Slack checks required fields itself
        reply = await self.driver.submit(user, view, values)
        answer = reply.json if isinstance(reply.json, dict) else {}
        if reply.status == 200 and answer.get("response_action") == "errors":
            return {"ok": False, "errors": answer.get("errors") or {}}
        return _answer(reply, "the form")

    def _view(self, user: str, body: Json) -> ViewRecord:
        view = self.fake.state.views.get(str(body.get("view_id", "")))
        if view is None or view.user != user or view.closed:
            raise ActionError("that window is closed")
        return view

    def _ephemeral(self, user: str, body: Json) -> Ephemeral:
        ts = str(body.get("ts", ""))
        for ephemeral in self.fake.state.ephemerals:
            if ephemeral.user == user and ephemeral.ts == ts:
                return ephemeral
        raise ActionError("that message is gone")


def _answer(reply: Reply, what: str) -> Json:
    """OK when the app acknowledged; otherwise what Slack would show as the failure."""
    if reply.status == 200:
        return {"ok": True}
    detail = reply.json.get("error") if isinstance(reply.json, dict) else reply.text
    return {"ok": False, "error": f"the app did not accept {what} (HTTP {reply.status}"
                                  f"{': ' + str(detail) if detail else ''})"}


def parse(text: str) -> Json:
    """The page's request body; anything but a JSON object is refused."""
    try:
        body = json.loads(text)
    except ValueError:
        raise ActionError("send a JSON object") from None
    if not isinstance(body, dict):
        raise ActionError("send a JSON object")
    return body
