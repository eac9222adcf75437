"""Typed, validated action parameters.

Each action declares the parameters it takes (:class:`ParamSpec`). :func:`validate` turns the
caller's keyword arguments into checked values and *problems*: a missing or malformed value is a
refusal reason naming the field (``MISSING_PARAMETER`` / ``INVALID_PARAMETER``), so a form can show
it next to the field. A parameter the action does not take at all is a programming error and
raises :class:`~claimflow.exceptions.UnknownParameterError`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from enum import StrEnum

import attrs

from . import _time
from ._korean import attach
from ._values import CandidateItem, OrderProduct, Params, Reason
from ._vocab import FeePayer, Tag
from .exceptions import UnknownParameterError

__all__ = ["ImwebReasonCode", "ParamSpec", "validate"]


class ImwebReasonCode(StrEnum):
    """imweb reason codes for cancel / return / exchange (who pays shipping follows from them)."""

    # the buyer's fault: the buyer pays shipping
    INTENT_CHANGED = "INTENT_CHANGED"
    COLOR_AND_SIZE = "COLOR_AND_SIZE"
    WRONG_ORDER = "WRONG_ORDER"
    # the seller's fault
    PRODUCT_UNSATISFIED = "PRODUCT_UNSATISFIED"
    DELAYED_DELIVERY = "DELAYED_DELIVERY"
    DROPPED_DELIVERY = "DROPPED_DELIVERY"
    SOLD_OUT = "SOLD_OUT"
    BROKEN = "BROKEN"
    INCORRECT_INFO = "INCORRECT_INFO"
    WRONG_DELIVERY = "WRONG_DELIVERY"
    WRONG_OPTION = "WRONG_OPTION"


class InvalidParamError(Exception):
    """Raised by a parameter check; becomes an ``INVALID_PARAMETER`` reason."""

    def __init__(self, ko: str, en: str) -> None:
        super().__init__(en)
        self.ko = ko
        self.en = en


Check = Callable[[object, OrderProduct], object]


@attrs.frozen
class ParamSpec:
    """One parameter an action takes."""

    name: str
    label_ko: str
    required: bool
    check: Check = attrs.field(eq=False, repr=False)

    def optional(self) -> ParamSpec:
        """The same parameter, not required."""
        return attrs.evolve(self, required=False)


def _text(max_len: int) -> Check:
    def check(value: object, _op: OrderProduct) -> object:
        if not isinstance(value, str) or not value.strip():
            raise InvalidParamError(
                "비어 있지 않은 문자열이어야 합니다", "must be a non-empty string"
            )
        if len(value) > max_len:
            raise InvalidParamError(
                f"{max_len}자 이하여야 합니다", f"must be at most {max_len} characters"
            )
        return value.strip()

    return check


_TRACKING = re.compile(r"[0-9A-Za-z-]{4,40}")


def _tracking(value: object, _op: OrderProduct) -> object:
    if not isinstance(value, str) or not _TRACKING.fullmatch(value.strip()):
        raise InvalidParamError(
            "송장번호는 숫자, 영문, '-'로 된 4~40자여야 합니다",
            "must be 4 to 40 digits, letters or '-'",
        )
    return value.strip()


def _enum(enum: type[StrEnum]) -> Check:
    def check(value: object, _op: OrderProduct) -> object:
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            return enum(value)
        except ValueError:
            known = ", ".join(m.value for m in enum)
            raise InvalidParamError(
                f"다음 중 하나여야 합니다: {known}", f"must be one of {known}"
            ) from None

    return check


def _won(value: object, _op: OrderProduct) -> object:
    if type(value) is not int or value < 0:
        raise InvalidParamError(
            "0 이상의 원 단위 정수여야 합니다", "must be a non-negative integer in won"
        )
    return value


def _future_date(value: object, _op: OrderProduct) -> object:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise InvalidParamError("날짜(date)여야 합니다", "must be a date")
    today = _time.decision_today()  # the clock, or claimflow.decide_as_of's moment
    if value <= today:
        raise InvalidParamError(
            f"오늘({today.isoformat()}) 이후 날짜여야 합니다",
            f"must be after today ({today.isoformat()}, KST)",
        )
    latest = _time.latest_delay_deadline()  # rules.md D5: at most 14 days out
    if value > latest:
        raise InvalidParamError(
            f"오늘부터 {_time.MAX_DELAY_DAYS}일 이내({latest.isoformat()}까지)여야 합니다",
            f"must be at most {_time.MAX_DELAY_DAYS} days out ({latest.isoformat()}, KST) [D5]",
        )
    return value


def _refund_amount(value: object, op: OrderProduct) -> object:
    # issue 13: a refund is bounded by what the buyer paid for the line (rules.md M8)
    _won(value, op)
    assert isinstance(value, int)
    if value > op.amount:
        raise InvalidParamError(
            f"결제 금액({op.amount}원)보다 클 수 없습니다",
            f"must not exceed what was paid for the line ({op.amount} won)",
        )
    return value


def _flag(value: object, _op: OrderProduct) -> object:
    if type(value) is not bool:
        raise InvalidParamError("True 또는 False여야 합니다", "must be True or False")
    return value


def _quantity(value: object, op: OrderProduct) -> object:
    # rules.md Q1-Q3: whether part of the line may be claimed is the engine's question (it names
    # the rule); here only that the number is a number of the line's units
    if type(value) is not int or not 1 <= value <= op.quantity:
        raise InvalidParamError(
            f"1 이상 주문 수량({op.quantity}) 이하의 정수여야 합니다",
            f"must be a whole number of units from 1 to the line's {op.quantity}",
        )
    return value


def _candidate(value: object, op: OrderProduct) -> object:
    # x2bee guide (002_…txt; marketplaces.md §5.3): on sale, in stock, same price, not the same
    # item, not a reservation item.
    if not isinstance(value, CandidateItem):
        raise InvalidParamError("CandidateItem이어야 합니다", "must be a CandidateItem")
    if value.item_id == op.item_id:
        raise InvalidParamError(
            "현재와 같은 단품으로는 변경할 수 없습니다", "is the item already ordered"
        )
    if not value.on_sale:
        raise InvalidParamError("판매 중인 단품이 아닙니다", "is not on sale")
    if value.stock < op.quantity:
        raise InvalidParamError(
            f"재고({value.stock})가 주문 수량({op.quantity})보다 적습니다",
            f"has stock {value.stock}, less than the quantity ordered ({op.quantity})",
        )
    if value.reservation:
        raise InvalidParamError("예약 단품으로는 변경할 수 없습니다", "is a reservation item")
    if value.unit_price != op.unit_price:
        raise InvalidParamError(
            f"가격({value.unit_price}원)이 주문 단품 가격({op.unit_price}원)과 다릅니다",
            f"costs {value.unit_price} won, not the ordered {op.unit_price} won",
        )
    return value


REASON = ParamSpec("reason", "사유", True, _text(250))
REASON_100 = ParamSpec("reason", "사유", True, _text(100))  # Toss seller-cancel: ≤100 chars
DETAIL_REASON = ParamSpec("detail_reason", "상세 사유", False, _text(250))
REASON_CODE = ParamSpec("reason_code", "사유 코드", True, _enum(ImwebReasonCode))
CARRIER = ParamSpec("carrier", "택배사", True, _text(50))
TRACKING_NUMBER = ParamSpec("tracking_number", "송장번호", True, _tracking)
FEE_PAYER = ParamSpec("fee_payer", "배송비 부담", True, _enum(FeePayer))
SHIPPING_DEADLINE = ParamSpec("shipping_deadline", "발송 기한", True, _future_date)
EXTRA_CHARGE = ParamSpec("extra_charge", "추가 청구액", False, _won)
REFUND_POINTS = ParamSpec("refund_points", "환불 포인트", False, _won)
MEMO = ParamSpec("memo", "메모", False, _text(500))
NEW_ITEM = ParamSpec("new_item", "변경할 단품", True, _candidate)
REFUND_AMOUNT = ParamSpec("refund_amount", "환불 예정 금액", False, _refund_amount)
EXTRA_PAYMENT = ParamSpec("extra_payment", "추가 결제 금액", False, _won)
# rules.md Q1-Q3: how many of the line's units a request claims (default: all of them)
QUANTITY = ParamSpec("quantity", "수량", False, _quantity)
# rules.md M4/M5: who bears the claim's delivery cost (Toss requestDeliveryPenaltyCharger)
CLAIM_FEE_PAYER = FEE_PAYER.optional()
# x2bee exchMidRtnYn: a return made during an exchange restores no stock (marketplaces.md §5.3)
EXCHANGE_MID_RETURN = ParamSpec("exchange_mid_return", "교환 중 반품", False, _flag)

MISSING = "MISSING_PARAMETER"
INVALID = "INVALID_PARAMETER"


RuleRef = tuple[str | None, str | None, Tag | None]  # (rule id, source, tag) a reason cites
NO_RULE: RuleRef = (None, None, None)


def validate(
    specs: tuple[ParamSpec, ...],
    params: Mapping[str, object],
    op: OrderProduct,
    action: str,
    rule: RuleRef = NO_RULE,
    *,
    known: frozenset[str] | None = None,
) -> tuple[Params, tuple[Reason, ...]]:
    """Check *params* against *specs*: the checked values, and the problems (citing *rule*).

    *known* is the set of the specs' names when the caller has it at hand (the engine's hot path).
    """
    if not specs:
        if params:
            _unknown(params, specs, action)
        return (), ()
    if known is None:
        known = frozenset(s.name for s in specs)
    if not known.issuperset(params):
        _unknown(params, specs, action)
    values: list[tuple[str, object]] = []
    problems: list[Reason] = []
    for spec in specs:
        value = params.get(spec.name)
        if value is None:
            if spec.required:
                problems.append(
                    Reason(
                        MISSING,
                        f"{attach(f'{spec.label_ko}({spec.name})', '이/가')} 필요합니다",
                        f"parameter {spec.name!r} is required",
                        *rule,
                        field=spec.name,
                    )
                )
            continue
        try:
            values.append((spec.name, spec.check(value, op)))
        except InvalidParamError as e:
            problems.append(
                Reason(
                    INVALID,
                    f"{spec.label_ko}({spec.name}) {_shown(value)}: {e.ko}",
                    f"parameter {spec.name!r} {_shown(value)} {e.en}",
                    *rule,
                    field=spec.name,
                )
            )
    return tuple(values), tuple(problems)


def _shown(value: object) -> str:
    # a date reads as an operator writes it (2099-01-31), not as Python's repr
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return repr(value)


def _unknown(params: Mapping[str, object], specs: tuple[ParamSpec, ...], action: str) -> None:
    extra = sorted(set(params) - {s.name for s in specs})
    takes = ", ".join(s.name for s in specs) or "no parameters"
    msg = f"{action} does not take {', '.join(map(repr, extra))}; it takes {takes}"
    raise UnknownParameterError(msg, field=extra[0])


def example(spec: ParamSpec, op: OrderProduct) -> object:
    """A valid value of *spec* for *op*: for walks, traces and generated examples."""
    values: dict[str, object] = {
        "reason": "고객 요청",
        "detail_reason": "상세 사유",
        "reason_code": ImwebReasonCode.INTENT_CHANGED,
        "carrier": "CJ대한통운",
        "tracking_number": "1022-5765-4265",
        "fee_payer": FeePayer.USER,
        "shipping_deadline": _time.decision_today() + dt.timedelta(days=7),
        "extra_charge": 0,
        "refund_points": 0,
        "memo": "메모",
        "new_item": CandidateItem(f"{op.item_id}-ALT", op.unit_price, True, op.quantity),
        "refund_amount": op.amount,
        "extra_payment": 0,
        "exchange_mid_return": False,
        "quantity": op.quantity,
    }
    return values[spec.name]
