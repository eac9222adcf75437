"""What every marketplace emulator shares: the store, fault injection, tokens, the request log,
the guard in front of every app, and ``serve`` (uvicorn in the foreground; the in-thread server
for tests is :mod:`._serve`).

The store holds order products and changes them only through :func:`claimflow.apply`, so an
emulator refuses exactly what the engine refuses (each marketplace module renders the refusal in
its own envelope). Faults are an attrs value (:class:`Faults`: rates drawn from a seeded RNG,
latency, token lifetime) plus one-shot scripted faults (:meth:`EmulatorCore.inject`) for tests.

Not part of any marketplace's API: everything here is for tests, demos and benchmarks. Still,
emulators are servers people run, so every app is wrapped in one guard (:class:`Guard`): bodies
are bounded, the control API (``/_emulator/...``) checks its token and validates its input before
anything is stored, and no request, however malformed, gets a traceback or a 500 for its input: an
unexpected failure answers in the marketplace's error envelope (its codec's ``encode_refusal``:
nothing here knows a marketplace's wire format). :meth:`EmulatorControls.admit`
checks the credentials *before* it parses a body, parses it under limits, and the request log is
bounded in entries and bytes (a refused request's body is never kept).
"""

from __future__ import annotations

import asyncio
import bisect
import datetime as dt
import ipaddress
import itertools
import json
import logging
import math
import random
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import attrs
import uvicorn

from .._engine import apply, example_params
from .._values import Applied, Effect, OrderProduct
from .._vocab import SEOUL, Action, Actor, EffectKind, Marketplace, PaymentChannel, Status
from ..adapters.codecs import Refusal, parse_json_body
from ..exceptions import ClaimflowError, InvalidInputError

__all__ = [
    "CAMEL_KEYS",
    "EMPTY_RUN",
    "ConnectionDropped",
    "EmulatorCore",
    "Fault",
    "FaultPlan",
    "Faults",
    "Guard",
    "LoggedRequest",
    "Record",
    "RunningServer",
    "SortedRun",
    "Store",
    "WireCodec",
    "control_answer",
    "dropped_response",
    "read_json",
    "serve",
]

if TYPE_CHECKING:
    from starlette.applications import Starlette

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger("claimflow.emulators")

#: the largest request body an emulator reads (bytes); larger ones are refused with 413
MAX_BODY = 1024 * 1024
#: the deepest JSON nesting an emulator parses
MAX_DEPTH = 32
#: the request log keeps at most this many entries and this many bytes of bodies
MAX_LOG_ENTRIES = 10_000
MAX_LOG_BYTES = 8 * 1024 * 1024
#: a body larger than this is logged without its JSON
MAX_LOGGED_BODY = 64 * 1024
#: the header carrying the control token of the ``/_emulator/`` API
CONTROL_TOKEN_HEADER = "x-emulator-control-token"
#: The control API's keys are snake_case, as the Python control API's arguments are. Deprecated
#: (docs/emulators.md, "Deprecated camelCase keys"; this release only, dropped in the next): a
#: request may still spell these keys the old camelCase way (renamed before the checks, a
#: warning logged) and answers still carry the old spelling beside the new one.
CAMEL_KEYS: Mapping[str, str] = {
    "orderId": "order_id",
    "orderNo": "order_no",
    "orderedAt": "ordered_at",
    "unitPrice": "unit_price",
    "itemId": "item_id",
    "goodsNo": "goods_no",
    "lostBenefit": "lost_benefit",
    "orderType": "order_type",
    "payType": "pay_type",
    "onSale": "on_sale",
    # only in answers
    "orderProductId": "order_product_id",
    "openClaim": "open_claim",
    "wireStatus": "wire_status",
    "accessToken": "access_token",
    "expiresIn": "expires_in",
}
_OLD_KEY = {new: old for old, new in CAMEL_KEYS.items()}


