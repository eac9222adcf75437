"""claimflow: e-commerce order claims (취소, 반품, 교환, 옵션변경) as explicit, checkable rules.

Ask :func:`check` whether an action is allowed now and what it leads to; list
:func:`allowed_actions` (and :func:`refused_actions` with their reasons); :func:`apply` an allowed
action to get the new order product and its history event. The rules of each marketplace
(``toss``, ``imweb``, ``x2bee``) are ``transitions`` machines built from one declarative table per
claim type; see :func:`rules` and :func:`machines`.
"""

from __future__ import annotations

from ._engine import allowed_actions, apply, check, quote, refused_actions
from ._introspect import (
    MoneyRuleInfo,
    RuleInfo,
    machines,
    money_rules,
    reachable_states,
    return_shipping_ko,
    rules,
)
from ._json import from_json, to_json
from ._money import (
    ClaimDelivery,
    DeliveryFeeKind,
    DeliveryRegion,
    LineMoney,
    MoneyRule,
    Quote,
    Restore,
    allocate,
)
from ._params import ImwebReasonCode
from ._time import BusinessCalendar, Deadline, DeadlineKind, decide_as_of, due
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
    IPNotAllowedError,
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
    "BusinessCalendar",
    "CandidateItem",
    "Claim",
    "ClaimDelivery",
    "ClaimStatus",
    "ClaimType",
    "ClaimflowError",
    "Deadline",
    "DeadlineKind",
    "Decision",
    "DeliveryFeeKind",
    "DeliveryRegion",
    "Effect",
    "EffectKind",
    "FeePayer",
    "HistoryEvent",
    "IPNotAllowedError",
    "ImwebReasonCode",
    "InconsistentStateError",
    "InvalidInputError",
    "LineMoney",
    "Marketplace",
    "MarketplaceError",
    "MarketplaceRefusedError",
    "MarketplaceUnavailableError",
    "MissingExtraError",
    "MoneyRule",
    "MoneyRuleInfo",
    "NotSupportedError",
    "OrderProduct",
    "OutcomeUnknownError",
    "PaymentChannel",
    "Quote",
    "RateLimitedError",
    "Reason",
    "Restore",
    "RuleInfo",
    "StaleVersionError",
    "Status",
    "Tag",
    "TransportError",
    "UnexpectedResponseError",
    "UnknownParameterError",
    "UnknownValueError",
    "allocate",
    "allowed_actions",
    "apply",
    "check",
    "decide_as_of",
    "due",
    "from_json",
    "machines",
    "money_rules",
    "quote",
    "reachable_states",
    "refused_actions",
    "return_shipping_ko",
    "rules",
    "to_json",
]
