"""A Toss Shopping ("shopping-fep") emulator: a Starlette app on top of the claimflow engine.

Serves ``POST /token`` (client credentials, form-encoded) and, under ``/api/v3/shopping-fep``,
the claims list, the orders list (``orders/v2``), every claim action and seller cancel of
``shared/spec/marketplaces.md`` §1, with Toss's envelopes: HTTP 200 and ``resultType``
``SUCCESS``/``FAIL`` for answers, ``TOO_MANY_REQUEST`` as 200 + FAIL, HTTP 401 for a missing,
bad or expired token, HTTP 503 for an injected outage.

Quirks of the emulator (not of Toss; [inferred] where Toss's sources are silent):

- a refusal by the engine is ``FAIL`` with ``errorCode`` ``INVALID_REQUEST`` and the engine's
  Korean explanation as ``reason``; an unknown claim or order product is ``CLAIM_NOT_FOUND`` /
  ``ORDER_PRODUCT_NOT_FOUND``; unknown body fields are ``INVALID_REQUEST``;
- the claims list takes windows of at most 7 days, the orders list at most 31 days apart;
- order rows carry ``productId`` [inferred] beside the documented fields;
- buyer actions (requests, withdrawals) are not part of the seller API: tests make them happen
  with :meth:`TossEmulator.buyer` or ``POST /_emulator/order-products/{id}/actions``. Every path
  under ``/_emulator/`` is the emulator's own control API, **not part of Toss**.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from .._values import Applied, Claim, OrderProduct
from .._vocab import SEOUL, Action, Actor, ClaimType, Marketplace, Status
from ..adapters import OrderRef
from ..adapters.codecs import DecodedAction, Refusal, TemplateMismatch
from ..adapters.codecs import toss as codec
from ..exceptions import ActionRefusedError, ClaimflowError
from ._core import (
    EMPTY_RUN,
    NOT_JSON,
    EmulatorControls,
    EmulatorCore,
    Faults,
    LoggedRequest,
    Record,
    SortedRun,
    dropped_response,
)

__all__ = ["TossEmulator", "make_app", "seed_orders"]

A = Action
_INVALID = codec.REFUSALS[Refusal.MALFORMED][1]  # INVALID_REQUEST [client, §5.1]


class _Fail(Exception):  # noqa: N818 - a Toss FAIL answer, not an error of the emulator
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _success(payload: object) -> JSONResponse:
    return JSONResponse(codec.encode_success(payload))


def _fail(code: str, reason: str) -> JSONResponse:
    return JSONResponse(codec.encode_fail(code, reason))


def _refuse(refusal: Refusal, reason: str) -> JSONResponse:
    status, body = codec.encode_refusal(refusal, reason)
    return JSONResponse(body, status)


def _date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _Fail(_INVALID, f"{name}: yyyy-MM-dd 형식이어야 합니다: {value!r}") from None


def _int(value: str | None, name: str, low: int, high: int, default: int) -> int:
    if value is None:
        return default
    try:
        n = int(value)
    except ValueError:
        n = low - 1
    if not low <= n <= high:
        raise _Fail(_INVALID, f"{name}: {low}~{high} 사이의 정수여야 합니다: {value!r}")
    return n


@attrs.frozen
class _ClaimRow:
    requested_at: dt.datetime
    claim: Claim
    record: Record


def _claim_order(row: _ClaimRow) -> tuple[dt.datetime, str]:
    """The claims list's order: by request time, then claim id."""
    return row.requested_at, row.claim.id


def _request_day(row: _ClaimRow) -> dt.date:
    return row.requested_at.date()


@attrs.frozen
class _ClaimIndex:
    """The claims list's queries over one version of the store: every claim by request day, by
    (claim type, Toss claim status code) for the type-and-status filter, and by order id."""

    every: SortedRun[_ClaimRow]
    by_code: dict[tuple[str, str], SortedRun[_ClaimRow]]
    by_order: dict[str, list[_ClaimRow]]


@attrs.frozen
class _OrderIndex:
    """The orders list over one version of the store: records by order time, keyed by the
    order's day in Seoul (the day the query's dates name)."""

    every: SortedRun[Record]


#: The client id and secret the emulator accepts by default, in ``adapters.toss.CREDENTIAL_ENV``
#: order: not secrets.
#: `claimflow emulate --help` reads it from this source (the emulators extra unimported): keep it
#: one line of string literals or of this module's string constants.
CREDENTIALS = ("emulator-client", "emulator-secret")


