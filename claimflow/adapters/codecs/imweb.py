"""imweb (shop API v2) wire format: the one place that knows it.

The adapter (:mod:`claimflow.adapters.imweb`) sends with :data:`SPEC`; the emulator
(:mod:`claimflow.emulators.imweb`) reads action bodies with :func:`decode_action` and renders
item orders with :func:`wire_state`; ``tests/golden/imweb/`` holds the documented requests and
answers this module is checked against.

Sources: ``shared/seeds/004_…`` (return) and ``shared/spec/marketplaces.md`` §2 and §5.2 (§5
wins), developers.imweb.me (cancel, return, exchange, order list pages). Every fact carries its
tag: [doc], [client] or [inferred].
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any, cast

import attrs

from ..._money import ClaimDelivery, DeliveryRegion, LineMoney
from ..._values import OrderProduct
from ..._vocab import SEOUL, Action, ClaimStatus, ClaimType, Marketplace, PaymentChannel, Status
from ...exceptions import (
    AuthenticationError,
    InvalidInputError,
    MarketplaceError,
    MarketplaceRefusedError,
    MarketplaceUnavailableError,
    NotSupportedError,
    RateLimitedError,
    UnexpectedResponseError,
)
from .. import _boundary
from .._codec import (
    Endpoint,
    Envelope,
    StatusCode,
    Unsupported,
    WireFieldError,
    fee_kind,
    wire_get,
    wire_list,
    wire_opt_int,
    wire_opt_str,
    wire_str,
)
from .._spec import (
    Call,
    Flow,
    FlowList,
    MarketplaceSpec,
)
from .._values import (
    ActionResult,
    ClaimQuery,
    ItemResult,
    OrderQuery,
    OrderRef,
    Page,
    RemoteAction,
    RemoteClaim,
    RemoteOrderProduct,
)
from ._base import From, Opt, PerItem, Refusal, Template, TemplateMismatch, Unused

__all__ = [
    "ACTIONS",
    "ACTION_ROUTES",
    "AUTO_REFUND_IMPOSSIBLE",
    "AUTO_REFUND_TEXT",
    "CARRIER_CODES",
    "CLAIM_DELIVERY_ORIGIN",
    "CLAIM_STATUS_CODES",
    "CLAIM_TYPES",
    "DEFAULT_AUTH_URL",
    "DEFAULT_BASE_URL",
    "ENVELOPE_KEYS",
    "ENVELOPE_STATUSES",
    "ERROR_CODES",
    "EXCHANGE_HOLD_REASONS",
    "HTTP_ERRORS",
    "LINE_MONEY_ORIGIN",
    "MARKETPLACE",
    "MONEY_FIELDS",
    "NO_AUTO_REFUND_PAY_TYPES",
    "ORDERS_FILTERS",
    "ORDERS_QUERY",
    "ORDER_STATUS_CODES",
    "ORDER_TYPES",
    "PAGE_DEFAULT",
    "PAGE_MAX",
    "PAY_TYPES",
    "REFUSALS",
    "SPEC",
    "UNSUPPORTED",
    "ActionRoute",
    "ImwebRef",
    "ImwebRequestError",
    "WireState",
    "body_code",
    "claim_delivery",
    "claim_status_code",
    "decode_action",
    "decode_request",
    "encode_action_result",
    "encode_fail",
    "encode_item_order",
    "encode_order",
    "encode_order_list",
    "encode_refusal",
    "encode_success",
    "encode_token",
    "line_money",
    "parse_action",
    "read_token",
    "unwrap",
    "wire_state",
]

MARKETPLACE = Marketplace.IMWEB

DEFAULT_BASE_URL = "https://api.imweb.me/v2/shop"  # [doc]
DEFAULT_AUTH_URL = "https://api.imweb.me/v2/auth"  # [doc]

#: The code of a refusal because the payment cannot be refunded automatically ('자동환불불가'
#: [doc], bank transfer and virtual account): the same code as the engine's guard.
AUTO_REFUND_IMPOSSIBLE = "AUTO_REFUND_IMPOSSIBLE"
AUTO_REFUND_TEXT = "자동환불불가"


A, S, CS, CT = Action, Status, ClaimStatus, ClaimType


# --- ids --------------------------------------------------------------------------------------


@attrs.frozen
class ImwebRef:
    """An imweb order product: the order (``order_no``) and the item order (``prod_order_no``).

    claimflow's id for it is ``"{order_no}:{prod_order_no}"`` (:attr:`id`); :meth:`parse` reads
    one back. Every imweb call needs the order number, so it travels inside the id.
    """

    order_no: str
    prod_order_no: str

    def __attrs_post_init__(self) -> None:
        for name in ("order_no", "prod_order_no"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value or ":" in value:
                msg = f"imweb {name} must be a non-empty string without ':', got {value!r}"
                raise InvalidInputError(msg, field=name)

    @property
    def id(self) -> str:
        """claimflow's order product id."""
        return f"{self.order_no}:{self.prod_order_no}"

    @property
    def ref(self) -> OrderRef:
        """An :class:`~claimflow.adapters.OrderRef` for reading it back."""
        return OrderRef(self.id, self.order_no)

    @classmethod
    def parse(cls, order_product_id: str) -> ImwebRef:
        """The ref inside a claimflow id ``"{order_no}:{prod_order_no}"``."""
        order_no, sep, prod = order_product_id.partition(":")
        if not sep or not order_no or not prod or ":" in prod:
            msg = (
                f"imweb order product ids are '{{order_no}}:{{prod_order_no}}', got "
                f"{order_product_id!r}"
            )
            raise InvalidInputError(msg, field="order_product_id")
        return cls(order_no, prod)


def _address(action: RemoteAction) -> RemoteAction:
    """The order number every item of *action* belongs to, as ``order_id`` (one call is for the
    items of one order [doc])."""
    orders = {ImwebRef.parse(i).order_no for i in action.items}
    if len(orders) != 1:
        msg = f"imweb: one call is for the items of one order, got orders {sorted(orders)}"
        raise InvalidInputError(msg, field="item_ids")
    order_no = orders.pop()
    if action.order_id not in {None, order_no}:
        msg = f"imweb: order_id {action.order_id!r} is not the order of {action.order_product_id!r}"
        raise InvalidInputError(msg, field="order_id")
    return attrs.evolve(action, order_id=order_no)


# --- wire status codes --------------------------------------------------------------------------

#: Order ``status`` codes [doc]; ``PURCHASE_CONFIRMATION`` (구매확정) [client]. ``PAY_WAIT`` has no
#: claimflow status (explicit unknown). imweb has no 발송지연 (no ``DELAYED``).
ORDER_STATUS_CODES: dict[str, StatusCode] = {
    sc.code: sc
    for sc in (
        StatusCode("PAY_WAIT", None, note="입금대기: not paid yet, no claimflow status"),
        StatusCode("PAY_COMPLETE", S.PAID),
        StatusCode("STANDBY", S.PREPARING),
        StatusCode("DELIVERING", S.SHIPPING),
        StatusCode("COMPLETE", S.DELIVERED),
        StatusCode("PURCHASE_CONFIRMATION", S.CONFIRMED, tag="client"),
        StatusCode("CANCEL", S.CANCELED),
        StatusCode("RETURN", S.RETURNED),
        StatusCode("EXCHANGE", S.EXCHANGED),
    )
}

