"""The domain vocabulary of ``../shared/spec/rules.md``.

Every identifier here is public data: it appears in decisions, logs, tables and diagrams, so the
enum *values* are the spec's identifiers verbatim and must stay stable. Korean labels are data too
(``Status.PAID.label == "결제완료"``).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TypeVar

from .exceptions import UnknownValueError

#: Korea Standard Time, the marketplaces' clock: UTC+9, no daylight saving since 1988. One
#: fixed offset (not the tz database's Asia/Seoul, whose 1950s offsets differ) so wire times,
#: deadlines and generated dates agree everywhere.
SEOUL = dt.timezone(dt.timedelta(hours=9), "KST")

__all__ = [
    "Action",
    "Actor",
    "ClaimStatus",
    "ClaimType",
    "EffectKind",
    "FeePayer",
    "Marketplace",
    "PaymentChannel",
    "Status",
    "Tag",
]


class Marketplace(StrEnum):
    """A marketplace whose claim rules claimflow knows."""

    TOSS = "toss"  # Toss Shopping seller API ("shopping-fep")
    IMWEB = "imweb"  # imweb shop API v2
    X2BEE = "x2bee"  # Plateer X2BEE, a shop's own commerce platform

    @property
    def label(self) -> str:
        """The name operators use."""
        return _MARKETPLACE_LABELS[self]

    @property
    def label_en(self) -> str:
        """The English name."""
        return _MARKETPLACE_LABELS_EN[self]


_MARKETPLACE_LABELS = {
    Marketplace.TOSS: "토스쇼핑",
    Marketplace.IMWEB: "아임웹",
    Marketplace.X2BEE: "x2bee",
}
_MARKETPLACE_LABELS_EN = {
    Marketplace.TOSS: "Toss Shopping",
    Marketplace.IMWEB: "imweb",
    Marketplace.X2BEE: "x2bee",
}


class Status(StrEnum):
    """The status of one order line (order product)."""

    PAID = "PAID"
    PREPARING = "PREPARING"
    DELAYED = "DELAYED"
    SHIPPING = "SHIPPING"
    DELIVERED = "DELIVERED"
    CANCELED = "CANCELED"  # terminal
    RETURN_COLLECTING = "RETURN_COLLECTING"
    RETURN_COLLECTED = "RETURN_COLLECTED"
    RETURNED = "RETURNED"  # terminal
    EXCHANGE_COLLECTING = "EXCHANGE_COLLECTING"
    EXCHANGE_COLLECTED = "EXCHANGE_COLLECTED"
    REDELIVERING = "REDELIVERING"
    EXCHANGED = "EXCHANGED"  # not terminal: re-exchange and return remain possible
    CONFIRMED = "CONFIRMED"  # terminal (decided, from Toss's CONFIRMED_ORDER)

    @property
    def label(self) -> str:
        """The Korean label shown to operators and buyers."""
        return _STATUS_LABELS[self]

    @property
    def terminal(self) -> bool:
        """Whether no action at all is possible from this status."""
        return self in TERMINAL_STATUSES


_STATUS_LABELS = {
    Status.PAID: "결제완료",
    Status.PREPARING: "상품준비중",
    Status.DELAYED: "발송지연",
    Status.SHIPPING: "배송중",
    Status.DELIVERED: "배송완료",
    Status.CANCELED: "결제취소",
    Status.RETURN_COLLECTING: "반품수거중",
    Status.RETURN_COLLECTED: "반품수거완료",
    Status.RETURNED: "반품완료",
    Status.EXCHANGE_COLLECTING: "교환수거중",
    Status.EXCHANGE_COLLECTED: "교환수거완료",
    Status.REDELIVERING: "재배송중",
    Status.EXCHANGED: "교환완료",
    Status.CONFIRMED: "구매확정",
}

TERMINAL_STATUSES = frozenset({Status.CANCELED, Status.RETURNED, Status.CONFIRMED})


class ClaimType(StrEnum):
    """The kind of a claim."""

    CANCEL = "CANCEL"
    RETURN = "RETURN"
    EXCHANGE = "EXCHANGE"
    OPTION_CHANGE = "OPTION_CHANGE"  # x2bee only

    @property
    def label(self) -> str:
        """The Korean name of the claim type."""
        return _CLAIM_TYPE_LABELS[self]


_CLAIM_TYPE_LABELS = {
    ClaimType.CANCEL: "취소",
    ClaimType.RETURN: "반품",
    ClaimType.EXCHANGE: "교환",
    ClaimType.OPTION_CHANGE: "옵션변경",
}


class ClaimStatus(StrEnum):
    """The status of a claim. Open ones sit beside the order-product status."""

    REQUESTED = "REQUESTED"
    APPROVED = "APPROVED"  # for return/exchange: pickup under way
    HELD = "HELD"  # on hold (imweb; Naver Pay for returns)
    COLLECTED = "COLLECTED"
    REDELIVERING = "REDELIVERING"
    REFUNDING = "REFUNDING"
    REFUND_FAILED = "REFUND_FAILED"
    COMPLETED = "COMPLETED"
    REJECTED = "REJECTED"  # request rejected
    COLLECTION_REJECTED = "COLLECTION_REJECTED"  # 반려: rejected after collection
    WITHDRAWN = "WITHDRAWN"  # the buyer withdrew
    CLOSED_BY_SELLER_CANCEL = "CLOSED_BY_SELLER_CANCEL"

    @property
    def label(self) -> str:
        """The Korean label."""
        return _CLAIM_STATUS_LABELS[self]


_CLAIM_STATUS_LABELS = {
    ClaimStatus.REQUESTED: "요청",
    ClaimStatus.APPROVED: "승인",
    ClaimStatus.HELD: "보류",
    ClaimStatus.COLLECTED: "수거완료",
    ClaimStatus.REDELIVERING: "재배송중",
    ClaimStatus.REFUNDING: "환불진행중",
    ClaimStatus.REFUND_FAILED: "환불실패",
    ClaimStatus.COMPLETED: "완료",
    ClaimStatus.REJECTED: "거절",
    ClaimStatus.COLLECTION_REJECTED: "반려",
    ClaimStatus.WITHDRAWN: "철회",
    ClaimStatus.CLOSED_BY_SELLER_CANCEL: "판매자 취소로 종료",
}


class Actor(StrEnum):
    """Who performs an action."""

    BUYER = "BUYER"
    SELLER = "SELLER"
    SYSTEM = "SYSTEM"  # what the marketplace does by itself

    @property
    def label(self) -> str:
        """The Korean label."""
        return _ACTOR_LABELS[self]


_ACTOR_LABELS = {Actor.BUYER: "구매자", Actor.SELLER: "판매자", Actor.SYSTEM: "시스템"}


class Action(StrEnum):
    """An action on an order product, ``<group>.<verb>``."""

    CANCEL_REQUEST = "cancel.request"
    CANCEL_APPROVE = "cancel.approve"
    CANCEL_REJECT = "cancel.reject"
    CANCEL_BY_SELLER = "cancel.by_seller"
    CANCEL_RETRY_REFUND = "cancel.retry_refund"
    CANCEL_FORCE = "cancel.force"
    CANCEL_REFUND_FAILED = "cancel.refund_failed"
    CANCEL_REFUND_SUCCEEDED = "cancel.refund_succeeded"
    RETURN_REQUEST = "return.request"
    RETURN_WITHDRAW = "return.withdraw"
    RETURN_APPROVE = "return.approve"
    RETURN_REJECT = "return.reject"
    RETURN_COLLECT = "return.collect"
    RETURN_COMPLETE = "return.complete"
    RETURN_REJECT_COLLECTED = "return.reject_collected"
    RETURN_HOLD = "return.hold"
    RETURN_RELEASE = "return.release"
    RETURN_REFUND_FAILED = "return.refund_failed"
    RETURN_REFUND_SUCCEEDED = "return.refund_succeeded"
    RETURN_FORCE_COMPLETE = "return.force_complete"
    RETURN_TO_EXCHANGE = "return.to_exchange"
    EXCHANGE_REQUEST = "exchange.request"
    EXCHANGE_WITHDRAW = "exchange.withdraw"
    EXCHANGE_APPROVE = "exchange.approve"
    EXCHANGE_REJECT = "exchange.reject"
    EXCHANGE_COLLECT = "exchange.collect"
    EXCHANGE_REDELIVER = "exchange.redeliver"
    EXCHANGE_CHANGE_INVOICE = "exchange.change_invoice"
    EXCHANGE_COMPLETE = "exchange.complete"
    EXCHANGE_REJECT_COLLECTED = "exchange.reject_collected"
    EXCHANGE_HOLD = "exchange.hold"
    EXCHANGE_RELEASE = "exchange.release"
    OPTION_CHANGE = "option.change"
    ORDER_PREPARE = "order.prepare"
    ORDER_DELAY = "order.delay"
    ORDER_SHIP = "order.ship"
    ORDER_DELIVER = "order.deliver"
    ORDER_CONFIRM = "order.confirm"

    @property
    def group(self) -> str:
        """``cancel``, ``return``, ``exchange``, ``option`` or ``order``."""
        return self.value.split(".", 1)[0]

    @property
    def label(self) -> str:
        """The Korean name of the action."""
        return _ACTION_LABELS[self]


_ACTION_LABELS = {
    Action.CANCEL_REQUEST: "취소 요청",
    Action.CANCEL_APPROVE: "취소 승인",
    Action.CANCEL_REJECT: "취소 거절(발송)",
    Action.CANCEL_BY_SELLER: "판매자 직접 취소",
    Action.CANCEL_RETRY_REFUND: "취소 환불 재시도",
    Action.CANCEL_FORCE: "강제 취소(수동 환불)",
    Action.CANCEL_REFUND_FAILED: "취소 환불 실패",
    Action.CANCEL_REFUND_SUCCEEDED: "취소 환불 성공",
    Action.RETURN_REQUEST: "반품 요청",
    Action.RETURN_WITHDRAW: "반품 철회",
    Action.RETURN_APPROVE: "반품 승인(수거 지시)",
    Action.RETURN_REJECT: "반품 거절",
    Action.RETURN_COLLECT: "반품 수거 완료",
    Action.RETURN_COMPLETE: "반품 완료(환불)",
    Action.RETURN_REJECT_COLLECTED: "반품 반려",
    Action.RETURN_HOLD: "반품 보류",
    Action.RETURN_RELEASE: "반품 보류 해제",
    Action.RETURN_REFUND_FAILED: "반품 환불 실패",
    Action.RETURN_REFUND_SUCCEEDED: "반품 환불 성공",
    Action.RETURN_FORCE_COMPLETE: "반품 강제 완료(수동 환불)",
    Action.RETURN_TO_EXCHANGE: "교환으로 변경",
    Action.EXCHANGE_REQUEST: "교환 요청",
    Action.EXCHANGE_WITHDRAW: "교환 철회",
    Action.EXCHANGE_APPROVE: "교환 승인(수거 지시)",
    Action.EXCHANGE_REJECT: "교환 거절",
    Action.EXCHANGE_COLLECT: "교환 수거 완료",
    Action.EXCHANGE_REDELIVER: "교환 재배송",
    Action.EXCHANGE_CHANGE_INVOICE: "교환 송장 변경",
    Action.EXCHANGE_COMPLETE: "교환 완료",
    Action.EXCHANGE_REJECT_COLLECTED: "교환 반려",
    Action.EXCHANGE_HOLD: "교환 보류",
    Action.EXCHANGE_RELEASE: "교환 보류 해제",
    Action.OPTION_CHANGE: "옵션 변경",
    Action.ORDER_PREPARE: "상품 준비",
    Action.ORDER_DELAY: "발송 지연",
    Action.ORDER_SHIP: "발송",
    Action.ORDER_DELIVER: "배송 완료",
    Action.ORDER_CONFIRM: "구매 확정",
}


class EffectKind(StrEnum):
    """What the outside world must do after an action; adapters carry these out."""

    REFUND = "REFUND"
    REGISTER_DELIVERY = "REGISTER_DELIVERY"
    RESTORE_COUPONS = "RESTORE_COUPONS"
    RESTORE_STOCK = "RESTORE_STOCK"
    NOTIFY_BUYER = "NOTIFY_BUYER"
    CHARGE_EXTRA = "CHARGE_EXTRA"
    REFUND_POINTS = "REFUND_POINTS"

    @property
    def label(self) -> str:
        """The Korean name of the effect."""
        return _EFFECT_LABELS[self]


_EFFECT_LABELS = {
    EffectKind.REFUND: "환불",
    EffectKind.REGISTER_DELIVERY: "송장 등록",
    EffectKind.RESTORE_COUPONS: "쿠폰 복원",
    EffectKind.RESTORE_STOCK: "재고 복원",
    EffectKind.NOTIFY_BUYER: "구매자 알림",
    EffectKind.CHARGE_EXTRA: "추가 청구",
    EffectKind.REFUND_POINTS: "포인트 환불",
}


class PaymentChannel(StrEnum):
    """How the order was paid (imweb order ``type``)."""

    NORMAL = "normal"
    NPAY = "npay"  # Naver Pay: return holds are only possible here (imweb)
    TALKPAY = "talkpay"


class FeePayer(StrEnum):
    """Who bears the delivery fee of a seller cancel (Toss ``deliveryPenaltyCharger``)."""

    USER = "USER"  # doc
    MERCHANT = "MERCHANT"  # client code


class Tag(StrEnum):
    """Where a rule comes from."""

    DOCUMENTED = "documented"  # a source document says it
    DECIDED = "decided"  # no document says it; the product decided it
    CLIENT = "client"  # seen in public client code / integration notes, not in official docs


E = TypeVar("E", bound=StrEnum)


def parse_enum(enum: type[E], value: object, field: str) -> E:
    """*value* as a member of *enum*, or an :class:`UnknownValueError` naming *field*."""
    if isinstance(value, enum):
        return value
    if isinstance(value, str):
        try:
            return enum(value)
        except ValueError:
            pass
    known = ", ".join(m.value for m in enum)
    msg = f"{field}: unknown {enum.__name__} {value!r}; expected one of {known}"
    raise UnknownValueError(msg, field=field)
