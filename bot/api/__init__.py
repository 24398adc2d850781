"""The REST API under /api/v1: pipelines propose, wait, apply and report with bearer tokens."""

from bot.api.app import create_api, mount_api
from bot.api.context import ApiDependencies
from bot.api.metrics import Metrics

__all__ = ["ApiDependencies", "Metrics", "create_api", "mount_api"]