#: ``claim_status`` codes [doc]: the claim they speak of and, where the code shows it, the
#: claimflow status (None: the order ``status`` beside it tells). The steps' order and the
#: statuses are [inferred] from the names (marketplaces.md).
CLAIM_STATUS_CODES: dict[str, StatusCode] = {
    sc.code: sc
    for sc in (
        StatusCode("CANCEL_REQUEST", None, CT.CANCEL, CS.REQUESTED),
        StatusCode(
            "CANCELING",
            None,
            CT.CANCEL,
            CS.REFUNDING,
            note="취소요청중: accepted, the gateway refunding (rules.md I3)",
        ),
        StatusCode("CANCEL_FAILED", None, CT.CANCEL, CS.REFUND_FAILED),
        StatusCode("RETURN_REQUEST", None, CT.RETURN, CS.REQUESTED),
        StatusCode("RETURN_COLLECTING", S.RETURN_COLLECTING, CT.RETURN, CS.APPROVED),
        StatusCode("RETURN_COLLECT_DONE", S.RETURN_COLLECTED, CT.RETURN, CS.COLLECTED),
        StatusCode("RETURN_REFUNDING", S.RETURN_COLLECTED, CT.RETURN, CS.REFUNDING),
        StatusCode("RETURN_REFUND_FAILED", S.RETURN_COLLECTED, CT.RETURN, CS.REFUND_FAILED),
        StatusCode("EXCHANGE_REQUEST", None, CT.EXCHANGE, CS.REQUESTED),
        StatusCode("EXCHANGE_COLLECTING", S.EXCHANGE_COLLECTING, CT.EXCHANGE, CS.APPROVED),
        StatusCode(
            "EXCHANGE_COLLECTIN",
            S.EXCHANGE_COLLECTING,
            CT.EXCHANGE,
            CS.APPROVED,
            note="the doc's misprint of EXCHANGE_COLLECTING, accepted on reading",
        ),
        StatusCode("EXCHANGE_COLLECT_DONE", S.EXCHANGE_COLLECTED, CT.EXCHANGE, CS.COLLECTED),
        StatusCode("REDELIVERING", S.REDELIVERING, CT.EXCHANGE, CS.REDELIVERING),
    )
}
CLAIM_TYPES = {t.value: t for t in (CT.CANCEL, CT.RETURN, CT.EXCHANGE)}  # [doc]
#: Closed claim statuses: no ``claim_status`` shows one (a finished claim leaves only the order
#: ``status``, 결제취소/반품완료/교환완료) [inferred].
_CLOSED = frozenset({CS.COMPLETED})

_STATUS_OUT: dict[Status, str] = {
    sc.status: code
    for code, sc in ORDER_STATUS_CODES.items()
    if sc.status is not None  # PAY_WAIT
}
_CLAIM_OUT: dict[tuple[ClaimType, ClaimStatus], str] = {
    (sc.claim_type, sc.claim_status): code
    for code, sc in CLAIM_STATUS_CODES.items()
    if sc.claim_type is not None
    and sc.claim_status is not None
    and sc.claim_status not in _CLOSED
    and code != "EXCHANGE_COLLECTIN"
}


def claim_status_code(claim_type: ClaimType, status: ClaimStatus) -> str:
    """The ``claim_status`` imweb shows for an open claim of *claim_type* in *status*.

    A hold is not a ``claim_status`` (no documented field shows it, §5.2), and closed claims are
    not shown: both raise :class:`~claimflow.exceptions.InvalidInputError`.
    """
    try:
        return _CLAIM_OUT[(claim_type, status)]
    except KeyError:
        msg = f"imweb has no claim_status for an open {claim_type} claim in {status}"
        raise InvalidInputError(msg, field="claim_status") from None


@attrs.frozen
class WireState:
    """What imweb shows for an order product: ``status``, ``claim_type`` and ``claim_status``
    [doc]. A hold is not shown: no documented field says it (§5.2; ``is_hold`` was an
    inference and is gone), so a held claim shows its underlying ``claim_status``."""

    status: str
    claim_type: str | None = None
    claim_status: str | None = None


def wire_state(op: OrderProduct) -> WireState:
    """How imweb shows *op* (the emulator renders with it; reading maps it back).

    Under an open claim ``status`` is the claim's origin: imweb's order status does not move
    while a claim runs [inferred].
    """
    claim = op.open_claim
    if claim is None:
        return WireState(_STATUS_OUT[op.status])
    held = claim.status is CS.HELD
    shown = claim.held_from if held and claim.held_from is not None else claim.status
    status = _STATUS_OUT.get(op.status) or _STATUS_OUT[claim.origin_status]
    return WireState(status, claim.type.value, claim_status_code(claim.type, shown))


# --- actions ------------------------------------------------------------------------------------

#: ``exchange/withhold`` reasons [doc]. claimflow's ``exchange.hold`` takes a ``reason`` text:
#: ``"EXCHANGE_DELIVERYFEE"`` or ``"EXCHANGE_DELIVERYFEE: 배송비 미입금"`` sends that code (and
#: the rest as ``reason_detail``); any other text is ``ETC`` with the text as detail (decided).
EXCHANGE_HOLD_REASONS = (
    "EXCHANGE_DELIVERYFEE",
    "EXCHANGE_EXTRAFEE",
    "EXCHANGE_PRODUCT_READY",
    "EXCHANGE_PRODUCT_NOT_DELIVERED",
    "EXCHANGE_HOLDBACK",
    "ETC",
)


def _hold_code(reason: object) -> str:
    """``reason_code`` of claimflow's hold reason text."""
    code = str(reason).strip().partition(":")[0].strip()
    return code if code in EXCHANGE_HOLD_REASONS else "ETC"


def _hold_detail(reason: object) -> str | None:
    """``reason_detail``: the text after ``CODE:``, or the whole text of an ``ETC`` reason."""
    text = str(reason).strip()
    code, _, detail = text.partition(":")
    if code.strip() in EXCHANGE_HOLD_REASONS:
        return detail.strip() or None
    return text


def _read_hold_code(value: object) -> str:
    if value not in EXCHANGE_HOLD_REASONS:
        raise ValueError(value)
    return str(value)


#: imweb carrier codes for ``parcel_code`` (§5.2 [doc]: a code from imweb's carrier list, not free
#: text). The list itself is not in claimflow's sources: these codes are [inferred] (the common
#: Korean tracking codes), keyed by the carrier name claimflow's ``carrier`` parameter takes.
#: A carrier not listed is refused before sending; a known code is accepted as is.
CARRIER_CODES: Mapping[str, str] = {
    "CJ대한통운": "CJGLS",
    "우체국택배": "EPOST",
    "한진택배": "HANJIN",
    "롯데택배": "HYUNDAI",
    "로젠택배": "KGB",
    "경동택배": "KDEXP",
    "대신택배": "DAESIN",
    "일양로지스": "ILYANG",
    "합동택배": "HDEXP",
    "CU 편의점택배": "CVSNET",
}
_CARRIER_NAMES = {code: name for name, code in CARRIER_CODES.items()}


