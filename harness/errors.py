"""The harness's exception types.

Every error caused by user input is a ClaimBenchError whose message says what was
wrong and what to do; the CLI prints it without a traceback and exits with 2.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable


class ClaimBenchError(Exception):
    """Base class: a problem the user can fix from the message alone."""


class ConfigError(ClaimBenchError):
    """A task config, model spec or option is malformed."""


class UnknownNameError(ClaimBenchError, KeyError):
    """A registry lookup failed; the message carries 'did you mean' suggestions."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class RegistryCollisionError(ClaimBenchError):
    """Two providers registered the same name."""


class DataError(ClaimBenchError):
    """A dataset is missing, unreadable, or a row lacks a field."""


class IncompatibleError(ClaimBenchError):
    """A task needs request kinds that the model does not serve."""


class AdapterError(ClaimBenchError):
    """A model adapter returned something that breaks the request contract."""


class RequestRejected(ConfigError):
    """The model refused one request as invalid (longer than its context...): a rerun would repeat it.
    The runner adds which task rows asked it."""

    def __init__(self, message: str, request: object):
        super().__init__(message)
        self.request = request


class BackendError(ClaimBenchError):
    """A model server or backend failed mid-run; finished responses are cached, rerun to resume."""


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """A ' Did you mean ...?' suffix for an unknown name, or '' if nothing is close."""
    close = difflib.get_close_matches(name, sorted(choices), n=3, cutoff=0.6)
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in close) + "?"
