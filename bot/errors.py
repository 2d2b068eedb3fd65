"""Errors a person can cause. Each carries a message id; the router replies with it, localized,
and rolls the unit of work back so nothing changes."""

from __future__ import annotations


class UserError(Exception):
    def __init__(self, message_id: str, **params: object) -> None:
        super().__init__(message_id)
        self.message_id = message_id
        self.params = params


class ConfigError(Exception):
    """A malformed configuration: one line that names the key."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"config error: {key}: {problem}")
        self.key = key
        self.problem = problem
