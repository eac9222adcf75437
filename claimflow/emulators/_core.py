"""What every marketplace emulator shares: the store, fault injection, tokens, the request log,
and running an app under uvicorn on 127.0.0.1.

The store holds order products and changes them only through :func:`claimflow.apply`, so an
emulator refuses exactly what the engine refuses (each marketplace module renders the refusal in
its own envelope). Faults are an attrs value (:class:`Faults`: rates drawn from a seeded RNG,
latency, token lifetime) plus one-shot scripted faults (:meth:`EmulatorCore.inject`) for tests.

Not part of any marketplace's API: everything here is for tests, demos and benchmarks.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import random
import secrets
import socket
import threading
import time
from collections.abc import Iterator, Mapping, MutableMapping
from enum import StrEnum
from typing import Any

import attrs
import uvicorn

from .._engine import apply, example_params
from .._params import KST
from .._values import Applied, Effect, OrderProduct
from .._vocab import Action, Actor, EffectKind, Marketplace, PaymentChannel, Status
from ..exceptions import InvalidInputError

__all__ = [
    "ConnectionDropped",
    "EmulatorCore",
    "Fault",
    "FaultPlan",
    "Faults",
    "LoggedRequest",
    "Record",
    "RunningServer",
    "Store",
    "dropped_response",
    "serve",
    "serve_in_thread",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]


# --- faults ---------------------------------------------------------------------------------------


def _rate(_inst: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        msg = f"{attribute.name}: a rate between 0 and 1, got {value!r}"
        raise InvalidInputError(msg, field=attribute.name)


@attrs.frozen
class Faults:
    """Fault injection for every request, drawn from the emulator's seeded RNG.

    ``latency`` seconds before each API answer; ``error_rate``: share of API requests answered
    with HTTP 503 *before* anything is done; ``rate_limit_rate``: share answered with the
    marketplace's rate-limit answer (``retry_after`` seconds in a ``Retry-After`` header when
    set); ``drop_after_commit_rate``: share of writes carried out whose connection is then dropped
    before the answer; ``partial_failure_rate``: share of items of a batch refused (imweb);
    ``token_ttl``: lifetime of issued tokens in seconds.
    """

    latency: float = 0.0
    error_rate: float = attrs.field(default=0.0, validator=_rate)
    rate_limit_rate: float = attrs.field(default=0.0, validator=_rate)
    drop_after_commit_rate: float = attrs.field(default=0.0, validator=_rate)
    partial_failure_rate: float = attrs.field(default=0.0, validator=_rate)
    retry_after: float | None = None
    token_ttl: int = 3600


class Fault(StrEnum):
    """A one-shot fault a test scripts with :meth:`EmulatorCore.inject`."""

    SERVER_ERROR = "server_error"  # HTTP 503 before anything is done
    RATE_LIMIT = "rate_limit"  # the marketplace's rate-limit answer
    DROP_AFTER_COMMIT = "drop_after_commit"  # carry the write out, then drop the connection
    PARTIAL_FAILURE = "partial_failure"  # refuse some items of a batch (imweb)
    LATENCY = "latency"  # wait `Faults.latency` (or 1 s when it is 0) before this answer


@attrs.frozen
class FaultPlan:
    """What happens to one request."""

    latency: float = 0.0
    server_error: bool = False
    rate_limit: bool = False
    drop_after_commit: bool = False
    partial_failure: bool = False


@attrs.frozen
class LoggedRequest:
    """A request the emulator received (never with its Authorization header or form values)."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    json: object = None
    form_keys: tuple[str, ...] = ()


# --- the store ----------------------------------------------------------------------------------


@attrs.define
class Record:
    """One order product the emulator holds, with what the marketplace shows beside it."""

    op: OrderProduct
    order_id: str
    ordered_at: dt.datetime
    name: str
    option_name: str
    claim_times: dict[str, dt.datetime] = attrs.Factory(dict)
    delivery: tuple[str, str] | None = None


# the fulfilment actions that walk a new order product from 결제완료 to a starting status
_WALK: Mapping[Status, tuple[Action, ...]] = {
    Status.PAID: (),
    Status.PREPARING: (Action.ORDER_PREPARE,),
    Status.DELAYED: (Action.ORDER_PREPARE, Action.ORDER_DELAY),
    Status.SHIPPING: (Action.ORDER_SHIP,),
    Status.DELIVERED: (Action.ORDER_SHIP, Action.ORDER_DELIVER),
}
_SYSTEM_ACTIONS = {Action.ORDER_DELIVER}


