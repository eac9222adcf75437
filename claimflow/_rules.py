"""The claim rules of ``../shared/spec/rules.md`` as data: one declarative table per claim type.

Each :class:`Rule` is one row of a rules.md table for one marketplace: when it applies (statuses and
the open claim), who may act, which parameters it takes, which guards it has, where the order
product and its claim go, which effects follow, and where the rule comes from (rule id, source
document, documented or decided). :mod:`claimflow._machine` expands these rows into
``transitions`` machines; nothing else describes behaviour.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import Enum

import attrs

from . import _params as p
from . import _time
from ._guides import SRC_MARKETPLACES, SRC_RULES
from ._korean import attach
from ._values import OrderProduct
from ._vocab import (
    Action,
    Actor,
    ClaimStatus,
    ClaimType,
    EffectKind,
    Marketplace,
    PaymentChannel,
    Status,
    Tag,
)

A, S, CS, CT, EK = Action, Status, ClaimStatus, ClaimType, EffectKind
TOSS, IMWEB, X2BEE = Marketplace.TOSS, Marketplace.IMWEB, Marketplace.X2BEE
DOC, DECIDED, CLIENT = Tag.DOCUMENTED, Tag.DECIDED, Tag.CLIENT

# Source documents (../shared/seeds/) and, where the seeds are silent, the spec that gathered the
# marketplace's own documentation.
SRC_TOSS_CANCEL = "000_b8ffbd5e3cd8d420.txt"
SRC_TOSS_RETURN = "001_bfb9ffe909c38c72.txt"
SRC_X2BEE_CANCEL = "002_8a63ed91a20c054f.txt"
SRC_TOSS_EXCHANGE = "003_7140c7cc6d3a31ab.txt"
SRC_IMWEB_RETURN = "004_3422198187a96187.txt"


class Target(Enum):
    """A destination status that depends on the order product."""

    SAME = "same"  # the status does not change
    ORIGIN = "origin"  # back to the open claim's origin status (rejection, 반려)


class Outcome(Enum):
    """What an action does to claims."""

    NONE = "none"  # no claim changes (and none is created)
    CREATE = "create"  # open a new claim of ``claim_type`` in ``claim_status``; origin = status
    MOVE = "move"  # the open claim moves to ``claim_status`` and stays open
    CLOSE = "close"  # the open claim closes with ``claim_status``
    CREATE_CLOSED = "create_closed"  # a claim processed at once: recorded closed (x2bee FO)
    HOLD = "hold"  # the open claim goes on hold, remembering its status
    RELEASE = "release"  # the held claim returns to the status it had
    CONVERT = "convert"  # the open claim closes (``claim_status``); a ``claim_type`` one opens
    RETARGET_ORIGIN = "retarget_origin"  # an open claim's origin becomes the new status


@attrs.frozen
class Guard:
    """A condition on the order product (not on parameters) with the reason given when it fails."""

    code: str
    message_ko: str
    message_en: str
    test: Callable[[OrderProduct], bool] = attrs.field(eq=False, repr=False)
    when: str = ""  # the condition as a diagram edge shows it, e.g. "auto refund"


def _auto_refund(instead: Action) -> Guard:
    # imweb accept / return_done fail with '자동환불불가' for bank transfer and virtual account.
    return Guard(
        "AUTO_REFUND_IMPOSSIBLE",
        "자동환불불가: 무통장입금/가상계좌 결제는 자동 환불할 수 없습니다. "
        f"{attach(instead.value, '을/를')} 사용하세요",
        f"auto refund impossible for this payment: use {instead}",
        lambda op: op.auto_refundable,
        "auto refund",
    )


NOT_AUTO_REFUNDABLE = Guard(
    "AUTO_REFUND_POSSIBLE",
    "자동 환불이 가능한 결제입니다. return.complete로 환불하세요",
    "this payment can be refunded automatically: use return.complete",
    lambda op: not op.auto_refundable,
    "no auto refund",
)

NAVER_PAY_ONLY = Guard(
    "NAVER_PAY_ONLY",
    "반품 보류/보류 해제는 네이버페이 주문만 가능합니다",
    "return holds exist for Naver Pay orders only",
    lambda op: op.payment_channel is PaymentChannel.NPAY,
    "Naver Pay",
)


# rules.md D5 (client): 발송지연 only within 3 business days of payment (claimflow._time)
DELAY_WINDOW = Guard(
    "DELAY_WINDOW_CLOSED",
    "발송 지연은 결제 후 3영업일 이내에만 설정할 수 있습니다 [D5]",
    "a shipment can be delayed only within 3 business days of payment [D5]",
    _time.delay_window_open,
    "≤3 business days after payment",
)


@attrs.frozen
class ClaimCondition:
    """Which open claim a rule needs: none, or one of ``types`` in one of ``statuses``."""

    none_ok: bool
    types: frozenset[ClaimType] = frozenset()
    statuses: frozenset[ClaimStatus] = frozenset()

    def matches(self, claim: tuple[ClaimType, ClaimStatus] | None) -> bool:
        """Whether an open claim ``(type, status)`` (or None) meets the condition."""
        if claim is None:
            return self.none_ok
        return claim[0] in self.types and claim[1] in self.statuses

    def describe(self) -> tuple[str, str]:
        """Korean and English text, e.g. "an open RETURN claim in REQUESTED"."""
        if not self.types:
            return "진행 중인 클레임 없음", "no open claim"
        types_en = "/".join(sorted(t.value for t in self.types))
        types_ko = "/".join(t.label for t in sorted(self.types))
        sts_en = "/".join(s.value for s in ClaimStatus if s in self.statuses)
        sts_ko = "/".join(s.label for s in ClaimStatus if s in self.statuses)
        ko = f"진행 중인 {types_ko}({sts_ko}) 클레임"
        en = f"an open {types_en} claim in {sts_en}"
        if self.none_ok:
            return ko + " 또는 클레임 없음", en + " or no open claim"
        return ko, en


NO_CLAIM = ClaimCondition(True)
ANY_OPEN = ClaimCondition(False, frozenset(ClaimType), frozenset(ClaimStatus))


def open_claim(types: ClaimType | Iterable[ClaimType], *statuses: ClaimStatus) -> ClaimCondition:
    """The rule needs an open claim of *types* in one of *statuses*."""
    ts = frozenset({types}) if isinstance(types, CT) else frozenset(types)
    return ClaimCondition(False, ts, frozenset(statuses))


@attrs.frozen
class Rule:
    """One row of a rules.md table, for one marketplace."""

    id: str
    marketplace: Marketplace
    action: Action
    actors: frozenset[Actor]
    statuses: frozenset[Status] | None  # None: any status (the open claim decides)
    claim: ClaimCondition
    to: Status | Target
    outcome: Outcome
    tag: Tag
    source: str
    claim_type: ClaimType | None = None  # for CREATE, CREATE_CLOSED, CONVERT
    claim_status: ClaimStatus | None = None  # for CREATE, MOVE, CLOSE, ...
    params: tuple[p.ParamSpec, ...] = ()
    guards: tuple[Guard, ...] = ()
    effects: tuple[EffectKind, ...] = ()
    changes_item: bool = False  # x2bee option change: the order product takes the new item
    note: str = ""
    # penalty points the marketplace imposes on the shop for this action (Toss seller cancel:
    # 3, client); an allowed decision says so in a PENALTY_POINTS reason
    penalty_points: int = 0


def _rule(  # noqa: PLR0917 - one positional argument per rules.md column
    id: str,
    mp: Marketplace,
    action: Action,
    actors: Actor | Iterable[Actor],
    statuses: Iterable[Status] | None,
    claim: ClaimCondition,
    to: Status | Target,
    outcome: Outcome,
    tag: Tag,
    source: str,
    **kw: object,
) -> Rule:
    acts = frozenset({actors}) if isinstance(actors, Actor) else frozenset(actors)
    sts = None if statuses is None else frozenset(statuses)
    return Rule(id, mp, action, acts, sts, claim, to, outcome, tag, source, **kw)  # type: ignore[arg-type]


BUYER, SELLER, SYSTEM = Actor.BUYER, Actor.SELLER, Actor.SYSTEM
SAME, ORIGIN = Target.SAME, Target.ORIGIN
O = Outcome
DELIVERY = (p.CARRIER, p.TRACKING_NUMBER)
# imweb buyer requests carry one of imweb's reason codes, and optionally a text.
IMWEB_REQUEST = (p.REASON_CODE, p.REASON.optional(), p.QUANTITY)
# a buyer's return or exchange request (Toss, x2bee): who bears the delivery cost, when known
CLAIM_REQUEST = (p.REASON, p.CLAIM_FEE_PAYER, p.QUANTITY)
# rules.md M7: the marketplace's own result (x2bee claimCalculateCostFO) is what is refunded;
# a difference from the quote is reported. (Toss states claimDeliveryPaymentAmount on the claim
# item itself: ClaimDelivery.payment_amount, filled by the adapter.)
STATED = (p.REFUND_AMOUNT, p.EXTRA_PAYMENT)
IMWEB_REFUND = (p.EXTRA_CHARGE, p.REFUND_POINTS, p.MEMO)
SHIPPABLE = (S.PAID, S.PREPARING, S.DELAYED)


# --- Fulfilment: the order-product status machine outside claims (all marketplaces) ----------
def _fulfilment(mp: Marketplace) -> tuple[Rule, ...]:
    ship_from = SHIPPABLE if mp is TOSS else (S.PAID, S.PREPARING)  # only Toss has 발송지연
    rules = [
        _rule("F1", mp, A.ORDER_PREPARE, SELLER, [S.PAID], NO_CLAIM, S.PREPARING, O.NONE, DOC,
              SRC_MARKETPLACES, note="imweb place; Toss PREPARING_PRODUCT"),
        _rule("F3", mp, A.ORDER_SHIP, SELLER, ship_from, NO_CLAIM, S.SHIPPING, O.NONE, DOC,
              SRC_MARKETPLACES, params=DELIVERY, effects=(EK.REGISTER_DELIVERY,),
              note="imweb send; with an open cancel request, reject it with the invoice instead "
                   "(cancel.reject): decided"),
        _rule("F4", mp, A.ORDER_DELIVER, SYSTEM, [S.SHIPPING], NO_CLAIM, S.DELIVERED, O.NONE,
              DOC, SRC_MARKETPLACES, note="imweb complete"),
        _rule("F4", mp, A.ORDER_DELIVER, SYSTEM, [S.SHIPPING],
              open_claim([CT.RETURN, CT.EXCHANGE], CS.REQUESTED), S.DELIVERED,
              O.RETARGET_ORIGIN, DECIDED, SRC_RULES,
              note="delivery while a request is pending: its origin becomes DELIVERED"),
        _rule("F5", mp, A.ORDER_CONFIRM, [BUYER, SYSTEM], [S.DELIVERED, S.EXCHANGED], NO_CLAIM,
              S.CONFIRMED, O.NONE, DECIDED, SRC_MARKETPLACES,
              note="Toss CONFIRMED_ORDER (client code); no claim and no seller cancel after it"),
    ]
    if mp is TOSS:
        rules.insert(1, _rule(
            "F2", mp, A.ORDER_DELAY, SELLER, [S.PREPARING], NO_CLAIM, S.DELAYED, O.NONE, DOC,
            SRC_MARKETPLACES, params=(p.SHIPPING_DEADLINE,), effects=(EK.NOTIFY_BUYER,),
            guards=(DELAY_WINDOW,),
            note="Toss DELAY_SHIPPING with shippingDeadlineAt; D5: once (no way back to "
                 "PREPARING), within 3 business days of payment, at most 14 days out"))
    return tuple(rules)


FULFILMENT_RULES = _fulfilment(TOSS) + _fulfilment(IMWEB) + _fulfilment(X2BEE)

# --- Cancel (취소) -------------------------------------------------------------------------
_SELLER_CANCEL = (p.FEE_PAYER, p.REASON_100, p.DETAIL_REASON)
_SELLER_CANCEL_FROM = (S.PAID, S.PREPARING, S.DELAYED, S.SHIPPING, S.DELIVERED)
# T5: "클레임 진행 중인 주문도 취소가 가능" also covers the statuses an open claim has moved
# the line to (pickup under way or done, replacement on its way).
_SELLER_CANCEL_IN_CLAIM = (
    S.RETURN_COLLECTING,
    S.RETURN_COLLECTED,
    S.EXCHANGE_COLLECTING,
    S.EXCHANGE_COLLECTED,
    S.REDELIVERING,
)
SELLER_CANCEL_PENALTY = 3  # Toss: a seller cancel costs the shop 3 penalty points (client)

CANCEL_RULES: tuple[Rule, ...] = (
    _rule("T1", TOSS, A.CANCEL_REQUEST, BUYER, [S.PAID], NO_CLAIM, S.CANCELED, O.NONE, DOC,
          SRC_TOSS_CANCEL, params=(p.REASON, p.QUANTITY), effects=(EK.REFUND,),
          note="결제완료: cancelled at once, no claim is recorded"),
    _rule("T2", TOSS, A.CANCEL_REQUEST, BUYER, [S.PREPARING, S.DELAYED], NO_CLAIM, SAME,
          O.CREATE, DOC, SRC_TOSS_CANCEL, claim_type=CT.CANCEL, claim_status=CS.REQUESTED,
          params=(p.REASON, p.QUANTITY)),
    _rule("T3", TOSS, A.CANCEL_APPROVE, SELLER, None, open_claim(CT.CANCEL, CS.REQUESTED),
          S.CANCELED, O.CLOSE, DOC, SRC_TOSS_CANCEL, claim_status=CS.APPROVED,
          effects=(EK.REFUND,)),
    _rule("T3", TOSS, A.CANCEL_APPROVE, SYSTEM, None, open_claim(CT.CANCEL, CS.REQUESTED),
          S.CANCELED, O.CLOSE, CLIENT, SRC_MARKETPLACES, claim_status=CS.APPROVED,
          effects=(EK.REFUND,),
          note="automatic approval of a cancel request left 7 business days (D1; integration "
               "notes, marketplaces.md §5.1)"),
    _rule("T4", TOSS, A.CANCEL_REJECT, SELLER, None, open_claim(CT.CANCEL, CS.REQUESTED),
          S.SHIPPING, O.CLOSE, DOC, SRC_TOSS_CANCEL, claim_status=CS.REJECTED, params=DELIVERY,
          effects=(EK.REGISTER_DELIVERY,)),
    _rule("T5", TOSS, A.CANCEL_BY_SELLER, SELLER, _SELLER_CANCEL_FROM, NO_CLAIM, S.CANCELED,
          O.NONE, DOC, SRC_TOSS_CANCEL, params=_SELLER_CANCEL, effects=(EK.REFUND,),
          penalty_points=SELLER_CANCEL_PENALTY,
          note="not from EXCHANGED without a claim, CONFIRMED or a terminal status: decided; "
               "costs the shop 3 penalty points (client)"),
    _rule("T5", TOSS, A.CANCEL_BY_SELLER, SELLER,
          _SELLER_CANCEL_FROM + _SELLER_CANCEL_IN_CLAIM, ANY_OPEN, S.CANCELED, O.CLOSE, DOC,
          SRC_TOSS_CANCEL, claim_status=CS.CLOSED_BY_SELLER_CANCEL, params=_SELLER_CANCEL,
          effects=(EK.REFUND,), penalty_points=SELLER_CANCEL_PENALTY,
          note="allowed while a claim is in progress, also once it moved the line on (doc: "
               "클레임 진행 중인 주문도 취소가 가능); closing it as CLOSED_BY_SELLER_CANCEL is "
               "decided; costs the shop 3 penalty points (client)"),
    # imweb: PATCH /orders/{order_no}/cancel/{reject|accept|retry|force_cancel}
    _rule("I1", IMWEB, A.CANCEL_REQUEST, BUYER, [S.PAID, S.PREPARING], NO_CLAIM, SAME, O.CREATE,
          DOC, SRC_MARKETPLACES, claim_type=CT.CANCEL, claim_status=CS.REQUESTED,
          params=IMWEB_REQUEST, note="claim_status CANCEL_REQUEST"),
    _rule("I2", IMWEB, A.CANCEL_REJECT, SELLER, None, open_claim(CT.CANCEL, CS.REQUESTED),
          S.SHIPPING, O.CLOSE, DOC, SRC_MARKETPLACES, claim_status=CS.REJECTED, params=DELIVERY,
          effects=(EK.REGISTER_DELIVERY,)),
    _rule("I3", IMWEB, A.CANCEL_APPROVE, SELLER, None, open_claim(CT.CANCEL, CS.REQUESTED),
          SAME, O.MOVE, DOC, SRC_MARKETPLACES, claim_status=CS.REFUNDING,
          params=IMWEB_REFUND, guards=(_auto_refund(A.CANCEL_FORCE),),
          effects=(EK.REFUND, EK.CHARGE_EXTRA, EK.REFUND_POINTS),
          note="accept: the claim is REFUNDING (wire CANCELING 취소요청중) until the gateway "
               "answers (I3a)"),
    _rule("I3a", IMWEB, A.CANCEL_REFUND_SUCCEEDED, SYSTEM, None,
          open_claim(CT.CANCEL, CS.REFUNDING), S.CANCELED, O.CLOSE, DOC, SRC_MARKETPLACES,
          claim_status=CS.COMPLETED,
          note="the statuses are documented; the SYSTEM action mirrors I14 (decided)"),
    _rule("I3a", IMWEB, A.CANCEL_REFUND_FAILED, SYSTEM, None,
          open_claim(CT.CANCEL, CS.REFUNDING), SAME, O.MOVE, DOC, SRC_MARKETPLACES,
          claim_status=CS.REFUND_FAILED,
          note="wire CANCEL_FAILED 취소실패; the SYSTEM action mirrors I14 (decided)"),
    _rule("I4", IMWEB, A.CANCEL_RETRY_REFUND, SELLER, None,
          open_claim(CT.CANCEL, CS.REFUND_FAILED), SAME, O.MOVE, DOC, SRC_MARKETPLACES,
          claim_status=CS.REFUNDING, effects=(EK.REFUND,),
          note="retry: refunding again, the gateway answers as after I3 (I3a)"),
    _rule("I5", IMWEB, A.CANCEL_FORCE, SELLER, None,
          open_claim(CT.CANCEL, CS.REQUESTED, CS.REFUND_FAILED), S.CANCELED, O.CLOSE, DOC,
          SRC_MARKETPLACES, claim_status=CS.COMPLETED,
          note="force_cancel: marked refunded without the gateway (manual refund)"),
    # x2bee storefront: cancelPopupFO -> claimCalculateCostFO -> cancelFO, processed at once
    _rule("X1", X2BEE, A.CANCEL_REQUEST, BUYER, [S.PAID, S.PREPARING], NO_CLAIM, S.CANCELED,
          O.CREATE_CLOSED, DOC, SRC_X2BEE_CANCEL, claim_type=CT.CANCEL,
          claim_status=CS.COMPLETED,
          params=(p.REASON, *STATED, p.QUANTITY),
          effects=(EK.REFUND, EK.RESTORE_COUPONS, EK.RESTORE_STOCK, EK.NOTIFY_BUYER),
          note="the statuses it is open in (not yet shipped) are decided; the cost calculation "
               "may turn the refund into an extra payment"),
)

# --- Option change (옵션변경, x2bee) --------------------------------------------------------
OPTION_RULES: tuple[Rule, ...] = (
    _rule("X2", X2BEE, A.OPTION_CHANGE, BUYER, [S.PAID], NO_CLAIM, SAME, O.CREATE_CLOSED, DOC,
          SRC_X2BEE_CANCEL, claim_type=CT.OPTION_CHANGE, claim_status=CS.COMPLETED,
          params=(p.NEW_ITEM,), changes_item=True,
          note="ordChangeFO: only 주문완료, one item at a time, an on-sale in-stock item of the "
               "same price, not the same item"),
)

# --- Return (반품) --------------------------------------------------------------------------
_RETURN_FROM = (S.SHIPPING, S.DELIVERED, S.EXCHANGED)


def _toss_return(mp: Marketplace, prefix: str, src: str) -> tuple[Rule, ...]:
    x2bee = mp is X2BEE
    complete_effects = (EK.REFUND,) + (
        (EK.RESTORE_COUPONS, EK.RESTORE_STOCK, EK.NOTIFY_BUYER) if x2bee else ()
    )
    return (
        _rule(prefix + "T6", mp, A.RETURN_REQUEST, BUYER, _RETURN_FROM, NO_CLAIM, SAME, O.CREATE,
              DOC, src, claim_type=CT.RETURN, claim_status=CS.REQUESTED, params=CLAIM_REQUEST),
        _rule(prefix + "T7", mp, A.RETURN_WITHDRAW, BUYER, None,
              open_claim(CT.RETURN, CS.REQUESTED), SAME, O.CLOSE, DOC, src,
              claim_status=CS.WITHDRAWN, note="withdraw only while REQUESTED: decided"),
        _rule(prefix + "T8", mp, A.RETURN_APPROVE, SELLER, None,
              open_claim(CT.RETURN, CS.REQUESTED), S.RETURN_COLLECTING, O.MOVE, DOC, src,
              claim_status=CS.APPROVED),
        _rule(prefix + "T9", mp, A.RETURN_REJECT, SELLER, None,
              open_claim(CT.RETURN, CS.REQUESTED), ORIGIN, O.CLOSE, DOC, src,
              claim_status=CS.REJECTED, params=(p.REASON,)),
        _rule(prefix + "T10", mp, A.RETURN_COLLECT, SELLER, [S.RETURN_COLLECTING],
              open_claim(CT.RETURN, CS.APPROVED), S.RETURN_COLLECTED, O.MOVE, DOC, src,
              claim_status=CS.COLLECTED),
        _rule(prefix + "T11", mp, A.RETURN_COMPLETE, SELLER, [S.RETURN_COLLECTED],
              open_claim(CT.RETURN, CS.COLLECTED), S.RETURNED, O.CLOSE, DOC, src,
              claim_status=CS.COMPLETED, effects=complete_effects,
              params=(*STATED, p.EXCHANGE_MID_RETURN) if x2bee else (),
              note="x2bee saveRefundBundleApproMgmt: only from 회수완료; restores coupons and "
                   "stock, refunds and notifies; no RESTORE_STOCK for a return made during an "
                   "exchange (exchange_mid_return, wire exchMidRtnYn)" if x2bee else ""),
        _rule(prefix + "T12", mp, A.RETURN_REJECT_COLLECTED, SELLER, [S.RETURN_COLLECTED],
              open_claim(CT.RETURN, CS.COLLECTED), ORIGIN, O.CLOSE, DOC, src,
              claim_status=CS.COLLECTION_REJECTED, params=(p.REASON,)),
    )


_RETURN_HOLDABLE = (CS.REQUESTED, CS.APPROVED, CS.COLLECTED)

RETURN_RULES: tuple[Rule, ...] = (
    *_toss_return(TOSS, "", SRC_TOSS_RETURN),
    # imweb: PATCH /orders/{order_no}/return/{status} (004_…txt)
    _rule("I6", IMWEB, A.RETURN_REQUEST, BUYER, [S.SHIPPING, S.DELIVERED], NO_CLAIM, SAME,
          O.CREATE, DOC, SRC_IMWEB_RETURN, claim_type=CT.RETURN, claim_status=CS.REQUESTED,
          params=IMWEB_REQUEST),
    _rule("I6", IMWEB, A.RETURN_REQUEST, BUYER, [S.EXCHANGED], NO_CLAIM, SAME, O.CREATE,
          DECIDED, SRC_RULES, claim_type=CT.RETURN, claim_status=CS.REQUESTED,
          params=IMWEB_REQUEST,
          note="a return of an exchanged item: decided, as Toss T6 and as I16 allows a "
               "re-exchange"),
    _rule("I7", IMWEB, A.RETURN_REJECT, SELLER, None, open_claim(CT.RETURN, CS.REQUESTED),
          ORIGIN, O.CLOSE, DOC, SRC_IMWEB_RETURN, claim_status=CS.REJECTED, params=(p.REASON,),
          note="reject"),
    _rule("I8", IMWEB, A.RETURN_TO_EXCHANGE, SELLER, None, open_claim(CT.RETURN, CS.REQUESTED),
          SAME, O.CONVERT, DOC, SRC_IMWEB_RETURN, claim_type=CT.EXCHANGE,
          claim_status=CS.REJECTED, params=(p.REASON,),
          note="교환으로 변경 through reject: the return closes as REJECTED and an exchange "
               "request opens with the same origin"),
    _rule("I9", IMWEB, A.RETURN_APPROVE, SELLER, None, open_claim(CT.RETURN, CS.REQUESTED),
          S.RETURN_COLLECTING, O.MOVE, DOC, SRC_IMWEB_RETURN, claim_status=CS.APPROVED,
          note="accept (수거지시)"),
    _rule("I10", IMWEB, A.RETURN_COLLECT, SELLER, [S.RETURN_COLLECTING],
          open_claim(CT.RETURN, CS.APPROVED), S.RETURN_COLLECTED, O.MOVE, DOC, SRC_IMWEB_RETURN,
          claim_status=CS.COLLECTED, note="collect_done"),
    _rule("I11", IMWEB, A.RETURN_HOLD, SELLER, None, open_claim(CT.RETURN, *_RETURN_HOLDABLE),
          SAME, O.HOLD, DOC, SRC_IMWEB_RETURN, claim_status=CS.HELD, params=(p.REASON,),
          guards=(NAVER_PAY_ONLY,),
          note="withhold; Naver Pay orders only; only before any refund went out, not while "
               "REFUNDING/REFUND_FAILED (decided)"),
    _rule("I12", IMWEB, A.RETURN_RELEASE, SELLER, None, open_claim(CT.RETURN, CS.HELD), SAME,
          O.RELEASE, DOC, SRC_IMWEB_RETURN, note="releasehold"),
    _rule("I13", IMWEB, A.RETURN_COMPLETE, SELLER, [S.RETURN_COLLECTED],
          open_claim(CT.RETURN, CS.COLLECTED), SAME, O.MOVE, DOC, SRC_IMWEB_RETURN,
          claim_status=CS.REFUNDING, params=IMWEB_REFUND,
          guards=(_auto_refund(A.RETURN_FORCE_COMPLETE),),
          effects=(EK.REFUND, EK.CHARGE_EXTRA, EK.REFUND_POINTS),
          note="return_done: the claim is REFUNDING (RETURN_REFUNDING) until the gateway answers; "
               "the order product becomes RETURNED with return.refund_succeeded (I14)"),
    _rule("I14", IMWEB, A.RETURN_REFUND_FAILED, SYSTEM, None,
          open_claim(CT.RETURN, CS.REFUNDING), SAME, O.MOVE, DOC, SRC_IMWEB_RETURN,
          claim_status=CS.REFUND_FAILED, note="RETURN_REFUND_FAILED"),
    _rule("I14", IMWEB, A.RETURN_REFUND_SUCCEEDED, SYSTEM, None,
          open_claim(CT.RETURN, CS.REFUNDING), S.RETURNED, O.CLOSE, DOC, SRC_IMWEB_RETURN,
          claim_status=CS.COMPLETED),
    _rule("I15", IMWEB, A.RETURN_FORCE_COMPLETE, SELLER, None,
          open_claim(CT.RETURN, CS.REFUNDING, CS.REFUND_FAILED), S.RETURNED, O.CLOSE, DOC,
          SRC_IMWEB_RETURN, claim_status=CS.COMPLETED,
          note="return_force_done: no automatic refund (the seller refunds by agreement)"),
    _rule("I15", IMWEB, A.RETURN_FORCE_COMPLETE, SELLER, [S.RETURN_COLLECTED],
          open_claim(CT.RETURN, CS.COLLECTED), S.RETURNED, O.CLOSE, DECIDED, SRC_RULES,
          claim_status=CS.COMPLETED, guards=(NOT_AUTO_REFUNDABLE,),
          note="from 반품수거완료 when the payment cannot be refunded automatically, else such "
               "orders could never finish"),
    *_toss_return(X2BEE, "X3.", SRC_MARKETPLACES),
)

# --- Exchange (교환) ------------------------------------------------------------------------


def _exchange_reject_terms(mp: Marketplace) -> dict[str, object]:
    """T16's parameters: a reason; imweb (I16) ships the item back, so carrier and invoice.

    imweb's ``exchange/reject`` carries ``parcel_code``/``invoice_no`` and no reason [doc,
    marketplaces.md §5.2]: both are required and registered, as T4/I2; a reason stays optional.
    """
    if mp is IMWEB:
        return {
            "params": (*DELIVERY, p.REASON.optional()),
            "effects": (EK.REGISTER_DELIVERY,),
            "note": "the item ships back: carrier code + invoice (parcel_code/invoice_no)",
        }
    return {"params": (p.REASON,)}


def _exchange(mp: Marketplace, prefix: str, src: str) -> tuple[Rule, ...]:
    imweb = mp is IMWEB
    rules = [
        _rule(prefix + "T13", mp, A.EXCHANGE_REQUEST, BUYER, _RETURN_FROM, NO_CLAIM, SAME,
              O.CREATE, DOC, src, claim_type=CT.EXCHANGE, claim_status=CS.REQUESTED,
              params=IMWEB_REQUEST if imweb else CLAIM_REQUEST),
        _rule(prefix + "T15", mp, A.EXCHANGE_APPROVE, SELLER, None,
              open_claim(CT.EXCHANGE, CS.REQUESTED), S.EXCHANGE_COLLECTING, O.MOVE, DOC, src,
              claim_status=CS.APPROVED, effects=(EK.CHARGE_EXTRA,),
              note="M5: the round-trip fee is charged (CHARGE_EXTRA) when the buyer bears it"),
        _rule(prefix + "T16", mp, A.EXCHANGE_REJECT, SELLER, None,
              open_claim(CT.EXCHANGE, CS.REQUESTED), ORIGIN, O.CLOSE, DOC, src,
              claim_status=CS.REJECTED, **_exchange_reject_terms(mp)),
        _rule(prefix + "T17", mp, A.EXCHANGE_COLLECT, SELLER, [S.EXCHANGE_COLLECTING],
              open_claim(CT.EXCHANGE, CS.APPROVED), S.EXCHANGE_COLLECTED, O.MOVE, DOC, src,
              claim_status=CS.COLLECTED),
        _rule(prefix + "T18", mp, A.EXCHANGE_REDELIVER, SELLER, [S.EXCHANGE_COLLECTED],
              open_claim(CT.EXCHANGE, CS.COLLECTED), S.REDELIVERING, O.MOVE, DOC, src,
              claim_status=CS.REDELIVERING, params=DELIVERY, effects=(EK.REGISTER_DELIVERY,),
              note="imweb resend" if imweb else ""),
        _rule(prefix + "T21", mp, A.EXCHANGE_COMPLETE, SELLER, [S.REDELIVERING],
              open_claim(CT.EXCHANGE, CS.REDELIVERING), S.EXCHANGED, O.CLOSE, DOC, src,
              claim_status=CS.COMPLETED, note="imweb exchange_done" if imweb else ""),
    ]
    if imweb:
        # I16: imweb's exchange hold is not limited to Naver Pay; no documented 반려, no
        # invoice change and no withdrawal call.
        rules += [
            _rule(prefix + "HOLD", mp, A.EXCHANGE_HOLD, SELLER, None,
                  open_claim(CT.EXCHANGE, *_RETURN_HOLDABLE), SAME, O.HOLD, DOC, src,
                  claim_status=CS.HELD, params=(p.REASON,),
                  note="withhold; only before the replacement ships (REQUESTED/APPROVED/"
                       "COLLECTED): decided"),
            _rule(prefix + "RELEASE", mp, A.EXCHANGE_RELEASE, SELLER, None,
                  open_claim(CT.EXCHANGE, CS.HELD), SAME, O.RELEASE, DOC, src,
                  note="releasehold"),
        ]
    else:
        rules += [
            _rule(prefix + "T14", mp, A.EXCHANGE_WITHDRAW, BUYER, None,
                  open_claim(CT.EXCHANGE, CS.REQUESTED), SAME, O.CLOSE, DECIDED, SRC_RULES,
                  claim_status=CS.WITHDRAWN,
                  note="x2bee documents no call for a buyer's withdrawal (withdrawalExchange is "
                       "a pickup-side step, marketplaces.md §5.3): carried out locally only"
                  if mp is X2BEE else ""),
            _rule(prefix + "T19", mp, A.EXCHANGE_REJECT_COLLECTED, SELLER,
                  [S.EXCHANGE_COLLECTED], open_claim(CT.EXCHANGE, CS.COLLECTED), ORIGIN,
                  O.CLOSE, DOC, src, claim_status=CS.COLLECTION_REJECTED, params=(p.REASON,)),
            _rule(prefix + "T20", mp, A.EXCHANGE_CHANGE_INVOICE, SELLER, [S.REDELIVERING],
                  open_claim(CT.EXCHANGE, CS.REDELIVERING), S.REDELIVERING, O.MOVE, DOC, src,
                  claim_status=CS.REDELIVERING, params=DELIVERY,
                  effects=(EK.REGISTER_DELIVERY,)),
        ]
    return tuple(rules)


EXCHANGE_RULES: tuple[Rule, ...] = (
    _exchange(TOSS, "", SRC_TOSS_EXCHANGE)
    + _exchange(IMWEB, "I16.", SRC_MARKETPLACES)
    + _exchange(X2BEE, "X3.", SRC_MARKETPLACES)
)

#: The declarative definition of each machine: claim types, plus the order-product status.
DEFINITIONS: dict[str, tuple[Rule, ...]] = {
    "order": FULFILMENT_RULES,
    "cancel": CANCEL_RULES,
    "return": RETURN_RULES,
    "exchange": EXCHANGE_RULES,
    "option": OPTION_RULES,
}

#: Open claims an order product can be read in without any action of ours having made them:
#: imweb reports a failed cancel refund (``CANCEL_FAILED``) from its payment gateway.
ENTRY_CLAIMS: dict[Marketplace, tuple[tuple[ClaimType, ClaimStatus], ...]] = {
    IMWEB: ((CT.CANCEL, CS.REFUND_FAILED),),
}


def rules_for(mp: Marketplace) -> tuple[Rule, ...]:
    """Every rule of marketplace *mp*, machine by machine."""
    return tuple(r for rules in DEFINITIONS.values() for r in rules if r.marketplace is mp)
