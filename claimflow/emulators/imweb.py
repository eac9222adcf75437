"""An imweb (shop API v2) emulator: a Starlette app on top of the claimflow engine.

Serves ``POST /v2/auth`` (``key`` and ``secret`` as JSON) and, under ``/v2/shop``, the order list
(``GET /orders``), the item orders of an order (``GET /orders/{order_no}/prod-orders``) and every
claim action (``PATCH /orders/{order_no}/{cancel|return|exchange}/{status}``) of
``shared/spec/marketplaces.md`` §2, in imweb's envelope ``{msg, code, request_count, version,
data}``. Orders hold several item orders; each is one claimflow order product with the id
``"{order_no}:{prod_order_no}"`` (:class:`claimflow.adapters.imweb.ImwebRef`).

Quirks of the emulator (not of imweb; [inferred] where imweb's sources are silent):

- every answer but an injected outage (HTTP 503) is HTTP 200, its status in the body ``code``
  ([doc]: "HTTP status codes … are carried in the body"); a missing, bad or expired token is
  ``-2``, an injected rate limit ``-7`` ("TOO MANY REQUEST"), a malformed request ``-10``, an
  unknown order ``-11``;
- an action is carried out item by item through the engine: the items it refuses are listed in
  ``data.failed`` with ``msg`` and the engine's Korean explanation as ``detail_msg`` (``msg``
  '자동환불불가' when the payment cannot be refunded automatically), the others go through and
  their order is in ``data.success`` (partial success); an order whose every item failed is only in
  ``failed``. The ``partial_failure`` fault refuses the last item of a call;
- imweb's calls do not carry every parameter the engine takes: the emulator supplies the reason of
  ``return/withhold`` and ``exchange/reject``; the reason of ``exchange/withhold`` is its
  ``reason_detail`` (else its ``reason_code``); ``exchange/resend`` supports ``method`` DELIVERY
  only (the engine needs a carrier and a tracking number);
- a hold is not shown (imweb documents no field for it, §5.2): a held claim shows its underlying
  ``claim_status``; an order's 매체 (normal, npay) is not a field either, only the ``type``
  filter of ``GET /orders`` selects it; ``payment.pay_type`` ``virtual`` / ``cash`` /
  ``easy_payment_virtual`` / ``manual``: no automatic refund [inferred];
- the action bodies are read with the codec (:mod:`claimflow.adapters.codecs.imweb`):
  ``parcel_code`` must be a carrier code of ``CARRIER_CODES``;
- the buyer's requests, the payment gateway's refund outcome and delivery are not seller calls:
  tests make them happen with :meth:`ImwebEmulator.buyer`, :meth:`ImwebEmulator.system` or
  ``POST /_emulator/order-products/{id}/actions`` (``actor`` ``SYSTEM`` for the gateway).
  Every path under ``/_emulator/`` is the emulator's own control API, **not part of imweb**.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from .._params import ImwebReasonCode
from .._values import Applied, OrderProduct
from .._vocab import SEOUL, Action, Actor, Marketplace, PaymentChannel, Status
from ..adapters import OrderRef
from ..adapters.codecs import Refusal
from ..adapters.codecs import imweb as codec
from ..adapters.codecs.imweb import (
    ACTION_ROUTES,
    NO_AUTO_REFUND_PAY_TYPES,
    ActionRoute,
    ImwebRef,
    ImwebRequestError,
    WireState,
    wire_state,
)
from ..exceptions import ActionRefusedError, ClaimflowError, InvalidInputError
from ._core import (
    EMPTY_RUN,
    NOT_JSON,
    EmulatorControls,
    EmulatorCore,
    FaultPlan,
    Faults,
    LoggedRequest,
    Record,
    SortedRun,
    control_answer,
    dropped_response,
    read_json,
)

__all__ = ["ImwebEmulator", "Order", "make_app", "seed_orders"]

A = Action
PREFIX = "/v2/shop"
_AUTO_REFUND_GUARD = "AUTO_REFUND_IMPOSSIBLE"  # the engine's guard code
_MALFORMED = codec.REFUSALS[Refusal.MALFORMED][1]  # -10 [doc]
#: engine parameters imweb's calls do not carry: the emulator supplies them (a quirk)
_GIVEN: dict[Action, dict[str, str]] = {
    A.RETURN_HOLD: {"reason": "반품 보류"},
    A.EXCHANGE_REJECT: {"reason": "교환 거부"},
}


#: An API handler: the request, its JSON body (None when empty) and the faults planned for it.
Handler = Callable[[Request, object, FaultPlan], Awaitable[object]]


class _Fail(Exception):  # noqa: N818 - an imweb error answer, not an error of the emulator
    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


@attrs.define
class Order:
    """One imweb order (주문서) the emulator holds, with its item orders (order product ids)."""

    order_no: str
    ordered_at: dt.datetime
    order_type: PaymentChannel
    pay_type: str
    items: list[str] = attrs.Factory(list)


#: the order list's filters an index is kept for: (order type or None, (filter, value) or None)
_ListKey = tuple[str | None, tuple[str, str] | None]


def _order_stamp(order: Order) -> float:
    return order.ordered_at.timestamp()


#: The key and secret the emulator accepts by default, in ``adapters.imweb.CREDENTIAL_ENV``
#: order: not secrets.
#: `claimflow emulate --help` reads it from this source (the emulators extra unimported): keep it
#: one line of string literals or of this module's string constants.
CREDENTIALS = ("emulator-key", "emulator-secret")


class ImwebEmulator(EmulatorControls):
    """An imweb emulator: ``.app`` is the ASGI app, ``.store`` the order products.

    Credentials default to :data:`CREDENTIALS` (``emulator-key`` / ``emulator-secret``). Use
    :meth:`add_order` for orders, :meth:`buyer` and :meth:`system` for what imweb's storefront
    and payment gateway do, :meth:`inject` and :attr:`faults` for faults, :meth:`expire_tokens`
    for token expiry mid-run.
    """

    def __init__(
        self,
        *,
        key: str = CREDENTIALS[0],
        secret: str = CREDENTIALS[1],
        faults: Faults | None = None,
        seed: int = 0,
    ) -> None:
        self.core = EmulatorCore(Marketplace.IMWEB, faults=faults, seed=seed)
        self.codec = codec
        self._key = key
        self._secret = secret
        self._orders: dict[str, Order] = {}
        self._order_seq = itertools.count(1)
        self._request_count = itertools.count(1)
        # the order list's index, for the (store version, order count) it was built from
        self._list_index: tuple[tuple[int, int], dict[_ListKey, SortedRun[Order]]] = ((-1, 0), {})
        self.app = self._make_app()

    def __repr__(self) -> str:
        return f"<ImwebEmulator {len(self._orders)} orders>"

    # --- the Python control API (not part of imweb) -------------------------------------------

    def add_order(
        self,
        *statuses: Status | str,
        order_no: str | None = None,
        order_type: PaymentChannel | str = PaymentChannel.NORMAL,
        pay_type: str = "card",
        ordered_at: dt.datetime | None = None,
        unit_price: int = 12_000,
        quantity: int = 1,
        name: str = "상품",
    ) -> Order:
        """A new order with one item order per status in *statuses* (default: one, 결제완료).

        ``pay_type`` ``virtual`` or ``cash`` cannot be refunded automatically ('자동환불불가').
        """
        channel = PaymentChannel(order_type)
        when = ordered_at or dt.datetime.now(SEOUL).replace(microsecond=0)
        with self.store.lock:
            number = order_no or f"{when.astimezone(SEOUL):%Y%m%d}{next(self._order_seq):07d}"
            if number in self._orders or ":" in number:
                msg = f"order number {number!r} exists or is not a number"
                raise InvalidInputError(msg, field="order_no")
            order = Order(number, when, channel, pay_type)
            for i, status in enumerate(statuses or (Status.PAID,), start=1):
                ref = ImwebRef(number, f"{number}{i:02d}")
                self.store.add(
                    status,
                    id=ref.id,
                    order_id=number,
                    ordered_at=when,
                    unit_price=unit_price,
                    quantity=quantity,
                    item_id=f"P{i:04d}",
                    name=f"{name} {i}",
                    payment_channel=channel,
                    auto_refundable=pay_type not in NO_AUTO_REFUND_PAY_TYPES,
                )
                order.items.append(ref.id)
            self._orders[number] = order
            return order

    def order(self, order_no: str) -> Order:
        """The order *order_no* (KeyError when unknown)."""
        with self.store.lock:
            return self._orders[order_no]

    def orders(self) -> list[Order]:
        """Every order, in the order they were added."""
        with self.store.lock:
            return list(self._orders.values())

    def buyer(
        self,
        order_product_id: str,
        action: Action | str,
        *,
        at: dt.datetime | None = None,
        **params: object,
    ) -> Applied:
        """The buyer acts in the imweb storefront (a cancel, return or exchange request)."""
        return self.store.act(order_product_id, action, Actor.BUYER, at=at, **params)

    def system(self, order_product_id: str, action: Action | str) -> Applied:
        """imweb or its payment gateway acts (``cancel.refund_succeeded`` /
        ``cancel.refund_failed``, ``return.refund_succeeded`` / ``return.refund_failed``,
        ``order.deliver``)."""
        return self.store.act(order_product_id, action, Actor.SYSTEM)

    def wire(self, order_product_id: str) -> WireState:
        """What imweb shows for *order_product_id* now."""
        return wire_state(self.store.get(order_product_id).op)

    # --- rendering ------------------------------------------------------------------------------

    def _envelope(self, code: int, msg: str, data: object) -> JSONResponse:
        count = next(self._request_count)
        if code == 200:
            return JSONResponse(codec.encode_success(data, count))
        return JSONResponse(codec.encode_fail(code, msg, count))

    def _refuse(self, refusal: Refusal, msg: str) -> JSONResponse:
        status, body = codec.encode_refusal(refusal, msg, next(self._request_count))
        return JSONResponse(body, status)

    def _order_row(self, order: Order) -> dict[str, object]:
        amount = sum(self.store.get(i).op.amount for i in order.items)
        return codec.encode_order(order.order_no, order.ordered_at, order.pay_type, amount)

    def _item_row(self, record: Record) -> dict[str, object]:
        return codec.encode_item_order(
            record.op, ordered_at=record.ordered_at, name=record.name, delivery=record.delivery
        )

    # --- the imweb API --------------------------------------------------------------------------

    async def _auth(self, request: Request) -> Response:
        raw = await request.body()
        body = read_json(raw) if raw else {}  # under the emulators' limits (issue 13)
        keys = tuple(sorted(body)) if isinstance(body, dict) else ()
        self.core.log(LoggedRequest("POST", request.url.path, (), None, keys))
        if not isinstance(body, dict) or not body.get("key") or not body.get("secret"):
            return self._refuse(Refusal.MALFORMED, "key와 secret이 필요합니다")
        if body["key"] != self._key or body["secret"] != self._secret:
            return self._envelope(-1, "유효하지 않은 키입니다", None)
        token, _ttl = self.core.issue_token()
        return JSONResponse(codec.encode_token(token))

    async def _api(
        self,
        request: Request,
        kind: str,
        handler: Handler,
    ) -> Response:
        body, plan = await self.admit(request, kind)
        if not self.core.token_valid(codec.read_token(request.headers)):
            return self._refuse(Refusal.UNAUTHORIZED, "유효하지 않거나 만료된 토큰입니다")
        if plan.server_error:
            return PlainTextResponse("Service Unavailable", 503)
        if plan.rate_limit:
            response = self._refuse(Refusal.RATE_LIMITED, "TOO MANY REQUEST")
            if self.faults.retry_after is not None:
                response.headers["Retry-After"] = str(self.faults.retry_after)
            return response
        if body is NOT_JSON:
            return self._refuse(Refusal.MALFORMED, "요청 본문이 JSON이 아닙니다")
        try:
            payload = await handler(request, body, plan)
        except _Fail as e:
            return self._envelope(e.code, e.msg, None)
        if plan.drop_after_commit and kind == "write":
            return dropped_response()  # type: ignore[no-any-return]
        return self._envelope(200, "SUCCESS", payload)

    async def _orders_list(self, request: Request, _body: object, _plan: FaultPlan) -> object:
        q = request.query_params
        names = codec.ORDERS_QUERY
        page = _int(q.get(names["page"]), names["page"], 1, 1_000_000, 1)
        limit = _int(q.get(names["size"]), names["size"], 1, codec.PAGE_MAX, codec.PAGE_DEFAULT)
        filters = [(f, q[names[f]]) for f in codec.ORDERS_FILTERS if q.get(names[f])]
        if len(filters) > 1:
            one_of = ", ".join(names[f] for f in codec.ORDERS_FILTERS)
            given = [names[f] for f, _ in filters]
            raise _Fail(_MALFORMED, f"{one_of} 중 하나만 지정하세요: {given}")
        since = _int(q.get(names["since"]), names["since"], 0, 2**40, 0)
        until = _int(q.get(names["until"]), names["until"], 0, 2**40, 2**40)
        order_type = q.get(names["channel"])
        with self.store.lock:
            run = self._indexed_orders().get((order_type, filters[0] if filters else None))
            orders, total = (run or EMPTY_RUN).page(since, until, (page - 1) * limit, limit)
            rows = [self._order_row(o) for o in orders]
        return codec.encode_order_list(rows, total=total, page=page, page_size=limit)

    def _indexed_orders(self) -> dict[_ListKey, SortedRun[Order]]:
        """The order list's index: for each order type (and none) and each filter value an item
        order shows (and none), the orders by order time, keyed by its unix time (the query's
        dates). Built again after the store changed: a write costs the next page one
        O(N log N) rebuild, pages in between O(log N + page)."""
        with self.store.lock:
            built, index = self._list_index
            if built == (self.store.version, len(self._orders)):
                return index
            runs: dict[_ListKey, list[Order]] = {}
            for order in sorted(self._orders.values(), key=lambda o: (o.ordered_at, o.order_no)):
                states = [wire_state(self.store.get(i).op) for i in order.items]
                shown = {
                    (name, value)
                    for w in states
                    for name in codec.ORDERS_FILTERS
                    if isinstance(value := getattr(w, name), str)
                }
                for channel in (None, order.order_type.value):
                    for key in (None, *sorted(shown)):
                        runs.setdefault((channel, key), []).append(order)
            index = {key: SortedRun.of(run, _order_stamp) for key, run in runs.items()}
            self._list_index = ((self.store.version, len(self._orders)), index)
            return index

    async def _prod_orders(self, request: Request, _body: object, _plan: FaultPlan) -> object:
        order_no = request.path_params["order_no"]
        with self.store.lock:
            order = self._orders.get(order_no)
            if order is None:
                raise _Fail(-11, f"주문 {order_no}을(를) 찾을 수 없습니다")
            return [self._item_row(self.store.get(i)) for i in order.items]

    async def _action(self, request: Request, body: object, plan: FaultPlan) -> object:
        order_no = request.path_params["order_no"]
        group, verb = request.path_params["group"], request.path_params["verb"]
        route = ACTION_ROUTES.get((group, verb))
        if route is None:
            raise _Fail(_MALFORMED, f"알 수 없는 처리 상태: {group}/{verb}")
        with self.store.lock:
            order = self._orders.get(order_no)
            if order is None:
                raise _Fail(-11, f"주문 {order_no}을(를) 찾을 수 없습니다")
            action, prods, per_item = _params(route, body, order)
            failed: list[tuple[str, str, str]] = []
            for i, prod in enumerate(prods):
                op_id = ImwebRef(order_no, prod).id
                if op_id not in order.items:
                    failed.append((prod, "품목주문을 찾을 수 없습니다", ""))
                elif plan.partial_failure and i == len(prods) - 1:
                    failed.append((prod, "처리할 수 없습니다", "emulator: injected"))
                else:
                    problem = self._act(op_id, action, {**_GIVEN.get(action, {}), **per_item[prod]})
                    if problem is not None:
                        failed.append((prod, *problem))
        return codec.encode_action_result(order_no, len(prods), failed)

    def _act(self, op_id: str, action: Action, params: dict[str, Any]) -> tuple[str, str] | None:
        try:
            self.store.act(op_id, action, Actor.SELLER, **params)
        except ActionRefusedError as e:
            msg = (
                "자동환불불가"
                if _AUTO_REFUND_GUARD in e.decision.codes
                else "처리할 수 없는 상태입니다"
            )
            return msg, e.decision.explain("ko")
        except ClaimflowError as e:
            return "잘못된 요청입니다", str(e)
        return None

    # --- the emulator's own control API (not part of imweb) ------------------------------------

    async def _control_add(self, request: Request) -> Response:
        data = await request.json()
        ordered_at = data.get("ordered_at")
        order = self.add_order(
            *data.get("statuses", ["PAID"]),
            order_no=data.get("order_no"),
            order_type=data.get("order_type", "normal"),
            pay_type=data.get("pay_type", "card"),
            ordered_at=dt.datetime.fromisoformat(ordered_at) if ordered_at else None,
            unit_price=data.get("unit_price", 12_000),
            quantity=data.get("quantity", 1),
        )
        return JSONResponse(
            control_answer(
                {"order_no": order.order_no, "items": [self._state(i) for i in order.items]}
            ),
            201,
        )

    async def _control_act(self, request: Request) -> Response:
        data = await request.json()
        op_id = request.path_params["order_product_id"]
        actor = Actor(data.get("actor", "BUYER"))
        try:
            self.store.act(op_id, data["action"], actor, **data.get("params", {}))
        except KeyError:
            return JSONResponse({"error": f"unknown order product {op_id!r}"}, 404)
        except ActionRefusedError as e:
            return JSONResponse({"refused": e.decision.explain()}, 409)
        except ClaimflowError as e:
            return JSONResponse({"error": str(e)}, 400)
        return JSONResponse(self._state(op_id))

    async def _control_state(self, request: Request) -> Response:
        try:
            return JSONResponse(self._state(request.path_params["order_product_id"]))
        except KeyError:
            return JSONResponse({"error": "unknown order product"}, 404)

    def _state(self, op_id: str) -> dict[str, object]:
        record = self.store.get(op_id)
        wire = {"wire": attrs.asdict(wire_state(record.op))}
        return self.state_answer(record, {"order_no": record.order_id}, wire)

    def _make_app(self) -> Starlette:
        api = self.endpoint
        p = PREFIX
        routes = [
            Route("/v2/auth", self._auth, methods=["POST"]),
            Route(f"{p}/orders", api("read", self._orders_list), methods=["GET"]),
            Route(
                f"{p}/orders/{{order_no}}/prod-orders",
                api("read", self._prod_orders),
                methods=["GET"],
            ),
            Route(
                f"{p}/orders/{{order_no}}/{{group}}/{{verb}}",
                api("write", self._action),
                methods=["PATCH"],
            ),
            Route("/_emulator/orders", self._control_add, methods=["POST"]),
            Route(
                "/_emulator/order-products/{order_product_id}",
                self._control_state,
                methods=["GET"],
            ),
            Route(
                "/_emulator/order-products/{order_product_id}/actions",
                self._control_act,
                methods=["POST"],
            ),
            *self.control_routes(),
        ]
        app = Starlette(routes=routes)
        app.state.emulator = self
        return app


def _int(value: str | None, name: str, low: int, high: int, default: int) -> int:
    if value is None:
        return default
    try:
        n = int(value)
    except ValueError:
        n = low - 1
    if not low <= n <= high:
        raise _Fail(_MALFORMED, f"{name}: {low}~{high} 사이의 정수여야 합니다: {value!r}")
    return n


def _params(
    route: ActionRoute, body: object, order: Order
) -> tuple[Action, list[str], dict[str, dict[str, Any]]]:
    """The codec's reading of an action body (``prod_order_no`` absent: every item order of
    *order*); ``-10`` for a malformed one."""
    prods = [ImwebRef.parse(i).prod_order_no for i in order.items]
    try:
        return codec.decode_request(route, body, prods)
    except ImwebRequestError as e:
        raise _Fail(_MALFORMED, str(e)) from None


def make_app(
    *, faults: Faults | None = None, seed: int = 0, orders: int = 0, **credentials: str
) -> Starlette:
    """An imweb emulator app with *orders* seeded orders (random statuses and buyer claims, from
    *seed*); the ``claimflow emulate imweb`` factory."""
    emulator = ImwebEmulator(faults=faults, seed=seed, **credentials)
    seed_orders(emulator, orders)
    return emulator.app


def seed_orders(emulator: ImwebEmulator, count: int) -> None:
    """*count* orders of one to three item orders in random statuses, some paid by Naver Pay or
    virtual account, some items with a buyer request, from the seeded RNG."""
    rng = emulator.core.rng
    today = dt.datetime.now(SEOUL).replace(microsecond=0)
    starts = [Status.PAID, Status.PREPARING, Status.SHIPPING, Status.DELIVERED]
    requests = {
        Status.PAID: "cancel.request",
        Status.PREPARING: "cancel.request",
        Status.SHIPPING: "return.request",
        Status.DELIVERED: "exchange.request",
    }
    for _ in range(count):
        statuses = [rng.choice(starts) for _ in range(rng.randint(1, 3))]
        order = emulator.add_order(
            *statuses,
            order_type=rng.choice([PaymentChannel.NORMAL, PaymentChannel.NPAY]),
            pay_type=rng.choice(["card", "card", "virtual"]),
            ordered_at=today - dt.timedelta(days=rng.randrange(0, 14)),
            unit_price=rng.randrange(1, 100) * 1000,
        )
        for op_id, status in zip(order.items, statuses, strict=True):
            if rng.random() < 0.4:
                code = rng.choice(list(ImwebReasonCode))
                emulator.buyer(op_id, requests[status], reason_code=code)


# --- wiring (the same names in every emulator module; see claimflow.emulators.MODULES) ---------

__all__ += [  # the wiring names, kept apart from the emulator's own
    "CREDENTIALS",
    "MARKETPLACE",
    "adapter_urls",
    "make_emulator",
    "seed_order_product",
]


MARKETPLACE = Marketplace.IMWEB


def make_emulator(*, faults: Faults | None = None, seed: int = 0) -> ImwebEmulator:
    """An imweb emulator with the default :data:`CREDENTIALS`."""
    return ImwebEmulator(faults=faults, seed=seed)


def adapter_urls(root: str) -> dict[str, str]:
    """The URL keywords of ``adapters.imweb.make_client`` for this emulator served at *root*."""
    return {"base_url": root + PREFIX, "auth_url": root + "/v2/auth"}


def seed_order_product(
    emulator: ImwebEmulator, op: OrderProduct, *, keep_id: bool = False
) -> tuple[Record, OrderRef]:
    """Seed *op* in *emulator* as a new order of one item order: its status, price, quantity and
    payment (not its claims). imweb knows the payment by the order: its 매체 (``order_type``;
    Naver Pay is listed with ``type=npay``) and a ``pay_type`` that cannot be refunded
    automatically (virtual account) for ``auto_refundable=False``. The emulator numbers the order,
    or with *keep_id* ``op.id`` becomes the order number (the item order is numbered after it:
    claimflow's id ``"{op.id}:{op.id}01"``). Returns the record and where the adapter finds it."""
    order = emulator.add_order(
        op.status,
        order_no=op.id if keep_id else None,
        order_type=op.payment_channel,
        pay_type="card" if op.auto_refundable else "virtual",
        unit_price=op.unit_price,
        quantity=op.quantity,
    )
    record = emulator.store.get(order.items[0])
    return record, OrderRef(record.op.id, order.order_no)
