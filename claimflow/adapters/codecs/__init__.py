"""One codec per marketplace: the single place that knows its wire format.

Every codec module (:mod:`.toss`, :mod:`.imweb`, :mod:`.x2bee`; :data:`CODECS` by marketplace)
exports the same names, as cattrs' ``preconf`` modules do: ``MARKETPLACE``, ``SPEC`` (the
:class:`~claimflow.adapters.MarketplaceSpec` the adapter sends with), ``ACTIONS`` /
``UNSUPPORTED`` (the action endpoints and why the others have none), ``ORDER_STATUS_CODES`` /
``CLAIM_STATUS_CODES`` and their encoders ``order_status_code`` / ``claim_status_code``,
``ERROR_CODES`` / ``HTTP_ERRORS``, ``unwrap`` (an answer's envelope), ``MONEY_FIELDS`` (the money
facts decoded into ``money``), ``line_money`` / ``claim_delivery`` (those facts as the engine's
values, with ``LINE_MONEY_ORIGIN`` / ``CLAIM_DELIVERY_ORIGIN`` naming the wire field behind
each), and for the emulators ``decode_action`` (a request read back), ``encode_success``,
``encode_fail`` / ``encode_error``, ``REFUSALS`` / ``encode_refusal`` (a request refused before
any action, in the marketplace's envelope) and ``read_token`` (the credential a request carries).
Each wire fact carries its source tag: ``doc``, ``client`` or ``inferred``.

Every request body is one :class:`Template` (of :class:`From` leaves, :class:`Opt`,
:class:`PerItem` and :class:`Unused` nodes): the adapter renders it, the emulator parses it.
:func:`parse_json_body` is the one JSON reader under size and nesting limits (the adapters read
answers with it, the emulators requests).

A fourth marketplace adds one module here (its wire format), its rules in ``claimflow._rules``,
and a small adapter module (auth and factories) in ``claimflow.adapters``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Protocol, cast

from ..._money import ClaimDelivery, LineMoney
from ..._vocab import Action, Marketplace
from ...exceptions import MarketplaceError
from .._codec import Endpoint, Envelope, Unsupported
from .._spec import MarketplaceSpec
from .._values import RemoteClaim, RemoteOrderProduct
from . import imweb, toss, x2bee
from ._base import (
    DecodedAction,
    From,
    Opt,
    PerItem,
    Refusal,
    Tag,
    Template,
    TemplateMismatch,
    Unused,
    decode_body,
    match_action,
    parse_json_body,
)

__all__ = [
    "CODECS",
    "CodecModule",
    "DecodedAction",
    "From",
    "Opt",
    "PerItem",
    "Refusal",
    "Tag",
    "Template",
    "TemplateMismatch",
    "Unused",
    "decode_body",
    "imweb",
    "match_action",
    "parse_json_body",
    "toss",
    "x2bee",
]


class CodecModule(Protocol):
    """What every codec module defines, as the code around it reads it. Module constants are
    read-only properties here."""

    @property
    def MARKETPLACE(self) -> Marketplace: ...  # noqa: N802 - a module constant
    @property
    def SPEC(self) -> MarketplaceSpec: ...  # noqa: N802
    @property
    def ACTIONS(self) -> Mapping[Action, Endpoint]: ...  # noqa: N802
    @property
    def UNSUPPORTED(self) -> Mapping[Action, Unsupported]: ...  # noqa: N802
    @property
    def ERROR_CODES(self) -> Mapping[str, type[MarketplaceError]]: ...  # noqa: N802
    @property
    def HTTP_ERRORS(self) -> Mapping[int, type[MarketplaceError]]: ...  # noqa: N802
    @property
    def ENVELOPE_KEYS(self) -> frozenset[str]: ...  # noqa: N802
    @property
    def MONEY_FIELDS(self) -> Mapping[str, tuple[str, ...]]: ...  # noqa: N802
    @property
    def REFUSALS(self) -> Mapping[Refusal, tuple[int, object]]: ...  # noqa: N802
    @property
    def LINE_MONEY_ORIGIN(self) -> Mapping[str, str]: ...  # noqa: N802
    @property
    def CLAIM_DELIVERY_ORIGIN(self) -> Mapping[str, str]: ...  # noqa: N802

    def unwrap(self, status: int, body: object, /) -> Envelope:
        """An answer's envelope: success, or the marketplace's error code and message."""
        ...

    def encode_refusal(self, refusal: Refusal, message: str, /) -> tuple[int, dict[str, object]]:
        """The HTTP status and body of a request refused before any action (emulators)."""
        ...

    def read_token(self, headers: Mapping[str, str], /) -> str:
        """The credential a request carries (emulators); empty when none."""
        ...

    def line_money(self, remote: RemoteOrderProduct, /) -> LineMoney | None:
        """An order line's money facts as the engine's value (rules.md M1), unchecked."""
        ...

    def claim_delivery(self, claim: RemoteClaim, /) -> ClaimDelivery | None:
        """A claim's delivery facts as the engine's value (rules.md M4, M7), unchecked."""
        ...


#: One codec module per marketplace (each exports the same names). mypy cannot hold a module of
#: this package against :class:`CodecModule` here (they import each other), so the cast is
#: checked by tests/test_layout.py: every member of the protocol, in every codec's ``__all__``.
CODECS: Mapping[Marketplace, CodecModule] = MappingProxyType(
    {m.MARKETPLACE: cast("CodecModule", m) for m in (toss, imweb, x2bee)}
)
