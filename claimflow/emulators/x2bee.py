"""An x2bee (Plateer X2BEE) emulator: a Starlette app on top of the claimflow engine.

Serves the calls of ``shared/spec/marketplaces.md`` §3 under the three API prefixes, so one server
stands in for every host (give the adapter ``order_url=<url>/api/order``,
``bo_url=<url>/api/bo``, ``goods_url=<url>/api/goods``):

- ``/api/order/v1/claim/orderCancel/cancelPopupFO``, ``/api/order/v1/claim/common/
  claimCalculateCostFO``, ``/api/order/v1/claim/orderCancel/cancelFO``,
  ``/api/order/v1/claim/common/claimDetailsInfoFO`` (the cancel flow),
  ``/api/order/v1/claim/orderChange/ordChangeFO`` and ``/api/goods/v1/detail/otherItms`` (option
  change), ``/api/order/v1/delivery/withdrawProcess/saveWithdrawStatUpdateProcess`` and
  ``/api/order/v1/payment/saveRefundBundleApproMgmt``;
- x2bee's answers: HTTP 200 with the DTO or no content, HTTP **900** with ``{timestamp, code,
  message, isProcess, payload, error, errors: [{field, value, reason}]}`` for every refusal, HTTP
  401 for a missing, unknown or expired bearer token, 429 (with ``Retry-After`` when
  :attr:`Faults.retry_after` is set) for an injected rate limit, 503 for an injected outage.

Quirks of the emulator (not of x2bee; the paths, field names and codes are the codec's,
:mod:`claimflow.adapters.codecs.x2bee`, which tags each [doc] / [inferred]):

- x2bee documents no token endpoint: the emulator accepts ``Bearer emulator-token`` (the
  ``token`` argument) and the tokens of :meth:`X2beeEmulator.issue_token`;
- the error ``code`` values are the emulator's own (x2bee's are not published):
  ``CLAIM_NOT_ALLOWED`` (the engine refused; its Korean explanation is the message, parameter
  problems are the field errors), ``NOT_FOUND``, ``INVALID_REQUEST``, ``COST_NOT_CALCULATED``
  (``cancelFO`` before ``claimCalculateCostFO``, whose cost rows it uses), ``COST_MISMATCH`` (the
  amounts sent are not the calculated ones);
- a cancel refunds the order line's price less the benefit the buyer loses (``lost_benefit``: a
  coupon or free shipping the rest of the order no longer earns); when that benefit is more than
  the price, the buyer pays the difference instead (:meth:`X2beeEmulator.add`);
- option candidates come from a catalog per goods number (:meth:`X2beeEmulator.add_item`); the
  emulator checks a change against its catalog, not against what the client believes;
- what has no documented x2bee call (return and exchange requests, rejections, redelivery, …)
  happens through :meth:`X2beeEmulator.buyer` / :meth:`X2beeEmulator.seller` or
  ``POST /_emulator/order-products/{id}/actions``. Every path under ``/_emulator/`` is the
  emulator's own control API, **not part of x2bee**.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from uvicorn.protocols.http import h11_impl

from .._engine import check
from .._values import Applied, CandidateItem, Claim, OrderProduct
from .._vocab import SEOUL, Action, Actor, ClaimType, EffectKind, Marketplace, Status
from ..adapters import OrderRef
from ..adapters.codecs import Refusal, Template, TemplateMismatch
from ..adapters.codecs import x2bee as codec
from ..adapters.codecs.x2bee import (
    READS,
    ROUTES,
    encode_error,
    order_status_code,
)
from ..exceptions import ActionRefusedError, ClaimflowError
from ._core import (
    NOT_JSON,
    EmulatorControls,
    EmulatorCore,
    Faults,
    Record,
    control_answer,
    dropped_response,
)

__all__ = ["DEFAULT_TOKEN", "CatalogItem", "X2beeEmulator", "make_app", "seed_orders"]

A = Action
DEFAULT_TOKEN = "emulator-token"

# x2bee's business errors are HTTP 900. uvicorn's h11 protocol looks the reason phrase up in a
# table of the statuses 100-599 and fails on any other: give 900 an empty phrase (RFC 9112
# allows one), as its httptools protocol already does for unknown statuses.
h11_impl.STATUS_PHRASES.setdefault(900, b"")

#: claimflow parameter -> the wire field a refusal names (from the codec's body templates)
_WIRE_FIELDS: dict[str, str] = {}
for _route in ROUTES.values():
    if _route.body is not None:
        for _name, _wire in _route.body.wire_names().items():
            _WIRE_FIELDS.setdefault(_name, _wire)
_INVALID = codec.REFUSALS[Refusal.MALFORMED][1]


class _Fail(Exception):  # noqa: N818 - an x2bee HTTP 900 answer, not an error of the emulator
    def __init__(
        self, code: str, message: str, errors: tuple[tuple[str, object, str], ...] = ()
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.errors = errors


def _one(code: str, message: str, field: str, value: object, reason: str) -> _Fail:
    """An HTTP 900 answer naming one field."""
    return _Fail(code, message, ((field, value, reason),))


def _now() -> str:
    return dt.datetime.now(SEOUL).isoformat(timespec="milliseconds")


def _fail(e: _Fail) -> JSONResponse:
    return JSONResponse(encode_error(e.code, e.message, e.errors, _now()), 900)


def _refuse(refusal: Refusal, message: str) -> JSONResponse:
    status, body = codec.encode_refusal(refusal, message, _now())
    return JSONResponse(body, status)


def _read(template: Template | None, body: object) -> dict[str, Any]:
    """*body* read with the codec's template; a body that does not fit is HTTP 900 naming the
    field (its last name) and the value sent."""
    assert template is not None
    try:
        return template.parse(body)
    except TemplateMismatch as e:
        raise _mismatch(e, body) from None


def _mismatch(e: TemplateMismatch, body: object) -> _Fail:
    field = e.field.rsplit(".", 1)[-1].split("[", 1)[0]
    value = body.get(field) if isinstance(body, dict) else None
    return _one(_INVALID, "잘못된 요청입니다", field, value, e.problem)


@attrs.define
class CatalogItem:
    """One item (단품) of a goods in the emulator's catalog."""

    item_id: str
    unit_price: int
    on_sale: bool = True
    stock: int = 10


