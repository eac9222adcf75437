"""Every error claimflow raises, under one root.

::

    ClaimflowError
    ├── InvalidInputError (also ValueError)   bad input; names the field
    │   ├── UnknownValueError                 a string that is no known status / action / actor ...
    │   ├── UnknownParameterError             a parameter the action does not take
    │   ├── InconsistentStateError            a state the marketplace's rules can never produce
    │   └── InvalidStoreURLError              a database URL the store cannot use
    ├── ActionRefusedError                    apply() of a refused action; carries the Decision
    ├── StaleVersionError                     apply() with an expected version that is not current
    ├── MissingExtraError (also ImportError)  an optional extra is not installed; names it
    ├── StoreError                            claimflow.store could not do it; nothing written
    │   ├── StoreUnavailableError             the database cannot be reached
    │   ├── SchemaVersionError                schema older / newer than the code
    │   ├── CorruptRowError                   a stored row the code cannot read
    │   ├── UnknownOrderProductError          no such order product stored
    │   ├── DuplicateOrderProductError        put() of one already stored
    │   └── BusyError                         another worker's intent is in flight on it
    └── MarketplaceError                      a marketplace call failed (claimflow.adapters)
        ├── AuthenticationError               credentials or token refused (after one re-issue)
        ├── RateLimitedError                  slow down; retry_after when the marketplace says
        ├── MarketplaceRefusedError           the marketplace said no; its code and message
        ├── NotSupportedError                 no seller-API call for this action (nothing sent)
        ├── TransportError                    no usable answer; nothing was changed remotely
        │   └── MarketplaceUnavailableError   HTTP 5xx (or an outage code) on a read
        ├── UnexpectedResponseError           bad JSON, missing field, unknown code; names it
        └── OutcomeUnknownError               a write may or may not have happened: reconcile

A refused action is first a value (:class:`claimflow.Decision` from :func:`claimflow.check`); the
exception exists for :func:`claimflow.apply`, and it carries that same value.

Every :class:`MarketplaceError` carries ``marketplace`` and, where known, ``order_product_id`` and
``action``; its text never contains a credential or a token. After a
:class:`MarketplaceRefusedError`, :class:`TransportError` or :class:`AuthenticationError` nothing
changed on the marketplace, so the local order product stays as it was. An
:class:`OutcomeUnknownError` is the one case where the marketplace may have carried the action out:
call :func:`claimflow.adapters.reconcile` with its ``pending`` before trying again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._values import Decision

__all__ = [
    "ActionRefusedError",
    "AuthenticationError",
    "BusyError",
    "ClaimflowError",
    "CorruptRowError",
    "DuplicateOrderProductError",
    "IPNotAllowedError",
    "InconsistentStateError",
    "InvalidInputError",
    "InvalidStoreURLError",
    "MarketplaceError",
    "MarketplaceRefusedError",
    "MarketplaceUnavailableError",
    "MissingExtraError",
    "NotSupportedError",
    "OutcomeUnknownError",
    "RateLimitedError",
    "SchemaVersionError",
    "StaleVersionError",
    "StoreError",
    "StoreUnavailableError",
    "TransportError",
    "UnexpectedResponseError",
    "UnknownOrderProductError",
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


class MissingExtraError(ClaimflowError, ImportError):
    """A feature needs an optional extra that is not installed: ``pip install 'claimflow[extra]'``.

    ``extra`` names the extra (``adapters``, ``emulators``, ``json``, ``time`` for the Korean
    public holidays of the business-day calendar, ...).
    """

    def __init__(self, msg: str, *, extra: str) -> None:
        super().__init__(msg)
        self.extra = extra


# --- marketplace calls (claimflow.adapters) -------------------------------------------------


class MarketplaceError(ClaimflowError):
    """A call to a marketplace failed. Never carries a credential or a token in its text.

    ``marketplace`` names the marketplace; ``order_product_id`` and ``action`` the order product
    and action concerned, when the call was about one.
    """

    def __init__(
        self,
        msg: str,
        *,
        marketplace: str,
        order_product_id: str | None = None,
        action: str | None = None,
    ) -> None:
        super().__init__(msg)
        self.marketplace = marketplace
        self.order_product_id = order_product_id
        self.action = action


class AuthenticationError(MarketplaceError):
    """The marketplace refused the credentials or the token (a token is re-issued once first)."""


class IPNotAllowedError(MarketplaceError):
    """The marketplace refused the caller's IP address: it is not on the shop's allow-list
    (Toss answers HTTP 403 for it, marketplaces.md §5.1 [client]). The credentials may be fine;
    add this machine's address to the allow-list. Nothing was carried out."""


class RateLimitedError(MarketplaceError):
    """The marketplace asked to slow down; ``retry_after`` seconds when it said how long.

    Nothing was carried out, so the call is safe to repeat after the wait (the adapters already
    retried it with backoff before raising this).
    """

    def __init__(
        self,
        msg: str,
        *,
        marketplace: str,
        retry_after: float | None = None,
        order_product_id: str | None = None,
        action: str | None = None,
    ) -> None:
        super().__init__(
            msg, marketplace=marketplace, order_product_id=order_product_id, action=action
        )
        self.retry_after = retry_after


class MarketplaceRefusedError(MarketplaceError):
    """The marketplace answered and refused: ``code`` and ``message`` are its own words."""

    def __init__(
        self,
        msg: str,
        *,
        marketplace: str,
        code: str,
        message: str,
        order_product_id: str | None = None,
        action: str | None = None,
    ) -> None:
        super().__init__(
            msg, marketplace=marketplace, order_product_id=order_product_id, action=action
        )
        self.code = code
        self.message = message


