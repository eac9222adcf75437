"""imweb shop API v2 seller adapter.

Sources: ``shared/seeds/004_…`` (return) and ``shared/spec/marketplaces.md`` §2 (the rest), whose
confidence tags ([doc], [client], [inferred]) are kept on every endpoint (``Endpoint.tag``) and
status code (``StatusCode.tag``) below, and in comments.

Quirks:

- Base ``https://api.imweb.me/v2/shop`` [doc]. A token comes from ``POST
  https://api.imweb.me/v2/auth`` with ``key`` and ``secret`` (JSON [client]) and goes in an
  ``access-token`` header [doc]; its lifetime is not documented, so :class:`ImwebTokenAuth`
  keeps it until an answer says it is bad (``-2`` or HTTP 401), then re-issues it once.
- One envelope ``{msg, code, request_count, version, data}``; ``code`` 200 is success, HTTP
  statuses and the negative error codes travel in the body [doc] (see :data:`ERROR_CODES`, each
  mapped deliberately). A body that says '자동환불불가' is
  :class:`~claimflow.exceptions.MarketplaceRefusedError` with code ``AUTO_REFUND_IMPOSSIBLE``.
- Actions are ``PATCH /orders/{order_no}/{cancel|return|exchange}/{status}`` with
  ``{"prod_order_no": [...], "etc": {...}}`` [doc]; ``etc`` only when the status takes data. One
  call may name several item orders of one order, and **partial success is normal**:
  ``data.success`` lists the order numbers that went through, ``data.failed[].prod_order_list``
  the items refused, with ``msg`` and ``detail_msg`` [doc].
  :func:`~claimflow.adapters.apply_remote_many` commits only the items that succeeded. An order
  number in neither list leaves the outcome unknown.
- **Ids**: imweb addresses an order product by two numbers, the order's ``order_no`` and the
  item order's ``prod_order_no``. claimflow's order product id is ``"{order_no}:{prod_order_no}"``
  (:class:`ImwebRef`), so every action and read finds its order without an extra ``OrderRef``.
- The wire has **no claim ids and no claim history**: an item order shows its current claim as
  ``claim_type`` + ``claim_status`` [doc]. The spec sets ``claims_by_id=False``: reconciling
  compares the open claim by type and status. :class:`~claimflow.adapters.RemoteClaim` ids are
  made up as ``"{order product id}:{claim type}"``.
- imweb's ``status`` does not move while a claim runs: ``RETURN_COLLECTING`` etc. are
  ``claim_status`` codes beside it [doc]. The claimflow status comes from the claim code when it
  has one (반품수거중 …), else from ``status``; the ``status`` under a claim is its origin
  [inferred].
- ``HELD`` is not a ``claim_status`` on the wire: a claim on hold keeps its code and the item
  order carries ``is_hold: true`` [inferred field]; it reads as claim status HELD with
  ``held_from`` = the code's status.
- ``return.to_exchange`` is ``return/reject`` (the doc: "반품 거부하거나 교환으로 변경") with
  ``etc.claim_type = "EXCHANGE"`` beside ``etc.reason`` [inferred: the doc does not name the
  field; ``claim_type``/``EXCHANGE`` are the doc's own words for it].
- ``PAY_WAIT`` (입금대기) has no claimflow status: read as an explicit unknown (``status``
  None, ``wire_status`` ``"PAY_WAIT"``), as Toss's ``BEFORE_PAYMENT``. Every other unknown code
  raises :class:`~claimflow.exceptions.UnexpectedResponseError` naming the field.
- ``CANCELING`` (취소요청중: accepted, the gateway refunding) reads as 결제취소 with the cancel
  COMPLETED, since claimflow completes a cancel on ``accept`` (rules.md I3) [inferred].
- Lists: ``GET /orders`` pages by ``offset`` (page number from 1) and ``limit`` (≤ 100), with
  ``data.list`` and ``data.pagenation`` (sic [client]; ``pagination`` accepted) [doc]; at most
  one of ``status``/``claim_type``/``claim_status`` filters a call [doc]. Item orders come from
  ``GET /orders/{order_no}/prod-orders`` [doc], one call per order, so a page of order products
  is a :class:`~claimflow.adapters.FlowList` page of several calls. There is no claims list:
  claims are the item orders' current claims.
- Rate limits: 1/s for list-all calls, 5/s for the others; exceeding them can get the key
  blocked [doc]. Answer ``-7`` is :class:`~claimflow.exceptions.RateLimitedError`, retried with a
  backoff starting at one second (:data:`RETRY`).
- The buyer requests cancels, returns and exchanges in the storefront; the payment gateway
  settles refunds (``RETURN_REFUNDING`` → 반품완료 or ``RETURN_REFUND_FAILED``): no seller call
  for either; read them back and reconcile.
"""