class WireCodec(Protocol):
    """What the shared emulator code asks a marketplace's codec (a module of
    :mod:`claimflow.adapters.codecs`): how the marketplace refuses a request before any action,
    and which credential a request carries."""

    def encode_refusal(self, refusal: Refusal, message: str, /) -> tuple[int, dict[str, object]]:
        """The HTTP status and body of a refusal, in the marketplace's envelope."""
        ...

    def read_token(self, headers: Mapping[str, str], /) -> str:
        """The credential *headers* carry, empty when none."""
        ...


# --- faults ---------------------------------------------------------------------------------------


def _rate(_inst: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        msg = f"{attribute.name}: a rate between 0 and 1, got {value!r}"
        raise InvalidInputError(msg, field=attribute.name)


def _seconds(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None and attribute.name == "retry_after":
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= 3600
    ):
        msg = f"{attribute.name}: seconds from 0 to 3600, got {value!r}"
        raise InvalidInputError(msg, field=attribute.name)


def _ttl(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**7:
        msg = f"{attribute.name}: whole seconds from 0 to 10,000,000, got {value!r}"
        raise InvalidInputError(msg, field=attribute.name)


def _is_rate(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        msg = f"{attribute.name}: a rate between 0 and 1, got {value!r}"
        raise InvalidInputError(msg, field=attribute.name)
    _rate(_inst, attribute, float(value))


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

    latency: float = attrs.field(default=0.0, validator=_seconds)
    error_rate: float = attrs.field(default=0.0, validator=_is_rate)
    rate_limit_rate: float = attrs.field(default=0.0, validator=_is_rate)
    drop_after_commit_rate: float = attrs.field(default=0.0, validator=_is_rate)
    partial_failure_rate: float = attrs.field(default=0.0, validator=_is_rate)
    retry_after: float | None = attrs.field(default=None, validator=_seconds)
    token_ttl: int = attrs.field(default=3600, validator=_ttl)


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
    #: whether the request carried valid credentials (a refused one is logged without its body)
    authorized: bool = True


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


T = TypeVar("T")


@attrs.frozen
class SortedRun(Generic[T]):
    """Rows in the order a list answers them, with the key a list query's range filters each
    by (a date, a time): the index of one list query, so that a page of a big store costs
    O(log N + page), not a scan of the store.

    When the keys never decrease along the rows (*ordered*), a range is a slice found by
    bisection. Otherwise (a key that does not follow the rows' order, e.g. a Toss claim time
    given at another UTC offset than the others) the range is a scan, as a list was before it
    had an index: the answer is the same either way.
    """

    rows: Sequence[T]
    keys: Sequence[Any]
    ordered: bool

    @classmethod
    def of(cls, rows: Sequence[T], key: Callable[[T], Any]) -> SortedRun[T]:
        """The run of *rows* (already in list order) keyed by *key*."""
        keys = [key(row) for row in rows]
        return cls(rows, keys, all(a <= b for a, b in itertools.pairwise(keys)))

    def span(self, low: Any, high: Any) -> tuple[Sequence[T], int, int]:
        """The rows whose key is within [*low*, *high*] (None: unbounded), as a sequence and the
        slice ``[start:stop]`` of it that holds them (no copy of the range when *ordered*)."""
        if self.ordered:
            start = 0 if low is None else bisect.bisect_left(self.keys, low)
            stop = len(self.keys) if high is None else bisect.bisect_right(self.keys, high)
            return self.rows, start, max(start, stop)
        kept = [
            row
            for row, key in zip(self.rows, self.keys, strict=True)
            if (low is None or key >= low) and (high is None or key <= high)
        ]
        return kept, 0, len(kept)

    def page(self, low: Any, high: Any, offset: int, size: int) -> tuple[list[T], int]:
        """The *size* rows from *offset* of the range [*low*, *high*], and the range's length."""
        rows, start, stop = self.span(low, high)
        first = start + offset
        return list(rows[first : min(stop, first + size)]), stop - start


#: a run without rows (a query no row matches)
EMPTY_RUN: SortedRun[Any] = SortedRun((), (), True)


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
        self._by_order: dict[str, list[Record]] = {}  # order id -> its records, as added
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
        """A new order product, walked from 결제완료 to *status* by the fulfilment rules, at
        version 0 (the walk is its past: its ledger keeps the walk's effects).

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
                ordered_at or dt.datetime.now(SEOUL).replace(microsecond=0),
                name,
                option_name,
            )
            self._records[op_id] = record
            self._by_order.setdefault(record.order_id, []).append(record)
            self.version += 1  # a new record changes the lists, walked or not
            for action in _WALK[status]:
                actor = Actor.SYSTEM if action in _SYSTEM_ACTIONS else Actor.SELLER
                self._apply(record, action, actor, example_params(record.op, action), None)
            # The walk is how the rules reach *status* (its dates, its delivery): the order
            # product's past at the marketplace, not changes anyone made to it here. Seeded, it is
            # at version 0, as an OrderProduct built at *status* is (an OMS recording it as it
            # comes in agrees with the emulator's version from the start).
            record.op = attrs.evolve(record.op, version=0)
            return record

    def get(self, order_product_id: str) -> Record:
        """The record of *order_product_id* (KeyError when unknown)."""
        with self.lock:
            return self._records[order_product_id]

    def by_claim(self, claim_id: str) -> Record:
        """The record whose order product has (or had) claim *claim_id* (KeyError when unknown)."""
        with self.lock:
            return self._records[self._claims[claim_id]]

    def of_order(self, order_id: str) -> list[Record]:
        """The records of order *order_id*, in the order they were added (none: empty)."""
        with self.lock:
            return list(self._by_order.get(order_id, ()))

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
            record.claim_times[claim_id] = (at or dt.datetime.now(SEOUL)).replace(microsecond=0)
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
        control_token: str | None = None,
    ) -> None:
        self.store = Store(marketplace)
        self.faults = faults or Faults()
        self.rng = random.Random(seed)
        self.requests: list[LoggedRequest] = []
        self._logged_sizes: list[int] = []  # body bytes of each entry of `requests`
        self._logged_bytes = 0
        #: when set, every /_emulator/ request must carry it (header X-Emulator-Control-Token)
        self.control_token = control_token
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
        if fault not in set(Fault):
            msg = f"inject: one of {', '.join(Fault)}, not {fault!r}"
            raise InvalidInputError(msg, field="inject")
        if isinstance(times, bool) or not isinstance(times, int) or not 1 <= times <= 1_000_000:
            msg = f"times: a whole number from 1 to 1,000,000, got {times!r}"
            raise InvalidInputError(msg, field="times")
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

    def log(self, entry: LoggedRequest, size: int = 0) -> None:
        """Remember a request (for tests that check request shapes); *size* is its body's bytes.

        The log keeps the newest :data:`MAX_LOG_ENTRIES` entries within :data:`MAX_LOG_BYTES`.
        """
        with self._lock:
            if len(self._logged_sizes) != len(self.requests):  # the list was cleared by a caller
                self._logged_sizes = [0] * len(self.requests)
                self._logged_bytes = 0
            self.requests.append(entry)
            self._logged_sizes.append(size)
            self._logged_bytes += size
            drop = 0
            while len(self.requests) - drop > MAX_LOG_ENTRIES or (
                self._logged_bytes > MAX_LOG_BYTES and len(self.requests) - drop > 1
            ):
                self._logged_bytes -= self._logged_sizes[drop]
                drop += 1
            if drop:
                del self.requests[:drop]
                del self._logged_sizes[:drop]

    def clear_log(self) -> None:
        """Forget every logged request."""
        with self._lock:
            self.requests.clear()
            self._logged_sizes.clear()
            self._logged_bytes = 0


# --- dropping a connection after the commit -----------------------------------------------------


#: the body of a request that is not JSON (see :meth:`EmulatorControls.admit`)
NOT_JSON = object()


class EmulatorControls:
    """The control API every emulator shares, in Python and over HTTP (not part of any marketplace).

    An emulator sets ``self.core`` and ``self.codec`` (its marketplace's codec module, which
    says how a refusal and a credential look on the wire) and adds :meth:`control_routes` to its
    Starlette routes.
    """

    core: EmulatorCore
    codec: WireCodec

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
        self.core.clear_log()

    def state_answer(
        self, record: Record, ids: Mapping[str, object], wire: Mapping[str, object]
    ) -> dict[str, object]:
        """The control API's answer about one order product: its id, the marketplace's *ids*
        for it, its status, open claim, version, how it shows on the wire (*wire*) and the refunds
        made; in the control API's key convention (:func:`control_answer`)."""
        op = record.op
        return control_answer(
            {
                "order_product_id": op.id,
                **ids,
                "status": op.status.value,
                "open_claim": None
                if op.open_claim is None
                # JSON as before: the claim's requested_at (a datetime, rules.md D1/D4) stays out
                else attrs.asdict(op.open_claim, filter=lambda a, _: a.name != "requested_at"),
                "version": op.version,
                **wire,
                "refunds": self.store.refunds(op.id),
            }
        )

    @property
    def app(self) -> Starlette:
        """The emulator's ASGI app; every request crosses its :class:`Guard` first."""
        return self._app

    @app.setter
    def app(self, app: Starlette) -> None:
        # each emulator assigns its Starlette app here, before it serves anything
        app.add_middleware(Guard, emulator=self)
        self._app = app

    def accepts_token(self, token: str) -> bool:
        """Whether *token* is a credential this emulator accepts on its API."""
        if self.core.token_valid(token):
            return True
        # x2bee's fixed token (the caller gives it; x2bee documents no token endpoint)
        fixed = getattr(self, "_token", None)
        return bool(fixed) and token == fixed and bool(getattr(self, "_token_valid", True))

    def authorized(self, request: Any) -> bool:
        """Whether *request* carries valid credentials in the marketplace's header (the codec's
        ``read_token``: Toss and x2bee ``Authorization: Bearer``, imweb ``access-token``)."""
        token = self.codec.read_token(request.headers)
        return bool(token) and self.accepts_token(token)

    async def admit(self, request: Any, kind: str) -> tuple[object, FaultPlan]:
        """Check the credentials, then read and log a marketplace request, then draw its faults
        and wait out their latency.

        The body is parsed only for an authorized request (under :data:`MAX_DEPTH`; NaN refused):
        the parsed JSON, None when empty or unauthorized, or :data:`NOT_JSON` when unparseable.
        """
        raw = await request.body()
        query = tuple(request.query_params.multi_items())
        if not self.authorized(request):
            entry = LoggedRequest(request.method, request.url.path, query, authorized=False)
            self.core.log(entry)
            return None, FaultPlan()
        body = read_json(raw) if raw else None
        kept = len(raw) <= MAX_LOGGED_BODY and body is not NOT_JSON
        entry = LoggedRequest(request.method, request.url.path, query, body if kept else None)
        self.core.log(entry, len(raw) if kept else 0)
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
        """``{"inject": fault, "times": n, "on": kind}`` scripts a one-shot fault; an object of
        :class:`Faults` fields sets the rates (the others back to their defaults); ``{}`` clears
        every fault. A bad spec is refused with 400 and nothing is stored."""
        from starlette.responses import JSONResponse  # noqa: PLC0415

        data = control_body(await request.body())
        if "inject" in data:
            unknown = sorted(set(data) - {"inject", "times", "on"})
            if unknown:
                msg = f"unknown field(s) of an injected fault: {', '.join(unknown)}"
                raise InvalidInputError(msg, field=unknown[0])
            self.inject(data["inject"], times=data.get("times", 1), on=data.get("on", "any"))
        elif not data:
            self.core.reset_faults()
        else:
            names = {a.name for a in attrs.fields(Faults)}
            unknown = sorted(set(data) - names)
            if unknown:
                msg = f"unknown fault setting(s): {', '.join(unknown)}; known: {', '.join(names)}"
                raise InvalidInputError(msg, field=unknown[0])
            self.faults = Faults(**data)
        return JSONResponse({"faults": attrs.asdict(self.faults)})

    async def _control_expire(self, _request: Any) -> Any:
        """Every token issued so far expires now."""
        from starlette.responses import JSONResponse  # noqa: PLC0415

        self.expire_tokens()
        return JSONResponse({"expired": True})


def read_json(raw: bytes) -> object:
    """The JSON value of *raw* under the emulators' limits, or :data:`NOT_JSON`."""
    try:
        return parse_json_body(raw, max_bytes=MAX_BODY, max_depth=MAX_DEPTH)
    except ValueError:
        return NOT_JSON


# --- the guard every emulator app sits behind ---------------------------------------------------


def control_body(raw: bytes) -> dict[str, Any]:
    """The JSON object of a control request (empty: ``{}``), or :class:`InvalidInputError`."""
    if not raw.strip():
        return {}
    try:
        data = parse_json_body(raw, max_bytes=MAX_BODY, max_depth=MAX_DEPTH)
    except ValueError as e:
        msg = f"the body is not acceptable JSON: {getattr(e, 'problem', e)}"
        raise InvalidInputError(msg, field="body") from None
    if not isinstance(data, dict):
        msg = f"the body must be a JSON object, got {type(data).__name__}"
        raise InvalidInputError(msg, field="body")
    return data


def snake_case_keys(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """*data* with the deprecated camelCase keys of :data:`CAMEL_KEYS` renamed, and the old
    keys it used; a key given both ways is an :class:`InvalidInputError` naming the new one."""
    out: dict[str, Any] = {}
    renamed = []
    for key, value in data.items():
        new = CAMEL_KEYS.get(key, key)
        if new in out or (new != key and new in data):
            msg = f"{new} is given twice ({key} is its deprecated spelling): give {new} only"
            raise InvalidInputError(msg, field=new)
        out[new] = value
        if new != key:
            renamed.append(key)
    return out, renamed


def control_answer(body: Mapping[str, object]) -> dict[str, object]:
    """A control API answer: *body*'s snake_case keys, and beside each one renamed from
    camelCase its old spelling too, for the deprecation release (:data:`CAMEL_KEYS`)."""
    out = dict(body)
    for key, value in body.items():
        if key in _OLD_KEY:
            out[_OLD_KEY[key]] = value
    return out


def _check_control(path: str, data: Mapping[str, Any]) -> None:
    """The fields of the control requests every emulator shares (its own ``/_emulator/`` routes
    read them): types and ranges checked before a handler sees them."""
    spec = _control_spec(path)
    if spec is None:
        return
    unknown = sorted(set(data) - set(spec))
    if unknown:
        msg = f"unknown field(s): {', '.join(unknown)}; known: {', '.join(sorted(spec))}"
        raise InvalidInputError(msg, field=unknown[0])
    for name, check in spec.items():
        if name in data and data[name] is not None:
            check(name, data[name])


def _str(name: str, value: object) -> None:
    if not isinstance(value, str) or not value or len(value) > 200:
        msg = f"{name}: a non-empty string of at most 200 characters, got {value!r:.60}"
        raise InvalidInputError(msg, field=name)


def _won(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**12:
        msg = f"{name}: whole won from 0 to 10^12, got {value!r:.60}"
        raise InvalidInputError(msg, field=name)


def _count(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000:
        msg = f"{name}: a whole number from 1 to 10,000, got {value!r:.60}"
        raise InvalidInputError(msg, field=name)


def _stock(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**6:
        msg = f"{name}: a whole number from 0 to 1,000,000, got {value!r:.60}"
        raise InvalidInputError(msg, field=name)


def _flag(name: str, value: object) -> None:
    if not isinstance(value, bool):
        msg = f"{name}: true or false, got {value!r:.60}"
        raise InvalidInputError(msg, field=name)


def _moment(name: str, value: object) -> None:
    _str(name, value)
    assert isinstance(value, str)
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        msg = f"{name}: an ISO 8601 date-time with its offset, got {value!r:.60}"
        raise InvalidInputError(msg, field=name)


def _statuses(name: str, value: object) -> None:
    if not isinstance(value, list) or not 1 <= len(value) <= 100:
        msg = f"{name}: a list of 1 to 100 statuses, got {value!r:.60}"
        raise InvalidInputError(msg, field=name)
    for item in value:
        _str(name, item)


def _params(name: str, value: object) -> None:
    if not isinstance(value, dict) or len(value) > 50:
        msg = f"{name}: an object of at most 50 parameters, got {value!r:.60}"
        raise InvalidInputError(msg, field=name)
    for key, item in value.items():
        # `at` and the actor are the control API's own arguments, not parameters
        if not key.isidentifier() or key in {"at", "action", "actor", "order_product_id"}:
            msg = f"{name}: {key!r:.60} is not a parameter name"
            raise InvalidInputError(msg, field=name)
        if not isinstance(item, str | int | float | bool | list | dict) and item is not None:
            msg = f"{name}.{key}: not a JSON value"
            raise InvalidInputError(msg, field=f"{name}.{key}")


Check = Callable[[str, object], None]
_ADD: dict[str, Check] = {
    "status": _str,
    "id": _str,
    "order_id": _str,
    "ordered_at": _moment,
    "unit_price": _won,
    "quantity": _count,
    "item_id": _str,
    "goods_no": _str,
    "lost_benefit": _won,
}
_ADD_ORDER: dict[str, Check] = {  # imweb: an order of several item orders
    "statuses": _statuses,
    "order_no": _str,
    "order_type": _str,
    "pay_type": _str,
    "ordered_at": _moment,
    "unit_price": _won,
    "quantity": _count,
}
_ACT: dict[str, Check] = {"action": _str, "actor": _str, "params": _params}
_ITEM: dict[str, Check] = {
    "item_id": _str,
    "unit_price": _won,
    "on_sale": _flag,
    "stock": _stock,
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "actions": ("action",),
    "items": ("item_id", "unit_price"),
}


def _control_spec(path: str) -> dict[str, Check] | None:
    parts = path.strip("/").split("/")
    if parts[1:] == ["order-products"]:
        return _ADD
    if parts[1:] == ["orders"]:
        return _ADD_ORDER
    if len(parts) == 4 and parts[1] == "order-products" and parts[3] == "actions":
        return _ACT
    if len(parts) == 4 and parts[1] == "goods" and parts[3] == "items":
        return _ITEM
    return None


def _required(path: str, data: Mapping[str, Any]) -> None:
    last = path.strip("/").split("/")[-1]
    for name in _REQUIRED.get(last, ()):
        if data.get(name) is None and _control_spec(path) is not None:
            msg = f"{name} is required"
            raise InvalidInputError(msg, field=name)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Guard:
    """The ASGI app in front of an emulator's Starlette app (see the module docstring).

    - a body above :data:`MAX_BODY` bytes: 413, unread beyond the limit;
    - ``/_emulator/...``: the control token when one is set (header
      ``X-Emulator-Control-Token``; x2bee's ``/_emulator/tokens`` otherwise requires the emulator's
      own bearer token); a JSON object with the documented fields and types, else 400;
    - an exception a handler lets escape: the marketplace's error envelope (400 for a
      :class:`~claimflow.ClaimflowError` of the control API, else 500), never a traceback.

    The answers to the marketplace's API are the codec's (``encode_refusal``: ``TOO_LARGE``,
    ``FAILED``); the control API answers ``{"error": ...}``, the emulator's own.
    """

    def __init__(self, app: Any, *, emulator: EmulatorControls) -> None:
        self.inner = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        path: str = scope.get("path", "")
        control = path.startswith("/_emulator/") or path == "/_emulator"
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            raw = await _read_body(receive, MAX_BODY)
            if raw is None:
                too_large = f"the body is larger than {MAX_BODY} bytes"
                await self._refuse(send, Refusal.TOO_LARGE, too_large, control)
                return
            if control:
                refusal, raw = self._check_control(scope, path, raw)
                if refusal is not None:
                    await self._answer(send, *refusal)
                    return
            await self.inner(scope, _replay(raw, receive), tracked_send)
        except ConnectionDropped:
            raise  # the fault injection that drops the connection on purpose
        except Exception as e:
            if started:
                return  # the answer is under way: nothing more can be said
            if control and isinstance(e, ClaimflowError | ValueError | KeyError | TypeError):
                await self._answer(send, 400, _said(e))
                return
            log.warning("emulator: %s %s failed: %s", scope.get("method"), path, type(e).__name__)
            log.debug("emulator: the failure", exc_info=True)  # for the server's operator only
            failed = "the emulator failed answering this request"
            await self._refuse(send, Refusal.FAILED, failed, control)

    def _check_control(
        self, scope: Scope, path: str, raw: bytes
    ) -> tuple[tuple[int, str] | None, bytes]:
        """The refusal of a control request (None: none), and its body as the handler reads it
        (deprecated camelCase keys renamed)."""
        refusal = self._refusal(scope, path)
        if refusal is not None or scope.get("method") != "POST" or _control_spec(path) is None:
            return refusal, raw
        try:
            data, renamed = snake_case_keys(control_body(raw))
            _check_control(path, data)
            _required(path, data)
        except InvalidInputError as e:
            return (400, str(e)), raw
        if not renamed:
            return None, raw
        new = ", ".join(CAMEL_KEYS[k] for k in renamed)
        log.warning("emulator: deprecated control key(s) %s: use %s", ", ".join(renamed), new)
        return None, json.dumps(data).encode()

    def _refusal(self, scope: Scope, path: str) -> tuple[int, str] | None:
        """401 for a control request without the control token (or x2bee's credentials)."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        wanted = self.emulator.core.control_token
        given = headers.get(CONTROL_TOKEN_HEADER, "")
        has_control = wanted is not None and secrets.compare_digest(
            given.encode("utf-8", "replace"), wanted.encode()
        )
        if wanted is not None and not has_control:
            return 401, f"the control API needs the {CONTROL_TOKEN_HEADER} header"
        if path.rstrip("/") == "/_emulator/tokens" and not has_control:
            auth = headers.get("authorization", "")
            token = auth[7:] if auth.startswith("Bearer ") else ""
            if not (token and self.emulator.accepts_token(token)):
                return 401, "issuing a token needs the emulator's credentials or control token"
        return None

    async def _refuse(self, send: Send, refusal: Refusal, message: str, control: bool) -> None:
        """The marketplace's refusal (its codec's), or the control API's own answer."""
        if control:
            status = 500 if refusal is Refusal.FAILED else 413
            await self._answer(send, status, message)
            return
        status, body = self.emulator.codec.encode_refusal(refusal, message)
        await _send_json(send, status, body)

    async def _answer(self, send: Send, status: int, message: str) -> None:
        """The control API's own answer ``{"error": message}``."""
        await _send_json(send, status, {"error": message})


async def _send_json(send: Send, status: int, body: object) -> None:
    data = json.dumps(body, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


def _said(e: BaseException) -> str:
    text = str(e) if isinstance(e, ClaimflowError) else f"bad input ({type(e).__name__})"
    return text[:300]


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None once it passes *limit* bytes (the rest is not read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(raw: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}
        return await receive()

    return replay


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
        await send({"type": "http.response.body", "body": b'{"', "more_body": True})  # cut short
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


def serve(
    app: Any, port: int, *, host: str = "127.0.0.1", control_token: str | None = None
) -> None:
    """Serve *app* with uvicorn on *host*:*port* until interrupted.

    *control_token* protects the ``/_emulator/`` control API; bound to anything but a loopback
    address, the emulator makes one when none is given (and prints it: the operator needs it).
    """
    core = _core_of(app)
    if core is not None:
        if control_token is None and not _loopback(host) and core.control_token is None:
            control_token = secrets.token_urlsafe(18)
            print(f"control token ({CONTROL_TOKEN_HEADER}): {control_token}", flush=True)
        if control_token is not None:
            core.control_token = control_token
    elif control_token is not None or not _loopback(host):
        msg = "only an emulator's app can be protected by a control token"
        raise InvalidInputError(msg, field="control_token")
    uvicorn.run(app, host=host, port=port, log_level="info")


def _core_of(app: Any) -> EmulatorCore | None:
    emulator = getattr(getattr(app, "state", None), "emulator", None)
    core = getattr(emulator, "core", None)
    return core if isinstance(core, EmulatorCore) else None


async def sleep(seconds: float) -> None:
    """Wait *seconds* (fault latency) without blocking the server."""
    if seconds > 0:
        await asyncio.sleep(seconds)