@attrs.define
class _Line:
    goods_no: str
    lost_benefit: int = 0
    cost: tuple[int, int] | None = (
        None  # (refund, extra payment): the rows claimCalculateCostFO wrote
    )


class X2beeEmulator(EmulatorControls):
    """An x2bee emulator: ``.app`` is the ASGI app, ``.store`` the order products.

    Accepts ``Bearer <token>`` (default ``emulator-token``) and the tokens of
    :meth:`issue_token`. Use :meth:`add` and :meth:`add_item` to seed, :meth:`buyer` /
    :meth:`seller` for what x2bee's documented calls do not cover, :meth:`inject` and
    :attr:`faults` for faults.
    """

    def __init__(
        self, *, token: str = DEFAULT_TOKEN, faults: Faults | None = None, seed: int = 0
    ) -> None:
        self.core = EmulatorCore(Marketplace.X2BEE, faults=faults, seed=seed)
        self.codec = codec
        self._token = token
        self._token_valid = True
        self._lines: dict[str, _Line] = {}
        self._catalog: dict[str, dict[str, CatalogItem]] = {}
        self.app = self._make_app()

    def __repr__(self) -> str:
        return f"<X2beeEmulator {len(self.store.records())} order products>"

    # --- the Python control API (not part of x2bee) --------------------------------------------

    def issue_token(self) -> str:
        """A new access token (x2bee issues them elsewhere; here for tests)."""
        return self.core.issue_token()[0]

    def expire_tokens(self) -> None:
        """Every token, the default one included, expires now."""
        super().expire_tokens()
        self._token_valid = False

    def reset(self) -> None:
        """No faults, an empty request log, the default token valid (order products stay)."""
        super().reset()
        self._token_valid = True

    def add(
        self,
        status: Status | str = Status.PAID,
        *,
        goods_no: str | None = None,
        lost_benefit: int = 0,
        stock: int = 10,
        **kw: Any,
    ) -> Record:
        """A new order product in *status* (see :meth:`claimflow.emulators.Store.add`) of goods
        *goods_no*, whose item joins the catalog with *stock*. Cancelling it loses
        *lost_benefit* won of the order's benefits."""
        record = self.store.add(status, **kw)
        op = record.op
        goods = goods_no or f"G{op.id}"
        with self.store.lock:
            self._lines[op.id] = _Line(goods, lost_benefit)
            self._catalog.setdefault(goods, {}).setdefault(
                op.item_id, CatalogItem(op.item_id, op.unit_price, True, stock)
            )
        return record

    def add_item(
        self, goods_no: str, item_id: str, unit_price: int, *, on_sale: bool = True, stock: int = 10
    ) -> CatalogItem:
        """Put an item of goods *goods_no* in the catalog (or replace it)."""
        item = CatalogItem(item_id, unit_price, on_sale, stock)
        with self.store.lock:
            self._catalog.setdefault(goods_no, {})[item_id] = item
        return item

    def catalog(self, goods_no: str) -> list[CatalogItem]:
        """The items of goods *goods_no*."""
        with self.store.lock:
            return list(self._catalog.get(goods_no, {}).values())

    def goods_no(self, order_product_id: str) -> str:
        """The goods number of an order product."""
        return self._line(order_product_id).goods_no

    def set_lost_benefit(self, order_product_id: str, won: int) -> None:
        """What cancelling the order product now loses of the order's benefits."""
        with self.store.lock:
            self._line(order_product_id).lost_benefit = won

    def _line(self, order_product_id: str) -> _Line:
        # an order product added to the store directly gets goods of its own
        with self.store.lock:
            return self._lines.setdefault(order_product_id, _Line(f"G{order_product_id}"))

    def buyer(self, order_product_id: str, action: Action | str, **params: object) -> Applied:
        """The buyer acts in the storefront where x2bee documents no call (e.g. a return)."""
        return self._act(order_product_id, Action(action), Actor.BUYER, params)

    def seller(self, order_product_id: str, action: Action | str, **params: object) -> Applied:
        """The shop's staff act in the back office where x2bee documents no call."""
        return self._act(order_product_id, Action(action), Actor.SELLER, params)

    def system(self, order_product_id: str, action: Action | str) -> Applied:
        """x2bee acts by itself (e.g. ``order.deliver``)."""
        return self._act(order_product_id, Action(action), Actor.SYSTEM, {})

    def wire_status(self, order_product_id: str) -> str:
        """The ``ordDtlStatCd`` x2bee shows now."""
        op = self.store.get(order_product_id).op
        oc = op.open_claim
        return order_status_code(op.status, (oc.type, oc.status) if oc else None)

    def effects(self, order_product_id: str, kind: EffectKind) -> list[int | None]:
        """The amounts of the effects of *kind* carried out for an order product, in order."""
        with self.store.lock:
            return [
                e.amount
                for op_id, _, e in self.store.ledger
                if op_id == order_product_id and e.kind is kind
            ]

    # --- the engine behind every change -------------------------------------------------------

    def _act(
        self, order_product_id: str, action: Action, actor: Actor, params: Mapping[str, object]
    ) -> Applied:
        kwargs: dict[str, Any] = dict(params)
        return self.store.act(order_product_id, action, actor, **kwargs)

    def _act_wire(self, record: Record, action: Action, actor: Actor, **params: object) -> Applied:
        try:
            return self._act(record.op.id, action, actor, params)
        except ActionRefusedError as e:
            errors = tuple(
                (_WIRE_FIELDS.get(r.field, r.field), _show(params.get(r.field)), r.message_ko)
                for r in e.decision.reasons
                if r.field
            )
            raise _Fail("CLAIM_NOT_ALLOWED", e.decision.explain("ko"), errors) from None
        except ClaimflowError as e:
            raise _Fail(_INVALID, str(e)) from None

    # --- rendering ------------------------------------------------------------------------------

    def _claims(self, record: Record) -> Iterator[Claim]:
        op = record.op
        yield from op.closed_claims
        if op.open_claim is not None:
            yield op.open_claim

    def _order_line(self, record: Record) -> codec.OrderLine:
        op = record.op
        return codec.OrderLine(
            op.id,
            record.order_id,
            self.wire_status(op.id),
            self._line(op.id).goods_no,
            op.item_id,
            op.unit_price,
            op.quantity,
            record.name,
            record.ordered_at,
        )

    def _details(self, record: Record) -> dict[str, object]:
        op = record.op
        claims = [codec.ClaimLine(c, record.claim_times.get(c.id)) for c in self._claims(record)]
        return codec.encode_details(
            self._order_line(record),
            claims,
            refunds=self.effects(op.id, EffectKind.REFUND),
            extra_payments=self.effects(op.id, EffectKind.CHARGE_EXTRA),
            delivery=record.delivery,
        )

    def _cost(self, record: Record) -> tuple[int, int]:
        op = record.op
        lost = self._line(op.id).lost_benefit
        net = op.amount - lost
        return (net, 0) if net >= 0 else (0, -net)

    # --- lookups ------------------------------------------------------------------------------

    def _record(self, order_no: object, seq: object) -> Record:
        try:
            record = self.store.get(str(seq))
        except KeyError:
            raise _Fail(
                "NOT_FOUND",
                f"주문내역 {seq}을(를) 찾을 수 없습니다",
                ((_WIRE_FIELDS["order_product_id"], seq, "없음"),),
            ) from None
        if record.order_id != order_no:
            raise _Fail(
                "NOT_FOUND",
                f"주문 {order_no}에 주문내역 {seq}이(가) 없습니다",
                ((_WIRE_FIELDS["order_id"], order_no, "주문번호가 다릅니다"),),
            )
        return record

    def _claim_record(self, order_no: object, claim_no: object) -> Record:
        try:
            record = self.store.by_claim(str(claim_no))
        except KeyError:
            raise _Fail(
                "NOT_FOUND",
                f"클레임 {claim_no}을(를) 찾을 수 없습니다",
                ((_WIRE_FIELDS["claim_id"], claim_no, "없음"),),
            ) from None
        if record.order_id != order_no:
            raise _one(
                "NOT_FOUND",
                f"주문 {order_no}에 클레임 {claim_no}이(가) 없습니다",
                _WIRE_FIELDS["order_id"],
                order_no,
                "주문번호가 다릅니다",
            )
        oc = record.op.open_claim
        if oc is None or oc.id != str(claim_no):
            raise _one(
                "CLAIM_NOT_ALLOWED",
                f"클레임 {claim_no}은(는) 진행 중이 아닙니다",
                _WIRE_FIELDS["claim_id"],
                claim_no,
                "진행 중인 클레임이 아닙니다",
            )
        return record

    # --- the x2bee API --------------------------------------------------------------------------

    async def _api(
        self,
        request: Request,
        kind: str,
        handler: Callable[[object], object],
    ) -> Response:
        body, plan = await self.admit(request, kind)
        token = codec.read_token(request.headers)
        if not (token == self._token and self._token_valid) and not self.core.token_valid(token):
            return _refuse(Refusal.UNAUTHORIZED, "유효하지 않은 토큰입니다")
        if plan.server_error:
            return PlainTextResponse("Service Unavailable", 503)
        if plan.rate_limit:
            response = _refuse(Refusal.RATE_LIMITED, "요청이 너무 많습니다")
            if self.faults.retry_after is not None:
                response.headers["Retry-After"] = str(self.faults.retry_after)
            return response
        try:
            if body is NOT_JSON:
                raise _Fail(_INVALID, "요청 본문이 JSON이 아닙니다")
            payload = handler(body)
        except _Fail as e:
            return _fail(e)
        if plan.drop_after_commit and kind == "write":
            return dropped_response()  # type: ignore[no-any-return]
        if payload is None:
            return Response(status_code=200)  # x2bee answers many writes with no content
        return JSONResponse(payload)

    def _cancel_popup(self, body: object) -> object:
        order_no = _read(READS["cancel_popup"].body, body)["order_id"]
        with self.store.lock:
            records = self.store.of_order(order_no) if isinstance(order_no, str) else []
            if not records:
                raise _Fail("NOT_FOUND", f"주문 {order_no}을(를) 찾을 수 없습니다")
            lines = [
                self._order_line(r)
                for r in records
                if check(r.op, A.CANCEL_REQUEST, Actor.BUYER, reason="-").allowed
            ]
        return codec.encode_cancel_popup(str(order_no), lines)

    def _calculate_cost(self, body: object) -> object:
        data = _read(READS["calculate_cost"].body, body)
        with self.store.lock:
            record = self._record(data["order_id"], data["order_product_id"])
            refund, extra = self._cost(record)
            line = self._line(record.op.id)
            line.cost = (refund, extra)  # the cost rows cancelFO uses
            return codec.encode_cost(
                record.order_id, record.op.id, refund, extra, line.lost_benefit
            )

    def _cancel(self, body: object) -> object:
        data = _read(ROUTES[A.CANCEL_REQUEST].body, body)
        with self.store.lock:
            record = self._record(data["order_id"], data["order_product_id"])
            line = self._line(record.op.id)
            if line.cost is None:
                raise _Fail(
                    "COST_NOT_CALCULATED",
                    "클레임 비용 계산(claimCalculateCostFO)을 먼저 해야 합니다",
                )
            refund, extra = line.cost
            if self._cost(record) != line.cost:
                line.cost = None
                raise _Fail("COST_MISMATCH", "클레임 비용이 바뀌었습니다. 다시 계산하세요")
            sent = (data.get("refund_amount", refund), data.get("extra_payment", extra))
            if sent != (refund, extra):
                errors = tuple(
                    (_WIRE_FIELDS[name], got, f"계산된 금액은 {want}원입니다")
                    for name, got, want in (
                        ("refund_amount", sent[0], refund),
                        ("extra_payment", sent[1], extra),
                    )
                    if got != want
                )
                raise _Fail("COST_MISMATCH", "확인한 금액이 계산된 금액과 다릅니다", errors)
            self._act_wire(
                record,
                A.CANCEL_REQUEST,
                Actor.BUYER,
                reason=data.get("reason"),
                refund_amount=refund,
                extra_payment=extra,
            )
            line.cost = None
        return None

    def _claim_details(self, body: object) -> object:
        data = _read(READS["claim_details"].body, body)
        with self.store.lock:
            return self._details(self._record(data["order_id"], data["order_product_id"]))

    def _other_items(self, body: object) -> object:
        """Every entry of the list read with the codec's template (one ``{goodsNo, itmNo}``)."""
        if not isinstance(body, list) or not body:
            raise _Fail(_INVALID, "요청 본문은 상품과 단품의 목록이어야 합니다")
        out = []
        with self.store.lock:
            for entry in body:
                goods = str(_read(READS["other_items"].body, [entry])["goods_no"])
                items = [
                    CandidateItem(i.item_id, i.unit_price, i.on_sale, i.stock)
                    for i in self._catalog.get(goods, {}).values()
                ]
                out += codec.encode_other_items(goods, items)
        return out

    def _option_change(self, body: object) -> object:
        data = _read(ROUTES[A.OPTION_CHANGE].body, body)
        with self.store.lock:
            record = self._record(data["order_id"], data["order_product_id"])
            items = self._catalog.get(self._line(record.op.id).goods_no, {})
            chosen = data.get("new_item.item_id")
            new = items.get(str(chosen))
            if new is None:
                raise _one(
                    "NOT_FOUND",
                    "변경할 단품이 없습니다",
                    _WIRE_FIELDS["new_item"],
                    chosen,
                    "이 상품의 단품이 아닙니다",
                )
            old_id = record.op.item_id
            candidate = CandidateItem(new.item_id, new.unit_price, new.on_sale, new.stock)
            self._act_wire(record, A.OPTION_CHANGE, Actor.BUYER, new_item=candidate)
            new.stock -= record.op.quantity  # the stock moves from the new item to the old one
            if old_id in items:
                items[old_id].stock += record.op.quantity
        return None

    def _withdraw_status(self, body: object) -> object:
        try:
            steps, targets = codec.decode_pickup(body)
        except TemplateMismatch as e:
            raise _mismatch(e, body) from None
        current = codec.PICKUP_STEPS[next(iter(steps.values()))][0]
        with self.store.lock:
            records = []
            for ids in targets:
                record = self._claim_record(ids.get("order_id"), ids.get("claim_id"))
                if record.op.id != str(ids.get("order_product_id")):
                    raise _one(
                        "NOT_FOUND",
                        "클레임의 주문내역이 아닙니다",
                        _WIRE_FIELDS["order_product_id"],
                        ids.get("order_product_id"),
                        "클레임과 다릅니다",
                    )
                if self.wire_status(record.op.id) != current:
                    raise _Fail(
                        "CLAIM_NOT_ALLOWED",
                        f"현재 주문내역상태가 {self.wire_status(record.op.id)}입니다",
                        ((codec.ORDER_STATUS_FIELD, current, "현재 상태와 다릅니다"),),
                    )
                records.append(record)
            for record in records:
                oc = record.op.open_claim
                action = steps.get(oc.type) if oc is not None else None
                if action is None:
                    raise _Fail(
                        "CLAIM_NOT_ALLOWED",
                        "반품 또는 교환 클레임이 진행 중이 아닙니다",
                        (
                            (
                                _WIRE_FIELDS["claim_id"],
                                oc.id if oc else None,
                                "반품/교환 클레임이 아닙니다",
                            ),
                        ),
                    )
                self._act_wire(record, action, Actor.SELLER)
        return None

    def _refund_bundle(self, body: object) -> object:
        # the body is read with the codec's own template (ordNo, claimNo, claimBusinessType 22,
        # systemType [doc, §5.3]), one claim per entry
        template = ROUTES[A.RETURN_COMPLETE].body
        assert template is not None
        if not isinstance(body, list) or not body:
            raise _Fail(_INVALID, "요청 본문은 환불 승인 대상의 목록이어야 합니다")
        with self.store.lock:
            records = []
            for entry in body:
                try:
                    ids = template.parse([entry])
                except TemplateMismatch as e:
                    raise _mismatch(e, entry) from None
                record = self._claim_record(ids.get("order_id"), ids.get("claim_id"))
                oc = record.op.open_claim
                assert oc is not None
                # the guide: only a return (OM003 20), and only once the item is 회수완료 (36)
                if (
                    oc.type is not ClaimType.RETURN
                    or record.op.status is not Status.RETURN_COLLECTED
                ):
                    raise _Fail(
                        "CLAIM_NOT_ALLOWED",
                        "반품 클레임이고 회수완료인 주문내역만 환불 승인할 수 있습니다",
                        (
                            (
                                _WIRE_FIELDS["claim_id"],
                                ids.get("claim_id"),
                                "반품 회수완료가 아닙니다",
                            ),
                        ),
                    )
                records.append(record)
            for record in records:
                # the guide: the return is refunded as the claim's cost calculation settles it
                # (the line's price less its lost benefit, or an extra payment), as a cancel is
                refund, extra = self._cost(record)
                self._act_wire(
                    record,
                    A.RETURN_COMPLETE,
                    Actor.SELLER,
                    refund_amount=refund,
                    extra_payment=extra,
                )
        return None

    # --- the emulator's own control API (not part of x2bee) -------------------------------------

    async def _control_add(self, request: Request) -> Response:
        data = await request.json()
        ordered_at = data.get("ordered_at")
        record = self.add(
            data.get("status", "PAID"),
            id=data.get("id"),
            order_id=data.get("order_id"),
            ordered_at=dt.datetime.fromisoformat(ordered_at) if ordered_at else None,
            unit_price=data.get("unit_price", 12_000),
            quantity=data.get("quantity", 1),
            item_id=data.get("item_id"),
            goods_no=data.get("goods_no"),
            lost_benefit=data.get("lost_benefit", 0),
        )
        return JSONResponse(self._state(record), 201)

    async def _control_item(self, request: Request) -> Response:
        data = await request.json()
        item = self.add_item(
            request.path_params["goods_no"],
            data["item_id"],
            data["unit_price"],
            on_sale=data.get("on_sale", True),
            stock=data.get("stock", 10),
        )
        return JSONResponse(attrs.asdict(item), 201)

    async def _control_act(self, request: Request) -> Response:
        data = await request.json()
        op_id = request.path_params["order_product_id"]
        try:
            self._act(
                op_id,
                Action(data["action"]),
                Actor(data.get("actor", "BUYER")),
                data.get("params", {}),
            )
        except KeyError:
            return JSONResponse({"error": f"unknown order product {op_id!r}"}, 404)
        except ActionRefusedError as e:
            return JSONResponse({"refused": e.decision.explain()}, 409)
        return JSONResponse(self._state(self.store.get(op_id)))

    async def _control_state(self, request: Request) -> Response:
        try:
            record = self.store.get(request.path_params["order_product_id"])
        except KeyError:
            return JSONResponse({"error": "unknown order product"}, 404)
        return JSONResponse(self._state(record))

    async def _control_token(self, _request: Request) -> Response:
        token, ttl = self.core.issue_token()
        return JSONResponse(control_answer({"access_token": token, "expires_in": ttl}), 201)

    def _state(self, record: Record) -> dict[str, object]:
        op = record.op
        ids = {"order_id": record.order_id, "goods_no": self._line(op.id).goods_no}
        ids["item_id"] = op.item_id
        return self.state_answer(record, ids, {"wire_status": self.wire_status(op.id)})

    def _make_app(self) -> Starlette:
        api = self.endpoint

        def path(url_path: str, host: str) -> str:
            return f"/api/{host}{url_path}"

        writes: dict[Action, Callable[[object], object]] = {
            A.CANCEL_REQUEST: self._cancel,
            A.OPTION_CHANGE: self._option_change,
            A.RETURN_APPROVE: self._withdraw_status,  # one path for the four pickup steps
            A.RETURN_COMPLETE: self._refund_bundle,
        }
        reads: dict[str, Callable[[object], object]] = {
            "cancel_popup": self._cancel_popup,
            "calculate_cost": self._calculate_cost,
            "claim_details": self._claim_details,
            "other_items": self._other_items,
        }
        routes = [
            Route(path(ROUTES[a].path, ROUTES[a].host), api("write", h), methods=["POST"])
            for a, h in writes.items()
        ] + [
            Route(path(READS[n].path, READS[n].host), api("read", h), methods=["POST"])
            for n, h in reads.items()
        ] + [
            Route("/_emulator/order-products", self._control_add, methods=["POST"]),
            Route("/_emulator/order-products/{order_product_id}", self._control_state,
                  methods=["GET"]),
            Route("/_emulator/order-products/{order_product_id}/actions", self._control_act,
                  methods=["POST"]),
            Route("/_emulator/goods/{goods_no}/items", self._control_item, methods=["POST"]),
            Route("/_emulator/tokens", self._control_token, methods=["POST"]),
            *self.control_routes(),
        ]  # fmt: skip
        app = Starlette(routes=routes)
        app.state.emulator = self
        return app