from __future__ import annotations

import datetime as dt
import threading
import urllib.parse
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any, cast

import attrs
import httpx

from .._params import KST
from .._values import OrderProduct
from .._vocab import Action, ClaimStatus, ClaimType, Marketplace, PaymentChannel, Status
from ..exceptions import (
    AuthenticationError,
    InvalidInputError,
    MarketplaceError,
    MarketplaceRefusedError,
    MarketplaceUnavailableError,
    RateLimitedError,
    UnexpectedResponseError,
)
from . import _boundary
from ._core import (
    ActionResult,
    AsyncClient,
    Call,
    ClaimQuery,
    Client,
    Endpoint,
    Envelope,
    Fields,
    Flow,
    FlowList,
    ItemResult,
    MarketplaceSpec,
    OrderQuery,
    OrderRef,
    Page,
    RemoteAction,
    RemoteClaim,
    RemoteOrderProduct,
    RetryPolicy,
    Secret,
    StatusCode,
    Unsupported,
    WireFieldError,
    check_base_url,
    wire_get,
    wire_list,
    wire_opt_int,
    wire_opt_str,
    wire_str,
)

__all__ = [
    "AUTO_REFUND_IMPOSSIBLE",
    "CLAIM_STATUS_CODES",
    "DEFAULT_AUTH_URL",
    "DEFAULT_BASE_URL",
    "ERROR_CODES",
    "EXCHANGE_HOLD_REASONS",
    "ORDER_STATUS_CODES",
    "RETRY",
    "SPEC",
    "ImwebRef",
    "ImwebTokenAuth",
    "WireState",
    "claim_status_code",
    "make_async_client",
    "make_client",
    "wire_state",
]

DEFAULT_BASE_URL = "https://api.imweb.me/v2/shop"  # [doc]
DEFAULT_AUTH_URL = "https://api.imweb.me/v2/auth"  # [doc]

#: The code of a refusal because the payment cannot be refunded automatically ('자동환불불가'
#: [doc], bank transfer and virtual account): the same code as the engine's guard.
AUTO_REFUND_IMPOSSIBLE = "AUTO_REFUND_IMPOSSIBLE"
_AUTO_REFUND_TEXT = "자동환불불가"