class Store:
    """Order products by id, changed only through :func:`claimflow.apply`. Thread-safe."""

    def __init__(self, marketplace: Marketplace, *, claim_id_start: int = 145_000) -> None:
        self.marketplace = marketplace
        self.lock = threading.RLock()
        self.version = 0  # bumps on every change (for caches of derived views)
        self._records: dict[str, Record] = {}
        self._claims: dict[str, str] = {}  # claim id -> order product id
        self._next_claim = claim_id_start
        self._next_id = 1
        self.ledger: list[tuple[str, Action, Effect]] = []  # effects carried out, in order

    def add(
        self,
        status: Status | str = Status.PAID,
        *,
        id: str | None = None,
        order_id: str | None = None,
        ordered_at: dt.datetime | None = None,
        unit_price: int = 12_000,
        quantity: int = 1,
        item_id: str | None = None,
        name: str = "상품",
        option_name: str = "기본",
        payment_channel: PaymentChannel | str = PaymentChannel.NORMAL,
        auto_refundable: bool = True,
    ) -> Record:
        """A new order product, walked from 결제완료 to *status* by the fulfilment rules.

        *payment_channel* and *auto_refundable* describe the order's payment (imweb: Naver Pay
        return holds, '자동환불불가' for bank transfer and virtual account)."""
        status = Status(status)
        if status not in _WALK:
            msg = f"an order product starts in one of {', '.join(_WALK)}, not {status}"
            raise InvalidInputError(msg, field="status")
        with self.lock:
            n = self._next_id
            self._next_id += 1
            op_id = id or f"OP{n:07d}"
            if op_id in self._records:
                msg = f"order product {op_id!r} exists"
                raise InvalidInputError(msg, field="id")
            op = OrderProduct(
                op_id,
                self.marketplace,
                Status.PAID,
                item_id or f"ITEM-{n}",
                unit_price,
                quantity,
                payment_channel=payment_channel,
                auto_refundable=auto_refundable,
            )
            record = Record(
                op,
                order_id or f"O{n:07d}",
                ordered_at or dt.datetime.now(KST).replace(microsecond=0),
                name,
                option_name,
            )
            self._records[op_id] = record
            for action in _WALK[status]:
                actor = Actor.SYSTEM if action in _SYSTEM_ACTIONS else Actor.SELLER
                self._apply(record, action, actor, example_params(record.op, action), None)
            return record

    def get(self, order_product_id: str) -> Record:
        """The record of *order_product_id* (KeyError when unknown)."""
        with self.lock:
            return self._records[order_product_id]

    def by_claim(self, claim_id: str) -> Record:
        """The record whose order product has (or had) claim *claim_id* (KeyError when unknown)."""
        with self.lock:
            return self._records[self._claims[claim_id]]

    def records(self) -> list[Record]:
        """Every record, in insertion order."""
        with self.lock:
            return list(self._records.values())

    def act(
        self,
        order_product_id: str,
        action: Action | str,
        actor: Actor | str,
        *,
        at: dt.datetime | None = None,
        **params: object,
    ) -> Applied:
        """Apply *action* through the engine (raises :class:`claimflow.ActionRefusedError`)."""
        with self.lock:
            record = self._records[order_product_id]
            return self._apply(record, Action(action), Actor(actor), params, at)

    def refunds(self, order_product_id: str) -> list[int]:
        """The refunds carried out for *order_product_id*, in won."""
        with self.lock:
            return [
                e.amount or 0
                for op_id, _, e in self.ledger
                if op_id == order_product_id and e.kind is EffectKind.REFUND
            ]

    def _apply(
        self,
        record: Record,
        action: Action,
        actor: Actor,
        params: Mapping[str, object],
        at: dt.datetime | None,
    ) -> Applied:
        claim_id = str(self._next_claim)
        kwargs: dict[str, Any] = dict(params)
        done = apply(record.op, action, actor, claim_id=claim_id, **kwargs)
        if done.event.claim_id == claim_id:
            self._next_claim += 1
            self._claims[claim_id] = record.op.id
            record.claim_times[claim_id] = (at or dt.datetime.now(KST)).replace(microsecond=0)
        for effect in done.effects:
            if effect.kind is EffectKind.REGISTER_DELIVERY:
                assert effect.carrier is not None and effect.tracking_number is not None
                record.delivery = (effect.carrier, effect.tracking_number)
            self.ledger.append((record.op.id, action, effect))
        record.op = done.order_product
        self.version += 1
        return done


