"""Every error claimflow raises, under one root.

::

    ClaimflowError
    ├── InvalidInputError (also ValueError)   bad input; names the field
    │   ├── UnknownValueError                 a string that is no known status / action / actor ...
    │   ├── UnknownParameterError             a parameter the action does not take
    │   └── InconsistentStateError            a state the marketplace's rules can never produce
    ├── ActionRefusedError                    apply() of a refused action; carries the Decision
    └── StaleVersionError                     apply() with an expected version that is not current

A refused action is first a value (:class:`claimflow.Decision` from :func:`claimflow.check`); the
exception exists for :func:`claimflow.apply`, and it carries that same value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._values import Decision

__all__ = [
    "ActionRefusedError",
    "ClaimflowError",
    "InconsistentStateError",
    "InvalidInputError",
    "StaleVersionError",
    "UnknownParameterError",
    "UnknownValueError",
]


class ClaimflowError(Exception):
    """The root of every claimflow error."""


class InvalidInputError(ClaimflowError, ValueError):
    """A value given to claimflow is not acceptable; ``field`` names which one."""

    def __init__(self, msg: str, *, field: str) -> None:
        super().__init__(msg)
        self.field = field


class UnknownValueError(InvalidInputError):
    """A string or value that is not one of the known identifiers."""


class UnknownParameterError(InvalidInputError):
    """A parameter the action does not take (a typo, most often)."""


class InconsistentStateError(InvalidInputError):
    """An order product whose status and open claim the marketplace's rules can never produce."""


class ActionRefusedError(ClaimflowError):
    """The action is not allowed now. ``decision`` says why; nothing was changed."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.explain())
        self.decision = decision


class StaleVersionError(ClaimflowError):
    """The order product changed since the caller read it; re-read and decide again."""

    def __init__(self, msg: str, *, expected: int, actual: int) -> None:
        super().__init__(msg)
        self.expected = expected
        self.actual = actual