def carrier_code(carrier: object) -> str:
    """imweb's ``parcel_code`` for *carrier* (a name of :data:`CARRIER_CODES`, or a code)."""
    if isinstance(carrier, str) and carrier in _CARRIER_NAMES:
        return carrier
    if isinstance(carrier, str) and carrier in CARRIER_CODES:
        return CARRIER_CODES[carrier]
    known = ", ".join(CARRIER_CODES)
    msg = f"imweb: parcel_code must be a carrier of imweb's list, got {carrier!r} (known: {known})"
    raise InvalidInputError(msg, field="carrier")


def carrier_name(code: str) -> str | None:
    """The carrier name of an imweb ``parcel_code``, or None for a code not in the list."""
    return _CARRIER_NAMES.get(code)


def _read_carrier(code: object) -> str:
    """A ``parcel_code`` read back as the carrier's name (ValueError: not in the list)."""
    name = carrier_name(code) if isinstance(code, str) else None
    if name is None:
        raise ValueError(code)
    return name


def _needs_delivery(action: RemoteAction) -> None:
    """``exchange/reject``: ``etc: {parcel_code, invoice_no}`` [doc, §5.2: the item ships back].
    claimflow's exchange.reject rule (T16) takes a reason only, so without ``carrier`` and
    ``tracking_number`` the call cannot be made as documented: refused before sending."""
    if action.param("carrier") is None or action.param("tracking_number") is None:
        msg = (
            "imweb: exchange.reject needs parcel_code and invoice_no (the item ships back, "
            "developers.imweb.me exchanges [doc]); give carrier and tracking_number (claimflow's "
            "exchange.reject rule does not take them yet)"
        )
        raise NotSupportedError(
            msg,
            marketplace=Marketplace.IMWEB,
            documented=True,
            order_product_id=action.order_product_id,
            action=action.action,
        )


def _prod_order_nos(items: Sequence[str]) -> list[str]:
    return [ImwebRef.parse(i).prod_order_no for i in items]


def _prod_order_no(order_product_id: str) -> str:
    return ImwebRef.parse(order_product_id).prod_order_no


def _read_prod_order_no(value: object) -> str:
    if not isinstance(value, str) or not value or ":" in value:
        raise ValueError(value)
    return value


def _read_prod_order_nos(value: object) -> list[str]:
    """``prod_order_no``: distinct item order numbers (ValueError otherwise)."""
    if not isinstance(value, list) or not value or len(set(map(str, value))) != len(value):
        raise ValueError(value)
    return [_read_prod_order_no(v) for v in value]


#: ``prod_order_no`` [doc]: the item orders of the call (optional: absent, the whole order)
_PRODS = From("items", optional=True, wire=_prod_order_nos, read=_read_prod_order_nos)
#: the item an amount of ``etc_price`` / ``refund_point`` belongs to: the action's own (§5.2)
_OWNER = From("order_product_id", wire=_prod_order_no, read=_read_prod_order_no)
_PARCEL = {  # [doc]; parcel_code is a carrier code of imweb's list (§5.2)
    "parcel_code": From("carrier", wire=carrier_code, read=_read_carrier),
    "invoice_no": From("tracking_number"),
}
_MEMO = {"claim_memo": From("memo", optional=True)}
_EXTRA = PerItem("extra_charge", _OWNER, "prod_order_no", "price")


def _body(
    etc: Mapping[str, object] | None = None,
    *,
    required: bool = False,
    guard: Callable[[RemoteAction], None] | None = None,
) -> Template:
    """An imweb action body ``{"prod_order_no": [...], "etc": {...}}`` [doc]; ``etc`` is left out
    when it has nothing to say, unless *required* (its fields are)."""
    data = dict(etc or {})
    return Template(
        {"prod_order_no": _PRODS, "etc": data if required else Opt(data)}, "imweb", guard=guard
    )


def _act(group: str, verb: str, body: Template | None = None, tag: str = "doc") -> Endpoint:
    return Endpoint("PATCH", f"/orders/{{order_id}}/{group}/{verb}", body or _body(), tag)


# refund_point items are {prod_order_no, price} for cancel (marketplaces.md) but
# {prod_order_no, point} for return_done (004_…): as documented, each
_CANCEL_REFUND = _body(
    {**_MEMO, "etc_price": _EXTRA,
     "refund_point": PerItem("refund_points", _OWNER, "prod_order_no", "price")}
)  # fmt: skip
_RETURN_REFUND = _body(
    {**_MEMO, "etc_price": _EXTRA,
     "refund_point": PerItem("refund_points", _OWNER, "prod_order_no", "point")}
)  # fmt: skip
#: ``exchange/accept``'s single ``etc_price`` and ``exchange/withhold``'s map ``{prod_order_no:
#: amount}`` [doc, §5.2]: claimflow's exchange rules take no such amount
_EXCHANGE_FEE = Unused("claimflow's exchange.approve / exchange.hold take no extra charge")

ACTIONS: dict[Action, Endpoint] = {
    A.CANCEL_REJECT: _act("cancel", "reject", _body(_PARCEL, required=True)),
    A.CANCEL_APPROVE: _act("cancel", "accept", _CANCEL_REFUND),
    A.CANCEL_RETRY_REFUND: _act("cancel", "retry"),
    A.CANCEL_FORCE: _act("cancel", "force_cancel"),
    A.RETURN_REJECT: _act("return", "reject", _body({"reason": From("reason")}, required=True)),
    # 교환으로 변경 [doc]; the claim_type field saying so is [inferred]
    A.RETURN_TO_EXCHANGE: _act(
        "return",
        "reject",
        _body({"reason": From("reason"), "claim_type": "EXCHANGE"}, required=True),
        tag="inferred",
    ),
    A.RETURN_APPROVE: _act("return", "accept"),
    A.RETURN_COLLECT: _act("return", "collect_done"),
    # withhold takes no etc data (004_…: etc only for reject and return_done): the hold's reason
    # stays in claimflow's history
    A.RETURN_HOLD: _act("return", "withhold"),
    A.RETURN_RELEASE: _act("return", "releasehold"),
    A.RETURN_COMPLETE: _act("return", "return_done", _RETURN_REFUND),
    A.RETURN_FORCE_COMPLETE: _act("return", "return_force_done"),
    A.EXCHANGE_REJECT: _act(
        "exchange", "reject", _body(_PARCEL, required=True, guard=_needs_delivery)
    ),
    A.EXCHANGE_APPROVE: _act("exchange", "accept", _body({"etc_price": _EXCHANGE_FEE})),
    A.EXCHANGE_COLLECT: _act("exchange", "collect_done"),
    # reason_code [doc] from claimflow's reason text (see EXCHANGE_HOLD_REASONS); the detail,
    # when there is one, is the reason read back
    A.EXCHANGE_HOLD: _act(
        "exchange",
        "withhold",
        _body(
            {
                "reason_code": From("reason", wire=_hold_code, read=_read_hold_code),
                "reason_detail": From("reason", optional=True, wire=_hold_detail),
                "etc_price": _EXCHANGE_FEE,
            },
            required=True,
        ),
    ),
    A.EXCHANGE_RELEASE: _act("exchange", "releasehold"),
    # method [doc] ∈ RESEND_METHODS; claimflow redelivers by parcel (DELIVERY) only
    A.EXCHANGE_REDELIVER: _act(
        "exchange", "resend", _body({**_PARCEL, "method": "DELIVERY"}, required=True)
    ),
    A.EXCHANGE_COMPLETE: _act("exchange", "exchange_done"),
}

