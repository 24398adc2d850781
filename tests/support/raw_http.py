"""HTTP spoken over a raw socket, for requests a client library would refuse to send."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

ANSWER_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Raw:
    """An HTTP answer as it came off the wire."""

    status: int
    headers: dict[str, str]
    body: bytes

    def problem(self) -> dict[str, Any]:
        """The body, which must be problem details."""
        assert self.headers["content-type"].startswith("application/problem+json"), self
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


async def send(port: int, request: bytes) -> Raw:
    """Write `request` as is and read the answer until the server closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), ANSWER_TIMEOUT_S)
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    return Raw(int(status_line.split()[1]), headers, body)