#: imweb asks for at most 1 list-all call a second [doc]: back off from one second, not 0.1.
RETRY = RetryPolicy(wait_initial=1.0, wait_max=10.0)

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
            S.CANCELED,
            CT.CANCEL,
            CS.COMPLETED,
            tag="inferred",
            note="accepted, the gateway refunding: claimflow completes a cancel on accept (I3)",
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
_CLAIM_TYPES = {t.value: t for t in (CT.CANCEL, CT.RETURN, CT.EXCHANGE)}  # [doc]
_CLOSED = frozenset({CS.COMPLETED})  # the only closed claim status the wire shows (CANCELING)

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

    A hold is not a ``claim_status`` (it is the ``is_hold`` flag beside the held code), and closed
    claims are not shown: both raise :class:`~claimflow.exceptions.InvalidInputError`.
    """
    try:
        return _CLAIM_OUT[(claim_type, status)]
    except KeyError:
        msg = f"imweb has no claim_status for an open {claim_type} claim in {status}"
        raise InvalidInputError(msg, field="claim_status") from None


@attrs.frozen
class WireState:
    """What imweb shows for an order product: ``status``, ``claim_type``, ``claim_status`` and
    the hold flag (``is_hold`` [inferred])."""

    status: str
    claim_type: str | None = None
    claim_status: str | None = None
    is_hold: bool = False


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
    return WireState(status, claim.type.value, claim_status_code(claim.type, shown), held)


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


def _hold_reason(action: RemoteAction) -> Mapping[str, object]:
    reason = str(action.param("reason") or "").strip()
    code, _, detail = reason.partition(":")
    if code.strip() in EXCHANGE_HOLD_REASONS:
        out: dict[str, object] = {"reason_code": code.strip()}
        if detail.strip():
            out["reason_detail"] = detail.strip()
        return out
    return {"reason_code": "ETC", "reason_detail": reason}


@attrs.frozen
class Body:
    """An imweb action body ``{"prod_order_no": [...], "etc": {...}}`` [doc].

    ``etc`` maps wire names to parameters (a :class:`~claimflow.adapters.Fields`); ``per_item``
    turns an amount parameter into imweb's per-item list (``etc_price: [{prod_order_no, price}]``),
    ``{wire list: (parameter, amount key)}``; ``constant`` adds fixed ``etc`` fields; ``derive``
    computes ``etc`` fields from the action (the exchange hold's reason code). ``etc`` is left
    out when empty.
    """

    etc: Fields = attrs.field(factory=lambda: Fields({}))
    per_item: Mapping[str, tuple[str, str]] = attrs.field(factory=dict)
    constant: Mapping[str, str] = attrs.field(factory=dict)
    derive: Callable[[RemoteAction], Mapping[str, object]] | None = None

    def __call__(self, action: RemoteAction, /) -> object:
        """The body for *action* (whose items are all of one order)."""
        prods = [ImwebRef.parse(i).prod_order_no for i in action.items]
        etc = dict(cast("Mapping[str, object]", self.etc(action)))
        etc.update(self.constant)
        for wire, (param, key) in self.per_item.items():
            amount = action.param(param)
            if amount:  # 0 or absent: nothing charged / refunded (the doc: "미입력 시 …")
                etc[wire] = [{"prod_order_no": p, key: amount} for p in prods]
        if self.derive is not None:
            etc.update(self.derive(action))
        body: dict[str, object] = {"prod_order_no": prods}
        if etc:
            body["etc"] = etc
        return body


def _act(group: str, verb: str, body: Body | None = None, tag: str = "doc") -> Endpoint:
    return Endpoint("PATCH", f"/orders/{{order_id}}/{group}/{verb}", body or Body(), tag)


_DELIVERY = Fields({"parcel_code": "carrier", "invoice_no": "tracking_number"})
_MEMO = Fields({"claim_memo": "memo"}, optional=frozenset({"memo"}))
_REASON = Fields({"reason": "reason"})
# refund_point items are {prod_order_no, price} for cancel (marketplaces.md) but
# {prod_order_no, point} for return_done (004_…): as documented, each
_CANCEL_REFUND = Body(
    _MEMO, {"etc_price": ("extra_charge", "price"), "refund_point": ("refund_points", "price")}
)
_RETURN_REFUND = Body(
    _MEMO, {"etc_price": ("extra_charge", "price"), "refund_point": ("refund_points", "point")}
)

ACTIONS: dict[Action, Endpoint] = {
    A.CANCEL_REJECT: _act("cancel", "reject", Body(_DELIVERY)),
    A.CANCEL_APPROVE: _act("cancel", "accept", _CANCEL_REFUND),
    A.CANCEL_RETRY_REFUND: _act("cancel", "retry"),
    A.CANCEL_FORCE: _act("cancel", "force_cancel"),
    A.RETURN_REJECT: _act("return", "reject", Body(_REASON)),
    A.RETURN_TO_EXCHANGE: _act(
        "return", "reject", Body(_REASON, constant={"claim_type": "EXCHANGE"}), tag="inferred"
    ),
    A.RETURN_APPROVE: _act("return", "accept"),
    A.RETURN_COLLECT: _act("return", "collect_done"),
    # withhold takes no etc data (004_…: etc only for reject and return_done): the hold's reason
    # stays in claimflow's history
    A.RETURN_HOLD: _act("return", "withhold"),
    A.RETURN_RELEASE: _act("return", "releasehold"),
    A.RETURN_COMPLETE: _act("return", "return_done", _RETURN_REFUND),
    A.RETURN_FORCE_COMPLETE: _act("return", "return_force_done"),
    # exchange reject's parcel_code/invoice_no [doc] have no claimflow parameter (exchange.reject
    # takes a reason, which imweb's call does not): nothing in etc
    A.EXCHANGE_REJECT: _act("exchange", "reject"),
    A.EXCHANGE_APPROVE: _act("exchange", "accept"),
    A.EXCHANGE_COLLECT: _act("exchange", "collect_done"),
    A.EXCHANGE_HOLD: _act("exchange", "withhold", Body(derive=_hold_reason)),
    A.EXCHANGE_RELEASE: _act("exchange", "releasehold"),
    A.EXCHANGE_REDELIVER: _act(
        "exchange", "resend", Body(_DELIVERY, constant={"method": "DELIVERY"})
    ),
    A.EXCHANGE_COMPLETE: _act("exchange", "exchange_done"),
}

_BUYER = Unsupported(
    "the buyer does this in the imweb storefront; the seller API has no call for it (the item "
    "order's claim_status shows it: read it and reconcile)"
)
_GATEWAY = Unsupported(
    "the payment gateway settles the refund by itself (RETURN_REFUNDING becomes 반품완료 or "
    "RETURN_REFUND_FAILED): read it and reconcile"
)
_NOT_IN_SOURCES = Unsupported(
    "imweb's fulfilment calls (place, send, complete) are not in the documents claimflow's imweb "
    "adapter is built from"
)
UNSUPPORTED: dict[Action, Unsupported] = {
    A.CANCEL_REQUEST: _BUYER,
    A.RETURN_REQUEST: _BUYER,
    A.EXCHANGE_REQUEST: _BUYER,
    A.RETURN_REFUND_FAILED: _GATEWAY,
    A.RETURN_REFUND_SUCCEEDED: _GATEWAY,
    A.ORDER_PREPARE: _NOT_IN_SOURCES,
    A.ORDER_SHIP: _NOT_IN_SOURCES,
    A.ORDER_DELIVER: Unsupported("imweb marks delivery itself"),
    A.ORDER_CONFIRM: Unsupported("the buyer or imweb confirms the purchase"),
}


def _wire_order_no(value: object, where: str) -> str:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise WireFieldError(where, f"expected an order number, got {value!r}")


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
    return AUTO_REFUND_IMPOSSIBLE if _AUTO_REFUND_TEXT in msg + detail else "ITEM_FAILED"


def _text(msg: str, detail: str) -> str:
    return f"{msg}: {detail}" if msg and detail else msg or detail


# --- envelope -----------------------------------------------------------------------------------


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
    if _AUTO_REFUND_TEXT in msg:  # [doc]: accept / return_done "fails with '자동환불불가'"
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

#: ``payment.pay_type`` codes that cannot be refunded automatically: bank transfer and virtual
#: account ([inferred] codes; the rule is imweb's ``force_cancel`` note)
NO_AUTO_REFUND_PAY_TYPES = frozenset({"cash", "virtual"})
_CHANNELS = {c.value: c for c in PaymentChannel}


@attrs.frozen
class _Order:
    """What the order list says of one order (the item orders say the rest)."""

    order_no: str
    ordered_at: dt.datetime | None = None
    channel: PaymentChannel | None = None
    auto_refundable: bool | None = None


def _count(obj: Mapping[str, Any], key: str, where: str) -> int:
    """A count of the pagination: an integer, or a numeric string [client]."""
    return _boundary.wire_int(obj.get(key), f"{where}.{key}", 0, 10**9)


def _unix(obj: Mapping[str, Any], key: str, where: str) -> dt.datetime | None:
    value = wire_opt_int(obj, key, where)  # unix seconds [client]
    if value is not None:  # a datetime holds years 1..9999 only
        value = _boundary.wire_int(value, f"{where}.{key}", 0, 253_402_214_400)
    return None if value is None else dt.datetime.fromtimestamp(value, KST)


def _order(row: object, where: str) -> _Order:
    order_no = wire_str(row, "order_no", where)
    assert isinstance(row, dict)
    channel = None
    type_code = wire_opt_str(row, "order_type", where)  # [inferred] field; `type` filter [client]
    if type_code is not None:
        channel = _CHANNELS.get(type_code)
        if channel is None:
            raise WireFieldError(f"{where}.order_type", f"unknown order type {type_code!r}")
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


def _order_list(payload: object) -> _OrderPage:
    rows = wire_list(payload, "list", "data")
    assert isinstance(payload, dict)
    key = "pagenation" if "pagenation" in payload else "pagination"  # sic [client]
    paging = payload.get(key)
    if not isinstance(paging, dict):
        raise WireFieldError("data.pagenation", f"expected an object, got {paging!r}")
    current = _count(paging, "current_page", f"data.{key}")
    total = _count(paging, "total_page", f"data.{key}")
    orders = tuple(_order(row, f"data.list[{i}]") for i, row in enumerate(rows))
    return _OrderPage(orders, str(current + 1) if current < total else None)


def _hold(row: Mapping[str, Any], where: str) -> bool:
    value = row.get("is_hold", False)  # [inferred] field
    if value is None:
        return False
    if not isinstance(value, bool):
        raise WireFieldError(f"{where}.is_hold", f"expected true or false, got {value!r}")
    return value


def _item(order: _Order, row: object, where: str) -> RemoteOrderProduct:
    # the item order's own number is `order_no` in prod-orders answers [client]
    ref = ImwebRef(
        order.order_no, _wire_order_no(wire_get(row, "order_no", where), f"{where}.order_no")
    )
    assert isinstance(row, dict)
    code = wire_str(row, "status", where)
    status_code = ORDER_STATUS_CODES.get(code)
    if status_code is None:
        raise WireFieldError(f"{where}.status", f"unknown status code {code!r}")
    claims: tuple[RemoteClaim, ...] = ()
    status = status_code.status
    held = _hold(row, where)
    claim_code = wire_opt_str(row, "claim_status", where)
    if claim_code is None:
        if held:
            raise WireFieldError(f"{where}.is_hold", "a hold without a claim_status")
    else:  # a claim_type without a claim_status is no current claim [inferred]
        claim = CLAIM_STATUS_CODES.get(claim_code)
        if claim is None or claim.claim_type is None or claim.claim_status is None:
            raise WireFieldError(f"{where}.claim_status", f"unknown claim status {claim_code!r}")
        type_code = wire_opt_str(row, "claim_type", where)
        if type_code is not None and _CLAIM_TYPES.get(type_code) is not claim.claim_type:
            raise WireFieldError(
                f"{where}.claim_type", f"{type_code!r} does not go with claim_status {claim_code!r}"
            )
        is_open = claim.claim_status not in _CLOSED
        if held and not is_open:
            raise WireFieldError(f"{where}.is_hold", f"a hold on a closed claim ({claim_code})")
        claims = (
            RemoteClaim(
                id=f"{ref.id}:{claim.claim_type.value}",
                type=claim.claim_type,
                status=CS.HELD if held else claim.claim_status,
                wire_status=claim_code,
                is_open=is_open,
                order_product_id=ref.id,
                order_id=order.order_no,
                origin_status=status_code.status,
                held_from=claim.claim_status if held else None,
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
    )


def _items_call(order: _Order) -> Call[tuple[RemoteOrderProduct, ...]]:
    def parse(payload: object) -> tuple[RemoteOrderProduct, ...]:
        if not isinstance(payload, list):
            raise WireFieldError("data", f"expected an array, got {type(payload).__name__}")
        return tuple(_item(order, row, f"data[{i}]") for i, row in enumerate(payload))

    path = f"/orders/{urllib.parse.quote(order.order_no, safe='')}/prod-orders"
    return Call("GET", path, parse)


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
        start = dt.datetime.combine(since, dt.time(), KST)
        out.append(("order_date_from", str(int(start.timestamp()))))
    if until is not None:
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), KST)
        out.append(("order_date_to", str(int(end.timestamp()) - 1)))
    return out


def _page_params(cursor: str | None, page_size: int | None) -> list[tuple[str, str]]:
    if cursor is not None and not cursor.isdigit():
        msg = f"imweb cursors are page numbers, got {cursor!r}"
        raise InvalidInputError(msg, field="cursor")
    size = page_size or 100
    if not 1 <= size <= 100:  # default 25, max 100 [doc]
        msg = f"imweb pages hold 1 to 100 orders, got {size}"
        raise InvalidInputError(msg, field="page_size")
    return [("offset", cursor or "1"), ("limit", str(size))]


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
            filters.append(("claim_status", _STATUS_AS_CLAIM[query.status]))
        elif query.status in _STATUS_OUT:
            filters.append(("status", _STATUS_OUT[query.status]))
        else:
            msg = f"imweb has no status {query.status}"
            raise InvalidInputError(msg, field="status")
    if query.claim_type is not None:
        filters.append(("claim_type", _claim_type(query.claim_type)))
    if query.claim_status is not None:
        if query.claim_type is None:
            msg = "imweb: a claim_status filter needs its claim_type"
            raise InvalidInputError(msg, field="claim_type")
        filters = [f for f in filters if f[0] != "claim_type"]
        filters.append(("claim_status", claim_status_code(query.claim_type, query.claim_status)))
    return _one_filter(filters)


def _claim_type(claim_type: ClaimType) -> str:
    if claim_type.value not in _CLAIM_TYPES:
        msg = f"imweb has no {claim_type} claims"
        raise InvalidInputError(msg, field="claim_type")
    return claim_type.value


def _orders_flow(
    order_ids: Sequence[str], params: list[tuple[str, str]], cursor: str | None
) -> Generator[Call[Any], Any, _OrderPage]:
    """One page of orders: the named ones (one page, no call), else a page of ``GET /orders``."""
    if order_ids:
        if cursor is not None:
            msg = "a query naming its orders has one page"
            raise InvalidInputError(msg, field="cursor")
        return _OrderPage(tuple(_Order(o) for o in order_ids), None)
    page: _OrderPage = yield Call("GET", "/orders", _order_list, tuple(params))
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
        query.order_ids, params + _page_params(cursor, query.page_size), cursor
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
        return [("claim_type", _claim_type(query.claim_type))] if query.claim_type else []
    types = [query.claim_type] if query.claim_type else [CT.CANCEL, CT.RETURN, CT.EXCHANGE]
    codes = {
        _CLAIM_OUT[(t, query.claim_status)] for t in types if (t, query.claim_status) in _CLAIM_OUT
    }
    if len(codes) != 1:
        msg = f"imweb: no single claim_status for {query.claim_type or 'any'} {query.claim_status}"
        raise InvalidInputError(msg, field="claim_type" if len(codes) > 1 else "claim_status")
    return [("claim_status", codes.pop())]


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

# --- auth ---------------------------------------------------------------------------------------

_BAD_TOKEN_CODES = frozenset({-2, 401})


def _body_code(response: httpx.Response) -> int | None:
    try:
        return _code(_boundary.parse_json_body(response, marketplace=Marketplace.IMWEB))
    except (ValueError, WireFieldError):
        return None


class ImwebTokenAuth(httpx.Auth):
    """imweb's access token as an ``httpx.Auth``: issued on first use from ``key`` and
    ``secret``, sent as the ``access-token`` header, re-issued once when an answer says the token
    is bad (code ``-2``, or HTTP / body 401).

    imweb does not document the token's lifetime, so it is kept until refused. Neither the secret
    nor the token appears in its repr or in any error it raises.
    """

    requires_response_body = True

    def __init__(self, key: str, secret: Secret, *, auth_url: str = DEFAULT_AUTH_URL) -> None:
        self._key = Secret(key)
        self._secret = secret
        self._auth_url = auth_url
        self._lock = threading.Lock()
        self._token: Secret | None = None
        self.issued = 0  # how many tokens were issued (for monitoring and tests)

    def __repr__(self) -> str:
        return f"ImwebTokenAuth(auth_url={self._auth_url!r}, token={self._token!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the token; on a bad-token answer, re-issue it once and send the request again (it
        was refused before anything was done, so repeating it is safe)."""
        with self._lock:
            token = self._token
        if token is None:
            token = self._store((yield self._token_request()))
        request.headers["access-token"] = token.reveal()
        response = yield request
        if response.status_code == 401 or _body_code(response) in _BAD_TOKEN_CODES:
            with self._lock:
                if self._token == token:
                    self._token = None
            token = self._store((yield self._token_request()))
            request.headers["access-token"] = token.reveal()
            yield request

    def invalidate(self) -> None:
        """Forget the cached token: the next request gets a new one."""
        with self._lock:
            self._token = None

    def _token_request(self) -> httpx.Request:
        return httpx.Request(
            "POST",
            self._auth_url,
            json={"key": self._key.reveal(), "secret": self._secret.reveal()},
            headers={"Accept": "application/json"},
        )

    def _store(self, response: httpx.Response) -> Secret:
        mp = Marketplace.IMWEB
        if response.status_code >= 500:
            msg = f"imweb: auth endpoint unavailable (HTTP {response.status_code})"
            raise MarketplaceUnavailableError(msg, marketplace=mp, status_code=response.status_code)
        try:
            body: Any = _boundary.parse_json_body(response, marketplace=mp)
            code = _code(body)
            said = f"HTTP {response.status_code}, code {code}"
            if code == 200:
                token = Secret(wire_str(body, "access_token"))
                with self._lock:
                    self._token = token
                    self.issued += 1
                return token
        except (ValueError, WireFieldError) as e:
            field = e.field if isinstance(e, WireFieldError) else "body"
            msg = f"imweb: auth endpoint: unexpected answer (HTTP {response.status_code}): {field}"
            raise UnexpectedResponseError(msg, marketplace=mp, field=field) from None
        if code in {-7, 429}:
            msg = f"imweb: auth endpoint: rate limited ({said})"
            raise RateLimitedError(msg, marketplace=mp)
        message = wire_opt_str(body, "msg") or ""
        msg = f"imweb: the auth endpoint refused the key and secret ({said}): {message}"
        raise AuthenticationError(msg, marketplace=mp)


# --- factories ----------------------------------------------------------------------------------


def _auth(key: str, secret: str | Secret, auth_url: str) -> ImwebTokenAuth:
    secret = secret if isinstance(secret, Secret) else Secret(secret)
    return ImwebTokenAuth(key, secret, auth_url=check_base_url(auth_url, "auth_url"))


def make_client(
    key: str,
    secret: str | Secret,
    *,
    base_url: str = DEFAULT_BASE_URL,
    auth_url: str = DEFAULT_AUTH_URL,
    retry: RetryPolicy | None = None,
    timeout: float | httpx.Timeout = 10.0,
    transport: httpx.BaseTransport | None = None,
) -> Client:
    """A synchronous imweb adapter. https is required except for a loopback host."""
    http = httpx.Client(
        base_url=check_base_url(base_url),
        auth=_auth(key, secret, auth_url),
        timeout=timeout,
        transport=transport,
        headers={"Accept": "application/json"},
    )
    return Client(SPEC, http, retry=retry or RETRY)


def make_async_client(
    key: str,
    secret: str | Secret,
    *,
    base_url: str = DEFAULT_BASE_URL,
    auth_url: str = DEFAULT_AUTH_URL,
    retry: RetryPolicy | None = None,
    timeout: float | httpx.Timeout = 10.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncClient:
    """An asynchronous imweb adapter. https is required except for a loopback host."""
    http = httpx.AsyncClient(
        base_url=check_base_url(base_url),
        auth=_auth(key, secret, auth_url),
        timeout=timeout,
        transport=transport,
        headers={"Accept": "application/json"},
    )
    return AsyncClient(SPEC, http, retry=retry or RETRY)