_BUYER = Unsupported(
    "the buyer does this in the imweb storefront; the seller API has no call for it (the item "
    "order's claim_status shows it: read it and reconcile)"
)
_GATEWAY = Unsupported(
    "the payment gateway settles the refund by itself (CANCELING becomes 결제취소 or "
    "CANCEL_FAILED, RETURN_REFUNDING becomes 반품완료 or RETURN_REFUND_FAILED): read it and "
    "reconcile"
)
_NOT_IN_SOURCES = Unsupported(
    "imweb documents no fulfilment call (상품준비, 발송) in claimflow's sources: marketplaces.md "
    "§2 and §5.2 name no path for them"
)
UNSUPPORTED: dict[Action, Unsupported] = {
    A.CANCEL_REQUEST: _BUYER,
    A.RETURN_REQUEST: _BUYER,
    A.EXCHANGE_REQUEST: _BUYER,
    A.CANCEL_REFUND_FAILED: _GATEWAY,
    A.CANCEL_REFUND_SUCCEEDED: _GATEWAY,
    A.RETURN_REFUND_FAILED: _GATEWAY,
    A.RETURN_REFUND_SUCCEEDED: _GATEWAY,
    A.ORDER_PREPARE: _NOT_IN_SOURCES,
    A.ORDER_SHIP: _NOT_IN_SOURCES,
    A.ORDER_DELIVER: Unsupported("imweb marks delivery itself"),
    A.ORDER_CONFIRM: Unsupported("the buyer or imweb confirms the purchase"),
}


def _wire_order_no(value: object, where: str, key: str = "") -> str:
    """*value* as an order number; an error names ``where.key`` (built only then)."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    field = f"{where}.{key}" if key else where
    raise WireFieldError(field, f"expected an order number, got {value!r}")


def parse_action(action: RemoteAction, payload: object) -> ActionResult:
    """Per-item results from ``data: {success: [order_no], failed: [{order_no, prod_order_list:
    [{prod_order_no, msg, detail_msg}]}]}`` [doc].

    An item named in ``failed`` was refused (code :data:`AUTO_REFUND_IMPOSSIBLE` for
    '자동환불불가', else ``ITEM_FAILED``); otherwise it succeeded if its order is in ``success``.
    An order in ``failed`` with an empty list failed whole [inferred]; an order in neither list
    leaves the outcome unknown (:class:`WireFieldError`, which becomes
    :class:`~claimflow.exceptions.OutcomeUnknownError` for the caller).
    """
    success = {
        _wire_order_no(v, f"data.success[{i}]")
        for i, v in enumerate(wire_list(payload, "success", "data"))
    }
    refused: dict[str, dict[str, tuple[str, str]]] = {}
    for i, entry in enumerate(wire_list(payload, "failed", "data")):
        where = f"data.failed[{i}]"
        order_no = _wire_order_no(wire_get(entry, "order_no", where), f"{where}.order_no")
        items = refused.setdefault(order_no, {})
        assert isinstance(entry, dict)  # wire_get checked it
        prods = entry.get("prod_order_list")
        if prods is None:
            prods = []
        if not isinstance(prods, list):
            raise WireFieldError(f"{where}.prod_order_list", f"expected an array, got {prods!r}")
        for j, prod in enumerate(prods):
            at = f"{where}.prod_order_list[{j}]"
            prod_no = _wire_order_no(wire_get(prod, "prod_order_no", at), f"{at}.prod_order_no")
            items[prod_no] = (
                wire_opt_str(prod, "msg", at) or "",
                wire_opt_str(prod, "detail_msg", at) or "",
            )
    results = []
    for item in action.items:
        ref = ImwebRef.parse(item)
        failures = refused.get(ref.order_no)
        if failures is not None and ref.prod_order_no in failures:
            msg, detail = failures[ref.prod_order_no]
            results.append(ItemResult(item, False, _item_code(msg, detail), _text(msg, detail)))
        elif ref.order_no in success:
            results.append(ItemResult(item, True))
        elif failures == {}:
            results.append(ItemResult(item, False, "ITEM_FAILED", "the whole order failed"))
        else:
            raise WireFieldError(
                "data.success", f"names neither order {ref.order_no!r} nor item {item!r}"
            )
    return ActionResult(action, tuple(results))


def _item_code(msg: str, detail: str) -> str:
    return AUTO_REFUND_IMPOSSIBLE if AUTO_REFUND_TEXT in msg + detail else "ITEM_FAILED"


def _text(msg: str, detail: str) -> str:
    return f"{msg}: {detail}" if msg and detail else msg or detail


# --- envelope -----------------------------------------------------------------------------------


def body_code(body: object) -> int:
    """The envelope's ``code`` as an integer [doc]."""
    return _code(body)


