"""claimflow: e-commerce order claims (취소, 반품, 교환, 옵션변경) as explicit, checkable rules.

Ask :func:`check` whether an action is allowed now and what it leads to; list
:func:`allowed_actions` (and :func:`refused_actions` with their reasons); :func:`apply` an allowed
action to get the new order product and its history event. The rules of each marketplace
(``toss``, ``imweb``, ``x2bee``) are ``transitions`` machines built from one declarative table per
claim type; see :func:`rules` and :func:`machines`.
"""

from __future__ import annotations

from ._engine import allowed_actions, apply, check, refused_actions
from ._introspect import RuleInfo, machines, reachable_states, rules
from ._json import from_json, to_json
from ._params import ImwebReasonCode
from ._values import (
    Applied,
    CandidateItem,
    Claim,
    Decision,
    Effect,
    HistoryEvent,
    OrderProduct,
    Reason,
)
from ._vocab import (
    Action,
    Actor,
    ClaimStatus,
    ClaimType,
    EffectKind,
    FeePayer,
    Marketplace,
    PaymentChannel,
    Status,
    Tag,
)
from .exceptions import (
    ActionRefusedError,
    AuthenticationError,
    ClaimflowError,
    InconsistentStateError,
    InvalidInputError,
    MarketplaceError,
    MarketplaceRefusedError,
    MarketplaceUnavailableError,
    MissingExtraError,
    NotSupportedError,
    OutcomeUnknownError,
    RateLimitedError,
    StaleVersionError,
    TransportError,
    UnexpectedResponseError,
    UnknownParameterError,
    UnknownValueError,
)

__all__ = [
    "Action",
    "ActionRefusedError",
    "Actor",
    "Applied",
    "AuthenticationError",
    "CandidateItem",
    "Claim",
    "ClaimStatus",
    "ClaimType",
    "ClaimflowError",
    "Decision",
    "Effect",
    "EffectKind",
    "FeePayer",
    "HistoryEvent",
    "ImwebReasonCode",
    "InconsistentStateError",
    "InvalidInputError",
    "Marketplace",
    "MarketplaceError",
    "MarketplaceRefusedError",
    "MarketplaceUnavailableError",
    "MissingExtraError",
    "NotSupportedError",
    "OrderProduct",
    "OutcomeUnknownError",
    "PaymentChannel",
    "RateLimitedError",
    "Reason",
    "RuleInfo",
    "StaleVersionError",
    "Status",
    "Tag",
    "TransportError",
    "UnexpectedResponseError",
    "UnknownParameterError",
    "UnknownValueError",
    "allowed_actions",
    "apply",
    "check",
    "from_json",
    "machines",
    "reachable_states",
    "refused_actions",
    "rules",
    "to_json",
]
