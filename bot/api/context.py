"""The API's dependencies, handed in by the composition root and kept on the sub-application."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from bot.api.metrics import Metrics
from bot.api.watch import ChangeWatch
from bot.policy_reload import PolicyHolder
from storage.ports.api_reads import ApiReads
from storage.ports.tokens import TokenStore
from workflow.engine import Engine
from workflow.ports import Clock, Directory

DEFAULT_WAIT_S = 60
MAX_WAIT_S = 300
WAIT_POLL_S = 1.0  # how often a long-poll re-reads, for writes of other processes


@dataclass
class ApiDependencies:
    """Everything the handlers use; nothing is looked up globally."""

    engine: Engine
    reads: ApiReads
    tokens: TokenStore
    directory: Directory
    clock: Clock
    metrics: Metrics = field(default_factory=Metrics)
    watch: ChangeWatch = field(default_factory=ChangeWatch)
    wait_poll_s: float = WAIT_POLL_S
    max_wait_s: int = MAX_WAIT_S
    policy: PolicyHolder | None = None  # the running process's, to report and reload

    def ticket_url(self) -> str | None:
        """The policy's template that makes a change's ticket a link, if it gives one."""
        return self.policy().ticket_url if self.policy is not None else None


DEPENDENCIES = web.AppKey("changegate_api", ApiDependencies)


def deps(request: web.Request) -> ApiDependencies:
    """The dependencies of the API application serving the request."""
    return request.config_dict[DEPENDENCIES]