def _code(body: object) -> int:
    value = wire_get(body, "code")
    if isinstance(value, bool):
        raise WireFieldError("code", f"expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise WireFieldError("code", f"expected an integer, got {value!r}")


#: the top-level keys of imweb's envelope, success and error [doc]: JSON sharing none of them is
#: a gateway's or a proxy's own
ENVELOPE_KEYS = frozenset({"msg", "code", "request_count", "version", "data"})


def unwrap(status: int, body: object) -> Envelope:
    """imweb's ``{msg, code, request_count, version, data}`` envelope [doc]: ``code`` 200 is
    success, anything else an error (a negative code or an HTTP status in the body)."""
    code = _code(body)
    assert isinstance(body, dict)  # _code checked it
    msg = wire_opt_str(body, "msg") or ""
    if code == 200:
        if status != 200:
            raise WireFieldError("code", f"200 (success) in an HTTP {status} answer")
        return Envelope(True, wire_get(body, "data"))
    if AUTO_REFUND_TEXT in msg:  # [doc]: accept / return_done "fails with '자동환불불가'"
        return Envelope(False, code=AUTO_REFUND_IMPOSSIBLE, message=f"{msg} (code {code})")
    return Envelope(False, code=str(code), message=msg)


#: Every documented body code, mapped deliberately [doc]; HTTP statuses in the body likewise.
ERROR_CODES: dict[str, type[MarketplaceError]] = {
    "-1": AuthenticationError,  # bad key / secret
    "-2": AuthenticationError,  # bad token (ImwebTokenAuth re-issues it once first)
    "-5": AuthenticationError,  # no permission: the key may not call this
    "-6": AuthenticationError,  # no permission for this API version
    "-7": RateLimitedError,  # too many requests: retried with backoff
    "-10": MarketplaceRefusedError,  # bad or missing parameter: nothing done
    "-11": MarketplaceRefusedError,  # no data (unknown order): nothing done
    "-19": MarketplaceUnavailableError,  # internal error: a read is retried, a write unknown
    "-98": MarketplaceRefusedError,  # unknown service: nothing done
    "-99": MarketplaceRefusedError,  # unknown method: nothing done
    # maintenance: a read is retried; a write becomes OutcomeUnknownError (the core never takes an
    # outage answer to a write on trust), which reconcile resolves as not applied
    "-999": MarketplaceUnavailableError,
    "400": MarketplaceRefusedError,
    "401": AuthenticationError,
    "403": AuthenticationError,
    "404": MarketplaceRefusedError,
    "429": RateLimitedError,
    "500": MarketplaceUnavailableError,
    "501": MarketplaceRefusedError,
}
#: The same statuses on the HTTP line without a JSON envelope (a gateway's answer).
HTTP_ERRORS: dict[int, type[MarketplaceError]] = {
    400: MarketplaceRefusedError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: MarketplaceRefusedError,
    429: RateLimitedError,
}
#: HTTP statuses whose body is the envelope (the doc: the status travels in the body). 5xx only
#: says the marketplace is unavailable (a read is retried, a write's outcome is unknown).
ENVELOPE_STATUSES = frozenset({200, 400, 401, 403, 404, 429})

# --- reading ------------------------------------------------------------------------------------

#: ``payment.pay_type`` values [doc, §5.2] (``eb_*`` is a family).
PAY_TYPES = frozenset({
    "free", "card", "iche", "virtual", "cash", "phone", "payco", "kakaopay", "paypal", "manual",
    "eximbay", "npay_point", "easy_payment_card", "easy_payment_virtual", "easy_payment_phone",
})  # fmt: skip
#: ``payment.pay_type`` codes imweb cannot refund automatically: bank deposit, virtual account
#: and manual payment. [inferred] from the ``force_cancel`` note (무통장/가상계좌), §5.2.
NO_AUTO_REFUND_PAY_TYPES = frozenset({"cash", "virtual", "easy_payment_virtual", "manual"})
#: ``GET /orders``'s ``type`` filter (주문 매체) [doc, §5.2]: a request filter only, not a field
#: of the answer. A Naver order is known by listing with ``type=npay``.
ORDER_TYPES: Mapping[PaymentChannel, str] = {
    PaymentChannel.NORMAL: "normal",
    PaymentChannel.NPAY: "npay",
}
#: The money facts decoded into ``money`` (won): per item order [doc, §5.2]
MONEY_FIELDS: Mapping[str, tuple[str, ...]] = {
    "claim": (),
    "order": ("point", "coupon", "deliv_price", "island_price"),
}


@attrs.frozen
class _Order:
    """What the order list says of one order (the item orders say the rest)."""

    order_no: str
    ordered_at: dt.datetime | None = None
    channel: PaymentChannel | None = None
    auto_refundable: bool | None = None


def _count(obj: Mapping[str, Any], key: str, where: str) -> int:
    """A count of the pagination: an integer, or a numeric string [client] (ASCII digits, at
    most 10**9: a count, not a number to overflow on)."""
    return _boundary.wire_int(obj.get(key), f"{where}.{key}", 0, 10**9)


def _unix(obj: Mapping[str, Any], key: str, where: str) -> dt.datetime | None:
    value = wire_opt_int(obj, key, where)  # unix seconds [client]
    if value is not None:  # a datetime holds years 1..9999 only
        value = _boundary.wire_int(value, f"{where}.{key}", 0, 253_402_214_400)
    return None if value is None else dt.datetime.fromtimestamp(value, SEOUL)


def _order(row: object, where: str, channel: PaymentChannel | None = None) -> _Order:
    """One row of ``GET /orders``: no field says the order's 매체 (§5.2 [doc]); *channel* is
    what the list call's ``type`` filter said, None when unfiltered (unknown)."""
    order_no = wire_str(row, "order_no", where)
    assert isinstance(row, dict)
    refundable = None
    payment = row.get("payment")
    if isinstance(payment, dict):
        pay_type = wire_opt_str(payment, "pay_type", f"{where}.payment")  # [client]
        if pay_type is not None:
            refundable = pay_type not in NO_AUTO_REFUND_PAY_TYPES
    return _Order(order_no, _unix(row, "order_time", where), channel, refundable)


@attrs.frozen
class _OrderPage:
    orders: tuple[_Order, ...]
    next_cursor: str | None


def _order_list(payload: object, channel: PaymentChannel | None = None) -> _OrderPage:
    rows = wire_list(payload, "list", "data")
    assert isinstance(payload, dict)
    # imweb spells it `pagenation` (sic [client]); `pagination` is accepted. The error names
    # the spelling the answer carries, imweb's own when it carries neither.
    key = "pagination" if "pagination" in payload and "pagenation" not in payload else "pagenation"
    paging = payload.get(key)
    if not isinstance(paging, dict):
        raise WireFieldError(f"data.{key}", f"expected an object, got {paging!r}")
    current = _count(paging, "current_page", f"data.{key}")
    total = _count(paging, "total_page", f"data.{key}")
    orders = tuple(_order(row, f"data.list[{i}]", channel) for i, row in enumerate(rows))
    return _OrderPage(orders, str(current + 1) if current < total else None)


def _item(order: _Order, row: object, where: str) -> RemoteOrderProduct:
    # the item order's own number is `order_no` in prod-orders answers [client]
    ref = ImwebRef(
        order.order_no, _wire_order_no(wire_get(row, "order_no", where), where, "order_no")
    )
    assert isinstance(row, dict)
    code = wire_str(row, "status", where)
    status_code = ORDER_STATUS_CODES.get(code)
    if status_code is None:
        raise WireFieldError(f"{where}.status", f"unknown status code {code!r}")
    claims: tuple[RemoteClaim, ...] = ()
    status = status_code.status
    claim_code = wire_opt_str(row, "claim_status", where)
    if claim_code is not None:  # a claim_type without a claim_status is no current claim [inferred]
        claim = CLAIM_STATUS_CODES.get(claim_code)
        if claim is None or claim.claim_type is None or claim.claim_status is None:
            raise WireFieldError(f"{where}.claim_status", f"unknown claim status {claim_code!r}")
        type_code = wire_opt_str(row, "claim_type", where)
        if type_code is not None and CLAIM_TYPES.get(type_code) is not claim.claim_type:
            raise WireFieldError(
                f"{where}.claim_type", f"{type_code!r} does not go with claim_status {claim_code!r}"
            )
        is_open = claim.claim_status not in _CLOSED
        claims = (
            RemoteClaim(
                id=f"{ref.id}:{claim.claim_type.value}",
                type=claim.claim_type,
                status=claim.claim_status,
                wire_status=claim_code,
                is_open=is_open,
                order_product_id=ref.id,
                order_id=order.order_no,
                origin_status=status_code.status,
                hold_known=False,  # no documented field shows a hold (§5.2)
            ),
        )
        status = claim.status or status
    items = row.get("items")
    first = items[0] if isinstance(items, list) and len(items) == 1 else None
    item_id = name = None
    price = quantity = None
    if isinstance(first, dict):  # one option item: its product, price and count [client]
        at = f"{where}.items[0]"
        item_id = wire_opt_str(first, "prod_no", at)
        name = wire_opt_str(first, "prod_name", at)
        payment = first.get("payment")
        if isinstance(payment, dict):
            price = wire_opt_int(payment, "price", f"{at}.payment")
            quantity = wire_opt_int(payment, "count", f"{at}.payment")
    return RemoteOrderProduct(
        id=ref.id,
        wire_status=code,
        status=status,
        order_id=order.order_no,
        ordered_at=order.ordered_at,
        item_id=item_id,
        name=name,
        unit_price=price,
        quantity=quantity,
        claims=claims,
        payment_channel=order.channel,
        auto_refundable=order.auto_refundable,
        money={k: v for k in MONEY_FIELDS["order"] if (v := _amount(row, k, where)) is not None},
    )


def _amount(row: Mapping[str, Any], key: str, where: str) -> int | None:
    """A money field of an item order: an integer won, or a numeric string [client]."""
    value = row.get(key)
    if isinstance(value, str):  # ASCII digits only: "²".isdigit() is True, int("²") raises
        return _boundary.wire_int(value, f"{where}.{key}", 0)
    return wire_opt_int(row, key, where)


def _items_call(order: _Order) -> Call[tuple[RemoteOrderProduct, ...]]:
    def parse(payload: object) -> tuple[RemoteOrderProduct, ...]:
        if not isinstance(payload, list):
            raise WireFieldError("data", f"expected an array, got {type(payload).__name__}")
        return tuple(_item(order, row, f"data[{i}]") for i, row in enumerate(payload))

    path = f"/orders/{urllib.parse.quote(order.order_no, safe='')}/prod-orders"
    return Call("GET", path, parse)


#: ``GET /orders``' query parameters, claimflow's name -> the wire's [doc: ``offset`` (page, from
#: 1), ``limit`` (default :data:`PAGE_DEFAULT`, max :data:`PAGE_MAX`), one of ``status`` /
#: ``claim_type`` / ``claim_status``, ``type`` (주문 매체, §5.2); client: the order dates in unix
#: seconds].
ORDERS_QUERY: Mapping[str, str] = {
    "page": "offset",
    "size": "limit",
    "status": "status",
    "claim_type": "claim_type",
    "claim_status": "claim_status",
    "since": "order_date_from",
    "until": "order_date_to",
    "channel": "type",
}
#: the one-of filters of ``GET /orders``, by the item order field each filters on
ORDERS_FILTERS = ("status", "claim_type", "claim_status")
PAGE_DEFAULT, PAGE_MAX = 25, 100  # [doc]

#: claimflow statuses that imweb shows as a claim code, for the one filter a list call takes
_STATUS_AS_CLAIM: dict[Status, str] = {
    S.RETURN_COLLECTING: "RETURN_COLLECTING",
    S.RETURN_COLLECTED: "RETURN_COLLECT_DONE",
    S.EXCHANGE_COLLECTING: "EXCHANGE_COLLECTING",
    S.EXCHANGE_COLLECTED: "EXCHANGE_COLLECT_DONE",
    S.REDELIVERING: "REDELIVERING",
}


def _date_filter(since: dt.date | None, until: dt.date | None) -> list[tuple[str, str]]:
    """``order_date_from``/``order_date_to`` in unix seconds, days in KST [client]."""
    out = []
    if since is not None:
        start = dt.datetime.combine(since, dt.time(), SEOUL)
        out.append((ORDERS_QUERY["since"], str(int(start.timestamp()))))
    if until is not None:
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), SEOUL)
        out.append((ORDERS_QUERY["until"], str(int(end.timestamp()) - 1)))
    return out


