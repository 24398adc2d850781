"""Building the API's dependencies from a storage, and from a running process's Runtime."""

from __future__ import annotations

from aiohttp import web

from bot.api.app import create_api, mount_api
from bot.api.context import ApiDependencies
from bot.api.metrics import Metrics
from bot.composition import Runtime
from storage.memory.api_reads import MemoryApiReads
from storage.memory.store import MemoryStore
from storage.memory.tokens import MemoryTokens
from storage.ports.tokens import TokenStore
from storage.sql.api_reads import SqlApiReads
from storage.sql.engines import Database
from storage.sql.tokens import SqlTokens
from workflow.directory import PolicyDirectory
from workflow.engine import Engine
from workflow.ports import Clock, Directory


def sql_dependencies(db: Database, engine: Engine, directory: Directory, clock: Clock,
                     metrics: Metrics | None = None) -> ApiDependencies:
    """Reads and tokens on the database the engine writes to."""
    return waking(ApiDependencies(engine, SqlApiReads(db), SqlTokens(db), directory, clock,
                                  metrics or Metrics()))


def memory_dependencies(store: MemoryStore, engine: Engine, directory: Directory, clock: Clock,
                        tokens: TokenStore | None = None, metrics: Metrics | None = None
                        ) -> ApiDependencies:
    """Reads over the in-memory store; tokens live in memory too (tests, demos)."""
    return waking(ApiDependencies(engine, MemoryApiReads(store), tokens or MemoryTokens(),
                                  directory, clock, metrics or Metrics()))


def waking(dependencies: ApiDependencies) -> ApiDependencies:
    """Every commit of the engine, from the API, Slack or a timer, wakes the API's long-polls
    (other replicas' commits are seen by re-reading)."""
    dependencies.engine.on_commit(lambda _changes: dependencies.watch.notify())
    return dependencies


def api_for(runtime: Runtime, metrics: Metrics | None = None) -> web.Application:
    """The API over the runtime's engine and storage, with the directory Slack uses if any."""
    directory: Directory = (runtime.slack.services.directory if runtime.slack is not None
                            else PolicyDirectory(runtime.policy))
    storage = runtime.storage
    dependencies = waking(ApiDependencies(runtime.engine, storage.api_reads, storage.tokens,
                                          directory, runtime.clock, metrics or Metrics()))
    dependencies.policy = runtime.policy
    return create_api(dependencies)


def mount_runtime_api(app: web.Application, runtime: Runtime,
                      metrics: Metrics | None = None) -> None:
    """Serve the API of a running process under /api/v1 of its application.

    Pass the `Metrics` the Slack side counts its Web API errors on (`count_slack_error`) to
    expose them in GET /api/v1/metrics.
    """
    mount_api(app, api_for(runtime, metrics))