def _show(value: object) -> object:
    if isinstance(value, CandidateItem):
        return value.item_id
    return value


def make_app(
    *, faults: Faults | None = None, seed: int = 0, orders: int = 0, token: str = DEFAULT_TOKEN
) -> Starlette:
    """An x2bee emulator app with *orders* seeded order products (random statuses, some buyer
    claims, some lost benefits, from *seed*); it accepts ``Bearer <token>``."""
    emulator = X2beeEmulator(token=token, faults=faults, seed=seed)
    seed_orders(emulator, orders)
    return emulator.app


def seed_orders(emulator: X2beeEmulator, count: int) -> None:
    """*count* order products in random statuses, some with a buyer return or exchange request
    and a second item to change to, from the seeded RNG."""
    rng = emulator.core.rng
    today = dt.datetime.now(SEOUL).replace(microsecond=0)
    starts = [Status.PAID, Status.PREPARING, Status.SHIPPING, Status.DELIVERED]
    requests = {Status.SHIPPING: ClaimType.RETURN, Status.DELIVERED: ClaimType.EXCHANGE}
    for _ in range(count):
        status = rng.choice(starts)
        ordered = today - dt.timedelta(days=rng.randrange(0, 14), minutes=rng.randrange(0, 1440))
        price = rng.randrange(1, 100) * 1000
        record = emulator.add(
            status,
            ordered_at=ordered,
            unit_price=price,
            lost_benefit=rng.choice([0, 0, 3000, price + 2000]),
        )
        op = record.op
        emulator.add_item(emulator.goods_no(op.id), f"{op.item_id}-ALT", price, stock=5)
        claim = requests.get(status)
        if claim is not None and rng.random() < 0.5:
            emulator.buyer(op.id, f"{claim.value.lower()}.request", reason="고객 요청")


