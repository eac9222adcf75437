"""One codec per marketplace: the single place that knows its wire format.

Every codec module (:mod:`.toss`, :mod:`.imweb`, :mod:`.x2bee`) exports the same names, as
cattrs' ``preconf`` modules do: ``MARKETPLACE``, ``SPEC`` (the :class:`~claimflow.adapters.
MarketplaceSpec` the adapter sends with), ``ACTIONS`` / ``UNSUPPORTED`` (the action endpoints and
why the others have none), ``ORDER_STATUS_CODES`` / ``CLAIM_STATUS_CODES`` and their encoders
``order_status_code`` / ``claim_status_code``, ``ERROR_CODES`` / ``HTTP_ERRORS``, ``unwrap`` (an
answer's envelope), ``MONEY_FIELDS`` (the money facts decoded into ``money``), and for the
emulators ``decode_action`` (a request read back), ``encode_success``, ``encode_fail`` /
``encode_error``, ``REFUSALS`` / ``encode_refusal`` (a request refused before any action, in the
marketplace's envelope) and ``read_token`` (the credential a request carries).
Each wire fact carries its source tag: ``doc``, ``client`` or ``inferred``.

Every request body is one :class:`Template` (of :class:`From` leaves, :class:`Opt`,
:class:`PerItem` and :class:`Unused` nodes): the adapter renders it, the emulator parses it.
:func:`parse_json_body` is the one JSON reader under size and nesting limits (the adapters read
answers with it, the emulators requests).

A fourth marketplace adds one module here (its wire format), its rules in ``claimflow._rules``,
and a small adapter module (auth and factories) in ``claimflow.adapters``.
"""

from __future__ import annotations

from . import toss
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
    "match_action",
    "parse_json_body",
    "toss",
]
