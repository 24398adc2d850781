"""Socket Mode: the WebSocket that apps.connections.open points at, pushing envelopes to the app."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web


class SocketLink:
    """Open app connections, envelopes sent to them and the acks they answered with."""

    def __init__(self, app_id: str, changed: Callable[[], None]) -> None:
        self._app_id = app_id
        self._changed = changed
        self._ids = itertools.count(1)
        self.connections: list[web.WebSocketResponse] = []
        self.acks: dict[str, dict[str, Any]] = {}

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """Accept an app's connection, greet it, and record every ack it sends."""
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        await ws.send_json({
            "type": "hello", "num_connections": len(self.connections) + 1,
            "debug_info": {"host": "fakeslack"}, "connection_info": {"app_id": self._app_id},
        })
        self.connections.append(ws)
        self._changed()
        try:
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                ack = json.loads(message.data)
                if isinstance(ack, dict) and "envelope_id" in ack:
                    self.acks[str(ack["envelope_id"])] = ack
                    self._changed()
        finally:
            self.connections.remove(ws)
            self._changed()
        return ws

    async def send(self, kind: str, payload: dict[str, Any], retry_attempt: int = 0) -> str:
        """Push one envelope (slash_commands, interactive, events_api) to the first connection."""
        if not self.connections:
            raise RuntimeError("no app is connected over Socket Mode")
        envelope_id = f"env-{next(self._ids)}"
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id, "type": kind, "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        if retry_attempt:
            envelope.update(retry_attempt=retry_attempt, retry_reason="timeout")
        await self.connections[0].send_json(envelope)
        return envelope_id

    async def close(self) -> None:
        """Tell every app to go away, as Slack does when a link is refreshed."""
        for ws in list(self.connections):
            await ws.close()
