"""Reviews through the engine as a person who has just read the change: bound to what it shows
then, unless a test names another revision or digest to see it refused."""

from __future__ import annotations

from typing import Final

from workflow.engine import Engine
from workflow.model import ChangeRequest
from workflow.seen import Seen, seen_from_wire

AS_READ: Final = "as read"  # bind to what the change shows when it is read


async def shown(engine: Engine, change_id: str, revision: int | None = None,
                digest: str | None = AS_READ) -> Seen:
    """What a reviewer reading `change_id` now is shown, with `revision`/`digest` replaced."""
    cr = await engine.get(change_id)
    read = Seen.of(cr) if cr is not None else Seen(1, None)
    if digest == AS_READ:
        return Seen(revision or read.revision, read.digest)
    return seen_from_wire(revision or read.revision, digest)


async def approve_seen(engine: Engine, change_id: str, actor: str, comment: str = "", *,
                       revision: int | None = None, digest: str | None = AS_READ
                       ) -> ChangeRequest:
    """Approve what the change shows when read (or the revision/digest named)."""
    seen = await shown(engine, change_id, revision, digest)
    return await engine.approve(change_id, actor, seen, comment)


async def reject_seen(engine: Engine, change_id: str, actor: str, comment: str, *,
                      revision: int | None = None, digest: str | None = AS_READ
                      ) -> ChangeRequest:
    """Reject what the change shows when read (or the revision/digest named)."""
    seen = await shown(engine, change_id, revision, digest)
    return await engine.reject(change_id, actor, seen, comment)