class NotSupportedError(MarketplaceError):
    """The marketplace's seller API has no (published) call for this action; nothing was sent.

    ``documented`` is True when the marketplace documents that the call exists but not its path
    (e.g. Toss's 교환 송장번호 변경): the adapter refuses rather than guess a path.
    """

    def __init__(
        self,
        msg: str,
        *,
        marketplace: str,
        documented: bool = False,
        order_product_id: str | None = None,
        action: str | None = None,
    ) -> None:
        super().__init__(
            msg, marketplace=marketplace, order_product_id=order_product_id, action=action
        )
        self.documented = documented


class TransportError(MarketplaceError):
    """No usable answer came back, and the marketplace cannot have changed anything.

    Either nothing was sent (connection refused, connect timeout) or the call was a read.
    ``retryable`` says whether the adapters' retry policy may repeat it.
    """

    def __init__(
        self,
        msg: str,
        *,
        marketplace: str,
        retryable: bool = True,
        order_product_id: str | None = None,
        action: str | None = None,
    ) -> None:
        super().__init__(
            msg, marketplace=marketplace, order_product_id=order_product_id, action=action
        )
        self.retryable = retryable


class MarketplaceUnavailableError(TransportError):
    """The marketplace answered a read with HTTP 5xx (or its own outage code)."""

    def __init__(
        self,
        msg: str,
        *,
        marketplace: str,
        status_code: int | None = None,
        order_product_id: str | None = None,
        action: str | None = None,
    ) -> None:
        super().__init__(
            msg, marketplace=marketplace, order_product_id=order_product_id, action=action
        )
        self.status_code = status_code


class UnexpectedResponseError(MarketplaceError):
    """The answer is not what the marketplace documents; ``field`` names what was wrong.

    Bad JSON (``field="body"``), a missing or mistyped field (``"success.items[3].id"``), an
    unknown status code (``"orderProductStatus"``), an unexpected HTTP status (``"status_code"``).
    """

    def __init__(
        self,
        msg: str,
        *,
        marketplace: str,
        field: str,
        status_code: int | None = None,
        order_product_id: str | None = None,
        action: str | None = None,
    ) -> None:
        super().__init__(
            msg, marketplace=marketplace, order_product_id=order_product_id, action=action
        )
        self.field = field
        self.status_code = status_code


class OutcomeUnknownError(MarketplaceError):
    """A write may have reached the marketplace, but no answer came back (timeout, dropped
    connection, HTTP 5xx): it may or may not have been carried out.

    Do not simply retry: call :func:`claimflow.adapters.reconcile` with ``pending`` (set by
    :func:`claimflow.adapters.apply_remote`: the local order product, the action, its actor and
    parameters), which reads the remote state and brings the local one in line.
    """

    def __init__(
        self,
        msg: str,
        *,
        marketplace: str,
        pending: object = None,
        order_product_id: str | None = None,
        action: str | None = None,
    ) -> None:
        super().__init__(
            msg, marketplace=marketplace, order_product_id=order_product_id, action=action
        )
        self.pending = pending


# --- the durable store (claimflow.store) ------------------------------------------------------


class StoreError(ClaimflowError):
    """The claimflow store (:mod:`claimflow.store`) cannot do what was asked; nothing was written.

    Every store step is one transaction: when one of these is raised, that step left no row.
    Messages never contain a database password.
    """


class InvalidStoreURLError(InvalidInputError):
    """A database URL (or engine) the store cannot use; the message says what is wrong with it."""


class StoreUnavailableError(StoreError):
    """The database could not be reached or refused the connection (the URL's password hidden)."""


class SchemaVersionError(StoreError):
    """The database's claimflow schema is older or newer than this code.

    ``found`` is the database's schema version, ``expected`` this code's. Older: open the store
    with ``upgrade=True`` (see :mod:`claimflow.store`); newer: upgrade claimflow.
    """

    def __init__(self, msg: str, *, found: int, expected: int) -> None:
        super().__init__(msg)
        self.found = found
        self.expected = expected


class CorruptRowError(StoreError):
    """A stored row this code cannot read; ``table`` and ``key`` name it."""

    def __init__(self, msg: str, *, table: str, key: str) -> None:
        super().__init__(msg)
        self.table = table
        self.key = key


class UnknownOrderProductError(StoreError):
    """No order product with this id is stored (``order_product_id``)."""

    def __init__(self, msg: str, *, order_product_id: str) -> None:
        super().__init__(msg)
        self.order_product_id = order_product_id


class DuplicateOrderProductError(StoreError):
    """:meth:`claimflow.store.Store.put` of an order product that is already stored."""

    def __init__(self, msg: str, *, order_product_id: str) -> None:
        super().__init__(msg)
        self.order_product_id = order_product_id


class BusyError(StoreError):
    """Another worker holds the order product: an intent of it is in flight (a marketplace call
    about to be made or whose outcome is not known yet). Nothing was written; try later, or leave
    it to the reconcile worker once ``lease_until`` has passed.
    """

    def __init__(
        self,
        msg: str,
        *,
        order_product_id: str,
        intent_id: str | None = None,
        lease_until: object = None,
    ) -> None:
        super().__init__(msg)
        self.order_product_id = order_product_id
        self.intent_id = intent_id
        self.lease_until = lease_until