# --- wiring (the same names in every emulator module; see claimflow.emulators.MODULES) ---------

__all__ += [  # the wiring names, kept apart from the emulator's own
    "CREDENTIALS",
    "MARKETPLACE",
    "adapter_urls",
    "make_emulator",
    "seed_order_product",
]


MARKETPLACE = Marketplace.X2BEE

#: The token the emulator accepts by default, in ``adapters.x2bee.CREDENTIAL_ENV`` order.
#: `claimflow emulate --help` reads it from this source (the emulators extra unimported): keep it
#: one line of string literals or of this module's string constants.
CREDENTIALS = (DEFAULT_TOKEN,)


def make_emulator(*, faults: Faults | None = None, seed: int = 0) -> X2beeEmulator:
    """An x2bee emulator with the default :data:`CREDENTIALS`."""
    return X2beeEmulator(faults=faults, seed=seed)


def adapter_urls(root: str) -> dict[str, str]:
    """The URL keywords of ``adapters.x2bee.make_client`` for this emulator served at *root*
    (one server stands in for the order, BO and goods hosts)."""
    return {
        "order_url": root + "/api/order",
        "bo_url": root + "/api/bo",
        "goods_url": root + "/api/goods",
    }


def seed_order_product(
    emulator: X2beeEmulator, op: OrderProduct, *, keep_id: bool = False
) -> tuple[Record, OrderRef]:
    """Seed *op* in *emulator*: its status, item, price, quantity and payment (not its claims).
    The emulator numbers it, or with *keep_id* it keeps ``op.id`` as its order line. Returns the
    record and where the adapter finds it (x2bee needs the order number beside the line)."""
    record = emulator.add(
        op.status,
        id=op.id if keep_id else None,
        item_id=op.item_id,
        unit_price=op.unit_price,
        quantity=op.quantity,
        payment_channel=op.payment_channel,
        auto_refundable=op.auto_refundable,
    )
    return record, OrderRef(record.op.id, record.order_id)