# --- tokens, the request log, faults: one emulator's shared state ------------------------------


class EmulatorCore:
    """The state one emulator app works on: store, tokens, faults, the request log."""

    def __init__(
        self,
        marketplace: Marketplace,
        *,
        faults: Faults | None = None,
        seed: int = 0,
    ) -> None:
        self.store = Store(marketplace)
        self.faults = faults or Faults()
        self.rng = random.Random(seed)
        self.requests: list[LoggedRequest] = []
        self._tokens: dict[str, float] = {}  # token -> expiry (time.monotonic)
        self.token_history: list[str] = []  # every token issued (tests check none leaks)
        self._scripted: list[list[Any]] = []  # [fault, remaining, on]
        self._lock = threading.Lock()
        self.tokens_issued = 0

    # tokens

    def issue_token(self) -> tuple[str, int]:
        """A new token and its lifetime in seconds."""
        token = secrets.token_urlsafe(24)
        ttl = self.faults.token_ttl
        with self._lock:
            self._tokens[token] = time.monotonic() + ttl
            self.token_history.append(token)
            self.tokens_issued += 1
        return token, ttl

    def token_valid(self, token: str) -> bool:
        """Whether *token* was issued here and has not expired."""
        with self._lock:
            expiry = self._tokens.get(token)
        return expiry is not None and time.monotonic() < expiry

    def expire_tokens(self) -> None:
        """Every token issued so far expires now (the next request gets 401)."""
        with self._lock:
            self._tokens.clear()

    # faults

    def inject(self, fault: Fault | str, *, times: int = 1, on: str = "any") -> None:
        """Script *fault* for the next *times* requests of kind *on*: any, read or write."""
        if on not in {"any", "read", "write"}:
            msg = f"on: one of any, read, write, not {on!r}"
            raise InvalidInputError(msg, field="on")
        with self._lock:
            self._scripted.append([Fault(fault), times, on])

    def reset_faults(self) -> None:
        """No faults: default :class:`Faults`, nothing scripted."""
        with self._lock:
            self.faults = Faults()
            self._scripted.clear()

    def plan(self, kind: str) -> FaultPlan:
        """The faults for one API request of *kind* (``read`` or ``write``)."""
        f = self.faults
        chosen: set[Fault] = set()
        with self._lock:
            for entry in self._scripted:
                fault, remaining, on = entry
                if remaining > 0 and on in {"any", kind} and fault not in chosen:
                    if (
                        fault in {Fault.DROP_AFTER_COMMIT, Fault.PARTIAL_FAILURE}
                        and kind != "write"
                    ):
                        continue
                    chosen.add(fault)
                    entry[1] -= 1
            self._scripted = [e for e in self._scripted if e[1] > 0]
            draw = self.rng.random
            if f.error_rate and draw() < f.error_rate:
                chosen.add(Fault.SERVER_ERROR)
            if f.rate_limit_rate and draw() < f.rate_limit_rate:
                chosen.add(Fault.RATE_LIMIT)
            if kind == "write" and f.drop_after_commit_rate and draw() < f.drop_after_commit_rate:
                chosen.add(Fault.DROP_AFTER_COMMIT)
            if kind == "write" and f.partial_failure_rate and draw() < f.partial_failure_rate:
                chosen.add(Fault.PARTIAL_FAILURE)
        latency = f.latency
        if Fault.LATENCY in chosen and not latency:
            latency = 1.0
        return FaultPlan(
            latency=latency,
            server_error=Fault.SERVER_ERROR in chosen,
            rate_limit=Fault.RATE_LIMIT in chosen,
            drop_after_commit=Fault.DROP_AFTER_COMMIT in chosen,
            partial_failure=Fault.PARTIAL_FAILURE in chosen,
        )

    def log(self, entry: LoggedRequest) -> None:
        """Remember a request (for tests that check request shapes)."""
        with self._lock:
            self.requests.append(entry)


# --- dropping a connection after the commit -----------------------------------------------------


#: the body of a request that is not JSON (see :meth:`EmulatorControls.admit`)
NOT_JSON = object()


