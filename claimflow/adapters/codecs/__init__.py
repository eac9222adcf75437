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
from types import MappingProxyType, ModuleType

from ..._vocab import Marketplace
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

#: One codec module per marketplace (each exports the same names).
CODECS: Mapping[Marketplace, ModuleType] = MappingProxyType(
    {m.MARKETPLACE: m for m in (toss, imweb, x2bee)}
)
