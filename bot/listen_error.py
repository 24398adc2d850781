"""Why the server cannot listen, in words that say how to get past it."""

from __future__ import annotations

import errno


def cannot_listen(host: str, port: int, exc: OSError) -> str:
    """The reason, naming CHANGEGATE_PORT when another process holds the port."""
    why = f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    if exc.errno == errno.EADDRINUSE:
        why += ("; another process uses that port: stop it, or pick another port with "
                "CHANGEGATE_PORT (e.g. CHANGEGATE_PORT=8081)")
    return why