class TossEmulator(EmulatorControls):
    """A Toss Shopping emulator: ``.app`` is the ASGI app, ``.store`` the order products.

    Credentials default to :data:`CREDENTIALS` (``emulator-client`` / ``emulator-secret``). Use
    :meth:`buyer` to make buyer requests happen, :meth:`inject` and :attr:`faults` for faults,
    :meth:`expire_tokens` for token expiry mid-run.
    """

    def __init__(
        self,
        *,
        client_id: str = CREDENTIALS[0],
        client_secret: str = CREDENTIALS[1],
        faults: Faults | None = None,
        seed: int = 0,
    ) -> None:
        self.core = EmulatorCore(Marketplace.TOSS, faults=faults, seed=seed)
        self.codec = codec
        self._client_id = client_id
        self._client_secret = client_secret
        # the list queries' indexes, each for the store version it was built from
        self._claim_index: tuple[int, _ClaimIndex | None] = (-1, None)
        self._order_index: tuple[int, _OrderIndex | None] = (-1, None)
        self.app = self._make_app()

    def __repr__(self) -> str:
        return f"<TossEmulator {len(self.store.records())} order products>"

    # --- the Python control API (not part of Toss) --------------------------------------------

    def add(self, status: Status | str = Status.PAID, **kw: Any) -> Record:
        """A new order product in *status* (see :meth:`claimflow.emulators.Store.add`)."""
        return self.core.store.add(status, **kw)

    def buyer(
        self,
        order_product_id: str,
        action: Action | str,
        *,
        at: dt.datetime | None = None,
        **params: object,
    ) -> Applied:
        """The buyer acts in the Toss app (a request or a withdrawal)."""
        return self.core.store.act(order_product_id, action, Actor.BUYER, at=at, **params)

    def system(self, order_product_id: str, action: Action | str) -> Applied:
        """Toss acts by itself (e.g. ``order.deliver``)."""
        return self.core.store.act(order_product_id, action, Actor.SYSTEM)

    def wire_status(self, order_product_id: str) -> str:
        """The ``orderProductStatus`` Toss shows now."""
        op = self.store.get(order_product_id).op
        oc = op.open_claim
        return codec.order_status_code(op.status, (oc.type, oc.status) if oc else None)

    # --- rendering ------------------------------------------------------------------------------

    def _order_row(self, record: Record) -> dict[str, object]:
        return codec.encode_order_row(
            record.op,
            order_id=record.order_id,
            ordered_at=record.ordered_at,
            name=record.name,
            option_name=record.option_name,
            delivery=record.delivery,
        )

    def _claim_item(self, row: _ClaimRow) -> dict[str, object]:
        record = row.record
        return codec.encode_claim_item(
            row.claim,
            record.op,
            requested_at=row.requested_at,
            order_id=record.order_id,
            ordered_at=record.ordered_at,
            name=record.name,
            option_name=record.option_name,
            delivery=record.delivery,
        )

    def _indexed_claims(self) -> _ClaimIndex:
        """The claims list's index, built again after the store changed (a write costs the next
        page one O(N log N) rebuild; pages in between cost O(log N + page))."""
        store = self.core.store
        with store.lock:
            version, index = self._claim_index
            if index is not None and version == store.version:
                return index
            rows = []
            for record in store.records():
                op = record.op
                claims = (*op.closed_claims, *((op.open_claim,) if op.open_claim else ()))
                for claim in claims:
                    at = record.claim_times.get(claim.id)
                    if at is not None:
                        rows.append(_ClaimRow(at, claim, record))
            rows.sort(key=_claim_order)
            by_code: dict[tuple[str, str], list[_ClaimRow]] = {}
            by_order: dict[str, list[_ClaimRow]] = {}
            for row in rows:
                code = codec.claim_status_code(row.claim.type, row.claim.status)
                by_code.setdefault((row.claim.type.value, code), []).append(row)
                by_order.setdefault(row.record.order_id, []).append(row)
            index = _ClaimIndex(
                SortedRun.of(rows, _request_day),
                {key: SortedRun.of(run, _request_day) for key, run in by_code.items()},
                by_order,
            )
            self._claim_index = (store.version, index)
            return index

    def _indexed_orders(self) -> _OrderIndex:
        """The orders list's index, built again after the store changed."""
        store = self.core.store
        with store.lock:
            version, index = self._order_index
            if index is not None and version == store.version:
                return index
            records = sorted(store.records(), key=lambda r: (r.ordered_at, r.op.id))
            index = _OrderIndex(
                SortedRun.of(records, lambda r: r.ordered_at.astimezone(SEOUL).date())
            )
            self._order_index = (store.version, index)
            return index

    # --- the Toss API ---------------------------------------------------------------------------

    async def _token(self, request: Request) -> Response:
        form = await request.form()
        self.core.log(LoggedRequest("POST", request.url.path, (), None, tuple(sorted(form.keys()))))
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, 400)
        if (
            form.get("client_id") != self._client_id
            or form.get("client_secret") != self._client_secret
        ):
            return JSONResponse({"error": "invalid_client"}, 401)
        scope = form.get("scope")
        if scope is not None and scope != codec.SCOPE:
            return JSONResponse({"error": "invalid_scope"}, 400)
        token, ttl = self.core.issue_token()
        return JSONResponse(codec.encode_token(token, ttl))

    async def _api(
        self,
        request: Request,
        kind: str,
        handler: Callable[[Request, object], Awaitable[object]],
    ) -> Response:
        body, plan = await self.admit(request, kind)
        if not self.core.token_valid(codec.read_token(request.headers)):
            return _refuse(Refusal.UNAUTHORIZED, "유효하지 않거나 만료된 토큰입니다")
        if plan.server_error:
            return PlainTextResponse("Service Unavailable", 503)
        if plan.rate_limit:
            response = _refuse(Refusal.RATE_LIMITED, "요청이 너무 많습니다")
            if self.faults.retry_after is not None:
                response.headers["Retry-After"] = str(self.faults.retry_after)
            return response
        if body is NOT_JSON:
            return _refuse(Refusal.MALFORMED, "요청 본문이 JSON이 아닙니다")
        try:
            payload = await handler(request, body)
        except _Fail as e:
            return _fail(e.code, e.reason)
        if plan.drop_after_commit and kind == "write":
            return dropped_response()  # type: ignore[no-any-return]
        return _success(payload)

    async def _claims(self, request: Request, _body: object) -> object:
        q = request.query_params
        names = codec.CLAIMS_QUERY
        claim_type = q.get(names["claim_type"])
        if claim_type is not None and claim_type not in codec.CLAIM_TYPES:
            raise _Fail(_INVALID, f"{names['claim_type']}: 알 수 없는 값 {claim_type!r}")
        status = q.get(names["claim_status"])
        if (claim_type is None) != (status is None):  # [client, §5.1]: only together
            both = f"{names['claim_type']}과 {names['claim_status']}"
            raise _Fail(_INVALID, f"{both}는 함께 지정해야 합니다")
        since = _date(q.get(names["since"]), names["since"])
        until = _date(q.get(names["until"]), names["until"])
        if since and until and (until - since).days >= codec.CLAIMS_WINDOW_DAYS:
            raise _Fail(_INVALID, f"조회 기간은 최대 {codec.CLAIMS_WINDOW_DAYS}일입니다")
        order_ids = set(filter(None, (q.get(names["order_ids"]) or "").split(",")))
        size = _int(
            q.get(names["size"]), names["size"], 1, codec.CLAIMS_PAGE_MAX, codec.CLAIMS_PAGE_MAX
        )
        start = _offset(q.get(names["cursor"]))
        with self.store.lock:
            index = self._indexed_claims()
            if order_ids:  # a few orders: their claims, then the other filters
                mine = [r for order_id in order_ids for r in index.by_order.get(order_id, ())]
                run = SortedRun.of(
                    sorted(
                        (
                            r
                            for r in mine
                            if claim_type is None
                            or (r.claim.type.value, self._code(r)) == (claim_type, status)
                        ),
                        key=_claim_order,
                    ),
                    _request_day,
                )
            elif claim_type is None:
                run = index.every
            else:
                assert status is not None  # only together (above)
                run = index.by_code.get((claim_type, status), EMPTY_RUN)
            page, total = run.page(since, until, start, size)
            items = [self._claim_item(r) for r in page]
        has_next = start + size < total
        return codec.encode_claims_page(items, f"t{start + size}" if has_next else None)

    @staticmethod
    def _code(row: _ClaimRow) -> str:
        return codec.claim_status_code(row.claim.type, row.claim.status)

    async def _orders(self, request: Request, _body: object) -> object:
        q = request.query_params
        names = codec.ORDERS_QUERY
        since = _date(q.get(names["since"]), names["since"])
        until = _date(q.get(names["until"]), names["until"])
        if since is None or until is None:
            raise _Fail(_INVALID, f"{names['since']}와 {names['until']}는 필수입니다")
        if not 0 <= (until - since).days <= codec.ORDERS_WINDOW_DAYS:
            raise _Fail(_INVALID, f"조회 기간은 최대 {codec.ORDERS_WINDOW_DAYS}일입니다")
        limit = _int(
            q.get(names["size"]), names["size"], 1, codec.ORDERS_PAGE_MAX, codec.ORDERS_PAGE_MAX
        )
        start = _offset(q.get(names["cursor"]), "c")
        with self.store.lock:
            records, total = self._indexed_orders().every.page(since, until, start, limit)
            page = [self._order_row(r) for r in records]
        more = start + limit < total
        return codec.encode_orders_page(page, f"c{start + limit}" if more else None)

    def _decode(self, request: Request, body: object) -> DecodedAction:
        try:
            decoded = codec.decode_action(request.method, request.url.path, body)
        except TemplateMismatch as e:
            raise _Fail(_INVALID, f"잘못된 요청 본문: {e}") from None
        if decoded is None:
            raise _Fail(_INVALID, f"알 수 없는 요청: {request.url.path}")
        return decoded

    async def _claim_action(self, request: Request, body: object) -> object:
        decoded = self._decode(request, body)
        claim_id = str(decoded.ids["claim_id"])
        try:
            record = self.store.by_claim(claim_id)
        except KeyError:
            raise _Fail("CLAIM_NOT_FOUND", f"클레임 {claim_id}을(를) 찾을 수 없습니다") from None
        with self.store.lock:
            oc = record.op.open_claim
            if oc is None or oc.id != claim_id:
                raise _Fail(_INVALID, f"클레임 {claim_id}은(는) 진행 중이 아닙니다")
            self._act(record, decoded.action, dict(decoded.params))
        return {}

    def _record(self, op_id: str) -> Record:
        try:
            return self.store.get(op_id)
        except KeyError:
            msg = f"주문상품 {op_id}을(를) 찾을 수 없습니다"
            raise _Fail("ORDER_PRODUCT_NOT_FOUND", msg) from None

    async def _seller_cancel(self, request: Request, body: object) -> object:
        decoded = self._decode(request, body)
        record = self._record(str(decoded.ids["order_product_id"]))
        self._act(record, decoded.action, dict(decoded.params))
        return {}

    async def _status_change(self, request: Request, body: object) -> object:
        """``PUT /orders/products/status``: per-item results, at most 100 ids [client]."""
        try:
            calls = codec.split_status_call(body)
        except TemplateMismatch as e:
            raise _Fail(_INVALID, f"잘못된 요청 본문: {e}") from None
        failed: dict[str, str] = {}
        for one in calls:
            decoded = self._decode(request, one)
            op_id = str(decoded.ids["order_product_id"])
            try:
                record = self._record(op_id)
                self._act(record, decoded.action, dict(decoded.params))
            except _Fail as e:
                failed[op_id] = e.reason
        return codec.encode_status_result(len(calls), failed)

    async def _invoice(self, request: Request, body: object) -> object:
        decoded = self._decode(request, body)
        record = self._record(str(decoded.ids["order_product_id"]))
        self._act(record, decoded.action, dict(decoded.params))
        return {}

    async def _one(self, request: Request, _body: object) -> object:
        record = self._record(request.path_params["order_product_id"])
        with self.store.lock:
            return self._order_row(record)

    def _act(self, record: Record, action: Action, params: dict[str, Any]) -> None:
        try:
            self.store.act(record.op.id, action, Actor.SELLER, **params)
        except ActionRefusedError as e:
            raise _Fail(_INVALID, e.decision.explain("ko")) from None
        except ClaimflowError as e:
            raise _Fail(_INVALID, str(e)) from None

    # --- the emulator's own control API (not part of Toss) -------------------------------------

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
        )
        return JSONResponse(self._state(record), 201)

    async def _control_act(self, request: Request) -> Response:
        data = await request.json()
        op_id = request.path_params["order_product_id"]
        try:
            self.store.act(
                op_id, data["action"], data.get("actor", "BUYER"), **data.get("params", {})
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

    def _state(self, record: Record) -> dict[str, object]:
        ids = {"order_id": record.order_id, "ordered_at": record.ordered_at.isoformat()}
        return self.state_answer(record, ids, {"wire_status": self.wire_status(record.op.id)})

    def _make_app(self) -> Starlette:
        api = self.endpoint
        p = codec.API_PREFIX
        routes = [
            Route("/token", self._token, methods=["POST"]),
            Route(f"{p}/claims", api("read", self._claims), methods=["GET"]),
            Route(f"{p}/orders/v2", api("read", self._orders), methods=["GET"]),
            Route(
                f"{p}/claims/{{claim_id}}/{{group}}/{{verb}}",
                api("write", self._claim_action),
                methods=["POST"],
            ),
            Route(
                f"{p}/orders/products/status",
                api("write", self._status_change),
                methods=["PUT"],
            ),
            Route(f"{p}/orders/products/delivery", api("write", self._invoice), methods=["PUT"]),
            Route(
                f"{p}/orders/products/{{order_product_id}}", api("read", self._one), methods=["GET"]
            ),
            Route(
                f"{p}/order-products/{{order_product_id}}/seller-cancel",
                api("write", self._seller_cancel),
                methods=["POST"],
            ),
            Route("/_emulator/order-products", self._control_add, methods=["POST"]),
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


def _offset(token: str | None, prefix: str = "t") -> int:
    if token is None:
        return 0
    if not token.startswith(prefix) or not (token[1:].isascii() and token[1:].isdigit()):
        raise _Fail(_INVALID, f"잘못된 페이지 토큰: {token!r}")
    return int(token[1:])


def make_app(
    *, faults: Faults | None = None, seed: int = 0, orders: int = 0, **credentials: str
) -> Starlette:
    """A Toss emulator app with *orders* seeded order products (random statuses and buyer
    claims, from *seed*)."""
    emulator = TossEmulator(faults=faults, seed=seed, **credentials)
    seed_orders(emulator, orders)
    return emulator.app


def seed_orders(emulator: TossEmulator, count: int) -> None:
    """*count* order products in random statuses, some with a buyer claim, from the seeded RNG."""
    rng = emulator.core.rng
    today = dt.datetime.now(SEOUL).replace(microsecond=0)
    starts = [Status.PAID, Status.PREPARING, Status.DELAYED, Status.SHIPPING, Status.DELIVERED]
    requests = {
        Status.PREPARING: ClaimType.CANCEL,
        Status.DELAYED: ClaimType.CANCEL,
        Status.SHIPPING: ClaimType.RETURN,
        Status.DELIVERED: ClaimType.EXCHANGE,
    }
    for _ in range(count):
        status = rng.choice(starts)
        ordered = today - dt.timedelta(days=rng.randrange(0, 14), minutes=rng.randrange(0, 1440))
        record = emulator.add(status, ordered_at=ordered, unit_price=rng.randrange(1, 100) * 1000)
        claim = requests.get(status)
        if claim is not None and rng.random() < 0.5:
            emulator.buyer(record.op.id, f"{claim.value.lower()}.request", reason="고객 요청")


# --- wiring (the same names in every emulator module; see claimflow.emulators.MODULES) ---------

__all__ += [  # the wiring names, kept apart from the emulator's own
    "CREDENTIALS",
    "MARKETPLACE",
    "adapter_urls",
    "make_emulator",
    "seed_order_product",
]


MARKETPLACE = Marketplace.TOSS


def make_emulator(*, faults: Faults | None = None, seed: int = 0) -> TossEmulator:
    """A Toss emulator with the default :data:`CREDENTIALS`."""
    return TossEmulator(faults=faults, seed=seed)


def adapter_urls(root: str) -> dict[str, str]:
    """The URL keywords of ``adapters.toss.make_client`` for this emulator served at *root*."""
    return {"base_url": root, "token_url": root + "/token"}


def seed_order_product(
    emulator: TossEmulator, op: OrderProduct, *, keep_id: bool = False
) -> tuple[Record, OrderRef]:
    """Seed *op* in *emulator*: its status, item, price, quantity and payment (not its claims).
    The emulator numbers it, or with *keep_id* it keeps ``op.id`` as its orderProductId. Returns
    the record and where the adapter finds it (the order and the day it was ordered)."""
    record = emulator.add(
        op.status,
        id=op.id if keep_id else None,
        item_id=op.item_id,
        unit_price=op.unit_price,
        quantity=op.quantity,
        payment_channel=op.payment_channel,
        auto_refundable=op.auto_refundable,
    )
    return record, OrderRef(record.op.id, record.order_id, record.ordered_at.date())