def _page_params(cursor: str | None, page_size: int | None) -> list[tuple[str, str]]:
    if cursor is not None and not cursor.isdigit():
        msg = f"imweb cursors are page numbers, got {cursor!r}"
        raise InvalidInputError(msg, field="cursor")
    size = page_size or PAGE_MAX
    if not 1 <= size <= PAGE_MAX:
        msg = f"imweb pages hold 1 to 100 orders, got {size}"
        raise InvalidInputError(msg, field="page_size")
    return [(ORDERS_QUERY["page"], cursor or "1"), (ORDERS_QUERY["size"], str(size))]


def _one_filter(filters: list[tuple[str, str]]) -> list[tuple[str, str]]:
    if len(filters) > 1:
        names = ", ".join(n for n, _ in filters)
        msg = f"imweb filters a list by one of status, claim_type, claim_status, got {names}"
        raise InvalidInputError(msg, field=filters[1][0])
    return filters


def _orders_filters(query: OrderQuery) -> list[tuple[str, str]]:
    filters = []
    if query.status is not None:
        if query.status in _STATUS_AS_CLAIM:
            filters.append((ORDERS_QUERY["claim_status"], _STATUS_AS_CLAIM[query.status]))
        elif query.status in _STATUS_OUT:
            filters.append((ORDERS_QUERY["status"], _STATUS_OUT[query.status]))
        else:
            msg = f"imweb has no status {query.status}"
            raise InvalidInputError(msg, field="status")
    if query.claim_type is not None:
        filters.append((ORDERS_QUERY["claim_type"], _claim_type(query.claim_type)))
    if query.claim_status is not None:
        if query.claim_type is None:
            msg = "imweb: a claim_status filter needs its claim_type"
            raise InvalidInputError(msg, field="claim_type")
        filters = [f for f in filters if f[0] != ORDERS_QUERY["claim_type"]]
        code = claim_status_code(query.claim_type, query.claim_status)
        filters.append((ORDERS_QUERY["claim_status"], code))
    return _one_filter(filters)


def _claim_type(claim_type: ClaimType) -> str:
    if claim_type.value not in CLAIM_TYPES:
        msg = f"imweb has no {claim_type} claims"
        raise InvalidInputError(msg, field="claim_type")
    return claim_type.value


def _orders_flow(
    order_ids: Sequence[str],
    params: list[tuple[str, str]],
    cursor: str | None,
    channel: PaymentChannel | None = None,
) -> Generator[Call[Any], Any, _OrderPage]:
    """One page of orders: the named ones (one page, no call), else a page of ``GET /orders``;
    with *channel*, listed with the ``type`` filter [doc, §5.2], so every order on the page is
    known to be of that channel (the only documented way to know a Naver Pay order)."""
    if order_ids:
        if cursor is not None:
            msg = "a query naming its orders has one page"
            raise InvalidInputError(msg, field="cursor")
        return _OrderPage(tuple(_Order(o) for o in order_ids), None)
    if channel is not None:
        if channel not in ORDER_TYPES:
            msg = f"imweb lists orders by type normal or npay, not {channel}"
            raise InvalidInputError(msg, field="channel")
        params = [*params, (ORDERS_QUERY["channel"], ORDER_TYPES[channel])]

    def parse(payload: object) -> _OrderPage:
        return _order_list(payload, channel)

    page: _OrderPage = yield Call("GET", "/orders", parse, tuple(params))
    return page


def _items_of(orders: Sequence[_Order]) -> Generator[Call[Any], Any, list[RemoteOrderProduct]]:
    rows: list[RemoteOrderProduct] = []
    for order in orders:
        rows += yield _items_call(order)
    return rows


def _order_products_page(
    _spec: MarketplaceSpec, query: OrderQuery, cursor: str | None
) -> Flow[Page[RemoteOrderProduct]]:
    """A page of the order list, then each order's item orders (filtered as the query says: the
    list's filter is by order, the query's by order product)."""
    params = (
        []
        if query.order_ids
        else [*_orders_filters(query), *_date_filter(query.since, query.until)]
    )
    page = yield from _orders_flow(
        query.order_ids, params + _page_params(cursor, query.page_size), cursor, query.channel
    )
    rows = yield from _items_of(page.orders)
    wanted = [r for r in rows if _matches(query, r)]
    return Page(tuple(wanted), page.next_cursor)


