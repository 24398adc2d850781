"""How the API learns of commits: every commit of the engine wakes its long-polls."""

from __future__ import annotations

from bot.api.context import ApiDependencies


def waking(dependencies: ApiDependencies) -> ApiDependencies:
    """Every commit of the engine, from the API, Slack or a timer, wakes the API's long-polls
    (other replicas' commits are seen by re-reading)."""
    dependencies.engine.on_commit(lambda _changes: dependencies.watch.notify())
    return dependencies
