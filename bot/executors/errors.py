"""Executor failures: raised whenever the target gave no clear answer, so an apply ends unknown."""

from __future__ import annotations


class ExecutorError(Exception):
    """The executor gave no usable result; during an apply the engine records apply_unknown."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ExecutorTimeout(ExecutorError):
    """The target did not answer in time: it may or may not have acted."""


class ExecutorTransportError(ExecutorError):
    """The connection failed or broke: the request may or may not have arrived."""


class ExecutorProtocolError(ExecutorError):
    """The target answered something that is not a valid reply."""


class DryRunFailed(ExecutorError):
    """The target clearly refused the dry-run (non-zero exit, `ok: false`)."""


class ExecutorUnavailable(ExecutorError):
    """The executor cannot be used at all (undefined, or its secret is missing); nothing ran."""