def _matches(query: OrderQuery, row: RemoteOrderProduct) -> bool:
    claim = row.open_claim
    return (
        (query.status is None or row.status is query.status)
        and (query.claim_type is None or (claim is not None and claim.type is query.claim_type))
        and (
            query.claim_status is None or (claim is not None and claim.status is query.claim_status)
        )
    )


def _claims_filters(query: ClaimQuery) -> list[tuple[str, str]]:
    if query.since is not None or query.until is not None:
        msg = (
            "imweb cannot list claims by request date (no claim list, no request time): page the "
            "orders with a claim filter, or by order date with iter_order_products"
        )
        raise InvalidInputError(msg, field="since")
    if query.claim_status is None or query.claim_status is CS.HELD:
        # a hold is a flag, not a wire filter: by type on the wire, the hold read back
        if query.claim_type is None:
            return []
        return [(ORDERS_QUERY["claim_type"], _claim_type(query.claim_type))]
    types = [query.claim_type] if query.claim_type else [CT.CANCEL, CT.RETURN, CT.EXCHANGE]
    codes = {
        _CLAIM_OUT[(t, query.claim_status)] for t in types if (t, query.claim_status) in _CLAIM_OUT
    }
    if len(codes) != 1:
        msg = f"imweb: no single claim_status for {query.claim_type or 'any'} {query.claim_status}"
        raise InvalidInputError(msg, field="claim_type" if len(codes) > 1 else "claim_status")
    return [(ORDERS_QUERY["claim_status"], codes.pop())]


def _claims_page(
    _spec: MarketplaceSpec, query: ClaimQuery, cursor: str | None
) -> Flow[Page[RemoteClaim]]:
    """The current claims of the item orders of a page of orders (imweb has no claims list)."""
    params = [] if query.order_ids else _claims_filters(query)
    page = yield from _orders_flow(
        query.order_ids, params + _page_params(cursor, query.page_size), cursor
    )
    rows = yield from _items_of(page.orders)
    claims = tuple(
        c
        for r in rows
        for c in r.claims
        if (query.claim_type is None or c.type is query.claim_type)
        and (query.claim_status is None or c.status is query.claim_status)
    )
    return Page(claims, page.next_cursor)


def _read(_spec: MarketplaceSpec, ref: OrderRef) -> Flow[RemoteOrderProduct]:
    """One order product: the item orders of its order (``GET /orders/{order_no}/prod-orders``)."""
    imweb = ImwebRef.parse(ref.order_product_id)
    if ref.order_id not in {None, imweb.order_no}:
        msg = f"ref.order_id {ref.order_id!r} is not the order of {ref.order_product_id!r}"
        raise InvalidInputError(msg, field="order_id")
    rows: tuple[RemoteOrderProduct, ...] = yield _items_call(_Order(imweb.order_no))
    for row in rows:
        if row.id == imweb.id:
            return row
    msg = f"imweb: order {imweb.order_no} has no item order {imweb.prod_order_no!r}"
    raise UnexpectedResponseError(
        msg, marketplace=Marketplace.IMWEB, field="data", order_product_id=imweb.id
    )


def _locate(ref: OrderRef) -> OrderQuery:
    return OrderQuery(order_ids=(ImwebRef.parse(ref.order_product_id).order_no,))


def _assemble(row: RemoteOrderProduct, claims: Sequence[RemoteClaim]) -> RemoteOrderProduct:
    return attrs.evolve(row, claims=tuple(claims)) if claims else row


SPEC = MarketplaceSpec(
    marketplace=Marketplace.IMWEB,
    base_url=DEFAULT_BASE_URL,
    api_prefix="",
    actions=ACTIONS,
    unsupported=UNSUPPORTED,
    unwrap=unwrap,
    envelope_keys=ENVELOPE_KEYS,
    envelope_statuses=ENVELOPE_STATUSES,
    error_codes=ERROR_CODES,
    http_errors=HTTP_ERRORS,
    claims=FlowList(_claims_page),
    order_products=FlowList(_order_products_page),
    locate=_locate,
    assemble=_assemble,
    claim_status_code=claim_status_code,
    parse_action=parse_action,
    max_items=None,
    read=_read,
    address=_address,
    claims_by_id=False,
)


# --- the other direction: reading requests and writing answers (the emulator's side) -----------

#: ``exchange/resend`` ``method`` values [doc]
RESEND_METHODS = ("DELIVERY", "VISIT_RECEIPT", "DIRECT_DELIVERY", "QUICK_SVC", "NOTHING")  # [doc]


class ImwebRequestError(ValueError):
    """A request body imweb would refuse with ``-10`` (bad or missing parameter)."""


@attrs.frozen
class ActionRoute:
    """``PATCH /orders/{order_no}/{group}/{status}``: the actions of :data:`ACTIONS` on that path
    (``return/reject`` carries two: the body tells ``return.to_exchange`` apart)."""

    group: str
    status: str
    actions: tuple[tuple[Action, Template], ...]


def _routes() -> dict[tuple[str, str], ActionRoute]:
    found: dict[tuple[str, str], list[tuple[Action, Template]]] = {}
    for action, endpoint in ACTIONS.items():
        group, status = endpoint.path.rsplit("/", 2)[1:]
        assert isinstance(endpoint.body, Template)
        found.setdefault((group, status), []).append((action, endpoint.body))
    return {k: ActionRoute(*k, tuple(v)) for k, v in found.items()}


#: The emulator's side of :data:`ACTIONS`, by path: the same endpoints and body templates.
ACTION_ROUTES: dict[tuple[str, str], ActionRoute] = _routes()


def decode_action(
    route: ActionRoute, etc: object, prods: Sequence[str]
) -> tuple[Action, dict[str, dict[str, Any]]]:
    """The action and each item's parameters of an action body with ``etc`` for the item orders
    *prods* (see :func:`decode_request`)."""
    body: dict[str, object] = {"prod_order_no": list(prods)}
    if etc is not None:
        body["etc"] = etc
    action, _prods, per_item = decode_request(route, body, prods)
    return action, per_item


def decode_request(
    route: ActionRoute, body: object, order_prods: Sequence[str]
) -> tuple[Action, list[str], dict[str, dict[str, Any]]]:
    """An action body read back with the templates of :data:`ACTIONS` (the emulator's side):
    the action, the item orders it names (``prod_order_no``; absent: every item order of the
    order, *order_prods*), and each item's claimflow parameters; the per-item amounts
    (``etc_price``, ``refund_point``) land on the items they name. ``parcel_code`` reads back as
    the carrier's name. :class:`ImwebRequestError` (imweb answers ``-10``) for a body that fits
    no template, or an amount for an item the call does not name."""
    if body is None:
        body = {}
    action, parsed = _first_fit(route, body)
    raw_prods = parsed.pop("items", None)
    prods = list(order_prods) if raw_prods is None else cast("list[str]", raw_prods)
    amounts = {k: parsed.pop(k) for k in _AMOUNTS if k in parsed}
    per_item: dict[str, dict[str, Any]] = {prod: dict(parsed) for prod in prods}
    for param, by_item in amounts.items():
        for prod, amount in cast("dict[str, int]", by_item).items():
            if prod not in per_item:
                raise ImwebRequestError(f"품목주문 {prod}은(는) 이 요청의 대상이 아닙니다")
            per_item[prod][param] = amount
    return action, prods, per_item


