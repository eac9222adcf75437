"""One codec per marketplace: the single place that knows its wire format.

Every codec module (:mod:`.toss`, :mod:`.imweb`, :mod:`.x2bee`) exports the same names, as
cattrs' ``preconf`` modules do: ``MARKETPLACE``, ``SPEC`` (the :class:`~claimflow.adapters.
MarketplaceSpec` the adapter sends with), ``ACTIONS`` / ``UNSUPPORTED`` (the action endpoints and
why the others have none), ``ORDER_STATUS_CODES`` / ``CLAIM_STATUS_CODES`` and their encoders
``order_status_code`` / ``claim_status_code``, ``ERROR_CODES`` / ``HTTP_ERRORS``, ``unwrap`` (an
answer's envelope), ``MONEY_FIELDS`` (the money facts decoded into ``money``), and for the
emulators ``decode_action`` (a request read back), ``encode_success`` and ``encode_fail``.
Each wire fact carries its source tag: ``doc``, ``client`` or ``inferred``.

A fourth marketplace adds one module here (its wire format), its rules in ``claimflow._rules``,
and a small adapter module (auth and factories) in ``claimflow.adapters``.
"""

from __future__ import annotations

from . import toss
from ._base import (
    DecodedAction,
    From,
    Tag,
    Template,
    TemplateMismatch,
    UnknownFieldsError,
    decode_body,
    match_action,
)

__all__ = [
    "DecodedAction",
    "From",
    "Tag",
    "Template",
    "TemplateMismatch",
    "UnknownFieldsError",
    "decode_body",
    "match_action",
    "toss",
]
