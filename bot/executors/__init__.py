"""Executors: run a change's dry-run and apply through a webhook or a local program."""

from bot.executors.command import CommandExecutor
from bot.executors.errors import (
    DryRunFailed,
    ExecutorError,
    ExecutorProtocolError,
    ExecutorTimeout,
    ExecutorTransportError,
    ExecutorUnavailable,
)
from bot.executors.registry import PolicyExecutorRegistry
from bot.executors.signing import signature, verify
from bot.executors.summary import summarise
from bot.executors.webhook import WebhookExecutor

__all__ = [
    "CommandExecutor",
    "DryRunFailed",
    "ExecutorError",
    "ExecutorProtocolError",
    "ExecutorTimeout",
    "ExecutorTransportError",
    "ExecutorUnavailable",
    "PolicyExecutorRegistry",
    "WebhookExecutor",
    "signature",
    "summarise",
    "verify",
]