def _first_fit(route: ActionRoute, body: object) -> tuple[Action, dict[str, object]]:
    """The first action of *route* whose template *body* fits, and what it read."""
    first: TemplateMismatch | None = None
    for action, template in route.actions:
        try:
            return action, template.parse(body)
        except TemplateMismatch as e:
            first = first or e
    raise ImwebRequestError(f"잘못된 요청 본문: {first}")


#: the parameters read per item (:class:`PerItem`)
_AMOUNTS = ("extra_charge", "refund_points")


def encode_success(data: object, request_count: int = 1) -> dict[str, object]:
    """A success answer: ``{msg, code: 200, request_count, version, data}`` [doc]."""
    return {"msg": "SUCCESS", "code": 200, "request_count": request_count, "version": "v2",
            "data": data}  # fmt: skip


def encode_fail(code: int, msg: str, request_count: int = 1) -> dict[str, object]:
    """An error answer: the same envelope, ``code`` a negative error code or an HTTP status and
    ``data`` null [doc]."""
    return {"msg": msg, "code": code, "request_count": request_count, "version": "v2",
            "data": None}  # fmt: skip


#: How imweb refuses a request before any action: HTTP status and body ``code`` [doc: the codes;
#: every answer HTTP 200 with the status in the body, the emulator's choice among the documented
#: 200/400/... is inferred].
REFUSALS: Mapping[Refusal, tuple[int, int]] = {
    Refusal.UNAUTHORIZED: (200, -2),  # [doc] -2: bad token
    Refusal.RATE_LIMITED: (200, -7),  # [doc] -7: too many requests
    Refusal.MALFORMED: (200, -10),  # [doc] -10: bad or missing parameter
    Refusal.TOO_LARGE: (413, -10),  # [inferred]: a front server's 413, imweb's -10
    Refusal.FAILED: (500, -19),  # [doc] -19: internal error
}


def encode_refusal(
    refusal: Refusal, message: str, request_count: int = 1
) -> tuple[int, dict[str, object]]:
    """The HTTP status and body of a request refused for *refusal* (see :data:`REFUSALS`)."""
    status, code = REFUSALS[refusal]
    return status, encode_fail(code, message, request_count)


def read_token(headers: Mapping[str, str]) -> str:
    """The access token a request carries: the ``access-token`` header [doc]; empty when none."""
    return headers.get("access-token", "")


# --- answers (the emulator's side): the fields the reading side above parses ------------------


def encode_token(token: str) -> dict[str, object]:
    """``/v2/auth``'s answer: ``{"msg": "SUCCESS", "code": 200, "access_token": ...}`` [doc]."""
    return {"msg": "SUCCESS", "code": 200, "access_token": token}


def encode_order(
    order_no: str, ordered_at: dt.datetime, pay_type: str, amount: int
) -> dict[str, object]:
    """One row of ``GET /orders``: ``order_no``, ``order_time`` (unix seconds) [client],
    ``payment.pay_type`` [doc, §5.2]; no field says the order's 매체 (§5.2: only the ``type``
    filter does)."""
    return {
        "order_no": order_no,
        "order_time": int(ordered_at.timestamp()),
        "orderer": {"name": "구매자", "call": "010-0000-0000"},
        "payment": {"pay_type": pay_type, "payment_amount": amount},
    }


def encode_order_list(
    rows: Sequence[object], *, total: int, page: int, page_size: int
) -> dict[str, object]:
    """``GET /orders``'s ``data``: ``list`` and its paging [doc: the counts; ``pagenation``,
    sic, client]."""
    return {
        "list": list(rows),
        "pagenation": {
            "data_count": total,
            "current_page": page,
            "total_page": -(-total // page_size),
            "pagesize": page_size,
        },
    }


def encode_item_order(
    op: OrderProduct,
    *,
    ordered_at: dt.datetime,
    name: str | None,
    delivery: tuple[str, str] | None = None,
) -> dict[str, object]:
    """One item order of ``GET /orders/{order_no}/prod-orders`` [doc: ``status``,
    ``claim_type``, ``claim_status``, ``parcel_code``, ``invoice_no``; client: the item order's
    own number as ``order_no``, ``pay_time``, ``items``]."""
    wire = wire_state(op)
    carrier, tracking = delivery or (None, None)
    return {
        "order_no": ImwebRef.parse(op.id).prod_order_no,
        "status": wire.status,
        "claim_type": wire.claim_type,
        "claim_status": wire.claim_status,
        "parcel_code": None if carrier is None else carrier_code(carrier),
        "invoice_no": tracking,
        "pay_time": int(ordered_at.timestamp()),
        "items": [
            {
                "prod_no": op.item_id,
                "prod_name": name,
                "payment": {"count": op.quantity, "price": op.unit_price},
            }
        ],
    }


def encode_action_result(
    order_no: str, items: int, failed: Sequence[tuple[str, str, str]]
) -> dict[str, object]:
    """An action's ``data`` [doc]: the order in ``success`` unless all its *items* failed, the
    failed item orders ``(prod_order_no, msg, detail_msg)`` under ``failed`` (read by
    :func:`parse_action`)."""
    refused = [{"prod_order_no": p, "msg": m, "detail_msg": d} for p, m, d in failed]
    return {
        "success": [order_no] if len(failed) < items else [],
        "failed": [{"order_no": order_no, "prod_order_list": refused}] if refused else [],
    }


# --- money facts as the engine's values (rules.md M1) --------------------------------------------

#: the wire field each LineMoney field is read from (an error names it)
LINE_MONEY_ORIGIN = {
    "coupon_discount": "coupon",
    "points_used": "point",
    "delivery_fee": "deliv_price",
    "regional_fee": "island_price",
}
#: imweb claims carry no delivery facts (its fault classes are read from the reason code)
CLAIM_DELIVERY_ORIGIN: Mapping[str, str] = {}


def line_money(remote: RemoteOrderProduct) -> LineMoney | None:
    """An item order's money facts (M1) as a :class:`~claimflow.LineMoney`, or None when the
    wire carries none. The caller checks the figures fit the price (``adapters.line_money``)."""
    # [doc, §5.2] per item: point, coupon, deliv_price, island_price
    m = remote.money
    if not m:
        return None
    island = m.get("island_price", 0)
    delivery = m.get("deliv_price", 0)
    return LineMoney(
        coupon_discount=m.get("coupon", 0),
        points_used=m.get("point", 0),
        delivery_fee=delivery,
        delivery_fee_kind=fee_kind(delivery),
        # [inferred] island_price is the islands/mountains extra: region MOUNTAIN when charged
        regional_fee=island,
        region=DeliveryRegion.MOUNTAIN if island else DeliveryRegion.NORMAL,
    )


def claim_delivery(claim: RemoteClaim) -> ClaimDelivery | None:
    """None: an imweb claim carries no delivery facts [doc, §2]."""
    return None