class EmulatorControls:
    """The control API every emulator shares, in Python and over HTTP (not part of any marketplace).

    An emulator sets ``self.core`` and adds :meth:`control_routes` to its Starlette routes.
    """

    core: EmulatorCore

    @property
    def store(self) -> Store:
        """The order products."""
        return self.core.store

    @property
    def faults(self) -> Faults:
        """The fault rates and latency in force."""
        return self.core.faults

    @faults.setter
    def faults(self, value: Faults) -> None:
        self.core.faults = value

    def inject(self, fault: Fault | str, *, times: int = 1, on: str = "any") -> None:
        """Script a one-shot fault (see :meth:`EmulatorCore.inject`)."""
        self.core.inject(fault, times=times, on=on)

    def expire_tokens(self) -> None:
        """Every token issued so far expires now."""
        self.core.expire_tokens()

    def reset(self) -> None:
        """No faults, an empty request log (the order products stay)."""
        self.core.reset_faults()
        self.core.requests.clear()

    async def admit(self, request: Any, kind: str) -> tuple[object, FaultPlan]:
        """Read and log a marketplace request, then draw its faults and wait out their latency.

        The body is the parsed JSON, None when empty, or :data:`NOT_JSON` when unparseable.
        """
        raw = await request.body()
        try:
            body: object = json.loads(raw) if raw else None
        except ValueError:
            body = NOT_JSON
        self.core.log(
            LoggedRequest(
                request.method,
                request.url.path,
                tuple(request.query_params.multi_items()),
                None if body is NOT_JSON else body,
            )
        )
        plan = self.core.plan(kind)
        await sleep(plan.latency)
        return body, plan

    async def _api(self, request: Any, kind: str, handler: Any) -> Any:
        raise NotImplementedError  # each emulator answers in its marketplace's envelope

    def endpoint(self, kind: str, handler: Any) -> Any:
        """A Starlette endpoint serving *handler* through the emulator's envelope (``_api``).

        *kind* is ``read`` or ``write``: which faults apply.
        """

        async def serve(request: Any) -> Any:
            return await self._api(request, kind, handler)

        return serve

    def control_routes(self) -> list[Any]:
        """``POST /_emulator/faults`` and ``POST /_emulator/tokens/expire``."""
        from starlette.routing import Route  # noqa: PLC0415 - the core runs without starlette

        return [
            Route("/_emulator/faults", self._control_faults, methods=["POST"]),
            Route("/_emulator/tokens/expire", self._control_expire, methods=["POST"]),
        ]

    async def _control_faults(self, request: Any) -> Any:
        from starlette.responses import JSONResponse  # noqa: PLC0415

        data = await request.json()
        if "inject" in data:
            self.inject(data["inject"], times=data.get("times", 1), on=data.get("on", "any"))
        else:
            self.faults = Faults(**data)
        return JSONResponse({"faults": attrs.asdict(self.faults)})

    async def _control_expire(self, _request: Any) -> Any:
        from starlette.responses import JSONResponse  # noqa: PLC0415

        self.expire_tokens()
        return JSONResponse({"expired": True})


class ConnectionDropped(Exception):  # noqa: N818 - it is what happens, not an error of the caller
    """Raised in the ASGI send path: the server closes the connection mid-answer."""


def dropped_response() -> Any:
    """An ASGI response that starts an answer and then drops the connection.

    Under uvicorn the client sees the connection closed before the body is complete
    (``httpx.RemoteProtocolError``): the change was made, the answer never arrived.
    """

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"512")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"resultType":', "more_body": True})
        msg = "emulator: committed, then dropped the connection (fault injection)"
        raise ConnectionDropped(msg)

    return app


# --- running an app -----------------------------------------------------------------------------


@attrs.frozen
class RunningServer:
    """An emulator served by uvicorn in a background thread; ``url`` is its base URL."""

    url: str
    port: int
    server: uvicorn.Server = attrs.field(repr=False)


def serve(app: Any, port: int, *, host: str = "127.0.0.1") -> None:
    """Serve *app* with uvicorn on *host*:*port* until interrupted."""
    uvicorn.run(app, host=host, port=port, log_level="info")


@contextlib.contextmanager
def serve_in_thread(
    app: Any, *, port: int = 0, host: str = "127.0.0.1", timeout: float = 10.0
) -> Iterator[RunningServer]:
    """Serve *app* with uvicorn in a background thread (port 0: a free one) while in the block."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    actual = sock.getsockname()[1]
    config = uvicorn.Config(
        app, host=host, port=actual, log_level="warning", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"emulator:{actual}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            msg = f"the emulator did not start on {host}:{actual}"
            raise RuntimeError(msg)
        time.sleep(0.01)
    try:
        yield RunningServer(f"http://{host}:{actual}", actual, server)
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()


async def sleep(seconds: float) -> None:
    """Wait *seconds* (fault latency) without blocking the server."""
    if seconds > 0:
        await asyncio.sleep(seconds)
