"""What the API needs from storage beyond the engine: reads on the reader side, and tokens."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from storage.audit_chain import AuditRow, VerifyResult
from storage.reads import Backlog, ChangeFilter, ChangePage
from workflow.model import ChangeRequest


class ApiReads(Protocol):
    """Read queries (storage.sql.api_reads and storage.memory.api_reads implement them)."""

    async def get(self, change_id: str) -> ChangeRequest | None: ...

    async def changes(self, where: ChangeFilter, before: int | None, limit: int
                      ) -> ChangePage: ...

    async def history(self, change_id: str) -> list[AuditRow]: ...

    async def audit(
        self, *, since: datetime | None = None, change_id: str | None = None, after: int = 0,
        limit: int | None = 500, kinds: Collection[str] = (),
    ) -> list[AuditRow]: ...

    async def verify(self) -> VerifyResult: ...

    async def head(self) -> AuditRow | None: ...

    async def count_by_state(self) -> dict[str, int]: ...

    async def backlog(self) -> Backlog: ...

    async def schema_revision(self) -> str | None: ...
